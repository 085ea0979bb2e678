/**
 * master — the resident process of a running postkit instance (Postfix's master(8)).
 *
 * PROCESS MODEL
 *   master (root, or the instance owner)
 *     ├─ qmgr    one process: pickup, cleanup, the queue manager, bounce/defer notices, and the discard and error
 *     │          transports. Runs as mail_owner when the master is root. Woken through public/pickup and
 *     │          public/qmgr (FIFOs, created here so postkick and sendmail find them even while it restarts).
 *     ├─ local, virtual, pipe   delivery agents (master.cf `unpriv` = n): stay root when the master is root,
 *     │          because they deliver with each recipient's uid; listen on private/<service>.
 *     ├─ smtp, lmtp, relay …    network delivery agents: run as mail_owner; listen on private/<service>.
 *     └─ smtpd   one process per master.cf `inet … smtpd` service (smtp, submission, host:port); started as root
 *                when the master is root, it loads keys and tables and then drops to mail_owner before it accepts.
 *                The master binds the service's listening socket(s) itself (inet_listener.ts) and keeps them open
 *                across restarts and reloads; the child gets them as inherited descriptors named in
 *                POSTKIT_LISTEN_FD and accepts on them (net.Server.listen({fd})). The master.cf maxproc column
 *                does not apply: one event-driven process serves every connection of the service.
 *   Each child is `postkit` itself, started with argv0 = the daemon name and `-S service -t type -o …` from its
 *   master.cf line, and an environment made as Postfix's master makes it: the variables import_environment names
 *   (NAME copies the master's value when it has one, NAME=VALUE sets it), PATH, MAIL_CONFIG, and the maillog
 *   and listening-socket descriptors. Untrusted input (maildrop files, SMTP, the network) is only ever parsed in
 *   children that do not hold root, except local delivery, which must be root to become the recipient and reads
 *   only queue files that the qmgr wrote.
 *   master.cf services that postkit implements inside the qmgr process (pickup, cleanup, bounce, defer, trace,
 *   discard, error, retry, rewrite, showq) or does not need (tlsmgr, anvil, scache, verify, proxymap, flush,
 *   postlog) start no process of their own.
 *
 * LIFE
 *   start: lock pid/master.pid (a second master fails), create missing queue directories and FIFOs, start the
 *   children, send each service its wake-up (`W`) every master.cf wakeup seconds, signal readiness to
 *   `postfix start`, log `daemon started -- version V, configuration DIR`.
 *   A child that exits unexpectedly is logged (`process NAME pid N exit status S`) and restarted, after a delay
 *   that grows while it keeps failing within seconds of its start (1 s doubling to 60 s).
 *   SIGHUP: `reload -- version V, configuration DIR`; main.cf and master.cf are read again and every child is
 *   asked to finish its work and exit (SIGTERM); each is started again with the new configuration.
 *   SIGTERM: `terminating on signal 15`; children finish in-flight work (drain), then the master exits.
 *   SIGQUIT: children are killed at once (postfix abort); queue files are crash-safe, so nothing is lost.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, closeSync, constants, fchmodSync, fchownSync, fstatSync, lchownSync, lstatSync, mkdirSync, openSync, readdirSync, writeSync } from "node:fs";
import { join } from "node:path";
import { bindLogToConfig, importedEnvironment, loadConfig, maillogFileMode, type Config } from "../config/config.ts";
import type { MasterEntry } from "../config/master_cf.ts";
import { serviceOverrides } from "../config/master_cf.ts";
import { msgInfo, msgWarn } from "../log/msg.ts";
import { FatalError } from "../sys/errors.ts";
import { getpwnam } from "../sys/passwd.ts";
import { mkfifo } from "../sys/libc.ts";
import { lockPidFile, LockError } from "../fsx/lock.ts";
import { ensureQueueDirs, isValidQueueId } from "../queue/index.ts";
import { sendTrigger } from "../ipc/trigger.ts";
import { MAIL_VERSION } from "../config/version.ts";
import { closeInetListener, openInetListener, parseInetListen, type ListenAddress } from "./inet_listener.ts";

/** master.cf commands that run as a process of their own, and whether they are network (unprivileged) agents. */
const AGENT_COMMANDS: Record<string, { privileged: boolean }> = {
  local: { privileged: true },
  virtual: { privileged: true },
  pipe: { privileged: true },
  smtp: { privileged: false },
  lmtp: { privileged: false },
};

/** One child process the master keeps running. */
interface ChildSpec {
  key: string;
  daemon: string;
  args: string[];
  uid?: number;
  gid?: number;
  /** inet services: the addresses whose listening sockets the child inherits. */
  listen?: ListenAddress[];
}

interface Running {
  spec: ChildSpec;
  proc: ChildProcess;
  started: number;
  failures: number;
}

/** Options for runMaster(). */
export interface MasterOptions {
  configDir?: string;
  /** Descriptor to write one byte to once the master is ready (postfix start waits for it). */
  readyFd?: number;
  /** Names of the daemons this binary contains (from cmd/registry.ts). */
  available: ReadonlySet<string>;
}

function childSpecs(cfg: Config, available: ReadonlySet<string>, owner: { uid: number; gid: number } | undefined): ChildSpec[] {
  const specs: ChildSpec[] = [];
  const master: MasterEntry[] = cfg.master();
  if (master.some((e) => e.command === "qmgr" || e.command === "pickup")) {
    specs.push({ key: "qmgr", daemon: "qmgr", args: ["-S", "qmgr", "-t", "unix"], ...(owner ?? {}) });
  }
  for (const e of master) {
    if (e.type === "inet" && e.command === "smtpd") {
      if (!available.has("smtpd")) {
        msgWarn(`service "${e.service}": command "smtpd" is not available in this build of postkit; not started`);
        continue;
      }
      const args = ["-S", e.service, "-t", e.type];
      for (const [k, v] of serviceOverrides(e)) args.push("-o", `${k}=${v}`);
      const local = new Map(serviceOverrides(e));
      const interfaces = local.get("inet_interfaces") ?? cfg.get("inet_interfaces");
      // started with the master's identity: smtpd reads its TLS keys and tables (root-only files, like Postfix's
      // smtpd does before it drops privileges), then becomes mail_owner itself before it accepts a connection
      specs.push({ key: `${e.service}/inet`, daemon: "smtpd", args, listen: parseInetListen(e.service, interfaces) });
      continue;
    }
    const agent = AGENT_COMMANDS[e.command];
    if (!agent) continue; // embedded in the qmgr process (EMBEDDED), or a service postkit does not need
    if (e.type !== "unix") continue;
    if (!available.has(e.command)) {
      msgWarn(`service "${e.service}": command "${e.command}" is not available in this build of postkit; not started`);
      continue;
    }
    const args = ["-S", e.service, "-t", e.type];
    for (const [k, v] of serviceOverrides(e)) args.push("-o", `${k}=${v}`);
    const rest = commandArgs(e);
    if (rest.length > 0) args.push("--", ...rest);
    const privileged = agent.privileged && e.unpriv === "n";
    specs.push({ key: `${e.service}/${e.type}`, daemon: e.command, args, ...(privileged ? {} : (owner ?? {})) });
  }
  return specs;
}

/** The master.cf arguments after the daemon options (`-o name=value`, `-v`, `-D`): pipe's attributes. */
function commandArgs(e: MasterEntry): string[] {
  let i = 0;
  while (i < e.args.length) {
    const a = e.args[i]!;
    if (a === "--") return e.args.slice(i + 1);
    if (a[0] !== "-") break;
    i += a === "-o" ? 2 : 1;
  }
  return e.args.slice(i);
}

function ensureFifo(path: string): void {
  try {
    const st = lstatSync(path);
    if (st.isFIFO()) return;
    throw new FatalError(`${path}: not a FIFO`);
  } catch (e) {
    if (e instanceof FatalError) throw e;
  }
  mkfifo(path, 0o622);
  chmodSync(path, 0o622);
}

/**
 * Creates the queue directories, public/ private/ pid/ and the trigger FIFOs. With `owner` (a root master whose
 * mail_owner is not root), everything but the queue directory itself and pid/ is given to mail_owner, as
 * Postfix's set-permissions does, so the unprivileged qmgr and agents can use them, and maildrop becomes
 * set-gid (3733) so that submitted files carry mail_owner's group.
 */
export function prepareQueueDirectory(queueDir: string, owner?: { uid: number; gid: number }): void {
  ensureQueueDirs(queueDir, { modes: { maildrop: 0o1733 } });
  for (const [d, mode] of [["public", 0o755], ["private", 0o700], ["pid", 0o755]] as const) {
    mkdirSync(join(queueDir, d), { recursive: true, mode });
  }
  ensureFifo(join(queueDir, "public", "pickup"));
  ensureFifo(join(queueDir, "public", "qmgr"));
  if (owner && owner.uid !== 0) {
    for (const name of readdirSync(queueDir)) {
      if (name === "pid") continue;
      // maildrop's files belong to their submitters: the owner is what pickup trusts
      if (name === "maildrop") lchownSync(join(queueDir, name), owner.uid, owner.gid);
      else chownTree(join(queueDir, name), owner.uid, owner.gid);
    }
    // set-gid maildrop: files users drop there get mail_owner's group, so pickup can read them (mode 0740)
    // while other users cannot (see internal/submit/maildrop.ts)
    chmodSync(join(queueDir, "maildrop"), 0o3733);
    adoptMaildropFiles(join(queueDir, "maildrop"), owner.gid);
  }
}

/**
 * Files submitted before the maildrop was made set-gid (sendmail run as root before the first `postfix start`)
 * carry the submitter's group and mode 0700, which pickup, running as mail_owner, cannot read: they would wait
 * forever. Each complete submission is given mail_owner's group and group read permission, as the set-gid
 * directory would have given it. Done through the open file (O_NOFOLLOW, then fstat): a name swapped for a
 * symbolic link or a hard link to another file between the listing and the change is left alone.
 */
function adoptMaildropFiles(dir: string, gid: number): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!isValidQueueId(name)) continue; // temporary files of submissions in progress, and strangers
    let fd: number;
    try {
      fd = openSync(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      continue;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.nlink !== 1 || st.gid === gid || (st.mode & 0o100) === 0) continue;
      fchownSync(fd, -1, gid);
      fchmodSync(fd, (st.mode & 0o700) | 0o040);
    } catch (e) {
      msgWarn(`maildrop/${name}: cannot give it the mail system's group: ${(e as Error).message}`);
    } finally {
      closeSync(fd);
    }
  }
}

function chownTree(path: string, uid: number, gid: number): void {
  const st = lstatSync(path);
  if (st.uid !== uid || st.gid !== gid) lchownSync(path, uid, gid);
  if (st.isDirectory()) for (const n of readdirSync(path)) chownTree(join(path, n), uid, gid);
}

/** mail_owner's uid and gid when running as root; undefined otherwise (everything runs as the instance owner). */
export function mailOwner(cfg: Config): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const pw = getpwnam(cfg.get("mail_owner"));
  if (!pw) throw new FatalError(`unknown mail_owner user: ${cfg.get("mail_owner")}`);
  return { uid: pw.uid, gid: pw.gid };
}

/** Runs the master until it is stopped; resolves to the exit status. */
export async function runMaster(opts: MasterOptions): Promise<number> {
  let cfg = loadConfig({ configDir: opts.configDir });
  bindLogToConfig(cfg);
  const queueDir = cfg.get("queue_directory");
  const owner = mailOwner(cfg);
  prepareQueueDirectory(queueDir, owner);
  // The master keeps the trigger FIFOs open (and never reads them), as Postfix's master owns its services'
  // endpoints: a postkick or sendmail wake-up is accepted while the daemon behind it is (re)starting, and the
  // daemon reads it once it is up.
  const heldFifos = ["pickup", "qmgr"].map((n) => openSync(join(queueDir, "public", n), constants.O_RDWR | constants.O_NONBLOCK));
  let pid;
  try {
    pid = lockPidFile(join(queueDir, "pid", "master.pid"));
  } catch (e) {
    if (e instanceof LockError) throw new FatalError(`open lock file pid/master.pid: ${e.message}`);
    throw e;
  }

  const running = new Map<string, Running>();
  let specs = childSpecs(cfg, opts.available, owner);
  let state: "running" | "stopping" | "aborting" = "running";
  // The master opens maillog_file for its children: an unprivileged daemon could not open a root-owned log
  // (Postfix solves this with its postlogd service).
  let logFd: number | undefined;
  let logPath = "";
  const openLog = () => {
    if (logFd !== undefined) closeSync(logFd);
    logFd = undefined;
    logPath = cfg.get("maillog_file");
    if (logPath !== "" && logPath !== "/dev/stdout") {
      logFd = openSync(logPath, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, maillogFileMode(cfg));
    }
  };
  openLog();
  const env = (): Record<string, string> => {
    const e = importedEnvironment(cfg);
    if (logFd !== undefined) {
      e.POSTKIT_MAILLOG_FD = "3";
      e.POSTKIT_MAILLOG = logPath;
    }
    return e;
  };

  // listening sockets of inet services, by "host port"; opened before the first child needs them
  const listeners = new Map<string, number>();
  const listenerFds = (spec: ChildSpec): number[] => {
    const fds: number[] = [];
    for (const a of spec.listen ?? []) {
      const k = `${a.host} ${a.port}`;
      let fd = listeners.get(k);
      if (fd === undefined) {
        fd = openInetListener(a);
        listeners.set(k, fd);
      }
      fds.push(fd);
    }
    return fds;
  };
  const closeUnusedListeners = () => {
    const wanted = new Set<string>();
    for (const sp of specs) for (const a of sp.listen ?? []) wanted.add(`${a.host} ${a.port}`);
    for (const [k, fd] of listeners) {
      if (wanted.has(k)) continue;
      closeInetListener(fd);
      listeners.delete(k);
    }
  };
  for (const sp of specs) listenerFds(sp); // bind failures at start-up are fatal, as in Postfix

  const start = (spec: ChildSpec, failures = 0) => {
    let inherit: number[] = [];
    try {
      inherit = listenerFds(spec);
    } catch (e) {
      msgWarn(`service ${spec.key}: ${(e as Error).message}; not started`);
      return;
    }
    const stdio: (number | "ignore" | "inherit")[] = ["ignore", "ignore", "inherit"];
    if (logFd !== undefined) stdio.push(logFd);
    const childEnv = env();
    childEnv.POSTKIT_MASTER_PID = String(process.pid); // the daemon stops when its master goes away (service.ts)
    if (inherit.length > 0) {
      childEnv.POSTKIT_LISTEN_FD = inherit.map((_, i) => String(stdio.length + i)).join(",");
      stdio.push(...inherit);
    }
    const proc = spawn(process.execPath, spec.args, {
      argv0: spec.daemon,
      env: childEnv,
      stdio,
      ...(spec.uid !== undefined ? { uid: spec.uid, gid: spec.gid } : {}),
    });
    const r: Running = { spec, proc, started: Date.now(), failures };
    running.set(spec.key, r);
    proc.on("exit", (code, signal) => {
      if (running.get(spec.key)?.proc === proc) running.delete(spec.key);
      if (state !== "running") {
        if (running.size === 0) allExited?.();
        return;
      }
      const wanted = specs.find((s) => s.key === spec.key);
      if (!wanted) return;
      const quick = Date.now() - r.started < 10_000;
      const clean = code === 0 && signal === null;
      if (!clean) {
        msgWarn(`process ${spec.daemon} pid ${proc.pid} ${signal ? `killed by signal ${signalNumber(signal)}` : `exit status ${code}`}`);
      }
      const nextFailures = clean ? 0 : quick ? r.failures + 1 : 0;
      const delay = clean ? 0 : Math.min(60_000, 1000 * 2 ** Math.max(0, nextFailures - 1));
      if (nextFailures > 1) msgWarn(`${spec.daemon}: bad command startup -- throttling`);
      setTimeout(() => {
        if (state === "running" && !running.has(spec.key)) start(wanted, nextFailures);
      }, delay);
    });
  };
  for (const s of specs) start(s);

  // wake-ups from master.cf's wakeup column (pickup 60 s, qmgr 300 s)
  let timers: ReturnType<typeof setInterval>[] = [];
  const armWakeups = () => {
    for (const t of timers) clearInterval(t);
    timers = [];
    for (const e of cfg.master()) {
      const m = /^(\d+)\??$/.exec(e.wakeup);
      if (!m || Number(m[1]) === 0 || (e.command !== "pickup" && e.command !== "qmgr")) continue;
      const fifo = e.command;
      timers.push(setInterval(() => void sendTrigger(queueDir, "public", fifo, Buffer.from("W")), Number(m[1]) * 1000));
    }
  };
  armWakeups();

  msgInfo(`daemon started -- version ${MAIL_VERSION}, configuration ${cfg.configDir}`);
  if (opts.readyFd !== undefined) {
    try {
      writeSync(opts.readyFd, "R");
    } catch {
      // the starter went away; keep running
    }
  }

  let allExited: (() => void) | undefined;
  const done = new Promise<number>((resolve) => {
    const terminate = (how: "stopping" | "aborting", sig: number) => {
      if (state !== "running") {
        if (how === "aborting") for (const r of running.values()) r.proc.kill("SIGKILL");
        return;
      }
      state = how;
      msgInfo(`terminating on signal ${sig}`);
      for (const t of timers) clearInterval(t);
      for (const r of running.values()) r.proc.kill(how === "aborting" ? "SIGKILL" : "SIGTERM");
      const finish = () => {
        for (const fd of heldFifos) closeSync(fd);
        for (const fd of listeners.values()) closeInetListener(fd);
        listeners.clear();
        pid.release();
        resolve(0);
      };
      if (running.size === 0) finish();
      else allExited = finish;
    };
    process.on("SIGTERM", () => terminate("stopping", 15));
    process.on("SIGINT", () => terminate("stopping", 2));
    process.on("SIGQUIT", () => terminate("aborting", 3));
    process.on("SIGHUP", () => {
      if (state !== "running") return;
      try {
        const next = loadConfig({ configDir: opts.configDir });
        next.master();
        cfg = next;
        bindLogToConfig(cfg);
        openLog();
      } catch (e) {
        msgWarn(`reload failed, keeping the old configuration: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      msgInfo(`reload -- version ${MAIL_VERSION}, configuration ${cfg.configDir}`);
      specs = childSpecs(cfg, opts.available, owner);
      closeUnusedListeners();
      armWakeups();
      // every child finishes its work and exits; the exit handler starts it again with the new configuration
      for (const r of running.values()) r.proc.kill("SIGTERM");
      for (const s of specs) if (!running.has(s.key)) start(s);
    });
  });
  return done;
}

function signalNumber(sig: NodeJS.Signals): number {
  const n: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
  return n[sig] ?? 0;
}
