/**
 * resolv_conf — reads resolv.conf(5) the way glibc's resolver does, for the stub resolver of stub_resolver.ts.
 *
 * FORMAT (the subset that matters to a stub resolver; everything else is ignored as glibc ignores it)
 *
 *   # comment, ; comment            lines starting with `#` or `;`
 *   nameserver ADDRESS              an IPv4 or IPv6 address (IPv6 may carry a `%scope`); at most 3 are used
 *                                   (glibc's MAXNS), later ones are ignored; an unparsable address is skipped
 *   nameserver [ADDRESS]:PORT       postkit extension: a server on another port than 53 (test servers)
 *   options timeout:N               seconds per try, default 5, at most 30 (RES_TIMEOUT, RES_MAXRETRANS)
 *   options attempts:N              tries per server, default 2, at most 5 (RES_DFLRETRY, RES_MAXRETRY)
 *   options rotate                  start with a different server on each query
 *   options use-vc                  always use TCP
 *   options edns0                   announce a 1232-byte UDP buffer (EDNS0)
 *   domain …, search …, sortlist …  ignored: Postfix turns off the search list (no RES_DEFNAMES/RES_DNSRCH)
 *
 * With no `nameserver` line (or no file at all) the server is 127.0.0.1, as in glibc. Later `options` words win.
 *
 * Contract: parseResolvConf() never throws; readResolvConf() gives the defaults when the file cannot be read.
 * Corresponds to glibc's res_init.c (resolv_conf.c); Postfix relies on it through res_ninit().
 */
import { isIP } from "node:net";
import { readFileSync } from "node:fs";

/** One name server to ask. */
export interface NameServer {
  address: string;
  port: number;
}

/** What the resolver needs from resolv.conf. */
export interface ResolverOptions {
  nameservers: NameServer[];
  /** Time to wait for one reply, in milliseconds. */
  timeoutMs: number;
  /** Rounds over all servers. */
  attempts: number;
  rotate: boolean;
  useTcp: boolean;
  edns0: boolean;
}

/** The system's resolver configuration file. */
export const RESOLV_CONF = "/etc/resolv.conf";

const MAXNS = 3;
const DEFAULT_TIMEOUT = 5;
const MAX_TIMEOUT = 30;
const DEFAULT_ATTEMPTS = 2;
const MAX_ATTEMPTS = 5;

/** The built-in settings (no resolv.conf). */
export function defaultResolverOptions(): ResolverOptions {
  return {
    nameservers: [{ address: "127.0.0.1", port: 53 }],
    timeoutMs: DEFAULT_TIMEOUT * 1000,
    attempts: DEFAULT_ATTEMPTS,
    rotate: false,
    useTcp: false,
    edns0: false,
  };
}

/** Parses `nameserver` arguments: ADDRESS or [ADDRESS]:PORT; undefined when it is not an address. */
export function parseNameServer(text: string): NameServer | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text);
  if (m) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535 || isIP(stripScope(m[1]!)) === 0) return undefined;
    return { address: m[1]!, port };
  }
  if (isIP(stripScope(text)) === 0) return undefined;
  return { address: text, port: 53 };
}

function stripScope(a: string): string {
  const i = a.indexOf("%");
  return i > 0 && a.includes(":") ? a.slice(0, i) : a;
}

function optionNumber(word: string, prefix: string): number | undefined {
  if (!word.startsWith(prefix)) return undefined;
  const m = /^(\d+)/.exec(word.slice(prefix.length));
  return m ? Number(m[1]) : undefined;
}

/** Parses resolv.conf text. */
export function parseResolvConf(text: string): ResolverOptions {
  const opts = defaultResolverOptions();
  const servers: NameServer[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const words = line.split(/\s+/);
    const key = words[0];
    if (key === "nameserver") {
      if (servers.length >= MAXNS || words[1] === undefined) continue;
      const ns = parseNameServer(words[1]);
      if (ns) servers.push(ns);
    } else if (key === "options") {
      for (const w of words.slice(1)) {
        const t = optionNumber(w, "timeout:");
        if (t !== undefined) opts.timeoutMs = Math.min(Math.max(t, 1), MAX_TIMEOUT) * 1000;
        const a = optionNumber(w, "attempts:");
        if (a !== undefined) opts.attempts = Math.min(Math.max(a, 1), MAX_ATTEMPTS);
        if (w === "rotate") opts.rotate = true;
        if (w === "use-vc" || w === "usevc") opts.useTcp = true;
        if (w === "edns0") opts.edns0 = true;
      }
    }
  }
  if (servers.length > 0) opts.nameservers = servers;
  return opts;
}

/** Reads and parses `path` (default /etc/resolv.conf); the defaults when it cannot be read. */
export function readResolvConf(path: string = RESOLV_CONF): ResolverOptions {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return defaultResolverOptions();
  }
  return parseResolvConf(text);
}
