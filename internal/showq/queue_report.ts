/**
 * queue_report — postkit's summaries of the mail queue beyond Postfix's listing: `postqueue --stats` (per queue:
 * messages, bytes, age of the oldest) and `postqueue --shape` (the table of Postfix's qshape(1): messages or
 * recipients per domain by age bucket). Both are fed one message at a time, so memory grows with the number of
 * queues or domains, never with the number of messages.
 *
 * --stats output (fixed columns; ages as `3d4h`, `25m`, `-` for an empty queue):
 *   QUEUE       MESSAGES        BYTES  OLDEST
 *   maildrop           0            0  -
 *   …one line per queue…
 *   total             12       123456  2d1h
 *
 * --shape output, as qshape prints it with its defaults (-b 10 -t 5, 80 columns, not a terminal): a heading of
 * bucket upper bounds in minutes (`T 5 10 20 40 80 160 320 640 1280 1280+`), a `TOTAL` line, then one line per
 * key, most counted first (ties: shorter key, then alphabetical). A message of age A minutes falls into the first
 * bucket when A < 5, else bucket 2 + floor(log2(A / 5)), capped at the last. Column widths follow the totals
 * (at least 3, one more than the widest of heading and total); keys are right-aligned in the width that is left
 * of 80 columns (at least 18) and cut from the left with a leading `+` when longer. Keys: `rcpt-domain` counts
 * each recipient still to do by its domain (lower case; MAILER-DAEMON for the empty address), `sender-domain`
 * counts each message by its sender's domain, `reason` counts each recipient by its delay reason
 * (`(no reason)` when it has none).
 */
import type { QueueName, QueueSummary } from "../queue/index.ts";

/** A duration as `2d3h`, `45m`, `12s` (the two largest units). */
export function formatAge(sec: number): string {
  if (sec < 0) sec = 0;
  const parts: string[] = [];
  for (const [unit, n] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    if (sec >= n || (unit === "s" && parts.length === 0)) {
      parts.push(`${Math.floor(sec / n)}${unit}`);
      sec %= n;
    }
    if (parts.length === 2) break;
  }
  return parts.join("");
}

interface QueueTotals {
  count: number;
  bytes: number;
  oldest: number | undefined;
}

/** Accumulates `--stats`. */
export class QueueStats {
  private readonly totals = new Map<QueueName, QueueTotals>();

  constructor(private readonly queues: readonly QueueName[]) {
    for (const q of queues) this.totals.set(q, { count: 0, bytes: 0, oldest: undefined });
  }

  add(s: QueueSummary): void {
    const t = this.totals.get(s.queueName);
    if (!t) return;
    t.count++;
    t.bytes += s.messageSize;
    if (t.oldest === undefined || s.arrivalTime < t.oldest) t.oldest = s.arrivalTime;
  }

  /** The table (see the header), ages relative to `now` (seconds). */
  render(now: number): string {
    const row = (name: string, t: QueueTotals) =>
      `${name.padEnd(10)} ${String(t.count).padStart(9)} ${String(t.bytes).padStart(12)}  ${t.oldest === undefined ? "-" : formatAge(now - t.oldest)}\n`;
    let out = `${"QUEUE".padEnd(10)} ${"MESSAGES".padStart(9)} ${"BYTES".padStart(12)}  OLDEST\n`;
    const all: QueueTotals = { count: 0, bytes: 0, oldest: undefined };
    for (const q of this.queues) {
      const t = this.totals.get(q)!;
      out += row(q, t);
      all.count += t.count;
      all.bytes += t.bytes;
      if (t.oldest !== undefined && (all.oldest === undefined || t.oldest < all.oldest)) all.oldest = t.oldest;
    }
    return out + row("total", all);
  }

  /** The same figures as one JSON object per queue plus a total, one per line. */
  renderJson(now: number): string {
    let out = "";
    for (const q of this.queues) {
      const t = this.totals.get(q)!;
      out += `${JSON.stringify({ queue_name: q, messages: t.count, bytes: t.bytes, oldest_age: t.oldest === undefined ? null : now - t.oldest })}\n`;
    }
    return out;
  }
}

/** What --shape counts by. */
export type ShapeKey = "rcpt-domain" | "sender-domain" | "reason";

/** The --by values. */
export const SHAPE_KEYS: readonly ShapeKey[] = ["rcpt-domain", "sender-domain", "reason"];

function domainOf(addr: string): string {
  if (addr === "") return "MAILER-DAEMON";
  let d = addr.toLowerCase();
  const at = d.lastIndexOf("@");
  if (at >= 0) d = d.slice(at + 1);
  d = d.replace(/\.\./g, ".").replace(/^\.|\.$/g, "");
  return d === "" ? addr.toLowerCase() : d;
}

/** Accumulates `--shape` (qshape's table; see the header). */
export class QueueShape {
  private readonly counts = new Map<string, number[]>();
  private readonly total: number[];

  constructor(
    private readonly by: ShapeKey,
    private readonly now: number,
    private readonly buckets = 10,
    private readonly tick = 5,
    private readonly width = 80,
  ) {
    this.total = new Array<number>(buckets + 1).fill(0);
  }

  private bucket(arrival: number): number {
    const m = (this.now - arrival) / (60 * this.tick);
    if (m < 1) return 1;
    const b = 2 + Math.floor(Math.log(m) / Math.log(2));
    return b < this.buckets ? b : this.buckets;
  }

  private count(key: string, b: number): void {
    let c = this.counts.get(key);
    if (!c) {
      c = new Array<number>(this.buckets + 1).fill(0);
      this.counts.set(key, c);
    }
    c[0]!++;
    c[b]!++;
    this.total[0]!++;
    this.total[b]!++;
  }

  add(s: QueueSummary): void {
    const b = this.bucket(s.arrivalTime);
    if (this.by === "sender-domain") {
      this.count(domainOf(s.sender), b);
      return;
    }
    for (const r of s.envelope.recipients) {
      if (r.done) continue;
      if (this.by === "rcpt-domain") this.count(domainOf(r.address), b);
      else this.count(r.status?.status === "deferred" && r.status.reason !== "" ? r.status.reason.replace(/[\x00-\x1f\x7f]/g, "?") : "(no reason)", b);
    }
  }

  render(): string {
    const heads: string[] = [];
    const widths: number[] = [];
    let dw = this.width;
    for (let i = 0, t = 0; i <= this.buckets; ) {
      const h = i === 0 ? "T" : i === this.buckets ? `${t}+` : String(t);
      let l = String(this.total[i]).length;
      if (h.length >= l) l = h.length;
      l = l > 2 ? l + 1 : 3;
      heads.push(h);
      widths.push(l);
      dw -= l;
      if (++i < this.buckets) t += t ? t : this.tick;
    }
    if (dw < 18) dw = 18;
    const line = (key: string, cells: readonly (string | number)[]) => {
      let k = key;
      if (k.length > dw) k = k.startsWith(".") ? `.+${k.slice(k.length - dw + 2)}` : `+${k.slice(k.length - dw + 1)}`;
      return k.padStart(dw) + cells.map((c, i) => String(c).padStart(widths[i]!)).join("") + "\n";
    };
    let out = line("", heads) + line("TOTAL", this.total);
    const keys = [...this.counts.keys()].sort((a, b) => this.counts.get(b)![0]! - this.counts.get(a)![0]! || a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
    for (const k of keys) out += line(k, this.counts.get(k)!);
    return out;
  }
}
