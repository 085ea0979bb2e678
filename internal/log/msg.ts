/**
 * msg — Postfix's msg_info/msg_warn/msg_error/msg_fatal vocabulary for every postkit program.
 *
 * A record goes to stderr as `PROG: TEXT` or `PROG: LEVEL: TEXT` (for interactive tools; postfix(1) and
 * postlog(1) only when stderr is a terminal, as in Postfix 3.7) and to the mail log sink as
 * `TAG[PID]: LEVEL: TEXT`, where TAG is `$syslog_name/PROG`. Until the configuration is read, the sink is syslog
 * with the tag `postfix/PROG`, as Postfix before main.cf is read.
 *
 * Fatal errors are not logged here: code throws `FatalError` (../sys/errors.ts) and cmd/main.ts reports it
 * through `msgReport("fatal", …)`, so libraries never exit the process.
 */
import { writeAll } from "../sys/libc.ts";
import type { Level, MaillogSink } from "./maillog.ts";

interface MsgState {
  prog: string;
  stderrName: string;
  tag: string;
  stderr: boolean;
  verbose: number;
  sink: MaillogSink | undefined;
  defaultSink: boolean;
}

const state: MsgState = { prog: "postkit", stderrName: "postkit", tag: "postfix/postkit", stderr: true, verbose: 0, sink: undefined, defaultSink: true };

/** Names the program for stderr and the log tag; called once by cmd/main.ts. */
export function initMsg(prog: string, opts: { stderr?: boolean } = {}): void {
  state.prog = prog;
  state.stderrName = prog;
  state.tag = `postfix/${prog}`;
  state.stderr = opts.stderr ?? true;
}

/** The program name (what Postfix calls the process name). */
export function msgProgName(): string {
  return state.prog;
}

/** Replaces the prefix of stderr lines (postlog prints its log tag there, as Postfix's postlog does). */
export function setMsgStderrName(name: string): void {
  state.stderrName = name;
}

/** The current log tag (`$syslog_name/PROG` once configured). */
export function msgTag(): string {
  return state.tag;
}

/** Replaces the log tag (postlog -t, or syslog_name from main.cf). */
export function setMsgTag(tag: string): void {
  state.tag = tag;
}

/** Installs where log records go (maillog_file or syslog); `undefined` keeps stderr only. */
export function setMsgSink(sink: MaillogSink | undefined): void {
  state.sink?.close();
  state.sink = sink;
  state.defaultSink = false;
}

/** Raises verbosity (-v); msgVerbose() lines are emitted only when it is > 0. */
export function setMsgVerbose(level: number): void {
  state.verbose = level;
}

/** Current -v level. */
export function msgVerboseLevel(): number {
  return state.verbose;
}

/** Turns stderr copies of records on or off. */
export function setMsgStderr(on: boolean): void {
  state.stderr = on;
}

let defaultSinkFactory: (() => MaillogSink | undefined) | undefined;

/** Registers how to make the pre-configuration sink (syslog), created only if something is logged before. */
export function setDefaultSinkFactory(f: () => MaillogSink | undefined): void {
  defaultSinkFactory = f;
}

/** Writes one record at `level` to stderr (if enabled) and to the log sink. */
export function msgReport(level: Level, text: string): void {
  if (state.stderr) {
    const line = level === "info" ? `${state.stderrName}: ${text}\n` : `${state.stderrName}: ${level}: ${text}\n`;
    try {
      writeAll(2, line);
    } catch {
      // stderr closed: nothing useful left to do with a diagnostic
    }
  }
  if (state.defaultSink && state.sink === undefined && defaultSinkFactory) {
    state.sink = defaultSinkFactory();
  }
  try {
    state.sink?.write(level, text);
  } catch {
    // a log that cannot be written never stops mail processing
  }
}

/** msg_info(). */
export function msgInfo(text: string): void {
  msgReport("info", text);
}

/** msg_warn(). */
export function msgWarn(text: string): void {
  msgReport("warning", text);
}

/** msg_error(). */
export function msgError(text: string): void {
  msgReport("error", text);
}

/** msg_info() when running with -v (or -vv for level 2). */
export function msgVerbose(text: string, level = 1): void {
  if (state.verbose >= level) msgReport("info", text);
}

/**
 * msgLog() under the tag of another program of the mail system: `$syslog_name/PROG`, the current tag with its
 * last part replaced. postkit runs pickup and cleanup inside the queue manager (and cleanup inside smtpd), and
 * bounce notices wherever a bounce is decided; their records carry the tags Postfix's own processes give them
 * (`postfix/pickup`, `postfix/cleanup`, `postfix/bounce`), which is what log readers such as pflogsumm count by.
 */
export function msgLogAs(prog: string, level: Level, text: string): void {
  const saved = state.tag;
  const slash = saved.lastIndexOf("/");
  state.tag = `${slash < 0 ? saved : saved.slice(0, slash)}/${prog}`;
  try {
    msgLog(level, text);
  } finally {
    state.tag = saved;
  }
}

let deferFileRecords = false;

/** Daemons: maillog_file records are written once per event-loop turn (maillog.ts openFileSink()). */
export function deferLogFileRecords(on = true): void {
  deferFileRecords = on;
}

/** Whether deferLogFileRecords() was called. */
export function logFileRecordsDeferred(): boolean {
  return deferFileRecords;
}

/**
 * Writes the records a daemon's file sink holds back for the end of the event-loop turn, now. Called before a
 * state change that another process can see (a queue file committed, a delivery result sent to the queue manager
 * that will remove the file): a kill -9 right after it must not leave the change without its log record.
 */
export function flushLogRecords(): void {
  state.sink?.flush?.();
}

/** Writes a record to the log sink only, never to stderr (daemon events such as `QID: removed`). */
export function msgLog(level: Level, text: string): void {
  const saved = state.stderr;
  state.stderr = false;
  try {
    msgReport(level, text);
  } finally {
    state.stderr = saved;
  }
}
