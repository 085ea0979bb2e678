/**
 * valid_hostname — syntax checks for host names and numeric addresses, as Postfix's valid_hostname module does
 * them (smtpd uses these for HELO names, client names and address domains).
 *
 * - Host name: 1-255 characters; labels of 1-63 characters from letters, digits, `_` and `-`, a `-` neither first
 *   nor last in a label; no empty label, no leading or trailing dot; not all-numeric (`1.2.3.4` is not a host
 *   name). With `wildcard`, a first label `*` is allowed (`*.example.com`, and `*` alone).
 * - IPv4 address: four decimal octets 0-255 (leading zeros allowed), and the first octet 0 only in `0.0.0.0`.
 * - IPv6 address: at most eight fields of 1-4 hex digits, one `::`, an IPv4 tail in fields 2-6.
 * - Mail host address (RFC 5321 address literal without brackets): `IPv6:` (any case) and an IPv6 address, or an
 *   IPv4 address; the literal form `[…]` must end right after its `]` and hold less than 46 characters.
 *
 * Each `…Problem()` function returns undefined for a valid input, or the warning Postfix logs when it "gripes",
 * e.g. `valid_hostname: misplaced hyphen: a-.example`; the `isValid…()` functions return a boolean. A NUL ends
 * the input, as in Postfix. Pure functions; never throw. Corresponds to src/util/valid_hostname.c and
 * src/global/valid_mailhost_addr.c (Postfix 3.7).
 */

/** Longest valid host name (RFC 1035). */
export const VALID_HOSTNAME_LEN = 255;
/** Longest valid label (RFC 1035). */
export const VALID_LABEL_LEN = 63;
/** Longest text between the brackets of an address literal, plus one (INET6_ADDRSTRLEN). */
const HOSTADDR_STR_SIZE = 46;

const cstr = (s: string) => {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
};
const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isAlnum = (c: string | undefined) => c !== undefined && /^[A-Za-z0-9]$/.test(c);
const isHex = (c: string | undefined) => c !== undefined && /^[0-9A-Fa-f]$/.test(c);
/** The byte value Postfix's `%d(decimal)` shows for a character (the first UTF-8 byte of a non-Latin-1 one). */
const byteOf = (c: string) => (c.charCodeAt(0) < 256 ? c.charCodeAt(0) : Buffer.from(c)[0]!);
const show = (s: string) => s.slice(0, 100);

/** valid_hostname(): undefined when `name` is a valid host name, else Postfix's warning. */
export function hostnameProblem(hostname: string, opts: { wildcard?: boolean } = {}): string | undefined {
  const name = cstr(hostname);
  const gripe = (what: string) => `valid_hostname: ${what}: ${show(name)}`;
  if (name === "") return "valid_hostname: empty hostname";
  let labelLength = 0;
  let labelCount = 0;
  let nonNumeric = false;
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    const next = name[i + 1];
    if (isAlnum(c) || c === "_") {
      if (labelLength === 0) labelCount++;
      if (++labelLength > VALID_LABEL_LEN) return gripe("hostname label too long");
      if (!isDigit(c)) nonNumeric = true;
    } else if (opts.wildcard && c === "*") {
      if (labelLength > 0 || labelCount > 0 || (next !== undefined && next !== ".")) return gripe("'*' can be the first label only");
      labelCount++;
      labelLength++;
      nonNumeric = true;
    } else if (c === ".") {
      if (labelLength === 0 || next === undefined) return gripe("misplaced delimiter");
      labelLength = 0;
    } else if (c === "-") {
      nonNumeric = true;
      if (++labelLength === 1 || next === undefined || next === ".") return gripe("misplaced hyphen");
    } else {
      return gripe(`invalid character ${byteOf(c)}(decimal)`);
    }
  }
  if (!nonNumeric) return gripe("numeric hostname");
  if (name.length > VALID_HOSTNAME_LEN) return `valid_hostname: bad length ${name.length} for ${show(name)}...`;
  return undefined;
}

/** valid_ipv4_hostaddr(): undefined for a valid dotted quad, else Postfix's warning. */
export function ipv4AddressProblem(address: string): string | undefined {
  const addr = cstr(address);
  const gripe = (what: string) => `valid_ipv4_hostaddr: ${what}: ${show(addr)}`;
  let inByte = false;
  let byteCount = 0;
  let byteVal = 0;
  for (let i = 0; i < addr.length; i++) {
    const c = addr[i]!;
    if (isDigit(c)) {
      if (!inByte) {
        inByte = true;
        byteVal = 0;
        byteCount++;
      }
      byteVal = byteVal * 10 + Number(c);
      if (byteVal > 255) return gripe("invalid octet value");
    } else if (c === ".") {
      if (!inByte || i + 1 >= addr.length) return gripe("misplaced dot");
      // 0.0.0.0 is allowed, 0.1.2.3 is not
      if (byteCount === 1 && byteVal === 0 && /[^0.]/.test(addr)) return gripe("bad initial octet value");
      inByte = false;
    } else {
      return gripe(`invalid character ${byteOf(c)}(decimal)`);
    }
  }
  if (byteCount !== 4) return gripe("invalid octet count");
  return undefined;
}

/** valid_ipv6_hostaddr(): undefined for a valid IPv6 address (without `IPv6:`), else Postfix's warning. */
export function ipv6AddressProblem(address: string): string | undefined {
  const addr = cstr(address);
  const gripe = (what: string) => `valid_ipv6_hostaddr: ${what}: ${show(addr)}`;
  let nullField = 0;
  let field = 0;
  let len = 0;
  let i = 0;
  for (;;) {
    const c = addr[i];
    if (c === undefined) {
      if (field < 2) return gripe("too few `:' in IPv6 address");
      if (len === 0 && nullField !== field - 1) return gripe("bad null last field in IPv6 address");
      return undefined;
    }
    if (c === ".") {
      if (field < 2 || field > 6) return gripe("malformed IPv4-in-IPv6 address");
      return ipv4AddressProblem(addr.slice(i - len));
    }
    if (c === ":") {
      if (field === 0 && len === 0 && isAlnum(addr[i + 1])) return gripe("bad null first field in IPv6 address");
      if (++field > 7) return gripe("too many `:' in IPv6 address");
      i++;
      len = 0;
      if (addr[i] === ":") {
        if (nullField > 0) return gripe("too many `::' in IPv6 address");
        nullField = field;
      }
      continue;
    }
    len = 0;
    while (isHex(addr[i + len])) len++;
    if (len > 4) return gripe("malformed IPv6 address");
    if (len === 0) return gripe(`invalid character ${byteOf(c)}(decimal) in IPv6 address`);
    i += len;
  }
}

/** valid_hostaddr(): an IPv6 address when it contains `:`, else an IPv4 address. */
export function hostAddressProblem(address: string): string | undefined {
  const addr = cstr(address);
  if (addr === "") return "valid_hostaddr: empty address";
  return addr.includes(":") ? ipv6AddressProblem(addr) : ipv4AddressProblem(addr);
}

/** valid_mailhost_addr(): `IPv6:…` (any case) or an IPv4 address, as inside an address literal. */
export function mailhostAddressProblem(address: string): string | undefined {
  const addr = cstr(address);
  return addr.slice(0, 5).toLowerCase() === "ipv6:" ? ipv6AddressProblem(addr.slice(5)) : ipv4AddressProblem(addr);
}

/** valid_mailhost_literal(): an address literal with its brackets, `[1.2.3.4]` or `[IPv6:…]`. */
export function mailhostLiteralProblem(literal: string): string | undefined {
  const addr = cstr(literal);
  const gripe = (what: string) => `valid_mailhost_literal: ${what}: ${show(addr)}`;
  if (addr[0] !== "[") return gripe("'[' expected at start");
  const close = addr.indexOf("]");
  if (close < 0) return gripe("']' expected at end");
  if (close !== addr.length - 1) return gripe("unexpected text after ']'");
  if (close - 1 >= HOSTADDR_STR_SIZE) return gripe("too much text");
  return mailhostAddressProblem(addr.slice(1, close));
}

/** True for a valid host name (see hostnameProblem()). */
export function isValidHostname(name: string, opts: { wildcard?: boolean } = {}): boolean {
  return hostnameProblem(name, opts) === undefined;
}

/** True for a valid IPv4 or IPv6 address (see hostAddressProblem()). */
export function isValidHostAddress(address: string): boolean {
  return hostAddressProblem(address) === undefined;
}

/** True for a valid address literal with brackets (see mailhostLiteralProblem()). */
export function isValidMailhostLiteral(literal: string): boolean {
  return mailhostLiteralProblem(literal) === undefined;
}
