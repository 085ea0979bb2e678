/**
 * _mmap — read-only memory mapping of a file, for the indexed tables.
 *
 * Bun.mmap() opens the file read-write, which fails for a reader that may only read the table (smtpd running as
 * the postfix user on a root-owned 0644 file), so the map is made through libc: mmap(PROT_READ, MAP_SHARED).
 * Pages come from the page cache on first touch, so opening a large table costs nothing until it is used, and
 * every process reading the same table shares its pages, as with Postfix's own cdb tables.
 *
 * Contract: `mapFile(fd, size)` returns a Uint8Array over the mapping or throws an Error with the errno text;
 * `unmapFile()` releases it (the array must not be touched afterwards). A table file is always replaced by
 * rename(2), never rewritten in place, so a mapping never shrinks under its reader.
 */
import { dlopen, FFIType, toArrayBuffer, ptr, read, CString } from "../sys/ffi.ts";

let lib: ReturnType<typeof openLib> | undefined;

function openLib() {
  return dlopen("libc.so.6", {
    mmap: { args: [FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.i64], returns: FFIType.ptr },
    munmap: { args: [FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
    strerror: { args: [FFIType.i32], returns: FFIType.ptr },
  }).symbols;
}

const PROT_READ = 1;
const MAP_SHARED = 1;

/** Maps `size` bytes of the open file `fd` read-only. */
export function mapFile(fd: number, size: number): Uint8Array {
  const l = (lib ??= openLib());
  const p = l.mmap(null, BigInt(size), PROT_READ, MAP_SHARED, fd, 0n);
  if (p === null || p === 0 || (p as number) >= Number.MAX_SAFE_INTEGER) {
    const errno = read.i32(l.__errno_location()!, 0);
    throw new Error(new CString(l.strerror(errno)!).toString());
  }
  return new Uint8Array(toArrayBuffer(p, 0, size));
}

/** Releases a mapping made by mapFile(). */
export function unmapFile(bytes: Uint8Array): void {
  if (bytes.length === 0 || !lib) return;
  lib.munmap(ptr(bytes), BigInt(bytes.length));
}
