/**
 * fold_address_test — case handling: domains and lookup keys fold A-Z only; local parts keep their case.
 */
import { test, expect } from "bun:test";
import { asciiLowercase, foldAddress, lowercaseDomain } from "./fold_address.ts";

const cases: [string, string, string][] = [
  // input, lowercaseDomain(), foldAddress()
  ["John.Smith@Example.COM", "John.Smith@example.com", "john.smith@example.com"],
  ["\"A@B\"@C.D", "\"A@B\"@c.d", "\"a@b\"@c.d"],
  ["A@B@C", "A@B@c", "a@b@c"],
  ["NoDomain", "NoDomain", "nodomain"],
  ["X@", "X@", "x@"],
  ["", "", ""],
  ["\u00c9mile@\u00c9COLE.FR", "\u00c9mile@\u00c9cole.fr", "\u00c9mile@\u00c9cole.fr"],
  ["U@STRASSE.\u00dfE", "U@strasse.\u00dfe", "u@strasse.\u00dfe"],
];

for (const [input, domainFolded, folded] of cases) {
  test(`lowercaseDomain() and foldAddress() of ${JSON.stringify(input)}`, () => {
    expect(lowercaseDomain(input)).toBe(domainFolded);
    expect(foldAddress(input)).toBe(folded);
  });
}

test("asciiLowercase() changes only A-Z", () => {
  expect(asciiLowercase("AZaz09@.\u00c0\u0130")).toBe("azaz09@.\u00c0\u0130");
});
