/**
 * hosts_file — the answers glibc's "files" source gives from /etc/hosts, for IPv4 addresses, without the thread
 * pool: the name of an address (getnameinfo) and the addresses of a name (getaddrinfo).
 *
 * Problem: smtpd looks up every client's name and confirms it forward, as Postfix does; through node:dns each
 * lookup is a trip to Bun's thread pool and back, about a tenth of smtpd's time per message when connections are
 * short (smtp-source, a content filter re-injecting). Postfix's smtpd asks glibc in-process, where /etc/hosts
 * answers 127.0.0.1 in microseconds. Solution: answer from /etc/hosts here, the way glibc's files source does,
 * but only when /etc/nsswitch.conf puts `files` first on its `hosts:` line (Debian's `hosts: files dns`); for
 * anything /etc/hosts does not answer, and for IPv6, the caller goes on to the system resolver as before.
 *
 *   nameOfAddress("127.0.0.1")  the first name (the canonical one) of the first line with that address, as glibc
 *                               returns it; undefined when no line has it, or files is not first
 *   addressesOfName("localhost") the IPv4 addresses of every line that names it, canonical name or alias (ASCII
 *                               case ignored), in file order; undefined when no line does, or files is not first
 *
 * The two files are read again when they change (sys/file_cache.ts), checked at most once a second, so a change
 * is seen within a second (glibc reads /etc/hosts at every call; nscd, when it runs, caches it for an hour). Lines: address, names, `#` comments; lines that do not
 * parse are skipped, as glibc skips them. Never throws.
 */
import { FileCache } from "../sys/file_cache.ts";

interface HostsEntry {
  address: string;
  names: string[];
}

/** A dotted quad as inet_pton() takes it: four decimal parts 0-255, no leading zeros. */
function IPV4(s: string): boolean {
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // a final "." closes the last part
    if (c === 46) {
      if (digits === 0 || value > 255) return false;
      parts++;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) return false; // leading zero
      value = value * 10 + (c - 48);
      if (++digits > 3) return false;
    } else return false;
  }
  return parts === 4;
}

/** /etc/hosts lines with an IPv4 address. */
export function parseHosts(text: string): HostsEntry[] {
  const out: HostsEntry[] = [];
  for (const raw of text.split("\n")) {
    const hash = raw.indexOf("#");
    const fields = (hash < 0 ? raw : raw.slice(0, hash)).split(/[ \t\r]+/).filter((f) => f !== "");
    if (fields.length < 2 || !IPV4(fields[0]!)) continue;
    out.push({ address: fields[0]!, names: fields.slice(1) });
  }
  return out;
}

/** Whether `files` is the first source on the `hosts:` line of nsswitch.conf text (glibc's default: no line). */
export function filesFirst(text: string): boolean {
  let sources: string[] | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line.startsWith("hosts:")) continue;
    sources = line.slice(6).trim().split(/\s+/).filter((s) => s !== "");
  }
  // without a hosts: line glibc uses "dns [!UNAVAIL=return] files": dns first
  return sources !== undefined && sources[0] === "files";
}

// stat()ed at most once a second (file_cache.ts): smtpd asks for every connection
const hostsFiles = new FileCache((text) => parseHosts(text ?? ""), 1000);
const nsswitchFiles = new FileCache((text) => filesFirst(text ?? ""), 1000);

/** Where the files are; tests point them elsewhere. */
export const HOSTS_FILES = { hosts: "/etc/hosts", nsswitch: "/etc/nsswitch.conf" };

function entries(): HostsEntry[] | undefined {
  if (!nsswitchFiles.get(HOSTS_FILES.nsswitch)) return undefined;
  return hostsFiles.get(HOSTS_FILES.hosts);
}

/** The name /etc/hosts gives IPv4 address `addr`; see the header. */
export function nameOfAddress(addr: string): string | undefined {
  if (!IPV4(addr)) return undefined;
  return entries()?.find((e) => e.address === addr)?.names[0];
}

/** The IPv4 addresses /etc/hosts gives `name`; see the header. */
export function addressesOfName(name: string): string[] | undefined {
  const all = entries();
  if (all === undefined) return undefined;
  const want = name.toLowerCase();
  const found: string[] = [];
  for (const e of all) if (e.names.some((n) => n.toLowerCase() === want) && !found.includes(e.address)) found.push(e.address);
  return found.length > 0 ? found : undefined;
}
