/**
 * map_source — the postmap(1) source file format, parsed for building indexed tables and for `texthash:`.
 *
 * FORMAT
 *   Logical lines as in logical_lines.ts (comments, blank lines and indented continuation lines).
 *   `key whitespace value`: the key ends at the first white space that is not inside double quotes; a backslash
 *   makes the next byte part of the key. The key is stored literally, quotes and backslashes included
 *   (`"a b" x` is found only as `"a b"`). The value is the rest of the line without leading and trailing white
 *   space; white space inside it is kept. Text after a NUL byte is ignored (Postfix reads C strings).
 *   Keys are folded (casefold.ts) unless `fold` is false; values never are.
 *
 * WARNINGS (Postfix's text; the line is skipped unless said otherwise)
 *   FILE, line N: non-UTF-8 input "TEXT" -- ignoring this line       (UTF-8 mode only)
 *   FILE, line N: unbalanced '"' in 'TEXT' -- ignoring this line
 *   FILE, line N: expected format: key whitespace value              (texthash adds " -- ignoring this line")
 *   FILE, line N: record is in "key: value" format; is this an alias file?   (the line is still stored)
 *   FILE, line N: open NAME: REASON: skipping this entry               (-F: a value file cannot be read)
 *
 * `parseMapSource()` streams byte slices into a sink (no string per line unless a line is non-ASCII), which is
 * what makes `postmap` on a million lines fast.
 */
import { readFileSync } from "node:fs";
import { LogicalLineReader, isSpaceByte } from "./logical_lines.ts";
import { foldAsciiBytes, foldKey, isValidUtf8, printable, printableText } from "./casefold.ts";
import { errnoText } from "../sys/errno.ts";

/** Receives one entry: key kb[ks, ke) (folded as requested), value vb[vs, ve), and its line number. */
export type EntrySink = (kb: Uint8Array, ks: number, ke: number, vb: Uint8Array, vs: number, ve: number, lineno: number) => void;

/** How to parse a source. */
export interface SourceOptions {
  /** Fold keys (default true). */
  fold?: boolean;
  /** UTF-8 mode: skip non-UTF-8 lines, fold with Unicode case folding. */
  utf8?: boolean;
  /** smtputf8_enable as main.cf sets it (not changed by -u): warnings show UTF-8 text instead of `?`. */
  msgUtf8?: boolean;
  /** -F: the value is a list of file names; store their contents base64-encoded. */
  valuesAreFiles?: boolean;
  /** Word the "expected format" warning as texthash does. */
  texthash?: boolean;
  /** Receives warnings (without the program name). */
  warn: (text: string) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads `name list` value files as postmap -F does: contents joined by newlines, base64-encoded. */
export function valueFilesToBase64(list: string): { value: string } | { error: string } {
  const names = list.split(/[, \t\r\n]+/).filter((n) => n !== "");
  if (names.length === 0) return { error: `empty pathname list: >>${list}<<'` };
  const parts: Buffer[] = [];
  for (let i = 0; i < names.length; i++) {
    try {
      parts.push(readFileSync(names[i]!));
    } catch (e) {
      return { error: `open ${names[i]}: ${errnoText(e)}` };
    }
    if (i + 1 < names.length) parts.push(Buffer.from("\n"));
  }
  return { value: Buffer.concat(parts).toString("base64") };
}

/** Parses every logical line of `reader` (named `path` in warnings) and hands each entry to `sink`. */
export function parseMapSource(reader: LogicalLineReader, path: string, opts: SourceOptions, sink: EntrySink): void {
  const fold = opts.fold ?? true;
  const utf8 = opts.utf8 ?? false;
  const warn = opts.warn;
  const msgUtf8 = opts.msgUtf8 ?? utf8;
  const lineText = (b: Uint8Array, s: number, e: number) => printableText(decoder.decode(b.subarray(s, e)), msgUtf8);
  while (reader.next()) {
    const b = reader.buf;
    const lineno = reader.lineno;
    let end = reader.end;
    const start = reader.start;
    let ascii = true;
    for (let i = start; i < end; i++) {
      const c = b[i]!;
      if (c === 0) {
        end = i;
        break;
      }
      if (c >= 0x80) ascii = false;
    }
    if (!ascii && utf8 && !isValidUtf8(b.subarray(start, end))) {
      warn(`${path}, line ${lineno}: non-UTF-8 input "${printable(b.subarray(start, end))}" -- ignoring this line`);
      continue;
    }
    // the key ends at the first unquoted white space; a backslash protects the next byte
    let p = start;
    let inQuotes = false;
    for (; p < end; p++) {
      const c = b[p]!;
      if (c === 0x5c) {
        if (++p >= end) break;
      } else if (isSpaceByte(c)) {
        if (!inQuotes) break;
      } else if (c === 0x22) inQuotes = !inQuotes;
    }
    if (inQuotes) {
      warn(`${path}, line ${lineno}: unbalanced '"' in '${lineText(b, start, end)}' -- ignoring this line`);
      continue;
    }
    const keyEnd = Math.min(p, end);
    let vs = keyEnd + 1;
    while (vs < end && isSpaceByte(b[vs]!)) vs++;
    let ve = end;
    while (ve > vs && isSpaceByte(b[ve - 1]!)) ve--;
    if (keyEnd === start || vs >= ve) {
      warn(`${path}, line ${lineno}: expected format: key whitespace value${opts.texthash ? " -- ignoring this line" : ""}`);
      continue;
    }
    if (b[keyEnd - 1] === 0x3a) {
      warn(`${path}, line ${lineno}: record is in "key: value" format; is this an alias file?`);
    }
    let vb = b;
    if (opts.valuesAreFiles) {
      const r = valueFilesToBase64(decoder.decode(b.subarray(vs, ve)));
      if ("error" in r) {
        warn(`${path}, line ${lineno}: ${r.error}: skipping this entry`);
        continue;
      }
      vb = encoder.encode(r.value);
      vs = 0;
      ve = vb.length;
    }
    if (!fold) {
      sink(b, start, keyEnd, vb, vs, ve, lineno);
    } else if (foldAsciiBytes(b, start, keyEnd) || !utf8) {
      sink(b, start, keyEnd, vb, vs, ve, lineno);
    } else {
      const kb = encoder.encode(foldKey(decoder.decode(b.subarray(start, keyEnd)), true));
      sink(kb, 0, kb.length, vb, vs, ve, lineno);
    }
  }
}
