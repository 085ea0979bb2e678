/**
 * Address masquerading and automatic BCC recipients end to end, through the compiled binary on a running
 * instance: a sendmail message from a host in a subdomain leaves with the masqueraded sender and From:, and
 * always_bcc and sender_bcc_maps deliver their copies (logged as deliveries to those addresses); a message
 * received over SMTP by a service with `-o receive_override_options=no_address_mappings` gets neither.
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, runTool, readMaillog, startMailSystem, stopMailSystem, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { TestSmtpClient, freePort } from "../internal/smtpd/_test_client.ts";
import { getpwuid } from "../internal/sys/passwd.ts";

setDefaultTimeout(30000);

const me = getpwuid(process.getuid!())?.name ?? "root";
let inst: Instance;
let port: number;

const log = () => readMaillog(inst);
const mailbox = () => (existsSync(join(inst.dir, "mail", me)) ? readFileSync(join(inst.dir, "mail", me), "latin1") : "");

beforeAll(async () => {
  port = await freePort();
  inst = makeInstance(
    [
      "compatibility_level = 3.6",
      "inet_protocols = ipv4",
      "mynetworks = 127.0.0.0/8",
      "mydestination = $myhostname, localhost, example.test",
      "alias_maps =",
      "local_recipient_maps =",
      "biff = no",
      "masquerade_domains = example.test",
      `always_bcc = ${me}+audit@example.test`,
      "recipient_delimiter = +",
      // looked up after masquerading, as Postfix does
      "sender_bcc_maps = inline:{ { boss@example.test = " + me + "+boss@example.test } }",
      "",
    ].join("\n"),
  );
  await startMailSystem(inst, stockMasterCf(null) + `127.0.0.1:${port} inet n - n - - smtpd\n  -o receive_override_options=no_address_mappings\n`, { services: ["local"], ports: [port] });
});

afterAll(() => {
  stopMailSystem(inst);
});

test("sendmail: the sender and From: are masqueraded; always_bcc and sender_bcc_maps get their copies", async () => {
  const r = runTool("sendmail", ["-f", "boss@sales.example.test", `${me}@example.test`], { env: { MAIL_CONFIG: inst.config }, stdin: "From: boss@sales.example.test\nSubject: masq\n\nbody\n" });
  expect(r.status).toBe(0);
  const picked = () => /(\w+): uid=\d+ from=<boss@sales\.example\.test>/.exec(log())?.[1];
  await waitFor("the pickup", () => picked() !== undefined);
  const id = picked()!;
  await waitFor("the deliveries", () => log().includes(`${id}: removed`));
  expect(log()).toContain(`${id}: from=<boss@example.test>,`);
  for (const to of [`${me}@example.test`, `${me}+audit@example.test`, `${me}+boss@example.test`]) {
    expect(log()).toMatch(new RegExp(`${id}: to=<${to.replace(/[+.]/g, "\\$&")}>, relay=local, .*status=sent`));
  }
  expect(mailbox()).toContain("From: boss@example.test\nSubject: masq\n");
});

test("smtpd with receive_override_options = no_address_mappings: no masquerading, no automatic BCC", async () => {
  const c = await TestSmtpClient.connect(port, "127.0.0.1");
  expect(await c.reply()).toMatch(/^220 /);
  expect(await c.cmd("EHLO client.example.test")).toMatch(/^250[- ]/);
  expect(await c.cmd("MAIL FROM:<boss@sales.example.test>")).toBe("250 2.1.0 Ok");
  expect(await c.cmd(`RCPT TO:<${me}@example.test>`)).toBe("250 2.1.5 Ok");
  expect(await c.cmd("DATA")).toMatch(/^354 /);
  const reply = await c.cmd("From: boss@sales.example.test\r\nSubject: plain\r\n\r\nbody\r\n.");
  await c.cmd("QUIT");
  c.close();
  const id = /queued as (\w+)/.exec(reply)![1]!;
  await waitFor("the delivery", () => log().includes(`${id}: removed`));
  expect(log()).toContain(`${id}: from=<boss@sales.example.test>,`);
  expect(log()).not.toMatch(new RegExp(`${id}: to=<${me}\\+`));
  expect(mailbox()).toContain("From: boss@sales.example.test\nSubject: plain\n");
});
