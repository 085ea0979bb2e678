/**
 * The SMTP/LMTP client engine against real servers on 127.0.0.x (a scriptable test server, a test DNS server):
 * every fault ends each recipient sent, deferred or bounced exactly once, with the reason text Postfix 3.7 gives
 * (observed on Debian's Postfix 3.7.11 against the same faulty servers). Logs are captured in memory.
 */
import { test, expect, beforeAll, afterAll, describe } from "bun:test";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { X509Certificate } from "node:crypto";
import { loadConfig } from "../config/config.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { createQueueFile, ensureQueueDirs, queueLayout, DSN_NOTIFY, DSN_RET } from "../queue/index.ts";
import { StubResolver, parseResolvConf } from "../dns/index.ts";
import { startTestDnsServer, type TestDnsServer } from "../dns/_test_server.ts";
import { REQ_FLAG_USR_VRFY, type DeliveryReply, type DeliveryRequest, type RecipientResult } from "../daemon/agent_protocol.ts";
import { SmtpClient } from "./smtp_client.ts";
import { readSmtpSettings } from "./settings.ts";
import { OutgoingContent } from "./smtp_content.ts";
import { certFingerprint, loadTlsContext, pkeyFingerprint } from "./tls_client.ts";
import { startTestSmtpServer, DROP, SILENT, type TestSmtpOptions, type TestSmtpServer } from "./_test_smtp_server.ts";

const TLS_DIR = resolve(import.meta.dir, "..", "..", "testdata", "smtp");
const tlsFiles = { key: readFileSync(join(TLS_DIR, "server.key"), "utf8"), cert: readFileSync(join(TLS_DIR, "server.pem"), "utf8") };

let dir: string;
let queueDir: string;
let dns: TestDnsServer;
let resolvConf: string;
const log: string[] = [];
const servers: TestSmtpServer[] = [];
let nconf = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "postkit-smtp-"));
  queueDir = join(dir, "queue");
  ensureQueueDirs(queueDir);
  setMsgStderr(false);
  setMsgSink({ write: (level, text) => log.push(level === "info" ? text : `${level}: ${text}`), close() {} });
  dns = await startTestDnsServer({});
  resolvConf = join(dir, "resolv.conf");
  writeFileSync(resolvConf, dns.resolvConf({ timeout: 1, attempts: 1 }));
});

afterAll(async () => {
  for (const s of servers) await s.close();
  dns.close();
  rmSync(dir, { recursive: true, force: true });
});

async function server(opts: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const s = await startTestSmtpServer(opts);
  servers.push(s);
  return s;
}

/** A port with nothing listening on `host`. */
async function closedPort(host = "127.0.0.1"): Promise<number> {
  const srv = createServer();
  const port = await new Promise<number>((r) => srv.listen(0, host, () => r((srv.address() as { port: number }).port)));
  await new Promise((r) => srv.close(r));
  return port;
}

interface Run {
  results: RecipientResult[];
  /** DeliveryReply.siteFailure: the failure the queue manager counts against the destination. */
  siteFailure: DeliveryReply["siteFailure"];
  log: string[];
  byRcpt: Record<string, RecipientResult>;
  client: SmtpClient;
}

function clientParts(main: string, command: "smtp" | "lmtp") {
  const etc = join(dir, `etc${++nconf}`);
  mkdirSync(etc);
  writeFileSync(
    join(etc, "main.cf"),
    `queue_directory = ${queueDir}\nmyhostname = client.example.test\ninet_protocols = ipv4\n` +
      `smtp_helo_timeout = 1s\nsmtp_rcpt_timeout = 1s\nsmtp_mail_timeout = 2s\nsmtp_data_init_timeout = 1s\nsmtp_data_done_timeout = 1s\nsmtp_connect_timeout = 2s\n` +
      `lmtp_lhlo_timeout = 2s\nlmtp_data_done_timeout = 2s\n${main}`,
  );
  const cfg = loadConfig({ configDir: etc });
  const settings = readSmtpSettings(cfg, command);
  return {
    cfg,
    parts: {
      settings,
      dns: new StubResolver(parseResolvConf(readFileSync(resolvConf, "utf8"))),
      layout: queueLayout(queueDir),
      service: command,
      tlsContext: loadTlsContext(settings.tls),
    },
  };
}

/** A client without outgoing content handling (no rewriting, no 8-bit downgrade). */
function client(main: string, command: "smtp" | "lmtp" = "smtp"): SmtpClient {
  return new SmtpClient(clientParts(main, command).parts);
}

/** A client as the smtp daemon makes it: with its outgoing content handling (smtp_content.ts). */
async function contentClient(main: string): Promise<SmtpClient> {
  const { cfg, parts } = clientParts(main, "smtp");
  return new SmtpClient({ ...parts, content: await OutgoingContent.open(cfg, "smtp") });
}

function message(rcpts: { address: string; notify?: number; orcpt?: string }[], content: string, env: { sender?: string; attrs?: [string, string][]; envid?: string; ret?: number; flags?: number } = {}) {
  const w = createQueueFile({ queueDir, queueName: "active" });
  w.writeEnvelope({ sender: env.sender ?? "alice@example.test", recipients: rcpts, attributes: env.attrs ?? [], dsnEnvid: env.envid, dsnRet: env.ret });
  w.writeContent(content);
  const done = w.finish({ durable: false });
  return done;
}

async function deliver(c: SmtpClient, nexthop: string, rcpts: (string | { address: string; notify?: number; orcpt?: string })[], content = "Subject: test\n\nbody\n", env: Parameters<typeof message>[2] = {}): Promise<Run> {
  const list = rcpts.map((r) => (typeof r === "string" ? { address: r } : r));
  const m = message(list, content, env);
  const { openQueueFile } = await import("../queue/index.ts");
  const f = openQueueFile(m.path);
  const envl = f.envelope();
  f.close();
  const req: DeliveryRequest = {
    queueName: "active", queueId: m.queueId, sender: envl.sender, nexthop, service: "smtp",
    recipients: envl.recipients.map((r) => ({ address: r.address, origAddress: r.origAddress, offset: r.offset, notify: r.notify, orcpt: r.orcpt })),
    arrival: Date.now() - 10, active: Date.now() - 5, size: m.messageSize, envid: envl.dsnEnvid ?? "", ret: envl.dsnRet, flags: env.flags ?? 0,
  };
  const start = log.length;
  const reply = await c.deliver(req);
  const byRcpt: Record<string, RecipientResult> = {};
  for (const r of reply.results) byRcpt[envl.recipients.find((x) => x.offset === r.offset)!.address] = r;
  // exactly one result per recipient
  expect(reply.results.map((r) => r.offset).sort()).toEqual(req.recipients.map((r) => r.offset).sort());
  return { results: reply.results, siteFailure: reply.siteFailure, log: log.slice(start), byRcpt, client: c };
}

const noCache = "smtp_connection_cache_on_demand = no\n";

describe("one server, replies at every stage", () => {
  test("delivered: sent with the server's reply, the log line, SIZE and BODY, dot-stuffed CRLF data", async () => {
    const s = await server({ host: "127.0.0.2" });
    const r = await deliver(client(noCache), `[127.0.0.2]:${s.port}`, ["a@x.test", "b@x.test"], "Subject: t\n\n.dot\nend\n", { attrs: [["encoding", "8bit"]] });
    const relay = `127.0.0.2[127.0.0.2]:${s.port}`;
    expect(r.byRcpt["a@x.test"]).toMatchObject({ status: "sent", dsn: "2.0.0", reason: "250 2.0.0 Ok: queued as TEST", relay });
    expect(r.byRcpt["b@x.test"]!.status).toBe("sent");
    expect(r.log.join("\n")).toMatch(new RegExp(`: to=<a@x\\.test>, relay=127\\.0\\.0\\.2\\[127\\.0\\.0\\.2\\]:${s.port}, delay=[\\d.]+, delays=[\\d.]+/[\\d.]+/[\\d.]+/[\\d.]+, dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 Ok: queued as TEST\\)`));
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0]!.data).toBe("Subject: t\r\n\r\n.dot\r\nend\r\n");
    expect(s.messages[0]!.rcpts).toEqual(["a@x.test", "b@x.test"]);
    expect(s.commands).toContain(`1 MAIL FROM:<alice@example.test> SIZE=${Buffer.byteLength("Subject: t\n\n.dot\nend\n")} BODY=8BITMIME`);
    expect(s.commands.at(-1)).toBe("1 QUIT");
  });

  const cases: { label: string; opts: TestSmtpOptions; status: string; dsn: string; reason: string; relay?: boolean }[] = [
    { label: "5xx greeting (deferred: smtp_skip_5xx_greeting)", opts: { greeting: "554 5.7.1 go away" }, status: "deferred", dsn: "4.7.1", reason: "host H refused to talk to me: 554 5.7.1 go away" },
    { label: "421 greeting", opts: { greeting: "421 4.3.2 busy now" }, status: "deferred", dsn: "4.3.2", reason: "host H refused to talk to me: 421 4.3.2 busy now" },
    { label: "421 to EHLO", opts: { reply: (c) => (c.startsWith("EHLO") ? "421 4.7.0 closing" : undefined) }, status: "deferred", dsn: "4.7.0", reason: "host H refused to talk to me: 421 4.7.0 closing" },
    {
      label: "HELO refused after EHLO", opts: { reply: (c) => (c.startsWith("EHLO") ? "502 5.5.2 no" : c.startsWith("HELO") ? "501 5.5.4 bad helo" : undefined) },
      status: "bounced", dsn: "5.5.4", reason: "host H refused to talk to me: 501 5.5.4 bad helo",
    },
    { label: "4xx to MAIL", opts: { reply: (c) => (c.startsWith("MAIL") ? "451 4.3.0 try later" : undefined) }, status: "deferred", dsn: "4.3.0", reason: "host H said: 451 4.3.0 try later (in reply to MAIL FROM command)" },
    { label: "5xx to MAIL", opts: { reply: (c) => (c.startsWith("MAIL") ? "553 5.1.8 bad sender" : undefined) }, status: "bounced", dsn: "5.1.8", reason: "host H said: 553 5.1.8 bad sender (in reply to MAIL FROM command)" },
    { label: "5xx to DATA", opts: { reply: (c) => (c === "DATA" ? "554 5.5.1 no data" : undefined) }, status: "bounced", dsn: "5.5.1", reason: "host H said: 554 5.5.1 no data (in reply to DATA command)" },
    { label: "5xx at the end of data", opts: { reply: (c) => (c === "." ? "552 5.3.4 too big" : undefined) }, status: "bounced", dsn: "5.3.4", reason: "host H said: 552 5.3.4 too big (in reply to end of DATA command)" },
    { label: "4xx at the end of data", opts: { reply: (c) => (c === "." ? "451 4.3.0 queue error" : undefined) }, status: "deferred", dsn: "4.3.0", reason: "host H said: 451 4.3.0 queue error (in reply to end of DATA command)" },
    {
      label: "connection dropped at the end of data", opts: { reply: (c) => (c === "." ? DROP : undefined) },
      status: "deferred", dsn: "4.4.2", reason: "lost connection with H while sending end of data -- message may be sent more than once",
    },
    { label: "connection dropped after EHLO", opts: { reply: (c) => (c.startsWith("EHLO") ? DROP : undefined) }, status: "deferred", dsn: "4.4.2", reason: "lost connection with H while performing the EHLO handshake" },
    { label: "no greeting (timeout)", opts: { greeting: SILENT }, status: "deferred", dsn: "4.4.2", reason: "conversation with H timed out while receiving the initial server greeting" },
    { label: "a greeting that is not a reply (timeout)", opts: { greeting: "hello world" }, status: "deferred", dsn: "4.4.2", reason: "conversation with H timed out while receiving the initial server greeting" },
    { label: "no reply to RCPT (timeout)", opts: { reply: (c) => (c.startsWith("RCPT") ? SILENT : undefined) }, status: "deferred", dsn: "4.4.2", reason: "conversation with H timed out while sending RCPT TO" },
    {
      label: "no reply at the end of data (timeout)", opts: { reply: (c) => (c === "." ? SILENT : undefined) },
      status: "deferred", dsn: "4.4.2", reason: "conversation with H timed out while sending end of data -- message may be sent more than once",
    },
    {
      label: "a malformed RCPT reply is read together with the next reply", opts: { reply: (c) => (c.startsWith("RCPT") ? "xyz" : undefined) },
      status: "bounced", dsn: "5.5.1", reason: "host H said: xyz 554 5.5.1 Error: no valid recipients (in reply to RCPT TO command)",
    },
    { label: "a SIZE limit below the message size", opts: { ehloKeywords: ["SIZE 10", "PIPELINING"] }, status: "bounced", dsn: "5.3.4", reason: `message size ${Buffer.byteLength("Subject: test\n\nbody\n")} exceeds size limit 10 of server H` },
    { label: "a 250 reply to DATA is a protocol error", opts: { reply: (c) => (c === "DATA" ? "250 2.0.0 what" : undefined) }, status: "bounced", dsn: "5.5.0", reason: "Protocol error: host H said: 250 2.0.0 what (in reply to DATA command)" },
  ];
  let n = 10;
  for (const c of cases) {
    const host = `127.0.0.${n++}`;
    test(c.label, async () => {
      const s = await server({ ...c.opts, host });
      const r = await deliver(client(noCache), `[${host}]:${s.port}`, ["u@x.test"]);
      const H = `${host}[${host}]`;
      expect(r.byRcpt["u@x.test"]).toEqual({ offset: r.results[0]!.offset, status: c.status as never, dsn: c.dsn, reason: c.reason.replace("H", H), relay: `${H}:${s.port}` });
      expect(r.log.join("\n")).toContain(`, dsn=${c.dsn}, status=${c.status} (${c.reason.replace("H", H)})`);
    });
  }

  test("EHLO refused: HELO, then delivery", async () => {
    const s = await server({ host: "127.0.0.40", reply: (c) => (c.startsWith("EHLO") ? "502 5.5.2 no ehlo" : undefined) });
    const r = await deliver(client(noCache), `[127.0.0.40]:${s.port}`, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]!.status).toBe("sent");
    expect(s.commands.slice(0, 3)).toEqual(["1 EHLO client.example.test", "1 HELO client.example.test", "1 MAIL FROM:<alice@example.test>"]);
  });

  test("the null sender goes as MAIL FROM:<>; a local part that needs quotes is quoted unless smtp_quote_rfc821_envelope = no", async () => {
    const s = await server({ host: "127.0.0.41", ehloKeywords: ["8BITMIME"] });
    await deliver(client(noCache), `[127.0.0.41]:${s.port}`, ["u@x.test"], "Subject: t\n\nx\n", { sender: "" });
    await deliver(client(noCache), `[127.0.0.41]:${s.port}`, ["john smith@x.test"]);
    await deliver(client(`${noCache}smtp_quote_rfc821_envelope = no\n`), `[127.0.0.41]:${s.port}`, ["john smith@x.test"]);
    const sent = s.commands.filter((c) => /MAIL FROM|RCPT TO/.test(c)).map((c) => c.replace(/^\d+ /, ""));
    expect(sent).toEqual(["MAIL FROM:<>", "RCPT TO:<u@x.test>", "MAIL FROM:<alice@example.test>", 'RCPT TO:<"john smith"@x.test>', "MAIL FROM:<alice@example.test>", "RCPT TO:<john smith@x.test>"]);
  });

  test("per recipient: 2xx sent, 4xx deferred, 5xx bounced (multi-line reply on one line)", async () => {
    const s = await server({
      host: "127.0.0.41",
      reply: (c) => (c.includes("<bad@") ? "550 5.1.1 <bad@x.test>: Recipient address rejected: User unknown" : c.includes("<tmp@") ? "450 4.2.1 mailbox busy" : c.includes("<multi@") ? "550-5.1.1 line one\r\n550 5.1.1 line two" : undefined),
    });
    const r = await deliver(client(noCache), `[127.0.0.41]:${s.port}`, ["ok@x.test", "bad@x.test", "tmp@x.test", "multi@x.test"]);
    const H = "127.0.0.41[127.0.0.41]";
    expect(r.byRcpt["ok@x.test"]).toMatchObject({ status: "sent", reason: "250 2.0.0 Ok: queued as TEST" });
    expect(r.byRcpt["bad@x.test"]).toMatchObject({ status: "bounced", dsn: "5.1.1", reason: `host ${H} said: 550 5.1.1 <bad@x.test>: Recipient address rejected: User unknown (in reply to RCPT TO command)` });
    expect(r.byRcpt["tmp@x.test"]).toMatchObject({ status: "deferred", dsn: "4.2.1", reason: `host ${H} said: 450 4.2.1 mailbox busy (in reply to RCPT TO command)` });
    expect(r.byRcpt["multi@x.test"]).toMatchObject({ status: "bounced", dsn: "5.1.1", reason: `host ${H} said: 550-5.1.1 line one 550 5.1.1 line two (in reply to RCPT TO command)` });
    expect(s.messages[0]!.rcpts).toEqual(["ok@x.test"]);
  });

  test("without PIPELINING each command waits for its reply; all recipients rejected: RSET, no DATA", async () => {
    const s = await server({ host: "127.0.0.42", ehloKeywords: ["8BITMIME"], reply: (c) => (c.startsWith("RCPT") ? "550 5.1.1 no" : undefined) });
    const r = await deliver(client(noCache), `[127.0.0.42]:${s.port}`, ["a@x.test", "b@x.test"]);
    expect(r.results.map((x) => x.status)).toEqual(["bounced", "bounced"]);
    expect(s.commands.map((c) => c.split(" ")[1])).toEqual(["EHLO", "MAIL", "RCPT", "RCPT", "RSET", "QUIT"]);
  });

  test("DSN: ENVID, RET, NOTIFY and ORCPT go to a DSN server", async () => {
    const s = await server({ host: "127.0.0.43" });
    const r = await deliver(client(noCache), `[127.0.0.43]:${s.port}`, [{ address: "a@x.test", notify: DSN_NOTIFY.SUCCESS | DSN_NOTIFY.FAILURE, orcpt: "rfc822;A+B@x.test" }], "x\n", {
      envid: "id 1",
      ret: DSN_RET.HDRS,
    });
    expect(s.commands[1]).toBe("1 MAIL FROM:<alice@example.test> SIZE=2 ENVID=id+201 RET=HDRS");
    expect(s.commands[2]).toBe("1 RCPT TO:<a@x.test> ORCPT=rfc822;A+2BB@x.test NOTIFY=SUCCESS,FAILURE");
    // the DSN server reports success itself: no success notice from here (Postfix's smtp_rcpt_done())
    expect(r.byRcpt["a@x.test"]).toMatchObject({ status: "sent", notifyPassed: true });
    expect(r.byRcpt["a@x.test"]!.action).toBeUndefined();
  });

  test("a sendmail -bv probe: MAIL FROM and RCPT TO, then RSET; no DATA; logged deliverable / undeliverable", async () => {
    const s = await server({ host: "127.0.0.51", reply: (c) => (c.startsWith("RCPT TO:<no@") ? "550 5.1.1 no such user" : undefined) });
    const r = await deliver(client(noCache), `[127.0.0.51]:${s.port}`, ["a@x.test", "no@x.test"], "x\n", { flags: REQ_FLAG_USR_VRFY });
    expect(r.byRcpt["a@x.test"]).toMatchObject({ status: "sent", dsn: "2.1.5", reason: "250 2.1.5 Ok" });
    expect(r.byRcpt["no@x.test"]).toMatchObject({ status: "bounced", dsn: "5.1.1" });
    expect(s.messages).toHaveLength(0);
    expect(s.commands.some((c) => c.endsWith(" DATA") || c === "1 DATA")).toBe(false);
    expect(s.commands).toContain("1 RSET");
    expect(r.log.join("\n")).toMatch(/to=<a@x\.test>, relay=.*, dsn=2\.1\.5, status=deliverable \(250 2\.1\.5 Ok\)/);
    expect(r.log.join("\n")).toMatch(/to=<no@x\.test>, relay=.*, dsn=5\.1\.1, status=undeliverable \(host .* said: 550 5\.1\.1 no such user \(in reply to RCPT TO command\)\)/);
  });

  test("a success at a server without DSN is relayed (LMTP with lmtp_assume_final: delivered)", async () => {
    const s = await server({ host: "127.0.0.50", ehloKeywords: ["PIPELINING"] });
    const r = await deliver(client(noCache), `[127.0.0.50]:${s.port}`, [{ address: "a@x.test", notify: DSN_NOTIFY.SUCCESS }]);
    expect(r.byRcpt["a@x.test"]).toMatchObject({ status: "sent", action: "relayed" });
    expect(r.byRcpt["a@x.test"]!.notifyPassed).toBeUndefined();
  });

  test("a long line is broken with CRLF SPACE, and that is logged once", async () => {
    const s = await server({ host: "127.0.0.44" });
    const r = await deliver(client(noCache + "smtp_line_length_limit = 10\n"), `[127.0.0.44]:${s.port}`, ["a@x.test"], "Subject: 0123456789abc\n\nx\n");
    expect(s.messages[0]!.data).toBe("Subject: \r\n 0123456789\r\n abc\r\n\r\nx\r\n".replace("Subject: \r\n 0123456789", "Subject: 0\r\n 123456789"));
    expect(r.log.filter((l) => l.includes("breaking line > 10 bytes with <CR><LF>SPACE"))).toHaveLength(1);
  });

  test("8-bit MIME to a server without 8BITMIME goes quoted-printable, without SIZE or BODY", async () => {
    const s = await server({ host: "127.0.0.46", ehloKeywords: ["PIPELINING", "SIZE 10240000"] });
    const content = "Subject: t\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\ncaf\u00e9 = ok \n.\n";
    const r = await deliver(await contentClient(noCache), `[127.0.0.46]:${s.port}`, ["a@x.test"], content, { attrs: [["encoding", "8bit"]] });
    expect(r.byRcpt["a@x.test"]!.status).toBe("sent");
    expect(s.messages[0]!.data).toBe("Subject: t\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =3D ok=20\r\n.\r\n"); // (the test server undoes the dot-stuffing)
    expect(s.commands).toContain("1 MAIL FROM:<alice@example.test>");
  });

  test("no downgrade for a server with 8BITMIME, a message marked 7bit, or disable_mime_output_conversion = yes", async () => {
    const content = "Content-Transfer-Encoding: 8bit\n\ncaf\u00e9\n";
    const sent = "Content-Transfer-Encoding: 8bit\r\n\r\ncaf\u00c3\u00a9\r\n";
    const with8 = await server({ host: "127.0.0.47" });
    await deliver(await contentClient(noCache), `[127.0.0.47]:${with8.port}`, ["a@x.test"], content, { attrs: [["encoding", "8bit"]] });
    expect(with8.messages[0]!.data).toBe(sent); // (the test server reads bytes as latin1)
    expect(with8.commands.some((c) => c.endsWith("BODY=8BITMIME"))).toBe(true);
    const without = await server({ host: "127.0.0.48", ehloKeywords: ["SIZE 10240000"] });
    await deliver(await contentClient(noCache), `[127.0.0.48]:${without.port}`, ["a@x.test"], content, { attrs: [["encoding", "7bit"]] });
    await deliver(await contentClient(noCache + "disable_mime_output_conversion = yes\n"), `[127.0.0.48]:${without.port}`, ["a@x.test"], content);
    expect(without.messages.map((m) => m.data)).toEqual([sent, sent]);
    expect(without.commands.filter((c) => c.includes("MAIL FROM")).every((c) => c.includes(" SIZE="))).toBe(true);
  });

  test("a downgrade that meets more MIME nesting than mime_nesting_limit bounces the message (5.6.0)", async () => {
    const s = await server({ host: "127.0.0.49", ehloKeywords: ["PIPELINING"] });
    const content = "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/mixed; boundary=c\n\n--c\n\nx\n";
    const r = await deliver(await contentClient(noCache + "mime_nesting_limit = 0\n"), `[127.0.0.49]:${s.port}`, ["a@x.test"], content);
    expect(r.byRcpt["a@x.test"]).toMatchObject({ status: "bounced", dsn: "5.6.0", reason: "MIME nesting exceeds safety limit" });
    expect(s.messages).toHaveLength(0);
    expect(s.commands.some((c) => c.includes("MAIL FROM"))).toBe(false);
  });

  test("site failures for the queue manager: a 421 greeting is one, a recipient's 450 or a delivery is not", async () => {
    const greet = await server({ host: "127.0.0.48", greeting: "421 4.3.2 busy" });
    const a = await deliver(client(noCache), `[127.0.0.48]:${greet.port}`, ["a@x.test"]);
    expect(a.byRcpt["a@x.test"]).toMatchObject({ status: "deferred" });
    expect(a.siteFailure).toMatchObject({ dsn: "4.3.2" });
    const rcpt = await server({ host: "127.0.0.49", reply: (c) => (c.startsWith("RCPT") ? "450 4.2.0 mailbox busy" : undefined) });
    const b = await deliver(client(noCache), `[127.0.0.49]:${rcpt.port}`, ["a@x.test"]);
    expect(b.byRcpt["a@x.test"]).toMatchObject({ status: "deferred", dsn: "4.2.0" });
    expect(b.siteFailure).toBeUndefined();
    const ok = await server({ host: "127.0.0.53" });
    expect((await deliver(client(noCache), `[127.0.0.53]:${ok.port}`, ["a@x.test"])).siteFailure).toBeUndefined();
  });

  test("soft_bounce turns a bounce into a deferral", async () => {
    const s = await server({ host: "127.0.0.45", reply: (c) => (c.startsWith("RCPT") ? "550 5.1.1 no" : undefined) });
    const r = await deliver(client(noCache + "soft_bounce = yes\n"), `[127.0.0.45]:${s.port}`, ["a@x.test"]);
    expect(r.byRcpt["a@x.test"]).toMatchObject({ status: "deferred", dsn: "4.1.1" });
  });

  test("smtp_bind_address chooses the source address", async () => {
    const s = await server({ host: "127.0.0.46" });
    await deliver(client(noCache + "smtp_bind_address = 127.0.0.47\n"), `[127.0.0.46]:${s.port}`, ["a@x.test"]);
    expect(s.sessionList[0]!.remote).toBe("127.0.0.47");
  });
});

describe("connections", () => {
  test("connection refused: deferred with relay=none, and the attempt is logged", async () => {
    const port = await closedPort("127.0.0.50");
    const r = await deliver(client(noCache), `[127.0.0.50]:${port}`, ["a@x.test"]);
    const reason = `connect to 127.0.0.50[127.0.0.50]:${port}: Connection refused`;
    expect(r.byRcpt["a@x.test"]).toMatchObject({ status: "deferred", dsn: "4.4.1", reason, relay: "none" });
    // no server reached: a failure of the whole site, for the queue manager's dead-destination feedback
    expect(r.siteFailure).toEqual({ dsn: "4.4.1", reason });
    expect(r.log).toContain(reason);
    expect(r.log.join("\n")).toMatch(/to=<a@x\.test>, relay=none, delay=[\d.]+, delays=[\d./]+, dsn=4\.4\.1, status=deferred \(connect to/);
  });

  test("connection timeout (smtp_connect_timeout)", async () => {
    // A listener whose accept queue is full drops further SYNs: the connect never completes.
    const py = Bun.which("python3");
    if (!py) {
      console.warn("skip: connection timeout test: python3 is not installed");
      return;
    }
    const port = await closedPort("127.0.0.51");
    const proc = Bun.spawn([py, "-c", `
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.51", ${port})); s.listen(0)
cs = []
for i in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.51", ${port}))
    except BlockingIOError: pass
    cs.append(c)
print("ready", flush=True)
time.sleep(20)
`], { stdout: "pipe" });
    try {
      const reader = proc.stdout.getReader();
      await reader.read();
      const r = await deliver(client(noCache + "smtp_connect_timeout = 1s\n"), `[127.0.0.51]:${port}`, ["a@x.test"]);
      expect(r.byRcpt["a@x.test"]).toMatchObject({ status: "deferred", dsn: "4.4.1", reason: `connect to 127.0.0.51[127.0.0.51]:${port}: Connection timed out` });
    } finally {
      proc.kill();
    }
  });

  test("connection reuse: the second delivery reuses the session (RSET, conn_use=2)", async () => {
    const s = await server({ host: "127.0.0.52" });
    const c = client("");
    await deliver(c, `[127.0.0.52]:${s.port}`, ["a@x.test"]);
    expect(c.idleSessions()).toBe(1);
    const r = await deliver(c, `[127.0.0.52]:${s.port}`, ["b@x.test"]);
    expect(r.byRcpt["b@x.test"]!.status).toBe("sent");
    expect(r.log.join("\n")).toMatch(/to=<b@x\.test>, relay=127\.0\.0\.52\[127\.0\.0\.52\]:\d+, conn_use=2, delay=/);
    expect(s.sessions()).toBe(1);
    expect(s.commands.filter((x) => x.endsWith("RSET"))).toHaveLength(1);
    c.close();
    await Bun.sleep(50);
    expect(s.commands.at(-1)).toBe("1 QUIT");
  });

  test("an idle session is closed with QUIT after smtp_connection_cache_time_limit", async () => {
    const s = await server({ host: "127.0.0.53" });
    const c = client("smtp_connection_cache_time_limit = 1s\n");
    await deliver(c, `[127.0.0.53]:${s.port}`, ["a@x.test"]);
    expect(c.idleSessions()).toBe(1);
    await Bun.sleep(1300);
    expect(c.idleSessions()).toBe(0);
    expect(s.commands.at(-1)).toBe("1 QUIT");
  });

  test("a cached session the server closed is replaced by a new one", async () => {
    const s = await server({ host: "127.0.0.54", reply: (c, sess) => (c === "RSET" && sess.id === 1 ? DROP : undefined) });
    const c = client("");
    await deliver(c, `[127.0.0.54]:${s.port}`, ["a@x.test"]);
    const r = await deliver(c, `[127.0.0.54]:${s.port}`, ["b@x.test"]);
    expect(r.byRcpt["b@x.test"]!.status).toBe("sent");
    expect(s.sessions()).toBe(2);
    c.close();
  });
});

describe("DNS and MX", () => {
  let port: number;
  let a: TestSmtpServer;
  let b: TestSmtpServer;
  beforeAll(async () => {
    a = await server({ host: "127.0.0.60", hostname: "a.example.test" });
    port = a.port;
    b = await server({ host: "127.0.0.61", port, hostname: "b.example.test" });
    Object.assign(dns.zone, {
      "mx.test": { MX: [[10, "mx1.mx.test"], [20, "mx2.mx.test"]] },
      "mx1.mx.test": { A: ["127.0.0.62"] },
      "mx2.mx.test": { A: ["127.0.0.60"] },
      "nomx.test": { A: ["127.0.0.61"] },
      "nullmx.test": { MX: [[0, "."]] },
      "fail.test": { rcode: "SERVFAIL" },
      "slow.test": { drop: true },
      "mxnoaddr.test": { MX: [[10, "noaddr.mx.test"]] },
      "equal.test": { MX: [[10, "e1.equal.test"], [10, "e2.equal.test"]] },
      "e1.equal.test": { A: ["127.0.0.60"] },
      "e2.equal.test": { A: ["127.0.0.61"] },
      "three.test": { MX: [[10, "t1.three.test"], [20, "t2.three.test"], [30, "t3.three.test"]] },
      "t1.three.test": { A: ["127.0.0.63"] },
      "t2.three.test": { A: ["127.0.0.64"] },
      "t3.three.test": { A: ["127.0.0.65"] },
      "nodata.test": { TXT: ["x"] },
    });
  });

  test("MX by preference: the first MX refuses the connection, the second gets the mail", async () => {
    const r = await deliver(client(noCache), `mx.test:${port}`, ["a@mx.test"]);
    expect(r.byRcpt["a@mx.test"]).toMatchObject({ status: "sent", relay: `mx2.mx.test[127.0.0.60]:${port}` });
    expect(r.log).toContain(`connect to mx1.mx.test[127.0.0.62]:${port}: Connection refused`);
  });

  test("no MX record: the domain's A record", async () => {
    const r = await deliver(client(noCache), `nomx.test:${port}`, ["a@nomx.test"]);
    expect(r.byRcpt["a@nomx.test"]).toMatchObject({ status: "sent", relay: `nomx.test[127.0.0.61]:${port}` });
  });

  test("equal preferences are tried in random order", async () => {
    const c = client(noCache);
    const before = [a.sessions(), b.sessions()];
    for (let i = 0; i < 16; i++) await deliver(c, `equal.test:${port}`, ["a@equal.test"]);
    expect(a.sessions() - before[0]!).toBeGreaterThan(0);
    expect(b.sessions() - before[1]!).toBeGreaterThan(0);
  });

  const dnsCases: { label: string; nexthop: string; main?: string; status: string; dsn: string; reason: string; warn?: string }[] = [
    { label: "null MX bounces", nexthop: "nullmx.test", status: "bounced", dsn: "5.1.0", reason: "Domain nullmx.test does not accept mail (nullMX)" },
    { label: "NXDOMAIN bounces (ipv4: type=A)", nexthop: "nx.test", status: "bounced", dsn: "5.4.4", reason: "Host or domain name not found. Name service error for name=nx.test type=A: Host not found" },
    {
      label: "NXDOMAIN bounces (all: the AAAA lookup is reported, as Postfix does)", nexthop: "nx.test", main: "inet_protocols = all\n",
      status: "bounced", dsn: "5.4.4", reason: "Host or domain name not found. Name service error for name=nx.test type=AAAA: Host not found",
    },
    {
      label: "no MX and no address bounces", nexthop: "nodata.test", status: "bounced", dsn: "5.4.4",
      reason: "Host or domain name not found. Name service error for name=nodata.test type=A: Host found but no data record of requested type",
    },
    { label: "SERVFAIL defers", nexthop: "fail.test", status: "deferred", dsn: "4.4.3", reason: "Host or domain name not found. Name service error for name=fail.test type=MX: Host not found, try again" },
    { label: "DNS timeout defers", nexthop: "slow.test", status: "deferred", dsn: "4.4.3", reason: "Host or domain name not found. Name service error for name=slow.test type=MX: Host not found, try again" },
    {
      label: "MX hosts without addresses", nexthop: "mxnoaddr.test", status: "bounced", dsn: "5.4.4",
      reason: "Host or domain name not found. Name service error for name=noaddr.mx.test type=A: Host not found", warn: "warning: no MX host for mxnoaddr.test has a valid address record",
    },
    {
      label: "a relayhost that does not resolve is a configuration problem, not a bounce", nexthop: "[nx.test]", main: "relayhost = [nx.test]\n",
      status: "deferred", dsn: "4.3.5", reason: "Host or domain name not found. Name service error for name=nx.test type=A: Host not found", warn: "warning: relayhost configuration problem",
    },
  ];
  for (const c of dnsCases) {
    test(c.label, async () => {
      const r = await deliver(client(noCache + (c.main ?? "")), c.nexthop, ["u@x.test"]);
      expect(r.byRcpt["u@x.test"]).toMatchObject({ status: c.status, dsn: c.dsn, reason: c.reason, relay: "none" });
      if (c.warn) expect(r.log).toContain(c.warn);
    });
  }

  test("smtp_mx_address_limit: only so many addresses are tried", async () => {
    const r = await deliver(client(noCache + "smtp_mx_address_limit = 2\n"), `three.test:${port}`, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "deferred", reason: `connect to t2.three.test[127.0.0.64]:${port}: Connection refused` });
    expect(r.log.filter((l) => l.startsWith("connect to"))).toHaveLength(2);
  });

  test("smtp_mx_session_limit: a 4xx at the first sessions, the third server is not tried", async () => {
    const rej: TestSmtpOptions["reply"] = (c) => (c.startsWith("RCPT") ? "450 4.2.0 later" : undefined);
    const t1 = await server({ host: "127.0.0.63", port, reply: rej });
    const t2 = await server({ host: "127.0.0.64", port, reply: rej });
    const t3 = await server({ host: "127.0.0.65", port });
    const r = await deliver(client(noCache), `three.test:${port}`, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "deferred", reason: `host t2.three.test[127.0.0.64] said: 450 4.2.0 later (in reply to RCPT TO command)` });
    expect(r.log.some((l) => l.endsWith(`: host t1.three.test[127.0.0.63] said: 450 4.2.0 later (in reply to RCPT TO command)`))).toBe(true);
    expect([t1.sessions(), t2.sessions(), t3.sessions()]).toEqual([1, 1, 0]);
  });

  test("smtp_fallback_relay gets the mail the next hop refused", async () => {
    const closed = await closedPort("127.0.0.66");
    const r = await deliver(client(noCache + `smtp_fallback_relay = [127.0.0.60]:${port}\n`), `[127.0.0.66]:${closed}`, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "sent", relay: `127.0.0.60[127.0.0.60]:${port}` });
  });
});

describe("LMTP", () => {
  test("over a UNIX socket: one reply per recipient after DATA, relay=HOST[/path]", async () => {
    const path = join(dir, "lmtp.sock");
    const s = await server({ lmtp: true, unixPath: path, reply: (c, _s, r) => (c === "." && r?.startsWith("full") ? "452 4.2.2 mailbox full" : c === "." && r?.startsWith("bad") ? "550 5.1.1 no such user" : undefined) });
    const r = await deliver(client("", "lmtp"), `unix:${path}`, ["ok@x.test", "full@x.test", "bad@x.test"]);
    const H = `client.example.test[${path}]`;
    expect(r.byRcpt["ok@x.test"]).toMatchObject({ status: "sent", dsn: "2.0.0", reason: "250 2.0.0 <ok@x.test> Ok", relay: H });
    expect(r.byRcpt["full@x.test"]).toMatchObject({ status: "deferred", dsn: "4.2.2", reason: `host ${H} said: 452 4.2.2 mailbox full (in reply to end of DATA command)` });
    expect(r.byRcpt["bad@x.test"]).toMatchObject({ status: "bounced", dsn: "5.1.1", reason: `host ${H} said: 550 5.1.1 no such user (in reply to end of DATA command)` });
    expect(s.commands[0]).toBe("1 LHLO client.example.test");
  });

  test("over TCP (inet:host:port)", async () => {
    const s = await server({ lmtp: true, host: "127.0.0.70" });
    const r = await deliver(client("", "lmtp"), `inet:127.0.0.70:${s.port}`, ["a@x.test"]);
    expect(r.byRcpt["a@x.test"]).toMatchObject({ status: "sent", relay: `127.0.0.70[127.0.0.70]:${s.port}` });
  });

  test("a missing socket defers", async () => {
    const path = join(dir, "none.sock");
    const r = await deliver(client("", "lmtp"), `unix:${path}`, ["a@x.test"]);
    expect(r.byRcpt["a@x.test"]).toMatchObject({ status: "deferred", dsn: "4.4.1", reason: `connect to client.example.test[${path}]: No such file or directory`, relay: "none" });
    expect(existsSync(path)).toBe(false);
  });
});

describe("STARTTLS", () => {
  let tlsPort: number;
  beforeAll(async () => {
    const s = await server({ host: "127.0.0.80", tls: tlsFiles });
    tlsPort = s.port;
    await server({ host: "127.0.0.81", port: tlsPort });
    await server({ host: "127.0.0.82", port: tlsPort, tls: tlsFiles, reply: (c) => (c === "STARTTLS" ? "454 4.7.0 TLS not available due to local problem" : undefined) });
    Object.assign(dns.zone, { "tls.test": { A: ["127.0.0.80"] }, "wrongname.test": { A: ["127.0.0.80"] }, "notls.test": { A: ["127.0.0.81"] } });
  });
  const ca = `smtp_tls_CAfile = ${join(TLS_DIR, "ca.pem")}\n`;
  const lg = "smtp_tls_loglevel = 1\n";

  const tlsCases: { label: string; main: string; host: string; status: string; dsn?: string; reason?: string; logs?: string[] }[] = [
    { label: "may: an untrusted certificate is fine", main: `smtp_tls_security_level = may\n${lg}`, host: "tls.test", status: "sent", logs: ["Untrusted TLS connection established to tls.test[127.0.0.80]:P: TLSv1.3 with cipher "] },
    { label: "may with the CA: Trusted", main: `smtp_tls_security_level = may\n${lg}${ca}`, host: "tls.test", status: "sent", logs: ["Trusted TLS connection established to tls.test[127.0.0.80]:P: TLSv1"] },
    { label: "verify with the CA: Verified", main: `smtp_tls_security_level = verify\n${lg}${ca}`, host: "tls.test", status: "sent", logs: ["Verified TLS connection established to tls.test[127.0.0.80]:P: TLSv1"] },
    { label: "secure matches the next hop", main: `smtp_tls_security_level = secure\n${lg}${ca}`, host: "tls.test", status: "sent", logs: ["Verified TLS connection established to tls.test[127.0.0.80]:P: "] },
    {
      label: "verify, wrong name: deferred", main: `smtp_tls_security_level = verify\n${lg}${ca}`, host: "wrongname.test", status: "deferred", dsn: "4.7.5", reason: "Server certificate not verified",
      logs: ["server certificate verification failed for wrongname.test[127.0.0.80]:P: num=62:hostname mismatch", "Untrusted TLS connection established to wrongname.test[127.0.0.80]:P: "],
    },
    {
      label: "verify without a CA: untrusted issuer", main: `smtp_tls_security_level = verify\n${lg}`, host: "tls.test", status: "deferred", dsn: "4.7.5", reason: "Server certificate not verified",
      logs: ["certificate verification failed for tls.test[127.0.0.80]:P: untrusted issuer /CN=Postkit Test CA"],
    },
    { label: "encrypt, no STARTTLS offered", main: "smtp_tls_security_level = encrypt\n", host: "notls.test", status: "deferred", dsn: "4.7.4", reason: "TLS is required, but was not offered by host notls.test[127.0.0.81]" },
    {
      label: "encrypt, STARTTLS refused", main: "smtp_tls_security_level = encrypt\n", host: "127.0.0.82", status: "deferred", dsn: "4.7.0",
      reason: "TLS is required, but host 127.0.0.82[127.0.0.82] refused to start TLS: 454 4.7.0 TLS not available due to local problem",
    },
    { label: "may, STARTTLS refused: plaintext", main: "smtp_tls_security_level = may\n", host: "127.0.0.82", status: "sent" },
  ];
  for (const c of tlsCases) {
    test(c.label, async () => {
      const r = await deliver(client(noCache + c.main), `[${c.host}]:${tlsPort}`, ["u@x.test"]);
      const res = r.byRcpt["u@x.test"]!;
      expect(res.status).toBe(c.status as never);
      if (c.dsn) expect(res.dsn).toBe(c.dsn);
      if (c.reason) expect(res.reason).toBe(c.reason);
      for (const l of c.logs ?? []) expect(r.log.some((x) => x.startsWith(l.replace(":P:", `:${tlsPort}:`)))).toBe(true);
    });
  }

  test("the message went through TLS", () => {
    const s = servers.find((x) => x.host === "127.0.0.80")!;
    expect(s.messages.length).toBeGreaterThan(0);
    expect(s.messages.every((m) => m.tls)).toBe(true);
  });
});

describe("smtp_tls_policy_maps", () => {
  let tlsSrv: TestSmtpServer;
  let plainSrv: TestSmtpServer;
  const ca = `smtp_tls_CAfile = ${join(TLS_DIR, "ca.pem")}\nsmtp_tls_loglevel = 1\n`;
  beforeAll(async () => {
    tlsSrv = await server({ host: "127.0.0.140", tls: tlsFiles });
    plainSrv = await server({ host: "127.0.0.141" });
    Object.assign(dns.zone, { "mx.policy.test": { A: ["127.0.0.140"] } });
  });
  let ntable = 0;
  /** main.cf lines for a texthash policy table with these lines. */
  function policy(lines: string[]): string {
    const path = join(dir, `tls_policy${++ntable}`);
    writeFileSync(path, `${lines.join("\n")}\n`);
    return `smtp_tls_policy_maps = texthash:${path}\n`;
  }

  test("encrypt for a server without STARTTLS: deferred, TLS is required, but was not offered", async () => {
    const dest = `[127.0.0.141]:${plainSrv.port}`;
    const r = await deliver(client(noCache + "smtp_tls_security_level = may\n" + policy([`${dest} encrypt`])), dest, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "deferred", dsn: "4.7.4", reason: "TLS is required, but was not offered by host 127.0.0.141[127.0.0.141]" });
    expect(plainSrv.messages.length).toBe(0);
  });

  test("none for a server that offers STARTTLS: sent in plaintext (global encrypt overridden)", async () => {
    const dest = `[127.0.0.140]:${tlsSrv.port}`;
    const before = tlsSrv.messages.length;
    const r = await deliver(client(noCache + "smtp_tls_security_level = encrypt\n" + policy([`${dest} none`])), dest, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "sent" });
    expect(tlsSrv.messages.slice(before).map((m) => m.tls)).toEqual([false]);
    expect(tlsSrv.commands.some((c) => c.endsWith("STARTTLS"))).toBe(false);
  });

  test("a parent-domain entry (.policy.test may) overrides smtp_tls_security_level = none", async () => {
    const before = tlsSrv.messages.length;
    const r = await deliver(client(`${noCache}smtp_tcp_port = ${tlsSrv.port}\nsmtp_tls_security_level = none\n${ca}${policy([".policy.test may", "policy.test none"])}`), "mx.policy.test", ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "sent", relay: `mx.policy.test[127.0.0.140]:${tlsSrv.port}` });
    expect(tlsSrv.messages.slice(before).map((m) => m.tls)).toEqual([true]);
    expect(r.log.some((l) => l.startsWith(`Trusted TLS connection established to mx.policy.test[127.0.0.140]:${tlsSrv.port}: TLSv1`))).toBe(true);
  });

  test("verify with match=: the policy's names replace smtp_tls_verify_cert_match", async () => {
    const main = `${noCache}smtp_tcp_port = ${tlsSrv.port}\n${ca}`;
    let r = await deliver(client(main + policy(["mx.policy.test verify match=nexthop:tls.test"])), "mx.policy.test", ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "sent" });
    expect(r.log.some((l) => l.startsWith(`Verified TLS connection established to mx.policy.test[127.0.0.140]:${tlsSrv.port}: `))).toBe(true);
    r = await deliver(client(main + policy(["mx.policy.test verify"])), "mx.policy.test", ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "deferred", dsn: "4.7.5", reason: "Server certificate not verified" });
  });

  test("an invalid policy: Postfix's warnings, no connection, deferred 4.7.5 client TLS configuration problem", async () => {
    const dest = `[127.0.0.140]:${tlsSrv.port}`;
    const sessions = tlsSrv.sessions();
    const r = await deliver(client(noCache + policy([`${dest} encrypt match=hostname`])), dest, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "deferred", dsn: "4.7.5", reason: "client TLS configuration problem", relay: "none" });
    expect(r.log).toContain(`warning: smtp_tls_policy_maps, next-hop destination "${dest}": attribute "match" invalid at security level "encrypt"`);
    expect(r.log).toContain(`warning: TLS policy lookup for ${dest}/127.0.0.140: client TLS configuration problem`);
    expect(tlsSrv.sessions()).toBe(sessions);
  });

  test("a table that cannot be read: policy table lookup error, deferred 4.7.5", async () => {
    const dest = `[127.0.0.140]:${tlsSrv.port}`;
    const r = await deliver(client(`${noCache}smtp_tls_policy_maps = texthash:${join(dir, "no-such-policy")}\n`), dest, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "deferred", dsn: "4.7.5", reason: "client TLS configuration problem" });
    expect(r.log).toContain(`warning: smtp_tls_policy_maps, next-hop destination "${dest}": policy table lookup error`);
  });

  describe("the fingerprint level", () => {
    const x = new X509Certificate(tlsFiles.cert);
    const certFp = certFingerprint(x.raw, "sha256");
    const pkeyFp = pkeyFingerprint(x.publicKey.export({ type: "spki", format: "der" }), "sha256");
    const lg = "smtp_tls_loglevel = 1\ncompatibility_level = 3.6\n";

    test("a policy entry with the certificate's fingerprint: delivered, Verified, no CA needed", async () => {
      const dest = `[127.0.0.140]:${tlsSrv.port}`;
      const before = tlsSrv.messages.length;
      const r = await deliver(client(noCache + lg + policy([`${dest} fingerprint match=00:11|${certFp}`])), dest, ["u@x.test"]);
      expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "sent" });
      expect(tlsSrv.messages.slice(before).map((m) => m.tls)).toEqual([true]);
      expect(r.log.some((l) => l.startsWith(`Verified TLS connection established to 127.0.0.140[127.0.0.140]:${tlsSrv.port}: TLSv1`))).toBe(true);
    });

    test("the public key's fingerprint (lower case, no colons) matches too", async () => {
      const dest = `[127.0.0.140]:${tlsSrv.port}`;
      const r = await deliver(client(noCache + lg + policy([`${dest} fingerprint match=${pkeyFp.replace(/:/g, "").toLowerCase()}`])), dest, ["u@x.test"]);
      expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "sent" });
      expect(r.log.some((l) => l.startsWith("Verified TLS connection established to "))).toBe(true);
    });

    test("smtp_tls_security_level = fingerprint with smtp_tls_fingerprint_cert_match; md5 below compatibility_level 3.6", async () => {
      const md5 = certFingerprint(x.raw, "md5");
      const main = `${noCache}smtp_tls_loglevel = 1\nsmtp_tls_security_level = fingerprint\nsmtp_tls_fingerprint_cert_match = AA:BB, ${md5}\n`;
      let r = await deliver(client(main), `[127.0.0.140]:${tlsSrv.port}`, ["u@x.test"]);
      expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "sent" });
      expect(r.log.some((l) => l.startsWith("Verified TLS connection established to "))).toBe(true);
      expect(r.log).toContain("using backwards-compatible default setting smtp_tls_fingerprint_digest=md5 to compute certificate fingerprints");
      // set explicitly: no note
      r = await deliver(client(main + "smtp_tls_fingerprint_digest = md5\n"), `[127.0.0.140]:${tlsSrv.port}`, ["u@x.test"]);
      expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "sent" });
      expect(r.log.some((l) => l.includes("backwards-compatible"))).toBe(false);
    });

    test("no fingerprint matches: deferred 4.7.5 Server certificate not verified", async () => {
      const dest = `[127.0.0.140]:${tlsSrv.port}`;
      const before = tlsSrv.messages.length;
      const wrong = certFingerprint(x.raw, "md5"); // right certificate, wrong digest
      const r = await deliver(client(noCache + lg + policy([`${dest} fingerprint match=${wrong}`])), dest, ["u@x.test"]);
      expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "deferred", dsn: "4.7.5", reason: "Server certificate not verified" });
      expect(r.log).toContain(`server certificate verification failed for 127.0.0.140[127.0.0.140]:${tlsSrv.port}: num=65:no matching DANE TLSA records`);
      expect(r.log.some((l) => l.startsWith(`Untrusted TLS connection established to 127.0.0.140[127.0.0.140]:${tlsSrv.port}: `))).toBe(true);
      expect(tlsSrv.messages.length).toBe(before);
    });

    test("no fingerprints configured: Postfix's warning, not tried, deferred 4.7.5 client TLS configuration problem", async () => {
      const dest = `[127.0.0.140]:${tlsSrv.port}`;
      const sessions = tlsSrv.sessions();
      const r = await deliver(client(`${noCache}smtp_tls_security_level = fingerprint\n`), dest, ["u@x.test"]);
      expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "deferred", dsn: "4.7.5", reason: "client TLS configuration problem" });
      expect(r.log).toContain(`warning: nexthop domain ${dest}: configured at fingerprint security level, but with no fingerprints to match.`);
      expect(r.log).toContain(`warning: TLS policy lookup for ${dest}/127.0.0.140: client TLS configuration problem`);
      expect(tlsSrv.sessions()).toBe(sessions);
    });
  });

  test("protocols= limits the TLS versions; an invalid list aborts TLS (may: plaintext retry)", async () => {
    const dest = `[127.0.0.140]:${tlsSrv.port}`;
    let r = await deliver(client(noCache + "smtp_tls_loglevel = 1\n" + policy([`${dest} encrypt protocols=TLSv1.2`])), dest, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "sent" });
    expect(r.log.some((l) => l.includes("TLS connection established to") && l.includes(": TLSv1.2 with cipher"))).toBe(true);
    const before = tlsSrv.messages.length;
    r = await deliver(client(noCache + policy([`${dest} may protocols=TLSv9`])), dest, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "sent" });
    expect(r.log).toContain(`warning: 127.0.0.140[127.0.0.140]:${tlsSrv.port}: Invalid TLS protocol list "TLSv9": aborting TLS session`);
    expect(tlsSrv.messages.slice(before).map((m) => m.tls)).toEqual([false]);
  });
});

describe("smtp_discard_ehlo_keyword_address_maps", () => {
  test("the entry for the server's address hides DSN and PIPELINING: no NOTIFY=, no pipelining, and it is logged", async () => {
    writeFileSync(join(dir, "ehlo_discard.cidr"), "127.0.0.150/32 dsn, pipelining\n");
    const s = await server({ host: "127.0.0.150", reply: (c) => (c.startsWith("RCPT") ? "550 5.1.1 no" : undefined) });
    const r = await deliver(client(`${noCache}smtp_discard_ehlo_keywords = size\nsmtp_discard_ehlo_keyword_address_maps = cidr:${join(dir, "ehlo_discard.cidr")}\n`), `[127.0.0.150]:${s.port}`, [
      { address: "a@x.test", notify: DSN_NOTIFY.SUCCESS },
      "b@x.test",
    ]);
    expect(r.results.map((x) => x.status)).toEqual(["bounced", "bounced"]);
    expect(s.commands.map((c) => c.split(" ")[1])).toEqual(["EHLO", "MAIL", "RCPT", "RCPT", "RSET", "QUIT"]);
    // SIZE= is sent: the table entry replaces smtp_discard_ehlo_keywords
    expect(s.commands[1]).toBe("1 MAIL FROM:<alice@example.test> SIZE=20");
    expect(s.commands[2]).toBe("1 RCPT TO:<a@x.test>");
    expect(r.log).toContain("discarding EHLO keywords: PIPELINING DSN");
    // the same server without the table: DATA goes in the pipeline with MAIL and RCPT
    const s2 = await server({ host: "127.0.0.150", reply: (c) => (c.startsWith("RCPT") ? "550 5.1.1 no" : undefined) });
    await deliver(client(noCache), `[127.0.0.150]:${s2.port}`, ["a@x.test", "b@x.test"]);
    expect(s2.commands.map((c) => c.split(" ")[1])).toContain("DATA");
  });

  test("no entry: smtp_discard_ehlo_keywords; silent-discard logs nothing", async () => {
    writeFileSync(join(dir, "ehlo_discard2.cidr"), "127.0.0.1/32 dsn\n");
    const s = await server({ host: "127.0.0.151" });
    const r = await deliver(client(`${noCache}smtp_discard_ehlo_keywords = size silent-discard\nsmtp_discard_ehlo_keyword_address_maps = cidr:${join(dir, "ehlo_discard2.cidr")}\n`), `[127.0.0.151]:${s.port}`, [
      { address: "a@x.test", notify: DSN_NOTIFY.SUCCESS },
    ]);
    expect(r.byRcpt["a@x.test"]).toMatchObject({ status: "sent" });
    expect(s.commands[1]).toBe("1 MAIL FROM:<alice@example.test>");
    expect(s.commands[2]).toEndWith(" NOTIFY=SUCCESS");
    expect(r.log.some((l) => l.startsWith("discarding EHLO keywords"))).toBe(false);
  });

  test("a failing table defers the mail as a local data error", async () => {
    const s = await server({ host: "127.0.0.152" });
    const r = await deliver(client(`${noCache}smtp_discard_ehlo_keyword_address_maps = fail:ehlo\n`), `[127.0.0.152]:${s.port}`, ["a@x.test"]);
    expect(r.byRcpt["a@x.test"]).toMatchObject({ status: "deferred", dsn: "4.3.0", reason: "local data error while talking to 127.0.0.152[127.0.0.152]" });
    expect(r.log.some((l) => /^warning: [0-9A-F]+: smtp_discard_ehlo_keyword_address_maps map lookup error for 127\.0\.0\.152$/.test(l))).toBe(true);
    expect(s.messages).toHaveLength(0);
  });
});

describe("interoperability", () => {
  test("STARTTLS with aiosmtpd (Python's ssl over OpenSSL), verify level with the test CA", async () => {
    const py = "/usr/bin/python3";
    if (!existsSync(py) || Bun.spawnSync([py, "-c", "import aiosmtpd"]).exitCode !== 0) {
      console.warn("skip: aiosmtpd test: python3-aiosmtpd is not installed (.ci/test-deps.sh installs it)");
      return;
    }
    const port = await closedPort("127.0.0.90");
    Object.assign(dns.zone, { "mx.tls.test": { A: ["127.0.0.90"] } });
    const script = `
import asyncio, ssl, sys, time
from aiosmtpd.controller import Controller
class H:
    async def handle_DATA(self, server, session, envelope):
        print("MSG", envelope.mail_from, ",".join(envelope.rcpt_tos), session.ssl is not None, flush=True)
        return "250 2.0.0 Ok: queued by aiosmtpd"
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(${JSON.stringify(join(TLS_DIR, "server.pem"))}, ${JSON.stringify(join(TLS_DIR, "server.key"))})
c = Controller(H(), hostname="127.0.0.90", port=${port}, tls_context=ctx, require_starttls=True)
c.start()
print("READY", flush=True)
time.sleep(30)
`;
    const proc = Bun.spawn([py, "-c", script], { stdout: "pipe", stderr: "ignore" });
    try {
      const reader = proc.stdout.getReader();
      let out = "";
      while (!out.includes("READY")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("aiosmtpd did not start");
        out += new TextDecoder().decode(value);
      }
      const r = await deliver(client(`${noCache}smtp_tls_security_level = verify\nsmtp_tls_loglevel = 1\nsmtp_tls_CAfile = ${join(TLS_DIR, "ca.pem")}\n`), `[mx.tls.test]:${port}`, ["u@x.test"]);
      expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "sent", reason: "250 2.0.0 Ok: queued by aiosmtpd", relay: `mx.tls.test[127.0.0.90]:${port}` });
      expect(r.log.some((l) => l.startsWith(`Verified TLS connection established to mx.tls.test[127.0.0.90]:${port}: TLSv1.3 with cipher `))).toBe(true);
      // read until the whole MSG line is in: the pipe may hand it over in pieces
      while (!/MSG [^\n]*\n/.test(out)) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      expect(out).toContain("MSG alice@example.test u@x.test True");
    } finally {
      proc.kill();
    }
  });
});

describe("SMTP AUTH (smtp_sasl_*), as Debian's Postfix 3.7.11 with Cyrus SASL 2.1.28 does it", () => {
  const users = { "user@isp": "se:cret" };
  let npw = 0;
  /** A password table (texthash) with these lines; returns the main.cf lines that turn AUTH on with it. */
  function sasl(lines: string, extra = ""): string {
    const path = join(dir, `sasl_passwd${++npw}`);
    writeFileSync(path, lines);
    return `smtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = texthash:${path}\nsmtp_sasl_security_options = noanonymous\n${extra}`;
  }
  /** Waits (at most a second) for the QUIT that ends a failed session: it is sent without waiting for the reply. */
  async function quitSeen(s: TestSmtpServer): Promise<void> {
    for (let i = 0; i < 100 && !s.commands.at(-1)?.endsWith(" QUIT"); i++) await Bun.sleep(10);
  }
  const defer535 = (h: string) => `SASL authentication failed; server ${h}[${h}] said: 535 5.7.8 Error: authentication failed: authentication failure`;

  for (const mech of ["PLAIN", "LOGIN", "CRAM-MD5"]) {
    test(`${mech} alone: logged in, mail sent, nothing logged but the delivery`, async () => {
      const s = await server({ host: "127.0.0.120", auth: { users, mechanisms: [mech] } });
      const r = await deliver(client(noCache + sasl(`[127.0.0.120]:${s.port} user@isp:se:cret\n`)), `[127.0.0.120]:${s.port}`, ["u@x.test"]);
      expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "sent", dsn: "2.0.0" });
      expect(s.messages[0]!.auth).toEqual({ mechanism: mech, username: "user@isp", authzid: "" });
      expect(s.commands[1]).toStartWith(`1 AUTH ${mech}`);
      expect(s.commands.find((c) => c.includes("MAIL FROM"))).toBe(`1 MAIL FROM:<alice@example.test> SIZE=${Buffer.byteLength("Subject: test\n\nbody\n")}`);
      expect(r.log).toHaveLength(1);
      await s.close();
    });
  }

  test("all three offered, LOGIN first: CRAM-MD5, Cyrus's strongest", async () => {
    const s = await server({ host: "127.0.0.120", auth: { users, mechanisms: ["LOGIN", "PLAIN", "CRAM-MD5"] } });
    await deliver(client(noCache + sasl(`[127.0.0.120]:${s.port} user@isp:se:cret\n`)), `[127.0.0.120]:${s.port}`, ["u@x.test"]);
    expect(s.messages[0]!.auth?.mechanism).toBe("CRAM-MD5");
    await s.close();
  });

  test("the old AUTH= form alone is understood", async () => {
    const s = await server({ host: "127.0.0.120", auth: { users, mechanisms: ["LOGIN"], oldStyle: "only" } });
    await deliver(client(noCache + sasl(`127.0.0.120 user@isp:se:cret\n`)), `[127.0.0.120]:${s.port}`, ["u@x.test"]);
    expect(s.messages[0]!.auth?.mechanism).toBe("LOGIN");
    await s.close();
  });

  test("535: deferred with Postfix's text (4.7.8: smtp_sasl_auth_soft_bounce), QUIT, no MAIL", async () => {
    const s = await server({ host: "127.0.0.120", auth: { users } });
    const r = await deliver(client(noCache + sasl(`[127.0.0.120]:${s.port} user@isp:wrong\n`)), `[127.0.0.120]:${s.port}`, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "deferred", dsn: "4.7.8", reason: defer535("127.0.0.120"), relay: `127.0.0.120[127.0.0.120]:${s.port}` });
    expect(r.log.join("\n")).toContain(`dsn=4.7.8, status=deferred (${defer535("127.0.0.120")})`);
    await quitSeen(s);
    expect(s.commands.map((c) => c.split(" ")[1])).toEqual(["EHLO", "AUTH", expect.any(String), "QUIT"]);
    await s.close();
  });

  test("535 with smtp_sasl_auth_soft_bounce = no: bounced 5.7.8", async () => {
    const s = await server({ host: "127.0.0.120", auth: { users } });
    const r = await deliver(client(noCache + sasl(`[127.0.0.120]:${s.port} user@isp:wrong\n`, "smtp_sasl_auth_soft_bounce = no\n")), `[127.0.0.120]:${s.port}`, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "bounced", dsn: "5.7.8", reason: defer535("127.0.0.120") });
    await s.close();
  });

  test("no usable mechanism (Postfix's default noplaintext, PLAIN and LOGIN offered): Cyrus's warning, 4.7.0", async () => {
    const s = await server({ host: "127.0.0.120", auth: { users, mechanisms: ["PLAIN", "LOGIN"] } });
    const r = await deliver(client(noCache + sasl(`127.0.0.120 user@isp:se:cret\n`, "smtp_sasl_security_options = noplaintext, noanonymous\n")), `[127.0.0.120]:${s.port}`, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "deferred", dsn: "4.7.0", reason: "SASL authentication failed; cannot authenticate to server 127.0.0.120[127.0.0.120]: no mechanism available" });
    expect(r.log[0]).toBe("warning: SASL authentication failure: No worthy mechs found");
    await quitSeen(s);
    expect(s.commands.map((c) => c.split(" ")[1])).toEqual(["EHLO", "QUIT"]);
    await s.close();
  });

  test("smtp_sasl_mechanism_filter: the filtered list decides; a filter that leaves nothing is logged", async () => {
    const s = await server({ host: "127.0.0.120", auth: { users } });
    await deliver(client(noCache + sasl(`127.0.0.120 user@isp:se:cret\n`, "smtp_sasl_mechanism_filter = login\n")), `[127.0.0.120]:${s.port}`, ["u@x.test"]);
    expect(s.messages[0]!.auth?.mechanism).toBe("LOGIN");
    const r = await deliver(client(noCache + sasl(`127.0.0.120 user@isp:se:cret\n`, "smtp_sasl_mechanism_filter = xoauth2\n")), `[127.0.0.120]:${s.port}`, ["u@x.test"]);
    expect(r.log[0]).toBe(`warning: 127.0.0.120[127.0.0.120]:${s.port} offered no supported AUTH mechanisms: 'PLAIN LOGIN CRAM-MD5'`);
    expect(r.byRcpt["u@x.test"]).toMatchObject({
      status: "deferred", dsn: "4.7.0",
      reason: "SASL authentication failed: server 127.0.0.120[127.0.0.120] offered no compatible authentication mechanisms for this type of connection security",
    });
    await s.close();
  });

  test("no password for the server: no AUTH, the mail goes as from a stranger", async () => {
    const s = await server({ host: "127.0.0.120", auth: { users } });
    const r = await deliver(client(noCache + sasl("[127.0.0.120] user@isp:se:cret\n127.0.0.121 user@isp:se:cret\n")), `[127.0.0.120]:${s.port}`, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]!.status).toBe("sent");
    expect(s.commands.some((c) => c.includes("AUTH"))).toBe(false);
    expect(s.messages[0]!.auth).toBeUndefined();
    await s.close();
  });

  test("a password but no AUTH offered: the mail goes without it", async () => {
    const s = await server({ host: "127.0.0.120" });
    const r = await deliver(client(noCache + sasl("127.0.0.120 user@isp:se:cret\n")), `[127.0.0.120]:${s.port}`, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]!.status).toBe("sent");
    expect(s.commands.map((c) => c.split(" ")[1])).toEqual(["EHLO", "MAIL", "RCPT", "DATA", ".", "QUIT"]);
    await s.close();
  });

  test("a 535 from the first server: logged, and the next one gets the mail", async () => {
    const s1 = await server({ host: "127.0.0.121", auth: { users: { other: "x" } } });
    const s2 = await server({ host: "127.0.0.122", port: s1.port, auth: { users } });
    const r = await deliver(client(noCache + sasl("127.0.0.121 user@isp:se:cret\n127.0.0.122 user@isp:se:cret\n")), `[127.0.0.121]:${s1.port}, [127.0.0.122]:${s1.port}`, ["u@x.test"]);
    expect(r.log[0]).toMatch(new RegExp(`^\\w+: ${defer535("127.0.0.121").replace(/[.[\]]/g, "\\$&")}$`));
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "sent", relay: `127.0.0.122[127.0.0.122]:${s1.port}` });
    expect(s2.messages[0]!.auth?.username).toBe("user@isp");
    await s1.close();
    await s2.close();
  });

  test("a password table that cannot be read: Postfix's warnings, 4.3.0 local data error", async () => {
    const s = await server({ host: "127.0.0.120", auth: { users } });
    const missing = join(dir, "no-such-sasl-table");
    const r = await deliver(
      client(`${noCache}smtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = hash:${missing}\nsmtp_sasl_security_options = noanonymous\n`),
      `[127.0.0.120]:${s.port}`,
      ["u@x.test"],
    );
    const qid = /^(\w+): to=/.exec(r.log.at(-1)!)![1];
    expect(r.log.slice(0, -1)).toEqual([
      `error: open database ${missing}.db: No such file or directory`,
      `warning: hash:${missing} is unavailable. open database ${missing}.db: No such file or directory`,
      `warning: hash:${missing} lookup error for "127.0.0.120"`,
      `warning: ${qid}: smtp_sasl_password_maps lookup error`,
    ]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "deferred", dsn: "4.3.0", reason: "local data error while talking to 127.0.0.120[127.0.0.120]" });
    await s.close();
  });

  test("a connection lost during AUTH: while performing the EHLO handshake", async () => {
    const s = await server({ host: "127.0.0.120", auth: { users }, reply: (c) => (c.startsWith("AUTH") ? DROP : undefined) });
    const r = await deliver(client(noCache + sasl("127.0.0.120 user@isp:se:cret\n")), `[127.0.0.120]:${s.port}`, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]).toMatchObject({ status: "deferred", dsn: "4.4.2", reason: "lost connection with 127.0.0.120[127.0.0.120] while performing the EHLO handshake" });
    await s.close();
  });

  test("smtp_send_dummy_mail_auth: MAIL FROM … AUTH=<> after a login", async () => {
    const s = await server({ host: "127.0.0.120", auth: { users } });
    await deliver(client(noCache + sasl("127.0.0.120 user@isp:se:cret\n", "smtp_send_dummy_mail_auth = yes\n")), `[127.0.0.120]:${s.port}`, ["u@x.test"]);
    expect(s.commands.find((c) => c.includes("MAIL FROM"))).toEndWith(" AUTH=<>");
    await s.close();
  });

  test("STARTTLS first (encrypt): AUTH in the TLS session, under smtp_sasl_tls_security_options", async () => {
    const s = await server({ host: "127.0.0.123", tls: tlsFiles, auth: { users, mechanisms: ["PLAIN", "LOGIN"], afterTls: true } });
    const tlsOpts = "smtp_tls_security_level = encrypt\nsmtp_sasl_security_options = noplaintext, noanonymous\nsmtp_sasl_tls_security_options = noanonymous\n";
    const r = await deliver(client(noCache + sasl(`[127.0.0.123]:${s.port} user@isp:se:cret\n`, tlsOpts)), `[127.0.0.123]:${s.port}`, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]!.status).toBe("sent");
    expect(s.commands.map((c) => c.split(" ")[1])).toEqual(["EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", ".", "QUIT"]);
    expect(s.messages[0]).toMatchObject({ tls: true, auth: { mechanism: "PLAIN", username: "user@isp" } });
    await s.close();
  });

  test("TLS without a verified certificate: noplaintext still excludes PLAIN (as Postfix with Cyrus)", async () => {
    const s = await server({ host: "127.0.0.123", tls: tlsFiles, auth: { users, mechanisms: ["PLAIN", "LOGIN"], afterTls: true } });
    const r = await deliver(client(noCache + sasl(`127.0.0.123 user@isp:se:cret\n`, "smtp_tls_security_level = encrypt\nsmtp_sasl_security_options = noplaintext\n")), `[127.0.0.123]:${s.port}`, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]!.reason).toBe("SASL authentication failed; cannot authenticate to server 127.0.0.123[127.0.0.123]: no mechanism available");
    await s.close();
  });

  test("a verified server certificate: smtp_sasl_tls_verified_security_options", async () => {
    const s = await server({ host: "127.0.0.123", tls: tlsFiles, auth: { users, mechanisms: ["PLAIN"], afterTls: true } });
    const opts =
      `smtp_tls_security_level = verify\nsmtp_tls_CAfile = ${join(TLS_DIR, "ca.pem")}\nsmtp_tls_verify_cert_match = tls.test\n` +
      "smtp_sasl_security_options = noplaintext\nsmtp_sasl_tls_security_options = noplaintext\nsmtp_sasl_tls_verified_security_options = noanonymous\n";
    const r = await deliver(client(noCache + sasl(`127.0.0.123 user@isp:se:cret\n`, opts)), `[127.0.0.123]:${s.port}`, ["u@x.test"]);
    expect(r.byRcpt["u@x.test"]!.status).toBe("sent");
    expect(s.messages[0]!.auth?.mechanism).toBe("PLAIN");
    await s.close();
  });

  test("connection reuse with sender-dependent credentials: only for the same sender", async () => {
    const s = await server({ host: "127.0.0.124", auth: { users: { alice: "a", bob: "b" } } });
    const c = client(sasl("alice@example.test alice:a\nbob@example.test bob:b\n", "smtp_sender_dependent_authentication = yes\n"));
    const dest = `[127.0.0.124]:${s.port}`;
    await deliver(c, dest, ["u@x.test"], undefined, { sender: "alice@example.test" });
    await deliver(c, dest, ["u@x.test"], undefined, { sender: "alice@example.test" });
    await deliver(c, dest, ["u@x.test"], undefined, { sender: "bob@example.test" });
    expect(s.messages.map((m) => [m.session, m.auth?.username])).toEqual([[1, "alice"], [1, "alice"], [2, "bob"]]);
    c.close();
    await s.close();
  });
});
