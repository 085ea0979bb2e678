/**
 * mail_date_test — the Date: format against Debian's Postfix 3.7 and glibc. POSTFIX rows were produced by
 * Postfix's own mail_date() (libpostfix-global.so) under each TZ, for 1970, 2023, 2024 (summer and the last
 * second of the year) and 1900 (local mean time, where Postfix's whole-minute offset shows). The date(1) tests
 * compare many instants with `date '+%a, %e %b %Y %H:%M:%S %z (%Z)'`, the strftime format Postfix 3.7 uses.
 * The driver that ran Postfix is ../address/testdata/postfix_oracle.c.
 */
import { test, expect, describe } from "bun:test";
import { formatRfc2822Date } from "./mail_date.ts";

const INSTANTS = [1, 1719800000, 1701234567, 1735689599, -2208988800];

// prettier-ignore
const POSTFIX: [string, string[]][] = [
  ["UTC", ["Thu,  1 Jan 1970 00:00:01 +0000 (UTC)", "Mon,  1 Jul 2024 02:13:20 +0000 (UTC)", "Wed, 29 Nov 2023 05:09:27 +0000 (UTC)", "Tue, 31 Dec 2024 23:59:59 +0000 (UTC)", "Mon,  1 Jan 1900 00:00:00 +0000 (UTC)"]],
  ["Europe/Paris", ["Thu,  1 Jan 1970 01:00:01 +0100 (CET)", "Mon,  1 Jul 2024 04:13:20 +0200 (CEST)", "Wed, 29 Nov 2023 06:09:27 +0100 (CET)", "Wed,  1 Jan 2025 00:59:59 +0100 (CET)", "Mon,  1 Jan 1900 00:09:21 +0009 (PMT)"]],
  ["America/New_York", ["Wed, 31 Dec 1969 19:00:01 -0500 (EST)", "Sun, 30 Jun 2024 22:13:20 -0400 (EDT)", "Wed, 29 Nov 2023 00:09:27 -0500 (EST)", "Tue, 31 Dec 2024 18:59:59 -0500 (EST)", "Sun, 31 Dec 1899 19:00:00 -0500 (EST)"]],
  ["Asia/Kolkata", ["Thu,  1 Jan 1970 05:30:01 +0530 (IST)", "Mon,  1 Jul 2024 07:43:20 +0530 (IST)", "Wed, 29 Nov 2023 10:39:27 +0530 (IST)", "Wed,  1 Jan 2025 05:29:59 +0530 (IST)", "Mon,  1 Jan 1900 05:21:10 +0521 (MMT)"]],
  ["Africa/Monrovia", ["Wed, 31 Dec 1969 23:15:31 +0045 (MMT)", "Mon,  1 Jul 2024 02:13:20 +0000 (GMT)", "Wed, 29 Nov 2023 05:09:27 +0000 (GMT)", "Tue, 31 Dec 2024 23:59:59 +0000 (GMT)", "Sun, 31 Dec 1899 23:16:52 +0044 (MMT)"]],
  ["Europe/Amsterdam", ["Thu,  1 Jan 1970 01:00:01 +0100 (CET)", "Mon,  1 Jul 2024 04:13:20 +0200 (CEST)", "Wed, 29 Nov 2023 06:09:27 +0100 (CET)", "Wed,  1 Jan 2025 00:59:59 +0100 (CET)", "Mon,  1 Jan 1900 00:19:32 +0019 (AMT)"]],
  ["", ["Thu,  1 Jan 1970 00:00:01 +0000 (UTC)", "Mon,  1 Jul 2024 02:13:20 +0000 (UTC)", "Wed, 29 Nov 2023 05:09:27 +0000 (UTC)", "Tue, 31 Dec 2024 23:59:59 +0000 (UTC)", "Mon,  1 Jan 1900 00:00:00 +0000 (UTC)"]],
  ["<+03>-3", ["Thu,  1 Jan 1970 03:00:01 +0300 (+03)", "Mon,  1 Jul 2024 05:13:20 +0300 (+03)", "Wed, 29 Nov 2023 08:09:27 +0300 (+03)", "Wed,  1 Jan 2025 02:59:59 +0300 (+03)", "Mon,  1 Jan 1900 03:00:00 +0300 (+03)"]],
  ["Nowhere/Land", ["Thu,  1 Jan 1970 00:00:01 +0000 (Nowhere)", "Mon,  1 Jul 2024 02:13:20 +0000 (Nowhere)", "Wed, 29 Nov 2023 05:09:27 +0000 (Nowhere)", "Tue, 31 Dec 2024 23:59:59 +0000 (Nowhere)", "Mon,  1 Jan 1900 00:00:00 +0000 (Nowhere)"]],
];

describe("formatRfc2822Date() matches Postfix's mail_date()", () => {
  for (const [tz, want] of POSTFIX) {
    test(`TZ=${JSON.stringify(tz)}`, () => {
      expect(INSTANTS.map((t) => formatRfc2822Date(new Date(t * 1000), tz))).toEqual(want);
    });
  }
});

describe("formatRfc2822Date() matches date(1)", () => {
  // every 37 days and 11 hours from 1970 to 2100, so every weekday, month and DST state comes up
  const instants: number[] = [];
  for (let t = 0; t < 4_102_444_800; t += 37 * 86400 + 11 * 3600 + 17) instants.push(t);
  for (const tz of ["UTC", "Europe/Berlin", "America/Los_Angeles", "Australia/Lord_Howe", "Asia/Kathmandu", "America/St_Johns", "CET-1CEST,M3.5.0,M10.5.0/3", "EST5"]) {
    test(`TZ=${JSON.stringify(tz)}`, () => {
      const r = Bun.spawnSync({
        cmd: ["date", "-f", "-", "+%a, %e %b %Y %H:%M:%S %z (%Z)"],
        env: { ...process.env, TZ: tz, LC_ALL: "C" },
        stdin: Buffer.from(instants.map((t) => `@${t}\n`).join("")),
        stdout: "pipe",
      });
      const theirs = r.stdout.toString().split("\n").slice(0, instants.length);
      expect(instants.map((t) => formatRfc2822Date(new Date(t * 1000), tz))).toEqual(theirs);
    });
  }
});

test("formatRfc2822Date() uses process.env.TZ when no zone is given", () => {
  const d = new Date(1719800000 * 1000);
  expect(formatRfc2822Date(d)).toBe(formatRfc2822Date(d, process.env.TZ));
});

test("formatRfc2822Date() pads a one-digit day with a space, as Postfix 3.7 does", () => {
  expect(formatRfc2822Date(new Date(Date.UTC(2026, 10, 5, 5, 26, 10)), "UTC")).toBe("Thu,  5 Nov 2026 05:26:10 +0000 (UTC)");
  expect(formatRfc2822Date(new Date(Date.UTC(2026, 10, 25, 5, 26, 10)), "UTC")).toBe("Wed, 25 Nov 2026 05:26:10 +0000 (UTC)");
});

test("formatRfc2822Date() prints an offset of less than an hour west as Postfix does (+00MM)", () => {
  // Postfix formats the offset with %+03d%02d of (minutes / 60, |minutes| % 60): -30 minutes prints +0030
  expect(formatRfc2822Date(new Date(0), "<-0030>0:30")).toBe("Wed, 31 Dec 1969 23:30:00 +0030 (-0030)");
  expect(formatRfc2822Date(new Date(0), "<-0130>1:30")).toBe("Wed, 31 Dec 1969 22:30:00 -0130 (-0130)");
});
