/**
 * queue_admin — what postsuper(1) does to messages: delete, hold, release, requeue and force-expire them, one by
 * queue ID or all at once, plus the structure repair (-s) and the purge of stale temporary files (-p).
 * Postfix's postsuper.c (delete_one, hold_one, release_one, requeue_one, expire_one, super()).
 *
 * WHICH QUEUES (Postfix's rules, whatever queues the command names)
 *   delete   every message queue: maildrop incoming active deferred hold; the message's bounce, defer and trace
 *            logfiles are removed first. `ALL` removes every file of the named directories (logfile directories
 *            too) and counts the complete message files.
 *   hold     incoming active deferred -> hold          release  hold -> deferred
 *   requeue  incoming active deferred hold -> maildrop, times set to now (pickup gives it a new queue ID)
 *   expire   incoming active deferred hold: sets the group-execute bit, counted only when it was not set
 *   A per-ID operation looks in the queues in the order given, twice (the message may move meanwhile); a
 *   message that is nowhere is silently not counted, as in Postfix. An ID that fails isValidQueueId() is refused
 *   with `invalid mail queue id: ID` before any path is built.
 *
 * LOCKING (queue_lock.ts). Each message is opened, checked (a regular file whose owner bits are exactly rwx —
 * "complete" — as Postfix's mail_open_ok()), locked exclusively without waiting, re-checked by name (it may have
 * moved between open and lock), then changed, and closed. A message another process holds (the queue manager or a
 * delivery agent that is delivering it) is put aside and the pass goes on; afterwards the put-aside messages are
 * retried every 50 ms until `lockWaitMs` (default 3 s) has passed. One still busy then is changed anyway, with a
 * warning, which is what Postfix does (it never locks): a removed file stays readable by the process that has it
 * open, so a delivery in progress finishes and the queue manager then finds the file gone; a renamed file keeps
 * receiving the delivery agents' status records through their open descriptors, so nothing written is lost and
 * no record is torn.
 *
 * Except in hold: a message is released (-H) or deleted (-d) from hold without opening or locking it — one
 * lstat(2) for the checks, then rename(2) or unlink(2) by name — as Postfix does everywhere. No process but
 * postsuper ever opens a held message for more than reading (qmgr and the delivery agents never look in hold;
 * queue_lock.ts), so there is no lock to respect; a second postsuper that locked the same message just finds
 * it gone when it renames or unlinks it, and does not count it. This makes -H ALL two system calls per message,
 * as Postfix's, instead of seven.
 *
 * Moves never replace an existing file: renameat2(RENAME_NOREPLACE), one atomic call ("File exists" as before).
 * A message that vanishes between the checks and the change (another process moved or removed it) is not
 * counted. Directories whose entries changed are fsynced once, at the end (not once per message): a crash before
 * that may undo some of the moves and removals, but each rename is atomic, so every message is then in exactly
 * one queue — the old or the new — and the next postsuper or qmgr scan finds it there.
 *
 * A per-ID delete removes the message's bounce, defer and trace logfiles first. postkit itself never writes
 * those (a recipient's status is in its queue file); they come from Postfix. So a logfile directory that was
 * empty when first looked at is not tried again for every message (three failed unlinks each).
 *
 * New hash directories are made mode 0700 and, when running as root, given to the owner of the queue's top
 * directory, so that the mail system's processes can use them.
 *
 * Contract: methods never throw for a message that vanished or is busy; they throw `FatalError` for what Postfix
 * treats as fatal (an unknown queue name, a hashed maildrop, an I/O error other than ENOENT). Nothing here
 * prints except warnings (msgWarn) and the per-message callback; the caller prints Postfix's summary lines.
 */
import type { Stats } from "node:fs";
import { nodeFs } from "../sys/node_fs.ts";
import { statPath } from "../sys/libc.ts";
import { dirnamePath as dirname, joinPath as join } from "../sys/posix_path.ts";
import { fsyncDir } from "../fsx/atomic.ts";
import { msgWarn, msgVerbose } from "../log/msg.ts";
import { FatalError } from "../sys/errors.ts";
import { flock, LOCK_EX, LOCK_NB, SysError } from "../sys/libc.ts";
import {
  encodeSafeNumber,
  isCompleteQueueFile,
  isHashedQueue,
  isValidQueueId,
  layoutPath,
  LOGFILE_QUEUES,
  lstatQueuePath,
  renameQueueFileNoReplace,
  unlinkQueuePath,
  openQueueDirHandle,
  closeQueueDirHandle,
  hashDirectories,
  QueueWalker,
  type QueueFileStat,
  longIdSeparator,
  longIdUsec,
  parseQueueId,
  scanQueueFiles,
  shortQueueId,
  type QueueLayout,
  type QueueName,
} from "../queue/index.ts";

/** What an operation does to one message. */
export type AdminOp = "delete" | "hold" | "release" | "requeue" | "expire";

/** postsuper's queue arguments (Postfix's queue_info table) and its default list. */
export const POSTSUPER_QUEUES: readonly QueueName[] = ["maildrop", "incoming", "active", "deferred", "hold", "trace", "defer", "bounce", "flush"];
export const POSTSUPER_DEFAULT_QUEUES: readonly QueueName[] = ["defer", "bounce", "maildrop", "incoming", "active", "deferred", "hold", "flush"];

const MESSAGE_QUEUES: ReadonlySet<string> = new Set(["maildrop", "incoming", "active", "deferred", "hold"]);

/** The queues an operation takes messages from. */
const SOURCES: Readonly<Record<AdminOp, ReadonlySet<string>>> = {
  delete: MESSAGE_QUEUES,
  hold: new Set(["incoming", "active", "deferred"]),
  release: new Set(["hold"]),
  requeue: new Set(["incoming", "active", "deferred", "hold"]),
  expire: new Set(["incoming", "active", "deferred", "hold"]),
};

const TARGET: Partial<Record<AdminOp, QueueName>> = { hold: "hold", release: "deferred", requeue: "maildrop" };

/** Postfix's per-ID stderr text for each operation. */
export const DONE_TEXT: Readonly<Record<AdminOp, string>> = {
  delete: "removed",
  hold: "placed on hold",
  release: "released from hold",
  requeue: "requeued",
  expire: "expired",
};

/** One message acted on (or that would be, in a dry run). */
export interface AdminResult {
  op: AdminOp;
  queueId: string;
  queueName: QueueName;
  /** `done`, `would` (dry run), or `forced` (done without the lock after waiting). */
  result: "done" | "would" | "forced";
}

/** Counters, named after Postfix's summary lines. */
export interface AdminCounts {
  requeued: number;
  deleted: number;
  expired: number;
  held: number;
  released: number;
  renamed: number;
}

/** How the admin works. */
export interface AdminOptions {
  layout: QueueLayout;
  /** Only report what would be done. */
  dryRun?: boolean;
  /** How long to wait for a busy message (default 3000 ms). */
  lockWaitMs?: number;
  /** Act on at most this many messages; further ones are not touched (`limitReached` becomes true). */
  max?: number;
  /** Called for each message acted on. */
  onResult?: (r: AdminResult) => void;
  /** Only messages for which this returns true are acted on (postkit's selectors). */
  filter?: (queueName: QueueName, id: string, path: string) => boolean;
}

type Outcome = "done" | "gone" | "skip" | "busy";

interface Pending {
  op: AdminOp;
  queueName: QueueName;
  id: string;
  path: string;
  /** Remove the logfiles too (per-ID delete). */
  logs: boolean;
}

const ENOENT = 2;
const ENOTDIR = 20;
const EEXIST = 17;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

function code(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

/** Carries out postsuper's operations on one queue directory tree; see the header. */
export class QueueAdmin {
  readonly counts: AdminCounts = { requeued: 0, deleted: 0, expired: 0, held: 0, released: 0, renamed: 0 };
  /** True once `max` stopped an operation. */
  limitReached = false;
  private acted = 0;
  private busy: Pending[] = [];
  private dirtyDirs = new Set<string>();
  private knownDirs = new Set<string>();
  private readonly isRoot = process.getuid?.() === 0;
  private readonly st: QueueFileStat = { mode: 0, size: 0, mtimeSec: 0, uid: 0 };
  /** Logfile queues seen empty (see the header). */
  private readonly emptyLogQueues = new Map<QueueName, boolean>();
  private readonly tops = new Map<QueueName, { path: string; hashed: boolean }>();
  private readonly dirHandles = new Map<string, { dir: string; fd: number }>();
  private readonly now = Math.floor(Date.now() / 1000);

  constructor(private readonly opts: AdminOptions) {}

  private get layout(): QueueLayout {
    return this.opts.layout;
  }

  /** Applies `op` to message `id`, searching `queues` as Postfix does (see the header). */
  one(op: AdminOp, queues: readonly QueueName[], id: string): void {
    if (!isValidQueueId(id)) {
      msgWarn(`invalid mail queue id: ${id}`);
      return;
    }
    const sources = queues.filter((q) => SOURCES[op].has(q));
    for (let tries = 0; tries < (op === "release" ? 1 : 2); tries++) {
      for (const q of sources) {
        if (this.limited()) return;
        const path = layoutPath(this.layout, q, id);
        if (this.opts.filter && !this.passes(q, id, path)) continue;
        const outcome = this.apply({ op, queueName: q, id, path, logs: op === "delete" }, false);
        if (outcome === "done" || outcome === "busy") return;
      }
    }
  }

  private passes(q: QueueName, id: string, path: string): boolean {
    try {
      return this.opts.filter!(q, id, path);
    } catch {
      return false;
    }
  }

  /** Applies `op` to every message of `queues` that it applies to (`postsuper -X ALL`); streams the directories. */
  all(op: AdminOp, queues: readonly QueueName[]): void {
    const wholesale = op === "delete" && !this.opts.filter;
    for (const q of queues) {
      if (!wholesale && !SOURCES[op].has(q)) continue;
      const w = new QueueWalker(this.layout.queueDir, q, { missingOk: true });
      try {
        while (w.next()) {
          if (this.limited()) return;
          const isMessage = MESSAGE_QUEUES.has(q) && isValidQueueId(w.name);
          if (!isMessage) {
            if (wholesale && !this.opts.dryRun) this.removeOther(w.path);
            continue;
          }
          if (this.opts.filter && !this.passes(q, w.name, w.path)) continue;
          this.apply({ op, queueName: q, id: w.name, path: w.path, logs: op === "delete" && !wholesale }, false, w);
        }
      } finally {
        w.close();
      }
    }
  }

  private limited(): boolean {
    if (this.opts.max !== undefined && this.acted >= this.opts.max) {
      this.limitReached = true;
      return true;
    }
    return false;
  }

  private removeOther(path: string): void {
    try {
      const st = nodeFs().lstatSync(path);
      if (st.isDirectory()) return;
      nodeFs().unlinkSync(path);
      this.dirtyDirs.add(dirname(path));
    } catch (e) {
      if (code(e) !== "ENOENT") msgWarn(`remove file ${path}: ${(e as Error).message}`);
    }
  }

  /**
   * Opens, checks, locks and changes one message; `force` acts without the lock when it stays busy. `w`, when
   * the message is the current entry of a walk, lets a held message be dealt with relative to its directory.
   */
  private apply(p: Pending, force: boolean, w?: QueueWalker): Outcome {
    if (p.queueName === "hold" && (p.op === "release" || p.op === "delete")) {
      const outcome = this.applyUnlocked(p, w);
      if (outcome !== undefined) return outcome;
    }
    let fd: number;
    try {
      fd = nodeFs().openSync(p.path, nodeFs().constants.O_RDONLY | nodeFs().constants.O_NOFOLLOW | nodeFs().constants.O_NONBLOCK | 0o2000000);
    } catch (e) {
      const c = code(e);
      if (c === "ENOENT" || c === "ENOTDIR") return "gone";
      if (c === "ELOOP") {
        msgWarn(`${p.path}: not a regular file`);
        return "skip";
      }
      throw new FatalError(`open ${p.path}: ${(e as Error).message}`);
    }
    try {
      const st = nodeFs().fstatSync(fd);
      if (!st.isFile()) {
        msgWarn(`${p.path}: uid ${st.uid}: not a regular file`);
        return "skip";
      }
      if (!isCompleteQueueFile(st.mode)) return "skip";
      if (p.op === "expire" && (st.mode & 0o010) !== 0) return "skip"; // already expired: not counted
      if (this.opts.dryRun) {
        this.finish(p, "would");
        return "done";
      }
      let locked = true;
      try {
        flock(fd, LOCK_EX | LOCK_NB);
      } catch (e) {
        if (!(e instanceof SysError && e.code === "EAGAIN")) throw new FatalError(`lock ${p.path}: ${(e as Error).message}`);
        locked = false;
      }
      if (!locked && !force) {
        this.busy.push(p);
        return "busy";
      }
      if (!this.samePath(p.path, st)) return "gone";
      if (!this.change(p, fd, st.mode)) return "gone";
      this.finish(p, locked ? "done" : "forced");
      return "done";
    } finally {
      nodeFs().closeSync(fd);
    }
  }

  /**
   * apply() for a held message (see the header): lstat instead of open + fstat + lock + re-check, then
   * changeUnlocked(). Undefined when something is unusual (an lstat error, a file that is neither regular nor a
   * symbolic link), for apply() to deal with as it always has.
   */
  private applyUnlocked(p: Pending, w: QueueWalker | undefined): Outcome | undefined {
    const st = this.st;
    const r = w ? w.dir!.statEntry(st) : lstatQueuePath(p.path, st);
    if (r === -ENOENT || r === -ENOTDIR) return "gone";
    if (r !== 0) return undefined;
    const type = st.mode & S_IFMT;
    if (type === S_IFLNK) {
      msgWarn(`${p.path}: not a regular file`); // what open(O_NOFOLLOW) makes apply() say
      return "skip";
    }
    if (type !== S_IFREG) return undefined;
    if (!isCompleteQueueFile(st.mode)) return "skip";
    if (this.opts.dryRun) {
      this.finish(p, "would");
      return "done";
    }
    if (!this.changeUnlocked(p, w)) return "gone";
    this.finish(p, "done");
    return "done";
  }

  /** Releases or deletes a checked held message, relative to the walk's directory when there is one. */
  private changeUnlocked(p: Pending, w: QueueWalker | undefined): boolean {
    if (w === undefined || p.logs) return this.change(p, -1, 0);
    const dir = w.dir!;
    if (p.op === "delete") {
      const r = dir.unlinkEntry();
      if (r === -ENOENT) return false;
      if (r !== 0) return this.change(p, -1, 0); // for node:fs's wording of the error
      this.dirtyDirs.add(w.dirPath);
      return true;
    }
    const to = this.targetDir(TARGET[p.op]!, p.id);
    const r = dir.renameEntry(to.fd, to.dir);
    if (r === -ENOENT && dir.statEntry(this.st) === -ENOENT) return false; // moved or removed meanwhile
    if (r !== 0) return this.change(p, -1, 0); // File exists, or for node:fs's wording of the error
    this.dirtyDirs.add(w.dirPath);
    this.dirtyDirs.add(to.dir);
    return true;
  }

  /**
   * The directory of message `id` in queue `q` (made if missing, as ensureDir()) with a handle for renames into
   * it; kept until sync(), so a bulk move opens each destination directory once.
   */
  private targetDir(q: QueueName, id: string): { dir: string; fd: number } {
    let top = this.tops.get(q);
    if (top === undefined) {
      top = { path: join(this.layout.queueDir, q), hashed: isHashedQueue(q, this.layout.hashQueues) };
      this.tops.set(q, top);
    }
    const dir = top.hashed ? `${top.path}/${hashDirectories(id, this.layout.hashDepth).join("/")}` : top.path;
    let h = this.dirHandles.get(dir);
    if (h === undefined) {
      this.ensureDir(dir);
      h = { dir, fd: openQueueDirHandle(dir) };
      if (h.fd < 0) h.fd = -1; // renameEntry() then uses the path
      this.dirHandles.set(dir, h);
    }
    return h;
  }

  private samePath(path: string, st: Stats): boolean {
    try {
      const now = nodeFs().lstatSync(path);
      return now.ino === st.ino && now.dev === st.dev;
    } catch (e) {
      if (code(e) === "ENOENT") return false;
      throw new FatalError(`stat ${path}: ${(e as Error).message}`);
    }
  }

  private finish(p: Pending, result: AdminResult["result"]): void {
    this.acted++;
    if (result !== "would") {
      const c = this.counts;
      if (p.op === "delete") c.deleted++;
      else if (p.op === "hold") c.held++;
      else if (p.op === "release") c.released++;
      else if (p.op === "requeue") c.requeued++;
      else c.expired++;
    }
    this.opts.onResult?.({ op: p.op, queueId: p.id, queueName: p.queueName, result });
  }

  /** Changes one checked message (`fd` open on it, or -1 for release and delete); false when it vanished meanwhile. */
  private change(p: Pending, fd: number, mode: number): boolean {
    const fail = (what: string, e: unknown): never => {
      throw new FatalError(`${what}: ${(e as Error).message}`);
    };
    if (p.op === "expire") {
      try {
        nodeFs().fchmodSync(fd, (mode & 0o7777) | 0o010);
      } catch (e) {
        fail(`expire file ${p.path}`, e);
      }
      return true;
    }
    if (p.op === "delete") {
      if (p.logs) {
        for (const lq of LOGFILE_QUEUES) {
          if (this.logQueueEmpty(lq)) continue;
          const log = layoutPath(this.layout, lq, p.id);
          const r = unlinkQueuePath(log);
          if (r === 0) this.dirtyDirs.add(dirname(log));
          else if (r !== -ENOENT && r !== -ENOTDIR) {
            try {
              nodeFs().unlinkSync(log); // for node:fs's wording of the error (or a success the second time)
              this.dirtyDirs.add(dirname(log));
            } catch (e) {
              if (code(e) !== "ENOENT" && code(e) !== "ENOTDIR") fail(`remove file ${log}`, e);
            }
          }
        }
      }
      const r = unlinkQueuePath(p.path);
      if (r === -ENOENT) return false;
      if (r !== 0) {
        try {
          nodeFs().unlinkSync(p.path);
        } catch (e) {
          if (code(e) === "ENOENT") return false;
          fail(`remove file ${p.path}`, e);
        }
      }
      this.dirtyDirs.add(dirname(p.path));
      return true;
    }
    const dst = layoutPath(this.layout, TARGET[p.op]!, p.id);
    if (p.op === "requeue") {
      try {
        nodeFs().futimesSync(fd, this.now, this.now);
      } catch (e) {
        msgWarn(`${dst}: reset time stamps: ${(e as Error).message}`);
      }
    }
    this.ensureDir(dirname(dst));
    const r = renameQueueFileNoReplace(p.path, dst);
    if (r === -EEXIST) fail(`rename file ${p.path} as ${dst}`, new Error("File exists"));
    if (r === -ENOENT && lstatQueuePath(p.path, this.st) === -ENOENT) return false; // moved or removed meanwhile
    if (r !== 0) {
      // no RENAME_NOREPLACE here, or a failure: check, then rename, and let node:fs word the error
      try {
        nodeFs().lstatSync(dst);
        fail(`rename file ${p.path} as ${dst}`, new Error("File exists"));
      } catch (e) {
        if (e instanceof FatalError) throw e;
        if (code(e) !== "ENOENT") fail(`stat ${dst}`, e);
      }
      try {
        nodeFs().renameSync(p.path, dst);
      } catch (e) {
        fail(`rename file ${p.path} as ${dst}`, e);
      }
    }
    this.dirtyDirs.add(dirname(p.path));
    this.dirtyDirs.add(dirname(dst));
    return true;
  }

  /** True when logfile queue `lq` was empty when first looked at (see the header). */
  private logQueueEmpty(lq: QueueName): boolean {
    let empty = this.emptyLogQueues.get(lq);
    if (empty === undefined) {
      // the first file found, if any (hash directories are descended into; the walk stops there)
      const walk = scanQueueFiles(this.layout.queueDir, lq, { missingOk: true });
      try {
        empty = walk.next().done === true;
      } catch {
        empty = false; // unreadable: try each logfile, as before
      } finally {
        walk.return(undefined);
      }
      this.emptyLogQueues.set(lq, empty);
    }
    return empty;
  }

  /** Makes the hash directories above a destination, owned like the queue's top directory when we are root. */
  private ensureDir(dir: string): void {
    if (this.knownDirs.has(dir)) return;
    const missing: string[] = [];
    for (let d = dir; d.length > this.layout.queueDir.length; d = dirname(d)) {
      try {
        statPath(d, false);
        break;
      } catch (e) {
        if (code(e) !== "ENOENT") throw new FatalError(`stat ${d}: ${(e as Error).message}`);
        missing.unshift(d);
      }
    }
    for (const d of missing) {
      try {
        nodeFs().mkdirSync(d, { mode: 0o700 });
      } catch (e) {
        if (code(e) !== "EEXIST") throw new FatalError(`create directory ${d}: ${(e as Error).message}`);
        continue;
      }
      if (this.isRoot) {
        try {
          const top = nodeFs().lstatSync(dirname(d));
          nodeFs().chownSync(d, top.uid, top.gid);
        } catch {
          // best effort: the directory is usable by root
        }
      }
      this.dirtyDirs.add(dirname(d));
    }
    this.knownDirs.add(dir);
  }

  /**
   * Retries the messages that were busy, every 50 ms until the lock wait is over, then acts on those still busy
   * without the lock (see the header). Call after a batch of one()/all() calls.
   */
  async settle(): Promise<void> {
    const deadline = Date.now() + (this.opts.lockWaitMs ?? 3000);
    while (this.busy.length > 0) {
      const waiting = this.busy;
      this.busy = [];
      const last = Date.now() >= deadline;
      for (const p of waiting) {
        if (this.limited()) {
          this.busy = [];
          return;
        }
        if (last) {
          msgWarn(`${p.id}: still in use by another process after ${((this.opts.lockWaitMs ?? 3000) / 1000).toFixed(0)}s -- proceeding without the lock`);
        }
        const outcome = this.apply(p, last);
        if (outcome === "gone" && p.op !== "release") {
          // it moved while we waited: look for it again, as a per-ID operation would
          this.one(p.op, POSTSUPER_DEFAULT_QUEUES.filter((q) => q !== p.queueName), p.id);
        }
      }
      if (this.busy.length > 0) await Bun.sleep(50);
    }
    this.sync();
  }

  /** fsyncs the directories changed so far. */
  sync(): void {
    for (const h of this.dirHandles.values()) closeQueueDirHandle(h.fd);
    this.dirHandles.clear();
    for (const d of this.dirtyDirs) {
      try {
        fsyncDir(d);
      } catch (e) {
        if (code(e) !== "ENOENT") msgWarn(`fsync directory ${d}: ${(e as Error).message}`);
      }
    }
    this.dirtyDirs.clear();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Repair: -s (structure) and -p (purge)

  /**
   * Postfix's repair pass over `queues`: moves files to the hash directory the current settings want, removes
   * hash directories that are no longer wanted and directories that do not belong, removes non-regular files,
   * renames message files whose names do not match their inode (two passes through `NEWID#FIX`; long IDs only
   * with `redundant`, or when long IDs are turned off), and with `purge` removes incomplete message files older
   * than 7 days. Returns the number of inode mismatches found (the caller runs a second pass when > 0).
   */
  repair(queues: readonly QueueName[], how: { struct: boolean; redundant: boolean; purge: boolean }): number {
    let mismatches = 0;
    for (const q of queues) {
      if (q === "maildrop" && isHashedQueue(q, this.layout.hashQueues)) throw new FatalError("maildrop queue must not be hashed");
      const isMsg = MESSAGE_QUEUES.has(q);
      msgVerbose(`queue: ${q}`);
      for (const ent of scanQueueFiles(this.layout.queueDir, q, { missingOk: true })) {
        let st: Stats;
        try {
          st = nodeFs().lstatSync(ent.path);
        } catch {
          continue;
        }
        if (q === "maildrop" && dirname(ent.path) !== join(this.layout.queueDir, "maildrop")) continue; // never below maildrop
        if (st.isDirectory()) continue;
        let path = ent.path;
        let name = ent.name;
        if (!st.isFile() || (how.purge && isMsg && !isCompleteQueueFile(st.mode) && this.now > st.mtimeMs / 1000 + 7 * 86400)) {
          this.unlinkQuietly(path);
          continue;
        }
        if (how.struct && name.endsWith("#FIX")) {
          name = name.slice(0, -4);
          if (!isValidQueueId(name)) {
            msgWarn(`bogus file name: ${path}`);
            continue;
          }
          if (isMsg) {
            const parsed = parseQueueId(name);
            if (!parsed) {
              msgWarn(`bogus file name: ${path}`);
              continue;
            }
            if (parsed.inode !== BigInt(st.ino)) {
              msgWarn(`name/inode mismatch: ${path}`);
              continue;
            }
          }
          const wanted = layoutPath(this.layout, q, name);
          if (!this.renameQuietly(path, wanted)) continue;
          if (isMsg) this.counts.renamed++;
          path = wanted;
        }
        if (!isValidQueueId(name)) {
          msgWarn(`bogus file name: ${path}`);
          continue;
        }
        if (how.struct && isMsg) {
          const parsed = parseQueueId(name);
          if (!parsed) {
            msgWarn(`bogus file name: ${path}`);
            continue;
          }
          const long = parsed.form === "long";
          if ((long && !this.layout.longIds) || (parsed.inode !== BigInt(st.ino) && (!long || how.redundant))) {
            mismatches++;
            this.fixQueueId(path, q, name, BigInt(st.ino));
            continue;
          }
        }
        if (how.struct) {
          const wanted = layoutPath(this.layout, q, name);
          if (wanted !== path) this.renameQuietly(path, wanted);
        }
      }
      if (how.struct) this.pruneDirectories(q);
    }
    this.sync();
    return mismatches;
  }

  private fixQueueId(path: string, q: QueueName, id: string, inode: bigint): void {
    const z = longIdSeparator(id);
    let newId: string;
    if (z < 0) newId = id.slice(0, 5) + inode.toString(16).toUpperCase();
    else if (this.layout.longIds) newId = `${id.slice(0, z)}z${encodeSafeNumber(inode, 51)}`;
    else newId = shortQueueId(longIdUsec(id, z), inode);
    for (const lq of LOGFILE_QUEUES) this.renameQuietly(layoutPath(this.layout, lq, id), `${layoutPath(this.layout, lq, newId)}#FIX`, true);
    this.renameQuietly(path, `${layoutPath(this.layout, q, newId)}#FIX`);
  }

  /** Removes hash directories deeper than wanted (when empty) and directories whose names are not hash levels. */
  private pruneDirectories(q: QueueName): void {
    const wanted = isHashedQueue(q, this.layout.hashQueues) ? this.layout.hashDepth : 0;
    const walk = (dir: string, depth: number): void => {
      let names: string[];
      try {
        names = nodeFs().readdirSync(dir);
      } catch {
        return;
      }
      for (const n of names) {
        const p = join(dir, n);
        let st: Stats;
        try {
          st = nodeFs().lstatSync(p);
        } catch {
          continue;
        }
        if (!st.isDirectory()) continue;
        if (n.length !== 1 || q === "maildrop") {
          this.rmdirQuietly(p, true);
          continue;
        }
        walk(p, depth + 1);
        if (depth + 1 > wanted) this.rmdirQuietly(p, false);
      }
    };
    walk(join(this.layout.queueDir, q), 0);
  }

  private rmdirQuietly(p: string, alien: boolean): void {
    try {
      nodeFs().rmdirSync(p);
      this.dirtyDirs.add(dirname(p));
      msgVerbose(`remove subdirectory ${p}`);
    } catch (e) {
      if (alien && code(e) !== "ENOENT") msgWarn(`remove subdirectory ${p}: ${(e as Error).message}`);
    }
  }

  private unlinkQuietly(p: string): void {
    try {
      nodeFs().unlinkSync(p);
      this.dirtyDirs.add(dirname(p));
      msgVerbose(`removed file ${p}`);
    } catch (e) {
      if (code(e) !== "ENOENT") throw new FatalError(`remove file ${p}: ${(e as Error).message}`);
    }
  }

  private renameQuietly(from: string, to: string, missingOk = false): boolean {
    this.ensureDir(dirname(to));
    try {
      nodeFs().renameSync(from, to);
    } catch (e) {
      if (code(e) === "ENOENT" && missingOk) return false;
      if (code(e) === "ENOENT") return false;
      throw new FatalError(`rename file ${from} as ${to}: ${(e as Error).message}`);
    }
    this.dirtyDirs.add(dirname(from));
    this.dirtyDirs.add(dirname(to));
    msgVerbose(`renamed file ${from} as ${to}`);
    return true;
  }
}
