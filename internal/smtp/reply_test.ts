/** The pure parts of the SMTP client: replies, DATA encoding, next hops, certificate names, DSN parameters. */
import { test, expect } from "bun:test";
import { ReplyAssembler, replyOneLine } from "./reply.ts";
import { encodeData, DataEncoder } from "./data_encoder.ts";
import { parseDestination, splitDestinations, servicePort, NexthopError } from "./nexthop.ts";
import { nameMatches, certificateNames } from "./tls_client.ts";
import { xtext, notifyText } from "./smtp_client.ts";
import { addressFamilies } from "./settings.ts";
import { balanceFamilies, type ServerAddress } from "./server_addresses.ts";

function feed(lines: string[]) {
  const a = new ReplyAssembler();
  const out = [];
  for (const l of lines) {
    const r = a.push(l);
    if (r) out.push(r);
  }
  return out;
}

const replies: { label: string; lines: string[]; code: number; dsn: string; text: string; garbage?: boolean }[] = [
  { label: "one line with a status code", lines: ["250 2.1.5 Ok"], code: 250, dsn: "2.1.5", text: "250 2.1.5 Ok" },
  { label: "multi-line: the last line's code and status", lines: ["550-5.1.1 line one", "550 5.1.1 line two"], code: 550, dsn: "5.1.1", text: "550-5.1.1 line one\n550 5.1.1 line two" },
  { label: "no status code: X.0.0 from the reply code", lines: ["451 try later"], code: 451, dsn: "4.0.0", text: "451 try later" },
  { label: "a status code of another class is ignored", lines: ["550 4.1.1 odd"], code: 550, dsn: "5.0.0", text: "550 4.1.1 odd" },
  { label: "a 3xx reply gets 5.5.0", lines: ["354 go ahead"], code: 354, dsn: "5.5.0", text: "354 go ahead" },
  { label: "a bare code ends the reply", lines: ["220"], code: 220, dsn: "2.0.0", text: "220" },
  { label: "garbage does not end a reply and is kept", lines: ["xyz", "554 5.5.1 Error"], code: 554, dsn: "5.5.1", text: "xyz\n554 5.5.1 Error", garbage: true },
  { label: "four digits are garbage", lines: ["2500 no", "250 ok"], code: 250, dsn: "2.0.0", text: "2500 no\n250 ok", garbage: true },
  { label: "control characters become ?", lines: ["250 a\tb\x01"], code: 250, dsn: "2.0.0", text: "250 a?b?" },
];

for (const c of replies) {
  test(`ReplyAssembler: ${c.label}`, () => {
    const [r] = feed(c.lines);
    expect(r).toEqual({ code: c.code, dsn: c.dsn, text: c.text, garbage: c.garbage ?? false });
  });
}

test("replyOneLine() joins the lines of a reply with spaces", () => {
  expect(replyOneLine({ text: "a\nb" })).toBe("a b");
});

const data: { label: string; input: string; limit?: number; want: string }[] = [
  { label: "LF becomes CRLF", input: "a\nb\n", want: "a\r\nb\r\n" },
  { label: "a leading dot is doubled", input: ".\n..x\n.a\nb.\n", want: "..\r\n...x\r\n..a\r\nb.\r\n" },
  { label: "a missing final line end is added", input: "a\nb", want: "a\r\nb\r\n" },
  { label: "CRLF in the content stays one line end", input: "a\r\nb\r\n", want: "a\r\nb\r\n" },
  { label: "a lone CR is content", input: "a\rb\n", want: "a\rb\r\n" },
  { label: "empty content gives nothing", input: "", want: "" },
  { label: "a line of exactly the limit is not broken", input: "abcd\n", limit: 4, want: "abcd\r\n" },
  { label: "a longer line is broken with CRLF SPACE", input: "abcdefghij\n", limit: 4, want: "abcd\r\n efg\r\n hij\r\n" },
  { label: "a dot after a break is not doubled", input: "abcd.ef\n", limit: 4, want: "abcd\r\n .ef\r\n" },
];

for (const c of data) {
  test(`encodeData(): ${c.label}`, () => {
    expect(Buffer.from(encodeData(c.input, c.limit ?? 998)).toString("latin1")).toBe(c.want);
  });
}

test("DataEncoder keeps state across chunks (a line end and a dot split between chunks)", () => {
  const e = new DataEncoder(998);
  const parts = [e.push(Buffer.from("a\r")), e.push(Buffer.from("\n.")), e.push(Buffer.from("b\n")), e.finish()];
  expect(Buffer.concat(parts.map((p) => Buffer.from(p))).toString()).toBe("a\r\n..b\r\n");
});

const dests: { label: string; text: string; svc?: string; want?: object; error?: string }[] = [
  { label: "a domain", text: "example.com", want: { host: "example.com", port: 25, literal: false } },
  { label: "a domain and port", text: "example.com:2525", want: { host: "example.com", port: 2525, literal: false } },
  { label: "a bracketed host", text: "[mail.example.com]", want: { host: "mail.example.com", port: 25, literal: true } },
  { label: "a bracketed address and port", text: "[127.0.0.1]:2626", want: { host: "127.0.0.1", port: 2626, literal: true } },
  { label: "an IPv6 literal", text: "[ipv6:::1]:24", want: { host: "::1", port: 24, literal: true } },
  { label: "a service name", text: "[relay.example]:submission", want: { host: "relay.example", port: 587, literal: true } },
  { label: "the LMTP default port", text: "lmtp.example", svc: "24", want: { host: "lmtp.example", port: 24 } },
  { label: "a port out of range", text: "[h]:70000", error: "bad network port: 70000 for destination: [h]:70000" },
  { label: "an unknown service", text: "h:nosuchservice", error: "unknown service: nosuchservice/tcp" },
  { label: "a missing bracket", text: "[h:25", error: 'missing "]" in server description: [h:25' },
];

for (const c of dests) {
  test(`parseDestination(): ${c.label}`, () => {
    if (c.error) {
      expect(() => parseDestination(c.text, "smtp")).toThrow(NexthopError);
      expect(() => parseDestination(c.text, "smtp")).toThrow(c.error);
    } else expect(parseDestination(c.text, c.svc ?? "smtp")).toMatchObject(c.want!);
  });
}

test("splitDestinations() and servicePort()", () => {
  expect(splitDestinations("a.example, [b]:25  c")).toEqual(["a.example", "[b]:25", "c"]);
  expect(servicePort("smtp")).toBe(25);
  expect(servicePort("0")).toBeUndefined();
});

test("certificate name matching: exact, one-label wildcard, subdomains for dot-nexthop; SAN before CN", () => {
  expect(nameMatches("mx.example.com", "MX.example.com")).toBe(true);
  expect(nameMatches("*.example.com", "mx.example.com")).toBe(true);
  expect(nameMatches("*.example.com", "a.mx.example.com")).toBe(false);
  expect(nameMatches("*.example.com", "example.com")).toBe(false);
  expect(nameMatches("mx.example.com", ".example.com")).toBe(true);
  expect(nameMatches("example.com", ".example.com")).toBe(false);
  expect(certificateNames({ subjectaltname: "DNS:a.test, IP Address:1.2.3.4, DNS:b.test", subject: { CN: "c.test" } } as never)).toEqual(["a.test", "b.test"]);
  expect(certificateNames({ subjectaltname: undefined, subject: { CN: "C.test" } } as never)).toEqual(["c.test"]);
});

test("xtext() and notifyText() as Postfix writes ORCPT, ENVID and NOTIFY", () => {
  expect(xtext("rfc822;a+b=c@x.test")).toBe("rfc822;a+2Bb+3Dc@x.test");
  expect(xtext("a b\u00e9")).toBe("a+20b+C3+A9");
  expect(notifyText(2 | 4 | 8)).toBe("SUCCESS,FAILURE,DELAY");
  expect(notifyText(1)).toBe("NEVER");
});

test("addressFamilies() reads inet_protocols in Postfix's lookup order", () => {
  expect(addressFamilies("all")).toEqual([4, 6]);
  expect(addressFamilies("ipv6, ipv4")).toEqual([4, 6]);
  expect(addressFamilies("ipv6")).toEqual([6]);
});

test("balanceFamilies() keeps both families within the address limit", () => {
  const a = (address: string, family: 4 | 6): ServerAddress => ({ host: "h", address, family, pref: 0, port: 25 });
  const list = [a("::1", 6), a("::2", 6), a("::3", 6), a("::4", 6), a("::5", 6), a("1.1.1.1", 4)];
  expect(balanceFamilies(list, 5).map((x) => x.address)).toEqual(["::1", "::2", "::3", "::4", "1.1.1.1"]);
  expect(balanceFamilies(list.slice(0, 3), 5)).toHaveLength(3);
});
