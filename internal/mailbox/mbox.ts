/**
 * mbox — appending one message to a UNIX mailbox file (or to any file local delivery writes to), locked the way
 * every other mail tool on the host expects, and never leaving half a message behind (Postfix's mbox_open() +
 * mail_copy() with MAIL_COPY_TOFILE, and mbox_release()).
 *
 * Steps, each file-system step with the rights the caller names (identity.ts):
 *   1. lock and open as `openAs` (internal/fsx/lock.ts: dot lock `PATH.lock` first, then a careful open that
 *      creates a missing file with mode 0600 owned by `chown`, then flock/fcntl as `lock.styles` says, each lock
 *      tried `attempts` times `delay` seconds apart, waiting at rest)
 *   2. `inspect(stat)` lets the caller refuse the file (not a regular file, wrong owner, executable …)
 *   3. write as `writeAs`: remember the size, append the bytes, fsync; on any error truncate the file back to the
 *      remembered size (so a failed delivery leaves the mailbox as it was), and report the error
 *   4. release: fcntl, flock, close, remove the dot lock
 * `sizeLimit` (mailbox_size_limit, virtual_mailbox_limit) plays the role of Postfix's file size resource limit:
 * a write that would make the file larger fails with EFBIG ("File too large", 5.2.2) and is undone.
 * Files that are not regular (a FIFO, /dev/null) get no kernel lock, no fsync and no truncation, as in Postfix.
 *
 * Contract: failures throw MailboxError (mailbox_error.ts) whose text is Postfix's: the lock or open reason
 * (`unable to create lock file PATH.lock: File exists`, `cannot open file: Permission denied` …) with
 * mbox_dsn(errno, defDsn), `error writing message: File too large` (mbox_dsn(errno, "5.3.0")), or `error reading
 * message: …` (4.3.0) when the queue file cannot be read. Callers add their prefix (`cannot update mailbox …`).
 * Nothing is logged here; lock warnings go to `onWarning`.
 */
import { constants, fsyncSync, ftruncateSync, writeSync, type Stats } from "node:fs";
import { LockError, openLockedFile, type LockRetry, type LockStyle, type LockedFile } from "../fsx/lock.ts";
import { errnoCode, errnoText } from "../sys/errno.ts";
import { runAs, type Identity } from "./identity.ts";
import { MailboxError, mboxDsn } from "./mailbox_error.ts";

/** How to append to a mailbox file. */
export interface MboxAppend {
  path: string;
  /** The bytes to append (preamble and message), produced synchronously; called once. */
  data: () => Iterable<Uint8Array>;
  /** Lock styles and retries (mailbox_delivery_lock, deliver_lock_attempts, deliver_lock_delay, stale_lock_time). */
  lock: LockRetry & { styles: Iterable<LockStyle> };
  /** Rights for locking, opening and creating (default: the agent's own). */
  openAs?: Identity;
  /** Rights for writing (default: the agent's own). */
  writeAs?: Identity;
  /** Owner of a file created here. */
  chown?: Identity;
  /** Mode of a file created here (default 0600). */
  mode?: number;
  /** A dot lock that cannot be created for a reason other than "file exists" only warns (file delivery). */
  dotlockMayFail?: boolean;
  /** Status for lock and open failures that mbox_dsn() does not classify ("5.2.0" local, "4.2.0" virtual). */
  defDsn: string;
  /** May refuse the opened file by throwing MailboxError. */
  inspect?: (st: Stats) => void;
  /** Largest allowed file size in bytes; 0 = no limit. */
  sizeLimit?: number;
  onWarning?: (text: string) => void;
}

/** What an append did. */
export interface MboxResult {
  /** File size before the message (the biff offset). */
  offset: number;
  /** Bytes appended. */
  written: number;
}

/**
 * Problem: one agent process runs several deliveries at once; two of them for the same mailbox would meet at the
 * dot lock, and the second would sleep deliver_lock_delay (a second) although the first needs a millisecond.
 * Solution: deliveries to the same path within this process take turns before they lock the file.
 */
const turns = new Map<string, Promise<void>>();

/** Locks, appends and releases; see the module header. */
export async function appendToMbox(opts: MboxAppend): Promise<MboxResult> {
  const previous = turns.get(opts.path);
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  turns.set(opts.path, mine);
  try {
    if (previous) await previous;
    return await appendLocked(opts);
  } finally {
    done();
    if (turns.get(opts.path) === mine) turns.delete(opts.path);
  }
}

async function appendLocked(opts: MboxAppend): Promise<MboxResult> {
  let locked: LockedFile;
  try {
    locked = await openLockedFile(opts.path, {
      ...opts.lock,
      styles: opts.lock.styles,
      flags: constants.O_APPEND | constants.O_WRONLY | constants.O_CREAT,
      mode: opts.mode ?? 0o600,
      owner: opts.chown,
      dotlockMayFail: opts.dotlockMayFail,
      onWarning: opts.onWarning,
      runAs: (fn) => runAs(opts.openAs, fn),
    });
  } catch (e) {
    if (e instanceof LockError) {
      const errno = e.code === "busy" ? "EAGAIN" : e.errno;
      throw new MailboxError(mboxDsn(errno, opts.defDsn), e.message, errno);
    }
    throw e;
  }
  try {
    opts.inspect?.(locked.stat);
    return runAs(opts.writeAs, () => writeLocked(locked, opts));
  } finally {
    locked.release();
  }
}

/** Appends to the open, locked file; undoes a partial append. */
function writeLocked(locked: LockedFile, opts: MboxAppend): MboxResult {
  const regular = locked.stat.isFile();
  const fd = locked.fd;
  const offset = regular ? locked.stat.size : 0;
  const limit = regular && opts.sizeLimit && opts.sizeLimit > 0 ? opts.sizeLimit : 0;
  let written = 0;
  let failure: MailboxError | undefined;
  const it = opts.data()[Symbol.iterator]();
  for (;;) {
    let step: IteratorResult<Uint8Array>;
    try {
      step = it.next();
    } catch (e) {
      failure = new MailboxError("4.3.0", `error reading message: ${e instanceof Error ? e.message : String(e)}`);
      break;
    }
    if (step.done) break;
    const b = step.value;
    try {
      if (limit && offset + written + b.length > limit) throw Object.assign(new Error("file size limit"), { code: "EFBIG" });
      writeAll(fd, b);
      written += b.length;
    } catch (e) {
      failure = writeFailure(e);
      break;
    }
  }
  if (!failure && regular) {
    try {
      fsyncSync(fd);
    } catch (e) {
      failure = writeFailure(e);
    }
  }
  if (failure) {
    if (regular) {
      try {
        ftruncateSync(fd, offset);
      } catch {
        // Postfix ignores a failed undo too; the error below is what counts
      }
    }
    try {
      it.return?.();
    } catch {
      // the source is abandoned anyway
    }
    throw failure;
  }
  return { offset, written };
}

function writeFailure(e: unknown): MailboxError {
  const code = errnoCode(e);
  return new MailboxError(mboxDsn(code, "5.3.0"), `error writing message: ${errnoText(e)}`, code);
}

/** write(2) until every byte is written. */
export function writeAll(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.length) {
    const n = writeSync(fd, b, off, b.length - off);
    if (n <= 0) throw Object.assign(new Error("short write"), { code: "EIO" });
    off += n;
  }
}
