/**
 * smtpd_dns — the DNS questions the SMTP server asks (client name verification, unknown-domain checks, DNS
 * blocklists), behind one small interface so the restriction code does not care which resolver answers.
 *
 * Every answer is one of
 *   found     records of the type asked for (A/AAAA as text addresses, MX as host names, TXT strings joined)
 *   notfound  NXDOMAIN, or the name exists without records of that type (NODATA)
 *   error     anything else: timeout, SERVFAIL, REFUSED, a malformed reply; `text` says what, in Postfix's words
 *             (`Host or domain name not found. Name service error for name=N type=A: Host not found, try again`)
 *
 * The client names of a connection come from getnameinfo()/getaddrinfo() (reverseLookup, forwardLookup) as in
 * Postfix, so /etc/hosts is honoured (127.0.0.1 is `localhost`); IPv4 names in /etc/hosts are answered in-process
 * when nsswitch.conf looks there first (dns/hosts_file.ts), the rest through node:dns.
 *
 * Contract: never throws; a lookup never takes longer than the resolver's time limit.
 */
import { promises as dnsp } from "node:dns";
import { domainToASCII } from "node:url";
import type { Config } from "../config/config.ts";
import { StubResolver, addressesOfName, dnsLookupErrorText, nameOfAddress, resolverConfigPath, RESOLV_CONF_PARAMETER } from "../dns/index.ts";

/** The record types asked for. */
export type RrType = "A" | "AAAA" | "MX" | "TXT" | "NS" | "PTR";

/** One DNS answer; see the header. */
export interface DnsAnswer {
  status: "found" | "notfound" | "error";
  records: string[];
  /** For `error`: Postfix's description of the failure. */
  text?: string;
  /** For MX answers: each record's preference too, in `records` order. */
  mx?: { preference: number; exchange: string }[];
}

/** What the server needs from a resolver. */
export interface SmtpdResolver {
  query(name: string, type: RrType): Promise<DnsAnswer>;
}

/**
 * A domain as DNS is asked about it: a name with non-ASCII characters in its ASCII (A-label) form, as Postfix's
 * midna_domain_to_ascii() makes it; unchanged when it is ASCII or cannot be converted.
 */
export function dnsDomain(domain: string): string {
  return /^[\x00-\x7f]*$/.test(domain) ? domain : domainToASCII(domain) || domain;
}

/** Postfix's dns_strerror() text for a soft error on `name`/`type`. */
export function softErrorText(name: string, type: RrType): string {
  return `Host or domain name not found. Name service error for name=${name} type=${type}: Host not found, try again`;
}

/** The project's stub resolver (internal/dns), with the servers of postkit_resolv_conf or /etc/resolv.conf. */
export class StubSmtpdResolver implements SmtpdResolver {
  constructor(private readonly r: StubResolver) {}

  static fromConfig(cfg: Config): StubSmtpdResolver {
    return new StubSmtpdResolver(StubResolver.fromResolvConf(resolverConfigPath(cfg.get(RESOLV_CONF_PARAMETER))));
  }

  async query(name: string, type: RrType): Promise<DnsAnswer> {
    const r = await this.r.lookup(name, type);
    switch (r.status) {
      case "ok":
        return {
          status: "found",
          records: r.records.map((x) => (typeof x === "string" ? x : x.exchange)),
          ...(type === "MX" ? { mx: r.records.map((x) => (typeof x === "string" ? { preference: 0, exchange: x } : x)) } : {}),
        };
      case "nodata":
      case "nxdomain":
      case "invalid":
        return { status: "notfound", records: [] };
      default:
        return { status: "error", records: [], text: dnsLookupErrorText(r) };
    }
  }
}

/** A resolver built on node:dns (used until the project's own resolver is wired in, and for tests). */
export class NodeResolver implements SmtpdResolver {
  private readonly r: InstanceType<typeof dnsp.Resolver>;
  constructor(servers?: string[], timeoutMs = 5000) {
    this.r = new dnsp.Resolver({ timeout: timeoutMs, tries: 1 });
    if (servers && servers.length > 0) this.r.setServers(servers);
  }

  async query(name: string, type: RrType): Promise<DnsAnswer> {
    try {
      switch (type) {
        case "A":
          return { status: "found", records: await this.r.resolve4(name) };
        case "AAAA":
          return { status: "found", records: await this.r.resolve6(name) };
        case "MX": {
          const mx = (await this.r.resolveMx(name)).map((m) => ({ preference: m.priority, exchange: m.exchange }));
          return { status: "found", records: mx.map((m) => m.exchange), mx };
        }
        case "TXT":
          return { status: "found", records: (await this.r.resolveTxt(name)).map((t) => t.join("")) };
        case "NS":
          return { status: "found", records: await this.r.resolveNs(name) };
        case "PTR":
          return { status: "found", records: await this.r.resolvePtr(name) };
      }
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "ENOTFOUND" || code === "ENODATA") return { status: "notfound", records: [] };
      return { status: "error", records: [], text: softErrorText(name, type) };
    }
  }
}

/** Client name lookups through the system resolver (getnameinfo/getaddrinfo, /etc/hosts included). */
export interface PeerNameLookup {
  reverse(addr: string): Promise<{ status: "ok" | "temp" | "perm"; name?: string }>;
  forward(name: string): Promise<{ status: "ok" | "temp" | "perm"; addresses: string[] }>;
}

/** The system's getnameinfo()/getaddrinfo(). */
export const systemPeerLookup: PeerNameLookup = {
  async reverse(addr) {
    // /etc/hosts first, in-process, when nsswitch.conf says glibc would look there first (dns/hosts_file.ts)
    const known = nameOfAddress(addr);
    if (known !== undefined) return { status: "ok", name: known };
    try {
      const r = await dnsp.lookupService(addr, 0);
      if (!r.hostname || r.hostname === addr) return { status: "perm" };
      return { status: "ok", name: r.hostname };
    } catch (e) {
      const code = (e as { code?: string }).code;
      return { status: code === "EAI_AGAIN" || code === "ETIMEOUT" ? "temp" : "perm" };
    }
  },
  async forward(name) {
    const known = addressesOfName(name);
    if (known !== undefined) return { status: "ok", addresses: known };
    try {
      const r = await dnsp.lookup(name, { all: true });
      return { status: "ok", addresses: r.map((a) => a.address) };
    } catch (e) {
      const code = (e as { code?: string }).code;
      return { status: code === "EAI_AGAIN" || code === "ETIMEOUT" ? "temp" : "perm", addresses: [] };
    }
  },
};
