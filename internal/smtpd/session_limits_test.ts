/**
 * smtpd_reject_footer(_maps) and smtpd_command_filter in the protocol engine, through runSmtpSession() (the
 * sendmail -bs path, where Postfix applies both too). The rate limits need the server's anvil: see
 * cmd/smtpd_limits_test.ts.
 */
import { test, expect, beforeAll, afterAll, describe } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { runSmtpSession, type MessageSink } from "./standalone.ts";

let dir: string;
const logged: string[] = [];

beforeAll(() => {
  setMsgStderr(false);
  setMsgSink({ write: (level, text) => void logged.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
  dir = mkdtempSync(join(tmpdir(), "smtpd-limits-"));
  writeFileSync(join(dir, "filter"), "/^HELO (.*)/ EHLO $1\n/^ +x$/ NOOP\n/^NOOP please$/ NOOP\n");
  writeFileSync(join(dir, "footers"), "/too many errors/ map421\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sink: MessageSink = { deliver: async () => ({ queueId: "ID1" }) };

async function talk(mainCf: string, input: string): Promise<string> {
  writeFileSync(join(dir, "main.cf"), `myhostname = mx.example.test\nsmtpd_error_sleep_time = 0\nmaillog_file =\n${mainCf}`);
  const cfg = loadConfig({ configDir: dir });
  let out = "";
  async function* src() {
    yield Buffer.from(input, "latin1");
  }
  await runSmtpSession(cfg, src(), (b) => (out += Buffer.from(b).toString("latin1")), { sink, timeoutMs: 2000 });
  return out;
}

test("smtpd_reject_footer: \\c joins the last line, \\n adds lines with the code and DSN; 2XX replies get none", async () => {
  const out = await talk("smtpd_reject_footer = \\c <$client_address> [$helo_name]\\nSecond line $server_name\n", "HELO foo.test\r\nVRFY\r\nETRN x\r\nNOOP\r\nQUIT\r\n");
  expect(out).toContain("\r\n250 mx.example.test\r\n");
  expect(out).toContain("501-5.5.4 Syntax: VRFY address <127.0.0.1> [foo.test]\r\n501 5.5.4 Second line mx.example.test\r\n");
  expect(out).toContain("458-Unable to queue messages <127.0.0.1> [foo.test]\r\n458 Second line mx.example.test\r\n");
  expect(out).toContain("\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n");
});

test("smtpd_reject_footer_maps: looked up with the whole reply; a 421 gets its footer too", async () => {
  const out = await talk(`smtpd_reject_footer = Contact $server_name\nsmtpd_reject_footer_maps = regexp:${join(dir, "footers")}\nsmtpd_hard_error_limit = 2\n`, "bogus\r\nbogus\r\nbogus\r\n");
  expect(out).toContain("500-5.5.2 Error: command not recognized\r\n500 5.5.2 Contact mx.example.test\r\n");
  expect(out.endsWith("421-4.7.0 mx.example.test Error: too many errors\r\n421 4.7.0 map421\r\n")).toBe(true);
});

test("smtpd_reject_footer_maps: an empty value is a configuration error (maps_find's warnings): smtpd_reject_footer instead", async () => {
  logged.length = 0;
  const out = await talk("smtpd_reject_footer = Contact $server_name\nsmtpd_reject_footer_maps = static:{}\n", "bogus\r\nQUIT\r\n");
  expect(out).toContain("500-5.5.2 Error: command not recognized\r\n500 5.5.2 Contact mx.example.test\r\n");
  expect(logged).toContain("warning: smtpd_reject_footer_maps lookup of 500 5.5.2 Error: command not recognized returns an empty string result");
  expect(logged).toContain("warning: smtpd_reject_footer_maps should return NO RESULT in case of NOT FOUND");
});

test("smtpd_command_filter: the line without leading blanks is the key, the result replaces it, and is logged", async () => {
  logged.length = 0;
  const out = await talk(`smtpd_command_filter = regexp:${join(dir, "filter")}\n`, "HELO foo.test\r\n  x\r\nNOOP please\r\nQUIT\r\n");
  expect(out).toContain("220 mx.example.test ESMTP Postfix\r\n250-mx.example.test\r\n");
  expect(out).toContain("500 5.5.2 Error: command not recognized\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n");
  expect(logged).toContain('localhost[127.0.0.1]: replacing command "HELO foo.test" with "EHLO foo.test"');
  expect(logged.some((l) => /disconnect from .* ehlo=1 noop=1 quit=1 unknown=0\/1 commands=3\/4/.test(l))).toBe(true);
});

test("smtpd_command_filter: a failing table ends the session with 421 4.3.0 Server local data error", async () => {
  logged.length = 0;
  const out = await talk("smtpd_command_filter = fail:cmd\n", "NOOP\r\nQUIT\r\n");
  expect(out).toBe("220 mx.example.test ESMTP Postfix\r\n421 4.3.0 mx.example.test Server local data error\r\n");
  expect(logged).toContain('warning: fail:cmd lookup error for "NOOP"');
  expect(logged).toContain("NOQUEUE: reject: CONNECT from localhost[127.0.0.1]: 421 4.3.0 mx.example.test Server local data error");
});

describe("smtpd_discard_ehlo_keyword_address_maps", () => {
  test("the entry for the client's address replaces smtpd_discard_ehlo_keywords, and is logged at each EHLO", async () => {
    writeFileSync(join(dir, "ehlo.cidr"), "127.0.0.0/8 pipelining, size\n");
    logged.length = 0;
    const out = await talk(`smtpd_discard_ehlo_keywords = dsn\nsmtpd_discard_ehlo_keyword_address_maps = cidr:${join(dir, "ehlo.cidr")}\n`, "EHLO c.test\r\nQUIT\r\n");
    expect(out).toBe("220 mx.example.test ESMTP Postfix\r\n250-mx.example.test\r\n250-VRFY\r\n250-ETRN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250 CHUNKING\r\n221 2.0.0 Bye\r\n");
    expect(logged).toContain("discarding EHLO keywords: PIPELINING SIZE");
  });

  test("a texthash: table is keyed by the IP address; no entry: smtpd_discard_ehlo_keywords", async () => {
    writeFileSync(join(dir, "ehlo_other"), "192.0.2.1 pipelining\n");
    writeFileSync(join(dir, "ehlo_self"), "127.0.0.1 chunking\n");
    const other = await talk(`smtpd_discard_ehlo_keywords = dsn\nsmtpd_discard_ehlo_keyword_address_maps = texthash:${join(dir, "ehlo_other")}\n`, "EHLO c.test\r\nQUIT\r\n");
    expect(other).toContain("250-PIPELINING\r\n");
    expect(other).not.toContain("DSN");
    const self = await talk(`smtpd_discard_ehlo_keyword_address_maps = texthash:${join(dir, "ehlo_self")}\n`, "EHLO c.test\r\nBDAT 1 LAST\r\n");
    expect(self).not.toContain("CHUNKING");
    expect(self).toContain("521 5.5.1 Error: command not implemented\r\n");
  });

  test("hidden dsn refuses the DSN parameters; silent-discard logs nothing", async () => {
    writeFileSync(join(dir, "ehlo_dsn.cidr"), "127.0.0.1/32 dsn silent-discard\n");
    logged.length = 0;
    const out = await talk(`smtpd_discard_ehlo_keyword_address_maps = cidr:${join(dir, "ehlo_dsn.cidr")}\n`, "EHLO c.test\r\nMAIL FROM:<a@b.test> RET=FULL\r\nQUIT\r\n");
    expect(out).not.toContain("250-DSN");
    expect(out).toContain("501 5.7.1 DSN support is disabled\r\n");
    expect(logged.some((l) => l.startsWith("discarding EHLO keywords"))).toBe(false);
  });

  test("an empty value is a configuration error, as a failing table: maps_find's warnings, then 421 at EHLO", async () => {
    logged.length = 0;
    const out = await talk("smtpd_discard_ehlo_keyword_address_maps = inline:{ { 127.0.0.1 = } }\n", "EHLO c.test\r\nQUIT\r\n");
    expect(out).toBe("220 mx.example.test ESMTP Postfix\r\n421 4.3.0 mx.example.test Server local data error\r\n");
    expect(logged).toContain("warning: smtpd_discard_ehlo_keyword_address_maps lookup of 127.0.0.1 returns an empty string result");
    expect(logged).toContain("warning: don't know what EHLO features to announce to localhost[127.0.0.1]");
  });

  test("a failing table: the warnings, then 421 at EHLO", async () => {
    logged.length = 0;
    const out = await talk("smtpd_discard_ehlo_keyword_address_maps = fail:ehlo\n", "EHLO c.test\r\nQUIT\r\n");
    expect(out).toBe("220 mx.example.test ESMTP Postfix\r\n421 4.3.0 mx.example.test Server local data error\r\n");
    expect(logged).toContain('warning: fail:ehlo lookup error for "127.0.0.1"');
    expect(logged).toContain("warning: don't know what EHLO features to announce to localhost[127.0.0.1]");
    expect(logged).toContain("NOQUEUE: reject: EHLO from localhost[127.0.0.1]: 421 4.3.0 mx.example.test Server local data error");
  });
});
