/**
 * libc — the few libc calls that node:fs and Bun do not offer, reached through Bun's FFI (ffi.ts).
 *
 * open/read/write/close for the start-up path of one-shot tools (importing node:fs starts helper threads and
 * costs about a millisecond, a third of a whole Postfix postlog run), and the file operations of a submission
 * (statx, pwrite, fsync, fchmod, renameat2 without replacing, unlink: sendmail writes its queue file without
 * node:fs), gethostname(2),
 * flock(2), fcntl(2) with OFD record locks (classic POSIX locks vanish when any descriptor of the file is closed,
 * so only F_OFD_* are exposed), mkfifo(3), syncfs(2), prctl(PR_SET_NAME), and AF_UNIX datagram sockets for
 * syslog(3)'s /dev/log. Every call is non-blocking or short; none of them waits for a lock (callers retry on a
 * timer, as Postfix's deliver_lock_attempts does).
 *
 * Contract: functions return 0 or a descriptor on success and throw `SysError` (with the errno name in `code`)
 * on failure. libc is opened on first use, so tools that never lock or log to syslog pay nothing at start-up.
 */
import { dlopen, FFIType, ptr, read, CString } from "./ffi.ts";
import { PostkitError } from "./errors.ts";

/** A failed system call: `code` is the errno name (EAGAIN, ENOENT …), `errno` the number. */
export class SysError extends PostkitError {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    readonly code: string,
    text: string,
  ) {
    super(`${syscall}: ${text}`, { temporary: errno === 11 || errno === 4 });
  }
}

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 4: "EINTR", 5: "EIO", 6: "ENXIO", 9: "EBADF", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 32: "EPIPE",
  36: "ENAMETOOLONG", 40: "ELOOP", 24: "EMFILE", 27: "EFBIG", 31: "EMLINK",
  17: "EEXIST", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL", 28: "ENOSPC", 30: "EROFS", 35: "EDEADLK",
  88: "ENOTSOCK", 16: "EBUSY", 18: "EXDEV", 38: "ENOSYS", 39: "ENOTEMPTY", 91: "EPROTOTYPE", 97: "EAFNOSUPPORT",
  111: "ECONNREFUSED", 107: "ENOTCONN",
};

// Groups, each opened on first use: the FFI compiles a trampoline per symbol and each dlopen() costs ~0.15 ms, so
// the core group holds exactly what a one-shot tool needs (read a file, append a dated line, isatty, _exit) and a tool
// that only does that opens nothing else. errno is read right after a failed call, so __errno_location is in
// every group's company: a dlopen() in between could overwrite it.
let core: ReturnType<typeof openCore> | undefined;
let extra: ReturnType<typeof openExtra> | undefined;

function openCore() {
  return dlopen("libc.so.6", {
    __errno_location: { args: [], returns: FFIType.ptr },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    open: { args: [FFIType.cstring, FFIType.i32, FFIType.u32], returns: FFIType.i32 },
    read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
    write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
    isatty: { args: [FFIType.i32], returns: FFIType.i32 },
    _exit: { args: [FFIType.i32], returns: FFIType.void },
    localtime_r: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.ptr },
  }).symbols;
}

let misc: ReturnType<typeof openMisc> | undefined;

function openMisc() {
  return dlopen("libc.so.6", {
    strerror: { args: [FFIType.i32], returns: FFIType.ptr },
    gethostname: { args: [FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
    poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  }).symbols;
}

function libm() {
  return (misc ??= (libc(), openMisc()));
}

function openExtra() {
  return dlopen("libc.so.6", {
    flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    mkfifo: { args: [FFIType.cstring, FFIType.u32], returns: FFIType.i32 },
    syncfs: { args: [FFIType.i32], returns: FFIType.i32 },
    prctl: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
  }).symbols;
}

// The file operations of a submission (sendmail writes one queue file): opened only by tools that write files.
let files: ReturnType<typeof openFiles> | undefined;

function openFiles() {
  return dlopen("libc.so.6", {
    statx: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.u32, FFIType.ptr], returns: FFIType.i32 },
    pwrite: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i64], returns: FFIType.i64 },
    fsync: { args: [FFIType.i32], returns: FFIType.i32 },
    fchmod: { args: [FFIType.i32, FFIType.u32], returns: FFIType.i32 },
    renameat2: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    unlink: { args: [FFIType.ptr], returns: FFIType.i32 },
  }).symbols;
}

// fail() reads errno through the core group: it is opened before any other group's first call can fail
function libf() {
  return (files ??= (libc(), openFiles()));
}

function libc() {
  return (core ??= openCore());
}

function libx() {
  return (extra ??= (libc(), openExtra()));
}

function fail(syscall: string): never {
  failErrno(syscall, read.i32(libc().__errno_location()!, 0));
}

function failErrno(syscall: string, errno: number): never {
  throw new SysError(syscall, errno, ERRNO_NAMES[errno] ?? `E${errno}`, strerror(errno));
}

/** strerror(3): the text of errno `errno` ("No such file or directory"). */
export function strerror(errno: number): string {
  return new CString(libm().strerror(errno)!).toString();
}

function check(syscall: string, rc: number | bigint): number {
  if (Number(rc) < 0) fail(syscall);
  return Number(rc);
}

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/** flock(2); with LOCK_NB a held lock throws SysError code EAGAIN. */
export function flock(fd: number, op: number): void {
  check("flock", libx().flock(fd, op));
}

const F_OFD_GETLK = 36;
const F_OFD_SETLK = 37;
export const F_RDLCK = 0;
export const F_WRLCK = 1;
export const F_UNLCK = 2;

function flockStruct(type: number): Uint8Array {
  const buf = new Uint8Array(32);
  const view = new DataView(buf.buffer);
  view.setInt16(0, type, true); // l_type
  view.setInt16(2, 0, true); // l_whence = SEEK_SET; l_start = l_len = 0: the whole file
  return buf;
}

/** Takes (F_RDLCK/F_WRLCK) or releases (F_UNLCK) an OFD lock on the whole file without waiting; EAGAIN if held. */
export function fcntlLock(fd: number, type: number): void {
  const buf = flockStruct(type);
  check("fcntl", libx().fcntl(fd, F_OFD_SETLK, ptr(buf)));
}

/** True when another open file description holds a conflicting fcntl lock of `type` on the file. */
export function fcntlIsLocked(fd: number, type: number = F_WRLCK): boolean {
  const buf = flockStruct(type);
  check("fcntl", libx().fcntl(fd, F_OFD_GETLK, ptr(buf)));
  return new DataView(buf.buffer).getInt16(0, true) !== F_UNLCK;
}

/** mkfifo(3) followed by an explicit chmod by the caller (the umask applies here). */
export function mkfifo(path: string, mode: number): void {
  check("mkfifo", libx().mkfifo(Buffer.from(`${path}\0`), mode));
}

/** syncfs(2): flushes the whole file system that holds `fd` (group commit of many queue files). */
export function syncfs(fd: number): void {
  check("syncfs", libx().syncfs(fd));
}

/** Sets the kernel's command name of this process (what `ps -o comm` shows), at most 15 bytes. */
export function setProcessName(name: string): void {
  const buf = Buffer.from(`${name.slice(0, 15)}\0`);
  libx().prctl(15, ptr(buf), 0n, 0n, 0n);
}

/** Opens an AF_UNIX SOCK_DGRAM socket connected to `path` (for /dev/log); returns the descriptor. */
export function connectUnixDgram(path: string): number {
  const l = libc();
  const fd = check("socket", libx().socket(1, 2 | 0o2000000, 0)); // AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC
  const addr = new Uint8Array(110);
  addr[0] = 1; // sa_family = AF_UNIX, little-endian u16
  addr.set(Buffer.from(path), 2);
  if (libx().connect(fd, ptr(addr), 2 + Buffer.byteLength(path) + 1) < 0) {
    try {
      fail("connect");
    } finally {
      l.close(fd);
    }
  }
  return fd;
}

/** Sends one datagram on a connected socket. */
export function sendDatagram(fd: number, data: Uint8Array): void {
  check("send", libx().send(fd, ptr(data), BigInt(data.length), 0x4000)); // MSG_NOSIGNAL
}

// struct tm of x86-64 and aarch64 glibc as 32-bit words: sec, min, hour, mday, mon, year, wday, yday, isdst, (pad),
// gmtoff (a long: two words), zone (a pointer: two words)
const tmWords = new Int32Array(14);
const timeWords = new Int32Array(2);

/**
 * localtime_r(3) of `sec` (seconds since the epoch): glibc's own local time, from the TZ this process was started
 * with or /etc/localtime, exactly as Postfix's log time stamps. Problem: the log time stamp of a one-shot tool
 * was computed by localtime.ts, whose first use reads process.env, then reads and parses the zone file in
 * JavaScript: ~0.35 ms of postlog's ~4.7 ms. Solution: glibc does it in C at its first call (~20 µs).
 * Returns [sec, min, hour, mday, mon, year - 1900, wday, …] (overwritten by the next call), or undefined when
 * glibc fails (a time it cannot represent).
 */
export function localTimeFields(sec: number): Int32Array | undefined {
  timeWords[0] = sec % 4294967296 | 0; // the low word, as the bits of an unsigned value
  timeWords[1] = Math.floor(sec / 4294967296);
  return libc().localtime_r(timeWords, tmWords) === null ? undefined : tmWords;
}

/** close(2) for descriptors made here. */
export function closeFd(fd: number): void {
  libc().close(fd);
}

export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;

// TextEncoder/TextDecoder rather than Buffer on the paths every tool takes: the first Buffer use in a process
// costs ~0.14 ms (its prototype is built), the two codecs together ~0.05 ms.
let encoder: TextEncoder | undefined;
let decoder: TextDecoder | undefined;

/** `s` as UTF-8 bytes. */
function utf8(s: string): Uint8Array {
  return (encoder ??= new TextEncoder()).encode(s);
}

/** open(2); returns the descriptor. */
export function openFile(path: string, flags: number, mode = 0o600): number {
  return check("open", libc().open(utf8(`${path}\0`), flags | O_CLOEXEC, mode));
}

// One read buffer for the small files a tool reads at start-up (main.cf, the time zone, /etc/passwd): a fresh
// 64 KiB array for each costs its allocation and page faults; what a file holds is copied out of it.
let readBuf: Uint8Array | undefined;

/** Reads a whole file with open/read/close, as bytes (no Buffer). */
export function readFileRaw(path: string): Uint8Array {
  const l = libc();
  const fd = openFile(path, O_RDONLY);
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const buf = (readBuf ??= new Uint8Array(65536));
    for (;;) {
      const n = Number(l.read(fd, ptr(buf), 65536n));
      if (n < 0) fail("read");
      if (n === 0) break;
      chunks.push(buf.slice(0, n));
      total += n;
    }
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  } finally {
    l.close(fd);
  }
}

/** Reads a whole file with open/read/close. */
export function readFileBytes(path: string): Buffer {
  const raw = readFileRaw(path);
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** Reads a whole file as UTF-8 text as Buffer's toString() gives it: invalid sequences become U+FFFD, a BOM stays. */
export function readFileText(path: string): string {
  return (decoder ??= new TextDecoder("utf-8", { ignoreBOM: true })).decode(readFileRaw(path));
}

/**
 * Writes all of `data` to `fd`, retrying short writes and EINTR; throws SysError (EPIPE …). A descriptor in
 * non-blocking mode (a pipe whose other process set O_NONBLOCK on it: the flag belongs to the shared file
 * description) is waited on with poll(2) when full, as Postfix's timed writes do, so a slow reader still gets
 * everything.
 */
export function writeAll(fd: number, data: string | Uint8Array): void {
  const buf = typeof data === "string" ? utf8(data) : data;
  const l = libc();
  let off = 0;
  while (off < buf.length) {
    const n = Number(l.write(fd, ptr(buf, off), BigInt(buf.length - off)));
    if (n < 0) {
      const errno = read.i32(l.__errno_location()!, 0);
      if (errno === 4) continue;
      if (errno === 11) {
        waitReady(fd, POLLOUT);
        continue;
      }
      fail("write");
    }
    off += n;
  }
}

const POLLIN = 1;
const POLLOUT = 4;

/**
 * poll(2) on one descriptor until it is ready for `events` (or at end of file, or in error: the next read or
 * write reports that), retrying EINTR.
 */
function waitReady(fd: number, events: number): void {
  const pfd = pollFd(fd, events);
  while (libm().poll(ptr(pfd), 1n, -1) < 0) {
    if (read.i32(libc().__errno_location()!, 0) !== 4) fail("poll");
  }
}

/**
 * poll(2) for input on `fd`, waiting at most `timeoutMs` (0: just look): true when a read(2) will not block
 * (data, end of file, an error, or a descriptor that is not open), false on a timeout or an interrupting signal.
 */
export function pollInput(fd: number, timeoutMs: number): boolean {
  return libm().poll(ptr(pollFd(fd, POLLIN)), 1n, timeoutMs) > 0;
}

/** A struct pollfd (int fd, short events, short revents; little-endian) for one descriptor. */
function pollFd(fd: number, events: number): Uint8Array {
  const pfd = new Uint8Array(8);
  pfd[0] = fd & 0xff;
  pfd[1] = (fd >>> 8) & 0xff;
  pfd[2] = (fd >>> 16) & 0xff;
  pfd[3] = (fd >>> 24) & 0xff;
  pfd[4] = events;
  return pfd;
}

/** One read(2) into `buf`: the byte count (0 at end of file), or -errno; never waits beyond what read(2) does. */
export function readRaw(fd: number, buf: Uint8Array): number {
  const l = libc();
  const n = Number(l.read(fd, ptr(buf), BigInt(buf.length)));
  return n >= 0 ? n : -read.i32(l.__errno_location()!, 0);
}

/** gethostname(2). */
export function hostName(): string {
  const buf = Buffer.alloc(256);
  check("gethostname", libm().gethostname(ptr(buf), 256n));
  const end = buf.indexOf(0);
  return buf.toString("utf8", 0, end < 0 ? 256 : end);
}

/**
 * One read(2) into `buf`; returns the byte count (0 at end of file). Blocks until there is something to read,
 * also on a descriptor in non-blocking mode.
 */
export function readSome(fd: number, buf: Uint8Array): number {
  for (;;) {
    const n = readRaw(fd, buf);
    if (n >= 0) return n;
    // a descriptor in non-blocking mode (set by whoever shares it) with nothing yet: wait, as a blocking read would
    if (n === -11) waitReady(fd, POLLIN);
    else if (n !== -4) failErrno("read", -n);
  }
}

/** What statPath() and statFd() report (statx(2) fields). */
export interface FileInfo {
  /** st_mode: type and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** The inode number, exactly (a bigint: inode numbers may exceed 2^53). */
  ino: bigint;
  /** st_mtime: seconds and nanoseconds. */
  mtimeSec: number;
  mtimeNsec: number;
}

const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const AT_SYMLINK_NOFOLLOW = 0x100;
/** STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID | STATX_MTIME | STATX_INO | STATX_SIZE */
const STATX_WANT = 0x1 | 0x2 | 0x8 | 0x10 | 0x40 | 0x100 | 0x200;
let statxBuf: Buffer | undefined;

function statx(dirFd: number, path: Uint8Array, flags: number, syscall: string): FileInfo {
  const buf = (statxBuf ??= Buffer.alloc(256));
  if (libf().statx(dirFd, ptr(path), flags, STATX_WANT, ptr(buf)) !== 0) fail(syscall);
  // struct statx: stx_uid u32 @20, stx_gid u32 @24, stx_mode u16 @28, stx_ino u64 @32, stx_size u64 @40,
  // stx_mtime {tv_sec i64, tv_nsec u32} @112
  return {
    mode: buf.readUInt16LE(28),
    uid: buf.readUInt32LE(20),
    gid: buf.readUInt32LE(24),
    size: Number(buf.readBigUInt64LE(40)),
    ino: buf.readBigUInt64LE(32),
    mtimeSec: Number(buf.readBigInt64LE(112)),
    mtimeNsec: buf.readUInt32LE(120),
  };
}

/** stat(2) of `path` (lstat(2) with `follow` false); throws SysError (code ENOENT …). */
export function statPath(path: string, follow = true): FileInfo {
  return statx(AT_FDCWD, Buffer.from(`${path}\0`), follow ? 0 : AT_SYMLINK_NOFOLLOW, follow ? "stat" : "lstat");
}

const EMPTY_PATH = new Uint8Array(1);

/** fstat(2). */
export function statFd(fd: number): FileInfo {
  return statx(fd, EMPTY_PATH, AT_EMPTY_PATH, "fstat");
}

/** pwrite(2) of all of `data` at file offset `pos`, retrying short writes and EINTR. */
export function pwriteAll(fd: number, data: Uint8Array, pos: number): void {
  const f = libf();
  for (let off = 0; off < data.length; ) {
    const n = Number(f.pwrite(fd, ptr(data, off), BigInt(data.length - off), BigInt(pos + off)));
    if (n < 0) {
      if (read.i32(libc().__errno_location()!, 0) === 4) continue;
      fail("pwrite");
    }
    off += n;
  }
}

/** fsync(2). */
export function fsyncFd(fd: number): void {
  check("fsync", libf().fsync(fd));
}

/** fchmod(2). */
export function fchmodFd(fd: number, mode: number): void {
  check("fchmod", libf().fchmod(fd, mode));
}

/**
 * rename(2) that never replaces an existing `to` (renameat2 with RENAME_NOREPLACE): throws SysError code EEXIST
 * when `to` exists, EINVAL or ENOSYS where the file system or kernel cannot do it atomically.
 */
export function renameNoReplace(from: string, to: string): void {
  check("rename", libf().renameat2(AT_FDCWD, ptr(Buffer.from(`${from}\0`)), AT_FDCWD, ptr(Buffer.from(`${to}\0`)), 1));
}

/** unlink(2). */
export function unlinkFile(path: string): void {
  check("unlink", libf().unlink(ptr(Buffer.from(`${path}\0`))));
}

/** isatty(3). */
export function isTerminal(fd: number): boolean {
  return libc().isatty(fd) === 1;
}

/**
 * _exit(2): ends the process at once, without Bun's exit-time teardown (~0.2 ms of a one-shot tool's ~5 ms).
 * Only for a caller that has nothing left in flight: all output written with write(2), no pending promises.
 */
export function exitImmediately(status: number): never {
  libc()._exit(status);
  throw new Error("_exit returned");
}

