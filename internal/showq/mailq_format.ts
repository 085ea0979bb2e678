/**
 * mailq_format — the two listings of the mail queue, byte for byte as Postfix 3.7 prints them: the classic
 * `postqueue -p` / `mailq` / `sendmail -bp` layout, and the `postqueue -j` JSON Lines. Postfix's
 * postqueue/showq_compat.c and showq_json.c, fed by showq's per-message report.
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
 * Never throws; knows nothing of files.
 */
import type { QueueSummary } from "../queue/index.ts";
import { localTimeParts } from "../sys/localtime.ts";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** C asctime(localtime(sec)) without its newline: `Wed Nov 25 05:26:10 2026`, day of month padded with a space. */
export function asctime(sec: number): string {
  const t = localTimeParts(new Date(sec * 1000));
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  const day = t.day < 10 ? ` ${t.day}` : String(t.day);
  return `${DAYS[t.weekday]} ${MONTHS[t.month]} ${day} ${two(t.hours)}:${two(t.minutes)}:${two(t.seconds)} ${t.year}`;
}

/** Postfix's printable(): control characters (and lone surrogates) become `?`; UTF-8 text stays. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f\ud800-\udfff]/.test(s) ? s.replace(/[\x00-\x1f\x7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "?") : s;
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

/** An address as mailq shows it: empty -> `emptyAddress`, quoted, printable. */
export function displayAddress(addr: string, emptyAddress: string): string {
  return printable(quote822Local(addr === "" ? emptyAddress : addr));
}

/** One recipient as listed, in listing order (reasons first, see the header). */
export interface ListedRecipient {
  address: string;
  origAddress: string;
  reason: string;
}

/** The recipients of `s` that are still to do, in Postfix's listing order. */
export function listedRecipients(s: QueueSummary): ListedRecipient[] {
  const deferred: { r: ListedRecipient; at: number }[] = [];
  const plain: ListedRecipient[] = [];
  for (const r of s.envelope.recipients) {
    if (r.done) continue;
    if (r.status?.status === "deferred") {
      deferred.push({ r: { address: r.address, origAddress: r.origAddress, reason: r.status.reason }, at: r.status.offset });
    } else plain.push({ address: r.address, origAddress: r.origAddress, reason: "" });
  }
  if (deferred.length === 0) return plain;
  deferred.sort((a, b) => a.at - b.at);
  return [...deferred.map((d) => d.r), ...plain];
}

/** The queue ID with its status markers (`*` active, `!` hold, `#` force-expired). */
export function markedQueueId(s: Pick<QueueSummary, "queueId" | "queueName" | "forcedExpire">): string {
  const mark = s.queueName === "active" ? "*" : s.queueName === "hold" ? "!" : "";
  return s.queueId + mark + (s.forcedExpire ? "#" : "");
}

/** Layout choices that come from main.cf. */
export interface MailqFormatOptions {
  /** enable_long_queue_ids */
  longIds: boolean;
  /** empty_address_recipient (default MAILER-DAEMON) */
  emptyAddress: string;
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

  constructor(private readonly opts: MailqFormatOptions) {
    this.idWidth = opts.longIds ? 17 : 11;
    this.sizeWidth = opts.longIds ? 8 : 7;
    this.timeWidth = opts.longIds ? 19 : 20;
    this.rcptIndent = " ".repeat(this.idWidth + 1 + this.sizeWidth + 1 + this.timeWidth + 1);
  }

  /** The text for one message: the heading (first message) or the separating empty line, then the entry. */
  entry(s: QueueSummary): string {
    let out = this.count === 0 ? this.heading() : "\n";
    this.count++;
    this.bytes += s.messageSize;
    const time = asctime(s.arrivalTime).padEnd(24).slice(0, this.timeWidth);
    out += `${markedQueueId(s).padEnd(this.idWidth)} ${String(s.messageSize).padStart(this.sizeWidth)} ${time} ${displayAddress(s.sender, this.opts.emptyAddress)}\n`;
    let saved = "";
    for (const r of listedRecipients(s)) {
      const why = printable(r.reason);
      if (why !== saved) {
        saved = why;
        const shown = why === "" ? "reason unavailable" : why;
        out += `${" ".repeat(Math.max(0, 76 - shown.length))}(${shown})\n`;
      }
      out += `${this.rcptIndent}${displayAddress(r.address, this.opts.emptyAddress)}\n`;
    }
    return out;
  }

  private heading(): string {
    return this.opts.longIds
      ? "----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------\n"
      : "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n";
  }

  /** The closing text: the trailer, or `Mail queue is empty`. */
  end(): string {
    if (this.count === 0) return "Mail queue is empty\n";
    return `\n-- ${Math.floor(this.bytes / 1024)} Kbytes in ${this.count} Request${this.count === 1 ? "" : "s"}.\n`;
  }
}

/** Postfix's JSON string quoting (see the header), then printable(). */
export function jsonQuote(s: string): string {
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
export function jsonLine(s: QueueSummary, emptyAddress: string): string {
  const rcpts = listedRecipients(s).map((r) => {
    const why = r.reason === "" ? "" : `, "delay_reason": "${jsonQuote(r.reason)}"`;
    const address = r.address === "" ? emptyAddress : r.address;
    const orig = r.origAddress === "" ? address : r.origAddress;
    return `{"orig_address": "${jsonQuote(quote822Local(orig))}", "address": "${jsonQuote(quote822Local(address))}"${why}}`;
  });
  return (
    `{"queue_name": "${s.queueName}", "queue_id": "${jsonQuote(s.queueId)}", "arrival_time": ${s.arrivalTime}, ` +
    `"message_size": ${s.messageSize}, "forced_expire": ${s.forcedExpire ? "true" : "false"}, ` +
    `"sender": "${jsonQuote(quote822Local(s.sender === "" ? emptyAddress : s.sender))}", "recipients": [${rcpts.join(", ")}]}\n`
  );
}
