/**
 * mailbox — writing delivered mail the way every reader and mail tool on the host expects, shared by local(8)
 * and virtual(8) (and a future pipe(8)). Layer 1.
 *
 *   mail_copy.ts      the From_ line, Return-Path / X-Original-To / Delivered-To, `>From ` quoting, final newline
 *   mbox.ts           locked, all-or-nothing append to a mailbox file (fsx/lock.ts styles and retries)
 *   maildir.ts        tmp/ → new/ with unique names, fsync before the link
 *   pipe_command.ts   a command delivery: rights, environment, time limit, exit status → DSN
 *   delivered_to.ts   the Delivered-To addresses of a message (loop detection)
 *   identity.ts       acting with a recipient's rights inside one agent process
 *   delivery_job.ts   the queue file of a request and the per-recipient outcome and log lines
 *   agent_service.ts  an agent process's socket and life
 *
 * Example (an mbox delivery):
 *   const preamble = formatPreamble({ sender, fromLine: true, returnPath: true, origRcpt, delivered: rcpt });
 *   await appendToMbox({ path, data: () => copyMessage(preamble, job.content(), { quoteFrom: true, blankLine: true }),
 *     lock: { styles: ["fcntl", "dotlock"], attempts: 20, delay: 1, staleTime: 500 }, defDsn: "5.2.0" });
 */
export * from "./mail_copy.ts";
export * from "./mbox.ts";
export * from "./maildir.ts";
export * from "./pipe_command.ts";
export * from "./delivered_to.ts";
export * from "./identity.ts";
export * from "./mailbox_error.ts";
export * from "./delivery_job.ts";
export * from "./agent_service.ts";
