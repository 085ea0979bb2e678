/**
 * casefold — key folding as Postfix's tables do it, and the UTF-8 checks that go with it.
 *
 * Without SMTPUTF8 (`utf8` false) Postfix folds with tolower() in the C locale: only A-Z change, every other byte
 * is kept. With smtputf8_enable = yes it folds with ICU's full case folding (`Straße` → `strasse`, `İ` → `i̇`)
 * and refuses keys that are not valid UTF-8. JavaScript has no case-folding primitive; upper-casing then
 * lower-casing each character gives full case folding except for two ranges that ICU treats differently
 * (dotless ı stays ı; Cherokee folds to its capital letters), which are handled explicitly.
 *
 * Pure functions; never throw. Postfix: src/util/casefold.c, lowercase.c, valid_utf8_string.c.
 */

const ASCII = /^[\x00-\x7f]*$/;
const UPPER_ASCII = /[A-Z]+/g;

/** True when the string has only 7-bit characters. */
export function isAscii(s: string): boolean {
  return ASCII.test(s);
}

/** Postfix's fold of a fixed-string table key: ASCII-only tolower(), or full Unicode folding in UTF-8 mode. */
export function foldKey(key: string, utf8: boolean): string {
  if (ASCII.test(key)) return key.toLowerCase();
  if (!utf8) return key.replace(UPPER_ASCII, (m) => m.toLowerCase());
  let out = "";
  for (const ch of key) out += foldChar(ch);
  return out;
}

function foldChar(ch: string): string {
  const c = ch.codePointAt(0)!;
  if (c < 0x80) return ch.toLowerCase();
  if (c === 0x131) return ch; // dotless i has no fold
  if ((c >= 0x13a0 && c <= 0x13f5) || (c >= 0x13f8 && c <= 0x13fd) || (c >= 0xab70 && c <= 0xabbf)) {
    return ch.toUpperCase(); // Cherokee folds to upper case
  }
  return ch.toUpperCase().toLowerCase();
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** True when `bytes` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      try {
        utf8Decoder.decode(bytes);
        return true;
      } catch {
        return false;
      }
    }
  }
  return true;
}

/** Lower-cases A-Z in place; returns true when the bytes are all ASCII (so no other folding is needed). */
export function foldAsciiBytes(bytes: Uint8Array, start: number, end: number): boolean {
  let ascii = true;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b >= 0x41 && b <= 0x5a) bytes[i] = b + 32;
    else if (b >= 0x80) ascii = false;
  }
  return ascii;
}

/** Postfix's printable(): control and non-ASCII bytes become `?`, as in its "non-UTF-8 input" warnings. */
export function printable(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "?";
  return s;
}

/**
 * Postfix's message sanitising (msg_output's printable()): control characters become `?`; non-ASCII text is kept
 * in UTF-8 mode and shown as one `?` per byte otherwise.
 */
export function printableText(s: string, utf8: boolean): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f) out += "?";
    else if (c < 0x80 || (utf8 && c !== 0xfffd)) out += ch;
    else out += "?".repeat(c < 0x800 ? 2 : c < 0x10000 ? 3 : 4);
  }
  return out;
}
