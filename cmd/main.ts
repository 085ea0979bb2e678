/**
 * NAME
 *   postkit — a Postfix-compatible mail system in one binary
 *
 * SYNOPSIS
 *   postkit TOOL [options] [arguments]
 *   TOOL [options] [arguments]          (the binary started through a symlink or hard link named TOOL)
 *   postkit init DIR [--port N]        create an instance directory (cmd/postkit.ts)
 *   postkit --help | --version
 *
 * DESCRIPTION
 *   The only entry point. It picks the program from basename(process.argv0) — the name the binary was started as
 *   (in a compiled Bun binary argv[0] is always "bun") — or, when that name is `postkit` (or `bun`, running from
 *   source), from the first argument. It runs the program and turns its result or typed error into the exit
 *   status. This is the only file that calls process.exit.
 *
 *   `TOOL --help` prints the tool's synopsis. `postkit --help` lists the tools.
 *
 * EXIT STATUS
 *   The tool's own status; 64 (EX_USAGE) for an unknown program name; for a fatal error, 1 or the status the
 *   tool's Postfix counterpart uses (sendmail and postlock 75, postqueue 69). A one-shot tool ends with _exit(2)
 *   once its output is written (every tool writes with write(2) and leaves nothing in flight); daemons end
 *   through process.exit.
 */
import { TOOLS, toolNames, type ToolEntry, type ToolModule } from "./registry.ts";
import { ExitRequest, PostkitError, UsageError } from "../internal/sys/errors.ts";
import { GetoptError } from "../internal/text/getopt.ts";
import { deferLogFileRecords, initMsg, msgReport } from "../internal/log/msg.ts";
import { flushOut, writeOut } from "../internal/sys/stdout.ts";
import { exitImmediately, isTerminal, writeAll } from "../internal/sys/libc.ts";
import { VERSION } from "../internal/config/version.ts";

const EX_USAGE = 64;

function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

function topHelp(): string {
  const names = toolNames();
  const w = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `  ${n.padEnd(w)}  ${TOOLS[n]!.summary}`);
  return (
    `postkit ${VERSION}: a Postfix-compatible mail system in one binary\n\n` +
    `usage: postkit TOOL [options] [arguments]\n` +
    `       TOOL [options] [arguments]   (through a link named TOOL)\n\n` +
    `tools:\n${lines.join("\n")}\n\n` +
    `commands:\n  init DIR [--port N]  create an instance directory that an ordinary user can run\n\n` +
    `Run "postkit TOOL --help" for a tool's options.\n`
  );
}

function die(text: string, status: number): never {
  writeAll(2, text);
  process.exit(status);
}

// No async functions on the way to a tool's run(): the first async call and await of a process costs a one-shot
// tool ~0.1 ms each (JavaScriptCore compiles their machinery at first use), so this is written with then().
function runTool(name: string, entry: ToolEntry, argv: string[]): number | Promise<number> {
  // the binary starts with a reluctant JIT (build.ts); programs that run long or loop over queues get the normal one
  if (!entry.brief) Bun.unsafe.setJITPolicy(1);
  // the mail-handling daemons write their log records once per event-loop turn (maillog.ts); the master, which
  // logs little and whose "daemon started" `postfix start` callers look for at once, writes each at once
  // and, as Postfix's servers, copy them to stderr only when it is a terminal (someone running one by hand): the
  // master gives them /dev/null there, and a write(2) per record is wasted
  const mailDaemon = entry.daemon && name !== "master";
  if (mailDaemon) deferLogFileRecords();
  initMsg(name, { stderr: entry.stderrIfTty || mailDaemon ? isTerminal(2) : true });
  return entry.load().then(
    (mod) => runLoaded(name, entry, mod, argv),
    (e) => finished(toolFailed(name, entry, e)),
  );
}

function runLoaded(name: string, entry: ToolEntry, mod: ToolModule, argv: string[]): number | Promise<number> {
  let status: number | Promise<number>;
  try {
    if (argv[0] === "--help" && argv.length === 1) {
      writeOut(mod.HELP.endsWith("\n") ? mod.HELP : `${mod.HELP}\n`);
      return finished(0);
    }
    status = mod.run(argv);
  } catch (e) {
    return finished(toolFailed(name, entry, e));
  }
  if (typeof status === "number") return finished(status);
  return status.then(finished, (e) => finished(toolFailed(name, entry, e)));
}

/** `status`, once standard output is written. */
function finished(status: number): number {
  flushOut();
  return status;
}

/** Reports what a tool threw as Postfix would; its exit status. */
function toolFailed(name: string, entry: ToolEntry, e: unknown): number {
  if (e instanceof ExitRequest) return e.exitCode;
  // glibc's getopt diagnostic always goes to stderr, then the fatal usage line
  if (e instanceof GetoptError) writeAll(2, `${name}: ${e.detail}\n`);
  if (e instanceof UsageError) {
    msgReport("fatal", `usage: ${e.message}`);
    return entry.fatalExit ?? e.exitCode;
  }
  if (e instanceof PostkitError) {
    msgReport("fatal", e.message);
    return entry.fatalExit ?? e.exitCode;
  }
  msgReport("panic", e instanceof Error ? (e.stack ?? e.message) : String(e));
  return entry.fatalExit ?? 1;
}

function main(): number | Promise<number> {
  const argv = process.argv.slice(2);
  let name = basename(process.argv0);
  if (!Object.hasOwn(TOOLS, name)) {
    if (!name.startsWith("postkit") && name !== "bun") {
      die(`postkit: fatal: unknown program name "${name}"; link the binary as one of: ${toolNames().join(", ")}\n`, EX_USAGE);
    }
    const first = argv.shift();
    if (first === undefined || first === "--help" || first === "-h" || first === "help") {
      writeOut(topHelp());
      flushOut();
      return first === undefined ? EX_USAGE : 0;
    }
    if (first === "--version" || first === "-V") {
      writeOut(`postkit ${VERSION}\n`);
      flushOut();
      return 0;
    }
    if (first === "init") {
      initMsg("postkit");
      return import("./postkit.ts")
        .then((m) => m.runTopLevel([first, ...argv]))
        .catch((e) => {
          msgReport("fatal", e instanceof Error ? e.message : String(e));
          return 1;
        });
    }
    if (!Object.hasOwn(TOOLS, first)) die(`postkit: fatal: unknown command "${first}"; run "postkit --help" for the list\n`, EX_USAGE);
    name = first;
  }
  const entry = TOOLS[name]!;
  const status = runTool(name, entry, argv);
  return typeof status === "number" ? toolDone(entry, status) : status.then((s) => toolDone(entry, s));
}

function toolDone(entry: ToolEntry, status: number): number {
  // a one-shot tool has written everything with write(2) and has nothing in flight: skip Bun's teardown
  // (except in build.ts's profiling runs: Bun writes the bytecode profile at exit)
  if (!entry.daemon && process.env.BUN_BYTECODE_ORDER_OUT === undefined) exitImmediately(status);
  return status;
}

const status = main();
if (typeof status === "number") process.exit(status);
else status.then((s) => process.exit(s));
