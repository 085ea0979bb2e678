/**
 * submit — local mail submission (layer 1): what sendmail and postdrop write into the maildrop queue, and what
 * pickup must check about it. One module per concern; this file only re-exports them. The tools import the
 * modules directly, so that a submission loads only what it uses.
 *
 * - maildrop.ts           the world-writable, sticky maildrop hand-off and why it is safe; openMaildropFile(),
 *                         notifyPickup(), abortOnSignals()
 * - enqueue.ts            sendmail's default mode: standard input to a maildrop file
 * - sendmail_options.ts   sendmail's command line (modes, options, Postfix's messages), DSN option parsers
 * - sendmail_input.ts     sendmail's input processing (line ends, From_ lines, lone dot, -t recipients)
 * - record_input.ts       postdrop's record-stream input, checked as untrusted
 * - user_acl.ts           authorized_submit_users and other user lists (check_user_acl_byuid)
 * - read_input.ts         standard input without blocking signal handling
 * - submit_error.ts       SubmitError and its codes
 */
export * from "./submit_error.ts";
export * from "./maildrop.ts";
export * from "./user_acl.ts";
export * from "./sendmail_options.ts";
export * from "./sendmail_input.ts";
export * from "./record_input.ts";
export * from "./read_input.ts";
export { enqueueMessage, type EnqueueSettings, type EnqueueResult } from "./enqueue.ts";
