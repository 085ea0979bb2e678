import { describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { LogicalLineReader } from "./logical_lines.ts";

function lines(text: string | Uint8Array): { lines: [number, string][]; warnings: string[] } {
  const warnings: string[] = [];
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const r = new LogicalLineReader(bytes, "src", (w) => warnings.push(w));
  const out: [number, string][] = [];
  while (r.next()) out.push([r.lineno, r.text()]);
  return { lines: out, warnings };
}

describe("LogicalLineReader", () => {
  test.each([
    ["one line", "a b\n", [[1, "a b"]]],
    ["no final newline", "a b", [[1, "a b"]]],
    ["comments and blank lines", "# c\n\n  \na b\n#x\nc d\n", [[4, "a b"], [6, "c d"]]],
    ["continuation keeps leading white space", "a b\n  c\n\td\n", [[1, "a b  c\td"]]],
    ["comment between a line and its continuation", "a b\n# c\n  d\n", [[1, "a b  d"]]],
    ["blank line between a line and its continuation", "a b\n\n  d\n", [[1, "a b  d"]]],
    ["indented comment is dropped", "a b\n  # c\n  d\ne f\n", [[1, "a b  d"], [4, "e f"]]],
    ["# inside a line is text", "a b#c\n", [[1, "a b#c"]]],
    ["CR and other white space", "a b\r\n\x0b\n", [[1, "a b\r"]]],
    ["empty input", "", []],
  ] as const)("%s", (_label, input, expected) => {
    const r = lines(input);
    expect(r.lines).toEqual(expected.map(([n, t]) => [n, t]));
    expect(r.warnings).toEqual([]);
  });

  test("text before the first entry that starts with white space is skipped with Postfix's warning", () => {
    const r = lines("  lead value that is rather long for the warning\nkey value\n");
    expect(r.lines).toEqual([[2, "key value"]]);
    expect(r.warnings).toEqual(['src: logical line must not start with whitespace: "  lead value that is rather lo..."']);
  });

  test("reading a file in chunks gives the same lines as reading it whole", () => {
    const dir = mkdtempSync(join(tmpdir(), "ll-test-"));
    try {
      let text = "";
      for (let i = 0; i < 300_000; i++) text += i % 7 === 0 ? `k${i} v\n  cont${i}\n` : i % 11 === 0 ? "# comment\n" : `k${i} value ${i}\n`;
      const p = join(dir, "big");
      writeFileSync(p, text);
      const fd = openSync(p, "r");
      const r = new LogicalLineReader(fd, p, () => {});
      const got: string[] = [];
      while (r.next()) got.push(`${r.lineno}:${r.text()}`);
      closeSync(fd);
      const whole = lines(text).lines.map(([n, t]) => `${n}:${t}`);
      expect(got.length).toBe(whole.length);
      expect(got).toEqual(whole);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
