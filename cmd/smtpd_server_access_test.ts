/**
 * check_sender_mx_access and check_sender_ns_access end to end: the compiled smtpd under a running master asks a
 * real DNS server (the test server, through postkit_resolv_conf) for the MX and NS hosts of the sender's domain
 * and their addresses, and refuses a sender whose mail or name servers the table lists, with Postfix's reply and
 * log line; a domain the table does not know is accepted. permit_mx_backup relays for a domain whose backup MX
 * host has this host's address, and not for one whose primary MX host does.
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { appendMainCf, makeInstance, readMaillog, startMailSystem, stopMailSystem, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { TestSmtpClient, freePort } from "../internal/smtpd/_test_client.ts";
import { startTestDnsServer, type TestDnsServer } from "../internal/dns/_test_server.ts";

setDefaultTimeout(30000);

let inst: Instance;
let port: number;
let dns: TestDnsServer;

/** MAIL FROM `sender` and RCPT TO `rcpt` (a local address); returns the reply to RCPT (the sender restrictions run there). */
async function rcptReply(sender: string, rcpt = "postmaster@host.example.test"): Promise<string> {
  const c = await TestSmtpClient.connect(port, "127.0.0.1");
  expect(await c.reply()).toMatch(/^220 /);
  await c.cmd("EHLO client.example.test");
  expect(await c.cmd(`MAIL FROM:<${sender}>`)).toBe("250 2.1.0 Ok");
  const r = await c.cmd(`RCPT TO:<${rcpt}>`);
  await c.cmd("QUIT");
  c.close();
  return r;
}

beforeAll(async () => {
  port = await freePort();
  dns = await startTestDnsServer({
    "spam.test": { MX: [[10, "mx1.bulk.test"]] },
    "mx1.bulk.test": { A: ["192.0.2.66"] },
    "dark.test": { MX: [[10, "mail.dark.test"]], NS: ["ns1.shady.test"] },
    "mail.dark.test": { A: ["192.0.2.20"] },
    "ns1.shady.test": { A: ["192.0.2.30"] },
    "fine.test": { MX: [[10, "mx.fine.test"]], NS: ["ns.fine.test"] },
    "mx.fine.test": { A: ["192.0.2.10"] },
    "ns.fine.test": { A: ["192.0.2.11"] },
    "backup.test": { MX: [[10, "mx.far.test"], [20, "mx2.near.test"]] },
    "mx.far.test": { A: ["192.0.2.200"] },
    "mx2.near.test": { A: ["127.0.0.1"] },
    "mine.test": { MX: [[10, "mx2.near.test"]] },
  });
  inst = makeInstance(
    [
      "compatibility_level = 3.6",
      "inet_protocols = ipv4",
      "alias_maps =",
      "mydestination = host.example.test",
      "inet_interfaces = loopback-only",
      "smtpd_relay_restrictions = permit_mx_backup, reject",
      "smtpd_sender_restrictions = check_sender_mx_access texthash:$config_directory/mx_access, check_sender_ns_access texthash:$config_directory/ns_access",
      "",
    ].join("\n"),
  );
  writeFileSync(join(inst.dir, "resolv.conf"), dns.resolvConf());
  appendMainCf(inst, `postkit_resolv_conf = ${join(inst.dir, "resolv.conf")}\n`);
  writeFileSync(join(inst.config, "mx_access"), "192.0.2.66\tREJECT bulk mailer\n");
  writeFileSync(join(inst.config, "ns_access"), "shady.test\tREJECT shady name server\n");
  await startMailSystem(inst, stockMasterCf(`127.0.0.1:${port}`), { services: ["local"], ports: [port] });
});

afterAll(() => {
  stopMailSystem(inst);
  dns.close();
});

test("a sender whose MX host's address or name server the table lists is refused, as Postfix refuses it", async () => {
  expect(await rcptReply("a@spam.test")).toBe("554 5.7.1 <a@spam.test>: Sender address rejected: bulk mailer");
  expect(await rcptReply("b@dark.test")).toBe("554 5.7.1 <b@dark.test>: Sender address rejected: shady name server");
  expect(await rcptReply("c@fine.test")).toBe("250 2.1.5 Ok");
  await waitFor("the reject lines", () => readMaillog(inst).includes("shady name server"));
  expect(readMaillog(inst)).toMatch(
    /postfix\/smtpd\[\d+\]: NOQUEUE: reject: RCPT from localhost\[127\.0\.0\.1\]: 554 5\.7\.1 <a@spam\.test>: Sender address rejected: bulk mailer; from=<a@spam\.test> to=<postmaster@host\.example\.test> proto=ESMTP helo=<client\.example\.test>\n/,
  );
});

test("permit_mx_backup: relays for a domain this host is a backup MX for, not for one it is the primary MX for", async () => {
  expect(await rcptReply("c@fine.test", "u@backup.test")).toBe("250 2.1.5 Ok");
  expect(await rcptReply("c@fine.test", "u@mine.test")).toBe("554 5.7.1 <u@mine.test>: Recipient address rejected: Access denied");
});
