/**
 * _readdir — reads a directory one entry at a time, so scanning a queue of 100,000 files holds one entry in
 * memory, not 100,000 names; and acts on the entry just read relative to its directory.
 *
 * Problem: Bun's fs.opendirSync() and fs/promises opendir() read the whole directory (every getdents64 call)
 * when the directory is opened (checked with strace on Bun 1.4.4), which is readdirSync() in disguise.
 * Solution: opendir(3)/readdir(3)/closedir(3) from libc through Bun's FFI (_fileio.ts); glibc reads 32 KiB of
 * entries per getdents64 call. Where libc cannot be opened (not glibc), falls back to fs.opendirSync().
 *
 * The *Entry() methods open, lstat, rename or unlink the entry next() returned last with the *at() calls on the
 * directory's descriptor and the name still in readdir's buffer: no path to build, encode or walk for each file
 * (a listing opens every file of a queue; postsuper -H ALL renames every held one).
 *
 * Private to internal/queue (general-purpose; could move to internal/sys/libc.ts).
 * Contract: openDirStream() throws the node:fs-style error of opendir (`code` ENOENT, ENOTDIR, EACCES …);
 * next() returns null at the end (a read error after a successful opendir also ends the listing, as it does
 * for Postfix's scan_dir); the *Entry() methods return a descriptor or 0, or a negative errno, and never throw;
 * close() is idempotent. "." and ".." are never returned.
 */
import type { Dir } from "node:fs";
import { nodeFs } from "../sys/node_fs.ts";
import { CString, read } from "../sys/ffi.ts";
import { lastErrno, loadLibc, lstatAt, lstatPath, renameAt, renameNoReplace, unlinkPath, type FileStat } from "./_fileio.ts";

/** One directory entry: its name and kind (`unknown` when the file system does not say). */
export interface DirStreamEntry {
  name: string;
  type: "file" | "dir" | "other" | "unknown";
}

/**
 * An open directory read entry by entry. The *Entry() methods act on the entry next() returned last, relative to
 * the directory (see the header), and return a descriptor or 0, or -errno; they never throw.
 */
export interface DirStream {
  next(): DirStreamEntry | null;
  /** open(2) with `flags`. */
  openEntry(flags: number): number;
  /** lstat(2) into `out`. */
  statEntry(out: FileStat): number;
  /**
   * rename(2) to the same name in directory `toPath` (whose handle from openDirHandle() is `toFd`, or -1), never
   * replacing a file there (-EEXIST); -ENOSYS or -EINVAL where that cannot be done atomically.
   */
  renameEntry(toFd: number, toPath: string): number;
  /** unlink(2). */
  unlinkEntry(): number;
  close(): void;
}

const ERRNO_CODES: Record<number, string> = { 1: "EPERM", 2: "ENOENT", 5: "EIO", 12: "ENOMEM", 13: "EACCES", 20: "ENOTDIR", 23: "ENFILE", 24: "EMFILE" };

function errnoError(syscall: string, path: string, errno: number): Error {
  const code = ERRNO_CODES[errno] ?? `E${errno}`;
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, errno: -errno, syscall, path });
}

// struct dirent on 64-bit glibc: d_ino u64 @0, d_off i64 @8, d_reclen u16 @16, d_type u8 @18, d_name @19.
const D_TYPE = 18;
const D_NAME = 19;
const DT_DIR = 4;
const DT_REG = 8;
const DT_UNKNOWN = 0;

/** Opens `path` for reading entry by entry. */
export function openDirStream(path: string): DirStream {
  const l = loadLibc();
  if (l === null) return nodeDirStream(nodeFs().opendirSync(path), path);
  const dir = l.opendir(Buffer.from(`${path}\0`));
  if (!dir) throw errnoError("opendir", path, lastErrno());
  const dfd = l.dirfd(dir);
  let open = true;
  let ent = 0;
  return {
    next(): DirStreamEntry | null {
      if (!open) return null;
      for (;;) {
        const e = l.readdir(dir);
        if (!e) {
          ent = 0;
          return null;
        }
        const name = new CString(e, D_NAME).toString();
        if (name === "." || name === "..") continue;
        ent = e;
        const t = read.u8(e, D_TYPE);
        return { name, type: t === DT_REG ? "file" : t === DT_DIR ? "dir" : t === DT_UNKNOWN ? "unknown" : "other" };
      }
    },
    openEntry(flags: number): number {
      if (!open || ent === 0) return -EBADF;
      const fd = l.openat(dfd, ent + D_NAME, flags);
      return fd >= 0 ? fd : -lastErrno();
    },
    statEntry(out: FileStat): number {
      if (!open || ent === 0) return -EBADF;
      return lstatAt(l, dfd, ent + D_NAME, out);
    },
    renameEntry(toFd: number, toPath: string): number {
      if (!open || ent === 0) return -EBADF;
      if (toFd < 0) return renameNoReplace(`${path}/${new CString(ent, D_NAME).toString()}`, `${toPath}/${new CString(ent, D_NAME).toString()}`);
      return renameAt(l, dfd, ent + D_NAME, toFd);
    },
    unlinkEntry(): number {
      if (!open || ent === 0) return -EBADF;
      return l.unlinkat(dfd, ent + D_NAME, 0) === 0 ? 0 : -lastErrno();
    },
    close(): void {
      if (open) {
        open = false;
        ent = 0;
        l.closedir(dir);
      }
    },
  };
}

const EBADF = 9;

function nodeDirStream(d: Dir, path: string): DirStream {
  let open = true;
  let last: string | undefined;
  return {
    next(): DirStreamEntry | null {
      if (!open) return null;
      const e = d.readSync();
      if (e === null) {
        last = undefined;
        return null;
      }
      last = e.name;
      return { name: e.name, type: e.isFile() ? "file" : e.isDirectory() ? "dir" : "other" };
    },
    openEntry(flags: number): number {
      if (!open || last === undefined) return -EBADF;
      try {
        return nodeFs().openSync(`${path}/${last}`, flags);
      } catch (e) {
        const errno = (e as { errno?: number }).errno;
        return typeof errno === "number" ? -Math.abs(errno) : -EBADF;
      }
    },
    statEntry(out: FileStat): number {
      return !open || last === undefined ? -EBADF : lstatPath(`${path}/${last}`, out);
    },
    renameEntry(_toFd: number, toPath: string): number {
      return !open || last === undefined ? -EBADF : renameNoReplace(`${path}/${last}`, `${toPath}/${last}`);
    },
    unlinkEntry(): number {
      return !open || last === undefined ? -EBADF : unlinkPath(`${path}/${last}`);
    },
    close(): void {
      if (open) {
        open = false;
        d.closeSync();
      }
    },
  };
}
