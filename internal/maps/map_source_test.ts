import { describe, expect, test } from "bun:test";
import { LogicalLineReader } from "./logical_lines.ts";
import { parseMapSource, type SourceOptions } from "./map_source.ts";

const dec = new TextDecoder();

function parse(text: string | Uint8Array, opts: Partial<SourceOptions> = {}): { entries: string[]; warnings: string[] } {
  const warnings: string[] = [];
  const entries: string[] = [];
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const reader = new LogicalLineReader(bytes, "map", (w) => warnings.push(w));
  parseMapSource(reader, "map", { warn: (w) => warnings.push(w), ...opts }, (kb, ks, ke, vb, vs, ve, n) =>
    entries.push(`${n}|${dec.decode(kb.subarray(ks, ke))}|${dec.decode(vb.subarray(vs, ve))}`),
  );
  return { entries, warnings };
}

describe("parseMapSource()", () => {
  test.each([
    ["key and value", "key value\n", ["1|key|value"]],
    ["keys are folded, values are not", "KeY VaLue\n", ["1|key|VaLue"]],
    ["value keeps inner white space, loses the ends", "k  a \t b  \n", ["1|k|a \t b"]],
    ["quoted key is kept literally", '"a b" spaced key\n', ['1|"a b"|spaced key']],
    ["backslash protects a space", "a\\ b c\n", ["1|a\\ b|c"]],
    ["continuation", "k v\n  more\n", ["1|k|v  more"]],
    ["text after NUL is ignored", "k v\u0000junk\n", ["1|k|v"]],
  ])("%s", (_label, input, expected) => {
    expect(parse(input).entries).toEqual(expected);
  });

  test("-f keeps the case of keys", () => {
    expect(parse("KeY v\n", { fold: false }).entries).toEqual(["1|KeY|v"]);
  });

  test.each([
    ["missing value", "novalue\n", [], ["map, line 1: expected format: key whitespace value"]],
    ["unbalanced quote", 'k"ey\tvalue\n', [], [`map, line 1: unbalanced '"' in 'k"ey?value' -- ignoring this line`]],
    ["alias-style key is still stored", "key: v\n", ["1|key:|v"], ['map, line 1: record is in "key: value" format; is this an alias file?']],
  ])("warning: %s", (_label, input, entries, warnings) => {
    const r = parse(input);
    expect(r.entries).toEqual(entries);
    expect(r.warnings).toEqual(warnings);
  });

  test("texthash words the missing-value warning its own way", () => {
    expect(parse("novalue\n", { texthash: true }).warnings).toEqual(["map, line 1: expected format: key whitespace value -- ignoring this line"]);
  });

  test("UTF-8 mode skips invalid UTF-8 and folds with Unicode case folding", () => {
    const bytes = new Uint8Array([...new TextEncoder().encode("Straße v\n"), 0xff, 0x20, 0x76, 0x0a]);
    const r = parse(bytes, { utf8: true });
    expect(r.entries).toEqual(["1|strasse|v"]);
    expect(r.warnings).toEqual(['map, line 2: non-UTF-8 input "? v" -- ignoring this line']);
    expect(parse(bytes, { utf8: false }).entries).toEqual(["1|straße|v", "2|\ufffd|v"]);
  });
});
