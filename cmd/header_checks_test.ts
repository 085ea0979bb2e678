/**
 * header_checks and body_checks end to end, through the compiled binary on a running instance: smtpd answers a
 * message that a check REJECTs with the table's own status and text (`550 5.7.1 …`, `451 4.7.0 …`) and
 * cleanup logs Postfix's `reject: header …` line; an attachment name in a MIME part header is caught by
 * mime_header_checks; a sendmail message refused by a check bounces to its sender; HOLD leaves it in the hold
 * queue (mailq's `!`); REDIRECT delivers it to another mailbox (postcat shows `redirect_to:`); a body_checks
 * REPLACE changes what is delivered.
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, runTool, readMaillog, smtpTransaction, startMailSystem, stopMailSystem, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { freePort } from "../internal/smtpd/_test_client.ts";
import { getpwuid } from "../internal/sys/passwd.ts";

setDefaultTimeout(30000);

const me = getpwuid(process.getuid!())?.name ?? "root";
let inst: Instance;
let port: number;

const log = () => readMaillog(inst);
const mailbox = () => (existsSync(join(inst.dir, "mail", me)) ? readFileSync(join(inst.dir, "mail", me), "latin1") : "");
const env = () => ({ MAIL_CONFIG: inst.config });

/** One SMTP transaction; returns the reply to the end of the data. */
const send = (rcpt: string, data: string) => smtpTransaction(port, "MAIL FROM:<sender@example.test>", [rcpt], data);

beforeAll(async () => {
  port = await freePort();
  inst = makeInstance(
    [
      "compatibility_level = 3.6",
      "inet_protocols = ipv4",
      "mynetworks = 127.0.0.0/8",
      "alias_maps =",
      "local_recipient_maps =",
      "biff = no",
      "smtpd_error_sleep_time = 0",
      "header_checks = regexp:$config_directory/header_checks",
      "mime_header_checks = regexp:$config_directory/mime_header_checks",
      "body_checks = regexp:$config_directory/body_checks",
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(inst.config, "header_checks"),
    [
      "/^Subject: .*viagra/ REJECT no spam here",
      "/^Subject: later/ REJECT 4.7.0 try again later",
      "/^Subject: jail/ REDIRECT " + me + "@host.example.test",
      "/^X-Hold: yes/ HOLD",
      "",
    ].join("\n"),
  );
  writeFileSync(join(inst.config, "mime_header_checks"), '/^Content-(Type|Disposition):.*name="?[^"]*\\.exe/ REJECT executable attachments are not accepted\n');
  writeFileSync(join(inst.config, "body_checks"), "/^password: / REPLACE password: [removed]\n");
  await startMailSystem(inst, stockMasterCf(`127.0.0.1:${port}`), { services: ["local"], ports: [port] });
});

afterAll(() => {
  stopMailSystem(inst);
});

test("smtpd replies with a REJECT's own status and text; cleanup logs the header, the client and the envelope", async () => {
  expect(await send(`${me}@host.example.test`, "Subject: cheap viagra\n\nbody\n")).toBe("550 5.7.1 no spam here");
  expect(log()).toMatch(
    new RegExp(
      `postfix/cleanup\\[\\d+\\]: [0-9A-F]+: reject: header Subject: cheap viagra from localhost\\[127\\.0\\.0\\.1\\]; ` +
        `from=<sender@example\\.test> to=<${me}@host\\.example\\.test> proto=ESMTP helo=<client\\.example\\.test>: 5\\.7\\.1 no spam here`,
    ),
  );
  expect(await send(`${me}@host.example.test`, "Subject: later please\n\nbody\n")).toBe("451 4.7.0 try again later");
});

test("mime_header_checks sees the headers of a MIME part", async () => {
  const msg = [
    "Subject: invoice",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b1"',
    "",
    "--b1",
    "Content-Type: text/plain",
    "",
    "see attachment",
    "--b1",
    'Content-Type: application/octet-stream; name="invoice.pdf.exe"',
    "",
    "TVqQAAMAAAAEAAAA",
    "--b1--",
    "",
  ].join("\n");
  expect(await send(`${me}@host.example.test`, msg)).toBe("550 5.7.1 executable attachments are not accepted");
});

test("a sendmail message that a check refuses bounces to its sender", async () => {
  const r = runTool("sendmail", ["-f", `${me}@host.example.test`, "someone@host.example.test"], { env: env(), stdin: "Subject: viagra inside\n\nx\n" });
  expect(r.status).toBe(0);
  await waitFor("the bounce", () => /to=<someone@host\.example\.test>, relay=none, .*dsn=5\.7\.1, status=bounced \(no spam here\)/.test(log()));
  await waitFor("the notice", () => mailbox().includes("no spam here"));
});

test("HOLD keeps the message in the hold queue; REDIRECT records the address postcat shows and delivers there", async () => {
  const r = await send("nobody-here@host.example.test", "X-Hold: yes\nSubject: jail this\n\nbody\n");
  const id = /queued as (\w+)/.exec(r)![1]!;
  const q = runTool("mailq", [], { env: env() });
  expect(q.stdout).toMatch(new RegExp(`^${id}!\\s+\\d+ `, "m"));
  const cat = runTool("postcat", ["-q", id], { env: env() });
  expect(cat.stdout).toContain(`redirect_to: ${me}@host.example.test\n`);
  expect(log()).toContain(`${id}: hold: header X-Hold: yes from localhost[127.0.0.1];`);
  expect(runTool("postsuper", ["-H", id], { env: env() }).status).toBe(0);
  runTool("postqueue", ["-f"], { env: env() });
  await waitFor("the redirected delivery", () => log().includes(`${id}: removed`));
  expect(log()).toMatch(new RegExp(`${id}: to=<${me}@host\\.example\\.test>, orig_to=<nobody-here@host\\.example\\.test>, relay=local, .*status=sent`));
  expect(mailbox()).toContain("Subject: jail this\n");
});

test("a body_checks REPLACE changes the delivered line", async () => {
  const r = await send(`${me}@host.example.test`, "Subject: creds\n\nuser: x\npassword: hunter2\n");
  const id = /queued as (\w+)/.exec(r)![1]!;
  await waitFor("the delivery", () => log().includes(`${id}: removed`));
  expect(mailbox()).toContain("user: x\npassword: [removed]\n");
  expect(mailbox()).not.toContain("hunter2");
  expect(log()).toContain(`${id}: replace: body password: hunter2 from localhost[127.0.0.1];`);
});
