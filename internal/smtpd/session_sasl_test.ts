/**
 * SMTP AUTH in the protocol engine, in process, with the restrictions of a real server and the fake Dovecot auth
 * server of _test_dovecot_auth.ts: what EHLO announces (TLS-only, exceptions, the mechanism filter, old-style
 * AUTH=), the AUTH command's replies and log lines, relaying with permit_sasl_authenticated, the queue ID log
 * line, queue file attributes and Received: header, MAIL FROM's AUTH=, the sender login checks, XCLIENT LOGIN,
 * the policy service's sasl_* attributes, and a missing auth socket. Replies and log lines are Postfix 3.7's
 * (checked against Debian's Postfix 3.7.11 with Dovecot 2.3).
 */
import { test, expect, beforeAll, afterAll, afterEach, describe } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { Restrictions } from "./restrictions.ts";
import { SmtpStream } from "./smtp_stream.ts";
import { SmtpSession, commentSanitize, type MessageRequest, type MessageSink, type TlsSupport } from "./session.ts";
import { SmtpdSasl } from "./smtpd_sasl.ts";
import { startTestDovecotAuth, type TestDovecotAuth } from "./_test_dovecot_auth.ts";
import type { SmtpdResolver } from "./smtpd_dns.ts";
import { ConfigError } from "../config/main_cf.ts";
import { FatalError } from "../sys/errors.ts";

const noDns: SmtpdResolver = { query: async () => ({ status: "notfound", records: [] }) };
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const ALICE = b64("\0alice\0secret");

let dir: string;
let dovecot: TestDovecotAuth;
const toClose: (() => unknown)[] = [];

beforeAll(async () => {
  setMsgStderr(false);
  dir = mkdtempSync(join(tmpdir(), "smtpd-sasl-"));
  dovecot = await startTestDovecotAuth({ users: { alice: "secret", bob: "pw" }, behave: (u) => (u === "crash" ? "drop" : undefined) });
});
afterAll(async () => {
  await dovecot.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const f of toClose.splice(0)) await f();
  setMsgSink(undefined);
});

interface Kept {
  req: MessageRequest;
  content: string;
}

/** A sink that opens its files early (so `QID: client=` is logged at RCPT) and keeps what it gets. */
function sink(kept: Kept[]): MessageSink {
  let n = 0;
  return {
    open() {
      const id = `Q${++n}`;
      return { queueId: id, abort() {} };
    },
    async deliver(req) {
      const id = req.opened!.queueId;
      let content = req.prepend(id).map((l) => `${l}\n`).join("");
      for await (const c of req.content) content += Buffer.from(c).toString("latin1");
      kept.push({ req, content });
      return { queueId: id };
    },
  };
}

/** TLS that is only pretended (the session's logic is what is tested here). */
const fakeTls: TlsSupport = {
  required: false,
  start: async () => ({ protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", bits: 256, algBits: 256 }),
};

interface Talk {
  out: string;
  log: string[];
  kept: Kept[];
  policy?: string[];
}

/**
 * One session from 192.0.2.7 with `mainCf` lines over the defaults; `input` lines are sent one by one, a little
 * apart, so a line after STARTTLS is not discarded as pipelined plaintext.
 */
async function talk(mainCf: string[], input: string[], opts: { tls?: boolean; addr?: string; authPath?: string; authRate?: () => number } = {}): Promise<Talk> {
  const cfgDir = mkdtempSync(join(dir, "cf-"));
  writeFileSync(
    join(cfgDir, "main.cf"),
    [
      `queue_directory = ${dir}`,
      "myhostname = mx.example.test",
      "mydestination = mx.example.test",
      "maillog_file =",
      "alias_maps =",
      "local_recipient_maps =",
      "mynetworks = 10.0.0.0/8",
      "smtpd_error_sleep_time = 0",
      "smtpd_sasl_auth_enable = yes",
      "smtpd_sasl_type = dovecot",
      `smtpd_sasl_path = ${opts.authPath ?? dovecot.path}`,
      "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
      ...mainCf,
      "",
    ].join("\n"),
  );
  const cfg = loadConfig({ configDir: cfgDir, warn: false });
  const restrictions = await Restrictions.create(cfg, noDns);
  const sasl = await SmtpdSasl.create(cfg, { timeoutMs: 2000 });
  toClose.push(() => sasl?.close());
  const kept: Kept[] = [];
  const lines: string[] = [];
  setMsgSink({ write: (level, text) => lines.push(level === "info" ? text : `${level}: ${text}`), close() {} });
  let out = "";
  const stream = new SmtpStream({ write: (b) => (out += Buffer.from(b).toString("latin1")) }, 3000);
  const addr = opts.addr ?? "192.0.2.7";
  const { compileHostList } = await import("./host_list.ts");
  const session = new SmtpSession(
    {
      cfg,
      restrictions,
      sink: sink(kept),
      service: "submission",
      standalone: false,
      ...(sasl ? { sasl } : {}),
      ...(opts.tls ? { tls: fakeTls } : {}),
      xclientHosts: await compileHostList(cfg.get("smtpd_authorized_xclient_hosts"), "smtpd_authorized_xclient_hosts"),
      ...(opts.authRate ? { authRate: opts.authRate } : {}),
    },
    stream,
    { name: "unknown", reverseName: "unknown", addr, port: "4321", nameStatus: "perm", reverseNameStatus: "perm", serverAddr: "192.0.2.1", serverPort: "587" },
  );
  const pump = (async () => {
    for (const l of input) {
      await Bun.sleep(15);
      stream.push(Buffer.from(`${l}\r\n`, "latin1"));
    }
    await Bun.sleep(100);
    stream.end();
  })();
  await session.run();
  await pump;
  return { out, log: lines, kept };
}

/** The replies of `out` after the greeting, one string per reply (multi-line ones joined with \n). */
function replies(out: string): string[] {
  const r: string[] = [];
  let cur: string[] = [];
  for (const l of out.split("\r\n").slice(0, -1)) {
    cur.push(l);
    if (l[3] !== "-") {
      r.push(cur.join("\n"));
      cur = [];
    }
  }
  return r.slice(1);
}

const warnings = (t: Talk) => t.log.filter((l) => l.startsWith("warning:"));

describe("EHLO", () => {
  test("announces AUTH with the auth server's mechanisms after ETRN, AUTH= too for broken clients", async () => {
    let t = await talk([], ["EHLO c.test", "QUIT"]);
    expect(replies(t.out)[0]).toBe("250-mx.example.test\n250-PIPELINING\n250-SIZE 10240000\n250-VRFY\n250-ETRN\n250-AUTH PLAIN LOGIN\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n250-DSN\n250 CHUNKING");
    t = await talk(["broken_sasl_auth_clients = yes"], ["EHLO c.test", "QUIT"]);
    expect(replies(t.out)[0]).toContain("\n250-AUTH PLAIN LOGIN\n250-AUTH=PLAIN LOGIN\n");
  });

  test("smtpd_sasl_exceptions_networks: no announcement, but AUTH still works", async () => {
    const t = await talk(["smtpd_sasl_exceptions_networks = 192.0.2.0/24"], ["EHLO c.test", `AUTH PLAIN ${ALICE}`, "QUIT"]);
    const r = replies(t.out);
    expect(r[0]).not.toContain("AUTH");
    expect(r[1]).toBe("235 2.7.0 Authentication successful");
  });

  test("smtpd_sasl_mechanism_filter shapes the announcement only; a filter that leaves nothing is fatal", async () => {
    let t = await talk(["smtpd_sasl_mechanism_filter = plain"], ["EHLO c.test", "AUTH LOGIN", "*", "QUIT"]);
    expect(replies(t.out).slice(0, 3)).toEqual([expect.stringContaining("\n250-AUTH PLAIN\n") as unknown as string, "334 VXNlcm5hbWU6", "501 5.7.0 Authentication aborted"]);
    t = await talk(["smtpd_sasl_mechanism_filter ="], ["EHLO c.test", "QUIT"]);
    expect(t.out).toBe("");
    expect(t.log.filter((l) => !l.startsWith("connect from"))).toEqual(["fatal: smtpd_sasl_mechanism_filter discards all mechanisms in 'PLAIN LOGIN'"]);
  });

  test("smtpd_sasl_security_options = noplaintext leaves no mechanism here: fatal for the session", async () => {
    const t = await talk(["smtpd_sasl_security_options = noanonymous, noplaintext"], ["EHLO c.test", "QUIT"]);
    expect(t.out).toBe("");
    expect(t.log).toEqual(["connect from unknown[192.0.2.7]", "fatal: no SASL authentication mechanisms"]);
  });

  test("smtpd_discard_ehlo_keywords = auth: no announcement and AUTH is not enabled", async () => {
    const t = await talk(["smtpd_discard_ehlo_keywords = auth"], ["EHLO c.test", `AUTH PLAIN ${ALICE}`, "QUIT"]);
    expect(replies(t.out)[0]).not.toContain("AUTH");
    expect(replies(t.out)[1]).toBe("503 5.5.1 Error: authentication not enabled");
  });

  test("smtpd_tls_auth_only: nothing before STARTTLS, the TLS options after it, and `secured` for the auth server", async () => {
    const before = dovecot.lines.length;
    const t = await talk(["smtpd_tls_auth_only = yes", "smtpd_sasl_security_options = noanonymous, noplaintext", "smtpd_sasl_tls_security_options = noanonymous"], [
      "EHLO c.test", `AUTH PLAIN ${ALICE}`, "STARTTLS", "EHLO c.test", `AUTH PLAIN ${ALICE}`, "QUIT",
    ], { tls: true });
    const r = replies(t.out);
    expect(r[0]).toContain("\n250-STARTTLS\n");
    expect(r[0]).not.toContain("AUTH");
    expect(r[1]).toBe("503 5.5.1 Error: authentication not enabled");
    expect(r[2]).toBe("220 2.0.0 Ready to start TLS");
    expect(r[3]).toContain("\n250-AUTH PLAIN LOGIN\n");
    expect(r[4]).toBe("235 2.7.0 Authentication successful");
    expect(dovecot.lines.slice(before).filter((l) => l.startsWith("AUTH"))).toEqual([`AUTH\t${/AUTH\t(\d+)/.exec(dovecot.lines.slice(before).find((l) => l.startsWith("AUTH"))!)![1]}\tPLAIN\tservice=smtp\tnologin\tlip=192.0.2.1\trip=192.0.2.7\tsecured\tresp=${ALICE}`]);
  });

  test("STARTTLS logs a client out", async () => {
    const t = await talk([], ["EHLO c.test", `AUTH PLAIN ${ALICE}`, "STARTTLS", "EHLO c.test", `AUTH PLAIN ${ALICE}`, "QUIT"], { tls: true });
    expect(replies(t.out).slice(1)).toEqual(["235 2.7.0 Authentication successful", "220 2.0.0 Ready to start TLS", expect.any(String) as unknown as string, "235 2.7.0 Authentication successful", "221 2.0.0 Bye"]);
  });
});

describe("AUTH", () => {
  test("the replies of Postfix's smtpd with Dovecot, error by error", async () => {
    const t = await talk([], [
      `AUTH PLAIN ${b64("\0alice\0wrong")}`, "EHLO c.test", "AUTH", "AUTH PLAIN a b", "AUTH FOO", "AUTH PLAIN !!!", "AUTH LOGIN", "*", "AUTH PLAIN", "*",
      "MAIL FROM:<x@example.test>", `AUTH PLAIN ${ALICE}`, "RSET", "AUTH LOGIN", b64("alice"), b64("secret"), `AUTH PLAIN ${ALICE}`, "QUIT",
    ]);
    expect(replies(t.out)).toEqual([
      "535 5.7.8 Error: authentication failed: (reason unavailable)",
      expect.stringMatching(/^250-mx/) as unknown as string,
      "501 5.5.4 Syntax: AUTH mechanism",
      "501 5.5.4 Syntax: AUTH mechanism",
      "535 5.7.8 Error: authentication failed: Invalid authentication mechanism",
      "535 5.7.8 Error: authentication failed: Invalid base64 data in initial response",
      "334 VXNlcm5hbWU6",
      "501 5.7.0 Authentication aborted",
      "334 ",
      "501 5.7.0 Authentication aborted",
      "250 2.1.0 Ok",
      "503 5.5.1 Error: MAIL transaction in progress",
      "250 2.0.0 Ok",
      "334 VXNlcm5hbWU6",
      "334 UGFzc3dvcmQ6",
      "235 2.7.0 Authentication successful",
      "503 5.5.1 Error: already authenticated",
      "221 2.0.0 Bye",
    ]);
    expect(warnings(t)).toEqual([
      "warning: unknown[192.0.2.7]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=alice",
      // the name from the last answer of the auth server stays, as in Postfix
      "warning: unknown[192.0.2.7]: SASL FOO authentication failed: Invalid authentication mechanism, sasl_username=alice",
      "warning: unknown[192.0.2.7]: SASL PLAIN authentication failed: Invalid base64 data in initial response, sasl_username=alice",
      "warning: unknown[192.0.2.7]: SASL LOGIN authentication aborted",
      "warning: unknown[192.0.2.7]: SASL PLAIN authentication aborted",
    ]);
    expect(t.log.at(-1)).toBe("disconnect from unknown[192.0.2.7] ehlo=1 auth=1/10 mail=1 rset=1 quit=1 commands=5/14");
  });

  test("smtpd_helo_required; smtpd_sasl_response_limit; the auth server going away (454)", async () => {
    const long = "A".repeat(12400);
    const t = await talk(["smtpd_helo_required = yes"], [`AUTH PLAIN ${ALICE}`, "EHLO c", "AUTH PLAIN", long, `AUTH PLAIN ${b64("\0crash\0x")}`, `AUTH PLAIN ${ALICE}`, "QUIT"]);
    expect(replies(t.out)).toEqual([
      "503 5.5.1 Error: send HELO/EHLO first",
      expect.stringMatching(/^250-/) as unknown as string,
      "334 ",
      "500 5.5.6 SASL response limit exceeded",
      "454 4.7.0 Temporary authentication failure: Connection lost to authentication server",
      "235 2.7.0 Authentication successful",
      "221 2.0.0 Bye",
    ]);
    expect(warnings(t)).toEqual([
      `warning: unknown[192.0.2.7]: request longer than 12288: ${"A".repeat(30)}...`,
      "warning: unknown[192.0.2.7]: SASL PLAIN authentication failed: Connection lost to authentication server, sasl_username=(unavailable)",
    ]);
  });

  test("smtpd_client_auth_rate_limit", async () => {
    let n = 0;
    const t = await talk(["smtpd_client_auth_rate_limit = 1"], ["EHLO c", "AUTH FOO", "AUTH FOO", "QUIT"], { authRate: () => ++n });
    expect(replies(t.out).slice(1, 3)).toEqual(["535 5.7.8 Error: authentication failed: Invalid authentication mechanism", "450 4.7.1 Error: too many AUTH commands from 192.0.2.7"]);
    expect(warnings(t)).toContain("warning: AUTH command rate limit exceeded: 2 from unknown[192.0.2.7] for service submission");
  });

  test("a missing auth socket: Postfix's two log lines, and the client gets nothing at all", async () => {
    const t = await talk([], ["EHLO c.test", "QUIT"], { authPath: "private/no-such-auth" });
    expect(t.out).toBe("");
    expect(t.log).toEqual([
      "connect from unknown[192.0.2.7]",
      "warning: SASL: Connect to Dovecot auth socket 'private/no-such-auth' failed: No such file or directory",
      "fatal: no SASL authentication mechanisms",
    ]);
  });
});

describe("relaying and the message", () => {
  test("unauthenticated relaying is refused; after AUTH it is permitted, logged and recorded", async () => {
    const t = await talk(["smtpd_sasl_authenticated_header = yes"], [
      "EHLO c.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<r@remote.test>", "RSET", `AUTH PLAIN ${ALICE}`,
      "MAIL FROM:<alice@example.test> AUTH=<alice@example.test>", "RCPT TO:<r@remote.test>", "DATA", "Subject: t", "", "body", ".",
      "MAIL FROM:<alice@example.test> AUTH=<>", "RCPT TO:<r@remote.test>", "RCPT TO:<s@remote.test>", "DATA", "Subject: t2", "", "x", ".", "QUIT",
    ]);
    const r = replies(t.out);
    expect(r[2]).toBe("554 5.7.1 <r@remote.test>: Relay access denied");
    expect(r.slice(4, 8)).toEqual(["235 2.7.0 Authentication successful", "250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>"]);
    expect(r[8]).toBe("250 2.0.0 Ok: queued as Q1");
    expect(t.log).toContain("NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 5.7.1 <r@remote.test>: Relay access denied; from=<alice@example.test> to=<r@remote.test> proto=ESMTP helo=<c.test>");
    expect(t.log).toContain("Q1: client=unknown[192.0.2.7], sasl_method=PLAIN, sasl_username=alice, sasl_sender=<alice@example.test>");
    expect(t.log).toContain("Q2: client=unknown[192.0.2.7], sasl_method=PLAIN, sasl_username=alice");
    const m = t.kept[0]!;
    expect([...m.req.attributes]).toEqual([["sasl_method", "PLAIN"], ["sasl_username", "alice"], ["sasl_sender", "<alice@example.test>"]]);
    expect(m.content).toMatch(/^Received: from c\.test \(unknown \[192\.0\.2\.7\]\)\n\t\(Authenticated sender: alice\)\n\tby mx\.example\.test \(Postfix\) with ESMTPA id Q1\n\tfor <r@remote\.test>; /);
    expect(t.kept[1]!.content).toMatch(/\n\tby mx\.example\.test \(Postfix\) with ESMTPA id Q2;\n/);
    expect(m.req.context).toBe("remote"); // local_header_rewrite_clients is permit_inet_interfaces
  });

  test("local_header_rewrite_clients = permit_sasl_authenticated; the header only with smtpd_sasl_authenticated_header", async () => {
    const t = await talk(["local_header_rewrite_clients = permit_sasl_authenticated"], [
      "EHLO c.test", `AUTH PLAIN ${ALICE}`, "MAIL FROM:<alice@example.test>", "RCPT TO:<r@remote.test>", "DATA", "Subject: t", "", "body", ".", "QUIT",
    ]);
    expect(t.kept[0]!.req.context).toBe("local");
    expect(t.kept[0]!.content).not.toContain("Authenticated sender");
  });

  test("MAIL FROM's AUTH=: kept as sent, <> is none, twice is an error", async () => {
    const t = await talk([], ["EHLO c", "MAIL FROM:<a@example.test> AUTH=<> AUTH=<>", "RSET", "MAIL FROM:<a@example.test> AUTH=x AUTH=y", "MAIL FROM:<a@example.test> AUTH=a+2Bb@example.test", "QUIT"]);
    expect(replies(t.out).slice(1, 5)).toEqual(["250 2.1.0 Ok", "250 2.0.0 Ok", "503 5.5.4 Error: multiple AUTH= options", "250 2.1.0 Ok"]);
  });

  test("with smtpd_delay_reject (the default) permit_sasl_authenticated works in the client restrictions; without, it is too early", async () => {
    const list = "smtpd_client_restrictions = permit_sasl_authenticated, reject";
    let t = await talk([list], ["EHLO c", "MAIL FROM:<a@example.test>", "RCPT TO:<r@mx.example.test>", "RSET", `AUTH PLAIN ${ALICE}`, "MAIL FROM:<a@example.test>", "RCPT TO:<r@mx.example.test>", "QUIT"]);
    expect(replies(t.out)).toContain("554 5.7.1 <unknown[192.0.2.7]>: Client host rejected: Access denied");
    expect(replies(t.out).slice(-2)).toEqual(["250 2.1.5 Ok", "221 2.0.0 Bye"]);
    t = await talk([list, "smtpd_delay_reject = no"], ["EHLO c", `AUTH PLAIN ${ALICE}`, "QUIT"]);
    expect(t.out.split("\r\n")[0]).toBe("554 5.7.1 <unknown[192.0.2.7]>: Client host rejected: Access denied");
    expect(replies(t.out)[1]).toBe("503 5.7.0 Error: access denied for unknown[192.0.2.7]");
  });

  test("XCLIENT LOGIN= logs the client in by XCLIENT; LOGIN=[UNAVAILABLE] logs it out", async () => {
    const t = await talk(["smtpd_authorized_xclient_hosts = 192.0.2.0/24"], [
      "EHLO c", "XCLIENT LOGIN=carol", "EHLO c", "MAIL FROM:<c@example.test>", "RCPT TO:<r@remote.test>", "DATA", "Subject: x", "", "y", ".", "QUIT",
    ]);
    expect(replies(t.out)[1]).toBe("220 mx.example.test ESMTP Postfix");
    expect(replies(t.out)[2]).toContain("\n250-AUTH PLAIN LOGIN\n");
    expect(replies(t.out)[4]).toBe("250 2.1.5 Ok");
    expect(t.log).toContain("Q1: client=unknown[192.0.2.7], sasl_method=XCLIENT, sasl_username=carol");
    const u = await talk(["smtpd_authorized_xclient_hosts = 192.0.2.0/24"], ["EHLO c", `AUTH PLAIN ${ALICE}`, "XCLIENT LOGIN=[UNAVAILABLE]", "MAIL FROM:<c@example.test>", "RCPT TO:<r@remote.test>", "QUIT"]);
    expect(replies(u.out).slice(-2)).toEqual(["554 5.7.1 <r@remote.test>: Relay access denied", "221 2.0.0 Bye"]);
  });
});

describe("sender login checks", () => {
  const maps = "smtpd_sender_login_maps = inline:{ alice@example.test=alice, owned@example.test=bob, { shared@example.test = alice, bob }, { @team.test = bob } }";

  test("reject_sender_login_mismatch: not logged in, not owned by user; shared and unlisted addresses", async () => {
    const t = await talk([maps, "smtpd_sender_restrictions = reject_sender_login_mismatch"], [
      "EHLO c.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<r@remote.test>", "RSET", "MAIL FROM:<other@example.test>", "RCPT TO:<r@remote.test>", "RSET",
      `AUTH PLAIN ${ALICE}`, "MAIL FROM:<owned@example.test>", "RCPT TO:<r@remote.test>", "RSET", "MAIL FROM:<shared@example.test>", "RCPT TO:<r@remote.test>", "RSET",
      "MAIL FROM:<nobody@example.test>", "RCPT TO:<r@remote.test>", "RSET", "MAIL FROM:<x@team.test>", "RCPT TO:<r@remote.test>", "RSET", "MAIL FROM:<>", "RCPT TO:<r@remote.test>", "QUIT",
    ]);
    const rcpt = replies(t.out).filter((_, i) => [2, 5, 9, 12, 15, 18, 21].includes(i));
    expect(rcpt).toEqual([
      "553 5.7.1 <alice@example.test>: Sender address rejected: not logged in",
      "554 5.7.1 <r@remote.test>: Relay access denied",
      "553 5.7.1 <owned@example.test>: Sender address rejected: not owned by user alice",
      "250 2.1.5 Ok",
      "553 5.7.1 <nobody@example.test>: Sender address rejected: not owned by user alice",
      "553 5.7.1 <x@team.test>: Sender address rejected: not owned by user alice",
      "250 2.1.5 Ok",
    ]);
    expect(t.log).toContain("NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 553 5.7.1 <owned@example.test>: Sender address rejected: not owned by user alice; from=<owned@example.test> to=<r@remote.test> proto=ESMTP helo=<c.test>");
  });

  test("reject_known_sender_login_mismatch lets an authenticated client use an address nobody owns", async () => {
    const t = await talk([maps, "smtpd_sender_restrictions = reject_known_sender_login_mismatch"], [
      "EHLO c", "MAIL FROM:<alice@example.test>", "RCPT TO:<r@remote.test>", "RSET", `AUTH PLAIN ${ALICE}`, "MAIL FROM:<nobody@example.test>", "RCPT TO:<r@remote.test>", "RSET",
      "MAIL FROM:<owned@example.test>", "RCPT TO:<r@remote.test>", "QUIT",
    ]);
    const r = replies(t.out);
    expect([r[2], r[6], r[9]]).toEqual([
      "553 5.7.1 <alice@example.test>: Sender address rejected: not logged in",
      "250 2.1.5 Ok",
      "553 5.7.1 <owned@example.test>: Sender address rejected: not owned by user alice",
    ]);
  });

  test("without SASL the login checks are ignored with Postfix's warning; check_sasl_access", async () => {
    const t = await talk(["smtpd_sasl_auth_enable = no", maps, "smtpd_sender_restrictions = reject_unauthenticated_sender_login_mismatch"], ["EHLO c", "MAIL FROM:<alice@example.test>", "RCPT TO:<r@mx.example.test>", "QUIT"]);
    expect(replies(t.out)[2]).toBe("250 2.1.5 Ok");
    expect(warnings(t)).toEqual(["warning: restriction `reject_unauthenticated_sender_login_mismatch' ignored: no SASL support"]);
    const a = await talk(["smtpd_sender_restrictions = check_sasl_access inline:{ { alice = REJECT account suspended } }"], [
      "EHLO c", "MAIL FROM:<x@example.test>", "RCPT TO:<r@mx.example.test>", "RSET", `AUTH PLAIN ${ALICE}`, "MAIL FROM:<x@example.test>", "RCPT TO:<r@mx.example.test>", "QUIT",
    ]);
    expect([replies(a.out)[2], replies(a.out)[6]]).toEqual(["250 2.1.5 Ok", "554 5.7.1 <alice>: SASL login name rejected: account suspended"]);
  });
});

describe("the policy service", () => {
  let srv: Server;
  let path: string;
  const requests: string[] = [];
  const socks = new Set<import("node:net").Socket>();
  beforeAll(async () => {
    path = join(dir, "policy");
    srv = createServer((sock) => {
      socks.add(sock);
      let buf = "";
      sock.on("data", (d) => {
        buf += d.toString();
        while (buf.includes("\n\n")) {
          const i = buf.indexOf("\n\n");
          requests.push(buf.slice(0, i));
          buf = buf.slice(i + 2);
          sock.write("action=DUNNO\n\n");
        }
      });
    });
    await new Promise<void>((r) => srv.listen(path, () => r()));
  });
  afterAll(() => {
    for (const s of socks) s.destroy();
    return new Promise<void>((r) => srv.close(() => r()));
  });

  test("gets sasl_method, sasl_username and sasl_sender", async () => {
    await talk([`smtpd_recipient_restrictions = check_policy_service unix:${path}`], ["EHLO c", `AUTH PLAIN ${ALICE}`, "MAIL FROM:<a@example.test> AUTH=a@example.test", "RCPT TO:<r@remote.test>", "QUIT"]);
    expect(requests.at(-1)).toContain("\nsasl_method=PLAIN\nsasl_username=alice\nsasl_sender=a@example.test\n");
  });
});

describe("start-up", () => {
  async function create(lines: string[]): Promise<unknown> {
    const d = mkdtempSync(join(dir, "cf-"));
    writeFileSync(join(d, "main.cf"), `queue_directory = ${dir}\nmaillog_file =\n${lines.join("\n")}\n`);
    try {
      return await SmtpdSasl.create(loadConfig({ configDir: d, warn: false }));
    } catch (e) {
      return e;
    }
  }

  test("only dovecot; the response limit's minimum; unknown security options", async () => {
    const out: string[] = [];
    setMsgSink({ write: (level, text) => out.push(`${level}: ${text}`), close() {} });
    expect(await create(["smtpd_sasl_auth_enable = yes"])).toEqual(new FatalError("SASL per-process initialization failed"));
    expect(out).toEqual(["warning: unsupported SASL server implementation: cyrus"]);
    expect(await create(["smtpd_sasl_response_limit = 10"])).toEqual(new ConfigError("invalid smtpd_sasl_response_limit parameter value 10 < 12288"));
    expect(await create(["smtpd_sasl_auth_enable = yes", "smtpd_sasl_type = dovecot", "smtpd_sasl_tls_security_options = noanonymous, nosuch"])).toEqual(
      new ConfigError('unknown xsasl_dovecot_server_create value "nosuch" in "noanonymous, nosuch"'),
    );
    expect(await create(["smtpd_sasl_type = dovecot"])).toBeUndefined();
  });

  test("commentSanitize() as Postfix's comment_sanitize()", () => {
    expect(commentSanitize("alice")).toBe("alice");
    expect(commentSanitize("a)b(c")).toBe("a?b(c)");
    expect(commentSanitize("x\\y\u00e9")).toBe("x?y?");
  });
});
