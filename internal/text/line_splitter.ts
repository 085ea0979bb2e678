/**
 * line_splitter — message content (chunks of bytes, not aligned to lines) as lines: each complete line without
 * its LF, as a "binary string" (one character per byte, Buffer.toString("latin1")), and at the end the
 * unterminated rest, if any. Used where content becomes records (cleanup, the SMTP client's content rewriting).
 *
 * Pure; never throws.
 */

/** Splits chunks into LF-terminated lines; see the header. */
export class LineSplitter {
  private pending = "";

  /** Calls `line` with each line that `chunk` completes. */
  push(chunk: Uint8Array, line: (text: string) => void): void {
    const s = this.pending + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
    let start = 0;
    for (let nl = s.indexOf("\n"); nl >= 0; nl = s.indexOf("\n", start)) {
      line(s.slice(start, nl));
      start = nl + 1;
    }
    this.pending = s.slice(start);
  }

  /** The text after the last LF ("" when the content ended with one). */
  rest(): string {
    return this.pending;
  }
}
