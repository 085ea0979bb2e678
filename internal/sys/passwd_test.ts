import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getgrnam, getpwnam, getpwuid, groupList } from "./passwd.ts";

const dir = mkdtempSync(join(tmpdir(), "postkit-passwd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (name: string, uid: number, shell: string) => `${name}:x:${uid}:${uid}:${name} user:/home/${name}:${shell}\n`;

test("lookups by name and uid; lines that do not parse are skipped", () => {
  const f = join(dir, "passwd1");
  writeFileSync(f, `garbage\n${line("alice", 1001, "/bin/sh")}bob:x:oops:1:::\n${line("bob", 1002, "/bin/sh")}`);
  expect(getpwnam("alice", f)).toEqual({ name: "alice", uid: 1001, gid: 1001, gecos: "alice user", home: "/home/alice", shell: "/bin/sh" });
  expect(getpwnam("bob", f)?.uid).toBe(1002);
  expect(getpwuid(1002, f)?.name).toBe("bob");
  expect(getpwnam("carol", f)).toBeUndefined();
  expect(getpwnam("alice", join(dir, "missing"))).toBeUndefined();
});

test("a change is seen at once, even of the same size within the same clock tick", () => {
  const f = join(dir, "passwd2");
  writeFileSync(f, line("alice", 1001, "/bin/sh"));
  expect(getpwnam("alice", f)?.shell).toBe("/bin/sh");
  writeFileSync(f, line("alice", 1001, "/bin/zz")); // same length, written right away
  expect(getpwnam("alice", f)?.shell).toBe("/bin/zz");
});

test("an old file is read once and kept while its inode, size and time stay; a replacement is read again", () => {
  const f = join(dir, "passwd3");
  writeFileSync(f, line("alice", 1001, "/bin/sh"));
  const old = new Date(Date.now() - 60_000);
  utimesSync(f, old, old);
  expect(getpwnam("alice", f)?.shell).toBe("/bin/sh");
  // the same inode, size and time: what was read before stands (proves the cache is used)
  writeFileSync(f, line("alice", 1001, "/bin/xx"));
  utimesSync(f, old, old);
  expect(getpwnam("alice", f)?.shell).toBe("/bin/sh");
  // replaced by rename (vipw, useradd): a new inode, read again even with the old time
  const next = join(dir, "passwd3.new");
  writeFileSync(next, line("alice", 1001, "/bin/yy"));
  utimesSync(next, old, old);
  renameSync(next, f);
  expect(getpwnam("alice", f)?.shell).toBe("/bin/yy");
});

test("groups: by name, and a user's supplementary groups with the primary one", () => {
  const f = join(dir, "group");
  writeFileSync(f, "mail:x:8:alice,bob\nstaff:x:50:bob\nbad:x:zz:alice\n");
  expect(getgrnam("mail", f)).toEqual({ name: "mail", gid: 8, members: ["alice", "bob"] });
  expect(getgrnam("bad", f)).toBeUndefined();
  expect(groupList("bob", 1002, f).sort((a, b) => a - b)).toEqual([8, 50, 1002]);
});
