/**
 * mime_downgrade_test — the 8-bit downgrade against what Postfix 3.7 does with the same records: the golden file
 * testdata/mime_downgrade/postfix37.json was printed by Postfix's own mime_state (MIME_OPT_DOWNGRADE) through
 * ../address/testdata/postfix_oracle.c (`mimedown`). The driver here prints the same lines from a HeaderParser in
 * MIME mode with mime_downgrade.ts, the way internal/smtp/smtp_content.ts uses them.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { HeaderParser, type HeaderClass } from "./header_parser.ts";
import { blockEndHeader, convertedBody, droppedHeader, QuotedPrintableBody } from "./mime_downgrade.ts";
import { oracleEscape as esc, oracleUnescape as unesc } from "./_test_oracle.ts";

interface Case {
  name: string;
  nestingLimit: number;
  records: [string, string][];
  expected: string[];
}

const golden = JSON.parse(readFileSync(new URL("../../testdata/mime_downgrade/postfix37.json", import.meta.url), "utf8")) as { cases: Case[] };

const CLASS: Record<HeaderClass, number> = { primary: 1, multipart: 2, nested: 3 };

/** What the oracle prints for `records`, made with the downgrade. */
function downgrade(records: [string, string][], nestingLimit: number): string[] {
  const lines: string[] = [];
  const qp = new QuotedPrintableBody();
  const p: HeaderParser = new HeaderParser(
    {
      header: (h, cls) => {
        if (!droppedHeader(h, p)) lines.push(`H ${CLASS[cls]} ${esc(h.text)}`);
      },
      endOfHeaders: () => {},
      endOfBlock: (cls) => {
        const cte = blockEndHeader(p);
        if (cte) lines.push(`H ${CLASS[cls]} ${cte}`);
      },
      body: (text, partial) => {
        if (convertedBody(p)) qp.record(text, partial, (l) => lines.push(`B ${esc(l)}`));
        else lines.push(`B ${esc(text)}`);
      },
      mimeError: () => lines.push("ERR 1"),
    },
    { mime: { nestingLimit, downgrade: true } },
  );
  for (const [type, text] of records) p.push(unesc(text), type === "L");
  p.finish();
  return lines;
}

describe("8-bit downgrade, as Postfix 3.7's mime_state does it", () => {
  for (const c of golden.cases) {
    test(c.name, () => {
      expect(downgrade(c.records, c.nestingLimit)).toEqual(c.expected);
    });
  }
});

describe("QuotedPrintableBody", () => {
  const enc = (records: [string, boolean][]) => {
    const out: string[] = [];
    const q = new QuotedPrintableBody();
    for (const [t, partial] of records) q.record(t, partial, (l) => out.push(l));
    return out;
  };

  test("soft line breaks keep every line within 76 characters, even around escapes", () => {
    for (let n = 60; n < 200; n++) {
      for (const text of ["a".repeat(n), "\xe9".repeat(n), `${"a".repeat(n)} `, "a=\xe9 ".repeat(n)]) {
        const lines = enc([[text, false]]);
        for (const l of lines) expect(l.length).toBeLessThanOrEqual(76);
        // decoding gives the text back
        const decoded = lines.map((l) => (l.endsWith("=") ? l.slice(0, -1) : `${l}\n`)).join("").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
        expect(decoded).toBe(`${text}\n`);
      }
    }
  });

  test("a line cut into records is encoded as one line; an empty record ends it", () => {
    expect(enc([["ab", true], ["c ", true], ["", false]])).toEqual(["abc=20"]);
    expect(enc([["", false]])).toEqual([""]);
  });
});
