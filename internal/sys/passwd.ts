/**
 * passwd — user and group lookups (getpwnam, getpwuid, getgrnam, getgrouplist) from /etc/passwd and /etc/group.
 *
 * Postkit needs them to find mail_owner when started as root, to run deliveries with a recipient's uid/gid, and
 * to find a home directory for ~/.forward. Only the files databases are read (no NSS modules: LDAP/SSSD users
 * are not seen); this is documented in the README. Lines that do not parse are skipped. Never throws for a
 * missing user: returns undefined.
 */
import { readFileText } from "./libc.ts";
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

function readLines(path: string): string[] {
  try {
    return readFileText(path).split("\n");
  } catch {
    return [];
  }
}

function parsePasswd(line: string): PasswdEntry | undefined {
  const f = line.split(":");
  if (f.length < 7 || !isAllDigits(f[2]!) || !isAllDigits(f[3]!)) return undefined;
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), gecos: f[4]!, home: f[5]!, shell: f[6]! };
}

/** getpwnam(3). */
export function getpwnam(name: string, file = "/etc/passwd"): PasswdEntry | undefined {
  for (const l of readLines(file)) {
    if (!l.startsWith(`${name}:`)) continue;
    const e = parsePasswd(l);
    if (e) return e;
  }
  return undefined;
}

/** getpwuid(3). */
export function getpwuid(uid: number, file = "/etc/passwd"): PasswdEntry | undefined {
  for (const l of readLines(file)) {
    const e = parsePasswd(l);
    if (e && e.uid === uid) return e;
  }
  return undefined;
}

/** getgrnam(3). */
export function getgrnam(name: string, file = "/etc/group"): GroupEntry | undefined {
  for (const l of readLines(file)) {
    const f = l.split(":");
    if (f.length >= 4 && f[0] === name && /^\d+$/.test(f[2]!)) return { name, gid: Number(f[2]), members: f[3]!.split(",").filter(Boolean) };
  }
  return undefined;
}

/** The supplementary groups of a user (getgrouplist(3)), including its primary group. */
export function groupList(user: string, primary: number, file = "/etc/group"): number[] {
  const out = new Set([primary]);
  for (const l of readLines(file)) {
    const f = l.split(":");
    if (f.length >= 4 && /^\d+$/.test(f[2]!) && f[3]!.split(",").includes(user)) out.add(Number(f[2]));
  }
  return [...out];
}

/** The full name from a GECOS field: its first comma-separated part, `&` replaced by the capitalised login. */
export function gecosFullName(gecos: string, login: string): string {
  const first = gecos.split(",")[0] ?? "";
  return first.replace(/&/g, login.charAt(0).toUpperCase() + login.slice(1));
}
