/**
 * postconf master.cf editing end-to-end: each -Me/-MX/-M#, -Fe, -Pe/-PX form run by the compiled binary on a
 * scratch copy of testdata/postconf/master-edit.cf, compared with its golden file (stdout, stderr, exit status and
 * the resulting master.cf), and side by side with Debian's /usr/sbin/postconf on an identical copy.
 */
import { test, expect, afterAll } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { expectGolden, haveProgram, runTool, TESTDATA, type ToolRun } from "./_testkit.ts";

const real = "/usr/sbin/postconf";
const FIXTURE = join(TESTDATA, "postconf", "master-edit.cf");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh configuration directory holding the fixture (or `masterCf`) and an empty main.cf. */
function scratch(masterCf?: string): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), "postconf-master-")));
  dirs.push(d);
  if (masterCf === undefined) cpSync(FIXTURE, join(d, "master.cf"));
  else writeFileSync(join(d, "master.cf"), masterCf);
  writeFileSync(join(d, "main.cf"), "");
  return d;
}

const masterText = (d: string) => (existsSync(join(d, "master.cf")) ? readFileSync(join(d, "master.cf"), "latin1") : "(none)\n");

const cases: [string, string[]][] = [
  ["me-add", ["-Me", "foo/unix=foo unix - n n - - pipe flags=R user=nobody argv=/bin/cat -o a=b"]],
  ["me-replace", ["-Me", "submission/inet=submission inet n - n - 20 smtpd -o syslog_name=postfix/sub -v"]],
  ["me-by-new-name", ["-Me", "other/inet=smtp inet n - n - - smtpd -o smtpd_tls_security_level=may"]],
  ["me-two", ["-Me", "a/unix=a unix - - n - - x", "b/unix=b unix - - n - - {y z} {q r}"]],
  ["mx", ["-MX", "relay/unix"]],
  ["mx-wildcard", ["-MX", "*/inet"]],
  ["m-comment", ["-M#", "submission/inet", "mailman/unix"]],
  ["m-unmatched", ["-MX", "nosuch/unix"]],
  ["fe-chroot", ["-Fe", "smtp/inet/chroot=n"]],
  ["fe-several", ["-Fe", "relay/unix/process_limit=10", "relay/unix/wakeup=60?", "pickup/unix/service=pickup2"]],
  ["fe-command", ["-Fe", "smtp/inet/command=smtpd -o { a = b c } -v {x y} z"]],
  ["fe-unmatched", ["-Fe", "nosuch/unix/chroot=n"]],
  ["pe-add", ["-Pe", "relay/unix/smtp_helo_timeout=5"]],
  ["pe-replace", ["-Pe", "submission/inet/syslog_name=postfix/msa", "submission/inet/milter_macro_daemon_name=ORIGINATING"]],
  ["pe-pipe", ["-Pe", "mailman/unix/mailman_destination_recipient_limit=1"]],
  ["p-implied-e", ["-P", "*/unix/smtp_bind_address=127.0.0.1"]],
  ["px", ["-PX", "submission/inet/smtpd_recipient_restrictions"]],
  ["px-not-set", ["-PX", "relay/unix/nosuch"]],
  ["px-unmatched", ["-PX", "nosuch/unix/x"]],
  ["err-m-pattern", ["-M#", "smtp"]],
  ["err-f-pattern", ["-Fe", "smtp/inet=n"]],
  ["err-field-name", ["-Fe", "smtp/inet/bogus=n"]],
  ["err-field-wildcard", ["-Fe", "smtp/inet/*=n"]],
  ["err-field-space", ["-Fe", "smtp/inet/chroot=n y"]],
  ["err-field-value", ["-Fe", "smtp/inet/chroot=x"]],
  ["err-type-value", ["-Fe", "smtp/inet/type=bogus"]],
  ["err-p-pattern", ["-PX", "relay/unix"]],
  ["err-param-space", ["-Pe", "relay/unix/a=b c"]],
  ["err-param-wildcard", ["-Pe", "relay/unix/*=b"]],
  ["err-entry-count", ["-Me", "a/unix=a unix -"]],
  ["err-entry-type", ["-Me", "a/unix=a bogus - - - - - x"]],
  ["err-no-value", ["-MX", "a/unix", "b/unix=c"]],
  ["err-comment", ["-MX", " #a/unix"]],
  ["err-missing-arg", ["-MX"]],
  ["err-fx", ["-FX", "smtp/inet/chroot"]],
  ["err-p-comment", ["-P#", "relay/unix/x"]],
];

const scrub = (d: string) => (s: string) => s.split(d).join("DIR");

/** The run as one golden record: the resulting master.cf follows stdout. */
function withFile(r: ToolRun, d: string): ToolRun {
  return { ...r, stdout: `${r.stdout}--- master.cf\n${masterText(d)}` };
}

for (const [name, args] of cases) {
  test(`postconf ${args.join(" ")} matches testdata/postconf-master/${name}.ref`, () => {
    const d = scratch();
    const r = runTool("postconf", ["-c", d, ...args]);
    expectGolden("postconf-master", name, `postconf -c DIR ${args.join(" ")}`, withFile(r, d), scrub(d));
  });
}

/** Runs ours and Debian's postconf on identical copies and compares file, stdout, stderr and status. */
function sideBySide(args: string[], masterCf?: string): void {
  const a = scratch(masterCf);
  const b = scratch(masterCf);
  const theirs = Bun.spawnSync({ cmd: [real, "-c", a, ...args], argv0: "postconf", stdout: "pipe", stderr: "pipe" });
  const ours = runTool("postconf", ["-c", b, ...args]);
  expect(masterText(b)).toBe(masterText(a));
  expect(scrub(b)(ours.stderr)).toBe(scrub(a)(theirs.stderr.toString()));
  expect(ours.stdout).toBe(theirs.stdout.toString());
  expect(ours.status).toBe(theirs.exitCode ?? -1);
}

for (const [name, args] of cases) {
  test(`postconf ${args.join(" ")} (${name}) edits master.cf as Debian's postconf does`, () => {
    if (!haveProgram(real, "side-by-side postconf master.cf editing")) return;
    sideBySide(args);
  });
}

const odd: [string, string, string[]][] = [
  ["no final newline, pass-through", "a unix - - y - - smtp\n# end", ["-M#", "a/unix"]],
  ["no final newline, edited entry", "a unix - - y - - smtp\n  -o x=1", ["-Pe", "a/unix/y=2"]],
  ["continuation without entry", "  -o x=1\na unix - - y - - smtp\n", ["-Fe", "a/unix/chroot=n"]],
  ["service name with =", "a=b unix - - y - - smtp\n", ["-MX", "x/unix"]],
  ["type with /", "a unix/x - - y - - smtp\n", ["-MX", "x/unix"]],
  ["type on the next line", "a\n  unix - - y - - smtp\n", ["-MX", "x/unix"]],
  ["short entry in the file", "a unix - - y\n", ["-Fe", "a/unix/chroot=n"]],
  ["empty file", "", ["-Me", "b/unix=b unix - - n - - x"]],
  ["CRLF lines", "a unix - - y - - smtp\r\nb unix - - y - - smtp\r\n", ["-Fe", "a/unix/chroot=n"]],
  ["Latin-1 comment kept", "# caf\xe9\na unix - - y - - smtp\n", ["-Pe", "a/unix/x=1"]],
];

for (const [label, text, args] of odd) {
  test(`postconf ${args.join(" ")} on a master.cf with ${label} behaves as Debian's postconf`, () => {
    if (!haveProgram(real, "side-by-side postconf master.cf editing")) return;
    sideBySide(args, Buffer.from(text, "latin1") as unknown as string);
  });
}

test("postconf -e on a missing master.cf or directory fails as Postfix does and leaves no file", () => {
  const d = scratch();
  rmSync(join(d, "master.cf"));
  const r = runTool("postconf", ["-c", d, "-MX", "relay/unix"]);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe(`postconf: fatal: open ${d}/master.cf for reading: No such file or directory\n`);
  expect(existsSync(join(d, "master.cf"))).toBe(false);
  const gone = runTool("postconf", ["-c", join(d, "nope"), "-Pe", "a/b/c=d"]);
  expect(gone.stderr).toBe(`postconf: fatal: open ${d}/nope/master.cf.tmp: No such file or directory\n`);
});
