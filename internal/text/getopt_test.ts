import { test, expect } from "bun:test";
import { getopt, GetoptError } from "./getopt.ts";

const U = "prog [-v] [-c dir]";

const cases: { label: string; argv: string[]; spec: string; opts: string[][]; args: string[] }[] = [
  { label: "cluster counts repeated flags", argv: ["-vv", "-v"], spec: "c:v", opts: [["v"], ["v"], ["v"]], args: [] },
  { label: "attached value", argv: ["-cdir", "x"], spec: "c:v", opts: [["c", "dir"]], args: ["x"] },
  { label: "separate value", argv: ["-c", "dir", "x"], spec: "c:v", opts: [["c", "dir"]], args: ["x"] },
  { label: "value inside a cluster", argv: ["-vcdir"], spec: "c:v", opts: [["v"], ["c", "dir"]], args: [] },
  { label: "stops at the first non-option", argv: ["x", "-v"], spec: "c:v", opts: [], args: ["x", "-v"] },
  { label: "-- ends options", argv: ["-v", "--", "-c"], spec: "c:v", opts: [["v"]], args: ["-c"] },
  { label: "lone - is an argument", argv: ["-v", "-", "x"], spec: "c:v", opts: [["v"]], args: ["-", "x"] },
  { label: "case-sensitive letters", argv: ["-f", "a", "-F", "b"], spec: "f:F:", opts: [["f", "a"], ["F", "b"]], args: [] },
  { label: "repeated -o collected", argv: ["-o", "a=1", "-ob=2"], spec: "o:", opts: [["o", "a=1"], ["o", "b=2"]], args: [] },
  { label: "optional attached value present", argv: ["-q30m"], spec: "q::", opts: [["q", "30m"]], args: [] },
  { label: "optional value never swallows the next word", argv: ["-q", "rcpt"], spec: "q::", opts: [["q"]], args: ["rcpt"] },
  { label: "empty separate value", argv: ["-f", ""], spec: "f:", opts: [["f", ""]], args: [] },
];

for (const c of cases) {
  test(`getopt() ${c.label}`, () => {
    const r = getopt(c.argv, c.spec, U);
    expect(r.opts.map((o) => (o.arg === undefined ? [o.opt] : [o.opt, o.arg]))).toEqual(c.opts);
    expect(r.args).toEqual(c.args);
  });
}

test("getopt() counts, collects and takes the last value", () => {
  const r = getopt(["-vv", "-o", "a", "-o", "b"], "o:v", U);
  expect(r.count("v")).toBe(2);
  expect(r.values("o")).toEqual(["a", "b"]);
  expect(r.last("o")).toBe("b");
  expect(r.has("x")).toBe(false);
});

test("getopt() reports an unknown option as glibc does", () => {
  try {
    getopt(["-Z"], "v", U);
    throw new Error("no error");
  } catch (e) {
    expect(e).toBeInstanceOf(GetoptError);
    expect((e as GetoptError).detail).toBe("invalid option -- 'Z'");
    expect((e as GetoptError).message).toBe(U);
  }
});

test("getopt() reports a missing value as glibc does", () => {
  expect(() => getopt(["-c"], "c:", U)).toThrow(GetoptError);
  try {
    getopt(["-c"], "c:", U);
  } catch (e) {
    expect((e as GetoptError).detail).toBe("option requires an argument -- 'c'");
  }
});

test("getopt() accepts declared long options with values and rejects others", () => {
  const r = getopt(["--json", "--sender=a.*", "--max", "5", "-v", "x"], "v", U, { json: 0, sender: 1, max: 1 });
  expect(r.has("--json")).toBe(true);
  expect(r.last("--sender")).toBe("a.*");
  expect(r.last("--max")).toBe("5");
  expect(r.args).toEqual(["x"]);
  expect(() => getopt(["--nope"], "v", U)).toThrow(GetoptError);
  expect(() => getopt(["--max"], "v", U, { max: 1 })).toThrow(GetoptError);
  expect(() => getopt(["--json=1"], "v", U, { json: 0 })).toThrow(GetoptError);
});
