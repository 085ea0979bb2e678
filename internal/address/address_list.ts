/**
 * address_list — the addresses of an RFC 822 address list (`a@b, "Joe, Jr." <j@x>, team: x@y, z@w;`), each in
 * Postfix's internal and external form, with the display name, comments and group name that surround it.
 *
 * The addresses are exactly those that Postfix's tok822_parse() + tok822_grep(TOK822_ADDR) find (see tok822.ts):
 * the parser is forgiving, so every input gives a (possibly empty) list and nothing is thrown.
 *
 * - `Name <addr>`, `addr (comment)`, route addresses (`<@a,@b:u@d>`: the route stays part of the address),
 *   groups (`name: a, b;`), addresses without a domain (`joe`), and `%`/`!` forms are all kept as written.
 * - Two addresses without a comma between them (`a@b c@d`) are two addresses.
 * - Unbalanced quotes, brackets and parentheses run to the end of the text; an unmatched `<` becomes part of the
 *   address (`Joe <j@x` gives `Joe<j@x`), an unmatched `>` is left out of it.
 * - `<>` holds no address: `parseAddressList("<>")` is empty. Callers that need one address decide what
 *   "none" means: sendmail's `-f <>` and `-f ''` mean the null sender (parseSingleAddress()), and a command-line
 *   recipient without an address becomes an empty recipient.
 * - A NUL ends the text, as in Postfix.
 *
 * The display name is the phrase before `<…>` with quotes removed and white space between its words reduced to
 * one space (`"Joe, Jr." <j@x>` gives `Joe, Jr.`; `Johnny B. Goode <j@x>` keeps its dot and spaces). The comment
 * is the text of the comments of the same address expression, without the parentheses and backslashes, joined
 * by a space (`j@x (Joe Bloggs)` gives `Joe Bloggs`). Postfix itself keeps neither; they are for `From:` and
 * sendmail's -t/-F handling. Corresponds to Postfix's sendmail.c/cleanup_message.c use of tok822.
 */
import { addressInternal, parseAddressTree, type AddressToken } from "./tok822.ts";
import { quoteLocalPart } from "./quote_local.ts";

/** One address of a list. */
export interface ParsedAddress {
  /** Internal (unquoted) form, as queue files hold it: `joe smith@x`. */
  internal: string;
  /** External (quoted) form, as headers hold it: `"joe smith"@x`. */
  external: string;
  /** The phrase before `<address>`, unquoted; "" when there is none. */
  displayName: string;
  /** The comments of the address expression, without parentheses; "" when there are none. */
  comment: string;
  /** The name of the group the address belongs to, or undefined. */
  group: string | undefined;
}

/** Options for parseAddressList(). */
export interface AddressListOptions {
  /** Stop after this many tokens (header_address_token_limit, 10240 in cleanup); 0 = no limit. */
  tokenLimit?: number;
}

const isOp = (t: AddressToken | undefined, c: string) => t !== undefined && t.kind === "op" && t.text === c;

/** The words of a phrase, joined by single spaces where the source had white space (or a comment) between them. */
function phraseText(tokens: AddressToken[]): string {
  let out = "";
  let prevEnd = -1;
  for (const t of tokens) {
    if (t.kind === "comment") continue;
    if (out !== "" && (t.start < 0 || prevEnd < 0 || t.start > prevEnd)) out += " ";
    out += t.kind === "domlit" ? `[${t.text}]` : t.text;
    prevEnd = t.end;
  }
  return out;
}

/** The text of a comment token: outer parentheses and backslash escapes removed, nested parentheses kept. */
function commentText(t: AddressToken): string {
  const s = t.text;
  let out = "";
  let level = 1;
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\") {
      if (i + 1 < s.length) out += s[++i];
      continue;
    }
    if (c === "(") level++;
    else if (c === ")" && --level === 0) break;
    out += c;
  }
  return out;
}

/** The addresses of one expression (the tokens between two commas, or between group markers). */
function expressionAddresses(expr: AddressToken[], groupName: string | undefined, out: ParsedAddress[]): void {
  // plain loops: sendmail parses its arguments with this, and each array method (forEach, map …) is compiled from
  // source at its first use in a process
  const addrIdx: number[] = [];
  const comments: string[][] = [];
  for (let i = 0; i < expr.length; i++) {
    if (expr[i]!.kind === "address") {
      addrIdx.push(i);
      comments.push([]);
    }
  }
  if (addrIdx.length === 0) return;
  for (let i = 0; i < expr.length; i++) {
    const t = expr[i]!;
    if (t.kind !== "comment") continue;
    // a comment belongs to the nearest address on its left, else to the first one on its right
    let owner = 0;
    for (let k = 0; k < addrIdx.length; k++) if (addrIdx[k]! < i) owner = k;
    comments[owner]!.push(commentText(t));
  }
  for (let k = 0; k < addrIdx.length; k++) {
    const i = addrIdx[k]!;
    const addr = expr[i]!;
    let displayName = "";
    if (isOp(expr[i - 1], "<")) {
      let j = i - 1;
      while (j > 0 && !isOp(expr[j - 1], ">") && expr[j - 1]!.kind !== "address") j--;
      displayName = phraseText(expr.slice(j, i - 1));
    }
    const internal = addressInternal(addr);
    out.push({ internal, external: quoteLocalPart(internal), displayName, comment: comments[k]!.join(" "), group: groupName });
  }
}

/** Every address of an RFC 822 address list, in order; see the header. */
export function parseAddressList(text: string, opts: AddressListOptions = {}): ParsedAddress[] {
  const tree = parseAddressTree(text, opts.tokenLimit ?? 0);
  const out: ParsedAddress[] = [];
  let groupName: string | undefined;
  let expr: AddressToken[] = [];
  for (const t of tree) {
    if (isOp(t, ",")) {
      expressionAddresses(expr, groupName, out);
      expr = [];
    } else if (t.kind === "group") {
      groupName = phraseText(expr.filter((x) => x.kind !== "address" && !isOp(x, "<") && !isOp(x, ">")));
      expr = [];
    } else if (isOp(t, ";")) {
      expressionAddresses(expr, groupName, out);
      groupName = undefined;
      expr = [];
    } else {
      expr.push(t);
    }
  }
  expressionAddresses(expr, groupName, out);
  return out;
}

/**
 * The one address that a single-address argument names, as sendmail does with `-f`: the internal form of the
 * first address ("" when there is none, which is the null sender for `-f ''` and `-f '<>'`), and how many
 * addresses there were (more than one earns the warning `-f option specified malformed sender`).
 */
export function parseSingleAddress(text: string): { address: string; count: number } {
  const tree = parseAddressTree(text);
  let first: AddressToken | undefined;
  let count = 0;
  for (const t of tree) {
    if (t.kind !== "address") continue;
    first ??= t;
    count++;
  }
  return { address: first !== undefined ? addressInternal(first) : "", count };
}
