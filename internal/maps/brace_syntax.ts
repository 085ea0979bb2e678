/**
 * brace_syntax — the `{ ... }` notation of table names (`inline:{a=b, {c = d e}}`, `unionmap:{t1, t2}`,
 * `static:{ text }`), with Postfix's splitting rules and error texts.
 *
 *   balancedLength("{a{b}}c")  length of the leading balanced {...}, 0 when there is none
 *   extractBraced(text)        the inside of `{...}` trimmed, or Postfix's error text
 *   splitOutsideBraces(text)   tokens separated by comma or white space, not splitting inside {...}
 *   splitNameValue("k = v")    `key = value` with an optionally quoted key
 * Pure functions; errors are returned as text, never thrown.
 */
import { isSpaceByte } from "./logical_lines.ts";

const SEPARATORS = ", \t\r\n";

function isSpace(ch: string): boolean {
  return isSpaceByte(ch.charCodeAt(0));
}

/** Length of the balanced `{...}` at the start of `s`, or 0 when `s` does not start with one. */
export function balancedLength(s: string): number {
  if (s[0] !== "{") return 0;
  let level = 1;
  for (let i = 1; i < s.length; i++) {
    if (s[i] === "}") {
      if (--level === 0) return i + 1;
    } else if (s[i] === "{") level++;
  }
  return 0;
}

/** Postfix's extpar() with stripping: the text inside `{...}`, trimmed; `error` as Postfix words it. */
export function extractBraced(s: string): { text: string; error?: string } {
  if (s[0] !== "{") return { text: s.trim(), error: `no '{' at start of text in "${s}"` };
  const len = balancedLength(s);
  if (len === 0) return { text: s.slice(1).trim(), error: `missing '}' in "${s}"` };
  const inner = s.slice(1, len - 1);
  let a = 0;
  let b = inner.length;
  while (a < b && isSpace(inner[a]!)) a++;
  while (b > a && isSpace(inner[b - 1]!)) b--;
  const text = inner.slice(a, b);
  if (len !== s.length) return { text, error: `syntax error after '}' in "${s}"` };
  return { text };
}

/** Postfix's mystrtokq() loop: tokens separated by comma or white space; {...} groups are kept whole. */
export function splitOutsideBraces(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && SEPARATORS.includes(s[i]!)) i++;
    if (i >= s.length) break;
    const start = i;
    let level = 0;
    for (; i < s.length; i++) {
      const c = s[i]!;
      if (c === "{") level++;
      else if (level > 0 && c === "}") level--;
      else if (level === 0 && SEPARATORS.includes(c)) break;
    }
    out.push(s.slice(start, i));
  }
  return out;
}

/** Postfix's split_qnameval(): `key = value`, the key optionally in double quotes (kept as written). */
export function splitNameValue(s: string): { key: string; value: string } | { error: string } {
  let k = 0;
  while (k < s.length && isSpace(s[k]!)) k++;
  if (k >= s.length) return { error: "no key found; expected format: key = value" };
  let e = k;
  let inQuotes = false;
  for (; e < s.length; e++) {
    const c = s[e]!;
    if (c === "\\") {
      if (++e >= s.length) break;
    } else if (isSpace(c) || c === "=") {
      if (!inQuotes) break;
    } else if (c === '"') inQuotes = !inQuotes;
  }
  if (inQuotes) return { error: `unbalanced '"'` };
  let v = Math.min(e, s.length);
  while (v < s.length && isSpace(s[v]!)) v++;
  if (s[v] !== "=") return { error: "missing '=' after attribute name" };
  const key = s.slice(k, Math.min(e, s.length));
  v++;
  while (v < s.length && isSpace(s[v]!)) v++;
  let end = s.length;
  while (end > v && isSpace(s[end - 1]!)) end--;
  return { key, value: s.slice(v, end) };
}
