/**
 * queue_path — queue names, hashed queue directories, the path of a queue file, and streaming queue scans.
 *
 * Queue names (directories under `queue_directory`, Postfix's postfix-files and mail_queue.h):
 * message queues `maildrop incoming active deferred hold corrupt saved`, per-message logfile queues
 * `bounce defer trace`, and `flush` (fast-flush logfiles named after destinations). showq lists
 * `maildrop active incoming deferred hold` in that order; postcat -q searches
 * `maildrop incoming active deferred hold saved`.
 *
 * Hashing (hash_queue_names, hash_queue_depth; Postfix mail_queue_dir() + dir_forest()): a queue named in
 * hash_queue_names (compared case-insensitively) keeps each file `hash_queue_depth` directory levels down, one
 * level per character of a hash string: `deferred/E/EF97820E3CD` (depth 1), `deferred/E/F/EF97820E3CD` (depth 2).
 * The hash string of a short ID (and of a flush logfile name) is the name itself; a long ID is hashed by its
 * microseconds written as 5 upper-case hex digits, the same characters its short twin would start with:
 * `4jZ7cZ4ps4zJDqZ` (usec 678344 = 0xA59C8) lives in `deferred/A/`. When the hash string is shorter than the
 * depth, the missing levels are `_`. maildrop must never be hashed (pickup and postdrop do not look below it).
 *
 * Contract: queuePath() and its friends throw `QueueError` `badid` for an ID that fails isValidQueueId() and
 * `badqueue` for an unknown queue name, before any path is built, so a path built here never leaves its queue.
 * scanQueue(), scanQueueFiles() and the QueueWalker under them read directories entry by entry (see _readdir.ts):
 * memory stays flat whatever the queue size, and a file renamed during the scan may be seen twice or not at all,
 * as with Postfix's scan_dir. A QueueWalker also lets its user open, lstat, rename or unlink the current entry
 * relative to its directory (listings and postsuper's bulk operations).
 */
import { nodeFs } from "../sys/node_fs.ts";
import { dirnamePath, joinPath } from "../sys/posix_path.ts";
import { fsyncDir } from "../fsx/atomic.ts";
import { QueueError, errnoCode, queueIoError } from "./queue_error.ts";
import { assertValidQueueId, isValidQueueId, longIdSeparator, longIdUsec } from "./queue_id.ts";
import { openDirStream, type DirStream } from "./_readdir.ts";
import { splitListItems } from "../text/chars.ts";

export type { DirStream } from "./_readdir.ts";

/** Every queue directory name postkit knows, in Postfix's postfix-files order. */
export const QUEUE_NAMES = [
  "maildrop",
  "incoming",
  "active",
  "deferred",
  "hold",
  "corrupt",
  "bounce",
  "defer",
  "trace",
  "flush",
  "saved",
] as const;

/** One of QUEUE_NAMES. */
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Queues that hold message files (queue_file.ts format). */
export const MESSAGE_QUEUES: readonly QueueName[] = ["maildrop", "incoming", "active", "deferred", "hold", "corrupt", "saved"];

/** Queues that hold per-message logfiles named after the message's queue ID. */
export const LOGFILE_QUEUES: readonly QueueName[] = ["bounce", "defer", "trace"];

/** The queues showq (mailq, postqueue -p/-j) lists, in its order. */
export const SHOWQ_QUEUES: readonly QueueName[] = ["maildrop", "active", "incoming", "deferred", "hold"];

/** The queues `postcat -q` searches, in its order. */
export const POSTCAT_QUEUES: readonly QueueName[] = ["maildrop", "incoming", "active", "deferred", "hold", "saved"];

/** Postfix's default hash_queue_names. */
export const DEFAULT_HASH_QUEUE_NAMES: readonly string[] = ["deferred", "defer"];

/** Modes ensureQueueDirs() gives new queue directories (postfix-files; maildrop as Debian installs it). */
export const QUEUE_DIR_MODES: Readonly<Record<QueueName, number>> = {
  maildrop: 0o1730,
  incoming: 0o700,
  active: 0o700,
  deferred: 0o700,
  hold: 0o700,
  corrupt: 0o700,
  bounce: 0o700,
  defer: 0o700,
  trace: 0o700,
  flush: 0o700,
  saved: 0o700,
};

const QUEUE_NAME_SET: ReadonlySet<string> = new Set(QUEUE_NAMES);

/** The values of hash_queue_names/hash_queue_depth: a list (or the raw parameter text) and a depth >= 1. */
export type HashQueueNames = readonly string[] | string;

/** True when `name` is one of QUEUE_NAMES. */
export function isQueueName(name: unknown): name is QueueName {
  return typeof name === "string" && QUEUE_NAME_SET.has(name);
}

/** Throws `QueueError` `badqueue` (`invalid directory name: X`) unless isQueueName(name). */
export function assertQueueName(name: unknown): asserts name is QueueName {
  if (!isQueueName(name)) {
    const shown = String(name).slice(0, 100).replace(/[^\x20-\x7e]/g, "?");
    throw new QueueError("badqueue", `invalid directory name: ${shown}`);
  }
}

function hashList(hashQueues: HashQueueNames): readonly string[] {
  return typeof hashQueues === "string" ? splitListItems(hashQueues) : hashQueues;
}

/** True when `queueName` is listed in hash_queue_names (case-insensitive, as Postfix's strcasecmp). */
export function isHashedQueue(queueName: string, hashQueues: HashQueueNames): boolean {
  const q = queueName.toLowerCase();
  const names = hashList(hashQueues);
  for (let i = 0; i < names.length; i++) if (names[i]!.toLowerCase() === q) return true;
  return false;
}

/** The hash subdirectory names of `id` at `depth` (["E", "F"] for EF97820E3CD at depth 2). */
export function hashDirectories(id: string, depth: number): string[] {
  assertValidQueueId(id);
  if (!Number.isInteger(depth) || depth < 1) throw new QueueError("invalid", `bad hash_queue_depth: ${depth}`);
  let source = id;
  const z = longIdSeparator(id);
  if (z >= 0) source = longIdUsec(id, z).toString(16).toUpperCase().padStart(5, "0");
  const dirs: string[] = [];
  for (let i = 0; i < depth; i++) dirs.push(i < source.length ? source[i]! : "_");
  return dirs;
}

/** The queue-relative directory of `id` in `queueName`: `deferred/E/` style, always ending in `/`. */
export function relativeQueueDir(queueName: string, id: string, hashQueues: HashQueueNames, depth: number): string {
  assertQueueName(queueName);
  assertValidQueueId(id);
  if (!isHashedQueue(queueName, hashQueues)) return `${queueName}/`;
  return `${queueName}/${hashDirectories(id, depth).join("/")}/`;
}

/** The queue-relative path of `id` in `queueName` (`deferred/E/EF97820E3CD`), as postcat -q labels it. */
export function relativeQueuePath(queueName: string, id: string, hashQueues: HashQueueNames, depth: number): string {
  return relativeQueueDir(queueName, id, hashQueues, depth) + id;
}

/** The absolute path of queue file `id` in `queueName` under `queueDir`, hashed as Postfix would. */
export function queuePath(queueDir: string, queueName: string, id: string, hashQueues: HashQueueNames, depth: number): string {
  return joinPath(queueDir, relativeQueuePath(queueName, id, hashQueues, depth));
}

/** The directory of queue `queueName` under `queueDir` (no hashing). */
export function queueTopDir(queueDir: string, queueName: string): string {
  assertQueueName(queueName);
  return joinPath(queueDir, queueName);
}

/**
 * Creates `queueDir` and the named queue directories that are missing (default: all of QUEUE_NAMES) with
 * QUEUE_DIR_MODES (or `modes`), ignoring the umask; existing directories are left as they are. Ownership is the
 * caller's business. Returns the names of the queues it created. Hash subdirectories are made on demand.
 */
export function ensureQueueDirs(
  queueDir: string,
  opts: { names?: readonly QueueName[]; modes?: Partial<Record<QueueName, number>> } = {},
): QueueName[] {
  const created: QueueName[] = [];
  try {
    nodeFs().mkdirSync(queueDir, { recursive: true, mode: 0o755 });
    for (const name of opts.names ?? QUEUE_NAMES) {
      assertQueueName(name);
      const dir = joinPath(queueDir, name);
      const mode = opts.modes?.[name] ?? QUEUE_DIR_MODES[name];
      try {
        nodeFs().mkdirSync(dir, { mode });
      } catch (e) {
        if (errnoCode(e) === "EEXIST") continue;
        throw e;
      }
      nodeFs().chmodSync(dir, mode);
      created.push(name);
    }
    if (created.length > 0) fsyncDir(queueDir);
  } catch (e) {
    throw queueIoError("create queue directory", queueDir, e);
  }
  return created;
}

/**
 * Creates the missing hash directories above queue file `path` (mode 0700, as mail_queue_mkdirs) and fsyncs each
 * parent that gained an entry, so that a file renamed into a new directory survives a crash.
 */
export function ensureQueueFileDirs(path: string): void {
  const dir = dirnamePath(path);
  let first: string | undefined;
  try {
    first = nodeFs().mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw queueIoError("create directory", dir, e);
  }
  if (first === undefined) return;
  try {
    fsyncDir(dirnamePath(first));
    let d = first;
    for (const part of dir.slice(first.length).split("/").filter((p) => p.length > 0)) {
      fsyncDir(d); // d gained the entry `part`
      d = joinPath(d, part);
    }
  } catch (e) {
    throw queueIoError("fsync directory", dir, e);
  }
}

/** One file found by scanQueue(). */
export interface QueueEntry {
  queueName: QueueName;
  id: string;
  path: string;
}

/** One directory entry found by scanQueueFiles(), whatever its name. */
export interface QueueDirEntry {
  queueName: QueueName;
  name: string;
  path: string;
  /** As the file system reports it (lstat it when `unknown`). */
  type: "file" | "other" | "unknown";
}

/** Deepest hash directory level the scans descend to (hash_queue_depth values beyond this are not useful). */
const MAX_SCAN_DEPTH = 16;

/**
 * Walks queue `queueName` entry by entry: every entry below it that is not a hash directory — queue files,
 * temporary files of writers, anything else (symbolic links, sockets) — descending into one-character
 * subdirectories (hash directories, whatever the current hash settings), in readdir order. The walker is the
 * cursor: after next() returned true, `name`, `path`, `type` and `dir` describe the current entry until the next
 * call (`dir.openEntry()` opens it relative to its directory). Directories are read entry by entry; close() (or
 * the end of the walk) closes those still open. A missing queue directory throws `QueueError` `notfound` unless
 * `missingOk` (then the walk is empty). For hot loops (listings); other callers use scanQueueFiles().
 */
export class QueueWalker {
  /** Name of the current entry. */
  name = "";
  /** Path of the current entry. */
  path = "";
  /** Its kind as the file system reports it (lstat it when `unknown`). */
  type: "file" | "other" | "unknown" = "unknown";
  /** The open directory the current entry is in, and its path. */
  dir: DirStream | undefined;
  dirPath = "";
  private readonly stack: { dir: string; stream: DirStream }[] = [];

  constructor(
    queueDir: string,
    readonly queueName: QueueName,
    opts: { missingOk?: boolean } = {},
  ) {
    const top = queueTopDir(queueDir, queueName);
    try {
      this.stack.push({ dir: top, stream: openDirStream(top) });
    } catch (e) {
      if (opts.missingOk && errnoCode(e) === "ENOENT") return;
      throw queueIoError("open directory", top, e);
    }
  }

  /** Moves to the next entry; false at the end of the walk. */
  next(): boolean {
    const stack = this.stack;
    while (stack.length > 0) {
      const cur = stack[stack.length - 1]!;
      const ent = cur.stream.next();
      if (ent === null) {
        cur.stream.close();
        stack.pop();
        continue;
      }
      const path = `${cur.dir}/${ent.name}`; // cur.dir is normalised and a name has no "/"
      if (ent.type === "dir" || (ent.type === "unknown" && ent.name.length === 1)) {
        if (ent.name.length !== 1 || stack.length > MAX_SCAN_DEPTH) continue;
        try {
          stack.push({ dir: path, stream: openDirStream(path) });
          continue;
        } catch (e) {
          const code = errnoCode(e);
          if (code === "ENOENT") continue; // removed meanwhile
          if (code !== "ENOTDIR") {
            this.close();
            throw queueIoError("open directory", path, e);
          }
          // a one-letter file on a file system that does not report types: fall through
        }
      }
      this.name = ent.name;
      this.path = path;
      this.type = ent.type === "dir" ? "other" : ent.type;
      this.dir = cur.stream;
      this.dirPath = cur.dir;
      return true;
    }
    this.dir = undefined;
    return false;
  }

  /** Closes the directories still open; the walk then ends. Idempotent. */
  close(): void {
    for (const s of this.stack) s.stream.close();
    this.stack.length = 0;
    this.dir = undefined;
  }
}

/**
 * Yields every entry below queue `queueName` that is not a hash directory (see QueueWalker), for postsuper's
 * purge and structure checks; programs that want messages use scanQueue(). Directories are closed when the
 * iteration ends or is abandoned. A missing queue directory throws `QueueError` `notfound` unless `missingOk`.
 */
export function* scanQueueFiles(queueDir: string, queueName: QueueName, opts: { missingOk?: boolean } = {}): Generator<QueueDirEntry> {
  const w = new QueueWalker(queueDir, queueName, opts);
  try {
    while (w.next()) yield { queueName, name: w.name, path: w.path, type: w.type };
  } finally {
    w.close();
  }
}

/**
 * Yields the messages (or logfiles) of `queueName`: the entries of scanQueueFiles() that are regular files (when
 * the file system says so) and whose names are valid queue IDs — temporary files such as `123456.789` never are.
 */
export function* scanQueue(queueDir: string, queueName: QueueName, opts: { missingOk?: boolean } = {}): Generator<QueueEntry> {
  for (const ent of scanQueueFiles(queueDir, queueName, opts)) {
    if (ent.type === "other" || !isValidQueueId(ent.name)) continue;
    yield { queueName, id: ent.name, path: ent.path };
  }
}
