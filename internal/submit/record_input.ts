/**
 * record_input — postdrop's standard input: a submission as a stream of queue-file records (the msgpack records
 * of queue_file.ts, decoded by the one queue codec), checked record by record because any local user may send
 * anything, and written into a maildrop file exactly as sendmail writes one.
 *
 * THE STREAM
 *   envelope   any of: `C` and `T` (accepted and ignored: the size record is recomputed and the arrival time is
 *              postdrop's own, as Postfix's postdrop overrides the caller's time; the same goes for the
 *              `submit_uid` and `create_time` attributes), `A` (see below), at most one
 *              `F` (full name), exactly one `S` (sender), `R` (recipients); then `M`
 *   content    `N` records (message bytes, LF line ends); then `X`
 *   extracted  `R` and `A` records (sendmail -t recipients); then `E`, after which nothing more is read
 *   Attributes a user may set: rewrite_context (local or remote), encoding (7bit, 8bit or empty), envelope_id
 *   (DSN ENVID: at most 100 printable ASCII characters), ret_flags (1 or 2), trace_flags (1024: a delivery
 *   report). Any other attribute (expire_time, log_*, sendopts …) is dropped with Postfix's warning
 *   `uid=UID: ignoring attribute record: NAME=VALUE`. So a maildrop file can be fed back in as it is. A recipient's DSN NOTIFY bits must be 0, NEVER alone, or a
 *   combination of SUCCESS, FAILURE and DELAY.
 *   At least one sender and one recipient (in either section) are required.
 *
 * OUTCOMES
 *   - `E` seen: the file is finished and entered into maildrop; finish() returns its queue ID.
 *   - End of input exactly between two records before `E`: the request is cancelled, as in Postfix: nothing is
 *     queued (a file already started is removed) and finish() returns undefined; postdrop exits 0.
 *   - Anything else (undecodable bytes, a record cut short, a record kind or value out of place, a field the
 *     queue file cannot hold, more input than message_size_limit) throws SubmitError `malformed` or `size`;
 *     the started file is removed.
 * The maildrop file itself is created only when `M` arrives (openFile callback), so a stream refused in its
 * envelope never touches the queue. Memory: the envelope, plus at most one record of input (1 MiB).
 */
import { codec, MAX_RECORD_SIZE } from "../queue/_codec.ts";
import { ATTR, decodeRecord, type QueueRecord } from "../queue/queue_file.ts";
import type { QueueFileWriter, RecipientInput } from "../queue/queue_writer.ts";
import { QueueError } from "../queue/queue_error.ts";
import { SubmitError } from "./submit_error.ts";
import { dsnEnvidProblem } from "./sendmail_options.ts";

/** What the reader needs from its caller. */
export interface RecordInputOptions {
  /** The submitting uid, for messages and the envelope's submit_uid. */
  uid: number;
  /** Starts the maildrop file (called when `M` arrives). */
  openFile: () => QueueFileWriter;
  /** Where warnings go. */
  warn: (text: string) => void;
  /** message_size_limit: most bytes of input accepted; 0 = no limit. */
  sizeLimit?: number;
}

type Section = "envelope" | "content" | "extracted" | "done";

const ENCODINGS = new Set(["7bit", "8bit", ""]);

/** True for a NOTIFY value sendmail could have written (Postfix DSN_NOTIFY_OK, or 0 = not given). */
function notifyOk(n: number): boolean {
  return n === 0 || n === 1 || (n & ~14) === 0;
}

/** Reads a record stream chunk by chunk; see the header. */
export class RecordInput {
  private section: Section = "envelope";
  private buf: Buffer = Buffer.alloc(0);
  private total = 0;
  private sender: string | undefined;
  private fullName: string | undefined;
  private readonly recipients: RecipientInput[] = [];
  private readonly attributes: [string, string][] = [];
  private readonly extracted: RecipientInput[] = [];
  private readonly extractedAttributes: [string, string][] = [];
  private writer: QueueFileWriter | undefined;
  private queueId: string | undefined;

  constructor(private readonly opts: RecordInputOptions) {}

  private malformed(why: string): SubmitError {
    return new SubmitError("malformed", `uid=${this.opts.uid}: malformed input: ${why}`);
  }

  /** Takes the next bytes of input; false once `E` was read (the caller stops reading). */
  push(chunk: Uint8Array): boolean {
    if (this.section === "done") return false;
    try {
      this.total += chunk.length;
      const limit = this.opts.sizeLimit ?? 0;
      if (limit > 0 && this.total > limit) throw new SubmitError("size", `uid=${this.opts.uid}: File too large`);
      this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
      this.decode();
    } catch (e) {
      this.abort();
      throw e;
    }
    return !this.isDone();
  }

  /** A method, so TypeScript does not narrow `section` across the calls that change it. */
  private isDone(): boolean {
    return this.section === "done";
  }

  private decode(): void {
    let pos = 0;
    while (pos < this.buf.length && !this.isDone()) {
      const values: unknown[] = [];
      let consumed = 0;
      let error: unknown;
      try {
        codec.unpackMultiple(this.buf.subarray(pos), (value: unknown, _start?: number, end?: number) => {
          values.push(value);
          consumed = end!;
          // stop at E: what follows it is not ours to read
          if (Array.isArray(value) && value[0] === "E") return false;
          return true;
        });
      } catch (e) {
        error = e;
      }
      for (const v of values) {
        this.take(v);
        if (this.isDone()) break;
      }
      pos += consumed;
      if (this.isDone()) break;
      if (error !== undefined) {
        if (!(error as { incomplete?: boolean }).incomplete) throw this.malformed((error as Error).message ?? "undecodable data");
        break;
      }
      if (values.length === 0) break;
    }
    this.buf = pos >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
    if (this.buf.length > MAX_RECORD_SIZE) throw this.malformed(`record longer than ${MAX_RECORD_SIZE} bytes`);
  }

  private take(value: unknown): void {
    const rec = decodeRecord(value);
    if (!rec) throw this.malformed("invalid record");
    try {
      switch (this.section) {
        case "envelope":
          this.envelopeRecord(rec);
          break;
        case "content":
          if (rec.kind === "N") this.writer!.writeContent(rec.data);
          else if (rec.kind === "X") this.section = "extracted";
          else throw this.unexpected(rec);
          break;
        case "extracted":
          if (rec.kind === "R") this.extracted.push(this.recipient(rec));
          else if (rec.kind === "A") this.attribute(rec.name, rec.value, this.extractedAttributes);
          else if (rec.kind === "E") this.end();
          else throw this.unexpected(rec);
          break;
      }
    } catch (e) {
      if (e instanceof QueueError && e.code === "invalid") throw this.malformed(e.message);
      throw e;
    }
  }

  private unexpected(rec: QueueRecord): SubmitError {
    return new SubmitError("malformed", `uid=${this.opts.uid}: unexpected record type: ${rec.kind}`);
  }

  private recipient(rec: Extract<QueueRecord, { kind: "R" }>): RecipientInput {
    if (!notifyOk(rec.notify)) throw this.malformed(`bad DSN notify flags ${rec.notify}`);
    return { address: rec.address, origAddress: rec.origAddress, notify: rec.notify, orcpt: rec.orcpt };
  }

  private envelopeRecord(rec: QueueRecord): void {
    switch (rec.kind) {
      case "C":
      case "T":
        return; // recomputed / postdrop's own time
      case "A":
        this.attribute(rec.name, rec.value, this.attributes);
        return;
      case "F":
        if (this.fullName !== undefined) throw this.malformed("more than one full name record");
        this.fullName = rec.fullName;
        return;
      case "S":
        if (this.sender !== undefined) throw this.malformed("more than one sender record");
        this.sender = rec.sender;
        return;
      case "R":
        this.recipients.push(this.recipient(rec));
        return;
      case "M":
        if (this.sender === undefined) throw this.malformed("no sender record");
        this.writer = this.opts.openFile();
        this.writer.writeEnvelope({
          sender: this.sender,
          fullName: this.fullName,
          recipients: this.recipients,
          uid: this.opts.uid,
          attributes: this.attributes,
        });
        this.section = "content";
        return;
      default:
        throw this.unexpected(rec);
    }
  }

  private attribute(name: string, value: string, into: [string, string][]): void {
    if (name === ATTR.SUBMIT_UID || name === ATTR.CREATE_TIME) return; // postdrop's own, like the arrival time
    let ok = false;
    switch (name) {
      case ATTR.REWRITE_CONTEXT:
        ok = value === "local" || value === "remote";
        break;
      case ATTR.ENCODING:
        ok = ENCODINGS.has(value);
        break;
      case ATTR.DSN_ENVID:
        ok = dsnEnvidProblem(value) === undefined;
        break;
      case ATTR.DSN_RET:
        ok = value === "1" || value === "2";
        break;
      case ATTR.TRACE_FLAGS:
        ok = value === "1024";
        break;
    }
    if (ok && !into.some(([n]) => n === name)) into.push([name, value]);
    else this.opts.warn(`uid=${this.opts.uid}: ignoring attribute record: ${name.slice(0, 200)}=${value.slice(0, 200)}`);
  }

  private end(): void {
    if (this.recipients.length + this.extracted.length === 0) throw this.malformed("no recipient record");
    this.writer!.addExtracted({ recipients: this.extracted, attributes: this.extractedAttributes });
    this.queueId = this.writer!.finish().queueId;
    this.section = "done";
  }

  /**
   * The end of the input: the queue ID when the submission was complete, undefined when it was cancelled (input
   * ended between records before `E`). Throws SubmitError `malformed` for input cut inside a record.
   */
  finish(): string | undefined {
    if (this.section === "done") return this.queueId;
    this.abort();
    if (this.buf.length > 0) throw this.malformed("incomplete record at end of input");
    return undefined;
  }

  /** Removes a started file. */
  abort(): void {
    this.writer?.abort();
  }
}
