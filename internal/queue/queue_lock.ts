/**
 * queue_lock — the locking protocol that lets postsuper, qmgr and delivery agents work on one queue at once.
 *
 * The lock is flock(2) on the queue file itself (Postfix's INTERNAL_LOCK on Linux), always taken non-blocking
 * (a blocking flock would freeze the whole JS thread; bun.md §3). It belongs to the open file description, so it
 * survives other descriptors of the same file being closed and vanishes when the holder exits or crashes.
 *
 * Who takes what:
 * - shared: whoever processes a message without changing where it is — qmgr while it reads the envelope and
 *   delivery agents while they deliver and append recipient status records (queue_file.ts). Several shared
 *   holders may append at once: every append is one write(2) on an O_APPEND descriptor, so records never mix.
 * - exclusive: whoever moves, deletes or changes a message as a whole — moveMessage(), deleteMessage(),
 *   moveToCorrupt(), setForcedExpire() in queue_ops.ts (postsuper -d/-h/-H/-r/-e, qmgr's own moves between
 *   incoming, active and deferred), and the repair of a torn appended record (queue_file.ts), which must know
 *   that nobody appends meanwhile. qmgr takes it once when it first opens a message, as Postfix's qmgr does
 *   ("skipped, still being delivered" when it fails).
 * - the writer of a new file (queue_writer.ts) takes none: until its final rename the file has a temporary name
 *   that no scan or lookup can see.
 * - readers that only look (mailq/postqueue -p/-j, postcat) take none: they may see a message twice or not at
 *   all while it moves, as with Postfix's showq.
 * - postsuper releasing (-H) or deleting (-d) a message in `hold` takes none either (internal/postsuper/
 *   queue_admin.ts): it checks the file with lstat(2) and renames or unlinks it by name, as Postfix does. The
 *   lock exists to keep a message from being moved or removed under a process that works on it through an open
 *   descriptor — qmgr and the delivery agents, which only ever work on `active` (qmgr's own moves take incoming
 *   and deferred files to active, and active files to incoming or deferred; nothing of the mail system moves a
 *   file into or out of hold). The only other lockers of a held file are postsuper processes, and they act on it
 *   by name after locking: if one locked it and another released or deleted it meanwhile, the first one's
 *   rename or unlink finds no file (ENOENT), and it counts nothing; rename(2) is atomic, so the message is in
 *   exactly one queue either way, and moves never replace an existing file (RENAME_NOREPLACE). Every other
 *   postsuper operation and every other queue keeps the exclusive lock.
 *
 * A conflicting lock gives `QueueError` code `locked` (temporary): postsuper reports the message as busy and the
 * administrator repeats the command; qmgr retries on its next scan. Lock then re-check: whoever locks a file by
 * name must then check that the name still refers to the same inode (the file may have been moved between
 * open and lock), which queue_ops.ts does.
 */
import { flock, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN, SysError } from "../sys/libc.ts";
import { QueueError } from "./queue_error.ts";

/** The two lock modes of the protocol above. */
export type QueueLockMode = "shared" | "exclusive";

/** Takes `mode` on open queue file `fd` without waiting; throws `QueueError` `locked` if someone holds a conflicting lock. */
export function lockQueueFile(fd: number, mode: QueueLockMode, path = "queue file"): void {
  try {
    flock(fd, (mode === "exclusive" ? LOCK_EX : LOCK_SH) | LOCK_NB);
  } catch (e) {
    if (e instanceof SysError && e.code === "EAGAIN") {
      throw new QueueError("locked", `lock ${path}: in use by another process`, { path, cause: e });
    }
    throw new QueueError("io", `lock ${path}: ${(e as Error).message}`, { path, cause: e });
  }
}

/** Tries to take `mode`; false instead of an error when the file is busy. */
export function tryLockQueueFile(fd: number, mode: QueueLockMode, path?: string): boolean {
  try {
    lockQueueFile(fd, mode, path);
    return true;
  } catch (e) {
    if (e instanceof QueueError && e.code === "locked") return false;
    throw e;
  }
}

/** Releases the lock on `fd` (closing the descriptor releases it too). */
export function unlockQueueFile(fd: number): void {
  flock(fd, LOCK_UN);
}
