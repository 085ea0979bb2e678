/**
 * address_classes_test — masquerading, the *_classes parameters, automatic BCC recipients and
 * receive_override_options = no_address_mappings, as Postfix's cleanup applies them.
 */
import { test, expect, beforeAll, afterAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { ensureQueueDirs, openQueueFile, DSN_NOTIFY } from "../queue/index.ts";
import { Cleanup, type CleanupRequest } from "./cleanup.ts";
import { Masquerade } from "./address_classes.ts";

let dir = "";

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "addr-classes-test-")));
  ensureQueueDirs(join(dir, "queue"));
  writeFileSync(join(dir, "canonical"), "alice@example.test Alice.Smith@example.test\nbob@example.test Bob.Jones@example.test\n");
  writeFileSync(join(dir, "virtual"), "team@example.test carol@example.test, dave@example.test\n");
  writeFileSync(join(dir, "sender_bcc"), "alice@example.test sent-archive@example.test\n");
  writeFileSync(join(dir, "recipient_bcc"), "carol@example.test carol-copy@example.test\n");
  writeFileSync(join(dir, "exceptions"), "postmaster x\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(mainCf: string) {
  writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/queue\nmyhostname = host.example.test\nmydomain = example.test\nmyorigin = example.test\n${mainCf}`);
  return loadConfig({ configDir: dir, warn: false });
}

async function clean(mainCf: string, req: Omit<Partial<CleanupRequest>, "content"> & { content: string }, external = true) {
  const base = await Cleanup.create(config(mainCf));
  const c = external ? base.withContentFilter("") : base;
  const res = await c.process({
    sender: "alice@example.test", recipients: [{ address: "bob@example.test" }], context: "remote",
    ...req, content: [Buffer.from(req.content)],
  });
  using f = openQueueFile(res.path!);
  const env = f.envelope();
  const content = Buffer.concat([...f.content()].map((b) => Buffer.from(b))).toString();
  return { env, content, rcpts: env.recipients.map((r) => `${r.address}${r.notify === DSN_NOTIFY.NEVER ? " (never)" : ""}`) };
}

test("masquerading: the first listed parent domain decides, a listed domain itself stops the search, ! never rewrites", async () => {
  const m = (await Masquerade.compile(config("masquerade_domains = !sub.example.com, example.com, other.test\n")))!;
  expect(m.masquerade("u@host.example.com")).toBe("u@example.com");
  expect(m.masquerade("u@a.b.Example.COM")).toBe("u@example.com");
  expect(m.masquerade("u@example.com")).toBe("u@example.com");
  expect(m.masquerade("u@host.sub.example.com")).toBe("u@host.sub.example.com");
  expect(m.masquerade("u@sub.example.com")).toBe("u@sub.example.com");
  expect(m.masquerade("u@notexample.com")).toBe("u@notexample.com");
  expect(m.masquerade("u@x.other.test")).toBe("u@other.test");
  expect(m.masquerade("unqualified")).toBe("unqualified");
  expect(m.classes).toEqual({ envelopeSender: true, envelopeRecipient: false, headerSender: true, headerRecipient: true });
  expect(await Masquerade.compile(config(""))).toBeUndefined();
});

test("masquerade_exceptions: names without case, and table lookups", async () => {
  const m = (await Masquerade.compile(config(`masquerade_domains = example.com\nmasquerade_exceptions = Root, texthash:${dir}/exceptions\n`)))!;
  expect(m.masquerade("root@h.example.com")).toBe("root@h.example.com");
  expect(m.masquerade("postmaster@h.example.com")).toBe("postmaster@h.example.com");
  expect(m.masquerade("user@h.example.com")).toBe("user@example.com");
});

test("cleanup masquerades the envelope sender and sender/recipient headers, not envelope recipients by default", async () => {
  const { env, content } = await clean("masquerade_domains = example.test\n", {
    sender: "alice@mail.example.test", recipients: [{ address: "bob@host.example.test" }], context: "local",
    content: "From: alice@mail.example.test\nTo: bob@host.example.test\nSubject: x\n\nbody\n",
  });
  expect(env.sender).toBe("alice@example.test");
  expect(env.recipients[0]!.address).toBe("bob@host.example.test");
  expect(content).toContain("From: alice@example.test\nTo: bob@example.test\n");
});

test("canonical_classes limits canonical_maps to the classes named", async () => {
  const { env, content } = await clean(`canonical_maps = texthash:${dir}/canonical\ncanonical_classes = envelope_recipient, header_recipient\n`, {
    context: "local",
    content: "From: alice@example.test\nTo: bob@example.test\n\nx\n",
  });
  expect(env.sender).toBe("alice@example.test");
  expect(env.recipients[0]!.address).toBe("Bob.Jones@example.test");
  expect(content).toContain("From: alice@example.test\nTo: Bob.Jones@example.test\n");
});

test("sender_bcc_maps comes first, recipient_bcc_maps after its recipient, always_bcc last; none is ever notified", async () => {
  const { rcpts, env } = await clean(
    `virtual_alias_maps = texthash:${dir}/virtual\nsender_bcc_maps = texthash:${dir}/sender_bcc\nrecipient_bcc_maps = texthash:${dir}/recipient_bcc\nalways_bcc = audit\n`,
    { recipients: [{ address: "carol@example.test" }, { address: "team@example.test" }], content: "Subject: x\n\nx\n" },
  );
  expect(rcpts).toEqual([
    "sent-archive@example.test (never)",
    "carol@example.test",
    "carol-copy@example.test (never)",
    "carol@example.test", // through team@: another original recipient, so not a duplicate
    "dave@example.test",
    "audit@example.test (never)",
  ]);
  // no DSN ORCPT is made up for an automatic BCC recipient (Postfix's cleanup_addr_bcc()); the others get theirs
  expect(env.recipients.map((r) => r.orcpt)).toEqual(["", "rfc822;carol@example.test", "", "rfc822;team@example.test", "rfc822;team@example.test", ""]);
  // and its original recipient is its address after rewriting ("audit" is qualified)
  expect(env.recipients.map((r) => r.origAddress)).toEqual(["sent-archive@example.test", "carol@example.test", "carol-copy@example.test", "team@example.test", "team@example.test", "audit@example.test"]);
});

test("mail the system makes gets no automatic BCC; no_address_mappings turns off mapping and BCC for a service", async () => {
  const cf = `canonical_maps = texthash:${dir}/canonical\nvirtual_alias_maps = texthash:${dir}/virtual\nalways_bcc = audit@example.test\nmasquerade_domains = example.test\n`;
  const internal = await clean(cf, { recipients: [{ address: "team@example.test" }], content: "Subject: x\n\nx\n" }, false);
  expect(internal.env.sender).toBe("Alice.Smith@example.test");
  expect(internal.rcpts).toEqual(["carol@example.test", "dave@example.test"]);
  const off = await clean(`${cf}receive_override_options = no_address_mappings\n`, {
    sender: "alice@a.example.test", recipients: [{ address: "team@example.test" }], content: "From: alice@example.test\n\nx\n",
  });
  expect(off.env.sender).toBe("alice@a.example.test");
  expect(off.rcpts).toEqual(["team@example.test"]);
  expect(off.content).toContain("From: alice@example.test\n");
});

test("MAILER-DAEMON@$myorigin as sender becomes the null sender", async () => {
  const { env } = await clean("", { sender: "MAILER-DAEMON@Example.Test", content: "Subject: x\n\nx\n" });
  expect(env.sender).toBe("");
});

test("headers of remote mail are rewritten only with remote_header_rewrite_domain; envelope addresses always in the local context", async () => {
  const cf = `canonical_maps = texthash:${dir}/canonical\n`;
  const plain = await clean(cf, { sender: "alice", recipients: [{ address: "bob" }], content: "From: alice@example.test\nTo: carol\n\nx\n" });
  expect(plain.env.sender).toBe("Alice.Smith@example.test");
  expect(plain.env.recipients[0]!.address).toBe("Bob.Jones@example.test");
  expect(plain.content).toContain("From: alice@example.test\nTo: carol\n");
  const rw = await clean(`${cf}remote_header_rewrite_domain = invalid.test\n`, { content: "From: alice@example.test\nTo: carol\n\nx\n" });
  expect(rw.content).toContain("From: Alice.Smith@example.test\nTo: carol@invalid.test\n");
  // with a header rewriting context, missing headers are added
  expect(rw.content).toMatch(/^Message-Id: </m);
  expect(plain.content).not.toMatch(/^Message-Id: </m);
});

test("address canonicalization: bang paths, the percent hack, .$mydomain, source routes, trailing dots", async () => {
  const rcpts = async (cf: string, list: string[]) =>
    (await clean(cf, { recipients: list.map((address) => ({ address })), content: "Subject: x\n\nx\n" })).env.recipients.map((r) => r.address);
  // (compatibility_level 0: append_dot_mydomain = yes)
  expect(await rcpts("", ["site!user", "user%site.test", "@relay.test:user@example.test", "user@host.", "plain"])).toEqual([
    "user@site.example.test", "user@site.test", "user@example.test", "user@host", "plain@example.test",
  ]);
  expect(await rcpts("swap_bangpath = no\nallow_percent_hack = no\n", ["site!user", "user%site"])).toEqual(["site!user@example.test", "user%site@example.test"]);
  expect(await rcpts("", ["user@host", "user@[192.0.2.1]", "user@host.test"])).toEqual(["user@host.example.test", "user@[192.0.2.1]", "user@host.test"]);
  expect(await rcpts("compatibility_level = 3.6\n", ["user@host", "site!user"])).toEqual(["user@host", "user@site"]);
});
