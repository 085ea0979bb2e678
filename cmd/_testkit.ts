/**
 * _testkit — helpers for end-to-end tests that drive the compiled binary the way an admin or a script does.
 *
 * `runTool("postconf", ["-n"], {config})` starts dist/postkit with argv0 set to the tool name (exactly what a
 * symlink named `postconf` gives), waits for it, and returns stdout, stderr and the exit status. `makeInstance()`
 * creates a throw-away instance directory (etc/, queue/, mail/, log/) owned by the current user, with a main.cf
 * that keeps everything inside it. Tests only; never imported by the binary.
 */
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";

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
