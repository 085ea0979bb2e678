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
 *     unprivileged instance's user), which wrote every queue file, is a requeued message (postsuper -r): queue
 *     files record no submitter, so it is logged, and gets its Received: header, with that owner's uid, as
 *     Postfix's pickup does;
 *   - authorized_submit_users is checked here, against the file's owner (sendmail's own check is advisory,
 *     since anybody can write into maildrop directly);
 *   - the content is parsed by the queue file decoder, which accepts only its grammar (queue_file.ts), and then
 *     rewritten by cleanup like any other message: headers, sizes and recipients are checked there.
 *   The file is removed only after cleanup's new queue file in incoming was made durable, so a crash at any point
 *   leaves the message in one queue or the other (at worst in both: delivered twice, never lost).
 *
 * DURABILITY WITHOUT STOPPING THE QUEUE MANAGER
 *   cleanup writes each new queue file without an fsync; pickup then fsyncs it on Bun's I/O thread pool (the
 *   same durability as cleanup's own rename-then-fsync: the fsync commits the rename too), one file after the
 *   other, and goes on with the next maildrop file meanwhile: the queue manager, which runs on the same
 *   JavaScript thread, keeps handing out deliveries. (A syncfs(2) per batch blocked this thread for as long as
 *   the whole file system took to flush: tens of milliseconds when other programs write too.) Once every file
 *   of a batch (up to 32) is durable, the queue manager is woken and the batch's maildrop files are removed
 *   (also off the thread; the maildrop directory is synced once). At most a few batches are in flight; a pass
 *   over the maildrop ends when all of its batches are done, so the next pass never sees a file that is still
 *   being removed, and stop() (the queue manager's shutdown) waits for them, so that no message is left in both
 *   queues.
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
import { close, constants, fstatSync, fsync, lstatSync, open, openSync, unlink } from "node:fs";
import { dirname } from "node:path";
import { msgLogAs, msgVerbose } from "../log/msg.ts";
import { logPickup, logRecipient } from "../log/events.ts";
import { ATTR, DSN_RET, openQueueFile, moveToCorrupt, scanQueue, syncQueueFileSystem, QueueError, type QueueEnvelope, type QueueFile, type QueueLayout } from "../queue/index.ts";
import { CleanupError, type Cleanup } from "../cleanup/cleanup.ts";
import type { BounceNotifier } from "../dsn/bounce_notice.ts";
import { checkUserAcl } from "../submit/user_acl.ts";
import { errnoText } from "../sys/errno.ts";

/** pickup's warnings carry its own tag (`postfix/pickup`): it runs inside the queue manager's process. */
const msgWarn = (text: string) => msgLogAs("pickup", "warning", text);

/** O_CLOEXEC (Linux), missing from node:fs constants. */
const O_CLOEXEC = 0o2000000;

/**
 * How many of pickup's fsyncs run at once. One, as cleanup's own: measured against 4 and 64 with 500 messages
 * for one maildir, more made the delivery agent's fsyncs wait longer (1.9–2.4 ms instead of 1.3–1.5 ms) while
 * pickup ran, and the whole run slower; pickup going ahead of the deliveries gains nothing.
 */
const FSYNCS = 1;

/** A maildrop file handed to cleanup, and when its new queue file is durable (undefined) or why it is not. */
interface Taken {
  path: string;
  durable: Promise<string | undefined>;
}

/** fsync(2) of an open descriptor on Bun's I/O thread pool, then close(2) (also there); rejects with `fsync PATH: …`. */
function fsyncFd(fd: number, path: string): Promise<void> {
  return new Promise((resolve, reject) =>
    fsync(fd, (e) => {
      close(fd, () => {});
      if (e) reject(new Error(`fsync ${path}: ${errnoText(e)}`));
      else resolve();
    }),
  );
}

/** open(2), fsync(2) and close(2) of `path`, all on Bun's I/O thread pool. */
function fsyncPath(path: string, flags: number): Promise<void> {
  return new Promise((resolve, reject) =>
    open(path, flags | O_CLOEXEC, (e, fd) => {
      if (e) reject(e);
      else fsyncFd(fd, path).then(resolve, reject);
    }),
  );
}

/**
 * The arrival time a maildrop file gives its message, as Postfix's pickup passes postdrop's time record on to
 * cleanup: the submission time (a requeued message keeps its first arrival; its expiry counts from the new
 * queue file's creation). A time in the future, or none, becomes now: the record is the submitter's word.
 */
function arrivalOf(t: { sec: number; usec: number }): Date {
  const ms = t.sec * 1000 + Math.floor(t.usec / 1000);
  const now = Date.now();
  return ms > 0 && ms <= now ? new Date(ms) : new Date(now);
}

/** Scans the maildrop and feeds cleanup. */
export class Pickup {
  private stopping = false;
  private running: Promise<void> | undefined;
  /** fsyncs running, and those waiting for a slot (see syncQueueFile()). */
  private fsyncs = 0;
  private readonly fsyncWaiters: (() => void)[] = [];

  constructor(
    private readonly layout: QueueLayout,
    private readonly cleanup: Cleanup,
    /** Sends the notice for a refused message. */
    private readonly notifier: Pick<BounceNotifier, "bounce">,
    /** The uid that writes queue files (mail_owner, or the instance owner): requeued files belong to it. */
    private readonly ownerUid: number,
    /** Called when a batch of messages is durably in incoming (wakes the queue manager). */
    private readonly onQueued: () => void,
    /** authorized_submit_users, or undefined when everybody may submit. */
    private readonly submitAcl?: string,
  ) {}

  /** One scan of the maildrop, repeated while it keeps finding messages (see the header). */
  async scan(): Promise<void> {
    if (this.stopping) return;
    const scan = this.passes();
    this.running = scan;
    try {
      await scan;
    } finally {
      if (this.running === scan) this.running = undefined;
    }
  }

  /**
   * Takes no more files; resolves when the scan in progress has made its queue files durable and removed their
   * maildrop files (a message left in both queues would be delivered twice).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private async passes(): Promise<void> {
    const BATCH = 32;
    const IN_FLIGHT = 3;
    for (let pass = 0; pass < 100 && !this.stopping; pass++) {
      let found = 0;
      let batch: Taken[] = [];
      const commits: Promise<void>[] = [];
      for (const e of scanQueue(this.layout.queueDir, "maildrop", { missingOk: true })) {
        if (this.stopping) break;
        if (await this.take(e.id, e.path, batch)) found++;
        if (batch.length >= BATCH) {
          commits.push(this.commit(batch));
          batch = [];
          if (commits.length >= IN_FLIGHT) await commits.shift();
        }
        // give the queue manager and its deliveries a turn: a large maildrop must not hold up delivery
        await new Promise((r) => setImmediate(r));
      }
      if (batch.length > 0) commits.push(this.commit(batch));
      await Promise.all(commits);
      if (found === 0) break;
    }
  }

  /** Waits until the batch's queue files are durable, wakes the queue manager, removes the maildrop files. */
  private async commit(batch: Taken[]): Promise<void> {
    const synced = await Promise.all(batch.map((t) => t.durable));
    const done: string[] = [];
    synced.forEach((failure, i) => {
      if (failure === undefined) done.push(batch[i]!.path);
      else msgWarn(`${failure}; maildrop file ${batch[i]!.path} kept for the next scan`);
    });
    if (done.length === 0) return;
    this.onQueued();
    await Promise.all(
      done.map((p) => new Promise<void>((resolve) => unlink(p, (e) => {
        if (e) msgWarn(`remove ${p}: ${e.message}`);
        resolve();
      }))),
    );
    // the removals need not be durable (the next scan after a crash takes the file again); best effort
    await fsyncPath(dirname(done[0]!), constants.O_RDONLY | constants.O_DIRECTORY).catch(() => {});
  }

  private refuse(id: string, why: string): void {
    msgWarn(`maildrop/${id}: ${why}`);
    try {
      moveToCorrupt(this.layout, "maildrop", id);
    } catch (e) {
      msgWarn(`maildrop/${id}: cannot move to corrupt: ${(e as Error).message}`);
    }
  }

  /** Takes one maildrop file; true when it was handed to cleanup (it is then added to `done`). */
  private async take(id: string, path: string, done: Taken[]): Promise<boolean> {
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
    let durable: Promise<string | undefined> = Promise.resolve(undefined);
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
        const made = await this.cleanup.process({
          sender: env.sender,
          fullName: env.fullName,
          recipients: env.recipients.filter((r) => !r.extracted && !r.done).map((r) => ({ address: r.address, origAddress: r.origAddress, notify: r.notify, orcpt: r.orcpt })),
          extracted: env.recipients.filter((r) => r.extracted && !r.done).map((r) => ({ address: r.address, origAddress: r.origAddress, notify: r.notify, orcpt: r.orcpt })),
          attributes: env.attributes,
          uid: fst.uid,
          context: requeued ? (env.attributes.get(ATTR.REWRITE_CONTEXT) === "remote" ? "remote" : "local") : "local",
          requeued,
          arrival: arrivalOf(env.arrivalTime),
          content: file.content(),
          durable: false,
          onQueueId: (newId) => logPickup(newId, fst.uid, env.sender, requeued ? id : undefined),
        });
        if (made.path !== undefined) durable = this.syncQueueFile(made.path);
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
    done.push({ path, durable });
    return true;
  }

  /**
   * fsync(2) of a queue file that cleanup just finished, on Bun's I/O thread pool. It is opened at once, before
   * the queue manager can move it; a file that is gone already is made durable with syncfs(2) instead. The fsyncs
   * run one at a time, as cleanup's own would: each costs a disk cache flush, and a burst of them would delay the
   * delivery agents' fsyncs, which are what the mail system waits for.
   */
  private syncQueueFile(path: string): Promise<string | undefined> {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | O_CLOEXEC);
    } catch {
      try {
        syncQueueFileSystem(this.layout.queueDir);
        return Promise.resolve(undefined);
      } catch (e) {
        return Promise.resolve((e as Error).message);
      }
    }
    return this.fsyncSlot()
      .then(() => fsyncFd(fd, path))
      .then(
        () => undefined,
        (e: Error) => e.message,
      )
      .finally(() => this.releaseFsyncSlot());
  }

  /** Waits for one of the FSYNCS slots. */
  private fsyncSlot(): Promise<void> {
    if (this.fsyncs < FSYNCS) {
      this.fsyncs++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.fsyncWaiters.push(resolve));
  }

  private releaseFsyncSlot(): void {
    const next = this.fsyncWaiters.shift();
    if (next) next();
    else this.fsyncs--;
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
