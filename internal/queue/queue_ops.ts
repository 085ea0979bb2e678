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
 * Listing (scanQueueSummaries) does not lock: a message may be seen twice or not at all while it moves, as with
 * Postfix's showq. It lists only "complete" files (regular, owner permission bits exactly rwx, name a valid
 * queue ID), as showq does.
 */
import { closeSync, constants, fchmodSync, fstatSync, futimesSync, lstatSync, openSync, renameSync, unlinkSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { fsyncDir } from "../fsx/atomic.ts";
import { QueueError, errnoCode, queueIoError } from "./queue_error.ts";
import { O_CLOEXEC } from "./_fs.ts";
import { assertValidQueueId } from "./queue_id.ts";
import { lockQueueFile } from "./queue_lock.ts";
import { QueueFile, type QueueEnvelope } from "./queue_file.ts";
import {
  assertQueueName,
  DEFAULT_HASH_QUEUE_NAMES,
  ensureQueueFileDirs,
  LOGFILE_QUEUES,
  POSTCAT_QUEUES,
  queuePath,
  scanQueue,
  SHOWQ_QUEUES,
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
        if (lstatSync(path).isFile()) return { queueName, path };
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
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | O_CLOEXEC);
  } catch (e) {
    if (errnoCode(e) === "ELOOP") throw new QueueError("corrupt", `open queue file ${path}: is a symbolic link`, { path, cause: e });
    throw queueIoError("open queue file", path, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new QueueError("corrupt", `${path}: not a regular file`, { path });
    lockQueueFile(fd, "exclusive", path);
    let now: Stats;
    try {
      now = lstatSync(path);
    } catch (e) {
      throw queueIoError("stat queue file", path, e);
    }
    if (now.ino !== st.ino || now.dev !== st.dev) {
      throw new QueueError("notfound", `open queue file ${path}: moved by another process`, { path });
    }
    return { fd, st };
  } catch (e) {
    closeSync(fd);
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
        futimesSync(fd, opts.time, opts.time);
      } catch (e) {
        throw queueIoError("set time of", src, e);
      }
    }
    ensureQueueFileDirs(dst);
    renameNoReplace(src, dst);
    syncDirs([dirname(dst), dirname(src)]);
    return dst;
  } finally {
    closeSync(fd);
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
  try {
    lstatSync(dst);
    throw new QueueError("exists", `rename ${src} to ${dst}: file exists`, { path: dst });
  } catch (e) {
    if (e instanceof QueueError) throw e;
    if (errnoCode(e) !== "ENOENT") throw queueIoError("stat", dst, e);
  }
  try {
    renameSync(src, dst);
  } catch (e) {
    throw queueIoError(`rename ${src} to`, dst, e);
  }
}

/**
 * Deletes message `id` from `queueName`: first its bounce, defer and trace logfiles, then the message file, as
 * postsuper -d does (all under the message's exclusive lock). Throws `notfound` when there is no such message.
 */
export function deleteMessage(layout: QueueLayout, queueName: QueueName, id: string): void {
  assertValidQueueId(id);
  assertQueueName(queueName);
  const path = layoutPath(layout, queueName, id);
  const { fd } = openLocked(path);
  try {
    const touched: string[] = [];
    for (const logQueue of LOGFILE_QUEUES) {
      const log = layoutPath(layout, logQueue, id);
      try {
        unlinkSync(log);
        touched.push(dirname(log));
      } catch (e) {
        const code = errnoCode(e);
        if (code !== "ENOENT" && code !== "ENOTDIR") throw queueIoError("remove", log, e);
      }
    }
    try {
      unlinkSync(path);
    } catch (e) {
      throw queueIoError("remove", path, e);
    }
    touched.push(dirname(path));
    syncDirs(touched);
  } finally {
    closeSync(fd);
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
      fchmodSync(fd, want);
    } catch (e) {
      throw queueIoError("chmod", path, e);
    }
    return true;
  } finally {
    closeSync(fd);
  }
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
  /** The content size; for maildrop files the file size, as showq does. */
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
 * Summarises the file at `path` (message `id` of `queueName`). Returns undefined when the file is not complete
 * (not a regular file, owner bits not rwx). Throws `notfound` when it vanished, `corrupt` and others as
 * queue_file.ts.
 */
export function readQueueSummary(queueName: QueueName, id: string, path: string): QueueSummary | undefined {
  const f = QueueFile.open(path);
  try {
    let st: Stats;
    try {
      st = fstatSync(f.fd);
    } catch (e) {
      throw queueIoError("stat queue file", path, e);
    }
    if (!st.isFile() || !isCompleteQueueFile(st.mode)) return undefined;
    const env = f.envelope();
    return {
      queueName,
      queueId: id,
      path,
      arrivalTime: env.arrivalTime.sec || Math.floor(st.mtimeMs / 1000),
      messageSize: queueName === "maildrop" ? st.size : env.messageSize,
      forcedExpire: (st.mode & 0o010) !== 0,
      sender: env.sender,
      recipients: env.recipients
        .filter((r) => !r.done)
        .map((r) => ({ address: r.address, origAddress: r.origAddress, delayReason: r.status?.status === "deferred" ? r.status.reason : undefined })),
      envelope: env,
    };
  } finally {
    f.close();
  }
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
  for (const queueName of queues) {
    for (const ent of scanQueue(layout.queueDir, queueName, { missingOk: true })) {
      let summary: QueueSummary | undefined;
      try {
        summary = readQueueSummary(queueName, ent.id, ent.path);
      } catch (e) {
        if (e instanceof QueueError && e.code === "notfound") continue;
        const error = e instanceof QueueError ? e : queueIoError("read queue file", ent.path, e);
        yield { queueName, queueId: ent.id, path: ent.path, error };
        continue;
      }
      if (summary) yield summary;
    }
  }
}
