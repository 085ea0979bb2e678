import { test, expect } from "bun:test";
import { formatMasterEntry, parseMasterCf, serviceOverrides } from "./master_cf.ts";
import { ConfigError } from "./main_cf.ts";

const F = "/etc/postfix/master.cf";

test("parseMasterCf() reads services, -o overrides and braced arguments", () => {
  const text = [
    "smtp      inet  n       -       y       -       -       smtpd",
    "submission inet n       -       y       -       -       smtpd",
    "  -o syslog_name=postfix/submission",
    "  -o { smtpd_client_restrictions = permit_mynetworks, reject }",
    "# comment",
    "postlog   unix-dgram n  -       n       -       1       postlogd",
    "x unix - n n - - pipe flags=R argv=/bin/prog { a b }",
  ].join("\n");
  const m = parseMasterCf(text, F, () => {});
  expect(m.map((e) => `${e.service}/${e.type}`)).toEqual(["smtp/inet", "submission/inet", "postlog/unix-dgram", "x/unix"]);
  expect([...serviceOverrides(m[1]!)]).toEqual([
    ["syslog_name", "postfix/submission"],
    ["smtpd_client_restrictions", "permit_mynetworks, reject"],
  ]);
  expect(m[3]!.args).toEqual(["flags=R", "argv=/bin/prog", "a b"]);
});

test("formatMasterEntry() puts fields at Postfix's columns", () => {
  const m = parseMasterCf(
    "smtp inet n - y - - smtpd\npostlog unix-dgram n - n - 1 postlogd\nscalemail-backend unix - n n - 2 pipe flags=R\n",
    F,
    () => {},
  );
  expect(formatMasterEntry(m[0]!, false)).toBe("smtp       inet  n       -       y       -       -       smtpd\n");
  expect(formatMasterEntry(m[1]!, false)).toBe("postlog    unix-dgram n  -       n       -       1       postlogd\n");
  expect(formatMasterEntry(m[2]!, false)).toBe("scalemail-backend unix - n       n       -       2       pipe flags=R\n");
});

test("formatMasterEntry() folds -o options onto continuation lines with -f", () => {
  const m = parseMasterCf("relay unix - - y - - smtp -o syslog_name=postfix/$service_name\n", F, () => {});
  expect(formatMasterEntry(m[0]!, true)).toBe("relay      unix  -       -       y       -       -       smtp\n    -o syslog_name=postfix/$service_name\n");
  expect(formatMasterEntry(m[0]!, false)).toBe("relay      unix  -       -       y       -       -       smtp -o syslog_name=postfix/$service_name\n");
});

const bad: [string, string, string][] = [
  ["too few fields", "smtp inet n - y -\n", `file ${F}: line 1: bad field count`],
  ["bad type", "smtp tcp n - y - - smtpd\n", `invalid type field "tcp" in "smtp tcp n - y - - smtpd"`],
  ["bad private", "smtp inet x - y - - smtpd\n", `invalid private field "x"`],
  ["bad wakeup", "pickup unix n - y x 1 pickup\n", `invalid wakeup field "x"`],
  ["bad maxproc", "pickup unix n - y 60 z pickup\n", `invalid process_limit field "z"`],
];
for (const [label, text, msg] of bad) {
  test(`parseMasterCf() rejects ${label}`, () => {
    expect(() => parseMasterCf(text, F, () => {})).toThrow(ConfigError);
    expect(() => parseMasterCf(text, F, () => {})).toThrow(msg);
  });
}

test("formatMasterEntry() shows the first non-option argument without braces, as Postfix does", () => {
  const m = parseMasterCf("a unix - - y - - pipe {x y} {z w} -o {a = b c}\n", F, () => {});
  expect(formatMasterEntry(m[0]!, false)).toBe("a          unix  -       -       y       -       -       pipe x y {z w} -o {a = b c}\n");
});
