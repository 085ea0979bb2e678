import { test, expect } from "bun:test";
import { compileIpMatch, reverseAddress, rhsDomain, isErrorAnswer } from "./dnsbl.ts";
import { expandTemplate } from "./smtpd_expand.ts";

test("compileIpMatch() matches ip_match patterns: numbers, [a..b] ranges and [a;b] lists per octet", () => {
  const m = compileIpMatch("127.0.[0;1].[2..11]")!;
  expect(m("127.0.0.2")).toBe(true);
  expect(m("127.0.1.11")).toBe(true);
  expect(m("127.0.2.2")).toBe(false);
  expect(m("127.0.0.12")).toBe(false);
  expect(compileIpMatch("127.0.0.2")!("127.0.0.2")).toBe(true);
  for (const bad of ["127.0.0", "127.0.0.[2..]", "127.0.0.256", "127.0.0.[9..2]", "a.b.c.d"]) expect(compileIpMatch(bad)).toBeUndefined();
});

test("reverseAddress() gives the DNSBL query prefix for IPv4 and IPv6", () => {
  expect(reverseAddress("127.0.0.2")).toBe("2.0.0.127.");
  expect(reverseAddress("2001:db8::1")).toBe("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.");
  expect(reverseAddress("bogus")).toBeUndefined();
});

test("rhsDomain() checks the domain after the last @, and skips what Postfix skips", () => {
  expect(rhsDomain("s@spam.test")).toBe("spam.test");
  expect(rhsDomain("host.spam.test")).toBe("host.spam.test");
  expect(rhsDomain("s@[1.2.3.4]")).toBeUndefined();
  expect(rhsDomain("s@")).toBeUndefined();
  expect(rhsDomain("1.2.3.4")).toBeUndefined();
  expect(rhsDomain("s@bad_name!")).toBeUndefined();
});

test("isErrorAnswer(): 127.255.255.0/24 and anything outside 127/8 mean an error, not a listing", () => {
  expect(isErrorAnswer("127.0.0.2")).toBe(false);
  expect(isErrorAnswer("127.255.255.254")).toBe(true);
  expect(isErrorAnswer("127.255.254.1")).toBe(false);
  expect(isErrorAnswer("10.0.0.1")).toBe(true);
});

test("expandTemplate() expands default_rbl_reply the way Postfix does", () => {
  const vars: Record<string, string> = { rbl_code: "554", rbl_class: "Client host", rbl_what: "127.0.0.2", rbl_domain: "bl.test", rbl_reason: "" };
  const t = "$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked using $rbl_domain${rbl_reason?; $rbl_reason}";
  expect(expandTemplate(t, (n) => vars[n])).toBe("554 Service unavailable; Client host [127.0.0.2] blocked using bl.test");
  vars.rbl_reason = "see http://bl.test/?127.0.0.2";
  expect(expandTemplate(t, (n) => vars[n])).toBe("554 Service unavailable; Client host [127.0.0.2] blocked using bl.test; see http://bl.test/?127.0.0.2");
  expect(expandTemplate("${rbl_code", (n) => vars[n])).toBeUndefined();
  expect(expandTemplate("$nosuch x", (n) => vars[n])).toBeUndefined();
  expect(expandTemplate("${nosuch:none}$$", (n) => vars[n])).toBe("none$");
});
