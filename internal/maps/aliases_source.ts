/**
 * aliases_source — the aliases(5) file format, parsed as Postfix's postalias(1) parses it.
 *
 * FORMAT
 *   Logical lines as in logical_lines.ts (comments, blank lines, indented continuation lines).
 *   `name: value, value, …` where each value is an address, `/file/name`, `|command`, or `:include:/file`
 *   (interpreted by local(8), not here). Text containing white space or special characters is written in double
 *   quotes: `"|/usr/bin/prog arg"`. To store an empty value, write `""`.
 *
 * PARSING (RFC 822 tokens, as Postfix's tok822_scan())
 *   Tokens are atoms, "quoted strings", [domain literals], (comments, nested), and the operators
 *   | % ! ( ) < > @ , ; : \ " . [ ]. A backslash protects the next character.
 *   The first `:` token splits name from value. It needs tokens on both sides and no `,` before it, else
 *   `FILE, line N: need name:value pair`; an `@` or `%` in the name gives `FILE, line N: name must be local`.
 *   The name is stored in internal form (quotes removed, `"quoted name"` → `quoted name`) and folded; the value
 *   in external form, re-serialised from its tokens: `alice,bob ,\n   carol` → `alice, bob, carol`.
 *
 * Pure: parseAliasLine() returns the entry or the warning text; it never throws.
 */

const OPCHARS = '|%!()<>@,;:\\".[]';

type TokType = "atom" | "qstring" | "domlit" | "comment" | "op";

/** One RFC 822 token. */
export interface Token {
  type: TokType;
  /** The text (for "op", the operator character). */
  text: string;
}

function isSpaceTabCrLf(c: string): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

/** Postfix's tok822_scan(): the tokens of a string. */
export function scanTokens(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const collect = (cond: (c: string) => boolean): string => {
    let t = "";
    while (i < s.length) {
      let c = s[i]!;
      if (c === "\\") {
        if (++i >= s.length) break;
        c = s[i]!;
      } else if (!cond(c)) break;
      t += isSpaceTabCrLf(c) ? " " : c;
      i++;
    }
    return t;
  };
  while (i < s.length) {
    const c = s[i++]!;
    if (isSpaceTabCrLf(c)) continue;
    if (c === "(") {
      let level = 1;
      let t = "(";
      while (i < s.length) {
        const ch = s[i++]!;
        t += ch;
        if (ch === "(") level++;
        else if (ch === ")") {
          if (--level === 0) break;
        } else if (ch === "\\") {
          if (i >= s.length) break;
          t += s[i++];
        }
      }
      out.push({ type: "comment", text: t });
    } else if (c === "[") {
      const t = collect((ch) => ch !== "]");
      if (i < s.length) i++;
      out.push({ type: "domlit", text: t });
    } else if (c === '"') {
      const t = collect((ch) => ch !== '"');
      if (i < s.length) i++;
      out.push({ type: "qstring", text: t });
    } else if (c !== "\\" && OPCHARS.includes(c)) {
      out.push({ type: "op", text: c });
    } else {
      i--;
      const t = collect((ch) => !isSpaceTabCrLf(ch) && !OPCHARS.includes(ch));
      // an atom that would need quoting becomes a quoted string
      const quoted = /[\x00-\x1f\x7f ]/.test(t) || [...t].some((ch) => OPCHARS.includes(ch));
      out.push({ type: quoted ? "qstring" : "atom", text: t });
    }
  }
  return out;
}

function nonOperator(t: Token): boolean {
  return t.type !== "op";
}

function spaceAfter(tokens: Token[], i: number): boolean {
  const t = tokens[i]!;
  const next = tokens[i + 1];
  if (!next) return false;
  if (t.type === "op" && t.text === ",") return true;
  if (next.type === "op" && next.text === "<") return true;
  return nonOperator(t) && nonOperator(next);
}

/** Postfix's tok822_internalize(): tokens back to text, quotes removed. */
export function internalize(tokens: Token[]): string {
  let s = "";
  tokens.forEach((t, i) => {
    s += t.type === "domlit" ? `[${t.text}]` : t.text;
    if (spaceAfter(tokens, i)) s += " ";
  });
  return s;
}

function quoteChars(text: string, set: string): string {
  let s = "";
  for (const c of text) s += set.includes(c) ? `\\${c}` : c;
  return s;
}

/** Postfix's tok822_externalize(): tokens back to text, quoted where needed, `, ` after commas. */
export function externalize(tokens: Token[]): string {
  let s = "";
  tokens.forEach((t, i) => {
    if (t.type === "op" && t.text === ",") {
      s += ", ";
      return;
    }
    if (t.type === "qstring") s += `"${quoteChars(t.text, '"\\\r\n')}"`;
    else if (t.type === "domlit") s += `[${quoteChars(t.text, "\\\r\n")}]`;
    else s += t.text;
    if (spaceAfter(tokens, i)) s += " ";
  });
  return s;
}

/** Parses one logical line: the (unfolded) name and the value, a warning text, or nothing for an empty line. */
export function parseAliasLine(line: string): { name: string; value: string } | { warning: string } | undefined {
  const tokens = scanTokens(line);
  if (tokens.length === 0) return undefined;
  const colon = tokens.findIndex((t) => t.type === "op" && t.text === ":");
  if (colon <= 0 || colon === tokens.length - 1 || tokens.slice(0, colon).some((t) => t.type === "op" && t.text === ",")) {
    return { warning: "need name:value pair" };
  }
  if (tokens.slice(0, colon).some((t) => t.type === "op" && (t.text === "@" || t.text === "%"))) {
    return { warning: "name must be local" };
  }
  return { name: internalize(tokens.slice(0, colon)), value: externalize(tokens.slice(colon + 1)) };
}
