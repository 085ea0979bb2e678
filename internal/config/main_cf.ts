/**
 * main_cf — reads and edits main.cf, Postfix's parameter file.
 *
 * File format (as Postfix reads it):
 *   - A logical line is `name = value`; whitespace around `=` and at the end is ignored.
 *   - Blank lines and lines whose first non-blank character is `#` are comments, also between continuation lines.
 *     There is no trailing comment: a `#` after a value is part of the value.
 *   - A line that starts with whitespace continues the previous logical line (the newline is dropped).
 *     A continuation with nothing to continue draws Postfix's warning and is skipped.
 *   - A name set twice: the last setting wins.
 *
 * `parseMainCf()` throws `ConfigError` with Postfix's text (`FILE, line N: missing '=' after attribute name: "x"`)
 * and reports warnings through a callback. `editMainCf()` rewrites the text for `postconf -e/-X/-#`, keeping every
 * other line, comment and order as it was; the caller replaces the file atomically.
 */
import { FatalError } from "../sys/errors.ts";
import { trimConfigSpace, trimConfigSpaceStart } from "../text/chars.ts";

/** A configuration error: file and line are in the message, as Postfix reports them. */
export class ConfigError extends FatalError {}

/** One `name = value` setting and where it came from. */
export interface MainCfEntry {
  name: string;
  value: string;
  line: number;
}

/** C's isspace(): space, \t, \n, \v, \f, \r. */
function isSpaceAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c === 32 || (c >= 9 && c <= 13);
}

function isBlankOrComment(line: string): boolean {
  const t = line.trimStart();
  return t === "" || t.startsWith("#");
}

/** Splits `name = value` as Postfix's split_nameval() does; returns an error text instead of throwing. */
export function splitNameValue(text: string): { name: string; value: string } | { error: string } {
  const s = trimConfigSpaceStart(text);
  let i = 0;
  while (i < s.length && !isSpaceAt(s, i) && s[i] !== "=") i++;
  const name = s.slice(0, i);
  if (name === "") return { error: "missing attribute name" };
  let j = i;
  while (j < s.length && isSpaceAt(s, j)) j++;
  if (s[j] !== "=") return { error: "missing '=' after attribute name" };
  const value = trimConfigSpace(s.slice(j + 1));
  return { name, value };
}

/** Logical lines of a Postfix configuration file, each with the number of its first physical line. */
export function logicalLines(text: string, onWarning: (msg: string) => void, file: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  let cur: { text: string; line: number } | undefined;
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    if (isBlankOrComment(raw)) continue;
    if (raw[0] === " " || raw[0] === "\t") {
      if (cur) cur.text += raw;
      else onWarning(`${file}: logical line must not start with whitespace: "${raw}"`);
      continue;
    }
    if (cur) out.push(cur);
    cur = { text: raw, line: n + 1 };
  }
  if (cur) out.push(cur);
  return out;
}

/** Parses main.cf text; the returned map holds the last setting of each name. */
export function parseMainCf(text: string, file: string, onWarning: (msg: string) => void): Map<string, MainCfEntry> {
  const out = new Map<string, MainCfEntry>();
  for (const l of logicalLines(text, onWarning, file)) {
    const nv = splitNameValue(l.text);
    if ("error" in nv) throw new ConfigError(`${file}, line ${l.line}: ${nv.error}: "${l.text.trim()}"`);
    out.delete(nv.name); // keep file order of last settings
    out.set(nv.name, { name: nv.name, value: nv.value, line: l.line });
  }
  return out;
}

/** What `postconf -e`, `-X` or `-#` does to each named parameter. */
export type MainCfEdit = { mode: "set"; values: Map<string, string> } | { mode: "delete" | "comment"; names: Set<string> };

/**
 * Rewrites main.cf text: `set` replaces the first logical line of each name in place (dropping its continuation
 * lines) and appends names not found, in the order given (Postfix 3.7 appends them in the order of its hash table,
 * which is seeded at random: no order can be relied on); `delete` removes the logical lines; `comment` prefixes
 * each physical line of them with `#`. Returns the new text and warnings (`multiple entries for "x"`).
 */
export function editMainCf(text: string, file: string, edit: MainCfEdit): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  const found = new Map<string, number>();
  const lines = text.split("\n");
  const trailingNewline = lines.length > 0 && lines[lines.length - 1] === "";
  if (trailingNewline) lines.pop();
  const out: string[] = [];
  let interesting = false;
  const wanted = (name: string) => (edit.mode === "set" ? edit.values.has(name) : edit.names.has(name));
  for (const line of lines) {
    if (isBlankOrComment(line)) {
      out.push(line);
      continue;
    }
    if (line[0] === " " || line[0] === "\t") {
      if (!interesting) out.push(line);
      else if (edit.mode === "comment") out.push(`#${line}`);
      continue;
    }
    const key = /^[^ \t=]*/.exec(line)![0];
    interesting = wanted(key);
    if (!interesting) {
      out.push(line);
      continue;
    }
    const n = (found.get(key) ?? 0) + 1;
    found.set(key, n);
    if (n === 2) warnings.push(`${file}: multiple entries for "${key}"`);
    if (edit.mode === "set") out.push(`${key} = ${edit.values.get(key)}`);
    else if (edit.mode === "comment") out.push(`#${line}`);
  }
  if (edit.mode === "set") {
    for (const [name, value] of edit.values) if (!found.has(name)) out.push(`${name} = ${value}`);
  }
  return { text: out.length === 0 ? "" : `${out.join("\n")}\n`, warnings };
}
