/**
 * read_input — standard input for sendmail and postdrop, read without holding up signals, so that an interrupt
 * (Ctrl-C, SIGTERM) is handled at once and the half-written maildrop file removed (abortOnSignals() in
 * maildrop.ts). A read(2) that waits for input would hold the signal's handler until the next line arrived.
 *
 * readInput(onChunk) hands each chunk to `onChunk` (which returns false to stop reading) until end of file. A
 * regular file is read with plain read(2) calls, which never wait. Anything else (a pipe, a terminal) is read
 * while poll(2) says input is there; when it is not, readInput() returns a promise and waits in poll(2) slices of
 * 50 ms, returning to the event loop between them (a signal also ends a slice at once), so its handlers run.
 * Input that is all there when sendmail starts (`printf … | sendmail`, a here-document) is thus read without the
 * event loop: readInput() returns undefined, having called `onChunk` for all of it. The buffer handed to
 * `onChunk` is reused for the next chunk. A closed standard input reads as empty, as Postfix reading /dev/null.
 * Throws (or rejects with) SubmitError `read` when reading fails (`error reading input: REASON`), and what
 * `onChunk` throws.
 *
 * Problem solved: Bun's stdin stream and an async generator over it cost a one-shot sendmail ~0.4 ms before the
 * first byte (the stream machinery is compiled at first use, and starts threads); see git history for that form.
 */
import { pollInput, readRaw, statFd, strerror } from "../sys/libc.ts";
import { SubmitError } from "./submit_error.ts";

/** Read size. */
const READ_SIZE = 128 * 1024;

const EINTR = 4;
const EBADF = 9;
const EAGAIN = 11;

function isRegularFile(fd: number): boolean {
  try {
    return (statFd(fd).mode & 0o170000) === 0o100000; // S_ISREG
  } catch {
    return false;
  }
}

/** Feeds standard input to `onChunk`; undefined when done without waiting, else a promise (see the header). */
export function readInput(onChunk: (chunk: Uint8Array) => boolean): Promise<void> | undefined {
  const buf = Buffer.allocUnsafe(READ_SIZE);
  const file = isRegularFile(0);
  if (readWhileReady(buf, onChunk, file) === "done") return undefined;
  return waitAndRead(buf, onChunk);
}

async function waitAndRead(buf: Buffer, onChunk: (chunk: Uint8Array) => boolean): Promise<void> {
  for (;;) {
    await inputReady();
    if (readWhileReady(buf, onChunk, false) === "done") return;
  }
}

/** Waits in 50 ms poll(2) slices until standard input can be read, returning to the event loop between them. */
async function inputReady(): Promise<void> {
  while (!pollInput(0, 50)) await new Promise((resolve) => setImmediate(resolve));
}

/** Reads and hands on chunks while a read cannot wait: "done" at end of file (or when told to stop), else "wait". */
function readWhileReady(buf: Buffer, onChunk: (chunk: Uint8Array) => boolean, file: boolean): "done" | "wait" {
  for (;;) {
    if (!file && !pollInput(0, 0)) return "wait";
    const n = readStep(buf);
    if (n === 0) return "done";
    if (n > 0 && !onChunk(buf.subarray(0, n))) return "done";
  }
}

/**
 * One read(2) of standard input into `buf`: the byte count, 0 at end of file (also for a closed descriptor), -1
 * when the read is to be tried again (interrupted, or nothing there on a non-blocking descriptor).
 */
function readStep(buf: Buffer): number {
  const n = readRaw(0, buf);
  if (n >= 0) return n;
  if (n === -EBADF) return 0;
  if (n === -EINTR || n === -EAGAIN) return -1;
  throw new SubmitError("read", `error reading input: ${strerror(-n)}`);
}

/**
 * The chunks of standard input as an async iterable, for the SMTP dialogue of `sendmail -bs` (a consumer that
 * awaits between chunks). Each chunk is a copy.
 */
export async function* inputChunks(): AsyncGenerator<Uint8Array> {
  const buf = Buffer.allocUnsafe(READ_SIZE);
  const file = isRegularFile(0);
  for (;;) {
    if (!file) await inputReady();
    const n = readStep(buf);
    if (n === 0) return;
    if (n > 0) yield Uint8Array.from(buf.subarray(0, n));
  }
}
