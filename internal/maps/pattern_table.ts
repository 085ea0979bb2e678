/**
 * pattern_table — what `regexp:` and `pcre:` tables share: the file format, IF/ENDIF blocks, negation and `$n`
 * substitution. The engines (posix_regex.ts, pcre_translate.ts) only compile and run single patterns.
 *
 * FORMAT (each logical line, see logical_lines.ts, trailing white space removed)
 *   /pattern/flags  result            first matching rule wins; any delimiter character may replace `/`
 *   !/pattern/flags result            the rule matches when the pattern does not
 *   /p1/flags!/p2/flags result        regexp only: p1 matches and p2 does not
 *   if /pattern/flags  …  endif       rules inside are tried only when the pattern matches (nesting allowed;
 *                                     `if !/pattern/` negates; IF and ENDIF are case-insensitive)
 *   result: `$1`…`$99`, `${1}`, `$(1)` insert the matched text of a group (nothing when it matched nothing);
 *   `$$` is a dollar sign. `$n` in a negated rule, a non-numeric `$name`, or a number larger than the count of
 *   groups skips the rule with a warning.
 * Flags, regexp: i (case folding, on by default, toggles), m (REG_NEWLINE), x (toggles REG_EXTENDED).
 * Flags, pcre:   i and s (on by default, toggle), m, x, A (anchored), E (dollar end only), U (ungreedy),
 *                X (obsolete, warned about and ignored).
 *
 * Every problem on a line is a warning `TYPE map FILE, line N: …` (Postfix's exact texts) and the line is
 * skipped, as Postfix does; a table therefore always opens unless the file cannot be read (MapError "open").
 * Lookups never fold the key: case sensitivity is the rule's business. Not listable (`postmap -s` says so).
 */
import { closeSync, fstatSync, openSync, type Stats } from "node:fs";
import { LogicalLineReader, isSpaceByte } from "./logical_lines.ts";
import { MapError, fileChangedSince, sequenceNotSupported } from "./map_error.ts";
import type { LookupTable } from "./table.ts";
import { errnoText } from "../sys/errno.ts";
import { msgWarn } from "../log/msg.ts";

/** A pattern's text and options, as cut from a rule line. */
export interface PatternText {
  /** Pattern characters between the delimiters (a binary string: one char per byte). */
  source: string;
  /** Option letters after the closing delimiter. */
  flags: string;
  /** False for `!/pattern/`. */
  match: boolean;
}

/** One regular-expression engine: compiles a pattern and runs it on a prepared subject. */
export interface PatternEngine<S, C> {
  /** "regexp" or "pcre", as in the messages. */
  readonly type: string;
  /** Applies the option letters; returns the options, or the warning text that skips the rule. */
  parseFlags(flags: string, map: string, lineno: number): { options: number } | { skip: string };
  /** Compiles; returns the compiled pattern and its group count, or a warning text (the rule is skipped). */
  compile(p: PatternText, options: number, map: string, lineno: number): { compiled: C; groups: number } | { skip: string };
  /** Turns a lookup key into what exec() takes. */
  prepare(key: string): S;
  /** Runs a pattern; `want` = how many groups the result needs. An engine error returns a warning text. */
  exec(c: C, subject: S, want: number): boolean | { error: string };
  /** Bytes of group `n` of the last exec() of `c`, or undefined when it did not take part or is empty. */
  group(c: C, subject: S, n: number): Uint8Array | undefined;
  /** Releases a compiled pattern. */
  free(c: C): void;
}

type Part = string | number;

interface MatchRule<C> {
  op: "match";
  lineno: number;
  first: C;
  firstMatch: boolean;
  second?: C;
  secondMatch: boolean;
  parts: Part[];
  maxSub: number;
  literal?: string;
}
interface IfRule<C> {
  op: "if";
  lineno: number;
  expr: C;
  match: boolean;
  endif: number;
}
interface EndifRule {
  op: "endif";
  lineno: number;
}
type Rule<C> = MatchRule<C> | IfRule<C> | EndifRule;

function isAlnumChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9]/.test(c);
}

function isSpaceChar(c: string | undefined): boolean {
  return c !== undefined && isSpaceByte(c.charCodeAt(0));
}

/**
 * Postfix's mac_parse() for replacement text: literal runs and `$name` / `${name}` / `$(name)` references.
 * Returns false (after its warnings) on a syntax error; a name that `onName` rejects does not stop the scan.
 */
export function parseReplacement(text: string, warn: (t: string) => void, onName: (name: string) => boolean, onLiteral: (s: string) => void): boolean {
  let lit = "";
  let i = 0;
  let failed = false;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== "$") {
      lit += c;
      i++;
      continue;
    }
    if (text[i + 1] === "$") {
      lit += "$";
      i += 2;
      continue;
    }
    if (lit !== "") {
      onLiteral(lit);
      lit = "";
    }
    i++;
    let name: string;
    const open = text[i];
    if (open === "{" || open === "(") {
      const close = open === "{" ? "}" : ")";
      let level = 1;
      let e = i + 1;
      for (; level > 0; e++) {
        if (e >= text.length) {
          warn(`truncated macro reference: "${text}"`);
          return false;
        }
        if (text[e] === open) level++;
        if (text[e] === close) level--;
      }
      name = text.slice(i + 1, e - 1);
      i = e;
    } else {
      let e = i;
      while (e < text.length && /[A-Za-z0-9_]/.test(text[e]!)) e++;
      name = text.slice(i, e);
      i = e;
    }
    if (name === "") {
      warn(`empty macro name: "${text}"`);
      return false;
    }
    if (!onName(name)) failed = true;
  }
  if (lit !== "" && !failed) onLiteral(lit);
  return !failed;
}

/** Cuts `[!…]DELIM pattern DELIM flags` from the start of `line`; `stopAtBang` ends flags at `!` (regexp). */
function cutPattern(line: string, pos: number, stopAtBang: boolean): { pat: PatternText; end: number } | { none: true } | { unclosed: string } {
  let p = pos;
  let match = true;
  for (;;) {
    if (line[p] === "!") match = !match;
    else if (!isSpaceChar(line[p])) break;
    p++;
  }
  if (p >= line.length) return { none: true };
  const delim = line[p++]!;
  const start = p;
  while (p < line.length) {
    if (line[p] === "\\") {
      if (p + 1 < line.length) p++;
      else break;
    } else if (line[p] === delim) break;
    p++;
  }
  if (p >= line.length) return { unclosed: delim };
  const source = line.slice(start, p);
  p++;
  const fs = p;
  while (p < line.length && !isSpaceChar(line[p]) && !(stopAtBang && line[p] === "!")) p++;
  return { pat: { source, flags: line.slice(fs, p), match }, end: p };
}

/** A regexp or pcre table. */
export class PatternTable<S, C> implements LookupTable {
  readonly fixed = false;
  readonly type: string;
  private rules: Rule<C>[] = [];
  private st: Stats;

  constructor(
    private readonly engine: PatternEngine<S, C>,
    readonly name: string,
  ) {
    this.type = engine.type;
    let fd: number;
    try {
      fd = openSync(name, "r");
    } catch (e) {
      throw new MapError("open", `open ${name}: ${errnoText(e)}`, { cause: e });
    }
    try {
      this.st = fstatSync(fd);
      const reader = new LogicalLineReader(fd, name, msgWarn);
      const stack: number[] = [];
      while (reader.next()) {
        // one char per byte, so patterns are matched on bytes as Postfix does
        const line = Buffer.from(reader.buf.buffer, reader.buf.byteOffset + reader.start, reader.end - reader.start).toString("latin1");
        let e = line.length;
        while (e > 0 && isSpaceChar(line[e - 1])) e--;
        const nul = line.indexOf("\0");
        const text = line.slice(0, nul >= 0 && nul < e ? nul : e);
        if (text === "") continue;
        const rule = this.parseLine(text, reader.lineno, stack.length);
        if (!rule) continue;
        if (rule.op === "if") stack.push(this.rules.length);
        else if (rule.op === "endif") {
          const at = stack.pop()!;
          (this.rules[at] as IfRule<C>).endif = this.rules.length;
        }
        this.rules.push(rule);
      }
      while (stack.length > 0) {
        const at = stack.pop()!;
        msgWarn(`${this.type} map ${name}, line ${this.rules[at]!.lineno}: IF has no matching ENDIF`);
      }
    } catch (e) {
      if (e instanceof MapError) throw e;
      throw new MapError("open", `read ${name}: ${errnoText(e)}`, { cause: e });
    } finally {
      closeSync(fd);
    }
  }

  private warn(lineno: number, text: string): void {
    msgWarn(`${this.type} map ${this.name}, line ${lineno}: ${printableLatin1(text)}`);
  }

  private compileOne(p: PatternText, options: number, lineno: number): { compiled: C; groups: number } | undefined {
    const c = this.engine.compile(p, options, this.name, lineno);
    if ("skip" in c) {
      this.warn(lineno, c.skip);
      return undefined;
    }
    return c;
  }

  /** Cuts one pattern and parses its flags; undefined (after the warning) when the rule must be skipped. */
  private pattern(line: string, pos: number, lineno: number): { pat: PatternText; options: number; end: number } | undefined {
    const regexp = this.type === "regexp";
    const cut = cutPattern(line, pos, regexp);
    if ("none" in cut) return void this.warn(lineno, "no regexp: skipping this rule");
    if ("unclosed" in cut) {
      return void this.warn(lineno, `no closing regexp delimiter "${cut.unclosed}": ${regexp ? "skipping" : "ignoring"} this rule`);
    }
    const f = this.engine.parseFlags(cut.pat.flags, this.name, lineno);
    if ("skip" in f) return void this.warn(lineno, f.skip);
    return { pat: cut.pat, options: f.options, end: cut.end };
  }

  private parseLine(line: string, lineno: number, nesting: number): Rule<C> | undefined {
    const regexp = this.type === "regexp";
    const NOSUB = regexp ? 8 : 0;
    if (!isAlnumChar(line[0])) {
      const first = this.pattern(line, 0, lineno);
      if (!first) return undefined;
      let p = first.end;
      let second: { pat: PatternText; options: number; end: number } | undefined;
      if (regexp && line[p] === "!") {
        second = this.pattern(line, p, lineno);
        if (!second) return undefined;
        p = second.end;
      }
      while (p < line.length && isSpaceChar(line[p])) p++;
      const replacement = line.slice(p);
      if (replacement === "") this.warn(lineno, "no replacement text: using empty string");
      const parts: Part[] = [];
      let maxSub = 0;
      const ok = parseReplacement(
        replacement,
        (t) => msgWarn(printableLatin1(t)),
        (name) => {
          if (!/^[0-9]+$/.test(name)) {
            this.warn(lineno, `non-numeric replacement index "${name}"`);
            return false;
          }
          const n = Number(name);
          if (n < 1) {
            this.warn(lineno, `${regexp ? "out-of-range" : "out of range"} replacement index "${name}"`);
            return false;
          }
          maxSub = Math.max(maxSub, n);
          parts.push(n);
          return true;
        },
        (s) => parts.push(s),
      );
      if (!ok) return void this.warn(lineno, "bad replacement syntax: skipping this rule");
      if (maxSub > 0 && !first.pat.match) {
        return void this.warn(lineno, "$number found in negative match replacement text: skipping this rule");
      }
      const c1 = this.compileOne(first.pat, first.options | (maxSub === 0 ? NOSUB : 0), lineno);
      if (!c1) return undefined;
      if (maxSub > c1.groups) {
        this.engine.free(c1.compiled);
        return void this.warn(lineno, `out of range replacement index "${maxSub}": skipping this rule`);
      }
      let c2: { compiled: C; groups: number } | undefined;
      if (second) {
        c2 = this.compileOne(second.pat, second.options | NOSUB, lineno);
        if (!c2) {
          this.engine.free(c1.compiled);
          return undefined;
        }
      }
      return {
        op: "match",
        lineno,
        first: c1.compiled,
        firstMatch: first.pat.match,
        second: c2?.compiled,
        secondMatch: second?.pat.match ?? true,
        parts,
        maxSub,
        literal: maxSub === 0 ? latin1ToUtf8(parts.join("")) : undefined,
      };
    }
    if (/^if/i.test(line) && !isAlnumChar(line[2])) {
      let p = 2;
      while (p < line.length && isSpaceChar(line[p])) p++;
      const pat = this.pattern(line, p, lineno);
      if (!pat) return undefined;
      let q = pat.end;
      while (q < line.length && isSpaceChar(line[q])) q++;
      if (q < line.length) {
        this.warn(lineno, `ignoring extra text after IF statement: "${line.slice(q)}"`);
        this.warn(lineno, "do not prepend whitespace to statements between IF and ENDIF");
      }
      const c = this.compileOne(pat.pat, pat.options, lineno);
      if (!c) return undefined;
      return { op: "if", lineno, expr: c.compiled, match: pat.pat.match, endif: -1 };
    }
    if (/^endif/i.test(line) && !isAlnumChar(line[5])) {
      if (nesting === 0) return void this.warn(lineno, "ignoring ENDIF without matching IF");
      let q = 5;
      while (q < line.length && isSpaceChar(line[q])) q++;
      if (q < line.length) this.warn(lineno, "ignoring extra text after ENDIF");
      return { op: "endif", lineno };
    }
    return void this.warn(lineno, "ignoring unrecognized request");
  }

  private run(c: C, subject: S, match: boolean, want: number, lineno: number): boolean {
    const r = this.engine.exec(c, subject, want);
    if (typeof r === "boolean") return r === match;
    this.warn(lineno, r.error);
    return false;
  }

  /** The result of the first matching rule, with `$n` replaced, or undefined. */
  lookup(key: string): string | undefined {
    const subject = this.engine.prepare(key);
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (rule.op === "match") {
        if (!this.run(rule.first, subject, rule.firstMatch, rule.maxSub, rule.lineno)) continue;
        if (rule.second !== undefined && !this.run(rule.second, subject, rule.secondMatch, 0, rule.lineno)) continue;
        if (rule.literal !== undefined) return rule.literal;
        const out: number[] = [];
        for (const part of rule.parts) {
          if (typeof part === "number") {
            const g = this.engine.group(rule.first, subject, part);
            if (g) for (const b of g) out.push(b);
          } else for (let k = 0; k < part.length; k++) out.push(part.charCodeAt(k));
        }
        return new TextDecoder().decode(new Uint8Array(out));
      }
      if (rule.op === "if") {
        if (this.run(rule.expr, subject, rule.match, 0, rule.lineno)) continue;
        if (rule.endif < 0) return undefined;
        i = rule.endif;
      }
    }
    return undefined;
  }

  entries(): Iterable<[string, string]> {
    sequenceNotSupported(this.type, this.name);
  }

  changed(): boolean {
    return fileChangedSince(this.name, this.st);
  }

  close(): void {
    for (const r of this.rules) {
      if (r.op === "match") {
        this.engine.free(r.first);
        if (r.second !== undefined) this.engine.free(r.second);
      } else if (r.op === "if") this.engine.free(r.expr);
    }
    this.rules = [];
  }
}

/** A binary string (one char per byte) read back as UTF-8 text. */
export function latin1ToUtf8(s: string): string {
  return Buffer.from(s, "latin1").toString("utf8");
}

/** Warning text from a binary string: UTF-8 decoded, control characters shown as `?`. */
function printableLatin1(s: string): string {
  return latin1ToUtf8(s).replace(/[\x00-\x1f\x7f]/g, "?");
}
