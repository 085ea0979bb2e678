/**
 * tls_policy — smtp_tls_policy_maps and lmtp_tls_policy_maps: the TLS policy of one next-hop destination, which
 * replaces smtp_tls_security_level (and the certificate match, SNI name and protocol list) for it. Postfix 3.7's
 * smtp_tls_policy.c, matched by behaviour.
 *
 * Lookup keys, the first one found wins:
 *   - the next-hop destination exactly as written in the transport or relayhost (`example.com`,
 *     `[mail.example.com]`, `[192.0.2.1]:587`, `example.com:2525`; for LMTP over a UNIX socket, its path);
 *   - only when that is a plain host name (no brackets, no port): its parent domains with a leading dot,
 *     `.example.com` then `.com` for `mail.example.com`.
 * Every table of the list is asked for every key (pattern tables too); fixed tables fold the key to lower case.
 *
 * Table value: a security level, then attributes, separated by commas or white space:
 *   LEVEL [name=value ...]
 *   LEVEL      none, may, encrypt, fingerprint, dane, dane-only, verify, secure (lower case, as Postfix)
 *   match=     verify/secure: names to match the certificate against, `:`-separated (hostname, nexthop,
 *              dot-nexthop or a name); fingerprint: digests, `|`-separated. May be given more than once.
 *   protocols= TLS protocol list (`!SSLv2:!SSLv3`, `>=TLSv1.2`, `TLSv1.2:TLSv1.3`); ciphers=, exclude=,
 *   servername= (a host name, or hostname/nexthop), tafile= (verify/secure only), connection_reuse=yes|no.
 * With `none`, attributes are ignored (one warning each). Anything else wrong makes the policy invalid: the
 * destination is then not tried ("TLS policy lookup for DEST/HOST: client TLS configuration problem", and mail
 * for it is deferred with 4.7.5 `client TLS configuration problem`). The warnings, with Postfix's texts:
 *   smtp_tls_policy_maps, next-hop destination "KEY": invalid empty policy
 *   … : invalid security level "X"
 *   … : ignoring attribute "X" with TLS disabled
 *   … : malformed attribute/value pair "X": missing '=' after attribute name
 *   … : attribute "X" has empty value | is specified multiple times | invalid at security level "L"
 *   … : attribute "connection_reuse" has bad value: "X"
 *   … : "servername=X" specifies an invalid hostname
 *   … : invalid attribute name: "X"
 *   … : policy table lookup error                       (a table that fails: also 4.7.5, as Postfix 3.7)
 *
 * What postkit makes of a valid policy (siteTlsPolicy()):
 *   - dane: postkit has no DANE; as Postfix built without DANE support: `DEST: dane configured, but no requisite
 *     library support`, then level may. dane-only: the same warning, and the policy is invalid. Over a UNIX socket
 *     both are invalid: `DEST: the "dane" security level is invalid for delivery via unix-domain sockets`.
 *   - fingerprint (also when it is the main.cf level): the match= digests, else smtp_tls_fingerprint_cert_match
 *     (split at commas and white space), decoded from hex (either case, `:` between byte pairs optional) into
 *     SiteTls.fingerprints. A value that does not decode is skipped (`malformed fingerprint value: X`); when none
 *     is left: `nexthop domain DEST: configured at fingerprint security level, but with no fingerprints to match.`
 *     and the policy is invalid. tls_client.ts matches them against the server's certificate.
 *   - tafile=: not supported either (`…: attribute "tafile" is not supported`): invalid.
 *   - ciphers=, exclude=, connection_reuse=: checked as Postfix checks them, otherwise not used (postkit applies no
 *     cipher grade and never reuses TLS sessions).
 *
 * Contract: parseTlsPolicy() and lookupTlsPolicy() never throw and never log: they return the warnings, and the
 * caller logs them. lookupTlsPolicy() turns a table's MapError into the invalid result.
 */
import { MapError } from "../maps/index.ts";
import { mapsFind, type TableList } from "../resolve/mail_addr_find.ts";
import type { TlsLevel } from "./settings.ts";

/** The levels a policy may name (Postfix's tls_level_lookup(); `halfdane` is output only). */
export const POLICY_LEVELS = ["none", "may", "encrypt", "fingerprint", "dane", "dane-only", "verify", "secure"] as const;
export type PolicyLevel = (typeof POLICY_LEVELS)[number];

/** One valid policy table entry. */
export interface TlsPolicy {
  level: PolicyLevel;
  /** match= values, split at `:` (verify, secure) or `|` (fingerprint). */
  match?: string[];
  protocols?: string;
  ciphers?: string;
  exclude?: string;
  servername?: string;
  tafile?: string[];
  connectionReuse?: boolean;
}

/** A parsed table value: the policy, or undefined when it is invalid; warnings to log either way. */
export interface ParsedTlsPolicy {
  policy: TlsPolicy | undefined;
  warnings: string[];
}

/** Postfix's valid_hostname() (no wildcard): letters, digits, `-`, `_`; labels of 1..63; not all numeric. */
export function isValidHostname(name: string): boolean {
  if (name === "" || name.length > 255) return false;
  let nonNumeric = false;
  for (const label of name.split(".")) {
    if (label === "" || label.length > 63) return false;
    // Non-ASCII letters count as letters (smtputf8: Postfix checks the A-label form).
    if (!/^[A-Za-z0-9_\-\u0080-\u{10ffff}]+$/u.test(label)) return false;
    if (label.startsWith("-") || label.endsWith("-")) return false;
    if (/[^0-9]/.test(label)) nonNumeric = true;
  }
  return nonNumeric;
}

/** The keys looked up for a next-hop destination, in order (see the header). */
export function tlsPolicyKeys(dest: string): string[] {
  if (!isValidHostname(dest)) return [dest];
  const keys = [dest];
  for (let i = dest.indexOf(".", 1); i >= 0; i = dest.indexOf(".", i + 1)) keys.push(dest.slice(i));
  return keys;
}

/** Postfix's split_nameval(): an error text, or the name and value. */
function splitNameValue(tok: string): { name: string; value: string } | string {
  const m = /^\s*([^\s=]*)\s*(=?)\s*([\s\S]*?)\s*$/.exec(tok)!;
  if (m[1] === "") return "missing attribute name";
  if (m[2] !== "=") return "missing '=' after attribute name";
  return { name: m[1]!, value: m[3]! };
}

/** True for the levels that use a PKI trust chain (Postfix's TLS_MUST_PKIX). */
function mustPkix(level: PolicyLevel): boolean {
  return level === "verify" || level === "secure";
}

/** Parses one table value; `where` is `TITLE, CLASS "KEY"` (see the header). */
export function parseTlsPolicy(value: string, where: string): ParsedTlsPolicy {
  const warnings: string[] = [];
  const invalid = (text: string): ParsedTlsPolicy => {
    warnings.push(`${where}: ${text}`);
    return { policy: undefined, warnings };
  };
  const toks = value.split(/[,\s]+/).filter(Boolean);
  if (toks.length === 0) return invalid("invalid empty policy");
  const level = toks[0]!;
  if (!(POLICY_LEVELS as readonly string[]).includes(level)) return invalid(`invalid security level "${level}"`);
  const p: TlsPolicy = { level: level as PolicyLevel };
  if (p.level === "none") {
    for (const t of toks.slice(1)) warnings.push(`${where}: ignoring attribute "${t}" with TLS disabled`);
    return { policy: p, warnings };
  }
  const multiple = (name: string) => invalid(`attribute "${name}" is specified multiple times`);
  const empty = (name: string) => invalid(`attribute "${name}" has empty value`);
  for (const tok of toks.slice(1)) {
    const nv = splitNameValue(tok);
    if (typeof nv === "string") return invalid(`malformed attribute/value pair "${tok}": ${nv}`);
    const { value: val } = nv;
    const name = nv.name.toLowerCase();
    if (name === "ciphers") {
      if (val === "") return empty(nv.name);
      if (p.ciphers !== undefined) return multiple(nv.name);
      p.ciphers = val;
    } else if (name === "protocols") {
      if (p.protocols !== undefined) return multiple(nv.name);
      p.protocols = val;
    } else if (name === "servername") {
      if (p.servername !== undefined) return multiple(nv.name);
      if (!isValidHostname(val)) return invalid(`"${nv.name}=${val}" specifies an invalid hostname`);
      p.servername = val;
    } else if (name === "match") {
      if (val === "") return empty(nv.name);
      if (p.level === "fingerprint") (p.match ??= []).push(...val.split("|").filter(Boolean));
      else if (mustPkix(p.level)) (p.match ??= []).push(...val.split(":").filter(Boolean));
      else return invalid(`attribute "${nv.name}" invalid at security level "${p.level}"`);
    } else if (name === "exclude") {
      if (p.exclude !== undefined) return multiple(nv.name);
      p.exclude = val;
    } else if (name === "tafile") {
      if (!mustPkix(p.level)) return invalid(`attribute "${nv.name}" invalid at security level "${p.level}"`);
      if (val === "") return empty(nv.name);
      (p.tafile ??= []).push(val);
    } else if (name === "connection_reuse") {
      if (val.toLowerCase() === "yes") p.connectionReuse = true;
      else if (val.toLowerCase() === "no") p.connectionReuse = false;
      else return invalid(`attribute "${nv.name}" has bad value: "${val}"`);
    } else return invalid(`invalid attribute name: "${nv.name}"`);
  }
  return { policy: p, warnings };
}

/** What the policy tables say about one destination. */
export type TlsPolicyLookup =
  | { kind: "notfound"; warnings: string[] }
  | { kind: "found"; key: string; where: string; policy: TlsPolicy; warnings: string[] }
  | { kind: "invalid"; warnings: string[] };

/** tls_policy_lookup(): tries the keys of `dest` in order; see the header. `siteClass`: "next-hop destination". */
export function lookupTlsPolicy(maps: TableList, dest: string, siteClass = "next-hop destination"): TlsPolicyLookup {
  const warnings: string[] = [];
  for (const key of tlsPolicyKeys(dest)) {
    const where = `${maps.title}, ${siteClass} "${key}"`;
    let value: string | undefined;
    try {
      value = mapsFind(maps, key, false);
    } catch (e) {
      if (!(e instanceof MapError)) throw e;
      warnings.push(`${where}: policy table lookup error`);
      return { kind: "invalid", warnings };
    }
    if (value === undefined) continue;
    const parsed = parseTlsPolicy(value, where);
    warnings.push(...parsed.warnings);
    if (!parsed.policy) return { kind: "invalid", warnings };
    return { kind: "found", key, where, policy: parsed.policy, warnings };
  }
  return { kind: "notfound", warnings };
}

/** The TLS settings the client uses for one destination. */
export interface SiteTls {
  level: TlsLevel;
  /** Certificate names (verify, secure) that replace smtp_tls_{verify,secure}_cert_match. */
  match?: string[];
  /** SNI name (or hostname/nexthop) that replaces smtp_tls_servername. */
  serverName?: string;
  /** Protocol list that replaces the main.cf one (postkit applies only this one). */
  protocols?: string;
  /** fingerprint: the decoded digests to match (certificate or public key). */
  fingerprints?: Buffer[];
}

/** The longest digest (bytes) a fingerprint may have: SHA-512's, as OpenSSL's EVP_MAX_MD_SIZE. */
const MAX_DIGEST = 64;

/**
 * tls_dane_add_fpt_digests(): decodes hex fingerprints (`AB:CD…` or `abcd…`); each one that does not decode is
 * skipped with Postfix's warning.
 */
export function decodeFingerprints(values: string[]): { digests: Buffer[]; warnings: string[] } {
  const digests: Buffer[] = [];
  const warnings: string[] = [];
  for (const v of values) {
    if (v.length > 3 * MAX_DIGEST) {
      warnings.push(`malformed fingerprint value: ${v.slice(0, 100)}...`);
      continue;
    }
    // Byte pairs, with at most one colon between two pairs (none leading or trailing).
    if (!/^[0-9A-Fa-f]{2}(:?[0-9A-Fa-f]{2})*$/.test(v)) {
      warnings.push(`malformed fingerprint value: ${v.slice(0, 384)}`);
      continue;
    }
    digests.push(Buffer.from(v.replace(/:/g, ""), "hex"));
  }
  return { digests, warnings };
}

/**
 * policy_create(): the TLS settings for `dest` from a lookup result and the global level; undefined when the
 * destination must not be tried (warnings say why). `unix`: LMTP over a UNIX-domain socket.
 */
export function siteTlsPolicy(
  lookup: TlsPolicyLookup,
  globalLevel: TlsLevel,
  dest: string,
  unix: boolean,
  globalFingerprints: string[] = [],
): { site: SiteTls | undefined; warnings: string[]; fingerprintLevel?: boolean } {
  const warnings = [...lookup.warnings];
  if (lookup.kind === "invalid") return { site: undefined, warnings };
  const withFingerprints = (site: SiteTls, values: string[]) => {
    if (site.level !== "fingerprint") return { site, warnings };
    // fingerprintLevel: the caller may owe Postfix's note about the md5 default digest.
    const fingerprintLevel = true;
    const d = decodeFingerprints(values);
    warnings.push(...d.warnings);
    if (d.digests.length === 0) {
      warnings.push(`nexthop domain ${dest}: configured at fingerprint security level, but with no fingerprints to match.`);
      return { site: undefined, warnings, fingerprintLevel };
    }
    site.fingerprints = d.digests;
    return { site, warnings, fingerprintLevel };
  };
  if (lookup.kind === "notfound") return withFingerprints({ level: globalLevel }, globalFingerprints);
  const p = lookup.policy;
  let level: TlsLevel;
  if (p.level === "dane" || p.level === "dane-only") {
    if (unix) {
      warnings.push(`${dest}: the "dane" security level is invalid for delivery via unix-domain sockets`);
      return { site: undefined, warnings };
    }
    warnings.push(`${dest}: ${p.level} configured, but no requisite library support`);
    if (p.level === "dane-only") return { site: undefined, warnings };
    level = "may";
  } else level = p.level;
  if (p.tafile) {
    warnings.push(`${lookup.where}: attribute "tafile" is not supported`);
    return { site: undefined, warnings };
  }
  const site: SiteTls = { level };
  if (level === "none") return { site, warnings };
  if (p.match && (level === "verify" || level === "secure")) site.match = p.match.map((m) => m.toLowerCase());
  if (p.servername !== undefined) site.serverName = p.servername;
  if (p.protocols !== undefined) site.protocols = p.protocols;
  return withFingerprints(site, p.match ?? globalFingerprints);
}

/** Protocol versions Node's TLS knows, oldest first. */
const NODE_VERSIONS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;
type NodeVersion = (typeof NODE_VERSIONS)[number];
const PROTOCOL_NAMES = ["SSLv2", "SSLv3", ...NODE_VERSIONS];

/**
 * Postfix's tls_proto_mask_lims() made into Node's minVersion/maxVersion: `name` includes, `!name` excludes,
 * `>=name`/`<=name` bound; separators comma, space, colon. undefined for an invalid list (an unknown name, or
 * nothing left).
 */
export function tlsProtocolRange(list: string): { minVersion?: NodeVersion; maxVersion?: NodeVersion } | undefined {
  const include = new Set<string>();
  const exclude = new Set<string>();
  let floor = 0;
  let ceiling = PROTOCOL_NAMES.length - 1;
  for (const tok of list.split(/[,\s:]+/).filter(Boolean)) {
    const bound = /^(>=|<=)(.*)$/.exec(tok);
    const name = bound ? bound[2]! : tok.startsWith("!") ? tok.slice(1) : tok;
    const idx = PROTOCOL_NAMES.indexOf(name);
    if (bound && name === "0") continue;
    if (idx < 0) return undefined;
    if (bound?.[1] === ">=") floor = idx;
    else if (bound) ceiling = idx;
    else if (tok.startsWith("!")) exclude.add(name);
    else include.add(name);
  }
  const allowed = NODE_VERSIONS.filter((v) => {
    const i = PROTOCOL_NAMES.indexOf(v);
    return i >= floor && i <= ceiling && !exclude.has(v) && (include.size === 0 || include.has(v));
  });
  if (allowed.length === 0) return undefined;
  return { minVersion: allowed[0], maxVersion: allowed[allowed.length - 1] };
}
