/**
 * owner- aliases for file and command deliveries, end to end through the compiled binary: with aliases built by
 * postalias, a command that exits 67 and a file that cannot be written under an alias that has an owner- alias
 * are reported to the owner (a notice of their own, To: owner-NAME), not to the sender, as Postfix's local(8)
 * does (bounce_workaround); without an owner- alias the sender is told; a temporary failure is deferred, and
 * nobody is told.
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, runTool, readMaillog, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";

// a running mail system: more than bun's default 5 s per test on a busy machine
setDefaultTimeout(30000);

let inst: Instance;
const log = () => readMaillog(inst);

/** The messages in maildir `name` (under the instance's maildirs/), as text. */
function maildir(name: string): string[] {
  const dir = join(inst.dir, "maildirs", name, "new");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => readFileSync(join(dir, f), "latin1"));
}

/** The queue IDs pickup gave to messages from senderbox, in order. */
const pickedUp = () => [...log().matchAll(/(\w+): uid=\d+ from=<senderbox@host\.example\.test>/g)].map((m) => m[1]!);

/** Submits a message from senderbox; returns the queue ID pickup gave it. */
async function submit(rcpt: string, subject: string): Promise<string> {
  const before = pickedUp().length;
  const r = runTool("sendmail", ["-f", "senderbox@host.example.test", rcpt], { env: { MAIL_CONFIG: inst.config }, stdin: `Subject: ${subject}\n\n${subject} body\n` });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  await waitFor(`pickup of ${subject}`, () => pickedUp().length > before);
  return pickedUp()[before]!;
}

beforeAll(async () => {
  inst = makeInstance();
  const d = inst.dir;
  chmodSync(d, 0o755); // default_privs (nobody) must reach the maildirs
  mkdirSync(join(d, "maildirs"));
  chmodSync(join(d, "maildirs"), 0o1777);
  writeFileSync(
    join(inst.config, "aliases"),
    [
      "postmaster: ownerbox",
      `ownerbox: ${d}/maildirs/owner/`,
      `senderbox: ${d}/maildirs/sender/`,
      'list: "|exit 67"',
      "owner-list: ownerbox",
      `flist: ${d}/nonexistent/dir/file`,
      "owner-flist: ownerbox",
      'nlist: "|exit 67"',
      'tlist: "|exit 75"',
      "owner-tlist: ownerbox",
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(inst.config, "main.cf"),
    `${readFileSync(join(inst.config, "main.cf"), "utf8")}alias_maps = hash:${inst.config}/aliases\nalias_database = hash:${inst.config}/aliases\nbiff = no\n`,
  );
  writeFileSync(join(inst.config, "master.cf"), stockMasterCf(null));
  const na = runTool("newaliases", ["-C", inst.config]);
  expect(na.stderr).toBe("");
  expect(na.status).toBe(0);
  expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
  await waitFor("the local agent", () => existsSync(join(inst.queue, "private", "local")));
});

afterAll(() => {
  runTool("postfix", ["-c", inst.config, "abort"]);
  inst.cleanup();
});

test("a command that fails for good under an alias with an owner- alias is reported to the owner, not the sender", async () => {
  const id = await submit("list", "to list");
  await waitFor("the owner's notice", () => maildir("owner").some((m) => m.includes(`X-Postfix-Queue-ID: ${id}\n`)), 15000);
  const n = maildir("owner").find((m) => m.includes(`X-Postfix-Queue-ID: ${id}\n`))!;
  expect(n).toContain("To: owner-list@host.example.test\n");
  expect(n).toContain("X-Postfix-Sender: rfc822; senderbox@host.example.test\n");
  expect(n).toContain("Final-Recipient: rfc822; list@host.example.test\nAction: failed\nStatus: 5.1.1\n");
  expect(n).toContain("Content-Type: message/rfc822\n");
  expect(n).toContain("to list body\n");
  // as Postfix logs it: the notice first, then the recipient (without orig_to: the owner- expansion drops it)
  const lines = log().split("\n").filter((l) => l.includes(`${id}: `));
  const i = lines.findIndex((l) => / sender non-delivery notification: \w+$/.test(l));
  expect(i).toBeGreaterThan(0);
  expect(lines[i + 1]).toMatch(new RegExp(`postfix/local\\[\\d+\\]: ${id}: to=<list@host\\.example\\.test>, relay=local, delay=[\\d.]+, delays=[\\d./]+, dsn=5\\.1\\.1, status=bounced \\(`));
  await waitFor("removal", () => log().includes(`${id}: removed`));
  expect(log().match(new RegExp(`${id}: sender non-delivery notification`, "g"))!.length).toBe(1);
  expect(maildir("sender").some((m) => m.includes(id))).toBe(false);
});

test("a file that cannot be written goes to the owner; without an owner- alias the sender is told; a temporary failure tells nobody", async () => {
  const fid = await submit("flist", "to flist");
  const nid = await submit("nlist", "to nlist");
  const tid = await submit("tlist", "to tlist");
  await waitFor("the file failure's notice", () => maildir("owner").some((m) => m.includes(`X-Postfix-Queue-ID: ${fid}\n`)), 15000);
  const f = maildir("owner").find((m) => m.includes(`X-Postfix-Queue-ID: ${fid}\n`))!;
  expect(f).toContain("To: owner-flist@host.example.test\n");
  // (the reason is wrapped at 79 columns, continuation lines indented by 4, as Postfix's)
  expect(f.replaceAll("\n    ", " ")).toContain(`<flist@host.example.test>: cannot append message to file ${inst.dir}/nonexistent/dir/file: `);
  await waitFor("the sender's notice", () => maildir("sender").some((m) => m.includes(`X-Postfix-Queue-ID: ${nid}\n`)), 15000);
  const s = maildir("sender").find((m) => m.includes(`X-Postfix-Queue-ID: ${nid}\n`))!;
  expect(s).toContain("To: senderbox@host.example.test\n");
  expect(s).toContain("Final-Recipient: rfc822; nlist@host.example.test\n");
  await waitFor("the deferral", () => new RegExp(`${tid}: to=<tlist@host\\.example\\.test>, relay=local, .*status=deferred`).test(log()));
  expect(log()).not.toContain(`${tid}: sender non-delivery notification`);
  for (const m of [...maildir("owner"), ...maildir("sender")]) {
    expect(m).not.toContain(`X-Postfix-Queue-ID: ${tid}\n`);
    expect(m.includes(`X-Postfix-Queue-ID: ${fid}\n`) && m.includes("To: senderbox")).toBe(false);
    expect(m.includes(`X-Postfix-Queue-ID: ${nid}\n`) && m.includes("To: owner-")).toBe(false);
  }
});
