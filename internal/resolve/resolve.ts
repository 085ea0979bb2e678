/**
 * resolve — where a recipient goes: Postfix's trivial-rewrite resolve service, as a library used by the queue
 * manager and by smtpd (reject_unauth_destination, reject_unlisted_recipient and friends).
 *
 * The address class comes from its domain, in this order:
 *   local    no domain, or the domain is in mydestination         → local_transport (local:$myhostname)
 *   alias    the domain is in virtual_alias_domains               → error:5.1.1 User unknown in virtual alias table
 *            (addresses that virtual_alias_maps rewrote never get here: cleanup replaced them)
 *   virtual  the domain is in virtual_mailbox_domains             → virtual_transport, next hop the domain
 *   relay    the domain is in relay_domains                       → relay_transport, next hop the domain
 *   default  anything else                                        → default_transport, next hop the domain
 * For the default class, sender_dependent_default_transport_maps (looked up with the sender, or
 * empty_address_default_transport_maps_lookup_key `<>` for the null sender; `DUNNO` means default_transport)
 * replaces default_transport. The next hop of the relay and default classes, unless their transport names one,
 * is the sender's sender_dependent_relayhost_maps value (the null sender: empty_address_relayhost_maps_lookup_key;
 * `DUNNO` means none), else relayhost, else the domain. Both sender tables use mail_addr_find.ts's search; a
 * lookup failure throws MapError after `TITLE lookup failure`. transport_maps then overrides transport
 * and/or next hop: keys are the full address, the domain, its parents as `.parent`, and `*`; a value is
 * `transport:nexthop` where either part may be empty to keep what the class gave.
 *
 * relocated_maps comes last and wins over all of that, whatever the class (see relocated(5)): an address found
 * there goes to the error transport with the next hop `5.1.6 User has moved to NEWADDR` (NEWADDR is the table's
 * value as it is), so delivery bounces it with `status=bounced (User has moved to NEWADDR)` and smtpd's
 * unknown-recipient checks reject it with `550 5.1.6 <ADDR>: Recipient address rejected: User has moved to
 * NEWADDR`. The search is mail_addr_find.ts's: the address (a bare local part with @$myhostname added), the address
 * without its recipient_delimiter extension, the local part alone (with, then without the extension) when the
 * domain is $myorigin or in mydestination, and `@domain`. A relocated_maps table that cannot be opened is
 * logged (`error: …`) and replaced by a surrogate whose lookups fail (surrogate_table.ts), as in Postfix.
 *
 * Contract: `Resolver.create()` opens every table once; `resolve()` is synchronous and throws MapError when a
 * table lookup fails (the caller defers the recipient, or answers 451 4.3.0 in smtpd), after logging Postfix's
 * warnings: `relocated_maps lookup failure` (after the table's own `TYPE:NAME lookup error for "KEY"`) or
 * `transport_maps lookup failure`.
 */
import type { Config } from "../config/config.ts";
import { msgWarn } from "../log/msg.ts";
import { openMap, openMapOrSurrogate, MapError, type LookupTable } from "../maps/index.ts";
import { compileDomainList, type DomainList } from "./match_list.ts";
import { mailAddrFind, mailAddrFindOptions, type TableList } from "./mail_addr_find.ts";

/** The outcome of resolving one address. */
export interface Resolution {
  cls: "local" | "alias" | "virtual" | "relay" | "default";
  /** master.cf service name to deliver with. */
  transport: string;
  /** Next hop for that transport (a domain, [host]:port, or for error/retry/discard the text). */
  nexthop: string;
  /** The address to deliver to (unchanged today; kept for address rewriting by transports). */
  address: string;
  /** The relocated_maps value when the address was found there (transport is then `error`). */
  relocated?: string;
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
    private readonly relocatedMaps: TableList,
    private readonly senderRelayhost: TableList,
    private readonly senderTransport: TableList,
  ) {}

  /** Opens the domain lists and transport_maps of `cfg`. */
  static async create(cfg: Config): Promise<Resolver> {
    const pdms = cfg.get("parent_domain_matches_subdomains");
    const list = (p: string) => compileDomainList(cfg.get(p), p, pdms);
    const tables: LookupTable[] = [];
    for (const spec of cfg.getList("transport_maps")) tables.push(await openMap(spec));
    const surrogates = async (title: string): Promise<TableList> => {
      const out: LookupTable[] = [];
      for (const spec of cfg.getList(title)) out.push(await openMapOrSurrogate(spec));
      return { title, tables: out };
    };
    return new Resolver(
      cfg, await list("mydestination"), await list("virtual_alias_domains"), await list("virtual_mailbox_domains"), await list("relay_domains"), tables,
      await surrogates("relocated_maps"), await surrogates("sender_dependent_relayhost_maps"), await surrogates("sender_dependent_default_transport_maps"),
    );
  }

  /**
   * The relocated_maps value for `address` (qualified with @$myhostname when bare), undefined when it has none;
   * throws MapError after Postfix's `relocated_maps lookup failure` warning.
   */
  relocatedTo(address: string): string | undefined {
    if (this.relocatedMaps.tables.length === 0) return undefined;
    const full = address.lastIndexOf("@") < 0 ? `${address}@${this.cfg.get("myhostname")}` : address;
    return this.find(this.relocatedMaps, full);
  }

  /** mail_addr_find() in `maps`; throws MapError after Postfix's `TITLE lookup failure` warning. */
  private find(maps: TableList, key: string): string | undefined {
    try {
      return mailAddrFind(maps, key, mailAddrFindOptions(this.cfg, (domain) => this.mydestination.matches(domain)));
    } catch (e) {
      if (e instanceof MapError) msgWarn(`${maps.title} lookup failure`);
      throw e;
    }
  }

  /** A sender-dependent table's value for `sender` (the null sender by its lookup key); DUNNO and "" are none. */
  private senderValue(maps: TableList, sender: string | undefined, nullKeyParam: string): string | undefined {
    if (maps.tables.length === 0 || sender === undefined) return undefined;
    const key = sender === "" ? this.cfg.get(nullKeyParam) : sender;
    const v = this.find(maps, key);
    if (v === undefined) return undefined;
    if (v === "") {
      msgWarn(`${maps.title}: ignoring null lookup result for ${key}`);
      return undefined;
    }
    return v.toUpperCase() === "DUNNO" ? undefined : v;
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

  /** The domain is one of mydestination's (Postfix's resolve_local(), without address literals). */
  isLocalDomain(domain: string): boolean {
    return this.mydestination.matches(domain);
  }

  /** Where `address` goes; `sender` (when known: the queue manager's) for the sender-dependent tables. */
  resolve(address: string, sender?: string): Resolution {
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
      const senderTransport = cls === "default" ? this.senderValue(this.senderTransport, sender, "empty_address_default_transport_maps_lookup_key") : undefined;
      tn = splitTransport(senderTransport ?? this.cfg.get(cls === "relay" ? "relay_transport" : "default_transport"));
      const relayhost = this.senderValue(this.senderRelayhost, sender, "empty_address_relayhost_maps_lookup_key") ?? this.cfg.get("relayhost").trim();
      if (tn.nexthop === "") tn.nexthop = relayhost !== "" ? relayhost : domain;
    }
    if (cls !== "alias") {
      let over: string | undefined;
      try {
        over = this.transportOverride(address, domain);
      } catch (e) {
        if (e instanceof MapError) msgWarn("transport_maps lookup failure");
        throw e;
      }
      if (over !== undefined) {
        const o = splitTransport(over);
        if (o.transport !== "") tn.transport = o.transport;
        if (o.nexthop !== "") tn.nexthop = o.nexthop;
      }
    }
    // last, so that it wins over the class and transport_maps (Postfix's resolve_addr())
    const relocated = this.relocatedTo(address);
    if (relocated !== undefined) return { cls, transport: "error", nexthop: `5.1.6 User has moved to ${relocated}`, address, relocated };
    return { cls, transport: tn.transport, nexthop: tn.nexthop, address };
  }
}
