/**
 * NAME
 *   postdrop — put a message, given as a queue-file record stream, into the maildrop queue
 *
 * SYNOPSIS
 *   postdrop [-c config_dir] [-v]
 *
 * DESCRIPTION
 *   Reads one submission from standard input as postkit queue-file records (the msgpack records of
 *   internal/queue/queue_file.ts: envelope records, `M`, content `N` records, `X`, extracted records, `E`),
 *   checks it strictly (the input is untrusted: internal/submit/record_input.ts lists what is accepted), writes it
 *   into the maildrop queue exactly as sendmail writes a message, with this user's uid as the submitter and the
 *   arrival time of now, and wakes pickup. It works whether the mail system runs or not.
 *
 *   postkit's sendmail does not use postdrop: it writes the maildrop file itself (one process per message). Like
 *   Postfix's postdrop, this is the tool for programs that produce the record stream themselves. It is not
 *   set-gid (internal/submit/maildrop.ts explains the world-writable, sticky maildrop that replaces that).
 *
 *   Input that ends between two records before the end record cancels the request: nothing is queued and the exit
 *   status is 0, as in Postfix. Attributes a user may not set are dropped with
 *   `postdrop: warning: uid=UID: ignoring attribute record: NAME=VALUE`.
 *
 * OPTIONS
 *   -c config_dir  configuration directory (else $MAIL_CONFIG, else /etc/postfix)
 *   -r             accepted for compatibility (Postfix's only input protocol)
 *   -v             verbose logging; honoured only for the super-user, as in Postfix
 *
 * EXIT STATUS
 *   0 when the message is in maildrop or the request was cancelled; 1 for a fatal error (the partly written file
 *   is removed): `uid=UID: malformed input: REASON`, `uid=UID: unexpected record type: K`, `uid=UID: File too
 *   large` (message_size_limit), `User NAME(UID) is not allowed to submit mail`, queue file errors, usage.
 *
 * CONFIGURATION PARAMETERS
 *   queue_directory, authorized_submit_users, message_size_limit, enable_long_queue_ids, trigger_timeout.
 *
 * SEE ALSO
 *   sendmail(1), internal/submit/record_input.ts, internal/submit/maildrop.ts.
 */
import { getopt } from "../internal/text/getopt.ts";
import { FatalError, UsageError } from "../internal/sys/errors.ts";
import { msgWarn, setMsgVerbose } from "../internal/log/msg.ts";
import { bindLogToConfig, loadConfig } from "../internal/config/config.ts";

export const USAGE = "postdrop [-c config_dir] [-v]";

export const HELP = `usage: ${USAGE}

Read one message as postkit queue-file records on standard input and put it into the maildrop queue.
  -c config_dir  configuration directory (default: $MAIL_CONFIG or /etc/postfix)
  -r             accepted for compatibility
  -v             verbose (super-user only)
`;

/** postdrop's entry point. */
export async function run(argv: string[]): Promise<number> {
  const opts = getopt(argv, "c:rv", USAGE);
  const uid = process.getuid!();
  if (process.geteuid!() === 0) setMsgVerbose(opts.count("v"));
  const cfg = loadConfig({ configDir: opts.last("c") });
  bindLogToConfig(cfg);

  const acl = cfg.get("authorized_submit_users");
  if (!acl.startsWith("static:")) {
    const { checkUserAcl } = await import("../internal/submit/user_acl.ts");
    const denied = await checkUserAcl("authorized_submit_users", acl, uid);
    if (denied !== undefined) throw new FatalError(`User ${denied}(${uid}) is not allowed to submit mail`);
  }

  const [{ openMaildropFile, notifyPickup, abortOnSignals }, { RecordInput }, { readInput }, { SubmitError }] = await Promise.all([
    import("../internal/submit/maildrop.ts"),
    import("../internal/submit/record_input.ts"),
    import("../internal/submit/read_input.ts"),
    import("../internal/submit/submit_error.ts"),
  ]);
  const queueDir = cfg.get("queue_directory");
  let release = () => {};
  const input = new RecordInput({
    uid,
    openFile: () => {
      const w = openMaildropFile({ queueDir, longIds: cfg.getBool("enable_long_queue_ids") });
      release = abortOnSignals(w);
      return w;
    },
    warn: msgWarn,
    sizeLimit: cfg.getInt("message_size_limit"),
  });
  let queueId: string | undefined;
  try {
    const reading = readInput((chunk) => input.push(chunk));
    if (reading !== undefined) await reading;
    queueId = input.finish();
  } catch (e) {
    input.abort();
    if (e instanceof SubmitError) throw new FatalError(e.message);
    if (e instanceof UsageError || e instanceof FatalError) throw e;
    throw new FatalError(`uid=${uid}: ${(e as Error).message}`);
  } finally {
    release();
  }
  if (queueId === undefined) return 0; // cancelled
  const warning = await notifyPickup(queueDir, cfg.getTime("trigger_timeout") * 1000);
  if (warning !== undefined) msgWarn(warning);
  return 0;
}
