/**
 * sendmail_input — turns what sendmail reads on standard input into the message content it stores, as Postfix's
 * sendmail does before handing the message to postdrop; with -t, also the recipients of the message headers.
 *
 * The input is cut into records exactly as Postfix's rec_streamlf_get() cuts it: a line of fewer than
 * `line_length_limit` (2048) bytes is one complete record; a longer line is pieces of exactly that many bytes
 * (each "partial"), then the rest as a complete record (empty when the length is a multiple); bytes after the last
 * newline are partial records. The rules below apply per record, in this order, so their edge cases are
 * Postfix's (a CR at the end of a partial piece is kept; a `.` after a partial piece ends nothing):
 *
 * 1. `sendmail_fix_line_endings`: `always` strips every trailing CR of complete records; `never` keeps them;
 *    `strict` decides once, by the first complete record: stripping when it ends in CR.
 * 2. At the very start, complete records that read `From ` after any number of `>` (mbox separators, UUCP
 *    `>From `) are dropped, up to the first record that does not.
 * 3. Without -i (`dotEndsInput`), a record that is exactly `.` and does not continue a partial piece ends the
 *    input; whatever follows is not read (Postfix discards it silently).
 * 4. Everything else is stored unchanged: complete records get their newline back, long lines stay whole, NUL
 *    bytes and 8-bit data pass through, a last line without newline stays without it.
 *
 * With -t the records also go through Postfix's primary-header reader (internal/message HeaderParser, Postfix's
 * mime_state with MIME processing off), which changes the content the way Postfix's sendmail -t does: white
 * space between a header name and its colon is removed, a NUL ends the text of a header line, an empty line is
 * inserted when the headers end with a line that is not empty, and a last line without newline gets one.
 * Recipients come from To, Cc and Bcc; once a Resent-To, Resent-Cc or Resent-Bcc header is seen, only the Resent-
 * ones count (and later plain ones are ignored). Addresses are the internal forms of tok822 parsing
 * (internal/address parseAddressList()). Bcc is NOT removed here: cleanup removes it (message_drop_headers).
 * A header longer than header_size_limit makes the submission fail (`SubmitError` code `header`), as in Postfix.
 *
 * Memory: one `line_length_limit` buffer for a line split across reads, plus one header (at most
 * header_size_limit plus a line) with -t; content goes to the sink as it is processed.
 * Contract: push() and finish() throw SubmitError; the sink must copy the bytes it is given before returning.
 * Postfix: src/sendmail/sendmail.c enqueue(), src/global/rec_streamlf.c.
 */
import { HeaderParser, type Header } from "../message/header_parser.ts";
import { parseAddressList } from "../address/address_list.ts";
import { SubmitError } from "./submit_error.ts";

/** sendmail_fix_line_endings values. */
export type FixLineEndings = "always" | "strict" | "never";

/** How to read the input. */
export interface SendmailInputOptions {
  /** No -i / -oi: a line with only `.` ends the input. */
  dotEndsInput: boolean;
  /** sendmail_fix_line_endings (default always). */
  fixLineEndings?: FixLineEndings;
  /** line_length_limit (default 2048). */
  lineLimit?: number;
  /** -t: extract recipients from the headers. */
  extract?: boolean;
  /** header_size_limit (default 102400), for -t. */
  headerSizeLimit?: number;
}

/** Receives content bytes; must copy them before returning. */
export type ContentSink = (bytes: Uint8Array) => void;

const NORM = 1;
const CONT = 2;
const NL = new Uint8Array([10]);
const CR = 13;
const FROM_ = Buffer.from("From ");

/** sendmail's input processing; see the header. */
export class SendmailInput {
  private readonly lineLimit: number;
  private readonly piece: Buffer;
  private pieceLength = 0;
  private prevType = 0;
  private stripCr: "do" | "dont" | "dunno";
  private skipFrom = true;
  private done = false;
  private lastPartial = false;
  private readonly parser: HeaderParser | undefined;
  private readonly regular: string[] = [];
  private readonly resentList: string[] = [];
  private resent = false;

  constructor(
    private readonly sink: ContentSink,
    private readonly opts: SendmailInputOptions,
  ) {
    this.lineLimit = Math.max(1, opts.lineLimit ?? 2048);
    this.piece = Buffer.allocUnsafe(this.lineLimit);
    const fix = opts.fixLineEndings ?? "always";
    this.stripCr = fix === "always" ? "do" : fix === "never" ? "dont" : "dunno";
    if (opts.extract) {
      this.parser = new HeaderParser(
        {
          header: (h) => this.header(h),
          endOfHeaders: () => {},
          body: (text, partial) => this.sink(Buffer.from(partial ? text : `${text}\n`, "latin1")),
        },
        { headerSizeLimit: opts.headerSizeLimit ?? 102400 },
      );
    }
  }

  /** True once a lone `.` ended the input: the caller stops reading. */
  get ended(): boolean {
    return this.done;
  }

  /** Takes the next bytes of input; returns false once the input has ended (lone dot). */
  push(chunk: Uint8Array): boolean {
    const limit = this.lineLimit;
    let pos = 0;
    while (pos < chunk.length && !this.done) {
      if (this.pieceLength === 0) {
        const nl = chunk.indexOf(10, pos);
        if (nl >= 0 && nl - pos < limit) {
          this.record(NORM, chunk.subarray(pos, nl), chunk.subarray(pos, nl + 1));
          pos = nl + 1;
        } else if (chunk.length - pos >= limit) {
          this.record(CONT, chunk.subarray(pos, pos + limit));
          pos += limit;
        } else {
          this.piece.set(chunk.subarray(pos), 0);
          this.pieceLength = chunk.length - pos;
          pos = chunk.length;
        }
        continue;
      }
      const room = limit - this.pieceLength;
      const nl = chunk.indexOf(10, pos);
      if (nl >= 0 && nl - pos < room) {
        this.piece.set(chunk.subarray(pos, nl), this.pieceLength);
        const n = this.pieceLength + nl - pos;
        this.pieceLength = 0;
        this.record(NORM, this.piece.subarray(0, n));
        pos = nl + 1;
      } else if (chunk.length - pos >= room) {
        this.piece.set(chunk.subarray(pos, pos + room), this.pieceLength);
        this.pieceLength = 0;
        this.record(CONT, this.piece.subarray(0, limit));
        pos += room;
      } else {
        this.piece.set(chunk.subarray(pos), this.pieceLength);
        this.pieceLength += chunk.length - pos;
        pos = chunk.length;
      }
    }
    return !this.done;
  }

  /**
   * Ends the input (end of file, or after a lone dot). Returns the header recipients with -t (internal forms,
   * in header order; [] without -t).
   */
  finish(): string[] {
    if (this.pieceLength > 0 && !this.done) {
      const n = this.pieceLength;
      this.pieceLength = 0;
      this.record(CONT, this.piece.subarray(0, n));
    }
    this.done = true;
    if (!this.parser) return [];
    if (this.parser.inHeaders) this.parser.finish();
    else if (this.lastPartial) this.sink(NL);
    return this.resent ? this.resentList : this.regular;
  }

  /** One record, with the same view plus its newline when the record is stored unchanged (`raw`). */
  private record(type: number, data: Uint8Array, raw?: Uint8Array): void {
    if (this.done) return;
    if (this.stripCr === "dunno" && type === NORM) this.stripCr = data.length > 0 && data[data.length - 1] === CR ? "do" : "dont";
    if (this.skipFrom) {
      if (type === NORM) {
        let k = 0;
        while (k < data.length && data[k] === 0x3e /* > */) k++;
        if (data.length - k >= 5 && FROM_.equals(data.subarray(k, k + 5))) {
          this.prevType = type;
          return;
        }
      }
      this.skipFrom = false;
    }
    if (this.stripCr === "do" && type === NORM) {
      let end = data.length;
      while (end > 0 && data[end - 1] === CR) end--;
      if (end !== data.length) {
        data = data.subarray(0, end);
        raw = undefined;
      }
    }
    if (this.opts.dotEndsInput && this.prevType !== CONT && data.length === 1 && data[0] === 0x2e /* . */) {
      this.done = true;
      return;
    }
    this.prevType = type;
    this.lastPartial = type === CONT;
    if (this.parser?.inHeaders) {
      this.parser.push(data, type === CONT);
      return;
    }
    if (raw) {
      this.sink(raw);
      return;
    }
    this.sink(data);
    if (type === NORM) this.sink(NL);
  }

  private header(h: Header): void {
    if (h.truncated) throw new SubmitError("header", "unable to extract recipients: message header length exceeds safety limit");
    const info = h.info;
    if (info?.extract && (!this.resent || info.resent)) {
      let list = this.regular;
      if (info.resent) {
        list = this.resentList;
        this.resent = true;
      }
      for (const a of parseAddressList(h.value)) list.push(Buffer.from(a.internal, "latin1").toString("utf8"));
    }
    this.sink(Buffer.from(`${h.text}\n`, "latin1"));
  }
}
