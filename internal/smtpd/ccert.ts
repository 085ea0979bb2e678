/**
 * ccert — the SMTP server's view of a TLS client certificate: its fingerprints, names and trust (Postfix's
 * tls_fprint.c, tls_verify.c and the client-certificate part of tls_server.c).
 *
 * A certificate fingerprint is the digest (smtpd_tls_fingerprint_digest) of the certificate's DER encoding; the
 * public-key fingerprint is the digest of its DER SubjectPublicKeyInfo. Both are written as upper-case hex pairs
 * joined by `:` (`54:A0:70:…`), the form relay_clientcerts and check_ccert_access tables hold.
 *
 * The subject name is the certificate's CommonName; the issuer name is the issuer's CommonName, else its
 * Organization, else empty. A certificate is trusted when it verifies against smtpd_tls_CAfile/smtpd_tls_CApath
 * and its chain is no deeper than smtpd_tls_ccert_verifydepth.
 *
 * Contract: pure functions; ccertDigest() throws ConfigError for a digest the TLS library lacks; loadClientCas()
 * skips (with a warning) a CA file or directory entry it cannot read.
 */
import { createHash, getHashes, type X509Certificate } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../config/main_cf.ts";
import { msgWarn } from "../log/msg.ts";

/** What the session knows of a client certificate. */
export interface PeerCert {
  /** Subject CommonName ("" when none). */
  cn: string;
  /** Issuer CommonName, else Organization ("" when neither). */
  issuerCn: string;
  certFprint: string;
  pkeyFprint: string;
  /** Verified against the configured CAs (Postfix's TLS_CERT_IS_TRUSTED). */
  trusted: boolean;
}

/** Upper-case hex pairs joined by `:` (Postfix's tls_digest_encode()). */
export function encodeDigest(md: Uint8Array): string {
  return Array.from(md, (b) => b.toString(16).toUpperCase().padStart(2, "0")).join(":");
}

/** smtpd_tls_fingerprint_digest as a node:crypto hash name (lower case); ConfigError when unknown. */
export function ccertDigest(value: string): string {
  const d = value.trim().toLowerCase();
  if (!getHashes().includes(d)) throw new ConfigError(`unsupported smtpd_tls_fingerprint_digest value: ${value.trim()}`);
  return d;
}

/** One attribute of an X509Certificate subject/issuer string (`CN=a\nO=b`), the last when repeated. */
function nameAttr(dn: string, attr: string): string {
  let v = "";
  for (const line of dn.split("\n")) if (line.startsWith(`${attr}=`)) v = line.slice(attr.length + 1);
  return v;
}

/** The fingerprints and names of `x` (trusted is the caller's to decide). */
export function peerCert(x: X509Certificate, digest: string, trusted: boolean): PeerCert {
  const spki = x.publicKey.export({ type: "spki", format: "der" });
  return {
    cn: nameAttr(x.subject, "CN"),
    issuerCn: nameAttr(x.issuer, "CN") || nameAttr(x.issuer, "O"),
    certFprint: encodeDigest(createHash(digest).update(x.raw).digest()),
    pkeyFprint: encodeDigest(createHash(digest).update(spki).digest()),
    trusted,
  };
}

/** The PEM certificates of smtpd_tls_CAfile and of every file in smtpd_tls_CApath. */
export function loadClientCas(caFile: string, caPath: string): string[] {
  const pems: string[] = [];
  const take = (f: string) => {
    try {
      const text = readFileSync(f, "latin1");
      pems.push(...(text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []));
    } catch (e) {
      msgWarn(`cannot load CA certificates from "${f}": ${(e as Error).message}`);
    }
  };
  if (caFile !== "") take(caFile);
  if (caPath !== "") {
    let names: string[] = [];
    try {
      names = readdirSync(caPath).sort();
    } catch (e) {
      msgWarn(`cannot load CA certificates from "${caPath}": ${(e as Error).message}`);
    }
    for (const n of names) if (!n.startsWith(".")) take(join(caPath, n));
  }
  return pems;
}
