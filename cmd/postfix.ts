/**
 * NAME
 *   postfix — start, stop and control the mail system
 *
 * SYNOPSIS
 *   postfix [-c config_dir] [-Dv] command
 *
 * DESCRIPTION
 *   start      create missing queue directories, start the master in the background and wait until it is ready
 *              (`starting the Postfix mail system`; `fatal: the Postfix mail system is already running`)
 *   start-fg   the same, with the master in the foreground (containers, `make run`)
 *   stop       ask the master to finish in-flight work and exit (`stopping the Postfix mail system`); after five
 *              one-second polls (`waiting for the Postfix mail system to terminate`) it is killed
 *              (`warning: stopping the Postfix mail system with force`)
 *   abort      stop at once, without draining (`aborting the Postfix mail system`)
 *   reload     re-read main.cf and master.cf without losing work (`refreshing the Postfix mail system`)
 *   flush      attempt delivery of all queued mail (as `postqueue -f`)
 *   check      create missing queue directories and check the configuration files
 *   status     `the Postfix mail system is running: PID: N`, or `… is not running` (exit 1)
 *   Messages are tagged `$syslog_name/postfix-script`, logged, and also written to stderr when it is a terminal
 *   (Postfix 3.7 behaviour).
 *
 *   Postfix reserves this command for root. postkit also lets the owner of an instance's queue directory run it,
 *   so that a whole instance can run unprivileged; anybody else gets Postfix's refusal.
 *
 * OPTIONS
 *   -c config_dir  configuration directory, an absolute path (else $MAIL_CONFIG, else /etc/postfix)
 *   -D, -v         accepted; -v makes the messages verbose
 *
 * EXIT STATUS
 *   0 on success; 1 when the command fails (already running, not running, startup failed, unknown command).
 */
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { getopt } from "../internal/text/getopt.ts";
import { FatalError, UsageError } from "../internal/sys/errors.ts";
import { initMsg, msgError, msgInfo, msgWarn, setMsgStderrName, setMsgTag, setMsgVerbose } from "../internal/log/msg.ts";
import { bindLogToConfig, importedEnvironment, loadConfig, resolveConfigDir, syslogName, type Config } from "../internal/config/config.ts";
import { isPidFileLocked, readPidFile } from "../internal/fsx/lock.ts";
import { readFileBytes } from "../internal/sys/libc.ts";
import { requestFlush } from "../internal/ipc/flush.ts";

export const USAGE = "postfix [-c config_dir] [-Dv] command";

export const HELP = `usage: ${USAGE}

Control the mail system. Commands:
  start      start the mail system in the background     start-fg  in the foreground
  stop       finish in-flight work and stop               abort     stop at once
  reload     re-read main.cf and master.cf                flush     attempt delivery of all queued mail
  check      create missing queue directories, check the configuration
  status     tell whether the mail system is running
  -c config_dir  configuration directory (absolute path; default: $MAIL_CONFIG or /etc/postfix)
`;

const COMMANDS = "start (or stop, reload, abort, flush, check, status, set-permissions, upgrade-configuration, logrotate)";

/** The master's pid when it is running (its pid file is locked), else undefined. */
export function masterPid(queueDir: string): number | undefined {
  const path = join(queueDir, "pid", "master.pid");
  try {
    if (!isPidFileLocked(path)) return undefined;
    return readPidFile(readFileBytes(path).toString());
  } catch {
    return undefined;
  }
}

function checkPrivilege(cfg: Config): void {
  if (process.getuid?.() === 0) return;
  let owner: number | undefined;
  try {
    owner = statSync(cfg.get("queue_directory")).uid;
  } catch {
    owner = undefined;
  }
  if (owner === process.getuid?.()) return;
  msgError("to submit mail, use the Postfix sendmail command");
  throw new FatalError("the postfix command is reserved for the superuser");
}

async function startMaster(cfg: Config): Promise<void> {
  // the master gets what Postfix's postfix(1) leaves after clean_env() (MAIL_CONFIG = this configuration too)
  const env = importedEnvironment(cfg);
  const child = spawn(process.execPath, ["-w"], { argv0: "master", env, detached: true, stdio: ["ignore", "pipe", "ignore"] });
  const ok = await new Promise<boolean>((resolve) => {
    child.stdout!.once("data", () => resolve(true));
    child.once("exit", () => resolve(false));
    child.once("error", () => resolve(false));
  });
  child.stdout!.destroy();
  child.unref();
  if (!ok) throw new FatalError("mail system startup failed");
  void cfg;
}

/** postfix's entry point. */
export async function run(argv: string[]): Promise<number> {
  const opts = getopt(argv, "c:Dv", USAGE);
  const c = opts.last("c");
  if (c !== undefined && !c.startsWith("/")) throw new FatalError("-c requires absolute pathname");
  setMsgVerbose(opts.count("v"));
  const command = opts.args[0];
  if (command === undefined) throw new UsageError(USAGE);
  const cfg = loadConfig({ configDir: c });
  bindLogToConfig(cfg);
  checkPrivilege(cfg);
  const configDir = resolveConfigDir(c).dir;
  // the messages of the commands below are the postfix-script's in Postfix
  const tag = `${syslogName(cfg)}/postfix-script`;
  setMsgTag(tag);
  setMsgStderrName(tag);
  const queueDir = cfg.get("queue_directory");
  const pid = () => masterPid(queueDir);

  switch (command) {
    case "start":
    case "start-fg": {
      if (pid() !== undefined) throw new FatalError("the Postfix mail system is already running");
      const { prepareQueueDirectory, mailOwner } = await import("../internal/master/master.ts");
      prepareQueueDirectory(queueDir, mailOwner(cfg));
      cfg.master();
      msgInfo("starting the Postfix mail system");
      if (command === "start") {
        await startMaster(cfg);
        return 0;
      }
      const { runMaster } = await import("../internal/master/master.ts");
      const { daemonNames } = await import("./registry.ts");
      process.env.MAIL_CONFIG = configDir;
      initMsg("master"); // from here on this process is the master, as Postfix's start-fg execs it
      Bun.unsafe.setJITPolicy(1); // a resident process: the normal JIT (see cmd/registry.ts)
      return runMaster({ configDir, available: new Set(daemonNames()) });
    }
    case "stop":
    case "abort": {
      const p = pid();
      if (p === undefined) throw new FatalError("the Postfix mail system is not running");
      if (command === "abort") {
        msgInfo("aborting the Postfix mail system");
        process.kill(p, "SIGQUIT");
        return 0;
      }
      msgInfo("stopping the Postfix mail system");
      process.kill(p, "SIGTERM");
      for (let i = 0; i < 5; i++) {
        await Bun.sleep(i === 0 ? 200 : 1000);
        if (pid() === undefined) return 0;
        msgInfo("waiting for the Postfix mail system to terminate");
      }
      await Bun.sleep(1000);
      if (pid() === undefined) return 0;
      msgWarn("stopping the Postfix mail system with force");
      try {
        process.kill(-p, "SIGKILL");
      } catch {
        process.kill(p, "SIGKILL");
      }
      return 0;
    }
    case "reload": {
      const p = pid();
      if (p === undefined) throw new FatalError("the Postfix mail system is not running");
      msgInfo("refreshing the Postfix mail system");
      process.kill(p, "SIGHUP");
      return 0;
    }
    case "flush":
      if (!(await requestFlush(queueDir))) throw new FatalError("Cannot flush mail queue - mail system is down");
      return 0;
    case "check": {
      const { prepareQueueDirectory, mailOwner } = await import("../internal/master/master.ts");
      prepareQueueDirectory(queueDir, mailOwner(cfg));
      cfg.master();
      return 0;
    }
    case "status": {
      const p = pid();
      if (p === undefined) {
        msgInfo("the Postfix mail system is not running");
        return 1;
      }
      msgInfo(`the Postfix mail system is running: PID: ${p}`);
      return 0;
    }
    default:
      throw new FatalError(`unknown command: '${command}'. Usage: postfix ${COMMANDS}`);
  }
}
