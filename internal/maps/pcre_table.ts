/**
 * pcre_table — `pcre:FILE`: Perl-compatible regular expressions, first match wins (Postfix's pcre_table(5)).
 *
 * The file format, IF/ENDIF, negation and `$n` are pattern_table.ts's. Flags: `i` (caseless) and `s` (dotall)
 * are on by default and toggle; `m` multiline, `x` extended, `A` anchored, `E` dollar-end-only, `U` ungreedy;
 * `X` is obsolete (warned about, ignored); any other letter skips the rule. Patterns are translated into
 * JavaScript (pcre_translate.ts) and run on the key's UTF-8 bytes, one character per byte, as Postfix runs PCRE
 * without UTF mode. A construct without a JavaScript equivalent skips its rule with
 * `pcre map FILE, line N: error in regex at offset K: … is not supported (no JavaScript equivalent)`, so a table
 * never silently matches differently from Postfix.
 */
import { PatternTable, type PatternEngine, type PatternText } from "./pattern_table.ts";
import { translatePcre, type PcreOptions } from "./pcre_translate.ts";
import { msgWarn } from "../log/msg.ts";

const CASELESS = 1;
const MULTILINE = 2;
const DOTALL = 4;
const EXTENDED = 8;
const ANCHORED = 16;
const DOLLAR_ENDONLY = 32;
const UNGREEDY = 64;

interface Compiled {
  re: RegExp;
  groupMap: number[];
  last: RegExpExecArray | null;
}

const engine: PatternEngine<string, Compiled> = {
  type: "pcre",
  parseFlags(flags, map, lineno) {
    let options = CASELESS | DOTALL;
    for (const f of flags) {
      if (f === "i") options ^= CASELESS;
      else if (f === "m") options ^= MULTILINE;
      else if (f === "s") options ^= DOTALL;
      else if (f === "x") options ^= EXTENDED;
      else if (f === "A") options ^= ANCHORED;
      else if (f === "E") options ^= DOLLAR_ENDONLY;
      else if (f === "U") options ^= UNGREEDY;
      else if (f === "X") msgWarn(`pcre map ${map}, line ${lineno}: ignoring obsolete regexp option "X"`);
      else return { skip: `unknown regexp option "${f}": skipping this rule` };
    }
    return { options };
  },
  compile(p: PatternText, options: number) {
    const o: PcreOptions = {
      caseless: (options & CASELESS) !== 0,
      multiline: (options & MULTILINE) !== 0,
      dotall: (options & DOTALL) !== 0,
      extended: (options & EXTENDED) !== 0,
      anchored: (options & ANCHORED) !== 0,
      dollarEndOnly: (options & DOLLAR_ENDONLY) !== 0,
      ungreedy: (options & UNGREEDY) !== 0,
    };
    const t = translatePcre(p.source, o);
    if ("error" in t) {
      return { skip: `error in regex at offset ${t.offset}: ${t.error}` };
    }
    let re: RegExp;
    try {
      re = new RegExp(t.source);
    } catch (e) {
      return { skip: `error in regex at offset 0: ${e instanceof Error ? e.message : String(e)}` };
    }
    return { compiled: { re, groupMap: t.groupMap, last: null }, groups: t.groups };
  },
  prepare(key: string): string {
    return Buffer.from(key).toString("latin1");
  },
  exec(c, subject, want) {
    if (want === 0) return c.re.test(subject);
    c.last = c.re.exec(subject);
    return c.last !== null;
  },
  group(c, _subject, n) {
    const g = c.last?.[c.groupMap[n]!];
    if (g === undefined || g === "") return undefined;
    return Buffer.from(g, "latin1");
  },
  free(c) {
    c.last = null;
  },
};

/** Opens `pcre:NAME`; throws MapError "open" when the file cannot be read. */
export function openPcreTable(name: string): PatternTable<string, Compiled> {
  return new PatternTable(engine, name);
}
