/**
 * Per-peer EHLO keyword discarding end to end, through the compiled binary on a running instance:
 * smtpd_discard_ehlo_keyword_address_maps hides PIPELINING and SIZE from 127.0.0.1 (another client address still
 * sees them), and smtp_discard_ehlo_keyword_address_maps makes the SMTP client ignore the DSN and PIPELINING of a
 * test server at 127.0.0.1: no NOTIFY= in RCPT TO, and one command at a time. Both log `discarding EHLO keywords:`.
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, runTool, readMaillog, startMailSystem, stopMailSystem, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { TestSmtpClient, freePort } from "../internal/smtpd/_test_client.ts";
import { startTestSmtpServer, type TestSmtpServer } from "../internal/smtp/_test_smtp_server.ts";

setDefaultTimeout(30000);

let inst: Instance;
let relay: TestSmtpServer;
let port: number;

const log = () => readMaillog(inst);

beforeAll(async () => {
  port = await freePort();
  // RCPT gets a 450: the mail stays deferred, so no DATA and no bounce; without PIPELINING, DATA is never sent
  relay = await startTestSmtpServer({ host: "127.0.0.1", reply: (c) => (c.startsWith("RCPT") ? "450 4.2.1 try later" : undefined) });
  inst = makeInstance(
    [
      "compatibility_level = 3.6",
      "inet_protocols = ipv4",
      "myhostname = mx.example.test",
      "mydestination = example.test",
      "mynetworks = 127.0.0.0/8",
      "smtpd_error_sleep_time = 0",
      "smtp_connect_timeout = 5s",
      "smtp_connection_cache_on_demand = no",
      `relayhost = [127.0.0.1]:${relay.port}`,
      "",
    ].join("\n"),
  );
  const server = join(inst.config, "ehlo_clients.cidr");
  writeFileSync(server, "127.0.0.1/32 pipelining, size\n");
  const client = join(inst.config, "ehlo_servers.cidr");
  writeFileSync(client, "127.0.0.1/32 DSN PIPELINING\n");
  const mainCf = join(inst.config, "main.cf");
  writeFileSync(
    mainCf,
    `${await Bun.file(mainCf).text()}smtpd_discard_ehlo_keyword_address_maps = cidr:${server}\nsmtp_discard_ehlo_keyword_address_maps = cidr:${client}\n`,
  );
  await startMailSystem(inst, stockMasterCf(`127.0.0.1:${port}`), { services: ["smtp"], ports: [port] });
});

afterAll(async () => {
  stopMailSystem(inst);
  await relay.close();
});

async function ehloReply(from: string): Promise<string> {
  const c = await TestSmtpClient.connect(port, from);
  expect(await c.reply()).toMatch(/^220 /);
  const r = await c.cmd("EHLO client.test");
  expect(await c.cmd("QUIT")).toBe("221 2.0.0 Bye");
  c.close();
  return r;
}

test("smtpd: the table's entry for 127.0.0.1 hides PIPELINING and SIZE; 127.0.0.2 sees them", async () => {
  const hidden = await ehloReply("127.0.0.1");
  expect(hidden).toMatch(/^250-mx\.example\.test\n/);
  expect(hidden).not.toMatch(/PIPELINING|SIZE/);
  expect(hidden).toContain("\n250-ETRN\n");
  const shown = await ehloReply("127.0.0.2");
  expect(shown).toMatch(/^250-mx\.example\.test\n250-PIPELINING\n250-SIZE \d+\n/);
  await waitFor("the discard log line", () => /postfix\/smtpd\[\d+\]: discarding EHLO keywords: PIPELINING SIZE\n/.test(log()));
});

test("smtp: the table's entry for the server's address: no NOTIFY=, no pipelining", async () => {
  const r = runTool("sendmail", ["-N", "success,failure", "-f", "alice@example.test", "x@remote.example"], {
    env: { MAIL_CONFIG: inst.config },
    stdin: "Subject: dsn\n\nbody\n",
  });
  expect(r.status).toBe(0);
  await waitFor("the deferral", () => /to=<x@remote\.example>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=deferred/.test(log()));
  const cmds = relay.commands.map((c) => c.replace(/^\d+ /, ""));
  const rcpt = cmds.find((c) => c.startsWith("RCPT TO:<x@remote.example>"));
  expect(rcpt).toBeDefined();
  expect(rcpt).not.toContain("NOTIFY=");
  // one command at a time: after the refused RCPT comes no pipelined DATA
  expect(cmds.map((c) => c.split(" ")[0])).toEqual(["EHLO", "MAIL", "RCPT", "RSET", "QUIT"]);
  expect(log()).toMatch(/postfix\/smtp\[\d+\]: discarding EHLO keywords: PIPELINING DSN\n/);
});
