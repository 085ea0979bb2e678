/**
 * split_address — address extensions (`user+ext@domain`) as Postfix's split_addr and strip_addr handle them.
 *
 * `recipient_delimiter` is a SET of characters (Postfix 2.11+): the local part is split at the FIRST character
 * that is any one of them (`a-b+c` with `+-` splits at `-`: user `a`, extension `b+c`). The extension does not
 * include the delimiter; `delimiter` says which character it was. No split happens when:
 *
 * - the delimiter set is empty, or no delimiter occurs in the local part;
 * - the split would leave an empty user (`+ext`);
 * - the local part is `postmaster`, `mailer-daemon` or $double_bounce_sender (case-insensitive);
 * - `-` is in the set and owner_request_special = yes (the default) and the local part starts with `owner-`
 *   or is longer than 8 characters and ends with `-request` (case-insensitive), so mailing-list owner
 *   addresses stay whole even when another delimiter (`owner-x+y`) is present.
 *
 * An empty extension is still a split: `user+@x` has user `user` and extension "". Only the last `@` separates the
 * domain (internal form: `"a@b"+x@c` is `a@b+x@c` with local part `a@b+x`). Input and output are in internal
 * (unquoted) form. Case is kept: lookups fold case themselves (fold_address.ts).
 *
 * Pure functions; never throw. A NUL ends the input, as in Postfix. Corresponds to src/global/split_addr.c and strip_addr.c.
 */

/** The settings that change how an address splits (main.cf names in the comments). */
export interface SplitOptions {
  /** owner_request_special (default true). */
  ownerRequestSpecial?: boolean;
  /** double_bounce_sender (default "double-bounce"). */
  doubleBounceSender?: string;
}

/** An address taken apart. */
export interface SplitAddress {
  /** The local part without its extension. */
  user: string;
  /** The delimiter character that split it, "" when there is no extension. */
  delimiter: string;
  /** The extension, without the delimiter; undefined when the address does not split. */
  extension: string | undefined;
  /** What follows the last `@`, or undefined when there is no `@`. */
  domain: string | undefined;
}

const cstr = (s: string) => {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
};

/** split_addr(): [user, delimiter, extension] for a bare local part, or undefined when it does not split. */
export function splitLocalPart(local: string, delimiters: string, opts: SplitOptions = {}): [string, string, string] | undefined {
  const localPart = cstr(local);
  const lower = localPart.toLowerCase();
  if (lower === "postmaster" || lower === "mailer-daemon") return undefined;
  if (lower === (opts.doubleBounceSender ?? "double-bounce").toLowerCase()) return undefined;
  if (delimiters.includes("-") && (opts.ownerRequestSpecial ?? true)) {
    if (lower.startsWith("owner-")) return undefined;
    if (lower.length > 8 && lower.endsWith("-request")) return undefined;
  }
  let at = -1;
  for (let i = 0; i < localPart.length; i++) {
    if (delimiters.includes(localPart[i]!)) {
      at = i;
      break;
    }
  }
  if (at <= 0) return undefined;
  return [localPart.slice(0, at), localPart[at]!, localPart.slice(at + 1)];
}

/** User, delimiter, extension and domain of an internal-form address; see the header. */
export function splitAddress(addr: string, delimiters: string, opts: SplitOptions = {}): SplitAddress {
  const address = cstr(addr);
  const at = address.lastIndexOf("@");
  const local = at < 0 ? address : address.slice(0, at);
  const domain = at < 0 ? undefined : address.slice(at + 1);
  const split = delimiters === "" ? undefined : splitLocalPart(local, delimiters, opts);
  if (split === undefined) return { user: local, delimiter: "", extension: undefined, domain };
  return { user: split[0], delimiter: split[1], extension: split[2], domain };
}

/**
 * strip_addr(): the address without its extension and the extension WITH its delimiter (`foo+ext@bar` gives
 * `foo@bar` and `+ext`), or undefined when there is nothing to strip.
 */
export function stripAddressExtension(address: string, delimiters: string, opts: SplitOptions = {}): { address: string; extension: string } | undefined {
  const s = splitAddress(address, delimiters, opts);
  if (s.extension === undefined) return undefined;
  return { address: s.domain === undefined ? s.user : `${s.user}@${s.domain}`, extension: s.delimiter + s.extension };
}
