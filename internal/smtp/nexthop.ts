/**
 * nexthop — what a delivery request's next hop names, as Postfix's SMTP and LMTP clients read it.
 *
 *   domain            SMTP: look up MX records (A/AAAA when there is none); LMTP: the host's addresses
 *   host:port         the same, on another port (a number or a service name from /etc/services)
 *   [host]:port       no MX lookup: the host's addresses, or the address itself ([192.0.2.1], [ipv6:2001:db8::1])
 *   unix:/path        LMTP only: a UNIX-domain socket
 *   inet:…            LMTP only: the same as without the prefix
 * A next hop may list several destinations separated by commas or spaces; smtp_fallback_relay destinations are
 * tried after them. The default port is smtp_tcp_port (smtp = 25) or lmtp_tcp_port (24).
 *
 * Contract: parseDestination() throws NexthopError for a malformed destination or an unknown service (Postfix
 * fatals there; the agent defers the recipients with the message, so mail is kept). Postfix: host_port.c and
 * smtp_parse_destination() in src/smtp/smtp_connect.c.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { PostkitError } from "../sys/errors.ts";

/** A bad next hop: a configuration problem. */
export class NexthopError extends PostkitError {
  constructor(message: string) {
    super(message, { temporary: true });
  }
}

/** One parsed destination. */
export interface Destination {
  /** The text as written (for `relayhost` comparisons and the connection cache). */
  text: string;
  /** Host or domain, without brackets (and without `ipv6:`). */
  host: string;
  port: number;
  /** True for `[host]`: no MX lookup. */
  literal: boolean;
}

let services: Map<string, number> | undefined;

/** getservbyname(name, "tcp") from /etc/services, with the mail ports built in. */
export function servicePort(name: string): number | undefined {
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    return n > 0 && n < 65536 ? n : undefined;
  }
  if (!services) {
    services = new Map([["smtp", 25], ["submission", 587], ["smtps", 465], ["submissions", 465], ["lmtp", 24]]);
    try {
      for (const line of readFileSync("/etc/services", "latin1").split("\n")) {
        const m = /^([^\s#]+)\s+(\d+)\/tcp(.*)$/.exec(line);
        if (!m) continue;
        const port = Number(m[2]);
        for (const n of [m[1]!, ...m[3]!.replace(/#.*/, "").trim().split(/\s+/)]) if (n && !services.has(n)) services.set(n, port);
      }
    } catch {
      // the built-in names will do
    }
  }
  return services.get(name);
}

/** Splits a next hop list on commas and white space. */
export function splitDestinations(nexthop: string): string[] {
  return nexthop.split(/[\s,]+/).filter((s) => s !== "");
}

/** Parses one destination (see the header); `defaultService` is smtp_tcp_port or lmtp_tcp_port. */
export function parseDestination(text: string, defaultService: string): Destination {
  let host: string;
  let service: string | undefined;
  let literal = false;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw new NexthopError(`missing "]" in server description: ${text}`);
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":") || rest.length === 1) throw new NexthopError(`garbage after "]" in server description: ${text}`);
      service = rest.slice(1);
    }
    literal = true;
    if (/^ipv6:/i.test(host)) host = host.slice(5);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon >= 0 && isIP(text) !== 6) {
      host = text.slice(0, colon);
      service = text.slice(colon + 1);
      if (service === "") throw new NexthopError(`missing service in server description: ${text}`);
    } else host = text;
  }
  if (host === "") throw new NexthopError(`missing host in server description: ${text}`);
  const svc = service ?? defaultService;
  const port = servicePort(svc);
  if (port === undefined) throw new NexthopError(/^\d+$/.test(svc) ? `bad network port: ${svc} for destination: ${text}` : `unknown service: ${svc}/tcp`);
  return { text, host, port, literal };
}
