/**
 * Client certificates in the restriction evaluator: permit_tls_clientcerts (relay_clientcerts by certificate or
 * public-key fingerprint, verified or not), permit_tls_all_clientcerts (any verified certificate) and
 * check_ccert_access (certificate fingerprint first, then public-key fingerprint), with Postfix's replies,
 * warnings and log lines.
 */
import { test, expect, beforeAll, afterAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { Restrictions, type CheckSession } from "./restrictions.ts";
import type { SmtpdResolver } from "./smtpd_dns.ts";
import type { PeerCert } from "./ccert.ts";

let dir: string;
const logLines: string[] = [];
const noDns: SmtpdResolver = { query: async () => ({ status: "notfound", records: [] }) };
const CERT = "AA:BB:CC";
const PKEY = "11:22:33";

beforeAll(() => {
  setMsgStderr(false);
  setMsgSink({ write: (level, text) => void logLines.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
  dir = mkdtempSync(join(tmpdir(), "smtpd-ccert-restr-"));
});
afterAll(() => {
  setMsgSink(undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function make(mainCf: string): Promise<Restrictions> {
  writeFileSync(join(dir, "main.cf"), `compatibility_level = 3.6\nqueue_directory = ${dir}/q\nmyhostname = mx.example.test\nmaillog_file =\nalias_maps =\nlocal_recipient_maps =\nsmtpd_tls_ask_ccert = yes\n${mainCf}\n`);
  return Restrictions.create(loadConfig({ configDir: dir, warn: false }), noDns);
}

function session(peer?: Partial<PeerCert>, tls = true, digestCompat = false): CheckSession {
  const p: PeerCert | undefined = peer && { cn: "client.example.test", issuerCn: "Test CA", certFprint: CERT, pkeyFprint: PKEY, trusted: false, ...peer };
  return {
    name: "unknown", reverseName: "unknown", addr: "192.0.2.9", port: "1234", namaddr: "unknown[192.0.2.9]", nameStatus: "perm", reverseNameStatus: "perm",
    heloName: "client.test", sender: "s@example.test", protocol: "ESMTP", where: "RCPT", rcptCount: 0, smtputf8: false,
    illPipelining: false, service: "smtp", msgSize: 0, instance: "", saved: { bcc: [], prepend: [] }, discard: false,
    deferIfPermitClient: false, deferIfPermitHelo: false, deferIfPermitSender: false,
    ...(tls ? { tls: { protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", bits: 256, ...(p ? { peer: p } : {}), digestCompat } } : {}),
  };
}

const DENIED = "554 5.7.1 <x@elsewhere.test>: Relay access denied";

test("permit_tls_clientcerts: the certificate fingerprint or the public-key fingerprint, verified or not", async () => {
  writeFileSync(join(dir, "relay_cc"), `${CERT} cert-listed\n`);
  writeFileSync(join(dir, "relay_pk"), `${PKEY} pkey-listed\n`);
  for (const file of ["relay_cc", "relay_pk"]) {
    const r = await make(`relay_clientcerts = texthash:${join(dir, file)}\nsmtpd_relay_restrictions = permit_tls_clientcerts, reject_unauth_destination\nsmtpd_log_access_permit_actions = permit_tls_clientcerts`);
    logLines.length = 0;
    expect(await r.checkRcpt(session({}), "x@elsewhere.test")).toBeUndefined();
    expect(logLines).toEqual(["NOQUEUE: permit: RCPT from unknown[192.0.2.9]: action=permit_tls_clientcerts for Client host=unknown[192.0.2.9]; from=<s@example.test> to=<x@elsewhere.test> proto=ESMTP helo=<client.test>"]);
    expect(await r.checkRcpt(session({ certFprint: "00:00", pkeyFprint: "00:01", trusted: true }), "x@elsewhere.test")).toBe(DENIED);
    expect(await r.checkRcpt(session(), "x@elsewhere.test")).toBe(DENIED);
    expect(await r.checkRcpt(session(undefined, false), "x@elsewhere.test")).toBe(DENIED);
  }
});

test("permit_tls_all_clientcerts: any verified certificate, and a listed one when not verified", async () => {
  const r = await make(`relay_clientcerts = inline:{ ${CERT}=x }\nsmtpd_relay_restrictions = permit_tls_all_clientcerts, reject_unauth_destination`);
  expect(await r.checkRcpt(session({ certFprint: "00:00", pkeyFprint: "00:01", trusted: true }), "x@elsewhere.test")).toBeUndefined();
  expect(await r.checkRcpt(session({ trusted: false }), "x@elsewhere.test")).toBeUndefined();
  expect(await r.checkRcpt(session({ certFprint: "00:00", pkeyFprint: "00:01", trusted: false }), "x@elsewhere.test")).toBe(DENIED);
});

test("without smtpd_tls_ask_ccert the certificate words warn when there is no certificate", async () => {
  const r = await make(`smtpd_tls_ask_ccert = no\nsmtpd_relay_restrictions = permit_tls_clientcerts, permit_tls_all_clientcerts, check_ccert_access inline:{ x=OK }, reject_unauth_destination`);
  logLines.length = 0;
  expect(await r.checkRcpt(session(), "x@elsewhere.test")).toBe(DENIED);
  expect(logLines.slice(0, 3)).toEqual([
    'warning: permit_tls_clientcerts is requested, but "smtpd_tls_ask_ccert = no"',
    'warning: permit_tls_all_clientcerts is requested, but "smtpd_tls_ask_ccert = no"',
    'warning: check_ccert_access is requested, but "smtpd_tls_ask_ccert = no"',
  ]);
});

test("check_ccert_access: the certificate fingerprint first, then the public key; a rejection names the CN", async () => {
  const r = await make(`smtpd_relay_restrictions = check_ccert_access inline:{ { ${CERT} = REJECT go away }, { ${PKEY} = OK } }, reject_unauth_destination`);
  logLines.length = 0;
  expect(await r.checkRcpt(session({}), "x@elsewhere.test")).toBe("554 5.7.1 <client.example.test>: Client certificate rejected: go away");
  expect(logLines).toEqual(["NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 5.7.1 <client.example.test>: Client certificate rejected: go away; from=<s@example.test> to=<x@elsewhere.test> proto=ESMTP helo=<client.test>"]);
  expect(await r.checkRcpt(session({ certFprint: "00:00" }), "x@elsewhere.test")).toBeUndefined();
  expect(await r.checkRcpt(session({ certFprint: "00:00", pkeyFprint: "00:01" }), "x@elsewhere.test")).toBe(DENIED);
  expect(await r.checkRcpt(session(), "x@elsewhere.test")).toBe(DENIED);
});

test("the md5 default of compatibility_level < 3.6 is logged when a fingerprint is used", async () => {
  const r = await make(`relay_clientcerts = inline:{ ${CERT}=x }\nsmtpd_relay_restrictions = permit_tls_clientcerts, reject_unauth_destination`);
  logLines.length = 0;
  expect(await r.checkRcpt(session({}, true, true), "x@elsewhere.test")).toBeUndefined();
  expect(logLines).toEqual(["using backwards-compatible default setting smtpd_tls_fingerprint_digest=md5 to compute certificate fingerprints"]);
});
