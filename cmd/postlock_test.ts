/**
 * postlock_test — the compiled postlock against Postfix's postlock (when /usr/sbin/postlock is installed, each
 * table case is also run through it and must give the same output and status) and against flock(1), lockf and
 * dotlockfile(1) holding or testing the folder.
 */
import { test, expect, describe, beforeAll, afterAll } from "bun:test";
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, haveProgram, makeInstance, runTool, type Instance, type ToolRun } from "./_testkit.ts";

const POSTFIX_POSTLOCK = "/usr/sbin/postlock";
const SIDE_BY_SIDE = haveProgram(POSTFIX_POSTLOCK, "no side-by-side comparison with Postfix");
const USAGE = "postlock: fatal: usage: postlock [-c config_dir] [-l lock_style] [-v] folder command...\n";

let inst: Instance;
let configs = 0;

// Postfix rereads a main.cf changed within the last second until it is older (up to ~2 s): age them, as its
// own tests do with `touch -t 197101010000 main.cf`.
const OLD = new Date("1971-01-01T00:00:00Z");

beforeAll(() => {
  inst = makeInstance();
  utimesSync(join(inst.config, "main.cf"), OLD, OLD);
});

afterAll(() => {
  inst.cleanup();
});

/** A configuration directory with the instance's main.cf plus `extra` lines. */
function configWith(extra: string): string {
  const dir = join(inst.dir, `etc${++configs}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "main.cf"), `${readFileSync(join(inst.config, "main.cf"), "utf8")}${extra}\n`);
  utimesSync(join(dir, "main.cf"), OLD, OLD);
  return dir;
}

/** A fresh empty folder in the instance. */
function folder(name: string): string {
  const path = join(inst.dir, "mail", name);
  writeFileSync(path, "");
  return path;
}

/** Runs Postfix's own postlock the same way runTool() runs ours. */
function runPostfix(args: string[], env: Record<string, string> = {}): ToolRun {
  const p = Bun.spawnSync({
    cmd: [POSTFIX_POSTLOCK, ...args],
    argv0: "postlock",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/", TZ: "UTC", LANG: "C", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { stdout: p.stdout.toString(), stderr: p.stderr.toString(), status: p.exitCode ?? -1 };
}

/** Exit status of a command run to completion. */
function status(cmd: string[]): number {
  return Bun.spawnSync({ cmd, stdout: "ignore", stderr: "ignore" }).exitCode ?? -1;
}

/** Starts a holder that prints "locked" once it holds its lock; resolves when it does. */
async function hold(cmd: string[]): Promise<Bun.Subprocess> {
  const p = Bun.spawn({ cmd, stdout: "pipe", stderr: "inherit" });
  const reader = p.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  expect(new TextDecoder().decode(value)).toContain("locked");
  return p;
}

const holdFlock = (file: string, seconds: number) =>
  hold(["sh", "-c", `exec 9>>"$0" && flock -x 9 && echo locked && exec sleep ${seconds}`, file]);
const holdLockf = (file: string, seconds: number) =>
  hold(["python3", "-c", `import fcntl,sys,time\nf=open(sys.argv[1],"a")\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint("locked",flush=True)\ntime.sleep(${seconds})`, file]);
const TRY_LOCKF = `import fcntl,sys\nf=open(sys.argv[1],"a")\ntry:\n    fcntl.lockf(f,fcntl.LOCK_EX|fcntl.LOCK_NB)\nexcept OSError:\n    sys.exit(1)`;

describe("postlock behaves as Postfix's postlock", () => {
  interface Case {
    label: string;
    /** Builds the arguments (creating whatever files the case needs). */
    args: () => string[];
    stdout?: (args: string[]) => string;
    stderr: string | ((args: string[]) => string);
    status: number;
    env?: Record<string, string>;
  }
  const cfg = () => configWith("deliver_lock_attempts = 1");
  const cases: Case[] = [
    { label: "no arguments is a usage error, exit 75", args: () => [], stderr: USAGE, status: 75 },
    { label: "an unknown option", args: () => ["-x", "f", "true"], stderr: `postlock: invalid option -- 'x'\n${USAGE}`, status: 75 },
    {
      label: "an unknown lock style",
      args: () => ["-c", cfg(), "-l", "flock,,bogus", folder("a"), "true"],
      stderr: 'postlock: fatal: unknown mailbox_delivery_lock value "bogus" in "flock,,bogus"\n',
      status: 75,
    },
    {
      label: "lock style names are case-sensitive",
      args: () => ["-c", cfg(), "-l", "FLOCK", folder("a"), "true"],
      stderr: 'postlock: fatal: unknown mailbox_delivery_lock value "FLOCK" in "FLOCK"\n',
      status: 75,
    },
    {
      label: "an unknown style in main.cf",
      args: () => ["-c", configWith("mailbox_delivery_lock = flock bogus"), folder("a"), "true"],
      stderr: 'postlock: fatal: unknown mailbox_delivery_lock value "bogus" in "flock bogus"\n',
      status: 75,
    },
    {
      label: "deliver_lock_attempts below 1",
      args: () => ["-c", configWith("deliver_lock_attempts = 0"), folder("a"), "true"],
      stderr: "postlock: fatal: invalid deliver_lock_attempts parameter value 0 < 1\n",
      status: 75,
    },
    {
      label: "a bad time value",
      args: () => ["-c", configWith("deliver_lock_delay = 1x"), folder("a"), "true"],
      stderr: "postlock: fatal: parameter deliver_lock_delay: bad time value or unit: 1x\n",
      status: 75,
    },
    { label: "the command's exit status", args: () => ["-c", cfg(), folder("a"), "sh", "-c", "exit 3"], stderr: "", status: 3 },
    {
      label: "a command killed by a signal gives 1",
      args: () => ["-c", cfg(), folder("a"), "sh", "-c", "kill -9 $$"],
      stderr: "",
      status: 1,
    },
    {
      label: "a command that cannot be executed gives 1",
      args: () => ["-c", cfg(), folder("a"), "no-such-command-xyz"],
      stderr: "postlock: fatal: execvp no-such-command-xyz: No such file or directory\n",
      status: 1,
    },
    {
      label: "the command gets MAIL_CONFIG from -c and LANG=C from import_environment",
      args: () => ["-c", inst.config, folder("a"), "sh", "-c", 'echo "$MAIL_CONFIG $LANG"'],
      env: { LANG: "en_US.UTF-8" },
      stdout: (a) => `${a[1]} C\n`,
      stderr: "",
      status: 0,
    },
    {
      label: "a missing directory fails on the dot lock",
      args: () => ["-c", cfg(), join(inst.dir, "nodir", "f"), "true"],
      stderr: (a) => `postlock: fatal: open file ${a[2]}: unable to create lock file ${a[2]}.lock: No such file or directory\n`,
      status: 75,
    },
    {
      label: "a missing directory without dot lock fails on the create",
      args: () => ["-c", cfg(), "-l", "fcntl", join(inst.dir, "nodir", "f"), "true"],
      stderr: (a) => `postlock: fatal: open file ${a[4]}: cannot create file exclusively: No such file or directory\n`,
      status: 75,
    },
    {
      label: "a directory",
      args: () => ["-c", cfg(), inst.dir, "true"],
      stderr: (a) => `postlock: fatal: open file ${a[2]}: cannot open file: Is a directory\n`,
      status: 75,
    },
    {
      label: "a file with two hard links",
      args: () => {
        const f = folder(`linked${++configs}`);
        linkSync(f, `${f}2`);
        return ["-c", cfg(), f, "true"];
      },
      stderr: (a) => `postlock: fatal: open file ${a[2]}: file has 2 hard links\n`,
      status: 75,
    },
    {
      label: "a held dot lock",
      args: () => {
        const f = folder("dotlocked");
        writeFileSync(`${f}.lock`, "");
        return ["-c", cfg(), f, "true"];
      },
      stderr: (a) => `postlock: fatal: open file ${a[2]}: unable to create lock file ${a[2]}.lock: File exists\n`,
      status: 75,
    },
  ];

  for (const c of cases) {
    test(c.label, () => {
      const args = c.args();
      const expected = (a: string[]) => ({
        stdout: c.stdout?.(a) ?? "",
        stderr: typeof c.stderr === "function" ? c.stderr(a) : c.stderr,
        status: c.status,
      });
      expect(runTool("postlock", args, { env: c.env })).toEqual(expected(args));
      if (SIDE_BY_SIDE) {
        const again = c.args();
        expect(runPostfix(again, c.env)).toEqual(expected(again));
      }
    });
  }
});

describe("postlock FOLDER command", () => {
  test("creates a missing folder with mode 0600, holds the dot lock with its pid, and cleans up", () => {
    const f = join(inst.dir, "mail", "created");
    const r = runTool("postlock", ["-c", inst.config, f, "sh", "-c", 'cat "$0.lock"; echo "$PPID"', f]);
    const [lockPid, parentPid] = r.stdout.trim().split("\n");
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(lockPid).toBe(parentPid!);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(existsSync(`${f}.lock`)).toBe(false);
  });

  test("while it runs, flock -n, lockf and dotlockfile find the folder locked, and so does postlock FOLDER", async () => {
    const f = folder("held");
    const done = join(inst.dir, "done");
    const p = Bun.spawn({
      cmd: [BIN, "-c", inst.config, "-l", "flock, fcntl, dotlock", f, "sh", "-c", 'echo locked; while [ ! -e "$0" ]; do sleep 0.02; done', done],
      argv0: "postlock",
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = p.stdout.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("locked");
    try {
      expect(status(["flock", "-n", f, "true"])).toBe(1);
      expect(status(["python3", "-c", TRY_LOCKF, f])).toBe(1);
      expect(status(["dotlockfile", "-l", "-r", "0", `${f}.lock`])).toBe(4);
      expect(runTool("postlock", ["-c", inst.config, f])).toEqual({
        stdout: "",
        stderr: `postlock: fatal: open file ${f}: unable to create lock file ${f}.lock: File exists\n`,
        status: 75,
      });
      expect(runTool("postlock", ["-c", inst.config, "-l", "flock", f])).toEqual({
        stdout: "",
        stderr: `postlock: fatal: open file ${f}: unable to lock for exclusive access: Resource temporarily unavailable\n`,
        status: 75,
      });
    } finally {
      writeFileSync(done, "");
    }
    expect(await p.exited).toBe(0);
    expect(existsSync(`${f}.lock`)).toBe(false);
    expect(status(["flock", "-n", f, "true"])).toBe(0);
  });

  test("waits while flock(1) holds the folder and runs the command once it is released", async () => {
    const f = folder("waits");
    await holdFlock(f, 0.3);
    const t0 = performance.now();
    const r = runTool("postlock", ["-c", configWith("deliver_lock_attempts = 5"), "-l", "flock", f, "echo", "got it"]);
    expect(r).toEqual({ stdout: "got it\n", stderr: "", status: 0 });
    expect(performance.now() - t0).toBeGreaterThan(300);
  });

  test("gives up with 75 after deliver_lock_attempts while lockf holds the folder", async () => {
    const f = folder("busy");
    const holder = await holdLockf(f, 10);
    const t0 = performance.now();
    const r = runTool("postlock", ["-c", configWith("deliver_lock_attempts = 2\ndeliver_lock_delay = 1s"), f, "true"]);
    const elapsed = performance.now() - t0;
    holder.kill();
    expect(r).toEqual({
      stdout: "",
      stderr: `postlock: fatal: open file ${f}: unable to lock for exclusive access: Resource temporarily unavailable\n`,
      status: 75,
    });
    expect(elapsed).toBeGreaterThan(700); // one wait of 0.75..1.25 s between the two attempts
    expect(existsSync(`${f}.lock`)).toBe(false);
  });
});

describe("postlock FOLDER (lock test, beyond Postfix)", () => {
  test("exits 0 silently when the folder can be locked, and leaves no lock", () => {
    const f = folder("free");
    expect(runTool("postlock", ["-c", inst.config, "-l", "flock fcntl dotlock", f])).toEqual({ stdout: "", stderr: "", status: 0 });
    expect(existsSync(`${f}.lock`)).toBe(false);
    expect(status(["flock", "-n", f, "true"])).toBe(0);
  });

  test("answers at once that flock(1) holds the folder, whatever deliver_lock_attempts says", async () => {
    const f = folder("flocked");
    const holder = await holdFlock(f, 10);
    const t0 = performance.now();
    const r = runTool("postlock", ["-c", inst.config, "-l", "flock", f]);
    holder.kill();
    expect(r).toEqual({
      stdout: "",
      stderr: `postlock: fatal: open file ${f}: unable to lock for exclusive access: Resource temporarily unavailable\n`,
      status: 75,
    });
    expect(performance.now() - t0).toBeLessThan(700); // the default 20 attempts a second apart are not made
  });

  test("reports a dot lock held by dotlockfile", () => {
    const f = folder("dotlockfile");
    expect(status(["dotlockfile", "-l", "-r", "0", `${f}.lock`])).toBe(0);
    const r = runTool("postlock", ["-c", inst.config, f]);
    status(["dotlockfile", "-u", `${f}.lock`]);
    expect(r).toEqual({
      stdout: "",
      stderr: `postlock: fatal: open file ${f}: unable to create lock file ${f}.lock: File exists\n`,
      status: 75,
    });
  });

  test("never creates a missing folder", () => {
    const f = join(inst.dir, "mail", "absent");
    expect(runTool("postlock", ["-c", inst.config, f])).toEqual({
      stdout: "",
      stderr: `postlock: fatal: open file ${f}: cannot open file: No such file or directory\n`,
      status: 75,
    });
    expect(existsSync(f) || existsSync(`${f}.lock`)).toBe(false);
  });
});
