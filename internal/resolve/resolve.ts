/**
 * resolve — where a recipient goes: Postfix's trivial-rewrite resolve service, as a library used by the queue
 * manager (and later by smtpd's reject_unauth_destination).
 *
 * The address class comes from its domain, in this order:
 *   local    no domain, or the domain is in mydestination         → local_transport (local:$myhostname)
 *   alias    the domain is in virtual_alias_domains               → error:5.1.1 User unknown in virtual alias table
 *            (addresses that virtual_alias_maps rewrote never get here: cleanup replaced them)
 *   virtual  the domain is in virtual_mailbox_domains             → virtual_transport, next hop the domain
 *   relay    the domain is in relay_domains                       → relay_transport, next hop the domain
 *   default  anything else                                        → default_transport, next hop the domain
 * relayhost replaces the next hop of the relay and default classes. transport_maps then overrides transport
 * and/or next hop: keys are the full address, the domain, its parent domains as `.parent`, and `*`; a value is
 * `transport:nexthop` where either part may be empty to keep what the class gave.
 *
 * Contract: `Resolver.create()` opens every table once; `resolve()` is synchronous and throws MapError when a
 * table lookup fails temporarily (the caller defers the recipient).
 */
import type { Config } from "../config/config.ts";
import { openMap, type LookupTable } from "../maps/index.ts";
import { compileDomainList, type DomainList } from "./match_list.ts";

/** The outcome of resolving one address. */
export interface Resolution {
  cls: "local" | "alias" | "virtual" | "relay" | "default";
  /** master.cf service name to deliver with. */
  transport: string;
  /** Next hop for that transport (a domain, [host]:port, or for error/retry/discard the text). */
  nexthop: string;
  /** The address to deliver to (unchanged today; kept for address rewriting by transports). */
  address: string;
}

function splitTransport(value: string): { transport: string; nexthop: string } {
  const i = value.indexOf(":");
  return i < 0 ? { transport: value.trim(), nexthop: "" } : { transport: value.slice(0, i).trim(), nexthop: value.slice(i + 1).trim() };
}

/** The domain part of an address ("" when there is none); the local part may contain quoted `@`. */
export function addressDomain(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : address.slice(at + 1).toLowerCase();
}

/** Resolves recipients for one configuration. */
export class Resolver {
  private constructor(
    private readonly cfg: Config,
    private readonly mydestination: DomainList,
    private readonly aliasDomains: DomainList,
    private readonly mailboxDomains: DomainList,
    private readonly relayDomains: DomainList,
    private readonly transportMaps: LookupTable[],
  ) {}

  /** Opens the domain lists and transport_maps of `cfg`. */
  static async create(cfg: Config): Promise<Resolver> {
    const pdms = cfg.get("parent_domain_matches_subdomains");
    const list = (p: string) => compileDomainList(cfg.get(p), p, pdms);
    const tables: LookupTable[] = [];
    for (const spec of cfg.getList("transport_maps")) tables.push(await openMap(spec));
    return new Resolver(cfg, await list("mydestination"), await list("virtual_alias_domains"), await list("virtual_mailbox_domains"), await list("relay_domains"), tables);
  }

  private transportOverride(address: string, domain: string): string | undefined {
    if (this.transportMaps.length === 0) return undefined;
    const keys = [address.toLowerCase()];
    if (domain !== "") {
      keys.push(domain);
      for (let i = domain.indexOf("."); i >= 0; i = domain.indexOf(".", i + 1)) keys.push(domain.slice(i));
    }
    keys.push("*");
    for (const key of keys) {
      for (const t of this.transportMaps) {
        if (!t.fixed && key !== address.toLowerCase()) continue; // pattern tables see the full address only
        const v = t.lookup(key);
        if (v !== undefined) return v;
      }
    }
    return undefined;
  }

  /** Where `address` goes. */
  resolve(address: string): Resolution {
    const domain = addressDomain(address);
    let cls: Resolution["cls"];
    let tn: { transport: string; nexthop: string };
    if (domain === "" || this.mydestination.matches(domain)) {
      cls = "local";
      tn = splitTransport(this.cfg.get("local_transport"));
      if (tn.nexthop === "") tn.nexthop = this.cfg.get("myhostname");
    } else if (this.aliasDomains.matches(domain)) {
      cls = "alias";
      tn = { transport: "error", nexthop: "5.1.1 User unknown in virtual alias table" };
    } else if (this.mailboxDomains.matches(domain)) {
      cls = "virtual";
      tn = splitTransport(this.cfg.get("virtual_transport"));
      if (tn.nexthop === "") tn.nexthop = domain;
    } else {
      cls = this.relayDomains.matches(domain) ? "relay" : "default";
      tn = splitTransport(this.cfg.get(cls === "relay" ? "relay_transport" : "default_transport"));
      const relayhost = this.cfg.get("relayhost").trim();
      if (tn.nexthop === "") tn.nexthop = relayhost !== "" ? relayhost : domain;
    }
    if (cls !== "alias") {
      const over = this.transportOverride(address, domain);
      if (over !== undefined) {
        const o = splitTransport(over);
        if (o.transport !== "") tn.transport = o.transport;
        if (o.nexthop !== "") tn.nexthop = o.nexthop;
      }
    }
    return { cls, transport: tn.transport, nexthop: tn.nexthop, address };
  }
}
