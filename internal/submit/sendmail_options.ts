/**
 * sendmail_options — sendmail's command line as Postfix 3.7 reads it: the mode, the enqueue flags, the DSN and
 * sender options, and the recipients, with Postfix's warnings and fatal messages.
 *
 * Postfix reads the command line twice: a first pass only looks for `-C` (so that the right main.cf is read
 * before anything else) and prints every getopt diagnostic; the second pass acts on the options and stops at the
 * first bad one, so a bad option is reported twice (`sendmail: invalid option -- 'Z'` two times, then the fatal
 * usage line), which sendmailConfigDir() and parseSendmailArgs() reproduce. Options are parsed like glibc
 * getopt(3) in POSIX mode (`+`: the first operand ends the options) with three exceptions handled before each
 * argument, as Postfix does: a bare `-q` (flush the queue), `-XV` (VERP with the default delimiters), and the
 * deprecated VERP spellings `-V xy` and `-Vxy` (warned about and rewritten to `-XV`).
 *
 * The program name chooses the default mode: `mailq` lists the queue, `newaliases` rebuilds the aliases,
 * `smtpd` is daemon mode, anything else enqueues. See postfix.md §10.1 for the table of options.
 *
 * Contract: pure apart from the `warn`/`info` callbacks; throws FatalError for what Postfix rejects with
 * msg_fatal (the caller's exit status is 75 for every fatal, as sendmail's cleanup hook makes it) and GetoptError
 * for an unknown option or a missing value. Also exports Postfix's DSN option parsers (dsn_mask.c) and fullname().
 * Postfix: src/sendmail/sendmail.c main(), src/global/dsn_mask.c, src/util/fullname.c.
 */
import { FatalError } from "../sys/errors.ts";
import { GetoptError } from "../text/getopt.ts";
import { DSN_NOTIFY, TRACE_FLAG } from "../queue/queue_record.ts";

/** sendmail's getopt(3) option string (Postfix 3.7). */
export const SENDMAIL_OPTIONS = "A:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx";

/** What sendmail was asked to do. */
export type SendmailMode = "enqueue" | "newaliases" | "mailq" | "daemon" | "user" | "flushq" | "ignore";

/** DSN NOTIFY bits (Postfix dsn_mask.h), by keyword. */
const NOTIFY: Readonly<Record<string, number>> = DSN_NOTIFY;
const NOTIFY_ANY = DSN_NOTIFY.SUCCESS | DSN_NOTIFY.FAILURE | DSN_NOTIFY.DELAY;

/** The parsed command line. */
export interface SendmailArgs {
  mode: SendmailMode;
  /** -t: recipients also come from the To/Cc/Bcc (or Resent-*) headers. */
  extract: boolean;
  /** Without -i/-oi a line with only `.` ends the input. */
  dotEndsInput: boolean;
  /** -f/-r as given (parsed later as an address list). */
  sender: string | undefined;
  /** -F */
  fullName: string | undefined;
  /** -B: `7bit` or `8bit`. */
  encoding: string | undefined;
  /** `local`, or `remote` with -G. */
  rewriteContext: "local" | "remote";
  /** -N as DSN NOTIFY bits, 0 when not given (or ignored). */
  dsnNotify: number;
  /** -R: 1 FULL, 2 HDRS, 0 when not given. */
  dsnRet: number;
  /** -V envid. */
  dsnEnvid: string | undefined;
  /** -XV / -XVxy: VERP delimiters ("" = the default ones), undefined without VERP. */
  verp: string | undefined;
  /** Trace flags: TRACE_FLAG.RECORD for one -v when enqueueing, USR_VRFY for -bv. */
  traceFlags: number;
  /** Verbose logging level after the -v double duty is resolved. */
  verbose: number;
  /** -q<time>: the interval form, which makes sendmail exit at once outside daemon mode. */
  queueInterval: string | undefined;
  /** -qR<site> */
  flushSite: string | undefined;
  /** -qI<queueid> */
  flushId: string | undefined;
  /** -oA<path> for -bi. */
  aliasMap: string | undefined;
  /** Every -C value (the last one wins). */
  configPaths: string[];
  /** The operands: recipients, or what a mode that takes none complains about. */
  recipients: string[];
}

/** Callbacks for what Postfix prints while parsing. */
export interface ParseReporter {
  warn(text: string): void;
  /** Verbose-only messages (`-x option ignored`). */
  info?(text: string): void;
  /** getopt(3)'s diagnostics (`invalid option -- 'Z'`), printed as `PROG: TEXT` without a level. */
  getoptDiagnostic?(text: string): void;
}

/** One step of the getopt(3) scan. */
type Step = { opt: string; arg?: string } | { error: string } | undefined;

/** glibc getopt(3) in POSIX mode, one option at a time, so callers can look at argv between options. */
class GetoptScanner {
  optind = 0;
  private next = 0; // position inside argv[optind] of the next option letter; 0 = at a new argument
  private readonly spec = new Map<string, boolean>(); // letter -> takes a value

  constructor(
    readonly argv: string[],
    optstring: string,
  ) {
    for (let i = 0; i < optstring.length; i++) {
      const c = optstring[i]!;
      if (c === ":" || c === "+") continue;
      this.spec.set(c, optstring[i + 1] === ":");
    }
  }

  /** True when the scan is at the start of an argument (where Postfix looks at argv[optind] itself). */
  get atArgument(): boolean {
    return this.next === 0;
  }

  step(): Step {
    if (this.next === 0) {
      const a = this.argv[this.optind];
      if (a === undefined || a === "-" || !a.startsWith("-")) return undefined;
      if (a === "--") {
        this.optind++;
        return undefined;
      }
      this.next = 1;
    }
    const a = this.argv[this.optind]!;
    const c = a[this.next++]!;
    const last = this.next >= a.length;
    const takes = this.spec.get(c);
    if (takes === undefined) {
      if (last) this.advance();
      return { error: `invalid option -- '${c}'` };
    }
    if (!takes) {
      if (last) this.advance();
      return { opt: c };
    }
    if (!last) {
      const arg = a.slice(this.next);
      this.advance();
      return { opt: c, arg };
    }
    this.advance();
    const arg = this.argv[this.optind];
    if (arg === undefined) return { error: `option requires an argument -- '${c}'` };
    this.optind++;
    return { opt: c, arg };
  }

  private advance(): void {
    this.optind++;
    this.next = 0;
  }
}

/** The default mode for the name sendmail was started as. */
export function modeForProgram(prog: string): SendmailMode {
  if (prog === "mailq") return "mailq";
  if (prog === "newaliases") return "newaliases";
  if (prog === "smtpd") return "daemon";
  return "enqueue";
}

/**
 * The first pass: every `-C` value (main.cf or its directory; a name whose last component is `main.cf` means its
 * directory), reporting each getopt diagnostic on the way. Returns the configuration directory or undefined.
 */
export function sendmailConfigDir(argv: string[], report: ParseReporter): string | undefined {
  const s = new GetoptScanner(argv, SENDMAIL_OPTIONS);
  let dir: string | undefined;
  for (;;) {
    if (s.atArgument && argv[s.optind] === "-q") {
      s.optind++;
      continue;
    }
    const step = s.step();
    if (step === undefined) break;
    if ("error" in step) {
      report.getoptDiagnostic?.(step.error);
      continue;
    }
    if (step.opt === "C") dir = configDirOf(step.arg!);
  }
  return dir;
}

/** sendmail -C: a path whose last component is main.cf names its directory. */
export function configDirOf(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const slash = trimmed.lastIndexOf("/");
  const base = slash < 0 ? trimmed : trimmed.slice(slash + 1);
  if (base !== "main.cf") return path;
  if (slash < 0) return ".";
  return slash === 0 ? "/" : trimmed.slice(0, slash);
}

/** Postfix's dsn_notify_mask(): the NOTIFY bits of `never` or a list of success/failure/delay, 0 if invalid. */
export function parseDsnNotify(value: string, warn: (text: string) => void): number {
  let mask = 0;
  for (const word of value.split(/[, \t\r\n]+/)) {
    if (word === "") continue;
    const bit = NOTIFY[word.toUpperCase()];
    if (bit === undefined) {
      warn(`unknown DSN NOTIFY command value "${word}" in "${value}"`);
      return 0;
    }
    mask |= bit;
  }
  return mask === NOTIFY.NEVER || (mask !== 0 && (mask & ~NOTIFY_ANY) === 0) ? mask : 0;
}

/** Postfix's dsn_ret_code(): 1 for FULL, 2 for HDRS (any case), 0 otherwise. */
export function parseDsnRet(value: string): number {
  const v = value.toUpperCase();
  return v === "FULL" ? 1 : v === "HDRS" ? 2 : 0;
}

/** Why a -V envelope ID is refused, or undefined when it is usable (at most 100 printable ASCII characters). */
export function dsnEnvidProblem(value: string): string | undefined {
  if (Buffer.byteLength(value) > 100) return "too long -V option value -- ignored";
  if (!/^[\x20-\x7e]+$/.test(value)) return "bad syntax in -V option value -- ignored";
  return undefined;
}

/**
 * The second pass: the options in order, then the operands. `verbose` starts at 1 when MAIL_VERBOSE is set (so a
 * lone `-v` then means verbose logging, as in Postfix). Throws as described in the header.
 */
export function parseSendmailArgs(argv: string[], prog: string, report: ParseReporter, opts: { verbose?: number } = {}): SendmailArgs {
  const a: SendmailArgs = {
    mode: modeForProgram(prog),
    extract: false,
    dotEndsInput: true,
    sender: undefined,
    fullName: undefined,
    encoding: undefined,
    rewriteContext: "local",
    dsnNotify: 0,
    dsnRet: 0,
    dsnEnvid: undefined,
    verp: undefined,
    traceFlags: 0,
    verbose: opts.verbose ?? 0,
    queueInterval: undefined,
    flushSite: undefined,
    flushId: undefined,
    aliasMap: undefined,
    configPaths: [],
    recipients: [],
  };
  const args = [...argv];
  const s = new GetoptScanner(args, SENDMAIL_OPTIONS);
  const verboseInfo = (text: string) => {
    if (a.verbose > 0) report.info?.(text);
  };
  for (;;) {
    if (s.atArgument) {
      const cur = args[s.optind];
      if (cur === "-q") {
        if (a.mode === "daemon") report.warn("ignoring -q option in daemon mode");
        else a.mode = "flushq";
        s.optind++;
        continue;
      }
      if (cur === "-V" && args[s.optind + 1] !== undefined && args[s.optind + 1]!.length === 2) {
        report.warn("option -V is deprecated with Postfix 2.3; specify -XV instead");
        args[s.optind] = "-XV";
      } else if (cur !== undefined && cur.startsWith("-V") && cur.length === 4) {
        report.warn(`option ${cur} is deprecated with Postfix 2.3; specify -X${cur.slice(1)} instead`);
        args[s.optind] = `-X${cur.slice(1)}`;
      }
      if (args[s.optind] === "-XV") {
        a.verp = "";
        s.optind++;
        continue;
      }
    }
    const step = s.step();
    if (step === undefined) break;
    // cmd/main.ts prints the diagnostic of a GetoptError (the second time, after sendmailConfigDir())
    if ("error" in step) throw new GetoptError(`${prog} [options]`, step.error);
    const arg = step.arg ?? "";
    switch (step.opt) {
      case "n":
        throw new FatalError("-n option not supported");
      case "B":
        if (arg === "8BITMIME") a.encoding = "8bit";
        else if (arg === "7BIT") a.encoding = "7bit";
        else throw new FatalError("-B option needs 8BITMIME or 7BIT");
        break;
      case "C":
        a.configPaths.push(arg);
        break;
      case "F":
        a.fullName = arg;
        break;
      case "G":
        a.rewriteContext = "remote";
        break;
      case "I":
        a.mode = "newaliases";
        break;
      case "N":
        a.dsnNotify = parseDsnNotify(arg, report.warn);
        if (a.dsnNotify === 0) report.warn("bad -N option value -- ignored");
        break;
      case "R":
        a.dsnRet = parseDsnRet(arg);
        if (a.dsnRet === 0) report.warn("bad -R option value -- ignored");
        break;
      case "V": {
        const problem = dsnEnvidProblem(arg);
        if (problem) report.warn(problem);
        else a.dsnEnvid = arg;
        break;
      }
      case "X":
        if (arg[0] !== "V") throw new FatalError(`unsupported: -X${arg[0] ?? ""}`);
        a.verp = arg.slice(1);
        break;
      case "b":
        switch (arg[0]) {
          case "d":
          case "l":
            if (a.mode === "flushq") report.warn("ignoring -q option in daemon mode");
            a.mode = "daemon";
            break;
          case "h":
          case "H":
            a.mode = "ignore";
            break;
          case "i":
            a.mode = "newaliases";
            break;
          case "m":
            a.mode = "enqueue";
            break;
          case "p":
            a.mode = "mailq";
            break;
          case "s":
            a.mode = "user";
            break;
          case "v":
            a.traceFlags |= TRACE_FLAG.USR_VRFY;
            break;
          default:
            throw new FatalError(`unsupported: -b${arg[0] ?? ""}`);
        }
        break;
      case "f":
      case "r":
        a.sender = step.arg;
        break;
      case "i":
        a.dotEndsInput = false;
        break;
      case "o":
        switch (arg[0]) {
          case "A":
            if (arg.length === 1) throw new FatalError("-oA requires pathname");
            a.aliasMap = arg.slice(1);
            break;
          case "i":
            a.dotEndsInput = false;
            break;
          case "7":
          case "8":
          case "m":
            break;
          default:
            verboseInfo(`-o${arg[0] ?? ""} option ignored`);
        }
        break;
      case "q":
        if (/^[0-9]/.test(arg)) {
          a.queueInterval = arg;
        } else if (arg[0] === "R") {
          a.flushSite = arg.slice(1);
          if (a.flushSite === "") throw new FatalError("specify: -qRsitename");
        } else if (arg[0] === "I") {
          a.flushId = arg.slice(1);
          if (a.flushId === "") throw new FatalError("specify: -qIqueueid");
        } else {
          throw new FatalError(`-q${arg[0] ?? ""} is not implemented`);
        }
        break;
      case "t":
        a.extract = true;
        break;
      case "v":
        a.verbose++;
        break;
      default:
        verboseInfo(`-${step.opt} option ignored`);
    }
  }
  a.recipients = args.slice(s.optind);

  if (a.extract && a.mode !== "enqueue") throw new FatalError("-t can be used only in delivery mode");
  if (a.flushSite !== undefined && a.mode !== "enqueue") throw new FatalError("-qR can be used only in delivery mode");
  if (a.flushId !== undefined && a.mode !== "enqueue") throw new FatalError("-qI can be used only in delivery mode");
  if (a.traceFlags & TRACE_FLAG.USR_VRFY) {
    if (a.extract) throw new FatalError("-t option cannot be used with -bv");
    if (a.dsnNotify) throw new FatalError("-N option cannot be used with -bv");
    if (a.dsnRet) throw new FatalError("-R option cannot be used with -bv");
    if (a.verbose === 1) throw new FatalError("-v option cannot be used with -bv");
  }
  // one -v asks for a delivery report; more than one is verbose logging
  if (a.verbose === 1 && a.mode === "enqueue") {
    a.verbose = 0;
    a.traceFlags |= TRACE_FLAG.RECORD;
  }
  return a;
}

/**
 * Postfix's fullname(): $NAME when set, else the GECOS field of the passwd entry up to the first `,` `;` or `%`,
 * with each `&` replaced by the login name with its first letter in upper case; undefined without an entry.
 */
export function fullNameOf(env: string | undefined, pw: { name: string; gecos: string } | undefined): string | undefined {
  if (env !== undefined) return env;
  if (!pw) return undefined;
  let out = "";
  for (const ch of pw.gecos) {
    if (ch === "," || ch === ";" || ch === "%") break;
    out += ch === "&" ? (pw.name === "" ? "" : pw.name[0]!.toUpperCase() + pw.name.slice(1)) : ch;
  }
  return out;
}
