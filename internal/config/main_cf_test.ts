import { test, expect } from "bun:test";
import { editMainCf, parseMainCf, ConfigError } from "./main_cf.ts";

const F = "/etc/postfix/main.cf";

test("parseMainCf() joins indented continuation lines and skips comments between them", () => {
  const warn: string[] = [];
  const m = parseMainCf("mydomain = x\n\ty\n#c\n   z\nmyorigin =   \nrelayhost=foo  \n", F, (w) => warn.push(w));
  expect(m.get("mydomain")!.value).toBe("x\ty   z");
  expect(m.get("myorigin")!.value).toBe("");
  expect(m.get("relayhost")!.value).toBe("foo");
  expect(m.get("relayhost")!.line).toBe(6);
  expect(warn).toEqual([]);
});

test("parseMainCf() keeps the last of repeated settings and # inside values", () => {
  const m = parseMainCf("a = 1\nb = x # not a comment\na = 2\n", F, () => {});
  expect(m.get("a")!.value).toBe("2");
  expect(m.get("b")!.value).toBe("x # not a comment");
});

test("parseMainCf() warns about a leading continuation line and skips it", () => {
  const warn: string[] = [];
  const m = parseMainCf(" leading = x\nmyhostname = a\n", F, (w) => warn.push(w));
  expect([...m.keys()]).toEqual(["myhostname"]);
  expect(warn).toEqual([`${F}: logical line must not start with whitespace: " leading = x"`]);
});

const bad: [string, string, string][] = [
  ["missing =", "myhostname = a\nfoo bar\n", `${F}, line 2: missing '=' after attribute name: "foo bar"`],
  ["missing name", "=x\n", `${F}, line 1: missing attribute name: "=x"`],
];
for (const [label, text, msg] of bad) {
  test(`parseMainCf() rejects ${label} with file and line`, () => {
    expect(() => parseMainCf(text, F, () => {})).toThrow(ConfigError);
    expect(() => parseMainCf(text, F, () => {})).toThrow(msg);
  });
}

test("editMainCf() replaces in place, drops continuation lines and appends new names", () => {
  const text = "# head\nmyhostname = a\nrelayhost = x\n  y\nmydomain = d\n";
  const r = editMainCf(text, F, { mode: "set", values: new Map([["relayhost", "[mail.example]:587"], ["new_param", "1"]]) });
  expect(r.text).toBe("# head\nmyhostname = a\nrelayhost = [mail.example]:587\nmydomain = d\nnew_param = 1\n");
});

test("editMainCf() comments out every physical line of a setting", () => {
  const r = editMainCf("a = 1\n  2\nb = 3\n", F, { mode: "comment", names: new Set(["a"]) });
  expect(r.text).toBe("#a = 1\n#  2\nb = 3\n");
});

test("editMainCf() deletes settings and warns about duplicates", () => {
  const r = editMainCf("a = 1\nb = 2\na = 3\n", F, { mode: "delete", names: new Set(["a"]) });
  expect(r.text).toBe("b = 2\n");
  expect(r.warnings).toEqual([`${F}: multiple entries for "a"`]);
});
