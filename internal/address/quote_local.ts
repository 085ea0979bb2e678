/**
 * quote_local — between Postfix's internal (unquoted) and external (quoted) address forms.
 *
 * Postfix keeps addresses in internal form: the local part without quotes or backslashes (`joe smith@x`). Only the
 * LAST `@` separates the domain, so a local part may itself contain `@` (`"a@b"@c` is `a@b@c` internally).
 *
 * quoteLocalPart() (quote_822_local) turns an internal address into the RFC 822 form for message headers. The
 * local part is left alone when it is a dot-string: not empty, no leading or trailing dot, no `..`, and none of
 * space, control characters (0-31, 127), `()<>@,;:\"[]`. Otherwise the whole local part is put in double quotes,
 * with a backslash before `"`, `\` and CR. A source route (`@a,@b:user@dom`) is skipped, not quoted. 8-bit
 * characters are ordinary text unless `eightBitClean` is false, in which case they force quoting and are
 * backslash-escaped. `exposeAt` treats `@` as ordinary; `bareLocalPart` says the input has no domain (every `@`
 * belongs to the local part). The empty address quotes to `""`.
 *
 * quoteLocalPart821() (quote_821_local) is the RFC 821 variant for SMTP commands: no source route handling, and LF is
 * escaped inside the quotes as well.
 *
 * unquoteAddress() (unquote_822_local) is the inverse: it removes quotes and backslashes from the local part up
 * to the last `@` outside quotes, and keeps a source route and the domain as they are.
 *
 * Pure functions; never throw. A NUL ends the input, as it ends a C string in Postfix. Corresponds to
 * src/global/quote_822_local.c, quote_821_local.c, quote_flags.h.
 */

/** Quoting options (Postfix's QUOTE_FLAG_*). */
export interface QuoteOptions {
  /** Treat 8-bit characters as ordinary text (default true, as QUOTE_FLAG_DEFAULT). */
  eightBitClean?: boolean;
  /** Treat `@` as ordinary text (QUOTE_FLAG_EXPOSE_AT). */
  exposeAt?: boolean;
  /** The input is a local part without `@domain` (QUOTE_FLAG_BARE_LOCALPART; quoteLocalPart only). */
  bareLocalPart?: boolean;
}

const cstr = (s: string) => {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
};

/** Whether the local part is an RFC 822 dot-string, which needs no quotes. */
function isDotString(local: string, opts: QuoteOptions): boolean {
  if (local === "" || local[0] === "." || local[local.length - 1] === ".") return false;
  const eightBitClean = opts.eightBitClean ?? true;
  for (let i = 0; i < local.length; i++) {
    const c = local[i]!;
    const n = c.charCodeAt(0);
    if (c === "." && local[i + 1] === ".") return false;
    if (n > 127 && !eightBitClean) return false;
    if (n <= 32 || n === 127) return false;
    if ('()<>,;:\\"[]'.includes(c) || (c === "@" && !opts.exposeAt)) return false;
  }
  return true;
}

function quotedString(local: string, special: string, eightBitClean: boolean): string {
  let out = '"';
  for (const c of local) {
    if (special.includes(c) || (c.charCodeAt(0) > 127 && !eightBitClean)) out += "\\";
    out += c;
  }
  return `${out}"`;
}

/** quote_822_local(): the external (RFC 822) form of an internal address; see the header. */
export function quoteLocalPart(address: string, opts: QuoteOptions = {}): string {
  const addr = cstr(address);
  let start = 0;
  if (addr[0] === "@") {
    const colon = addr.indexOf(":");
    if (colon >= 0) start = colon + 1;
  }
  let end = opts.bareLocalPart ? -1 : addr.lastIndexOf("@");
  if (end < start) end = addr.length;
  const local = addr.slice(start, end);
  if (isDotString(local, opts)) return addr;
  return addr.slice(0, start) + quotedString(local, '"\\\r', opts.eightBitClean ?? true) + addr.slice(end);
}

/** quote_821_local(): the RFC 821 (SMTP) form of an internal address; see the header. */
export function quoteLocalPart821(address: string, opts: Omit<QuoteOptions, "bareLocalPart"> = {}): string {
  const addr = cstr(address);
  let at = addr.lastIndexOf("@");
  if (at < 0) at = addr.length;
  const local = addr.slice(0, at);
  if (isDotString(local, opts)) return addr;
  return quotedString(local, '\r\n"\\', opts.eightBitClean ?? true) + addr.slice(at);
}

/** unquote_822_local(): the internal form of an external address; see the header. */
export function unquoteAddress(address: string): string {
  const addr = cstr(address);
  let start = 0;
  if (addr[0] === "@") {
    const colon = addr.indexOf(":");
    if (colon >= 0) start = colon + 1;
  }
  let out = addr.slice(0, start);
  let inQuote = false;
  let lastAt = -1; // where the last unquoted `@` went in `out`
  let lastAtSrc = -1;
  for (let i = start; i < addr.length; i++) {
    let c = addr[i]!;
    if (c === '"') {
      inQuote = !inQuote;
      continue;
    }
    if (c === "@") {
      if (!inQuote) {
        lastAt = out.length;
        lastAtSrc = i;
      }
    } else if (c === "\\") {
      if (i + 1 >= addr.length) continue; // a trailing backslash is dropped
      c = addr[++i]!;
    }
    out += c;
  }
  // the domain after the last unquoted `@` is kept as written
  return lastAt >= 0 ? out.slice(0, lastAt) + addr.slice(lastAtSrc) : out;
}

/** The external (header) form of an internal address: quoteLocalPart() with Postfix's default options. */
export function externalForm(address: string): string {
  return quoteLocalPart(address);
}

/** The internal form of an external address: unquoteAddress(). */
export function internalForm(address: string): string {
  return unquoteAddress(address);
}
