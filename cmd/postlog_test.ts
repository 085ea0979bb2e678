/**
 * postlog end-to-end tests: records land in maillog_file in Postfix's shape, with the right tag, level prefix and
 * printable text; priorities, usage errors and exit statuses as Postfix's postlog.
 */
import { test, expect, afterAll } from "bun:test";
import { readFileSync, existsSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, runTool } from "./_testkit.ts";
import { localTimeParts } from "../internal/sys/localtime.ts";

const inst = makeInstance();
const log = join(inst.dir, "log", "maillog");
afterAll(() => inst.cleanup());

/** The records written since `from`, with the time and pid replaced by fixed text. */
function recordsSince(from: number): string[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .slice(from)
    .split("\n")
    .filter(Boolean)
    .map((l) => l.replace(/^[A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} /, "TIME ").replace(/\[\d+\]:/, "[PID]:"));
}

function size(): number {
  return existsSync(log) ? readFileSync(log).length : 0;
}

test("postlog logs its arguments as one record with the $syslog_name/postlog tag", () => {
  const at = size();
  const r = runTool("postlog", ["-c", inst.config, "hello", "world"]);
  expect(r).toEqual({ stdout: "", stderr: "", status: 0 });
  expect(recordsSince(at)).toEqual(["TIME host postfix/postlog[PID]: hello world"]);
});

test("the time stamp is the local time of the zone TZ names (TZif file, POSIX string, unset: /etc/localtime)", () => {
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const stamp = (d: Date, tz: string | undefined) => {
    const l = localTimeParts(d, tz);
    const p = (n: number) => String(n).padStart(2, "0");
    return `${MONTHS[l.month]} ${p(l.day)} ${p(l.hours)}:${p(l.minutes)}:${p(l.seconds)}`;
  };
  const zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "<+0330>-3:30", "EST5EDT,M3.2.0,M11.1.0"];
  for (const tz of [...zones, undefined]) {
    const at = size();
    const before = new Date();
    const r = runTool("postlog", ["-c", inst.config, `zone ${tz}`], { env: { TZ: tz } });
    const after = new Date();
    expect(r.status).toBe(0);
    const line = readFileSync(log, "utf8").slice(at);
    // the run may straddle a second: either end's stamp is right; no TZ at all means /etc/localtime
    const zone = tz ?? "/etc/localtime";
    expect([stamp(before, zone), stamp(after, zone)]).toContain(line.slice(0, 15));
  }
});

test("postlog logs each standard input line as its own record, with the level prefix", () => {
  const at = size();
  const r = runTool("postlog", ["-c", inst.config, "-p", "ERR", "-t", "mytag"], { stdin: "line1\nline2\n\nlast" });
  expect(r.status).toBe(0);
  expect(recordsSince(at)).toEqual([
    "TIME host mytag[PID]: error: line1",
    "TIME host mytag[PID]: error: line2",
    "TIME host mytag[PID]: error: ",
    "TIME host mytag[PID]: error: last",
  ]);
});

test("postlog maps every priority name as Postfix does", () => {
  const want: Record<string, string> = { info: "", warn: "warning: ", warning: "warning: ", error: "error: ", err: "error: ", crit: "fatal: " };
  for (const [p, prefix] of Object.entries(want)) {
    const at = size();
    expect(runTool("postlog", ["-c", inst.config, "-p", p, "x"]).status).toBe(0);
    expect(recordsSince(at)).toEqual([`TIME host postfix/postlog[PID]: ${prefix}x`]);
  }
});

test("postlog makes control characters printable and honours syslog_name", () => {
  appendFileSync(join(inst.config, "main.cf"), "syslog_name = postfix-inst\n");
  const at = size();
  expect(runTool("postlog", ["-c", inst.config, "-t", "a\tb", "bell\x07here"]).status).toBe(0);
  expect(runTool("postlog", ["-c", inst.config, "plain"]).status).toBe(0);
  expect(recordsSince(at)).toEqual(["TIME host a?b[PID]: bell?here", "TIME host postfix-inst/postlog[PID]: plain"]);
});

test("postlog rejects a bad priority and a bad option like Postfix", () => {
  const bad = runTool("postlog", ["-c", inst.config, "-p", "loud", "x"]);
  expect(bad.status).toBe(1);
  const usage = runTool("postlog", ["-Z"]);
  expect(usage.status).toBe(1);
  expect(usage.stderr).toBe("postlog: invalid option -- 'Z'\n"); // the fatal line goes to a terminal only (3.7)
});

test("concurrent postlog writers never interleave within a line", async () => {
  const at = size();
  const line = "x".repeat(1500);
  const procs = Array.from({ length: 8 }, (_, i) =>
    Bun.spawn({ cmd: [process.env.POSTKIT_BIN ?? join(import.meta.dir, "..", "dist", "postkit"), "-c", inst.config], argv0: "postlog", stdin: Buffer.from(`${`${i}${line}\n`.repeat(40)}`), stdout: "ignore", stderr: "ignore" }),
  );
  await Promise.all(procs.map((p) => p.exited));
  const recs = recordsSince(at);
  expect(recs.length).toBe(320);
  for (const r of recs) expect(r).toMatch(/^TIME host postfix-inst\/postlog\[PID\]: \dx{1500}$/);
});
