/**
 * delivered_to_test — Delivered-To addresses are read from the header section only, case-insensitively, and
 * matched in the quoted form mail_copy writes.
 */
import { test, expect } from "bun:test";
import { DeliveredTo } from "./delivered_to.ts";

const from = (s: string, n = 7) => {
  const b = Buffer.from(s, "latin1");
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += n) chunks.push(b.subarray(i, i + n));
  return DeliveredTo.fromContent(chunks);
};

test("DeliveredTo.fromContent() collects the header's addresses and stops at the body", () => {
  const d = from(
    "Received: from x\n\tby y\nDelivered-To: Alice@Example.COM\ndelivered-to:  \"joe smith\"@x.example\nSubject: s\n\nDelivered-To: body@x\n",
  );
  expect(d.size).toBe(2);
  expect(d.has("alice@example.com")).toBe(true);
  expect(d.has("ALICE@example.com")).toBe(true);
  expect(d.has("joe smith@x.example")).toBe(true);
  expect(d.has("body@x")).toBe(false);
});

test("DeliveredTo.fromContent() stops at the first line that is not a header", () => {
  const d = from("Subject: s\nnot a header line\nDelivered-To: late@x\n\n");
  expect(d.has("late@x")).toBe(false);
});

test("DeliveredTo.fromContent() reads a message without a body, or without a final newline", () => {
  expect(from("Delivered-To: a@b").has("a@b")).toBe(true);
  expect(from("").size).toBe(0);
});
