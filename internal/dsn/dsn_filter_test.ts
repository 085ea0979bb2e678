/**
 * dsn_filter_test — DsnFilter.lookup() and filterDeliveryStatus() with regexp and in-memory tables: which
 * replacements are taken, which are refused with a warning, and what a failed lookup does.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { MapError, type LookupTable } from "../maps/index.ts";
import { DsnFilter, filterDeliveryStatus, initDeliveryStatusFilter, setDeliveryStatusFilter } from "./dsn_filter.ts";

let dir = "";
let logLines: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "dsn-filter-"));
  setMsgStderr(false);
  setMsgSink({ write: (level, text) => logLines.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
});
afterAll(() => {
  setMsgSink(undefined);
  setDeliveryStatusFilter(undefined);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  logLines = [];
});

async function regexpFilter(source: string): Promise<DsnFilter> {
  const file = join(dir, `f${Math.random().toString(36).slice(2)}.regexp`);
  writeFileSync(file, source);
  return DsnFilter.open("smtp_delivery_status_filter", [`regexp:${file}`]);
}

const RULES = [
  "/^5\\.1\\.1 (.*User unknown.*)/ 4.1.1 $1",
  "/^5\\.7\\.1 (.*)/ 5.7.9 policy: $1",
  "/^4\\.4\\.1 (.*)/ 5.4.1 gave up: $1",
  "/^2\\.0\\.0 (.*)/ 2.6.0 done: $1",
  "/^2\\.0\\.1 / 5.0.0 success to failure",
  "/^5\\.2\\.2 / 2.0.0 failure to success",
  "/^5\\.3\\.0 / 5.3",
  "/^5\\.3\\.1 / 5.3.1x glued",
  "/^5\\.3\\.2 / 5.3.2",
  "",
].join("\n");

test.each([
  ["a 5.x.x may become a 4.x.x deferral", { status: "bounced", dsn: "5.1.1", reason: "host x said: 550 5.1.1 User unknown" }, { status: "deferred", dsn: "4.1.1", reason: "host x said: 550 5.1.1 User unknown" }],
  ["the text may change with the status", { status: "bounced", dsn: "5.7.1", reason: "denied" }, { status: "bounced", dsn: "5.7.9", reason: "policy: denied" }],
  ["a 4.x.x may become a 5.x.x bounce", { status: "deferred", dsn: "4.4.1", reason: "connect timed out" }, { status: "bounced", dsn: "5.4.1", reason: "gave up: connect timed out" }],
  ["success statuses are filtered too", { status: "sent", dsn: "2.0.0", reason: "delivered to mailbox" }, { status: "sent", dsn: "2.6.0", reason: "done: delivered to mailbox" }],
  ["a value with a status and no text leaves an empty text", { status: "bounced", dsn: "5.3.2", reason: "x" }, { status: "bounced", dsn: "5.3.2", reason: "" }],
] as const)("DsnFilter.lookup(): %s", async (_label, input, want) => {
  const f = await regexpFilter(RULES);
  expect(f.lookup({ ...input })).toEqual({ ...want });
  expect(logLines).toEqual([]);
  f.close();
});

test.each([
  ["a success must stay a success", { status: "sent", dsn: "2.0.1", reason: "ok" }, "5.0.0 success to failure"],
  ["a failure must stay a failure", { status: "bounced", dsn: "5.2.2", reason: "full" }, "2.0.0 failure to success"],
  ["the value must start with a whole status code", { status: "bounced", dsn: "5.3.0", reason: "x" }, "5.3"],
  ["the status must end at white space", { status: "bounced", dsn: "5.3.1", reason: "x" }, "5.3.1x glued"],
] as const)("DsnFilter.lookup() keeps the status when %s, with a warning", async (_label, input, value) => {
  const f = await regexpFilter(RULES);
  expect(f.lookup({ ...input })).toBeUndefined();
  expect(logLines).toEqual([`warning: smtp_delivery_status_filter: bad status code: ${value}`]);
  f.close();
});

test("DsnFilter.lookup() returns undefined when nothing matches", async () => {
  const f = await regexpFilter(RULES);
  expect(f.lookup({ status: "deferred", dsn: "4.2.0", reason: "later" })).toBeUndefined();
  expect(logLines).toEqual([]);
  f.close();
});

function table(lookup: (key: string) => string | undefined): LookupTable {
  return { type: "test", name: "t", fixed: true, lookup, entries: () => [], changed: () => false, close: () => {} };
}

test("DsnFilter.lookup() warns about a failed lookup and keeps the status; later tables are not asked", () => {
  const asked: string[] = [];
  const f = new DsnFilter("local_delivery_status_filter", [
    table(() => {
      throw new MapError("retry", "test:t: temporary failure", { temporary: true });
    }),
    table((k) => (asked.push(k), "4.0.0 never")),
  ]);
  expect(f.lookup({ status: "bounced", dsn: "5.1.1", reason: "unknown user" })).toBeUndefined();
  expect(asked).toEqual([]);
  expect(logLines).toEqual(['warning: test:t lookup error for "5.1.1 unknown user"']);
});

test("DsnFilter.lookup() searches its tables in order; an empty value is no match, a leading space is refused", () => {
  const f = new DsnFilter("virtual_delivery_status_filter", [table(() => undefined), table(() => "4.2.2 over quota")]);
  expect(f.lookup({ status: "bounced", dsn: "5.2.2", reason: "mailbox full" })).toEqual({ status: "deferred", dsn: "4.2.2", reason: "over quota" });
  const empty = new DsnFilter("virtual_delivery_status_filter", [table(() => "")]);
  expect(empty.lookup({ status: "bounced", dsn: "5.2.2", reason: "mailbox full" })).toBeUndefined();
  const spaced = new DsnFilter("virtual_delivery_status_filter", [table(() => " 4.2.2 leading space")]);
  expect(spaced.lookup({ status: "bounced", dsn: "5.2.2", reason: "mailbox full" })).toBeUndefined();
  expect(logLines[2]).toBe("warning: virtual_delivery_status_filter: bad status code:  4.2.2 leading space");
  expect(logLines[0]).toBe("warning: virtual_delivery_status_filter lookup of 5.2.2 mailbox full returns an empty string result");
});

test("filterDeliveryStatus() passes statuses through without a filter, and keeps other fields with one", async () => {
  await initDeliveryStatusFilter("default_delivery_status_filter", []);
  const st = { status: "bounced" as const, dsn: "5.7.1", reason: "denied", offset: 42 };
  expect(filterDeliveryStatus(st)).toBe(st);
  setDeliveryStatusFilter(await regexpFilter(RULES));
  expect(filterDeliveryStatus(st)).toEqual({ status: "bounced", dsn: "5.7.9", reason: "policy: denied", offset: 42 });
  setDeliveryStatusFilter(undefined);
});
