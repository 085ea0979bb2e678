/** appendReplyFooter(): the reply shapes checked side by side against Postfix 3.7's smtpd. */
import { test, expect } from "bun:test";
import { setMsgStderr } from "../log/msg.ts";
import { appendReplyFooter, dsnLength, unescapeFilter } from "./reply_footer.ts";

setMsgStderr(false);
const macros: Record<string, string> = { client_address: "127.0.0.1", helo_name: "foo.test", server_name: "mx.example.test", sender: "a b@x" };
const look = (n: string) => macros[n];

const cases: [string, string, string, string][] = [
  ["a plain footer line repeats code and DSN", "554 5.7.1 <x@r.test>: Relay access denied", "Contact $server_name", "554-5.7.1 <x@r.test>: Relay access denied\r\n554 5.7.1 Contact mx.example.test"],
  ["\\c appends to the same line, \\n adds one", "450 4.7.1 Error: too many recipients from 127.0.0.1", "\\c <$client_address> [$helo_name]\\nSecond line $server_name", "450-4.7.1 Error: too many recipients from 127.0.0.1 <127.0.0.1> [foo.test]\r\n450 4.7.1 Second line mx.example.test"],
  ["a reply without a DSN gets none", "503 Error: MAIL transaction in progress", "a\\nb", "503-Error: MAIL transaction in progress\r\n503-a\r\n503 b"],
  ["\\c alone keeps one line", "500 5.5.2 Error: command not recognized", "\\c!", "500 5.5.2 Error: command not recognized!"],
  ["an unknown macro expands to nothing", "500 5.5.2 Error: command not recognized", "Bad $nosuch", "500-5.5.2 Error: command not recognized\r\n500 5.5.2 Bad "],
  ["a malformed template leaves the reply alone", "500 5.5.2 Error", "x ${server_name", "500 5.5.2 Error"],
  ["a multi-line reply: the last line's code", "550-5.7.1 one\r\n550 5.7.1 two", "f", "550-5.7.1 one\r\n550-5.7.1 two\r\n550 5.7.1 f"],
];
for (const [label, reply, tpl, want] of cases) {
  test(`appendReplyFooter(): ${label}`, () => {
    expect(appendReplyFooter(reply, tpl, look)).toBe(want);
  });
}

test("appendReplyFooter(): characters outside smtpd_expansion_filter become _", () => {
  expect(appendReplyFooter("550 5.1.1 no", "$sender", look, "abx@")).toBe("550-5.1.1 no\r\n550 5.1.1 a_b@x");
});

test("dsnLength() and unescapeFilter()", () => {
  expect(dsnLength("4.7.1 Error")).toBe(5);
  expect(dsnLength("Error: x")).toBe(0);
  expect(dsnLength("4.7.1x")).toBe(0);
  expect(unescapeFilter("\\t\\40!\\\\a")).toBe("\t !\\a");
});
