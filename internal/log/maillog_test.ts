import { test, expect } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFileSink } from "./maillog.ts";
import { deferLogFileRecords, flushLogRecords, msgInfo, setMsgSink, setMsgStderr } from "./msg.ts";

const LINE = /^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d mx postfix\/test\[\d+\]: /;

test("a file sink writes each record at once in a tool", () => {
  const dir = mkdtempSync(join(tmpdir(), "maillog-"));
  try {
    const sink = openFileSink(join(dir, "log"), "mx", () => "postfix/test");
    sink.write("info", "one");
    sink.write("warning", "two");
    const lines = readFileSync(join(dir, "log"), "utf8").split("\n");
    expect(lines[0]).toMatch(LINE);
    expect(lines[0]!.endsWith(": one")).toBe(true);
    expect(lines[1]!.endsWith(": warning: two")).toBe(true);
    sink.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("in a daemon, records wait for the end of the turn, and flushLogRecords() writes them before a state change", async () => {
  const dir = mkdtempSync(join(tmpdir(), "maillog-"));
  const path = join(dir, "log");
  deferLogFileRecords();
  setMsgStderr(false);
  try {
    setMsgSink(openFileSink(path, "mx", () => "postfix/test"));
    msgInfo("ABC123: message-id=<a@b>");
    expect(readFileSync(path, "utf8")).toBe(""); // held back for the end of the turn
    flushLogRecords();
    expect(readFileSync(path, "utf8")).toMatch(/: ABC123: message-id=<a@b>\n$/);
    msgInfo("ABC123: removed");
    msgInfo("DEF456: removed");
    expect(readFileSync(path, "utf8").split("\n").length).toBe(2);
    await new Promise((r) => setImmediate(r));
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines.slice(1)).toEqual([expect.stringMatching(/: ABC123: removed$/), expect.stringMatching(/: DEF456: removed$/), ""]);
    flushLogRecords(); // nothing pending: nothing written
    expect(readFileSync(path, "utf8").split("\n").length).toBe(4);
  } finally {
    deferLogFileRecords(false);
    setMsgSink(undefined);
    setMsgStderr(true);
    rmSync(dir, { recursive: true, force: true });
  }
});
