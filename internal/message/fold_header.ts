/**
 * fold_header — how Postfix writes an address header it has rewritten (cleanup_fold_header() and
 * cleanup_out_header(); the SMTP client's smtp_header_rewrite() does the same).
 *
 * The rewritten header comes as `Name: ` and the address list with one address per line (tok822's
 * externalize with line breaks after top-level commas). Lines are joined with a space as long as the joined
 * line stays under 70 characters from its start; a line that would make it longer starts a new line, which gets
 * a TAB in front unless it already starts with white space. `To: a@x,\nb@y` gives `To: a@x, b@y`.
 *
 * Pure; never throws.
 */

/** Folds a rewritten address header; see the header. */
export function foldAddressHeader(text: string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let current = lines[0]!;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (current.length + 1 + line.length < 70) current += ` ${line}`;
    else {
      out.push(current);
      current = line;
    }
  }
  out.push(current);
  return out.map((l, i) => (i === 0 || l[0] === " " || l[0] === "\t" ? l : `\t${l}`)).join("\n");
}
