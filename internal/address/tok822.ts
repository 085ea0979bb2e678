/**
 * tok822 — RFC 822 address lists as Postfix's tok822 modules read and write them: a tokenizer, a forgiving parser
 * that builds a token tree, and the two ways back to text (internal = unquoted, external = quoted).
 *
 * TOKENS
 *
 * | kind      | text                                              | made from                                       |
 * | --------- | ------------------------------------------------- | ----------------------------------------------- |
 * | `atom`    | the characters, backslash escapes removed         | a run of non-special, non-space characters       |
 * | `qstring` | the characters between the quotes, unescaped      | `"…"`, or an atom that needs quoting (`a\ b`)   |
 * | `domlit`  | the characters between the brackets, unescaped    | `[…]`                                           |
 * | `comment` | the comment as written, with its parentheses      | `(…)`, which may nest                           |
 * | `op`      | one character of `|%!()<>@,;:\".[]`               | (`\` never: it escapes the next character)       |
 * | `group`   | `:`                                               | the colon after a group name (`name: a, b;`)     |
 * | `address` | "" ; the address is in `children`                 | made by the parser                              |
 *
 * Scanning (tok822_scan): white space (space, tab, CR, LF) separates tokens and is dropped; inside quoted strings,
 * domain literals and atoms a backslash takes the next character literally, and white space becomes one space.
 * An unterminated quoted string, domain literal or comment runs to the end of the text. An atom that contains a
 * space, a control character or a special character (possible only through backslashes) becomes a `qstring`.
 * 8-bit characters get no special treatment. A NUL ends the text, as it ends a C string in Postfix.
 *
 * Parsing (tok822_parse) never fails and never drops a token. It groups the tokens of each address under one
 * `address` token; what is left at the top level is display names (phrases), `<` `>`, commas, `group`/`;` and
 * comments (moved to the right of the address they were in). It adds a missing comma between two addresses
 * that follow each other (`a b` is two addresses). Inside `<…>` everything is one address, route and all. `<>`
 * holds no address. The top level of the tree therefore reads, left to right, like the input.
 *
 * Writing back: internal form joins the tokens without quoting; external form quotes each address with
 * quote_822_local (quote_local.ts), quoted strings and domain literals with backslashes where needed. Between two
 * top-level words (atoms, quoted strings, comments, literals, addresses), after a comma, after a group colon and
 * before `<` one space is written; tokens inside an address are joined without spaces. With `lineBreaks`, a comma
 * is followed by a newline instead of a space (the caller folds the header). With `truncate` (what cleanup uses
 * for headers), an address expression whose non-address text (phrases, comments) exceeds 250 characters is
 * reduced to `<address>` with the warning `stripping too many comments from address: TEXT...`, as Postfix does
 * to protect old Sendmail systems (CERT CA-2003-07).
 *
 * Pure functions; nothing throws. Warnings go to `opts.onWarning`, by default msgWarn(). Corresponds to Postfix's
 * tok822_scan(), tok822_parse_limit(), tok822_internalize(), tok822_externalize(), tok822_grep().
 */
import { msgWarn } from "../log/msg.ts";
import { quoteLocalPart } from "./quote_local.ts";

/** What a token is; see the table above. */
export type TokenKind = "atom" | "qstring" | "domlit" | "comment" | "op" | "group" | "address";

/** One token of an address list; `start`/`end` locate it in the parsed text (-1 for tokens the parser added). */
export interface AddressToken {
  kind: TokenKind;
  text: string;
  /** The tokens of an `address`; empty for the other kinds. */
  children: AddressToken[];
  start: number;
  end: number;
}

/** Options for writing tokens back as text. */
export interface WriteOptions {
  /** A newline instead of a space after each top-level comma (TOK822_STR_LINE). */
  lineBreaks?: boolean;
  /** Reduce address expressions with more than 250 characters of non-address text to `<address>` (TOK822_STR_TRNC). */
  truncate?: boolean;
  /** Receives the text of warnings; default msgWarn(). */
  onWarning?: (text: string) => void;
}

/** The operator characters: RFC 822 specials plus `|`, `%` and `!`. */
const OPERATORS = '|%!()<>@,;:\\".[]';
const MAX_NONADDR_LENGTH = 250;

const isSpace = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";
const isControl = (c: string) => {
  const n = c.charCodeAt(0);
  return n < 32 || n === 127;
};

/** The text up to its first NUL, as Postfix's C code sees it. */
export function cString(s: string): string {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
}

/**
 * Reads characters from `s` at `i` while `accept(c)` holds, honouring backslash escapes; white space is stored as
 * one space. Returns the text and the index of the first character not taken.
 */
function collect(s: string, i: number, accept: (c: string) => boolean): [string, number] {
  let out = "";
  while (i < s.length) {
    let c = s[i]!;
    if (c === "\\") {
      if (++i >= s.length) break;
      c = s[i]!;
    } else if (!accept(c)) {
      break;
    }
    out += isSpace(c) ? " " : c;
    i++;
  }
  return [out, i];
}

/** Reads a comment that starts after the `(` at `i - 1`; comments nest, a backslash keeps the next character. */
function collectComment(s: string, i: number): [string, number] {
  let level = 1;
  const start = i - 1;
  while (i < s.length) {
    const c = s[i++]!;
    if (c === "(") level++;
    else if (c === ")") {
      if (--level === 0) break;
    } else if (c === "\\") {
      if (i >= s.length) break;
      i++;
    }
  }
  return [s.slice(start, i), i];
}

function token(kind: TokenKind, text: string, start: number, end: number): AddressToken {
  return { kind, text, children: [], start, end };
}

/** tok822_scan(): the tokens of `text`, without grouping. `limit` > 0 stops after that many tokens. */
export function scanAddressTokens(text: string, limit = 0): AddressToken[] {
  const s = cString(text);
  const out: AddressToken[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    const start = i;
    if (isSpace(c)) {
      i++;
      continue;
    }
    let t: AddressToken;
    if (c === "(") {
      const [body, next] = collectComment(s, i + 1);
      t = token("comment", body, start, (i = next));
    } else if (c === "[" || c === '"') {
      const close = c === "[" ? "]" : '"';
      const [body, next] = collect(s, i + 1, (ch) => ch !== close);
      i = next < s.length ? next + 1 : next;
      t = token(c === "[" ? "domlit" : "qstring", body, start, i);
    } else if (c !== "\\" && OPERATORS.includes(c)) {
      t = token("op", c, start, ++i);
    } else {
      const [body, next] = collect(s, i, (ch) => !isSpace(ch) && !OPERATORS.includes(ch));
      i = next;
      let kind: TokenKind = "atom";
      for (const ch of body) {
        if (ch === " " || isControl(ch) || OPERATORS.includes(ch)) {
          kind = "qstring";
          break;
        }
      }
      t = token(kind, body, start, i);
    }
    out.push(t);
    if (limit > 0 && out.length >= limit) break;
  }
  return out;
}

// --- the parser: a doubly linked list, grouped from right to left --------------------------------------------------

interface Node {
  tok: AddressToken | null; // null for the two sentinels
  prev: Node | null;
  next: Node | null;
}

const isWord = (n: Node) => n.tok !== null && (n.tok.kind === "atom" || n.tok.kind === "qstring" || n.tok.kind === "domlit");
const isOp = (n: Node, chars: string) => n.tok !== null && n.tok.kind === "op" && chars.includes(n.tok.text);

function link(a: Node, b: Node): void {
  a.next = b;
  b.prev = a;
}

/** Takes `n` out of its list; returns its predecessor. */
function unlink(n: Node): Node {
  const prev = n.prev!;
  link(prev, n.next!);
  n.prev = n.next = null;
  return prev;
}

/**
 * Replaces the nodes strictly between `left` and `right` by one `address` node that owns their tokens; with
 * `comma`, also puts a comma between `left` and the new node. Does nothing when there are no such nodes.
 * Returns `left`.
 */
function group(left: Node, right: Node, comma: boolean): Node {
  if (left === right || left.next === right) return left;
  const children: AddressToken[] = [];
  for (let n = left.next!; n !== right; n = n.next!) children.push(n.tok!);
  const addr: Node = { tok: { kind: "address", text: "", children, start: children[0]!.start, end: children[children.length - 1]!.end }, prev: null, next: null };
  link(left, addr);
  link(addr, right);
  if (comma) {
    const sync: Node = { tok: token("op", ",", -1, -1), prev: null, next: null };
    link(left, sync);
    link(sync, addr);
  }
  return left;
}

/** tok822_parse(): the token tree of an address list. `limit` > 0 bounds the number of tokens (header_address_token_limit). */
export function parseAddressTree(text: string, limit = 0): AddressToken[] {
  const tokens = scanAddressTokens(text, limit);
  if (tokens.length === 0) return [];
  const head: Node = { tok: null, prev: null, next: null };
  let last = head;
  for (const t of tokens) {
    const n: Node = { tok: t, prev: null, next: null };
    link(last, n);
    last = n;
  }
  const tail: Node = { tok: null, prev: null, next: null };
  link(last, tail);

  // Walk from right to left. The tokens of the address being collected lie between `tp` and `right`.
  let wantWord = true; // a word here starts a new address only if no operator joined it to the one on its right
  let inGroup = false; // a `;` was seen, so a `:` further left ends a group name
  let right: Node = tail;
  let tp: Node = tail.prev!;
  const moveBeforeRight = (n: Node) => {
    // comments go to the right side of the address they are in, where they stay at the top level
    const prev = unlink(n);
    link(right.prev!, n);
    link(n, right);
    right = n;
    return prev;
  };
  while (tp.tok !== null) {
    const t = tp.tok;
    if (t.kind === "comment") {
      tp = moveBeforeRight(tp);
      continue;
    }
    if (isOp(tp, ";")) {
      right = group(tp, right, true);
      inGroup = true;
      wantWord = true;
    } else if (isOp(tp, ":") && inGroup) {
      tp.tok = { ...t, kind: "group" };
      group(tp, right, false);
      while (tp.tok !== null && !isOp(tp, ",")) tp = tp.prev!;
      right = tp;
      continue;
    } else if (isOp(tp, ">")) {
      right = group(tp, right, true);
      // everything back to the matching `<` is one address; comments inside move out to its right
      while (tp.tok !== null && !isOp(tp, "<")) {
        if (tp.tok.kind === "comment") tp = moveBeforeRight(tp);
        else tp = tp.prev!;
      }
      group(tp, right, false);
      // the display name before `<` stays at the top level
      while (tp.tok !== null && !isOp(tp, ">;,:")) tp = tp.prev!;
      right = tp;
      wantWord = true;
      continue;
    } else if (isWord(tp)) {
      if (!wantWord) right = group(tp, right, true).next!;
      wantWord = false;
    } else if (isOp(tp, ",")) {
      right = group(tp, right, false);
      wantWord = true;
    } else {
      wantWord = true;
    }
    tp = tp.prev!;
  }
  group(tp, right, false);

  const out: AddressToken[] = [];
  for (let n = head.next!; n !== tail; n = n.next!) out.push(n.tok!);
  return out;
}

/** tok822_grep(tree, TOK822_ADDR): the `address` tokens at the top level of a tree. */
export function addressTokens(tree: AddressToken[]): AddressToken[] {
  return tree.filter((t) => t.kind === "address");
}

// --- writing back ---------------------------------------------------------------------------------------------------

const isNonOperator = (t: AddressToken) => t.kind !== "op" && t.kind !== "group";

/** Whether one space goes after tokens[i] (only at the top level). */
function spaceAfter(tokens: AddressToken[], i: number, topLevel: boolean): boolean {
  const t = tokens[i]!;
  const next = tokens[i + 1];
  if (next === undefined || !topLevel) return false;
  if ((t.kind === "op" && t.text === ",") || t.kind === "group" || (next.kind === "op" && next.text === "<")) return true;
  return isNonOperator(t) && isNonOperator(next);
}

function internalize(tokens: AddressToken[], topLevel: boolean, lineBreaks: boolean): string {
  let out = "";
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    switch (t.kind) {
      case "address":
        out += internalize(t.children, false, false);
        break;
      case "domlit":
        out += `[${t.text}]`;
        break;
      case "group":
        out += ":";
        break;
      default:
        out += t.text;
        if (lineBreaks && t.kind === "op" && t.text === ",") {
          out += "\n";
          continue;
        }
    }
    if (spaceAfter(tokens, i, topLevel)) out += " ";
  }
  return out;
}

/** Backslash-quotes the characters of `s` that are in `special`. */
function quoteChars(s: string, special: string): string {
  let out = "";
  for (const c of s) out += special.includes(c) ? `\\${c}` : c;
  return out;
}

/** The text of a warning, as Postfix's printable() and `%.100s...` show it. */
function printable(s: string): string {
  return s.slice(0, 100).replace(/[\x00-\x1f\x7f]/g, "?");
}

function externalize(tokens: AddressToken[], opts: WriteOptions): string {
  let out = "";
  // for `truncate`: where the current address expression starts, its address, and how long that address is
  let start = 0;
  let addr: AddressToken | null = null;
  let addrLen = 0;
  const enforce = () => {
    if (!opts.truncate || addr === null || out.length - addrLen <= start + MAX_NONADDR_LENGTH) return;
    (opts.onWarning ?? msgWarn)(`stripping too many comments from address: ${printable(out.slice(start))}...`);
    out = `${out.slice(0, start)}<${addr.kind === "address" ? quoteLocalPart(internalize(addr.children, false, false)) : ""}>`;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    switch (t.kind) {
      case "address": {
        addr = t;
        const text = quoteLocalPart(internalize(t.children, false, false));
        addrLen = text.length;
        out += text;
        break;
      }
      case "qstring":
        out += `"${quoteChars(t.text, '"\\\r\n')}"`;
        break;
      case "domlit":
        out += `[${quoteChars(t.text, "\\\r\n")}]`;
        break;
      case "group":
        out += ":";
        break;
      case "op":
        if (t.text === ",") {
          enforce();
          out += opts.lineBreaks ? ",\n" : ", ";
          start = out.length;
          addr = null;
          addrLen = 0;
          continue;
        }
        if (t.text === "<" && tokens[i + 1]?.kind === "op" && tokens[i + 1]!.text === ">") {
          addr = t; // `<>`: the null address
          addrLen = 0;
        }
        out += t.text;
        break;
      default:
        out += t.text;
    }
    if (spaceAfter(tokens, i, true)) out += " ";
  }
  enforce();
  return out;
}

/** tok822_internalize() of a top-level token list: the text without quoting. */
export function internalizeTokens(tokens: AddressToken[], opts: { lineBreaks?: boolean } = {}): string {
  return internalize(tokens, true, opts.lineBreaks ?? false);
}

/** tok822_externalize() of a top-level token list: the text quoted for a message header. */
export function externalizeTokens(tokens: AddressToken[], opts: WriteOptions = {}): string {
  return externalize(tokens, opts);
}

/** The internal (unquoted) form of an `address` token: `"joe smith"@x` gives `joe smith@x`. */
export function addressInternal(addr: AddressToken): string {
  return internalize(addr.children, false, false);
}

/**
 * The address list `text` (a header value) with each non-empty address replaced by `map(its internal form)`,
 * written as Postfix writes a rewritten header (TOK822_STR_HEAD: a line break after each top-level comma, long
 * non-address text cut; fold_header.ts joins the lines); undefined when no address changed.
 */
export function rewriteAddressList(text: string, limit: number, map: (address: string) => string): string | undefined {
  const tree = parseAddressTree(text, limit);
  let changed = false;
  for (const addr of addressTokens(tree)) {
    const internal = addressInternal(addr);
    if (internal === "") continue;
    const next = map(internal);
    if (next === internal) continue;
    changed = true;
    // the address token's children become the new address, one atom in external form
    addr.children = [{ kind: "atom", text: quoteLocalPart(next), children: [], start: -1, end: -1 }];
  }
  return changed ? externalizeTokens(tree, { lineBreaks: true, truncate: true }) : undefined;
}
