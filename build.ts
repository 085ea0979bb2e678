/**
 * build.ts — compiles postkit into one standalone binary, dist/postkit.
 *
 * usage: bun build.ts [outfile]
 *
 * The flags, and why (see ../shared/reference/bun.md):
 *   --no-compile-autoload-dotenv/--no-compile-autoload-bunfig  a compiled binary would otherwise load .env and
 *       bunfig.toml (with preload scripts) from the current directory: code injection into sendmail.
 *   MSGPACKR_NATIVE_ACCELERATION_DISABLED  stops msgpackr from loading a native addon from the build machine's
 *       node_modules at run time (slow, and machine-dependent behaviour).
 *   --minify --bytecode --format=esm  start-up time: one-shot tools must start within a few milliseconds.
 *   --splitting  each tool is its own chunk inside the binary, loaded on first use: start-up cost does not grow
 *       with the size of the whole code base (a 1 MB module costs ~7 ms to load even when never imported).
 *   --compile-jit-policy=50  the binary starts with JavaScriptCore's tier-up thresholds fifty times higher: a tool
 *       that runs for 5 ms would otherwise start a JIT worker thread to compile code it never runs again (~0.3 ms).
 *       Every program that is not marked `brief` in cmd/registry.ts (daemons, queue listings, table builds) sets
 *       the normal policy back as soon as it is chosen.
 *   --bytecode-order  profile-guided layout: the build runs the fresh binary the way scripts run it most (postlog,
 *       postconf -h, sendmail, mailq, in a throw-away instance) with BUN_BYTECODE_ORDER_OUT, then builds again
 *       with those profiles, so the bytecode a one-shot tool needs sits together at the front of the binary. When
 *       a profiling run fails the first build is kept (same behaviour, slower start) and a warning says why.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

const outfile = process.argv[2] ?? "dist/postkit";
const bun = process.execPath;

function build(out: string, profiles: string[]): boolean {
  const proc = Bun.spawnSync(
    [
      bun, "build", "cmd/main.ts", "internal/showq/listing_worker.ts", "--compile", "--outfile", out,
      "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig",
      "--define", 'process.env.MSGPACKR_NATIVE_ACCELERATION_DISABLED="true"',
      "--minify", "--bytecode", "--format=esm", "--splitting", "--compile-jit-policy=50",
      ...(profiles.length > 0 ? [`--bytecode-order=${profiles.join(",")}`] : []),
    ],
    { stdout: "inherit", stderr: "inherit" },
  );
  return proc.exitCode === 0;
}

/** Runs the fresh binary as scripts do, each run writing one profile; returns their paths, most common first. */
function recordProfiles(bin: string, dir: string): string[] {
  const instance = `${dir}/instance`;
  const etc = `${instance}/etc`;
  const runs: [string, string[], string?][] = [
    ["postlog", ["-c", etc, "build profile"]],
    ["postconf", ["-c", etc, "-h", "mail_version"]],
    ["sendmail", ["-C", etc, "-t"], "From: build@example.test\nTo: build@example.test\nSubject: profile\n\nbody\n"],
    ["mailq", []],
  ];
  const init = Bun.spawnSync([bin, "init", instance], { argv0: "postkit", stdout: "ignore", stderr: "pipe" });
  if (init.exitCode !== 0) throw new Error(`postkit init: ${init.stderr.toString().trim()}`);
  const out: string[] = [];
  for (const [tool, args, input] of runs) {
    const profile = `${dir}/${tool}.order`;
    const p = Bun.spawnSync([bin, ...args], {
      argv0: tool,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", MAIL_CONFIG: etc, BUN_BYTECODE_ORDER_OUT: profile },
      stdin: input === undefined ? "ignore" : Buffer.from(input),
      stdout: "ignore",
      stderr: "pipe",
    });
    if (p.exitCode !== 0) throw new Error(`${tool}: exit ${p.exitCode}: ${p.stderr.toString().trim()}`);
    if (!existsSync(profile)) throw new Error(`${tool}: no profile written`);
    out.push(profile);
  }
  return out;
}

if (!build(outfile, [])) process.exit(1);
const dir = mkdtempSync(`${tmpdir()}/postkit-build-`);
try {
  let profiles: string[] = [];
  try {
    profiles = recordProfiles(outfile, dir);
  } catch (e) {
    console.warn(`build.ts: warning: no bytecode profile, keeping the plain build: ${(e as Error).message}`);
  }
  if (profiles.length > 0 && !build(outfile, profiles)) process.exit(1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
