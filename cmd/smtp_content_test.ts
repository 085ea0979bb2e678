/**
 * smtp_generic_maps and smtp_header_checks/smtp_body_checks end to end, through the compiled binary: a message
 * submitted with sendmail on a host without a public domain reaches the relay with its envelope sender and From:
 * mapped, its Subject replaced and a body line redacted; the mail log keeps the original addresses and shows the
 * checks' lines, as Postfix's smtp does. And 8-bit MIME sent to a server that does not announce 8BITMIME
 * arrives quoted-printable (disable_mime_output_conversion = no, the default).
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, runTool, readMaillog, startMailSystem, stopMailSystem, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { startTestSmtpServer, type TestSmtpServer } from "../internal/smtp/_test_smtp_server.ts";

setDefaultTimeout(30000);

let inst: Instance;
let relay: TestSmtpServer;
let old: TestSmtpServer;
const log = () => readMaillog(inst);

beforeAll(async () => {
  relay = await startTestSmtpServer({ host: "127.0.0.1" });
  old = await startTestSmtpServer({ host: "127.0.0.1", ehloKeywords: ["PIPELINING", "SIZE 10240000"] });
  inst = makeInstance(
    [
      "inet_protocols = ipv4",
      "myhostname = box.localdomain",
      "mydomain = localdomain",
      `relayhost = [127.0.0.1]:${relay.port}`,
      `transport_maps = inline:{ old.example=smtp:[127.0.0.1]:${old.port} }`,
      "smtp_generic_maps = inline:{ { alice@box.localdomain = alice.smith@isp.example } }",
      "smtp_header_checks = regexp:$config_directory/smtp_header_checks",
      "smtp_body_checks = regexp:$config_directory/smtp_body_checks",
      "",
    ].join("\n"),
  );
  writeFileSync(join(inst.config, "smtp_header_checks"), "/^Subject: (.*)/ REPLACE Subject: [box] $1\n");
  writeFileSync(join(inst.config, "smtp_body_checks"), "/^password: / REPLACE password: [redacted]\n");
  await startMailSystem(inst, stockMasterCf(null), { services: ["smtp"] });
});

afterAll(async () => {
  stopMailSystem(inst);
  await relay.close();
  await old.close();
});

test("the relay sees the mapped sender and From:, the replaced Subject and the redacted line", async () => {
  const r = runTool("sendmail", ["-f", "alice", "friend@remote.example"], {
    env: { MAIL_CONFIG: inst.config },
    stdin: "From: Alice <alice>\nTo: friend@remote.example\nSubject: hello\n\nhi\npassword: hunter2\n",
  });
  expect(r.status).toBe(0);
  await waitFor("the message at the relay", () => relay.messages.length === 1);
  const m = relay.messages[0]!;
  expect(m.mailFrom).toBe("alice.smith@isp.example");
  expect(m.rcpts).toEqual(["friend@remote.example"]);
  expect(m.data).toContain("From: Alice <alice.smith@isp.example>\r\n");
  expect(m.data).toContain("Subject: [box] hello\r\n");
  expect(m.data).toContain("\r\nhi\r\npassword: [redacted]\r\n");
  expect(m.data).not.toContain("hunter2");
  await waitFor("the delivery line", () => /status=sent/.test(log()));
  const id = /(\w+): from=<alice@box\.localdomain>/.exec(log())![1]!;
  expect(log()).toMatch(new RegExp(`postfix/smtp\\[\\d+\\]: ${id}: replace: header Subject: hello: Subject: \\[box\\] hello`));
  expect(log()).toMatch(new RegExp(`${id}: replace: body password: hunter2: password: \\[redacted\\]`));
  expect(log()).toMatch(new RegExp(`${id}: to=<friend@remote\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${relay.port}, .*status=sent`));
});

test("8-bit MIME to a server without 8BITMIME arrives quoted-printable, without SIZE", async () => {
  const r = runTool("sendmail", ["-B", "8BITMIME", "-f", "alice", "bob@old.example"], {
    env: { MAIL_CONFIG: inst.config },
    stdin: Buffer.from("To: bob@old.example\nSubject: caf\u00e9\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nd\u00e9j\u00e0 vu = ok\n", "utf8"),
  });
  expect(r.status).toBe(0);
  await waitFor("the message at the old server", () => old.messages.length === 1);
  const m = old.messages[0]!;
  // the 8bit header is gone; its replacement ends the header block, after the headers cleanup added
  expect(m.data).not.toContain("Content-Transfer-Encoding: 8bit");
  expect(m.data).toContain("\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nd=C3=A9j=C3=A0 vu =3D ok\r\n");
  expect(old.commands.find((c) => c.includes("MAIL FROM"))).toMatch(/MAIL FROM:<[^>]*>$/);
  await waitFor("the delivery line", () => /to=<bob@old\.example>.*status=sent/.test(log()));
});
