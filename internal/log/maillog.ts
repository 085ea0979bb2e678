/**
 * maillog — writes mail log records the way Postfix does, to `maillog_file` or to syslog.
 *
 * Record shape (the one pflogsumm and friends parse):
 *   file:    `Mmm dd hh:mm:ss HOST TAG[PID]: TEXT\n`   (HOST is myhostname up to its first dot)
 *   syslog:  `<PRI>Mmm dd hh:mm:ss TAG[PID]: TEXT`      (one datagram to /dev/log; syslogd adds the host)
 * Time is local time with a zero-padded day (`Nov 05`). TEXT is cut to 2000 bytes, as Postfix does.
 *
 * Contract: every record (in a daemon, every event-loop turn's records: see openFileSink()) is written with one
 * write(2) on a descriptor opened with O_APPEND, so concurrent writers (daemons, postsuper, postlog) never
 * interleave within a line. A log that cannot be written is never
 * fatal to mail processing: syslog datagrams that fail are dropped, as syslog(3) drops them.
 */
import { closeFd, connectUnixDgram, localTimeFields, openFile, sendDatagram, writeAll, O_APPEND, O_CREAT, O_WRONLY, SysError } from "../sys/libc.ts";
import { localTimeParts } from "../sys/localtime.ts";
import { logFileRecordsDeferred } from "./msg.ts";


/** Postfix's severities, in the order of msg.h. */
export type Level = "info" | "warning" | "error" | "fatal" | "panic";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** `Mmm dd hh:mm:ss` in local time: glibc's localtime (libc.ts localTimeFields()), as Postfix's. */
export function formatLogTime(d: Date): string {
  const tm = localTimeFields(Math.floor(d.getTime() / 1000));
  if (tm !== undefined) return `${MONTHS[tm[4]!]} ${pad2(tm[3]!)} ${pad2(tm[2]!)}:${pad2(tm[1]!)}:${pad2(tm[0]!)}`;
  const l = localTimeParts(d);
  return `${MONTHS[l.month]} ${pad2(l.day)} ${pad2(l.hours)}:${pad2(l.minutes)}:${pad2(l.seconds)}`;
}

/** `TEXT` with its severity prefix (`warning: …`); info has none. Cut to 2000 bytes as Postfix does. */
export function levelText(level: Level, text: string): string {
  const t = level === "info" ? text : `${level}: ${text}`;
  return t.length > 2000 ? Buffer.from(t).subarray(0, 2000).toString() : t;
}

/** One maillog_file line, with its newline. */
export function formatFileRecord(d: Date, host: string, tag: string, pid: number, level: Level, text: string): string {
  return `${formatLogTime(d)} ${host} ${tag}[${pid}]: ${levelText(level, text)}\n`;
}

const SYSLOG_FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10,
  ftp: 11, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};
const SYSLOG_SEVERITY: Record<Level, number> = { info: 6, warning: 4, error: 3, fatal: 2, panic: 2 };

/** The syslog facility number for a `syslog_facility` name, or undefined when the name is unknown. */
export function syslogFacility(name: string): number | undefined {
  return SYSLOG_FACILITIES[name.toLowerCase()];
}

/** Where records go. */
export interface MaillogSink {
  write(level: Level, text: string): void;
  /** Writes records held back for the end of the event-loop turn (a file sink in a daemon), now. */
  flush?(): void;
  close(): void;
}

/**
 * Appends records to a file (maillog_file; `/dev/stdout` works for containers). The file is opened, and `host`
 * (a name, or a function that finds it) asked, at the first record: a tool that logs nothing pays for neither.
 * One write(2) per record; in a daemon (msg.ts deferLogFileRecords()) one per event-loop turn: problem, an append
 * to the shared maillog takes the file's lock and allocates space, and smtpd wrote four records per message, each
 * on the path to its reply, while the queue manager appended to the same file (a quarter of smtpd's time at 20
 * sessions); solution, the records of a turn are gathered and written together once the turn's work is done.
 * Records keep their time stamps and their order; fatal and panic records (the process is about to end) and
 * process exit write at once. A kill -9 can lose the records of the turn it interrupts, but never a record of a
 * state change that others can see: code calls msg.ts flushLogRecords() before it commits a queue file or tells
 * another process a result, as Postfix logs before it replies (a delivery is logged before its queue file goes).
 */
export function openFileSink(
  path: string,
  host: string | (() => string),
  tag: () => string,
  mode = 0o600,
  inheritedFd?: number,
): MaillogSink {
  let fd: number | undefined = inheritedFd;
  let hostName = typeof host === "string" ? host : undefined;
  let pending = "";
  let scheduled = false;
  let exitHook = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === "" || fd === undefined) return;
    const data = pending;
    pending = "";
    try {
      writeAll(fd, data);
    } catch {
      // a log that cannot be written never stops mail processing
    }
  };
  return {
    write(level, text) {
      fd ??= path === "/dev/stdout" ? 1 : openFile(path, O_WRONLY | O_APPEND | O_CREAT, mode);
      hostName ??= (host as () => string)();
      const rec = formatFileRecord(new Date(), hostName, tag(), process.pid, level, text);
      if (!logFileRecordsDeferred() || level === "fatal" || level === "panic") {
        flush();
        writeAll(fd, rec);
        return;
      }
      pending += rec;
      if (scheduled) return;
      scheduled = true;
      setImmediate(flush);
      if (!exitHook) {
        exitHook = true;
        process.on("exit", flush);
      }
    },
    flush,
    close() {
      flush();
      if (fd !== undefined && fd > 2) closeFd(fd);
      fd = undefined;
    },
  };
}

/** Sends records to the local syslog daemon through /dev/log; silently drops them when there is none. */
export function openSyslogSink(facility: number, tag: () => string, socketPath = "/dev/log"): MaillogSink {
  let fd: number | undefined;
  let broken = false;
  return {
    write(level, text) {
      if (broken) return;
      try {
        if (fd === undefined) {
          try {
            fd = connectUnixDgram(socketPath);
          } catch (e) {
            // no syslog daemon listening: drop records, as syslog(3) does
            if (e instanceof SysError) {
              broken = true;
              return;
            }
            throw e;
          }
        }
        const pri = facility * 8 + SYSLOG_SEVERITY[level];
        const rec = `<${pri}>${formatLogTime(new Date())} ${tag()}[${process.pid}]: ${levelText(level, text)}`;
        sendDatagram(fd, Buffer.from(rec));
      } catch {
        broken = true;
      }
    },
    close() {
      if (fd !== undefined) closeFd(fd);
      fd = undefined;
    },
  };
}
