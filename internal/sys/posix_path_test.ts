import { test, expect } from "bun:test";
import { posix } from "node:path";
import { basenamePath, dirnamePath, joinPath, normalizePath } from "./posix_path.ts";

const PATHS = [
  "", "/", "//", "///", ".", "..", "./", "../", "a", "a/", "a//", "/a", "/a/", "//a", "a/b", "a//b", "a/./b", "a/../b",
  "a/b/..", "a/b/../..", "a/b/../../..", "../a", "../../a/b", "/..", "/../a", "/a/../..", "./a/./b/.", "a/b/c/",
  "/var/spool/postfix/maildrop", "/var/spool//postfix/", "queue/deferred/A/ABCDEF", "x/.hidden", "...", "a/.../b",
];

test("normalizePath() agrees with node:path", () => {
  for (const p of PATHS) expect([p, normalizePath(p)]).toEqual([p, posix.normalize(p)]);
});

test("dirnamePath() and basenamePath() agree with node:path", () => {
  for (const p of PATHS) {
    expect([p, dirnamePath(p)]).toEqual([p, posix.dirname(p)]);
    expect([p, basenamePath(p)]).toEqual([p, posix.basename(p)]);
  }
});

test("joinPath() agrees with node:path", () => {
  for (const a of PATHS) for (const b of ["", "x", "/x", "x/", "..", "../y", "y/./z"]) {
    expect([a, b, joinPath(a, b)]).toEqual([a, b, posix.join(a, b)]);
  }
  expect(joinPath()).toBe(posix.join());
  expect(joinPath("", "")).toBe(posix.join("", ""));
  expect(joinPath("/q", "deferred", "A", "ID")).toBe("/q/deferred/A/ID");
});
