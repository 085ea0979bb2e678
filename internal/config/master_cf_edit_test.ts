import { test, expect } from "bun:test";
import { editMasterCf, editMasterParam, type MasterCfEdit } from "./master_cf_edit.ts";
import { parseMasterCf } from "./master_cf.ts";
import { ConfigError } from "./main_cf.ts";

const F = "/etc/postfix/master.cf";
const TEXT = [
  "# header",
  "smtp      inet  n       -       y       -       -       smtpd",
  "#smtp      inet  n       -       y       -       1       postscreen",
  "relay     unix  -       -       y       -       -       smtp",
  "        -o syslog_name=postfix/$service_name",
  "#       -o smtp_helo_timeout=5",
  "showq     unix  n       -       y       -       -       showq",
  "",
].join("\n");

function edit(target: MasterCfEdit["target"], mode: MasterCfEdit["mode"], args: string[], text = TEXT): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  return { text: editMasterCf(text, F, { target, mode, args }, (m) => warnings.push(m)), warnings };
}

const cases: [string, MasterCfEdit["target"], MasterCfEdit["mode"], string[], string][] = [
  [
    "-Fe rewrites the entry after the comment lines that follow it",
    "field", "set", ["smtp/inet/chroot=n"],
    "# header\n#smtp      inet  n       -       y       -       1       postscreen\nsmtp       inet  n       -       n       -       -       smtpd\nrelay     unix  -       -       y       -       -       smtp\n        -o syslog_name=postfix/$service_name\n#       -o smtp_helo_timeout=5\nshowq     unix  n       -       y       -       -       showq\n",
  ],
  [
    "-Pe adds -o on its own continuation line",
    "param", "set", ["relay/unix/smtp_helo_timeout=5"],
    "# header\nsmtp      inet  n       -       y       -       -       smtpd\n#smtp      inet  n       -       y       -       1       postscreen\n#       -o smtp_helo_timeout=5\nrelay      unix  -       -       y       -       -       smtp\n    -o syslog_name=postfix/$service_name\n    -o smtp_helo_timeout=5\nshowq     unix  n       -       y       -       -       showq\n",
  ],
  [
    "-PX removes a -o setting",
    "param", "delete", ["relay/unix/syslog_name"],
    "# header\nsmtp      inet  n       -       y       -       -       smtpd\n#smtp      inet  n       -       y       -       1       postscreen\n#       -o smtp_helo_timeout=5\nrelay      unix  -       -       y       -       -       smtp\nshowq     unix  n       -       y       -       -       showq\n",
  ],
  [
    "-M# comments out the entry and its continuation lines, not its comments",
    "entry", "comment", ["relay/unix"],
    "# header\nsmtp      inet  n       -       y       -       -       smtpd\n#smtp      inet  n       -       y       -       1       postscreen\n#relay     unix  -       -       y       -       -       smtp\n#        -o syslog_name=postfix/$service_name\n#       -o smtp_helo_timeout=5\nshowq     unix  n       -       y       -       -       showq\n",
  ],
  [
    "-MX with a wild-card type removes every unix service",
    "entry", "delete", ["*/unix"],
    "# header\nsmtp      inet  n       -       y       -       -       smtpd\n#smtp      inet  n       -       y       -       1       postscreen\n#       -o smtp_helo_timeout=5\n",
  ],
  [
    "-Me replaces an entry found by the new entry's own name and type",
    "entry", "set", ["other/inet=smtp inet n - n - 10 smtpd -o a=b"],
    TEXT.replace("smtp      inet  n       -       y       -       -       smtpd\n", "smtp       inet  n       -       n       -       10      smtpd\n    -o a=b\n"),
  ],
  [
    "-Me appends a new entry, folding long argument lists",
    "entry", "set", ["foo/unix=foo unix - n n - - pipe flags=R user=x argv=/bin/cat -o a=b"],
    `${TEXT}foo        unix  -       n       n       -       -       pipe flags=R user=x\n    argv=/bin/cat -o a=b\n`,
  ],
];

for (const [label, target, mode, args, want] of cases) {
  test(`editMasterCf(): ${label}`, () => {
    const r = edit(target, mode, args);
    expect(r.text).toBe(want);
    expect(r.warnings).toEqual([]);
  });
}

test("editMasterCf() warns about -F and -P requests that match no service", () => {
  expect(edit("field", "set", ["nosuch/unix/chroot=n"])).toEqual({ text: TEXT, warnings: ['unmatched service_name/type: "nosuch/unix/chroot=n"'] });
  expect(edit("entry", "delete", ["nosuch/unix"])).toEqual({ text: TEXT, warnings: [] });
});

test("editMasterCf() keeps a last line without newline unless text follows it", () => {
  const t = "a unix - - y - - smtp\n# end";
  expect(edit("entry", "comment", ["a/unix"], t).text).toBe("#a unix - - y - - smtp\n# end");
  expect(edit("entry", "set", ["b/unix=b unix - - n - - x"], t).text).toBe(
    "a unix - - y - - smtp\n# end\nb          unix  -       -       n       -       -       x\n",
  );
});

const errors: [string, MasterCfEdit["target"], MasterCfEdit["mode"], string[], string][] = [
  ["entry pattern without type", "entry", "delete", ["smtp"], "-Me, -MX or -M# requires service_name/type"],
  ["entry pattern starting with /", "entry", "delete", ["/inet"], "-Me, -MX or -M# requires service_name/type"],
  ["field pattern too short", "field", "set", ["smtp=n"], "-Fe or -FX requires service_name/type/field_name"],
  ["unknown field name", "field", "set", ["smtp/inet/bogus=n"], 'invalid service attribute name: "bogus"'],
  ["wild-card field", "field", "set", ["smtp/inet/*=n"], "-Fe does not accept wild-card field name"],
  ["whitespace in a field", "field", "set", ["smtp/inet/chroot=n y"], "-Fe does not accept whitespace in non-command field"],
  ["bad field value", "field", "set", ["smtp/inet/wakeup=1x"], 'invalid wakeup field "1x" in "1x"'],
  ["param pattern too short", "param", "delete", ["relay/unix"], "-Pe or -PX requires service_name/type/parameter"],
  ["wild-card parameter", "param", "set", ["relay/unix/*=1"], "-Pe does not accept wild-card parameter name"],
  ["whitespace in a parameter value", "param", "set", ["relay/unix/a=b c"], "-Pe does not accept whitespace in parameter value"],
  ["name with value for -X", "entry", "delete", ["a/b", "c/d=e"], "-X or -# requires names without value"],
  ["multi-line input", "entry", "set", ["a/unix=a\nunix"], "-Me, -Fe, -Pe, -X, or -# accept no multi-line input"],
  ["comment input", "entry", "delete", [" #a/unix"], "-Me, -Fe, -Pe, -X, or -# accept no comment input"],
  ["short new entry", "entry", "set", ["a/unix=a unix -"], 'bad field count: "a/unix=a unix -"'],
  ["bad new entry", "entry", "set", ["a/unix=a bogus - - - - - x"], 'invalid type field "bogus" in "a bogus - - - - - x"'],
];

for (const [label, target, mode, args, message] of errors) {
  test(`editMasterCf() rejects ${label}`, () => {
    expect(() => edit(target, mode, args)).toThrow(new ConfigError(message));
  });
}

test("editMasterCf() reports a bad master.cf line with file and line number", () => {
  expect(() => edit("entry", "delete", ["x/unix"], "ok unix - - y - - x\na=b unix - - y - - smtp\n")).toThrow(
    `file ${F}: line 2: service name syntax "a=b" is unsupported with -Me, -Fe, -Pe, -X, or -#`,
  );
  expect(() => edit("field", "set", ["a/unix/chroot=n"], "a unix - - y\n")).toThrow(`file ${F}: line 1: bad field count`);
});

test("editMasterParam() replaces every -o of the name and adds a new one after the daemon options", () => {
  const [e] = parseMasterCf("x unix - n n - - pipe -v -o a=1 -o b=2 -o a=3 flags=R argv=/bin/cat\n", F, () => {});
  editMasterParam(e!, "a", "9");
  editMasterParam(e!, "c", "4");
  expect(e!.args).toEqual(["-v", "-o", "a=9", "-o", "b=2", "-o", "a=9", "-o", "c=4", "flags=R", "argv=/bin/cat"]);
  editMasterParam(e!, "a", undefined);
  expect(e!.args).toEqual(["-v", "-o", "b=2", "-o", "c=4", "flags=R", "argv=/bin/cat"]);
});
