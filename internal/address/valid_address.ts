/**
 * valid_address — the address-level checks smtpd makes with the syntax checks of valid_hostname.ts.
 *
 * - isFullyQualifiedAddress() is the test of reject_non_fqdn_sender/recipient: the domain (after the last `@`;
 *   none counts as empty) is an address literal `[…]`, or — after dropping one trailing dot, not two — a valid
 *   host name that contains a dot.
 * - isFullyQualifiedHostname() is reject_non_fqdn_helo_hostname's test: a valid host name with a dot, after
 *   dropping one trailing dot.
 * - isValidHeloName() is reject_invalid_helo_hostname's: a valid host name or numeric address (one trailing dot
 *   dropped); an address literal `[…]` must hold a valid mail host address (reject_invalid_hostaddr).
 * With `utf8` (the client sent SMTPUTF8), a non-ASCII name is first converted to its ASCII (IDNA) form, as
 * Postfix's valid_utf8_hostname() does; without it non-ASCII names are invalid.
 *
 * Length limits: Postfix itself enforces only the host-name limits (255, labels 63). addressLengthProblem()
 * applies RFC 5321's limits (local part 64 octets, domain 255, whole path 254 + `<>`) for callers that want them.
 *
 * Pure functions; never throw. Postfix: smtpd_check.c (reject_non_fqdn_address, reject_invalid_hostname,
 * reject_invalid_hostaddr, dup_if_truncate), src/util/valid_utf8_hostname.c.
 */
import { hostAddressProblem, hostnameProblem, mailhostAddressProblem } from "./valid_hostname.ts";

/** RFC 5321 4.5.3.1.1: longest local part, in octets. */
export const MAX_LOCAL_PART_LENGTH = 64;
/** RFC 5321 4.5.3.1.2: longest domain, in octets. */
export const MAX_DOMAIN_LENGTH = 255;
/** RFC 5321 4.5.3.1.3: longest forward or reverse path including `<` and `>`, in octets. */
export const MAX_PATH_LENGTH = 256;

/** The name without one trailing dot (`a.b.` → `a.b`; `a..` stays). */
export function dropTrailingDot(name: string): string {
  return name.length > 1 && name.endsWith(".") && name[name.length - 2] !== "." ? name.slice(0, -1) : name;
}

/** valid_utf8_hostname(): a valid host name; with `utf8`, non-ASCII names are checked in their IDNA form. */
export function isValidUtf8Hostname(name: string, utf8: boolean): boolean {
  if (name === "") return false;
  if (utf8 && /[^\x00-\x7f]/.test(name)) {
    // IDNA ToASCII through the WHATWG URL host parser; ASCII characters other than those of host names would
    // be percent-decoded or reinterpreted by it, and are invalid anyway
    if (/[\x00-\x2c/:-@[-^`{-\x7f]/.test(name)) return false;
    let ascii: string;
    try {
      ascii = new URL(`http://${name}/`).hostname;
    } catch {
      return false;
    }
    return hostnameProblem(ascii) === undefined;
  }
  return hostnameProblem(name) === undefined;
}

/** The domain of an internal-form address: what follows the last `@`, "" when there is none. */
export function addressDomain(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : address.slice(at + 1);
}

/** reject_non_fqdn_address's test; see the header. */
export function isFullyQualifiedAddress(address: string, opts: { utf8?: boolean } = {}): boolean {
  const domain = addressDomain(address);
  if (domain.startsWith("[") && domain.endsWith("]")) return true;
  const name = dropTrailingDot(domain);
  return name !== "" && isValidUtf8Hostname(name, opts.utf8 ?? false) && name.includes(".");
}

/** reject_non_fqdn_helo_hostname's test; see the header. */
export function isFullyQualifiedHostname(name: string, opts: { utf8?: boolean } = {}): boolean {
  const n = dropTrailingDot(name);
  return isValidUtf8Hostname(n, opts.utf8 ?? false) && n.includes(".");
}

/** reject_invalid_helo_hostname's test (and reject_invalid_hostaddr's for `[…]`); see the header. */
export function isValidHeloName(name: string): boolean {
  if (name.startsWith("[")) {
    const inner = name.length > 2 && name.endsWith("]") ? name.slice(1, -1) : name;
    return mailhostAddressProblem(inner) === undefined;
  }
  const n = dropTrailingDot(name);
  return hostnameProblem(n) === undefined || hostAddressProblem(n) === undefined;
}

/** RFC 5321 length limits for an internal-form address: undefined when within them, else what is too long. */
export function addressLengthProblem(address: string): string | undefined {
  const at = address.lastIndexOf("@");
  const local = at < 0 ? address : address.slice(0, at);
  const domain = at < 0 ? "" : address.slice(at + 1);
  const octets = (s: string) => Buffer.byteLength(s, "utf8");
  if (octets(local) > MAX_LOCAL_PART_LENGTH) return `local part longer than ${MAX_LOCAL_PART_LENGTH} octets`;
  if (octets(domain) > MAX_DOMAIN_LENGTH) return `domain longer than ${MAX_DOMAIN_LENGTH} octets`;
  if (octets(address) + 2 > MAX_PATH_LENGTH) return `address longer than ${MAX_PATH_LENGTH - 2} octets`;
  return undefined;
}
