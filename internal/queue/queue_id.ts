/**
 * queue_id — Postfix queue IDs: making them, taking them apart, and checking IDs that come from outside.
 *
 * Two forms, chosen by `enable_long_queue_ids` (Postfix mail_queue.h, MQID_*):
 *
 * - short (default): the microseconds of the creation time as exactly 5 upper-case hex digits, then the queue
 *   file's inode number in upper-case hex without padding. `EF97820E3CD` = usec 0xEF978, inode 0x20E3CD.
 * - long: the seconds in base 52 (at least 6 digits, zero-padded), the microseconds in base 52 (exactly 4
 *   digits), the separator `z`, the inode number in base 51 (no padding). The alphabet is
 *   `0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz` (no vowels), most significant digit first; base 51
 *   uses the first 51 characters, so the inode part never contains `z`. `4jZ7cZ4ps4zJDqZ` = second 1795584782,
 *   usec 678344, inode 2155851.
 *
 * Uniqueness: the inode of a file that exists is unique on its file system, so no two queue files that exist at
 * the same time can have the same ID, as long as every queue directory of an instance is on one file system (as
 * Postfix also requires). The time part keeps an ID from repeating when an inode is reused later: queueIdClock()
 * never returns the same (second, microsecond) twice in one process. queue_writer.ts creates the file first, takes
 * its inode, and keeps it (under a temporary name) until the final rename, so the inode cannot be reused meanwhile.
 *
 * Checking IDs from outside (command lines, file names, logs): isValidQueueId() accepts exactly what Postfix's
 * mail_queue_id_ok() accepts: 1 to 255 characters from `[A-Za-z0-9_]` (the `_` because the same check covers
 * fast-flush logfile names). Everything else — `/`, `.`, `..`, empty, NUL, spaces, non-ASCII, 256+ characters — is
 * refused, so a valid ID can never leave its directory when it is joined to a path. Every path built in this
 * folder goes through it. parseQueueId() is stricter: it accepts only IDs of the short or long form above.
 *
 * Throws nothing except assertValidQueueId() (`QueueError` code `badid`).
 */
import { QueueError } from "./queue_error.ts";
import { zeroPad } from "../text/chars.ts";

/** The vowel-free digit alphabet of long queue IDs (Postfix safe_ultostr). */
export const SAFE_ALPHABET = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";

/** Longest acceptable queue ID (VALID_HOSTNAME_LEN). */
export const MAX_QUEUE_ID_LENGTH = 255;

const LONG_SEC_BASE = 52;
const LONG_SEC_PAD = 6;
const LONG_USEC_BASE = 52;
const LONG_USEC_PAD = 4;
const LONG_TIME_PAD = LONG_SEC_PAD + LONG_USEC_PAD;
const LONG_INUM_SEP = "z";
const LONG_INUM_BASE = 51;
const SHORT_USEC_PAD = 5;

const SAFE_VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < SAFE_ALPHABET.length; i++) SAFE_VALUE[SAFE_ALPHABET.charCodeAt(i)] = i;

/** A point in time with microseconds, as gettimeofday(2) gives it. */
export interface QueueTime {
  sec: number;
  usec: number;
}

/** What a queue ID of either form says about its file. */
export type ParsedQueueId =
  | { form: "short"; usec: number; inode: bigint }
  | { form: "long"; sec: number; usec: number; inode: bigint };

/** Writes `value` in `base` (2..52) with the safe alphabet, left-padded with `0` to `minWidth` digits. */
export function encodeSafeNumber(value: number | bigint, base: number, minWidth = 0): string {
  if (base < 2 || base > SAFE_ALPHABET.length) throw new RangeError(`encodeSafeNumber: bad base ${base}`);
  let v = BigInt(value);
  if (v < 0n) throw new RangeError("encodeSafeNumber: negative value");
  const b = BigInt(base);
  let out = "";
  while (v > 0n) {
    out = SAFE_ALPHABET[Number(v % b)]! + out;
    v /= b;
  }
  return zeroPad(out, minWidth);
}

/** Reads a whole string of safe-alphabet digits in `base`; undefined if empty or any character is not a digit. */
export function decodeSafeNumber(text: string, base: number): bigint | undefined {
  if (text.length === 0) return undefined;
  const b = BigInt(base);
  let v = 0n;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const d = c < 128 ? SAFE_VALUE[c]! : -1;
    if (d < 0 || d >= base) return undefined;
    v = v * b + BigInt(d);
  }
  return v;
}

/** The short-form ID for a file created at `usec` microseconds with inode `inode`. */
export function shortQueueId(usec: number, inode: number | bigint): string {
  return zeroPad((usec | 0).toString(16).toUpperCase(), SHORT_USEC_PAD) + BigInt(inode).toString(16).toUpperCase();
}

/** The long-form ID for a file created at `time` with inode `inode`. */
export function longQueueId(time: QueueTime, inode: number | bigint): string {
  return (
    encodeSafeNumber(time.sec, LONG_SEC_BASE, LONG_SEC_PAD) +
    encodeSafeNumber(time.usec, LONG_USEC_BASE, LONG_USEC_PAD) +
    LONG_INUM_SEP +
    encodeSafeNumber(inode, LONG_INUM_BASE)
  );
}

/** The ID Postfix would give a file with inode `inode` created at `time` (long form when `longIds`). */
export function makeQueueId(inode: number | bigint, time: QueueTime, longIds: boolean): string {
  return longIds ? longQueueId(time, inode) : shortQueueId(time.usec, inode);
}

/**
 * Index of the long-form separator, or -1: Postfix takes the LAST `z` and requires at least the 10 time digits
 * before it (MQID_FIND_LG_INUM_SEPARATOR). Shared with the hashing code of queue_path.ts.
 */
export function longIdSeparator(id: string): number {
  const z = id.lastIndexOf(LONG_INUM_SEP);
  return z >= LONG_TIME_PAD ? z : -1;
}

/** The 4 base-52 microsecond digits before the separator of a long ID, decoded; 0 when they do not decode. */
export function longIdUsec(id: string, separator: number): number {
  const v = decodeSafeNumber(id.slice(separator - LONG_USEC_PAD, separator), LONG_USEC_BASE);
  return v === undefined ? 0 : Number(v);
}

/** Takes a short or long queue ID apart; undefined for anything that is not exactly one of the two forms. */
export function parseQueueId(id: string): ParsedQueueId | undefined {
  if (!isValidQueueId(id)) return undefined;
  const z = longIdSeparator(id);
  if (z >= 0) {
    const sec = decodeSafeNumber(id.slice(0, z - LONG_USEC_PAD), LONG_SEC_BASE);
    const usec = decodeSafeNumber(id.slice(z - LONG_USEC_PAD, z), LONG_USEC_BASE);
    const inode = decodeSafeNumber(id.slice(z + 1), LONG_INUM_BASE);
    if (sec === undefined || usec === undefined || inode === undefined) return undefined;
    if (usec >= 1_000_000n || sec > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    return { form: "long", sec: Number(sec), usec: Number(usec), inode };
  }
  if (!/^[0-9A-F]{6,21}$/.test(id)) return undefined;
  const usec = parseInt(id.slice(0, SHORT_USEC_PAD), 16);
  if (usec >= 1_000_000) return undefined;
  const inode = BigInt(`0x${id.slice(SHORT_USEC_PAD)}`);
  if (inode >= 1n << 64n) return undefined;
  return { form: "short", usec, inode };
}

/** Postfix's mail_queue_id_ok(): 1..255 characters, each a letter, a digit or `_`. */
export function isValidQueueId(id: unknown): id is string {
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_QUEUE_ID_LENGTH) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    if (!ok) return false;
  }
  return true;
}

/** Shows an untrusted ID in a message: control and non-ASCII characters as `?`, cut at 100 characters. */
export function printableQueueId(id: unknown): string {
  const s = typeof id === "string" ? id : String(id);
  const cut = s.length > 100 ? `${s.slice(0, 100)}...` : s;
  return cut.replace(/[^\x20-\x7e]/g, "?");
}

/** Throws `QueueError` code `badid` (`bad mail queue ID: X`) unless isValidQueueId(id). */
export function assertValidQueueId(id: unknown): asserts id is string {
  if (!isValidQueueId(id)) throw new QueueError("badid", `bad mail queue ID: ${printableQueueId(id)}`);
}

let lastMicros = 0;

/**
 * The current time with microseconds, strictly increasing within this process: two calls never return the same
 * value, so two queue files created here in the same second never share the time part of their IDs. Seconds
 * follow the wall clock; when the clock steps back by more than a second, the wall clock wins again.
 */
export function queueIdClock(): QueueTime {
  // the microseconds within the millisecond from the monotonic clock (Bun.nanoseconds(): process.hrtime's first
  // use costs a submission ~0.2 ms)
  const subMillis = Math.floor(Bun.nanoseconds() / 1000) % 1000;
  let micros = Date.now() * 1000 + subMillis;
  if (micros <= lastMicros && lastMicros - micros < 1_000_000) micros = lastMicros + 1;
  lastMicros = micros;
  return { sec: Math.floor(micros / 1_000_000), usec: micros % 1_000_000 };
}
