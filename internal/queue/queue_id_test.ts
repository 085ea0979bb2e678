/**
 * queue_id_test — queue ID formats against IDs made by Debian's Postfix 3.7 (inode numbers taken with stat(1) on
 * the real queue files), the validity check against hostile input, and uniqueness of generated IDs.
 */
import { test, expect, describe, afterAll } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import {
  decodeSafeNumber,
  encodeSafeNumber,
  isValidQueueId,
  longQueueId,
  makeQueueId,
  parseQueueId,
  queueIdClock,
  shortQueueId,
  assertValidQueueId,
  SAFE_ALPHABET,
} from "./queue_id.ts";
import { QueueError } from "./queue_error.ts";
import { createQueueFile } from "./queue_writer.ts";
import { ensureQueueDirs } from "./queue_path.ts";

// Observed on Postfix 3.7.11 (see postfix.md §4.1 and a private test instance): ID, seconds, usec, inode.
const POSTFIX_IDS: { id: string; form: "short" | "long"; sec?: number; usec: number; inode: bigint }[] = [
  { id: "EF97820E3CD", form: "short", usec: 0xef978, inode: 0x20e3cdn },
  { id: "6CF4220C9A0", form: "short", usec: 0x6cf42, inode: 2148768n },
  { id: "6F8D920C9A5", form: "short", usec: 0x6f8d9, inode: 2148773n },
  { id: "4jZ7cZ4ps4zJDqZ", form: "long", sec: 1795584782, usec: 678344, inode: 2155851n },
  { id: "4jZrfL3mwvzvjb4", form: "long", sec: 1795684922, usec: 532527, inode: 6332419n },
  { id: "4jZrfL3fFRzvjb3", form: "long", sec: 1795684922, usec: 514459, inode: 6332418n },
  { id: "4jZrfL3jhZzJ9K1", form: "long", sec: 1795684922, usec: 523774, inode: 2146693n },
];

describe("Postfix queue IDs", () => {
  for (const v of POSTFIX_IDS) {
    test(`makeQueueId() rebuilds ${v.form} ID ${v.id} from its time and inode`, () => {
      expect(makeQueueId(v.inode, { sec: v.sec ?? 0, usec: v.usec }, v.form === "long")).toBe(v.id);
    });
    test(`parseQueueId() takes ${v.id} apart`, () => {
      const p = parseQueueId(v.id)!;
      expect(p.form).toBe(v.form);
      expect(p.usec).toBe(v.usec);
      expect(p.inode).toBe(v.inode);
      if (p.form === "long") expect(p.sec).toBe(v.sec!);
    });
  }

  test("shortQueueId() pads the microseconds to 5 hex digits and does not pad the inode", () => {
    expect(shortQueueId(0, 1)).toBe("000001");
    expect(shortQueueId(999999, 0xabcdefn)).toBe("F423FABCDEF");
  });

  test("longQueueId() pads seconds to 6 and microseconds to exactly 4 digits; the inode part never has z", () => {
    expect(longQueueId({ sec: 0, usec: 0 }, 0)).toBe("0000000000z");
    expect(longQueueId({ sec: 1, usec: 1 }, 50)).toBe("0000010001zy");
    for (let inode = 0n; inode < 5000n; inode += 7n) expect(longQueueId({ sec: 5, usec: 5 }, inode).indexOf("z")).toBe(10);
  });

  test("the safe alphabet has no vowels and 52 digits", () => {
    expect(SAFE_ALPHABET.length).toBe(52);
    expect(/[AEIOUaeiou]/.test(SAFE_ALPHABET)).toBe(false);
    expect(SAFE_ALPHABET[51]).toBe("z");
  });

  test("encodeSafeNumber()/decodeSafeNumber() round-trip in bases 51 and 52", () => {
    for (const base of [51, 52])
      for (const n of [0n, 1n, 50n, 51n, 52n, 2703n, 1795584782n, 2n ** 63n]) expect(decodeSafeNumber(encodeSafeNumber(n, base, 1), base)).toBe(n);
    expect(decodeSafeNumber("z", 51)).toBeUndefined();
    expect(decodeSafeNumber("A", 52)).toBeUndefined();
    expect(decodeSafeNumber("", 52)).toBeUndefined();
  });
});

// label, id, isValidQueueId (Postfix's mail_queue_id_ok), parseQueueId form (strict)
const VALIDITY: [string, unknown, boolean, "short" | "long" | undefined][] = [
  ["short ID", "EF97820E3CD", true, "short"],
  ["long ID", "4jZ7cZ4ps4zJDqZ", true, "long"],
  ["flush logfile name with _", "example_com", true, undefined],
  ["lower-case short ID: accepted by Postfix's check, not a short ID", "ef97820e3cd", true, undefined],
  ["mixed case hex", "Ef97820E3CD", true, undefined],
  ["short ID too short (no inode digit)", "EF978", true, undefined],
  ["short ID with usec over 999999", "FFFFF20E3CD", true, undefined],
  ["long ID with a vowel in the inode part", "4jZ7cZ4ps4zJDqA", true, undefined],
  ["single character", "A", true, undefined],
  ["255 characters", "A".repeat(255), true, undefined],
  ["256 characters", "A".repeat(256), false, undefined],
  ["empty", "", false, undefined],
  ["dot-dot", "..", false, undefined],
  ["dot", ".", false, undefined],
  ["parent escape", "../x", false, undefined],
  ["slash", "a/b", false, undefined],
  ["absolute path", "/etc/passwd", false, undefined],
  ["temporary file name", "367109.14388", false, undefined],
  ["hidden file", ".EF97820E3CD", false, undefined],
  ["space", "EF978 20E3CD", false, undefined],
  ["trailing newline", "EF97820E3CD\n", false, undefined],
  ["NUL", "EF978\u000020E3CD", false, undefined],
  ["dash", "EF978-20E3CD", false, undefined],
  ["hash mark of postsuper -s", "EF97820E3CD#FIX", false, undefined],
  ["non-ASCII letter", "EF97820É3CD", false, undefined],
  ["full-width digit", "EF97820\uff13CD", false, undefined],
  ["not a string", 12345, false, undefined],
  ["undefined", undefined, false, undefined],
];

describe("isValidQueueId() and parseQueueId()", () => {
  for (const [label, id, valid, form] of VALIDITY) {
    test(`${label}: valid=${valid}, form=${form ?? "none"}`, () => {
      expect(isValidQueueId(id)).toBe(valid);
      if (typeof id === "string") expect(parseQueueId(id)?.form).toBe(form);
      if (!valid) {
        expect(() => assertValidQueueId(id)).toThrow(QueueError);
        try {
          assertValidQueueId(id);
        } catch (e) {
          expect((e as QueueError).code).toBe("badid");
          expect((e as QueueError).message).toStartWith("bad mail queue ID: ");
          expect((e as QueueError).message).not.toMatch(/[\n\0]/);
        }
      }
    });
  }
});

describe("uniqueness", () => {
  const dir = mkdtempSync(join(tmpdir(), "postkit-qid-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("queueIdClock() never returns the same time twice", () => {
    let last = -1;
    for (let i = 0; i < 100_000; i++) {
      const t = queueIdClock();
      const us = t.sec * 1_000_000 + t.usec;
      expect(us > last).toBe(true);
      last = us;
    }
  });

  for (const longIds of [false, true]) {
    test(`3000 queue files created at full speed get distinct ${longIds ? "long" : "short"} IDs that match their inodes`, () => {
      const q = join(dir, longIds ? "long" : "short");
      ensureQueueDirs(q, { names: ["incoming"] });
      const ids = new Set<string>();
      for (let i = 0; i < 3000; i++) {
        const w = createQueueFile({ queueDir: q, queueName: "incoming", longIds });
        w.writeEnvelope({ sender: "", recipients: [{ address: "a@b" }] });
        const done = w.finish({ durable: false });
        ids.add(done.queueId);
        const p = parseQueueId(done.queueId)!;
        expect(p.form).toBe(longIds ? "long" : "short");
        expect(p.inode).toBe(statSync(done.path, { bigint: true }).ino);
      }
      expect(ids.size).toBe(3000);
    });
  }
});
