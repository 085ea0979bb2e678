/**
 * read_input — standard input for sendmail and postdrop, read without blocking the event loop, so that an
 * interrupt (Ctrl-C, SIGTERM) is handled at once and the half-written maildrop file removed
 * (abortOnSignals() in maildrop.ts). A blocking read(2) would hold the signal until the next line arrived.
 *
 * readInput() yields the chunks as Bun reads them (sizes vary); Bun's stream applies back-pressure, so memory
 * stays bounded whatever the input size. A closed standard input reads as empty, as Postfix reading /dev/null.
 * Throws SubmitError `read` when reading fails (`error reading input: REASON`).
 */
import { readSome, statFd } from "../sys/libc.ts";
import { SubmitError } from "./submit_error.ts";

/** Read size for a regular file on standard input. */
const FILE_READ_SIZE = 128 * 1024;

function isRegularFile(fd: number): boolean {
  try {
    return (statFd(fd).mode & 0o170000) === 0o100000; // S_ISREG
  } catch {
    return false;
  }
}

/** The bytes of standard input until end of file. */
export async function* readInput(): AsyncGenerator<Uint8Array> {
  if (isRegularFile(0)) {
    // a file never blocks a read, so signals are not held up: the cheaper read(2) loop will do
    const buf = Buffer.allocUnsafe(FILE_READ_SIZE);
    for (;;) {
      let n: number;
      try {
        n = readSome(0, buf);
      } catch (e) {
        throw new SubmitError("read", `error reading input: ${(e as Error).message.replace(/^read: /, "")}`);
      }
      if (n === 0) return;
      yield buf.subarray(0, n);
    }
  }
  let stream: ReadableStream<Uint8Array>;
  try {
    stream = Bun.stdin.stream();
  } catch {
    return;
  }
  try {
    for await (const chunk of stream) yield chunk;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "EBADF") return;
    throw new SubmitError("read", `error reading input: ${(e as Error).message}`);
  }
}
