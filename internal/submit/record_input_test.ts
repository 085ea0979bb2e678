import { test, expect, afterAll } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { ensureQueueDirs, encodeRecord, openQueueFile, type QueueRecord } from "../queue/index.ts";
import { RecordInput } from "./record_input.ts";
import { openMaildropFile } from "./maildrop.ts";
import { SubmitError } from "./submit_error.ts";

const dir = mkdtempSync(join(tmpdir(), "record-input-"));
ensureQueueDirs(dir, { names: ["maildrop"] });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const enc = (recs: QueueRecord[]) => Buffer.concat(recs.map(encodeRecord));
const R = (address: string, notify = 0): QueueRecord => ({ kind: "R", address, origAddress: address, notify, orcpt: "" });
const A = (name: string, value: string): QueueRecord => ({ kind: "A", name, value });
const N = (text: string): QueueRecord => ({ kind: "N", data: Buffer.from(text) });

function maildrop(): string[] {
  return readdirSync(join(dir, "maildrop"));
}

/** Feeds `bytes` in chunks of `chunk`; returns the queue ID (or undefined) and the warnings. */
function submit(bytes: Uint8Array, chunk = 5, uid = 1234): { id: string | undefined; warnings: string[] } {
  const warnings: string[] = [];
  const input = new RecordInput({ uid, openFile: () => openMaildropFile({ queueDir: dir }), warn: (t) => warnings.push(t) });
  for (let i = 0; i < bytes.length; i += chunk) if (!input.push(bytes.subarray(i, i + chunk))) break;
  return { id: input.finish(), warnings };
}

function failure(bytes: Uint8Array, opts: { sizeLimit?: number } = {}): string {
  const input = new RecordInput({ uid: 1234, openFile: () => openMaildropFile({ queueDir: dir }), warn: () => {}, ...opts });
  try {
    input.push(bytes);
    input.finish();
  } catch (e) {
    if (e instanceof SubmitError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return "no error";
}

const good: QueueRecord[] = [
  { kind: "T", sec: 1, usec: 2 },
  A("rewrite_context", "local"),
  A("envelope_id", "env1"),
  { kind: "F", fullName: "Joe" },
  { kind: "S", sender: "joe@x" },
  R("a@x", 4),
  { kind: "M" },
  N("Subject: s\n\n"),
  N("body\n"),
  { kind: "X" },
  R("b@y"),
  { kind: "E" },
];

test("a complete stream becomes a maildrop file with the submitter's uid and postdrop's own time", () => {
  const before = Math.floor(Date.now() / 1000);
  const { id, warnings } = submit(Buffer.concat([enc(good), Buffer.from("trailing junk is not read")]));
  expect(warnings).toEqual([]);
  expect(maildrop()).toEqual([id!]);
  const f = openQueueFile(join(dir, "maildrop", id!));
  const env = f.envelope();
  expect(env.uid).toBe(1234);
  expect(env.sender).toBe("joe@x");
  expect(env.fullName).toBe("Joe");
  expect(env.arrivalTime.sec).toBeGreaterThanOrEqual(before);
  expect(env.dsnEnvid).toBe("env1");
  expect(env.attributes.get("rewrite_context")).toBe("local");
  expect(env.recipients.map((r) => [r.address, r.notify, r.extracted])).toEqual([
    ["a@x", 4, false],
    ["b@y", 0, true],
  ]);
  expect(Buffer.concat([...f.content()]).toString()).toBe("Subject: s\n\nbody\n");
  f.close();
  rmSync(join(dir, "maildrop", id!));
});

test("attributes a user may not set are dropped with Postfix's warning; submit_uid is replaced silently", () => {
  const recs = [A("submit_uid", "0"), A("expire_time", "1"), A("rewrite_context", "bogus"), A("log_client_name", "x".repeat(300)), ...good];
  const { id, warnings } = submit(enc(recs));
  expect(warnings).toEqual([
    "uid=1234: ignoring attribute record: expire_time=1",
    "uid=1234: ignoring attribute record: rewrite_context=bogus",
    `uid=1234: ignoring attribute record: log_client_name=${"x".repeat(200)}`,
  ]);
  expect(openQueueFile(join(dir, "maildrop", id!)).envelope().uid).toBe(1234);
  rmSync(join(dir, "maildrop", id!));
});

test("input that ends between records before E cancels the request and leaves nothing", () => {
  for (const cut of [0, 3, 7, 9, 11]) {
    expect(submit(enc(good.slice(0, cut))).id).toBeUndefined();
    expect(maildrop()).toEqual([]);
  }
});

const bad: [string, Uint8Array, string][] = [
  ["garbage", Buffer.from("\xc1\xc1\xc1 not msgpack", "latin1"), "malformed: uid=1234: malformed input: "],
  ["a record cut short", enc(good).subarray(0, enc(good).length - 2), "malformed: uid=1234: malformed input: incomplete record at end of input"],
  ["not a record", Buffer.from([0x92, 0xa1, 0x5a, 0x01]), "malformed: uid=1234: malformed input: invalid record"],
  ["W in the envelope", enc([{ kind: "W", sec: 5 }]), "malformed: uid=1234: unexpected record type: W"],
  ["content before M", enc([{ kind: "S", sender: "" }, N("x")]), "malformed: uid=1234: unexpected record type: N"],
  ["two senders", enc([{ kind: "S", sender: "a" }, { kind: "S", sender: "b" }]), "malformed: uid=1234: malformed input: more than one sender record"],
  ["no sender", enc([R("a@x"), { kind: "M" }]), "malformed: uid=1234: malformed input: no sender record"],
  ["no recipient", enc([{ kind: "S", sender: "a" }, { kind: "M" }, { kind: "X" }, { kind: "E" }]), "malformed: uid=1234: malformed input: no recipient record"],
  ["bad notify bits", enc([{ kind: "S", sender: "a" }, R("a@x", 3)]), "malformed: uid=1234: malformed input: bad DSN notify flags 3"],
  ["NUL in an address", enc([{ kind: "S", sender: "a\0b" }, R("a@x"), { kind: "M" }]), "malformed: uid=1234: malformed input: queue file sender: contains NUL"],
  ["S in the extracted section", enc([{ kind: "S", sender: "a" }, R("a@x"), { kind: "M" }, { kind: "X" }, { kind: "S", sender: "b" }]), "malformed: uid=1234: unexpected record type: S"],
];
for (const [label, bytes, want] of bad) {
  test(`refused: ${label}; nothing is left in maildrop`, () => {
    const got = failure(bytes);
    if (want.endsWith(": ")) expect(got.startsWith(want)).toBe(true);
    else expect(got).toBe(want);
    expect(maildrop()).toEqual([]);
  });
}

test("more input than message_size_limit is refused", () => {
  const big = enc([{ kind: "S", sender: "a" }, R("a@x"), { kind: "M" }, N("x".repeat(5000)), { kind: "X" }, { kind: "E" }]);
  expect(failure(big, { sizeLimit: 1000 })).toBe("size: uid=1234: File too large");
  expect(maildrop()).toEqual([]);
});
