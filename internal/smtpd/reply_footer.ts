/**
 * reply_footer — smtpd_reject_footer: text added to a 4XX or 5XX reply, as Postfix's smtp_reply_footer(3).
 *
 * The template is split at each two-character `\n`; every piece becomes a new reply line that repeats the
 * reply code of the reply's last line and its enhanced status code when it has one (`550 5.7.1 PIECE`). A
 * template that starts with `\c` appends its first piece to the last line of the reply as it is (no space
 * added). The reply's lines are joined with CRLF; the caller turns the `-`/` ` separators into the
 * continuation form when it writes them, so only the code of the original last line is changed here.
 * Macros in each piece are expanded with smtpd_expand.ts; a value's characters outside smtpd_expansion_filter
 * become `_`. An unknown macro name expands to nothing, with a warning; a malformed template leaves the
 * reply unchanged, as does a reply that does not start with a 3-digit code.
 */
import { msgWarn } from "../log/msg.ts";
import { expandTemplate } from "./smtpd_expand.ts";

/** unescape() of a filter parameter: `\t`, `\n`, `\\`, `\NNN` octal. */
export function unescapeFilter(s: string): string {
  return s.replace(/\\([0-7]{1,3}|.)/g, (_m, c: string) => {
    if (/^[0-7]/.test(c)) return String.fromCharCode(parseInt(c, 8));
    return ({ t: "\t", n: "\n", r: "\r", b: "\b", f: "\f", v: "\v", a: "\x07" } as Record<string, string>)[c] ?? c;
  });
}

/** dsn_valid(): the length of the enhanced status code at the start of `text`, 0 when there is none. */
export function dsnLength(text: string): number {
  const m = /^[245]\.\d{1,3}\.\d{1,3}(?=$|\s)/.exec(text);
  return m ? m[0].length : 0;
}

/** The reply with the footer added; see the header. `reply` has CRLF between lines, none at the end. */
export function appendReplyFooter(reply: string, template: string, lookup: (name: string) => string | undefined, filter?: string): string {
  const lines = reply.split("\r\n");
  if (template === "" || lines.some((l) => !/^\d{3}[ -]/.test(l))) return reply;
  const last = lines[lines.length - 1]!;
  const code = last.slice(0, 3);
  const dsnLen = dsnLength(last.slice(4));
  const dsn = dsnLen > 0 ? `${last.slice(4, 4 + dsnLen)} ` : "";
  const filtered = (name: string): string | undefined => {
    const v = lookup(name);
    if (v === undefined) {
      msgWarn(`unknown macro name "${name}" in expansion request`);
      return "";
    }
    if (filter === undefined) return v;
    let out = "";
    for (const ch of v) out += filter.includes(ch) ? ch : "_";
    return out;
  };
  const pieces = template.split("\\n");
  let out = reply;
  let added = false;
  for (let i = 0; i < pieces.length; i++) {
    let piece = pieces[i]!;
    if (i === 0 && piece.startsWith("\\c")) piece = piece.slice(2);
    else {
      out += `\r\n${code}${i < pieces.length - 1 ? "-" : " "}${dsn}`;
      added = true;
    }
    const text = expandTemplate(piece, filtered);
    if (text === undefined) return reply;
    out += text;
  }
  if (added) {
    const at = reply.length - last.length;
    out = `${out.slice(0, at + 3)}-${out.slice(at + 4)}`;
  }
  return out;
}
