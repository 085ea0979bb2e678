/**
 * quote_local_test — quoting and unquoting against Debian's Postfix 3.7: every expected value was produced by
 * Postfix's own quote_822_local_flags(), quote_821_local_flags() and unquote_822_local() (libpostfix-global.so)
 * for the same input, including empty input, source routes, every special character, control and 8-bit
 * characters, several `@`, unbalanced quotes, a trailing backslash and NUL.
 * The driver that ran Postfix is testdata/postfix_oracle.c.
 */
import { test, expect, describe } from "bun:test";
import { externalForm, internalForm, quoteLocalPart, quoteLocalPart821, unquoteAddress, type QuoteOptions } from "./quote_local.ts";

// quote: the results for these option sets, in order (Postfix flags 8BITCLEAN=1, EXPOSE_AT=2, BARE_LOCALPART=8)
const OPTION_SETS: [string, QuoteOptions][] = [
  ["default (8-bit clean)", {}],
  ["not 8-bit clean", { eightBitClean: false }],
  ["exposeAt, not 8-bit clean", { eightBitClean: false, exposeAt: true }],
  ["exposeAt", { exposeAt: true }],
  ["bareLocalPart, not 8-bit clean", { eightBitClean: false, bareLocalPart: true }],
  ["bareLocalPart", { bareLocalPart: true }],
];

// prettier-ignore
const QUOTE: { in: string; quote: string[]; q821: [string, string] }[] = [
  { in: "a@b", quote: ["a@b", "a@b", "a@b", "a@b", "\"a@b\"", "\"a@b\""], q821: ["a@b", "a@b"] },
  { in: "joe smith@x", quote: ["\"joe smith\"@x", "\"joe smith\"@x", "\"joe smith\"@x", "\"joe smith\"@x", "\"joe smith@x\"", "\"joe smith@x\""], q821: ["\"joe smith\"@x", "\"joe smith\"@x"] },
  { in: "p@q@r@s", quote: ["\"p@q@r\"@s", "\"p@q@r\"@s", "p@q@r@s", "p@q@r@s", "\"p@q@r@s\"", "\"p@q@r@s\""], q821: ["\"p@q@r\"@s", "\"p@q@r\"@s"] },
  { in: "", quote: ["\"\"", "\"\"", "\"\"", "\"\"", "\"\"", "\"\""], q821: ["\"\"", "\"\""] },
  { in: "@", quote: ["\"\"@", "\"\"@", "\"\"@", "\"\"@", "\"@\"", "\"@\""], q821: ["\"\"@", "\"\"@"] },
  { in: "@x", quote: ["\"\"@x", "\"\"@x", "\"\"@x", "\"\"@x", "\"@x\"", "\"@x\""], q821: ["\"\"@x", "\"\"@x"] },
  { in: ".a@b", quote: ["\".a\"@b", "\".a\"@b", "\".a\"@b", "\".a\"@b", "\".a@b\"", "\".a@b\""], q821: ["\".a\"@b", "\".a\"@b"] },
  { in: "a.@b", quote: ["\"a.\"@b", "\"a.\"@b", "\"a.\"@b", "\"a.\"@b", "\"a.@b\"", "\"a.@b\""], q821: ["\"a.\"@b", "\"a.\"@b"] },
  { in: "a..b@c", quote: ["\"a..b\"@c", "\"a..b\"@c", "\"a..b\"@c", "\"a..b\"@c", "\"a..b@c\"", "\"a..b@c\""], q821: ["\"a..b\"@c", "\"a..b\"@c"] },
  { in: "a.b.c@d", quote: ["a.b.c@d", "a.b.c@d", "a.b.c@d", "a.b.c@d", "\"a.b.c@d\"", "\"a.b.c@d\""], q821: ["a.b.c@d", "a.b.c@d"] },
  { in: "\"x\"@y", quote: ["\"\\\"x\\\"\"@y", "\"\\\"x\\\"\"@y", "\"\\\"x\\\"\"@y", "\"\\\"x\\\"\"@y", "\"\\\"x\\\"@y\"", "\"\\\"x\\\"@y\""], q821: ["\"\\\"x\\\"\"@y", "\"\\\"x\\\"\"@y"] },
  { in: "a\\b@c", quote: ["\"a\\\\b\"@c", "\"a\\\\b\"@c", "\"a\\\\b\"@c", "\"a\\\\b\"@c", "\"a\\\\b@c\"", "\"a\\\\b@c\""], q821: ["\"a\\\\b\"@c", "\"a\\\\b\"@c"] },
  { in: "a\"b@c", quote: ["\"a\\\"b\"@c", "\"a\\\"b\"@c", "\"a\\\"b\"@c", "\"a\\\"b\"@c", "\"a\\\"b@c\"", "\"a\\\"b@c\""], q821: ["\"a\\\"b\"@c", "\"a\\\"b\"@c"] },
  { in: "a\rb@c", quote: ["\"a\\\rb\"@c", "\"a\\\rb\"@c", "\"a\\\rb\"@c", "\"a\\\rb\"@c", "\"a\\\rb@c\"", "\"a\\\rb@c\""], q821: ["\"a\\\rb\"@c", "\"a\\\rb\"@c"] },
  { in: "a\nb@c", quote: ["\"a\nb\"@c", "\"a\nb\"@c", "\"a\nb\"@c", "\"a\nb\"@c", "\"a\nb@c\"", "\"a\nb@c\""], q821: ["\"a\\\nb\"@c", "\"a\\\nb\"@c"] },
  { in: "a\u0001b@c", quote: ["\"a\u0001b\"@c", "\"a\u0001b\"@c", "\"a\u0001b\"@c", "\"a\u0001b\"@c", "\"a\u0001b@c\"", "\"a\u0001b@c\""], q821: ["\"a\u0001b\"@c", "\"a\u0001b\"@c"] },
  { in: "a\u007fb@c", quote: ["\"a\u007fb\"@c", "\"a\u007fb\"@c", "\"a\u007fb\"@c", "\"a\u007fb\"@c", "\"a\u007fb@c\"", "\"a\u007fb@c\""], q821: ["\"a\u007fb\"@c", "\"a\u007fb\"@c"] },
  { in: "j\u00f6e@x", quote: ["j\u00f6e@x", "\"j\\\u00f6e\"@x", "\"j\\\u00f6e\"@x", "j\u00f6e@x", "\"j\\\u00f6e@x\"", "\"j\u00f6e@x\""], q821: ["j\u00f6e@x", "\"j\\\u00f6e\"@x"] },
  { in: "@route,@r2:joe smith@x", quote: ["@route,@r2:\"joe smith\"@x", "@route,@r2:\"joe smith\"@x", "@route,@r2:\"joe smith\"@x", "@route,@r2:\"joe smith\"@x", "@route,@r2:\"joe smith@x\"", "@route,@r2:\"joe smith@x\""], q821: ["\"@route,@r2:joe smith\"@x", "\"@route,@r2:joe smith\"@x"] },
  { in: "@route:user@x", quote: ["@route:user@x", "@route:user@x", "@route:user@x", "@route:user@x", "@route:\"user@x\"", "@route:\"user@x\""], q821: ["\"@route:user\"@x", "\"@route:user\"@x"] },
  { in: "@noroute", quote: ["\"\"@noroute", "\"\"@noroute", "\"\"@noroute", "\"\"@noroute", "\"@noroute\"", "\"@noroute\""], q821: ["\"\"@noroute", "\"\"@noroute"] },
  { in: "a(b)@c", quote: ["\"a(b)\"@c", "\"a(b)\"@c", "\"a(b)\"@c", "\"a(b)\"@c", "\"a(b)@c\"", "\"a(b)@c\""], q821: ["\"a(b)\"@c", "\"a(b)\"@c"] },
  { in: "a<b>@c", quote: ["\"a<b>\"@c", "\"a<b>\"@c", "\"a<b>\"@c", "\"a<b>\"@c", "\"a<b>@c\"", "\"a<b>@c\""], q821: ["\"a<b>\"@c", "\"a<b>\"@c"] },
  { in: "a,b@c", quote: ["\"a,b\"@c", "\"a,b\"@c", "\"a,b\"@c", "\"a,b\"@c", "\"a,b@c\"", "\"a,b@c\""], q821: ["\"a,b\"@c", "\"a,b\"@c"] },
  { in: "a;b@c", quote: ["\"a;b\"@c", "\"a;b\"@c", "\"a;b\"@c", "\"a;b\"@c", "\"a;b@c\"", "\"a;b@c\""], q821: ["\"a;b\"@c", "\"a;b\"@c"] },
  { in: "a:b@c", quote: ["\"a:b\"@c", "\"a:b\"@c", "\"a:b\"@c", "\"a:b\"@c", "\"a:b@c\"", "\"a:b@c\""], q821: ["\"a:b\"@c", "\"a:b\"@c"] },
  { in: "a[b]@c", quote: ["\"a[b]\"@c", "\"a[b]\"@c", "\"a[b]\"@c", "\"a[b]\"@c", "\"a[b]@c\"", "\"a[b]@c\""], q821: ["\"a[b]\"@c", "\"a[b]\"@c"] },
  { in: "a b", quote: ["\"a b\"", "\"a b\"", "\"a b\"", "\"a b\"", "\"a b\"", "\"a b\""], q821: ["\"a b\"", "\"a b\""] },
  { in: "a@b c", quote: ["a@b c", "a@b c", "a@b c", "a@b c", "\"a@b c\"", "\"a@b c\""], q821: ["a@b c", "a@b c"] },
  { in: "user", quote: ["user", "user", "user", "user", "user", "user"], q821: ["user", "user"] },
  { in: "us er", quote: ["\"us er\"", "\"us er\"", "\"us er\"", "\"us er\"", "\"us er\"", "\"us er\""], q821: ["\"us er\"", "\"us er\""] },
  { in: "a\u0000b c@d", quote: ["a", "a", "a", "a", "a", "a"], q821: ["a", "a"] },
  { in: "a%b!c|d@e", quote: ["a%b!c|d@e", "a%b!c|d@e", "a%b!c|d@e", "a%b!c|d@e", "\"a%b!c|d@e\"", "\"a%b!c|d@e\""], q821: ["a%b!c|d@e", "a%b!c|d@e"] },
  { in: "x@y.", quote: ["x@y.", "x@y.", "x@y.", "x@y.", "\"x@y.\"", "\"x@y.\""], q821: ["x@y.", "x@y."] },
  { in: "+@x", quote: ["+@x", "+@x", "+@x", "+@x", "\"+@x\"", "\"+@x\""], q821: ["+@x", "+@x"] },
];

// prettier-ignore
const UNQUOTE: [string, string][] = [
  ["a@b", "a@b"],
  ["joe smith@x", "joe smith@x"],
  ["p@q@r@s", "p@q@r@s"],
  ["", ""],
  ["@", "@"],
  ["@x", "@x"],
  [".a@b", ".a@b"],
  ["a.@b", "a.@b"],
  ["a..b@c", "a..b@c"],
  ["a.b.c@d", "a.b.c@d"],
  ["\"x\"@y", "x@y"],
  ["a\\b@c", "ab@c"],
  ["a\"b@c", "ab@c"],
  ["a\rb@c", "a\rb@c"],
  ["a\nb@c", "a\nb@c"],
  ["a\u0001b@c", "a\u0001b@c"],
  ["a\u007fb@c", "a\u007fb@c"],
  ["j\u00f6e@x", "j\u00f6e@x"],
  ["@route,@r2:joe smith@x", "@route,@r2:joe smith@x"],
  ["@route:user@x", "@route:user@x"],
  ["@noroute", "@noroute"],
  ["a(b)@c", "a(b)@c"],
  ["a<b>@c", "a<b>@c"],
  ["a,b@c", "a,b@c"],
  ["a;b@c", "a;b@c"],
  ["a:b@c", "a:b@c"],
  ["a[b]@c", "a[b]@c"],
  ["a b", "a b"],
  ["a@b c", "a@b c"],
  ["user", "user"],
  ["us er", "us er"],
  ["a\u0000b c@d", "a"],
  ["a%b!c|d@e", "a%b!c|d@e"],
  ["x@y.", "x@y."],
  ["+@x", "+@x"],
  ["\"p@q@r\"@s", "p@q@r@s"],
  ["\"p@q@r\"", "p@q@r"],
  ["\"p@q@r\"@s@t", "p@q@r@s@t"],
  ["\"joe smith\"@x", "joe smith@x"],
  ["\"a\\\"b\"@c", "a\"b@c"],
  ["a\\", "a"],
  ["\"unterminated@x", "unterminated@x"],
  ["@r1,@r2:\"a b\"@c", "@r1,@r2:a b@c"],
  ["\\@x@y", "@x@y"],
  ["\"a\".\"b\"@c", "a.b@c"],
  ["a@\"b c\"", "a@\"b c\""],
  ["\"@\"@\"@\"", "@@\"@\""],
];

describe("quoteLocalPart() matches quote_822_local()", () => {
  for (const row of QUOTE) {
    OPTION_SETS.forEach(([label, opts], i) => {
      test(`${JSON.stringify(row.in)} ${label}`, () => {
        expect(quoteLocalPart(row.in, opts)).toBe(row.quote[i]!);
      });
    });
  }
});

describe("quoteLocalPart821() matches quote_821_local()", () => {
  for (const row of QUOTE) {
    test(`${JSON.stringify(row.in)}`, () => {
      expect(quoteLocalPart821(row.in)).toBe(row.q821[0]);
      expect(quoteLocalPart821(row.in, { eightBitClean: false })).toBe(row.q821[1]);
    });
  }
});

describe("unquoteAddress() matches unquote_822_local()", () => {
  for (const [input, want] of UNQUOTE) {
    test(JSON.stringify(input), () => {
      expect(unquoteAddress(input)).toBe(want);
    });
  }
});

test("externalForm() and internalForm() are quoteLocalPart() with defaults and unquoteAddress()", () => {
  expect(externalForm("joe smith@x")).toBe('"joe smith"@x');
  expect(internalForm('"joe smith"@x')).toBe("joe smith@x");
  expect(externalForm("")).toBe('""');
  expect(internalForm("")).toBe("");
});

test("internalForm(externalForm(x)) gives x back for local parts with specials", () => {
  for (const a of ["joe smith@x", "a@b@c", 'a"b@c', "a\\b@c", "a(b)@c", ".x@y", "x.@y", "a..b@c", "", "@r:u v@w"]) {
    expect(internalForm(externalForm(a))).toBe(a);
  }
});

test("quoteLocalPart() is fast on a long local part", () => {
  const long = `${"a b".repeat(100000)}@x`;
  const t0 = performance.now();
  expect(quoteLocalPart(long).length).toBe(long.length + 2);
  expect(unquoteAddress(quoteLocalPart(long))).toBe(long);
  expect(performance.now() - t0).toBeLessThan(1000);
});
