/**
 * Tests for tls_client.ts: fingerprints as Postfix computes them (tls_fprint.c), checked against openssl(1) for a
 * certificate generated here, and the fingerprint level's match on a certificate or public-key digest.
 */
import { test, expect, describe, beforeAll } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { certFingerprint, encodeFingerprint, fingerprintMatches, pkeyFingerprint, tlsMustMatch, tlsRequired } from "./tls_client.ts";

function openssl(args: string[], input?: Buffer | string): Buffer {
  const r = spawnSync("openssl", args, { input });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

describe("fingerprints", () => {
  let pem = "";
  let der: Buffer;
  let spki: Buffer;
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), "postkit-fpt-"));
    openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=fpt.test", "-days", "1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")]);
    pem = readFileSync(join(dir, "cert.pem"), "utf8");
    const x = new X509Certificate(pem);
    der = x.raw;
    spki = x.publicKey.export({ type: "spki", format: "der" });
  });

  for (const digest of ["sha256", "sha1", "md5"]) {
    test(`certFingerprint() equals openssl x509 -fingerprint -${digest}`, () => {
      const out = openssl(["x509", "-noout", "-fingerprint", `-${digest}`], pem).toString().trim();
      expect(`${digest.toUpperCase()} Fingerprint=${certFingerprint(der, digest)}`.toLowerCase()).toBe(out.toLowerCase());
      expect(out.split("=")[1]).toBe(certFingerprint(der, digest));
    });
  }

  test("pkeyFingerprint() equals the digest of openssl's DER public key", () => {
    const pub = openssl(["x509", "-noout", "-pubkey"], pem);
    const pubDer = openssl(["pkey", "-pubin", "-outform", "DER"], pub);
    expect(pubDer.equals(spki)).toBe(true);
    const hex = openssl(["dgst", "-sha256", "-r"], pubDer).toString().split(" ")[0]!;
    expect(pkeyFingerprint(spki, "sha256")).toBe(hex.toUpperCase().match(/../g)!.join(":"));
  });

  test("encodeFingerprint() writes upper-case hex pairs joined by colons", () => {
    expect(encodeFingerprint(new Uint8Array([0x0a, 0xff, 0x00]))).toBe("0A:FF:00");
    expect(encodeFingerprint(new Uint8Array([]))).toBe("");
  });

  test("fingerprintMatches() by certificate digest, by public-key digest, or not at all", () => {
    const h = (data: Buffer, alg = "sha256") => Buffer.from(certFingerprint(data, alg).replace(/:/g, ""), "hex");
    const cert = { raw: der, pubkey: spki };
    expect(fingerprintMatches(cert, "sha256", [h(der)])).toBe(true);
    expect(fingerprintMatches(cert, "sha256", [Buffer.from("00", "hex"), h(spki)])).toBe(true);
    expect(fingerprintMatches(cert, "sha256", [h(der, "md5")])).toBe(false);
    expect(fingerprintMatches(cert, "md5", [h(der, "md5")])).toBe(true);
    expect(fingerprintMatches(cert, "sha256", [])).toBe(false);
  });
});

test("tlsRequired() and tlsMustMatch() include the fingerprint level", () => {
  expect(tlsRequired("fingerprint")).toBe(true);
  expect(tlsMustMatch("fingerprint")).toBe(true);
  expect(tlsMustMatch("encrypt")).toBe(false);
});
