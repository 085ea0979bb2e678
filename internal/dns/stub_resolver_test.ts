/**
 * The stub resolver against a real DNS server on 127.0.0.1 (_test_server.ts): every outcome (answers, NODATA,
 * NXDOMAIN, SERVFAIL, REFUSED, timeouts, truncation, garbage), CNAMEs, timing, and Postfix's error texts.
 */
import { test, expect, beforeAll, afterAll, describe } from "bun:test";
import { createSocket } from "node:dgram";
import { parseResolvConf } from "./resolv_conf.ts";
import { StubResolver, dnsLookupErrorText, formatIPv6, reverseName, type DnsType } from "./stub_resolver.ts";
import { startTestDnsServer, type TestDnsServer } from "./_test_server.ts";

let dns: TestDnsServer;
let resolver: StubResolver;

beforeAll(async () => {
  dns = await startTestDnsServer({
    "mx.test": { MX: [[20, "mx2.mx.test"], [10, "mx1.mx.test"]], A: ["192.0.2.9"] },
    "mx1.mx.test": { A: ["127.0.0.2"], AAAA: ["::1"] },
    "nomx.test": { A: ["127.0.0.3", "127.0.0.4"] },
    "nullmx.test": { MX: [[0, "."]] },
    "alias.test": { CNAME: "nomx.test" },
    "dangling.test": { CNAME: "gone.test" },
    "txt.test": { TXT: ["v=spf1 -all"] },
    "2.0.0.127.in-addr.arpa": { PTR: ["mx1.mx.test"] },
    "fail.test": { rcode: "SERVFAIL" },
    "refused.test": { rcode: "REFUSED" },
    "formerr.test": { rcode: "FORMERR" },
    "slow.test": { drop: true },
    "big.test": { truncate: true, A: ["127.0.0.5"] },
    "junk.test": { garbage: new Uint8Array([0x81, 0x80, 0, 1, 0, 1]) },
  });
  resolver = new StubResolver(parseResolvConf(dns.resolvConf({ timeout: 1, attempts: 1 })));
});
afterAll(() => dns.close());

const cases: { label: string; name: string; type: DnsType; status: string; records?: unknown[]; canonical?: string }[] = [
  { label: "MX records", name: "mx.test", type: "MX", status: "ok", records: [{ preference: 20, exchange: "mx2.mx.test" }, { preference: 10, exchange: "mx1.mx.test" }] },
  { label: "A records", name: "nomx.test", type: "A", status: "ok", records: ["127.0.0.3", "127.0.0.4"] },
  { label: "AAAA records", name: "mx1.mx.test", type: "AAAA", status: "ok", records: ["::1"] },
  { label: "a trailing dot is allowed", name: "nomx.test.", type: "A", status: "ok", records: ["127.0.0.3", "127.0.0.4"] },
  { label: "names match case-insensitively", name: "NoMx.Test", type: "A", status: "ok" },
  { label: "NODATA: the name exists without that type", name: "nomx.test", type: "MX", status: "nodata" },
  { label: "NXDOMAIN", name: "nosuch.test", type: "MX", status: "nxdomain" },
  { label: "null MX comes back as an empty exchange", name: "nullmx.test", type: "MX", status: "ok", records: [{ preference: 0, exchange: "" }] },
  { label: "a CNAME is followed", name: "alias.test", type: "A", status: "ok", records: ["127.0.0.3", "127.0.0.4"], canonical: "nomx.test" },
  { label: "a CNAME to nowhere is NXDOMAIN", name: "dangling.test", type: "A", status: "nxdomain" },
  { label: "TXT strings", name: "txt.test", type: "TXT", status: "ok", records: ["v=spf1 -all"] },
  { label: "SERVFAIL", name: "fail.test", type: "A", status: "servfail" },
  { label: "REFUSED", name: "refused.test", type: "A", status: "refused" },
  { label: "another error rcode is a failure", name: "formerr.test", type: "A", status: "failure" },
  { label: "no answer is a timeout", name: "slow.test", type: "MX", status: "timeout" },
  { label: "a truncated UDP answer is asked again over TCP", name: "big.test", type: "A", status: "ok", records: ["127.0.0.5"] },
  { label: "a broken reply is malformed", name: "junk.test", type: "A", status: "malformed" },
  { label: "an over-long label is not sent", name: `${"a".repeat(64)}.test`, type: "A", status: "invalid" },
  { label: "an empty label is not sent", name: "a..test", type: "A", status: "invalid" },
];

describe("StubResolver.lookup()", () => {
  for (const c of cases) {
    test(c.label, async () => {
      const r = await resolver.lookup(c.name, c.type);
      expect(r.status).toBe(c.status as never);
      if (c.records) expect(r.records).toEqual(c.records as never);
      if (c.canonical) expect(r.canonicalName).toBe(c.canonical);
    });
  }
});

test("lookupPtr() reverses an address", async () => {
  const r = await resolver.lookupPtr("127.0.0.2");
  expect(r.status).toBe("ok");
  expect(r.records).toEqual(["mx1.mx.test"]);
});

test("a timeout takes about timeout × attempts, not whole seconds per try", async () => {
  const r = new StubResolver({ ...parseResolvConf(dns.resolvConf()), timeoutMs: 150, attempts: 2 });
  const t0 = performance.now();
  expect((await r.lookupA("slow.test")).status).toBe("timeout");
  const ms = performance.now() - t0;
  expect(ms).toBeGreaterThan(280);
  expect(ms).toBeLessThan(1000);
});

test("SERVFAIL from the first server moves on to the next one", async () => {
  const other = await startTestDnsServer({ "fail.test": { A: ["127.0.0.9"] } });
  try {
    const r = new StubResolver(parseResolvConf(`nameserver [127.0.0.1]:${dns.port}\nnameserver [127.0.0.1]:${other.port}\noptions timeout:1 attempts:1\n`));
    const res = await r.lookupA("fail.test");
    expect(res.status).toBe("ok");
    expect(res.server).toBe(`[127.0.0.1]:${other.port}`);
  } finally {
    other.close();
  }
});

test("a server that is not listening fails at once (port unreachable), not after the timeout", async () => {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  const port = s.address().port;
  s.close();
  const r = new StubResolver(parseResolvConf(`nameserver [127.0.0.1]:${port}\noptions timeout:5 attempts:1\n`));
  const t0 = performance.now();
  expect((await r.lookupA("x.test")).status).toBe("timeout");
  expect(performance.now() - t0).toBeLessThan(1000);
});

test("dnsLookupErrorText() gives Postfix's texts", () => {
  expect(dnsLookupErrorText({ status: "nxdomain", name: "x.test", type: "MX" })).toBe(
    "Host or domain name not found. Name service error for name=x.test type=MX: Host not found",
  );
  expect(dnsLookupErrorText({ status: "servfail", name: "x.test", type: "A" })).toBe(
    "Host or domain name not found. Name service error for name=x.test type=A: Host not found, try again",
  );
  expect(dnsLookupErrorText({ status: "nodata", name: "x.test", type: "AAAA" })).toBe(
    "Host or domain name not found. Name service error for name=x.test type=AAAA: Host found but no data record of requested type",
  );
  expect(dnsLookupErrorText({ status: "failure", name: "x.test", type: "A" })).toContain(": Non-recoverable error");
  expect(dnsLookupErrorText({ status: "malformed", name: "x.test", type: "MX" })).toBe(
    "Name service error for name=x.test type=MX: Malformed or unexpected name server reply",
  );
});

test("formatIPv6() and reverseName() follow inet_ntop and the arpa conventions", () => {
  const b = (hex: string) => Uint8Array.from(Buffer.from(hex, "hex"));
  expect(formatIPv6(b("20010db8000000000000000000000001"))).toBe("2001:db8::1");
  expect(formatIPv6(b("00000000000000000000ffff01020304"))).toBe("::ffff:1.2.3.4");
  expect(formatIPv6(b("20010db8000100000001000000000001"))).toBe("2001:db8:1:0:1::1");
  expect(formatIPv6(b("00000000000000000000000000000000"))).toBe("::");
  expect(reverseName("192.0.2.1")).toBe("1.2.0.192.in-addr.arpa");
  expect(reverseName("127.0.0.2", "zen.test")).toBe("2.0.0.127.zen.test");
  expect(reverseName("2001:db8::1")).toBe(`1.0.0.0.${"0.".repeat(20)}8.b.d.0.1.0.0.2.ip6.arpa`);
});
