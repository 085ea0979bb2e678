/**
 * mailq_format — the two listings of the mail queue, byte for byte as Postfix 3.7 prints them: the classic
 * `postqueue -p` / `mailq` / `sendmail -bp` layout, and the `postqueue -j` JSON Lines. Postfix's
 * postqueue/showq_compat.c and showq_json.c, fed by showq's per-message report — here a ListedMessage of
 * internal/queue/queue_listing.ts, with its recipients already in listing order.
 *
 * CLASSIC LAYOUT (enable_long_queue_ids = no; the long layout's widths are in brackets)
 *   heading, before the first message only:
 *     `-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------`
 *     [`----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------`]
 *   per message: the ID with its marker (`*` active, `!` hold, then `#` when force-expired) left-aligned in 11 [17],
 *     a space, the size right-aligned in 7 [8], a space, asctime() of the arrival time cut to 20 [19] characters,
 *     a space, the sender (null sender: $empty_address_recipient). A marker may widen the ID column.
 *   then each recipient still to do: 41 [47] spaces and the address. Before a recipient whose delay reason differs
 *     from the previous recipient's (the first is compared with none), `(reason)` right-aligned so that it ends in
 *     column 78 (flush left when longer), or `(reason unavailable)` when a recipient without a reason follows one
 *     with a reason. Recipients with a reason come first, in the order they were deferred, as Postfix lists its
 *     defer logfile before the queue file's other recipients.
 *   an empty line between messages; after the last: an empty line and `-- N Kbytes in M Request(s).` (N = the sum
 *     of the sizes shown, divided by 1024, rounded down; `Request` when M is 1). No message: `Mail queue is empty`.
 * Addresses are quoted as RFC 822 local parts when needed (`"john doe"@example.com`) and control characters
 * shown as `?`, as showq's quote_822_local() + printable() do.
 *
 * JSON LINES: one object per message, `{"queue_name": …, "queue_id": …, "arrival_time": N, "message_size": N,
 * "forced_expire": bool, "sender": …, "recipients": [{"orig_address": …, "address": …, "delay_reason": …}]}`
 * with `", "` and `": "` spacing; `delay_reason` only when there is one. `orig_address` is Postfix 3.11's member
 * (consumers of 3.7's output ignore unknown members). Strings escape `"` `\` and control characters
 * (`\b \f \n \r \t`, others `\u00XX`).
 *
 * Neighbouring messages of a queue often share their sender, reasons and recipients: the text of an entry after
 * the arrival time, and of a JSON line from `forced_expire` on, is kept with what it was made from and used
 * again when the next message has the same (mailq_format_test.ts checks both against the plain definitions).
 *
 * Never throws; knows nothing of files.
 */
import type { ListedMessage } from "../queue/queue_listing.ts";
import { noFTL } from "bun:jsc";
import { localTimeParts } from "../sys/localtime.ts";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** C asctime(localtime(sec)) without its newline: `Wed Nov 25 05:26:10 2026`, day of month padded with a space. */
export function asctime(sec: number): string {
  return asctimeIn(sec, process.env.TZ);
}

function asctimeIn(sec: number, tz: string | undefined): string {
  const t = localTimeParts(new Date(sec * 1000), tz);
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  const day = t.day < 10 ? ` ${t.day}` : String(t.day);
  return `${DAYS[t.weekday]} ${MONTHS[t.month]} ${day} ${two(t.hours)}:${two(t.minutes)}:${two(t.seconds)} ${t.year}`;
}

/** True when `s` has a control character or a surrogate (a scan: a regular expression costs its compilation). */
function needsPrintable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

/** Postfix's printable(): control characters (and lone surrogates) become `?`; UTF-8 text stays. */
export function printable(s: string): string {
  return needsPrintable(s) ? s.replace(/[\x00-\x1f\x7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "?") : s;
}

function isDotString(local: string): boolean {
  if (local.length === 0 || local[0] === "." || local[local.length - 1] === ".") return false;
  for (let i = 0; i < local.length; i++) {
    const c = local.charCodeAt(i);
    if (c === 46 && local.charCodeAt(i + 1) === 46) return false; // ".."
    if (c <= 32 || c === 127) return false;
    if ('()<>@,;:\\"[]'.includes(local[i]!)) return false;
  }
  return true;
}

/** RFC 822 quoting of an address's local part when it is not a dot-string (Postfix quote_822_local). */
export function quote822Local(addr: string): string {
  let start = 0;
  if (addr.startsWith("@")) {
    const colon = addr.indexOf(":");
    if (colon >= 0) start = colon + 1; // source route
  }
  const at = addr.lastIndexOf("@");
  const end = at >= start ? at : addr.length;
  const local = addr.slice(start, end);
  if (isDotString(local)) return addr;
  return `${addr.slice(0, start)}"${local.replace(/["\\\r]/g, "\\$&")}"${addr.slice(end)}`;
}

/** Characters that keep a local part from being a dot-string: `()<>@,;:\"[]` (controls, space and DEL apart). */
const SPECIALS = new Uint8Array(128);
for (const c of '()<>@,;:\\"[]') SPECIALS[c.charCodeAt(0)] = 1;

/**
 * True when quote822Local() and printable() leave `addr` as it is: printable ASCII only, no source route, and a
 * local part (before the last `@`) that is a dot-string. One pass over the characters; anything else takes the
 * general functions.
 */
function isPlainAddress(addr: string): boolean {
  const n = addr.length;
  if (n === 0 || addr.charCodeAt(0) === 64) return false;
  const end = addr.lastIndexOf("@");
  const localEnd = end >= 0 ? end : n;
  let afterDot = true; // a leading "." is not allowed
  for (let i = 0; i < n; i++) {
    const c = addr.charCodeAt(i);
    if (c <= 32 || c >= 127) return false;
    if (i < localEnd) {
      if (c === 46) {
        if (afterDot) return false; // leading "." or ".."
        afterDot = true;
      } else {
        if (SPECIALS[c] === 1) return false;
        afterDot = false;
      }
    }
  }
  return !afterDot; // not empty, no trailing "."
}

/** An address as mailq shows it: empty -> `emptyAddress`, quoted, printable. */
export function displayAddress(addr: string, emptyAddress: string): string {
  const a = addr === "" ? emptyAddress : addr;
  return isPlainAddress(a) ? a : printable(quote822Local(a));
}

/** The queue ID with its status markers (`*` active, `!` hold, `#` force-expired). */
export function markedQueueId(s: Pick<ListedMessage, "queueId" | "queueName" | "forcedExpire">): string {
  const mark = s.queueName === "active" ? "*" : s.queueName === "hold" ? "!" : "";
  return s.queueId + mark + (s.forcedExpire ? "#" : "");
}

/**
 * asctime() of arrival times cut to `width` characters, for a listing of many messages. Problem: asctime()
 * works out the zone offset and the broken-down time from scratch for each message (a third of a microsecond,
 * a tenth of what listing a message may cost). Solution: the zone offset is looked up once per UTC hour — and
 * kept only when it is the same at both ends of that hour, so no transition falls inside it; otherwise that hour
 * goes through asctime() — and the date part (`Wed Nov 25 `, the year) once per local day; the time of day is
 * arithmetic. Both caches are bounded (cleared when full), so memory stays flat whatever the queue size.
 * TZ is read once, when the listing starts.
 */
class ArrivalClock {
  private readonly tz = process.env.TZ;
  private readonly offsets = new Map<number, number>();
  private readonly days = new Map<number, [string, string]>();

  constructor(private readonly width: number) {}

  format(sec: number): string {
    // odd times (before 1970, after 9999, fractions) go the general way
    if (!(Number.isInteger(sec) && sec >= 0 && sec <= 253402300799)) return asctimeIn(sec, this.tz).padEnd(24).slice(0, this.width);
    const hour = Math.floor(sec / 3600);
    let off = this.offsets.get(hour);
    if (off === undefined) {
      const a = localTimeParts(new Date(hour * 3600_000), this.tz).offset;
      const b = localTimeParts(new Date((hour * 3600 + 3599) * 1000), this.tz).offset;
      off = a === b ? a : NaN;
      if (this.offsets.size >= 4096) this.offsets.clear();
      this.offsets.set(hour, off);
    }
    if (Number.isNaN(off)) return asctimeIn(sec, this.tz).padEnd(24).slice(0, this.width);
    const local = sec + off;
    const day = Math.floor(local / 86400);
    let d = this.days.get(day);
    if (d === undefined) {
      const l = new Date(day * 86400_000);
      const dom = l.getUTCDate();
      d = [`${DAYS[l.getUTCDay()]} ${MONTHS[l.getUTCMonth()]} ${dom < 10 ? ` ${dom}` : dom} `, ` ${l.getUTCFullYear()}`];
      if (this.days.size >= 4096) this.days.clear();
      this.days.set(day, d);
    }
    const t = local - day * 86400;
    const hms = `${TWO_DIGITS[Math.floor(t / 3600)]}:${TWO_DIGITS[Math.floor(t / 60) % 60]}:${TWO_DIGITS[t % 60]}`;
    // a year of four digits makes the text 24 characters: the listing's widths take the time and the space after it
    if (this.width === 20) return `${d[0]}${hms} `;
    if (this.width === 19) return `${d[0]}${hms}`;
    return `${d[0]}${hms}${d[1]}`.slice(0, this.width);
  }
}

/** "00" to "59". */
const TWO_DIGITS: string[] = [];
for (let i = 0; i < 60; i++) TWO_DIGITS.push(i < 10 ? `0${i}` : String(i));

const SPACE_RUN = "                                                                                ";

/** SPACES[n]: n spaces, for padding the listing's columns (up to 79). */
const SPACES: string[] = [];
for (let i = 0; i < 80; i++) SPACES.push(SPACE_RUN.slice(0, i)); // slices of one flat string, never ropes

/** `n` spaces ("" for n <= 0). */
function spaces(n: number): string {
  if (n < SPACES.length) return n > 0 ? SPACES[n]! : "";
  let s = SPACE_RUN;
  while (s.length < n) s += SPACE_RUN;
  return s.slice(0, n);
}

/** Layout choices that come from main.cf. */
export interface MailqFormatOptions {
  /** enable_long_queue_ids */
  longIds: boolean;
  /** empty_address_recipient (default MAILER-DAEMON) */
  emptyAddress: string;
  /**
   * A part of a listing whose heading another part prints (parallel_listing.ts): every entry, the first too,
   * starts with the separating empty line.
   */
  continued?: boolean;
}

/** Builds the classic listing one message at a time; see the header. */
export class MailqListing {
  /** Messages listed so far. */
  count = 0;
  /** Sum of the sizes listed so far. */
  bytes = 0;
  private readonly idWidth: number;
  private readonly sizeWidth: number;
  private readonly timeWidth: number;
  private readonly rcptIndent: string;
  private readonly clock: ArrivalClock;
  private readonly senders: LastValue;
  private readonly recipients: LastValue;
  private reasonKey: string | undefined;
  private reasonLine = "";

  constructor(private readonly opts: MailqFormatOptions) {
    this.idWidth = opts.longIds ? 17 : 11;
    this.sizeWidth = opts.longIds ? 8 : 7;
    this.timeWidth = opts.longIds ? 19 : 20;
    this.rcptIndent = spaces(this.idWidth + 1 + this.sizeWidth + 1 + this.timeWidth + 1);
    this.clock = new ArrivalClock(this.timeWidth);
    const show = (a: string): string => displayAddress(a, opts.emptyAddress);
    this.senders = new LastValue(show);
    this.recipients = new LastValue(show);
  }

  /** The text for one message: the heading (first message) or the separating empty line, then the entry. */
  entry(m: ListedMessage): string {
    const head = this.count === 0 && !this.opts.continued ? mailqHeading(this.opts.longIds) : "\n";
    this.count++;
    this.bytes += m.messageSize;
    const id = markedQueueId(m);
    const size = String(m.messageSize);
    const idField = id.length >= this.idWidth ? id : id + SPACES[this.idWidth - id.length]!;
    const sizeField = size.length >= this.sizeWidth ? size : SPACES[this.sizeWidth - size.length]! + size;
    return `${head}${idField} ${sizeField} ${this.clock.format(m.arrivalTime)}${this.tail(m)}`;
  }

  // The entry after the arrival time — sender, reasons, recipients — depends on nothing else, and neighbouring
  // messages often share it: the last one is kept with what it was made from.
  private tailText = "";
  private tailSender: string | undefined;
  private tailCount = -1;
  private readonly tailAddress: string[] = [];
  private readonly tailReason: string[] = [];

  private tail(m: ListedMessage): string {
    const n = m.count;
    let same = m.sender === this.tailSender && n === this.tailCount;
    for (let i = 0; same && i < n; i++) same = m.address[i] === this.tailAddress[i] && m.reason[i] === this.tailReason[i];
    if (same) return this.tailText;
    let out = ` ${this.senders.quote(m.sender)}\n`;
    let saved = "";
    for (let i = 0; i < n; i++) {
      const why = this.printableReason(m.reason[i]!);
      if (why !== saved) {
        saved = why;
        out += this.reasonText(why);
      }
      out += `${this.rcptIndent}${this.recipients.quote(m.address[i]!)}\n`;
      this.tailAddress[i] = m.address[i]!;
      this.tailReason[i] = m.reason[i]!;
    }
    this.tailSender = m.sender;
    this.tailCount = n;
    this.tailText = out;
    return out;
  }

  private reasonRaw = "";
  private reasonShown = "";

  /** printable() of a delay reason; the last one is kept, as neighbours often share it. */
  private printableReason(reason: string): string {
    if (reason === "") return "";
    if (reason !== this.reasonRaw) {
      this.reasonRaw = reason;
      this.reasonShown = printable(reason);
    }
    return this.reasonShown;
  }

  /** The `(reason)` line, right-aligned to column 78; the last one is kept, as neighbours often share it. */
  private reasonText(why: string): string {
    if (why !== this.reasonKey) {
      const shown = why === "" ? "reason unavailable" : why;
      this.reasonKey = why;
      this.reasonLine = `${spaces(76 - shown.length)}(${shown})\n`;
    }
    return this.reasonLine;
  }

  /** The closing text: the trailer, or `Mail queue is empty`. */
  end(): string {
    return mailqEnd(this.count, this.bytes);
  }
}

/** The heading line of the classic listing. */
export function mailqHeading(longIds: boolean): string {
  return longIds
    ? "----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------\n"
    : "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n";
}

/** The closing text of the classic listing of `count` messages of `bytes` in all. */
export function mailqEnd(count: number, bytes: number): string {
  if (count === 0) return "Mail queue is empty\n";
  return `\n-- ${Math.floor(bytes / 1024)} Kbytes in ${count} Request${count === 1 ? "" : "s"}.\n`;
}

/** Postfix's JSON string quoting (see the header), then printable(). */
export function jsonQuote(s: string): string {
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || c === 127 || (c >= 0xd800 && c <= 0xdfff)) break;
  }
  if (i === s.length) return s; // nothing to escape, nothing printable() would change
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 32 || c === 127) {
      esc = c === 8 ? "\\b" : c === 12 ? "\\f" : c === 10 ? "\\n" : c === 13 ? "\\r" : c === 9 ? "\\t" : `\\u${c.toString(16).toUpperCase().padStart(4, "0")}`;
    } else if (c === 34) esc = '\\"';
    else if (c === 92) esc = "\\\\";
    if (esc !== undefined) {
      out += s.slice(from, i) + esc;
      from = i + 1;
    }
  }
  return printable(from === 0 ? s : out + s.slice(from));
}

/** One `postqueue -j` line (with its newline). */
export function jsonLine(m: ListedMessage, emptyAddress: string): string {
  return (
    `{"queue_name": "${m.queueName}", "queue_id": "${jsonQuote(m.queueId)}", "arrival_time": ${m.arrivalTime}, ` +
    `"message_size": ${m.messageSize}, "forced_expire": ${jsonTail.text(m, emptyAddress)}`
  );
}

/**
 * The end of a JSON line from the forced-expire flag on: it depends on nothing else, and neighbouring messages
 * often share it, so the last one is kept with what it was made from.
 */
class JsonTail {
  private out = "";
  private empty: string | undefined;
  private forced = false;
  private sender: string | undefined;
  private count = -1;
  private readonly address: string[] = [];
  private readonly orig: string[] = [];
  private readonly reason: string[] = [];

  text(m: ListedMessage, emptyAddress: string): string {
    const n = m.count;
    let same = m.sender === this.sender && n === this.count && m.forcedExpire === this.forced && emptyAddress === this.empty;
    for (let i = 0; same && i < n; i++) same = m.address[i] === this.address[i] && m.origAddress[i] === this.orig[i] && m.reason[i] === this.reason[i];
    if (same) return this.out;
    let rcpts = "";
    for (let i = 0; i < n; i++) {
      const reason = m.reason[i]!;
      const why = reason === "" ? "" : `, "delay_reason": "${jsonReason.quote(reason)}"`;
      const address = m.address[i]!;
      const origAddress = m.origAddress[i]!;
      const a = address === "" ? emptyAddress : address;
      const orig = origAddress === "" ? a : origAddress;
      const q = jsonAddresses.quote(a);
      rcpts += `${i === 0 ? "" : ", "}{"orig_address": "${orig === a ? q : jsonAddress(orig)}", "address": "${q}"${why}}`;
      this.address[i] = address;
      this.orig[i] = origAddress;
      this.reason[i] = reason;
    }
    this.out = `${m.forcedExpire ? "true" : "false"}, "sender": "${jsonSenders.quote(m.sender === "" ? emptyAddress : m.sender)}", "recipients": [${rcpts}]}\n`;
    this.sender = m.sender;
    this.count = n;
    this.forced = m.forcedExpire;
    this.empty = emptyAddress;
    return this.out;
  }
}

/** An address quoted as RFC 822 wants, then for JSON. */
function jsonAddress(a: string): string {
  return jsonQuote(isPlainAddress(a) ? a : quote822Local(a));
}

/** A pure function of a string that keeps its last answer: neighbouring messages often share the argument. */
class LastValue {
  private raw: string | undefined;
  private out = "";

  constructor(private readonly f: (s: string) => string) {}

  /** f(s), computed again only when `s` differs from the last argument. */
  quote(s: string): string {
    if (s !== this.raw) {
      this.raw = s;
      this.out = this.f(s);
    }
    return this.out;
  }
}

const jsonSenders = new LastValue(jsonAddress);
const jsonAddresses = new LastValue(jsonAddress);
const jsonReason = new LastValue(jsonQuote);
const jsonTail = new JsonTail();

// The functions a listing runs for every message stay below JSC's top tier, as queue_listing.ts's do (see
// keepBelowFtl() there): their FTL compilations would cost more than they save in a listing's lifetime.
for (const f of [jsonLine, jsonQuote, markedQueueId, displayAddress]) noFTL(f);
for (const proto of [MailqListing.prototype, ArrivalClock.prototype, JsonTail.prototype, LastValue.prototype]) {
  for (const name of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (typeof d?.value === "function") noFTL(d.value);
  }
}
