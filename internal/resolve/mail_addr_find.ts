/**
 * mail_addr_find — address lookups in a list of tables, in the order Postfix's mail_addr_find() uses for
 * relocated_maps (and for canonical, virtual and transport-style address tables): maps_find() for one key, and
 * the address search built on it.
 *
 * mapsFind(maps, key, partial): each table in turn is asked for `key`; the first value wins. A partial key is not
 * asked of pattern tables (regexp, pcre, cidr …: `fixed` false), only of exact-key tables. An empty key finds
 * nothing. A table error is logged as `warning: TYPE:NAME lookup error for "KEY"` and ends the search (the
 * MapError propagates); a value that is the empty string is a configuration error: two warnings, `TITLE lookup
 * of KEY returns an empty string result` and `TITLE should return NO RESULT in case of NOT FOUND`, then MapError
 * "config".
 *
 * mailAddrFind(maps, address, opts): `address` is in internal (unquoted) form. Keys, until one is found:
 *   1. user+ext@domain     the address as it is (the only key pattern tables see)
 *   2. user@domain         without the extension, when recipient_delimiter splits one off (see split_address.ts:
 *                          not for postmaster, mailer-daemon, double_bounce_sender, owner-* and *-request)
 *   3. user+ext, user      the local part alone, with then without the extension, only when the domain is
 *                          $myorigin or a local domain (opts.isLocalDomain: mydestination in postkit's resolver)
 *   4. @domain             the domain with its `@`
 * Each address key is asked first in external (quoted) form, `"john smith"@example.com`, then, when that differs,
 * in internal form, as Postfix's legacy query form does. Case folding is the tables' business (fixed tables fold
 * their keys; pattern tables see the case as given).
 *
 * mailAddrMap(maps, address, opts, propagate): Postfix's mail_addr_map() on top of that (canonical, virtual and
 * generic maps): the value's addresses, `@domain` values completed, the unmatched extension carried over.
 *
 * Contract: pure lookups; throws MapError when a table fails (after the warning above) or when
 * opts.isLocalDomain throws it. Postfix: src/global/mail_addr_find.c (MA_FIND_DEFAULT, MA_FIND_FORM_LEGACY),
 * src/global/maps.c.
 */
import type { Config } from "../config/config.ts";
import { msgWarn } from "../log/msg.ts";
import { MapError, type LookupTable } from "../maps/index.ts";
import { quoteLocalPart } from "../address/quote_local.ts";
import { stripAddressExtension, type SplitOptions } from "../address/split_address.ts";

/** Tables searched as one, named after their parameter (Postfix's MAPS). */
export interface TableList {
  /** The parameter name, as warnings show it (`relocated_maps`). */
  readonly title: string;
  readonly tables: readonly LookupTable[];
}

/** maps_find(): the first table's value for `key`; see the header. */
export function mapsFind(maps: TableList, key: string, partial: boolean): string | undefined {
  if (key === "") return undefined;
  for (const t of maps.tables) {
    if (partial && !t.fixed) continue;
    let v: string | undefined;
    try {
      v = t.lookup(key);
    } catch (e) {
      if (e instanceof MapError) msgWarn(`${t.type}:${t.name} lookup error for "${key}"`);
      throw e;
    }
    if (v === undefined) continue;
    if (v === "") {
      msgWarn(`${maps.title} lookup of ${key} returns an empty string result`);
      msgWarn(`${maps.title} should return NO RESULT in case of NOT FOUND`);
      throw new MapError("config", `${maps.title} lookup of ${key} returns an empty string result`);
    }
    return v;
  }
  return undefined;
}

/** What mailAddrFind() needs from main.cf. */
export interface MailAddrFindOptions {
  /** recipient_delimiter ("" = no extensions). */
  recipientDelimiter: string;
  /** owner_request_special and double_bounce_sender, for splitting off the extension. */
  split?: SplitOptions;
  /** $myorigin: its local parts are looked up alone, whatever isLocalDomain() says. */
  myorigin: string;
  /** True for a domain whose local parts are looked up alone (Postfix's resolve_local()); may throw MapError. */
  isLocalDomain(domain: string): boolean;
}

/** Looks up an address key in external form, then in internal form when the two differ. */
function findAddress(maps: TableList, key: string, partial: boolean, withDomain: boolean): string | undefined {
  const external = quoteLocalPart(key, { bareLocalPart: !withDomain });
  const v = mapsFind(maps, external, partial);
  if (v !== undefined || external === key) return v;
  return mapsFind(maps, key, partial);
}

/**
 * mail_addr_find(): the value for `address` (internal form), undefined when no key is found; see the header.
 * `found.extension` gets the extension (with its delimiter, `+ext`) that a key without it matched despite, for a
 * caller that propagates unmatched extensions (propagate_unmatched_extensions); else it is deleted.
 */
export function mailAddrFind(maps: TableList, address: string, opts: MailAddrFindOptions, found?: { extension?: string }): string | undefined {
  if (found) delete found.extension;
  if (maps.tables.length === 0) return undefined;
  const stripped = opts.recipientDelimiter === "" ? undefined : stripAddressExtension(address, opts.recipientDelimiter, opts.split);
  const bare = stripped?.address;
  const withExtension = (v: string | undefined) => {
    if (v !== undefined && found && stripped) found.extension = stripped.extension;
    return v;
  };
  let v = findAddress(maps, address, false, true);
  if (v === undefined && bare !== undefined) v = withExtension(findAddress(maps, bare, true, true));
  const at = address.lastIndexOf("@");
  if (at < 0 || v !== undefined) return v;
  const domain = address.slice(at + 1);
  if (domain.toLowerCase() === opts.myorigin.toLowerCase() || opts.isLocalDomain(domain)) {
    v = findAddress(maps, address.slice(0, at), true, false);
    if (v === undefined && bare !== undefined) v = withExtension(findAddress(maps, bare.slice(0, bare.lastIndexOf("@")), true, false));
    if (v !== undefined) return v;
  }
  // @domain: no extension is reported (a caller that keeps the local part keeps it whole)
  return mapsFind(maps, `@${domain}`, true);
}

/** MailAddrFindOptions from main.cf (recipient_delimiter, owner_request_special, double_bounce_sender, myorigin). */
export function mailAddrFindOptions(cfg: Config, isLocalDomain: (domain: string) => boolean): MailAddrFindOptions {
  return {
    recipientDelimiter: cfg.get("recipient_delimiter"),
    split: { ownerRequestSpecial: cfg.getBool("owner_request_special"), doubleBounceSender: cfg.get("double_bounce_sender") },
    myorigin: cfg.get("myorigin"),
    isLocalDomain,
  };
}

/**
 * Postfix's mail_addr_map(): the addresses `address` maps to in `maps` (the value split at commas and white
 * space), undefined when it has no entry. An `@domain` value keeps the address's local part; each address goes
 * through `canonicalize` (mail_addr_crunch's rewriting), then, with `propagate`, gets the extension that a key
 * without it matched despite, before its `@` (`user+ext@a` found as `user@a` → `x@b` gives `x+ext@b`).
 */
export function mailAddrMap(
  maps: TableList,
  address: string,
  opts: MailAddrFindOptions,
  propagate: boolean,
  canonicalize: (a: string) => string = (a) => a,
): string[] | undefined {
  const found: { extension?: string } = {};
  let value = mailAddrFind(maps, address, opts, found)?.trim();
  if (value === undefined) return undefined;
  if (value.startsWith("@")) {
    const at = address.lastIndexOf("@");
    value = `${at < 0 ? address : address.slice(0, at)}${value}`;
  }
  const ext = propagate ? (found.extension ?? "") : "";
  return value.split(/[\s,]+/).filter(Boolean).map((a) => {
    const q = canonicalize(a);
    if (ext === "") return q;
    const at = q.lastIndexOf("@");
    return at < 0 ? `${q}${ext}` : `${q.slice(0, at)}${ext}${q.slice(at)}`;
  });
}
