/**
 * server_addresses — from a next-hop domain or host to the ordered list of server addresses to try, with
 * Postfix's error texts and status codes when there is none (Postfix's smtp_addr.c).
 *
 * - `domainAddresses(domain)`: MX lookup. MX hosts are tried by preference; addresses of equal preference in random
 *   order (smtp_randomize_addresses), optionally IPv6 or IPv4 first (smtp_address_preference). No MX record (NODATA
 *   or NXDOMAIN): the domain's own A/AAAA records (`hostAddresses`). A null MX (RFC 7505): 5.1.0 `Domain D does not
 *   accept mail (nullMX)`. A temporary DNS failure: 4.4.3 with the resolver's text (`Host or domain name not found.
 *   Name service error for name=D type=MX: Host not found, try again`), no fallback to A records (unless
 *   ignore_mx_lookup_error). MX hosts without addresses: `warning: no MX host for D has a valid address record`,
 *   and the last lookup's text.
 * - `hostAddresses(host)`: a numeric address as is; else A and/or AAAA records (inet_protocols), then the native
 *   name service (getaddrinfo: /etc/hosts) when smtp_host_lookup includes `native`. Not found: 5.4.4
 *   `Host or domain name not found. Name service error for name=H type=AAAA: Host not found` (the text of the
 *   last type asked, as Postfix reports it); temporary failure: 4.4.3.
 * - Soft errors dominate: once a temporary failure was seen, later "not found" results keep a 4.x.x status.
 * - Mail loop check (port 25 only, as Postfix): MX hosts at or after the preference of one of our own addresses
 *   (inet_interfaces, proxy_interfaces) are dropped; nothing left: 5.4.6 `mail for D loops back to myself`, or
 *   4.4.4 `unable to find primary relay for D` when better MX hosts had no address.
 * - smtp_balance_inet_protocols: with both IPv4 and IPv6 addresses and more than smtp_mx_address_limit of them, keep
 *   a share of each within the limit.
 *
 * Contract: never throws; returns addresses or a {dsn, reason} (and logs Postfix's warnings).
 */
import { isIP } from "node:net";
import { lookup as nativeLookup } from "node:dns/promises";
import { hostnameProblem } from "../address/index.ts";
import { dnsLookupErrorText, type DnsResult, type DnsStatus, type StubResolver } from "../dns/index.ts";
import { msgWarn } from "../log/msg.ts";

/** One server address to try. */
export interface ServerAddress {
  /** The host name (MX exchange or next-hop host), or the address for a numeric next hop. */
  host: string;
  address: string;
  family: 4 | 6;
  /** MX preference (0 without MX). */
  pref: number;
  port: number;
}

/** Why there is no address: Postfix's DSN status and reason. */
export interface Why {
  dsn: string;
  reason: string;
}

/** The lookup settings (from main.cf). */
export interface AddressSettings {
  /** inet_protocols: which address families to use, in Postfix's lookup order. */
  families: (4 | 6)[];
  /** smtp_host_lookup */
  dnsLookup: boolean;
  nativeLookup: boolean;
  /** smtp_address_preference: any, ipv4, ipv6 */
  preference: "any" | "ipv4" | "ipv6";
  randomize: boolean;
  balance: boolean;
  mxAddressLimit: number;
  /** smtp_defer_if_no_mx_address_found */
  deferIfNoMxAddress: boolean;
  /** ignore_mx_lookup_error */
  ignoreMxLookupError: boolean;
  /** Our own addresses, for the mail loop check. */
  ownAddresses: Set<string>;
}

/** The outcome of an address lookup. */
export type AddressResult = { ok: true; addresses: ServerAddress[]; bestPref: number } | { ok: false; why: Why; loops?: boolean };

// Postfix's dns_lookup() results, ordered as its dns.h orders them (higher is better).
const DNS_OK = 0;
const DNS_RETRY = -2;
const DNS_INVAL = -3;
const DNS_FAIL = -4;
const DNS_NOTFOUND = -7;

function pfStatus(s: DnsStatus): number {
  switch (s) {
    case "ok":
      return DNS_OK;
    case "nodata":
    case "nxdomain":
    case "invalid":
      return DNS_NOTFOUND;
    case "failure":
      return DNS_FAIL;
    default:
      return DNS_RETRY;
  }
}

const soft = (why: Why) => why.dsn.startsWith("4");

/** Looks up server addresses for a delivery destination. */
export class ServerAddressFinder {
  constructor(
    private readonly dns: StubResolver,
    private readonly s: AddressSettings,
  ) {}

  /** dns_lookup_v() over the address types of inet_protocols: the records, the combined status, the text. */
  private async lookupAddresses(host: string): Promise<{ status: number; text: string; records: { address: string; family: 4 | 6 }[] }> {
    const types = this.s.families.map((f) => (f === 4 ? ("A" as const) : ("AAAA" as const)));
    const records: { address: string; family: 4 | 6 }[] = [];
    let saved: { status: number; text: string } | undefined;
    let status = DNS_NOTFOUND;
    let text = "";
    for (let i = 0; i < types.length; i++) {
      const r: DnsResult<"A" | "AAAA"> = await this.dns.lookup(host, types[i]!);
      for (const a of r.records) records.push({ address: a, family: types[i] === "A" ? 4 : 6 });
      status = pfStatus(r.status);
      text = status === DNS_OK ? text : dnsLookupErrorText(r);
      if (i === types.length - 1) break;
      if (!saved || status >= saved.status) saved = { status, text };
    }
    if (saved && status < saved.status) ({ status, text } = saved);
    return { status, text, records };
  }

  /** smtp_addr_one(): addresses of one host, appended to `list`; failures update `why`. */
  private async addrOne(list: ServerAddress[], host: string, pref: number, port: number, why: Why): Promise<void> {
    const fam = isIP(host);
    if (fam !== 0 && this.s.families.includes(fam as 4 | 6)) {
      list.push({ host, address: host, family: fam as 4 | 6, pref, port });
      return;
    }
    if (this.s.dnsLookup) {
      if (fam !== 0) {
        why.reason = `Name service error for ${host}: invalid host or domain name`;
        why.dsn = soft(why) ? "4.4.4" : "5.4.4";
      } else {
        const r = await this.lookupAddresses(host);
        if (r.status === DNS_OK) {
          for (const a of r.records) list.push({ host, address: a.address, family: a.family, pref, port });
          return;
        }
        why.reason = r.text;
        if (r.status === DNS_FAIL) why.dsn = soft(why) ? "4.4.3" : "5.4.3";
        else if (r.status === DNS_NOTFOUND || r.status === DNS_INVAL) why.dsn = soft(why) ? "4.4.4" : "5.4.4";
        else {
          why.dsn = "4.4.3";
          return;
        }
        if (r.status !== DNS_NOTFOUND) return;
      }
    }
    if (this.s.nativeLookup) {
      try {
        const res = await nativeLookup(host, { all: true });
        let found = 0;
        for (const a of res) {
          if (!this.s.families.includes(a.family as 4 | 6)) continue;
          found++;
          list.push({ host, address: a.address, family: a.family as 4 | 6, pref, port });
        }
        if (found === 0) {
          why.dsn = soft(why) ? "4.4.4" : "5.4.4";
          why.reason = `${host}: host not found`;
        }
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const retry = code === "EAI_AGAIN" || code === "EAI_MEMORY" || code === "EAI_SYSTEM";
        const nohost = code === "EAI_AGAIN" || code === "ENOTFOUND" || code === "EAI_NODATA" || code === "EAI_NONAME";
        why.dsn = soft(why) || retry ? (nohost ? "4.4.4" : "4.3.0") : nohost ? "5.4.4" : "5.3.0";
        why.reason = `unable to look up host ${host}: ${aiErrorText(code)}`;
      }
    }
  }

  /** Orders addresses as Postfix does: random within a preference, then by preference (and family). */
  private order(list: ServerAddress[]): ServerAddress[] {
    let out = list;
    if (this.s.randomize) out = shuffle(out);
    const famRank = (a: ServerAddress) => (this.s.preference === "ipv6" ? (a.family === 6 ? 0 : 1) : this.s.preference === "ipv4" ? (a.family === 4 ? 0 : 1) : 0);
    out = [...out].sort((a, b) => a.pref - b.pref || famRank(a) - famRank(b));
    if (this.s.mxAddressLimit > 0 && this.s.balance) out = balanceFamilies(out, this.s.mxAddressLimit);
    return out;
  }

  private findSelf(list: ServerAddress[]): ServerAddress | undefined {
    return list.find((a) => this.s.ownAddresses.has(a.address));
  }

  /** smtp_host_addr(): addresses of a host (no MX lookup). */
  async hostAddresses(host: string, port: number, loopDetect: boolean): Promise<AddressResult> {
    const why: Why = { dsn: "", reason: "" };
    let list: ServerAddress[] = [];
    await this.addrOne(list, host, 0, port, why);
    if (list.length > 0 && loopDetect && this.findSelf(list)) {
      return { ok: false, why: { dsn: "5.4.6", reason: `mail for ${host} loops back to myself` }, loops: true };
    }
    if (list.length === 0) return { ok: false, why: why.dsn ? why : { dsn: "4.4.4", reason: `${host}: host not found` } };
    if (list.length > 1) {
      if (this.s.randomize) list = shuffle(list);
      if (this.s.families.length > 1) list = this.order(list);
      else if (this.s.mxAddressLimit > 0 && this.s.balance) list = balanceFamilies(list, this.s.mxAddressLimit);
    }
    return { ok: true, addresses: list, bestPref: 0 };
  }

  /** smtp_domain_addr(): MX lookup, then the MX hosts' addresses (or the domain's own addresses). */
  async domainAddresses(domain: string, port: number, loopDetect: boolean): Promise<AddressResult> {
    const mx = await this.dns.lookupMx(domain);
    const why: Why = { dsn: "", reason: "" };
    const fallback = async () => (this.s.ignoreMxLookupError ? this.hostAddresses(domain, port, loopDetect) : { ok: false as const, why });
    if (mx.status === "ok") {
      if (mx.records.some((r) => r.exchange === "")) {
        return { ok: false, why: { dsn: "5.1.0", reason: `Domain ${domain} does not accept mail (nullMX)` } };
      }
      if (mx.records.some((r) => hostnameProblem(r.exchange) !== undefined && isIP(r.exchange) === 0)) {
        why.dsn = "5.4.4";
        why.reason = `Name service error for name=${domain} type=MX: Malformed or unexpected name server reply`;
        return fallback();
      }
      const names = [...mx.records].sort((a, b) => a.preference - b.preference);
      const bestPref = names[0]!.preference;
      let list: ServerAddress[] = [];
      for (const n of names) await this.addrOne(list, n.exchange, n.preference, port, why);
      if (list.length === 0) {
        if (this.s.deferIfNoMxAddress && why.dsn.startsWith("5")) why.dsn = `4${why.dsn.slice(1)}`;
        msgWarn(`no MX host for ${domain} has a valid address record`);
        return { ok: false, why };
      }
      const bestFound = list[0]!.pref;
      if (loopDetect) {
        const self = this.findSelf(list);
        if (self) {
          list = list.filter((a) => a.pref < self.pref);
          if (list.length === 0) {
            return bestPref !== bestFound
              ? { ok: false, why: { dsn: "4.4.4", reason: `unable to find primary relay for ${domain}` }, loops: true }
              : { ok: false, why: { dsn: "5.4.6", reason: `mail for ${domain} loops back to myself` }, loops: true };
          }
        }
      }
      if (list.length > 1) list = this.order(list);
      return { ok: true, addresses: list, bestPref: list[0]!.pref };
    }
    const st = pfStatus(mx.status);
    if (st === DNS_NOTFOUND) return this.hostAddresses(domain, port, loopDetect);
    why.reason = dnsLookupErrorText(mx);
    why.dsn = st === DNS_FAIL ? "5.4.3" : "4.4.3";
    return fallback();
  }
}

/** Text of a getaddrinfo() error, as gai_strerror() gives it. */
function aiErrorText(code: string | undefined): string {
  switch (code) {
    case "ENOTFOUND":
    case "EAI_NONAME":
      return "Name or service not known";
    case "EAI_AGAIN":
      return "Temporary failure in name resolution";
    case "EAI_NODATA":
      return "No address associated with hostname";
    case "EAI_FAIL":
      return "Non-recoverable failure in name resolution";
    default:
      return code ?? "System error";
  }
}

function shuffle<T>(list: T[]): T[] {
  const a = [...list];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** smtp_balance_inet_proto(): keep both families represented within `limit` addresses. */
export function balanceFamilies(list: ServerAddress[], limit: number): ServerAddress[] {
  const v4 = list.filter((a) => a.family === 4).length;
  const v6 = list.length - v4;
  if (v4 === 0 || v6 === 0 || v4 + v6 <= limit) return list;
  let t6: number;
  let t4: number;
  if (v6 <= Math.floor(limit / 2)) {
    t6 = v6;
    t4 = limit - t6;
  } else if (v4 <= Math.floor(limit / 2)) {
    t4 = v4;
    t6 = limit - t4;
  } else {
    t4 = Math.floor((limit + (list[0]!.family === 4 ? 1 : 0)) / 2);
    t6 = limit - t4;
  }
  const out: ServerAddress[] = [];
  for (const a of list) {
    if (a.family === 4 && t4 > 0) {
      out.push(a);
      t4--;
    } else if (a.family === 6 && t6 > 0) {
      out.push(a);
      t6--;
    }
  }
  return out;
}
