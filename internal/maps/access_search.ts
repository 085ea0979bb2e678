/**
 * access_search — the access(5) search order, for smtpd, cleanup, local and `postmap --explain`.
 *
 * Given a list of tables (searched in order for each key, as Postfix's maps_find() does) and what is being
 * checked, the lookup keys are tried in this order until a table has one:
 *
 *   address  user+ext@domain.tld   the full address (quoted local part first when it needs quoting)
 *            user@domain.tld       without the address extension (when recipient_delimiter splits one off)
 *            domain.tld            the domain, then its parents: `sub.domain.tld`, then `.domain.tld`, `.tld`
 *                                  (`domain.tld`, `tld` when parent_domain_matches_subdomains lists the
 *                                  feature, smtpd_access_maps by default)
 *            user+ext@, user@      the local part
 *   domain   the name and its parent domains as above (an IP address has no parents)
 *   address  for an IP address: 1.2.3.4, 1.2.3, 1.2, 1 (IPv6: drop `:field` from the right each time)
 *
 * Only the first key is a "full" lookup; every later key is partial, and pattern tables (regexp, pcre, cidr …,
 * `fixed` false) are not asked partial keys, exactly as Postfix's DICT_FLAG_FIXED rule. A table error (MapError)
 * propagates: Postfix answers "451 4.3.5 Server configuration error" then.
 *
 * Postfix: src/smtpd/smtpd_check.c (check_domain_access, check_addr_access, check_mail_access),
 * src/global/mail_addr_find.c.
 */
import type { LookupTable } from "./table.ts";

/** What a search is about. */
export type AccessKind = "address" | "domain" | "ip";

/** Options of the search (values from main.cf, passed in by the caller). */
export interface AccessSearchOptions {
  /** parent_domain_matches_subdomains lists the feature (smtpd_access_maps …): `domain.tld` matches subdomains. */
  parentMatchesSubdomains: boolean;
  /** recipient_delimiter: characters that start an address extension ("" = none). */
  recipientDelimiter?: string;
}

/** One lookup key of the search. */
export interface AccessKey {
  key: string;
  /** False only for the first key; pattern tables are skipped for partial keys. */
  partial: boolean;
}

/** One attempted lookup, for --explain. */
export interface AccessStep extends AccessKey {
  /** Tables asked with this key (pattern tables are not asked partial keys). */
  asked: string[];
  /** The table that had the key, if any. */
  foundIn?: string;
  value?: string;
}

/** Outcome of a search. */
export interface AccessResult {
  value?: string;
  key?: string;
  table?: LookupTable;
  steps: AccessStep[];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** True when `s` looks like an IPv4 or IPv6 address (Postfix's valid_hostaddr without complaints). */
export function isHostAddress(s: string): boolean {
  if (IPV4.test(s)) return s.split(".").every((p) => Number(p) <= 255);
  return s.includes(":") && /^[0-9A-Fa-f:.]+$/.test(s);
}

/** Which kind of search a key calls for: an address has `@`, an IP address is an "ip", anything else a domain. */
export function accessKindOf(query: string): AccessKind {
  if (query.includes("@")) return "address";
  if (isHostAddress(query)) return "ip";
  return "domain";
}

/** The domain and its parents, in search order. */
export function domainKeys(domain: string, parentMatchesSubdomains: boolean): string[] {
  const out: string[] = [];
  if (domain === "") return out;
  out.push(domain);
  if (isHostAddress(domain)) return out;
  let name = domain;
  for (;;) {
    const dot = name.indexOf(".", 1);
    if (dot < 0) break;
    name = parentMatchesSubdomains ? name.slice(dot + 1) : name.slice(dot);
    if (name === "" || name === ".") break;
    out.push(name);
  }
  return out;
}

/** The address and its parent networks: 1.2.3.4, 1.2.3, 1.2, 1 (IPv6 splits at colons). */
export function addressKeys(addr: string): string[] {
  const delim = addr.includes(":") ? ":" : ".";
  const out = [addr];
  let a = addr;
  for (;;) {
    const i = a.lastIndexOf(delim);
    if (i < 0) break;
    a = a.slice(0, i);
    out.push(a);
  }
  return out;
}

const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** RFC 5322 quoting of a local part when it is not a dot-atom (Postfix's quote_822_local, simplified). */
export function quoteLocalPart(local: string): string {
  if (local === "" || DOT_ATOM.test(local) || /[\x80-\uffff]/.test(local)) return local;
  return `"${local.replace(/["\\]/g, (m) => `\\${m}`)}"`;
}

/** The keys of an access(5) search, in order. */
export function accessSearchKeys(query: string, kind: AccessKind, opts: AccessSearchOptions): AccessKey[] {
  const keys: AccessKey[] = [];
  const add = (key: string) => {
    if (!keys.some((k) => k.key === key)) keys.push({ key, partial: keys.length > 0 });
  };
  if (kind === "ip") {
    for (const k of addressKeys(query)) add(k);
    return keys;
  }
  if (kind === "domain") {
    for (const k of domainKeys(query, opts.parentMatchesSubdomains)) add(k);
    return keys;
  }
  const at = query.lastIndexOf("@");
  let local = at < 0 ? query : query.slice(0, at);
  // the search starts from the internal (unquoted) form, as smtpd hands it over
  if (local.length >= 2 && local.startsWith('"') && local.endsWith('"')) local = local.slice(1, -1).replace(/\\(.)/g, "$1");
  const domain = at < 0 ? "" : query.slice(at + 1);
  let bare: string | undefined;
  const delims = opts.recipientDelimiter ?? "";
  if (delims !== "") {
    for (let i = 1; i < local.length; i++) {
      if (delims.includes(local[i]!)) {
        bare = local.slice(0, i);
        break;
      }
    }
  }
  const withQuoted = (l: string, rest: string) => {
    const q = quoteLocalPart(l);
    add(q + rest);
    if (q !== l) add(l + rest);
  };
  withQuoted(local, at < 0 ? "" : `@${domain}`);
  if (bare !== undefined) withQuoted(bare, at < 0 ? "" : `@${domain}`);
  for (const d of domainKeys(domain, opts.parentMatchesSubdomains)) add(d);
  withQuoted(local, "@");
  if (bare !== undefined) withQuoted(bare, "@");
  return keys;
}

/** Runs the access(5) search over `tables`; MapError from a table propagates. */
export function accessLookup(tables: readonly LookupTable[], query: string, kind: AccessKind, opts: AccessSearchOptions): AccessResult {
  const steps: AccessStep[] = [];
  for (const k of accessSearchKeys(query, kind, opts)) {
    const step: AccessStep = { ...k, asked: [] };
    steps.push(step);
    for (const t of tables) {
      if (k.partial && !t.fixed) continue;
      step.asked.push(`${t.type}:${t.name}`);
      const v = t.lookup(k.key);
      if (v !== undefined) {
        step.foundIn = `${t.type}:${t.name}`;
        step.value = v;
        return { value: v, key: k.key, table: t, steps };
      }
    }
  }
  return { steps };
}
