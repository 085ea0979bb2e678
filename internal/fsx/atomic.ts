/**
 * atomic — crash-safe file replacement and directory syncing.
 *
 * `writeFileAtomic(path, data)` writes a temporary file beside `path` (same directory, so rename(2) is atomic),
 * fsyncs it, renames it over `path` and fsyncs the directory: a reader sees the old file or the new one, never a
 * mix, and after a crash the rename is either durable or not done. `fsyncDir(dir)` makes a rename or unlink in
 * `dir` durable. Throws the underlying node:fs error; never leaves the temporary file behind on failure.
 */
import { nodeFs } from "../sys/node_fs.ts";
import { closeFd, fsyncFd, openFile, O_RDONLY } from "../sys/libc.ts";

const O_DIRECTORY = 0o200000;
import { basenamePath, dirnamePath, joinPath } from "../sys/posix_path.ts";

/** O_CLOEXEC (Linux), missing from node:fs constants: descriptors never leak into delivered commands. */
const O_CLOEXEC = 0o2000000;

/** fsync(2) on a directory, so that entries created, renamed or removed in it survive a crash. */
export function fsyncDir(dir: string): void {
  const fd = openFile(dir, O_RDONLY | O_DIRECTORY);
  try {
    fsyncFd(fd);
  } finally {
    closeFd(fd);
  }
}

/** A temporary name beside `path` that no other process uses at the same moment. */
export function tempNameBeside(path: string): string {
  return joinPath(dirnamePath(path), `.${basenamePath(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
}

/** Replaces `path` with `data` atomically and durably; keeps the old file's mode unless `mode` is given. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): void {
  let m = mode;
  if (m === undefined) {
    try {
      m = nodeFs().statSync(path).mode & 0o7777;
    } catch {
      m = 0o644;
    }
  }
  const tmp = tempNameBeside(path);
  const fd = nodeFs().openSync(tmp, nodeFs().constants.O_WRONLY | nodeFs().constants.O_CREAT | nodeFs().constants.O_EXCL | O_CLOEXEC, m);
  try {
    const buf = typeof data === "string" ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += nodeFs().writeSync(fd, buf, off, buf.length - off);
    nodeFs().fsyncSync(fd);
    nodeFs().closeSync(fd);
    nodeFs().renameSync(tmp, path);
  } catch (e) {
    try {
      nodeFs().closeSync(fd);
    } catch {
      // already closed
    }
    try {
      nodeFs().unlinkSync(tmp);
    } catch {
      // never created or already renamed
    }
    throw e;
  }
  fsyncDir(dirnamePath(path));
}
