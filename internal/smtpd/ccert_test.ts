/**
 * ccert: fingerprints and names of client certificates, against what openssl(1) computes.
 */
import { test, expect, beforeAll, afterAll } from "bun:test";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { setMsgStderr } from "../log/msg.ts";
import { ConfigError } from "../config/main_cf.ts";
import { ccertDigest, encodeDigest, loadClientCas, peerCert } from "./ccert.ts";
import { makeTestPki, opensslFingerprint, opensslPkeyFingerprint, type TestPki } from "./_test_certs.ts";

let dir: string;
let pki: TestPki;

beforeAll(() => {
  setMsgStderr(false);
  dir = mkdtempSync(join(tmpdir(), "smtpd-ccert-"));
  pki = makeTestPki(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("encodeDigest() writes upper-case hex pairs joined by colons", () => {
  expect(encodeDigest(new Uint8Array([0, 0x0a, 0xff]))).toBe("00:0A:FF");
});

test("ccertDigest() takes OpenSSL's digest names in any case and refuses unknown ones", () => {
  expect(ccertDigest("SHA256")).toBe("sha256");
  expect(ccertDigest(" md5 ")).toBe("md5");
  expect(() => ccertDigest("nosuch")).toThrow(ConfigError);
});

test("peerCert(): the fingerprints are openssl's (certificate and public key), the names are the CNs", () => {
  const x = new X509Certificate(readFileSync(pki.clientCert));
  for (const d of ["sha256", "md5", "sha1"]) {
    const p = peerCert(x, d, true);
    expect(p.certFprint).toBe(opensslFingerprint(pki.clientCert, d));
    expect(p.pkeyFprint).toBe(opensslPkeyFingerprint(pki.clientCert, d));
  }
  const p = peerCert(x, "sha256", false);
  expect(p).toMatchObject({ cn: "client.example.test", issuerCn: "Test CA", trusted: false });
  expect(p.certFprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
});

test("loadClientCas(): the certificates of the CAfile and of every file in the CApath; unreadable ones are skipped", () => {
  const cap = join(dir, "capath");
  mkdirSync(cap);
  copyFileSync(pki.caCert, join(cap, "a.pem"));
  copyFileSync(pki.selfCert, join(cap, "b.pem"));
  expect(loadClientCas(pki.caCert, "")).toHaveLength(1);
  expect(loadClientCas("", cap)).toHaveLength(2);
  expect(loadClientCas(join(dir, "missing.pem"), cap)).toHaveLength(2);
  expect(loadClientCas("", "")).toEqual([]);
});
