/**
 * host_defaults — the parameter defaults that Postfix computes from the host rather than from a constant:
 * myhostname, mydomain and mynetworks.
 *
 *   myhostname  gethostname(); a name without a dot gets `.$mydomain` (or `.localdomain`) appended
 *   mydomain    myhostname minus its first label, `localdomain` when it has only one label
 *   mynetworks  from mynetworks_style: `host` lists each interface address (/32, /128), `subnet` the networks
 *               of the interfaces, `class` their class A/B/C networks (IPv6 as subnet); IPv4 first, then IPv6,
 *               each in interface order, limited by inet_interfaces and inet_protocols
 *
 * And the addresses an inet_interfaces (or proxy_interfaces) value stands for (Postfix's own_inet_addr() list):
 * `all` every interface address, `loopback-only` the loopback ones, else the addresses listed (`localhost` is
 * 127.0.0.1 and ::1; other host names are not resolved).
 *
 * Pure functions of their inputs plus gethostname(2) and the interface list; never read main.cf.
 */
import { hostName } from "../sys/libc.ts";

/** myhostname's default, given the configured mydomain (if any). */
export function defaultMyhostname(mydomain: string | undefined): string {
  const h = hostName();
  return h.includes(".") ? h : `${h}.${mydomain || "localdomain"}`;
}

/** mydomain's default, given myhostname. */
export function defaultMydomain(myhostname: string): string {
  const dot = myhostname.indexOf(".");
  return dot < 0 ? "localdomain" : myhostname.slice(dot + 1);
}

function ipv4ToInt(a: string): number {
  return a.split(".").reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

function ipv6ToWords(a: string): number[] {
  const [head, tail] = a.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const words = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return words.map((w) => Number.parseInt(w, 16) || 0);
}

/** RFC 5952 text form (what inet_ntop prints). */
export function formatIpv6(words: number[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

function maskIpv6(a: string, prefix: number): string {
  const w = ipv6ToWords(a);
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    w[i] = bits === 0 ? 0 : w[i]! & ((0xffff << (16 - bits)) & 0xffff);
  }
  return formatIpv6(w);
}

interface IfAddr {
  family: "IPv4" | "IPv6";
  address: string;
  prefix: number;
}

function interfaceAddresses(): IfAddr[] {
  const out: IfAddr[] = [];
  // node:os only here: mynetworks is the one default that needs the interface list
  const { networkInterfaces } = require("node:os") as typeof import("node:os");
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      const prefix = Number((a.cidr ?? "/0").split("/")[1]);
      out.push({ family: a.family === "IPv4" ? "IPv4" : "IPv6", address: a.address.replace(/%.*$/, ""), prefix });
    }
  }
  return out;
}

const addressLists = new Map<string, string[]>();

/**
 * The addresses an inet_interfaces or proxy_interfaces value stands for (see the header), lower-case; found once
 * per value and process, as Postfix finds its own addresses once at start-up.
 */
export function interfaceAddressList(value: string): string[] {
  let list = addressLists.get(value);
  if (list === undefined) addressLists.set(value, (list = addressesOf(value)));
  return list;
}

function addressesOf(value: string): string[] {
  const out = new Set<string>();
  for (const item of value.toLowerCase().split(/[\s,]+/).filter(Boolean)) {
    if (item === "all") for (const a of interfaceAddresses()) out.add(a.address.toLowerCase());
    else if (item === "loopback-only") {
      for (const a of interfaceAddresses()) if (a.address.startsWith("127.") || a.address === "::1") out.add(a.address);
    } else if (item === "localhost") {
      out.add("127.0.0.1");
      out.add("::1");
    } else out.add(item.replace(/^\[|\]$/g, "").replace(/^ipv6:/, ""));
  }
  return [...out];
}

/** Which protocols `inet_protocols` enables. */
export function enabledProtocols(inetProtocols: string): { v4: boolean; v6: boolean } {
  const list = inetProtocols.toLowerCase().split(/[\s,]+/).filter(Boolean);
  if (list.includes("all")) return { v4: true, v6: true };
  return { v4: list.includes("ipv4"), v6: list.includes("ipv6") };
}

/** mynetworks' default for a mynetworks_style, inet_interfaces and inet_protocols. */
export function defaultMynetworks(style: string, inetInterfaces: string, inetProtocols: string): string {
  const { v4, v6 } = enabledProtocols(inetProtocols);
  const ifs = inetInterfaces.toLowerCase().split(/[\s,]+/).filter(Boolean);
  let addrs = interfaceAddresses();
  if (ifs.includes("loopback-only")) {
    addrs = addrs.filter((a) => a.address.startsWith("127.") || a.address === "::1");
  } else if (!ifs.includes("all") && ifs.length > 0) {
    const want = new Set(ifs.map((i) => i.replace(/^\[|\]$/g, "")));
    addrs = addrs.filter((a) => want.has(a.address));
  }
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (s: string) => {
    if (!seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  };
  const s = style.toLowerCase();
  if (v4) {
    for (const a of addrs.filter((x) => x.family === "IPv4")) {
      if (s === "host") add(`${a.address}/32`);
      else {
        let prefix = a.prefix;
        if (s === "class") {
          const first = Number(a.address.split(".")[0]);
          prefix = first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 32;
        }
        const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
        add(`${intToIpv4((ipv4ToInt(a.address) & mask) >>> 0)}/${prefix}`);
      }
    }
  }
  if (v6) {
    for (const a of addrs.filter((x) => x.family === "IPv6")) {
      if (s === "host") add(`[${formatIpv6(ipv6ToWords(a.address))}]/128`);
      else add(`[${maskIpv6(a.address, a.prefix)}]/${a.prefix}`);
    }
  }
  return out.join(" ");
}
