/**
 * The Dovecot auth protocol client against the fake server of _test_dovecot_auth.ts (and, when Dovecot is
 * installed and the test runs as root, against a real dovecot auth process): handshake and its failures, the
 * request lines, PLAIN/LOGIN, failures, lost connections, time limits, concurrent sessions on one connection, and
 * the security options.
 */
import { test, expect, afterEach } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { ConfigError } from "../config/main_cf.ts";
import { DovecotAuth, DovecotSaslServer, parseSaslSecurityOptions, isValidBase64, SEC } from "./dovecot_auth.ts";
import { startTestDovecotAuth, type TestDovecotAuth } from "./_test_dovecot_auth.ts";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
setMsgStderr(false);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  setMsgSink(undefined);
});

function logs(): string[] {
  const out: string[] = [];
  setMsgSink({ write: (level, text) => out.push(level === "info" ? text : `${level}: ${text}`), close() {} });
  return out;
}

async function fake(opts: Parameters<typeof startTestDovecotAuth>[0] = {}): Promise<TestDovecotAuth> {
  const f = await startTestDovecotAuth({ users: { alice: "secret" }, ...opts });
  cleanups.push(() => f.close());
  return f;
}

function client(path: string, timeoutMs?: number): DovecotAuth {
  const a = new DovecotAuth(path, "/nonexistent", timeoutMs);
  cleanups.push(() => a.close());
  return a;
}

function session(auth: DovecotAuth, opts: { tls?: boolean; sec?: string; client?: string } = {}): DovecotSaslServer {
  return new DovecotSaslServer(auth, { service: "smtp", clientAddr: opts.client ?? "192.0.2.7", serverAddr: "192.0.2.1", tls: opts.tls ?? false, secProps: parseSaslSecurityOptions(opts.sec ?? "noanonymous") });
}

test("handshake: VERSION and CPID sent, the mechanisms offered; AUTH lines carry service, nologin, lip, rip, secured, resp", async () => {
  const f = await fake();
  const auth = client(f.path);
  const s = session(auth, { tls: true });
  expect(await s.mechanismList()).toBe("PLAIN LOGIN");
  expect(await s.first("PLAIN", b64("\0alice\0secret"))).toBe("done");
  expect(s.username).toBe("alice");
  const s2 = session(auth);
  await s2.mechanismList();
  expect(await s2.first("login", undefined)).toBe("more");
  expect(f.lines).toEqual([
    "VERSION\t1\t0",
    `CPID\t${process.pid}`,
    `AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=192.0.2.1\trip=192.0.2.7\tsecured\tresp=${b64("\0alice\0secret")}`,
    "AUTH\t2\tlogin\tservice=smtp\tnologin\tlip=192.0.2.1\trip=192.0.2.7",
  ]);
  expect(f.connections).toBe(1); // one connection for the process
});

test("PLAIN without an initial response gets an empty challenge; LOGIN asks for Username: and Password:", async () => {
  const f = await fake();
  const auth = client(f.path);
  const s = session(auth);
  await s.mechanismList();
  expect(await s.first("PLAIN", undefined)).toBe("more");
  expect(s.reply).toBe("");
  expect(await s.next(b64("\0alice\0secret"))).toBe("done");
  const l = session(auth);
  await l.mechanismList();
  expect(await l.first("LOGIN", undefined)).toBe("more");
  expect(l.reply).toBe("VXNlcm5hbWU6");
  expect(await l.next(b64("alice"))).toBe("more");
  expect(l.reply).toBe("UGFzc3dvcmQ6");
  expect(await l.next(b64("wrong"))).toBe("fail");
  expect([l.username, l.reply]).toEqual(["alice", ""]);
});

test("failures: the server's reason, Postfix's own texts for a bad mechanism and bad base64", async () => {
  const f = await fake({ failReason: "Password mismatch" });
  const auth = client(f.path);
  const s = session(auth);
  await s.mechanismList();
  expect(await s.first("PLAIN", b64("\0alice\0nope"))).toBe("fail");
  expect(s.reply).toBe("Password mismatch");
  expect(await s.first("CRAM-MD5", undefined)).toBe("fail");
  expect(s.reply).toBe("Invalid authentication mechanism");
  expect(await s.first("PLAIN", "!!!")).toBe("fail");
  expect(s.reply).toBe("Invalid base64 data in initial response");
  expect(await s.first("PLAIN", undefined)).toBe("more");
  expect(await s.next("not base64!")).toBe("fail");
  expect(s.reply).toBe("Invalid base64 data in continued response");
  expect(f.lines.filter((l) => l.startsWith("AUTH")).length).toBe(2); // the local refusals never reach the server
});

test("a temporary failure of the server is a failure (Postfix does not tell them apart)", async () => {
  const f = await fake({ tempFail: ["alice"] });
  const s = session(client(f.path));
  await s.mechanismList();
  expect(await s.first("PLAIN", b64("\0alice\0secret"))).toBe("fail");
  expect(s.reply).toBe("Temporary authentication failure.");
});

test("connect failures and broken handshakes are logged as Postfix logs them; no mechanisms then", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dovecot-none-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const out = logs();
  const rel = new DovecotAuth("private/auth", dir);
  cleanups.push(() => rel.close());
  expect(await session(rel).mechanismList()).toBeUndefined();
  expect(out).toEqual(["warning: SASL: Connect to Dovecot auth socket 'private/auth' failed: No such file or directory"]);
  out.length = 0;
  for (const [hs, want] of [
    ["version2", ["warning: SASL: Protocol version mismatch (2 vs. 1)"]],
    ["badversion", ["warning: SASL: Protocol version error"]],
    ["master", ["warning: SASL: Connected to wrong auth socket (auth-master instead of auth-client)"]],
    ["eof", []],
  ] as const) {
    const f = await fake({ handshake: hs });
    expect(await session(client(f.path)).mechanismList()).toBeUndefined();
    expect(out).toEqual([...want]);
    out.length = 0;
  }
  const silent = await fake({ handshake: "silent" });
  const t0 = Date.now();
  expect(await session(client(silent.path, 300)).mechanismList()).toBeUndefined();
  expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  expect(out).toEqual([]);
});

test("a lost connection: the waiting request fails temporarily, the next one reconnects", async () => {
  const f = await fake({ behave: (user) => (user === "crash" ? "drop" : undefined) });
  const auth = client(f.path);
  const s = session(auth);
  await s.mechanismList();
  expect(await s.first("PLAIN", b64("\0crash\0x"))).toBe("temp");
  expect(s.reply).toBe("Connection lost to authentication server");
  expect(await s.first("PLAIN", b64("\0alice\0secret"))).toBe("done");
  expect(f.connections).toBe(2);
  // the server restarted while idle: the next session connects anew
  f.dropAll();
  await Bun.sleep(50);
  const s2 = session(auth);
  expect(await s2.mechanismList()).toBe("PLAIN LOGIN");
  expect(await s2.first("PLAIN", b64("\0alice\0secret"))).toBe("done");
  expect(f.connections).toBe(3);
});

test("a server that does not answer: the request times out as lost", async () => {
  const f = await fake({ behave: (user) => (user === "slow" ? "silent" : undefined) });
  const s = session(client(f.path, 200));
  await s.mechanismList();
  expect(await s.first("PLAIN", b64("\0slow\0x"))).toBe("temp");
  expect(s.reply).toBe("Connection lost to authentication server");
});

test("concurrent sessions share the connection; each gets its own answer", async () => {
  const f = await fake({ users: { alice: "a", bob: "b" }, failDelayMs: 50 });
  const auth = client(f.path);
  const ss = [session(auth), session(auth), session(auth)];
  for (const s of ss) await s.mechanismList();
  const r = await Promise.all([ss[0]!.first("PLAIN", b64("\0alice\0bad")), ss[1]!.first("PLAIN", b64("\0bob\0b")), ss[2]!.first("PLAIN", b64("\0alice\0a"))]);
  expect(r).toEqual(["fail", "done", "done"]);
  expect(ss.map((s) => s.username)).toEqual(["alice", "bob", "alice"]);
  expect(f.connections).toBe(1);
});

test("replies without a user or a challenge, and replies to other requests", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dovecot-odd-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "s");
  const srv = createServer((sock) => {
    sock.write("VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tX-SECRET\tprivate\nDONE\n");
    sock.on("data", (d) => {
      const id = d.toString().split("\t")[1];
      const user = Buffer.from(d.toString().trim().split("resp=")[1] ?? "", "base64").toString().split("\0")[1];
      if (user === "nouser") sock.write(`OK\t999\tuser=other\nBOGUS\nOK\nOK\t${id}\n`);
      else sock.write(`CONT\t${id}\n`);
    });
  });
  await new Promise<void>((r) => srv.listen(path, () => r()));
  cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
  const out = logs();
  const auth = client(path);
  const s = session(auth);
  expect(await s.mechanismList()).toBe("PLAIN"); // private mechanisms are never offered
  expect(await s.first("PLAIN", b64("\0nouser\0x"))).toBe("fail");
  expect(s.reply).toBe("Authentication backend error");
  expect(await s.first("PLAIN", b64("\0other\0x"))).toBe("fail");
  expect(s.reply).toBe("Authentication backend error");
  expect(out).toEqual(["warning: SASL: Protocol error", "warning: missing Dovecot server OK username field", "warning: missing Dovecot server CONT reply field"]);
  auth.close();
});

test("security options: noplaintext, noanonymous, nodictionary, noactive, forward_secrecy, mutual_auth", async () => {
  const f = await fake({
    mechanisms: [
      { name: "PLAIN", props: ["plaintext"] },
      { name: "ANONYMOUS", props: ["anonymous"] },
      { name: "CRAM-MD5", props: ["dictionary", "active"] },
      { name: "GSSAPI", props: ["mutual-auth", "forward-secrecy"] },
    ],
  });
  const auth = client(f.path);
  const list = async (sec: string) => session(auth, { sec }).mechanismList();
  expect(await list("")).toBe("PLAIN ANONYMOUS CRAM-MD5 GSSAPI");
  expect(await list("noanonymous")).toBe("PLAIN CRAM-MD5 GSSAPI");
  expect(await list("noanonymous, noplaintext")).toBe("CRAM-MD5 GSSAPI");
  expect(await list("nodictionary")).toBe("PLAIN ANONYMOUS GSSAPI");
  expect(await list("noactive noplaintext")).toBe("ANONYMOUS GSSAPI");
  expect(await list("mutual_auth")).toBe("GSSAPI");
  expect(await list("noplaintext noanonymous nodictionary forward_secrecy")).toBe("GSSAPI");
  const plainOnly = await fake({ mechanisms: [{ name: "PLAIN", props: ["plaintext"] }] });
  expect(await session(client(plainOnly.path), { sec: "noplaintext" }).mechanismList()).toBeUndefined();
  expect(parseSaslSecurityOptions("NoPlainText")).toBe(SEC.NOPLAINTEXT);
  expect(() => parseSaslSecurityOptions("noanonymous, bogus")).toThrow(new ConfigError('unknown xsasl_dovecot_server_create value "bogus" in "noanonymous, bogus"'));
});

test("isValidBase64() is Postfix's is_valid_base64()", () => {
  expect(isValidBase64("AGFsaWNl+/=")).toBe(true);
  expect(isValidBase64("")).toBe(true);
  expect(isValidBase64("a b")).toBe(false);
  expect(isValidBase64("*")).toBe(false);
});

const DOVECOT = "/usr/sbin/dovecot";
/** The real-Dovecot check is extra (the fake server above speaks the same protocol): say why it does not run. */
const realDovecot = (() => {
  if (!existsSync(DOVECOT)) console.warn(`skip: the real Dovecot check: ${DOVECOT} is not installed (apt-get install dovecot-core)`);
  else if (process.getuid?.() !== 0) console.warn("skip: the real Dovecot check needs root (dovecot drops privileges)");
  else return true;
  return false;
})();
test.skipIf(!realDovecot)("against a real dovecot auth process (when installed)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dovecot-real-"));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, "users"), "alice:{PLAIN}secret\n");
  const conf = join(dir, "dovecot.conf");
  writeFileSync(
    conf,
    `protocols =\nbase_dir = ${dir}/run\nstate_dir = ${dir}/state\nlog_path = ${dir}/dovecot.log\nssl = no\nauth_mechanisms = plain login cram-md5\n` +
      `disable_plaintext_auth = no\nauth_failure_delay = 0\npassdb {\n  driver = passwd-file\n  args = scheme=PLAIN ${dir}/users\n}\n` +
      `userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=/tmp\n}\nservice auth {\n  unix_listener ${dir}/auth-client {\n    mode = 0666\n  }\n}\n` +
      `default_login_user = nobody\ndefault_internal_user = nobody\n`,
  );
  const p = Bun.spawn([DOVECOT, "-F", "-c", conf], { stdout: "ignore", stderr: "ignore" });
  cleanups.push(async () => {
    p.kill();
    await p.exited;
    rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 100 && !existsSync(join(dir, "auth-client")); i++) await Bun.sleep(50);
  const auth = client(join(dir, "auth-client"));
  const s = session(auth, { client: "127.0.0.1" });
  expect(await s.mechanismList()).toBe("PLAIN LOGIN CRAM-MD5");
  expect(await s.first("plain", b64("\0alice\0secret"))).toBe("done");
  expect(s.username).toBe("alice");
  expect(await s.first("LOGIN", undefined)).toBe("more");
  expect(s.reply).toBe("VXNlcm5hbWU6");
  expect(await s.next(b64("alice"))).toBe("more");
  expect(await s.next(b64("secret"))).toBe("done");
  expect(await s.first("PLAIN", undefined)).toBe("more");
  expect(s.reply).toBe("");
  expect(await s.next(b64("\0alice\0wrong"))).toBe("fail"); // after Dovecot's failure delay
  expect([s.username, s.reply]).toEqual(["alice", ""]);
});
