/**
 * Sender-dependent routing end to end, through the compiled binary on a running instance: a message from a
 * sender listed in sender_dependent_relayhost_maps goes to that relay; others go to relayhost (here a closed
 * port, so they wait in the queue); the null sender uses the `<>` key.
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { makeInstance, runTool, readMaillog, startMailSystem, stopMailSystem, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { freePort } from "../internal/smtpd/_test_client.ts";
import { startTestSmtpServer, type TestSmtpServer } from "../internal/smtp/_test_smtp_server.ts";

setDefaultTimeout(30000);

let inst: Instance;
let relay: TestSmtpServer;

const log = () => readMaillog(inst);

function sendmail(sender: string, rcpt: string, subject: string): void {
  const r = runTool("sendmail", ["-f", sender, rcpt], { env: { MAIL_CONFIG: inst.config }, stdin: `Subject: ${subject}\n\nbody\n` });
  expect(r.status).toBe(0);
}

beforeAll(async () => {
  relay = await startTestSmtpServer({ host: "127.0.0.1" });
  const closed = await freePort();
  inst = makeInstance(
    [
      "inet_protocols = ipv4",
      "smtp_connect_timeout = 5s",
      `relayhost = [127.0.0.1]:${closed}`,
      `sender_dependent_relayhost_maps = inline:{ { alice@example.test = [127.0.0.1]:${relay.port} }, { <> = [127.0.0.1]:${relay.port} } }`,
      "",
    ].join("\n"),
  );
  await startMailSystem(inst, stockMasterCf(null), { services: ["smtp"] });
});

afterAll(async () => {
  stopMailSystem(inst);
  await relay.close();
});

test("the sender's relayhost carries its mail; another sender's waits for relayhost", async () => {
  sendmail("alice@example.test", "x@remote.example", "from alice");
  sendmail("bob@example.test", "y@remote.example", "from bob");
  await waitFor("alice's message at her relay", () => relay.messages.some((m) => m.mailFrom === "alice@example.test"));
  expect(log()).toMatch(new RegExp(`to=<x@remote\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${relay.port}, .*status=sent`));
  await waitFor("bob's deferral", () => /to=<y@remote\.example>, relay=none, .*status=deferred/.test(log()));
  expect(relay.messages.some((m) => m.mailFrom === "bob@example.test")).toBe(false);
});

test("the null sender is looked up as <>", async () => {
  sendmail("", "z@remote.example", "from nobody");
  await waitFor("the bounce-like message at the relay", () => relay.messages.some((m) => m.rcpts.includes("z@remote.example")));
  expect(relay.messages.find((m) => m.rcpts.includes("z@remote.example"))!.mailFrom).toBe("");
});
