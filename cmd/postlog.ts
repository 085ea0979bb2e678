/**
 * NAME
 *   postlog — write a record to the mail log
 *
 * SYNOPSIS
 *   postlog [-iv] [-c config_dir] [-p priority] [-t tag] [text...]
 *
 * DESCRIPTION
 *   Logs its arguments, joined by single spaces, as one record; with no arguments, logs each line of standard
 *   input as a record of its own. Records go where the mail system's go: `maillog_file` when set (it must match
 *   `maillog_file_prefixes`), else syslog through /dev/log with `syslog_facility`, in Postfix's shape
 *   `Mmm dd hh:mm:ss HOST TAG[PID]: [LEVEL: ]TEXT`. Non-printable characters become `?`. When standard error is
 *   a terminal, each record is also printed there as `TAG: [LEVEL: ]TEXT` (Postfix 3.7 behaviour).
 *
 * OPTIONS
 *   -c config_dir  configuration directory (else $MAIL_CONFIG, else /etc/postfix)
 *   -i             accepted for compatibility; the process id is always logged
 *   -p priority    info (default), warn or warning, error or err, fatal or crit, panic (any case)
 *   -t tag         the log tag (default `$syslog_name/postlog`)
 *   -v             verbose
 *
 * EXIT STATUS
 *   0, also after logging at fatal or panic priority (after a one-second pause, as Postfix); 1 for a usage error,
 *   a bad priority, or an unreadable configuration.
 *
 * SEE ALSO
 *   internal/log/maillog.ts for the record format.
 */
import { readSome } from "../internal/sys/libc.ts";
import { getopt } from "../internal/text/getopt.ts";
import { controlsToQuestionMarks } from "../internal/text/chars.ts";
import { FatalError } from "../internal/sys/errors.ts";
import { msgReport, setMsgStderrName, setMsgTag, setMsgVerbose } from "../internal/log/msg.ts";
import type { Level } from "../internal/log/maillog.ts";
import { bindLogToConfig, loadConfig, syslogName } from "../internal/config/config.ts";

export const USAGE = "postlog [-c config_dir] [-i] [-p priority] [-t tag] [-v] [text]";

export const HELP = `usage: ${USAGE}

Write a record to the mail log (maillog_file, or syslog).
  text...        the words of one record; without them, one record per line of standard input
  -p priority    info (default), warn, error, fatal, panic
  -t tag         log tag (default: $syslog_name/postlog)
  -c config_dir  configuration directory (default: $MAIL_CONFIG or /etc/postfix)
  -i, -v         accepted for compatibility / verbose
`;

const LEVELS: Record<string, Level> = {
  info: "info", warn: "warning", warning: "warning", error: "error", err: "error", fatal: "fatal", crit: "fatal", panic: "panic",
};

/** Postfix's printable(): control characters and DEL become `?`. */
const printable = controlsToQuestionMarks;

/** postlog's entry point. */
export function run(argv: string[]): number | Promise<number> {
  const opts = getopt(argv, "c:ip:t:v", USAGE);
  setMsgStderrName("postfix/postlog");
  const p = opts.last("p");
  const level = p === undefined ? "info" : parseLevel(p);
  setMsgVerbose(opts.count("v"));
  const cfg = loadConfig({ configDir: opts.last("c") });
  const t = opts.last("t");
  const tag = t === undefined ? `${syslogName(cfg)}/postlog` : printable(t);
  bindLogToConfig(cfg, { tag });
  setMsgTag(tag);
  setMsgStderrName(tag);
  if (opts.args.length > 0) msgReport(level, printable(opts.args.join(" ")));
  else logInputLines(level);
  if (level === "fatal" || level === "panic") return Bun.sleep(1000).then(() => 0);
  return 0;
}

// The rarer paths are functions of their own: the first call of a function costs time in proportion to its size,
// executed or not, and run() is on the path of every `postlog text`.

function parseLevel(p: string): Level {
  const l = LEVELS[p.toLowerCase()];
  if (!l) throw new FatalError(`bad severity: "${p}"`);
  return l;
}

/** One record per line of standard input, as input arrives, so `tail -f log | postlog` logs each line at once. */
function logInputLines(level: Level): void {
  const buf = Buffer.alloc(65536);
  let pending = Buffer.alloc(0);
  for (;;) {
    const n = readSome(0, buf);
    if (n === 0) break;
    pending = Buffer.concat([pending, buf.subarray(0, n)]);
    let nl: number;
    while ((nl = pending.indexOf(10)) >= 0) {
      msgReport(level, printable(pending.subarray(0, nl).toString()));
      pending = pending.subarray(nl + 1);
    }
  }
  if (pending.length > 0) msgReport(level, printable(pending.toString()));
}
