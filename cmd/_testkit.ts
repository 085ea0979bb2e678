/**
 * _testkit — helpers for end-to-end tests that drive the compiled binary the way an admin or a script does.
 *
 * `runTool("postconf", ["-n"], {config})` starts dist/postkit with argv0 set to the tool name (exactly what a
 * symlink named `postconf` gives), waits for it, and returns stdout, stderr and the exit status. `makeInstance()`
 * creates a throw-away instance directory (etc/, queue/, mail/, log/) owned by the current user, with a main.cf
 * that keeps everything inside it (mail_owner stays Postfix's default, so tests run as root exercise the
 * privileged process model: daemons as mail_owner, set-gid maildrop). Tests only; never imported by the binary.
 */
import { appendFileSync, chmodSync, existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { expect } from "bun:test";
import { TestSmtpClient } from "../internal/smtpd/_test_client.ts";

/** Path of the binary under test: $POSTKIT_BIN (set by `make test`) or dist/postkit. */
export const BIN = process.env.POSTKIT_BIN ?? resolve(import.meta.dir, "..", "dist", "postkit");

/** What a finished tool run produced. */
export interface ToolRun {
  stdout: string;
  stderr: string;
  status: number;
}

/** Options for runTool(). */
export interface RunOptions {
  stdin?: string | Uint8Array;
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs `tool args…` through the compiled binary, as if started through a link named `tool`. */
export function runTool(tool: string, args: string[], opts: RunOptions = {}): ToolRun {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ PATH: process.env.PATH, HOME: process.env.HOME, TZ: "UTC", LANG: "C", ...opts.env })) {
    if (v !== undefined) env[k] = v;
  }
  const p = Bun.spawnSync({
    cmd: [BIN, ...args],
    argv0: tool,
    env,
    cwd: opts.cwd,
    stdin: opts.stdin === undefined ? "ignore" : typeof opts.stdin === "string" ? Buffer.from(opts.stdin) : opts.stdin,
    stdout: "pipe",
    stderr: "pipe",
    timeout: opts.timeoutMs ?? 30000,
  });
  return { stdout: p.stdout.toString(), stderr: p.stderr.toString(), status: p.exitCode ?? -1 };
}

/** A temporary instance directory. */
export interface Instance {
  dir: string;
  config: string;
  queue: string;
  cleanup(): void;
}

/** Creates an instance directory whose main.cf keeps queue, mail and log inside it; `mainCf` lines are appended. */
export function makeInstance(mainCf = ""): Instance {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "postkit-test-")));
  // as root, the mail system's daemons run as mail_owner: they must be able to reach the instance
  chmodSync(dir, 0o755);
  const config = join(dir, "etc");
  const queue = join(dir, "queue");
  for (const d of [config, queue, join(dir, "mail"), join(dir, "log")]) mkdirSync(d, { recursive: true });
  writeFileSync(
    join(config, "main.cf"),
    `queue_directory = ${queue}\ndata_directory = ${join(dir, "data")}\nmail_spool_directory = ${join(dir, "mail")}\n` +
      `maillog_file_prefixes = ${dir}, /dev/stdout\nmaillog_file = ${join(dir, "log", "maillog")}\n` +
      `myhostname = host.example.test\n${mainCf}`,
  );
  return { dir, config, queue, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Appends `text` to an instance's main.cf: settings that name files made inside the instance after makeInstance(). */
export function appendMainCf(inst: Instance, text: string): void {
  appendFileSync(join(inst.config, "main.cf"), text);
}

/** Where golden files live: testdata/<tool>/<case>.ref. */
export const TESTDATA = resolve(import.meta.dir, "..", "testdata");

/**
 * Compares a tool run with its golden file `testdata/<group>/<name>.ref` (command, stdout, stderr and exit
 * status, byte for byte after `scrub`). With UPDATE_GOLDEN=1 in the environment the file is rewritten instead,
 * and a human reads the diff.
 */
export function expectGolden(group: string, name: string, command: string, r: ToolRun, scrub: (s: string) => string = (s) => s): void {
  const text = `$ ${command}\n--- stdout\n${scrub(r.stdout)}--- stderr\n${scrub(r.stderr)}--- status ${r.status}\n`;
  const path = join(TESTDATA, group, `${name}.ref`);
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(join(TESTDATA, group), { recursive: true });
    writeFileSync(path, text);
    return;
  }
  let want: string;
  try {
    want = readFileSync(path, "utf8");
  } catch {
    throw new Error(`golden file ${path} is missing; run with UPDATE_GOLDEN=1 to create it`);
  }
  if (text !== want) {
    // expect() gives the readable diff
    const { expect } = require("bun:test") as typeof import("bun:test");
    expect(text).toBe(want);
  }
}

/** True when an executable exists at `path`; otherwise prints why the caller skips. */
export function haveProgram(path: string, why: string): boolean {
  if (existsSync(path)) return true;
  console.warn(`skip: ${why}: ${path} is not installed`);
  return false;
}

/** The instance's mail log so far ("" before the first record). */
export function readMaillog(inst: Instance): string {
  const p = join(inst.dir, "log", "maillog");
  return existsSync(p) ? readFileSync(p, "utf8") : "";
}

/** Polls `pred` every 25 ms until it holds; throws `timed out waiting for WHAT` after `ms`. */
export async function waitFor(what: string, pred: () => boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return;
    await Bun.sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Writes `masterCf` into the instance, runs `postfix start`, and waits until each of `services` has its socket
 * under private/ and each TCP port on 127.0.0.1 accepts connections.
 */
export async function startMailSystem(inst: Instance, masterCf: string, opts: { services?: string[]; ports?: number[] } = {}): Promise<void> {
  writeFileSync(join(inst.config, "master.cf"), masterCf);
  const r = runTool("postfix", ["-c", inst.config, "start"]);
  if (r.status !== 0) throw new Error(`postfix start failed (${r.status}): ${r.stderr}`);
  for (const s of opts.services ?? []) await waitFor(`the ${s} service`, () => existsSync(join(inst.queue, "private", s)));
  for (const p of opts.ports ?? []) {
    await waitFor(`port ${p}`, () => Bun.spawnSync(["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${p}`]).exitCode === 0);
  }
}

/** `postfix abort`, then the instance goes (kept with KEEP_INSTANCE=1, which prints where). */
export function stopMailSystem(inst: Instance): void {
  runTool("postfix", ["-c", inst.config, "abort"]);
  if (process.env.KEEP_INSTANCE) console.log(`instance kept: ${inst.dir}`);
  else inst.cleanup();
}

/**
 * One SMTP transaction with the server on 127.0.0.1:`port`: greeting, EHLO, `mail` (the whole MAIL FROM command,
 * parameters included), RCPT TO for each of `rcpts`, DATA, `data` (LF line ends, sent as they are: one byte per
 * character, no dot-stuffing), QUIT. Checks each reply up to DATA; returns the reply to the end of the data.
 */
export async function smtpTransaction(port: number, mail: string, rcpts: string[], data: string): Promise<string> {
  const c = await TestSmtpClient.connect(port, "127.0.0.1");
  expect(await c.reply()).toMatch(/^220 /);
  expect(await c.cmd("EHLO client.example.test")).toMatch(/^250[- ]/);
  expect(await c.cmd(mail)).toBe("250 2.1.0 Ok");
  for (const r of rcpts) expect(await c.cmd(`RCPT TO:<${r}>`)).toBe("250 2.1.5 Ok");
  expect(await c.cmd("DATA")).toMatch(/^354 /);
  const reply = await c.cmd(`${data.replace(/\n/g, "\r\n")}.`);
  await c.cmd("QUIT");
  c.close();
  return reply;
}
