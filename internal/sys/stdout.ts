/**
 * stdout — buffered, synchronous standard output for command-line tools.
 *
 * Tools print through `writeOut()`; the buffer is flushed when it passes 64 KiB and by cmd/main.ts before exit.
 * Writing with writeSync(1) avoids the ~20 ms start-up cost of Node's process.stdout stream. A closed pipe
 * (`mailq | head -1`) ends output quietly: EPIPE marks stdout dead and later writes are dropped, as a C tool
 * killed by SIGPIPE would print nothing more.
 */
import { readlinkSync, writeSync } from "node:fs";

let chunks: string[] = [];
let size = 0;
let dead = false;

/** Queues text for standard output. */
export function writeOut(text: string): void {
  if (dead) return;
  chunks.push(text);
  size += text.length;
  if (size >= 65536) flushOut();
}

/** Writes everything queued so far. */
export function flushOut(): void {
  if (chunks.length === 0) return;
  const data = Buffer.from(chunks.join(""));
  chunks = [];
  size = 0;
  if (dead) return;
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(1, data, off, data.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") continue;
      dead = true; // EPIPE and friends: the reader went away
      return;
    }
  }
}

/** True once a write failed because the reader went away. */
export function stdoutClosed(): boolean {
  return dead;
}

/** isatty(fd) without node:tty (whose import costs milliseconds of start-up): a terminal is a /dev/pts or tty. */
export function isTerminal(fd: number): boolean {
  try {
    const target = readlinkSync(`/proc/self/fd/${fd}`);
    return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target === "/dev/console";
  } catch {
    return false;
  }
}
