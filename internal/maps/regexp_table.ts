/**
 * regexp_table — `regexp:FILE`: POSIX extended regular expressions, first match wins (Postfix's regexp_table(5)).
 *
 * The file format, IF/ENDIF, negation and `$n` are pattern_table.ts's. Patterns are compiled by the C library
 * (posix_regex.ts) with REG_EXTENDED | REG_ICASE by default; the flags toggle: `i` REG_ICASE, `x` REG_EXTENDED,
 * `m` REG_NEWLINE. Any other letter skips the rule: `unknown regexp option "q": skipping this rule`. A pattern
 * the C library rejects is skipped with its regerror() text: `regexp map FILE, line N: Unmatched ( or \(`.
 * Matching works on the key's UTF-8 bytes in the C locale, as Postfix's does.
 */
import { PatternTable, type PatternEngine, type PatternText } from "./pattern_table.ts";
import { PosixRegex, REG_EXTENDED, REG_ICASE, REG_NEWLINE } from "./posix_regex.ts";

interface Subject {
  bytes: Uint8Array;
}

const engine: PatternEngine<Subject, PosixRegex> = {
  type: "regexp",
  parseFlags(flags) {
    let options = REG_EXTENDED | REG_ICASE;
    for (const f of flags) {
      if (f === "i") options ^= REG_ICASE;
      else if (f === "m") options ^= REG_NEWLINE;
      else if (f === "x") options ^= REG_EXTENDED;
      else return { skip: `unknown regexp option "${f}": skipping this rule` };
    }
    return { options };
  },
  compile(p: PatternText, options: number) {
    const r = PosixRegex.compile(Buffer.from(p.source, "latin1"), options);
    if ("error" in r) return { skip: r.error };
    return { compiled: r, groups: r.nsub };
  },
  prepare(key: string): Subject {
    return { bytes: Buffer.from(`${key}\0`) };
  },
  exec(c, s, want) {
    return c.exec(s.bytes, want);
  },
  group(c, s, n) {
    const a = c.groups[2 * n]!;
    const b = c.groups[2 * n + 1]!;
    if (a < 0 || a === b) return undefined;
    return s.bytes.subarray(a, b);
  },
  free(c) {
    c.free();
  },
};

/** Opens `regexp:NAME`; throws MapError "open" when the file cannot be read. */
export function openRegexpTable(name: string): PatternTable<Subject, PosixRegex> {
  return new PatternTable(engine, name);
}
