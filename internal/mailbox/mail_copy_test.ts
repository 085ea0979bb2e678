/**
 * mail_copy_test — the bytes local delivery writes: preamble lines in Postfix's order and form, `From ` quoting
 * wherever the chunk boundaries fall, the final newline and the mbox blank line.
 */
import { test, expect, describe } from "bun:test";
import { asctime, copyMessage, formatFromLine, formatPreamble } from "./mail_copy.ts";

const text = (chunks: Iterable<Uint8Array>) => Buffer.concat([...chunks]).toString("latin1");

/** Splits `s` into chunks of `n` bytes. */
function chunked(s: string, n: number): Uint8Array[] {
  const b = Buffer.from(s, "latin1");
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += n) out.push(b.subarray(i, i + n));
  return out;
}

describe("formatPreamble()", () => {
  const date = new Date(Date.UTC(2026, 10, 6, 9, 3, 7));
  test.each([
    ["mbox order", { sender: "alice@example.com", fromLine: true, returnPath: true, origRcpt: "root", delivered: "root@h.example" },
      "From alice@example.com  Fri Nov  6 09:03:07 2026\nReturn-Path: <alice@example.com>\nX-Original-To: root\nDelivered-To: root@h.example\n"],
    ["null sender", { sender: "", fromLine: true, returnPath: true },
      "From MAILER-DAEMON  Fri Nov  6 09:03:07 2026\nReturn-Path: <>\n"],
    ["quoted local part", { sender: "joe smith@x.example", returnPath: true, delivered: "a b@y" },
      'Return-Path: <"joe smith"@x.example>\nDelivered-To: "a b"@y\n'],
    ["no X-Original-To when empty", { sender: "a@b", returnPath: true, origRcpt: "", delivered: "c@d" }, "Return-Path: <a@b>\nDelivered-To: c@d\n"],
    ["nothing", { sender: "a@b" }, ""],
  ] as const)("%s", (_label, opts, want) => {
    expect(formatPreamble({ ...opts, date, tz: "UTC" })).toBe(want);
  });

  test("asctime() pads the day with a space and uses the local zone", () => {
    expect(asctime(new Date(Date.UTC(2024, 0, 1, 0, 0, 0)), "UTC")).toBe("Mon Jan  1 00:00:00 2024");
    expect(asctime(new Date(Date.UTC(2024, 0, 1, 0, 0, 0)), "Europe/Berlin")).toBe("Mon Jan  1 01:00:00 2024");
    expect(formatFromLine("", new Date(Date.UTC(2024, 11, 31, 23, 59, 59)), "UTC")).toBe("From MAILER-DAEMON  Tue Dec 31 23:59:59 2024");
  });
});

describe("copyMessage()", () => {
  const msg = "From: a\nSubject: x\n\nFrom here\n>From there\nfrom lower\nFrom\nFromage\n From indented\nend\nFrom ";
  const quoted = "From: a\nSubject: x\n\n>From here\n>From there\nfrom lower\nFrom\nFromage\n From indented\nend\n>From \n";

  test("quotes From_ lines and adds the final newline and the blank line, whatever the chunk size", () => {
    for (let n = 1; n <= msg.length; n++) {
      expect(text(copyMessage("P\n", chunked(msg, n), { quoteFrom: true, blankLine: true }))).toBe(`P\n${quoted}\n`);
    }
  });

  test.each([
    ["first line of the message", "From x\n", ">From x\n"],
    ["no final newline", "a\nb", "a\nb\n"],
    ["empty message", "", ""],
    ["only a newline", "\n", "\n"],
    ["a short last line that looks like the start of From", "x\nFro", "x\nFro\n"],
    ["8-bit and CR kept", "\xe4\xf6\r\nFrom \xff\n", "\xe4\xf6\r\n>From \xff\n"],
  ])("%s", (_label, input, want) => {
    for (let n = 1; n <= Math.max(1, input.length); n++) {
      expect(text(copyMessage("", chunked(input, n), { quoteFrom: true }))).toBe(want);
    }
  });

  test("without quoting the content is copied byte for byte (maildir, commands)", () => {
    const big = `${"x".repeat(100_000)}\nFrom y\n${"\u00e9".repeat(10)}`;
    expect(text(copyMessage("H: 1\n", chunked(big, 65536)))).toBe(`H: 1\n${Buffer.from(big, "latin1").toString("latin1")}\n`);
  });
});
