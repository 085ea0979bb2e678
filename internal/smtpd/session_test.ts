/**
 * The protocol engine in process, through runSmtpSession() (the sendmail -bs path): replies, dot-unstuffing,
 * CRLF handling, BDAT chunks, the size limit and the bare-LF rules, with a sink that keeps what it is given.
 */
import { test, expect, beforeAll, afterAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig, type Config } from "../config/config.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { runSmtpSession, type MessageSink, type MessageRequest } from "./standalone.ts";

let dir: string;
let cfg: Config;

beforeAll(() => {
  setMsgStderr(false);
  dir = mkdtempSync(join(tmpdir(), "smtpd-session-"));
  writeFileSync(join(dir, "main.cf"), "myhostname = mx.example.test\nmessage_size_limit = 2000\nsmtpd_error_sleep_time = 0\nmaillog_file =\n");
  cfg = loadConfig({ configDir: dir });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Kept {
  req: MessageRequest;
  content: string;
}

function sink(kept: Kept[]): MessageSink {
  let n = 0;
  return {
    async deliver(req) {
      const id = `ID${++n}`;
      req.onQueueId(id);
      let content = req.prepend(id).map((l) => `${l}\n`).join("");
      for await (const c of req.content) content += Buffer.from(c).toString("latin1");
      kept.push({ req, content });
      return { queueId: id };
    },
  };
}

async function talk(input: string | string[], kept: Kept[] = [], theSink?: MessageSink, config = cfg): Promise<string> {
  const chunks = (Array.isArray(input) ? input : [input]).map((s) => Buffer.from(s, "latin1"));
  let out = "";
  async function* src() {
    for (const c of chunks) {
      yield c;
      await Bun.sleep(5);
    }
  }
  await runSmtpSession(config, src(), (b) => (out += Buffer.from(b).toString("latin1")), { sink: theSink ?? sink(kept), timeoutMs: 2000 });
  return out;
}

test("a message: dot-unstuffing, CRLF to LF, the Received header of stand-alone mode", async () => {
  const kept: Kept[] = [];
  const out = await talk("EHLO c.test\r\nMAIL FROM:<s@example.test>\r\nRCPT TO:<r@example.test>\r\nDATA\r\nSubject: x\r\n\r\n..dot\r\nline\r\n.\r\nQUIT\r\n", kept);
  expect(out).toContain("\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as ID1\r\n221 2.0.0 Bye\r\n");
  expect(out.startsWith("220 mx.example.test ESMTP Postfix\r\n250-mx.example.test\r\n")).toBe(true);
  expect(kept[0]!.content).toMatch(/^Received: from c\.test \(localhost \[127\.0\.0\.1\]\)\n\tby mx\.example\.test \(Postfix\) with ESMTP id ID1\n\tfor <r@example\.test>; .+\nSubject: x\n\n\.dot\nline\n$/);
  expect(kept[0]!.req.sender).toBe("s@example.test");
  expect(kept[0]!.req.recipients).toEqual([{ address: "r@example.test", notify: 0, orcpt: "rfc822;r@example.test" }]);
});

test("BDAT chunks: CRLF split across chunks, LAST answers with the byte count", async () => {
  const kept: Kept[] = [];
  const body1 = "Subject: b\r\n\r\nline one\r";
  const body2 = "\nline two\r\n";
  const out = await talk(`EHLO c\r\nMAIL FROM:<s@e.test>\r\nRCPT TO:<r@e.test>\r\nBDAT ${body1.length}\r\n${body1}BDAT ${body2.length} LAST\r\n${body2}QUIT\r\n`, kept);
  expect(out).toContain(`250 2.0.0 Ok: ${body1.length} bytes\r\n250 2.0.0 Ok: ${body1.length + body2.length} bytes queued as ID1\r\n`);
  expect(kept[0]!.content.endsWith("Subject: b\n\nline one\nline two\n")).toBe(true);
});

test("BDAT without a transaction, and a malformed BDAT", async () => {
  const out = await talk("EHLO c\r\nBDAT 3\r\nabcBDAT x\r\nQUIT\r\n");
  expect(out).toContain("503 5.5.1 Error: need RCPT command\r\n521 5.5.4 Syntax: BDAT count [LAST]\r\n");
});

test("message_size_limit: SIZE= refused at MAIL, an oversized DATA refused at the end, nothing delivered", async () => {
  const kept: Kept[] = [];
  const big = `${"x".repeat(100)}\r\n`.repeat(30);
  const out = await talk(`EHLO c\r\nMAIL FROM:<s@e.test> SIZE=5000\r\nMAIL FROM:<s@e.test>\r\nRCPT TO:<r@e.test>\r\nDATA\r\n${big}.\r\nNOOP\r\n`, kept);
  expect(out).toContain("552 5.3.4 Message size exceeds fixed limit\r\n");
  expect(out).toContain("354 End data with <CR><LF>.<CR><LF>\r\n552 5.3.4 Error: message file too big\r\n250 2.0.0 Ok\r\n");
  expect(kept).toEqual([]);
});

test("EOF in the middle of DATA: nothing is delivered", async () => {
  const kept: Kept[] = [];
  await talk("HELO c\r\nMAIL FROM:<s@e.test>\r\nRCPT TO:<r@e.test>\r\nDATA\r\nSubject: cut\r\n\r\nhalf", kept);
  expect(kept).toEqual([]);
});

test("a From_ line first becomes X-Mailbox-Line; a body line that starts with a space gets an empty line first", async () => {
  const kept: Kept[] = [];
  await talk("HELO c\r\nMAIL FROM:<s@e.test>\r\nRCPT TO:<r@e.test>\r\nDATA\r\nFrom someone Tue\r\nSubject: y\r\n\r\nz\r\n.\r\nMAIL FROM:<s@e.test>\r\nRCPT TO:<r@e.test>\r\nDATA\r\n continued\r\n.\r\nQUIT\r\n", kept);
  expect(kept[0]!.content).toContain("\nX-Mailbox-Line: From someone Tue\nSubject: y\n\nz\n");
  expect(kept[1]!.content).toMatch(/\(UTC\)\n\n continued\n$/);
});

test("without smtpd_forbid_bare_newline (the default) a bare <LF>.<LF> ends DATA, as in Postfix", async () => {
  const kept: Kept[] = [];
  const out = await talk("HELO c\r\nMAIL FROM:<s@e.test>\r\nRCPT TO:<r@e.test>\r\nDATA\r\nbody\n.\nQUIT\r\n", kept);
  expect(out).toContain("250 2.0.0 Ok: queued as ID1\r\n221 2.0.0 Bye\r\n");
});

test("stand-alone mode applies no restrictions and offers no STARTTLS", async () => {
  const out = await talk("EHLO c\r\nSTARTTLS\r\nQUIT\r\n");
  expect(out).not.toContain("STARTTLS\r\n250");
  expect(out).toContain("502 5.5.1 Error: command not implemented\r\n");
});

/** A sink that opens its files early, as the server's does; `events` records opens, aborts, deliveries and log lines. */
function openingSink(events: string[]): MessageSink {
  let n = 0;
  return {
    open() {
      const id = `Q${++n}`;
      let done = false;
      events.push(`open ${id}`);
      return {
        queueId: id,
        abort: () => {
          if (!done) events.push(`abort ${id}`);
          done = true;
        },
        finish: () => (done = true),
      };
    },
    async deliver(req) {
      for await (const _ of req.content) {
        // consume the message
      }
      const opened = req.opened as unknown as { queueId: string; finish(): void };
      opened.finish();
      events.push(`queued ${opened.queueId}`);
      return { queueId: opened.queueId };
    },
  };
}

async function withLog(events: string[], f: () => Promise<void>): Promise<void> {
  setMsgSink({ write: (_level, text) => events.push(`log ${text}`), close() {} });
  try {
    await f();
  } finally {
    setMsgSink(undefined);
  }
}

test("the queue file is opened at the first valid RCPT, which logs QID: client=; RSET, QUIT and EOF give it up", async () => {
  const events: string[] = [];
  let out = "";
  await withLog(events, async () => {
    out = await talk(
      "EHLO c\r\nMAIL FROM:<s@e.test>\r\nRCPT TO:<>\r\nRCPT TO:<a@e.test>\r\nRCPT TO:<b@e.test>\r\nRSET\r\n" +
        "MAIL FROM:<s@e.test>\r\nRCPT TO:<a@e.test>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n" +
        "MAIL FROM:<s@e.test>\r\nRCPT TO:<a@e.test>\r\nQUIT\r\n",
      [],
      openingSink(events),
    );
  });
  expect(out).toContain("250 2.0.0 Ok: queued as Q2\r\n");
  expect(events.filter((e) => !/^log (connect|disconnect) /.test(e))).toEqual([
    "open Q1", "log Q1: client=localhost[127.0.0.1]", "abort Q1",
    "open Q2", "log Q2: client=localhost[127.0.0.1]", "queued Q2",
    "open Q3", "log Q3: client=localhost[127.0.0.1]", "abort Q3",
  ]);
  const lost: string[] = [];
  await talk("HELO c\r\nMAIL FROM:<s@e.test>\r\nRCPT TO:<a@e.test>\r\n", [], openingSink(lost));
  expect(lost).toEqual(["open Q1", "abort Q1"]);
});

test("smtpd_delay_open_until_valid_rcpt = no opens the queue file at MAIL", async () => {
  const events: string[] = [];
  const early = loadConfig({ configDir: dir, overrides: ["smtpd_delay_open_until_valid_rcpt=no"] });
  await withLog(events, async () => {
    await talk("HELO c\r\nMAIL FROM:<s@e.test>\r\nRSET\r\nMAIL FROM:<s@e.test>\r\nQUIT\r\n", [], openingSink(events), early);
  });
  expect(events.filter((e) => !/^log (connect|disconnect) /.test(e))).toEqual([
    "open Q1", "log Q1: client=localhost[127.0.0.1]", "abort Q1", "open Q2", "log Q2: client=localhost[127.0.0.1]", "abort Q2",
  ]);
});

test("the arrival time given to the sink is when MAIL FROM was accepted, not when RCPT opened the file", async () => {
  const kept: Kept[] = [];
  const before = Date.now();
  // the chunks come 5 ms apart; a pause before RCPT makes the difference visible
  const chunks = ["EHLO c\r\nMAIL FROM:<s@e.test>\r\n"];
  let mailDone = 0;
  async function* src() {
    yield Buffer.from(chunks[0]!);
    await Bun.sleep(5);
    mailDone = Date.now();
    await Bun.sleep(300);
    yield Buffer.from("RCPT TO:<r@e.test>\r\nDATA\r\nSubject: t\r\n\r\nx\r\n.\r\nQUIT\r\n");
  }
  await runSmtpSession(cfg, src(), () => {}, { sink: sink(kept), timeoutMs: 2000 });
  const arrival = kept[0]!.req.arrival!.getTime();
  expect(arrival).toBeGreaterThanOrEqual(before);
  expect(arrival).toBeLessThanOrEqual(mailDone);
});
