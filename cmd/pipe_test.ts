/**
 * pipe(8) end to end through the compiled binary: master.cf services with command `pipe` get the message on a
 * command's standard input, running as `user=` (nobody), with the From_ and Return-Path lines flags F and R ask
 * for; exit 0 is `sent (delivered via SERVICE service)`, exit 75 (EX_TEMPFAIL) defers and exit 67 (EX_NOUSER)
 * bounces, with Postfix's reason texts and the command's output; a time limit kill bounces. Needs root (the
 * agent switches to user=); skipped otherwise.
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appendMainCf, makeInstance, runTool, readMaillog, waitFor, startMailSystem, stopMailSystem, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";

setDefaultTimeout(30000);

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn("skip: cmd/pipe_test.ts: pipe(8) runs commands as user=, which needs root");

let inst: Instance;
const log = () => readMaillog(inst);
const out = () => join(inst.dir, "out");

/** Submits a message; returns its queue ID. */
async function submit(rcpt: string, subject: string): Promise<string> {
  const re = /(\w+): uid=\d+ from=<sender@host\.example\.test>/g;
  const before = [...log().matchAll(re)].length;
  const r = runTool("sendmail", ["-f", "sender@host.example.test", rcpt], { env: { MAIL_CONFIG: inst.config }, stdin: `Subject: ${subject}\n\nFrom the start\n${subject} body\n` });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  await waitFor(`pickup of ${subject}`, () => [...log().matchAll(re)].length > before);
  return [...log().matchAll(re)][before]![1]!;
}

/** The recipient line an agent logged for `id`. */
async function rcptLine(id: string, rcpt: string): Promise<string> {
  const re = new RegExp(`${id}: to=<${rcpt.replace(/[.+]/g, "\\$&")}>, relay=.*`);
  await waitFor(`delivery of ${id}`, () => re.test(log()));
  return re.exec(log())![0];
}

beforeAll(async () => {
  if (!isRoot) return;
  inst = makeInstance();
  mkdirSync(out());
  chmodSync(out(), 0o1777);
  writeFileSync(join(inst.config, "transport"), ["ok@pipe.test mypipe:", "temp@pipe.test tempfail:", "nouser@pipe.test nouser:", "slow@pipe.test slow:", ""].join("\n"));
  appendMainCf(inst, `transport_maps = texthash:${inst.config}/transport\nslow_time_limit = 1s\n`);
  const master =
    stockMasterCf(null) +
    `mypipe unix - n n - - pipe flags=FRq user=nobody argv=/bin/sh -c { cat > ${out()}/$user; id -un >> ${out()}/$user.id } x $sender $recipient\n` +
    "tempfail unix - n n - - pipe user=nobody argv=/bin/sh -c { echo try again later; exit 75 }\n" +
    "nouser unix - n n - - pipe user=nobody argv=/bin/sh -c { echo no such mailbox >&2; exit 67 }\n" +
    "slow unix - n n - - pipe user=nobody argv=/bin/sleep 10\n";
  await startMailSystem(inst, master, { services: ["mypipe", "tempfail", "nouser", "slow"] });
});

afterAll(() => {
  if (isRoot) stopMailSystem(inst);
});

test.skipIf(!isRoot)("exit 0: delivered via the service, with From_ and Return-Path lines, as user=", async () => {
  const id = await submit("ok@pipe.test", "piped");
  expect(await rcptLine(id, "ok@pipe.test")).toMatch(/^.*, relay=mypipe, delay=[\d.]+, delays=[\d./]+, dsn=2\.0\.0, status=sent \(delivered via mypipe service\)$/);
  const file = join(out(), "ok");
  await waitFor("the command's output file", () => existsSync(file));
  const text = readFileSync(file, "latin1");
  const lines = text.split("\n");
  expect(lines[0]).toMatch(/^From sender@host\.example\.test  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
  expect(lines[1]).toBe("Return-Path: <sender@host.example.test>");
  expect(text).toContain("Subject: piped\n");
  expect(text).toContain("\nFrom the start\n"); // flag > not given: no quoting
  expect(readFileSync(join(out(), "ok.id"), "utf8")).toBe("nobody\n");
  expect(statSync(file).uid).toBe(65534);
});

test.skipIf(!isRoot)("exit 75 (EX_TEMPFAIL) defers with the command's output", async () => {
  const id = await submit("temp@pipe.test", "tempfail");
  expect(await rcptLine(id, "temp@pipe.test")).toMatch(/, relay=tempfail, delay=[\d.]+, delays=[\d./]+, dsn=4\.3\.0, status=deferred \(temporary failure\. Command output: try again later \)$/);
});

test.skipIf(!isRoot)("exit 67 (EX_NOUSER) bounces with the command's output", async () => {
  const id = await submit("nouser@pipe.test", "nouser");
  expect(await rcptLine(id, "nouser@pipe.test")).toMatch(/, relay=nouser, delay=[\d.]+, delays=[\d./]+, dsn=5\.1\.1, status=bounced \(user unknown\. Command output: no such mailbox \)$/);
});

test.skipIf(!isRoot)("a command over $SERVICE_time_limit is killed and bounces", async () => {
  const id = await submit("slow@pipe.test", "slow");
  expect(await rcptLine(id, "slow@pipe.test")).toMatch(/, relay=slow, .*dsn=5\.3\.0, status=bounced \(Command time limit exceeded: "\/bin\/sleep"\)$/);
});

test.skipIf(!isRoot)("a sendmail -bv probe runs no command: delivers to command: ARGV0, logged deliverable", async () => {
  const re = /(\w+): uid=\d+ from=<sender@host\.example\.test>/g;
  const before = [...log().matchAll(re)].length;
  const r = runTool("sendmail", ["-bv", "-f", "sender@host.example.test", "ok@pipe.test"], { env: { MAIL_CONFIG: inst.config }, stdin: "Subject: probe\n\nx\n" });
  expect(r.status).toBe(0);
  expect(r.stdout).toBe("Mail Delivery Status Report will be mailed to <sender@host.example.test>.\n");
  await waitFor("pickup of the probe", () => [...log().matchAll(re)].length > before);
  const id = [...log().matchAll(re)][before]![1]!;
  expect(await rcptLine(id, "ok@pipe.test")).toMatch(/, relay=mypipe, .*dsn=2\.0\.0, status=deliverable \(delivers to command: \/bin\/sh\)$/);
  await waitFor("the probe's end", () => log().includes(`${id}: removed`));
  expect(log()).toMatch(new RegExp(`${id}: sender delivery status notification: \\w+`));
});
