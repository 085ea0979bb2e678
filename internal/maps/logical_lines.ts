/**
 * logical_lines — Postfix's readllines(): the logical lines of a table source file, read as bytes.
 *
 * The rules, which every text table format of Postfix shares (postmap and postalias sources, texthash, regexp,
 * pcre, cidr):
 *   - a physical line whose first non-blank character is `#`, or that is empty or all white space, is dropped,
 *     wherever it appears (also between a line and its continuation);
 *   - a line that starts with white space continues the logical line before it: the newline is removed and the
 *     continuation keeps its leading white space;
 *   - a logical line is numbered by its first physical line;
 *   - a logical line that itself starts with white space (text before the first entry of a file) is skipped with
 *     the warning `FILE: logical line must not start with whitespace: "TEXT"` (TEXT cut at 30 bytes + `...`).
 * White space is Postfix's ISSPACE: space, \t, \n, \v, \f, \r.
 *
 * The reader streams: it keeps one chunk of the file (4 MiB, grown only for a longer line) and hands out each
 * logical line as `buf[start, end)`, a view that is valid until the next call of next(). A line that is one
 * physical line is not copied. Never throws for content; I/O errors from node:fs propagate.
 */
import { readSync } from "node:fs";

/** Postfix's ISSPACE() for one byte. */
export function isSpaceByte(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

const CHUNK = 4 << 20;

/**
 * readSync() that waits out EAGAIN: standard input inherited in non-blocking mode (from a shell pipeline or a
 * parent process) would otherwise fail instead of waiting for data. Returns 0 at end of input.
 */
export function readChunk(fd: number, buf: Uint8Array, off: number, len: number): number {
  for (;;) {
    try {
      return readSync(fd, buf, off, len, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") Bun.sleepSync(1);
      else if (code !== "EINTR") throw e;
    }
  }
}

/** Reads logical lines from a file descriptor or from bytes already in memory. */
export class LogicalLineReader {
  /** The current logical line is buf[start, end). */
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  /** Line number of the first physical line of the current logical line. */
  lineno = 0;

  private data: Uint8Array;
  private pos = 0;
  private len: number;
  private eof: boolean;
  private physical = 0;
  private acc = new Uint8Array(256);
  private accLen = 0;
  private mode = 0; // 0 nothing yet, 1 one physical line at data[vs, ve), 2 several lines in acc
  private vs = 0;
  private ve = 0;

  /**
   * `source` is an open descriptor (read to EOF in chunks) or the whole text. `path` names the source in the
   * leading-whitespace warning, which goes to `warn`.
   */
  constructor(
    private readonly source: number | Uint8Array,
    private readonly path: string,
    private readonly warn: (text: string) => void,
  ) {
    if (typeof source === "number") {
      this.data = new Uint8Array(CHUNK);
      this.len = 0;
      this.eof = false;
    } else {
      this.data = source;
      this.len = source.length;
      this.eof = true;
    }
  }

  /** Physical lines read so far. */
  get linesRead(): number {
    return this.physical;
  }

  /** Advances to the next logical line; false at end of input. */
  next(): boolean {
    for (;;) {
      if (!this.readLogical()) return false;
      if (!isSpaceByte(this.buf[this.start]!)) return true;
      const n = this.end - this.start;
      const shown = new TextDecoder().decode(this.buf.subarray(this.start, this.start + Math.min(n, 30)));
      this.warn(`${this.path}: logical line must not start with whitespace: "${shown}${n > 30 ? "..." : ""}"`);
    }
  }

  /** The current logical line decoded as UTF-8 (invalid bytes become U+FFFD). */
  text(): string {
    return new TextDecoder().decode(this.buf.subarray(this.start, this.end));
  }

  private fill(): boolean {
    if (this.eof) return false;
    const keep = this.mode === 1 ? Math.min(this.vs, this.pos) : this.pos;
    if (keep > 0) {
      this.data.copyWithin(0, keep, this.len);
      this.len -= keep;
      this.pos -= keep;
      if (this.mode === 1) {
        this.vs -= keep;
        this.ve -= keep;
      }
    }
    if (this.len === this.data.length) {
      const bigger = new Uint8Array(this.data.length * 2);
      bigger.set(this.data.subarray(0, this.len));
      this.data = bigger;
    }
    const n = readChunk(this.source as number, this.data, this.len, this.data.length - this.len);
    if (n === 0) {
      this.eof = true;
      return false;
    }
    this.len += n;
    return true;
  }

  private append(from: Uint8Array, s: number, e: number): void {
    const need = this.accLen + (e - s);
    if (need > this.acc.length) {
      const bigger = new Uint8Array(Math.max(need, this.acc.length * 2));
      bigger.set(this.acc.subarray(0, this.accLen));
      this.acc = bigger;
    }
    this.acc.set(from.subarray(s, e), this.accLen);
    this.accLen = need;
  }

  private readLogical(): boolean {
    this.mode = 0;
    this.accLen = 0;
    for (;;) {
      // one physical line: data[ls, le), nl = it ended with a newline
      let ls = this.pos;
      let scan = ls;
      let le = -1;
      let nl = false;
      for (;;) {
        const i = this.data.indexOf(10, scan);
        if (i >= 0 && i < this.len) {
          le = i;
          nl = true;
          this.pos = i + 1;
          break;
        }
        // this.pos is still ls, so fill() keeps everything from the start of this line
        const scanned = this.len - ls;
        if (!this.fill()) {
          if (ls < this.len) {
            le = this.len;
            this.pos = this.len;
          }
          break;
        }
        ls = this.pos;
        scan = ls + scanned;
      }
      if (le < 0) break; // end of input, nothing more
      this.physical++;
      let p = ls;
      const d = this.data;
      while (p < le && isSpaceByte(d[p]!)) p++;
      if (p < le && d[p] !== 0x23) {
        if (this.mode === 0) {
          this.mode = 1;
          this.vs = ls;
          this.ve = le;
          this.lineno = this.physical;
        } else {
          if (this.mode === 1) {
            this.append(d, this.vs, this.ve);
            this.mode = 2;
          }
          this.append(d, ls, le);
        }
      }
      if (!nl) break;
      if (this.mode !== 0) {
        if (this.pos >= this.len && !this.fill()) break;
        const next = this.data[this.pos]!;
        if (next !== 0x23 && !isSpaceByte(next)) break;
      }
    }
    if (this.mode === 0) return false;
    if (this.mode === 1) {
      this.buf = this.data;
      this.start = this.vs;
      this.end = this.ve;
    } else {
      this.buf = this.acc;
      this.start = 0;
      this.end = this.accLen;
    }
    return true;
  }
}
