/**
 * settings — the main.cf parameters of the SMTP and LMTP clients, read once per agent process: `smtp_*` for the
 * smtp and relay services, `lmtp_*` for lmtp (Postfix's lmtp_params.c names: lmtp_lhlo_name, lmtp_lhlo_timeout,
 * lmtp_discard_lhlo_keywords …), with a master.cf service's `-o` overrides already in the Config.
 *
 * TLS: smtp_tls_security_level is the default; smtp_tls_policy_maps (tls_policy.ts) replaces it per next-hop
 * destination. In main.cf, dane/dane-only are read as may (postkit has no DANE). The fingerprint level uses
 * smtp_tls_fingerprint_cert_match (split at commas and white space) and smtp_tls_fingerprint_digest (Postfix 3.7:
 * sha256 at compatibility_level 3.6 and later, md5 before, and then each fingerprint policy logs `using
 * backwards-compatible default setting smtp_tls_fingerprint_digest=md5 to compute certificate fingerprints`); a digest the TLS library lacks is a ConfigError
 * (`Digest algorithm "X" not found`).
 *
 * Contract: throws ConfigError for a malformed value (the daemon then exits with a fatal error, as Postfix does),
 * also for an unusable SMTP AUTH setup (sasl_auth.ts).
 */
import { networkInterfaces } from "node:os";
import { isIP } from "node:net";
import { readFileSync } from "node:fs";
import { getHashes } from "node:crypto";
import { ConfigError, type Config } from "../config/config.ts";
import { parseEhloMask } from "../config/ehlo_mask.ts";
import type { AddressSettings } from "./server_addresses.ts";
import { readSaslSettings, type SaslSettings } from "./sasl_auth.ts";

/** TLS security levels, weakest first. */
export const TLS_LEVELS = ["none", "may", "encrypt", "fingerprint", "verify", "secure"] as const;
export type TlsLevel = (typeof TLS_LEVELS)[number];

/** Everything the client engine reads from main.cf. */
export interface SmtpSettings {
  lmtp: boolean;
  /** smtp or lmtp: the parameter prefix. */
  prefix: "smtp" | "lmtp";
  myhostname: string;
  heloName: string;
  defaultService: string;
  /** Seconds; 0 = no limit of our own. */
  timeouts: { connect: number; helo: number; mail: number; rcpt: number; dataInit: number; dataXfer: number; dataDone: number; rset: number; quit: number; starttls: number };
  bindAddress: string;
  bindAddress6: string;
  mxAddressLimit: number;
  mxSessionLimit: number;
  addresses: AddressSettings;
  skip5xxGreeting: boolean;
  alwaysEhlo: boolean;
  neverEhlo: boolean;
  skipQuitResponse: boolean;
  lineLengthLimit: number;
  /** disable_mime_output_conversion = no: 8-bit MIME is made 7-bit for a server without 8BITMIME. */
  mimeDowngrade: boolean;
  /** lmtp_assume_final: an LMTP server without DSN delivers (success notices say "delivered", not "relayed"). */
  assumeFinal: boolean;
  /** smtp_quote_rfc821_envelope: quote envelope local parts that need it (else send them as they are). */
  quoteRfc821Envelope: boolean;
  /** smtp_discard_ehlo_keywords / lmtp_discard_lhlo_keywords, upper case (config/ehlo_mask.ts). */
  discardEhloKeywords: Set<string>;
  /** The name of the per-server tables parameter (smtp_discard_ehlo_keyword_address_maps, lmtp_…), for messages. */
  discardEhloMapsName: string;
  /** Its tables, looked up with the server's IP address; an entry replaces discardEhloKeywords. */
  discardEhloMaps: string[];
  fallbackRelay: string[];
  relayhost: string;
  softBounce: boolean;
  cacheOnDemand: boolean;
  cacheDestinations: string[];
  cacheTimeLimit: number;
  reuseTimeLimit: number;
  reuseCountLimit: number;
  tls: {
    level: TlsLevel;
    caFile: string;
    caPath: string;
    certFile: string;
    keyFile: string;
    logLevel: number;
    verifyCertMatch: string[];
    secureCertMatch: string[];
    /** smtp_tls_fingerprint_cert_match, as written (tls_policy.ts decodes it). */
    fingerprintCertMatch: string[];
    /** smtp_tls_fingerprint_digest, lower case (a node:crypto hash name). */
    fingerprintDigest: string;
    /** The digest is md5 only by compatibility_level < 3.6 (not set in main.cf): Postfix's note is due. */
    fingerprintDigestCompat: boolean;
    serverName: string;
    noteStarttlsOffer: boolean;
    /** smtp_tls_policy_maps (tls_policy.ts): its name, for warnings, and its tables. */
    policyMapsName: string;
    policyMaps: string[];
  };
  /** SMTP AUTH (sasl_auth.ts). */
  sasl: SaslSettings;
}

function level(v: string, name: string): TlsLevel {
  const l = v.trim().toLowerCase();
  if ((TLS_LEVELS as readonly string[]).includes(l)) return l as TlsLevel;
  if (l === "dane" || l === "dane-only") return "may";
  throw new ConfigError(`invalid ${name} value: "${v}"`);
}

/** smtp_tls_fingerprint_digest: a digest node:crypto knows (OpenSSL's names), lower case. */
function fingerprintDigest(v: string): string {
  const d = v.trim().toLowerCase();
  if (!getHashes().includes(d)) throw new ConfigError(`Digest algorithm "${v.trim()}" not found`);
  return d;
}

/** Postfix's own addresses for the mail loop check: inet_interfaces (all: every interface) and proxy_interfaces. */
function ownAddresses(cfg: Config): Set<string> {
  const out = new Set<string>();
  const add = (list: string[]) => {
    for (const item of list) {
      const a = item.replace(/^\[|\]$/g, "");
      if (a === "all") {
        for (const ifs of Object.values(networkInterfaces())) for (const i of ifs ?? []) out.add(i.address);
      } else if (a === "loopback-only") {
        out.add("127.0.0.1");
        out.add("::1");
      } else if (isIP(a)) out.add(a);
    }
  };
  add(cfg.getList("inet_interfaces"));
  add(cfg.getList("proxy_interfaces"));
  return out;
}

/** inet_protocols → the address families to use, in Postfix's lookup order (A before AAAA). */
export function addressFamilies(value: string): (4 | 6)[] {
  const words = value.toLowerCase().split(/[\s,]+/).filter(Boolean);
  if (words.includes("all")) return [4, 6];
  const out: (4 | 6)[] = [];
  if (words.includes("ipv4")) out.push(4);
  if (words.includes("ipv6")) out.push(6);
  return out;
}

/** Reads the client settings; `service` is the master.cf command name (smtp or lmtp). */
export function readSmtpSettings(cfg: Config, command: "smtp" | "lmtp"): SmtpSettings {
  const p = command;
  const lmtp = command === "lmtp";
  const hello = lmtp ? "lhlo" : "helo";
  const t = (n: string) => cfg.getTime(`${p}_${n}`);
  let tlsLevel = cfg.get(`${p}_tls_security_level`).trim();
  if (tlsLevel === "") {
    if (cfg.getBool(`${p}_enforce_tls`)) tlsLevel = cfg.getBool(`${p}_tls_enforce_peername`) ? "verify" : "encrypt";
    else tlsLevel = cfg.getBool(`${p}_use_tls`) ? "may" : "none";
  }
  const lookup = cfg.getList(`${p}_host_lookup`).map((s) => s.toLowerCase());
  const disableDns = cfg.getBool("disable_dns_lookups") || cfg.get(`${p}_dns_support_level`).trim() === "disabled";
  const pref = cfg.get(`${p}_address_preference`).trim().toLowerCase();
  if (pref !== "any" && pref !== "ipv4" && pref !== "ipv6") throw new ConfigError(`bad ${p}_address_preference value: ${pref}`);
  return {
    lmtp,
    prefix: p,
    myhostname: cfg.get("myhostname"),
    heloName: cfg.get(`${p}_${hello}_name`),
    defaultService: cfg.get(`${p}_tcp_port`),
    timeouts: {
      connect: t("connect_timeout"),
      helo: t(`${hello}_timeout`),
      mail: t("mail_timeout"),
      rcpt: t("rcpt_timeout"),
      dataInit: t("data_init_timeout"),
      dataXfer: t("data_xfer_timeout"),
      dataDone: t("data_done_timeout"),
      rset: t("rset_timeout"),
      quit: t("quit_timeout"),
      starttls: t("starttls_timeout"),
    },
    bindAddress: cfg.get(`${p}_bind_address`).trim(),
    bindAddress6: cfg.get(`${p}_bind_address6`).trim(),
    mxAddressLimit: cfg.getInt(`${p}_mx_address_limit`),
    mxSessionLimit: cfg.getInt(`${p}_mx_session_limit`),
    addresses: {
      families: addressFamilies(cfg.get("inet_protocols")),
      dnsLookup: !disableDns && lookup.includes("dns"),
      nativeLookup: disableDns || lookup.includes("native"),
      preference: pref,
      randomize: cfg.getBool(`${p}_randomize_addresses`),
      balance: cfg.getBool(`${p}_balance_inet_protocols`),
      mxAddressLimit: cfg.getInt(`${p}_mx_address_limit`),
      deferIfNoMxAddress: cfg.getBool(`${p}_defer_if_no_mx_address_found`),
      ignoreMxLookupError: cfg.getBool("ignore_mx_lookup_error"),
      ownAddresses: ownAddresses(cfg),
    },
    skip5xxGreeting: cfg.getBool(`${p}_skip_5xx_greeting`),
    alwaysEhlo: lmtp || cfg.getBool("smtp_always_send_ehlo"),
    neverEhlo: !lmtp && cfg.getBool("smtp_never_send_ehlo"),
    skipQuitResponse: cfg.getBool(`${p}_skip_quit_response`),
    lineLengthLimit: cfg.getInt(`${p}_line_length_limit`),
    mimeDowngrade: !cfg.getBool("disable_mime_output_conversion"),
    assumeFinal: lmtp && cfg.getBool("lmtp_assume_final"),
    quoteRfc821Envelope: cfg.getBool(`${p}_quote_rfc821_envelope`),
    discardEhloKeywords: parseEhloMask(cfg.get(`${p}_discard_${hello === "lhlo" ? "lhlo" : "ehlo"}_keywords`)),
    discardEhloMapsName: `${p}_discard_${hello === "lhlo" ? "lhlo" : "ehlo"}_keyword_address_maps`,
    discardEhloMaps: cfg.getList(`${p}_discard_${hello === "lhlo" ? "lhlo" : "ehlo"}_keyword_address_maps`),
    fallbackRelay: cfg.getList(`${p}_fallback_relay`),
    relayhost: cfg.get("relayhost").trim(),
    softBounce: cfg.getBool("soft_bounce"),
    cacheOnDemand: cfg.getBool(`${p}_connection_cache_on_demand`),
    cacheDestinations: cfg.getList(`${p}_connection_cache_destinations`).map((d) => d.toLowerCase()),
    cacheTimeLimit: t("connection_cache_time_limit"),
    reuseTimeLimit: t("connection_reuse_time_limit"),
    reuseCountLimit: cfg.getInt(`${p}_connection_reuse_count_limit`),
    tls: {
      level: level(tlsLevel, `${p}_tls_security_level`),
      caFile: cfg.get(`${p}_tls_CAfile`).trim(),
      caPath: cfg.get(`${p}_tls_CApath`).trim(),
      certFile: cfg.get(`${p}_tls_cert_file`).trim(),
      keyFile: cfg.get(`${p}_tls_key_file`).trim(),
      logLevel: Number.parseInt(cfg.get(`${p}_tls_loglevel`), 10) || 0,
      verifyCertMatch: cfg.getList(`${p}_tls_verify_cert_match`).map((s) => s.toLowerCase()),
      secureCertMatch: cfg.getList(`${p}_tls_secure_cert_match`).map((s) => s.toLowerCase()),
      fingerprintCertMatch: cfg.get(`${p}_tls_fingerprint_cert_match`).split(/[\s,]+/).filter(Boolean),
      fingerprintDigest: fingerprintDigest(cfg.get(`${p}_tls_fingerprint_digest`)),
      fingerprintDigestCompat: cfg.setValue(`${p}_tls_fingerprint_digest`) === undefined && fingerprintDigest(cfg.get(`${p}_tls_fingerprint_digest`)) === "md5",
      serverName: cfg.get(`${p}_tls_servername`).trim(),
      noteStarttlsOffer: cfg.getBool(`${p}_tls_note_starttls_offer`),
      policyMapsName: `${p}_tls_policy_maps`,
      policyMaps: cfg.getList(`${p}_tls_policy_maps`),
    },
    sasl: readSaslSettings(cfg, p),
  };
}

/** Reads a PEM file (CAfile, certificate, key); throws ConfigError naming the file. */
export function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read ${what} file ${path}: ${(e as Error).message}`);
  }
}
