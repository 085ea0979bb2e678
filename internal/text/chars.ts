/**
 * chars — character classes and scans for the start-up path, written as loops instead of regular expressions.
 *
 * Why: in a compiled Bun binary the first regular expression a process runs costs about 0.15 ms (the engine's
 * set-up) and each further one 10–30 µs to compile, and a one-shot tool such as postlog or sendmail has about a
 * millisecond for all its own work. Code that every tool runs at start-up (main.cf parsing, `$name` expansion,
 * list splitting, the log record, the time zone) uses these instead; code that runs later may use either.
 *
 * Everything here works on UTF-16 code units and treats only ASCII as letters, digits and white space.
 */

/** [A-Za-z0-9_]: a character of a parameter name. */
export function isNameCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** [A-Za-z] */
export function isAlphaCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/** [0-9] */
export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Index just past the run of parameter-name characters that starts at `from` (`from` itself when there is none). */
export function nameEnd(s: string, from: number): number {
  let i = from;
  while (i < s.length && isNameCode(s.charCodeAt(i))) i++;
  return i;
}

/** Index just past the run of digits that starts at `from`, reading at most `max` of them. */
export function digitsEnd(s: string, from: number, max = Infinity): number {
  let i = from;
  while (i < s.length && i - from < max && isDigitCode(s.charCodeAt(i))) i++;
  return i;
}

/** True when `s` is one or more ASCII digits. */
export function isAllDigits(s: string): boolean {
  return s.length > 0 && digitsEnd(s, 0) === s.length;
}

/** Space, tab, CR, LF: the white space Postfix's configuration parsers skip. */
export function isConfigSpaceCode(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** `s` without leading and trailing space, tab, CR and LF. */
export function trimConfigSpace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isConfigSpaceCode(s.charCodeAt(a))) a++;
  while (b > a && isConfigSpaceCode(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** `s` without leading space, tab, CR and LF. */
export function trimConfigSpaceStart(s: string): string {
  let a = 0;
  while (a < s.length && isConfigSpaceCode(s.charCodeAt(a))) a++;
  return a === 0 ? s : s.slice(a);
}

/** Space, tab, CR, LF, FF, VT and comma: what separates the items of a Postfix list value. */
function isListSeparatorCode(c: number): boolean {
  return c === 44 || c === 32 || (c >= 9 && c <= 13);
}

/** The non-empty items of `s` between separators (comma and ASCII white space). */
export function splitListItems(s: string): string[] {
  return splitRuns(s, isListSeparatorCode);
}

/** The non-empty words of `s` between runs of space, tab, CR and LF. */
export function splitConfigWords(s: string): string[] {
  return splitRuns(s, isConfigSpaceCode);
}

/** The non-empty runs of `s` between characters for which `isSeparator` holds. */
function splitRuns(s: string, isSeparator: (c: number) => boolean): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    if (isSeparator(s.charCodeAt(i))) {
      if (start >= 0) out.push(s.slice(start, i));
      start = -1;
    } else if (start < 0) start = i;
  }
  if (start >= 0) out.push(s.slice(start));
  return out;
}

/** `s` left-padded with `0` to `width` characters (String.prototype.padStart is compiled from source at its first use). */
export function zeroPad(s: string, width: number): string {
  while (s.length < width) s = `0${s}`;
  return s;
}

/** `s` with A-Z turned into a-z and nothing else changed (Postfix's TOLOWER(), not Unicode case folding). */
export function asciiLower(s: string): string {
  let i = 0;
  while (i < s.length && !(s.charCodeAt(i) >= 65 && s.charCodeAt(i) <= 90)) i++;
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[i];
  }
  return out;
}

/** `s` without trailing spaces and tabs. */
export function trimBlanksEnd(s: string): string {
  let b = s.length;
  while (b > 0 && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return b === s.length ? s : s.slice(0, b);
}

/** `text` with each control character (0x00–0x1f) and DEL replaced by `?`, as Postfix's printable() does. */
export function controlsToQuestionMarks(text: string): string {
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c === 127) break;
  }
  if (i === text.length) return text;
  let out = text.slice(0, i);
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += c < 32 || c === 127 ? "?" : text[i];
  }
  return out;
}

const C_ESCAPES: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };

/**
 * Postfix's unescape(): `\a \b \f \n \r \t \v`, `\ooo` (one to three octal digits, the value taken modulo 256)
 * and `\c` for any other c; a lone trailing backslash is dropped. The result is a binary string.
 */
export function unescapeC(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    let ch = s[i]!;
    if (ch === "\\") {
      if (++i >= s.length) break;
      ch = s[i]!;
      if (ch >= "0" && ch <= "7") {
        let v = ch.charCodeAt(0) - 48;
        for (let n = 0; n < 2 && i + 1 < s.length && s[i + 1]! >= "0" && s[i + 1]! <= "7"; n++) v = (v << 3) | (s.charCodeAt(++i) - 48);
        ch = String.fromCharCode(v & 255);
      } else ch = C_ESCAPES[ch] ?? ch;
    }
    out += ch;
  }
  return out;
}
