/**
 * The SMTP side of SASL: settings, the EHLO AUTH lines and smtp_sasl_mechanism_filter, the password lookup keys
 * and their order, and the AUTH dialog against a scripted server (reply texts as Debian's Postfix 3.7.11 gives
 * them; the sessions against a real test server are in smtp_client_test.ts).
 */
import { test, expect, describe, beforeAll, afterAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { ConfigError } from "../config/main_cf.ts";
import { MapError } from "../maps/index.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { ReplyAssembler, type SmtpReply } from "./reply.ts";
import {
  addAuthLine,
  compileMechanismFilter,
  lookupSaslPassword,
  openSaslTables,
  readSaslSettings,
  saslAuthenticate,
  saslPasswordKeys,
  splitCredentials,
  type SaslConnection,
  type SaslDialog,
  type SaslSettings,
} from "./sasl_auth.ts";
import { SASL_SEC } from "./sasl_mechanisms.ts";

let dir: string;
const log: string[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "postkit-sasl-"));
  setMsgStderr(false);
  setMsgSink({ write: (level, text) => log.push(`${level}: ${text}`), close() {} });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function settings(...overrides: string[]): SaslSettings {
  return readSaslSettings(loadConfig({ skipMainCf: true, warn: false, overrides: ["myorigin = example.test", "mydestination = $myorigin, localhost", ...overrides] }), "smtp");
}

function logSince(n: number): string[] {
  return log.slice(n);
}

describe("readSaslSettings()", () => {
  test("off by default; the security options are Postfix's defaults", () => {
    const s = settings();
    expect(s.enable).toBe(false);
    expect(s.securityFlags).toBe(SASL_SEC.NOPLAINTEXT | SASL_SEC.NOANONYMOUS);
    expect(s.tlsSecurityFlags).toBe(s.securityFlags);
    expect(s.tlsVerifiedSecurityFlags).toBe(s.securityFlags);
    expect(s.authSoftBounce).toBe(true);
  });
  const fatal: { label: string; o: string[]; message: string; warnings: string[] }[] = [
    { label: "no password table", o: [], message: "specify a password table via the `smtp_sasl_password_maps' configuration parameter", warnings: [] },
    { label: "another SASL type", o: ["smtp_sasl_password_maps = inline:{a=b}", "smtp_sasl_type = dovecot"], message: "SASL library initialization", warnings: ["warning: unsupported SASL client implementation: dovecot"] },
    {
      label: "an unknown security option",
      o: ["smtp_sasl_password_maps = inline:{a=b}", "smtp_sasl_tls_security_options = noanonymous, bogus"],
      message: "SASL per-connection initialization failed",
      warnings: ['warning: unknown SASL security options value "bogus" in "noanonymous, bogus"', "warning: bad per-session SASL security properties"],
    },
  ];
  for (const c of fatal) {
    test(`enabled, ${c.label}: ConfigError and Postfix's warnings`, () => {
      const n = log.length;
      let err: unknown;
      try {
        settings("smtp_sasl_auth_enable = yes", ...c.o);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toBe(c.message);
      expect(logSince(n)).toEqual(c.warnings);
    });
  }
  test("lmtp reads the lmtp_ twins", () => {
    const s = readSaslSettings(loadConfig({ skipMainCf: true, overrides: ["lmtp_sasl_auth_enable = yes", "lmtp_sasl_password_maps = inline:{a=b}", "lmtp_sasl_security_options ="] }), "lmtp");
    expect([s.enable, s.passwordMapsName, s.securityFlags]).toEqual([true, "lmtp_sasl_password_maps", 0]);
  });
});

test("splitCredentials(): at the first colon; no colon means an empty password", () => {
  expect(splitCredentials("user@isp:se:cret")).toEqual({ username: "user@isp", password: "se:cret" });
  expect(splitCredentials("nopass")).toEqual({ username: "nopass", password: "" });
  expect(splitCredentials(":")).toEqual({ username: "", password: "" });
});

describe("lookupSaslPassword()", () => {
  test("saslPasswordKeys(): the server's name, then the destination as written, nothing else", () => {
    expect(saslPasswordKeys("smtp.isp.example", "[smtp.isp.example]:587")).toEqual(["smtp.isp.example", "[smtp.isp.example]:587"]);
  });
  const table = () => {
    const path = join(dir, "sasl_passwd");
    writeFileSync(path, "smtp.isp.example host:h\n[smtp.isp.example]:587 dest:d\n[other.example] bracket:b\nalice@example.test alice:a\n@example.org org:o\nbob bob:b\n");
    return `texthash:${path}`;
  };
  const cases: { label: string; o?: string[]; q: { sender: string; host: string; dest: string; smtpMode?: boolean }; want: string | undefined }[] = [
    { label: "the host name before the destination", q: { sender: "", host: "smtp.isp.example", dest: "[smtp.isp.example]:587" }, want: "host" },
    { label: "the destination with brackets and port", q: { sender: "", host: "mx.isp.example", dest: "[smtp.isp.example]:587" }, want: "dest" },
    { label: "no variant without the port", q: { sender: "", host: "other.example", dest: "[other.example]:587" }, want: undefined },
    { label: "the sender is not a key by default", q: { sender: "alice@example.test", host: "x", dest: "y" }, want: undefined },
    { label: "sender-dependent: the sender first", o: ["smtp_sender_dependent_authentication = yes"], q: { sender: "alice@example.test", host: "smtp.isp.example", dest: "y" }, want: "alice" },
    { label: "sender-dependent: @domain", o: ["smtp_sender_dependent_authentication = yes"], q: { sender: "carol@example.org", host: "x", dest: "y" }, want: "org" },
    { label: "sender-dependent: the local part of a local domain", o: ["smtp_sender_dependent_authentication = yes"], q: { sender: "bob@localhost", host: "x", dest: "y" }, want: "bob" },
    { label: "sender-dependent: not the local part of a remote domain", o: ["smtp_sender_dependent_authentication = yes"], q: { sender: "bob@remote.example", host: "x", dest: "y" }, want: undefined },
    { label: "sender-dependent: then the host", o: ["smtp_sender_dependent_authentication = yes"], q: { sender: "dave@example.net", host: "smtp.isp.example", dest: "y" }, want: "host" },
    { label: "sender-dependent: not for the null sender", o: ["smtp_sender_dependent_authentication = yes"], q: { sender: "", host: "x", dest: "[smtp.isp.example]:587" }, want: "dest" },
    { label: "sender-dependent: not in LMTP", o: ["smtp_sender_dependent_authentication = yes"], q: { sender: "alice@example.test", host: "x", dest: "y", smtpMode: false }, want: undefined },
    { label: "keys without case", q: { sender: "", host: "SMTP.ISP.Example", dest: "y" }, want: "host" },
  ];
  for (const c of cases) {
    test(c.label, async () => {
      const s = settings(`smtp_sasl_password_maps = ${table()}`, ...(c.o ?? []));
      const t = await openSaslTables(s, c.q.smtpMode ?? true);
      expect(lookupSaslPassword(s, t, { smtpMode: true, ...c.q })?.username).toBe(c.want);
    });
  }
  test("a table that cannot be opened fails the lookup with Postfix's warnings", async () => {
    const s = settings(`smtp_sasl_password_maps = hash:${join(dir, "missing")}`);
    const n = log.length;
    const t = await openSaslTables(s, true);
    expect(() => lookupSaslPassword(s, t, { sender: "", host: "127.0.0.1", dest: "[127.0.0.1]:25", smtpMode: true })).toThrow(MapError);
    expect(logSince(n)).toEqual([
      `error: open database ${join(dir, "missing")}.db: No such file or directory`,
      `warning: hash:${join(dir, "missing")} is unavailable. open database ${join(dir, "missing")}.db: No such file or directory`,
      `warning: hash:${join(dir, "missing")} lookup error for "127.0.0.1"`,
    ]);
  });
});

describe("EHLO AUTH lines and smtp_sasl_mechanism_filter", () => {
  test("compileMechanismFilter(): names without case, !negation, tables, files", async () => {
    writeFileSync(join(dir, "mechs"), "# allowed\nlogin\n");
    const f = (await compileMechanismFilter(`!cram-md5, plain, inline:{xoauth2=yes}, ${join(dir, "mechs")}`, "smtp_sasl_mechanism_filter"))!;
    expect(["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "GSSAPI"].map((m) => f.matches(m))).toEqual([true, true, false, true, false]);
    expect(await compileMechanismFilter("", "smtp_sasl_mechanism_filter")).toBeUndefined();
  });
  test("addAuthLine(): the first list; a second, different one is added; the same one is not", async () => {
    expect(addAuthLine(undefined, "PLAIN LOGIN", undefined, "h[a]:25", 2048)).toEqual({ list: "PLAIN LOGIN" });
    expect(addAuthLine("PLAIN LOGIN", "plain login", undefined, "h[a]:25", 2048)).toEqual({ list: "PLAIN LOGIN" });
    expect(addAuthLine("PLAIN", "CRAM-MD5", undefined, "h[a]:25", 2048)).toEqual({ list: "PLAIN CRAM-MD5" });
    expect(addAuthLine("PLAIN", "CRAM-MD5", undefined, "h[a]:25", 5)).toEqual({ list: "PLAIN" });
  });
  test("addAuthLine(): a filter that leaves nothing, and an empty list, are logged as Postfix does", async () => {
    const f = await compileMechanismFilter("xoauth2", "smtp_sasl_mechanism_filter");
    expect(addAuthLine(undefined, "PLAIN LOGIN CRAM-MD5", f, "127.0.0.1[127.0.0.1]:25", 2048)).toEqual({
      list: undefined,
      warning: "127.0.0.1[127.0.0.1]:25 offered no supported AUTH mechanisms: 'PLAIN LOGIN CRAM-MD5'",
    });
    expect(addAuthLine(undefined, "", undefined, "127.0.0.1[127.0.0.1]:25", 2048)).toEqual({ list: undefined, warning: "127.0.0.1[127.0.0.1]:25 offered null AUTH mechanism list" });
  });
});

/** A server that answers each command with the next scripted reply and records what it was sent. */
function scripted(replies: string[]): SaslConnection & { sent: string[] } {
  const sent: string[] = [];
  const queue = [...replies];
  return {
    sent,
    async write(text: string) {
      sent.push(text.replace(/\r\n$/, ""));
    },
    async readReply(): Promise<SmtpReply> {
      const a = new ReplyAssembler();
      let r: SmtpReply | undefined;
      for (const line of (queue.shift() ?? "421 4.4.2 no more").split("\r\n")) r = a.push(line) ?? r;
      return r!;
    },
  };
}

function dialog(d: Partial<SaslDialog> = {}): SaslDialog {
  return {
    namaddr: "smtp.isp.example[192.0.2.1]", mechanisms: "PLAIN LOGIN", credentials: { username: "user@isp", password: "se:cret" },
    securityFlags: SASL_SEC.NOANONYMOUS, sendAuthzid: false, authSoftBounce: true, timeoutMs: 1000, ...d,
  };
}

describe("saslAuthenticate()", () => {
  test("PLAIN with its initial response on the AUTH line", async () => {
    const c = scripted(["235 2.7.0 Authentication successful"]);
    expect(await saslAuthenticate(c, dialog())).toEqual({ ok: true, mechanism: "PLAIN" });
    expect(c.sent).toEqual(["AUTH PLAIN AHVzZXJAaXNwAHNlOmNyZXQ="]);
  });
  test("LOGIN: one response per 334", async () => {
    const c = scripted(["334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "235 2.7.0 Authentication successful"]);
    expect(await saslAuthenticate(c, dialog({ mechanisms: "LOGIN" }))).toEqual({ ok: true, mechanism: "LOGIN" });
    expect(c.sent).toEqual(["AUTH LOGIN", "dXNlckBpc3A=", "c2U6Y3JldA=="]);
  });
  test("a response that would make AUTH longer than 512 octets waits for an empty 334", async () => {
    const c = scripted(["334 ", "235 2.7.0 Authentication successful"]);
    expect((await saslAuthenticate(c, dialog({ credentials: { username: "u".repeat(300), password: "p".repeat(200) } }))).ok).toBe(true);
    expect(c.sent[0]).toBe("AUTH PLAIN");
    expect(Buffer.from(c.sent[1]!, "base64").toString()).toBe(`\0${"u".repeat(300)}\0${"p".repeat(200)}`);
  });
  const failures: { label: string; d?: Partial<SaslDialog>; replies: string[]; dsn: string; reason: string }[] = [
    { label: "535: soft-bounced to 4.7.8", replies: ["535 5.7.8 Error: authentication failed: authentication failure"], dsn: "4.7.8", reason: "SASL authentication failed; server smtp.isp.example[192.0.2.1] said: 535 5.7.8 Error: authentication failed: authentication failure" },
    { label: "535 without smtp_sasl_auth_soft_bounce: 5.7.8", d: { authSoftBounce: false }, replies: ["535 5.7.8 Error: authentication failed"], dsn: "5.7.8", reason: "SASL authentication failed; server smtp.isp.example[192.0.2.1] said: 535 5.7.8 Error: authentication failed" },
    { label: "535 without an enhanced code: 4.0.0", replies: ["535 Authentication credentials invalid"], dsn: "4.0.0", reason: "SASL authentication failed; server smtp.isp.example[192.0.2.1] said: 535 Authentication credentials invalid" },
    { label: "a multi-line reply keeps its lines apart with ?", replies: ["535-5.7.8 Username and Password not accepted.\r\n535 5.7.8 Learn more"], dsn: "4.7.8", reason: "SASL authentication failed; server smtp.isp.example[192.0.2.1] said: 535-5.7.8 Username and Password not accepted.?535 5.7.8 Learn more" },
    { label: "454 stays 4.7.0", replies: ["454 4.7.0 Temporary authentication failure"], dsn: "4.7.0", reason: "SASL authentication failed; server smtp.isp.example[192.0.2.1] said: 454 4.7.0 Temporary authentication failure" },
    { label: "no usable mechanism", d: { mechanisms: "XOAUTH2" }, replies: [], dsn: "4.7.0", reason: "SASL authentication failed; cannot authenticate to server smtp.isp.example[192.0.2.1]: no mechanism available" },
    { label: "a challenge that is not base64", d: { mechanisms: "LOGIN" }, replies: ["334 !!!!"], dsn: "4.7.0", reason: "SASL authentication failed; cannot authenticate to server smtp.isp.example[192.0.2.1]: bad protocol / cancel" },
    {
      label: "a non-empty challenge where the deferred initial response should go (the server's text, not ours)",
      d: { credentials: { username: "u".repeat(300), password: "p".repeat(200) } }, replies: ["334 abcd"], dsn: "4.7.0",
      reason: "SASL authentication failed; non-empty initial PLAIN challenge from server smtp.isp.example[192.0.2.1]: abcd",
    },
    { label: "a challenge after the last step", d: { mechanisms: "LOGIN" }, replies: ["334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "334 VXNlcm5hbWU6"], dsn: "4.7.0", reason: "SASL authentication failed; cannot authenticate to server smtp.isp.example[192.0.2.1]: generic failure" },
  ];
  for (const c of failures) {
    test(c.label, async () => {
      const r = await saslAuthenticate(scripted(c.replies), dialog(c.d));
      expect(r).toEqual({ ok: false, dsn: c.dsn, reason: c.reason });
    });
  }
  test("Cyrus's warnings are logged", async () => {
    const n = log.length;
    await saslAuthenticate(scripted([]), dialog({ securityFlags: SASL_SEC.NOPLAINTEXT }));
    await saslAuthenticate(scripted(["334 abcd"]), dialog({ mechanisms: "PLAIN" }));
    expect(logSince(n)).toEqual(["warning: SASL authentication failure: No worthy mechs found", "warning: SASL authentication problem: attempting client step after doneflag"]);
  });
});
