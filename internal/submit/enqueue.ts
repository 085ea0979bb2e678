/**
 * enqueue — sendmail's default mode: the message on standard input becomes a maildrop file (Postfix's
 * sendmail.c enqueue() together with postdrop), then pickup is woken.
 *
 * Steps, in Postfix's order: the sender (`-f` parsed as an RFC 822 address list, the first address kept, a
 * warning for more than one; without -f the login name of the real uid), the envelope (`submit_uid`,
 * `rewrite_context`, encoding, trace flags, the full name from -F, $NAME or GECOS, the sender, one recipient
 * record per address of each command-line argument, or an empty one for an argument without an address, each
 * with the -N bits), the content as sendmail_input.ts produces it, the -t header recipients in the extracted
 * section, the recipient count check, and the durable entry into maildrop (maildrop.ts). Only a finished file
 * is ever visible to pickup; on any failure, or on SIGINT/SIGQUIT/SIGTERM, the temporary file is removed.
 *
 * Contract: throws SubmitError whose message is the complete text sendmail prints after `sendmail: fatal: `
 * (`SENDER(UID): No recipient addresses found in message header`, `SENDER(UID): error writing queue file: …`).
 * Warnings go to `warn`. Reads only the values passed in (never main.cf).
 */
import { getpwuid } from "../sys/passwd.ts";
import { parseAddressList, parseSingleAddress } from "../address/address_list.ts";
import { abortOnSignals, notifyPickup, openMaildropFile } from "./maildrop.ts";
import { SendmailInput, type FixLineEndings } from "./sendmail_input.ts";
import { readInput } from "./read_input.ts";
import { SubmitError } from "./submit_error.ts";
import { fullNameOf, type SendmailArgs } from "./sendmail_options.ts";
import type { QueueFileWriter } from "../queue/queue_writer.ts";

export { SubmitError };

/** The configuration values enqueueing needs. */
export interface EnqueueSettings {
  queueDir: string;
  longIds: boolean;
  /** sendmail_fix_line_endings, checked here. */
  fixLineEndings: string;
  lineLimit: number;
  headerSizeLimit: number;
  /** message_size_limit; 0 = none. */
  sizeLimit: number;
  triggerTimeoutMs: number;
}

/** What enqueueMessage() did. */
export interface EnqueueResult {
  queueId: string;
  sender: string;
  /** Postfix's warning when public/pickup cannot even be looked up, else undefined. */
  pickupWarning: string | undefined;
}

/**
 * Queues the message on standard input; see the header. The result comes as is when standard input was all
 * there and pickup was woken through its FIFO, else as a promise (no async function on the common path: the
 * first one of a process costs a one-shot tool ~0.1 ms).
 */
export function enqueueMessage(
  args: SendmailArgs,
  settings: EnqueueSettings,
  ctx: { uid: number; nameEnv: string | undefined; warn: (text: string) => void },
): EnqueueResult | Promise<EnqueueResult> {
  const uid = ctx.uid;
  const pw = getpwuid(uid);
  let sender: string;
  if (args.sender !== undefined) {
    const s = parseSingleAddress(args.sender);
    if (s.count > 1) ctx.warn(`-f option specified malformed sender: ${args.sender}`);
    sender = s.address;
  } else {
    if (!pw) throw new SubmitError("refused", `no login name found for user ID ${uid}`);
    sender = pw.name;
  }
  const who = `${sender}(${uid})`;
  if (args.verp !== undefined) {
    if (sender === "") throw new SubmitError("refused", `${who}: -V option requires non-null sender address`);
    throw new SubmitError("refused", "unsupported: -XV (VERP)");
  }
  const fix = settings.fixLineEndings;
  if (fix !== "always" && fix !== "strict" && fix !== "never") throw new SubmitError("refused", `invalid sendmail_fix_line_endings value: ${fix}`);

  const notify = args.dsnNotify;
  const recipients: { address: string; notify: number }[] = [];
  for (const arg of args.recipients) {
    const list = parseAddressList(arg);
    if (list.length === 0) recipients.push({ address: "", notify: 0 });
    for (const a of list) recipients.push({ address: a.internal, notify });
  }
  const attributes: [string, string][] = [["rewrite_context", args.rewriteContext]];
  if (args.encoding !== undefined) attributes.push(["encoding", args.encoding]);
  if (args.traceFlags) attributes.push(["trace_flags", String(args.traceFlags)]);

  const writeError = (e: unknown) => new SubmitError("write", `${who}: error writing queue file: ${(e as Error).message}`);
  let writer: QueueFileWriter | undefined;
  // the handlers come first: a signal between creating the file and installing them would leave it behind
  const release = abortOnSignals({ abort: () => writer?.abort() });
  try {
    writer = openMaildropFile({ queueDir: settings.queueDir, longIds: settings.longIds });
    writer.writeEnvelope({
      sender,
      fullName: args.fullName ?? fullNameOf(ctx.nameEnv, pw),
      recipients,
      uid,
      dsnEnvid: args.dsnEnvid,
      dsnRet: args.dsnRet || undefined,
      attributes,
    });
  } catch (e) {
    writer?.abort();
    release();
    throw writeError(e);
  }
  const w = writer;
  // what reading fails with, and everything after the input, in the order of the former single try block
  const failed = (e: unknown): unknown => {
    w.abort();
    release();
    if (e instanceof SubmitError) return e.code === "header" || e.code === "read" ? new SubmitError(e.code, `${who}: ${e.message}`) : e;
    return writeError(e);
  };
  let size = 0;
  const input = new SendmailInput(
    (bytes) => {
      size += bytes.length;
      if (settings.sizeLimit > 0 && size > settings.sizeLimit) throw new SubmitError("size", `${who}: message file too big`);
      w.writeContent(bytes);
    },
    {
      dotEndsInput: args.dotEndsInput,
      fixLineEndings: fix as FixLineEndings,
      lineLimit: settings.lineLimit,
      extract: args.extract,
      headerSizeLimit: settings.headerSizeLimit,
    },
  );
  const complete = (): EnqueueResult | Promise<EnqueueResult> => {
    let queueId: string;
    try {
      const extracted = input.finish();
      if (args.extract) {
        const extra: { address: string; notify: number }[] = [];
        for (const address of extracted) extra.push({ address, notify });
        w.addExtracted({ recipients: extra });
      }
      if (recipients.length + extracted.length === 0) {
        throw new SubmitError(
          "refused",
          args.extract
            ? `${who}: No recipient addresses found in message header`
            : `${who}: Recipient addresses must be specified on the command line or via the -t option`,
        );
      }
      queueId = w.finish().queueId;
    } catch (e) {
      throw failed(e);
    }
    release();
    const warning = notifyPickup(settings.queueDir, settings.triggerTimeoutMs);
    if (warning instanceof Promise) return warning.then((pickupWarning) => ({ queueId, sender, pickupWarning }));
    return { queueId, sender, pickupWarning: warning };
  };
  let reading: Promise<void> | undefined;
  try {
    reading = readInput((chunk) => input.push(chunk));
  } catch (e) {
    throw failed(e);
  }
  if (reading === undefined) return complete();
  return reading.then(complete, (e) => {
    throw failed(e);
  });
}
