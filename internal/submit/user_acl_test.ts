import { test, expect, afterAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { checkUserAcl, splitUserList } from "./user_acl.ts";
import { FatalError } from "../sys/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "user-acl-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const passwdFile = join(dir, "passwd");
writeFileSync(passwdFile, "root:x:0:0:root:/root:/bin/sh\njoe:x:1000:1000:Joe:/home/joe:/bin/sh\nann:x:1001:1001:Ann:/home/ann:/bin/sh\n");
const listFile = join(dir, "users");
writeFileSync(listFile, "# the submitters\nann\n!joe root\n");

const check = (value: string, uid: number) => checkUserAcl("authorized_submit_users", value, uid, { passwdFile });

const cases: [string, string, number, string | undefined][] = [
  ["static:anyone", "static:anyone", 1000, undefined],
  ["any static: value", "static:nobody", 4242, undefined],
  ["listed user", "root, joe", 1000, undefined],
  ["unlisted user", "root, ann", 1000, "joe"],
  ["case-insensitive", "JOE", 1000, undefined],
  ["negation denies", "!joe, static:anyone", 1000, "joe"],
  ["negation does not affect others", "!joe, static:anyone", 1001, undefined],
  ["double negation allows", "!!joe", 1000, undefined],
  ["uid without passwd entry is unknown", "root joe", 4242, "unknown"],
  ["!unknown blocks such uids", "!unknown, static:anyone", 4242, "unknown"],
  ["table lookup", "inline:{ joe=yes }", 1000, undefined],
  ["table miss", "inline:{ ann=yes }", 1000, "joe"],
  ["file of patterns", listFile, 1001, undefined],
  ["negation inside a file", listFile, 1000, "joe"],
  ["negated file", `!${listFile}, static:anyone`, 1001, "ann"],
  ["empty list denies", "", 0, "root"],
  ["missing file denies", join(dir, "missing"), 0, "root"],
];
for (const [label, value, uid, want] of cases) {
  test(`checkUserAcl(): ${label}`, async () => expect(await check(value, uid)).toBe(want));
}

test("checkUserAcl(): ! without a pattern is fatal", async () => {
  await expect(check("!", 0)).rejects.toBeInstanceOf(FatalError);
});

test("splitUserList() keeps brace groups together", () => {
  expect(splitUserList(" a,b\tc ,, inline:{ x=1, y=2 } d")).toEqual(["a", "b", "c", "inline:{ x=1, y=2 }", "d"]);
});
