/**
 * line_wrap — Postfix's line_wrap(): a long line broken at blanks into lines of at most `len` characters, for
 * the human-readable and the delivery-status parts of notices (bounce_print_wrap: 79 columns, continuation lines
 * indented by 4, which also makes them RFC 5322 folded header lines).
 *
 * The rules, as Postfix applies them: words are separated by single blanks or tabs (two blanks in a row make an
 * empty word between them); a line is broken before the word that would take it past `len` (the first line) or
 * `len - indent` (the others), never inside a word, so a word longer than a line stands alone on its line; the
 * blanks at a break are dropped, and so are trailing blanks of every output line. A negative `indent` indents the
 * first line only. The input has no newlines.
 *
 * Contract: returns the output lines, indentation included; never throws.
 */

const isBlank = (c: string | undefined) => c === " " || c === "\t";
const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\r" || c === "\n" || c === "\v" || c === "\f";

/** `str` wrapped at `len` columns with `indent` (see the header). */
export function lineWrap(str: string, len: number, indent: number): string[] {
  const out: string[] = [];
  let currIndent = indent < 0 ? -indent : 0;
  let currLen = indent < 0 ? len + indent : len;
  const emit = (from: number, to: number, ind: number) => {
    let end = to;
    while (end > from && isSpace(str[end - 1])) end--;
    out.push(" ".repeat(ind) + str.slice(from, end));
  };
  let startLine = 0;
  for (let word: number | undefined = 0; word !== undefined; ) {
    let nextSpace: number = word;
    while (nextSpace < str.length && !isBlank(str[nextSpace])) nextSpace++;
    if (word > startLine && nextSpace - startLine > currLen) {
      emit(startLine, word, currIndent);
      let next = word;
      while (next < str.length && isSpace(str[next])) next++;
      if (startLine === 0) {
        currIndent += indent;
        currLen -= indent;
      }
      startLine = next;
    }
    word = nextSpace < str.length ? nextSpace + 1 : undefined;
  }
  emit(startLine, str.length, currIndent);
  return out;
}
