import { test, expect } from "bun:test";
import { expandValue, referencedNames, ExpandError } from "./expand.ts";

const vars: Record<string, string> = {
  myhostname: "a",
  mydomain: "example.com",
  empty: "",
  chain: "$mydomain/x",
  level: "3.6",
  loop1: "$loop2",
  loop2: "$loop1",
};

function ex(s: string, undef: string[] = []): string {
  return expandValue(s, { lookup: (n) => vars[n], onUndefined: (n) => undef.push(n) });
}

const cases: [string, string, string][] = [
  ["plain $name", "$myhostname", "a"],
  ["${name}", "${mydomain}/x", "example.com/x"],
  ["$(name)", "$(myhostname)", "a"],
  ["recursive", "$chain", "example.com/x"],
  ["$$ is a dollar", "$$x", "$x"],
  ["undefined is empty", "[$nothere]", "[]"],
  ["?text when non-empty", "${myhostname?yes}", "yes"],
  ["?text when empty", "${empty?yes}", ""],
  ["?{text} braced", "${myhostname?{set}}", "set"],
  [":text when empty", "${nothere:fb}", "fb"],
  [":{text} when undefined", "${nothere:{fallback}}", "fallback"],
  [":text when set", "${myhostname:notused}", ""],
  ["?{t1}:{t2} true", "${myhostname?{x}:{y}}", "x"],
  ["?{t1}:{t2} false", "${empty?{x}:{y}}", "y"],
  ["?{t1}:t2 false", "${empty?{x}:y}", "y"],
  ["relational ==", "${{$myhostname} == {a} ? {eq} : {ne}}", "eq"],
  ["relational != false", "${{$myhostname} != {a} ? {eq} : {ne}}", "ne"],
  ["numeric <", "${{9} < {10} ? {lt} : {ge}}", "lt"],
  ["lexical <", "${{b} < {a} ? {lt} : {ge}}", "ge"],
  ["<level true", "${{$level} <level {3.10} ? {old} : {new}}", "old"],
  ["<level false", "${{$level} <level {2} ? {subnet} : {host}}", "host"],
  ["compat default with empty branch", "${{$level} <level {2} ? {$mydomain} : {}}", ""],
  ["observed Postfix example (postconf later folds the double space)", "${mydomain}/x ${undefinedparam?yes} ${myhostname?{set}} ${nothere:{fallback}} ${myhostname:notused}", "example.com/x  set fallback "],
  ["text inside braces expands", "${myhostname?{$mydomain}}", "example.com"],
];

for (const [label, input, want] of cases) {
  test(`expandValue() ${label}`, () => {
    expect(ex(input)).toBe(want);
  });
}

test("expandValue() reports undefined names", () => {
  const undef: string[] = [];
  ex("$a1 ${b2:x} ${c3?y}", undef);
  expect(undef).toEqual(["a1", "b2", "c3"]);
});

const errors: [string, string, string][] = [
  ["trailing $", "abc $", "empty macro name"],
  ["$ before a space", "a $ b", "empty macro name"],
  ["unterminated ${", "${foo", "truncated macro reference"],
  ["loop", "$loop1", "unreasonable macro call nesting"],
  ["bad operator", "${{a} ~ {b} ? {x} : {y}}", "bad macro reference"],
];
for (const [label, input, want] of errors) {
  test(`expandValue() rejects ${label}`, () => {
    expect(() => ex(input)).toThrow(ExpandError);
    expect(() => ex(input)).toThrow(want);
  });
}

test("referencedNames() finds every form without expanding", () => {
  expect(referencedNames("$a ${b} $(c) ${d?x} $$e ${f:{$g}}")).toEqual(["a", "b", "c", "d", "f", "g"]);
});

test("splitList() keeps {…} groups together", async () => {
  const { splitList } = await import("./config.ts");
  expect(splitList("a, b  c")).toEqual(["a", "b", "c"]);
  expect(splitList("inline:{ a=b, c=d }, hash:/x")).toEqual(["inline:{ a=b, c=d }", "hash:/x"]);
  expect(splitList("static:{ x y }")).toEqual(["static:{ x y }"]);
});

test("referencedNames() (a scan) finds what the regular expression it replaced finds", () => {
  const byRegex = (v: string) => {
    const out: string[] = [];
    for (const m of v.matchAll(/\$(?:\$|[{(]\s*([A-Za-z0-9_]+)|([A-Za-z0-9_]+))/g)) if (m[1] ?? m[2]) out.push((m[1] ?? m[2])!);
    return out;
  };
  const pieces = ["$", "$$", "{", "}", "(", ")", " ", "\t", "\u00a0", "a", "_1", "x-y", "?", ":", ",", "${", "$(", "$ab", "é"];
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 3000; i++) {
    let v = "";
    for (let k = rnd(10); k > 0; k--) v += pieces[rnd(pieces.length)];
    expect([v, referencedNames(v)]).toEqual([v, byRegex(v)]);
  }
});
