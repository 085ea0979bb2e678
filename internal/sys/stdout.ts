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

// One string built with += (the engine keeps it as a rope and flattens it once, when it is encoded): for a
// listing of 10,000 messages a third of the time of collecting pieces and joining them.
let pending = "";
let dead = false;

/** Queues text for standard output. */
export function writeOut(text: string): void {
  if (dead) return;
  pending += text;
  if (pending.length >= 65536) flushOut();
}

/** Writes everything queued so far. */
export function flushOut(): void {
  if (pending === "") return;
  const data = pending;
  pending = "";
  write(data);
}

/** Writes `data` as it is, after what is queued (content that is not UTF-8 text: postcat). */
export function writeOutBytes(data: Uint8Array): void {
  flushOut();
  write(data);
}

function write(data: string | Uint8Array): void {
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

