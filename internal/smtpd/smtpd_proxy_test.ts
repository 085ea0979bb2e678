/**
 * smtpd_proxy_filter in the protocol engine: a session of a server process (not sendmail -bs) talking to a test
 * SMTP server that plays the before-queue filter. The end-to-end run through the binary: cmd/smtpd_proxy_test.ts.
 */
import { test, expect, beforeAll, afterAll, describe } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { SmtpStream } from "./smtp_stream.ts";
import { SmtpSession, type MessageSink } from "./session.ts";
import { proxyEndpoint, proxyOptions } from "./smtpd_proxy.ts";
import { startTestSmtpServer, SILENT, type TestSmtpServer } from "../smtp/_test_smtp_server.ts";
import { freePort } from "./_test_client.ts";

let dir: string;
const logged: string[] = [];
let filter: TestSmtpServer;

beforeAll(async () => {
  setMsgStderr(false);
  setMsgSink({ write: (level, text) => void logged.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
  dir = mkdtempSync(join(tmpdir(), "smtpd-proxy-"));
  filter = await startTestSmtpServer({
    ehloKeywords: ["PIPELINING", "XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT", "ENHANCEDSTATUSCODES"],
    reply: (cmd) => {
      if (cmd.startsWith("XFORWARD")) return "250 2.0.0 Ok";
      if (cmd === "RCPT TO:<bad@example.test>") return "550 5.1.1 <bad@example.test>: unknown user";
      if (cmd === "MAIL FROM:<spam@example.test>") return "554 5.7.1 go away";
      return undefined;
    },
  });
});
afterAll(async () => {
  await filter.close();
  rmSync(dir, { recursive: true, force: true });
});

const sink: MessageSink = {
  deliver: async () => {
    throw new Error("the proxying session must not queue");
  },
};

/** One session of a server process with `mainCf`; gives what the client was sent. */
async function talk(mainCf: string, input: string): Promise<string> {
  writeFileSync(join(dir, "main.cf"), `myhostname = mx.example.test\nsmtpd_error_sleep_time = 0\nmaillog_file =\nqueue_directory = ${dir}\n${mainCf}`);
  const cfg = loadConfig({ configDir: dir });
  let out = "";
  const stream = new SmtpStream({ write: (b) => void (out += Buffer.from(b).toString("latin1")) }, 5000);
  const client = { name: "client.example.test", reverseName: "client.example.test", addr: "192.0.2.7", port: "4321", nameStatus: "ok" as const, reverseNameStatus: "ok" as const };
  const session = new SmtpSession({ cfg, sink, service: "smtpd", standalone: false }, stream, client);
  stream.push(Buffer.from(input, "latin1"));
  stream.end();
  await session.run();
  return out;
}

const MSG = "Subject: hi\r\n\r\n..dotted\r\nbody\r\n.\r\n";

test("a proxied message: MAIL and RCPT relayed as sent, XFORWARD, Received: without a queue ID, the filter's reply", async () => {
  logged.length = 0;
  const before = filter.messages.length;
  const out = await talk(`smtpd_proxy_filter = 127.0.0.1:${filter.port}\nsmtpd_proxy_ehlo = proxy.example.test\n`, `EHLO c.test\r\nMAIL FROM:<s@example.test> BODY=8BITMIME\r\nRCPT TO:<r@example.test>\r\nDATA\r\n${MSG}QUIT\r\n`);
  expect(out).toContain("\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as");
  const m = filter.messages[before]!;
  expect(m.helo).toBe("proxy.example.test");
  expect(m.mailFrom).toBe("s@example.test");
  expect(m.rcpts).toEqual(["r@example.test"]);
  expect(m.data).toMatch(/^Received: from c\.test \(client\.example\.test \[192\.0\.2\.7\]\)\r\n\tby mx\.example\.test \(Postfix\) with ESMTP\r\n\tfor <r@example\.test>; .+\r\nSubject: hi\r\n\r\n\.dotted\r\nbody\r\n$/);
  await Bun.sleep(50); // QUIT is sent without waiting
  const cmds = filter.commands.filter((c) => c.startsWith(`${filter.sessions()} `)).map((c) => c.replace(/^\d+ /, ""));
  expect(cmds).toContain("XFORWARD NAME=client.example.test ADDR=192.0.2.7 PORT=4321 HELO=c.test IDENT=[UNAVAILABLE] PROTO=ESMTP SOURCE=REMOTE");
  expect(cmds).toContain("MAIL FROM:<s@example.test> BODY=8BITMIME");
  expect(cmds[cmds.length - 1]).toBe("QUIT");
  expect(logged.some((l) => /^proxy-accept: END-OF-MESSAGE: 250 .+; from=<s@example\.test> to=<r@example\.test> proto=ESMTP helo=<c\.test>$/.test(l))).toBe(true);
  expect(logged.some((l) => /client=/.test(l))).toBe(false);
});

test("the filter's RCPT rejection goes to the client, and is logged as a warning", async () => {
  logged.length = 0;
  const out = await talk(`smtpd_proxy_filter = inet:127.0.0.1:${filter.port}\n`, "EHLO c.test\r\nMAIL FROM:<s@example.test>\r\nRCPT TO:<bad@example.test>\r\nRCPT TO:<r@example.test>\r\nQUIT\r\n");
  expect(out).toContain("\r\n250 2.1.0 Ok\r\n550 5.1.1 <bad@example.test>: unknown user\r\n250 2.1.5 Ok\r\n");
  expect(logged).toContain(`warning: proxy inet:127.0.0.1:${filter.port} rejected "RCPT TO:<bad@example.test>": "550 5.1.1 <bad@example.test>: unknown user"`);
});

test("the filter's MAIL FROM rejection is the reply to the first RCPT; end-of-data rejection with proxy-reject", async () => {
  logged.length = 0;
  const out = await talk(`smtpd_proxy_filter = 127.0.0.1:${filter.port}\n`, "EHLO c.test\r\nMAIL FROM:<spam@example.test>\r\nRCPT TO:<r@example.test>\r\nQUIT\r\n");
  expect(out).toContain("\r\n250 2.1.0 Ok\r\n554 5.7.1 go away\r\n221 2.0.0 Bye\r\n");
});

test("end-of-data: a 5XX from the filter is the client's reply, logged proxy-reject", async () => {
  const f = await startTestSmtpServer({ reply: (cmd) => (cmd === "." ? "554 5.7.1 virus found" : undefined) });
  logged.length = 0;
  try {
    const out = await talk(`smtpd_proxy_filter = 127.0.0.1:${f.port}\n`, `EHLO c.test\r\nMAIL FROM:<s@example.test>\r\nRCPT TO:<r@example.test>\r\nDATA\r\n${MSG}QUIT\r\n`);
    expect(out).toContain("354 End data with <CR><LF>.<CR><LF>\r\n554 5.7.1 virus found\r\n221 2.0.0 Bye\r\n");
    expect(logged).toContain("proxy-reject: END-OF-MESSAGE: 554 5.7.1 virus found; from=<s@example.test> to=<r@example.test> proto=ESMTP helo=<c.test>");
  } finally {
    await f.close();
  }
});

test("an unreachable filter and a filter that stops answering: 451 4.3.0 Error: queue file write error", async () => {
  const port = await freePort();
  logged.length = 0;
  let out = await talk(`smtpd_proxy_filter = 127.0.0.1:${port}\nsmtpd_delay_open_until_valid_rcpt = no\n`, "EHLO c.test\r\nMAIL FROM:<s@example.test>\r\nQUIT\r\n");
  expect(out).toContain("\r\n451 4.3.0 Error: queue file write error\r\n221 2.0.0 Bye\r\n");
  expect(logged).toContain(`warning: connect to proxy filter 127.0.0.1:${port}: Connection refused`);
  const f = await startTestSmtpServer({ reply: (cmd) => (cmd === "." ? SILENT : undefined) });
  logged.length = 0;
  try {
    out = await talk(`smtpd_proxy_filter = 127.0.0.1:${f.port}\nsmtpd_proxy_timeout = 1s\n`, `EHLO c.test\r\nMAIL FROM:<s@example.test>\r\nRCPT TO:<r@example.test>\r\nDATA\r\n${MSG}QUIT\r\n`);
    expect(out).toContain("354 End data with <CR><LF>.<CR><LF>\r\n451 4.3.0 Error: queue file write error\r\n221 2.0.0 Bye\r\n");
    expect(logged).toContain(`warning: timeout talking to proxy 127.0.0.1:${f.port}`);
    expect(logged).toContain("proxy-reject: END-OF-MESSAGE: 451 4.3.0 Error: queue file write error; from=<s@example.test> to=<r@example.test> proto=ESMTP helo=<c.test>");
  } finally {
    await f.close();
  }
});

test("a message cut short (too big, bare LF) gets no `.` to the filter and is logged proxy-reject with its DATA reply", async () => {
  logged.length = 0;
  const big = `${"x".repeat(100)}\r\n`.repeat(30);
  let out = await talk(`smtpd_proxy_filter = 127.0.0.1:${filter.port}\nmessage_size_limit = 1000\n`, `EHLO c.test\r\nMAIL FROM:<s@example.test>\r\nRCPT TO:<r@example.test>\r\nDATA\r\nSubject: big\r\n\r\n${big}.\r\nQUIT\r\n`);
  expect(out).toContain("354 End data with <CR><LF>.<CR><LF>\r\n552 5.3.4 Error: message file too big\r\n221 2.0.0 Bye\r\n");
  const proxyLine = (l: string) => /^proxy-reject: END-OF-MESSAGE: 354 .*; from=<s@example\.test> to=<r@example\.test> proto=ESMTP helo=<c\.test>$/.test(l);
  expect(logged.filter(proxyLine).length).toBe(1);
  logged.length = 0;
  out = await talk(`smtpd_proxy_filter = 127.0.0.1:${filter.port}\nsmtpd_forbid_bare_newline = reject\nsmtpd_forbid_bare_newline_exclusions =\n`, "EHLO c.test\r\nMAIL FROM:<s@example.test>\r\nRCPT TO:<r@example.test>\r\nDATA\r\nSubject: lf\n\nbare\r\n.\r\nQUIT\r\n");
  expect(out).toContain("\r\n550 5.5.2 mx.example.test Error: bare <LF> received\r\n");
  expect(logged.filter(proxyLine).length).toBe(1);
});

describe("smtpd_proxy_options = speed_adjust", () => {
  const speed = (port: number) => `smtpd_proxy_filter = 127.0.0.1:${port}\nsmtpd_proxy_options = speed_adjust\n`;

  test("the filter is connected only after the end of the data; the replayed message is the same, byte for byte", async () => {
    mkdirSync(join(dir, "incoming"), { recursive: true });
    logged.length = 0;
    const before = filter.messages.length;
    const sessions = filter.sessions();
    const big = `${"0123456789abcdef".repeat(8)}\r\n`.repeat(1600); // 200 KiB: the replay log is read back in chunks
    const input = `EHLO c.test\r\nMAIL FROM:<s@example.test> BODY=8BITMIME\r\nRCPT TO:<r@example.test>\r\nRCPT TO:<q@example.test>\r\nDATA\r\nSubject: hi\r\n\r\n..dotted\r\n${big}.\r\nQUIT\r\n`;
    const out = await talk(speed(filter.port), input);
    expect(out).toContain("\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as");
    expect(filter.sessions()).toBe(sessions + 1);
    const m = filter.messages[before]!;
    expect(m.mailFrom).toBe("s@example.test");
    expect(m.rcpts).toEqual(["r@example.test", "q@example.test"]);
    expect(m.data).toMatch(/^Received: from c\.test \(client\.example\.test \[192\.0\.2\.7\]\)\r\n/);
    expect(m.data.endsWith(`\r\nSubject: hi\r\n\r\n.dotted\r\n${big}`)).toBe(true);
    expect(logged.some((l) => /^proxy-accept: END-OF-MESSAGE: 250 .+; from=<s@example\.test> to=<r@example\.test>/.test(l))).toBe(true);
    expect(readdirSync(join(dir, "incoming"))).toEqual([]); // the replay log was unlinked at once
  });

  test("a transaction given up before the end of the data never reaches the filter", async () => {
    const sessions = filter.sessions();
    const out = await talk(speed(filter.port), "EHLO c.test\r\nMAIL FROM:<s@example.test>\r\nRCPT TO:<r@example.test>\r\nDATA\r\nSubject: x\r\n\r\ncut short\r\n");
    expect(out).toContain("\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
    const again = await talk(speed(filter.port), "EHLO c.test\r\nMAIL FROM:<s@example.test>\r\nRCPT TO:<r@example.test>\r\nRSET\r\nQUIT\r\n");
    expect(again).toContain("\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n");
    await Bun.sleep(50);
    expect(filter.sessions()).toBe(sessions);
    expect(readdirSync(join(dir, "incoming"))).toEqual([]);
  });

  test("a recipient the filter rejects: the client got 250, the rejection is the end-of-data reply", async () => {
    logged.length = 0;
    const out = await talk(speed(filter.port), `EHLO c.test\r\nMAIL FROM:<s@example.test>\r\nRCPT TO:<r@example.test>\r\nRCPT TO:<bad@example.test>\r\nDATA\r\n${MSG}QUIT\r\n`);
    expect(out).toContain("\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n550 5.1.1 <bad@example.test>: unknown user\r\n221 2.0.0 Bye\r\n");
    expect(logged).toContain("proxy-reject: END-OF-MESSAGE: 550 5.1.1 <bad@example.test>: unknown user; from=<s@example.test> to=<r@example.test> proto=ESMTP helo=<c.test>");
  });

  test("a sender the filter rejects, and a filter that cannot be reached, are the end-of-data reply", async () => {
    let out = await talk(speed(filter.port), `EHLO c.test\r\nMAIL FROM:<spam@example.test>\r\nRCPT TO:<r@example.test>\r\nDATA\r\n${MSG}QUIT\r\n`);
    expect(out).toContain("354 End data with <CR><LF>.<CR><LF>\r\n554 5.7.1 go away\r\n221 2.0.0 Bye\r\n");
    const port = await freePort();
    logged.length = 0;
    out = await talk(speed(port), `EHLO c.test\r\nMAIL FROM:<s@example.test>\r\nRCPT TO:<r@example.test>\r\nDATA\r\n${MSG}QUIT\r\n`);
    expect(out).toContain("\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n451 4.3.0 Error: queue file write error\r\n221 2.0.0 Bye\r\n");
    expect(logged).toContain(`warning: connect to proxy filter 127.0.0.1:${port}: Connection refused`);
  });

  test("a replay log that cannot be made: the proxy speed-adjust warning and the generic reply", async () => {
    rmSync(join(dir, "incoming"), { recursive: true, force: true });
    logged.length = 0;
    try {
      const out = await talk(speed(filter.port), "EHLO c.test\r\nMAIL FROM:<s@example.test>\r\nRCPT TO:<r@example.test>\r\nQUIT\r\n");
      expect(out).toContain("\r\n250 2.1.0 Ok\r\n451 4.3.0 Error: queue file write error\r\n");
      expect(logged.some((l) => l.startsWith("warning: proxy speed-adjust log I/O error: "))).toBe(true);
    } finally {
      mkdirSync(join(dir, "incoming"), { recursive: true });
    }
  });

  test("smtpd_proxy_options takes speed_adjust only; another name is a configuration error", () => {
    expect(proxyOptions("")).toEqual({ speedAdjust: false });
    expect(proxyOptions("Speed_Adjust")).toEqual({ speedAdjust: true });
    expect(() => proxyOptions("speed_adjust, bogus")).toThrow('unknown smtpd_proxy_options value "bogus" in "speed_adjust, bogus"');
  });
});

test("proxyEndpoint(): host:port, inet:, a bare port, unix: relative to the queue directory", () => {
  const cases: [string, ReturnType<typeof proxyEndpoint>][] = [
    ["127.0.0.1:10025", { host: "127.0.0.1", port: 10025 }],
    ["inet:[::1]:10025", { host: "::1", port: 10025 }],
    ["10025", { host: "localhost", port: 10025 }],
    [":10025", { host: "localhost", port: 10025 }],
    ["unix:private/filter", { path: "/q/private/filter" }],
    ["unix:/run/f", { path: "/run/f" }],
    ["host:smtp", undefined],
  ];
  for (const [spec, want] of cases) expect([spec, proxyEndpoint(spec, "/q")]).toEqual([spec, want]);
});
