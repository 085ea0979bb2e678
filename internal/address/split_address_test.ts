/**
 * split_address_test — address extensions against Debian's Postfix 3.7: the STRIP and SPLIT rows were produced by
 * Postfix's own strip_addr_internal() and split_addr_internal() (libpostfix-global.so, double_bounce_sender =
 * double-bounce, owner_request_special = yes unless noted) for each input and delimiter set.
 * The driver that ran Postfix is testdata/postfix_oracle.c.
 */
import { test, expect, describe } from "bun:test";
import { splitAddress, splitLocalPart, stripAddressExtension } from "./split_address.ts";

const DELIMITERS = ["+", "-", "+-", "-+", "", "x"];

// address, then strip_addr's [stripped, extension] or null for each delimiter set
// prettier-ignore
const STRIP: [string, ...([string, string] | null)[]][] = [
  ["foo", null, null, null, null, null, null],
  ["foo@bar", null, null, null, null, null, null],
  ["foo-ext", null, ["foo", "-ext"], ["foo", "-ext"], ["foo", "-ext"], null, ["foo-e", "xt"]],
  ["foo-ext@bar", null, ["foo@bar", "-ext"], ["foo@bar", "-ext"], ["foo@bar", "-ext"], null, ["foo-e@bar", "xt"]],
  ["foo+ext@bar", ["foo@bar", "+ext"], null, ["foo@bar", "+ext"], ["foo@bar", "+ext"], null, ["foo+e@bar", "xt"]],
  ["foo bar+ext", ["foo bar", "+ext"], null, ["foo bar", "+ext"], ["foo bar", "+ext"], null, ["foo bar+e", "xt"]],
  ["foo+", ["foo", "+"], null, ["foo", "+"], ["foo", "+"], null, null],
  ["foo+@bar", ["foo@bar", "+"], null, ["foo@bar", "+"], ["foo@bar", "+"], null, null],
  ["+foo", null, null, null, null, null, null],
  ["+foo@bar", null, null, null, null, null, null],
  ["-foo", null, null, null, null, null, null],
  ["a-b+c@d", ["a-b@d", "+c"], ["a@d", "-b+c"], ["a@d", "-b+c"], ["a@d", "-b+c"], null, null],
  ["a+b-c@d", ["a@d", "+b-c"], ["a+b@d", "-c"], ["a@d", "+b-c"], ["a@d", "+b-c"], null, null],
  ["owner-list", null, null, null, null, null, null],
  ["owner-list+x@y", ["owner-list@y", "+x"], null, null, null, null, ["owner-list+@y", "x"]],
  ["Owner-List", null, null, null, null, null, null],
  ["list-request", null, null, null, null, null, null],
  ["list-request+x@y", ["list-request@y", "+x"], ["list@y", "-request+x"], ["list@y", "-request+x"], ["list@y", "-request+x"], null, ["list-request+@y", "x"]],
  ["LIST-REQUEST", null, null, null, null, null, null],
  ["-request", null, null, null, null, null, null],
  ["x-request", null, null, null, null, null, null],
  ["postmaster+x", ["postmaster", "+x"], null, ["postmaster", "+x"], ["postmaster", "+x"], null, ["postmaster+", "x"]],
  ["PostMaster", null, null, null, null, null, null],
  ["mailer-daemon+x", ["mailer-daemon", "+x"], ["mailer", "-daemon+x"], ["mailer", "-daemon+x"], ["mailer", "-daemon+x"], null, ["mailer-daemon+", "x"]],
  ["MAILER-DAEMON", null, null, null, null, null, null],
  ["double-bounce", null, null, null, null, null, null],
  ["double-bounce+x", ["double-bounce", "+x"], ["double", "-bounce+x"], ["double", "-bounce+x"], ["double", "-bounce+x"], null, ["double-bounce+", "x"]],
  ["a@b+c", null, null, null, null, null, null],
  ["a+b@c+d", ["a@c+d", "+b"], null, ["a@c+d", "+b"], ["a@c+d", "+b"], null, null],
  ["a@b@c+d@e", ["a@b@c@e", "+d"], null, ["a@b@c@e", "+d"], ["a@b@c@e", "+d"], null, null],
  ["a\u0000+b@c", null, null, null, null, null, null],
  ["", null, null, null, null, null, null],
];

// local part, then split_addr's [user, extension] or null for each delimiter set, then for "-" with
// owner_request_special = no
// prettier-ignore
const SPLIT: [string, ...([string, string] | null)[]][] = [
  ["foo", null, null, null, null, null, null, null],
  ["foo-ext", null, ["foo", "ext"], ["foo", "ext"], ["foo", "ext"], null, ["foo-e", "t"], ["foo", "ext"]],
  ["foo bar+ext", ["foo bar", "ext"], null, ["foo bar", "ext"], ["foo bar", "ext"], null, ["foo bar+e", "t"], null],
  ["foo+", ["foo", ""], null, ["foo", ""], ["foo", ""], null, null, null],
  ["+foo", null, null, null, null, null, null, null],
  ["-foo", null, null, null, null, null, null, null],
  ["owner-list", null, null, null, null, null, null, ["owner", "list"]],
  ["Owner-List", null, null, null, null, null, null, ["Owner", "List"]],
  ["list-request", null, null, null, null, null, null, ["list", "request"]],
  ["LIST-REQUEST", null, null, null, null, null, null, ["LIST", "REQUEST"]],
  ["-request", null, null, null, null, null, null, null],
  ["x-request", null, null, null, null, null, null, ["x", "request"]],
  ["postmaster+x", ["postmaster", "x"], null, ["postmaster", "x"], ["postmaster", "x"], null, ["postmaster+", ""], null],
  ["PostMaster", null, null, null, null, null, null, null],
  ["mailer-daemon+x", ["mailer-daemon", "x"], ["mailer", "daemon+x"], ["mailer", "daemon+x"], ["mailer", "daemon+x"], null, ["mailer-daemon+", ""], ["mailer", "daemon+x"]],
  ["MAILER-DAEMON", null, null, null, null, null, null, null],
  ["double-bounce", null, null, null, null, null, null, null],
  ["double-bounce+x", ["double-bounce", "x"], ["double", "bounce+x"], ["double", "bounce+x"], ["double", "bounce+x"], null, ["double-bounce+", ""], ["double", "bounce+x"]],
  ["", null, null, null, null, null, null, null],
];

describe("stripAddressExtension() matches strip_addr_internal()", () => {
  for (const [address, ...want] of STRIP) {
    DELIMITERS.forEach((d, i) => {
      test(`${JSON.stringify(address)} with ${JSON.stringify(d)}`, () => {
        const r = stripAddressExtension(address, d);
        expect(r === undefined ? null : [r.address, r.extension]).toEqual(want[i]!);
      });
    });
  }
});

describe("splitLocalPart() matches split_addr_internal()", () => {
  for (const [local, ...want] of SPLIT) {
    DELIMITERS.forEach((d, i) => {
      test(`${JSON.stringify(local)} with ${JSON.stringify(d)}`, () => {
        const r = splitLocalPart(local, d);
        expect(r === undefined ? null : [r[0], r[2]]).toEqual(want[i]!);
      });
    });
    test(`${JSON.stringify(local)} with "-" and owner_request_special = no`, () => {
      const r = splitLocalPart(local, "-", { ownerRequestSpecial: false });
      expect(r === undefined ? null : [r[0], r[2]]).toEqual(want[6]!);
    });
  }
});

describe("splitAddress()", () => {
  const cases: [string, string, string, ReturnType<typeof splitAddress>][] = [
    ["splits at the first delimiter of the set", "a-b+c@d", "+-", { user: "a", delimiter: "-", extension: "b+c", domain: "d" }],
    ["uses only the last @ for the domain", "a@b+x@c", "+", { user: "a@b", delimiter: "+", extension: "x", domain: "c" }],
    ["keeps an empty extension", "user+@x", "+", { user: "user", delimiter: "+", extension: "", domain: "x" }],
    ["has no domain without @", "user+ext", "+", { user: "user", delimiter: "+", extension: "ext", domain: undefined }],
    ["has an empty domain after a trailing @", "user+ext@", "+", { user: "user", delimiter: "+", extension: "ext", domain: "" }],
    ["does not split without delimiters", "user+ext@x", "", { user: "user+ext", delimiter: "", extension: undefined, domain: "x" }],
    ["does not split postmaster (any case)", "PostMaster@y", "s", { user: "PostMaster", delimiter: "", extension: undefined, domain: "y" }],
    ["does not split mailer-daemon", "MAILER-DAEMON@y", "-", { user: "MAILER-DAEMON", delimiter: "", extension: undefined, domain: "y" }],
    ["splits postmaster with an extension", "postmaster+x@y", "+", { user: "postmaster", delimiter: "+", extension: "x", domain: "y" }],
    ["does not split owner- with - in the set", "owner-list+x@y", "+-", { user: "owner-list+x", delimiter: "", extension: undefined, domain: "y" }],
    ["does not give an empty user", "+ext@x", "+", { user: "+ext", delimiter: "", extension: undefined, domain: "x" }],
    ["keeps case", "User+Ext@Example.COM", "+", { user: "User", delimiter: "+", extension: "Ext", domain: "Example.COM" }],
    ["ends at a NUL", "a+b\u0000c@d", "+", { user: "a", delimiter: "+", extension: "b", domain: undefined }],
    ["handles empty input", "", "+", { user: "", delimiter: "", extension: undefined, domain: undefined }],
  ];
  for (const [label, address, d, want] of cases) {
    test(label, () => {
      expect(splitAddress(address, d)).toEqual(want);
    });
  }

  test("does not split $double_bounce_sender, whatever it is set to", () => {
    expect(splitLocalPart("bounces-x", "-", { doubleBounceSender: "BOUNCES-X" })).toBeUndefined();
    expect(splitLocalPart("double-bounce", "-", { doubleBounceSender: "bounces" })).toEqual(["double", "-", "bounce"]);
  });

  test("is fast on a long address", () => {
    const long = `${"a".repeat(200000)}+x@y`;
    const t0 = performance.now();
    expect(splitAddress(long, "+").extension).toBe("x");
    expect(performance.now() - t0).toBeLessThan(500);
  });
});
