/**
 * _codec — the one msgpack codec of postkit's queue files, and a bounded-buffer record stream over a file.
 *
 * `codec` is the only Packr/Unpackr in the project (Packr extends Unpackr, so one object does both). (The
 * envelope fast path of queue_file.ts reads the plain subset postkit writes straight from bytes with
 * _record_reader.ts; whatever it is not sure to read exactly as `codec` would, it leaves to `codec`, and
 * queue_file.ts loads this module, and msgpackr with it, only then: a listing whose files all take the fast path
 * never pays for it.) It is
 * configured once, here:
 * - `useRecords: true` WITHOUT `structures`: every pack() call is self-describing, so records appended by other
 *   processes later decode in a fresh process (with shared `structures` a fresh decoder silently produces
 *   garbage; bun.md §5, trap 1). Queue records are arrays, so record extensions never actually occur.
 * - `mapsAsObjects: true`: a map decodes as a plain object, never a JS `Map`.
 * - `int64AsType: "number"`: the fixed-width int64 fields of the size record decode as numbers.
 * - `copyBuffers: true`: decoded binary (content chunks) is a copy, not a view into the read buffer that the
 *   stream reuses.
 * - `structuredClone: false`: the reference/pointer extensions are refused when decoding; maildrop files come from
 *   any local user, so the decoder accepts as little as it can. Every decoded value is then checked against the
 *   record grammar by queue_file.ts, and any exception the decoder throws is caught here ("bad").
 *
 * RecordStream reads records from a file descriptor starting at a byte offset, with positioned reads (pread, so
 * the descriptor's own offset is untouched and O_APPEND writers are unaffected) into a 64 KiB buffer that grows
 * only to hold one record larger than it, never beyond MAX_RECORD_SIZE. It never reads ahead more than one
 * buffer: a reader that stops after the envelope has read the envelope, not the message.
 * It reports, for each step, a decoded value with its offset and size, the end of the file, an incomplete
 * record at the end of the file ("torn"), or bytes that cannot start a record ("bad"). Whether a decoded value is
 * a valid record is queue_file.ts's business.
 */
import { readSync } from "node:fs";
import { Packr } from "msgpackr";

/** The queue-file codec; see the header. Never construct another Packr or Unpackr for queue files. */
export const codec = new Packr({
  useRecords: true,
  mapsAsObjects: true,
  int64AsType: "number",
  copyBuffers: true,
  structuredClone: false,
} as ConstructorParameters<typeof Packr>[0]);

/** Largest record a reader accepts, in bytes (content chunks are at most 64 KiB). */
export const MAX_RECORD_SIZE = 1 << 20;

/** Size of the read buffer a RecordStream starts with. */
export const READ_BUFFER_SIZE = 64 * 1024 + 1024;

/** One step of a RecordStream. */
export type StreamStep =
  | { type: "record"; value: unknown; offset: number; size: number }
  | { type: "eof"; offset: number }
  | { type: "torn"; offset: number; size: number }
  | { type: "bad"; offset: number; reason: string };

const EMPTY: StreamStep = { type: "eof", offset: -1 };

/** Reads msgpack values one by one from `fd`, starting at byte `start`; see the header. */
export class RecordStream {
  private buf: Buffer;
  private bufStart: number;
  private pos = 0;
  private end = 0;
  private eof = false;
  private decoded: StreamStep[] = [];
  private ready = 0;
  /** Bytes read from the file so far. */
  bytesRead = 0;

  /** `sizeHint` (the file size, when known) keeps the buffer small for small files. */
  constructor(
    private readonly fd: number,
    start: number,
    sizeHint?: number,
  ) {
    const want = sizeHint === undefined ? READ_BUFFER_SIZE : Math.max(512, Math.min(READ_BUFFER_SIZE, sizeHint - start + 64));
    this.buf = Buffer.allocUnsafe(want);
    this.bufStart = start;
  }

  /** File offset of the next record not yet returned. */
  get offset(): number {
    const next = this.decoded[this.ready];
    return this.ready < this.decoded.length && next ? next.offset : this.bufStart + this.pos;
  }

  /** Decodes the next value. Throws only the node:fs error of a failed read. */
  next(): StreamStep {
    if (this.ready < this.decoded.length) return this.take();
    for (;;) {
      if (this.pos < this.end) {
        // Decode every complete value in the buffer at once (one DataView, one msgpackr call per buffer).
        this.decoded.length = 0;
        this.ready = 0;
        const base = this.pos;
        const fileBase = this.bufStart + base;
        let consumed = 0;
        let error: unknown;
        try {
          codec.unpackMultiple(this.buf.subarray(base, this.end), (value: unknown, start?: number, end?: number) => {
            this.decoded.push({ type: "record", value, offset: fileBase + start!, size: end! - start! });
            consumed = end!;
          });
        } catch (e) {
          error = e;
        }
        this.pos = base + consumed;
        if (this.decoded.length > 0) return this.take();
        if (!(error as { incomplete?: boolean } | undefined)?.incomplete) {
          return { type: "bad", offset: this.offset, reason: (error as Error | undefined)?.message ?? "undecodable data" };
        }
      } else if (this.eof) {
        return { type: "eof", offset: this.offset };
      }
      if (this.eof) return { type: "torn", offset: this.offset, size: this.end - this.pos };
      if (this.pos === 0 && this.end >= MAX_RECORD_SIZE) {
        return { type: "bad", offset: this.offset, reason: `record longer than ${MAX_RECORD_SIZE} bytes` };
      }
      this.fill();
    }
  }

  private take(): StreamStep {
    const step = this.decoded[this.ready]!;
    this.decoded[this.ready++] = EMPTY; // let the value be collected once the caller is done with it
    return step;
  }

  private fill(): void {
    if (this.pos > 0) {
      this.buf.copy(this.buf, 0, this.pos, this.end);
      this.bufStart += this.pos;
      this.end -= this.pos;
      this.pos = 0;
    }
    if (this.end === this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.min(this.buf.length * 2, MAX_RECORD_SIZE + 64));
      this.buf.copy(bigger, 0, 0, this.end);
      this.buf = bigger;
    }
    const n = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.bufStart + this.end);
    this.bytesRead += n;
    if (n === 0) this.eof = true;
    else this.end += n;
  }
}
