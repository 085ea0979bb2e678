import { describe, expect, test } from "bun:test";
import { parseAliasLine } from "./aliases_source.ts";

describe("parseAliasLine()", () => {
  test.each([
    ["simple", "root: alice", "root", "alice"],
    ["list re-serialised", "root: alice,bob ,  carol", "root", "alice, bob, carol"],
    ["quoted name is stored unquoted", '"quoted name": dave', "quoted name", "dave"],
    ["command in quotes", 'prog: "|/usr/bin/prog arg", |/bin/cat', "prog", '"|/usr/bin/prog arg", |/bin/cat'],
    ["file and include", "file: /var/log/x, :include:/etc/list", "file", "/var/log/x, :include:/etc/list"],
    ["addresses with dots and quotes", 'a.b: c.d@example.com, "e f"@example.com', "a.b", 'c.d@example.com, "e f"@example.com'],
    ["empty value in quotes", 'empty2: ""', "empty2", '""'],
    ["comment in the name", "comment (cmt) : val (c2)", "comment (cmt)", "val (c2)"],
    ["escaped colon in the name", "bs\\:x: y", "bs:x", "y"],
    ["angle brackets", "lt: Joe <joe@x>, <x@y>", "lt", "Joe <joe@x>, <x@y>"],
    ["domain literal", "dom: [1.2.3.4], x@[1.2.3.4]", "dom", "[1.2.3.4], x@[1.2.3.4]"],
    ["escapes requoted", 'esc: "a\\"b", a\\ b', "esc", '"a\\"b", "a b"'],
  ])("%s", (_label, line, name, value) => {
    expect(parseAliasLine(line)).toEqual({ name, value });
  });

  test.each([
    ["no colon", "nocolon value", "need name:value pair"],
    ["nothing after the colon", "empty:", "need name:value pair"],
    ["nothing before the colon", ": x", "need name:value pair"],
    ["comma before the colon", "a, b: c", "need name:value pair"],
    ["domain in the name", "user@dom: x", "name must be local"],
    ["percent in the name", "pct%x: y", "name must be local"],
  ])("%s", (_label, line, warning) => {
    expect(parseAliasLine(line)).toEqual({ warning });
  });
});
