/**
 * mail_copy — how a queued message is written to a mailbox, a maildir file, a file or a command: the lines that
 * local delivery puts in front of it, `From ` quoting, line ends, and the blank line after each mbox message
 * (Postfix's mail_copy()).
 *
 * THE PREAMBLE, in this order, each line only when asked for:
 *   From SENDER  DATE        the mbox separator: the sender in external (quoted) form, or MAILER-DAEMON for the
 *                            null sender, TWO spaces, and the local time in asctime() form
 *                            (`Thu Nov 26 09:53:11 2026`, day of month padded with a space)
 *   Return-Path: <SENDER>    `<>` for the null sender
 *   X-Original-To: ORCPT     the recipient as originally given to the mail system (omitted when unknown)
 *   Delivered-To: RCPT       the final envelope recipient (loop detection)
 * Addresses are written in external form (quote_822_local).
 *
 * THE MESSAGE is copied byte for byte from the queue file's content (headers and body, LF line ends, 8-bit and
 * long lines untouched) with these changes:
 *   quoteFrom   a line that starts with `From ` gets a `>` in front (mbox; readers do not undo it)
 *   the last line always ends with a newline (a message submitted without one gets it here, as in Postfix)
 *   blankLine   one empty line after the message (mbox: the next `From ` is then found by every reader)
 * The copier works on chunks of any size and alignment: a line split between two chunks is quoted all the same.
 *
 * Pure functions and generators; nothing here does I/O or throws. Postfix: src/global/mail_copy.c.
 */
import { quoteLocalPart } from "../address/quote_local.ts";
import { localTimeParts } from "../sys/localtime.ts";

/** What to put in front of the message. */
export interface PreambleOptions {
  /** Envelope sender, internal form ("" = null sender). */
  sender: string;
  /** Write the `From ` separator line. */
  fromLine?: boolean;
  /** Write `Return-Path:`. */
  returnPath?: boolean;
  /** Original recipient for `X-Original-To:`; omitted when undefined or "" (or enable_original_recipient = no). */
  origRcpt?: string;
  /** Recipient for `Delivered-To:`; omitted when undefined. */
  delivered?: string;
  /** Time for the `From ` line (default now). */
  date?: Date;
  /** Time zone for the `From ` line (a TZ value; default the process's). */
  tz?: string;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** asctime() of the local time without the newline: `Thu Nov 26 09:53:11 2026`. */
export function asctime(date: Date, tz?: string): string {
  const t = tz === undefined ? localTimeParts(date) : localTimeParts(date, tz);
  const day = t.day < 10 ? ` ${t.day}` : `${t.day}`;
  return `${DAYS[t.weekday]} ${MONTHS[t.month]} ${day} ${pad2(t.hours)}:${pad2(t.minutes)}:${pad2(t.seconds)} ${t.year}`;
}

/** The `From SENDER  DATE` separator line, without its newline. */
export function formatFromLine(sender: string, date: Date = new Date(), tz?: string): string {
  return `From ${sender === "" ? "MAILER-DAEMON" : quoteLocalPart(sender)}  ${asctime(date, tz)}`;
}

/** The preamble lines, each ending in "\n" (see the module header for their order). */
export function formatPreamble(opts: PreambleOptions): string {
  let s = "";
  if (opts.fromLine) s += `${formatFromLine(opts.sender, opts.date, opts.tz)}\n`;
  if (opts.returnPath) s += `Return-Path: <${opts.sender === "" ? "" : quoteLocalPart(opts.sender)}>\n`;
  if (opts.origRcpt) s += `X-Original-To: ${quoteLocalPart(opts.origRcpt)}\n`;
  if (opts.delivered !== undefined) s += `Delivered-To: ${quoteLocalPart(opts.delivered)}\n`;
  return s;
}

/** How the message body is transformed. */
export interface CopyOptions {
  /** Prefix `>` to lines that start with `From ` (mbox). */
  quoteFrom?: boolean;
  /** Append an empty line after the message (mbox). */
  blankLine?: boolean;
}

const FROM_ = Buffer.from("From ");
const NL_FROM = Buffer.from("\nFrom ");
const GT = Buffer.from(">");
const NL = Buffer.from("\n");

/** True when `b` (shorter than "From ") could still become "From " with more bytes. */
function isFromPrefix(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== FROM_[i]) return false;
  return true;
}

/**
 * The message as it goes into the destination: `preamble` (already formatted), then the content chunks with
 * `From ` quoting, a final newline and the optional blank line. Yields buffers of about the input chunk size.
 */
export function* copyMessage(preamble: string, content: Iterable<Uint8Array>, opts: CopyOptions = {}): Generator<Uint8Array> {
  let pending: Uint8Array[] = preamble === "" ? [] : [Buffer.from(preamble, "utf8")];
  let lastByte = 10; // an empty message still gets no extra newline
  let bol = true; // the next byte starts a line
  let carry: Buffer | undefined;
  for (const chunk of content) {
    if (chunk.length === 0) continue;
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (carry) {
      buf = Buffer.concat([carry, buf]);
      carry = undefined;
    }
    if (!opts.quoteFrom) {
      pending.push(buf);
      lastByte = buf[buf.length - 1]!;
    } else {
      // Hold back a short last line that may turn into "From " with the next chunk.
      let end = buf.length;
      const lastNl = buf.lastIndexOf(10);
      const tailStart = lastNl + 1;
      if ((lastNl >= 0 || bol) && end > tailStart && end - tailStart < FROM_.length && isFromPrefix(buf.subarray(tailStart))) {
        carry = Buffer.from(buf.subarray(tailStart));
        end = tailStart;
      }
      let start = 0;
      if (bol && end >= FROM_.length && buf.compare(FROM_, 0, FROM_.length, 0, FROM_.length) === 0) pending.push(GT);
      for (let p = buf.indexOf(NL_FROM, 0); p >= 0 && p < end; p = buf.indexOf(NL_FROM, p + 1)) {
        pending.push(buf.subarray(start, p + 1), GT);
        start = p + 1;
      }
      if (end > start) pending.push(buf.subarray(start, end));
      if (end > 0) lastByte = buf[end - 1]!;
      bol = carry !== undefined || lastByte === 10;
    }
    if (pending.length > 0) {
      yield pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      pending = [];
    }
  }
  if (carry) {
    pending.push(carry);
    lastByte = carry[carry.length - 1]!;
  }
  if (lastByte !== 10) pending.push(NL);
  if (opts.blankLine) pending.push(NL);
  if (pending.length > 0) yield pending.length === 1 ? pending[0]! : Buffer.concat(pending);
}
