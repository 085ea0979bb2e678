/**
 * stdout — buffered, synchronous standard output for command-line tools.
 *
 * Tools print through `writeOut()`; the buffer is flushed when it passes 64 KiB and by cmd/main.ts before exit.
 * Writing with write(2) through libc.ts avoids the start-up cost of Node's process.stdout stream (~20 ms) and
 * of node:fs (~1 ms). A closed pipe
 * (`mailq | head -1`) ends output quietly: EPIPE marks stdout dead and later writes are dropped, as a C tool
 * killed by SIGPIPE would print nothing more.
 */
import { writeAll } from "./libc.ts";

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
  try {
    writeAll(1, data);
  } catch {
    dead = true; // EPIPE and friends: the reader went away
  }
}

/** True once a write failed because the reader went away. */
export function stdoutClosed(): boolean {
  return dead;
}

