import { test, expect } from "bun:test";
import { tokenizeCommand, extractAddress, xtextDecode, resolvableAddress } from "./smtpd_token.ts";

const words = (l: string) => tokenizeCommand(l).map((w) => (w.error ? `!${w.text}` : w.text));

test("tokenizeCommand() splits like Postfix's smtpd_token(): FROM:/TO: end a word, <…> and \"…\" are one word", () => {
  const cases: [string, string[]][] = [
    ["MAIL FROM:<a@b>", ["MAIL", "FROM:", "<a@b>"]],
    ["MAIL FROM: <a@b> SIZE=10", ["MAIL", "FROM:", "<a@b>", "SIZE=10"]],
    ["mail from:<a b@c>", ["mail", "from:", "<a b@c>"]],
    ['RCPT TO:<"x y"@z>', ["RCPT", "TO:", '<"x y"@z>']],
    ["RCPT TO:<a@b", ["RCPT", "TO:", "!<a@b"]],
    ["  NOOP   ", ["NOOP"]],
    ["", []],
    ["HELO a:b", ["HELO", "a:b"]],
  ];
  for (const [line, want] of cases) expect(words(line)).toEqual(want);
});

test("extractAddress() takes the address out of <…>, drops source routes, refuses what Postfix refuses", () => {
  const o = { allowEmpty: true, strictRfc821: false, smtputf8: false };
  expect(extractAddress("<a@example.test>", o)).toBe("a@example.test");
  expect(extractAddress("<>", o)).toBe("");
  expect(extractAddress("<>", { ...o, allowEmpty: false })).toBeUndefined();
  expect(extractAddress("<@relay.test:a@example.test>", o)).toBe("a@example.test");
  expect(extractAddress('<"joe smith"@example.test>', o)).toBe("joe smith@example.test");
  expect(extractAddress("a@example.test", o)).toBe("a@example.test");
  expect(extractAddress("a@example.test", { ...o, strictRfc821: true })).toBeUndefined();
  expect(extractAddress("<a@b@c, d@e>", o)).toBeUndefined();
  expect(extractAddress("<a@bad_domain!>", o)).toBeUndefined();
  expect(extractAddress("<a@[127.0.0.1]>", o)).toBe("a@[127.0.0.1]");
  expect(extractAddress("<a@[999.0.0.1]>", o)).toBeUndefined();
});

test("resolvableAddress() wants a host name or an address literal after the @", () => {
  expect(resolvableAddress("postmaster", false)).toBe(true);
  expect(resolvableAddress("a@example.test.", false)).toBe(true);
  expect(resolvableAddress("a@", false)).toBe(false);
  expect(resolvableAddress("a@exämple.test", false)).toBe(false);
  expect(resolvableAddress("a@exämple.test", true)).toBe(true);
});

test("xtextDecode() reads +XX escapes and refuses bad ones", () => {
  expect(xtextDecode("a+2Bb")).toBe("a+b");
  expect(xtextDecode("rfc822+3Ba@b")).toBe("rfc822;a@b");
  expect(xtextDecode("a+2")).toBeUndefined();
  expect(xtextDecode("a=b")).toBeUndefined();
});
