/**
 * address_list_test — which addresses an address list holds (the set Postfix's tok822_grep() finds; the parser
 * itself is held against Postfix in tok822_test.ts), their two forms, and the display names, comments and group
 * names postkit adds.
 */
import { test, expect, describe } from "bun:test";
import { parseAddressList, parseSingleAddress, type ParsedAddress } from "./address_list.ts";

type Row = [label: string, input: string, want: Partial<ParsedAddress>[]];

// prettier-ignore
const LISTS: Row[] = [
  ["a bare address", "a@b", [{ internal: "a@b", external: "a@b", displayName: "", comment: "", group: undefined }]],
  ["the brief's example", 'a@b, "Joe, Jr." <j@x>, group: x@y, z@w;', [
    { internal: "a@b", displayName: "", group: undefined },
    { internal: "j@x", displayName: "Joe, Jr.", group: undefined },
    { internal: "x@y", displayName: "", group: "group" },
    { internal: "z@w", displayName: "", group: "group" },
  ]],
  ["a quoted local part has both forms", '"joe smith"@example.com', [{ internal: "joe smith@example.com", external: '"joe smith"@example.com' }]],
  ["a backslash-escaped local part", "joe\\ smith@x", [{ internal: "joe smith@x", external: '"joe smith"@x' }]],
  ["a display name keeps its dots and spaces", "Johnny B. Goode <j@x>", [{ internal: "j@x", displayName: "Johnny B. Goode" }]],
  ["a display name of several words and quoted strings", 'Joe  "the\\"Man"  Bloggs <j@x>', [{ displayName: 'Joe the"Man Bloggs' }]],
  ["a comment after the address", "j@x (Joe Bloggs)", [{ internal: "j@x", displayName: "", comment: "Joe Bloggs" }]],
  ["comments inside angle brackets move out", "<j (c1) @ x (c2)>", [{ internal: "j@x", comment: "c1 c2" }]],
  ["a comment in the display name is not part of it", "Joe (Jr) Bloggs <j@x> (note)", [{ displayName: "Joe Bloggs", comment: "Jr note" }]],
  ["nested and escaped comments", "a@b ((nested) \\) x)", [{ comment: "(nested) ) x" }]],
  ["an unterminated comment", "a@b (open", [{ comment: "open" }]],
  ["a missing comma makes two addresses", "a@b c@d", [{ internal: "a@b" }, { internal: "c@d" }]],
  ["words without operators are separate addresses", "a b c", [{ internal: "a" }, { internal: "b" }, { internal: "c" }]],
  ["an address without a domain", "joe", [{ internal: "joe", external: "joe" }]],
  ["a route address keeps its route", "Joe <@a,@b:joe@c>", [{ internal: "@a,@b:joe@c", external: "@a,@b:joe@c", displayName: "Joe" }]],
  ["%, ! and | forms stay as written", "a%b@c, d!e, f|g", [{ internal: "a%b@c" }, { internal: "d!e" }, { internal: "f|g" }]],
  ["several @: only the last one is the domain", '"a@b"@c', [{ internal: "a@b@c", external: '"a@b"@c' }]],
  ["<> holds no address", "<>", []],
  ["an empty list", "", []],
  ["white space only", " \t\r\n ", []],
  ["commas only", ",,,", []],
  ["an empty group", "undisclosed-recipients:;", []],
  ["a group name of several words", "My Team: a@b;, c@d", [{ internal: "a@b", group: "My Team" }, { internal: "c@d", group: undefined }]],
  ["a display name in a group", 'team: "A" <a@b>, c@d;', [{ internal: "a@b", displayName: "A", group: "team" }, { internal: "c@d", group: "team" }]],
  ["an unbalanced quote runs to the end", '"joe <j@x>', [{ internal: "joe <j@x>", external: '"joe <j"@x>' }]],
  ["an unmatched < joins the address", "Joe <j@x", [{ internal: "Joe<j@x", external: '"Joe<j"@x', displayName: "" }]],
  ["an unmatched > is left out", "j@x> Joe", [{ internal: "j@x" }, { internal: "Joe" }]],
  ["an unbalanced [ runs to the end", "a@[1.2.3.4", [{ internal: "a@[1.2.3.4]" }]],
  ["two bracketed addresses without a comma", "<a@b> <c@d>", [{ internal: "a@b", displayName: "" }, { internal: "c@d", displayName: "" }]],
  ["a display name belongs only to the next <>", "Joe <a@b> <c@d>", [{ internal: "a@b", displayName: "Joe" }, { internal: "c@d", displayName: "" }]],
  ["an empty quoted local part", '""@b', [{ internal: "@b", external: '""@b' }]],
  ["an empty display name", '"" <a@b>', [{ internal: "a@b", displayName: "" }]],
  ["8-bit characters pass", "J\u00f6e <j\u00f6@ex\u00e4mple>", [{ internal: "j\u00f6@ex\u00e4mple", external: "j\u00f6@ex\u00e4mple", displayName: "J\u00f6e" }]],
  ["UTF-8 text passes", "Zo\u00eb \u2603 <z@\u00e9x.org>", [{ internal: "z@\u00e9x.org", displayName: "Zo\u00eb \u2603" }]],
  ["a control character forces quotes", "a\u0001b@c", [{ internal: "a\u0001b@c", external: '"a\u0001b"@c' }]],
  ["a NUL ends the text", "a@b, c@d\u0000, e@f", [{ internal: "a@b" }, { internal: "c@d" }]],
  ["RFC 2047 words are left alone", "=?utf-8?q?J=C3=B6?= <j@x>", [{ displayName: "=?utf-8?q?J=C3=B6?=" }]],
];

describe("parseAddressList()", () => {
  for (const [label, input, want] of LISTS) {
    test(label, () => {
      const got = parseAddressList(input);
      expect(got.length).toBe(want.length);
      want.forEach((w, i) => expect(got[i]).toMatchObject(w));
    });
  }

  test("honours the token limit", () => {
    const text = Array.from({ length: 50 }, (_, i) => `u${i}@x`).join(", ");
    expect(parseAddressList(text).length).toBe(50);
    expect(parseAddressList(text, { tokenLimit: 9 }).map((a) => a.internal)).toEqual(["u0@x", "u1@x", "u2"]);
  });

  test("handles a megabyte of hostile text", () => {
    const t0 = performance.now();
    expect(parseAddressList('(("<'.repeat(250000)).length).toBe(0);
    expect(parseAddressList("a@b ".repeat(100000)).length).toBe(100000);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});

describe("parseSingleAddress() (sendmail -f)", () => {
  const cases: [string, string, number][] = [
    ["", "", 0],
    ["<>", "", 0],
    ["joe", "joe", 1],
    ["Joe Bloggs <joe@example.com>", "joe@example.com", 1],
    ['"joe smith"@x', "joe smith@x", 1],
    ["a@b, c@d", "a@b", 2],
    ["a b", "a", 2],
    ["(only a comment)", "", 0],
  ];
  for (const [input, address, count] of cases) {
    test(JSON.stringify(input), () => {
      expect(parseSingleAddress(input)).toEqual({ address, count });
    });
  }
});
