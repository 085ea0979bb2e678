/**
 * maildrop — how a local user's message enters the mail system: sendmail (and postdrop) write a complete queue
 * file into `$queue_directory/maildrop` with the user's own privileges, then wake pickup. Postfix's postdrop +
 * mail_stream.c, without the set-gid program.
 *
 * WHY THERE IS NO SET-GID POSTDROP
 *   Postfix makes maildrop writable only by group postdrop and installs postdrop set-gid postdrop. postkit cannot:
 *   a compiled Bun binary obeys environment variables that load code (BUN_OPTIONS=--preload, BUN_BE_BUN=1; see
 *   reference/bun.md §1), so any set-uid or set-gid copy hands its privilege to whoever runs it. The binary is
 *   never installed set-uid or set-gid; sendmail runs as the user who calls it, and the maildrop has to accept
 *   files from every local user. sendmail therefore writes the queue file itself (no exec of postdrop: one process
 *   per submission).
 *
 * THE HAND-OFF, AND WHY IT IS SAFE
 *   - maildrop is mode 1733, owned by the instance owner (prepareQueueDirectory() in internal/master, and
 *     `postfix check`): everybody may create files in it (w+x), nobody but the owner may list it (no r), and the
 *     sticky bit means only a file's owner (or the directory's owner) may remove or rename it, so users cannot
 *     delete, replace or steal each other's submissions, and cannot learn their names.
 *   - A file is written under a temporary name `<usec>.<pid>` that is not a queue ID (pickup never looks at it),
 *     streamed, given its final mode with the owner-execute bit (Postfix's "complete" mark), renamed to its
 *     queue ID, and fsynced once, which makes the content and the new name durable together (queue_writer.ts
 *     says why; the submitter cannot open the maildrop directory to fsync it, and need not). Only then does
 *     sendmail exit 0.
 *   - Other users cannot read a submission: the finished file is mode 0700. When maildrop is set-gid (mode 3733,
 *     group = the mail system's group, as a root instance whose pickup runs as mail_owner needs) the file gets
 *     that group from the directory and mode 0740, so pickup can read it and other users still cannot.
 *   - The envelope records the submitter (`submit_uid` = the real uid), but pickup does not believe it: the
 *     submitter is the file's owner, st_uid, which the kernel sets and the user cannot forge. A file whose
 *     submit_uid differs from its owner is refused and logged. Files owned by the instance owner without its
 *     submit_uid are requeued messages (postsuper -r; queue files record no submitter), logged with that owner's
 *     uid as Postfix does; only the instance owner can create those.
 *   - Pickup treats the content as untrusted input, exactly like SMTP input: it opens files with O_NOFOLLOW,
 *     refuses anything that is not a regular file, has more than one link, lacks the complete mark or fails the
 *     queue-file grammar (queue_file.ts), and sends the message through cleanup, which rewrites headers and
 *     enforces sizes. A user who writes a maildrop file by hand instead of running sendmail gains nothing: they
 *     can only submit mail as themselves, which sendmail lets them do anyway. A file a user changes while pickup
 *     reads it is their own message.
 *   - Consequence: checks that Postfix's set-gid postdrop enforces (authorized_submit_users, and
 *     local_login_sender_maps) can only be advisory in sendmail, since anybody can bypass sendmail; pickup must
 *     apply them against st_uid (checkUserAcl() in user_acl.ts). A user can still fill the disk through maildrop,
 *     as with Postfix's postdrop; message_size_limit bounds each message, quotas bound the rest.
 *
 * An interrupted submission leaves nothing behind: abortOnSignals() removes the temporary file on SIGINT, SIGQUIT
 * and SIGTERM, then lets the signal end the process as it would have (SIGHUP is left alone, so that nohup
 * keeps working; a file left by a hangup or SIGKILL is an incomplete temporary file that pickup never takes and
 * `postsuper -p` removes).
 *
 * Contract: openMaildropFile() and the writer it returns throw QueueError (queue_error.ts); notifyPickup() never
 * throws. Layer-1 library (internal/submit), used by sendmail and postdrop.
 */
import { statPath } from "../sys/libc.ts";
import { createQueueFile, type QueueFileWriter } from "../queue/queue_writer.ts";
import { sendTrigger } from "../ipc/trigger.ts";

/** Where the maildrop is and how IDs are made. */
export interface MaildropOptions {
  queueDir: string;
  /** enable_long_queue_ids */
  longIds?: boolean;
}

const S_ISGID = 0o2000;

/** Mode of a finished maildrop file: 0740 in a set-gid maildrop (the group is the mail system's), else 0700. */
export function maildropFileMode(queueDir: string): number {
  try {
    return (statPath(`${queueDir}/maildrop`).mode & S_ISGID) !== 0 ? 0o740 : 0o700;
  } catch {
    return 0o700; // the writer reports the missing directory
  }
}

/** Starts a maildrop file (see the header); write its envelope, content and extracted records, then finish(). */
export function openMaildropFile(opts: MaildropOptions): QueueFileWriter {
  return createQueueFile({ queueDir: opts.queueDir, queueName: "maildrop", longIds: opts.longIds ?? false, mode: maildropFileMode(opts.queueDir) });
}

/**
 * Wakes pickup (`W` to public/pickup). Resolves to Postfix's warning text when the service cannot even be looked
 * up (`unable to look up public/pickup: No such file or directory`), else undefined: a FIFO or socket that nobody
 * serves is silent, as in Postfix; the message waits in maildrop for pickup's next scan either way.
 */
export function notifyPickup(queueDir: string, timeoutMs = 10000): string | undefined | Promise<string | undefined> {
  const fail = sendTrigger(queueDir, "public", "pickup", WAKE_UP, timeoutMs);
  return fail instanceof Promise ? fail.then((f) => f?.lookup) : fail?.lookup;
}

const WAKE_UP = new Uint8Array([0x57]); // "W"

const SIGNALS = ["SIGINT", "SIGQUIT", "SIGTERM"] as const;

/**
 * Until the returned function is called: on SIGINT, SIGQUIT or SIGTERM, abort `writer` (removing its file) and
 * end the process by that signal. Postfix's postdrop_sig().
 */
export function abortOnSignals(writer: { abort(): void }): () => void {
  const handler = (sig: NodeJS.Signals) => {
    writer.abort();
    release();
    process.kill(process.pid, sig);
  };
  const release = () => {
    for (const s of SIGNALS) process.off(s, handler);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return release;
}
