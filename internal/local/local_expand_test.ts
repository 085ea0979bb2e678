/**
 * local_expand_test — $name expansion of forward_path and friends, with Postfix's conditional forms, the
 * character filter on substituted values, and the undefined/extension reports.
 */
import { test, expect } from "bun:test";
import { localExpand } from "./local_expand.ts";

const attrs = { user: "joe", home: "/home/joe", extension: "lists", recipient_delimiter: "+", local: "joe+lists", domain: "x.example" };
const noExt = { user: "joe", home: "/home/joe", recipient_delimiter: "+", local: "joe" };

test.each([
  ["forward_path entry with extension", "$home/.forward${recipient_delimiter}${extension}", attrs, "/home/joe/.forward+lists", false, true],
  ["the same without extension is undefined", "$home/.forward${recipient_delimiter}${extension}", noExt, "/home/joe/.forward+", true, false],
  ["${name?text}", "${extension?+$extension}", attrs, "+lists", false, true],
  ["${name?text} undefined", "${extension?+$extension}", noExt, "", false, false],
  ["${name:text}", "${extension:none}", noExt, "none", false, false],
  ["${name?{a}:{b}}", "${extension?{E}:{N}}/${shell?{S}:{noshell}}", attrs, "E/noshell", false, false],
  ["$(name) and $$", "$(user)$$", attrs, "joe$", false, false],
  ["unknown names are undefined", "$nosuch/x", attrs, "/x", true, false],
])("localExpand(): %s", (_label, pattern, a, text, undef, ext) => {
  const r = localExpand(pattern, a);
  expect([r.text, r.undefined, r.extensionUsed, r.error]).toEqual([text, undef, ext, false]);
});

test("localExpand() filters substituted values, never literal text", () => {
  const r = localExpand("/var/x;y/$user", { user: "a;b c" }, "abcdefghijklmnopqrstuvwxyz");
  expect(r.text).toBe("/var/x;y/a_b_c");
});

test("localExpand() reports syntax errors", () => {
  expect(localExpand("${user", attrs).error).toBe(true);
  expect(localExpand("${user?{a}x}", attrs).error).toBe(true);
});
