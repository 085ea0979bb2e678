/**
 * queue_listing_test — the listing's lean decoder gives what the general reader gives (valid files of every
 * shape, files cut anywhere, thousands of random corruptions, one ListedMessage reused across all of them as in
 * a scan), the listing order of recipients, and scanQueueListing() against scanQueueSummaries() on a queue with
 * odd entries (incomplete, corrupt, symbolic link, forced-expire, maildrop, large files).
 */
import { test, expect, describe, beforeAll, afterAll } from "bun:test";
import { chmodSync, closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { QueueError } from "./queue_error.ts";
import { encodeRecord, openQueueFile, readEnvelopeGeneral, type QueueRecord } from "./queue_file.ts";
import { createQueueFile, type EnvelopeInput } from "./queue_writer.ts";
import { ensureQueueDirs } from "./queue_path.ts";
import { queueLayout, scanQueueSummaries, setForcedExpire, type QueueSummary, type QueueSummaryFailure } from "./queue_ops.ts";
import { ListedMessage, readListingFast, scanQueueListing } from "./queue_listing.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "postkit-qlist-"));
  ensureQueueDirs(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Status = [number, "delivered" | "bounced" | "deferred", string];

/** Writes a message to `queueName` with the given appended statuses; returns its path. */
function message(env: EnvelopeInput, content: (string | Uint8Array)[] = ["Subject: x\n", "\nbody\n"], extra?: EnvelopeInput["recipients"], statuses: Status[] = [], queueName: "incoming" | "deferred" | "hold" | "maildrop" | "active" = "incoming"): string {
  const w = createQueueFile({ queueDir: dir, queueName });
  w.writeEnvelope(env);
  for (const c of content) w.writeContent(c);
  if (extra) w.addExtracted({ recipients: extra });
  const p = w.finish({ durable: false }).path;
  if (statuses.length > 0) {
    const f = openQueueFile(p, { write: true, lock: "exclusive" });
    try {
      const rs = f.envelope().recipients;
      for (const [i, status, reason] of statuses) f.appendRecipientStatus({ recipient: rs[i]!, status, dsn: status === "deferred" ? "4.4.1" : "5.1.1", reason });
    } finally {
      f.close();
    }
  }
  return p;
}

/** What the listing shows of a ListedMessage, as plain data. */
function shown(m: ListedMessage): unknown {
  const rcpts = [];
  for (let i = 0; i < m.count; i++) rcpts.push([m.address[i], m.origAddress[i], m.reason[i]]);
  return { arrival: m.arrivalTime, size: m.messageSize, sender: m.sender, rcpts };
}

const shared = new ListedMessage();

/** The lean decoder's outcome (through one ListedMessage shared by every call) and the general reader's. */
function both(path: string): { fast: unknown; general: unknown } {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const fast = readListingFast(fd, size, shared) ? shown(shared) : "gave up";
    let general: unknown;
    try {
      const env = readEnvelopeGeneral(fd, path);
      general = shown(new ListedMessage().fromEnvelope("incoming", "X", env, 0o700, size, 0));
    } catch (e) {
      if (!(e instanceof QueueError)) throw e;
      general = `${e.code}`;
    }
    return { fast, general };
  } finally {
    closeSync(fd);
  }
}

const REASON = "connect to 127.0.0.1[127.0.0.1]:9: Connection refused";
const TWO = { sender: "alice@example.org", recipients: [{ address: "bob@remote.example" }, { address: "carol@remote.example", origAddress: "Carol@Remote.Example", notify: 6, orcpt: "rfc822;carol@remote.example" }] };
const MANY = (n: number, p: string) => Array.from({ length: n }, (_, i) => ({ address: `${p}${i}@example.com` }));

const CASES: { label: string; path: () => string; order?: string[] }[] = [
  { label: "a small deferred message", path: () => message(TWO, undefined, undefined, [[0, "deferred", REASON]]) },
  {
    label: "every envelope record, extracted recipients and attributes, every kind of status",
    path: () =>
      message(
        { ...TWO, fullName: "Alice Example", dsnEnvid: "env-1", uid: 1000, expireTime: 1796000000, warningTime: 1795698000, attributes: { rewrite_context: "local", encoding: "8bit" } },
        ["Subject: x\n\nbody\n"],
        [{ address: "dave@z" }, { address: "erin@z", notify: 1 }],
        [[2, "delivered", "ok"], [0, "deferred", "first"], [0, "deferred", REASON], [1, "bounced", "no such user"], [1, "deferred", "after the bounce: ignored"]],
      ),
  },
  {
    label: "deferrals out of file order come first, in the order they were deferred",
    path: () => message({ sender: "", recipients: MANY(4, "r") }, undefined, undefined, [[2, "deferred", "two"], [0, "deferred", "zero"], [2, "deferred", "two again"]]),
    order: ["r0@example.com", "r2@example.com", "r1@example.com", "r3@example.com"],
  },
  { label: "UTF-8 in every string", path: () => message({ sender: "jörg@exämple.org", fullName: "Jörg 日本 😀", recipients: [{ address: "пользователь@пример.рф", origAddress: "😀@x" }] }, ["x\n"], undefined, [[0, "deferred", "délai dépassé ☃"]]) },
  { label: "strings of 31, 32, 255, 256 and 300 bytes", path: () => message({ sender: "s".repeat(31), fullName: "f".repeat(32), recipients: [{ address: "a".repeat(255), origAddress: "o".repeat(256) }] }, ["x\n"], undefined, [[0, "deferred", "r".repeat(300)]]) },
  { label: "content of 100 KB (the tail needs a second read)", path: () => message(TWO, [Buffer.alloc(100_000, 0x78)], [{ address: "x@y" }], [[0, "deferred", REASON]]) },
  { label: "an envelope larger than the buffer", path: () => message({ sender: "s@x", recipients: MANY(3000, "user") }, ["x\n"]) },
  { label: "an extracted section larger than the buffer", path: () => message(TWO, ["x\n"], MANY(3000, "late")) },
  {
    label: "an appended attribute between the statuses (trace_flags cleared after a sendmail -v report)",
    path: () => {
      const p = message({ ...TWO, attributes: { trace_flags: "1024" } }, undefined, undefined, [[0, "deferred", "first"]]);
      const f = openQueueFile(p, { write: true, lock: "exclusive" });
      f.appendAttribute("trace_flags", "0");
      f.appendRecipientStatus({ recipient: f.envelope().recipients[1]!, status: "deferred", dsn: "4.4.1", reason: REASON });
      f.close();
      return p;
    },
  },
];

describe("readListingFast() agrees with the general reader", () => {
  for (const c of CASES) {
    test(c.label, () => {
      const p = c.path();
      const { fast, general } = both(p);
      expect(typeof general).toBe("object");
      if (fast !== "gave up") expect(fast).toEqual(general);
      if (c.order) expect((general as { rcpts: string[][] }).rcpts.map((r) => r[0])).toEqual(c.order);
    });
  }

  test("small files take the lean path; files whose envelope does not fit in one read do not", () => {
    expect(CASES.map((c) => both(c.path()).fast !== "gave up")).toEqual([true, true, true, true, true, true, false, false, true]);
  });

  test("files cut anywhere, and 6000 random corruptions: the lean path gives the general reader's listing or gives up", () => {
    const file = join(dir, "listfuzz");
    const outcomes = new Set<string>();
    const check = (b: Buffer) => {
      writeFileSync(file, b);
      const { fast, general } = both(file);
      if (fast !== "gave up") expect(fast).toEqual(general);
      outcomes.add(fast === "gave up" ? `gave up, ${typeof general === "string" ? general : "ok"}` : "fast");
    };
    let seed = 4711;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const special = [0x00, 0x7f, 0x80, 0x90, 0x9f, 0xa0, 0xa1, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xca, 0xcb, 0xcc, 0xcf, 0xd3, 0xd4, 0xd9, 0xdc, 0xdd, 0xde, 0xe0, 0xff];
    for (const base of [CASES[1]!, CASES[2]!, CASES[3]!, CASES[4]!]) {
      const good = readFileSync(base.path());
      for (let n = 0; n <= good.length; n += 3) check(good.subarray(0, n));
      const env = readEnvelopeGeneral(openSync(base.path(), "r"), base.path());
      const spots = [...Array(env.contentOffset + 3).keys(), ...Array.from({ length: good.length - env.extractedOffset }, (_, i) => env.extractedOffset + i)];
      for (let i = 0; i < 1500; i++) {
        const b = Buffer.from(good);
        for (let k = 1 + rnd(3); k > 0; k--) b[rnd(8) === 0 ? rnd(b.length) : spots[rnd(spots.length)]!] = rnd(2) ? rnd(256) : special[rnd(special.length)]!;
        check(b);
        // the same file again: the strings cached from the previous one must not leak into it
        if (i % 50 === 0) check(good);
      }
    }
    expect(outcomes.has("fast")).toBe(true);
    expect(outcomes.has("gave up, corrupt")).toBe(true);
  });
});

/**
 * A queue file of `recs` with the size record's offsets and count filled in (extractedOffset: the first `X`, or
 * where it should be, after the content); statuses name recipients by index.
 */
function build(recs: (QueueRecord | { kind: "D" | "b" | "d"; rcpt: number; reason: string })[]): Buffer {
  const rOffsets: number[] = [];
  let at = 0;
  let contentOffset = 0;
  let extractedOffset = 0;
  let rcptCount = 0;
  let sawX = false;
  for (const r of recs) {
    if (r.kind === "R") {
      rOffsets.push(at);
      rcptCount++;
    }
    if (r.kind === "M" && contentOffset === 0) contentOffset = at;
    if (r.kind === "X" && !sawX) {
      extractedOffset = at;
      sawX = true;
    } else if (!sawX && contentOffset !== 0 && extractedOffset === 0 && r.kind !== "M" && r.kind !== "N") extractedOffset = at;
    at += encodeRecord("rcpt" in r ? { kind: r.kind, rcptOffset: 0, time: 1, dsn: "4.0.0", reason: r.reason } : r).length;
  }
  return Buffer.concat(
    recs.map((r) =>
      "rcpt" in r
        ? encodeRecord({ kind: r.kind, rcptOffset: rOffsets[r.rcpt] ?? 0, time: 1, dsn: "4.0.0", reason: r.reason })
        : encodeRecord(r.kind === "C" ? { ...r, contentOffset, extractedOffset, rcptCount } : r),
    ),
  );
}

test("records left out, repeated or moved: the lean path gives the general reader's listing or gives up", () => {
  const base: Parameters<typeof build>[0] = [
    { kind: "C", version: 1, messageSize: 9, contentOffset: 0, extractedOffset: 0, bodyOffset: -1, rcptCount: 0 },
    { kind: "T", sec: 1795000000, usec: 5 },
    { kind: "A", name: "rewrite_context", value: "local" },
    { kind: "F", fullName: "Full Name" },
    { kind: "S", sender: "s@x" },
    { kind: "R", address: "r0@x", origAddress: "", notify: 0, orcpt: "" },
    { kind: "R", address: "r1@x", origAddress: "o1@x", notify: 8, orcpt: "rfc822;o1@x" },
    { kind: "W", sec: 1795003600 },
    { kind: "M" },
    { kind: "N", data: Buffer.from("Subject: x\n\nbody\n") },
    { kind: "X" },
    { kind: "R", address: "r2@x", origAddress: "", notify: 0, orcpt: "" },
    { kind: "A", name: "encoding", value: "8bit" },
    { kind: "E" },
    { kind: "d", rcpt: 2, reason: "late" },
    { kind: "d", rcpt: 0, reason: "early" },
    { kind: "D", rcpt: 1, reason: "done" },
    { kind: "W", sec: 0 },
    { kind: "d", rcpt: 1, reason: "after done" },
  ];
  const file = join(dir, "listmut");
  const outcomes = new Set<string>();
  const check = (recs: typeof base) => {
    writeFileSync(file, build(recs));
    const { fast, general } = both(file);
    if (fast !== "gave up") expect([recs.map((r) => r.kind).join(""), fast]).toEqual([recs.map((r) => r.kind).join(""), general]);
    outcomes.add(fast === "gave up" ? `gave up, ${typeof general === "string" ? general : "ok"}` : "fast");
  };
  check(base);
  expect(both(file).fast).toEqual({ arrival: 1795000000, size: 9, sender: "s@x", rcpts: [["r2@x", "", "late"], ["r0@x", "", "early"]] });
  for (let i = 1; i < base.length; i++) {
    check(base.filter((_, k) => k !== i)); // left out
    check([...base.slice(0, i + 1), base[i]!, ...base.slice(i + 1)]); // repeated
    for (let j = 1; j < base.length; j++) {
      if (j === i) continue;
      const moved = base.filter((_, k) => k !== i);
      moved.splice(j, 0, base[i]!);
      check(moved);
    }
  }
  // records that are wrong in themselves, in each place
  const odd: Parameters<typeof build>[0] = [
    { kind: "A", name: "", value: "x" },
    { kind: "T", sec: 1795000000, usec: 1_000_000 },
    { kind: "C", version: 2, messageSize: 9, contentOffset: 0, extractedOffset: 0, bodyOffset: -1, rcptCount: 0 },
    { kind: "C", version: 1, messageSize: 9, contentOffset: 0, extractedOffset: 0, bodyOffset: 10, rcptCount: 0 },
    { kind: "d", rcpt: 9, reason: "no such recipient" },
    { kind: "A", name: "instead", value: "of X" },
  ];
  for (const r of odd) {
    for (let i = r.kind === "C" ? 0 : 1; i < (r.kind === "C" ? 1 : base.length); i++) check(base.map((b, k) => (k === i ? r : b)));
  }
  expect(outcomes.has("fast")).toBe(true);
  expect(outcomes.has("gave up, corrupt")).toBe(true);
});

describe("scanQueueListing()", () => {
  test("lists what scanQueueSummaries() lists, in the same order, with the same failures", () => {
    const qdir = mkdtempSync(join(tmpdir(), "postkit-qscan-"));
    try {
      ensureQueueDirs(qdir);
      const saved = dir;
      dir = qdir;
      try {
        message({ sender: "drop@x", recipients: [{ address: "root" }] }, undefined, undefined, [], "maildrop");
        message(TWO, undefined, undefined, [], "active");
        for (let i = 0; i < 30; i++) message({ sender: i % 3 ? "a@x" : "", recipients: MANY(1 + (i % 3), `d${i % 4}-`) }, undefined, undefined, i % 2 ? [[0, "deferred", i % 4 ? REASON : "other"]] : [], "deferred");
        const held = message({ sender: "h@x", recipients: [{ address: "x@y" }] }, [Buffer.alloc(70_000, 0x78)], undefined, [[0, "deferred", REASON]], "hold");
        message({ sender: "s@x", recipients: MANY(3000, "big") }, ["x\n"], undefined, [], "hold");
        // forced expire, an incomplete file, garbage, a symbolic link
        setForcedExpire(queueLayout(qdir), "hold", held.slice(held.lastIndexOf("/") + 1));
        const incomplete = message({ sender: "i@x", recipients: [{ address: "x@y" }] }, undefined, undefined, [], "hold");
        chmodSync(incomplete, 0o600);
        writeFileSync(join(qdir, "hold", "BAD0000BAD0"), "garbage");
        chmodSync(join(qdir, "hold", "BAD0000BAD0"), 0o700);
        symlinkSync("/etc/passwd", join(qdir, "hold", "1111111111A"));
      } finally {
        dir = saved;
      }
      const layout = queueLayout(qdir);
      const want: unknown[] = [];
      for (const s of scanQueueSummaries(layout)) {
        if ("error" in s) want.push(`${s.queueId}: ${s.error.code}`);
        else want.push({ ...(shown(new ListedMessage().fromSummary(s as QueueSummary)) as object), q: s.queueName, id: s.queueId, x: s.forcedExpire });
      }
      const got: unknown[] = [];
      scanQueueListing(
        layout,
        (m) => {
          got.push({ ...(shown(m) as object), q: m.queueName, id: m.queueId, x: m.forcedExpire });
          return true;
        },
        (f: QueueSummaryFailure) => got.push(`${f.queueId}: ${f.error.code}`),
      );
      expect(got).toEqual(want);
      // maildrop 1, active 1, deferred 30, hold 2 and the garbage file; the incomplete file and the link are skipped
      expect(got.length).toBe(35);
      expect(got.filter((g) => typeof g === "string")).toEqual(["BAD0000BAD0: corrupt"]);
      expect(got.filter((g) => typeof g === "object" && (g as { x: boolean }).x).length).toBe(1);
      // stopping: visit() returning false ends the scan
      let n = 0;
      scanQueueListing(layout, () => ++n < 5, () => {});
      expect(n).toBe(5);
    } finally {
      rmSync(qdir, { recursive: true, force: true });
    }
  });
});
