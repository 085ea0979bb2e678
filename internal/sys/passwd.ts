/**
 * passwd — user and group lookups (getpwnam, getpwuid, getgrnam, getgrouplist) from /etc/passwd and /etc/group.
 *
 * Postkit needs them to find mail_owner when started as root, to run deliveries with a recipient's uid/gid, and
 * to find a home directory for ~/.forward. Only the files databases are read (no NSS modules: LDAP/SSSD users
 * are not seen); this is documented in the README. Lines that do not parse are skipped. Never throws for a
 * missing user: returns undefined. A file's lines are kept between lookups while it does not change
 * (file_cache.ts), so a change made by any means is seen at the next one.
 */
import { FileCache } from "./file_cache.ts";
import { isAllDigits } from "../text/chars.ts";

/** One passwd(5) entry. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

/** One group(5) entry. */
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

// The lines of each file, kept while it does not change (file_cache.ts): a delivery agent looks up users for
// every message, and a stat(2) is a tenth of reading and splitting the file again.
const fileLines = new FileCache((text) => (text === undefined ? [] : text.split("\n")));

function parsePasswd(line: string): PasswdEntry | undefined {
  const f = line.split(":");
  if (f.length < 7 || !isAllDigits(f[2]!) || !isAllDigits(f[3]!)) return undefined;
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), gecos: f[4]!, home: f[5]!, shell: f[6]! };
}

/** getpwnam(3). */
export function getpwnam(name: string, file = "/etc/passwd"): PasswdEntry | undefined {
  for (const l of fileLines.get(file)) {
    if (!l.startsWith(`${name}:`)) continue;
    const e = parsePasswd(l);
    if (e) return e;
  }
  return undefined;
}

/** getpwuid(3). */
export function getpwuid(uid: number, file = "/etc/passwd"): PasswdEntry | undefined {
  for (const l of fileLines.get(file)) {
    const e = parsePasswd(l);
    if (e && e.uid === uid) return e;
  }
  return undefined;
}

/** getgrnam(3). */
export function getgrnam(name: string, file = "/etc/group"): GroupEntry | undefined {
  for (const l of fileLines.get(file)) {
    const f = l.split(":");
    if (f.length >= 4 && f[0] === name && isAllDigits(f[2]!)) return { name, gid: Number(f[2]), members: f[3]!.split(",").filter(Boolean) };
  }
  return undefined;
}

/** The supplementary groups of a user (getgrouplist(3)), including its primary group. */
export function groupList(user: string, primary: number, file = "/etc/group"): number[] {
  const out = new Set([primary]);
  for (const l of fileLines.get(file)) {
    const f = l.split(":");
    if (f.length >= 4 && isAllDigits(f[2]!) && f[3]!.split(",").includes(user)) out.add(Number(f[2]));
  }
  return [...out];
}

/** The full name from a GECOS field: its first comma-separated part, `&` replaced by the capitalised login. */
export function gecosFullName(gecos: string, login: string): string {
  const first = gecos.split(",")[0] ?? "";
  return first.replace(/&/g, login.charAt(0).toUpperCase() + login.slice(1));
}
