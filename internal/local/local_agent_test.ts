/**
 * local_agent_test — local(8)'s decisions, in process: a queue file written by the queue writer, a LocalAgent on
 * a temporary configuration with its own passwd file (users with the test runner's uid, so this runs as root and
 * as a normal user), and the log lines and results it produces. The formats and texts are those observed from
 * Debian's Postfix 3.7 (see the report of this work); the running-system test is cmd/local_test.ts.
 */
import { test, expect, describe, beforeAll, afterAll } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { createQueueFile, ensureQueueDirs, openQueueFile, queueLayout, layoutPath, scanQueue } from "../queue/index.ts";
import type { DeliveryRequest, RecipientResult } from "../daemon/agent_protocol.ts";
import { LocalAgent } from "./local_agent.ts";

const uid = process.getuid!();
const gid = process.getgid!();
let dir: string;
let logLines: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "postkit-local-"));
  for (const d of ["etc", "queue", "mail", "home/alice", "home/bob", "home/carol", "files"]) mkdirSync(join(dir, d), { recursive: true });
  ensureQueueDirs(join(dir, "queue"));
  writeFileSync(
    join(dir, "etc", "passwd"),
    ["alice", "bob", "carol"].map((u) => `${u}:x:${uid}:${gid}:${u}:${dir}/home/${u}:/bin/sh\n`).join(""),
  );
  setMsgStderr(false);
  setMsgSink({ write: (level, text) => logLines.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
});

afterAll(() => {
  setMsgSink(undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** A LocalAgent for main.cf lines added to the common ones. */
async function agent(extra: string[] = [], aliases = ""): Promise<LocalAgent> {
  const etc = mkdtempSync(join(dir, "etc-"));
  writeFileSync(join(etc, "aliases"), aliases);
  writeFileSync(
    join(etc, "main.cf"),
    [
      `queue_directory = ${dir}/queue`, `mail_spool_directory = ${dir}/mail`, "myhostname = host.example.test",
      "mydestination = $myhostname, localhost", `alias_maps = texthash:${etc}/aliases`, "recipient_delimiter = +",
      "biff = no", "deliver_lock_attempts = 2", "deliver_lock_delay = 1s", ...extra, "",
    ].join("\n"),
  );
  return LocalAgent.create(loadConfig({ configDir: etc }), "local", { passwdFile: join(dir, "etc", "passwd") });
}

/** Queues a message in active and delivers it; returns the results and the log lines it produced. */
async function deliver(a: LocalAgent, rcpts: (string | [string, string])[], content: string, sender = "sender@example.org") {
  const w = createQueueFile({ queueDir: join(dir, "queue"), queueName: "active" });
  w.writeEnvelope({
    sender,
    recipients: rcpts.map((r) => (typeof r === "string" ? { address: r } : { address: r[0], origAddress: r[1] })),
    attributes: [["rewrite_context", "local"]],
  });
  w.writeContent(content);
  const { queueId } = w.finish();
  using f = openQueueFile(layoutPath(queueLayout(join(dir, "queue")), "active", queueId));
  const env = f.envelope();
  const req: DeliveryRequest = {
    queueName: "active", queueId, sender, nexthop: "host.example.test", service: "local",
    recipients: env.recipients.map((r) => ({ address: r.address, origAddress: r.origAddress, offset: r.offset, notify: r.notify, orcpt: r.orcpt })),
    arrival: Date.now(), active: Date.now(), size: env.messageSize, envid: "", ret: 0, flags: 0,
  };
  logLines = [];
  const reply = await a.deliver(req);
  return { queueId, results: reply.results, log: logLines.map((l) => l.replace(/delay=[\d.]+, delays=[\d./]+, /, "")) };
}

const MSG = "Subject: test\nFrom: sender@example.org\n\nFrom the body\nsecond line\n";
const mbox = (user: string) => readFileSync(join(dir, "mail", user), "utf8");
const summary = (r: RecipientResult[]) => r.map((x) => `${x.status} ${x.dsn} ${x.reason}`);

describe("mailbox delivery", () => {
  test("a local user's mbox gets From_, Return-Path, X-Original-To, Delivered-To, the quoted message and a blank line", async () => {
    const a = await agent();
    const r = await deliver(a, [["alice@host.example.test", "alice"]], MSG);
    expect(summary(r.results)).toEqual(["sent 2.0.0 delivered to mailbox"]);
    expect(r.log).toEqual([`${r.queueId}: to=<alice@host.example.test>, orig_to=<alice>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)`]);
    expect(mbox("alice")).toMatch(
      /^From sender@example\.org {2}\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\nReturn-Path: <sender@example\.org>\nX-Original-To: alice\nDelivered-To: alice@host\.example\.test\nSubject: test\nFrom: sender@example\.org\n\n>From the body\nsecond line\n\n$/,
    );
  });

  test("user+ext@ is delivered to user's mailbox, Delivered-To keeps the extension", async () => {
    const a = await agent();
    rmSync(join(dir, "mail", "bob"), { force: true });
    const r = await deliver(a, ["bob+lists@host.example.test"], MSG, "");
    expect(summary(r.results)).toEqual(["sent 2.0.0 delivered to mailbox"]);
    expect(mbox("bob")).toStartWith("From MAILER-DAEMON  ");
    expect(mbox("bob")).toContain("Return-Path: <>\nX-Original-To: bob+lists@host.example.test\nDelivered-To: bob+lists@host.example.test\n");
  });

  test("unknown users bounce 5.1.1; postmaster without an alias is discarded with a warning", async () => {
    const a = await agent();
    const r = await deliver(a, ["nosuch@host.example.test", "postmaster@host.example.test"], MSG);
    expect(summary(r.results)).toEqual(['bounced 5.1.1 unknown user: "nosuch"', "sent 2.0.0 discarded"]);
    expect(r.log).toContain("warning: required alias not found: postmaster");
  });

  test("luser_relay takes mail for unknown users ($user expanded)", async () => {
    const a = await agent(["luser_relay = carol+$user"]);
    rmSync(join(dir, "mail", "carol"), { force: true });
    const r = await deliver(a, ["stranger@host.example.test"], MSG);
    expect(summary(r.results)).toEqual(["sent 2.0.0 delivered to mailbox"]);
    expect(r.log[0]).toContain("to=<carol+stranger@host.example.test>, orig_to=<stranger@host.example.test>");
    expect(mbox("carol")).toContain("Delivered-To: stranger@host.example.test\n");
  });

  test("mailbox_size_limit: a message that does not fit bounces 5.2.2 and the mailbox is unchanged", async () => {
    const a = await agent(["message_size_limit = 1000", "mailbox_size_limit = 1000"]);
    writeFileSync(join(dir, "mail", "carol"), "x".repeat(900));
    const r = await deliver(a, ["carol@host.example.test"], MSG);
    expect(summary(r.results)).toEqual([
      `bounced 5.2.2 cannot update mailbox ${dir}/mail/carol for user carol. error writing message: File too large`,
    ]);
    expect(mbox("carol")).toBe("x".repeat(900));
  });

  test("a mailbox that is not a regular file bounces 5.2.0", async () => {
    const a = await agent();
    mkdirSync(join(dir, "mail", "dirbox"), { recursive: true });
    writeFileSync(join(dir, "etc", "passwd"), `${readFileSync(join(dir, "etc", "passwd"), "utf8")}dirbox:x:${uid}:${gid}::${dir}/home/alice:/bin/sh\n`);
    const r = await deliver(a, ["dirbox@host.example.test"], MSG);
    expect(r.results[0]!.status).toBe("bounced");
    expect(r.results[0]!.reason).toMatch(/^cannot update mailbox .*\/mail\/dirbox for user dirbox\. /);
  });

  test("home_mailbox = Maildir/ delivers to a maildir in the home directory; mail_spool_directory/ too", async () => {
    const a = await agent(["home_mailbox = Maildir/"]);
    const r = await deliver(a, ["alice@host.example.test"], MSG);
    expect(summary(r.results)).toEqual(["sent 2.0.0 delivered to maildir"]);
    const md = join(dir, "home", "alice", "Maildir");
    const files = readdirSync(join(md, "new"));
    expect(files.length).toBe(1);
    expect(readFileSync(join(md, "new", files[0]!), "utf8")).toBe(
      "Return-Path: <sender@example.org>\nX-Original-To: alice@host.example.test\nDelivered-To: alice@host.example.test\n" + MSG,
    );
    const b = await agent([`mail_spool_directory = ${dir}/spool-md/`]);
    expect(summary((await deliver(b, ["bob@host.example.test"], MSG)).results)).toEqual(["sent 2.0.0 delivered to maildir"]);
    expect(readdirSync(join(dir, "spool-md", "bob", "new")).length).toBe(1);
  });

  test("mailbox_command runs with the recipient's environment; its exit status decides", async () => {
    const a = await agent([`mailbox_command = /bin/sh -c 'env > ${dir}/files/env.$USER; cat > ${dir}/files/in.$USER; exit $EXIT'`]);
    process.env.EXIT = "0";
    const r = await deliver(a, ["alice+ext@host.example.test"], MSG);
    expect(summary(r.results)).toEqual([
      `sent 2.0.0 delivered to command: /bin/sh -c 'env > ${dir}/files/env.$USER; cat > ${dir}/files/in.$USER; exit $EXIT'`,
    ]);
    const env = readFileSync(join(dir, "files", "env.alice"), "utf8");
    for (const v of [`HOME=${dir}/home/alice`, "USER=alice", "LOGNAME=alice", "EXTENSION=ext", "DOMAIN=host.example.test",
      "LOCAL=alice+ext", "RECIPIENT=alice+ext@host.example.test", "SENDER=sender@example.org", "SHELL=/bin/sh", "PATH=/usr/bin:/bin"]) {
      expect(env.split("\n")).toContain(v);
    }
    expect(env).not.toContain("EXIT=");
    expect(readFileSync(join(dir, "files", "in.alice"), "utf8")).toMatch(/^From sender@example\.org {2}.*\nReturn-Path: <sender@example\.org>\nX-Original-To: alice\+ext@host\.example\.test\nDelivered-To: alice\+ext@host\.example\.test\nSubject: test\n[^]*\nFrom the body\nsecond line\n$/);
  });
});

describe("aliases", () => {
  // texthash tables are in postmap(1) format: "key value"
  const ALIASES = () => [
    "team alice, bob", "fwd someone@remote.example", "olist alice, someone@remote.example", "owner-olist carol",
    `file ${dir}/files/filebox`, `cmd "|cat > ${dir}/files/cmdout"`, "fail \"|echo 5.7.1 go away; exit 1\"",
    "tmp \"|exit 75\"", `incl :include:${dir}/files/list`, "loop1 loop2", "loop2 loop1", "self self, bob", "empty ,",
    "ocmd \"|exit 67\"", "owner-ocmd carol", "otmp \"|exit 75\"", "owner-otmp carol",
  ].join("\n");
  let a: LocalAgent;
  beforeAll(async () => {
    a = await agent([], `${ALIASES()}\n`);
  });

  test("an alias to local users delivers to each mailbox, logging the alias as orig_to", async () => {
    rmSync(join(dir, "mail", "alice"), { force: true });
    rmSync(join(dir, "mail", "bob"), { force: true });
    const r = await deliver(a, [["team@host.example.test", "team"]], MSG);
    expect(summary(r.results)).toEqual(["sent 2.0.0 delivered to mailbox"]);
    expect(r.log).toEqual([
      `${r.queueId}: to=<alice@host.example.test>, orig_to=<team>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)`,
      `${r.queueId}: to=<bob@host.example.test>, orig_to=<team>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)`,
    ]);
    // Delivered-To names the alias (frozen_delivered_to = yes)
    expect(mbox("alice")).toContain("X-Original-To: team\nDelivered-To: team@host.example.test\n");
  });

  test("files and commands; failures map to bounce or defer", async () => {
    const r = await deliver(a, ["file@host.example.test", "cmd@host.example.test", "fail@host.example.test", "tmp@host.example.test"], MSG);
    expect(summary(r.results)).toEqual([
      `sent 2.0.0 delivered to file: ${dir}/files/filebox`,
      `sent 2.0.0 delivered to command: cat > ${dir}/files/cmdout`,
      "bounced 5.7.1 go away ",
      "deferred 4.3.0 temporary failure",
    ]);
    expect(readFileSync(join(dir, "files", "filebox"), "utf8")).toMatch(/^From sender@example\.org .*\n[^]*\n>From the body\nsecond line\n\n$/);
    expect(readFileSync(join(dir, "files", "cmdout"), "utf8")).toMatch(/\nDelivered-To: cmd@host\.example\.test\nSubject: test\n[^]*\nFrom the body\n/);
  });

  test("addresses outside this transport, and those under an owner- alias, are forwarded as a new message", async () => {
    const before = new Set([...scanQueue(join(dir, "queue"), "incoming", { missingOk: true })].map((e) => e.id));
    const r = await deliver(a, ["fwd@host.example.test", "olist@host.example.test"], MSG);
    expect(r.results.map((x) => x.status)).toEqual(["sent", "sent"]);
    const fresh = [...scanQueue(join(dir, "queue"), "incoming", { missingOk: true })].map((e) => e.id).filter((id) => !before.has(id));
    expect(fresh.length).toBe(2);
    for (const l of r.log.filter((x) => x.includes("forwarded as"))) expect(fresh).toContain(/forwarded as (\w+)/.exec(l)![1]!);
    const envs = fresh.map((id) => {
      using f = openQueueFile(layoutPath(queueLayout(join(dir, "queue")), "incoming", id));
      return { env: f.envelope(), content: Buffer.concat([...f.content()]).toString(), id };
    });
    const plain = envs.find((e) => e.env.sender === "sender@example.org")!;
    expect(plain.env.recipients.map((x) => x.address)).toEqual(["someone@remote.example"]);
    expect(plain.content).toStartWith(`Received: by host.example.test (Postfix)\n\tid ${plain.id}; `);
    expect(plain.content).toContain("\nDelivered-To: fwd@host.example.test\nSubject: test\n");
    const owned = envs.find((e) => e.env.sender === "owner-olist@host.example.test")!;
    expect(owned.env.recipients.map((x) => x.address).sort()).toEqual(["alice@host.example.test", "someone@remote.example"]);
  });

  test("a command failure under an owner- alias goes to the owner in a notice of its own; the recipient is done", async () => {
    const incoming = () => new Set([...scanQueue(join(dir, "queue"), "incoming", { missingOk: true })].map((e) => e.id));
    const before = incoming();
    const looped = `Delivered-To: ocmd@host.example.test\n${MSG}`;
    const r = await deliver(a, ["ocmd@host.example.test", "ocmd+x@host.example.test", "otmp@host.example.test"], MSG);
    const l = await deliver(a, ["ocmd@host.example.test"], looped);
    // the queue manager hears "done" (no notice to the sender), and a temporary failure stays a deferral
    expect(summary(r.results)).toEqual(["sent 5.1.1 user unknown", "sent 5.1.1 user unknown", "deferred 4.3.0 temporary failure"]);
    expect(summary(l.results)).toEqual(["sent 5.4.6 mail forwarding loop for ocmd@host.example.test"]);
    const notices = [...r.log, ...l.log].filter((x) => x.includes("sender non-delivery notification:")).map((x) => /: (\w+)$/.exec(x)![1]!);
    expect(notices.length).toBe(3);
    expect([...incoming()].filter((id) => !before.has(id)).sort()).toEqual([...notices].sort());
    // Postfix's order: the notice, then the recipient's line
    expect(r.log.filter((x) => !x.includes("message-id=")).slice(0, 4)).toEqual([
      `${r.queueId}: sender non-delivery notification: ${notices[0]}`,
      `${r.queueId}: to=<ocmd@host.example.test>, relay=local, dsn=5.1.1, status=bounced (user unknown)`,
      `${r.queueId}: sender non-delivery notification: ${notices[1]}`,
      `${r.queueId}: to=<ocmd+x@host.example.test>, relay=local, dsn=5.1.1, status=bounced (user unknown)`,
    ]);
    for (const id of notices) {
      using f = openQueueFile(layoutPath(queueLayout(join(dir, "queue")), "incoming", id));
      const env = f.envelope();
      expect([env.sender, ...env.recipients.map((x) => x.address)]).toEqual(["", "owner-ocmd@host.example.test"]);
      const text = Buffer.concat([...f.content()]).toString();
      expect(text).toContain("\nTo: owner-ocmd@host.example.test\n");
      expect(text).toContain("X-Postfix-Sender: rfc822; sender@example.org\n");
    }
  });

  test(":include: files; commands there are refused by allow_mail_to_commands", async () => {
    writeFileSync(join(dir, "files", "list"), "# members\nbob\n\"|cat >/dev/null\"\n");
    chmodSync(join(dir, "files", "list"), 0o644);
    const r = await deliver(a, ["incl@host.example.test"], MSG);
    // bob (from the include file) is forwarded; the refused command bounces, and the bounce is the recipient's result
    expect(summary(r.results)).toEqual(["bounced 5.7.1 mail to command is restricted"]);
    expect(r.log.some((l) => /to=<incl@host\.example\.test>, .*status=sent \(forwarded as \w+\)/.test(l))).toBe(true);
  });

  test("alias loops bounce 5.4.6 (as Postfix 3.7: for the alias where the depth runs out); an alias naming itself delivers to the user", async () => {
    const r = await deliver(a, [["loop1@host.example.test", "loop1"]], MSG);
    expect(summary(r.results)).toEqual(["bounced 5.4.6 alias database loop for loop2"]);
    expect(r.log).toEqual([
      "warning: alias database loop for loop2",
      `${r.queueId}: to=<loop2@host.example.test>, orig_to=<loop1>, relay=local, dsn=5.4.6, status=bounced (alias database loop for loop2)`,
    ]);
    const s = await deliver(a, ["self@host.example.test"], MSG);
    expect(summary(s.results)).toEqual(['bounced 5.1.1 unknown user: "self"']);
    expect(s.log.some((l) => l.includes("to=<bob@host.example.test>, orig_to=<self@host.example.test>") && l.includes("delivered to mailbox"))).toBe(true);
  });

  test("an alias with no addresses defers: alias database unavailable", async () => {
    const r = await deliver(a, ["empty@host.example.test"], MSG);
    expect(summary(r.results)).toEqual(["deferred 4.3.0 alias database unavailable"]);
    expect(r.log).toContain("warning: no recipient in alias lookup result for empty");
  });

  test("a recipient already named in Delivered-To bounces: mail forwarding loop", async () => {
    const r = await deliver(a, ["bob@host.example.test"], `Delivered-To: Bob@Host.Example.Test\n${MSG}`);
    expect(summary(r.results)).toEqual(["bounced 5.4.6 mail forwarding loop for bob@host.example.test"]);
  });
});

describe(".forward", () => {
  test("forward_path with extension first; \\user keeps a copy; the file must be the user's and not world-writable", async () => {
    const a = await agent();
    writeFileSync(join(dir, "home", "carol", ".forward+news"), "\\carol, alice\n");
    chmodSync(join(dir, "home", "carol", ".forward+news"), 0o644);
    rmSync(join(dir, "mail", "carol"), { force: true });
    rmSync(join(dir, "mail", "alice"), { force: true });
    const r = await deliver(a, ["carol+news@host.example.test"], MSG);
    expect(r.results[0]!.status).toBe("sent");
    expect(existsSync(join(dir, "mail", "carol"))).toBe(true);
    // alice is forwarded (a .forward owner's addresses become a new message)
    expect(r.log.some((l) => /to=<carol\+news@host\.example\.test>, .*status=sent \(forwarded as \w+\)/.test(l))).toBe(true);

    writeFileSync(join(dir, "home", "carol", ".forward"), "alice\n");
    chmodSync(join(dir, "home", "carol", ".forward"), 0o666);
    const w = await deliver(a, ["carol@host.example.test"], MSG);
    expect(w.log).toContain(`warning: file ${dir}/home/carol/.forward is world writable`);
    expect(summary(w.results)).toEqual(["sent 2.0.0 delivered to mailbox"]);
    rmSync(join(dir, "home", "carol", ".forward"));
  });

  test("an empty .forward means: deliver to the mailbox", async () => {
    const a = await agent();
    writeFileSync(join(dir, "home", "bob", ".forward"), "");
    const r = await deliver(a, ["bob@host.example.test"], MSG);
    expect(summary(r.results)).toEqual(["sent 2.0.0 delivered to mailbox"]);
    rmSync(join(dir, "home", "bob", ".forward"));
  });
});
