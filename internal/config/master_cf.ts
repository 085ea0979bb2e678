/**
 * master_cf — reads master.cf, the table of services the master runs.
 *
 * File format: the comment and continuation rules of main.cf; one service per logical line with at least eight
 * whitespace-separated fields:
 *   service type private unpriv chroot wakeup maxproc command [args…]
 * `type` is inet, unix, unix-dgram, fifo or pass; private/unpriv/chroot are y, n or - (default); wakeup is
 * `-`, N or N? ; maxproc is `-` or N. Daemon options come before the first non-option argument: `-o name=value`
 * (also `-oname=value` and `-o { name = value with spaces }`), `-v`, `-D`. An argument in `{ … }` may contain
 * whitespace. A service name/type pair given twice: the last one wins for the master (postconf shows both).
 *
 * Contract: `parseMasterCf()` throws `ConfigError` with Postfix's text for a bad line (`file F: line N: bad field
 * count`, `invalid type field "x" in "…"`); it never reads main.cf.
 */
import { ConfigError, logicalLines, splitNameValue } from "./main_cf.ts";

/** One parsed master.cf service line. `args` holds everything after the command, normalised. */
export interface MasterEntry {
  service: string;
  type: string;
  private: string;
  unpriv: string;
  chroot: string;
  wakeup: string;
  maxproc: string;
  command: string;
  args: string[];
  line: number;
}

const TYPES = new Set(["unix", "fifo", "inet", "pass", "unix-dgram"]);
const BLANKS = /[ \t\r\n]/;

/** Splits on blanks, keeping `{ … }` groups (with their braces) as single tokens. */
export function splitQuoted(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && BLANKS.test(text[i]!)) i++;
    if (i >= text.length) break;
    let j = i;
    let depth = 0;
    while (j < text.length && (depth > 0 || !BLANKS.test(text[j]!))) {
      if (text[j] === "{") depth++;
      else if (text[j] === "}") depth = Math.max(0, depth - 1);
      j++;
    }
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

/** Text inside `{ … }` with surrounding whitespace removed, as Postfix's extpar() gives it. */
function extractBraced(arg: string, file: string, warn: (m: string) => void): string {
  if (!arg.startsWith("{")) return arg;
  if (!arg.endsWith("}")) {
    warn(`${file}: missing '}' in "${arg}"`);
    return arg.slice(1).trim();
  }
  return arg.slice(1, -1).trim();
}

function normalizeArgs(args: string[], file: string, warn: (m: string) => void): string[] {
  const out: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a[0] !== "-" || a === "--") break;
    // "-vo name=value": split the cluster before a value-taking option
    const o = a.indexOf("o", 1);
    if (o > 1) {
      out.push(a.slice(0, o));
      args.splice(i + 1, 0, `-${a.slice(o)}`);
      continue;
    }
    if (a[1] !== "o") {
      out.push(a);
      continue;
    }
    let value: string | undefined;
    if (a.length > 2) value = a.slice(2);
    else if (i + 1 < args.length) value = args[++i]!;
    out.push("-o");
    if (value === undefined) continue;
    if (value.startsWith("{")) {
      value = extractBraced(value, file, warn);
      const nv = splitNameValue(value);
      if ("error" in nv) warn(`${file}: ${nv.error}: "${value}"`);
      else value = `${nv.name}=${nv.value}`;
    }
    out.push(value);
  }
  for (; i < args.length; i++) out.push(extractBraced(args[i]!, file, warn));
  return out;
}

/** The type, private/unprivileged/chroot, wakeup and process_limit checks of pcf_check_master_entry(). */
export function checkMasterFields(f: readonly string[], raw: string): void {
  const text = raw.replace(/\n/g, " ");
  const bad = (what: string, v: string) => new ConfigError(`invalid ${what} field "${v}" in "${text}"`);
  if (!TYPES.has(f[1]!)) throw bad("type", f[1]!);
  const names = ["private", "unprivileged", "chroot"];
  for (let k = 2; k <= 4; k++) if (!/^[yn-]$/.test(f[k]!)) throw bad(names[k - 2]!, f[k]!);
  const w = f[5]!.endsWith("?") ? f[5]!.slice(0, -1) : f[5]!;
  if (!(f[5]![0] === "-" && w.length === 1) && !/^\d*$/.test(w)) throw bad("wakeup", f[5]!);
  if (!/^(-|\d*)$/.test(f[6]!)) throw bad("process_limit", f[6]!);
}

/**
 * Parses one logical master.cf line (`raw` is the text the field errors quote). Returns `{ error }` for too few
 * fields, so that the caller can say where; throws ConfigError for an invalid field.
 */
export function parseMasterEntry(text: string, raw: string, file: string, warn: (m: string) => void, line = 0): MasterEntry | { error: string } {
  const f = splitQuoted(text);
  if (f.length < 8) return { error: "bad field count" };
  checkMasterFields(f, raw);
  return {
    service: f[0]!, type: f[1]!, private: f[2]!, unpriv: f[3]!, chroot: f[4]!, wakeup: f[5]!, maxproc: f[6]!,
    command: f[7]!, args: normalizeArgs(f.slice(8), file, warn), line,
  };
}

/** Normalises daemon arguments as Postfix does after an edit: `-oname=value` split, `{ … }` unwrapped. */
export function normalizeMasterArgs(args: string[], file: string, warn: (m: string) => void): string[] {
  return normalizeArgs([...args], file, warn);
}

/** Parses master.cf text into its service entries, in file order. */
export function parseMasterCf(text: string, file: string, warn: (m: string) => void): MasterEntry[] {
  const out: MasterEntry[] = [];
  for (const l of logicalLines(text, warn, file)) {
    const e = parseMasterEntry(l.text, l.text, file, warn, l.line);
    if ("error" in e) throw new ConfigError(`file ${file}: line ${l.line}: ${e.error}`);
    out.push(e);
  }
  return out;
}

/** The `-o name=value` overrides of a service, in order (later ones win). */
export function serviceOverrides(e: MasterEntry): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < e.args.length; i++) {
    const a = e.args[i]!;
    if (a[0] !== "-" || a === "--") break;
    if (a === "-o" && i + 1 < e.args.length) {
      const nv = splitNameValue(e.args[++i]!);
      if (!("error" in nv)) out.set(nv.name, nv.value);
    }
  }
  return out;
}

/** The values a daemon of this service sees first: its -o settings, service_name and process_name. */
export function serviceScope(e: MasterEntry): Map<string, string> {
  const processName = e.command.slice(e.command.lastIndexOf("/") + 1);
  const scope = new Map<string, string>([
    ["process_name", processName],
    ["service_name", e.service !== processName ? e.service : processName],
  ]);
  for (const [k, v] of serviceOverrides(e)) scope.set(k, v);
  return scope;
}

/** The command field as `postconf -F` shows it: arguments with blanks in braces. */
export function formatCommandField(e: MasterEntry, expand?: (v: string) => string): string {
  const out = [e.command];
  let inOptions = true;
  for (let i = 0; i < e.args.length; i++) {
    const a = e.args[i]!;
    if (inOptions && (a[0] !== "-" || a === "--")) inOptions = false;
    if (inOptions) {
      out.push(a);
      if (a === "-o" && i + 1 < e.args.length) {
        const v = expand ? expand(e.args[++i]!) : e.args[++i]!;
        out.push(BLANKS.test(v) ? `{${v}}` : v);
      }
    } else out.push(BLANKS.test(a) ? `{${a}}` : a);
  }
  return out.join(" ");
}

const COLUMN_GOAL = [0, 11, 17, 25, 33, 41, 49, 57];
const LINE_LIMIT = 80;

/** One entry as `postconf -M` prints it (`fold` for -Mf; `expand` maps -o values for -Mx). */
export function formatMasterEntry(e: MasterEntry, fold: boolean, expand?: (v: string) => string): string {
  const fields = [e.service, e.type, e.private, e.unpriv, e.chroot, e.wakeup, e.maxproc, e.command];
  let out = "";
  let len = 0;
  fields.forEach((f, k) => {
    if (len > 0) {
      do {
        out += " ";
        len++;
      } while (len < COLUMN_GOAL[k]!);
    }
    out += f;
    len += f.length;
  });
  let inOptions = true;
  for (let i = 0; i < e.args.length; i++) {
    const arg = e.args[i]!;
    let argLen = arg.length;
    let aval: string | undefined;
    let parens = false;
    if (inOptions) {
      // as in Postfix, the first non-option argument is never shown in braces
      if (arg[0] !== "-" || arg === "--") inOptions = false;
      else if (arg === "-o" && i + 1 < e.args.length) {
        aval = e.args[i + 1]!;
        len = LINE_LIMIT;
        if (expand) aval = expand(aval);
        argLen += aval.length + 3;
        parens = BLANKS.test(aval);
        if (parens) argLen += 2;
      }
    } else parens = BLANKS.test(arg);
    if (len > 4) {
      if (!fold || len + 1 + argLen < LINE_LIMIT) {
        out += " ";
        len++;
      } else {
        out += "\n    ";
        len = 4;
      }
    }
    const shown = !inOptions && parens ? `{${arg}}` : arg;
    out += shown;
    len += shown.length;
    if (aval !== undefined) {
      const v = parens ? ` {${aval}}` : ` ${aval}`;
      out += v;
      len += v.length;
      i++;
      len = LINE_LIMIT;
    }
  }
  return `${out}\n`;
}
