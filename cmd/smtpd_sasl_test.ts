/**
 * SMTP AUTH end to end, through the compiled binary under a running master: a submission-style smtpd with
 * smtpd_sasl_type = dovecot talks to the fake Dovecot auth server of internal/smtpd/_test_dovecot_auth.ts on
 * the socket private/auth under the queue directory (as smtpd_sasl_path = private/auth); a client that logs in
 * relays to a remote domain (the message reaches a test SMTP server with `(Authenticated sender: alice)` and
 * ESMTPA, smtpd logs `client=…, sasl_method=PLAIN, sasl_username=alice`, postcat shows the queue file's sasl_*
 * attributes), a wrong password gets 535 and Postfix's warning, and relaying without AUTH is refused.
 */
import { test, expect, afterAll, beforeAll } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, runTool, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { TestSmtpClient, freePort } from "../internal/smtpd/_test_client.ts";
import { startTestDovecotAuth, type TestDovecotAuth } from "../internal/smtpd/_test_dovecot_auth.ts";
import { startTestSmtpServer, type TestSmtpServer } from "../internal/smtp/_test_smtp_server.ts";

let inst: Instance;
let port: number;
let sink: TestSmtpServer;
let dovecot: TestDovecotAuth;
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

function log(): string {
  const p = join(inst.dir, "log", "maillog");
  return existsSync(p) ? readFileSync(p, "utf8") : "";
}

beforeAll(async () => {
  sink = await startTestSmtpServer({ host: "127.0.0.1" });
  port = await freePort();
  inst = makeInstance(
    [
      "compatibility_level = 3.6",
      "inet_protocols = ipv4",
      "mynetworks = 10.0.0.0/8",
      "alias_maps =",
      "local_recipient_maps =",
      "local_transport = discard:local",
      `relayhost = [127.0.0.1]:${sink.port}`,
      "smtp_connect_timeout = 5s",
      "smtpd_error_sleep_time = 0",
      "smtpd_sasl_auth_enable = yes",
      "smtpd_sasl_type = dovecot",
      "smtpd_sasl_path = private/auth",
      "smtpd_sasl_authenticated_header = yes",
      "smtpd_relay_restrictions =",
      "smtpd_recipient_restrictions = check_recipient_access inline:{ { held@remote.test = HOLD } }, permit_sasl_authenticated, reject_unauth_destination",
      "",
    ].join("\n"),
  );
  writeFileSync(join(inst.config, "master.cf"), stockMasterCf(`127.0.0.1:${port}`));
  expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
  await waitFor("the queue's private directory", () => existsSync(join(inst.queue, "private")));
  dovecot = await startTestDovecotAuth({ path: join(inst.queue, "private", "auth"), users: { alice: "secret" } });
  await waitFor(`port ${port}`, () => Bun.spawnSync(["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`]).exitCode === 0);
});

afterAll(async () => {
  runTool("postfix", ["-c", inst.config, "abort"]);
  await dovecot?.close();
  await sink?.close();
  if (process.env.KEEP_INSTANCE) console.log(`instance kept: ${inst.dir}`);
  else inst.cleanup();
});

async function connect(): Promise<TestSmtpClient> {
  const c = await TestSmtpClient.connect(port);
  expect(await c.reply()).toMatch(/^220 host\.example\.test ESMTP/);
  const ehlo = await c.cmd("EHLO client.example.test");
  expect(ehlo).toContain("\n250-AUTH PLAIN LOGIN\n");
  return c;
}

test("a client that logs in relays to a remote domain; the log line, the message and the queue file say who", async () => {
  const c = await connect();
  expect(await c.cmd(`AUTH PLAIN ${b64("\0alice\0secret")}`)).toBe("235 2.7.0 Authentication successful");
  expect(await c.cmd("MAIL FROM:<alice@example.test>")).toBe("250 2.1.0 Ok");
  expect(await c.cmd("RCPT TO:<bob@remote.test>")).toBe("250 2.1.5 Ok");
  expect(await c.cmd("DATA")).toMatch(/^354 /);
  const r = await c.cmd("Subject: relayed\r\n\r\nhello\r\n.");
  const id = /^250 2\.0\.0 Ok: queued as ([0-9A-F]+)$/.exec(r)![1]!;
  // and a second one, held, for postcat
  expect(await c.cmd("MAIL FROM:<alice@example.test> AUTH=<alice@example.test>")).toBe("250 2.1.0 Ok");
  expect(await c.cmd("RCPT TO:<held@remote.test>")).toBe("250 2.1.5 Ok");
  expect(await c.cmd("DATA")).toMatch(/^354 /);
  const held = /queued as ([0-9A-F]+)$/.exec(await c.cmd("Subject: held\r\n\r\nx\r\n."))![1]!;
  expect(await c.cmd("QUIT")).toBe("221 2.0.0 Bye");
  c.close();

  await waitFor("the relayed message", () => sink.messages.some((m) => m.rcpts.includes("bob@remote.test")));
  const m = sink.messages.find((x) => x.rcpts.includes("bob@remote.test"))!;
  expect(m.mailFrom).toBe("alice@example.test");
  expect(m.data).toMatch(new RegExp(`^Received: from client\\.example\\.test \\(localhost \\[127\\.0\\.0\\.1\\]\\)\\r\\n\\t\\(Authenticated sender: alice\\)\\r\\n\\tby host\\.example\\.test \\(Postfix\\) with ESMTPA id ${id}\\r\\n`));
  await waitFor("the delivery's log line", () => new RegExp(`${id}: to=<bob@remote\\.test>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${sink.port},.*status=sent`).test(log()));
  expect(log()).toMatch(new RegExp(`postfix/smtpd\\[\\d+\\]: ${id}: client=localhost\\[127\\.0\\.0\\.1\\], sasl_method=PLAIN, sasl_username=alice\\n`));
  expect(log()).toMatch(new RegExp(`postfix/smtpd\\[\\d+\\]: ${held}: client=localhost\\[127\\.0\\.0\\.1\\], sasl_method=PLAIN, sasl_username=alice, sasl_sender=<alice@example\\.test>\\n`));
  expect(dovecot.lines.filter((l) => l.startsWith("AUTH"))[0]).toBe(`AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1\tresp=${b64("\0alice\0secret")}`);

  const pc = runTool("postcat", ["-c", inst.config, "-q", held]);
  expect(pc.status).toBe(0);
  expect(pc.stdout).toContain("named_attribute: rewrite_context=local\nnamed_attribute: sasl_method=PLAIN\nnamed_attribute: sasl_username=alice\nnamed_attribute: sasl_sender=<alice@example.test>\nsender: alice@example.test\n");
});

test("a wrong password: 535 and Postfix's warning; LOGIN works through challenges", async () => {
  const c = await connect();
  expect(await c.cmd(`AUTH PLAIN ${b64("\0alice\0wrong")}`)).toBe("535 5.7.8 Error: authentication failed: (reason unavailable)");
  expect(await c.cmd("AUTH LOGIN")).toBe("334 VXNlcm5hbWU6");
  expect(await c.cmd(b64("alice"))).toBe("334 UGFzc3dvcmQ6");
  expect(await c.cmd(b64("secret"))).toBe("235 2.7.0 Authentication successful");
  expect(await c.cmd("QUIT")).toBe("221 2.0.0 Bye");
  c.close();
  await waitFor("the disconnect line", () => /postfix\/smtpd\[\d+\]: disconnect from localhost\[127\.0\.0\.1\] ehlo=1 auth=1\/2 quit=1 commands=3\/4\n/.test(log()));
  expect(log()).toMatch(/postfix\/smtpd\[\d+\]: warning: localhost\[127\.0\.0\.1\]: SASL PLAIN authentication failed: \(reason unavailable\), sasl_username=alice\n/);
});

test("relaying without AUTH is refused", async () => {
  const c = await connect();
  expect(await c.cmd("MAIL FROM:<alice@example.test>")).toBe("250 2.1.0 Ok");
  expect(await c.cmd("RCPT TO:<bob@remote.test>")).toBe("554 5.7.1 <bob@remote.test>: Relay access denied");
  expect(await c.cmd("QUIT")).toBe("221 2.0.0 Bye");
  c.close();
  await waitFor("the reject line", () =>
    log().includes("NOQUEUE: reject: RCPT from localhost[127.0.0.1]: 554 5.7.1 <bob@remote.test>: Relay access denied; from=<alice@example.test> to=<bob@remote.test> proto=ESMTP helo=<client.example.test>\n"),
  );
});
