/**
 * NAME
 *   sendmail — Postfix to Sendmail compatibility interface: submit mail, or run mailq, newaliases, a queue flush
 *
 * SYNOPSIS
 *   sendmail [options] [recipient ...]
 *   mailq [options]          (when the binary is started under that name and no other tool claims it)
 *   newaliases [options]     (likewise)
 *
 * DESCRIPTION
 *   By default (`-bm`) sendmail reads a message from standard input and queues it: it writes a complete queue
 *   file into the maildrop queue and wakes the pickup service, which passes it to cleanup (headers, rewriting,
 *   size checks) and on to the queue manager. This works whether or not the mail system runs: the message waits
 *   in maildrop until pickup takes it (when nothing answers at public/pickup, sendmail prints Postfix's
 *   `postdrop: warning: unable to look up public/pickup: No such file or directory` and still exits 0).
 *   The binary is never set-uid or set-gid, so the message is written with the caller's own privileges into a
 *   world-writable, sticky maildrop; internal/submit/maildrop.ts explains why that is safe.
 *
 *   The stored file holds: `submit_uid` (the real uid), `rewrite_context=local` (`remote` with -G), the full name,
 *   the sender, the command-line recipients, the DSN values of -N/-R/-V, the message content as read (after the
 *   input processing of internal/submit/sendmail_input.ts: line endings per sendmail_fix_line_endings, leading
 *   `From ` lines dropped, the lone-dot rule without -i), and with -t the header recipients in the extracted
 *   section. sendmail does no header rewriting: Bcc stays in the file and cleanup removes it.
 *
 *   Other modes run other postkit tools (re-executing this binary under their name) and exit with their status:
 *   `-bp` and the name mailq run `postqueue -p`, `-q` runs `postqueue -f`, `-qRsite` `postqueue -s site`,
 *   `-qIqueueid` `postqueue -i queueid`, `-bi`, `-I` and the name newaliases run `postalias` on alias_database (or
 *   on the -oA table), `-bd`/`-bl` start `postfix start` in the background.
 *
 * OPTIONS
 *   -bm            enqueue (default)             -bp   list the queue          -bi, -I  rebuild aliases
 *   -bs            stand-alone SMTP on stdin/stdout (the SMTP server's engine; messages go to maildrop)
 *   -bd, -bl       start the mail system         -bh, -bH  ignored (exit 0)
 *   -bv            verify the recipients: nothing is delivered; each delivery agent says what it would do and a
 *                  Mail Delivery Status Report (deliverable / undeliverable) is mailed to the sender
 *   -B type        body type 8BITMIME or 7BIT
 *   -C path        main.cf or its directory (else $MAIL_CONFIG, else /etc/postfix)
 *   -F name        sender full name (else $NAME, else the GECOS field)
 *   -f sender, -r sender   envelope sender; `<>` or '' is the null sender (default: the login name)
 *   -G             gateway submission: rewrite_context=remote
 *   -i, -oi        a line with a single `.` does not end the message
 *   -N dsn         DSN notify: never, or a list of success, failure, delay
 *   -R ret         DSN return: full or hdrs
 *   -V envid       DSN envelope ID
 *   -oAtable       alias table for -bi
 *   -q             flush the queue; -qRsite, -qIqueueid; -q<interval> is ignored (exit 0)
 *   -t             also take recipients from To, Cc, Bcc (or Resent-To/Cc/Bcc)
 *   -v             once: ask for a delivery report (trace_flags); more: verbose logging
 *   -A -c -e -h -L -m -O -o7 -o8 -om -p -U -x   accepted and ignored, as in Postfix
 *   -n             fatal (`-n option not supported`), as in Postfix; -XV (VERP) is not supported (fatal)
 *
 * EXIT STATUS
 *   0 when the message is queued; 75 (EX_TEMPFAIL) for every fatal error, as Postfix's sendmail (its cleanup hook
 *   turns every status into 75): usage errors, no recipients, a user not in authorized_submit_users, write errors.
 *   In the other modes, the status of the tool that ran.
 *
 * DIAGNOSTICS (Postfix's texts)
 *   `sendmail: fatal: SENDER(UID): No recipient addresses found in message header` (-t),
 *   `...: Recipient addresses must be specified on the command line or via the -t option`,
 *   `User NAME(UID) is not allowed to submit mail`, `SENDER(UID): error writing queue file: REASON`,
 *   `SENDER(UID): message file too big` (message_size_limit), `SENDER(UID): unable to extract recipients: message
 *   header length exceeds safety limit` (-t, header_size_limit), `no login name found for user ID N`,
 *   warnings `-f option specified malformed sender: X`, `bad -N option value -- ignored`, `bad -R option value
 *   -- ignored`, `bad syntax in -V option value -- ignored`, `too long -V option value -- ignored`.
 *
 * CONFIGURATION PARAMETERS
 *   queue_directory, authorized_submit_users (static:anyone), sendmail_fix_line_endings (always),
 *   line_length_limit, header_size_limit, message_size_limit, enable_long_queue_ids, alias_database,
 *   trigger_timeout.
 *
 * FILES
 *   $queue_directory/maildrop (mode 1733), $queue_directory/public/pickup.
 *
 * SEE ALSO
 *   postdrop(1), postqueue(1), postalias(1), internal/submit/maildrop.ts.
 */
import { enqueueMessage, SubmitError, type EnqueueResult } from "../internal/submit/enqueue.ts";
import { msgInfo, msgProgName, msgWarn, setMsgStderr, setMsgStderrName, setMsgTag, setMsgVerbose } from "../internal/log/msg.ts";
import { FatalError } from "../internal/sys/errors.ts";
import { writeAll } from "../internal/sys/libc.ts";
import { flushOut, writeOut } from "../internal/sys/stdout.ts";
import { bindLogToConfig, loadConfig, splitList, syslogName, type Config } from "../internal/config/config.ts";
import { parseSendmailArgs, sendmailConfigDir, type SendmailArgs } from "../internal/submit/sendmail_options.ts";

export const USAGE = "sendmail [options]";

export const HELP = `usage: sendmail [options] [recipient ...]

Submit a message read from standard input (Postfix's sendmail compatibility interface).
  -t             also take recipients from To/Cc/Bcc headers
  -i, -oi        a line with a single "." does not end the message
  -f sender      envelope sender ("<>" for the null sender); -r is the same
  -F name        sender full name
  -N dsn         never, or success,failure,delay      -R full|hdrs      -V envid
  -C config      main.cf or its directory              -B 8BITMIME|7BIT  -G  gateway submission
  -v             ask for a delivery report (twice: verbose logging)
  -bv            verify the recipients and mail a report; deliver nothing
  -bp            list the queue (mailq)    -q  flush the queue  (-qRsite, -qIqueueid)
  -bi, -I        rebuild the aliases (newaliases)      -bd  start the mail system
`;

/** sendmail's entry point (also mailq and newaliases when the registry maps those names here). */
export function run(argv: string[]): number | Promise<number> {
  const prog = msgProgName();
  const report = {
    warn: msgWarn,
    info: msgInfo,
    getoptDiagnostic: (text: string) => writeAll(2, `${prog}: ${text}\n`),
  };
  const configDir = sendmailConfigDir(argv, report);
  const cfg = loadConfig({ configDir });
  bindLogToConfig(cfg);
  const args = parseSendmailArgs(argv, prog, report, { verbose: process.env.MAIL_VERBOSE ? 1 : 0 });
  setMsgVerbose(args.verbose);
  if (args.queueInterval !== undefined && args.mode !== "daemon") return 0;
  const v: string[] = [];
  for (let i = 0; i < args.verbose; i++) v.push("-v");
  const noRecipients = (what: string) => {
    if (args.recipients.length > 0) throw new FatalError(`${what} requires no recipient`);
  };
  switch (args.mode) {
    case "enqueue":
      if (args.flushSite !== undefined) {
        noRecipients("flush site");
        return execTool(cfg, "postqueue", ["-s", args.flushSite, ...v]);
      }
      if (args.flushId !== undefined) {
        noRecipients("flush queue_id");
        return execTool(cfg, "postqueue", ["-i", args.flushId, ...v]);
      }
      return enqueue(cfg, args);
    case "mailq":
      noRecipients("display queue mode");
      return execTool(cfg, "postqueue", ["-p", ...v]);
    case "flushq":
      noRecipients("flush queue mode");
      return execTool(cfg, "postqueue", ["-f", ...v]);
    case "daemon":
      noRecipients("daemon mode");
      return startInBackground(cfg, "postfix", [...v, "start"]);
    case "newaliases": {
      noRecipients("alias initialization mode");
      const maps = args.aliasMap !== undefined ? [args.aliasMap] : splitList(cfg.get("alias_database"));
      if (maps.length === 0) return 0;
      return execTool(cfg, "postalias", [...v, "--", ...maps]);
    }
    case "user": {
      noRecipients("stand-alone mode");
      return then(checkSubmitter(cfg), () => standaloneSmtp(cfg));
    }
    case "ignore":
      return 0;
  }
}

/**
 * -bs: the SMTP server's protocol engine on standard input and output, as Postfix runs smtpd in stand-alone mode.
 * Each accepted message is written into maildrop, exactly as a command-line submission (a local user cannot
 * write the incoming queue), and pickup is woken.
 */
async function standaloneSmtp(cfg: Config): Promise<number> {
  const { runSmtpSession } = await import("../internal/smtpd/standalone.ts");
  const { openMaildropFile, notifyPickup } = await import("../internal/submit/maildrop.ts");
  const { inputChunks } = await import("../internal/submit/read_input.ts");
  const queueDir = cfg.get("queue_directory");
  const uid = process.getuid!();
  setMsgStderr(false); // the server's log lines go to the mail log only, as from Postfix's stand-alone smtpd
  setMsgTag(`${syslogName(cfg)}/smtpd`); // which sendmail -bs runs, so they carry its name
  type Writer = ReturnType<typeof openMaildropFile>;
  const sink = {
    // the maildrop file is opened at the first valid RCPT, which gives the transaction its queue ID (Postfix's
    // stand-alone smtpd runs postdrop then)
    open: (): Writer => openMaildropFile({ queueDir, longIds: cfg.getBool("enable_long_queue_ids") }),
    async deliver(req: import("../internal/smtpd/standalone.ts").MessageRequest) {
      const w = (req.opened as Writer | undefined) ?? sink.open();
      try {
        req.onQueueId(w.queueId);
        const attributes = new Map(req.attributes);
        attributes.set("rewrite_context", "local");
        w.writeEnvelope({ sender: req.sender, recipients: req.recipients, uid, attributes });
        for (const line of req.prepend(w.queueId)) w.writeContent(`${line}\n`);
        for await (const chunk of req.content) w.writeContent(chunk);
        w.finish();
      } catch (e) {
        w.abort();
        throw e;
      }
      await notifyPickup(queueDir);
      return { queueId: w.queueId };
    },
  };
  const input = inputChunks();
  await runSmtpSession(cfg, input, (b) => writeAll(1, b), { sink });
  return 0;
}

/** `f(v)`, once `v` is there: at once for a value, through then() for a promise. */
function then<T, U>(v: T | Promise<T>, f: (value: T) => U | Promise<U>): U | Promise<U> {
  return v instanceof Promise ? v.then(f) : f(v);
}

/** authorized_submit_users; advisory here (pickup enforces it on the file owner). Nothing to wait for with static:. */
function checkSubmitter(cfg: Config): undefined | Promise<void> {
  const uid = process.getuid!();
  const acl = cfg.get("authorized_submit_users");
  if (acl.startsWith("static:")) return undefined;
  return import("../internal/submit/user_acl.ts")
    .then(({ checkUserAcl }) => checkUserAcl("authorized_submit_users", acl, uid))
    .then((denied) => {
      if (denied !== undefined) throw new FatalError(`User ${denied}(${uid}) is not allowed to submit mail`);
    });
}

/**
 * Queues the message on standard input (internal/submit/enqueue.ts). No async function on the way: with input
 * that is all there and the default authorized_submit_users, nothing is awaited (see enqueueMessage()).
 */
function enqueue(cfg: Config, args: SendmailArgs): number | Promise<number> {
  return then(checkSubmitter(cfg), () => {
    let r: EnqueueResult | Promise<EnqueueResult>;
    try {
      r = startEnqueue(cfg, args);
    } catch (e) {
      throw submitFailure(e);
    }
    if (r instanceof Promise) return r.then((done) => enqueued(args, done), (e) => Promise.reject(submitFailure(e)));
    return enqueued(args, r);
  });
}

function submitFailure(e: unknown): unknown {
  return e instanceof SubmitError ? new FatalError(e.message) : e;
}

function startEnqueue(cfg: Config, args: SendmailArgs): EnqueueResult | Promise<EnqueueResult> {
  return enqueueMessage(
    args,
    {
      queueDir: cfg.get("queue_directory"),
      longIds: cfg.getBool("enable_long_queue_ids"),
      fixLineEndings: cfg.get("sendmail_fix_line_endings"),
      lineLimit: cfg.getInt("line_length_limit"),
      headerSizeLimit: cfg.getInt("header_size_limit"),
      sizeLimit: cfg.getInt("message_size_limit"),
      triggerTimeoutMs: cfg.getTime("trigger_timeout") * 1000,
    },
    { uid: process.getuid!(), nameEnv: process.env.NAME, warn: msgWarn },
  );
}

/** What sendmail says after queueing; its exit status. */
function enqueued(args: SendmailArgs, r: EnqueueResult): number {
  if (args.traceFlags) writeOut(`Mail Delivery Status Report will be mailed to <${r.sender}>.\n`);
  if (r.pickupWarning !== undefined) {
    // Postfix's sendmail leaves this to postdrop, whose name is on the line; scripts see the same text
    const name = msgProgName();
    setMsgStderrName("postdrop");
    msgWarn(r.pickupWarning);
    setMsgStderrName(name);
  }
  return 0;
}

/** The command that runs postkit tool `tool`: this binary under that name (or the source entry when not compiled). */
function toolCommand(tool: string, args: string[]): string[] {
  return Bun.main.startsWith("/$bunfs/") ? [process.execPath, ...args] : [process.execPath, Bun.main, tool, ...args];
}

function childEnv(cfg: Config): Record<string, string | undefined> {
  return { ...process.env, MAIL_CONFIG: cfg.configDir };
}

/** Runs another postkit tool in the foreground, as Postfix's mail_run_replace(); resolves to its exit status. */
async function execTool(cfg: Config, tool: string, args: string[]): Promise<number> {
  flushOut();
  const p = Bun.spawn({ cmd: toolCommand(tool, args), argv0: tool, env: childEnv(cfg), stdio: ["inherit", "inherit", "inherit"] });
  const code = await p.exited;
  if (p.signalCode) {
    const { constants } = await import("node:os");
    return 128 + (constants.signals[p.signalCode as keyof typeof constants.signals] ?? 0);
  }
  return code;
}

/** Starts another postkit tool without waiting for it, as Postfix's mail_run_background(). */
function startInBackground(cfg: Config, tool: string, args: string[]): number {
  try {
    const p = Bun.spawn({ cmd: toolCommand(tool, args), argv0: tool, env: childEnv(cfg), stdio: ["ignore", "inherit", "inherit"] });
    p.unref();
    return 0;
  } catch (e) {
    msgWarn(`${tool}: ${(e as Error).message}`);
    return 1;
  }
}
