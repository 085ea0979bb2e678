import { describe, expect, test } from "bun:test";
import { openMap } from "./open_map.ts";
import { MapError } from "./map_error.ts";

describe("tables without files", () => {
  test.each([
    ["inline:{a=b, c=d}", "A", "b"],
    ["inline:{ { a = c d } }", "a", "c d"],
    ["inline:{a=b,a=c}", "a", "c"],
    ["static:value", "anything", "value"],
    ["static:{ a b c }", "x", "a b c"],
    ["unionmap:{inline:{a=1}, inline:{a=2, b=3}, static:x}", "a", "1,2,x"],
    ["unionmap:{inline:{a=1}, inline:{b=2}}", "z", undefined],
    ["pipemap:{inline:{b=c}, inline:{c=d}}", "b", "d"],
    ["pipemap:{inline:{b=c}, inline:{c=d}}", "c", undefined],
    ["proxy:inline:{a=b}", "a", "b"],
    ["randmap:{only}", "x", "only"],
    ["internal:x", "x", undefined],
  ])("%s looks up %p as %p", async (spec, key, value) => {
    expect((await openMap(spec)).lookup(key)).toBe(value);
  });

  test("environ: folds the variable name", async () => {
    const t = await openMap("environ:x", { env: { home: "/root", HOME: "/other" } });
    expect(t.lookup("HOME")).toBe("/root");
    expect((await openMap("environ:x", { env: { HOME: "/other" }, fold: false })).lookup("HOME")).toBe("/other");
  });

  test("fail: fails every lookup with a temporary error", async () => {
    const t = await openMap("fail:x");
    let e: unknown;
    try {
      t.lookup("a");
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(MapError);
    expect((e as MapError).temporary).toBe(true);
    expect((e as MapError).reason).toBe("Application error");
  });

  test("inline: lists its entries; static: cannot", async () => {
    expect([...(await openMap("inline:{a=1, b=2}")).entries()]).toEqual([
      ["a", "1"],
      ["b", "2"],
    ]);
    const s = await openMap("static:x");
    expect(() => s.entries()).toThrow("table static:x: sequence operation is not supported");
  });

  test.each([
    ["inline:{}", 'bad syntax: "inline:{}"; need "inline:{name=value...}"'],
    ["inline:{ }", 'empty table: "inline:{ }"; need "inline:{name=value...}"'],
    ["inline:{a=b", 'bad syntax: "inline:{a=b"; need "inline:{name=value...}"'],
    ["inline:{a}", `missing '=' after attribute name: "inline:{a}"; need "inline:{name=value...}"`],
    ["inline:{ {a=b}x }", `syntax error after '}' in "{a=b}x": "inline:{ {a=b}x }"; need "inline:{name=value...}"`],
    ["static:{ a", `bad static:name syntax: missing '}' in "{ a"`],
    ['inline:{"a b"=c}', `unbalanced '"': "inline:{"a b"=c}"; need "inline:{name=value...}"`],
    ["unionmap:{}", 'bad syntax: "unionmap:{}"; need "unionmap:{type:name...}"'],
    ["pipemap:{x}", 'bad syntax: "pipemap:{x}"; need "pipemap:{type:name...}"'],
    ["randmap:{}", 'bad syntax: "randmap:{}"; need "randmap:{value...}"'],
    ["environ:", 'open dictionary: expecting "type:name" form instead of "environ:"'],
    ["nocolon", 'open dictionary: expecting "type:name" form instead of "nocolon"'],
    ["foo:bar", "unsupported dictionary type: foo"],
  ])("%s is refused", async (spec, message) => {
    const e = await openMap(spec).catch((x) => x);
    expect(e).toBeInstanceOf(MapError);
    expect(e.message).toBe(message);
  });
});
