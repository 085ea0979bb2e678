/**
 * tok822_test — the tokenizer and parser against Debian's Postfix 3.7. Every row of PARSE was produced by running
 * the same input through Postfix's own tok822_parse(), tok822_internalize(), tok822_externalize() (plain, and with
 * TOK822_STR_HEAD as cleanup uses it) and tok822_grep(), linked against /usr/lib/postfix/libpostfix-global.so.
 * The inputs are ordinary lists plus hostile text: unbalanced quotes, brackets, parentheses
 * and angle brackets, stray operators, empty text, NUL, control and 8-bit characters, token limits, and the
 * 250-character comment limit.
 * The driver that ran Postfix is testdata/postfix_oracle.c.
 */
import { test, expect, describe } from "bun:test";
import {
  addressInternal,
  addressTokens,
  cString,
  externalizeTokens,
  internalizeTokens,
  parseAddressTree,
  scanAddressTokens,
  type AddressToken,
} from "./tok822.ts";

/** The tree in a compact form: `addr[...]` for addresses, `kind:"text"` for the other tokens. */
function treeString(tokens: AddressToken[]): string {
  return tokens
    .map((t) => (t.kind === "address" ? `addr[${treeString(t.children)}]` : t.kind === "group" ? "group" : `${t.kind}:${JSON.stringify(t.text)}`))
    .join(" ");
}

interface Row {
  in: string;
  limit?: number;
  tree: string;
  int: string;
  ext: string;
  head: string;
  addrs: string[];
  warnings?: number;
}

// prettier-ignore
const PARSE: Row[] = [
  { in: "a@b, \"Joe, Jr.\" <j@x>, group: x@y, z@w;", tree: "addr[atom:\"a\" op:\"@\" atom:\"b\"] op:\",\" qstring:\"Joe, Jr.\" op:\"<\" addr[atom:\"j\" op:\"@\" atom:\"x\"] op:\">\" op:\",\" atom:\"group\" group addr[atom:\"x\" op:\"@\" atom:\"y\"] op:\",\" addr[atom:\"z\" op:\"@\" atom:\"w\"] op:\";\"", int: "a@b, Joe, Jr. <j@x>, group: x@y, z@w;", ext: "a@b, \"Joe, Jr.\" <j@x>, group: x@y, z@w;", head: "a@b,\n\"Joe, Jr.\" <j@x>,\ngroup: x@y,\nz@w;", addrs: ["a@b", "j@x", "x@y", "z@w"] },
  { in: "jane@mail.example.org", tree: "addr[atom:\"jane\" op:\"@\" atom:\"mail\" op:\".\" atom:\"example\" op:\".\" atom:\"org\"]", int: "jane@mail.example.org", ext: "jane@mail.example.org", head: "jane@mail.example.org", addrs: ["jane@mail.example.org"] },
  { in: "\"jane doe\"@example.org", tree: "addr[qstring:\"jane doe\" op:\"@\" atom:\"example\" op:\".\" atom:\"org\"]", int: "jane doe@example.org", ext: "\"jane doe\"@example.org", head: "\"jane doe\"@example.org", addrs: ["jane doe@example.org"] },
  { in: "jane @ mail . example.org", tree: "addr[atom:\"jane\" op:\"@\" atom:\"mail\" op:\".\" atom:\"example\" op:\".\" atom:\"org\"]", int: "jane@mail.example.org", ext: "jane@mail.example.org", head: "jane@mail.example.org", addrs: ["jane@mail.example.org"] },
  { in: "\"jane doe\"@example.org (\"jane ) doe\")", tree: "addr[qstring:\"jane doe\" op:\"@\" atom:\"example\" op:\".\" atom:\"org\"] op:\",\" addr[atom:\"doe\"] comment:\"(\\\"jane )\" op:\",\" addr[qstring:\")\"]", int: "jane doe@example.org, doe (\"jane ), )", ext: "\"jane doe\"@example.org, doe (\"jane ), \")\"", head: "\"jane doe\"@example.org,\ndoe (\"jane ),\n\")\"", addrs: ["jane doe@example.org", "doe", ")"] },
  { in: "\"jane doe\"@example.org ( (\") x\" doe) )", tree: "addr[qstring:\"jane doe\" op:\"@\" atom:\"example\" op:\".\" atom:\"org\" op:\")\"] comment:\"( (\\\") x\\\" doe)\"", int: "jane doe@example.org) ( (\") x\" doe)", ext: "\"jane doe\"@example.org) ( (\") x\" doe)", head: "\"jane doe\"@example.org) ( (\") x\" doe)", addrs: ["jane doe@example.org)"] },
  { in: "jane\\ doe@example.org", tree: "addr[qstring:\"jane doe\" op:\"@\" atom:\"example\" op:\".\" atom:\"org\"]", int: "jane doe@example.org", ext: "\"jane doe\"@example.org", head: "\"jane doe\"@example.org", addrs: ["jane doe@example.org"] },
  { in: "\"jane doe", tree: "addr[qstring:\"jane doe\"]", int: "jane doe", ext: "\"jane doe\"", head: "\"jane doe\"", addrs: ["jane doe"] },
  { in: "jane@[192.0.2.1", tree: "addr[atom:\"jane\" op:\"@\" domlit:\"192.0.2.1\"]", int: "jane@[192.0.2.1]", ext: "jane@[192.0.2.1]", head: "jane@[192.0.2.1]", addrs: ["jane@[192.0.2.1]"] },
  { in: "jane@[\"odd]", tree: "addr[atom:\"jane\" op:\"@\" domlit:\"\\\"odd\"]", int: "jane@[\"odd]", ext: "jane@[\"odd]", head: "jane@[\"odd]", addrs: ["jane@[\"odd]"] },
  { in: "the team: ann@one, bob@two;", tree: "atom:\"the\" atom:\"team\" group addr[atom:\"ann\" op:\"@\" atom:\"one\"] op:\",\" addr[atom:\"bob\" op:\"@\" atom:\"two\"] op:\";\"", int: "the team: ann@one, bob@two;", ext: "the team: ann@one, bob@two;", head: "the team: ann@one,\nbob@two;", addrs: ["ann@one", "bob@two"] },
  { in: "jane@host (jane\tdoe)", tree: "addr[atom:\"jane\" op:\"@\" atom:\"host\"] comment:\"(jane\\tdoe)\"", int: "jane@host (jane\tdoe)", ext: "jane@host (jane\tdoe)", head: "jane@host (jane\tdoe)", addrs: ["jane@host"] },
  { in: "<>", tree: "op:\"<\" op:\">\"", int: "<>", ext: "<>", head: "<>", addrs: [] },
  { in: "", tree: "", int: "", ext: "", head: "", addrs: [] },
  { in: "   \t\r\n", tree: "", int: "", ext: "", head: "", addrs: [] },
  { in: "a b c", tree: "addr[atom:\"a\"] op:\",\" addr[atom:\"b\"] op:\",\" addr[atom:\"c\"]", int: "a, b, c", ext: "a, b, c", head: "a,\nb,\nc", addrs: ["a", "b", "c"] },
  { in: "Joe <j@x", tree: "addr[atom:\"Joe\" op:\"<\" atom:\"j\" op:\"@\" atom:\"x\"]", int: "Joe<j@x", ext: "\"Joe<j\"@x", head: "\"Joe<j\"@x", addrs: ["Joe<j@x"] },
  { in: "j@x> Joe", tree: "addr[atom:\"j\" op:\"@\" atom:\"x\"] op:\">\" op:\",\" addr[atom:\"Joe\"]", int: "j@x>, Joe", ext: "j@x>, Joe", head: "j@x>,\nJoe", addrs: ["j@x", "Joe"] },
  { in: "<@a,@b:user@d>", tree: "op:\"<\" addr[op:\"@\" atom:\"a\" op:\",\" op:\"@\" atom:\"b\" op:\":\" atom:\"user\" op:\"@\" atom:\"d\"] op:\">\"", int: "<@a,@b:user@d>", ext: "<@a,@b:user@d>", head: "<@a,@b:user@d>", addrs: ["@a,@b:user@d"] },
  { in: "Joe Bloggs <@a,@b:user@d>", tree: "atom:\"Joe\" atom:\"Bloggs\" op:\"<\" addr[op:\"@\" atom:\"a\" op:\",\" op:\"@\" atom:\"b\" op:\":\" atom:\"user\" op:\"@\" atom:\"d\"] op:\">\"", int: "Joe Bloggs <@a,@b:user@d>", ext: "Joe Bloggs <@a,@b:user@d>", head: "Joe Bloggs <@a,@b:user@d>", addrs: ["@a,@b:user@d"] },
  { in: "user", tree: "addr[atom:\"user\"]", int: "user", ext: "user", head: "user", addrs: ["user"] },
  { in: "a%b@c, d!e, f|g", tree: "addr[atom:\"a\" op:\"%\" atom:\"b\" op:\"@\" atom:\"c\"] op:\",\" addr[atom:\"d\" op:\"!\" atom:\"e\"] op:\",\" addr[atom:\"f\" op:\"|\" atom:\"g\"]", int: "a%b@c, d!e, f|g", ext: "a%b@c, d!e, f|g", head: "a%b@c,\nd!e,\nf|g", addrs: ["a%b@c", "d!e", "f|g"] },
  { in: "(comment only)", tree: "comment:\"(comment only)\"", int: "(comment only)", ext: "(comment only)", head: "(comment only)", addrs: [] },
  { in: "((nested) comment) a@b", tree: "addr[atom:\"a\" op:\"@\" atom:\"b\"] comment:\"((nested) comment)\"", int: "a@b ((nested) comment)", ext: "a@b ((nested) comment)", head: "a@b ((nested) comment)", addrs: ["a@b"] },
  { in: "a@b (unterminated comment", tree: "addr[atom:\"a\" op:\"@\" atom:\"b\"] comment:\"(unterminated comment\"", int: "a@b (unterminated comment", ext: "a@b (unterminated comment", head: "a@b (unterminated comment", addrs: ["a@b"] },
  { in: "a\\", tree: "addr[atom:\"a\"]", int: "a", ext: "a", head: "a", addrs: ["a"] },
  { in: "\\", tree: "addr[atom:\"\"]", int: "", ext: "\"\"", head: "\"\"", addrs: [""] },
  { in: "\"a\\\"b\"@c", tree: "addr[qstring:\"a\\\"b\" op:\"@\" atom:\"c\"]", int: "a\"b@c", ext: "\"a\\\"b\"@c", head: "\"a\\\"b\"@c", addrs: ["a\"b@c"] },
  { in: "\"a@b\"@c", tree: "addr[qstring:\"a@b\" op:\"@\" atom:\"c\"]", int: "a@b@c", ext: "\"a@b\"@c", head: "\"a@b\"@c", addrs: ["a@b@c"] },
  { in: "a@b@c", tree: "addr[atom:\"a\" op:\"@\" atom:\"b\" op:\"@\" atom:\"c\"]", int: "a@b@c", ext: "\"a@b\"@c", head: "\"a@b\"@c", addrs: ["a@b@c"] },
  { in: "Johnny B. Goode <j@x>", tree: "atom:\"Johnny\" atom:\"B\" op:\".\" atom:\"Goode\" op:\"<\" addr[atom:\"j\" op:\"@\" atom:\"x\"] op:\">\"", int: "Johnny B.Goode <j@x>", ext: "Johnny B.Goode <j@x>", head: "Johnny B.Goode <j@x>", addrs: ["j@x"] },
  { in: "<a> <b>", tree: "op:\"<\" addr[atom:\"a\"] op:\">\" op:\"<\" addr[atom:\"b\"] op:\">\"", int: "<a> <b>", ext: "<a> <b>", head: "<a> <b>", addrs: ["a", "b"] },
  { in: "a@b,,,c@d", tree: "addr[atom:\"a\" op:\"@\" atom:\"b\"] op:\",\" op:\",\" op:\",\" addr[atom:\"c\" op:\"@\" atom:\"d\"]", int: "a@b, , , c@d", ext: "a@b, , , c@d", head: "a@b,\n,\n,\nc@d", addrs: ["a@b", "c@d"] },
  { in: ";;;", tree: "op:\";\" op:\";\" op:\";\"", int: ";;;", ext: ";;;", head: ";;;", addrs: [] },
  { in: ":::", tree: "addr[op:\":\" op:\":\" op:\":\"]", int: ":::", ext: "\":::\"", head: "\":::\"", addrs: [":::"] },
  { in: ",", tree: "op:\",\"", int: ",", ext: ", ", head: ",\n", addrs: [] },
  { in: "a@b\u0000c@d", tree: "addr[atom:\"a\" op:\"@\" atom:\"b\"]", int: "a@b", ext: "a@b", head: "a@b", addrs: ["a@b"] },
  { in: "J\u00f6e <j\u00f6@ex\u00e4mple>", tree: "atom:\"J\u00f6e\" op:\"<\" addr[atom:\"j\u00f6\" op:\"@\" atom:\"ex\u00e4mple\"] op:\">\"", int: "J\u00f6e <j\u00f6@ex\u00e4mple>", ext: "J\u00f6e <j\u00f6@ex\u00e4mple>", head: "J\u00f6e <j\u00f6@ex\u00e4mple>", addrs: ["j\u00f6@ex\u00e4mple"] },
  { in: "a\u0001b@c", tree: "addr[qstring:\"a\\u0001b\" op:\"@\" atom:\"c\"]", int: "a\u0001b@c", ext: "\"a\u0001b\"@c", head: "\"a\u0001b\"@c", addrs: ["a\u0001b@c"] },
  { in: "\"a\nb\"@c", tree: "addr[qstring:\"a b\" op:\"@\" atom:\"c\"]", int: "a b@c", ext: "\"a b\"@c", head: "\"a b\"@c", addrs: ["a b@c"] },
  { in: "group:;", tree: "atom:\"group\" group op:\";\"", int: "group: ;", ext: "group: ;", head: "group: ;", addrs: [] },
  { in: "undisclosed-recipients:;", tree: "atom:\"undisclosed-recipients\" group op:\";\"", int: "undisclosed-recipients: ;", ext: "undisclosed-recipients: ;", head: "undisclosed-recipients: ;", addrs: [] },
  { in: "a@b (c) d@e", tree: "addr[atom:\"a\" op:\"@\" atom:\"b\"] op:\",\" addr[atom:\"d\" op:\"@\" atom:\"e\"] comment:\"(c)\"", int: "a@b, d@e (c)", ext: "a@b, d@e (c)", head: "a@b,\nd@e (c)", addrs: ["a@b", "d@e"] },
  { in: "Joe (Jr) <j@x> (note)", tree: "atom:\"Joe\" comment:\"(Jr)\" op:\"<\" addr[atom:\"j\" op:\"@\" atom:\"x\"] op:\">\" comment:\"(note)\"", int: "Joe (Jr) <j@x>(note)", ext: "Joe (Jr) <j@x>(note)", head: "Joe (Jr) <j@x>(note)", addrs: ["j@x"] },
  { in: "=?utf-8?q?J=C3=B6?= <j@x>", tree: "atom:\"=?utf-8?q?J=C3=B6?=\" op:\"<\" addr[atom:\"j\" op:\"@\" atom:\"x\"] op:\">\"", int: "=?utf-8?q?J=C3=B6?= <j@x>", ext: "=?utf-8?q?J=C3=B6?= <j@x>", head: "=?utf-8?q?J=C3=B6?= <j@x>", addrs: ["j@x"] },
  { in: "a@[1.2.3.4], b@[IPv6:::1]", tree: "addr[atom:\"a\" op:\"@\" domlit:\"1.2.3.4\"] op:\",\" addr[atom:\"b\" op:\"@\" domlit:\"IPv6:::1\"]", int: "a@[1.2.3.4], b@[IPv6:::1]", ext: "a@[1.2.3.4], b@[IPv6:::1]", head: "a@[1.2.3.4],\nb@[IPv6:::1]", addrs: ["a@[1.2.3.4]", "b@[IPv6:::1]"] },
  { in: "a@b., .a@b, a..b@c", tree: "addr[atom:\"a\" op:\"@\" atom:\"b\" op:\".\"] op:\",\" addr[op:\".\" atom:\"a\" op:\"@\" atom:\"b\"] op:\",\" addr[atom:\"a\" op:\".\" op:\".\" atom:\"b\" op:\"@\" atom:\"c\"]", int: "a@b., .a@b, a..b@c", ext: "a@b., \".a\"@b, \"a..b\"@c", head: "a@b.,\n\".a\"@b,\n\"a..b\"@c", addrs: ["a@b.", ".a@b", "a..b@c"] },
  { in: "[", tree: "addr[domlit:\"\"]", int: "[]", ext: "\"[]\"", head: "\"[]\"", addrs: ["[]"] },
  { in: "]", tree: "addr[op:\"]\"]", int: "]", ext: "\"]\"", head: "\"]\"", addrs: ["]"] },
  { in: "\"", tree: "addr[qstring:\"\"]", int: "", ext: "\"\"", head: "\"\"", addrs: [""] },
  { in: "(", tree: "comment:\"(\"", int: "(", ext: "(", head: "(", addrs: [] },
  { in: ")", tree: "addr[op:\")\"]", int: ")", ext: "\")\"", head: "\")\"", addrs: [")"] },
  { in: "<", tree: "addr[op:\"<\"]", int: "<", ext: "\"<\"", head: "\"<\"", addrs: ["<"] },
  { in: ">", tree: "op:\">\"", int: ">", ext: ">", head: ">", addrs: [] },
  { in: "a <b> c", tree: "atom:\"a\" op:\"<\" addr[atom:\"b\"] op:\">\" op:\",\" addr[atom:\"c\"]", int: "a <b>, c", ext: "a <b>, c", head: "a <b>,\nc", addrs: ["b", "c"] },
  { in: "a:b:c;", tree: "atom:\"a\" op:\":\" atom:\"b\" group addr[atom:\"c\"] op:\";\"", int: "a:b: c;", ext: "a:b: c;", head: "a:b: c;", addrs: ["c"] },
  { in: "x: <a@b>, \"c d\" <e@f>;, g@h", tree: "atom:\"x\" group op:\"<\" addr[atom:\"a\" op:\"@\" atom:\"b\"] op:\">\" op:\",\" qstring:\"c d\" op:\"<\" addr[atom:\"e\" op:\"@\" atom:\"f\"] op:\">\" op:\";\" op:\",\" addr[atom:\"g\" op:\"@\" atom:\"h\"]", int: "x: <a@b>, c d <e@f>;, g@h", ext: "x: <a@b>, \"c d\" <e@f>;, g@h", head: "x: <a@b>,\n\"c d\" <e@f>;,\ng@h", addrs: ["a@b", "e@f", "g@h"] },
  { in: "Joe Bloggs <joe@x> , Jane <jane@y>", tree: "atom:\"Joe\" atom:\"Bloggs\" op:\"<\" addr[atom:\"joe\" op:\"@\" atom:\"x\"] op:\">\" op:\",\" atom:\"Jane\" op:\"<\" addr[atom:\"jane\" op:\"@\" atom:\"y\"] op:\">\"", int: "Joe Bloggs <joe@x>, Jane <jane@y>", ext: "Joe Bloggs <joe@x>, Jane <jane@y>", head: "Joe Bloggs <joe@x>,\nJane <jane@y>", addrs: ["joe@x", "jane@y"] },
  { in: "\"\" <a@b>", tree: "qstring:\"\" op:\"<\" addr[atom:\"a\" op:\"@\" atom:\"b\"] op:\">\"", int: " <a@b>", ext: "\"\" <a@b>", head: "\"\" <a@b>", addrs: ["a@b"] },
  { in: "\"\"@b", tree: "addr[qstring:\"\" op:\"@\" atom:\"b\"]", int: "@b", ext: "\"\"@b", head: "\"\"@b", addrs: ["@b"] },
  { in: "a@\"b c\"", tree: "addr[atom:\"a\" op:\"@\" qstring:\"b c\"]", int: "a@b c", ext: "a@b c", head: "a@b c", addrs: ["a@b c"] },
  { in: "\"quoted\"", tree: "addr[qstring:\"quoted\"]", int: "quoted", ext: "quoted", head: "quoted", addrs: ["quoted"] },
  { in: "<\"j smith\"@x>", tree: "op:\"<\" addr[qstring:\"j smith\" op:\"@\" atom:\"x\"] op:\">\"", int: "<j smith@x>", ext: "<\"j smith\"@x>", head: "<\"j smith\"@x>", addrs: ["j smith@x"] },
  { in: "a\\(b@c", tree: "addr[qstring:\"a(b\" op:\"@\" atom:\"c\"]", int: "a(b@c", ext: "\"a(b\"@c", head: "\"a(b\"@c", addrs: ["a(b@c"] },
  { in: "a.b@c.d.e", tree: "addr[atom:\"a\" op:\".\" atom:\"b\" op:\"@\" atom:\"c\" op:\".\" atom:\"d\" op:\".\" atom:\"e\"]", int: "a.b@c.d.e", ext: "a.b@c.d.e", head: "a.b@c.d.e", addrs: ["a.b@c.d.e"] },
  { in: "@", tree: "addr[op:\"@\"]", int: "@", ext: "\"\"@", head: "\"\"@", addrs: ["@"] },
  { in: "@@", tree: "addr[op:\"@\" op:\"@\"]", int: "@@", ext: "\"@\"@", head: "\"@\"@", addrs: ["@@"] },
  { in: "a@", tree: "addr[atom:\"a\" op:\"@\"]", int: "a@", ext: "a@", head: "a@", addrs: ["a@"] },
  { in: "foo <a@b> <c@d>", tree: "atom:\"foo\" op:\"<\" addr[atom:\"a\" op:\"@\" atom:\"b\"] op:\">\" op:\"<\" addr[atom:\"c\" op:\"@\" atom:\"d\"] op:\">\"", int: "foo <a@b> <c@d>", ext: "foo <a@b> <c@d>", head: "foo <a@b> <c@d>", addrs: ["a@b", "c@d"] },
  { in: "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss <a@b>, yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy (note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note )", tree: "atom:\"qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\" atom:\"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr\" atom:\"ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss\" op:\"<\" addr[atom:\"a\" op:\"@\" atom:\"b\"] op:\">\" op:\",\" addr[atom:\"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\"] comment:\"(note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note )\"", int: "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss <a@b>, yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy (note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note )", ext: "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss <a@b>, yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy (note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note note )", head: "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss <a@b>,\n<yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy>", addrs: ["a@b", "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"], warnings: 1 },
  { in: "<kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk> <llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll> <mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm> <nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn> <>", tree: "op:\"<\" addr[atom:\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\"] op:\">\" op:\"<\" addr[atom:\"llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll\"] op:\">\" op:\"<\" addr[atom:\"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm\"] op:\">\" op:\"<\" addr[atom:\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\"] op:\">\" op:\"<\" op:\">\"", int: "<kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk> <llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll> <mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm> <nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn> <>", ext: "<kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk> <llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll> <mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm> <nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn> <>", head: "<>", addrs: ["kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", "llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll", "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm", "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"], warnings: 1 },
  { in: "(cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc)", tree: "comment:\"(cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc)\"", int: "(cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc)", ext: "(cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc)", head: "(cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc)", addrs: [] },
  { in: "a@b, c@d, e@f", limit: 3, tree: "addr[atom:\"a\" op:\"@\" atom:\"b\"]", int: "a@b", ext: "a@b", head: "a@b", addrs: ["a@b"] },
  { in: "a@b, c@d, e@f", limit: 4, tree: "addr[atom:\"a\" op:\"@\" atom:\"b\"] op:\",\"", int: "a@b,", ext: "a@b, ", head: "a@b,\n", addrs: ["a@b"] },
  { in: "\"Joe\" <j@x>", limit: 2, tree: "addr[qstring:\"Joe\" op:\"<\"]", int: "Joe<", ext: "\"Joe<\"", head: "\"Joe<\"", addrs: ["Joe<"] },
];

describe("parseAddressTree() and its writers match Postfix's tok822", () => {
  for (const row of PARSE) {
    const name = row.in.length > 60 ? `${row.in.slice(0, 60)}...` : row.in;
    test(`${JSON.stringify(name)}${row.limit ? ` (limit ${row.limit})` : ""}`, () => {
      const tree = parseAddressTree(row.in, row.limit ?? 0);
      expect(treeString(tree)).toBe(row.tree);
      expect(internalizeTokens(tree)).toBe(row.int);
      const warnings: string[] = [];
      expect(externalizeTokens(tree, { onWarning: (w) => warnings.push(w) })).toBe(row.ext);
      expect(warnings).toEqual([]);
      expect(externalizeTokens(tree, { lineBreaks: true, truncate: true, onWarning: (w) => warnings.push(w) })).toBe(row.head);
      expect(warnings.length).toBe(row.warnings ?? 0);
      expect(addressTokens(tree).map(addressInternal)).toEqual(row.addrs);
    });
  }
});

describe("externalizeTokens() with truncate", () => {
  test("warns with Postfix's text, cut to 100 characters", () => {
    const warnings: string[] = [];
    const tree = parseAddressTree(`${"y".repeat(30)} (${"z".repeat(260)})`);
    expect(externalizeTokens(tree, { truncate: true, onWarning: (w) => warnings.push(w) })).toBe(`<${"y".repeat(30)}>`);
    expect(warnings).toEqual([`stripping too many comments from address: ${"y".repeat(30)} (${"z".repeat(68)}...`]);
  });

  test("shows control characters as ? in the warning", () => {
    const warnings: string[] = [];
    const tree = parseAddressTree(`"a\u0001b" <c@d> (${"z".repeat(260)})`);
    expect(externalizeTokens(tree, { truncate: true, onWarning: (w) => warnings.push(w) })).toBe("<c@d>");
    expect(warnings[0]!.startsWith('stripping too many comments from address: "a?b" <c@d>(zzz')).toBe(true);
  });

  test("counts non-address text per address expression: 250 characters stay, 251 are stripped", () => {
    // the phrase, the space and the angle brackets: 247 + 1 + 2 = 250 characters of non-address text
    const keep = parseAddressTree(`x@y, ${"p".repeat(247)} <a@b>`);
    expect(externalizeTokens(keep, { truncate: true })).toBe(`x@y, ${"p".repeat(247)} <a@b>`);
    const warnings: string[] = [];
    const strip = parseAddressTree(`x@y, ${"p".repeat(248)} <a@b>`);
    expect(externalizeTokens(strip, { truncate: true, onWarning: (w) => warnings.push(w) })).toBe("x@y, <a@b>");
    expect(warnings.length).toBe(1);
  });

  test("reduces an expression without an address to nothing but leaves it when it has no <>", () => {
    const tree = parseAddressTree(`(${"c".repeat(300)})`);
    expect(externalizeTokens(tree, { truncate: true })).toBe(`(${"c".repeat(300)})`);
  });
});

describe("scanAddressTokens()", () => {
  const cases: [string, string, number, string][] = [
    ["separates words at white space", "Joe  Bloggs\t", 0, 'atom:"Joe" atom:"Bloggs"'],
    ["quotes an atom with a control character", "Jo\u0001e X", 0, 'qstring:"Jo\\u0001e" atom:"X"'],
    ["keeps 8-bit characters in atoms", "Zo\u00eb", 0, 'atom:"Zo\u00eb"'],
    ["makes every special character an operator", "|%!)<>@,;:.]", 0, 'op:"|" op:"%" op:"!" op:")" op:"<" op:">" op:"@" op:"," op:";" op:":" op:"." op:"]"'],
    ["unescapes a backslashed special into a quoted string", "a\\@b", 0, 'qstring:"a@b"'],
    ["turns white space in quotes into spaces", '"a\tb\r\nc"', 0, 'qstring:"a b  c"'],
    ["keeps comments as written, nested and escaped", "(a (b) \\) c)", 0, 'comment:"(a (b) \\\\) c)"'],
    ["runs an unterminated comment to the end", "(a (b)", 0, 'comment:"(a (b)"'],
    ["makes an empty atom from a lone backslash", "\\", 0, 'atom:""'],
    ["stops at the token limit", "a b c d", 2, 'atom:"a" atom:"b"'],
    ["stops at a NUL", "a\u0000b", 0, 'atom:"a"'],
    ["gives nothing for empty text", "", 0, ""],
    ["gives nothing for white space", " \t\r\n", 0, ""],
  ];
  for (const [label, input, limit, want] of cases) {
    test(label, () => {
      expect(treeString(scanAddressTokens(input, limit))).toBe(want);
    });
  }

  test("records where each token is in the text", () => {
    const toks = scanAddressTokens(' Joe "B" <j@x> (c)');
    expect(toks.map((t) => [t.start, t.end])).toEqual([[1, 4], [5, 8], [9, 10], [10, 11], [11, 12], [12, 13], [13, 14], [15, 18]]);
  });

  test("externalizeTokens() of a scanned list puts one space between words and quotes qstrings", () => {
    expect(externalizeTokens(scanAddressTokens("Joe\tBloggs  x\u0001y"))).toBe('Joe Bloggs "x\u0001y"');
  });
});

test("cString() ends text at the first NUL", () => {
  expect(cString("ab\u0000cd")).toBe("ab");
  expect(cString("abcd")).toBe("abcd");
  expect(cString("\u0000")).toBe("");
});

test("parseAddressTree() copes with 100000 characters of hostile text and 5000 addresses quickly", () => {
  const t0 = performance.now();
  expect(parseAddressTree('"<(['.repeat(25000)).length).toBeGreaterThan(0);
  expect(parseAddressTree("<".repeat(50000) + ">".repeat(50000)).length).toBeGreaterThan(0);
  const long = Array.from({ length: 5000 }, (_, i) => `"User ${i}" <u${i}@example.com>`).join(", ");
  const addrs = addressTokens(parseAddressTree(long));
  expect(addrs.length).toBe(5000);
  expect(addressInternal(addrs[4999]!)).toBe("u4999@example.com");
  expect(performance.now() - t0).toBeLessThan(2000);
});

test("parseAddressTree() with a token limit keeps only the first tokens", () => {
  expect(addressTokens(parseAddressTree(Array.from({ length: 100 }, (_, i) => `a${i}@b`).join(", "), 10240)).length).toBe(100);
  // a@b , c@d , e — the 9th token would be "@"
  expect(addressTokens(parseAddressTree("a@b, c@d, e@f, g@h", 9)).map(addressInternal)).toEqual(["a@b", "c@d", "e"]);
});
