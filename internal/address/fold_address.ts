/**
 * fold_address — case in addresses, as Postfix treats it.
 *
 * Postfix keeps the case of an address as it was received: the queue file, the logs and the delivered message
 * show `John.Smith@Example.COM` as written, because a local part may be case-sensitive on the final host. Case is
 * ignored only where Postfix compares or looks up:
 *
 * - Domains are compared case-insensitively (mydestination, relay_domains, virtual_*_domains …):
 *   lowercaseDomain() gives the address with its domain in lower case and the local part untouched.
 * - Table lookups (aliases, canonical, virtual, access …) fold the whole key, local part included, before the
 *   lookup: foldAddress() gives that key. Without SMTPUTF8 only A-Z change; the maps layer applies Unicode case
 *   folding itself when smtputf8_enable = yes (internal/maps casefold.ts).
 *
 * Pure functions; never throw. Postfix: src/util/lowercase.c as used by resolve_local.c, mail_addr_find.c and
 * the dict layer's DICT_FLAG_FOLD_FIX.
 */

const UPPER = /[A-Z]+/g;

/** ASCII-only lower case: A-Z become a-z, every other character (8-bit included) is kept. */
export function asciiLowercase(s: string): string {
  return s.replace(UPPER, (m) => m.toLowerCase());
}

/** The address with the part after its last `@` in lower case (ASCII only); the local part is kept as it is. */
export function lowercaseDomain(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? address : address.slice(0, at + 1) + asciiLowercase(address.slice(at + 1));
}

/** The lookup key Postfix's tables use for an address: the whole address in lower case (ASCII only). */
export function foldAddress(address: string): string {
  return asciiLowercase(address);
}
