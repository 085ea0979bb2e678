import { describe, expect, test } from "bun:test";
import { translatePcre, type PcreOptions } from "./pcre_translate.ts";

const DEFAULT: PcreOptions = { caseless: true, multiline: false, dotall: true, extended: false, anchored: false, dollarEndOnly: false, ungreedy: false };

/** Runs a PCRE pattern as pcre_table does: on the UTF-8 bytes of the subject. */
function match(pattern: string, subject: string, opts: Partial<PcreOptions> = {}): (string | undefined)[] | null {
  const t = translatePcre(Buffer.from(pattern).toString("latin1"), { ...DEFAULT, ...opts });
  if ("error" in t) throw new Error(t.error);
  const m = new RegExp(t.source).exec(Buffer.from(subject).toString("latin1"));
  if (!m) return null;
  return t.groupMap.map((js) => (m[js] === undefined ? undefined : Buffer.from(m[js]!, "latin1").toString()));
}

describe("translatePcre()", () => {
  test.each([
    ["caseless by default", "^abc$", "ABC", true, {}],
    ["case-sensitive when i is toggled off", "^abc$", "ABC", false, { caseless: false }],
    ["(?-i) inline", "^a(?-i)b$", "Ab", true, {}],
    ["(?-i) inline rejects", "^a(?-i)b$", "AB", false, {}],
    ["(?i:...) group", "^x(?i:ab)y$", "xABy", true, { caseless: false }],
    ["dot matches newline by default (s)", "^a.b$", "a\nb", true, {}],
    ["dot stops at newline without s", "^a.b$", "a\nb", false, { dotall: false }],
    ["$ before a final newline", "^ab$", "ab\n", true, {}],
    ["$ end-only with E", "^ab$", "ab\n", false, { dollarEndOnly: true }],
    ["multiline ^", "^b", "a\nb", true, { multiline: true }],
    ["not multiline ^", "^b", "a\nb", false, {}],
    ["anchored A", "b", "ab", false, { anchored: true }],
    ["extended x", "^a b # comment\n c$", "abc", true, { extended: true }],
    ["\\d \\s \\w", "^\\d\\s\\w$", "1 _", true, {}],
    ["\\s does not match NBSP byte", "^\\s$", "\u00a0", false, {}],
    ["POSIX class", "^[[:digit:]]+$", "123", true, {}],
    ["negated class matches newline", "^[^a]$", "\n", true, {}],
    ["\\Q...\\E", "^a\\Q.*\\E$", "a.*", true, {}],
    ["\\Q...\\E is literal", "^a\\Q.*\\E$", "aXX", false, {}],
    ["octal and hex escapes", "^\\101\\x42\\x{43}\\o{104}$", "ABCD", true, { caseless: false }],
    ["atomic group gives up nothing", "^(?>a+)ab$", "aaab", false, {}],
    ["possessive quantifier", "^a++b$", "aaab", true, {}],
    ["possessive quantifier gives up nothing", "^a++ab$", "aaab", false, {}],
    ["dot counts bytes, as PCRE without UTF", "^..$", "é", true, {}],
    ["caseless does not fold non-ASCII bytes", "^é$", "É", false, {}],
    ["back reference", "^(.)\\1$", "aa", true, {}],
    ["caseless back reference", "^(a)\\1$", "aA", true, {}],
    ["named group and \\k<name>", "^(?<x>a)\\k<x>$", "aa", true, {}],
    ["\\R", "^a\\Rb$", "a\r\nb", true, {}],
    ["\\h", "^a\\hb$", "a\tb", true, {}],
    ["{n,m}", "^a{2,3}$", "aaaa", false, {}],
    ["literal brace", "^a{x}$", "a{x}", true, {}],
  ])("%s", (_label, pattern, subject, expected, opts) => {
    expect(match(pattern, subject, opts) !== null).toBe(expected);
  });

  test("group numbers stay PCRE's when atomic groups add JavaScript captures", () => {
    expect(match("^(?>(a+))(b)(?>c++)(d)$", "aabccd")).toEqual(["aabccd", "aa", "b", "d"]);
  });

  test("U swaps greedy and lazy", () => {
    expect(match("^(.+)(\\d*)$", "ab12", { ungreedy: true })).toEqual(["ab12", "ab", "12"]);
    expect(match("^(.+?)(\\d*)$", "ab12", { ungreedy: true })).toEqual(["ab12", "ab12", ""]);
    expect(match("^(.+)(\\d*)$", "ab12")).toEqual(["ab12", "ab12", ""]);
  });

  test.each([
    ["(?R)", "recursion or a subroutine call is not supported"],
    ["a(?1)", "recursion or a subroutine call is not supported"],
    ["(?(1)a|b)", "a conditional group (?( is not supported"],
    ["(*UTF)a", "a leading (*VERB) option setting is not supported"],
    ["a\\Kb", "\\K (reset match start) is not supported"],
    ["\\p{L}", "the Unicode property escape \\p is not supported"],
    ["(?|(a)|(b))", "a branch reset group (?| is not supported"],
    ["(a)?\\1", "a back reference to a group that may not have taken part in the match is not supported"],
    ["(?:(a)|b)\\1", "a back reference to a group that may not have taken part in the match is not supported"],
    ["a(b", "missing closing parenthesis"],
    ["a)", "unmatched closing parenthesis"],
    ["[a", "missing terminating ] for character class"],
    ["*a", "quantifier does not follow a repeatable item"],
    ["a{3,2}", "numbers out of order in {} quantifier"],
    ["[z-a]", "range out of order in character class"],
    ["a\\", "\\ at end of pattern"],
    ["\\y", "unrecognized character follows \\"],
    ["(a)\\2", "reference to non-existent subpattern"],
    ["[[:foo:]]", "unknown POSIX class name"],
  ])("refuses %s", (pattern, error) => {
    const t = translatePcre(pattern, DEFAULT);
    expect("error" in t ? t.error.replace(" (no JavaScript equivalent)", "") : "accepted").toBe(error);
  });
});
