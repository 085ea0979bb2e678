/**
 * _readdir — reads a directory one entry at a time, so scanning a queue of 100,000 files holds one entry in
 * memory, not 100,000 names.
 *
 * Problem: Bun's fs.opendirSync() and fs/promises opendir() read the whole directory (every getdents64 call)
 * when the directory is opened (checked with strace on Bun 1.4.4), which is readdirSync() in disguise.
 * Solution: opendir(3)/readdir(3)/closedir(3) from libc through bun:ffi; glibc reads 32 KiB of entries per
 * getdents64 call. Where libc cannot be opened (not glibc), falls back to fs.opendirSync().
 *
 * Private to internal/queue (general-purpose; could move to internal/sys/libc.ts).
 * Contract: openDirStream() throws the node:fs-style error of opendir (`code` ENOENT, ENOTDIR, EACCES …);
 * next() returns null at the end (a read error after a successful opendir also ends the listing, as it does
 * for Postfix's scan_dir); close() is idempotent. "." and ".." are never returned. libc is opened on first use.
 */
import { opendirSync, type Dir } from "node:fs";
import { dlopen, FFIType, read, CString } from "bun:ffi";

/** One directory entry: its name and kind (`unknown` when the file system does not say). */
export interface DirStreamEntry {
  name: string;
  type: "file" | "dir" | "other" | "unknown";
}

/** An open directory read entry by entry. */
export interface DirStream {
  next(): DirStreamEntry | null;
  close(): void;
}

interface LibcDir {
  opendir(path: Buffer): number | null;
  readdir(dir: number): number | null;
  closedir(dir: number): number;
  __errno_location(): number | null;
}

let libcDir: LibcDir | null | undefined;

function loadLibc(): LibcDir | null {
  if (libcDir !== undefined) return libcDir;
  try {
    libcDir = dlopen("libc.so.6", {
      opendir: { args: [FFIType.cstring], returns: FFIType.ptr },
      readdir: { args: [FFIType.ptr], returns: FFIType.ptr },
      closedir: { args: [FFIType.ptr], returns: FFIType.i32 },
      __errno_location: { args: [], returns: FFIType.ptr },
    }).symbols as unknown as LibcDir;
  } catch {
    libcDir = null;
  }
  return libcDir;
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
  if (l === null) return nodeDirStream(opendirSync(path));
  const errnoPtr = l.__errno_location()!;
  const dir = l.opendir(Buffer.from(`${path}\0`));
  if (!dir) throw errnoError("opendir", path, read.i32(errnoPtr, 0));
  let open = true;
  return {
    next(): DirStreamEntry | null {
      if (!open) return null;
      for (;;) {
        const ent = l.readdir(dir);
        if (!ent) return null;
        const name = new CString(ent, D_NAME).toString();
        if (name === "." || name === "..") continue;
        const t = read.u8(ent, D_TYPE);
        return { name, type: t === DT_REG ? "file" : t === DT_DIR ? "dir" : t === DT_UNKNOWN ? "unknown" : "other" };
      }
    },
    close(): void {
      if (open) {
        open = false;
        l.closedir(dir);
      }
    },
  };
}

function nodeDirStream(d: Dir): DirStream {
  let open = true;
  return {
    next(): DirStreamEntry | null {
      if (!open) return null;
      const e = d.readSync();
      if (e === null) return null;
      return { name: e.name, type: e.isFile() ? "file" : e.isDirectory() ? "dir" : "other" };
    },
    close(): void {
      if (open) {
        open = false;
        d.closeSync();
      }
    },
  };
}
