/**
 * header_parser_test — primary header grouping against Debian's Postfix 3.7: the events of every MESSAGES row were
 * produced by feeding the same records to Postfix's own mime_state_update() (libpostfix-global.so, with
 * MIME_OPT_DISABLE_MIME and header_size_limit as given) and recording its head_out, head_end and body_out
 * call-backs. `h:` is a header (`Info|` when header_opts_find() knows its name, ` [truncated]` when Postfix
 * reported MIME_ERR_TRUNC_HEADER for it), `end` the end of the headers, `b:` a body record and `b+:` a partial one.
 * The driver that ran Postfix is ../address/testdata/postfix_oracle.c.
 */
import { test, expect, describe } from "bun:test";
import { HeaderParser, DEFAULT_HEADER_SIZE_LIMIT, type Header } from "./header_parser.ts";
import { makeHeaderTable } from "./header_table.ts";

type Rec = string | [string, true];

// prettier-ignore
const MESSAGES: { label: string; limit: number; records: Rec[]; events: string[] }[] = [
  { label: "simple headers and body", limit: 102400, records: ["Subject: hi", "To: a@b", "", "body"], events: ["h:Subject: hi", "h:To|To: a@b", "end", "b:", "b:body"] },
  { label: "folded continuation lines", limit: 102400, records: ["Subject: one", "  two", "\tthree", "From: x", "", "b"], events: ["h:Subject: one\n  two\n\tthree", "h:From|From: x", "end", "b:", "b:b"] },
  { label: "space before the colon is removed", limit: 102400, records: ["Subject : hi", "X-Tab\t\t: v", ""], events: ["h:Subject: hi", "h:X-Tab: v", "end", "b:"] },
  { label: "a non-header line ends the headers and gets a blank line before it", limit: 102400, records: ["Subject: hi", "not a header", "more"], events: ["h:Subject: hi", "end", "b:", "b:not a header", "b:more"] },
  { label: "a From_ line is not a header", limit: 102400, records: ["From someone Mon Jan 1", "Subject: x"], events: ["end", "b:", "b:From someone Mon Jan 1", "b:Subject: x"] },
  { label: "a leading continuation line is body", limit: 102400, records: [" indented", "Subject: x"], events: ["end", "b:", "b: indented", "b:Subject: x"] },
  { label: "empty message", limit: 102400, records: [], events: ["end"] },
  { label: "headers only, no blank line", limit: 102400, records: ["Subject: a", "To: b"], events: ["h:Subject: a", "h:To|To: b", "end"] },
  { label: "only an empty line", limit: 102400, records: [""], events: ["end", "b:"] },
  { label: "continuation after the body started is body", limit: 102400, records: ["A: 1", "", " x"], events: ["h:A: 1", "end", "b:", "b: x"] },
  { label: "colon first is not a header", limit: 102400, records: [":x", "A: b"], events: ["end", "b:", "b::x", "b:A: b"] },
  { label: "8-bit byte in a name is not a header", limit: 102400, records: ["X\u00e9: v", ""], events: ["end", "b:", "b:X\u00e9: v", "b:"] },
  { label: "8-bit bytes in a value are kept", limit: 102400, records: ["Subject: caf\u00e9", ""], events: ["h:Subject: caf\u00e9", "end", "b:"] },
  { label: "control character in a name is not a header", limit: 102400, records: ["X\u0001Y: v", ""], events: ["end", "b:", "b:X\u0001Y: v", "b:"] },
  { label: "NUL in a header value ends its text", limit: 102400, records: ["Subject: a\u0000b", " c\u0000d", ""], events: ["h:Subject: a\n c", "end", "b:"] },
  { label: "NUL in a name is not a header", limit: 102400, records: ["A\u0000B: c", ""], events: ["end", "b:", "b:A\u0000B: c", "b:"] },
  { label: "NUL in the body is kept", limit: 102400, records: ["A: b", "", "x\u0000y"], events: ["h:A: b", "end", "b:", "b:x\u0000y"] },
  { label: "partial records are joined without a newline", limit: 102400, records: [["Subject: aaa", true], ["bbb", true], "ccc", " fold", ""], events: ["h:Subject: aaabbbccc\n fold", "end", "b:"] },
  { label: "a partial continuation line", limit: 102400, records: ["A: 1", [" 2", true], "3", ""], events: ["h:A: 1\n 23", "end", "b:"] },
  { label: "a partial first piece that is not a header ends the headers", limit: 102400, records: [["Subj", true], "ect: x", ""], events: ["end", "b:", "b+:Subj", "b:ect: x", "b:"] },
  { label: "a partial body line is ended at the end of input", limit: 102400, records: ["A: b", "", ["xyz", true]], events: ["h:A: b", "end", "b:", "b+:xyz", "b:"] },
  { label: "header_size_limit discards further lines", limit: 12, records: ["Subject: 0123456789", " more", "\tmore", "To: x", ""], events: ["h:Subject: 0123456789 [truncated]", "h:To|To: x", "end", "b:"] },
  { label: "header_size_limit keeps the line that crosses it", limit: 20, records: ["Subject: 01234", " 56789 abcdef", " gone", ""], events: ["h:Subject: 01234\n 56789 abcdef [truncated]", "end", "b:"] },
  { label: "header_size_limit discards partial pieces", limit: 15, records: [["Subject: 0123456789", true], ["abc", true], "def", " g", ""], events: ["h:Subject: 0123456789 [truncated]", "end", "b:"] },
  { label: "header_size_limit with a partial header at the end of input", limit: 10, records: [["Subject: 0123456789", true]], events: ["h:Subject: 0123456789 [truncated]", "end"] },
  { label: "known headers get their info", limit: 102400, records: ["FROM: a", "bcc: b", "Resent-To: c", "content-type: text/plain", "X-Mailer: y", ""], events: ["h:From|FROM: a", "h:Bcc|bcc: b", "h:Resent-To|Resent-To: c", "h:Content-Type|content-type: text/plain", "h:X-Mailer: y", "end", "b:"] },
  { label: "a body of text with colons stays body", limit: 102400, records: ["A: b", "", "Subject: not a header"], events: ["h:A: b", "end", "b:", "b:Subject: not a header"] },
  { label: "CR at the end of a line is part of the line", limit: 102400, records: ["A: b\r", "\r"], events: ["h:A: b\r", "end", "b:", "b:\r"] },
];

/** Runs records through a parser and lists the events in the notation above. */
function run(records: Rec[], limit: number, extra: { blank?: boolean[]; headers?: Header[] } = {}): string[] {
  const events: string[] = [];
  const p = new HeaderParser(
    {
      header: (h) => {
        extra.headers?.push(h);
        events.push(`h:${h.info ? `${h.info.name}|` : ""}${h.text}${h.truncated ? " [truncated]" : ""}`);
      },
      endOfHeaders: (inserted) => {
        extra.blank?.push(inserted);
        events.push("end");
      },
      body: (t, partial) => events.push(`b${partial ? "+" : ""}:${t}`),
    },
    { headerSizeLimit: limit },
  );
  for (const r of records) {
    if (typeof r === "string") p.push(r);
    else p.push(r[0], true);
  }
  p.finish();
  return events;
}

/** The events Postfix reports once per message: only the first truncated header is flagged. */
function firstTruncationOnly(events: string[]): string[] {
  let seen = false;
  return events.map((e) => {
    if (!e.endsWith(" [truncated]")) return e;
    if (seen) return e.slice(0, -" [truncated]".length);
    seen = true;
    return e;
  });
}

describe("HeaderParser matches Postfix's mime_state", () => {
  for (const m of MESSAGES) {
    test(m.label, () => {
      expect(firstTruncationOnly(run(m.records, m.limit))).toEqual(m.events);
    });
  }
});

describe("HeaderParser", () => {
  test("says whether it inserted the blank line", () => {
    const blank: boolean[] = [];
    run(["A: b", "", "x"], DEFAULT_HEADER_SIZE_LIMIT, { blank });
    run(["A: b", "x"], DEFAULT_HEADER_SIZE_LIMIT, { blank });
    run(["A: b"], DEFAULT_HEADER_SIZE_LIMIT, { blank });
    expect(blank).toEqual([false, true, false]);
  });

  test("gives name, value and info of each header", () => {
    const headers: Header[] = [];
    run(["TO : a@b,", "	c@d", "X-Thing:", ""], DEFAULT_HEADER_SIZE_LIMIT, { headers });
    expect(headers.map((h) => [h.name, h.value, h.info?.name, h.text])).toEqual([
      ["TO", " a@b,\n\tc@d", "To", "TO: a@b,\n\tc@d"],
      ["X-Thing", "", undefined, "X-Thing:"],
    ]);
  });

  test("flags every truncated header, not only the first", () => {
    const events = run(["A: 123456", " more", "B: 123456", " more", ""], 8);
    expect(events).toEqual(["h:A: 123456 [truncated]", "h:B: 123456 [truncated]", "end", "b:"]);
  });

  test("uses the header table it is given", () => {
    const headers: Header[] = [];
    const p = new HeaderParser(
      { header: (h) => headers.push(h), endOfHeaders: () => {}, body: () => {} },
      { table: makeHeaderTable("x-secret") },
    );
    p.push("X-Secret: 1");
    p.push("Bcc: a@b");
    p.finish();
    expect(headers.map((h) => [h.info?.type, h.info?.drop])).toEqual([["other", true], ["bcc", false]]);
  });

  test("takes records as bytes, 8-bit bytes as Latin-1 characters", () => {
    const events: string[] = [];
    const p = new HeaderParser({ header: (h) => events.push(h.text), endOfHeaders: () => events.push("end"), body: (t) => events.push(t) });
    p.push(Buffer.from("Subject: caf\xe9", "latin1"));
    p.push(new Uint8Array(Buffer.from("Subject: sub", "latin1")).subarray(9));
    p.finish();
    expect(events).toEqual(["Subject: caf\u00e9", "end", "", "sub"]);
  });

  test("inHeaders turns false at the end of the headers", () => {
    const p = new HeaderParser({ header: () => {}, endOfHeaders: () => {}, body: () => {} });
    expect(p.inHeaders).toBe(true);
    p.push("A: b");
    expect(p.inHeaders).toBe(true);
    p.push("");
    expect(p.inHeaders).toBe(false);
  });

  test("finish() twice reports the end once", () => {
    const events: string[] = [];
    const p = new HeaderParser({ header: () => events.push("h"), endOfHeaders: () => events.push("end"), body: () => events.push("b") });
    p.push("A: b");
    p.finish();
    p.finish();
    expect(events).toEqual(["h", "end"]);
  });

  test("keeps memory bounded for a 10 MB folded header and is fast", () => {
    const headers: Header[] = [];
    const p = new HeaderParser({ header: (h) => headers.push(h), endOfHeaders: () => {}, body: () => {} });
    const t0 = performance.now();
    p.push("Subject: start");
    const line = ` ${"x".repeat(99)}`;
    for (let i = 0; i < 100_000; i++) p.push(line);
    p.push("");
    p.finish();
    expect(headers.length).toBe(1);
    expect(headers[0]!.truncated).toBe(true);
    expect(headers[0]!.text.length).toBeGreaterThanOrEqual(DEFAULT_HEADER_SIZE_LIMIT);
    expect(headers[0]!.text.length).toBeLessThan(DEFAULT_HEADER_SIZE_LIMIT + 101);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  test("passes many body lines through unchanged", () => {
    let n = 0;
    let last = "";
    const p = new HeaderParser({ header: () => {}, endOfHeaders: () => {}, body: (t) => ((n += 1), (last = t)) });
    p.push("A: b");
    p.push("");
    for (let i = 0; i < 100_000; i++) p.push(`line ${i}: \u0000\xff`);
    p.finish();
    expect(n).toBe(100_001);
    expect(last).toBe("line 99999: \u0000\xff");
  });
});
