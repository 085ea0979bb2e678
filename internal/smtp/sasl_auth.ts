/**
 * sasl_auth — SMTP AUTH for the SMTP and LMTP clients (Postfix's smtp_sasl_glue.c, smtp_sasl_proto.c,
 * sasl_mech_filter.c): the smtp_sasl_* / lmtp_sasl_* settings, the AUTH keyword of the EHLO reply, the password
 * lookup and the AUTH dialog. The mechanisms themselves are in sasl_mechanisms.ts.
 *
 * Settings: smtp_sasl_auth_enable turns it on; then smtp_sasl_password_maps must be set (else `specify a password
 * table via the `smtp_sasl_password_maps' configuration parameter`), smtp_sasl_type must be cyrus, and the three
 * security option values must parse (else Postfix's warnings and `SASL per-connection initialization failed`): a
 * ConfigError when the agent starts. Postfix fails the same way, at the first session that authenticates.
 *
 * EHLO: every `AUTH` or `AUTH=` line's mechanisms go through smtp_sasl_mechanism_filter (a list of names,
 * `!name`, /file and type:table, without case; empty: no filter). A server whose lines leave nothing is logged
 * (`HOST[ADDR]:PORT offered no supported AUTH mechanisms: 'LIST'`, or `… offered null AUTH mechanism list`) and
 * still counts as offering AUTH; different lists are joined.
 *
 * Password lookup, in this order, the first value wins (Postfix's smtp_sasl_passwd_lookup(), which has no port
 * or bracket variants of its own):
 *   1. the sender, with smtp_sender_dependent_authentication (SMTP only, not for the null sender), searched as
 *      mail_addr_find() does: user+ext@domain, user@domain, user (local domains), @domain;
 *   2. the server's host name (the MX name, the name in [brackets], or the address itself for [1.2.3.4]);
 *   3. the next-hop destination exactly as written: `[smtp.isp.example]:587`, `example.com`, `inet:` stripped.
 * The value is `username:password`; the password is everything after the first colon and may contain colons.
 * A table that fails: `QUEUEID: smtp_sasl_password_maps lookup error`, and the session fails with 4.3.0 `local
 * data error while talking to HOST[ADDR]`.
 *
 * The dialog (smtp_sasl_authenticate()): `AUTH MECH initial-response` (or `AUTH MECH` when the line would exceed
 * 512 octets, then the response after an empty 334), one response per 334 challenge, at most 100; a 2xx ends it.
 * Failures, as reason texts (all defer unless the DSN says 5 and the server was the last one):
 *   4.7.0  SASL authentication failed; cannot authenticate to server HOST[ADDR]: no mechanism available
 *   DSN    SASL authentication failed; server HOST[ADDR] said: 535 5.7.8 …   (5 → 4 with smtp_sasl_auth_soft_bounce)
 *   4.7.0  SASL authentication failed; non-empty initial MECH challenge from server HOST[ADDR]: CHALLENGE
 *   4.3.0  SASL authentication failed; authentication protocol loop with server HOST[ADDR]
 * Postfix puts its own client response where CHALLENGE is, which logs the credentials; postkit shows what the
 * server sent. A multi-line reply keeps its lines apart with `?`, as Postfix's log shows them.
 *
 * Contract: saslAuthenticate() throws only what the connection throws (SmtpIoError); lookups throw MapError; a
 * filter table that fails throws FatalError (Postfix exits: `SASL mechanism filter failed for: 'MECH'`).
 */
import type { Config } from "../config/config.ts";
import { ConfigError } from "../config/config.ts";
import { msgWarn } from "../log/msg.ts";
import { FatalError } from "../sys/errors.ts";
import { openMapOrSurrogate, type LookupTable } from "../maps/index.ts";
import { mailAddrFind, mapsFind, type TableList } from "../resolve/mail_addr_find.ts";
import { compileDomainList, forEachListItem, type DomainList } from "../resolve/match_list.ts";
import type { SmtpReply } from "./reply.ts";
import { parseSaslSecurityOptions, SaslClient, SaslFailure } from "./sasl_mechanisms.ts";

/** The smtp_sasl_* (lmtp_sasl_*) settings. */
export interface SaslSettings {
  enable: boolean;
  /** The parameter name of the password tables, for messages (`smtp_sasl_password_maps`). */
  passwordMapsName: string;
  passwordMaps: string[];
  /** Security property bits (sasl_mechanisms.ts) for plaintext, TLS and verified-TLS sessions. */
  securityFlags: number;
  tlsSecurityFlags: number;
  tlsVerifiedSecurityFlags: number;
  mechanismFilter: string;
  mechanismFilterName: string;
  authSoftBounce: boolean;
  senderDependent: boolean;
  dummyMailAuth: boolean;
  sendAuthzid: boolean;
  /** line_length_limit: the longest joined mechanism list. */
  lineLimit: number;
  /** What the sender search needs (mail_addr_find()). */
  addressSearch: { recipientDelimiter: string; ownerRequestSpecial: boolean; doubleBounceSender: string; myorigin: string; mydestination: string; parentDomainMatchesSubdomains: string };
}

function securityFlags(cfg: Config, name: string, check: boolean): number {
  const r = parseSaslSecurityOptions(cfg.get(name).trim());
  if ("flags" in r) return r.flags;
  if (!check) return 0;
  for (const w of r.warnings) msgWarn(w);
  throw new ConfigError("SASL per-connection initialization failed");
}

/** Reads the settings of the `smtp` or `lmtp` client; throws ConfigError as the header says (only when enabled). */
export function readSaslSettings(cfg: Config, p: "smtp" | "lmtp"): SaslSettings {
  const enable = cfg.getBool(`${p}_sasl_auth_enable`);
  const passwordMaps = cfg.getList(`${p}_sasl_password_maps`);
  if (enable) {
    if (passwordMaps.length === 0) throw new ConfigError(`specify a password table via the \`${p}_sasl_password_maps' configuration parameter`);
    const type = cfg.get(`${p}_sasl_type`).trim();
    if (type !== "cyrus") {
      msgWarn(`unsupported SASL client implementation: ${type}`);
      throw new ConfigError("SASL library initialization");
    }
  }
  return {
    enable,
    passwordMapsName: `${p}_sasl_password_maps`,
    passwordMaps,
    securityFlags: securityFlags(cfg, `${p}_sasl_security_options`, enable),
    tlsSecurityFlags: securityFlags(cfg, `${p}_sasl_tls_security_options`, enable),
    tlsVerifiedSecurityFlags: securityFlags(cfg, `${p}_sasl_tls_verified_security_options`, enable),
    mechanismFilter: cfg.get(`${p}_sasl_mechanism_filter`).trim(),
    mechanismFilterName: `${p}_sasl_mechanism_filter`,
    authSoftBounce: cfg.getBool(`${p}_sasl_auth_soft_bounce`),
    senderDependent: cfg.getBool(`${p}_sender_dependent_authentication`),
    dummyMailAuth: cfg.getBool(`${p}_send_dummy_mail_auth`),
    sendAuthzid: cfg.getBool("send_cyrus_sasl_authzid"),
    lineLimit: cfg.getInt("line_length_limit"),
    addressSearch: {
      recipientDelimiter: cfg.get("recipient_delimiter"),
      ownerRequestSpecial: cfg.getBool("owner_request_special"),
      doubleBounceSender: cfg.get("double_bounce_sender"),
      myorigin: cfg.get("myorigin"),
      mydestination: cfg.get("mydestination"),
      parentDomainMatchesSubdomains: cfg.get("parent_domain_matches_subdomains"),
    },
  };
}

/** smtp_sasl_mechanism_filter as Postfix's string_list: the first pattern that matches decides. */
export class MechanismFilter {
  constructor(private readonly patterns: ({ word: string; negate: boolean } | { table: LookupTable; negate: boolean })[]) {}

  /** True when the mechanism passes; throws FatalError when a table fails (Postfix's msg_fatal()). */
  matches(mechanism: string): boolean {
    const m = mechanism.toLowerCase();
    for (const p of this.patterns) {
      let hit: boolean;
      if ("word" in p) hit = p.word === m;
      else {
        try {
          hit = p.table.lookup(m) !== undefined;
        } catch (e) {
          throw new FatalError(`sasl_mech_filter: SASL mechanism filter failed for: '${mechanism}'`, { cause: e });
        }
      }
      if (hit) return !p.negate;
    }
    return false;
  }
}

/** Compiles a filter value; undefined for an empty one. */
export async function compileMechanismFilter(value: string, paramName: string): Promise<MechanismFilter | undefined> {
  if (value.trim() === "") return undefined;
  const patterns: ConstructorParameters<typeof MechanismFilter>[0] = [];
  await forEachListItem(value, paramName, async (item, negate) => {
    if (/^[a-z][a-z0-9_-]*:/i.test(item)) patterns.push({ table: await openMapOrSurrogate(item), negate });
    else patterns.push({ word: item.toLowerCase(), negate });
  });
  return new MechanismFilter(patterns);
}

/** sasl_mech_filter(): the mechanisms of `words` that pass, space-separated; `words` as is without a filter. */
export function filterMechanisms(filter: MechanismFilter | undefined, words: string): string {
  if (!filter || words === "") return words;
  return words
    .split(/[ \t]+/)
    .filter((w) => w !== "" && filter.matches(w))
    .join(" ");
}

/**
 * smtp_sasl_helo_auth(): the session's mechanism list after one AUTH line (`words`: what follows the keyword),
 * and the warning to log when this line leaves it without any.
 */
export function addAuthLine(current: string | undefined, words: string, filter: MechanismFilter | undefined, namaddrport: string, lineLimit: number): { list: string | undefined; warning?: string } {
  const list = filterMechanisms(filter, words);
  if (current !== undefined) {
    if (current.toLowerCase() !== list.toLowerCase() && list.length > 0 && current.length < lineLimit) return { list: `${current} ${list}` };
    return { list: current };
  }
  if (list.length > 0) return { list };
  return { list: undefined, warning: words !== "" ? `${namaddrport} offered no supported AUTH mechanisms: '${words}'` : `${namaddrport} offered null AUTH mechanism list` };
}

/** The tables of one client process. */
export interface SaslTables {
  passwords: TableList;
  filter: MechanismFilter | undefined;
  /** mydestination, for the sender search's local parts; opened only with sender-dependent authentication. */
  localDomains: DomainList | undefined;
}

/** Opens the password tables (a table that cannot be opened fails its lookups), the filter and mydestination. */
export async function openSaslTables(s: SaslSettings, smtpMode: boolean): Promise<SaslTables> {
  const tables: LookupTable[] = [];
  for (const spec of s.passwordMaps) tables.push(await openMapOrSurrogate(spec));
  const search = s.addressSearch;
  return {
    passwords: { title: s.passwordMapsName, tables },
    filter: await compileMechanismFilter(s.mechanismFilter, s.mechanismFilterName),
    localDomains: smtpMode && s.senderDependent ? await compileDomainList(search.mydestination, "mydestination", search.parentDomainMatchesSubdomains) : undefined,
  };
}

/** A user name and password. */
export interface SaslCredentials {
  username: string;
  password: string;
}

/** `username:password` split at the first colon (no colon: an empty password). */
export function splitCredentials(value: string): SaslCredentials {
  const i = value.indexOf(":");
  return i < 0 ? { username: value, password: "" } : { username: value.slice(0, i), password: value.slice(i + 1) };
}

/** The keys smtp_sasl_passwd_lookup() tries after the sender: the server's host name, then the destination. */
export function saslPasswordKeys(host: string, dest: string): string[] {
  return [host, dest];
}

/** smtp_sasl_passwd_lookup(): the credentials for a session (see the header); undefined when none; throws MapError. */
export function lookupSaslPassword(
  s: SaslSettings,
  t: SaslTables,
  q: { sender: string; host: string; dest: string; smtpMode: boolean },
): SaslCredentials | undefined {
  let value: string | undefined;
  if (q.smtpMode && s.senderDependent && q.sender !== "") {
    const a = s.addressSearch;
    value = mailAddrFind(t.passwords, q.sender, {
      recipientDelimiter: a.recipientDelimiter,
      split: { ownerRequestSpecial: a.ownerRequestSpecial, doubleBounceSender: a.doubleBounceSender },
      myorigin: a.myorigin,
      isLocalDomain: (domain) => t.localDomains?.matches(domain) ?? false,
    });
  }
  for (const key of saslPasswordKeys(q.host, q.dest)) {
    if (value !== undefined) break;
    value = mapsFind(t.passwords, key, false);
  }
  return value === undefined ? undefined : splitCredentials(value);
}

/** The connection as the dialog needs it. */
export interface SaslConnection {
  write(text: string, timeoutMs: number): Promise<void>;
  readReply(timeoutMs: number): Promise<SmtpReply>;
}

/** How an AUTH dialog ended. */
export type SaslOutcome = { ok: true; mechanism: string } | { ok: false; dsn: string; reason: string };

/** What the dialog needs besides the connection. */
export interface SaslDialog {
  /** HOST[ADDR] for reason texts. */
  namaddr: string;
  mechanisms: string;
  credentials: SaslCredentials;
  securityFlags: number;
  sendAuthzid: boolean;
  authSoftBounce: boolean;
  timeoutMs: number;
}

/** The text of a 334 reply after its code and one separator (Postfix's mystrtok(&line, "- \t\n")). */
function challengeText(r: SmtpReply): string {
  const m = /^[- \t\n]*[^- \t\n]*[- \t\n]?/.exec(r.text)!;
  return r.text.slice(m[0].length);
}

/** smtp_sasl_authenticate(): runs the AUTH dialog; see the header. Logs the SASL library's warnings. */
export async function saslAuthenticate(conn: SaslConnection, d: SaslDialog): Promise<SaslOutcome> {
  const client = new SaslClient(d.securityFlags, d.credentials.username, d.credentials.password, d.sendAuthzid);
  const cannot = (f: SaslFailure): SaslOutcome => {
    if (f.warning) msgWarn(f.warning);
    return { ok: false, dsn: "4.7.0", reason: `SASL authentication failed; cannot authenticate to server ${d.namaddr}: ${f.reason}` };
  };
  let start;
  try {
    start = client.first(d.mechanisms);
  } catch (e) {
    if (e instanceof SaslFailure) return cannot(e);
    throw e;
  }
  const mech = start.mechanism;
  // RFC 4954: an AUTH line with its initial response must fit the 512 octets of a command line.
  let deferred = start.initialResponse;
  if (deferred.length > 0 && mech.length + deferred.length + 8 <= 512) {
    await conn.write(`AUTH ${mech} ${deferred}\r\n`, d.timeoutMs);
    deferred = "";
  } else await conn.write(`AUTH ${mech}\r\n`, d.timeoutMs);
  let steps = 0;
  let r: SmtpReply;
  while (Math.trunc((r = await conn.readReply(d.timeoutMs)).code / 100) === 3) {
    if (++steps > 100) return { ok: false, dsn: "4.3.0", reason: `SASL authentication failed; authentication protocol loop with server ${d.namaddr}` };
    const challenge = challengeText(r);
    let response: string;
    if (deferred.length > 0) {
      if (challenge !== "") return { ok: false, dsn: "4.7.0", reason: `SASL authentication failed; non-empty initial ${mech} challenge from server ${d.namaddr}: ${challenge}` };
      response = deferred;
      deferred = "";
    } else {
      try {
        response = client.next(challenge);
      } catch (e) {
        if (e instanceof SaslFailure) return cannot(e);
        throw e;
      }
    }
    await conn.write(`${response}\r\n`, d.timeoutMs);
  }
  if (Math.trunc(r.code / 100) !== 2) {
    const dsn = d.authSoftBounce && Math.trunc(r.code / 100) === 5 ? `4${r.dsn.slice(1)}` : r.dsn;
    return { ok: false, dsn, reason: `SASL authentication failed; server ${d.namaddr} said: ${r.text.replace(/\n/g, "?")}` };
  }
  return { ok: true, mechanism: mech };
}
