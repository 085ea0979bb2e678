/**
 * valid_hostname_test — host name and address syntax against Debian's Postfix 3.7: every row was produced by
 * Postfix's own valid_hostname() (without and with DO_WILDCARD), valid_hostaddr() and valid_mailhost_literal()
 * with DO_GRIPE (libpostfix-util.so / libpostfix-global.so), for inputs that cover each rule: numeric names,
 * label and name length limits, misplaced dots and hyphens, IPv4 octets, IPv6 fields, `::` and IPv4 tails,
 * wildcards, 8-bit and NUL characters, literals. The expected text is the warning Postfix logged; its log shows
 * non-printable characters as `?`, so the comparison does too.
 * The driver that ran Postfix is testdata/postfix_oracle.c.
 */
import { test, expect, describe } from "bun:test";
import {
  hostAddressProblem,
  hostnameProblem,
  ipv4AddressProblem,
  ipv6AddressProblem,
  isValidHostAddress,
  isValidHostname,
  isValidMailhostLiteral,
  mailhostAddressProblem,
  mailhostLiteralProblem,
} from "./valid_hostname.ts";

const logged = (s: string | undefined) => (s === undefined ? undefined : s.replace(/[^\x20-\x7e]/g, "?"));

// input, valid_hostname(), valid_hostname(DO_WILDCARD), valid_hostaddr(): undefined = valid, else the warning
// prettier-ignore
const HOSTS: [string, string | undefined, string | undefined, string | undefined][] = [
  ["999999999999999999999999999999999999999999999999999999999999999", "valid_hostname: numeric hostname: 999999999999999999999999999999999999999999999999999999999999999", "valid_hostname: numeric hostname: 999999999999999999999999999999999999999999999999999999999999999", "valid_ipv4_hostaddr: invalid octet value: 999999999999999999999999999999999999999999999999999999999999999"],
  ["9999999999999999999999999999999999999999999999999999999999999999", "valid_hostname: hostname label too long: 9999999999999999999999999999999999999999999999999999999999999999", "valid_hostname: hostname label too long: 9999999999999999999999999999999999999999999999999999999999999999", "valid_ipv4_hostaddr: invalid octet value: 9999999999999999999999999999999999999999999999999999999999999999"],
  ["x.777777777777777777777777777777777777777777777777777777777777777.y", undefined, undefined, "valid_ipv4_hostaddr: invalid character 120(decimal): x.777777777777777777777777777777777777777777777777777777777777777.y"],
  ["x.7777777777777777777777777777777777777777777777777777777777777777.y", "valid_hostname: hostname label too long: x.7777777777777777777777777777777777777777777777777777777777777777.y", "valid_hostname: hostname label too long: x.7777777777777777777777777777777777777777777777777777777777777777.y", "valid_ipv4_hostaddr: invalid character 120(decimal): x.7777777777777777777777777777777777777777777777777777777777777777.y"],
  ["10.20.30.40", "valid_hostname: numeric hostname: 10.20.30.40", "valid_hostname: numeric hostname: 10.20.30.40", undefined],
  ["300.1.1.1", "valid_hostname: numeric hostname: 300.1.1.1", "valid_hostname: numeric hostname: 300.1.1.1", "valid_ipv4_hostaddr: invalid octet value: 300.1.1.1"],
  ["0.0.0.0", "valid_hostname: numeric hostname: 0.0.0.0", "valid_hostname: numeric hostname: 0.0.0.0", undefined],
  ["255.255.255.255", "valid_hostname: numeric hostname: 255.255.255.255", "valid_hostname: numeric hostname: 255.255.255.255", undefined],
  ["0.9.9.9", "valid_hostname: numeric hostname: 0.9.9.9", "valid_hostname: numeric hostname: 0.9.9.9", "valid_ipv4_hostaddr: bad initial octet value: 0.9.9.9"],
  ["9.9.9.300", "valid_hostname: numeric hostname: 9.9.9.300", "valid_hostname: numeric hostname: 9.9.9.300", "valid_ipv4_hostaddr: invalid octet value: 9.9.9.300"],
  ["9.9.9", "valid_hostname: numeric hostname: 9.9.9", "valid_hostname: numeric hostname: 9.9.9", "valid_ipv4_hostaddr: invalid octet count: 9.9.9"],
  ["9.9.9.9.9", "valid_hostname: numeric hostname: 9.9.9.9.9", "valid_hostname: numeric hostname: 9.9.9.9.9", "valid_ipv4_hostaddr: invalid octet count: 9.9.9.9.9"],
  ["9..9.9.9", "valid_hostname: misplaced delimiter: 9..9.9.9", "valid_hostname: misplaced delimiter: 9..9.9.9", "valid_ipv4_hostaddr: misplaced dot: 9..9.9.9"],
  [".9.9.9.9", "valid_hostname: misplaced delimiter: .9.9.9.9", "valid_hostname: misplaced delimiter: .9.9.9.9", "valid_ipv4_hostaddr: misplaced dot: .9.9.9.9"],
  ["9.9.9.9.", "valid_hostname: misplaced delimiter: 9.9.9.9.", "valid_hostname: misplaced delimiter: 9.9.9.9.", "valid_ipv4_hostaddr: misplaced dot: 9.9.9.9."],
  ["7", "valid_hostname: numeric hostname: 7", "valid_hostname: numeric hostname: 7", "valid_ipv4_hostaddr: invalid octet count: 7"],
  [".", "valid_hostname: misplaced delimiter: .", "valid_hostname: misplaced delimiter: .", "valid_ipv4_hostaddr: misplaced dot: ."],
  ["", "valid_hostname: empty hostname", "valid_hostname: empty hostname", "valid_hostaddr: empty address"],
  ["456", "valid_hostname: numeric hostname: 456", "valid_hostname: numeric hostname: 456", "valid_ipv4_hostaddr: invalid octet value: 456"],
  ["e", undefined, undefined, "valid_ipv4_hostaddr: invalid character 101(decimal): e"],
  ["e.9.9.9", undefined, undefined, "valid_ipv4_hostaddr: invalid character 101(decimal): e.9.9.9"],
  ["9e.9.9.9", undefined, undefined, "valid_ipv4_hostaddr: invalid character 101(decimal): 9e.9.9.9"],
  ["e9.9.9.9", undefined, undefined, "valid_ipv4_hostaddr: invalid character 101(decimal): e9.9.9.9"],
  ["9.9e.9.9", undefined, undefined, "valid_ipv4_hostaddr: invalid character 101(decimal): 9.9e.9.9"],
  ["9.e9.9.9", undefined, undefined, "valid_ipv4_hostaddr: invalid character 101(decimal): 9.e9.9.9"],
  ["9.9.9.9e", undefined, undefined, "valid_ipv4_hostaddr: invalid character 101(decimal): 9.9.9.9e"],
  ["9.9.9.e9", undefined, undefined, "valid_ipv4_hostaddr: invalid character 101(decimal): 9.9.9.e9"],
  ["9.9.9.e", undefined, undefined, "valid_ipv4_hostaddr: invalid character 101(decimal): 9.9.9.e"],
  ["-.x.y", "valid_hostname: misplaced hyphen: -.x.y", "valid_hostname: misplaced hyphen: -.x.y", "valid_ipv4_hostaddr: invalid character 45(decimal): -.x.y"],
  ["x.-.y", "valid_hostname: misplaced hyphen: x.-.y", "valid_hostname: misplaced hyphen: x.-.y", "valid_ipv4_hostaddr: invalid character 120(decimal): x.-.y"],
  ["x.y.-", "valid_hostname: misplaced hyphen: x.y.-", "valid_hostname: misplaced hyphen: x.y.-", "valid_ipv4_hostaddr: invalid character 120(decimal): x.y.-"],
  ["-xx.y.y", "valid_hostname: misplaced hyphen: -xx.y.y", "valid_hostname: misplaced hyphen: -xx.y.y", "valid_ipv4_hostaddr: invalid character 45(decimal): -xx.y.y"],
  ["xx-.y.y", "valid_hostname: misplaced hyphen: xx-.y.y", "valid_hostname: misplaced hyphen: xx-.y.y", "valid_ipv4_hostaddr: invalid character 120(decimal): xx-.y.y"],
  ["x.-yy.y", "valid_hostname: misplaced hyphen: x.-yy.y", "valid_hostname: misplaced hyphen: x.-yy.y", "valid_ipv4_hostaddr: invalid character 120(decimal): x.-yy.y"],
  ["x.yy-.y", "valid_hostname: misplaced hyphen: x.yy-.y", "valid_hostname: misplaced hyphen: x.yy-.y", "valid_ipv4_hostaddr: invalid character 120(decimal): x.yy-.y"],
  ["x.y.-yy", "valid_hostname: misplaced hyphen: x.y.-yy", "valid_hostname: misplaced hyphen: x.y.-yy", "valid_ipv4_hostaddr: invalid character 120(decimal): x.y.-yy"],
  ["x.y.yy-", "valid_hostname: misplaced hyphen: x.y.yy-", "valid_hostname: misplaced hyphen: x.y.yy-", "valid_ipv4_hostaddr: invalid character 120(decimal): x.y.yy-"],
  ["x-x.y-y", undefined, undefined, "valid_ipv4_hostaddr: invalid character 120(decimal): x-x.y-y"],
  [":", "valid_hostname: invalid character 58(decimal): :", "valid_hostname: invalid character 58(decimal): :", "valid_ipv6_hostaddr: too few `:' in IPv6 address: :"],
  ["::", "valid_hostname: invalid character 58(decimal): ::", "valid_hostname: invalid character 58(decimal): ::", undefined],
  [":::", "valid_hostname: invalid character 58(decimal): :::", "valid_hostname: invalid character 58(decimal): :::", "valid_ipv6_hostaddr: too many `::' in IPv6 address: :::"],
  ["b::", "valid_hostname: invalid character 58(decimal): b::", "valid_hostname: invalid character 58(decimal): b::", undefined],
  ["::b", "valid_hostname: invalid character 58(decimal): ::b", "valid_hostname: invalid character 58(decimal): ::b", undefined],
  ["::10.20.30.40", "valid_hostname: invalid character 58(decimal): ::10.20.30.40", "valid_hostname: invalid character 58(decimal): ::10.20.30.40", undefined],
  ["b:b:b:b:b:10.20.30.40", "valid_hostname: invalid character 58(decimal): b:b:b:b:b:10.20.30.40", "valid_hostname: invalid character 58(decimal): b:b:b:b:b:10.20.30.40", undefined],
  ["b:b:b:b:b:b:10.20.30.40", "valid_hostname: invalid character 58(decimal): b:b:b:b:b:b:10.20.30.40", "valid_hostname: invalid character 58(decimal): b:b:b:b:b:b:10.20.30.40", undefined],
  ["b:b:b:b:b:b:b:10.20.30.40", "valid_hostname: invalid character 58(decimal): b:b:b:b:b:b:b:10.20.30.40", "valid_hostname: invalid character 58(decimal): b:b:b:b:b:b:b:10.20.30.40", "valid_ipv6_hostaddr: malformed IPv4-in-IPv6 address: b:b:b:b:b:b:b:10.20.30.40"],
  ["b:b:b:b:b:b:10.20.30.", "valid_hostname: invalid character 58(decimal): b:b:b:b:b:b:10.20.30.", "valid_hostname: invalid character 58(decimal): b:b:b:b:b:b:10.20.30.", "valid_ipv4_hostaddr: misplaced dot: 10.20.30."],
  ["b:b:b:b:b:b:10.20.30", "valid_hostname: invalid character 58(decimal): b:b:b:b:b:b:10.20.30", "valid_hostname: invalid character 58(decimal): b:b:b:b:b:b:10.20.30", "valid_ipv4_hostaddr: invalid octet count: 10.20.30"],
  ["c:c:c:c:c:c:c:c", "valid_hostname: invalid character 58(decimal): c:c:c:c:c:c:c:c", "valid_hostname: invalid character 58(decimal): c:c:c:c:c:c:c:c", undefined],
  ["c:c:c:c:c:c:c:c:c", "valid_hostname: invalid character 58(decimal): c:c:c:c:c:c:c:c:c", "valid_hostname: invalid character 58(decimal): c:c:c:c:c:c:c:c:c", "valid_ipv6_hostaddr: too many `:' in IPv6 address: c:c:c:c:c:c:c:c:c"],
  ["h:c:c:c:c:c:c:c", "valid_hostname: invalid character 58(decimal): h:c:c:c:c:c:c:c", "valid_hostname: invalid character 58(decimal): h:c:c:c:c:c:c:c", "valid_ipv6_hostaddr: invalid character 104(decimal) in IPv6 address: h:c:c:c:c:c:c:c"],
  ["c::d", "valid_hostname: invalid character 58(decimal): c::d", "valid_hostname: invalid character 58(decimal): c::d", undefined],
  [":c::d", "valid_hostname: invalid character 58(decimal): :c::d", "valid_hostname: invalid character 58(decimal): :c::d", "valid_ipv6_hostaddr: bad null first field in IPv6 address: :c::d"],
  ["c::d:", "valid_hostname: invalid character 58(decimal): c::d:", "valid_hostname: invalid character 58(decimal): c::d:", "valid_ipv6_hostaddr: bad null last field in IPv6 address: c::d:"],
  ["c::d::e", "valid_hostname: invalid character 58(decimal): c::d::e", "valid_hostname: invalid character 58(decimal): c::d::e", "valid_ipv6_hostaddr: too many `::' in IPv6 address: c::d::e"],
  ["12345::1", "valid_hostname: invalid character 58(decimal): 12345::1", "valid_hostname: invalid character 58(decimal): 12345::1", "valid_ipv6_hostaddr: malformed IPv6 address: 12345::1"],
  ["fe80::1%eth0", "valid_hostname: invalid character 58(decimal): fe80::1%eth0", "valid_hostname: invalid character 58(decimal): fe80::1%eth0", "valid_ipv6_hostaddr: invalid character 37(decimal) in IPv6 address: fe80::1%eth0"],
  ["::ffff:10.20.30.40", "valid_hostname: invalid character 58(decimal): ::ffff:10.20.30.40", "valid_hostname: invalid character 58(decimal): ::ffff:10.20.30.40", undefined],
  ["2001:db8::", "valid_hostname: invalid character 58(decimal): 2001:db8::", "valid_hostname: invalid character 58(decimal): 2001:db8::", undefined],
  ["2001:db8:0:0:0:0:0:1", "valid_hostname: invalid character 58(decimal): 2001:db8:0:0:0:0:0:1", "valid_hostname: invalid character 58(decimal): 2001:db8:0:0:0:0:0:1", undefined],
  ["example.com", undefined, undefined, "valid_ipv4_hostaddr: invalid character 101(decimal): example.com"],
  ["a_b.example", undefined, undefined, "valid_ipv4_hostaddr: invalid character 97(decimal): a_b.example"],
  ["-a.b", "valid_hostname: misplaced hyphen: -a.b", "valid_hostname: misplaced hyphen: -a.b", "valid_ipv4_hostaddr: invalid character 45(decimal): -a.b"],
  ["a-.b", "valid_hostname: misplaced hyphen: a-.b", "valid_hostname: misplaced hyphen: a-.b", "valid_ipv4_hostaddr: invalid character 97(decimal): a-.b"],
  ["a..b", "valid_hostname: misplaced delimiter: a..b", "valid_hostname: misplaced delimiter: a..b", "valid_ipv4_hostaddr: invalid character 97(decimal): a..b"],
  ["a.b.", "valid_hostname: misplaced delimiter: a.b.", "valid_hostname: misplaced delimiter: a.b.", "valid_ipv4_hostaddr: invalid character 97(decimal): a.b."],
  [".a.b", "valid_hostname: misplaced delimiter: .a.b", "valid_hostname: misplaced delimiter: .a.b", "valid_ipv4_hostaddr: misplaced dot: .a.b"],
  ["*.example.com", "valid_hostname: invalid character 42(decimal): *.example.com", undefined, "valid_ipv4_hostaddr: invalid character 42(decimal): *.example.com"],
  ["*", "valid_hostname: invalid character 42(decimal): *", undefined, "valid_ipv4_hostaddr: invalid character 42(decimal): *"],
  ["*a.b", "valid_hostname: invalid character 42(decimal): *a.b", "valid_hostname: '*' can be the first label only: *a.b", "valid_ipv4_hostaddr: invalid character 42(decimal): *a.b"],
  ["a.*.b", "valid_hostname: invalid character 42(decimal): a.*.b", "valid_hostname: '*' can be the first label only: a.*.b", "valid_ipv4_hostaddr: invalid character 97(decimal): a.*.b"],
  ["**.b", "valid_hostname: invalid character 42(decimal): **.b", "valid_hostname: '*' can be the first label only: **.b", "valid_ipv4_hostaddr: invalid character 42(decimal): **.b"],
  ["a b", "valid_hostname: invalid character 32(decimal): a b", "valid_hostname: invalid character 32(decimal): a b", "valid_ipv4_hostaddr: invalid character 97(decimal): a b"],
  ["a\u0000b", undefined, undefined, "valid_ipv4_hostaddr: invalid character 97(decimal): a"],
  ["ex\u00e4mple.com", "valid_hostname: invalid character 228(decimal): ex?mple.com", "valid_hostname: invalid character 228(decimal): ex?mple.com", "valid_ipv4_hostaddr: invalid character 101(decimal): ex?mple.com"],
  ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", undefined, undefined, "valid_ipv4_hostaddr: invalid character 97(decimal): aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"],
  ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", "valid_hostname: hostname label too long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", "valid_hostname: hostname label too long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", "valid_ipv4_hostaddr: invalid character 97(decimal): aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"],
  ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", undefined, undefined, "valid_ipv4_hostaddr: invalid character 97(decimal): aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
  ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.ab", "valid_hostname: bad length 256 for aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...", "valid_hostname: bad length 256 for aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...", "valid_ipv4_hostaddr: invalid character 97(decimal): aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
  ["123", "valid_hostname: numeric hostname: 123", "valid_hostname: numeric hostname: 123", "valid_ipv4_hostaddr: invalid octet count: 123"],
  ["123.example", undefined, undefined, "valid_ipv4_hostaddr: invalid character 101(decimal): 123.example"],
  ["0x1.2", undefined, undefined, "valid_ipv4_hostaddr: invalid character 120(decimal): 0x1.2"],
  ["1.2.3.4", "valid_hostname: numeric hostname: 1.2.3.4", "valid_hostname: numeric hostname: 1.2.3.4", undefined],
  ["[1.2.3.4]", "valid_hostname: invalid character 91(decimal): [1.2.3.4]", "valid_hostname: invalid character 91(decimal): [1.2.3.4]", "valid_ipv4_hostaddr: invalid character 91(decimal): [1.2.3.4]"],
];

// input, valid_mailhost_literal()
// prettier-ignore
const LITERALS: [string, string | undefined][] = [
  ["[1.2.3.4]", undefined],
  ["[IPv6:::1]", undefined],
  ["[ipv6:::1]", undefined],
  ["[IPV6:fe80::1]", undefined],
  ["[::1]", "valid_ipv4_hostaddr: invalid character 58(decimal): ::1"],
  ["[1.2.3]", "valid_ipv4_hostaddr: invalid octet count: 1.2.3"],
  ["[1.2.3.4", "valid_mailhost_literal: ']' expected at end: [1.2.3.4"],
  ["1.2.3.4]", "valid_mailhost_literal: '[' expected at start: 1.2.3.4]"],
  ["[1.2.3.4]x", "valid_mailhost_literal: unexpected text after ']': [1.2.3.4]x"],
  ["[1.2.3.4]]", "valid_mailhost_literal: unexpected text after ']': [1.2.3.4]]"],
  ["[IPv6:1:2:3:4:5:6:1.2.3.4]", undefined],
  ["[IPv6:1234:1234:1234:1234:1234:1234:1234:1234]", undefined],
  ["[IPv6:1:1:1:1:1:1:1:1:1:]", "valid_ipv6_hostaddr: too many `:' in IPv6 address: 1:1:1:1:1:1:1:1:1:"],
  ["[]", "valid_ipv4_hostaddr: invalid octet count: "],
  ["[", "valid_mailhost_literal: ']' expected at end: ["],
  ["", "valid_mailhost_literal: '[' expected at start: "],
  [" [1.2.3.4]", "valid_mailhost_literal: '[' expected at start:  [1.2.3.4]"],
  ["[0.0.0.0]", undefined],
  ["[0.1.2.3]", "valid_ipv4_hostaddr: bad initial octet value: 0.1.2.3"],
  ["[IPv6:0000000000000000000000000000000000000000]", "valid_ipv6_hostaddr: malformed IPv6 address: 0000000000000000000000000000000000000000"],
  ["[256.1.1.1]", "valid_ipv4_hostaddr: invalid octet value: 256.1.1.1"],
  ["[example.com]", "valid_ipv4_hostaddr: invalid character 101(decimal): example.com"],
];

describe("hostnameProblem() and hostAddressProblem() match valid_hostname() and valid_hostaddr()", () => {
  for (const [input, name, wild, addr] of HOSTS) {
    test(JSON.stringify(input.length > 70 ? `${input.slice(0, 70)}...` : input), () => {
      expect(logged(hostnameProblem(input))).toBe(name);
      expect(logged(hostnameProblem(input, { wildcard: true }))).toBe(wild);
      expect(logged(hostAddressProblem(input))).toBe(addr);
      expect(isValidHostname(input)).toBe(name === undefined);
      expect(isValidHostAddress(input)).toBe(addr === undefined);
    });
  }
});

describe("mailhostLiteralProblem() matches valid_mailhost_literal()", () => {
  for (const [input, want] of LITERALS) {
    test(JSON.stringify(input), () => {
      expect(logged(mailhostLiteralProblem(input))).toBe(want);
      expect(isValidMailhostLiteral(input)).toBe(want === undefined);
    });
  }
});

test("mailhostAddressProblem() takes IPv6: in any case, and otherwise IPv4 only", () => {
  expect(mailhostAddressProblem("IPv6:::1")).toBeUndefined();
  expect(mailhostAddressProblem("iPV6:2001:db8::1")).toBeUndefined();
  expect(mailhostAddressProblem("::1")).toBe("valid_ipv4_hostaddr: invalid character 58(decimal): ::1");
  expect(mailhostAddressProblem("10.0.0.1")).toBeUndefined();
});

test("ipv4AddressProblem() and ipv6AddressProblem() can be called directly", () => {
  expect(ipv4AddressProblem("192.0.2.1")).toBeUndefined();
  expect(ipv4AddressProblem("")).toBe("valid_ipv4_hostaddr: invalid octet count: ");
  expect(ipv6AddressProblem("2001:db8::192.0.2.1")).toBeUndefined();
  expect(ipv6AddressProblem("")).toBe("valid_ipv6_hostaddr: too few `:' in IPv6 address: ");
});

test("hostAddressProblem() of empty text", () => {
  expect(hostAddressProblem("")).toBe("valid_hostaddr: empty address");
});

test("warnings show at most 100 characters of the input", () => {
  const long = `${"a".repeat(300)}.-b`;
  expect(hostnameProblem(long)).toBe(`valid_hostname: hostname label too long: ${"a".repeat(100)}`);
});

test("a character outside Latin-1 is reported by its first UTF-8 byte", () => {
  expect(hostnameProblem("a\u20acb")).toBe("valid_hostname: invalid character 226(decimal): a\u20acb");
});
