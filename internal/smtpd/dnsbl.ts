/**
 * dnsbl — DNS block and allow lists for the SMTP server: reject_rbl_client, reject_rhsbl_{client,reverse_client,
 * helo,sender,recipient}, permit_dnswl_client, permit_rhswl_client (Postfix's smtpd_check.c DNSXL code).
 *
 * A list argument is `domain` or `domain=pattern`. The query name is the reversed client address (IPv4 octets,
 * or 32 IPv6 nibbles) or the checked domain, followed by `.domain`. The A records of the answer are the listing;
 * with a pattern (ip_match syntax: `127.0.0.2`, `127.0.0.[2..11]`, `127.0.[1;3].[2..5]`) only a matching record
 * counts. When listed, the TXT records give `$rbl_reason` (joined with ` / `, at most 500 characters).
 *
 * The reply comes from rbl_reply_maps (the full argument, then the bare domain) or default_rbl_reply, expanded with
 * $rbl_code (maps_rbl_reject_code), $rbl_domain, $rbl_what, $rbl_class, $rbl_reason/$rbl_txt and the smtpd
 * names ($client_address, $helo_name, $sender, $recipient …); `${name?text}` and `${name:text}` work. A reply that
 * does not start with `4NN ` or `5NN ` logs `warning: rbl response code configuration error: TEXT` and becomes
 * `450 4.7.1 Service unavailable`.
 *
 * Failures fail open: a lookup that times out, gets SERVFAIL or REFUSED does not match; the log gets
 * `warning: QUERY: RBL lookup error: Host or domain name not found. Name service error for name=QUERY type=A:
 * Host not found, try again` (for allow lists the stage's later reject becomes a 450 instead, as in Postfix).
 * Beyond Postfix: an answer that means "error" rather than "listed" (an A record in 127.255.255.0/24, or outside
 * 127.0.0.0/8, as Spamhaus and others send for refused or malformed queries) fails open as well, with
 * `warning: QUERY: RBL lookup error: DOMAIN answered ADDRESS, which is an error code, not a listing`;
 * `postkit_dnsbl_error_answers = listing` restores Postfix's behaviour (any A record is a listing).
 *
 * Results (negative ones too, and failures) are cached per process for CACHE_TTL_MS in an LRU of 100 query
 * names, as a promise, so concurrent sessions and the parallel prefetch of a stage share one query.
 */
import type { Config } from "../config/config.ts";
import { msgWarn } from "../log/msg.ts";
import { openMap, MapError, type LookupTable } from "../maps/index.ts";
import { isValidHostname } from "../address/valid_hostname.ts";
import { parseIPv4, parseIPv6 } from "../maps/cidr_table.ts";
import { dnsDomain, type SmtpdResolver } from "./smtpd_dns.ts";
import { expandTemplate, type CheckSessionLike, sessionMacro } from "./smtpd_expand.ts";
import { smtpdDsnFix } from "./smtpd_dsn_fix.ts";
import { dsnSplit } from "../dsn/dsn_status.ts";

/** What a lookup found. */
interface RblResult {
  kind: "listed" | "notlisted" | "soft";
  addresses: string[];
  txt?: string;
}

/** A rejection to send: code, DSN and text, or a server error. */
export type RblReject = { code: number; dsn: string; text: string } | { serverError: true };

const CACHE_SIZE = 100;
const CACHE_TTL_MS = 100_000;
const TXT_LIMIT = 500;

/** Compiles an ip_match pattern (`1.2.3.[4..6;9]`); undefined when malformed. */
export function compileIpMatch(pattern: string): ((addr: string) => boolean) | undefined {
  const fm = /^(\d+|\[[^\]]*\])\.(\d+|\[[^\]]*\])\.(\d+|\[[^\]]*\])\.(\d+|\[[^\]]*\])$/.exec(pattern);
  if (!fm) return undefined;
  const fields = fm.slice(1);
  const sets: ((n: number) => boolean)[] = [];
  for (const f of fields) {
    if (/^\d{1,3}$/.test(f)) {
      const v = Number(f);
      if (v > 255) return undefined;
      sets.push((n) => n === v);
      continue;
    }
    const m = /^\[(.*)\]$/.exec(f);
    if (!m) return undefined;
    const parts = m[1]!.split(";");
    const ranges: [number, number][] = [];
    for (const p of parts) {
      const r = /^(\d{1,3})(?:\.\.(\d{1,3}))?$/.exec(p);
      if (!r) return undefined;
      const lo = Number(r[1]);
      const hi = r[2] === undefined ? lo : Number(r[2]);
      if (lo > 255 || hi > 255 || lo > hi) return undefined;
      ranges.push([lo, hi]);
    }
    sets.push((n) => ranges.some(([lo, hi]) => n >= lo && n <= hi));
  }
  return (addr) => {
    const b = parseIPv4(addr);
    return !!b && sets.every((s, i) => s(b[i]!));
  };
}

/** The reversed-address query prefix: `4.3.2.1.` or 32 nibbles for IPv6. */
export function reverseAddress(addr: string): string | undefined {
  if (addr.includes(":")) {
    const b = parseIPv6(addr);
    if (!b) return undefined;
    let q = "";
    for (let i = 15; i >= 0; i--) q += `${(b[i]! & 0xf).toString(16)}.${(b[i]! >> 4).toString(16)}.`;
    return q;
  }
  const b = parseIPv4(addr);
  if (!b) return undefined;
  return `${b[3]}.${b[2]}.${b[1]}.${b[0]}.`;
}

/** The domain an RHS list checks in `what` (after the last `@`); undefined when it is not checkable. */
export function rhsDomain(what: string): string | undefined {
  const at = what.lastIndexOf("@");
  let domain = at >= 0 ? what.slice(at + 1) : what;
  if (domain.startsWith("[") || domain === "") return undefined;
  const dot = domain.lastIndexOf(".");
  if (/^\d+$/.test(dot < 0 ? domain : domain.slice(dot + 1))) return undefined;
  domain = dnsDomain(domain);
  if (domain === "" || !isValidHostname(domain)) return undefined;
  return domain;
}

/** True for an answer that means "error" rather than "listed" (see the header). */
export function isErrorAnswer(addr: string): boolean {
  const b = parseIPv4(addr);
  if (!b) return true;
  return b[0] !== 127 || (b[1] === 255 && b[2] === 255);
}

/** The DNS list machinery of one smtpd process. */
export class Dnsbl {
  private cache = new Map<string, { at: number; p: Promise<RblResult> }>();
  private patterns = new Map<string, ((a: string) => boolean) | undefined>();
  private replyMaps: LookupTable[] | undefined;
  private strictPostfix: boolean;

  constructor(
    private readonly cfg: Config,
    private readonly dns: SmtpdResolver,
  ) {
    this.strictPostfix = (cfg.setValue("postkit_dnsbl_error_answers") ?? "fail_open").trim() === "listing";
  }

  private async maps(): Promise<LookupTable[]> {
    if (this.replyMaps) return this.replyMaps;
    const out: LookupTable[] = [];
    for (const spec of this.cfg.getList("rbl_reply_maps")) out.push(await openMap(spec));
    this.replyMaps = out;
    return out;
  }

  /** The cached (or new) lookup of `query` (without the `=pattern`). */
  private lookup(query: string, domain: string): Promise<RblResult> {
    const now = Date.now();
    const hit = this.cache.get(query);
    if (hit && now - hit.at < CACHE_TTL_MS) {
      this.cache.delete(query);
      this.cache.set(query, hit);
      return hit.p;
    }
    const p = this.pagein(query, domain);
    this.cache.set(query, { at: now, p });
    while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    return p;
  }

  private async pagein(query: string, domain: string): Promise<RblResult> {
    const a = await this.dns.query(query, "A");
    if (a.status === "error") {
      msgWarn(`${query}: RBL lookup error: ${a.text}`);
      return { kind: "soft", addresses: [] };
    }
    if (a.status === "notfound" || a.records.length === 0) return { kind: "notlisted", addresses: [] };
    if (!this.strictPostfix) {
      const bad = a.records.find(isErrorAnswer);
      if (bad !== undefined) {
        msgWarn(`${query}: RBL lookup error: ${domain} answered ${bad}, which is an error code, not a listing`);
        return { kind: "soft", addresses: [] };
      }
    }
    const txt = await this.dns.query(query, "TXT");
    let text: string | undefined;
    if (txt.status === "found" && txt.records.length > 0) {
      text = "";
      for (let i = 0; i < txt.records.length && text.length < TXT_LIMIT; i++) {
        text += txt.records[i]!.slice(0, TXT_LIMIT - text.length);
        if (i + 1 < txt.records.length && TXT_LIMIT - text.length > 3) text += " / ";
      }
    }
    return { kind: "listed", addresses: a.records, txt: text };
  }

  private pattern(p: string): ((a: string) => boolean) | undefined {
    if (!this.patterns.has(p)) {
      const m = compileIpMatch(p);
      if (!m) msgWarn(`bad DNSBL filter syntax: ${p}`);
      this.patterns.set(p, m);
      if (this.patterns.size > 1000) this.patterns.delete(this.patterns.keys().next().value!);
    }
    return this.patterns.get(p);
  }

  /** The query name for a list word and its argument, or undefined when the word does not apply. */
  private queryFor(s: CheckSessionLike, word: string, arg: string): { query: string; domain: string; pattern?: string } | undefined {
    const eq = arg.indexOf("=");
    const domain = eq < 0 ? arg : arg.slice(0, eq);
    const pattern = eq < 0 ? undefined : arg.slice(eq + 1);
    let prefix: string | undefined;
    switch (word) {
      case "reject_rbl_client":
      case "reject_rbl":
      case "permit_dnswl_client":
        prefix = reverseAddress(s.addr);
        break;
      case "reject_rhsbl_client":
      case "permit_rhswl_client":
        if (s.name.toLowerCase() !== "unknown") prefix = rhsDomainPrefix(s.name);
        break;
      case "reject_rhsbl_reverse_client":
        if (s.reverseName.toLowerCase() !== "unknown") prefix = rhsDomainPrefix(s.reverseName);
        break;
      case "reject_rhsbl_helo":
        if (s.heloName !== undefined) prefix = rhsDomainPrefix(s.heloName);
        break;
      case "reject_rhsbl_sender":
        if (s.sender) prefix = rhsDomainPrefix(s.sender);
        break;
      case "reject_rhsbl_recipient":
        if (s.recipient) prefix = rhsDomainPrefix(s.recipient);
        break;
    }
    if (prefix === undefined) return undefined;
    return { query: `${prefix}${domain}`, domain, pattern };
  }

  /** Starts the lookup a list word will need (the concurrent prefetch of a stage). */
  prefetch(s: CheckSessionLike, word: string, arg: string): void {
    const q = this.queryFor(s, word, arg);
    if (q) void this.lookup(q.query, q.domain);
  }

  /** find_dnsxl_*(): listed (matching the pattern), not listed, or soft error. */
  private async find(query: string, domain: string, pattern: string | undefined): Promise<RblResult | { kind: "badpattern" }> {
    const r = await this.lookup(query, domain);
    if (r.kind === "listed" && pattern !== undefined) {
      const m = this.pattern(pattern);
      if (!m) return { kind: "badpattern" };
      if (!r.addresses.some(m)) return { kind: "notlisted", addresses: [] };
    }
    return r;
  }

  private async rejectWith(s: CheckSessionLike, word: string, arg: string, what: string, replyClass: string): Promise<RblReject | undefined> {
    const q = this.queryFor(s, word, arg);
    if (!q) return undefined;
    const r = await this.find(q.query, q.domain, q.pattern);
    if (r.kind === "badpattern") return { serverError: true };
    if (r.kind !== "listed") return undefined;
    return this.reply(s, r, arg, what, replyClass);
  }

  /** reject_rbl_client. */
  rejectAddr(s: CheckSessionLike, arg: string, addr: string, replyClass: string): Promise<RblReject | undefined> {
    return this.rejectWith(s, "reject_rbl_client", arg, addr, replyClass);
  }

  /** reject_rhsbl_*: `what` is the name or address whose domain is checked. */
  rejectDomain(s: CheckSessionLike, arg: string, what: string, replyClass: string): Promise<RblReject | undefined> {
    const word =
      replyClass === "Client host" ? "reject_rhsbl_client" : replyClass === "Unverified Client host" ? "reject_rhsbl_reverse_client" : replyClass === "Helo command" ? "reject_rhsbl_helo" : replyClass === "Sender address" ? "reject_rhsbl_sender" : "reject_rhsbl_recipient";
    return this.rejectWith(s, word, arg, what, replyClass);
  }

  private async permitWith(s: CheckSessionLike, word: string, arg: string): Promise<"permit" | "defer" | "dunno"> {
    const q = this.queryFor(s, word, arg);
    if (!q) return "dunno";
    const r = await this.find(q.query, q.domain, q.pattern);
    if (r.kind === "listed") return "permit";
    if (r.kind === "soft") return "defer";
    return "dunno";
  }

  /** permit_dnswl_client. */
  permitAddr(s: CheckSessionLike, arg: string, _addr: string): Promise<"permit" | "defer" | "dunno"> {
    return this.permitWith(s, "permit_dnswl_client", arg);
  }

  /** permit_rhswl_client. */
  permitDomain(s: CheckSessionLike, arg: string, _what: string): Promise<"permit" | "defer" | "dunno"> {
    return this.permitWith(s, "permit_rhswl_client", arg);
  }

  /** rbl_reject_reply(). */
  private async reply(s: CheckSessionLike, r: RblResult, arg: string, what: string, replyClass: string): Promise<RblReject> {
    const eq = arg.indexOf("=");
    const domain = eq < 0 ? arg : arg.slice(0, eq);
    let template: string | undefined;
    try {
      const maps = await this.maps();
      for (const t of maps) {
        template = t.lookup(arg) ?? (domain !== arg ? t.lookup(domain) : undefined);
        if (template !== undefined) break;
      }
    } catch (e) {
      if (e instanceof MapError) return { serverError: true };
      throw e;
    }
    const vars = (name: string): string | undefined => {
      switch (name) {
        case "rbl_code":
          return String(this.cfg.getInt("maps_rbl_reject_code"));
        case "rbl_domain":
          return domain;
        case "rbl_reason":
        case "rbl_txt":
          return r.txt ?? "";
        case "rbl_what":
          return what;
        case "rbl_class":
          return replyClass;
        default:
          return sessionMacro(s, name, this.cfg);
      }
    };
    let why: string | undefined;
    if (template !== undefined) {
      why = expandTemplate(template, vars);
      if (why === undefined) msgWarn(`rbl_reject_reply: bad rbl reply template for domain ${arg}: ${template}`);
    }
    if (why === undefined) why = expandTemplate(this.cfg.raw("default_rbl_reply") ?? "", vars) ?? "";
    if (!/^[45]\d\d /.test(why)) {
      msgWarn(`rbl response code configuration error: ${why}`);
      return { code: 450, dsn: "4.7.1", text: "Service unavailable" };
    }
    const code = Number(why.slice(0, 3));
    const { dsn, text } = dsnSplit("4.7.1", why.slice(4));
    return { code, dsn: smtpdDsnFix(dsn, replyClass), text: text || "Service unavailable" };
  }
}

function rhsDomainPrefix(what: string): string | undefined {
  const d = rhsDomain(what);
  return d === undefined ? undefined : `${d}.`;
}
