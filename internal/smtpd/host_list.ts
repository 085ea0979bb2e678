/**
 * host_list — Postfix's namadr lists: `mynetworks`, `smtpd_authorized_xclient_hosts`,
 * `smtpd_forbid_bare_newline_exclusions`, `smtpd_client_connection_limit_exceptions` … matched against a client's
 * name and address (namadr_list(3)).
 *
 * A list is separated by commas and white space. Each pattern is
 *   1.2.3.0/24, [2001:db8::]/32, 1.2.3.4, [::1]   a network or an address (brackets optional)
 *   host.example, .example                         a client name (and, for names named in
 *                                                  parent_domain_matches_subdomains, its subdomains)
 *   /file/name                                     more patterns from a file
 *   type:table                                     the name, then the address, looked up; any value matches
 *   !pattern                                       an exclusion
 * The first matching pattern decides. A network with host bits set is refused as Postfix refuses it
 * (`bad net/mask pattern`), at compile time.
 *
 * Contract: compileHostList() throws ConfigError for a bad pattern or an unreadable file; matches() throws
 * MapError when a table lookup fails.
 */
import { ConfigError } from "../config/main_cf.ts";
import { splitList } from "../config/config.ts";
import { forEachListItem } from "../resolve/match_list.ts";
import { openMap, type LookupTable } from "../maps/index.ts";
import { parseCidrPattern, parseIPv4, parseIPv6 } from "../maps/cidr_table.ts";

type Pattern =
  | { kind: "net"; v6: boolean; net: Uint8Array; mask: Uint8Array; negate: boolean }
  | { kind: "name"; value: string; negate: boolean }
  | { kind: "table"; table: LookupTable; negate: boolean };

/** Parses an IPv4 or IPv6 address (IPv4-mapped IPv6 is not converted); undefined when it is not one. */
export function parseAddress(addr: string): { v6: boolean; bytes: Uint8Array } | undefined {
  if (addr.includes(":")) {
    const b = parseIPv6(addr);
    return b ? { v6: true, bytes: b } : undefined;
  }
  const b = parseIPv4(addr);
  return b ? { v6: false, bytes: b } : undefined;
}

/** A compiled host list. */
export class HostList {
  constructor(
    private readonly patterns: Pattern[],
    private readonly parentMatches: boolean,
  ) {}

  /** True when the client `name` (or "unknown") with address `addr` is in the list. */
  matches(name: string, addr: string): boolean {
    const a = parseAddress(addr);
    const n = name.toLowerCase();
    for (const p of this.patterns) {
      let hit = false;
      if (p.kind === "net") {
        if (a && a.v6 === p.v6) {
          hit = true;
          for (let i = 0; i < a.bytes.length; i++) {
            if ((a.bytes[i]! & p.mask[i]!) !== p.net[i]) {
              hit = false;
              break;
            }
          }
        }
      } else if (p.kind === "name") {
        if (n !== "unknown" && n !== "") {
          if (p.value.startsWith(".")) hit = n.endsWith(p.value);
          else hit = n === p.value || (this.parentMatches && n.endsWith(`.${p.value}`));
        }
      } else {
        hit = (n !== "unknown" && p.table.lookup(n) !== undefined) || p.table.lookup(addr) !== undefined;
      }
      if (hit) return !p.negate;
    }
    return false;
  }

  /** True when the list has no patterns. */
  isEmpty(): boolean {
    return this.patterns.length === 0;
  }
}

/** Compiles a host list value; `paramName` decides subdomain matching (parent_domain_matches_subdomains). */
export async function compileHostList(value: string, paramName: string, parentDomainMatchesSubdomains = ""): Promise<HostList> {
  const parentMatches = splitList(parentDomainMatchesSubdomains).includes(paramName);
  const patterns: Pattern[] = [];
  await forEachListItem(
    value,
    paramName,
    async (item, negate) => {
      if (/^[a-z][a-z0-9_-]*:/i.test(item) && !/^[0-9a-f:]+(\/\d+)?$/i.test(item)) {
        patterns.push({ kind: "table", table: await openMap(item), negate });
        return;
      }
      const looksNet = item.startsWith("[") || /^[0-9.]+(\/\d*)?$/.test(item) || /^[0-9a-f:.]+(\/\d*)?$/i.test(item) && item.includes(":");
      if (looksNet) {
        const r = parseCidrPattern(item);
        if ("error" in r) throw new ConfigError(`${paramName}: bad net/mask pattern: "${item}"`);
        patterns.push({ kind: "net", v6: r.v6, net: r.net, mask: r.mask, negate });
        return;
      }
      patterns.push({ kind: "name", value: item.toLowerCase().replace(/\.$/, ""), negate });
    },
    { inlineComments: true },
  );
  return new HostList(patterns, parentMatches);
}
