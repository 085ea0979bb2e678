/**
 * address_classes — which addresses cleanup's address mappings apply to, and address masquerading.
 *
 * Classes (Postfix's canonical_classes, sender_canonical_classes, recipient_canonical_classes and
 * masquerade_classes): a list of `envelope_sender`, `envelope_recipient`, `header_sender` and
 * `header_recipient`. Unknown names are ignored with a warning (`unknown NAME value "X" in "LIST"`).
 *
 * Masquerading (masquerade_domains, masquerade_exceptions): an address whose domain is a subdomain of a listed
 * domain gets that domain instead (`user@host.sales.example.com` → `user@example.com` with `example.com`
 * listed). The list is searched in order and the first domain that is the address's domain or one of its
 * parents decides: the domain itself stops the search unchanged, a parent rewrites. A `!domain` item matches as
 * well but never rewrites (`!sub.example.com, example.com` keeps sub.example.com's hosts). Domains compare
 * without case. masquerade_exceptions lists local parts that are never masqueraded (`root, mailer-daemon`): names
 * compared without case, `type:table` lookups, `/file` items and `!` exclusions as in Postfix's string lists.
 *
 * Contract: compile*() read the configuration once (tables opened, files read; ConfigError or MapError when
 * that fails); masquerade() throws MapError when an exceptions table fails at lookup time.
 */
import type { Config } from "../config/config.ts";
import { splitList } from "../config/config.ts";
import { msgWarn } from "../log/msg.ts";
import { openMapOrSurrogate, type LookupTable } from "../maps/index.ts";
import { forEachListItem } from "../resolve/match_list.ts";

/** The address kinds a mapping applies to. */
export interface AddressClasses {
  envelopeSender: boolean;
  envelopeRecipient: boolean;
  headerSender: boolean;
  headerRecipient: boolean;
}

const CLASS_NAMES: Record<string, keyof AddressClasses> = {
  envelope_sender: "envelopeSender",
  envelope_recipient: "envelopeRecipient",
  header_sender: "headerSender",
  header_recipient: "headerRecipient",
};

/** Parses a *_classes parameter of `cfg`. */
export function addressClasses(cfg: Config, param: string): AddressClasses {
  const out: AddressClasses = { envelopeSender: false, envelopeRecipient: false, headerSender: false, headerRecipient: false };
  const value = cfg.get(param);
  for (const name of splitList(value)) {
    const key = CLASS_NAMES[name.toLowerCase()];
    if (key) out[key] = true;
    else msgWarn(`unknown ${param} value "${name}" in "${value}"`);
  }
  return out;
}

type Exception = { table: LookupTable; negate: boolean } | { name: string; negate: boolean };

/** masquerade_domains with its exceptions and classes; see the header. */
export class Masquerade {
  private constructor(
    private readonly domains: { domain: string; rewrite: boolean }[],
    private readonly exceptions: Exception[],
    readonly classes: AddressClasses,
  ) {}

  /** The masquerading of `cfg`, or undefined when masquerade_domains is empty. */
  static async compile(cfg: Config): Promise<Masquerade | undefined> {
    const domains: { domain: string; rewrite: boolean }[] = [];
    for (const item of splitList(cfg.get("masquerade_domains"))) {
      let d = item;
      let rewrite = true;
      while (d.startsWith("!")) {
        rewrite = !rewrite;
        d = d.slice(1);
      }
      if (d !== "") domains.push({ domain: d.toLowerCase(), rewrite });
    }
    if (domains.length === 0) return undefined;
    const exceptions: Exception[] = [];
    await forEachListItem(cfg.get("masquerade_exceptions"), "masquerade_exceptions", async (item, negate) => {
      if (/^[a-z][a-z0-9_-]*:/i.test(item)) exceptions.push({ table: await openMapOrSurrogate(item), negate });
      else exceptions.push({ name: item.toLowerCase(), negate });
    });
    return new Masquerade(domains, exceptions, addressClasses(cfg, "masquerade_classes"));
  }

  private excepted(localPart: string): boolean {
    const name = localPart.toLowerCase();
    for (const e of this.exceptions) {
      const hit = "table" in e ? e.table.lookup(name) !== undefined : e.name === name;
      if (hit) return !e.negate;
    }
    return false;
  }

  /** The address (internal form) masqueraded, or as it was. */
  masquerade(address: string): string {
    const at = address.lastIndexOf("@");
    if (at < 0) return address;
    const domain = address.slice(at + 1).toLowerCase();
    if (this.exceptions.length > 0 && this.excepted(address.slice(0, at))) return address;
    for (const m of this.domains) {
      if (m.domain === domain) return address;
      if (domain.length > m.domain.length && domain.endsWith(m.domain) && domain[domain.length - m.domain.length - 1] === ".") {
        return m.rewrite ? `${address.slice(0, at + 1)}${m.domain}` : address;
      }
    }
    return address;
  }
}
