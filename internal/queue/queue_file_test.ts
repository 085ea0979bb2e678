/**
 * queue_file_test — the queue file format and the streaming writer: record codec, round trips of envelope and
 * content, reading a 20 MB message's envelope without its body, truncated and garbage files (corrupt), torn
 * appended records (repaired), status appends, and the writer's life cycle (abort leaves nothing).
 */
import { test, expect, describe, beforeAll, afterAll, afterEach } from "bun:test";
import {
  appendFileSync,
  chmodSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { unpackMultiple } from "msgpackr";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { codec, RecordStream } from "./_codec.ts";
import { QueueError } from "./queue_error.ts";
import { isValidQueueId } from "./queue_id.ts";
import { ensureQueueDirs, scanQueue } from "./queue_path.ts";
import {
  decodeRecord,
  encodeRecord,
  openQueueFile,
  postfixSizeFields,
  readEnvelope,
  readEnvelopeGeneral,
  CONTENT_CHUNK_SIZE,
  DSN_NOTIFY,
  DSN_RET,
  RECORD_NAMES,
  type QueueRecord,
  type QueueEnvelope,
} from "./queue_file.ts";
import { createQueueFile, syncQueueFileSystem, type EnvelopeInput } from "./queue_writer.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "postkit-qfile-"));
  ensureQueueDirs(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof QueueError) return e.code;
    throw e;
  }
  return undefined;
}

/** Writes a message to `incoming` and returns its path. */
function writeMessage(env: EnvelopeInput, content: (string | Uint8Array)[] = ["Subject: x\n", "\nbody\n"], extra?: EnvelopeInput["recipients"]): string {
  const w = createQueueFile({ queueDir: dir, queueName: "incoming" });
  w.writeEnvelope(env);
  for (const c of content) w.writeContent(c);
  if (extra) w.addExtracted({ recipients: extra });
  return w.finish({ durable: false }).path;
}

const BASIC: EnvelopeInput = { sender: "alice@example.org", recipients: [{ address: "bob@example.net" }, { address: "carol@example.com" }] };

describe("record codec", () => {
  const RECORDS: QueueRecord[] = [
    { kind: "C", version: 1, messageSize: 300, contentOffset: 410, extractedOffset: 710, bodyOffset: -1, rcptCount: 2, reportedSize: 312 },
    { kind: "T", sec: 1795684626, usec: 444969 },
    { kind: "A", name: "rewrite_context", value: "local" },
    { kind: "F", fullName: "Ålice Ünicode" },
    { kind: "S", sender: "" },
    { kind: "R", address: "bob@remote.example", origAddress: "Bob@Remote.Example", notify: 6, orcpt: "rfc822;bob@remote.example" },
    { kind: "W", sec: 0 },
    { kind: "M" },
    { kind: "N", data: new Uint8Array([0, 0xff, 0x80, 10]) },
    { kind: "X" },
    { kind: "E" },
    { kind: "D", rcptOffset: 285, time: 1795684700, dsn: "2.0.0", reason: "delivered to mailbox" },
    { kind: "b", rcptOffset: 285, time: 1795684700, dsn: "5.1.1", reason: "user unknown" },
    { kind: "d", rcptOffset: 285, time: 1795684700, dsn: "4.4.1", reason: "connect to 127.0.0.1[127.0.0.1]:9: Connection refused" },
  ];
  for (const rec of RECORDS) {
    test(`record ${rec.kind} (${RECORD_NAMES[rec.kind]}) round-trips`, () => {
      const back = decodeRecord(unpackOne(encodeRecord(rec)));
      expect(back).toEqual(rec);
    });
  }

  test("the size record has the same length whatever its values, so the writer can rewrite it in place", () => {
    const small = encodeRecord({ kind: "C", version: 1, messageSize: 0, contentOffset: 0, extractedOffset: 0, bodyOffset: -1, rcptCount: 0, reportedSize: 0 });
    const big = encodeRecord({ kind: "C", version: 1, messageSize: 2 ** 40, contentOffset: 2 ** 33, extractedOffset: 2 ** 41, bodyOffset: 2 ** 40, rcptCount: 100000, reportedSize: 2 ** 42 });
    expect(small.length).toBe(big.length);
    expect(decodeRecord(unpackOne(big))).toMatchObject({ messageSize: 2 ** 40, extractedOffset: 2 ** 41, reportedSize: 2 ** 42 });
  });

  test("a size record without the reported size (written before it existed) still reads; the size is then the byte count", () => {
    const old = encodeRecord({ kind: "C", version: 1, messageSize: 300, contentOffset: 410, extractedOffset: 710, bodyOffset: -1, rcptCount: 2 });
    const rec = decodeRecord(unpackOne(old));
    expect(rec).toEqual({ kind: "C", version: 1, messageSize: 300, contentOffset: 410, extractedOffset: 710, bodyOffset: -1, rcptCount: 2 });
    expect(postfixSizeFields(rec as Extract<QueueRecord, { kind: "C" }>)[0]).toBe(300);
  });

  const MALFORMED: [string, unknown][] = [
    ["not an array", { kind: "C" }],
    ["empty array", []],
    ["unknown kind", ["Z", 1]],
    ["kind not a string", [67]],
    ["negative time", ["T", -1, 0]],
    ["usec out of range", ["T", 1, 1_000_000]],
    ["fractional time", ["T", 1.5, 0]],
    ["empty attribute name", ["A", "", "v"]],
    ["attribute value not a string", ["A", "n", 5]],
    ["recipient with fractional notify", ["R", "a", "a", 1.5, ""]],
    ["recipient missing fields", ["R", "a"]],
    ["content as a string", ["N", "text"]],
    ["status with numeric reason", ["D", 1, 2, "2.0.0", 3]],
    ["size record with version 0", ["C", 0, 0n, 0n, 0n, -1n, 0n]],
    ["size record with body offset -2", ["C", 1, 0, 0, 0, -2, 0]],
    ["a number (zero bytes on disk)", 0],
    ["null", null],
  ];
  for (const [label, value] of MALFORMED) {
    test(`decodeRecord() refuses ${label}`, () => {
      expect(decodeRecord(value)).toBeUndefined();
    });
  }

  test("records decode with a fresh msgpack decoder: they are self-describing", () => {
    const path = writeMessage({ ...BASIC, attributes: { rewrite_context: "local" } });
    const values = unpackMultiple(readFileSync(path)) as unknown[][];
    expect(values.map((v) => v[0])).toEqual(["C", "T", "A", "A", "S", "R", "R", "M", "N", "X", "E"]);
  });

  test("every prefix of a record sequence ends in a torn record, never in a wrong one", () => {
    const bytes = Buffer.concat(RECORDS.map(encodeRecord));
    const ends: number[] = [];
    let o = 0;
    for (const r of RECORDS) ends.push((o += encodeRecord(r).length));
    const file = join(dir, "prefix");
    for (let cut = 0; cut <= bytes.length; cut++) {
      writeFileSync(file, bytes.subarray(0, cut));
      const fd = openSync(file, "r");
      try {
        const s = new RecordStream(fd, 0);
        let whole = 0;
        for (;;) {
          const step = s.next();
          if (step.type === "record") {
            expect(decodeRecord(step.value)).toEqual(RECORDS[whole]!);
            whole++;
            continue;
          }
          const complete = ends.filter((e) => e <= cut).length;
          expect(whole).toBe(complete);
          expect(step.type).toBe(ends.includes(cut) || cut === 0 ? "eof" : "torn");
          break;
        }
      } finally {
        closeSync(fd);
      }
    }
  });

  test("postfixSizeFields() gives postcat's six message_size fields", () => {
    expect(postfixSizeFields({ messageSize: 300, reportedSize: 312, contentOffset: 410, rcptCount: 2 })).toEqual([312, 410, 2, 0, 312, 0]);
    // a file written before the reported size was recorded
    expect(postfixSizeFields({ messageSize: 300, contentOffset: 410, rcptCount: 2 })).toEqual([300, 410, 2, 0, 300, 0]);
  });
});

function unpackOne(buf: Uint8Array): unknown {
  const v = codec.unpackMultiple(buf) as unknown[];
  expect(v.length).toBe(1);
  return v[0];
}

describe("writer and reader round trip", () => {
  const binary = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
  const CASES: { label: string; env: EnvelopeInput; content: (string | Uint8Array)[]; extra?: EnvelopeInput["recipients"]; body?: number }[] = [
    { label: "null sender, empty content", env: { sender: "", recipients: [{ address: "postmaster@x" }] }, content: [] },
    {
      label: "DSN, attributes, full name, uid, expire and warning times",
      env: {
        sender: "alice@example.org",
        fullName: "Alice Example",
        recipients: [{ address: "bob@remote.example", origAddress: "Bob@Remote.Example", notify: DSN_NOTIFY.SUCCESS | DSN_NOTIFY.FAILURE, orcpt: "rfc822;Bob@Remote.Example" }],
        arrivalTime: { sec: 1795684626, usec: 444969 },
        createTime: 1795684627,
        dsnEnvid: "envid2",
        dsnRet: DSN_RET.HDRS,
        uid: 1000,
        expireTime: 1796000000,
        warningTime: 1795698000,
        attributes: [
          ["rewrite_context", "local"],
          ["log_client_name", "mx.example"],
          ["encoding", "8bit"],
        ],
      },
      content: ["Subject: test\n", "\nhello\n"],
    },
    { label: "8-bit content that is not UTF-8", env: BASIC, content: [binary] },
    { label: "exactly one chunk", env: BASIC, content: [Buffer.alloc(CONTENT_CHUNK_SIZE, 0x61)] },
    { label: "one chunk and one byte in one write", env: BASIC, content: [Buffer.alloc(CONTENT_CHUNK_SIZE + 1, 0x62)] },
    { label: "one byte at a time", env: BASIC, content: Array.from("Subject: one byte at a time\n\nbody\n") },
    { label: "extracted recipients after the content", env: BASIC, content: ["To: dave@z\n\nhi\n"], extra: [{ address: "dave@z" }, { address: "erin@z", notify: 1 }] },
    { label: "non-ASCII addresses", env: { sender: "jörg@exämple.org", recipients: [{ address: "пользователь@пример.рф" }] }, content: ["x\n"] },
    { label: "10,000 recipients (envelope larger than the read buffer)", env: { sender: "s@x", recipients: Array.from({ length: 10000 }, (_, i) => ({ address: `user${i}@example.com` })) }, content: ["x\n"] },
  ];

  for (const c of CASES) {
    test(c.label, () => {
      const w = createQueueFile({ queueDir: dir, queueName: "incoming" });
      w.writeEnvelope(c.env);
      let size = 0;
      for (const part of c.content) {
        w.writeContent(part);
        size += typeof part === "string" ? Buffer.byteLength(part) : part.length;
      }
      if (c.extra) w.addExtracted({ recipients: c.extra });
      const done = w.finish();
      expect(done.queueId).toBe(w.queueId);
      expect(statSync(done.path).size).toBe(done.fileSize);

      const env = readEnvelope(done.path);
      expect(env.messageSize).toBe(size);
      expect(env.sender).toBe(c.env.sender);
      expect(env.fullName).toBe(c.env.fullName);
      expect(env.arrivalTime).toEqual(c.env.arrivalTime ?? w.time);
      expect(env.createTime).toBe(c.env.createTime ?? w.time.sec);
      expect(env.dsnEnvid).toBe(c.env.dsnEnvid);
      expect(env.dsnRet).toBe(c.env.dsnRet ?? 0);
      expect(env.uid).toBe(c.env.uid);
      expect(env.expireTime).toBe(c.env.expireTime);
      expect(env.warningTime).toBe(c.env.warningTime ?? 0);
      for (const [k, v] of (c.env.attributes as [string, string][] | undefined) ?? []) expect(env.attributes.get(k)).toBe(v);
      const all = [...c.env.recipients, ...(c.extra ?? [])];
      expect(env.rcptCount).toBe(all.length);
      expect(env.recipients.map((r) => [r.address, r.origAddress, r.notify, r.orcpt, r.extracted])).toEqual(
        all.map((r, i) => [r.address, r.origAddress ?? r.address, r.notify ?? 0, r.orcpt ?? "", i >= c.env.recipients.length]),
      );
      expect(env.tornTail).toBeUndefined();

      const f = openQueueFile(done.path);
      try {
        const chunks = [...f.content()];
        for (const ch of chunks) expect(ch.length).toBeLessThanOrEqual(CONTENT_CHUNK_SIZE);
        const want = Buffer.concat(c.content.map((p) => (typeof p === "string" ? Buffer.from(p) : p)));
        expect(Buffer.concat(chunks).equals(want)).toBe(true);
        // Record offsets agree with the envelope, recipient offsets point at R records.
        const recs = [...f.records()];
        expect(recs[0]!.kind).toBe("C");
        expect(recs.find((r) => r.kind === "M")!.offset).toBe(env.contentOffset);
        expect(recs.find((r) => r.kind === "X")!.offset).toBe(env.extractedOffset);
        expect(recs.find((r) => r.kind === "E")!.offset).toBe(env.endOffset);
        const rOffsets = recs.filter((r) => r.kind === "R").map((r) => r.offset);
        expect(env.recipients.map((r) => r.offset)).toEqual(rOffsets);
        const last = recs[recs.length - 1]!;
        expect(last.offset + last.size).toBe(env.fileSize);
      } finally {
        f.close();
      }
    });
  }

  test("markBodyStart() records where the body begins", () => {
    const w = createQueueFile({ queueDir: dir, queueName: "incoming" });
    w.writeEnvelope(BASIC);
    w.writeContent("Subject: a\nFrom: b\n");
    w.markBodyStart();
    w.writeContent("\nbody\n");
    const env = readEnvelope(w.finish().path);
    expect(env.bodyOffset).toBe(19);
    expect(readEnvelope(writeMessage(BASIC)).bodyOffset).toBe(-1);
  });

  test("the finished file has mode 0700 (Postfix's complete mark) or the mode asked for", () => {
    expect(statSync(writeMessage(BASIC)).mode & 0o7777).toBe(0o700);
    const w = createQueueFile({ queueDir: dir, queueName: "maildrop", mode: 0o744 });
    w.writeEnvelope(BASIC);
    expect(statSync(w.tempPath).mode & 0o7777).toBe(0o600);
    expect(statSync(w.finish().path).mode & 0o7777).toBe(0o744);
  });

  test("a file written to a hashed queue lands in its hash directory", () => {
    const w = createQueueFile({ queueDir: dir, queueName: "deferred", hashQueues: ["deferred"], hashDepth: 2 });
    w.writeEnvelope(BASIC);
    const done = w.finish();
    expect(done.path).toBe(join(dir, "deferred", w.queueId[0]!, w.queueId[1]!, w.queueId));
    expect(readEnvelope(done.path).sender).toBe(BASIC.sender);
  });

  test("files finished with durable: false are made durable by syncQueueFileSystem()", () => {
    const paths = [writeMessage(BASIC), writeMessage(BASIC)];
    syncQueueFileSystem(dir);
    for (const p of paths) expect(readEnvelope(p).recipients.length).toBe(2);
  });
});

describe("a 20 MB message", () => {
  let path: string;
  let digest: string;
  const SIZE = 20 * 1024 * 1024;

  beforeAll(() => {
    const w = createQueueFile({ queueDir: dir, queueName: "incoming" });
    w.writeEnvelope({ ...BASIC, attributes: { rewrite_context: "remote" } });
    w.writeContent("Subject: big\n");
    w.markBodyStart();
    const piece = Buffer.alloc(1024 * 1024);
    const h = createHash("sha256");
    h.update("Subject: big\n");
    for (let i = 0; i < 20; i++) {
      piece.fill(0x41 + i);
      w.writeContent(piece);
      h.update(piece);
      // Streaming: the data is on disk already, not held in memory until finish().
      expect(statSync(w.tempPath).size).toBeGreaterThan((i + 1) * piece.length - 2 * CONTENT_CHUNK_SIZE);
    }
    path = w.finish().path;
    digest = h.digest("hex");
  });

  test("its envelope is read without reading its body", () => {
    const t0 = performance.now();
    const env = readEnvelope(path);
    const ms = performance.now() - t0;
    expect(env.messageSize).toBe(SIZE + 13);
    expect(env.recipients.length).toBe(2);
    expect(env.bytesRead).toBeLessThan(200 * 1024);
    expect(ms).toBeLessThan(100);
  });

  test("its content streams out chunk by chunk and matches what was written", () => {
    const f = openQueueFile(path);
    try {
      const h = createHash("sha256");
      let n = 0;
      let max = 0;
      for (const ch of f.content()) {
        h.update(ch);
        n++;
        max = Math.max(max, ch.length);
      }
      expect(h.digest("hex")).toBe(digest);
      expect(max).toBe(CONTENT_CHUNK_SIZE);
      expect(n).toBe(Math.ceil((SIZE + 13) / CONTENT_CHUNK_SIZE));
    } finally {
      f.close();
    }
  });
});

describe("incomplete and damaged files are corrupt", () => {
  let good: Buffer;
  let env: QueueEnvelope;
  beforeAll(() => {
    const p = writeMessage({ ...BASIC, attributes: { rewrite_context: "local" } }, ["Subject: x\n", "\nbody\n"], [{ address: "x@y" }]);
    good = readFileSync(p);
    env = readEnvelope(p);
  });

  test("a file cut anywhere before the end of its E record is corrupt", () => {
    const file = join(dir, "cut");
    for (let cut = 0; cut < env.endOffset + 3; cut++) {
      writeFileSync(file, good.subarray(0, cut));
      expect([cut, codeOf(() => readEnvelope(file))]).toEqual([cut, "corrupt"]);
    }
    writeFileSync(file, good);
    expect(codeOf(() => readEnvelope(file))).toBeUndefined();
  });

  const C_SIZE = encodeRecord({ kind: "C", version: 1, messageSize: 0, contentOffset: 0, extractedOffset: 0, bodyOffset: -1, rcptCount: 0 }).length;
  const c = (over: Partial<Extract<QueueRecord, { kind: "C" }>>) =>
    encodeRecord({ kind: "C", version: 1, messageSize: 0, contentOffset: 0, extractedOffset: 0, bodyOffset: -1, rcptCount: 0, ...over });
  const GARBAGE: [string, () => Buffer, string][] = [
    ["empty file", () => Buffer.alloc(0), "corrupt"],
    ["zeros", () => Buffer.alloc(4096), "corrupt"],
    ["random bytes", () => Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 131 + 7) & 0xff)), "corrupt"],
    ["a Postfix queue file", () => Buffer.from("C_            300             410               2              12             300               0T\x111795684626 444969", "latin1"), "corrupt"],
    ["text", () => Buffer.from("From: someone\n\nhello\n"), "corrupt"],
    ["size record pointing past the end", () => Buffer.concat([c({ contentOffset: C_SIZE, extractedOffset: 99999 }), good.subarray(C_SIZE)]), "corrupt"],
    ["size record pointing at the wrong content offset", () => Buffer.concat([c({ contentOffset: env.contentOffset + 1, extractedOffset: env.extractedOffset, rcptCount: 3, messageSize: env.messageSize }), good.subarray(C_SIZE)]), "corrupt"],
    ["size record counting the wrong number of recipients", () => Buffer.concat([c({ contentOffset: env.contentOffset, extractedOffset: env.extractedOffset, rcptCount: 2, messageSize: env.messageSize }), good.subarray(C_SIZE)]), "corrupt"],
    ["a newer format version", () => Buffer.concat([c({ version: 2, contentOffset: env.contentOffset, extractedOffset: env.extractedOffset, rcptCount: 3 }), good.subarray(C_SIZE)]), "unsupported"],
    ["a content record in the envelope", () => Buffer.concat([good.subarray(0, C_SIZE), encodeRecord({ kind: "N", data: Buffer.from("x") }), good.subarray(C_SIZE)]), "corrupt"],
    ["the kind of the T record replaced by a byte that is never msgpack", () => flip(good, C_SIZE + 2), "corrupt"],
    ["a byte flipped inside the extracted section", () => flip(good, env.extractedOffset + 1), "corrupt"],
  ];
  for (const [label, make, code] of GARBAGE) {
    test(`${label} -> ${code}`, () => {
      const file = join(dir, "garbage");
      writeFileSync(file, make());
      expect(codeOf(() => readEnvelope(file))).toBe(code);
    });
  }

  test("a symbolic link or a directory is not a queue file", () => {
    const link = join(dir, "link");
    symlinkSync(join(dir, "garbage"), link);
    expect(codeOf(() => readEnvelope(link))).toBe("corrupt");
    expect(codeOf(() => readEnvelope(dir))).toBe("corrupt");
    expect(codeOf(() => readEnvelope(join(dir, "missing")))).toBe("notfound");
  });

  test("2000 random corruptions give a QueueError or a readable file, never another exception", () => {
    const file = join(dir, "fuzz");
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const outcomes = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(good);
      for (let k = 1 + rnd(3); k > 0; k--) b[rnd(b.length)] = rnd(256);
      writeFileSync(file, rnd(10) === 0 ? b.subarray(0, rnd(b.length)) : b);
      try {
        const f = openQueueFile(file);
        try {
          f.envelope();
          for (const _ of f.content());
          for (const _ of f.records());
          outcomes.add("ok");
        } finally {
          f.close();
        }
      } catch (e) {
        if (!(e instanceof QueueError)) throw e;
        outcomes.add(e.code);
      }
    }
    expect([...outcomes].every((o) => ["ok", "corrupt", "unsupported"].includes(o))).toBe(true);
    expect(outcomes.has("corrupt")).toBe(true);
  });

  test("content() refuses a file whose content section is damaged", () => {
    const file = join(dir, "badcontent");
    const b = Buffer.from(good);
    b[env.contentOffset + 3] = 0xc1; // the first N record's header
    writeFileSync(file, b);
    const f = openQueueFile(file);
    try {
      expect(codeOf(() => [...f.content()])).toBe("corrupt");
    } finally {
      f.close();
    }
  });
});

function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] = 0xc1; // never used in msgpack
  return c;
}

describe("torn appended records", () => {
  const warnings: string[] = [];
  beforeAll(() => {
    setMsgStderr(false);
    setMsgSink({ write: (_level, text) => warnings.push(text), close: () => {} });
  });
  afterAll(() => {
    setMsgSink(undefined);
    setMsgStderr(true);
  });
  afterEach(() => {
    warnings.length = 0;
  });

  /** A message with one complete deferred status appended; returns its path, the good size and the envelope. */
  function withOneStatus(): { path: string; good: number; env: QueueEnvelope } {
    const path = writeMessage(BASIC);
    const f = openQueueFile(path, { write: true, lock: "exclusive" });
    const env = f.envelope();
    f.appendRecipientStatus({ recipient: env.recipients[0]!, status: "deferred", dsn: "4.4.1", reason: "connection refused" });
    f.close();
    return { path, good: statSync(path).size, env };
  }

  const status = encodeRecord({ kind: "D", rcptOffset: 0, time: 1, dsn: "2.0.0", reason: "delivered to mailbox" });
  const TAILS: [string, (env: QueueEnvelope) => Buffer][] = [
    ["half of a status record", () => status.subarray(0, status.length >> 1)],
    ["all but the last byte of a status record", () => status.subarray(0, status.length - 1)],
    ["one byte", () => Buffer.from([0x95])],
    ["zeros of an extended, unwritten file", () => Buffer.alloc(4096)],
    ["a byte that is never msgpack", () => Buffer.from([0xc1, 1, 2, 3])],
    ["a complete record of a kind not allowed after E", () => encodeRecord({ kind: "N", data: Buffer.from("x") })],
    ["a status for an offset that is not a recipient", (env) => encodeRecord({ kind: "D", rcptOffset: env.recipients[0]!.offset + 1, time: 1, dsn: "2.0.0", reason: "x" })],
  ];
  for (const [label, tail] of TAILS) {
    test(`${label}: ignored read-only, refused under a shared lock, truncated with a warning under an exclusive lock`, () => {
      const { path, good, env } = withOneStatus();
      appendFileSync(path, tail(env));
      const torn = statSync(path).size;

      const ro = readEnvelope(path);
      expect(ro.tornTail).toEqual({ offset: good, size: torn - good });
      expect(ro.recipients[0]!.status?.status).toBe("deferred");
      expect(ro.recipients[0]!.done).toBe(false);
      expect(statSync(path).size).toBe(torn);
      expect(warnings).toEqual([]);

      const shared = openQueueFile(path, { write: true, lock: "shared" });
      expect(codeOf(() => shared.envelope())).toBe("torn");
      shared.close();
      const unlocked = openQueueFile(path, { write: true });
      expect(codeOf(() => unlocked.envelope())).toBe("torn");
      unlocked.close();

      const f = openQueueFile(path, { write: true, lock: "exclusive" });
      const repaired = f.envelope();
      expect(repaired.tornTail).toBeUndefined();
      expect(statSync(path).size).toBe(good);
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toContain(`at offset ${good}`);
      f.appendRecipientStatus({ recipient: repaired.recipients[1]!, status: "delivered", dsn: "2.0.0", reason: "ok" });
      f.close();

      const after = readEnvelope(path);
      expect(after.tornTail).toBeUndefined();
      expect(after.recipients.map((r) => r.status?.status)).toEqual(["deferred", "delivered"]);
    });
  }
});

describe("appended status records", () => {
  test("a final status is never undone by a later deferral; the latest deferral wins", () => {
    const path = writeMessage(BASIC);
    const f = openQueueFile(path, { write: true, lock: "shared" });
    const [bob, carol] = f.envelope().recipients;
    f.appendRecipientStatus([
      { recipient: bob!, status: "deferred", dsn: "4.4.1", reason: "first", time: 100 },
      { recipient: carol!.offset, status: "deferred", dsn: "4.4.1", reason: "first", time: 100 },
    ]);
    f.appendRecipientStatus({ recipient: bob!, status: "bounced", dsn: "5.1.1", reason: "user unknown", time: 200 });
    f.appendRecipientStatus({ recipient: bob!, status: "deferred", dsn: "4.4.1", reason: "late", time: 300 });
    f.appendRecipientStatus({ recipient: carol!, status: "deferred", dsn: "4.4.2", reason: "second", time: 300 });
    f.appendWarningTime(5000);
    f.appendWarningTime(6000);
    const live = f.envelope();
    f.close();
    for (const env of [live, readEnvelope(path)]) {
      expect(env.recipients[0]).toMatchObject({ done: true, status: { status: "bounced", dsn: "5.1.1", reason: "user unknown", time: 200 } });
      expect(env.recipients[1]).toMatchObject({ done: false, status: { status: "deferred", dsn: "4.4.2", reason: "second", time: 300 } });
      expect(env.warningTime).toBe(6000);
    }
  });

  test("an appended attribute replaces the envelope's value, for the fast and the general reader alike", () => {
    const path = writeMessage({ ...BASIC, attributes: { trace_flags: "1024", rewrite_context: "local" } });
    const f = openQueueFile(path, { write: true, lock: "exclusive" });
    f.appendRecipientStatus({ recipient: f.envelope().recipients[0]!, status: "deferred", dsn: "4.4.1", reason: "later" });
    f.appendAttribute("trace_flags", "0");
    expect(f.envelope().attributes.get("trace_flags")).toBe("0");
    f.close();
    const fd = openSync(path, "r");
    try {
      for (const env of [readEnvelope(path), readEnvelopeGeneral(fd, path)]) {
        expect(env.attributes.get("trace_flags")).toBe("0");
        expect(env.attributes.get("rewrite_context")).toBe("local");
        expect(env.recipients[0]!.status).toMatchObject({ status: "deferred", reason: "later" });
        expect(env.tornTail).toBeUndefined();
      }
    } finally {
      closeSync(fd);
    }
  });

  test("two processes' worth of shared holders append without mixing records", () => {
    const path = writeMessage({ sender: "s@x", recipients: Array.from({ length: 50 }, (_, i) => ({ address: `r${i}@x` })) });
    const a = openQueueFile(path, { write: true, lock: "shared" });
    const b = openQueueFile(path, { write: true, lock: "shared" });
    const rcpts = a.envelope().recipients;
    b.envelope();
    rcpts.forEach((r, i) => (i % 2 ? a : b).appendRecipientStatus({ recipient: r.offset, status: "delivered", dsn: "2.0.0", reason: `r${i}` }));
    a.close();
    b.close();
    const env = readEnvelope(path);
    expect(env.tornTail).toBeUndefined();
    expect(env.recipients.every((r, i) => r.done && r.status?.reason === `r${i}`)).toBe(true);
  });

  test("relock() downgrades qmgr's exclusive lock so that delivery agents can share the file", () => {
    const path = writeMessage(BASIC);
    const qmgr = openQueueFile(path, { write: true, lock: "exclusive" });
    expect(qmgr.envelope().recipients[0]!.done).toBe(false);
    expect(codeOf(() => openQueueFile(path, { lock: "shared" }))).toBe("locked");
    qmgr.relock("shared");
    const agent = openQueueFile(path, { write: true, lock: "shared" });
    agent.appendRecipientStatus({ recipient: agent.envelope().recipients[0]!, status: "delivered", dsn: "2.0.0", reason: "ok" });
    expect(qmgr.envelope().recipients[0]!.done).toBe(false);
    expect(qmgr.envelope({ reread: true }).recipients[0]!.done).toBe(true);
    agent.close();
    qmgr.close();
  });

  test("misuse is refused: read-only file, unknown recipient, bad status, closed file", () => {
    const path = writeMessage(BASIC);
    const ro = openQueueFile(path);
    const bob = ro.envelope().recipients[0]!;
    expect(codeOf(() => ro.appendRecipientStatus({ recipient: bob, status: "delivered", dsn: "2.0.0", reason: "" }))).toBe("state");
    ro.close();
    expect(codeOf(() => ro.envelope())).toBe("state");
    const rw = openQueueFile(path, { write: true, lock: "exclusive" });
    expect(codeOf(() => rw.appendRecipientStatus({ recipient: bob.offset + 1, status: "delivered", dsn: "2.0.0", reason: "" }))).toBe("invalid");
    expect(codeOf(() => rw.appendRecipientStatus({ recipient: bob, status: "gone" as "delivered", dsn: "2.0.0", reason: "" }))).toBe("invalid");
    expect(codeOf(() => rw.appendWarningTime(-5))).toBe("invalid");
    rw.close();
    expect(statSync(path).size).toBe(readEnvelope(path).endOffset + 3);
  });
});

describe("writer life cycle", () => {
  function incoming(): string[] {
    return readdirSync(join(dir, "incoming"));
  }

  test("abort() at any stage leaves nothing behind, and is idempotent", () => {
    const before = incoming().length;
    for (const stage of ["open", "envelope", "content", "extracted"]) {
      const w = createQueueFile({ queueDir: dir, queueName: "incoming" });
      expect(existsSync(w.tempPath)).toBe(true);
      if (stage !== "open") w.writeEnvelope(BASIC);
      if (stage === "content" || stage === "extracted") w.writeContent(Buffer.alloc(200_000, 0x61));
      if (stage === "extracted") w.addExtracted({ recipients: [{ address: "x@y" }] });
      w.abort();
      w.abort();
      expect(existsSync(w.tempPath)).toBe(false);
      expect(existsSync(w.path)).toBe(false);
      expect(codeOf(() => w.writeContent("x"))).toBe("state");
    }
    expect(incoming().length).toBe(before);
  });

  test("a `using` writer that is not finished is aborted; a finished one is kept", () => {
    let temp = "";
    let kept = "";
    {
      using w = createQueueFile({ queueDir: dir, queueName: "incoming" });
      temp = w.tempPath;
      w.writeEnvelope(BASIC);
    }
    {
      using w = createQueueFile({ queueDir: dir, queueName: "incoming" });
      w.writeEnvelope(BASIC);
      kept = w.finish().path;
      w.abort();
    }
    expect(existsSync(temp)).toBe(false);
    expect(readEnvelope(kept).sender).toBe(BASIC.sender);
  });

  test("the temporary file is invisible to queue scans and is not a queue ID", () => {
    const w = createQueueFile({ queueDir: dir, queueName: "hold" });
    w.writeEnvelope(BASIC);
    const name = w.tempPath.slice(w.tempPath.lastIndexOf("/") + 1);
    expect(isValidQueueId(name)).toBe(false);
    expect([...scanQueue(dir, "hold")].map((e) => e.id)).not.toContain(name);
    expect([...scanQueue(dir, "hold")].map((e) => e.id)).toEqual([]);
    w.finish();
    expect([...scanQueue(dir, "hold")].map((e) => e.id)).toEqual([w.queueId]);
  });

  const ORDER: [string, (w: ReturnType<typeof createQueueFile>) => void][] = [
    ["content before the envelope", (w) => w.writeContent("x")],
    ["finish before the envelope", (w) => w.finish()],
    ["body mark before the envelope", (w) => w.markBodyStart()],
    [
      "the envelope twice",
      (w) => {
        w.writeEnvelope(BASIC);
        w.writeEnvelope(BASIC);
      },
    ],
    [
      "content after extracted information",
      (w) => {
        w.writeEnvelope(BASIC);
        w.addExtracted({});
        w.writeContent("x");
      },
    ],
    [
      "finish twice",
      (w) => {
        w.writeEnvelope(BASIC);
        w.finish();
        w.finish();
      },
    ],
  ];
  for (const [label, misuse] of ORDER) {
    test(`${label} is a state error`, () => {
      const w = createQueueFile({ queueDir: dir, queueName: "incoming" });
      try {
        expect(codeOf(() => misuse(w))).toBe("state");
      } finally {
        w.abort();
      }
    });
  }

  const INVALID: [string, EnvelopeInput][] = [
    ["NUL in the sender", { sender: "a\0b", recipients: [] }],
    ["sender not a string", { sender: 5 as unknown as string, recipients: [] }],
    ["NUL in a recipient", { sender: "", recipients: [{ address: "x\0@y" }] }],
    ["recipient not an object", { sender: "", recipients: ["x@y" as unknown as { address: string }] }],
    ["recipients not an array", { sender: "", recipients: "x@y" as unknown as [] }],
    ["fractional notify flags", { sender: "", recipients: [{ address: "x@y", notify: 1.5 }] }],
    ["attribute name with =", { sender: "", recipients: [], attributes: { "a=b": "c" } }],
    ["empty attribute name", { sender: "", recipients: [], attributes: { "": "c" } }],
    ["attribute value not a string", { sender: "", recipients: [], attributes: { a: 1 as unknown as string } }],
    ["negative uid", { sender: "", recipients: [], uid: -1 }],
    ["arrival usec out of range", { sender: "", recipients: [], arrivalTime: { sec: 1, usec: 1_000_000 } }],
    ["arrival time not an object", { sender: "", recipients: [], arrivalTime: 5 as unknown as { sec: number; usec: number } }],
    ["an address longer than 256 KiB", { sender: "x".repeat(300_000), recipients: [] }],
  ];
  for (const [label, env] of INVALID) {
    test(`${label} is invalid and writes nothing`, () => {
      const w = createQueueFile({ queueDir: dir, queueName: "incoming" });
      try {
        expect(codeOf(() => w.writeEnvelope(env))).toBe("invalid");
        expect(statSync(w.tempPath).size).toBe(0);
        w.writeEnvelope(BASIC); // the writer is still usable
        expect(readEnvelope(w.finish().path).recipients.length).toBe(2);
      } finally {
        w.abort();
      }
    });
  }

  test("a missing queue directory is notfound; an unknown queue is badqueue", () => {
    expect(codeOf(() => createQueueFile({ queueDir: join(dir, "nowhere"), queueName: "incoming" }))).toBe("notfound");
    expect(codeOf(() => createQueueFile({ queueDir: dir, queueName: "spool" as "incoming" }))).toBe("badqueue");
  });

  test("a failed write removes the temporary file (the disk is full)", () => {
    const full = "/dev/full";
    if (!existsSync(full)) return;
    const w = createQueueFile({ queueDir: dir, queueName: "incoming" });
    w.writeEnvelope(BASIC);
    // Swap the descriptor for one on /dev/full, where every write fails with ENOSPC.
    const fd = openSync(full, "w");
    const real = (w as unknown as { fd: number }).fd;
    closeSync(real);
    (w as unknown as { fd: number }).fd = fd;
    let err: unknown;
    try {
      w.writeContent(Buffer.alloc(3 * CONTENT_CHUNK_SIZE));
      w.finish();
    } catch (e) {
      err = e;
    }
    expect((err as QueueError).code).toBe("io");
    expect(existsSync(w.tempPath)).toBe(false);
    expect(existsSync(w.path)).toBe(false);
  });
});

describe("the fast envelope path agrees with the general reader", () => {
  /** readEnvelope()'s outcome (fast path first) and the general reader's on the same file. */
  function both(path: string): { fast: QueueEnvelope | string; general: QueueEnvelope | string } {
    const run = (f: () => QueueEnvelope): QueueEnvelope | string => {
      try {
        return { ...f(), bytesRead: 0 };
      } catch (e) {
        if (!(e instanceof QueueError)) throw e;
        return `${e.code}: ${e.message}`;
      }
    };
    const fd = openSync(path, "r");
    try {
      return { fast: run(() => readEnvelope(path)), general: run(() => readEnvelopeGeneral(fd, path)) };
    } finally {
      closeSync(fd);
    }
  }

  /** Writes a message with the given appended statuses; returns its path. */
  function message(env: EnvelopeInput, content: (string | Uint8Array)[], extra?: EnvelopeInput["recipients"], statuses: [number, "delivered" | "bounced" | "deferred", string][] = [], warn?: number): string {
    const p = writeMessage(env, content, extra);
    if (statuses.length > 0 || warn !== undefined) {
      const f = openQueueFile(p, { write: true, lock: "exclusive" });
      try {
        const rs = f.envelope().recipients;
        for (const [i, status, reason] of statuses) f.appendRecipientStatus({ recipient: rs[i]!, status, dsn: status === "deferred" ? "4.4.1" : "5.1.1", reason });
        if (warn !== undefined) f.appendWarningTime(warn);
      } finally {
        f.close();
      }
    }
    return p;
  }

  const reason = "connect to 127.0.0.1[127.0.0.1]:9: Connection refused";
  const two = { sender: "alice@example.org", recipients: [{ address: "bob@remote.example" }, { address: "carol@remote.example", origAddress: "Carol@Remote.Example", notify: 6, orcpt: "rfc822;carol@remote.example" }] };
  const CASES: { label: string; path: () => string; fast: boolean }[] = [
    { label: "a small deferred message", path: () => message(two, ["Subject: x\n", "\nbody\n"], undefined, [[0, "deferred", reason]]), fast: true },
    {
      label: "an appended attribute after the statuses",
      path: () => {
        const p = message({ ...two, attributes: { trace_flags: "1024" } }, ["Subject: x\n\nbody\n"], undefined, [[0, "deferred", reason]]);
        const f = openQueueFile(p, { write: true, lock: "exclusive" });
        f.appendAttribute("trace_flags", "0");
        f.close();
        return p;
      },
      fast: true,
    },
    {
      label: "every envelope record, attributes with numbers, extracted recipients and attributes",
      path: () =>
        message(
          { ...two, fullName: "Alice Example", dsnEnvid: "env-1", dsnRet: DSN_RET.FULL, uid: 1000, expireTime: 1796000000, warningTime: 1795698000, attributes: { rewrite_context: "local", encoding: "8bit" } },
          ["Subject: x\n\nbody\n"],
          [{ address: "dave@z" }, { address: "erin@z", notify: 1 }],
          [[2, "delivered", "ok"], [0, "deferred", "first"], [0, "deferred", reason], [1, "bounced", "no such user"], [1, "deferred", "after the bounce: ignored"]],
          0,
        ),
      fast: true,
    },
    { label: "UTF-8 in every string, 2, 3 and 4 bytes", path: () => message({ sender: "jörg@exämple.org", fullName: "Jörg 日本 😀", recipients: [{ address: "пользователь@пример.рф", origAddress: "😀@x" }] }, ["x\n"], undefined, [[0, "deferred", "délai dépassé ☃"]]), fast: true },
    { label: "strings of 31, 32, 255, 256 and 300 bytes", path: () => message({ sender: "s".repeat(31), fullName: "f".repeat(32), recipients: [{ address: "a".repeat(255), origAddress: "o".repeat(256) }] }, ["x\n"], undefined, [[0, "deferred", "r".repeat(300)]]), fast: true },
    { label: "content of 100 KB (the tail needs a second read)", path: () => message(two, [Buffer.alloc(100_000, 0x78)], [{ address: "x@y" }], [[0, "deferred", reason]]), fast: true },
    { label: "content of 20 KB and a tail of 45 KB", path: () => message(two, [Buffer.alloc(20_000, 0x78)], Array.from({ length: 1000 }, (_, i) => ({ address: `tail${i}@example.com` }))), fast: true },
    { label: "an envelope larger than the buffer", path: () => message({ sender: "s@x", recipients: Array.from({ length: 3000 }, (_, i) => ({ address: `user${i}@example.com` })) }, ["x\n"]), fast: false },
    { label: "an extracted section larger than the buffer", path: () => message(two, ["x\n"], Array.from({ length: 3000 }, (_, i) => ({ address: `late${i}@example.com` }))), fast: false },
  ];
  for (const c of CASES) {
    test(c.label, () => {
      const p = c.path();
      const { fast, general } = both(p);
      expect(typeof general).toBe("object");
      expect(fast).toEqual(general);
      // one read of the whole file is the fast path's mark (the general reader reads the tail twice)
      const env = readEnvelope(p);
      expect(env.bytesRead === env.fileSize || env.bytesRead === env.fileSize - env.extractedOffset + 65536).toBe(c.fast);
    });
  }

  test("files cut anywhere, and 4500 random corruptions, read the same either way", () => {
    const file = join(dir, "fastfuzz");
    const outcomes = new Set<string>();
    const check = (b: Buffer) => {
      writeFileSync(file, b);
      chmodSync(file, 0o700);
      const { fast, general } = both(file);
      expect(fast).toEqual(general);
      outcomes.add(typeof fast === "string" ? fast.slice(0, fast.indexOf(":")) : "ok");
    };
    let seed = 4242;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const special = [0x00, 0x7f, 0x80, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xca, 0xcb, 0xcc, 0xcf, 0xd3, 0xd4, 0xd9, 0xdc, 0xdd, 0xde, 0xe0, 0xff];
    for (const base of [CASES[1]!, CASES[2]!, CASES[3]!]) {
      const good = readFileSync(base.path());
      for (let n = 0; n <= good.length; n += 7) check(good.subarray(0, n));
      // mostly the envelope and the tail, where the decoding is
      const env = readEnvelope(base.path());
      const spots = [...Array(env.contentOffset + 3).keys(), ...Array.from({ length: good.length - env.extractedOffset }, (_, i) => env.extractedOffset + i)];
      for (let i = 0; i < 1500; i++) {
        const b = Buffer.from(good);
        for (let k = 1 + rnd(3); k > 0; k--) b[rnd(8) === 0 ? rnd(b.length) : spots[rnd(spots.length)]!] = rnd(2) ? rnd(256) : special[rnd(special.length)]!;
        check(b);
      }
    }
    expect(outcomes.has("ok")).toBe(true);
    expect(outcomes.has("corrupt")).toBe(true);
  });
});

test("a D record's optional action: written, read back by the fast and the general reader, and only for D", () => {
  const path = writeMessage(BASIC);
  {
    using f = openQueueFile(path, { write: true });
    const [bob, carol] = f.envelope().recipients as [QueueEnvelope["recipients"][number], QueueEnvelope["recipients"][number]];
    f.appendRecipientStatus([
      { recipient: bob, status: "delivered", dsn: "2.0.0", reason: "250 2.0.0 Ok", action: "relayed" },
      { recipient: carol, status: "bounced", dsn: "5.1.1", reason: "no such user", action: "relayed" },
    ]);
  }
  const fd = openSync(path, "r");
  try {
    for (const env of [readEnvelope(path), readEnvelopeGeneral(fd, path)]) {
      expect(env.recipients.map((r) => [r.status?.status, r.status?.action])).toEqual([["delivered", "relayed"], ["bounced", undefined]]);
    }
  } finally {
    closeSync(fd);
  }
  // records of older writers (no action) and the encoding of both forms
  expect(decodeRecord(["D", 9, 1, "2.0.0", "ok"])).toEqual({ kind: "D", rcptOffset: 9, time: 1, dsn: "2.0.0", reason: "ok" });
  expect(decodeRecord(["D", 9, 1, "2.0.0", "ok", "expanded"])).toEqual({ kind: "D", rcptOffset: 9, time: 1, dsn: "2.0.0", reason: "ok", action: "expanded" });
  expect(decodeRecord(unpackOne(encodeRecord({ kind: "D", rcptOffset: 9, time: 1, dsn: "2.0.0", reason: "ok", action: "notified" })))).toMatchObject({ action: "notified" });
});
