/**
 * match_list — Postfix's domain lists (`mydestination`, `relay_domains`, `virtual_alias_domains`,
 * `virtual_mailbox_domains` …): match_list(3) with domain matching.
 *
 * A list is separated by commas and whitespace. Each pattern is
 *   domain          the domain itself; also its subdomains when the parameter is named in
 *                   parent_domain_matches_subdomains
 *   .domain         subdomains of domain
 *   /file/name      more patterns, one or more per line (comments and blank lines allowed)
 *   type:table      a lookup of the domain (and of `.parent` keys for subdomains); any value is a match
 *   !pattern        an exclusion: a match means "no match" and ends the search
 * The first pattern that matches decides. Names are compared without case.
 *
 * Contract: `compileDomainList()` opens tables and reads files once (throws ConfigError for an unreadable file,
 * MapError for a table that cannot be opened); `matches()` throws MapError when a table lookup fails temporarily,
 * so the caller can defer instead of deciding wrongly.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "../config/main_cf.ts";
import { splitList } from "../config/config.ts";
import { errnoText } from "../sys/errno.ts";
import { openMap, type LookupTable } from "../maps/index.ts";

type Pattern =
  | { kind: "domain"; value: string; negate: boolean }
  | { kind: "subdomains"; value: string; negate: boolean }
  | { kind: "table"; table: LookupTable; negate: boolean };

/** A compiled domain list. */
export class DomainList {
  constructor(
    private readonly patterns: Pattern[],
    private readonly parentMatches: boolean,
  ) {}

  /** True when `domain` is in the list. */
  matches(domain: string): boolean {
    const d = domain.toLowerCase().replace(/\.$/, "");
    for (const p of this.patterns) {
      let hit = false;
      if (p.kind === "domain") hit = d === p.value || (this.parentMatches && d.endsWith(`.${p.value}`));
      else if (p.kind === "subdomains") hit = d.endsWith(p.value);
      else {
        hit = p.table.lookup(d) !== undefined;
        if (!hit && p.table.fixed) {
          // parent domains: ".example.com" keys, as Postfix's match_parent_style lookups
          for (let i = d.indexOf("."); i >= 0 && !hit; i = d.indexOf(".", i + 1)) {
            const parent = d.slice(i);
            hit = (this.parentMatches && p.table.lookup(parent.slice(1)) !== undefined) || p.table.lookup(parent) !== undefined;
          }
        }
      }
      if (hit) return !p.negate;
    }
    return false;
  }

  /** True when the list has no patterns at all. */
  isEmpty(): boolean {
    return this.patterns.length === 0;
  }
}

/**
 * Calls `visit` with every item of a list value, with `!` negation resolved and `/file` items replaced by the
 * items of the file (nested at most 10 deep). `inlineComments`: a `#` anywhere in a file line starts a comment
 * (host lists), else only at the start of a line. Throws ConfigError for an unreadable file.
 */
export async function forEachListItem(
  value: string,
  paramName: string,
  visit: (item: string, negate: boolean) => Promise<void>,
  opts: { inlineComments?: boolean } = {},
): Promise<void> {
  const add = async (raw: string, depth: number): Promise<void> => {
    let item = raw;
    let negate = false;
    while (item.startsWith("!")) {
      negate = !negate;
      item = item.slice(1);
    }
    if (item === "") return;
    if (!item.startsWith("/")) return visit(item, negate);
    if (depth > 10) throw new ConfigError(`${paramName}: file nesting too deep: ${item}`);
    let text: string;
    try {
      text = readFileSync(item, "utf8");
    } catch (e) {
      throw new ConfigError(`open ${item}: ${errnoText(e)}`);
    }
    for (const line of text.split("\n")) {
      const t = opts.inlineComments ? line.replace(/#.*/, "").trim() : line.trim();
      if (t === "" || t.startsWith("#")) continue;
      for (const w of splitList(t)) await add(negate ? `!${w}` : w, depth + 1);
    }
  };
  for (const w of splitList(value)) await add(w, 0);
}

/** Compiles a domain list value; `paramName` decides subdomain matching through parent_domain_matches_subdomains. */
export async function compileDomainList(value: string, paramName: string, parentDomainMatchesSubdomains: string): Promise<DomainList> {
  const parentMatches = splitList(parentDomainMatchesSubdomains).includes(paramName);
  const patterns: Pattern[] = [];
  await forEachListItem(value, paramName, async (item, negate) => {
    if (/^[a-z][a-z0-9_-]*:/i.test(item) && !item.startsWith("[")) {
      patterns.push({ kind: "table", table: await openMap(item), negate });
      return;
    }
    const v = item.toLowerCase().replace(/\.$/, "");
    patterns.push(v.startsWith(".") ? { kind: "subdomains", value: v, negate } : { kind: "domain", value: v, negate });
  });
  return new DomainList(patterns, parentMatches);
}
