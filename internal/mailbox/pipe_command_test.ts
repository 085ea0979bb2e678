/**
 * pipe_command_test — a command delivery's exit status, output and time limit become Postfix's status texts;
 * the command gets the message on its input and only the environment Postfix gives it.
 */
import { test, expect, describe } from "bun:test";
import { cleanOutput, directArgv, pipeCommand, type PipeCommand } from "./pipe_command.ts";

const run = (command: string, more: Partial<PipeCommand> = {}) =>
  pipeCommand({ command, env: {}, exportEnv: [], timeLimit: 10, cwd: "/", data: () => [Buffer.from("From a  b\nSubject: s\n\nbody\n")], ...more });

describe("pipeCommand()", () => {
  test.each([
    ["exit 0", "cat >/dev/null", "ok", "2.0.0", ""],
    ["EX_TEMPFAIL", "exit 75", "defer", "4.3.0", "temporary failure"],
    ["EX_NOUSER with output", "echo no such user; exit 67", "bounce", "5.1.1", "user unknown. Command output: no such user "],
    ["another status", "echo oops; exit 1", "bounce", "5.3.0", 'Command died with status 1: "echo oops; exit 1". Command output: oops '],
    ["a status code in the output", "echo 4.7.1 come back later; exit 1", "defer", "4.7.1", "come back later "],
    ["a signal", "kill -9 $$", "defer", "4.3.0", 'Command died with signal 9: "kill -9 $$"'],
    ["a command that is not there (shell)", "nosuchcommand-x", "bounce", "5.3.0", 'Command died with status 127: "nosuchcommand-x". Command output: sh: 1: nosuchcommand-x: not found '],
    ["a command that cannot be executed", "/nonexistent/prog", "defer", "4.3.0", "temporary failure. Command output: local: fatal: execvp /nonexistent/prog: No such file or directory "],
  ] as const)("%s", async (_label, cmd, status, dsn, reason) => {
    const r = await run(cmd);
    expect([r.status, r.dsn, r.reason]).toEqual([status, dsn, reason]);
  });

  test("argv (pipe(8)): executed without a shell; the texts name the program", async () => {
    const r = await run("ignored", { argv: ["/bin/sh", "-c", "echo $0 $1; exit 9", "a b", "$HOME"] });
    expect([r.status, r.dsn, r.reason]).toEqual(["bounce", "5.3.0", 'Command died with status 9: "/bin/sh". Command output: a b $HOME ']);
    const n = await run("ignored", { argv: ["/nonexistent/prog", "x"], procName: "pipe" });
    expect([r.status, n.dsn, n.reason]).toEqual(["bounce", "4.3.0", "temporary failure. Command output: pipe: fatal: pipe_command: execvp /nonexistent/prog: No such file or directory "]);
  });

  test("the input is the whole message; a command that reads none of it still delivers", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
    const r = await run("wc -c", { data: () => [big, big] });
    expect(r.output.trim()).toBe(String(6 * 1024 * 1024));
    expect((await run("true", { data: () => [big, big] })).status).toBe("ok");
  });

  test("the time limit kills the command and its children: bounce 5.3.0", async () => {
    const t0 = Date.now();
    const r = await run("sleep 30 & sleep 30", { timeLimit: 1 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect([r.status, r.dsn, r.reason]).toEqual(["bounce", "5.3.0", 'Command time limit exceeded: "sleep 30 & sleep 30"']);
  });

  test("environment: the exported variables, PATH, and the caller's; nothing else", async () => {
    process.env.POSTKIT_PIPE_TEST = "kept";
    process.env.POSTKIT_PIPE_SECRET = "dropped";
    const r = await run("env", { env: { RECIPIENT: "a@b", SENDER: "" }, exportEnv: ["POSTKIT_PIPE_TEST"], cwd: "/tmp" });
    const vars = r.output.trim().split(" ").filter((v) => v !== "" && !v.startsWith("PWD=") && !v.startsWith("SHLVL=") && !v.startsWith("_="));
    expect(vars.sort()).toEqual(["PATH=/usr/bin:/bin", "POSTKIT_PIPE_TEST=kept", "RECIPIENT=a@b", "SENDER="]);
  });

  test("local_command_shell runs every command through that shell", async () => {
    const r = await run("echo $0; exit 3", { shell: "/usr/bin/printf <%s>" });
    expect([r.status, r.output]).toEqual(["ok", "<echo $0; exit 3>"]);
  });
});

test.each([
  ["/usr/bin/procmail -a x", ["/usr/bin/procmail", "-a", "x"]],
  ["cat > /tmp/x", undefined],
  ["echo $HOME", undefined],
  ["  ", undefined],
])("directArgv(%p)", (cmd, want) => {
  expect(directArgv(cmd)).toEqual(want as string[] | undefined);
});

test("cleanOutput() turns tabs and newlines into spaces and other unprintables into _", () => {
  expect(cleanOutput(Buffer.from("a\tb\nc\x01\xe4", "latin1"))).toBe("a b c__");
});

