/**
 * postcat end-to-end tests: Postfix's section labels and record names for a queue file (golden), -e/-h/-b
 * selecting parts, -o offsets and -d record types, -q looking an ID up in every queue, standard input, and clear
 * errors for files that are not queue files, truncated files, bad offsets and bad or missing queue IDs.
 */
import { test, expect, afterAll } from "bun:test";
import { readFileSync, truncateSync, writeFileSync, copyFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { BIN, expectGolden, makeInstance, runTool } from "./_testkit.ts";
import { T0, writeMessages } from "./_queuekit.ts";
import { createQueueFile, layoutPath, openQueueFile, queueLayout } from "../internal/queue/index.ts";

const inst = makeInstance();
writeMessages(inst.queue, [
  {
    queue: "deferred",
    id: "EF97820E3CD",
    sender: "",
    fullName: "root",
    rcpts: [
      { address: "dave@remote.example", reason: "connect to 127.0.0.1[127.0.0.1]:9: Connection refused" },
      { address: "done@remote.example", orig: "Done@Remote.Example", done: true },
    ],
    arrival: T0,
    content: "Received: by pf2.example.test (Postfix, from userid 102)\n\tid EF97820E3CD; Wed, 25 Nov 2026 05:31:10 +0000 (UTC)\nSubject: hello\nFrom: MAILER-DAEMON@pf2.example.test\n\nhello2\nsecond line\n",
  },
]);
const path = layoutPath(queueLayout(inst.queue), "deferred", "EF97820E3CD");
afterAll(() => inst.cleanup());

const pc = (args: string[], stdin?: string | Uint8Array) => runTool("postcat", ["-c", inst.config, ...args], { stdin });

test("postcat -q ID shows every section with Postfix's labels (golden)", () => {
  expectGolden("postcat", "full", "postcat -q EF97820E3CD", pc(["-q", "EF97820E3CD"]));
});

test("-h, -b, -e select parts; -b starts with the empty line", () => {
  expect(pc(["-h", "-q", "EF97820E3CD"]).stdout).toBe(
    "Received: by pf2.example.test (Postfix, from userid 102)\n\tid EF97820E3CD; Wed, 25 Nov 2026 05:31:10 +0000 (UTC)\nSubject: hello\nFrom: MAILER-DAEMON@pf2.example.test\n",
  );
  expect(pc(["-b", "-q", "EF97820E3CD"]).stdout).toBe("\nhello2\nsecond line\n");
  const e = pc(["-e", "-q", "EF97820E3CD"]).stdout;
  expect(e).toContain("*** ENVELOPE RECORDS deferred/E/EF97820E3CD ***\n");
  expect(e).toContain("sender: \n");
  expect(e).toContain("done_recipient: done@remote.example\n");
  expect(e).not.toContain("hello2");
});

test("-o and -d prefix offsets (9 wide) and decimal record types (3 wide) (golden)", () => {
  expectGolden("postcat", "offsets", "postcat -o -d -e FILE", pc(["-o", "-d", "-e", path]), (s) => s.replaceAll(path, "FILE"));
});

test("standard input is labelled stdin; a file argument by its path", () => {
  const r = pc(["-e"], readFileSync(path));
  expect(r.stdout.split("\n")[0]).toBe("*** ENVELOPE RECORDS stdin ***");
  expect(pc(["-e", path]).stdout.split("\n")[0]).toBe(`*** ENVELOPE RECORDS ${path} ***`);
});

test("not a queue file: a warning, then the next file", () => {
  const junk = join(inst.dir, "junk");
  writeFileSync(junk, "hello world\n");
  const r = pc(["-e", junk, path]);
  expect(r.status).toBe(0);
  expect(r.stderr).toBe(`postcat: warning: ${junk}: input is not a valid queue file\n`);
  expect(r.stdout).toContain(`*** MESSAGE FILE END ${path} ***`);
});

test("a truncated file is shown up to the damage, then a clear fatal error", () => {
  const cut = join(inst.dir, "cut");
  copyFileSync(path, cut);
  truncateSync(cut, statSync(cut).size - 150);
  const r = pc([cut]);
  expect(r.status).toBe(1);
  expect(r.stdout).toContain("*** ENVELOPE RECORDS");
  expect(r.stderr).toMatch(new RegExp(`^postcat: fatal: ${cut}: corrupt queue file: .* at offset \\d+\\n$`));
});

test("errors: bad offset, bad and missing queue IDs, missing file, usage", () => {
  expect(pc(["-s", "x1", path])).toEqual({ stdout: "", stderr: "postcat: fatal: bad offset: x1\n", status: 1 });
  expect(pc(["-q", "../etc/passwd"])).toEqual({ stdout: "", stderr: "postcat: fatal: bad mail queue ID: ../etc/passwd\n", status: 1 });
  expect(pc(["-q", "ABCDEF0123"])).toEqual({ stdout: "", stderr: "postcat: fatal: open queue file ABCDEF0123: No such file or directory\n", status: 1 });
  expect(pc([join(inst.dir, "nope")]).stderr).toBe(`postcat: fatal: open ${join(inst.dir, "nope")}: No such file or directory\n`);
  expect(pc(["-f", path]).stderr).toBe(
    "postcat: invalid option -- 'f'\npostcat: fatal: usage: postcat [-b (body text)] [-c config_dir] [-d (decimal record type)] [-e (envelope records)] [-h (header text)] [-q (access queue)] [-v] [file(s)...]\n",
  );
});

test("content that is not UTF-8 is printed byte for byte, as Postfix's postcat prints it", () => {
  const w = createQueueFile({ queueDir: inst.queue, queueName: "hold" });
  w.writeEnvelope({ sender: "s@example.test", recipients: [{ address: "r@example.test" }] });
  // Latin-1 in a header and in the body, a UTF-8 line between, a line cut across two records
  w.writeContent(Buffer.from("Subject: caf\xe9\n\n", "latin1"));
  w.writeContent(Buffer.from("d\xe9j\xe0 vu\n", "latin1"));
  w.writeContent(Buffer.from("déjà vu\nsplit ", "utf8"));
  w.writeContent(Buffer.from("\xff line\n", "latin1"));
  const id = w.finish({ durable: false }).queueId;
  const p = Bun.spawnSync({ cmd: [BIN, "-c", inst.config, "-bh", "-q", id], argv0: "postcat", env: { PATH: process.env.PATH ?? "", TZ: "UTC" }, stdout: "pipe", stderr: "pipe" });
  expect(p.stderr.toString()).toBe("");
  expect(Buffer.from(p.stdout).equals(Buffer.concat([Buffer.from("Subject: caf\xe9\n\nd\xe9j\xe0 vu\n", "latin1"), Buffer.from("déjà vu\n"), Buffer.from("split \xff line\n", "latin1")]))).toBe(true);
});

test("an attribute an appended record superseded (trace_flags after a sendmail -v report) shows as Postfix's killed_record", () => {
  const w = createQueueFile({ queueDir: inst.queue, queueName: "hold" });
  w.writeEnvelope({ sender: "s@example.test", recipients: [{ address: "r@example.test" }], attributes: [["trace_flags", "1024"], ["rewrite_context", "local"]] });
  w.writeContent("Subject: x\n\nbody\n");
  const done = w.finish({ durable: false });
  const f = openQueueFile(done.path, { write: true, lock: "exclusive" });
  f.appendAttribute("trace_flags", "0");
  f.close();
  const out = pc(["-e", "-q", done.queueId]).stdout;
  expect(out).toContain("\nkilled_record: trace_flags=1024\nnamed_attribute: rewrite_context=local\n");
  expect(out).not.toContain("named_attribute: trace_flags");
  expect(pc(["-e", "-d", "-q", done.queueId]).stdout).toContain("\n 75 killed_record: trace_flags=1024\n");
});
