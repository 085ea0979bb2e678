/**
 * expand — `$name` expansion in main.cf values, as Postfix's mac_expand() does it.
 *
 * Forms (name characters are [A-Za-z0-9_]):
 *   $name  ${name}  $(name)          the value of name, expanded recursively; undefined gives ""
 *   ${name?text}  ${name?{text}}     text when name is non-empty, else ""
 *   ${name:text}  ${name:{text}}     text when name is empty or undefined, else ""
 *   ${name?{t1}:{t2}}                t1 when non-empty, else t2 (also `?{t1}:t2`)
 *   ${{v1} OP {v2} ? {t1} : {t2}}    relational test, OP one of == != < <= > >= (numeric when both sides are
 *                                    all digits, else lexical), and Postfix's `<level` (compatibility levels
 *                                    compared as dotted numbers: 3.6 <level 3.10)
 *   $$                               a literal $
 * Whitespace around {…} is ignored. Text inside {…} and after ? or : is itself expanded.
 *
 * Contract: `expandValue()` never reads files; it asks `lookup(name)` for raw (unexpanded) values and reports
 * undefined names through `onUndefined`. Malformed input (`$` at the end, an unterminated `${`, nesting deeper
 * than 100 levels, a loop) throws `ExpandError`, whose message is Postfix's warning text.
 */
import { PostkitError } from "../sys/errors.ts";
import { isAllDigits, isNameCode, nameEnd } from "../text/chars.ts";

/** A value that cannot be expanded: `message` is the Postfix warning (e.g. `truncated macro reference: "${x"`). */
export class ExpandError extends PostkitError {}

/** How expandValue() finds values. */
export interface ExpandContext {
  /** Raw value of `name`, or undefined when it has no value at all. */
  lookup(name: string): string | undefined;
  /** True when `name`'s value must be used verbatim, without further expansion (raw parameters). */
  isRaw?(name: string): boolean;
  /** Called once per reference to an undefined name. */
  onUndefined?(name: string): void;
}

const MAX_DEPTH = 100;

/** Index just past the brace or parenthesis that closes the one at `open`, or -1. */
function matchClose(s: string, open: number): number {
  const o = s[open]!;
  const c = o === "{" ? "}" : ")";
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === o) depth++;
    else if (s[i] === c && --depth === 0) return i + 1;
  }
  return -1;
}

/** Strips whitespace and one level of {…} around text, as Postfix does for ?{…} and :{…} operands. */
function unbrace(text: string): { text: string; braced: boolean } {
  const t = text.trim();
  if (t.startsWith("{") && matchClose(t, 0) === t.length) return { text: t.slice(1, -1).trim(), braced: true };
  return { text: t, braced: false };
}

function compareLevels(a: string, b: string): number {
  const pa = a.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function relational(left: string, op: string, right: string): boolean {
  let cmp: number;
  if (op === "<level" || op === "<=level" || op === ">level" || op === ">=level" || op === "==level" || op === "!=level") {
    cmp = compareLevels(left, right);
    op = op.slice(0, -5);
  } else if (isAllDigits(left) && isAllDigits(right)) {
    cmp = Number(left) - Number(right);
  } else cmp = left < right ? -1 : left > right ? 1 : 0;
  switch (op) {
    case "==": return cmp === 0;
    case "!=": return cmp !== 0;
    case "<": return cmp < 0;
    case "<=": return cmp <= 0;
    case ">": return cmp > 0;
    case ">=": return cmp >= 0;
  }
  throw new ExpandError(`unknown operator: "${op}"`);
}

class Expander {
  constructor(private readonly ctx: ExpandContext) {}

  value(name: string, depth: number, stack: string[]): string {
    const raw = this.ctx.lookup(name);
    if (raw === undefined) {
      this.ctx.onUndefined?.(name);
      return "";
    }
    if (this.ctx.isRaw?.(name)) return raw;
    if (depth >= MAX_DEPTH || stack.includes(name)) throw new ExpandError(`unreasonable macro call nesting: "${name}"`);
    stack.push(name);
    try {
      return this.text(raw, depth + 1, stack);
    } finally {
      stack.pop();
    }
  }

  text(s: string, depth: number, stack: string[]): string {
    if (!s.includes("$")) return s;
    let out = "";
    let i = 0;
    while (i < s.length) {
      const d = s.indexOf("$", i);
      if (d < 0) {
        out += s.slice(i);
        break;
      }
      out += s.slice(i, d);
      const c = s[d + 1];
      if (c === "$") {
        out += "$";
        i = d + 2;
      } else if (c === "{" || c === "(") {
        const end = matchClose(s, d + 1);
        if (end < 0) throw new ExpandError(`truncated macro reference: "${s.slice(d)}"`);
        out += this.reference(s.slice(d + 2, end - 1), c === "{", depth, stack, s.slice(d, end));
        i = end;
      } else if (c !== undefined && isNameCode(c.charCodeAt(0))) {
        const end = nameEnd(s, d + 1);
        out += this.value(s.slice(d + 1, end), depth, stack);
        i = end;
      } else throw new ExpandError(`empty macro name: "${s}"`);
    }
    return out;
  }

  reference(inner: string, braced: boolean, depth: number, stack: string[], whole: string): string {
    const body = inner.trimStart();
    if (braced && body.startsWith("{")) return this.relationalRef(body, depth, stack, whole);
    const name = body.slice(0, nameEnd(body, 0));
    if (name === "") throw new ExpandError(`empty macro name: "${whole}"`);
    const rest = body.slice(name.length);
    if (rest.trim() === "") return this.value(name, depth, stack);
    const op = rest[0];
    if (op !== "?" && op !== ":") throw new ExpandError(`bad macro reference: "${whole}"`);
    // the condition needs the name's value; an undefined name simply counts as empty here
    const raw = this.ctx.lookup(name);
    if (raw === undefined) this.ctx.onUndefined?.(name);
    const nonEmpty = raw !== undefined && raw !== "" && (this.ctx.isRaw?.(name) ? raw : this.value(name, depth, stack)) !== "";
    const operand = rest.slice(1);
    if (op === ":") return nonEmpty ? "" : this.text(unbrace(operand).text, depth, stack);
    // `?{t1}:{t2}` or `?{t1}:t2` or plain `?text`
    const t = operand.trimStart();
    if (t.startsWith("{")) {
      const end = matchClose(t, 0);
      if (end < 0) throw new ExpandError(`truncated macro reference: "${whole}"`);
      const after = t.slice(end).trimStart();
      const t1 = t.slice(1, end - 1).trim();
      if (after.startsWith(":")) {
        return this.text(nonEmpty ? t1 : unbrace(after.slice(1)).text, depth, stack);
      }
      if (after !== "") throw new ExpandError(`bad macro reference: "${whole}"`);
      return nonEmpty ? this.text(t1, depth, stack) : "";
    }
    return nonEmpty ? this.text(t.trim(), depth, stack) : "";
  }

  relationalRef(body: string, depth: number, stack: string[], whole: string): string {
    const parts: string[] = [];
    let s = body;
    const takeBraced = (): string => {
      s = s.trimStart();
      if (!s.startsWith("{")) throw new ExpandError(`bad macro reference: "${whole}"`);
      const end = matchClose(s, 0);
      if (end < 0) throw new ExpandError(`truncated macro reference: "${whole}"`);
      const v = s.slice(1, end - 1).trim();
      s = s.slice(end);
      return v;
    };
    parts.push(takeBraced());
    s = s.trimStart();
    const opm = /^(==|!=|<=|>=|<|>)(level)?/.exec(s) ?? /^(<level|<=level|>level|>=level)/.exec(s);
    if (!opm) throw new ExpandError(`bad macro reference: "${whole}"`);
    const op = opm[0];
    s = s.slice(op.length);
    parts.push(takeBraced());
    s = s.trimStart();
    if (!s.startsWith("?")) throw new ExpandError(`bad macro reference: "${whole}"`);
    s = s.slice(1);
    const t1 = takeBraced();
    s = s.trimStart();
    let t2 = "";
    if (s.startsWith(":")) {
      s = s.slice(1);
      t2 = takeBraced();
    }
    if (s.trim() !== "") throw new ExpandError(`bad macro reference: "${whole}"`);
    const left = this.text(parts[0]!, depth, stack);
    const right = this.text(parts[1]!, depth, stack);
    return this.text(relational(left, op, right) ? t1 : t2, depth, stack);
  }
}

/** Expands every `$` reference in `value`. */
export function expandValue(value: string, ctx: ExpandContext): string {
  return new Expander(ctx).text(value, 0, []);
}

/** Names that `value` references through $name, ${name…} or $(name), without expanding anything. */
export function referencedNames(value: string): string[] {
  // a scan (postconf runs this for every parameter set): `$$` is skipped, `${ name`/`$( name` and `$name` count
  const out: string[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) !== 36 /* $ */) continue;
    const c = value.charCodeAt(i + 1);
    if (c === 36) {
      i++;
      continue;
    }
    let start = i + 1;
    if (c === 123 /* { */ || c === 40 /* ( */) {
      start = i + 2;
      while (start < value.length && isRegexSpace(value.charCodeAt(start))) start++;
    }
    const end = nameEnd(value, start);
    if (end === start) continue;
    out.push(value.slice(start, end));
    i = end - 1;
  }
  return out;
}

/** What `\s` matches in a regular expression. */
function isRegexSpace(c: number): boolean {
  return (c >= 9 && c <= 13) || c === 32 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}
