/**
 * valid_address_test — the smtpd address and HELO checks (reject_non_fqdn_*, reject_invalid_helo_hostname) and
 * the RFC 5321 length limits.
 */
import { test, expect, describe } from "bun:test";
import {
  addressDomain,
  addressLengthProblem,
  dropTrailingDot,
  isFullyQualifiedAddress,
  isFullyQualifiedHostname,
  isValidHeloName,
  isValidUtf8Hostname,
} from "./valid_address.ts";

describe("isFullyQualifiedAddress()", () => {
  const cases: [string, boolean, string?][] = [
    ["user@example.com", true],
    ["user@example.com.", true, "one trailing dot is dropped"],
    ["user@example.com..", false, "two are not"],
    ["user@localhost", false, "no dot"],
    ["user", false, "no domain"],
    ["user@", false, "empty domain"],
    ["user@[1.2.3.4]", true, "address literal"],
    ["user@[garbage]", true, "any bracketed domain passes (Postfix checks literals elsewhere)"],
    ["a@b@example.org", true, "last @ separates the domain"],
    ["user@-bad.example", false, "invalid host name"],
    ["user@exa_mple.com", true, "underscore is allowed"],
    ["user@1.2.3.4", false, "numeric name"],
    ["user@b\u00fccher.example", false, "non-ASCII without SMTPUTF8"],
    ["user@.", false],
    ["", false],
  ];
  for (const [addr, want, why] of cases) {
    test(`${JSON.stringify(addr)}${why ? ` (${why})` : ""}`, () => {
      expect(isFullyQualifiedAddress(addr)).toBe(want);
    });
  }

  test("accepts an IDN domain with SMTPUTF8", () => {
    expect(isFullyQualifiedAddress("user@b\u00fccher.example", { utf8: true })).toBe(true);
    expect(isFullyQualifiedAddress("user@b\u00fccher", { utf8: true })).toBe(false);
    expect(isFullyQualifiedAddress("user@b\u00fc cher.example", { utf8: true })).toBe(false);
  });
});

describe("isFullyQualifiedHostname()", () => {
  const cases: [string, boolean][] = [
    ["mail.example.com", true],
    ["mail.example.com.", true],
    ["mail", false],
    ["mail.", false],
    ["", false],
    ["[1.2.3.4]", false],
    ["-x.example", false],
  ];
  for (const [name, want] of cases) {
    test(JSON.stringify(name), () => {
      expect(isFullyQualifiedHostname(name)).toBe(want);
    });
  }
});

describe("isValidHeloName()", () => {
  const cases: [string, boolean, string?][] = [
    ["mail.example.com", true],
    ["localhost", true, "single label"],
    ["mail.example.com.", true, "trailing dot dropped"],
    ["1.2.3.4", true, "bare IPv4 address (back compat)"],
    ["::1", true, "bare IPv6 address"],
    ["[1.2.3.4]", true],
    ["[IPv6:::1]", true],
    ["[::1]", false, "IPv6 literal needs the IPv6: tag"],
    ["[1.2.3.999]", false],
    ["[1.2.3.4", false, "unbalanced: checked as an address"],
    ["bad_host!", false],
    ["", false],
  ];
  for (const [name, want, why] of cases) {
    test(`${JSON.stringify(name)}${why ? ` (${why})` : ""}`, () => {
      expect(isValidHeloName(name)).toBe(want);
    });
  }
});

test("dropTrailingDot() drops one dot but not from .. or a lone dot", () => {
  expect(dropTrailingDot("a.b.")).toBe("a.b");
  expect(dropTrailingDot("a.b..")).toBe("a.b..");
  expect(dropTrailingDot(".")).toBe(".");
  expect(dropTrailingDot("")).toBe("");
});

test("addressDomain() is what follows the last @", () => {
  expect(addressDomain("a@b@c")).toBe("c");
  expect(addressDomain("a")).toBe("");
  expect(addressDomain("a@")).toBe("");
});

test("isValidUtf8Hostname() rejects empty names and non-ASCII without SMTPUTF8", () => {
  expect(isValidUtf8Hostname("", true)).toBe(false);
  expect(isValidUtf8Hostname("\u00e9x.org", false)).toBe(false);
  expect(isValidUtf8Hostname("\u00e9x.org", true)).toBe(true);
});

describe("addressLengthProblem()", () => {
  const cases: [string, string, string | undefined][] = [
    ["a normal address", "user@example.com", undefined],
    ["a 64-octet local part", `${"a".repeat(64)}@x`, undefined],
    ["a 65-octet local part", `${"a".repeat(65)}@x`, "local part longer than 64 octets"],
    ["a local part of 64 characters but more octets", `${"\u00e9".repeat(33)}@x`, "local part longer than 64 octets"],
    ["a 256-octet domain", `a@${"b".repeat(256)}`, "domain longer than 255 octets"],
    ["a 254-octet address", `${"a".repeat(64)}@${"b".repeat(189)}`, undefined],
    ["a 255-octet address", `${"a".repeat(64)}@${"b".repeat(190)}`, "address longer than 254 octets"],
    ["empty", "", undefined],
  ];
  for (const [label, addr, want] of cases) {
    test(label, () => {
      expect(addressLengthProblem(addr)).toBe(want);
    });
  }
});
