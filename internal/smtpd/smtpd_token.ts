/**
 * smtpd_token — splitting an SMTP command line into words and taking the address out of `FROM:<…>` / `TO:<…>`
 * (Postfix's smtpd_token.c and smtpd.c extract_addr()), plus the xtext decoding of DSN parameters.
 *
 * Words are separated by white space; `<…>` and `"…"` are single words (nested quotes and brackets honoured,
 * backslash escapes kept); `FROM:` and `TO:` end a word at their colon, so `MAIL FROM:<a@b>` and
 * `MAIL FROM: <a@b>` give the same words. A bracket or quote that is never closed marks the word as an error.
 *
 * extractAddress() applies RFC 822 address parsing to the word (source routes `@a,@b:` are dropped) and returns
 * the address in internal (unquoted) form, or why it is refused: more than one address, and with
 * strict_rfc821_envelopes anything outside `<…>`. Postfix's resolve-time syntax check (a domain that is neither
 * a valid host name nor an address literal) is done here too.
 */
import { parseAddressTree, addressTokens, addressInternal } from "../address/tok822.ts";
import { isValidHostname, isValidMailhostLiteral } from "../address/valid_hostname.ts";

/** One word of a command. */
export interface SmtpWord {
  text: string;
  /** An unclosed `<` or `"`. */
  error: boolean;
}

const isSpace = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n" || c === "\v" || c === "\f";

function quoted(s: string, i: number, start: string, last: string, word: { text: string; error: boolean }): number {
  const stack: string[] = [last];
  let wanted = last;
  word.text += start;
  while (i < s.length) {
    const c = s[i++]!;
    word.text += c;
    if (c === "\\") {
      if (i >= s.length) break;
      word.text += s[i++];
    } else if (c === wanted) {
      if (stack.length === 1) return i;
      stack.pop();
      wanted = stack[stack.length - 1]!;
    } else if (c === '"') {
      stack.push((wanted = '"'));
    } else if (c === "<" && wanted === ">") {
      stack.push((wanted = ">"));
    }
  }
  word.error = true;
  return i;
}

/** smtpd_token(): the words of a command line. */
export function tokenizeCommand(line: string): SmtpWord[] {
  const words: SmtpWord[] = [];
  let i = 0;
  while (i < line.length) {
    const w = { text: "", error: false };
    while (i < line.length) {
      const c = line[i++]!;
      if (isSpace(c)) {
        while (i < line.length && isSpace(line[i]!)) i++;
        if (w.text.length > 0) break;
      } else if (c === "<") {
        i = quoted(line, i, c, ">", w);
      } else if (c === '"') {
        i = quoted(line, i, c, c, w);
      } else if (c === ":") {
        w.text += c;
        const lc = w.text.toLowerCase();
        if (lc === "to:" || lc === "from:") break;
      } else {
        if (c === "\\") {
          w.text += c;
          if (i >= line.length) break;
          w.text += line[i++];
          continue;
        }
        w.text += c;
      }
    }
    if (w.text.length === 0) break;
    words.push(w);
  }
  return words;
}

/** Options of extractAddress(). */
export interface ExtractOptions {
  allowEmpty: boolean;
  strictRfc821: boolean;
  /** The client declared SMTPUTF8: a non-ASCII domain is allowed. */
  smtputf8: boolean;
}

/** The domain of an internal address is acceptable to the resolver (trivial-rewrite's syntax check). */
export function resolvableAddress(addr: string, smtputf8: boolean): boolean {
  if (addr === "") return true;
  const at = addr.lastIndexOf("@");
  if (at < 0) return true;
  let domain = addr.slice(at + 1);
  if (domain === "") return false;
  if (!smtputf8 && /[^\x00-\x7f]/.test(domain)) return false;
  if (domain.startsWith("[")) return isValidMailhostLiteral(domain);
  if (domain.endsWith(".")) domain = domain.slice(0, -1);
  if (/[^\x00-\x7f]/.test(domain)) return true; // UTF-8 domains: left to the SMTPUTF8 machinery
  return isValidHostname(domain);
}

/** extract_addr(): the internal-form address of a `<…>` word, or undefined when it is refused. */
export function extractAddress(word: string, opts: ExtractOptions): string | undefined {
  let text = word.startsWith("<") && word.endsWith(">") && word.length >= 2 ? word.slice(1, -1) : word;
  if (text.startsWith("@")) {
    const colon = text.indexOf(":");
    if (colon >= 0) text = text.slice(colon + 1);
  }
  const tree = parseAddressTree(text);
  let naddr = 0;
  let nonAddr = 0;
  let addr: ReturnType<typeof addressTokens>[number] | undefined;
  for (const t of tree) {
    if (t.kind === "address") {
      addr = t;
      naddr++;
    } else if (t.kind === "op" && (t.text === "<" || t.text === ">")) {
      // angle brackets around the address
    } else nonAddr++;
  }
  if (naddr > 1 || (opts.strictRfc821 && (nonAddr > 0 || !word.startsWith("<")))) return undefined;
  const result = addr ? addressInternal(addr) : "";
  if (result === "" && !opts.allowEmpty) return undefined;
  if (opts.strictRfc821 && result.startsWith("@")) return undefined;
  if (!resolvableAddress(result, opts.smtputf8)) return undefined;
  return result;
}

/** xtext_unquote(): `+XX` hex escapes; undefined for a malformed value. */
export function xtextDecode(s: string): string | undefined {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2b) {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 2;
    } else if (c < 33 || c > 126 || c === 0x3d) {
      return undefined;
    } else out += s[i];
  }
  return out;
}

/** Printable ASCII only (Postfix's allprint()). */
export function allPrintable(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

/** Postfix's printable(): non-printable characters replaced by `rep`. */
export function printable(s: string, rep = "?"): string {
  return s.replace(/[^\x20-\x7e\x80-\uffff]/g, rep);
}
