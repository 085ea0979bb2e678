/**
 * _test_server — a small authoritative DNS server for tests (UDP and TCP on the same port, 127.0.0.1 by default),
 * built on dns-packet, so that resolver, smtp client and smtpd tests run against a real server with answers they
 * choose: records, NODATA, NXDOMAIN, SERVFAIL, REFUSED, silence (timeouts), truncation (TC, then TCP) and garbage.
 * Tests only; never imported by the binary.
 *
 *   const dns = await startTestDnsServer({
 *     "mx.test": { MX: [[10, "mx1.mx.test"]] },
 *     "mx1.mx.test": { A: ["127.0.0.2"] },
 *     "fail.test": { rcode: "SERVFAIL" },
 *     "slow.test": { drop: true },
 *   });
 *   dns.resolvConf()  →  "nameserver [127.0.0.1]:PORT\noptions timeout:1 attempts:1\n"
 *
 * A name not in the zone gets NXDOMAIN; a name in it without records of the type asked gets NODATA (NOERROR, no
 * answers, an SOA in the authority section). Names match case-insensitively. `queries` records what was asked.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server } from "node:net";
import * as packet from "dns-packet";

/** What the server says about one name. */
export interface TestDnsEntry {
  A?: string[];
  AAAA?: string[];
  MX?: [number, string][];
  TXT?: string[];
  PTR?: string[];
  NS?: string[];
  CNAME?: string;
  /** Answer every query for this name with this rcode and nothing else. */
  rcode?: "SERVFAIL" | "REFUSED" | "NXDOMAIN" | "FORMERR" | "NOTIMP";
  /** Never answer (the client times out). */
  drop?: boolean;
  /** Over UDP, answer with TC set and no records (the client must ask again over TCP). */
  truncate?: boolean;
  /** Answer with these bytes instead of a reply (the query's id is put in front). */
  garbage?: Uint8Array;
}

/** A running test server. */
export interface TestDnsServer {
  host: string;
  port: number;
  zone: Record<string, TestDnsEntry>;
  queries: { name: string; type: string; tcp: boolean }[];
  /** resolv.conf text pointing at this server. */
  resolvConf(opts?: { timeout?: number; attempts?: number }): string;
  close(): void;
}

const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

function answer(zone: Record<string, TestDnsEntry>, msg: Buffer, tcp: boolean, log: TestDnsServer["queries"]): Buffer | undefined {
  const id = msg.readUInt16BE(0);
  let off = 12;
  const qname = packet.name.decode(msg, off);
  off += packet.name.decode.bytes;
  const qtypeCode = msg.readUInt16BE(off);
  const TYPES: Record<number, string> = { 1: "A", 2: "NS", 5: "CNAME", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 6: "SOA" };
  const qtype = TYPES[qtypeCode] ?? `TYPE${qtypeCode}`;
  log.push({ name: qname, type: qtype, tcp });
  const key = Object.keys(zone).find((k) => k.toLowerCase() === qname.toLowerCase());
  const entry = key === undefined ? undefined : zone[key]!;
  if (entry?.drop) return undefined;
  if (entry?.garbage) {
    const g = Buffer.alloc(2 + entry.garbage.length);
    g.writeUInt16BE(id, 0);
    g.set(entry.garbage, 2);
    return g;
  }
  const questions = [{ type: qtype, name: qname, class: "IN" }];
  const base = { type: "response" as const, id, questions };
  const flags = packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE;
  if (!entry) return packet.encode({ ...base, flags: flags | RCODES.NXDOMAIN, authorities: [soa(qname)] });
  if (entry.rcode) return packet.encode({ ...base, flags: flags | RCODES[entry.rcode] });
  if (entry.truncate && !tcp) return packet.encode({ ...base, flags: flags | packet.TRUNCATED_RESPONSE });
  const answers: packet.Record[] = [];
  let owner = qname;
  let e: TestDnsEntry | undefined = entry;
  for (let hops = 0; e?.CNAME && qtype !== "CNAME" && hops < 8; hops++) {
    answers.push({ type: "CNAME", name: owner, ttl: 300, data: e.CNAME });
    owner = e.CNAME;
    const k = Object.keys(zone).find((x) => x.toLowerCase() === owner.toLowerCase());
    e = k === undefined ? undefined : zone[k];
  }
  if (e) {
    if (qtype === "A") for (const a of e.A ?? []) answers.push({ type: "A", name: owner, ttl: 300, data: a });
    if (qtype === "AAAA") for (const a of e.AAAA ?? []) answers.push({ type: "AAAA", name: owner, ttl: 300, data: a });
    if (qtype === "MX") for (const [p, x] of e.MX ?? []) answers.push({ type: "MX", name: owner, ttl: 300, data: { preference: p, exchange: x } });
    if (qtype === "TXT") for (const t of e.TXT ?? []) answers.push({ type: "TXT", name: owner, ttl: 300, data: t });
    if (qtype === "PTR") for (const t of e.PTR ?? []) answers.push({ type: "PTR", name: owner, ttl: 300, data: t });
    if (qtype === "NS") for (const t of e.NS ?? []) answers.push({ type: "NS", name: owner, ttl: 300, data: t });
    if (qtype === "CNAME" && e.CNAME) answers.push({ type: "CNAME", name: owner, ttl: 300, data: e.CNAME });
  }
  return packet.encode({ ...base, flags, answers, authorities: answers.length === 0 ? [soa(owner)] : [] });
}

function soa(name: string): packet.Record {
  const zone = name.split(".").slice(-1)[0] || "test";
  return {
    type: "SOA", name: zone, ttl: 60,
    data: { mname: `ns.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 30 },
  };
}

/** Starts the server on `host` (127.0.0.1) and a free port (or `port`) for UDP and TCP alike. */
export async function startTestDnsServer(zone: Record<string, TestDnsEntry>, opts: { host?: string; port?: number } = {}): Promise<TestDnsServer> {
  const host = opts.host ?? "127.0.0.1";
  const queries: TestDnsServer["queries"] = [];
  for (let tries = 0; ; tries++) {
    const udp: UdpSocket = createSocket("udp4");
    const port = await new Promise<number>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(opts.port ?? 0, host, () => resolve(udp.address().port));
    });
    const tcp: Server = createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on("error", () => {});
      sock.on("data", (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + msg.length);
          let out: Buffer | undefined;
          try {
            out = answer(zone, Buffer.from(msg), true, queries);
          } catch {
            out = undefined;
          }
          if (!out) continue;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          sock.write(Buffer.concat([len, out]));
        }
      });
    });
    const tcpOk = await new Promise<boolean>((resolve) => {
      tcp.once("error", () => resolve(false));
      tcp.listen(port, host, () => resolve(true));
    });
    if (!tcpOk) {
      udp.close();
      if (tries < 10 && opts.port === undefined) continue;
      throw new Error(`test DNS server: cannot listen on TCP ${host}:${port}`);
    }
    udp.on("message", (msg, rinfo) => {
      let out: Buffer | undefined;
      try {
        out = answer(zone, msg, false, queries);
      } catch {
        out = undefined;
      }
      if (out) udp.send(out, rinfo.port, rinfo.address);
    });
    return {
      host, port, zone, queries,
      resolvConf: (o = {}) => `nameserver [${host}]:${port}\noptions timeout:${o.timeout ?? 1} attempts:${o.attempts ?? 1}\n`,
      close() {
        udp.close();
        tcp.close();
      },
    };
  }
}
