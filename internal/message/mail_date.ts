/**
 * mail_date — the date format of the `Date:` and `Received:` headers Postfix writes: local time, numeric UTC
 * offset, zone abbreviation in parentheses.
 *
 *   Mon,  1 Jul 2024 04:13:20 +0200 (CEST)
 *
 * Postfix 3.7 formats it with strftime `%a, %e %b %Y %H:%M:%S ` in the C locale, so a day of the month below 10
 * is padded with a SPACE (`Mon,  1 Jul`); Postfix 3.9 and later pad with a zero. The offset is computed as
 * Postfix's mail_date() does, from the difference between the local and UTC wall clocks in whole minutes, and
 * printed as `%+03d%02d`. The abbreviation is strftime's `%Z` (empty parentheses when the zone has none).
 *
 * Local time comes from internal/sys/localtime.ts (glibc's rules, read from the TZif file; no ICU, so no
 * start-up cost). Pure; never throws. Corresponds to src/global/mail_date.c.
 */
import { localTimeParts } from "../sys/localtime.ts";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** `Wed, 25 Nov 2026 05:26:10 +0000 (UTC)` for `date` in the local zone (`tz`: a TZ value, default process.env.TZ). */
export function formatRfc2822Date(date: Date, tz?: string): string {
  const lt = tz === undefined ? localTimeParts(date) : localTimeParts(date, tz);
  // Postfix's offset: difference of the two wall clocks in minutes (seconds of odd historical offsets dropped).
  const utcMinutes = Math.floor(Math.floor(date.getTime() / 1000) / 60);
  const localMinutes = Math.floor((Math.floor(date.getTime() / 1000) + lt.offset) / 60);
  const gmtoff = localMinutes - utcMinutes;
  const hours = Math.trunc(gmtoff / 60);
  const sign = hours < 0 ? "-" : "+";
  const zone = `${sign}${pad2(Math.abs(hours))}${pad2(Math.abs(gmtoff) % 60)}`;
  const day = lt.day < 10 ? ` ${lt.day}` : `${lt.day}`;
  return `${DAYS[lt.weekday]}, ${day} ${MONTHS[lt.month]} ${lt.year} ${pad2(lt.hours)}:${pad2(lt.minutes)}:${pad2(lt.seconds)} ${zone} (${lt.zone})`;
}
