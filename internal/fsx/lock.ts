/**
 * lock — exclusive locks on mailbox-style files the way Postfix's local(8) and postlock(1) take them, and the
 * flock-held pid file of the master.
 *
 * Lock styles (any combination, as in `mailbox_delivery_lock`; Postfix's Linux default is "fcntl, dotlock"):
 *   dotlock  a `FILE.lock` beside the file, created with O_CREAT|O_EXCL. Postfix leaves it empty with mode 0; we
 *            write `PID\n` into it with mode 0644, as liblockfile (dotlockfile, mutt, procmail) writes and reads
 *            it. Like Postfix, we never look at the pid of somebody else's lock: a lock file is removed only when
 *            its ctime is more than `staleTime` seconds old (stale_lock_time), even when its pid is dead.
 *   flock    flock(2) LOCK_EX on the open file.
 *   fcntl    an exclusive fcntl(2) record lock on the whole file, as an OFD lock (F_OFD_SETLK): it conflicts with
 *            classic POSIX locks (lockf, Postfix, mutt) but, unlike them, is not dropped when some other
 *            descriptor of the same file in this process is closed.
 * The order is Postfix's, whatever the order of the list: the dot lock first (before the file is opened, and only
 * when the path is a regular file or does not exist), then flock, then fcntl (kernel locks only on regular files).
 * Release goes in reverse: fcntl, flock, close, remove the dot lock.
 *
 * Every kernel lock attempt is non-blocking. Each lock is tried up to `attempts` times (deliver_lock_attempts);
 * between tries the caller's event loop keeps running while a timer waits a random time in `delay` ± 25 %
 * (deliver_lock_delay, in seconds; fractions allowed), as Postfix's rand_sleep() does. No blocking call is ever
 * made on the main thread.
 *
 * Contract: failures throw `LockError` whose message is Postfix's reason text (what postlock prints after
 * `open file FILE: `, and local(8) after its mailbox text):
 *   unable to create lock file FILE.lock: File exists             code "busy"  (dot lock held by someone else)
 *   unable to lock for exclusive access: Resource temporarily unavailable   code "busy"  (kernel lock held)
 *   cannot open file: Is a directory / file has 2 hard links / ...         code "error"
 * `code` is "busy" when the attempts ran out on a held lock and "error" otherwise; `temporary` is true for busy and
 * for errors a later retry may cure (EAGAIN, ESTALE, ENOSPC; what Postfix's mbox_dsn() maps to 4.x.x); `errno`
 * names the system error behind the text. Nothing here logs (warnings go to the caller's `onWarning`), reads
 * configuration or exits.
 *
 * Postfix: src/global/mbox_open.c, dot_lockfile.c, deliver_flock.c, mbox_conf.c; src/util/safe_open.c,
 * myflock.c, open_lock.c (the master's pid file). See also: cmd/postlock.ts, ../sys/libc.ts.
 * @module
 */
import { closeSync, constants, fchownSync, fstatSync, ftruncateSync, lstatSync, openSync, statSync, unlinkSync, writeSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PostkitError } from "../sys/errors.ts";
import { errnoCode, errnoText } from "../sys/errno.ts";
import { fcntlLock, flock, F_RDLCK, F_UNLCK, F_WRLCK, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN } from "../sys/libc.ts";

/** A mailbox lock style, spelled as in `mailbox_delivery_lock` and `postconf -l`. */
export type LockStyle = "flock" | "fcntl" | "dotlock";

/** A kernel lock style (one that locks an open descriptor). */
export type KernelLockStyle = "flock" | "fcntl";

/** The styles this system supports, in `postconf -l` order. */
export const LOCK_STYLES: readonly LockStyle[] = ["flock", "fcntl", "dotlock"];

/** Postfix's Linux default for mailbox_delivery_lock. */
export const DEFAULT_MAILBOX_LOCK = "fcntl, dotlock";

/** How hard to try: deliver_lock_attempts, deliver_lock_delay and stale_lock_time, in seconds. */
export interface LockRetry {
  /** Tries per lock (at least 1). */
  attempts: number;
  /** Mean wait between tries, seconds; the real wait is random within ±25 %. 0 retries at once. */
  delay: number;
  /** A dot lock whose ctime is older than this many seconds is removed. */
  staleTime: number;
}

/** Why a lock could not be taken. */
export class LockError extends PostkitError {
  constructor(
    message: string,
    /** "busy": held by someone else after all attempts; "error": anything else. */
    readonly code: "busy" | "error",
    /** The errno name behind the failure (EEXIST, EAGAIN, EACCES …), when there is one. */
    readonly errno?: string,
  ) {
    super(message, { temporary: code === "busy" || (errno !== undefined && TEMPORARY_ERRNOS.has(errno)) });
  }
}

/** Errors a later retry may cure (Postfix's mbox_dsn(): 4.2.0 and 4.3.0). */
const TEMPORARY_ERRNOS = new Set(["EAGAIN", "EWOULDBLOCK", "ESTALE", "ENOSPC"]);

/**
 * Parses a `mailbox_delivery_lock` value (names separated by commas or white space) into styles, in
 * `postconf -l` order; an unknown name throws LockError with Postfix's text
 * `unknown mailbox_delivery_lock value "bogus" in "flock, bogus"`. Names are case-sensitive, as in Postfix.
 */
export function parseLockStyles(value: string, context = "mailbox_delivery_lock"): LockStyle[] {
  const seen = new Set<LockStyle>();
  for (const name of value.split(/[\s,]+/)) {
    if (name === "") continue;
    if (!(LOCK_STYLES as readonly string[]).includes(name)) {
      throw new LockError(`unknown ${context} value "${name}" in "${value}"`, "error");
    }
    seen.add(name as LockStyle);
  }
  return LOCK_STYLES.filter((s) => seen.has(s));
}

// ---------------------------------------------------------------------------------------------------------------
// Kernel locks on a descriptor (Postfix's myflock + deliver_flock).

/** One non-blocking attempt; returns the errno name of a failure, EAGAIN when the lock is held. */
function kernelLockOnce(fd: number, style: KernelLockStyle, op: "exclusive" | "shared" | "unlock"): string | undefined {
  for (;;) {
    try {
      if (style === "flock") flock(fd, op === "unlock" ? LOCK_UN : (op === "shared" ? LOCK_SH : LOCK_EX) | LOCK_NB);
      else fcntlLock(fd, op === "unlock" ? F_UNLCK : op === "shared" ? F_RDLCK : F_WRLCK);
      return undefined;
    } catch (e) {
      const code = errnoCode(e) ?? "EIO";
      if (code === "EINTR") continue;
      // some systems answer EACCES for a held fcntl lock; Postfix folds both into EAGAIN
      return code === "EWOULDBLOCK" || code === "EACCES" ? "EAGAIN" : code;
    }
  }
}

/**
 * Tries once, without waiting, to lock descriptor `fd` (exclusive unless `shared`). Returns false when someone
 * else holds a conflicting lock; throws LockError for any other failure. The synchronous building block for
 * lock files that are tested rather than waited for (pid files, queue files).
 */
export function tryLockDescriptor(fd: number, style: KernelLockStyle, shared = false): boolean {
  const err = kernelLockOnce(fd, style, shared ? "shared" : "exclusive");
  if (err === undefined) return true;
  if (err === "EAGAIN") return false;
  throw new LockError(`unable to lock for ${shared ? "shared" : "exclusive"} access: ${errnoName(err)}`, "error", err);
}

/** Releases a lock taken on `fd` with tryLockDescriptor() or lockDescriptor(); closing `fd` does the same. */
export function unlockDescriptor(fd: number, style: KernelLockStyle): void {
  kernelLockOnce(fd, style, "unlock");
}

/** strerror() text for an errno name; an unknown name stands for itself. */
function errnoName(code: string | undefined): string {
  const c = code ?? "EIO";
  return errnoText(Object.assign(new Error(c), { code: c }));
}

/** Waits a random time in delay ± 25 %, without blocking the event loop (Postfix's rand_sleep). */
async function lockDelay(delay: number): Promise<void> {
  const ms = delay * 1000 * (0.75 + Math.random() / 2);
  await sleep(ms > 0 ? ms : 0);
}

/**
 * Locks descriptor `fd` for exclusive access with up to `retry.attempts` non-blocking tries (deliver_flock).
 * Throws LockError `unable to lock for exclusive access: Resource temporarily unavailable` (code "busy") when the
 * lock stays held; like Postfix, every kind of failure is retried.
 */
export async function lockDescriptor(fd: number, style: KernelLockStyle, retry: LockRetry): Promise<void> {
  const attempts = Math.max(1, Math.floor(retry.attempts));
  let err: string | undefined;
  for (let i = 1; ; i++) {
    err = kernelLockOnce(fd, style, "exclusive");
    if (err === undefined) return;
    if (i >= attempts) break;
    await lockDelay(retry.delay);
  }
  throw new LockError(`unable to lock for exclusive access: ${errnoName(err)}`, err === "EAGAIN" ? "busy" : "error", err);
}

// ---------------------------------------------------------------------------------------------------------------
// Dot locks (Postfix's dot_lockfile).

/** The dot-lock file name for `path`. */
export function dotLockPath(path: string): string {
  return `${path}.lock`;
}

/** One attempt to create `lock` holding our pid; returns the errno name of a failure. */
function createDotLock(lock: string): string | undefined {
  let fd: number;
  try {
    // O_CREAT|O_EXCL never follows a symlink, and is atomic on local file systems
    fd = openSync(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (e) {
    return errnoCode(e) ?? "EIO";
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } catch {
    // an empty lock file is still a lock (Postfix writes nothing); the pid is only a courtesy to liblockfile
  } finally {
    closeSync(fd);
  }
  return undefined;
}

/**
 * Creates `path.lock` (dot_lockfile): up to `retry.attempts` tries, removing a lock whose ctime is older than
 * `retry.staleTime` seconds between tries. Only "file exists" is retried. Throws LockError
 * `unable to create lock file PATH.lock: File exists` (code "busy") or with the other error's text.
 */
export async function dotLockFile(path: string, retry: LockRetry & { runAs?: <T>(fn: () => T) => T }): Promise<void> {
  const lock = dotLockPath(path);
  const attempts = Math.max(1, Math.floor(retry.attempts));
  const runAs = retry.runAs ?? ((fn) => fn());
  let err: string | undefined;
  for (let i = 1; ; i++) {
    err = runAs(() => createDotLock(lock));
    if (err === undefined) return;
    if (i >= attempts || err !== "EEXIST") break;
    // Break the lock when it is too old. Postfix judges by ctime only: a dead holder's pid is no reason.
    const broken = runAs((): string | undefined => {
      let st: Stats | undefined;
      try {
        st = statSync(lock);
      } catch {
        // gone meanwhile: just try again
      }
      if (st && Date.now() > st.ctimeMs + retry.staleTime * 1000) {
        try {
          unlinkSync(lock);
        } catch (e) {
          const code = errnoCode(e);
          if (code !== "ENOENT") return code ?? "EIO";
        }
      }
      return undefined;
    });
    if (broken !== undefined) {
      err = broken;
      break;
    }
    await lockDelay(retry.delay);
  }
  throw new LockError(`unable to create lock file ${lock}: ${errnoName(err)}`, err === "EEXIST" ? "busy" : "error", err);
}

/** Removes `path.lock` (dot_unlockfile); a missing lock file is not an error. */
export function dotUnlockFile(path: string): void {
  try {
    unlinkSync(dotLockPath(path));
  } catch {
    // already gone, or not ours to remove: Postfix ignores this too
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Careful open (Postfix's safe_open).

/** A failed careful open: throws LockError code "error" with safe_open()'s reason text. */
function openFailure(text: string, errno: string): never {
  throw new LockError(text, "error", errno);
}

/** safe_open_exist - open an existing file that must be a single-link non-directory, and no symlink trick */
function safeOpenExist(path: string, flags: number): { fd: number; st: Stats } {
  let fd: number;
  try {
    fd = openSync(path, flags & ~(constants.O_CREAT | constants.O_EXCL));
  } catch (e) {
    openFailure(`cannot open file: ${errnoText(e)}`, errnoCode(e) ?? "EIO");
  }
  try {
    const st = fstatSync(fd);
    if (st.nlink !== 1) openFailure(`file has ${st.nlink} hard links`, "EPERM");
    if (st.isDirectory()) openFailure("file is a directory", "EISDIR");
    let lst: Stats;
    try {
      lst = lstatSync(path);
    } catch (e) {
      openFailure(`file status changed unexpectedly: ${errnoText(e)}`, "EPERM");
    }
    if (lst.isSymbolicLink()) {
      // A symlink is trusted only when root owns it and its directory, and nobody else can write there.
      let parentOk = false;
      if (lst.uid === 0) {
        try {
          const pst = statSync(dirname(path));
          parentOk = pst.uid === 0 && (pst.mode & 0o022) === 0;
        } catch {
          parentOk = false;
        }
      }
      if (!parentOk) openFailure("file is a symbolic link", "EPERM");
    } else if (st.dev !== lst.dev || st.ino !== lst.ino || st.nlink !== lst.nlink || st.mode !== lst.mode) {
      openFailure("file status changed unexpectedly", "EPERM");
    }
    return { fd, st };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** safe_open_create - create a new file exclusively, optionally owned by uid/gid */
function safeOpenCreate(path: string, flags: number, mode: number, owner?: { uid: number; gid: number }): { fd: number; st: Stats } {
  let fd: number;
  try {
    fd = openSync(path, flags | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (e) {
    openFailure(`cannot create file exclusively: ${errnoText(e)}`, errnoCode(e) ?? "EIO");
  }
  try {
    if (owner) {
      try {
        fchownSync(fd, owner.uid, owner.gid);
      } catch (e) {
        openFailure(`cannot change file ownership: ${errnoText(e)}`, errnoCode(e) ?? "EIO");
      }
    }
    return { fd, st: fstatSync(fd) };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** safe_open - open an existing file carefully, or (with O_CREAT) create it when it does not exist */
function safeOpen(path: string, flags: number, mode: number, owner?: { uid: number; gid: number }): { fd: number; st: Stats } {
  if (flags & constants.O_EXCL) return safeOpenCreate(path, flags, mode, owner);
  if (!(flags & constants.O_CREAT)) return safeOpenExist(path, flags);
  try {
    return safeOpenExist(path, flags);
  } catch (e) {
    if (!(e instanceof LockError) || e.errno !== "ENOENT") throw e;
  }
  try {
    return safeOpenCreate(path, flags, mode, owner);
  } catch (e) {
    if (!(e instanceof LockError) || e.errno !== "EEXIST") throw e;
  }
  return safeOpenExist(path, flags);
}

// ---------------------------------------------------------------------------------------------------------------
// The whole mailbox dance (Postfix's mbox_open / mbox_release).

/** What openLockedFile() needs besides the retry settings. */
export interface OpenLockOptions extends LockRetry {
  /** The lock styles to take (from parseLockStyles()); order does not matter. */
  styles: Iterable<LockStyle>;
  /** open(2) flags; default O_APPEND|O_WRONLY|O_CREAT (O_NONBLOCK is always added, against FIFOs). */
  flags?: number;
  /** Mode of a file created here; default 0600. */
  mode?: number;
  /** Owner given to a file created here. */
  owner?: { uid: number; gid: number };
  /** A dot lock that cannot be created for a reason other than "file exists" only warns (local(8)'s file delivery). */
  dotlockMayFail?: boolean;
  /** Receives warnings (Postfix's msg_warn() texts); default: dropped. */
  onWarning?: (text: string) => void;
  /**
   * Runs each synchronous file-system step (dot lock create/stat/remove, careful open) and the removal of the dot
   * lock at release; a privileged caller passes a function that takes the recipient's rights around `fn`
   * (Postfix's set_eugid() around mbox_open(); see internal/mailbox/identity.ts). Waiting between attempts
   * happens outside it. Default: call `fn` as is.
   */
  runAs?: <T>(fn: () => T) => T;
}

/** An open, locked file. Release it exactly once; release() is idempotent. */
export class LockedFile {
  private released = false;
  constructor(
    readonly path: string,
    /** The open descriptor (close-on-exec); closed by release(). */
    readonly fd: number,
    /** File status after locking. */
    readonly stat: Stats,
    /** The locks actually held, in the order they were taken. */
    readonly held: readonly LockStyle[],
    private readonly runAs: <T>(fn: () => T) => T = (fn) => fn(),
  ) {}

  /** Drops the locks in reverse order (fcntl, flock), closes the file, then removes the dot lock. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const style of [...this.held].reverse()) {
      if (style !== "dotlock") unlockDescriptor(this.fd, style);
    }
    try {
      closeSync(this.fd);
    } catch {
      // closing can only fail for a descriptor that is already gone
    }
    if (this.held.includes("dotlock")) this.runAs(() => dotUnlockFile(this.path));
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * Opens `path` and locks it for exclusive access with the given styles, as Postfix's mbox_open(): dot lock,
 * careful open (creating the file when flags include O_CREAT), flock, fcntl, then a check that the file still has
 * exactly one link. Throws LockError (see the module header); on failure nothing stays locked or open.
 */
export async function openLockedFile(path: string, opts: OpenLockOptions): Promise<LockedFile> {
  const styles = new Set(opts.styles);
  const flags = (opts.flags ?? constants.O_APPEND | constants.O_WRONLY | constants.O_CREAT) | constants.O_NONBLOCK;
  const held: LockStyle[] = [];
  const runAs = opts.runAs ?? ((fn) => fn());

  // The dot lock comes before the open; stat() follows symlinks, so /dev/null never gets a /dev/null.lock.
  if (styles.has("dotlock") && runAs(() => isRegularOrMissing(path))) {
    try {
      await dotLockFile(path, opts);
      held.push("dotlock");
    } catch (e) {
      if (!(e instanceof LockError) || e.code === "busy" || !opts.dotlockMayFail) throw e;
      opts.onWarning?.(e.message);
    }
  }
  const dropDotLock = () => {
    if (held.includes("dotlock")) runAs(() => dotUnlockFile(path));
  };

  let fd: number;
  let st: Stats;
  try {
    ({ fd, st } = runAs(() => safeOpen(path, flags, opts.mode ?? 0o600, opts.owner)));
  } catch (e) {
    dropDotLock();
    throw e;
  }

  try {
    if (st.isFile()) {
      for (const style of ["flock", "fcntl"] as const) {
        if (!styles.has(style)) continue;
        await lockDescriptor(fd, style, opts);
        held.push(style);
      }
      // Some POP servers replace the mailbox instead of rewriting it; a changed link count betrays that.
      st = fstatSync(fd);
      if (st.nlink !== 1) {
        opts.onWarning?.(`${path}: file status changed unexpectedly`);
        throw new LockError("target file status changed unexpectedly", "error", "EAGAIN");
      }
    }
  } catch (e) {
    closeSync(fd); // drops any kernel lock taken so far
    dropDotLock();
    throw e;
  }
  return new LockedFile(path, fd, st, held, runAs);
}

/** stat() of a path that is a regular file or does not exist (the only paths that get a dot lock). */
function isRegularOrMissing(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Pid files (Postfix's open_lock, as the master uses it for pid/master.pid).

/** A pid file held with an exclusive flock for as long as it stays open. */
export interface PidFile {
  readonly path: string;
  readonly fd: number;
  /** Closes the file, which drops the lock; the file itself stays, as Postfix leaves it. */
  release(): void;
}

/** The pid file content: the pid right-aligned in 32 columns (4 × sizeof(long)), then a newline (33 bytes). */
export function formatPidFile(pid: number): string {
  return `${String(pid).padStart(32)}\n`;
}

/**
 * Opens (creating, mode 0600) and flock-locks `path` without waiting, then writes our pid in Postfix's format.
 * Throws LockError `unable to set exclusive lock: Resource temporarily unavailable` (code "busy") when another
 * process holds it, or the careful-open reason (`cannot open file: …`). The master prints these after
 * `open lock file PATH: `. Synchronous: it is one attempt.
 */
export function lockPidFile(path: string, pid: number = process.pid): PidFile {
  const { fd } = safeOpen(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    let got: boolean;
    try {
      got = tryLockDescriptor(fd, "flock");
    } catch (e) {
      const code = e instanceof LockError ? e.errno : undefined;
      throw new LockError(`unable to set exclusive lock: ${errnoName(code)}`, "error", code);
    }
    if (!got) throw new LockError(`unable to set exclusive lock: ${errnoName("EAGAIN")}`, "busy", "EAGAIN");
    const text = Buffer.from(formatPidFile(pid));
    try {
      writeSync(fd, text, 0, text.length, 0);
      ftruncateSync(fd, text.length);
    } catch (e) {
      throw new LockError(`cannot update lock file ${path}: ${errnoText(e)}`, "error", errnoCode(e));
    }
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  let open = true;
  return {
    path,
    fd,
    release() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}

/**
 * The answer of `master -t`: false when `path` does not exist or can be locked right now (the lock is dropped at
 * once), true when another process holds it or it cannot be opened.
 */
export function isPidFileLocked(path: string): boolean {
  let fd: number;
  try {
    fd = safeOpen(path, constants.O_RDWR, 0).fd;
  } catch (e) {
    return !(e instanceof LockError && e.errno === "ENOENT");
  }
  try {
    return !tryLockDescriptor(fd, "flock");
  } catch {
    return true;
  } finally {
    closeSync(fd);
  }
}

/** The pid in the text of a pid file, or undefined when it holds no number. */
export function readPidFile(text: string): number | undefined {
  const m = /^\s*(\d+)\s*$/.exec(text);
  return m ? Number(m[1]) : undefined;
}
