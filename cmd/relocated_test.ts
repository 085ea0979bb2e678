/**
 * relocated_maps and receive_override_options = no_unknown_recipient_checks end to end, through the compiled
 * binary on a running instance: smtpd rejects a relocated recipient (and, with smtpd_reject_unlisted_sender, a
 * relocated sender) with Postfix's reply and NOQUEUE log line; a sendmail message to a relocated local user
 * bounces with `status=bounced (User has moved to NEWADDR)` and the sender gets the notice; a re-injection smtpd
 * started with `-o receive_override_options=no_unknown_recipient_checks` accepts an unknown local user (and a
 * relocated one) that the main smtpd rejects.
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appendMainCf, makeInstance, readMaillog, runTool, startMailSystem, stopMailSystem, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { TestSmtpClient, freePort } from "../internal/smtpd/_test_client.ts";
import { getpwuid } from "../internal/sys/passwd.ts";

// a running mail system: more than bun's default 5 s per test on a busy machine
setDefaultTimeout(30000);

const me = getpwuid(process.getuid!())?.name ?? "root";
let inst: Instance;
let mainPort: number;
let reinjectPort: number;

const log = () => readMaillog(inst);
const mailbox = () => (existsSync(join(inst.dir, "mail", me)) ? readFileSync(join(inst.dir, "mail", me), "latin1") : "");

/** Opens an SMTP session on `port` as far as MAIL FROM; returns the client. */
async function session(port: number, sender: string): Promise<TestSmtpClient> {
  const c = await TestSmtpClient.connect(port);
  expect(await c.reply()).toMatch(/^220 /);
  expect(await c.cmd("EHLO client.example.test")).toMatch(/^250[- ]/);
  expect(await c.cmd(`MAIL FROM:<${sender}>`)).toBe("250 2.1.0 Ok");
  return c;
}

async function quit(c: TestSmtpClient): Promise<void> {
  await c.cmd("QUIT");
  c.close();
}

beforeAll(async () => {
  [mainPort, reinjectPort] = [await freePort(), await freePort()];
  inst = makeInstance(
    [
      "compatibility_level = 3.6",
      "inet_protocols = ipv4",
      "mynetworks = 127.0.0.0/8",
      "alias_maps =",
      "biff = no",
      "recipient_delimiter = +",
      "smtpd_error_sleep_time = 0",
      "smtpd_reject_unlisted_sender = yes",
      "", // relocated_maps below, once the directory is known
    ].join("\n"),
  );
  const relocated = join(inst.config, "relocated");
  writeFileSync(relocated, "moved@host.example.test\tnewuser@elsewhere.test\nolduser\tnew@other.test\n");
  appendMainCf(inst, `relocated_maps = texthash:${relocated}\n`);
  const masterCf =
    stockMasterCf(`127.0.0.1:${mainPort}`) +
    `127.0.0.1:${reinjectPort} inet n - n - - smtpd\n  -o receive_override_options=no_unknown_recipient_checks\n  -o syslog_name=postfix/reinject\n`;
  await startMailSystem(inst, masterCf, { services: ["local"], ports: [mainPort, reinjectPort] });
});

afterAll(() => stopMailSystem(inst));

test("RCPT TO a relocated user: 550 5.1.6 … User has moved to NEWADDR, logged as a NOQUEUE reject", async () => {
  const c = await session(mainPort, `${me}@host.example.test`);
  expect(await c.cmd("RCPT TO:<moved@host.example.test>")).toBe(
    "550 5.1.6 <moved@host.example.test>: Recipient address rejected: User has moved to newuser@elsewhere.test",
  );
  // the local part alone matches in a local domain, with or without an address extension
  expect(await c.cmd("RCPT TO:<olduser+news@localhost>")).toBe("550 5.1.6 <olduser+news@localhost>: Recipient address rejected: User has moved to new@other.test");
  await quit(c);
  await waitFor("the reject line", () => log().includes("User has moved to new@other.test;"));
  expect(log()).toMatch(
    new RegExp(
      `postfix/smtpd\\[\\d+\\]: NOQUEUE: reject: RCPT from \\w+\\[127\\.0\\.0\\.1\\]: 550 5\\.1\\.6 <moved@host\\.example\\.test>: Recipient address rejected: ` +
        `User has moved to newuser@elsewhere\\.test; from=<${me}@host\\.example\\.test> to=<moved@host\\.example\\.test> proto=ESMTP helo=<client\\.example\\.test>\\n`,
    ),
  );
});

test("a relocated sender under smtpd_reject_unlisted_sender: 550 5.1.7 … Sender address rejected", async () => {
  const c = await session(mainPort, "moved@host.example.test");
  expect(await c.cmd(`RCPT TO:<${me}@host.example.test>`)).toBe(
    "550 5.1.7 <moved@host.example.test>: Sender address rejected: User has moved to newuser@elsewhere.test",
  );
  await quit(c);
  await waitFor("the reject line", () => log().includes("Sender address rejected: User has moved to"));
  expect(log()).toMatch(/postfix\/smtpd\[\d+\]: mapping DSN status 5\.1\.6 into Sender address status 5\.1\.7\n/);
});

test("sendmail to a relocated user: status=bounced (User has moved to NEWADDR), and the sender gets the notice", async () => {
  const r = runTool("sendmail", ["-f", me, "moved"], { env: { MAIL_CONFIG: inst.config }, stdin: "Subject: are you there\n\nhello\n" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  await waitFor("the bounce", () => /status=bounced \(User has moved to newuser@elsewhere\.test\)/.test(log()));
  const line = log().split("\n").find((l) => l.includes("status=bounced (User has moved to"))!;
  expect(line).toMatch(
    /postfix\/\w+\[\d+\]: (\w+): to=<moved@host\.example\.test>, orig_to=<moved>, relay=none, delay=[\d.]+, delays=[\d./]+, dsn=5\.1\.6, status=bounced \(User has moved to newuser@elsewhere\.test\)$/,
  );
  const id = /: (\w+): to=</.exec(line)![1]!;
  await waitFor("the notice", () => mailbox().includes(`X-Postfix-Queue-ID: ${id}\n`), 15000);
  const notice = mailbox().split(/^From MAILER-DAEMON /m).find((m) => m.includes(`X-Postfix-Queue-ID: ${id}\n`))!;
  expect(notice).toContain("Subject: Undelivered Mail Returned to Sender\n");
  expect(notice).toContain("<moved@host.example.test> (expanded from <moved>): User has moved to\n    newuser@elsewhere.test\n");
  expect(notice).toContain("Final-Recipient: rfc822; moved@host.example.test\n");
  expect(notice).toContain("Status: 5.1.6\nDiagnostic-Code: X-Postfix; User has moved to newuser@elsewhere.test\n");
  expect(log()).toContain(`${id}: sender non-delivery notification: `);
});

test("-o receive_override_options=no_unknown_recipient_checks: the re-injection smtpd accepts what the main one rejects", async () => {
  const main = await session(mainPort, `${me}@host.example.test`);
  expect(await main.cmd("RCPT TO:<nosuchuser@host.example.test>")).toBe(
    "550 5.1.1 <nosuchuser@host.example.test>: Recipient address rejected: User unknown in local recipient table",
  );
  expect(await main.cmd(`RCPT TO:<${me}@host.example.test>`)).toBe("250 2.1.5 Ok");
  await quit(main);
  const reinject = await session(reinjectPort, "moved@host.example.test");
  expect(await reinject.cmd("RCPT TO:<nosuchuser@host.example.test>")).toBe("250 2.1.5 Ok");
  expect(await reinject.cmd("RCPT TO:<moved@host.example.test>")).toBe("250 2.1.5 Ok");
  expect(await reinject.cmd("RSET")).toBe("250 2.0.0 Ok");
  await quit(reinject);
});
