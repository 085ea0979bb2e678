import { test, expect } from "bun:test";
import { Packr } from "msgpackr";
import { codec } from "./_codec.ts";
import { encodeRecord } from "./queue_record.ts";
import type { QueueRecord } from "./queue_file.ts";

const reference = new Packr({ useRecords: true, mapsAsObjects: true, int64AsType: "number", copyBuffers: true, structuredClone: false } as ConstructorParameters<typeof Packr>[0]);

const cases: [string, QueueRecord, unknown[]][] = [
  ["size record with fixed 64-bit fields", { kind: "C", version: 1, messageSize: 123, contentOffset: 456, extractedOffset: 789, bodyOffset: -1, rcptCount: 2 } as QueueRecord, ["C", 1, 123, 456, 789, -1, 2]],
  ["time", { kind: "T", sec: 1_764_000_000, usec: 999_999 } as QueueRecord, ["T", 1_764_000_000, 999_999]],
  ["attribute with a long value", { kind: "A", name: "log_helo_name", value: "x".repeat(300) } as QueueRecord, ["A", "log_helo_name", "x".repeat(300)]],
  ["recipient with UTF-8", { kind: "R", address: "jürgen@bücher.example", origAddress: "", notify: 12, orcpt: "rfc822;a@b" } as QueueRecord, ["R", "jürgen@bücher.example", "", 12, "rfc822;a@b"]],
  ["empty sender", { kind: "S", sender: "" } as QueueRecord, ["S", ""]],
  ["content chunk of 64 KiB", { kind: "N", data: Buffer.alloc(65536, 7) } as QueueRecord, ["N", Buffer.alloc(65536, 7)]],
  ["small content chunk", { kind: "N", data: Buffer.from("hello\n") } as QueueRecord, ["N", Buffer.from("hello\n")]],
  ["end", { kind: "E" } as QueueRecord, ["E"]],
  ["deferral with a large offset", { kind: "d", rcptOffset: 70000, time: 4_000_000_000, dsn: "4.4.1", reason: "connect to x[1.2.3.4]:25: Connection refused" } as QueueRecord, ["d", 70000, 4_000_000_000, "4.4.1", "connect to x[1.2.3.4]:25: Connection refused"]],
];

for (const [label, rec, want] of cases) {
  test(`encodeRecord() writes standard msgpack that the queue codec reads back: ${label}`, () => {
    const bytes = encodeRecord(rec);
    expect(codec.unpack(bytes)).toEqual(want);
    expect(reference.unpack(bytes)).toEqual(want);
  });
}

test("encodeRecord() keeps the C record's size whatever its values", () => {
  const a = encodeRecord({ kind: "C", version: 1, messageSize: 0, contentOffset: 0, extractedOffset: 0, bodyOffset: -1, rcptCount: 0 } as QueueRecord);
  const b = encodeRecord({ kind: "C", version: 1, messageSize: 2 ** 40, contentOffset: 99999, extractedOffset: 2 ** 33, bodyOffset: 5, rcptCount: 100000 } as QueueRecord);
  expect(a.length).toBe(b.length);
});
