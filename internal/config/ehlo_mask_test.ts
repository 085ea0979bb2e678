import { test, expect } from "bun:test";
import { parseEhloMask, ehloMaskString, ehloDiscardLogText } from "./ehlo_mask.ts";

test("parseEhloMask() takes commas and white space, any case, and drops unknown names", () => {
  const cases: [string, string, string[]][] = [
    ["empty", "", []],
    ["comma and space", "pipelining, size", ["PIPELINING", "SIZE"]],
    ["mixed case", "StartTLS\tDSN", ["STARTTLS", "DSN"]],
    ["unknown names", "foo, x-bar, etrn", ["ETRN"]],
    ["silent-discard", "silent-discard,auth", ["SILENT-DISCARD", "AUTH"]],
  ];
  for (const [label, input, want] of cases) expect([...parseEhloMask(input)].sort(), label).toEqual([...want].sort());
});

test("ehloMaskString() writes Postfix's table order, not the order given", () => {
  expect(ehloMaskString(parseEhloMask("chunking dsn size pipelining auth 8bitmime"))).toBe("8BITMIME AUTH PIPELINING SIZE DSN CHUNKING");
});

test("ehloDiscardLogText(): nothing for an empty mask or with silent-discard", () => {
  expect(ehloDiscardLogText(parseEhloMask("size,pipelining"))).toBe("discarding EHLO keywords: PIPELINING SIZE");
  expect(ehloDiscardLogText(parseEhloMask(""))).toBeUndefined();
  expect(ehloDiscardLogText(parseEhloMask("unknown"))).toBeUndefined();
  expect(ehloDiscardLogText(parseEhloMask("size silent-discard"))).toBeUndefined();
});
