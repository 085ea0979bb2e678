/**
 * events — one log function per mail event, owning the exact shape of Postfix's log lines that pflogsumm-style
 * tools parse. Callers pass already-formatted addresses (external form) and times; these functions only format
 * and hand the record to msg.ts (log sink only, never stderr).
 *
 *   QID: uid=UID from=<SENDER>                                                        (pickup)
 *   QID: message-id=<ID>                                                              (cleanup)
 *   QID: from=<SENDER>, size=N, nrcpt=N (queue active)                                (qmgr)
 *   QID: to=<RCPT>[, orig_to=<ORIG>], relay=R[, conn_use=N], delay=D, delays=a/b/c/d, dsn=X.Y.Z, status=S (TEXT)
 *   QID: removed                                                                       (qmgr, postsuper)
 *   QID: sender non-delivery notification: NEWQID                                      (bounce)
 * The pickup, cleanup and bounce lines carry those programs' tags (`postfix/pickup` …) whichever postkit process
 * writes them (msgLogAs()). Delays are shown as Postfix's format_tv() shows them: two significant digits for small values, whole seconds
 * for large ones, no more decimals than `delay_logging_resolution_limit` (default 2).
 */
import { msgLog, msgLogAs } from "./msg.ts";

/** Time stamps of one delivery attempt, in milliseconds since the epoch (fractions allowed). */
export interface DeliveryTimes {
  /** Arrival in the incoming queue. */
  arrival: number;
  /** Entry into the active queue (qmgr); absent when the message never reached qmgr. */
  active?: number;
  /** Hand-off to the delivery agent; absent when qmgr itself decided. */
  handoff?: number;
  /** Connection set-up done (network agents only). */
  connected?: number;
  /** Delivery completed; defaults to now. */
  done?: number;
}

/** Postfix's format_tv(): `sec`+`usec` with `sigDig` significant digits and at most `maxDig` decimals. */
export function formatTv(sec: number, usec: number, sigDig = 2, maxDig = 2): string {
  const MILLION = 1_000_000;
  let ures = MILLION / 10 ** maxDig;
  const wid = 10 ** sigDig;
  if (ures < MILLION) {
    if (sec > 0) {
      let n = 1;
      while (sec >= n && n <= wid / 10) n *= 10;
      ures = (MILLION / wid) * n;
    } else {
      while (usec >= wid * ures) ures *= 10;
    }
  }
  if (ures > 1) {
    usec += Math.floor(ures / 2);
    if (usec >= MILLION) {
      sec += 1;
      usec -= MILLION;
    }
  }
  let out = String(sec);
  if (usec >= ures) {
    out += ".";
    let rem = usec;
    for (let n = MILLION / 10; rem >= ures && n >= 1; n /= 10) {
      out += String(Math.floor(rem / n));
      rem %= n;
    }
  }
  return out;
}

function delta(to: number, from: number): string {
  const ms = Math.max(0, to - from);
  const usec = Math.round(ms * 1000);
  return formatTv(Math.floor(usec / 1_000_000), usec % 1_000_000);
}

/** `delay=D, delays=a/b/c/d` for these time stamps, as Postfix's log_adhoc() computes them. */
export function formatDelays(t: DeliveryTimes, now = Date.now()): string {
  const done = t.done ?? now;
  const total = delta(done, t.arrival);
  let a: string;
  let b = "0";
  let c = "0";
  let d = "0";
  if (t.active !== undefined) {
    a = delta(t.active, t.arrival);
    if (t.handoff !== undefined) {
      b = delta(t.handoff, t.active);
      if (t.connected !== undefined) {
        c = delta(t.connected, t.handoff);
        d = delta(done, t.connected);
      } else d = delta(done, t.handoff);
    } else b = delta(done, t.active);
  } else a = delta(done, t.arrival);
  return `delay=${total}, delays=${a}/${b}/${c}/${d}`;
}

/** What happened to one recipient. */
export interface RecipientEvent {
  queueId: string;
  to: string;
  origTo?: string;
  relay: string;
  connUse?: number;
  times: DeliveryTimes;
  dsn: string;
  /** sent, deferred, bounced, expired, undeliverable, deliverable … */
  status: string;
  reason: string;
}

/** The `to=<…>, relay=…, delay=…, dsn=…, status=…` line of a delivery attempt. */
export function formatRecipientEvent(e: RecipientEvent, now = Date.now()): string {
  let s = `${e.queueId}: to=<${e.to}>`;
  if (e.origTo && e.origTo.toLowerCase() !== e.to.toLowerCase()) s += `, orig_to=<${e.origTo}>`;
  s += `, relay=${e.relay}`;
  if (e.connUse !== undefined && e.connUse > 1) s += `, conn_use=${e.connUse}`;
  s += `, ${formatDelays(e.times, now)}, dsn=${e.dsn}, status=${e.status} (${e.reason})`;
  return s;
}

/** Logs a delivery attempt (sent, deferred, bounced …). */
export function logRecipient(e: RecipientEvent): void {
  msgLog("info", formatRecipientEvent(e));
}

/** `QID: uid=UID from=<SENDER>` (pickup). */
export function logPickup(queueId: string, uid: number, from: string, origId?: string): void {
  msgLogAs("pickup", "info", `${queueId}: uid=${uid} from=<${from}>${origId ? ` orig_id=${origId}` : ""}`);
}

/** `QID: message-id=<ID>` (cleanup); `id` is given with or without its angle brackets, as in the header. */
export function logMessageId(queueId: string, id: string): void {
  msgLogAs("cleanup", "info", `${queueId}: message-id=${id}`);
}

/** `QID: from=<SENDER>, size=N, nrcpt=N (queue active)` (qmgr). */
export function logQueueActive(queueId: string, from: string, size: number, nrcpt: number): void {
  msgLog("info", `${queueId}: from=<${from}>, size=${size}, nrcpt=${nrcpt} (queue active)`);
}

/** `QID: removed`. */
export function logRemoved(queueId: string): void {
  msgLog("info", `${queueId}: removed`);
}

/** `QID: sender non-delivery notification: NEWQID` and the delay/success variants. */
export function logNotification(queueId: string, kind: "non-delivery" | "delay" | "delivery status", newId: string): void {
  msgLogAs("bounce", "info", `${queueId}: sender ${kind} notification: ${newId}`);
}

/** `QID: postmaster non-delivery notification: NEWQID` (notify_classes), logged by bounce. */
export function logPostmasterNotification(queueId: string, kind: "non-delivery" | "delay", newId: string): void {
  msgLogAs("bounce", "info", `${queueId}: postmaster ${kind} notification: ${newId}`);
}
