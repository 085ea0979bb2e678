/**
 * registry — the one table of postkit's programs: name, one-line summary, how to load it, and the exit status
 * Postfix uses when that program dies with a fatal error.
 *
 * Each entry's module is imported lazily, so a one-shot tool loads only its own code. A tool module exports
 * `run(argv)` (arguments after the program name; resolves to an exit status) and `HELP` (its synopsis and option
 * summary, printed by `TOOL --help`). Entries marked `daemon` are started by the master and are not listed in
 * `postkit --help`. Entries marked `brief` finish in a few milliseconds and keep the reluctant JIT the binary
 * starts with (build.ts: code that runs once is not worth compiling); every other program gets the normal JIT.
 */

/** What every tool module exports. */
export interface ToolModule {
  run(argv: string[]): Promise<number> | number;
  HELP: string;
}

/** One program of the multicall binary. */
export interface ToolEntry {
  summary: string;
  load: () => Promise<ToolModule>;
  /** Exit status of a fatal error (Postfix's cleanup hooks: sendmail and postlock 75, postqueue 69). */
  fatalExit?: number;
  /** Diagnostics reach stderr only when it is a terminal (postfix and postlog in Postfix 3.7). */
  stderrIfTty?: boolean;
  daemon?: boolean;
  /** Runs for milliseconds: keeps the start-up JIT policy instead of the normal one. */
  brief?: boolean;
}

export const TOOLS: Record<string, ToolEntry> = {
  master: { summary: "the resident process of the mail system", load: () => import("./master.ts"), daemon: true },
  postfix: { summary: "start, stop and control the mail system", load: () => import("./postfix.ts"), stderrIfTty: true, brief: true },
  qmgr: { summary: "the queue manager process", load: () => import("./qmgr.ts"), daemon: true },
  local: { summary: "local mail delivery", load: () => import("./local.ts"), daemon: true },
  virtual: { summary: "virtual domain mail delivery", load: () => import("./virtual.ts"), daemon: true },
  pipe: { summary: "delivery to external commands", load: () => import("./pipe.ts"), daemon: true },
  smtpd: { summary: "the SMTP server process", load: () => import("./smtpd.ts"), daemon: true },
  smtp: { summary: "SMTP client: delivery to remote mail servers", load: () => import("./smtp.ts"), daemon: true },
  lmtp: {
    summary: "LMTP client: delivery to local mail stores",
    load: () => import("./smtp.ts").then((m) => ({ HELP: m.LMTP_HELP, run: m.runLmtp })),
    daemon: true,
  },
  postconf: { summary: "show or edit the main.cf and master.cf configuration", load: () => import("./postconf.ts"), brief: true },
  postkick: { summary: "send a wake-up request to a mail system service", load: () => import("./postkick.ts"), brief: true },
  postlock: { summary: "lock a mail folder and run a command", load: () => import("./postlock.ts"), fatalExit: 75, brief: true },
  postlog: { summary: "write a record to the mail log", load: () => import("./postlog.ts"), stderrIfTty: true, brief: true },
  postmap: { summary: "build, query, list and edit lookup tables", load: () => import("./postmap.ts") },
  postalias: { summary: "build, query, list and edit alias tables", load: () => import("./postalias.ts") },
  newaliases: { summary: "rebuild the alias tables listed in alias_database", load: () => import("./newaliases.ts") },
  postqueue: { summary: "list the mail queue, deliver queued mail now", load: () => import("./postqueue.ts"), fatalExit: 69 },
  mailq: {
    summary: "list the mail queue (postqueue -p)",
    load: () => import("./postqueue.ts").then((m) => ({ HELP: m.MAILQ_HELP, run: m.runMailq })),
    fatalExit: 69,
  },
  postsuper: { summary: "delete, hold, release, requeue and repair queued mail", load: () => import("./postsuper.ts") },
  sendmail: { summary: "submit mail (Sendmail compatibility interface)", load: () => import("./sendmail.ts"), fatalExit: 75, brief: true },
  postdrop: { summary: "put a message record stream into the maildrop queue", load: () => import("./postdrop.ts"), brief: true },
  postcat: { summary: "show the contents of queue files", load: () => import("./postcat.ts") },
};

/** Names of the daemons the master can start. */
export function daemonNames(): string[] {
  return Object.keys(TOOLS).filter((n) => TOOLS[n]!.daemon);
}

/** Names of the user-facing tools, in the order `postkit --help` lists them. */
export function toolNames(): string[] {
  return Object.keys(TOOLS).filter((n) => !TOOLS[n]!.daemon);
}
