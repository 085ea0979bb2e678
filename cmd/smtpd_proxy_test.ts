/**
 * smtpd_proxy_filter end to end, through the compiled binary: an smtpd service whose before-queue filter is a test
 * SMTP server (it accepts, rejects one recipient with 550, or rejects at end of data with 554). The client gets
 * the filter's replies; the filter gets the message with the proxying smtpd's Received: header; the maillog has
 * the proxy-accept and proxy-reject lines; nothing is queued by the proxying smtpd. A second service does the same
 * with smtpd_proxy_options = speed_adjust.
 */
import { test, expect, afterAll, beforeAll } from "bun:test";
import { makeInstance, readMaillog, startMailSystem, stopMailSystem, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { TestSmtpClient, freePort } from "../internal/smtpd/_test_client.ts";
import { startTestSmtpServer, type TestSmtpServer } from "../internal/smtp/_test_smtp_server.ts";

let inst: Instance;
let filter: TestSmtpServer;
let port: number;
let speedPort: number;

beforeAll(async () => {
  filter = await startTestSmtpServer({
    reply: (cmd, s) => {
      if (cmd === "RCPT TO:<bad@example.test>") return "550 5.1.1 <bad@example.test>: Recipient address rejected";
      if (cmd === "." && s.mailFrom === "virus@example.test") return "554 5.7.1 Infected";
      if (cmd === ".") return "250 2.0.0 Ok: queued as FILTERED1";
      return undefined;
    },
  });
  port = await freePort();
  speedPort = await freePort();
  inst = makeInstance(["compatibility_level = 3.6", "inet_protocols = ipv4", "mynetworks = 127.0.0.0/8", "smtpd_error_sleep_time = 0", "myhostname = mx.example.test", ""].join("\n"));
  // a second service does the same with smtpd_proxy_options = speed_adjust
  const speed = `127.0.0.1:${speedPort} inet n - n - - smtpd\n  -o smtpd_proxy_filter=127.0.0.1:${filter.port}\n  -o smtpd_proxy_options=speed_adjust\n`;
  await startMailSystem(inst, stockMasterCf(`127.0.0.1:${port}`).replace(/(127\.0\.0\.1:\d+\s+inet .*smtpd)\n/, `$1\n  -o smtpd_proxy_filter=127.0.0.1:${filter.port}\n${speed}`), { ports: [port, speedPort] });
});

afterAll(async () => {
  stopMailSystem(inst);
  await filter.close();
});

async function session(sender: string, rcpts: string[], to = port): Promise<string[]> {
  const c = await TestSmtpClient.connect(to);
  const out: string[] = [];
  expect(await c.reply()).toMatch(/^220 /);
  expect(await c.cmd("EHLO client.example.test")).toMatch(/^250[- ]/);
  out.push(await c.cmd(`MAIL FROM:<${sender}>`));
  for (const r of rcpts) out.push(await c.cmd(`RCPT TO:<${r}>`));
  out.push(await c.cmd("DATA"));
  out.push(await c.cmd("Subject: proxied\r\n\r\nhello\r\n."));
  await c.cmd("QUIT");
  c.close();
  return out;
}

test("the filter's replies reach the client; the message reaches the filter with our Received: header; logged", async () => {
  const out = await session("alice@example.test", ["bad@example.test", "bob@example.test"]);
  expect(out).toEqual(["250 2.1.0 Ok", "550 5.1.1 <bad@example.test>: Recipient address rejected", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as FILTERED1"]);
  const m = filter.messages.find((x) => x.mailFrom === "alice@example.test")!;
  expect(m.rcpts).toEqual(["bob@example.test"]);
  expect(m.helo).toBe("mx.example.test");
  expect(m.data).toMatch(/^Received: from client\.example\.test \(localhost \[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test \(Postfix\) with ESMTP\r\n\tfor <bob@example\.test>; .+\r\nSubject: proxied\r\n\r\nhello\r\n$/);
  await waitFor("the proxy-accept line", () => /proxy-accept: END-OF-MESSAGE: 250 2\.0\.0 Ok: queued as FILTERED1; from=<alice@example\.test> to=<bob@example\.test> proto=ESMTP helo=<client\.example\.test>/.test(readMaillog(inst)));
  const log = readMaillog(inst);
  expect(log).toContain(`warning: proxy 127.0.0.1:${filter.port} rejected "RCPT TO:<bad@example.test>": "550 5.1.1 <bad@example.test>: Recipient address rejected"`);
  expect(log).not.toMatch(/: client=localhost\[127\.0\.0\.1\]/);
});

test("a rejection at end of data is the client's reply, logged proxy-reject", async () => {
  const out = await session("virus@example.test", ["bob@example.test"]);
  expect(out[out.length - 1]).toBe("554 5.7.1 Infected");
  await waitFor("the proxy-reject line", () => readMaillog(inst).includes("proxy-reject: END-OF-MESSAGE: 554 5.7.1 Infected; from=<virus@example.test> to=<bob@example.test> proto=ESMTP helo=<client.example.test>"));
});

test("speed_adjust: the client gets this server's replies, the filter the whole transaction at the end", async () => {
  let out = await session("carol@example.test", ["bob@example.test"], speedPort);
  expect(out).toEqual(["250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as FILTERED1"]);
  expect(filter.messages.find((x) => x.mailFrom === "carol@example.test")?.rcpts).toEqual(["bob@example.test"]);
  // a recipient the filter refuses is refused for the whole message, at the end of the data
  out = await session("dave@example.test", ["bob@example.test", "bad@example.test"], speedPort);
  expect(out).toEqual(["250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>", "550 5.1.1 <bad@example.test>: Recipient address rejected"]);
  await waitFor("the proxy-reject line", () => readMaillog(inst).includes("proxy-reject: END-OF-MESSAGE: 550 5.1.1 <bad@example.test>: Recipient address rejected; from=<dave@example.test> to=<bob@example.test> proto=ESMTP helo=<client.example.test>"));
  expect(filter.messages.some((x) => x.mailFrom === "dave@example.test")).toBe(false);
});
