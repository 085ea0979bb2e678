/**
 * postdrop end-to-end tests: a queue-file record stream on standard input becomes a maildrop file owned by the
 * caller (read back with the queue library); a sendmail-made maildrop file can be fed back in; cancelled,
 * malformed and refused input leave nothing behind; Postfix's usage, warning and fatal texts.
 */
import { test, expect, afterAll } from "bun:test";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, runTool } from "./_testkit.ts";
import { prepareQueueDirectory } from "../internal/master/master.ts";
import { encodeRecord, openQueueFile, type QueueRecord } from "../internal/queue/index.ts";
import { getpwuid } from "../internal/sys/passwd.ts";

const inst = makeInstance();
prepareQueueDirectory(inst.queue);
afterAll(() => inst.cleanup());
const UID = process.getuid!();
const env = { MAIL_CONFIG: inst.config };

const enc = (recs: QueueRecord[]) => Buffer.concat(recs.map(encodeRecord));
const R = (address: string, notify = 0): QueueRecord => ({ kind: "R", address, origAddress: address, notify, orcpt: "" });
const STREAM: QueueRecord[] = [
  { kind: "A", name: "rewrite_context", value: "local" },
  { kind: "S", sender: "joe@example.test" },
  R("a@example.test", 4),
  { kind: "M" },
  { kind: "N", data: Buffer.from("Subject: s\n\nbody\n") },
  { kind: "X" },
  R("b@example.test"),
  { kind: "E" },
];

function files(): string[] {
  return readdirSync(join(inst.queue, "maildrop"));
}

test("a record stream becomes a maildrop file of the caller", () => {
  const r = runTool("postdrop", [], { stdin: enc(STREAM), env });
  expect(r).toEqual({ stdout: "", stderr: "", status: 0 });
  const [id] = files();
  const path = join(inst.queue, "maildrop", id!);
  expect(statSync(path).uid).toBe(UID);
  const f = openQueueFile(path);
  const e = f.envelope();
  expect([e.sender, e.uid, e.attributes.get("rewrite_context")]).toEqual(["joe@example.test", UID, "local"]);
  expect(e.recipients.map((x) => [x.address, x.notify, x.extracted])).toEqual([
    ["a@example.test", 4, false],
    ["b@example.test", 0, true],
  ]);
  expect(Buffer.concat([...f.content()]).toString()).toBe("Subject: s\n\nbody\n");
  f.close();
  rmSync(path);
});

test("a maildrop file written by sendmail can be fed back in", () => {
  expect(runTool("sendmail", ["-t", "-F", "Ann", "-N", "never"], { stdin: "To: x@y\n\nhello\n", env }).status).toBe(0);
  const [id] = files();
  const first = readFileSync(join(inst.queue, "maildrop", id!));
  rmSync(join(inst.queue, "maildrop", id!));
  expect(runTool("postdrop", ["-r"], { stdin: first, env })).toEqual({ stdout: "", stderr: "", status: 0 });
  const [again] = files();
  const e = openQueueFile(join(inst.queue, "maildrop", again!)).envelope();
  expect([e.sender, e.fullName, e.uid]).toEqual([getpwuid(UID)!.name, "Ann", UID]);
  expect(e.recipients.map((x) => [x.address, x.notify, x.extracted])).toEqual([["x@y", 1, true]]);
  rmSync(join(inst.queue, "maildrop", again!));
});

test("attributes a user may not set are dropped with a warning", () => {
  const forged: QueueRecord[] = [{ kind: "A", name: "submit_uid", value: "4242" }, { kind: "A", name: "log_client_name", value: "forged" }];
  const r = runTool("postdrop", [], { stdin: enc([...forged, ...STREAM]), env });
  expect(r).toEqual({ stdout: "", stderr: `postdrop: warning: uid=${UID}: ignoring attribute record: log_client_name=forged\n`, status: 0 });
  const [id] = files();
  expect(openQueueFile(join(inst.queue, "maildrop", id!)).envelope().uid).toBe(UID);
  rmSync(join(inst.queue, "maildrop", id!));
});

test("input that stops between records cancels the request: exit 0, nothing queued", () => {
  expect(runTool("postdrop", [], { stdin: "", env })).toEqual({ stdout: "", stderr: "", status: 0 });
  expect(runTool("postdrop", [], { stdin: enc(STREAM.slice(0, 5)), env })).toEqual({ stdout: "", stderr: "", status: 0 });
  expect(files()).toEqual([]);
});

const refused: [string, Uint8Array, string][] = [
  ["garbage", Buffer.from("\xc1 garbage\n", "latin1"), `postdrop: fatal: uid=${UID}: malformed input: `],
  ["a cut record", enc(STREAM).subarray(0, enc(STREAM).length - 2), `postdrop: fatal: uid=${UID}: malformed input: incomplete record at end of input\n`],
  ["an unexpected record", enc([{ kind: "W", sec: 1 }]), `postdrop: fatal: uid=${UID}: unexpected record type: W\n`],
  ["no recipient", enc([{ kind: "S", sender: "a" }, { kind: "M" }, { kind: "X" }, { kind: "E" }]), `postdrop: fatal: uid=${UID}: malformed input: no recipient record\n`],
];
for (const [label, stdin, stderr] of refused) {
  test(`${label}: fatal, exit 1, nothing queued`, () => {
    const r = runTool("postdrop", [], { stdin, env });
    expect(r.status).toBe(1);
    if (stderr.endsWith(": ")) expect(r.stderr).toStartWith(stderr);
    else expect(r.stderr).toBe(stderr);
    expect(files()).toEqual([]);
  });
}

test("usage as Postfix's", () => {
  expect(runTool("postdrop", ["-Z"], { env })).toEqual({
    stdout: "",
    stderr: "postdrop: invalid option -- 'Z'\npostdrop: fatal: usage: postdrop [-c config_dir] [-v]\n",
    status: 1,
  });
});

test("authorized_submit_users and a stopped system", () => {
  const i = makeInstance(`authorized_submit_users = !${getpwuid(UID)!.name}, static:anyone\n`);
  prepareQueueDirectory(i.queue);
  try {
    const r = runTool("postdrop", ["-c", i.config], { stdin: enc(STREAM) });
    expect(r).toEqual({ stdout: "", stderr: `postdrop: fatal: User ${getpwuid(UID)!.name}(${UID}) is not allowed to submit mail\n`, status: 1 });
  } finally {
    i.cleanup();
  }
  const j = makeInstance();
  prepareQueueDirectory(j.queue);
  rmSync(join(j.queue, "public", "pickup"));
  try {
    const r = runTool("postdrop", ["-c", j.config], { stdin: enc(STREAM) });
    expect(r).toEqual({ stdout: "", stderr: "postdrop: warning: unable to look up public/pickup: No such file or directory\n", status: 0 });
    expect(readdirSync(join(j.queue, "maildrop")).length).toBe(1);
  } finally {
    j.cleanup();
  }
});
