/**
 * reported_size_test — the reported message size against Postfix 3.7's message_size for the same contents
 * (testdata/reported_size/postfix37.json: long, exact-limit and unterminated lines in headers and body), whatever
 * the chunking of the content, and through the queue writer and reader.
 */
import { test, expect, describe, afterAll } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { ReportedSizeCounter } from "./reported_size.ts";
import { createQueueFile } from "./queue_writer.ts";
import { ensureQueueDirs } from "./queue_path.ts";
import { readEnvelope } from "./queue_file.ts";

interface Case {
  name: string;
  what: string;
  size: number;
  content: string;
}

const CASES: Case[] = JSON.parse(readFileSync(join(import.meta.dir, "../../testdata/reported_size/postfix37.json"), "utf8")).cases;

/**
 * The counter over `content` given as cleanup gives it: a record (line) per add(), the body starting at the first
 * empty line. `tail` (cleanup's way): a last line without newline is followed by the empty record that ends it.
 */
function count(content: string, limit = 2048, tail = false): number {
  const c = new ReportedSizeCounter(limit);
  const lines = content.split("\n");
  const last = lines.pop()!; // "" when the content ends with a newline
  let body = false;
  for (const l of lines) {
    if (!body && l === "") {
      c.bodyStarts();
      body = true;
    }
    c.add(Buffer.from(`${l}\n`, "latin1"));
  }
  if (last !== "") {
    c.add(Buffer.from(last, "latin1"));
    if (tail) c.add(Buffer.from("\n"));
  }
  return c.finish();
}

describe("reported size: Postfix 3.7's message_size", () => {
  for (const k of CASES) {
    test(`${k.name}: ${k.what}`, () => {
      expect(count(k.content)).toBe(k.size);
      expect(count(k.content, 2048, true)).toBe(k.size);
    });
  }
});

describe("reported size: the record arithmetic", () => {
  test("a line costs its bytes plus a type byte and its length in 7-bit groups, instead of the newline", () => {
    expect(count("a: b\n\nx\n")).toBe(6 + 2 + 3);
    expect(count(`${"h".repeat(127)}\n`)).toBe(129);
    expect(count(`${"h".repeat(128)}\n`)).toBe(131);
  });

  test("pieces follow line_length_limit", () => {
    // body line of 10 with limit 4: 4 + 4 + 2, three records
    expect(count(`a: b\n\n${"x".repeat(10)}\n`, 4)).toBe(6 + 2 + 6 + 6 + 4);
    // body line of exactly 8: two full pieces and an empty one; as a header: two pieces
    expect(count(`a: b\n\n${"x".repeat(8)}\n`, 4)).toBe(6 + 2 + 6 + 6 + 2);
    expect(count(`${"x".repeat(8)}\n`, 4)).toBe(12);
  });

  test("a last line without newline is a continued record ended by an empty one", () => {
    expect(count("a: b\n\nxyz", 4)).toBe(6 + 2 + 5 + 2);
    expect(count("a: b\n\nxyz", 4, true)).toBe(6 + 2 + 5 + 2);
    // an unfinished piece of exactly the limit is one record, of limit + 1 two
    expect(count("a: b\n\nwxyz", 4, true)).toBe(6 + 2 + 6 + 2);
    expect(count("a: b\n\nvwxyz", 4, true)).toBe(6 + 2 + 6 + 3 + 2);
  });

  test("content cut elsewhere counts the records cut there, as Postfix would store them", () => {
    const c = new ReportedSizeCounter(2048);
    c.add(Buffer.from("abc"));
    c.add(Buffer.from("def\n"));
    expect(c.finish()).toBe(5 + 5);
  });

  test("a bad limit is refused", () => {
    expect(() => new ReportedSizeCounter(0)).toThrow(RangeError);
  });
});

describe("reported size: in the queue file", () => {
  const dir = mkdtempSync(join(tmpdir(), "postkit-rsize-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  ensureQueueDirs(dir);

  test("the writer records it and readers report it; the content size stays the byte count", () => {
    const k = CASES.find((c) => c.name === "m3")!;
    const w = createQueueFile({ queueDir: dir, queueName: "incoming" });
    w.writeEnvelope({ sender: "a@example.test", recipients: [{ address: "b@example.test" }] });
    const blank = k.content.indexOf("\n\n") + 1;
    w.writeContent(k.content.slice(0, blank));
    w.markBodyStart();
    w.writeContent(k.content.slice(blank));
    const done = w.finish();
    expect(done.reportedSize).toBe(k.size);
    const env = readEnvelope(done.path);
    expect(env.reportedSize).toBe(k.size);
    expect(env.messageSize).toBe(Buffer.byteLength(k.content, "latin1"));
  });
});
