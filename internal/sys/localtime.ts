/**
 * localtime — the local time of day for log records, without waking up ICU.
 *
 * Problem: the first local-time operation on a JS Date (getHours(), getTimezoneOffset()) loads ICU's time zone
 * data, which costs about 5 ms: more than a whole Postfix postlog run. Solution: read the zone's UTC offset from
 * the TZif file ourselves (TZ=:/path, TZ=Area/City, else /etc/localtime) once per process. Zones that have
 * daylight-saving rules after their last listed transition, and anything we cannot read, fall back to Date's
 * own local time, which is always correct, only slower.
 *
 * `localTimeParts(date)` returns month (0-11), day, hours, minutes and seconds in local time. Never throws.
 */
import { readFileBytes } from "./libc.ts";

interface Zone {
  /** Transition times (seconds since the epoch) and the UTC offset in force from each. */
  times: number[];
  offsets: number[];
  /** Offset before the first transition, and after the last when `fixedAfter` is true. */
  initial: number;
  fixedAfter: number | undefined;
}

let zone: Zone | null | undefined;

function parsePosixFixed(tz: string): number | undefined {
  // "UTC0", "EST5", "<+03>-3": a fixed offset (POSIX sign is inverted), no DST rule
  const m = /^(?:[A-Za-z]{3,}|<[^>]+>)([+-]?)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?$/.exec(tz);
  if (!m) return /^(UTC|GMT|UCT|Z)$/i.test(tz) ? 0 : undefined;
  const secs = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  return m[1] === "-" ? secs : -secs;
}

function parseTzif(buf: Buffer): Zone | null {
  if (buf.length < 44 || buf.toString("latin1", 0, 4) !== "TZif") return null;
  const counts = (off: number) => [0, 1, 2, 3, 4, 5].map((i) => buf.readUInt32BE(off + 20 + i * 4)) as [number, number, number, number, number, number];
  let [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(0);
  let off = 44;
  let timeSize = 4;
  if (buf[4]! >= 0x32) {
    // skip the version 1 block; use the 64-bit one
    off += timecnt * 4 + timecnt + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
    [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(off);
    off += 44;
    timeSize = 8;
  }
  const times: number[] = [];
  for (let i = 0; i < timecnt; i++) {
    times.push(timeSize === 8 ? Number(buf.readBigInt64BE(off + i * 8)) : buf.readInt32BE(off + i * 4));
  }
  const idxOff = off + timecnt * timeSize;
  const typeOff = idxOff + timecnt;
  const typeOffset = (t: number) => buf.readInt32BE(typeOff + t * 6);
  const offsets = times.map((_, i) => typeOffset(buf[idxOff + i]!));
  let initial = typeOffset(0);
  let fixedAfter: number | undefined = timecnt === 0 ? initial : offsets[offsets.length - 1];
  if (timeSize === 8) {
    const footerOff = typeOff + typecnt * 6 + charcnt + leap * 12 + isstd + isut;
    const footer = buf.toString("latin1", footerOff).split("\n")[1] ?? "";
    if (footer.includes(",")) fixedAfter = undefined; // DST rules after the last transition
    else if (footer !== "") {
      const f = parsePosixFixed(footer);
      if (f === undefined) fixedAfter = undefined;
      else {
        fixedAfter = f;
        if (timecnt === 0) initial = f;
      }
    }
  }
  return { times, offsets, initial, fixedAfter };
}

function loadZone(): Zone | null {
  let tz = process.env.TZ;
  try {
    if (tz === undefined) return parseTzif(readFileBytes("/etc/localtime"));
    if (tz === "") return { times: [], offsets: [], initial: 0, fixedAfter: 0 };
    if (tz.startsWith(":")) tz = tz.slice(1);
    const fixed = parsePosixFixed(tz);
    if (fixed !== undefined && !tz.includes("/")) return { times: [], offsets: [], initial: fixed, fixedAfter: fixed };
    if (tz.includes("..")) return null;
    return parseTzif(readFileBytes(tz.startsWith("/") ? tz : `/usr/share/zoneinfo/${tz}`));
  } catch {
    return null;
  }
}

/** Local time fields of `d`: month 0-11, day of month, hours, minutes, seconds. */
export function localTimeParts(d: Date): { month: number; day: number; hours: number; minutes: number; seconds: number } {
  if (zone === undefined) zone = loadZone();
  const t = Math.floor(d.getTime() / 1000);
  let offset: number | undefined;
  if (zone) {
    const n = zone.times.length;
    if (n === 0 || t < zone.times[0]!) offset = zone.initial;
    else if (t >= zone.times[n - 1]!) offset = zone.fixedAfter;
    else {
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (zone.times[mid]! <= t) lo = mid;
        else hi = mid - 1;
      }
      offset = zone.offsets[lo];
    }
  }
  if (offset === undefined) {
    return { month: d.getMonth(), day: d.getDate(), hours: d.getHours(), minutes: d.getMinutes(), seconds: d.getSeconds() };
  }
  const l = new Date((t + offset) * 1000);
  return { month: l.getUTCMonth(), day: l.getUTCDate(), hours: l.getUTCHours(), minutes: l.getUTCMinutes(), seconds: l.getUTCSeconds() };
}
