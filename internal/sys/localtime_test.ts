import { test, expect } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localTimeParts } from "./localtime.ts";
import { localTimeFields } from "./libc.ts";

// The reference is glibc's localtime (date(1)), which is what Postfix's log time stamps and Date: headers use.
// localTimeParts() takes the TZ value as a parameter, so every zone runs in this process; date(1) runs once per
// zone with all instants on its standard input.
const zones = [
  "UTC",
  "Europe/Paris",
  "America/New_York",
  "Asia/Kolkata",
  "Australia/Lord_Howe",
  "America/St_Johns",
  "Africa/Casablanca",
  "Etc/GMT+5",
  "EST5",
  "JST-9",
  "ABC+12",
  "ABC-0",
  "ABC+",
  "ABC99",
  "ABC+123",
  "EST5EDT",
  ":Europe/Berlin",
  "/usr/share/zoneinfo/Asia/Tokyo",
  "",
  ":",
  "<+03>-3",
  "<-03>3",
  "XYZ-5:30",
  "CET-1CEST,M3.5.0,M10.5.0/3",
  "NZST-12NZDT,M9.5.0,M4.1.0/3",
  "EST5EDT4,M3.2.0/2,M11.1.0",
  "AAA3BBB,J60/2,J300",
  "AAA3BBB,60,300",
  "Nowhere/Land",
  ":Nowhere",
  "abc",
  "ab",
  "1234",
  "../../etc/passwd",
];
// The epoch, 2023-11-14, 2024-07-01, the last second of 2024, DST edges in Europe and the US (2024-03-31 01:00 UTC,
// 2024-10-27 01:00 UTC, 2024-03-10 07:00 UTC), and 2039/2050 (after the last transition of fat TZif files).
const instants = [
  0, 1_700_000_000, 1_719_800_000, 1_735_689_599, 1_711_846_799, 1_711_846_800, 1_729_990_799, 1_729_990_800,
  1_710_053_999, 1_710_054_000, 2_200_000_000, 2_540_000_000,
];

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
function formatLikeDate(t: number, tz: string): string {
  const p = localTimeParts(new Date(t * 1000), tz);
  const off = Math.abs(p.offset);
  const z = `${p.offset < 0 ? "-" : "+"}${pad(Math.floor(off / 3600))}${pad(Math.floor(off / 60) % 60)}`;
  return `${pad(p.year, 4)} ${pad(p.month + 1)} ${pad(p.day)} ${p.weekday} ${pad(p.hours)} ${pad(p.minutes)} ${pad(p.seconds)} ${z} ${p.zone}`.trimEnd();
}

for (const tz of zones) {
  test(`localTimeParts() agrees with glibc's localtime for TZ=${JSON.stringify(tz)}`, () => {
    const r = Bun.spawnSync({
      cmd: ["date", "-f", "-", "+%Y %m %d %w %H %M %S %z %Z"],
      env: { ...process.env, TZ: tz },
      stdin: Buffer.from(instants.map((t) => `@${t}\n`).join("")),
      stdout: "pipe",
    });
    const theirs = r.stdout.toString().split("\n").slice(0, instants.length).map((l) => l.trimEnd());
    const ours = instants.map((t) => formatLikeDate(t, tz));
    expect(ours).toEqual(theirs);
  });
}

test("localTimeParts() uses TZ from the environment by default and /etc/localtime when TZ is unset", () => {
  const script = `
    import { localTimeParts } from ${JSON.stringify(`${import.meta.dir}/localtime.ts`)};
    const p = localTimeParts(new Date(1719800000 * 1000));
    console.log(p.hours, p.offset, p.zone);`;
  const run = (env: Record<string, string | undefined>) =>
    Bun.spawnSync({ cmd: [process.execPath, "-e", script], env, stdout: "pipe" }).stdout.toString().trim();
  const date = (env: Record<string, string | undefined>) =>
    Bun.spawnSync({ cmd: ["date", "-d", "@1719800000", "+%-H %z %Z"], env, stdout: "pipe" }).stdout.toString().trim();
  const { TZ: _, ...unset } = process.env;
  const [h1, off1, z1] = run({ ...process.env, TZ: "Asia/Kolkata" }).split(" ");
  expect(`${h1} ${off1} ${z1}`).toBe("7 19800 IST");
  const [h2, off2, z2] = run(unset).split(" ");
  const [dh, dz, dn] = date(unset).split(" ");
  expect(h2).toBe(dh!);
  expect(Number(off2)).toBe((dz!.startsWith("-") ? -1 : 1) * (Number(dz!.slice(1, 3)) * 3600 + Number(dz!.slice(3)) * 60));
  expect(z2).toBe(dn!);
});

test("a TZif file cut short is not used (UTC instead), wherever it is cut", () => {
  const dir = mkdtempSync(join(tmpdir(), "postkit-tz-"));
  try {
    const whole = readFileSync("/usr/share/zoneinfo/Europe/Berlin");
    const at = new Date(Date.UTC(2024, 6, 1, 12, 0, 0));
    expect(localTimeParts(at, "/usr/share/zoneinfo/Europe/Berlin").offset).toBe(7200);
    for (const cut of [44, 60, 200, 600, 1000]) {
      if (cut >= whole.length) continue;
      const f = join(dir, `cut${cut}`);
      writeFileSync(f, whole.subarray(0, cut));
      const l = localTimeParts(at, f);
      expect(Number.isFinite(l.offset)).toBe(true);
      expect(Number.isFinite(l.hours)).toBe(true);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("libc.ts localTimeFields() (glibc's localtime_r, the log time stamps) agrees with localTimeParts() in this process's zone", () => {
  // glibc reads this process's TZ (or /etc/localtime) once; localTimeParts() defaults to the same TZ
  const instants = [0, 1, 86399, 951782400, 1711846799, 1711846800, 1729990800, 2147483647, 2147483648, 4102444800, 4294967296 + 12345];
  for (let t = 1700000000; t < 1800000000; t += 2345678) instants.push(t);
  for (const t of instants) {
    const tm = localTimeFields(t);
    const l = localTimeParts(new Date(t * 1000));
    expect(tm === undefined ? undefined : [...tm.slice(0, 7)]).toEqual([l.seconds, l.minutes, l.hours, l.day, l.month, l.year - 1900, l.weekday]);
  }
});
