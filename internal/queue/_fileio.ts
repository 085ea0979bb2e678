/**
 * _fileio — internal/queue's libc binding (Bun's FFI, sys/ffi.ts) and the per-file system calls of queue listings
 * and bulk postsuper operations, with no object made per call: statx, pread and close of a descriptor; statx (no
 * follow), renameat2 with RENAME_NOREPLACE and unlink of a path or of a name relative to a directory handle.
 *
 * Problem: listing a queue costs four system calls per message (open, stat, read, close; see queue_ops.ts), and
 * through node:fs each also builds a Stats object or checks its arguments in JS, which costs about as much again
 * until the JIT has warmed up — a listing of 10,000 messages is over before it has. Solution: the calls straight
 * from libc: statx(2) (its struct has the same layout on every architecture, unlike struct stat) into one reused
 * buffer read into a reused FileStat, pread(2) into the caller's buffer, close(2); paths encoded into two reused
 * buffers; names relative to a directory handle (openDirHandle(), or the directory a DirStream reads) so that
 * the kernel does not walk the whole path for each file. renameNoReplace() is one atomic call where checking
 * that the target is absent and then renaming was two, with a window between them.
 *
 * Where libc cannot be opened, the path functions use node:fs (renameNoReplace() then reports -ENOSYS so that the
 * caller checks and renames the old way) and loadLibc() returns null (_readdir.ts falls back too).
 *
 * Private to internal/queue (queue_ops.ts exports what postsuper needs). Contract: every function returns 0, a
 * byte count or a descriptor, or -errno, and never throws, so a caller that wants node:fs's exact error text
 * repeats the call through node:fs. libc is opened on first use.
 */
import { nodeFs } from "../sys/node_fs.ts";
import { dlopen, FFIType, ptr, read } from "../sys/ffi.ts";

/** What statFd() and friends report. */
export interface FileStat {
  /** st_mode: type and permission bits. */
  mode: number;
  size: number;
  /** Seconds of st_mtime (rounded down). */
  mtimeSec: number;
  uid: number;
}

/** The libc calls of internal/queue (this module's and _readdir.ts's). */
export interface Libc {
  opendir(path: Buffer): number | null;
  readdir(dir: number): number | null;
  closedir(dir: number): number;
  dirfd(dir: number): number;
  openat(dirFd: number, path: number, flags: number): number;
  statx(dirFd: number, path: number, flags: number, mask: number, buf: number): number;
  renameat2(oldDirFd: number, oldPath: number, newDirFd: number, newPath: number, flags: number): number;
  unlinkat(dirFd: number, path: number, flags: number): number;
  pread(fd: number, buf: number, count: number, offset: number): number;
  close(fd: number): number;
  __errno_location(): number | null;
}

const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const AT_SYMLINK_NOFOLLOW = 0x100;
const RENAME_NOREPLACE = 1;
const O_PATH = 0o10000000;
const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;
const ENAMETOOLONG = 36;
const ENOSYS = 38;
const EIO = 5;
const PATH_SIZE = 4096;
/** STATX_TYPE | STATX_MODE | STATX_UID | STATX_MTIME | STATX_SIZE */
const STATX_MASK = 0x1 | 0x2 | 0x8 | 0x40 | 0x200;
// struct statx (linux/stat.h): stx_uid u32 @20, stx_mode u16 @28, stx_size u64 @40, stx_mtime.tv_sec i64 @112.
const STATX_SIZE = 256;
const STX_UID = 20;
const STX_MODE = 28;
const STX_SIZE = 40;
const STX_MTIME = 112;

let libc: Libc | null | undefined;
let errnoPtr = 0;
// One allocation that never moves: the statx buffer, a zero byte (the empty path), two path buffers.
let statView: DataView | undefined;
let statPtr = 0;
let emptyPtr = 0;
let pathBufs: Uint8Array[] = [];
let pathPtrs: number[] = [];
const encoder = new TextEncoder();

/** libc through Bun's FFI (sys/ffi.ts), opened on first use; null where it cannot be (not glibc). */
export function loadLibc(): Libc | null {
  // small, so that the calls of every file of a listing inline it instead of compiling openLibc() again and again
  return libc !== undefined ? libc : openLibc();
}

function openLibc(): Libc | null {
  try {
    libc = dlopen("libc.so.6", {
      opendir: { args: [FFIType.cstring], returns: FFIType.ptr },
      readdir: { args: [FFIType.ptr], returns: FFIType.ptr },
      closedir: { args: [FFIType.ptr], returns: FFIType.i32 },
      dirfd: { args: [FFIType.ptr], returns: FFIType.i32 },
      openat: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
      statx: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.u32, FFIType.ptr], returns: FFIType.i32 },
      renameat2: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
      unlinkat: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
      // the _fast types give numbers, not BigInts (a BigInt byte count slows every comparison after it)
      pread: { args: [FFIType.i32, FFIType.ptr, FFIType.u64_fast, FFIType.i64_fast], returns: FFIType.i64_fast },
      close: { args: [FFIType.i32], returns: FFIType.i32 },
      __errno_location: { args: [], returns: FFIType.ptr },
    }).symbols as unknown as Libc;
    errnoPtr = libc.__errno_location()!;
    const mem = new Uint8Array(new ArrayBuffer(STATX_SIZE + 8 + 2 * PATH_SIZE));
    statView = new DataView(mem.buffer);
    statPtr = ptr(mem);
    emptyPtr = statPtr + STATX_SIZE;
    const p0 = STATX_SIZE + 8;
    pathBufs = [mem.subarray(p0, p0 + PATH_SIZE), mem.subarray(p0 + PATH_SIZE)];
    pathPtrs = [statPtr + p0, statPtr + p0 + PATH_SIZE];
  } catch {
    libc = null;
  }
  return libc;
}

/** errno of the libc call that just failed. */
export function lastErrno(): number {
  return read.i32(errnoPtr, 0);
}

/** `path` as a C string in path buffer `i` (0 or 1): its pointer, or 0 when it is too long or holds a NUL. */
function cPath(path: string, i: number): number {
  const buf = pathBufs[i]!;
  const r = encoder.encodeInto(path, buf);
  if (r.read !== path.length || r.written >= PATH_SIZE || path.includes("\0")) return 0;
  buf[r.written] = 0;
  return pathPtrs[i]!;
}

function fillStat(out: FileStat): void {
  const v = statView!;
  out.uid = v.getUint32(STX_UID, true);
  out.mode = v.getUint16(STX_MODE, true);
  out.size = v.getUint32(STX_SIZE, true) + v.getUint32(STX_SIZE + 4, true) * 0x100000000;
  out.mtimeSec = v.getUint32(STX_MTIME, true) + v.getInt32(STX_MTIME + 4, true) * 0x100000000;
}

function fillFromNode(st: { mode: number; size: number; mtimeMs: number; uid: number }, out: FileStat): void {
  out.mode = st.mode;
  out.size = st.size;
  out.mtimeSec = Math.floor(st.mtimeMs / 1000);
  out.uid = st.uid;
}

function errnoOf(e: unknown): number {
  const errno = (e as { errno?: number } | null)?.errno;
  return typeof errno === "number" && errno !== 0 ? -Math.abs(errno) : -EIO;
}

/** fstat(2) of `fd` into `out`; 0 or -errno. */
export function statFd(fd: number, out: FileStat): number {
  const l = loadLibc();
  if (l === null) {
    try {
      fillFromNode(nodeFs().fstatSync(fd), out);
      return 0;
    } catch (e) {
      return errnoOf(e);
    }
  }
  if (l.statx(fd, emptyPtr, AT_EMPTY_PATH, STATX_MASK, statPtr) !== 0) return -lastErrno();
  fillStat(out);
  return 0;
}

/** lstat(2) of `path` into `out`; 0 or -errno. */
export function lstatPath(path: string, out: FileStat): number {
  const l = loadLibc();
  const p = l === null ? 0 : cPath(path, 0);
  if (p === 0) {
    try {
      fillFromNode(nodeFs().lstatSync(path), out);
      return 0;
    } catch (e) {
      return errnoOf(e);
    }
  }
  return lstatAt(l!, AT_FDCWD, p, out);
}

/** lstat(2) of `name` (a C string) in directory `dirFd` into `out`; 0 or -errno. */
export function lstatAt(l: Libc, dirFd: number, name: number, out: FileStat): number {
  if (l.statx(dirFd, name, AT_SYMLINK_NOFOLLOW, STATX_MASK, statPtr) !== 0) return -lastErrno();
  fillStat(out);
  return 0;
}

/** rename(2) of `from` to `to` unless `to` exists (-EEXIST then), atomically; -ENOSYS where libc is not at hand. */
export function renameNoReplace(from: string, to: string): number {
  const l = loadLibc();
  if (l === null) return -ENOSYS;
  const a = cPath(from, 0);
  const b = cPath(to, 1);
  if (a === 0 || b === 0) return -ENAMETOOLONG;
  return l.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE) === 0 ? 0 : -lastErrno();
}

/** renameNoReplace() of `name` (a C string) from directory `fromFd` to the same name in `toFd`; 0 or -errno. */
export function renameAt(l: Libc, fromFd: number, name: number, toFd: number): number {
  return l.renameat2(fromFd, name, toFd, name, RENAME_NOREPLACE) === 0 ? 0 : -lastErrno();
}

/** unlink(2); 0 or -errno. */
export function unlinkPath(path: string): number {
  const l = loadLibc();
  const p = l === null ? 0 : cPath(path, 0);
  if (p === 0) {
    try {
      nodeFs().unlinkSync(path);
      return 0;
    } catch (e) {
      return errnoOf(e);
    }
  }
  return l!.unlinkat(AT_FDCWD, p, 0) === 0 ? 0 : -lastErrno();
}

/** Opens directory `path` as a handle for the calls relative to it (O_PATH): a descriptor, or -errno. */
export function openDirHandle(path: string): number {
  const l = loadLibc();
  if (l === null) return -ENOSYS;
  const p = cPath(path, 0);
  if (p === 0) return -ENAMETOOLONG;
  const fd = l.openat(AT_FDCWD, p, O_PATH | O_DIRECTORY | O_CLOEXEC);
  return fd >= 0 ? fd : -lastErrno();
}

/** openat(2) of `name` (one path component) relative to directory handle `dirFd`: a descriptor, or -errno. */
export function openAtName(dirFd: number, name: string, flags: number): number {
  const l = loadLibc();
  if (l === null) return -ENOSYS;
  const p = cPath(name, 1);
  if (p === 0) return -ENAMETOOLONG;
  const fd = l.openat(dirFd, p, flags);
  return fd >= 0 ? fd : -lastErrno();
}

// The pointer of the buffer readAt() used last (callers reuse one buffer; a Buffer's memory never moves).
let lastBuf: Uint8Array | undefined;
let lastPtr = 0;

/** pread(2) of up to `buf.length` bytes at file offset `pos`; the byte count or -errno. */
export function readAt(fd: number, buf: Uint8Array, pos: number): number {
  const l = loadLibc();
  if (l === null) {
    try {
      return nodeFs().readSync(fd, buf, 0, buf.length, pos);
    } catch (e) {
      return errnoOf(e);
    }
  }
  if (buf !== lastBuf) {
    lastPtr = ptr(buf);
    lastBuf = buf;
  }
  const n = l.pread(fd, lastPtr, buf.length, pos);
  return n >= 0 ? n : -lastErrno();
}

/** close(2); 0 or -errno. */
export function closeFd(fd: number): number {
  const l = loadLibc();
  if (l === null) {
    try {
      nodeFs().closeSync(fd);
      return 0;
    } catch (e) {
      return errnoOf(e);
    }
  }
  return l.close(fd) === 0 ? 0 : -lastErrno();
}
