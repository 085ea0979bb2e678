/**
 * The smtp_tls_policy_maps parser and lookup: keys and their order, the value syntax, and Postfix 3.7's warning
 * texts for each invalid policy (smtp_tls_policy.c).
 */
import { test, expect, describe } from "bun:test";
import { openMap, type LookupTable } from "../maps/index.ts";
import type { TableList } from "../resolve/mail_addr_find.ts";
import { decodeFingerprints, isValidHostname, lookupTlsPolicy, parseTlsPolicy, siteTlsPolicy, tlsPolicyKeys, tlsProtocolRange } from "./tls_policy.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";

/** An exact-key table in memory that records the keys it was asked for. */
function memTable(entries: Record<string, string>, asked: string[] = []): LookupTable {
  return {
    type: "memory", name: "test", fixed: true,
    lookup: (k) => {
      asked.push(k);
      return entries[k.toLowerCase()];
    },
    entries: () => Object.entries(entries),
    changed: () => false,
    close() {},
  };
}

const maps = (entries: Record<string, string>, asked?: string[]): TableList => ({ title: "smtp_tls_policy_maps", tables: [memTable(entries, asked)] });
const W = 'smtp_tls_policy_maps, next-hop destination "example.com"';

describe("tlsPolicyKeys()", () => {
  const cases: [string, string, string[]][] = [
    ["a domain: itself, then its parent domains", "mail.example.com", ["mail.example.com", ".example.com", ".com"]],
    ["a bare name: itself", "localhost", ["localhost"]],
    ["[host]: only as written", "[mail.example.com]", ["[mail.example.com]"]],
    ["[host]:port: only as written", "[127.0.0.1]:2525", ["[127.0.0.1]:2525"]],
    ["host:port: only as written", "example.com:587", ["example.com:587"]],
    ["a numeric name is no host name", "127.0.0.1", ["127.0.0.1"]],
    ["a UNIX socket path", "/var/run/lmtp", ["/var/run/lmtp"]],
  ];
  for (const [label, dest, keys] of cases) test(`tlsPolicyKeys() ${label}`, () => expect(tlsPolicyKeys(dest)).toEqual(keys));
});

test("isValidHostname() as Postfix's valid_hostname()", () => {
  expect(isValidHostname("mx-1.example.com")).toBe(true);
  expect(isValidHostname("a_b.example")).toBe(true);
  expect(isValidHostname("-a.example")).toBe(false);
  expect(isValidHostname("a..b")).toBe(false);
  expect(isValidHostname("a.b.")).toBe(false);
  expect(isValidHostname("1.2.3.4")).toBe(false);
  expect(isValidHostname("[a.b]")).toBe(false);
});

describe("parseTlsPolicy()", () => {
  const ok: [string, string, object, string[]?][] = [
    ["a level alone", "encrypt", { level: "encrypt" }],
    ["commas and spaces separate", "verify,match=hostname:nexthop  protocols=!SSLv2:!SSLv3", { level: "verify", match: ["hostname", "nexthop"], protocols: "!SSLv2:!SSLv3" }],
    ["match= more than once adds", "secure match=a.example match=b.example:c.example", { level: "secure", match: ["a.example", "b.example", "c.example"] }],
    ["fingerprint match= splits at |", "fingerprint match=AA:BB|CC:DD", { level: "fingerprint", match: ["AA:BB", "CC:DD"] }],
    ["attribute names in any case", "encrypt Ciphers=high SERVERNAME=mx.example.com", { level: "encrypt", ciphers: "high", servername: "mx.example.com" }],
    ["exclude, connection_reuse, an empty protocols", "may exclude=aNULL connection_reuse=YES protocols=", { level: "may", exclude: "aNULL", connectionReuse: true, protocols: "" }],
    ["none ignores attributes, with a warning each", "none match=x ciphers=high", { level: "none" }, [`${W}: ignoring attribute "match=x" with TLS disabled`, `${W}: ignoring attribute "ciphers=high" with TLS disabled`]],
    ["dane parses", "dane", { level: "dane" }],
    ["tafile at verify", "verify tafile=/etc/ta.pem", { level: "verify", tafile: ["/etc/ta.pem"] }],
  ];
  for (const [label, value, policy, warnings] of ok) {
    test(`parseTlsPolicy() ${label}`, () => {
      const r = parseTlsPolicy(value, W);
      expect(r.policy).toEqual(policy as never);
      expect(r.warnings).toEqual(warnings ?? []);
    });
  }
  const bad: [string, string, string][] = [
    ["empty", "  ,  ", "invalid empty policy"],
    ["unknown level", "must", 'invalid security level "must"'],
    ["levels are lower case", "Encrypt", 'invalid security level "Encrypt"'],
    ["halfdane is output only", "halfdane", 'invalid security level "halfdane"'],
    ["no =", "encrypt ciphers", "malformed attribute/value pair \"ciphers\": missing '=' after attribute name"],
    ["no name", "encrypt =high", 'malformed attribute/value pair "=high": missing attribute name'],
    ["empty ciphers", "encrypt ciphers=", 'attribute "ciphers" has empty value'],
    ["ciphers twice", "encrypt ciphers=high ciphers=medium", 'attribute "ciphers" is specified multiple times'],
    ["protocols twice", "encrypt protocols=TLSv1.2 protocols=TLSv1.3", 'attribute "protocols" is specified multiple times'],
    ["servername twice", "may servername=a.example servername=b.example", 'attribute "servername" is specified multiple times'],
    ["bad servername", "may servername=-bad", '"servername=-bad" specifies an invalid hostname'],
    ["empty match", "verify match=", 'attribute "match" has empty value'],
    ["match at encrypt", "encrypt match=hostname", 'attribute "match" invalid at security level "encrypt"'],
    ["match at dane", "dane match=hostname", 'attribute "match" invalid at security level "dane"'],
    ["exclude twice", "encrypt exclude=a exclude=b", 'attribute "exclude" is specified multiple times'],
    ["tafile at may", "may tafile=/x", 'attribute "tafile" invalid at security level "may"'],
    ["empty tafile", "secure tafile=", 'attribute "tafile" has empty value'],
    ["connection_reuse=maybe", "encrypt connection_reuse=maybe", 'attribute "connection_reuse" has bad value: "maybe"'],
    ["unknown attribute", "encrypt foo=bar", 'invalid attribute name: "foo"'],
  ];
  for (const [label, value, warning] of bad) {
    test(`parseTlsPolicy() invalid: ${label}`, () => {
      const r = parseTlsPolicy(value, W);
      expect(r.policy).toBeUndefined();
      expect(r.warnings).toEqual([`${W}: ${warning}`]);
    });
  }
});

describe("lookupTlsPolicy()", () => {
  test("lookupTlsPolicy() tries the destination, then its parent domains; the first found wins", () => {
    const asked: string[] = [];
    const r = lookupTlsPolicy(maps({ ".example.com": "encrypt", ".com": "none" }, asked), "mail.example.com");
    expect(r).toMatchObject({ kind: "found", key: ".example.com", policy: { level: "encrypt" }, where: 'smtp_tls_policy_maps, next-hop destination ".example.com"' });
    expect(asked).toEqual(["mail.example.com", ".example.com"]);
  });

  test("lookupTlsPolicy() finds [host]:port only under that key", () => {
    const asked: string[] = [];
    expect(lookupTlsPolicy(maps({ "127.0.0.1": "encrypt" }, asked), "[127.0.0.1]:2525").kind).toBe("notfound");
    expect(asked).toEqual(["[127.0.0.1]:2525"]);
    expect(lookupTlsPolicy(maps({ "[127.0.0.1]:2525": "encrypt" }), "[127.0.0.1]:2525")).toMatchObject({ kind: "found", policy: { level: "encrypt" } });
  });

  test("lookupTlsPolicy() stops at an invalid entry (no parent domain fallback)", () => {
    const r = lookupTlsPolicy(maps({ "example.com": "bogus", ".com": "none" }), "example.com");
    expect(r).toEqual({ kind: "invalid", warnings: [`${W}: invalid security level "bogus"`] });
  });

  test("lookupTlsPolicy() a failing table: policy table lookup error, invalid", async () => {
    const log: string[] = [];
    setMsgStderr(false);
    setMsgSink({ write: (level, text) => log.push(`${level}: ${text}`), close() {} });
    try {
      const fail = await openMap("fail:policy");
      const r = lookupTlsPolicy({ title: "lmtp_tls_policy_maps", tables: [fail] }, "[10.0.0.1]");
      expect(r).toEqual({ kind: "invalid", warnings: ['lmtp_tls_policy_maps, next-hop destination "[10.0.0.1]": policy table lookup error'] });
    } finally {
      setMsgSink(undefined);
    }
  });
});

describe("siteTlsPolicy()", () => {
  const found = (value: string, key = "example.com") => lookupTlsPolicy(maps({ [key]: value }), key);

  test("siteTlsPolicy() no entry: the global level", () => {
    expect(siteTlsPolicy(lookupTlsPolicy(maps({}), "example.com"), "may", "example.com", false)).toEqual({ site: { level: "may" }, warnings: [] });
  });

  test("siteTlsPolicy() the entry's level, match, servername and protocols replace main.cf's", () => {
    expect(siteTlsPolicy(found("verify match=MX.example.com:nexthop servername=hostname protocols=>=TLSv1.2"), "may", "example.com", false)).toEqual({
      site: { level: "verify", match: ["mx.example.com", "nexthop"], serverName: "hostname", protocols: ">=TLSv1.2" },
      warnings: [],
    });
    expect(siteTlsPolicy(found("none"), "encrypt", "example.com", false).site).toEqual({ level: "none" });
  });

  test("siteTlsPolicy() dane without DANE support: may, with Postfix's warning; dane-only: invalid", () => {
    expect(siteTlsPolicy(found("dane"), "none", "example.com", false)).toEqual({ site: { level: "may" }, warnings: ["example.com: dane configured, but no requisite library support"] });
    expect(siteTlsPolicy(found("dane-only"), "none", "example.com", false)).toEqual({ site: undefined, warnings: ["example.com: dane-only configured, but no requisite library support"] });
    expect(siteTlsPolicy(found("dane", "/run/lmtp"), "none", "/run/lmtp", true)).toEqual({
      site: undefined,
      warnings: ['/run/lmtp: the "dane" security level is invalid for delivery via unix-domain sockets'],
    });
  });

  test("siteTlsPolicy() fingerprint: the match= digests, decoded, replace smtp_tls_fingerprint_cert_match", () => {
    expect(siteTlsPolicy(found("fingerprint match=AA:BB|ccdd"), "may", "example.com", false, ["EE:FF"])).toEqual({
      site: { level: "fingerprint", fingerprints: [Buffer.from([0xaa, 0xbb]), Buffer.from([0xcc, 0xdd])] },
      warnings: [],
      fingerprintLevel: true,
    });
    expect(siteTlsPolicy(found("fingerprint"), "may", "example.com", false, ["EE:FF"])).toEqual({ site: { level: "fingerprint", fingerprints: [Buffer.from([0xee, 0xff])] }, warnings: [], fingerprintLevel: true });
    expect(siteTlsPolicy({ kind: "notfound", warnings: [] }, "fingerprint", "example.com", false, ["ee:ff"])).toEqual({ site: { level: "fingerprint", fingerprints: [Buffer.from([0xee, 0xff])] }, warnings: [], fingerprintLevel: true });
  });

  test("siteTlsPolicy() fingerprint with no usable fingerprint: malformed values skipped, then invalid", () => {
    const none = "nexthop domain example.com: configured at fingerprint security level, but with no fingerprints to match.";
    expect(siteTlsPolicy(found("fingerprint match=AA:B|XY"), "may", "example.com", false)).toEqual({
      site: undefined,
      warnings: ["malformed fingerprint value: AA:B", "malformed fingerprint value: XY", none],
      fingerprintLevel: true,
    });
    expect(siteTlsPolicy(found("fingerprint"), "may", "example.com", false, [])).toEqual({ site: undefined, warnings: [none], fingerprintLevel: true });
    expect(siteTlsPolicy({ kind: "notfound", warnings: [] }, "fingerprint", "example.com", false, [])).toEqual({ site: undefined, warnings: [none], fingerprintLevel: true });
  });

  test("siteTlsPolicy() tafile is not supported: invalid", () => {
    expect(siteTlsPolicy(found("secure tafile=/x"), "may", "example.com", false)).toEqual({ site: undefined, warnings: [`${W}: attribute "tafile" is not supported`] });
  });
});

describe("decodeFingerprints()", () => {
  const cases: [string, string, number[] | string][] = [
    ["colon-separated upper case", "0A:FF:10", [0x0a, 0xff, 0x10]],
    ["lower case, no colons", "0aff10", [0x0a, 0xff, 0x10]],
    ["colons only between some pairs", "0AFF:10", [0x0a, 0xff, 0x10]],
    ["an odd number of digits", "0AF", "malformed fingerprint value: 0AF"],
    ["a leading colon", ":0A", "malformed fingerprint value: :0A"],
    ["a trailing colon", "0A:", "malformed fingerprint value: 0A:"],
    ["two colons", "0A::FF", "malformed fingerprint value: 0A::FF"],
    ["not hex", "0G", "malformed fingerprint value: 0G"],
    ["longer than any digest", "AB".repeat(97), `malformed fingerprint value: ${"AB".repeat(50)}...`],
  ];
  for (const [label, value, want] of cases) {
    test(`decodeFingerprints() ${label}`, () => {
      const r = decodeFingerprints([value]);
      if (typeof want === "string") expect(r).toEqual({ digests: [], warnings: [want] });
      else expect(r).toEqual({ digests: [Buffer.from(want)], warnings: [] });
    });
  }
});

describe("tlsProtocolRange()", () => {
  const cases: [string, string, object | undefined][] = [
    ["exclusions", "!SSLv2, !SSLv3", { minVersion: "TLSv1", maxVersion: "TLSv1.3" }],
    ["colon-separated exclusions", "!SSLv2:!SSLv3:!TLSv1:!TLSv1.1", { minVersion: "TLSv1.2", maxVersion: "TLSv1.3" }],
    ["an include list", "TLSv1.2:TLSv1.3", { minVersion: "TLSv1.2", maxVersion: "TLSv1.3" }],
    ["one protocol", "TLSv1.2", { minVersion: "TLSv1.2", maxVersion: "TLSv1.2" }],
    [">= and <=", ">=TLSv1.1 <=TLSv1.2", { minVersion: "TLSv1.1", maxVersion: "TLSv1.2" }],
    ["empty: anything", "", { minVersion: "TLSv1", maxVersion: "TLSv1.3" }],
    ["an unknown name", "TLSv9", undefined],
    ["names are case-sensitive", "tlsv1.2", undefined],
    ["nothing left", "SSLv3", undefined],
  ];
  for (const [label, list, range] of cases) test(`tlsProtocolRange() ${label}`, () => expect(tlsProtocolRange(list)).toEqual(range as never));
});
