/**
 * pickup — takes messages that local users dropped into the maildrop queue and hands them to cleanup
 * (Postfix's pickup(8)), inside the queue manager process.
 *
 * WHY THE MAILDROP NEEDS NO SET-GID PROGRAM
 *   maildrop is mode 1733: anybody may create a file there, nobody may list it, and the sticky bit stops users
 *   from removing or replacing each other's files. sendmail writes a complete queue file under a temporary name
 *   and renames it into place (queue_writer.ts). Pickup trusts nothing in such a file that the kernel does not
 *   vouch for:
 *   - only regular files with one link and the "complete" mode bit (owner execute), opened with O_NOFOLLOW, are
 *     taken; anything else is left alone (temporary files, in-progress writes) or, when it is damaged, moved to
 *     the corrupt queue with a warning;
 *   - the submitter is the file's owner (st_uid). The `submit_uid` the file claims must be the same uid, or the
 *     file is refused (moved to corrupt). A file owned by the user the queue manager runs as (mail_owner, or the
 *     unprivileged instance's user), which wrote every queue file, is a requeued message (postsuper -r) and
 *     keeps its recorded submitter;
 *   - authorized_submit_users is checked here, against the file's owner (sendmail's own check is advisory,
 *     since anybody can write into maildrop directly);
 *   - the content is parsed by the queue file decoder, which accepts only its grammar (queue_file.ts), and then
 *     rewritten by cleanup like any other message: headers, sizes and recipients are checked there.
 *   The file is removed only after cleanup's new queue file in incoming was made durable (one syncfs(2) for a
 *   batch of messages), so a crash at any point leaves the message in one queue or the other (at worst in both:
 *   delivered twice, never lost).
 *
 * REFUSED MESSAGES (Postfix's cleanup_bounce, for mail from pickup)
 *   A message that cleanup refuses for good (message_size_limit, too many hops, no recipients …) is bounced:
 *   each of its recipients, as cleanup rewrote them (`unknown` when there are none), is logged
 *   `QID: to=<RCPT>, relay=none, delay=D, delays=D/0/0/0, dsn=X.Y.Z, status=bounced (TEXT)` under the queue ID
 *   cleanup gave it, and the sender gets a non-delivery notice (../dsn/bounce_notice.ts; none for the null
 *   sender or when DSN NOTIFY says no), which returns the message as it was submitted: its headers only for a
 *   size or content refusal, as Postfix does. The maildrop file goes only once the notice is durably queued
 *   (a crash in between may bounce twice, never lose the message). A notice that cannot be queued is logged as
 *   `warning: QID: bounce message failure` and the file stays for the next scan, as does the file after a
 *   temporary failure (table lookup, file system).
 *
 * A scan repeats until a pass finds nothing new; it runs on every trigger of public/pickup and every 60 s (the
 * master's wakeup). Logs `QID: uid=UID from=<SENDER>` (and ` orig_id=OLD` for requeued mail) with the new ID.
 */
import { fstatSync, lstatSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { fsyncDir } from "../fsx/atomic.ts";
import { msgVerbose, msgWarn } from "../log/msg.ts";
import { logPickup, logRecipient } from "../log/events.ts";
import { ATTR, DSN_RET, openQueueFile, moveToCorrupt, scanQueue, syncQueueFileSystem, QueueError, type QueueEnvelope, type QueueFile, type QueueLayout } from "../queue/index.ts";
import { CleanupError, type Cleanup } from "../cleanup/cleanup.ts";
import type { BounceNotifier } from "../dsn/bounce_notice.ts";
import { checkUserAcl } from "../submit/user_acl.ts";

/** Scans the maildrop and feeds cleanup. */
export class Pickup {
  constructor(
    private readonly layout: QueueLayout,
    private readonly cleanup: Cleanup,
    /** Sends the notice for a refused message. */
    private readonly notifier: Pick<BounceNotifier, "bounce">,
    /** The uid that writes queue files (mail_owner, or the instance owner): requeued files belong to it. */
    private readonly ownerUid: number,
    /** Called after each message reached incoming. */
    private readonly onQueued: () => void,
    /** authorized_submit_users, or undefined when everybody may submit. */
    private readonly submitAcl?: string,
  ) {}

  /**
   * One scan of the maildrop, repeated while it keeps finding messages. Group commit: up to BATCH messages are
   * written to incoming without their own fsyncs, then one syncfs(2) makes them all durable, and only then are
   * their maildrop files removed (and the maildrop directory synced once).
   */
  async scan(): Promise<void> {
    const BATCH = 32;
    for (let pass = 0; pass < 100; pass++) {
      let found = 0;
      let batch: string[] = [];
      const commit = () => {
        if (batch.length === 0) return;
        try {
          syncQueueFileSystem(this.layout.queueDir);
        } catch (e) {
          msgWarn(`${(e as Error).message}; maildrop files kept for the next scan`);
          batch = [];
          return;
        }
        for (const p of batch) {
          try {
            unlinkSync(p);
          } catch (e) {
            msgWarn(`remove ${p}: ${(e as Error).message}`);
          }
        }
        try {
          fsyncDir(dirname(batch[0]!));
        } catch {
          // the next scan sees whatever the crash left, and takes it again
        }
        batch = [];
        this.onQueued();
      };
      for (const e of scanQueue(this.layout.queueDir, "maildrop", { missingOk: true })) {
        if (await this.take(e.id, e.path, batch)) found++;
        if (batch.length >= BATCH) commit();
        // give the queue manager and its deliveries a turn: a large maildrop must not hold up delivery
        await new Promise((r) => setImmediate(r));
      }
      commit();
      if (found === 0) break;
    }
  }

  private refuse(id: string, why: string): void {
    msgWarn(`maildrop/${id}: ${why}`);
    try {
      moveToCorrupt(this.layout, "maildrop", id);
    } catch (e) {
      msgWarn(`maildrop/${id}: cannot move to corrupt: ${(e as Error).message}`);
    }
  }

  /** Takes one maildrop file; true when it was handed to cleanup (its path is then added to `done`). */
  private async take(id: string, path: string, done: string[]): Promise<boolean> {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return false;
    }
    if (!st.isFile()) {
      this.refuse(id, "not a regular file");
      return false;
    }
    if ((st.mode & 0o100) === 0) return false; // still being written, or given up by its writer
    if (st.nlink !== 1) {
      this.refuse(id, `file has ${st.nlink} hard links`);
      return false;
    }
    let file;
    try {
      file = openQueueFile(path, { lock: "exclusive" });
    } catch (e) {
      if (e instanceof QueueError && (e.code === "locked" || e.code === "notfound")) return false;
      this.refuse(id, (e as Error).message);
      return false;
    }
    try {
      const fst = fstatSync(file.fd);
      if (fst.ino !== st.ino || fst.nlink !== 1) return false;
      let env;
      try {
        env = file.envelope();
      } catch (e) {
        file.close();
        this.refuse(id, (e as Error).message);
        return false;
      }
      const requeued = fst.uid === this.ownerUid && env.uid !== fst.uid;
      if (!requeued && env.uid !== undefined && env.uid !== fst.uid) {
        file.close();
        this.refuse(id, `submitter uid ${env.uid} does not match file owner uid ${fst.uid}`);
        return false;
      }
      const uid = requeued ? (env.uid ?? fst.uid) : fst.uid;
      if (!requeued && this.submitAcl !== undefined) {
        // anybody can write into maildrop, so authorized_submit_users is enforced here, on the file's owner
        const denied = await checkUserAcl("authorized_submit_users", this.submitAcl, fst.uid);
        if (denied !== undefined) {
          file.close();
          this.refuse(id, `User ${denied}(${fst.uid}) is not allowed to submit mail`);
          return false;
        }
      }
      try {
        await this.cleanup.process({
          sender: env.sender,
          fullName: env.fullName,
          recipients: env.recipients.filter((r) => !r.extracted && !r.done).map((r) => ({ address: r.address, origAddress: r.origAddress, notify: r.notify, orcpt: r.orcpt })),
          extracted: env.recipients.filter((r) => r.extracted && !r.done).map((r) => ({ address: r.address, origAddress: r.origAddress, notify: r.notify, orcpt: r.orcpt })),
          attributes: env.attributes,
          uid,
          context: requeued ? (env.attributes.get(ATTR.REWRITE_CONTEXT) === "remote" ? "remote" : "local") : "local",
          requeued,
          content: file.content(),
          durable: false,
          onQueueId: (newId) => logPickup(newId, uid, env.sender, requeued ? id : undefined),
        });
      } catch (e) {
        // a refusal is final only once the sender was told
        if (!(e instanceof CleanupError) || e.temporary) throw e;
        if (!(await this.bounceRefused(id, file, env, e))) return false;
      }
    } catch (e) {
      // a temporary failure, or an error that is not cleanup's verdict on the message: the next scan tries again
      msgWarn(`maildrop/${id}: ${(e as Error).message}; will try again`);
      return false;
    } finally {
      file.close();
    }
    done.push(path);
    return true;
  }

  /** Bounces a message that cleanup refused (see the header); true when the maildrop file may go. */
  private async bounceRefused(id: string, file: QueueFile, env: QueueEnvelope, e: CleanupError): Promise<boolean> {
    const queueId = e.refused?.queueId ?? id;
    const sender = e.refused?.sender ?? env.sender;
    let rcpts = e.refused?.recipients ?? env.recipients;
    if (rcpts.length === 0) rcpts = [{ address: "unknown", origAddress: "" }];
    const arrival = env.arrivalTime.sec * 1000 + env.arrivalTime.usec / 1000;
    for (const r of rcpts) {
      logRecipient({ queueId, to: r.address, origTo: r.origAddress, relay: "none", dsn: e.dsn, status: "bounced", reason: e.message, times: { arrival } });
    }
    // Postfix returns no unfiltered content: headers only after a size or content refusal
    const headersOnly = e.dsn === "5.3.4" || e.dsn.startsWith("5.7.");
    try {
      await this.notifier.bounce(
        { id: queueId, content: () => file.content(), envelope: { sender, arrivalTime: env.arrivalTime, dsnEnvid: env.dsnEnvid, dsnRet: headersOnly ? DSN_RET.HDRS : env.dsnRet } },
        rcpts.map((r) => ({ recipient: { address: r.address, origAddress: r.origAddress ?? r.address, orcpt: r.orcpt ?? "", notify: r.notify ?? 0 }, dsn: e.dsn, reason: e.message })),
      );
    } catch (err) {
      msgVerbose(`${queueId}: notice: ${(err as Error).message}`);
      msgWarn(`${queueId}: bounce message failure`);
      msgWarn(`maildrop/${id}: error writing ${queueId}: queue file write error`);
      return false;
    }
    return true;
  }
}
