/**
 * NAME
 *   postkit — the top-level command of the multicall binary
 *
 * SYNOPSIS
 *   postkit TOOL [options] [arguments]     run a tool (same as the binary started as TOOL)
 *   postkit init DIR [--port N]            create an instance directory
 *   postkit --help | --version
 *
 * DESCRIPTION
 *   `init` creates a self-contained instance that an ordinary user can run: DIR/etc/main.cf (every path inside
 *   DIR), DIR/etc/master.cf (the stock services, with the SMTP server on 127.0.0.1:N, default 2525),
 *   DIR/etc/aliases (postmaster goes to the user who ran init) and its hash table, and the queue, mail, data and
 *   log directories. Start it with `postfix -c DIR/etc start` (or start-fg). Existing files are never replaced.
 *
 *   This layer uses citty; tools are dispatched before it is loaded, so they do not pay its start-up cost.
 *
 * EXIT STATUS
 *   0 on success, 1 when init fails, 64 for an unknown command.
 */
import { defineCommand, runCommand } from "citty";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { getpwuid } from "../internal/sys/passwd.ts";
import { FatalError } from "../internal/sys/errors.ts";
import { instanceMainCf, stockMasterCf } from "../internal/config/stock_config.ts";
import { prepareQueueDirectory } from "../internal/master/master.ts";

/** Creates an instance directory (see the header). */
export async function initInstance(dirArg: string, port: number): Promise<void> {
  const dir = resolve(dirArg);
  for (const d of ["etc", "queue", "data", "mail", "log"]) mkdirSync(`${dir}/${d}`, { recursive: true });
  const write = (path: string, text: string) => {
    if (!existsSync(path)) writeFileSync(path, text);
  };
  write(`${dir}/etc/main.cf`, instanceMainCf(dir));
  write(`${dir}/etc/master.cf`, stockMasterCf(`127.0.0.1:${port}`));
  write(`${dir}/etc/aliases`, `# aliases(5) of this instance; run newaliases -c ${dir}/etc after changes\npostmaster: ${getpwuid(process.getuid?.() ?? 0)?.name ?? "root"}\n`);
  prepareQueueDirectory(`${dir}/queue`);
  const p = Bun.spawnSync({ cmd: [process.execPath, "-c", `${dir}/etc`, `hash:${dir}/etc/aliases`], argv0: "postalias", stdout: "inherit", stderr: "inherit" });
  if (p.exitCode !== 0) throw new FatalError(`build ${dir}/etc/aliases failed`);
}

const init = defineCommand({
  meta: { name: "init", description: "create an instance directory that an ordinary user can run" },
  args: {
    dir: { type: "positional", description: "the instance directory", required: true },
    port: { type: "string", description: "SMTP port on 127.0.0.1 (default 2525)", default: "2525" },
  },
  async run({ args }) {
    const port = Number(args.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FatalError(`bad port: ${args.port}`);
    await initInstance(String(args.dir), port);
  },
});

/** The top-level commands besides the tools. */
export const TOP_LEVEL_COMMANDS = ["init"];

/** Runs a top-level command with `argv` (the arguments after `postkit`); errors propagate to cmd/main.ts. */
export async function runTopLevel(argv: string[]): Promise<number> {
  const main = defineCommand({
    meta: { name: "postkit", description: "a Postfix-compatible mail system in one binary" },
    subCommands: { init },
  });
  await runCommand(main, { rawArgs: argv });
  return 0;
}
