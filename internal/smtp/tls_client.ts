/**
 * tls_client — the TLS side of STARTTLS for the SMTP/LMTP client: what to offer (trust anchors from
 * smtp_tls_CAfile/CApath only, as Postfix with tls_append_default_CA = no; a client certificate when configured),
 * how to judge the server's certificate for each security level, and Postfix's log lines.
 *
 * Levels: may and encrypt never check names; verify matches the MX host name (smtp_tls_verify_cert_match =
 * hostname), secure the next-hop domain and its subdomains (smtp_tls_secure_cert_match = nexthop, dot-nexthop).
 * A certificate is trusted when its chain leads to a configured trust anchor; without CAfile/CApath nothing is.
 * Names are matched against the DNS subjectAltNames, or the CN when there is none; `*.` matches one label.
 * fingerprint needs no trust anchor and no name: the server's certificate is matched when the digest
 * (smtp_tls_fingerprint_digest) of its DER encoding, or of its DER SubjectPublicKeyInfo, equals one of the
 * configured fingerprints (Postfix turns them into DANE-EE TLSA records "3 0 255" and "3 1 255"; the same test).
 * Fingerprints are shown as Postfix's tls_digest_encode() does: upper-case hex pairs joined by `:`.
 *
 * Log lines (smtp_tls_loglevel >= 1), as Postfix 3.7 writes them:
 *   Untrusted|Trusted|Verified TLS connection established to HOST[ADDR]:PORT: TLSv1.3 with cipher NAME (256/256 bits)
 *     [key-exchange X25519] server-signature RSA-PSS (2048 bits) server-digest SHA256
 *   certificate verification failed for HOST[ADDR]:PORT: untrusted issuer /CN=…        (verify/secure only)
 *   server certificate verification failed for HOST[ADDR]:PORT: num=62:hostname mismatch
 *   server certificate verification failed for HOST[ADDR]:PORT: num=65:no matching DANE TLSA records  (fingerprint)
 * `Verified` needs a trusted, matching certificate at verify/secure, or a matching fingerprint at fingerprint;
 * may/encrypt say `Trusted` for a trusted chain.
 * The key exchange is shown only when the TLS library reports it; the signature algorithm is inferred from the
 * certificate's key and the protocol (Bun does not expose the one negotiated).
 *
 * Contract: tlsClientOptions() throws ConfigError for an unreadable CAfile/certificate; the rest never throws.
 */
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { ConnectionOptions, PeerCertificate, TLSSocket } from "node:tls";
import type { TlsLevel } from "./settings.ts";
import { readPem } from "./settings.ts";

/** What a level asks of the server. */
export function tlsRequired(level: TlsLevel): boolean {
  return level === "encrypt" || level === "fingerprint" || level === "verify" || level === "secure";
}

/** True for the levels whose certificate must match (a name, or a fingerprint). */
export function tlsMustMatch(level: TlsLevel): boolean {
  return level === "fingerprint" || level === "verify" || level === "secure";
}

/** tls_digest_encode(): upper-case hex pairs joined by `:`. */
export function encodeFingerprint(digest: Uint8Array): string {
  return Buffer.from(digest).toString("hex").toUpperCase().replace(/(..)(?!$)/g, "$1:");
}

/** tls_cert_fprint(): the digest of a certificate's DER encoding, encoded. */
export function certFingerprint(der: Uint8Array, digest: string): string {
  return encodeFingerprint(createHash(digest).update(der).digest());
}

/** tls_pkey_fprint(): the digest of a DER SubjectPublicKeyInfo, encoded. */
export function pkeyFingerprint(spki: Uint8Array, digest: string): string {
  return encodeFingerprint(createHash(digest).update(spki).digest());
}

/** The fingerprint level's test: does the certificate or its public key have one of the `wanted` digests? */
export function fingerprintMatches(cert: { raw?: Uint8Array; pubkey?: Uint8Array }, digest: string, wanted: Uint8Array[]): boolean {
  const have: Buffer[] = [];
  if (cert.raw) have.push(createHash(digest).update(cert.raw).digest());
  if (cert.pubkey) have.push(createHash(digest).update(cert.pubkey).digest());
  return wanted.some((w) => have.some((h) => h.equals(w)));
}

/** What the fingerprint level matches against: the digest algorithm and the decoded fingerprints. */
export interface FingerprintPolicy {
  digest: string;
  fingerprints: Uint8Array[];
}

/** The trust anchors and client credentials of the TLS settings. */
export interface TlsContext {
  ca: string[];
  cert?: string;
  key?: string;
}

/** Loads CAfile, CApath (*.pem, *.crt and hashed names) and the client certificate. */
export function loadTlsContext(s: { caFile: string; caPath: string; certFile: string; keyFile: string }): TlsContext {
  const ca: string[] = [];
  if (s.caFile) ca.push(readPem(s.caFile, "CA"));
  if (s.caPath) {
    let names: string[] = [];
    try {
      names = readdirSync(s.caPath);
    } catch {
      names = [];
    }
    for (const n of names.sort()) {
      if (!/\.(pem|crt)$|\.\d+$/.test(n)) continue;
      try {
        ca.push(readPem(join(s.caPath, n), "CA"));
      } catch {
        // not a readable certificate: skipped, as OpenSSL's directory lookup would
      }
    }
  }
  const ctx: TlsContext = { ca };
  if (s.certFile) {
    ctx.cert = readPem(s.certFile, "certificate");
    ctx.key = readPem(s.keyFile || s.certFile, "key");
  }
  return ctx;
}

/** Options for tls.connect() over an established connection. */
export function tlsClientOptions(ctx: TlsContext, serverName: string): ConnectionOptions {
  return {
    rejectUnauthorized: false,
    // Names are checked by certificateStatus(), per security level.
    checkServerIdentity: () => undefined,
    ...(ctx.ca.length > 0 ? { ca: ctx.ca } : {}),
    ...(ctx.cert ? { cert: ctx.cert, key: ctx.key } : {}),
    ...(serverName ? { servername: serverName } : {}),
  };
}

/** The DNS names a certificate is issued to (subjectAltName, else CN). */
export function certificateNames(cert: Pick<PeerCertificate, "subjectaltname" | "subject">): string[] {
  const san = (cert.subjectaltname ?? "")
    .split(/,\s*/)
    .filter((x) => x.startsWith("DNS:"))
    .map((x) => x.slice(4).toLowerCase());
  if (san.length > 0) return san;
  const cn = cert.subject?.CN;
  return cn ? [String(Array.isArray(cn) ? cn[cn.length - 1] : cn).toLowerCase()] : [];
}

/** Does certificate name `pattern` cover `name`? (`*.example.com` covers one label; `.example.com` as a wanted name means any subdomain.) */
export function nameMatches(pattern: string, wanted: string): boolean {
  const p = pattern.replace(/\.$/, "").toLowerCase();
  const w = wanted.replace(/\.$/, "").toLowerCase();
  // dot-nexthop: any name below the domain (a wildcard there is below it too)
  if (w.startsWith(".")) return p.endsWith(w);
  if (p === w) return true;
  if (p.startsWith("*.")) {
    const dot = w.indexOf(".");
    return dot > 0 && w.slice(dot + 1) === p.slice(2);
  }
  return false;
}

/** What the client found out about the server's certificate. */
export interface CertificateStatus {
  /** A certificate was presented. */
  present: boolean;
  trusted: boolean;
  matched: boolean;
  /** Postfix's verification failure log line (without the host part), when there is one to log. */
  failure: string | undefined;
}

function issuerOneline(cert: PeerCertificate): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(cert.issuer ?? {})) for (const x of Array.isArray(v) ? v : [v]) parts.push(`/${k}=${x}`);
  return parts.join("") || "<unknown>";
}

const X509_ERRORS: Record<string, [number, string]> = {
  UNABLE_TO_GET_ISSUER_CERT: [2, "unable to get issuer certificate"],
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: [4, "unable to decrypt certificate's signature"],
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: [6, "unable to decode issuer public key"],
  CERT_SIGNATURE_FAILURE: [7, "certificate signature failure"],
  CERT_REVOKED: [23, "certificate revoked"],
  INVALID_CA: [24, "invalid CA certificate"],
  PATH_LENGTH_EXCEEDED: [25, "path length constraint exceeded"],
  INVALID_PURPOSE: [26, "unsupported certificate purpose"],
  CERT_UNTRUSTED: [27, "certificate not trusted"],
  CERT_REJECTED: [28, "certificate rejected"],
};

/** Judges the server's certificate for `level`, matching against `names` or `fp` (see the header). */
export function certificateStatus(
  t: TLSSocket,
  level: TlsLevel,
  names: string[],
  haveAnchors: boolean,
  fp?: FingerprintPolicy,
): CertificateStatus {
  const cert = t.getPeerCertificate();
  const present = !!cert && Object.keys(cert).length > 0;
  if (!present) return { present, trusted: false, matched: false, failure: undefined };
  if (level === "fingerprint") {
    // No chain is built or checked: a match is all (DANE-EE). No match fails as OpenSSL's DANE check does.
    const matched = !!fp && fingerprintMatches(cert, fp.digest, fp.fingerprints);
    const failure = matched ? undefined : "server certificate verification failed for %s: num=65:no matching DANE TLSA records";
    return { present, trusted: matched, matched, failure };
  }
  const code = t.authorizationError ? String((t.authorizationError as unknown as { code?: string }).code ?? t.authorizationError) : "";
  const chainOk = haveAnchors && t.authorized && code === "";
  let matched = false;
  if (chainOk && tlsMustMatch(level)) {
    const have = certificateNames(cert);
    matched = names.some((w) => have.some((h) => nameMatches(h, w)));
  }
  let failure: string | undefined;
  if (tlsMustMatch(level) && !matched) {
    if (chainOk) failure = "server certificate verification failed for %s: num=62:hostname mismatch";
    else if (!haveAnchors || /UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN/.test(code)) {
      failure = `certificate verification failed for %s: untrusted issuer ${issuerOneline(cert)}`;
    } else if (code === "DEPTH_ZERO_SELF_SIGNED_CERT") failure = "certificate verification failed for %s: self-signed certificate";
    else if (code === "CERT_HAS_EXPIRED") failure = "server certificate verification failed for %s: certificate has expired";
    else if (code === "CERT_NOT_YET_VALID") failure = "server certificate verification failed for %s: certificate not yet valid";
    else {
      const [num, text] = X509_ERRORS[code] ?? [0, code.toLowerCase().replace(/_/g, " ")];
      failure = `server certificate verification failed for %s: num=${num}:${text}`;
    }
  }
  // Observed in Postfix 3.7: a trusted chain whose name does not match is logged as Untrusted at verify/secure.
  return { present, trusted: chainOk && (!tlsMustMatch(level) || matched), matched, failure };
}

function cipherBits(name: string): number {
  if (/256|CHACHA20/i.test(name)) return 256;
  if (/128/.test(name)) return 128;
  if (/3DES|DES-CBC3/i.test(name)) return 112;
  return 0;
}

/** `Verified|Trusted|Untrusted|Anonymous TLS connection established to NAMADDRPORT: …` */
export function tlsSummary(t: TLSSocket, st: CertificateStatus, level: TlsLevel, namaddrport: string): string {
  const label = !st.present ? "Anonymous" : st.matched && tlsMustMatch(level) ? "Verified" : st.trusted ? "Trusted" : "Untrusted";
  const proto = t.getProtocol() ?? "TLS";
  const cipher = t.getCipher()?.name ?? "unknown";
  const bits = cipherBits(cipher);
  let s = `${label} TLS connection established to ${namaddrport}: ${proto} with cipher ${cipher} (${bits}/${bits} bits)`;
  const kx = (t.getEphemeralKeyInfo?.() ?? {}) as { type?: string; name?: string; size?: number };
  if (kx.name) s += kx.type === "ECDH" && !/^X(25519|448)$/.test(kx.name) ? ` key-exchange ECDHE (${kx.name})` : ` key-exchange ${kx.name}`;
  else if (kx.type === "DH" && kx.size) s += ` key-exchange DHE (${kx.size} bits)`;
  const cert = t.getPeerCertificate() as PeerCertificate & { asn1Curve?: string; nistCurve?: string; modulus?: string };
  if (st.present) {
    if (cert.modulus) {
      s += ` server-signature ${proto === "TLSv1.3" ? "RSA-PSS" : "RSA"} (${cert.bits} bits) server-digest SHA256`;
    } else if (cert.asn1Curve) {
      s += ` server-signature ECDSA (${cert.asn1Curve}) server-digest ${/384/.test(cert.asn1Curve) ? "SHA384" : /521/.test(cert.asn1Curve) ? "SHA512" : "SHA256"}`;
    }
  }
  return s;
}
