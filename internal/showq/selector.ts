/**
 * selector — postkit's message selectors, shared by listing (postqueue -p/-j/--stats/--shape) and actions
 * (postsuper -d/-h/-H/-r/-e/-f): which messages a command applies to, beyond Postfix's queue IDs.
 *
 *   --queue NAME[,NAME…]  only these queues (repeatable): maildrop incoming active deferred hold
 *   --sender RE           the envelope sender matches RE (the null sender is the empty string: `--sender '^$'`)
 *   --rcpt RE             some recipient still to do matches RE
 *   --reason RE           some recipient's latest delay reason matches RE
 *   --older DUR           arrived at least DUR ago       --younger DUR   arrived less than DUR ago
 *   --min-size N          message size (as mailq shows it) at least N bytes; N may end in k or m (x1024)
 * RE is a JavaScript regular expression, matched case-insensitively anywhere in the text (anchor it with ^ and
 * $). DUR is a number with an optional unit s, m, h, d or w (default s), or several such (`1h30m`).
 * All given conditions must hold. parseSelector() throws `FatalError` with an "action object: reason" message for
 * a bad value; matchSelector() never throws. Selectors never build paths: queue names are checked against the
 * queue library's list.
 */
import { FatalError } from "../sys/errors.ts";
import type { Opt } from "../text/getopt.ts";
import { isQueueName, SHOWQ_QUEUES, type QueueName } from "../queue/queue_path.ts";
import { scanQueueSummaries, type QueueLayout, type QueueSummary, type QueueSummaryFailure } from "../queue/queue_ops.ts";

/** The long options of a selector, for getopt()'s `longs` table. */
export const SELECTOR_LONG_OPTIONS: Readonly<Record<string, 0 | 1>> = {
  queue: 1,
  sender: 1,
  rcpt: 1,
  reason: 1,
  older: 1,
  younger: 1,
  "min-size": 1,
};

/** A parsed selector; absent fields do not restrict. */
export interface Selector {
  queues?: QueueName[];
  sender?: RegExp;
  rcpt?: RegExp;
  reason?: RegExp;
  /** Seconds: arrived at least this long ago. */
  older?: number;
  /** Seconds: arrived less than this long ago. */
  younger?: number;
  minSize?: number;
}

/** The queues a listing selector may name (showq's queues, in showq's order). */
export const SELECTABLE_QUEUES: readonly QueueName[] = SHOWQ_QUEUES;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Parses a duration (`90`, `15m`, `2h`, `1d12h`, `1w`) into seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (!/^(\d+[smhdw]?)+$/.test(t)) return undefined;
  let total = 0;
  for (const m of t.matchAll(/(\d+)([smhdw]?)/g)) total += Number(m[1]) * UNITS[m[2] || "s"]!;
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Parses a size (`1000`, `10k`, `2m`) into bytes; undefined when malformed. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+)([km]?)$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2] === "" ? 1 : m[2]!.toLowerCase() === "k" ? 1024 : 1024 * 1024);
  return Number.isSafeInteger(n) ? n : undefined;
}

function regex(option: string, text: string): RegExp {
  try {
    return new RegExp(text, "iu");
  } catch (e) {
    throw new FatalError(`parse ${option} pattern "${text}": ${(e as Error).message.replace(/^Invalid regular expression: /, "")}`);
  }
}

/** Builds a selector from the `--name` options among `opts` (others are ignored); undefined when none is given. */
export function parseSelector(opts: readonly Opt[]): Selector | undefined {
  const sel: Selector = {};
  let any = false;
  for (const { opt, arg } of opts) {
    if (arg === undefined || !opt.startsWith("--") || !Object.hasOwn(SELECTOR_LONG_OPTIONS, opt.slice(2))) continue;
    any = true;
    switch (opt) {
      case "--queue":
        for (const q of arg.split(/[\s,]+/).filter((s) => s !== "")) {
          if (!isQueueName(q) || !SELECTABLE_QUEUES.includes(q)) {
            throw new FatalError(`--queue ${q.slice(0, 100)}: not one of ${SELECTABLE_QUEUES.join(", ")}`);
          }
          (sel.queues ??= []).includes(q) || sel.queues.push(q);
        }
        break;
      case "--sender":
        sel.sender = regex(opt, arg);
        break;
      case "--rcpt":
        sel.rcpt = regex(opt, arg);
        break;
      case "--reason":
        sel.reason = regex(opt, arg);
        break;
      case "--older":
      case "--younger": {
        const d = parseDuration(arg);
        if (d === undefined) throw new FatalError(`${opt} ${arg}: bad duration (use e.g. 90, 15m, 2h, 1d)`);
        if (opt === "--older") sel.older = d;
        else sel.younger = d;
        break;
      }
      case "--min-size": {
        const n = parseSize(arg);
        if (n === undefined) throw new FatalError(`--min-size ${arg}: bad size (use e.g. 1000, 10k, 2m)`);
        sel.minSize = n;
        break;
      }
    }
  }
  if (sel.queues) sel.queues = SELECTABLE_QUEUES.filter((q) => sel.queues!.includes(q)); // showq's order
  return any ? sel : undefined;
}

/** True when selector conditions other than the queue list need each message's envelope. */
export function needsEnvelope(sel: Selector | undefined): boolean {
  return sel !== undefined && (sel.sender !== undefined || sel.rcpt !== undefined || sel.reason !== undefined || sel.older !== undefined || sel.younger !== undefined || sel.minSize !== undefined);
}

/** True when message `s` satisfies every condition of `sel` (`now` in seconds). */
export function matchSelector(sel: Selector | undefined, s: QueueSummary, now: number): boolean {
  if (sel === undefined) return true;
  if (sel.queues && !sel.queues.includes(s.queueName)) return false;
  if (sel.older !== undefined && now - s.arrivalTime < sel.older) return false;
  if (sel.younger !== undefined && now - s.arrivalTime >= sel.younger) return false;
  if (sel.minSize !== undefined && s.messageSize < sel.minSize) return false;
  if (sel.sender && !sel.sender.test(s.sender)) return false;
  if (sel.rcpt || sel.reason) {
    const todo = s.envelope.recipients.filter((r) => !r.done);
    if (sel.rcpt && !todo.some((r) => sel.rcpt!.test(r.address))) return false;
    if (sel.reason && !todo.some((r) => r.status?.status === "deferred" && sel.reason!.test(r.status.reason))) return false;
  }
  return true;
}

/**
 * Streams the messages of `queues` (default: the selector's, else showq's) that match `sel`, one at a time, as
 * scanQueueSummaries() does; files that cannot be read go to `onFailure` and the scan goes on.
 */
export function* selectMessages(
  layout: QueueLayout,
  sel: Selector | undefined,
  onFailure: (f: QueueSummaryFailure) => void,
  queues: readonly QueueName[] = sel?.queues ?? SHOWQ_QUEUES,
): Generator<QueueSummary> {
  const now = Math.floor(Date.now() / 1000);
  for (const item of scanQueueSummaries(layout, queues)) {
    if ("error" in item) {
      onFailure(item);
      continue;
    }
    if (matchSelector(sel, item, now)) yield item;
  }
}
