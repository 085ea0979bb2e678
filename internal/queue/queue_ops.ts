/**
 * queue_ops — what programs do to whole messages: find, move between queues, delete, force-expire, move to
 * corrupt, and list with the summary mailq / `postqueue -j` show. Postfix's mail_queue_rename(),
 * postsuper's delete_one()/postrename(), showq's per-file reading.
 *
 * Every operation on an existing message follows the locking protocol of queue_lock.ts: open the file by name,
 * take the EXCLUSIVE lock without waiting (`QueueError` `locked` when a delivery agent or another postsuper has
 * it), check that the name still refers to the file that was locked (it may have been moved between open and
 * lock: `notfound`), then rename/unlink, fsync the directories involved, and close (which releases the lock).
 * So postsuper may run at any time: it never moves a message out from under a process that is delivering it,
 * and qmgr never loses a message that postsuper is moving.
 *
 * Moves are rename(2) within the queue directory tree (one file system), creating hash directories on demand,
 * never overwriting (`exists`); the file keeps its inode, so its queue ID stays valid. A move can set the file's
 * atime and mtime first (qmgr's deferral: mtime = next retry time; postsuper -r: now), so that no scanner of the
 * destination sees it with the old time.
 *
 * Moves never replace an existing file: rename(2) with RENAME_NOREPLACE, one atomic call (`exists`); where the
 * file system cannot do that, a check for the destination and then a plain rename, as before.
 *
 * Listing (scanQueueSummaries) does not lock: a message may be seen twice or not at all while it moves, as with
 * Postfix's showq. It lists only "complete" files (regular, owner permission bits exactly rwx, name a valid
 * queue ID), as showq does. It costs four system calls per message of up to 64 KiB — openat(2) relative to the
 * directory being read, statx(2), one pread(2), close(2) — through _fileio.ts, with the envelope decoded straight
 * from the bytes read (queue_file.ts); whatever goes wrong on that path is redone through node:fs, so errors read
 * as they always have. Memory stays flat: one directory entry and one message at a time. (mailq and postqueue
 * -p/-j use queue_listing.ts, the same scan with a decoder that keeps only what they print.) node:fs itself is
 * loaded only when one of those rarer paths runs (sys/node_fs.ts).
 *
 * lstatQueuePath(), renameQueueFileNoReplace(), unlinkQueuePath() and the directory handles are the same calls
 * for postsuper's bulk operations (queue_lock.ts says when it may skip the lock).
 */
import type { Stats } from "node:fs";
import { dirnamePath as dirname } from "../sys/posix_path.ts";
import { fsyncDir } from "../fsx/atomic.ts";
import { QueueError, errnoCode, queueIoError } from "./queue_error.ts";
import { O_CLOEXEC } from "./_fs.ts";
import { nodeFs } from "../sys/node_fs.ts";
import { assertValidQueueId, isValidQueueId } from "./queue_id.ts";
import { closeFd, lstatPath, openDirHandle, renameNoReplace as renameAtomicNoReplace, statFd, unlinkPath, type FileStat } from "./_fileio.ts";
import { lockQueueFile } from "./queue_lock.ts";
import { readEnvelopeFd, type QueueEnvelope } from "./queue_file.ts";
import {
  assertQueueName,
  DEFAULT_HASH_QUEUE_NAMES,
  ensureQueueFileDirs,
  LOGFILE_QUEUES,
  POSTCAT_QUEUES,
  queuePath,
  QueueWalker,
  SHOWQ_QUEUES,
  type DirStream,
  type HashQueueNames,
  type QueueName,
} from "./queue_path.ts";

/** The queue parameters every operation needs (queue_directory, hash_queue_names, hash_queue_depth, ...). */
export interface QueueLayout {
  queueDir: string;
  hashQueues: HashQueueNames;
  hashDepth: number;
  longIds: boolean;
}

/** A QueueLayout with Postfix's defaults for what is not given. */
export function queueLayout(queueDir: string, opts: Partial<Omit<QueueLayout, "queueDir">> = {}): QueueLayout {
  return { queueDir, hashQueues: opts.hashQueues ?? DEFAULT_HASH_QUEUE_NAMES, hashDepth: opts.hashDepth ?? 1, longIds: opts.longIds ?? false };
}

/** The path of message or logfile `id` in `queueName` under `layout`. */
export function layoutPath(layout: QueueLayout, queueName: string, id: string): string {
  return queuePath(layout.queueDir, queueName, id, layout.hashQueues, layout.hashDepth);
}

/** Where a message was found. */
export interface FoundMessage {
  queueName: QueueName;
  path: string;
}

/**
 * Looks for message `id` in `queues` (default: postcat -q's list), twice over (it may move between queues during
 * the first pass, as postcat -q allows for). Throws `badid`/`badqueue`; undefined when it is nowhere.
 */
export function findMessage(layout: QueueLayout, id: string, queues: readonly QueueName[] = POSTCAT_QUEUES): FoundMessage | undefined {
  assertValidQueueId(id);
  for (let pass = 0; pass < 2; pass++) {
    for (const queueName of queues) {
      const path = layoutPath(layout, queueName, id);
      try {
        if (nodeFs().lstatSync(path).isFile()) return { queueName, path };
      } catch (e) {
        if (errnoCode(e) !== "ENOENT" && errnoCode(e) !== "ENOTDIR") throw queueIoError("stat", path, e);
      }
    }
  }
  return undefined;
}

/**
 * Opens `path` and takes the exclusive lock, then checks that `path` still names the locked file. Returns the
 * descriptor and its stat; the caller closes it.
 */
function openLocked(path: string): { fd: number; st: Stats } {
  let fd: number;
  try {
    fd = nodeFs().openSync(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  } catch (e) {
    if (errnoCode(e) === "ELOOP") throw new QueueError("corrupt", `open queue file ${path}: is a symbolic link`, { path, cause: e });
    throw queueIoError("open queue file", path, e);
  }
  try {
    const st = nodeFs().fstatSync(fd);
    if (!st.isFile()) throw new QueueError("corrupt", `${path}: not a regular file`, { path });
    lockQueueFile(fd, "exclusive", path);
    let now: Stats;
    try {
      now = nodeFs().lstatSync(path);
    } catch (e) {
      throw queueIoError("stat queue file", path, e);
    }
    if (now.ino !== st.ino || now.dev !== st.dev) {
      throw new QueueError("notfound", `open queue file ${path}: moved by another process`, { path });
    }
    return { fd, st };
  } catch (e) {
    nodeFs().closeSync(fd);
    throw e instanceof QueueError ? e : queueIoError("open queue file", path, e);
  }
}

function syncDirs(dirs: Iterable<string>): void {
  for (const d of new Set(dirs)) {
    try {
      fsyncDir(d);
    } catch (e) {
      throw queueIoError("fsync directory", d, e);
    }
  }
}

/** Options of moveMessage(). */
export interface MoveOptions {
  /** Set atime and mtime to this (seconds since the epoch, or a Date) before the move. */
  time?: number | Date;
  /**
   * false: skip the directory fsyncs. For the queue manager's own moves and removals, whose loss in a crash is
   * harmless: a file found again in its old queue (incoming, active) is simply processed again, and its recipients'
   * recorded results (fsynced in the file itself) keep delivered recipients from being delivered twice.
   */
  durable?: boolean;
}

/**
 * Moves message `id` from queue `from` to queue `to` (locked, atomic, durable; see the header) and returns its new
 * path. Throws `notfound`, `locked`, `exists`, `badid`, `badqueue`, `io`.
 */
export function moveMessage(layout: QueueLayout, id: string, from: QueueName, to: QueueName, opts: MoveOptions = {}): string {
  assertValidQueueId(id);
  assertQueueName(from);
  assertQueueName(to);
  const src = layoutPath(layout, from, id);
  const dst = layoutPath(layout, to, id);
  if (src === dst) throw new QueueError("invalid", `move ${id}: source and destination are both ${from}`);
  const { fd } = openLocked(src);
  try {
    if (opts.time !== undefined) {
      try {
        nodeFs().futimesSync(fd, opts.time, opts.time);
      } catch (e) {
        throw queueIoError("set time of", src, e);
      }
    }
    // the destination's directory nearly always exists: rename first, make directories only when it is missing
    // (a mkdir that fails with EEXIST and a stat, for every message the queue manager activates)
    if (renameAtomicNoReplace(src, dst) !== 0) {
      ensureQueueFileDirs(dst);
      renameNoReplace(src, dst);
    }
    if (opts.durable !== false) syncDirs([dirname(dst), dirname(src)]);
    return dst;
  } finally {
    nodeFs().closeSync(fd);
  }
}

/**
 * Moves a damaged message from `queueName` to `corrupt`, where it is kept for inspection; returns its new path.
 * Something that is not a regular file (a symbolic link, a directory) is renamed as it is, without a lock.
 */
export function moveToCorrupt(layout: QueueLayout, queueName: QueueName, id: string): string {
  try {
    return moveMessage(layout, id, queueName, "corrupt");
  } catch (e) {
    if (!(e instanceof QueueError && e.code === "corrupt")) throw e;
  }
  const src = layoutPath(layout, queueName, id);
  const dst = layoutPath(layout, "corrupt", id);
  ensureQueueFileDirs(dst);
  renameNoReplace(src, dst);
  syncDirs([dirname(dst), dirname(src)]);
  return dst;
}

function renameNoReplace(src: string, dst: string): void {
  const r = renameAtomicNoReplace(src, dst);
  if (r === 0) return;
  if (r === -EEXIST) throw new QueueError("exists", `rename ${src} to ${dst}: file exists`, { path: dst });
  // No RENAME_NOREPLACE here, or a failure: check, then rename, and let node:fs word the error.
  try {
    nodeFs().lstatSync(dst);
    throw new QueueError("exists", `rename ${src} to ${dst}: file exists`, { path: dst });
  } catch (e) {
    if (e instanceof QueueError) throw e;
    if (errnoCode(e) !== "ENOENT") throw queueIoError("stat", dst, e);
  }
  try {
    nodeFs().renameSync(src, dst);
  } catch (e) {
    throw queueIoError(`rename ${src} to`, dst, e);
  }
}

/** How deleteMessage() removes a message. */
export interface DeleteOptions extends Pick<MoveOptions, "durable"> {
  /**
   * Close the file on Bun's I/O thread pool instead of in the caller. The last close of an unlinked file is
   * where the kernel frees its inode and blocks (a journal transaction, a few hundred microseconds while other
   * processes fsync); the queue manager removes one file per message and must not wait for that. The name is
   * gone when deleteMessage() returns; the lock is released when the close is done.
   */
  closeInBackground?: boolean;
}

/** unlinkSync(path) for node:fs's wording of an error unlink(2) just reported; throws QueueError `io`. */
function removeOrThrow(path: string): void {
  try {
    nodeFs().unlinkSync(path);
  } catch (e) {
    throw queueIoError("remove", path, e);
  }
}

/**
 * Deletes message `id` from `queueName`: first its bounce, defer and trace logfiles, then the message file, as
 * postsuper -d does (all under the message's exclusive lock). Throws `notfound` when there is no such message.
 */
export function deleteMessage(layout: QueueLayout, queueName: QueueName, id: string, opts: DeleteOptions = {}): void {
  assertValidQueueId(id);
  assertQueueName(queueName);
  const path = layoutPath(layout, queueName, id);
  const { fd } = openLocked(path);
  try {
    const touched: string[] = [];
    // unlink(2) through libc first: postkit never writes logfiles, so these unlinks nearly always fail with
    // ENOENT, and node:fs makes an Error (with its stack) of each failure; node:fs only words a real error
    for (const logQueue of LOGFILE_QUEUES) {
      const log = layoutPath(layout, logQueue, id);
      const r = unlinkPath(log);
      if (r === -ENOENT || r === -ENOTDIR) continue;
      if (r !== 0) removeOrThrow(log);
      touched.push(dirname(log));
    }
    if (unlinkPath(path) !== 0) removeOrThrow(path);
    touched.push(dirname(path));
    if (opts.durable !== false) syncDirs(touched);
  } finally {
    if (opts.closeInBackground) nodeFs().close(fd, () => {});
    else nodeFs().closeSync(fd);
  }
}

/**
 * Sets (or clears) the force-expire mark of message `id` in `queueName`: the group-execute bit, as postsuper -e
 * does; qmgr returns such a message to its sender at the next delivery attempt. Returns false when nothing
 * changed (already in that state).
 */
export function setForcedExpire(layout: QueueLayout, queueName: QueueName, id: string, on = true): boolean {
  assertValidQueueId(id);
  assertQueueName(queueName);
  const path = layoutPath(layout, queueName, id);
  const { fd, st } = openLocked(path);
  try {
    const mode = st.mode & 0o7777;
    const want = on ? mode | 0o010 : mode & ~0o010;
    if (want === mode) return false;
    try {
      nodeFs().fchmodSync(fd, want);
    } catch (e) {
      throw queueIoError("chmod", path, e);
    }
    return true;
  } finally {
    nodeFs().closeSync(fd);
  }
}

/** What lstatQueuePath() reports: st_mode, size, mtime in seconds, owner. */
export type QueueFileStat = FileStat;

/**
 * lstat(2) of `path` into `out`, for bulk operations (postsuper ALL) that stat every file of a queue: no object
 * per call. 0 or -errno (ENOENT 2, ENOTDIR 20 …); never throws.
 */
export function lstatQueuePath(path: string, out: QueueFileStat): number {
  return lstatPath(path, out);
}

/**
 * rename(2) of `from` to `to` that never replaces an existing `to` (RENAME_NOREPLACE: -EEXIST, atomically,
 * where checking first and renaming after is not). 0 or -errno; -ENOSYS (38) or -EINVAL (22) where the file
 * system or the platform cannot do it, so the caller checks and renames the old way. Never throws.
 */
export function renameQueueFileNoReplace(from: string, to: string): number {
  return renameAtomicNoReplace(from, to);
}

/** unlink(2) of `path`: 0 or -errno; never throws. */
export function unlinkQueuePath(path: string): number {
  return unlinkPath(path);
}

/**
 * A handle (O_PATH descriptor) of directory `path` for QueueWalker.dir.renameEntry(): the descriptor, or -errno
 * (-ENOSYS where there is no libc at hand: pass -1 then, renameEntry() uses the path). Close it with
 * closeQueueDirHandle().
 */
export function openQueueDirHandle(path: string): number {
  return openDirHandle(path);
}

/** Closes a handle from openQueueDirHandle(). */
export function closeQueueDirHandle(fd: number): void {
  if (fd >= 0) closeFd(fd);
}

/** True when a file's mode marks it complete (owner bits exactly rwx) — Postfix's MAIL_QUEUE_STAT_READY. */
export function isCompleteQueueFile(mode: number): boolean {
  return (mode & 0o700) === 0o700;
}

/** One recipient as mailq shows it. */
export interface QueueSummaryRecipient {
  address: string;
  origAddress: string;
  /** Reason of the latest deferral, if any (`delay_reason` of postqueue -j). */
  delayReason: string | undefined;
}

/** What mailq / postqueue -j show of one message. */
export interface QueueSummary {
  queueName: QueueName;
  queueId: string;
  path: string;
  /** Seconds: the `T` record, or the file's mtime when it has none. */
  arrivalTime: number;
  /** The size Postfix reports (reported_size.ts); for maildrop files the file size, as showq does. */
  messageSize: number;
  /** The group-execute bit (postsuper -e). */
  forcedExpire: boolean;
  /** "" for the null sender (the caller prints it as MAILER-DAEMON). */
  sender: string;
  /** Recipients still to do (not delivered, not bounced), in file order. */
  recipients: QueueSummaryRecipient[];
  /** The full envelope the summary was made from. */
  envelope: QueueEnvelope;
}

/** A message that could not be summarised (corrupt, unsupported, unreadable). */
export interface QueueSummaryFailure {
  queueName: QueueName;
  queueId: string;
  path: string;
  error: QueueError;
}

/**
 * Summarises the file at `path` (message `id` of `queueName`) through node:fs. Returns undefined when the file is
 * not complete (owner bits not rwx). Throws `notfound` when it vanished, `corrupt` for something that is not a
 * regular file, and others as queue_file.ts.
 */
export function readQueueSummary(queueName: QueueName, id: string, path: string): QueueSummary | undefined {
  const fd = openForListing(path);
  try {
    let st: Stats;
    try {
      st = nodeFs().fstatSync(fd);
    } catch (e) {
      throw queueIoError("stat queue file", path, e);
    }
    if (!st.isFile()) throw new QueueError("corrupt", `${path}: not a regular file`, { path });
    if (!isCompleteQueueFile(st.mode)) return undefined;
    return makeSummary(queueName, id, path, readEnvelopeFd(fd, path, st.size), st.mode, st.size, Math.floor(st.mtimeMs / 1000));
  } finally {
    nodeFs().closeSync(fd);
  }
}

function makeSummary(queueName: QueueName, id: string, path: string, env: QueueEnvelope, mode: number, size: number, mtimeSec: number): QueueSummary {
  const recipients: QueueSummaryRecipient[] = [];
  for (const r of env.recipients) {
    if (!r.done) recipients.push({ address: r.address, origAddress: r.origAddress, delayReason: r.status?.status === "deferred" ? r.status.reason : undefined });
  }
  return {
    queueName,
    queueId: id,
    path,
    arrivalTime: env.arrivalTime.sec || mtimeSec,
    messageSize: queueName === "maildrop" ? size : env.reportedSize,
    forcedExpire: (mode & 0o010) !== 0,
    sender: env.sender,
    recipients,
    envelope: env,
  };
}

/** O_NOATIME (Linux): a listing should not dirty every inode it reads. */
const O_NOATIME = 0o1000000;
let noAtime = O_NOATIME;
// open(2) flags (Linux values; node:fs is loaded only on the rare paths that need it)
const O_RDONLY = 0;
const O_NOFOLLOW = 0o400000;
const O_NONBLOCK = 0o4000;
const LISTING_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
const EPERM = 1;
const ENOENT = 2;
const ENOTDIR = 20;
const EEXIST = 17;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/**
 * Opens a queue file read-only for a scan: O_NOFOLLOW (a symbolic link is `corrupt`), O_NONBLOCK (a FIFO
 * planted in a queue must not block the scan), O_NOATIME when allowed (only the file's owner or root may: after
 * the first EPERM it is no longer asked for).
 */
function openForListing(path: string): number {
  for (;;) {
    try {
      return nodeFs().openSync(path, LISTING_FLAGS | noAtime);
    } catch (e) {
      const code = errnoCode(e);
      if (code === "EPERM" && noAtime !== 0) {
        noAtime = 0;
        continue;
      }
      if (code === "ELOOP") throw new QueueError("corrupt", `open queue file ${path}: is a symbolic link`, { path, cause: e });
      throw queueIoError("open queue file", path, e);
    }
  }
}

/**
 * Opens the entry `dir` is at as openForListing() opens a path (O_NOATIME while allowed): the descriptor, or
 * -errno. For scans of a QueueWalker (here and queue_listing.ts) and for QueueEntryLister.names().
 */
export function openListingEntry(dir: Pick<DirStream, "openEntry">): number {
  const fd = dir.openEntry(LISTING_FLAGS | noAtime);
  if (fd !== -EPERM || noAtime === 0) return fd;
  noAtime = 0;
  return dir.openEntry(LISTING_FLAGS);
}

/**
 * readQueueSummary() of the walker's current entry, opened relative to its directory with the system calls of
 * _fileio.ts (open, statx, one read, close for a file of up to 64 KiB). Any failure other than a file that
 * vanished is handed to readQueueSummary(), which repeats the work through node:fs and so reports exactly what
 * it would have reported.
 */
function summarizeEntry(queueName: QueueName, w: QueueWalker, st: FileStat): QueueSummary | undefined {
  let fd = openListingEntry(w.dir!);
  if (fd < 0) {
    if (fd === -ENOENT) return undefined; // gone since readdir: moved or delivered
    return readQueueSummary(queueName, w.name, w.path);
  }
  let env: QueueEnvelope;
  try {
    if (statFd(fd, st) !== 0 || (st.mode & S_IFMT) !== S_IFREG) {
      closeFd(fd);
      fd = -1;
      return readQueueSummary(queueName, w.name, w.path);
    }
    if (!isCompleteQueueFile(st.mode)) return undefined;
    env = readEnvelopeFd(fd, w.path, st.size);
  } finally {
    if (fd >= 0) closeFd(fd);
  }
  return makeSummary(queueName, w.name, w.path, env, st.mode, st.size, st.mtimeSec);
}

/**
 * Lists the messages of `queues` (default: showq's order, maildrop active incoming deferred hold) one at a time,
 * streaming (memory flat in the queue size). Files that vanish during the scan and incomplete files are skipped;
 * files that cannot be read are reported as QueueSummaryFailure items (`"error" in item`) and the scan goes on.
 * A missing queue directory is skipped.
 */
export function* scanQueueSummaries(
  layout: QueueLayout,
  queues: readonly QueueName[] = SHOWQ_QUEUES,
): Generator<QueueSummary | QueueSummaryFailure> {
  const st: FileStat = { mode: 0, size: 0, mtimeSec: 0, uid: 0 };
  for (const queueName of queues) {
    const w = new QueueWalker(layout.queueDir, queueName, { missingOk: true });
    try {
      while (w.next()) {
        if (w.type === "other" || !isValidQueueId(w.name)) continue;
        let summary: QueueSummary | undefined;
        try {
          summary = summarizeEntry(queueName, w, st);
        } catch (e) {
          if (e instanceof QueueError && e.code === "notfound") continue;
          const error = e instanceof QueueError ? e : queueIoError("read queue file", w.path, e);
          yield { queueName, queueId: w.name, path: w.path, error };
          continue;
        }
        if (summary) yield summary;
      }
    } finally {
      w.close();
    }
  }
}
