/**
 * postconf end-to-end tests: golden files for the compiled binary's output on the fixture in testdata/postconf/,
 * and a side-by-side comparison with Debian's /usr/sbin/postconf on the same configuration directory.
 */
import { test, expect, beforeAll, afterAll } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { expectGolden, haveProgram, runTool, TESTDATA } from "./_testkit.ts";

let dir = "";
const scrub = (s: string) => s.split(dir).join("DIR");

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "postconf-test-")));
  cpSync(join(TESTDATA, "postconf", "main.cf"), join(dir, "main.cf"));
  cpSync(join(TESTDATA, "postconf", "master.cf"), join(dir, "master.cf"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const golden: [string, string[]][] = [
  ["n", ["-n"]],
  ["nx", ["-nx"]],
  ["named", ["myhostname", "mydomain", "mydestination", "smtpd_banner", "nosuch"]],
  ["named-x", ["-x", "mydestination", "smtpd_client_restrictions", "delay_warning_time"]],
  ["defaults", ["-d", "myorigin", "mydestination", "mynetworks_style", "smtpd_relay_restrictions", "message_size_limit"]],
  ["h", ["-h", "myhostname", "message_size_limit"]],
  ["H", ["-H", "-n"]],
  ["fold", ["-f", "smtpd_relay_restrictions", "smtpd_client_restrictions"]],
  ["class-user", ["-C", "user"]],
  ["class-service-n", ["-n", "-C", "service"]],
  ["override", ["-n", "-o", "relayhost=[other.example]", "-o", "extra=1"]],
  ["master", ["-M"]],
  ["master-fold", ["-Mf"]],
  ["master-x", ["-Mx", "relay/unix", "submission"]],
  ["master-nosuch", ["-M", "nosuch/unix"]],
  ["fields", ["-F", "pickup/unix", "submission/inet/command"]],
  ["params", ["-P"]],
  ["params-x", ["-Px", "relay"]],
  ["locks", ["-l"]],
  ["maps", ["-m"]],
  ["templates", ["-t"]],
  ["usage", ["-Z"]],
  ["missing-arg", ["-c"]],
  ["incompatible", ["-n", "-d"]],
  ["e-without-args", ["-e"]],
];

for (const [name, args] of golden) {
  test(`postconf ${args.join(" ")} matches testdata/postconf/${name}.ref`, () => {
    const r = runTool("postconf", ["-c", dir, ...args]);
    expectGolden("postconf", name, `postconf -c DIR ${args.join(" ")}`, r, scrub);
  });
}

test("postconf honours MAIL_CONFIG and shows config_directory with -n", () => {
  const r = runTool("postconf", ["-n", "myhostname"], { env: { MAIL_CONFIG: dir } });
  expect(r.stdout).toBe("myhostname = mail.example.test\n");
  const all = runTool("postconf", ["-n"], { env: { MAIL_CONFIG: dir } });
  expect(all.stdout).toContain(`config_directory = ${dir}\n`);
});

test("postconf reports a malformed main.cf line with file and line, exit 1", () => {
  const d = realpathSync(mkdtempSync(join(tmpdir(), "postconf-bad-")));
  writeFileSync(join(d, "main.cf"), "myhostname = a.example\nfoo bar\n");
  const r = runTool("postconf", ["-c", d, "-n"]);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe(`postconf: fatal: ${d}/main.cf, line 2: missing '=' after attribute name: "foo bar"\n`);
  const missing = runTool("postconf", ["-c", join(d, "nope"), "-n"]);
  expect(missing.status).toBe(1);
  expect(missing.stderr).toBe(`postconf: fatal: open ${d}/nope/main.cf: No such file or directory\n`);
  writeFileSync(join(d, "main.cf"), "a = $b\nb = $a\nmydomain = $a\n");
  const loop = runTool("postconf", ["-c", d, "-x", "mydomain"]);
  expect(loop.status).toBe(1);
  expect(loop.stderr).toContain('warning: unreasonable macro call nesting: "');
  rmSync(d, { recursive: true, force: true });
});

test("postconf -e, -X and -# edit main.cf in place and keep everything else", () => {
  const d = realpathSync(mkdtempSync(join(tmpdir(), "postconf-edit-")));
  writeFileSync(join(d, "main.cf"), "myhostname = host.example.com\n# note\nmydomain = example.com\nrelayhost = x\n  continued\n");
  expect(runTool("postconf", ["-c", d, "-e", "relayhost = [mail.example]:587", "new_param=1", "mynetworks=127.0.0.0/8"]).status).toBe(0);
  expect(runTool("postconf", ["-c", d, "-#", "mydomain"]).status).toBe(0);
  expect(runTool("postconf", ["-c", d, "-X", "relayhost"]).status).toBe(0);
  expect(runTool("postconf", ["-c", d, "myorigin=$mydomain"]).status).toBe(0); // -e implied by '='
  expect(readFileSync(join(d, "main.cf"), "utf8")).toBe(
    "myhostname = host.example.com\n# note\n#mydomain = example.com\nnew_param = 1\nmynetworks = 127.0.0.0/8\nmyorigin = $mydomain\n",
  );
  rmSync(d, { recursive: true, force: true });
});

test("postconf --json gives value, default and source of each parameter", () => {
  const r = runTool("postconf", ["-c", dir, "--json", "myhostname", "myorigin", "message_size_limit", "delay_warning_time"]);
  expect(r.status).toBe(0);
  const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  expect(rows[0]).toMatchObject({ name: "myhostname", value: "mail.example.test", source: "main.cf:3", class: "builtin" });
  expect(rows[1]).toMatchObject({ name: "myorigin", value: "example.test", raw: "$mydomain", default: "$myhostname" });
  expect(rows[2]).toMatchObject({ name: "message_size_limit", value: "20480000", default: "10240000" });
  expect(rows[3]).toMatchObject({ name: "delay_warning_time", value: "4h", default: "0h" });
  expect(typeof rows[0].description).toBe("string");
});

// Side by side with Debian's Postfix 3.7 on the same configuration directory.
const real = "/usr/sbin/postconf";
const modes = [[], ["-n"], ["-x"], ["-nx"], ["-d"], ["-f"], ["-H"], ["-M"], ["-Mf"], ["-Mx"], ["-F"], ["-Fx"], ["-P"], ["-Px"],
  ["-C", "service"], ["-C", "user"], ["-h", "mydestination", "mynetworks", "myhostname"], ["-d", "-x", "mynetworks_style"]];
for (const m of modes) {
  test(`postconf ${m.join(" ")} prints what Debian's postconf prints`, () => {
    if (!haveProgram(real, "side-by-side postconf comparison")) return;
    const theirs = Bun.spawnSync({ cmd: [real, "-c", dir, ...m], argv0: "postconf", stdout: "pipe", stderr: "pipe" });
    const ours = runTool("postconf", ["-c", dir, ...m]);
    // process_id is each process's own pid
    // process_id is each process's own pid; postkit_* parameters are postkit's own
    const clean = (s: string) => s.split("\n").filter((l) => !l.startsWith("process_id = ") && !l.startsWith("postkit_")).join("\n");
    expect(ours.status).toBe(theirs.exitCode ?? -1);
    expect(clean(ours.stdout)).toBe(clean(theirs.stdout.toString()));
  });
}

test("postconf -e edits main.cf exactly as Debian's postconf does", () => {
  if (!haveProgram(real, "side-by-side postconf -e comparison")) return;
  const a = realpathSync(mkdtempSync(join(tmpdir(), "postconf-ea-")));
  const b = realpathSync(mkdtempSync(join(tmpdir(), "postconf-eb-")));
  for (const d of [a, b]) {
    cpSync(join(TESTDATA, "postconf", "main.cf"), join(d, "main.cf"));
    cpSync(join(TESTDATA, "postconf", "master.cf"), join(d, "master.cf"));
  }
  for (const args of [["-e", "mydestination=x", "brand_new=2"], ["-X", "unused_knob"], ["-#", "mydomain", "office_nets"], ["relayhost=[r]:25"]]) {
    Bun.spawnSync({ cmd: [real, "-c", a, ...args], argv0: "postconf" });
    runTool("postconf", ["-c", b, ...args]);
    expect(readFileSync(join(b, "main.cf"), "utf8")).toBe(readFileSync(join(a, "main.cf"), "utf8"));
  }
  rmSync(a, { recursive: true, force: true });
  rmSync(b, { recursive: true, force: true });
});
