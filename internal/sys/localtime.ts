/**
 * localtime — local time, UTC offset and zone abbreviation as glibc's localtime() gives them, without waking up ICU.
 *
 * Problem: the first local-time operation on a JS Date (getHours(), getTimezoneOffset()) loads ICU's time zone
 * data, which costs about 5 ms: more than a whole Postfix postlog run. And ICU does not give the zone abbreviation
 * that Postfix prints in `Date:` headers (`+0200 (CEST)`). Solution: do what glibc does, once per TZ value:
 *
 * - TZ unset: the TZif file /etc/localtime (UTC, named "UTC", if it cannot be read).
 * - TZ empty or ":": UTC, named "UTC".
 * - Otherwise (a leading ":" is dropped): first the TZif file of that name (an absolute path, or a name under
 *   $TZDIR, default /usr/share/zoneinfo); then the value as a POSIX TZ string (`EST5`, `<+03>-3`,
 *   `CET-1CEST,M3.5.0,M10.5.0/3`, with the `Jn`, `n` and `Mm.w.d` date forms; daylight time without a rule uses
 *   today's US rule `M3.2.0,M11.1.0`); then, like glibc, UTC named after the alphabetic start of the
 *   value (`Nowhere/Land` prints as `+0000 (Nowhere)`), or with an empty name when there is none.
 * - Times after the last transition of a TZif file follow the POSIX TZ string in its footer.
 *
 * Known differences from glibc, all outside what a mail system meets: names containing `..` are never opened as
 * files (glibc sometimes does), leap-second ("right/") zones ignore leap seconds, a POSIX string with daylight
 * time but no rule (`EST5EDT4`) always follows today's US rule where glibc borrows the history of its
 * "posixrules" file, and glibc's handling of some malformed POSIX strings is not reproduced.
 *
 * `localTimeParts(date, tz?)` returns the broken-down local time, the UTC offset in seconds east of UTC, and the
 * zone abbreviation (`%Z`). `tz` defaults to process.env.TZ; zones are cached per TZ value. Never throws.
 */
import { readFileRaw } from "./libc.ts";
import { digitsEnd, isAlphaCode, isDigitCode } from "../text/chars.ts";

/** Broken-down local time, as struct tm plus tm_gmtoff and tm_zone. */
export interface LocalTime {
  year: number;
  /** 0-11 */
  month: number;
  /** Day of the month, 1-31. */
  day: number;
  /** Day of the week, 0 = Sunday. */
  weekday: number;
  hours: number;
  minutes: number;
  seconds: number;
  /** Seconds east of UTC (`+0200` is 7200). */
  offset: number;
  /** Zone abbreviation, what strftime's `%Z` prints (`CEST`, `UTC`, `+03`; may be empty). */
  zone: string;
}

/** A date in a POSIX TZ rule: `Jn` (1-365, never Feb 29), `n` (0-365), or `Mm.w.d`; `time` is seconds after 00:00 local time. */
interface RuleDate {
  form: "J" | "n" | "M";
  day: number;
  week: number;
  month: number;
  time: number;
}

/** A POSIX TZ string: standard time, and daylight time with the rule that says when it is in force. */
interface PosixZone {
  stdName: string;
  stdOffset: number;
  dst: { name: string; offset: number; start: RuleDate; end: RuleDate } | undefined;
}

/** A time zone: TZif transitions (possibly none) and what holds after the last one. */
interface Zone {
  times: number[];
  /** Local time type in force from each transition. */
  types: number[];
  typeOffsets: number[];
  typeNames: string[];
  /** Type in force before the first transition. */
  firstType: number;
  /** What holds after the last transition (or always, when there are none): a POSIX zone, or a type index. */
  after: PosixZone | number;
}

const zones = new Map<string | undefined, Zone>();

const UTC_ZONE = (name: string): Zone => ({ times: [], types: [], typeOffsets: [0], typeNames: [name], firstType: 0, after: 0 });

// --- POSIX TZ strings ---------------------------------------------------------------------------------------------

/** A cursor over a POSIX TZ string. Every parse method returns undefined (and leaves `i` alone) when it fails. */
class TzCursor {
  i = 0;
  constructor(readonly s: string) {}

  name(): string | undefined {
    const s = this.s;
    if (s[this.i] === "<") {
      const close = s.indexOf(">", this.i);
      if (close < 0) return undefined;
      const name = s.slice(this.i + 1, close);
      if (name === "" || ![...name].every((ch) => ch === "+" || ch === "-" || isAlphaCode(ch.charCodeAt(0)) || isDigitCode(ch.charCodeAt(0)))) return undefined;
      this.i = close + 1;
      return name;
    }
    let j = this.i;
    while (j < s.length && isAlphaCode(s.charCodeAt(j))) j++;
    if (j - this.i < 3) return undefined;
    const name = s.slice(this.i, j);
    this.i = j;
    return name;
  }

  /** `[+-]hh[:mm[:ss]]` as seconds (hours up to `maxHours`), sign as written. */
  time(maxHours: number): number | undefined {
    const s = this.s;
    let i = this.i;
    const sign = s[i] === "+" || s[i] === "-" ? s[i++] : "";
    const hEnd = digitsEnd(s, i, 3);
    if (hEnd === i) return undefined;
    const parts = [Number(s.slice(i, hEnd)), 0, 0];
    i = hEnd;
    // up to two `:nn` fields follow, each taken only when it has a digit
    for (let k = 1; k <= 2 && s[i] === ":"; k++) {
      const e = digitsEnd(s, i + 1, 2);
      if (e === i + 1) break;
      parts[k] = Number(s.slice(i + 1, e));
      i = e;
    }
    const secs = Math.min(parts[0]!, maxHours) * 3600 + Math.min(parts[1]!, 59) * 60 + Math.min(parts[2]!, 59);
    this.i = i;
    return sign === "-" ? -secs : secs;
  }

  ruleDate(): RuleDate | undefined {
    const s = this.s;
    let i = this.i;
    let d: RuleDate;
    if (s[i] === "J") {
      const e = digitsEnd(s, i + 1, 3);
      if (e === i + 1) return undefined;
      d = { form: "J", day: Number(s.slice(i + 1, e)), week: 0, month: 0, time: 7200 };
      i = e;
    } else if (s[i] === "M") {
      // Mm.w.d: one or two digits, then exactly one digit each for the week and the day
      const e = digitsEnd(s, i + 1, 2);
      const ok = e > i + 1 && s[e] === "." && isDigitCode(s.charCodeAt(e + 1)) && s[e + 2] === "." && isDigitCode(s.charCodeAt(e + 3));
      if (!ok) return undefined;
      d = { form: "M", day: Number(s[e + 3]), week: Number(s[e + 1]), month: Number(s.slice(i + 1, e)), time: 7200 };
      i = e + 4;
    } else {
      const e = digitsEnd(s, i, 3);
      if (e === i) return undefined;
      d = { form: "n", day: Number(s.slice(i, e)), week: 0, month: 0, time: 7200 };
      i = e;
    }
    if ((d.form === "J" && (d.day < 1 || d.day > 365)) || (d.form === "n" && d.day > 365)) return undefined;
    if (d.form === "M" && (d.month < 1 || d.month > 12 || d.week < 1 || d.week > 5 || d.day > 6)) return undefined;
    this.i = i;
    if (this.s[this.i] === "/") {
      this.i++;
      const t = this.time(167);
      if (t === undefined) return undefined;
      d.time = t;
    }
    return d;
  }
}

const US_START: RuleDate = { form: "M", month: 3, week: 2, day: 0, time: 7200 };
const US_END: RuleDate = { form: "M", month: 11, week: 1, day: 0, time: 7200 };

/** Parses a POSIX TZ string as leniently as glibc: undefined only when not even a zone name is there. */
function parsePosixTz(s: string): PosixZone | undefined {
  const c = new TzCursor(s);
  const stdName = c.name();
  if (stdName === undefined) return undefined;
  const stdTime = c.time(24);
  if (stdTime === undefined) return { stdName, stdOffset: 0, dst: undefined };
  const stdOffset = -stdTime || 0;
  const dstName = c.name();
  if (dstName === undefined) return { stdName, stdOffset, dst: undefined };
  const dstTime = c.time(24);
  const offset = dstTime === undefined ? stdOffset + 3600 : -dstTime || 0;
  let start = US_START;
  let end = US_END;
  if (s[c.i] === ",") {
    c.i++;
    const a = c.ruleDate();
    if (a !== undefined && s[c.i] === ",") {
      c.i++;
      const b = c.ruleDate();
      if (b !== undefined) {
        start = a;
        end = b;
      }
    }
  }
  return { stdName, stdOffset, dst: { name: dstName, offset, start, end } };
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAY = 86400;
const CUMULATIVE_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/** Seconds from 00:00 UTC of January 1 of `year` to 00:00 of the rule's day (in the same clock). */
function ruleDaySeconds(d: RuleDate, year: number): number {
  if (d.form === "J") return (d.day - 1 + (isLeap(year) && d.day >= 60 ? 1 : 0)) * DAY;
  if (d.form === "n") return d.day * DAY;
  const monthStart = CUMULATIVE_DAYS[d.month - 1]! + (isLeap(year) && d.month > 2 ? 1 : 0);
  const monthDays = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][d.month - 1]!;
  const firstWeekday = (new Date(Date.UTC(year, 0, 1)).getUTCDay() + monthStart) % 7;
  let mday = ((d.day - firstWeekday + 7) % 7) + (d.week - 1) * 7;
  if (mday >= monthDays) mday -= 7;
  return (monthStart + mday) * DAY;
}

/** Offset and name in force at `t` (seconds since the epoch) under a POSIX zone. */
function posixAt(z: PosixZone, t: number): [number, string] {
  const dst = z.dst;
  if (dst === undefined) return [z.stdOffset, z.stdName];
  const year = new Date((t + z.stdOffset) * 1000).getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1) / 1000;
  // The start is given in standard time, the end in daylight time.
  const start = jan1 + ruleDaySeconds(dst.start, year) + dst.start.time - z.stdOffset;
  const end = jan1 + ruleDaySeconds(dst.end, year) + dst.end.time - dst.offset;
  const inDst = start < end ? t >= start && t < end : !(t >= end && t < start);
  return inDst ? [dst.offset, dst.name] : [z.stdOffset, z.stdName];
}

// --- TZif files ---------------------------------------------------------------------------------------------------

/** Bytes `start` to `end` of `buf` as Latin-1 text. */
function latin1(buf: Uint8Array, start: number, end = buf.length): string {
  let s = "";
  for (let i = start; i < end && i < buf.length; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

/** Big-endian signed 32-bit integer at `off` (0 past the end). */
function int32At(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) | 0;
}

/** Big-endian signed 64-bit integer at `off`, as a number (TZif transition times fit in 53 bits). */
function int64At(buf: Uint8Array, off: number): number {
  return int32At(buf, off) * 0x100000000 + (int32At(buf, off + 4) >>> 0);
}

// A plain Uint8Array read by hand, not Buffer or DataView: the first use of either in a process costs a one-shot
// tool more than the whole parse (Buffer ~0.14 ms).
function parseTzif(buf: Uint8Array): Zone | undefined {
  if (buf.length < 44 || latin1(buf, 0, 4) !== "TZif") return undefined;
  const counts = (off: number): [number, number, number, number, number, number] => {
    const c = off + 20;
    return [int32At(buf, c) >>> 0, int32At(buf, c + 4) >>> 0, int32At(buf, c + 8) >>> 0, int32At(buf, c + 12) >>> 0, int32At(buf, c + 16) >>> 0, int32At(buf, c + 20) >>> 0];
  };
  let [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(0);
  let off = 44;
  let timeSize = 4;
  if (buf[4]! >= 0x32) {
    // skip the version 1 block; use the 64-bit one
    off += timecnt * 4 + timecnt + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
    if (buf.length < off + 44) return undefined;
    [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(off);
    off += 44;
    timeSize = 8;
  }
  if (typecnt === 0) return undefined;
  // a file cut short is not a zone (the reads below would give zeros past its end)
  if (buf.length < off + timecnt * timeSize + timecnt + typecnt * 6 + charcnt) return undefined;
  const times: number[] = [];
  for (let i = 0; i < timecnt; i++) {
    times.push(timeSize === 8 ? int64At(buf, off + i * 8) : int32At(buf, off + i * 4));
  }
  const idxOff = off + timecnt * timeSize;
  const typeOff = idxOff + timecnt;
  const charsOff = typeOff + typecnt * 6;
  const types: number[] = [];
  for (let i = 0; i < timecnt; i++) types.push(Math.min(buf[idxOff + i]!, typecnt - 1));
  const typeOffsets: number[] = [];
  const typeNames: string[] = [];
  for (let t = 0; t < typecnt; t++) {
    typeOffsets.push(int32At(buf, typeOff + t * 6));
    const start = charsOff + buf[typeOff + t * 6 + 5]!;
    const nul = buf.indexOf(0, start);
    typeNames.push(latin1(buf, start, nul < 0 || nul > charsOff + charcnt ? charsOff + charcnt : nul));
  }
  let after: PosixZone | number = timecnt === 0 ? 0 : types[timecnt - 1]!;
  if (timeSize === 8) {
    const footerOff = charsOff + charcnt + leap * 12 + isstd + isut;
    const footer = latin1(buf, footerOff).split("\n")[1] ?? "";
    const rule = footer === "" ? undefined : parsePosixTz(footer);
    if (rule !== undefined) after = rule;
  }
  return { times, types, typeOffsets, typeNames, firstType: 0, after };
}

function readTzif(path: string): Zone | undefined {
  try {
    return parseTzif(readFileRaw(path));
  } catch {
    return undefined;
  }
}

function loadZone(tzValue: string | undefined): Zone {
  if (tzValue === undefined) return readTzif("/etc/localtime") ?? UTC_ZONE("UTC");
  const tz = tzValue.startsWith(":") ? tzValue.slice(1) : tzValue;
  if (tz === "") return UTC_ZONE("UTC");
  if (!tz.split("/").includes("..")) {
    const dir = process.env.TZDIR || "/usr/share/zoneinfo";
    const zone = readTzif(tz.startsWith("/") ? tz : `${dir}/${tz}`);
    if (zone) return zone;
  }
  const posix = parsePosixTz(tz);
  if (posix === undefined) return UTC_ZONE("");
  return { times: [], types: [], typeOffsets: [0], typeNames: [""], firstType: 0, after: posix };
}

/** Offset (seconds east) and abbreviation in force at `t` (seconds since the epoch). */
function zoneAt(zone: Zone, t: number): [number, string] {
  const n = zone.times.length;
  let type: number;
  if (n > 0 && t < zone.times[0]!) type = zone.firstType;
  else if (n === 0 || t >= zone.times[n - 1]!) {
    if (typeof zone.after !== "number") return posixAt(zone.after, t);
    type = zone.after;
  } else {
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (zone.times[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    type = zone.types[lo]!;
  }
  return [zone.typeOffsets[type]!, zone.typeNames[type]!];
}

/** Local time of `d` in the zone that TZ (`tz`, default process.env.TZ) names, with its UTC offset and abbreviation. */
export function localTimeParts(d: Date, tz: string | undefined = process.env.TZ): LocalTime {
  let zone = zones.get(tz);
  if (zone === undefined) {
    zone = loadZone(tz);
    zones.set(tz, zone);
  }
  const t = Math.floor(d.getTime() / 1000);
  const [offset, name] = zoneAt(zone, t);
  const l = new Date((t + offset) * 1000);
  return {
    year: l.getUTCFullYear(),
    month: l.getUTCMonth(),
    day: l.getUTCDate(),
    weekday: l.getUTCDay(),
    hours: l.getUTCHours(),
    minutes: l.getUTCMinutes(),
    seconds: l.getUTCSeconds(),
    offset,
    zone: name,
  };
}
