/**
 * pipe_command — delivering a message to an external command (local(8) `|command`, mailbox_command), with
 * Postfix's rules for privileges, environment, time limit, captured output and exit status (pipe_command()).
 *
 * The command:
 *   - runs in a new session (its own process group, so a timeout kills its children too), with the given uid and
 *     gid when the agent is privileged (supplementary groups dropped), in `cwd` (default: the agent's working
 *     directory, the queue directory)
 *   - is executed directly when it consists only of letters, digits, white space and `!@%-_=+:,./` (split at
 *     white space; a command that is not found and has no `/` goes to the shell after all, it may be a shell
 *     built-in), otherwise by `/bin/sh -c COMMAND`; with `shell` (local_command_shell) always by that shell
 *   - gets an environment of only the `exportEnv` variables of the agent (export_environment), `PATH=/usr/bin:/bin`,
 *     and the caller's variables (HOME, USER, SENDER, RECIPIENT, EXTENSION …)
 *   - with `argv` (pipe(8)) is executed as that argument vector, no shell, found with PATH; the status texts then
 *     name the program (`argv[0]`) where they would name the command line
 *   - reads the message on standard input; standard output and standard error are captured (the first 4096
 *     bytes, tabs and newlines turned into spaces, other unprintable bytes into `_`) for the status text
 *   - is killed (SIGKILL to its process group) when it runs longer than `timeLimit` seconds
 *
 * The result, in Postfix's words:
 *   exit 0                        ok
 *   killed by the time limit      bounce 5.3.0 `Command time limit exceeded: "CMD"[. Command output: OUT]`
 *   killed by a signal            defer 4.3.0  `Command died with signal N: "CMD"[. Command output: OUT]`
 *   output starts with X.Y.Z      that status (4 defers, else bounces), the rest of the output as the text
 *   a sysexits(3) status 64..78   its DSN and text: 75 defers with `temporary failure[. Command output: OUT]`
 *   any other status              bounce 5.3.0 `Command died with status N: "CMD"[. Command output: OUT]`
 * A command that exits 0 without reading all of its input has still delivered (EPIPE is not an error).
 *
 * Contract: never throws for anything the command does; the returned status says what happened. Corresponds to
 * Postfix's src/global/pipe_command.c, src/util/exec_command.c.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { sysExit } from "../sys/sysexits.ts";
import { errnoText } from "../sys/errno.ts";
import { dsnValid } from "../dsn/dsn_status.ts";
import { runAsRoot, isPrivileged, type Identity } from "./identity.ts";

/** A command delivery. */
export interface PipeCommand {
  /** The command line (shell syntax); with `argv`, only a name for the status texts (argv[0]). */
  command: string;
  /** pipe(8): execute this argument vector directly instead of a command line. */
  argv?: readonly string[];
  /** Rights to run it with (only when the agent is privileged). */
  as?: Identity;
  /** Variables for the command, on top of the exported ones. */
  env: Record<string, string>;
  /** Names of the agent's variables the command keeps (export_environment). */
  exportEnv: readonly string[];
  /** local_command_shell: run every command with this shell program (and its arguments). */
  shell?: string;
  /** Working directory. */
  cwd?: string;
  /** command_time_limit, seconds. */
  timeLimit: number;
  /** The bytes of standard input (preamble and message), produced synchronously; called once. */
  data: () => Iterable<Uint8Array>;
  /** Program name in the text of a command that cannot be started (`local: fatal: execvp …`). */
  procName?: string;
}

/** What became of a command delivery. */
export interface PipeResult {
  status: "ok" | "bounce" | "defer";
  dsn: string;
  reason: string;
  /** The captured output, cleaned up as described above. */
  output: string;
}

const OK_CHARS = /^[0-9!@%\-_=+:,./a-zA-Z \t]*$/;
const OUTPUT_LIMIT = 4096;
const DEFAULT_PATH = "/usr/bin:/bin";

/** The argv Postfix's exec_command() would exec directly, or undefined when the shell is needed. */
export function directArgv(command: string): string[] | undefined {
  if (!OK_CHARS.test(command) || command.trim() === "") return undefined;
  return command.split(/[ \t]+/).filter((s) => s !== "");
}

/** Output as Postfix shows it in a status text: tabs/newlines to spaces, other unprintable bytes to `_`. */
export function cleanOutput(out: Buffer): string {
  let s = "";
  for (const b of out) {
    if (b === 9 || b === 10) s += " ";
    else if (b >= 32 && b < 127) s += String.fromCharCode(b);
    else s += "_";
  }
  return s;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: NodeJS.ErrnoException;
}

/** Starts the child; resolves `exit` when it ends. */
function start(argv: string[], opts: PipeCommand, env: Record<string, string>): ChildProcess {
  const doSpawn = () =>
    spawn(argv[0]!, argv.slice(1), {
      argv0: argv[0] === "/bin/sh" && !opts.argv ? "sh" : argv[0],
      cwd: opts.cwd,
      env,
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
      ...(isPrivileged() && opts.as ? { uid: opts.as.uid, gid: opts.as.gid } : {}),
    });
  // Changing the child's uid needs root rights at the moment of the fork.
  return isPrivileged() && opts.as ? runAsRoot(doSpawn) : doSpawn();
}

const ERRNO_NAMES: Record<number, string> = { 1: "EPERM", 2: "ENOENT", 7: "E2BIG", 8: "ENOEXEC", 12: "ENOMEM", 13: "EACCES", 20: "ENOTDIR", 21: "EISDIR", 36: "ENAMETOOLONG", 40: "ELOOP" };

const SIGNUMS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGXCPU: 24, SIGXFSZ: 25,
};

/** Runs the command with the message on its input; see the module header. */
export async function pipeCommand(opts: PipeCommand): Promise<PipeResult> {
  const env: Record<string, string> = {};
  for (const name of opts.exportEnv) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  env.PATH = DEFAULT_PATH;
  Object.assign(env, opts.env);

  let argv: string[];
  let fallback: string[] | undefined;
  if (opts.argv) {
    argv = [...opts.argv];
  } else if (opts.shell && opts.shell.trim() !== "") {
    argv = [...opts.shell.trim().split(/\s+/), opts.command];
  } else {
    const direct = directArgv(opts.command);
    if (direct) {
      argv = direct;
      if (!direct[0]!.includes("/")) fallback = ["/bin/sh", "-c", opts.command];
    } else argv = ["/bin/sh", "-c", opts.command];
  }

  const deadline = Date.now() + Math.max(1, opts.timeLimit) * 1000;
  let run = await runOnce(argv, opts, env, deadline);
  if (run.exit.error?.code === "ENOENT" && fallback) run = await runOnce(fallback, opts, env, deadline);
  return interpret(opts.argv ? argv[0]! : opts.command, argv[0]!, run, opts.procName ?? "local", opts.argv !== undefined);
}

interface Run {
  exit: Exit;
  output: Buffer;
  timedOut: boolean;
  writeError?: NodeJS.ErrnoException;
}

/** One attempt at running argv: feed the input, collect output, enforce the time limit. */
function runOnce(argv: string[], opts: PipeCommand, env: Record<string, string>, deadline: number): Promise<Run> {
  return new Promise<Run>((resolve) => {
    let child: ChildProcess;
    try {
      child = start(argv, opts, env);
    } catch (e) {
      resolve({ exit: { code: null, signal: null, error: e as NodeJS.ErrnoException }, output: Buffer.alloc(0), timedOut: false });
      return;
    }
    const outParts: Buffer[] = [];
    let outLen = 0;
    const collect = (d: Buffer) => {
      if (outLen >= OUTPUT_LIMIT) return;
      const take = d.subarray(0, OUTPUT_LIMIT - outLen);
      outParts.push(take);
      outLen += take.length;
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    let timedOut = false;
    let writeError: NodeJS.ErrnoException | undefined;
    let spawnError: NodeJS.ErrnoException | undefined;
    let finished = false;
    const kill = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, Math.max(0, deadline - Date.now()));
    child.on("error", (e) => {
      spawnError = e as NodeJS.ErrnoException;
    });
    child.stdin!.on("error", (e) => {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== "EPIPE" && err.code !== "ECONNRESET") writeError = err;
    });
    child.on("close", (code, signal) => {
      finished = true;
      clearTimeout(timer);
      // Bun reports a failed exec as a negative errno exit code instead of an "error" event
      if (code !== null && code < 0 && !spawnError) spawnError = Object.assign(new Error("exec failed"), { code: ERRNO_NAMES[-code] ?? "EIO" });
      resolve({ exit: { code: spawnError ? null : code, signal: signal ?? null, error: spawnError }, output: Buffer.concat(outParts), timedOut, writeError });
    });
    // Feed the message, respecting back-pressure; stop when the command stops reading.
    void (async () => {
      const stdin = child.stdin!;
      let it: Iterator<Uint8Array> | undefined;
      try {
        it = opts.data()[Symbol.iterator]();
        for (;;) {
          if (finished || stdin.destroyed) break;
          const step = it.next();
          if (step.done) break;
          if (!stdin.write(step.value)) {
            await new Promise<void>((r) => {
              const done = () => {
                stdin.off("drain", done);
                stdin.off("close", done);
                r();
              };
              stdin.on("drain", done);
              stdin.on("close", done);
            });
          }
        }
      } catch (e) {
        writeError = Object.assign(e instanceof Error ? e : new Error(String(e)), { code: "EIO" }) as NodeJS.ErrnoException;
        kill();
      } finally {
        it?.return?.();
        if (!stdin.destroyed) stdin.end();
      }
    })();
  });
}

function suffix(out: string): string {
  return out === "" ? "" : `. Command output: ${out}`;
}

/** Postfix's reading of how the command ended. */
function interpret(command: string, program: string, run: Run, procName: string, direct: boolean): PipeResult {
  const out = cleanOutput(run.output);
  if (run.timedOut) {
    return { status: "bounce", dsn: "5.3.0", reason: `Command time limit exceeded: "${command}"${suffix(out)}`, output: out };
  }
  const { code, signal, error } = run.exit;
  if (error && code === null && signal === null) {
    // The child could not be started: Postfix's child reports this with a fatal error, which exits 75.
    // an argument vector is executed by pipe_command() itself, whose message names it; a command line by exec_command()
    const output = `${procName}: fatal: ${direct ? "pipe_command: " : ""}execvp ${program}: ${errnoText(error)} `;
    return { status: "defer", dsn: "4.3.0", reason: `temporary failure. Command output: ${output}`, output };
  }
  if (signal) {
    return { status: "defer", dsn: "4.3.0", reason: `Command died with signal ${SIGNUMS[signal] ?? 0}: "${command}"${suffix(out)}`, output: out };
  }
  if (code !== 0 && code !== null) {
    const n = dsnValid(out);
    if (n > 0) {
      const dsn = out.slice(0, n);
      const text = out.slice(n).replace(/^\s+/, "");
      return { status: dsn.startsWith("4") ? "defer" : "bounce", dsn, reason: text, output: out };
    }
    const se = sysExit(code);
    if (se) return { status: se.dsn.startsWith("4") ? "defer" : "bounce", dsn: se.dsn, reason: `${se.text}${suffix(out)}`, output: out };
    return { status: "bounce", dsn: "5.3.0", reason: `Command died with status ${code}: "${command}"${suffix(out)}`, output: out };
  }
  if (run.writeError) {
    return { status: "bounce", dsn: "5.3.0", reason: `Command failed: ${run.writeError.message}: "${command}"`, output: out };
  }
  return { status: "ok", dsn: "2.0.0", reason: out, output: out };
}
