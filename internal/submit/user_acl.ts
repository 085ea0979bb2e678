/**
 * user_acl — Postfix's check_user_acl_byuid(): may the local user with this uid use a command governed by a user
 * list such as `authorized_submit_users` (sendmail, postdrop, and pickup, which is where postkit enforces it)?
 *
 * The list value, as Postfix's string lists read it:
 * - A value that starts with `static:` allows everybody, whatever follows (`static:anyone` is the default).
 *   Postfix short-cuts the list this way before it looks anything up; so does this module.
 * - Otherwise the value is a list of patterns separated by commas and/or white space (`{…}` keeps a table name
 *   with spaces together). The user's login name (`unknown` when the uid has no passwd entry, so `!unknown`
 *   blocks such uids) is compared with each pattern in turn, case-insensitively; the first pattern that matches
 *   decides. `!pattern` negates: a match then denies. No match at all denies.
 * - A pattern `type:table` matches when the login name is a key of that table (any value); a table lookup error
 *   denies, with a warning. `/file/name` reads more patterns from the file, one or more per line (lines starting
 *   with `#` are skipped), with the negation of `!/file/name` applied to each.
 * - `#` starting a pattern ends the list with Postfix's warning `NAME: comment at end of line is not supported`.
 *
 * Contract: checkUserAcl() resolves to undefined when the user is allowed, or to the login name to print in
 * `User NAME(UID) is not allowed to submit mail`. Throws FatalError for `!` without a pattern (as Postfix does).
 * Tables are opened through internal/maps only when the list names one. Postfix: src/global/user_acl.c,
 * src/util/match_list.c, match_ops.c (match_string).
 */
import { readFileSync } from "node:fs";
import { FatalError } from "../sys/errors.ts";
import { getpwuid } from "../sys/passwd.ts";
import { msgWarn } from "../log/msg.ts";

/** What a check needs besides the list itself. */
export interface UserAclOptions {
  /** passwd file for the uid-to-name lookup (tests); default /etc/passwd. */
  passwdFile?: string;
}

/** ASCII lower case (Postfix casefolds list patterns and the name before comparing). */
function fold(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** Splits a list on commas and white space, keeping `{…}` groups (with their braces) in one item. */
export function splitUserList(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  const sep = (c: string) => c === "," || c === " " || c === "\t" || c === "\r" || c === "\n";
  while (i < value.length) {
    while (i < value.length && sep(value[i]!)) i++;
    if (i >= value.length) break;
    let j = i;
    let depth = 0;
    while (j < value.length && (depth > 0 || !sep(value[j]!))) {
      if (value[j] === "{") depth++;
      else if (value[j] === "}" && depth > 0) depth--;
      j++;
    }
    out.push(value.slice(i, j));
    i = j;
  }
  return out;
}

interface Pattern {
  allow: boolean;
  text: string;
}

/** Expands the list into patterns, inlining /file/name contents. */
function patterns(param: string, value: string, allow: boolean, out: Pattern[], depth = 0): Pattern[] {
  for (const item of splitUserList(value)) {
    if (item.startsWith("#")) {
      msgWarn(`${param}: comment at end of line is not supported: ${item}`);
      break;
    }
    let match = allow;
    let p = item;
    while (p.startsWith("!")) {
      match = !match;
      p = p.slice(1);
    }
    if (p === "") throw new FatalError(`${param}: no pattern after '!'`);
    if (p.startsWith("/") && depth < 10) {
      let text: string;
      try {
        text = readFileSync(p, "utf8");
      } catch (e) {
        // Postfix substitutes a table whose every lookup fails: the pattern never matches and warns
        out.push({ allow: match, text: `\0open file ${p}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "No such file or directory" : (e as Error).message}` });
        continue;
      }
      for (const line of text.split("\n")) if (!line.startsWith("#")) patterns(param, line, match, out, depth + 1);
      continue;
    }
    out.push({ allow: match, text: p.includes(":") && !p.startsWith("[") ? p : fold(p) });
  }
  return out;
}

/**
 * undefined when the user `uid` is allowed by the list `value` of parameter `param`; otherwise the name to show
 * (the login name, or `unknown`). See the header.
 */
export async function checkUserAcl(param: string, value: string, uid: number, opts: UserAclOptions = {}): Promise<string | undefined> {
  if (value.startsWith("static:")) return undefined;
  const name = getpwuid(uid, opts.passwdFile)?.name ?? "unknown";
  const key = fold(name);
  for (const p of patterns(param, value, true, [])) {
    if (p.text.startsWith("\0")) {
      msgWarn(`${param}: ${p.text.slice(1)}`);
      return name;
    }
    const colon = p.text.indexOf(":");
    if (colon > 0) {
      const { openMap } = await import("../maps/open_map.ts");
      let found: string | undefined;
      try {
        const table = await openMap(p.text);
        try {
          found = table.lookup(key);
        } finally {
          table.close();
        }
      } catch (e) {
        msgWarn(`${param}: ${p.text}: table lookup problem: ${(e as Error).message}`);
        return name;
      }
      if (found !== undefined) return p.allow ? undefined : name;
      continue;
    }
    if (p.text === key) return p.allow ? undefined : name;
  }
  return name;
}
