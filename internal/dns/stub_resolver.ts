/**
 * stub_resolver — a DNS stub resolver over UDP with TCP fallback that tells every outcome apart: answers, NODATA
 * (the name exists, no record of that type), NXDOMAIN, SERVFAIL, REFUSED, timeouts. Bun's node:dns cannot tell
 * NODATA from NXDOMAIN and rounds timeouts to seconds, and mail routing depends on exactly that difference
 * (no MX record: use the A record; no domain: bounce; a server failure: defer).
 *
 * Contract:
 * - `lookup(name, type)` never throws (except for a programming error) and never rejects: every outcome is a
 *   DnsResult whose `status` is one of
 *     ok         NOERROR with records of the type (after following CNAMEs; `canonicalName` is the end of the chain)
 *     nodata     NOERROR without such records (also: a CNAME chain ending in a name without them)
 *     nxdomain   NXDOMAIN (rcode 3)
 *     servfail   every server answered SERVFAIL (rcode 2), or some did and the others timed out
 *     refused    every server answered REFUSED or NOTIMP (rcode 5, 4), possibly with timeouts
 *     timeout    no server answered within timeout × attempts (or none could be reached)
 *     failure    an answer with another error rcode (FORMERR, YXDOMAIN …): Postfix's "Non-recoverable error"
 *     malformed  an answer that cannot be decoded, or a CNAME loop
 *     invalid    the name cannot be sent (empty label, label over 63 octets, name over 253): nothing was asked
 * - Servers are tried as glibc does: `attempts` rounds over the resolv.conf servers in order (a different first one
 *   per query with `rotate`), each try waiting `timeout`; SERVFAIL, REFUSED, NOTIMP and an ICMP "port unreachable"
 *   move on to the next server at once; NOERROR, NXDOMAIN and other rcodes end the query. A truncated (TC) UDP
 *   answer is asked again over TCP from the same server. Replies whose id, question or source do not match are
 *   ignored. Every query uses a fresh socket (a random source port) and a random id.
 * - Names are sent as given (no search list, as Postfix configures its resolver); a trailing dot is allowed.
 * - The text helpers give Postfix's wording (src/dns/dns_strerror.c, dns_lookup.c): `Host not found`,
 *   `Host not found, try again`, `Host found but no data record of requested type`, `Non-recoverable error`.
 *
 * Tests point the resolver at a server of their own with a resolv.conf file holding
 * `nameserver [127.0.0.1]:PORT` (see resolv_conf.ts); daemons take that file's path from main.cf (`index.ts`).
 *
 * Postfix: src/dns/dns_lookup.c over the libc resolver (res_search/res_send), which this replaces.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect as tcpConnect, isIP } from "node:net";
import { randomInt } from "node:crypto";
import * as packet from "dns-packet";
import { readResolvConf, type NameServer, type ResolverOptions } from "./resolv_conf.ts";

/** The record types postkit looks up. */
export type DnsType = "A" | "AAAA" | "MX" | "TXT" | "PTR" | "CNAME" | "NS";

/** How a lookup ended; see the header. */
export type DnsStatus = "ok" | "nodata" | "nxdomain" | "servfail" | "refused" | "timeout" | "failure" | "malformed" | "invalid";

/** An MX record. `exchange` is "" for the null MX of RFC 7505 (`0 .`). */
export interface MxRecord {
  preference: number;
  exchange: string;
}

/** What each type's records look like: addresses and names as strings, TXT as its strings joined. */
export type DnsRecord<T extends DnsType> = T extends "MX" ? MxRecord : string;

/** The outcome of one lookup. */
export interface DnsResult<T extends DnsType = DnsType> {
  status: DnsStatus;
  /** The name asked for (without a trailing dot) and the type. */
  name: string;
  type: T;
  /** Where the CNAME chain ended (the name itself when there was none). */
  canonicalName: string;
  records: DnsRecord<T>[];
  /** Seconds: the smallest TTL of the records, or the negative-caching TTL (SOA) of nodata/nxdomain; 0 if unknown. */
  ttl: number;
  /** The rcode of the deciding answer, undefined when there was none. */
  rcode: number | undefined;
  /** `address` or `[address]:port` of the server that gave the deciding answer. */
  server: string | undefined;
  /** What went wrong, for malformed/timeout/invalid (for logs, not for users). */
  detail: string | undefined;
}

const TYPE_CODE: Record<DnsType, number> = { A: 1, NS: 2, CNAME: 5, PTR: 12, MX: 15, TXT: 16, AAAA: 28 };
const T_SOA = 6;
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const MAX_CNAME = 10;
const EDNS_PAYLOAD = 1232;

/** True for outcomes that may change when asked again later (Postfix: "try again"). */
export function isTemporaryDnsStatus(status: DnsStatus): boolean {
  return status === "servfail" || status === "refused" || status === "timeout" || status === "malformed";
}

/** Postfix's dns_strerror() text for a failed lookup (h_errno wording). */
export function dnsErrorText(status: DnsStatus): string {
  switch (status) {
    case "nxdomain":
    case "invalid":
      return "Host not found";
    case "nodata":
      return "Host found but no data record of requested type";
    case "failure":
      return "Non-recoverable error";
    case "ok":
      return "Success";
    default:
      return "Host not found, try again";
  }
}

/**
 * Postfix's reason text for a failed lookup: `Host or domain name not found. Name service error for name=NAME
 * type=TYPE: TEXT`, or for a reply it could not use, `Name service error for name=NAME type=TYPE: Malformed or
 * unexpected name server reply`; for a name it would not ask, `Name service error for NAME: invalid host or domain
 * name`.
 */
export function dnsLookupErrorText(r: Pick<DnsResult, "status" | "name" | "type">): string {
  if (r.status === "invalid") return `Name service error for ${r.name}: invalid host or domain name`;
  if (r.status === "malformed") return `Name service error for name=${r.name} type=${r.type}: Malformed or unexpected name server reply`;
  return `Host or domain name not found. Name service error for name=${r.name} type=${r.type}: ${dnsErrorText(r.status)}`;
}

/** The reverse-lookup name of an IPv4 or IPv6 address (`4.3.2.1.in-addr.arpa`, nibbles `….ip6.arpa`). */
export function reverseName(address: string, suffix?: string): string {
  if (isIP(address) === 4) return `${address.split(".").reverse().join(".")}.${suffix ?? "in-addr.arpa"}`;
  if (isIP(address) === 6) {
    const bytes = parseIPv6(address);
    const nibbles: string[] = [];
    for (let i = 15; i >= 0; i--) nibbles.push((bytes[i]! & 15).toString(16), (bytes[i]! >> 4).toString(16));
    return `${nibbles.join(".")}.${suffix ?? "ip6.arpa"}`;
  }
  throw new Error(`reverseName: not an IP address: ${address}`);
}

/** 16 bytes of an IPv6 address (which must be valid, as net.isIP checks). */
function parseIPv6(address: string): Uint8Array {
  let a = address.replace(/%.*$/, "");
  const out = new Uint8Array(16);
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    const o = v4[1]!.split(".").map(Number);
    a = `${a.slice(0, v4.index)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = a.includes("::") ? a.split("::") : [a, undefined];
  const hs = head ? head.split(":") : [];
  const ts = tail ? tail.split(":") : [];
  const groups = [...hs, ...Array(8 - hs.length - ts.length).fill("0"), ...ts];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 255;
  });
  return out;
}

/** inet_ntop() of 16 bytes: RFC 5952 text, `::ffff:a.b.c.d` for IPv4-mapped addresses. */
export function formatIPv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** Checks a query name against the wire-format limits; the problem, or undefined. */
function nameProblem(name: string): string | undefined {
  if (name === "" || name === ".") return "empty name";
  const n = name.endsWith(".") ? name.slice(0, -1) : name;
  if (Buffer.byteLength(n) > 253) return "name longer than 253 octets";
  for (const label of n.split(".")) {
    if (label === "") return "empty label";
    if (Buffer.byteLength(label) > 63) return "label longer than 63 octets";
  }
  return undefined;
}

interface Rr {
  name: string;
  type: number;
  ttl: number;
  /** Decoded data of the types we know; undefined for others. */
  data: string | MxRecord | SoaData | undefined;
}

interface SoaData {
  ttlMinimum: number;
}

interface Reply {
  id: number;
  tc: boolean;
  rcode: number;
  answers: Rr[];
  authorities: Rr[];
}

class MalformedReply extends Error {}

function need(buf: Buffer, end: number): void {
  if (end > buf.length) throw new MalformedReply("reply ends early");
}

function decodeName(buf: Buffer, offset: number): { name: string; next: number } {
  try {
    const name = packet.name.decode(buf, offset);
    return { name: name === "." ? "" : name, next: offset + packet.name.decode.bytes };
  } catch (e) {
    throw new MalformedReply((e as Error).message);
  }
}

function decodeRr(buf: Buffer, offset: number): { rr: Rr; next: number } {
  const { name, next: at } = decodeName(buf, offset);
  need(buf, at + 10);
  const type = buf.readUInt16BE(at);
  const ttl = buf.readUInt32BE(at + 4);
  const rdlen = buf.readUInt16BE(at + 8);
  const start = at + 10;
  const end = start + rdlen;
  need(buf, end);
  const rdata = buf.subarray(0, end);
  let data: Rr["data"];
  const nameAt = (o: number) => {
    const d = decodeName(rdata, o);
    if (d.next > end) throw new MalformedReply("name overruns its record");
    return d;
  };
  switch (type) {
    case 1:
      if (rdlen !== 4) throw new MalformedReply(`bad A record length ${rdlen}`);
      data = `${buf[start]}.${buf[start + 1]}.${buf[start + 2]}.${buf[start + 3]}`;
      break;
    case 28:
      if (rdlen !== 16) throw new MalformedReply(`bad AAAA record length ${rdlen}`);
      data = formatIPv6(buf.subarray(start, end));
      break;
    case 2:
    case 5:
    case 12: {
      const d = nameAt(start);
      if (d.next !== end) throw new MalformedReply("bad name record length");
      data = d.name;
      break;
    }
    case 15: {
      if (rdlen < 3) throw new MalformedReply("short MX record");
      const d = nameAt(start + 2);
      if (d.next !== end) throw new MalformedReply("bad MX record length");
      data = { preference: buf.readUInt16BE(start), exchange: d.name };
      break;
    }
    case 16: {
      let s = "";
      for (let o = start; o < end; ) {
        const len = buf[o]!;
        if (o + 1 + len > end) throw new MalformedReply("bad TXT record");
        s += buf.toString("utf8", o + 1, o + 1 + len);
        o += 1 + len;
      }
      data = s;
      break;
    }
    case T_SOA: {
      const m = nameAt(start);
      const r = nameAt(m.next);
      if (r.next + 20 > end) throw new MalformedReply("short SOA record");
      data = { ttlMinimum: buf.readUInt32BE(r.next + 16) };
      break;
    }
    default:
      data = undefined;
  }
  return { rr: { name: name.toLowerCase(), type, ttl, data }, next: end };
}

/** Decodes a reply to the query (`id`, `qname`, `qtype`); undefined when it is not a reply to it. */
function decodeReply(buf: Buffer, id: number, qname: string, qtype: number): Reply | undefined {
  if (buf.length < 12) throw new MalformedReply("reply shorter than a header");
  if (buf.readUInt16BE(0) !== id) return undefined;
  const flags = buf.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return undefined;
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const rcode = flags & 15;
  const tc = (flags & 0x0200) !== 0;
  let off = 12;
  if (qd !== 1) {
    // A server may leave the question out of an error reply; it must not send another one.
    if (qd === 0 && rcode !== RCODE.NOERROR) return { id, tc, rcode, answers: [], authorities: [] };
    throw new MalformedReply(`reply has ${qd} questions`);
  }
  const q = decodeName(buf, off);
  need(buf, q.next + 4);
  if (q.name.toLowerCase() !== qname.toLowerCase() || buf.readUInt16BE(q.next) !== qtype) return undefined;
  off = q.next + 4;
  const answers: Rr[] = [];
  const authorities: Rr[] = [];
  // A truncated reply may end in the middle of a record: keep what is complete.
  try {
    for (let i = 0; i < an; i++) {
      const d = decodeRr(buf, off);
      answers.push(d.rr);
      off = d.next;
    }
    for (let i = 0; i < ns; i++) {
      const d = decodeRr(buf, off);
      authorities.push(d.rr);
      off = d.next;
    }
  } catch (e) {
    if (!tc) throw e;
  }
  return { id, tc, rcode, answers, authorities };
}

type TryOutcome = { kind: "reply"; reply: Reply } | { kind: "timeout" } | { kind: "unreachable"; detail: string } | { kind: "malformed"; detail: string };

function serverText(ns: NameServer): string {
  return ns.port === 53 ? ns.address : `[${ns.address}]:${ns.port}`;
}

/** A resolver for one configuration. */
export class StubResolver {
  private next = 0;

  constructor(readonly options: ResolverOptions) {}

  /** A resolver configured from a resolv.conf file (default /etc/resolv.conf). */
  static fromResolvConf(path?: string): StubResolver {
    return new StubResolver(readResolvConf(path));
  }

  /** Looks up records of one type; see the header for the outcomes. */
  async lookup<T extends DnsType>(name: string, type: T): Promise<DnsResult<T>> {
    const qname = name.endsWith(".") && name.length > 1 ? name.slice(0, -1) : name;
    const result: DnsResult<T> = {
      status: "invalid", name: qname, type, canonicalName: qname, records: [], ttl: 0, rcode: undefined, server: undefined, detail: undefined,
    };
    const problem = nameProblem(name);
    if (problem) {
      result.detail = problem;
      return result;
    }
    const qtype = TYPE_CODE[type];
    let current = qname;
    const seen = new Set<string>();
    for (let hop = 0; hop <= MAX_CNAME; hop++) {
      const asked = current.toLowerCase();
      seen.add(asked);
      const ex = await this.exchange(current, qtype);
      result.server = ex.server;
      result.rcode = ex.reply?.rcode;
      result.detail = ex.detail;
      result.canonicalName = current;
      if (ex.status !== "reply") {
        result.status = ex.status;
        return result;
      }
      const reply = ex.reply!;
      if (reply.rcode === RCODE.NXDOMAIN || (reply.rcode === RCODE.NOERROR && reply.answers.length === 0)) {
        result.status = reply.rcode === RCODE.NXDOMAIN ? "nxdomain" : "nodata";
        result.ttl = negativeTtl(reply);
        return result;
      }
      if (reply.rcode !== RCODE.NOERROR) {
        result.status = "failure";
        return result;
      }
      // Follow the CNAME chain inside the answer, in whatever order the records came.
      let owner = asked;
      for (let i = 0; i < MAX_CNAME && qtype !== 5; i++) {
        const alias = reply.answers.find((rr) => rr.type === 5 && rr.name === owner);
        if (!alias) break;
        owner = (alias.data as string).toLowerCase();
        current = alias.data as string;
      }
      const found = reply.answers.filter((rr) => rr.type === qtype && rr.name === owner && rr.data !== undefined);
      if (found.length > 0) {
        result.status = "ok";
        result.canonicalName = current;
        result.records = found.map((rr) => rr.data as DnsRecord<T>);
        result.ttl = Math.min(...found.map((rr) => rr.ttl));
        return result;
      }
      if (owner === asked || qtype === 5) {
        result.status = "nodata";
        result.ttl = negativeTtl(reply);
        return result;
      }
      // The chain leads elsewhere and the server did not resolve its end: ask for the end.
      if (seen.has(owner)) break;
    }
    result.status = "malformed";
    result.detail = "CNAME loop or chain too long";
    return result;
  }

  /** The A records of `name`. */
  lookupA(name: string): Promise<DnsResult<"A">> {
    return this.lookup(name, "A");
  }

  /** The AAAA records of `name`. */
  lookupAAAA(name: string): Promise<DnsResult<"AAAA">> {
    return this.lookup(name, "AAAA");
  }

  /** The MX records of `name`. */
  lookupMx(name: string): Promise<DnsResult<"MX">> {
    return this.lookup(name, "MX");
  }

  /** The TXT records of `name`, each record's strings joined. */
  lookupTxt(name: string): Promise<DnsResult<"TXT">> {
    return this.lookup(name, "TXT");
  }

  /** The PTR records of an address (or of a name already in in-addr.arpa/ip6.arpa form). */
  lookupPtr(addressOrName: string): Promise<DnsResult<"PTR">> {
    return this.lookup(isIP(addressOrName) ? reverseName(addressOrName) : addressOrName, "PTR");
  }

  /** Sends one query to the servers in turn until one gives a usable answer. */
  private async exchange(name: string, qtype: number): Promise<{ status: "reply" | DnsStatus; reply?: Reply; server?: string; detail?: string }> {
    const servers = this.options.nameservers;
    const start = this.options.rotate ? this.next++ % servers.length : 0;
    let soft: { status: DnsStatus; reply?: Reply; server?: string; detail?: string } = { status: "timeout", detail: "no server answered" };
    for (let attempt = 0; attempt < this.options.attempts; attempt++) {
      for (let k = 0; k < servers.length; k++) {
        const ns = servers[(start + k) % servers.length]!;
        const id = randomInt(0, 65536);
        const query = this.encodeQuery(id, name, qtype);
        let out = this.options.useTcp ? await this.tryTcp(ns, query, id, name, qtype) : await this.tryUdp(ns, query, id, name, qtype);
        if (out.kind === "reply" && out.reply.tc && !this.options.useTcp) out = await this.tryTcp(ns, query, id, name, qtype);
        const server = serverText(ns);
        if (out.kind === "malformed") return { status: "malformed", server, detail: out.detail };
        if (out.kind === "timeout") continue;
        if (out.kind === "unreachable") {
          if (soft.status === "timeout") soft = { status: "timeout", server, detail: out.detail };
          continue;
        }
        const rc = out.reply.rcode;
        if (rc === RCODE.SERVFAIL) {
          soft = { status: "servfail", reply: out.reply, server };
          continue;
        }
        if (rc === RCODE.REFUSED || rc === RCODE.NOTIMP) {
          if (soft.status !== "servfail") soft = { status: "refused", reply: out.reply, server };
          continue;
        }
        return { status: "reply", reply: out.reply, server };
      }
    }
    return soft;
  }

  private encodeQuery(id: number, name: string, qtype: number): Buffer {
    const type = (Object.keys(TYPE_CODE) as DnsType[]).find((t) => TYPE_CODE[t] === qtype)!;
    return packet.encode({
      type: "query",
      id,
      flags: packet.RECURSION_DESIRED,
      questions: [{ type, name, class: "IN" }],
      ...(this.options.edns0 ? { additionals: [{ type: "OPT", name: ".", udpPayloadSize: EDNS_PAYLOAD }] } : {}),
    });
  }

  /** One UDP try: waits up to the timeout for a matching reply. */
  private tryUdp(ns: NameServer, query: Buffer, id: number, name: string, qtype: number): Promise<TryOutcome> {
    return new Promise((resolve) => {
      let sock: UdpSocket;
      let done = false;
      const finish = (o: TryOutcome) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        try {
          sock.close();
        } catch {
          // already closed
        }
        resolve(o);
      };
      const timer = setTimeout(() => finish({ kind: "timeout" }), this.options.timeoutMs);
      try {
        sock = createSocket(isIP(ns.address.replace(/%.*$/, "")) === 6 ? "udp6" : "udp4");
      } catch (e) {
        clearTimeout(timer);
        resolve({ kind: "unreachable", detail: (e as Error).message });
        return;
      }
      sock.on("error", (e) => finish({ kind: "unreachable", detail: `${serverText(ns)}: ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
      sock.on("message", (msg) => {
        try {
          const reply = decodeReply(msg, id, name, qtype);
          if (reply) finish({ kind: "reply", reply });
        } catch (e) {
          // Postfix (through libc) would take it: a reply with our id is the answer, even a broken one.
          if (msg.length >= 2 && msg.readUInt16BE(0) === id) finish({ kind: "malformed", detail: (e as Error).message });
        }
      });
      sock.connect(ns.port, ns.address, () => {
        sock.send(query, (err) => {
          if (err) finish({ kind: "unreachable", detail: `${serverText(ns)}: ${(err as NodeJS.ErrnoException).code ?? err.message}` });
        });
      });
    });
  }

  /** One TCP try: connect, send the length-prefixed query, read one length-prefixed reply. */
  private tryTcp(ns: NameServer, query: Buffer, id: number, name: string, qtype: number): Promise<TryOutcome> {
    return new Promise((resolve) => {
      let done = false;
      let buf = Buffer.alloc(0);
      const sock = tcpConnect({ host: ns.address, port: ns.port });
      const finish = (o: TryOutcome) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.destroy();
        resolve(o);
      };
      const timer = setTimeout(() => finish({ kind: "timeout" }), this.options.timeoutMs);
      sock.on("error", (e) => finish({ kind: "unreachable", detail: `${serverText(ns)}: ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
      sock.on("connect", () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        sock.write(Buffer.concat([len, query]));
      });
      sock.on("data", (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length < 2) return;
        const want = buf.readUInt16BE(0);
        if (buf.length < 2 + want) return;
        try {
          const reply = decodeReply(buf.subarray(2, 2 + want), id, name, qtype);
          finish(reply ? { kind: "reply", reply: { ...reply, tc: false } } : { kind: "malformed", detail: "TCP reply does not match the query" });
        } catch (e) {
          finish({ kind: "malformed", detail: (e as Error).message });
        }
      });
      sock.on("end", () => finish({ kind: "unreachable", detail: `${serverText(ns)}: connection closed` }));
    });
  }
}

function negativeTtl(reply: Reply): number {
  const soa = reply.authorities.find((rr) => rr.type === T_SOA);
  if (!soa || !soa.data) return 0;
  return Math.min(soa.ttl, (soa.data as SoaData).ttlMinimum);
}
