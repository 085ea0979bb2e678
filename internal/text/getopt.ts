/**
 * getopt — POSIX getopt(3) as Postfix's commands use it on Linux (option string prefixed with `+`).
 *
 * Contract:
 * - Single-letter, case-sensitive options; clusters (`-vv`, `-tvi`); a value attached (`-fuser`) or separate
 *   (`-f user`); `x::` marks an option whose value is optional and must be attached (sendmail `-q30m`).
 * - Scanning stops at the first non-option (no GNU permutation), after `--`, and a lone `-` is an argument.
 * - Options are returned in command-line order, so tools that act on them in sequence (postsuper) can.
 * - An unknown option or a missing value throws `UsageError` whose `detail` is glibc's diagnostic
 *   (`invalid option -- 'Z'`, `option requires an argument -- 'c'`) and whose message is the tool's usage text;
 *   cmd/main.ts prints both lines, as Postfix's commands do.
 * - Beyond Postfix, a tool may declare long options (`--json`, `--sender RE`): `longs` maps each name to 0 (flag)
 *   or 1 (takes a value, `--name=value` or `--name value`). They may appear anywhere before the first operand and
 *   come back in `opts` as `{opt: "--name"}`. An unknown `--name` is a usage error.
 */
import { UsageError } from "../sys/errors.ts";

/** One option occurrence: the letter and, for options that take one, its value. */
export interface Opt {
  opt: string;
  arg?: string;
}

/** The parsed command line. */
export class GetoptResult {
  constructor(
    readonly opts: Opt[],
    readonly args: string[],
  ) {}
  /** How many times `letter` occurred (`-vv` counts 2). */
  count(letter: string): number {
    let n = 0;
    for (const o of this.opts) if (o.opt === letter) n++;
    return n;
  }
  /** True when `letter` occurred at least once. */
  has(letter: string): boolean {
    for (const o of this.opts) if (o.opt === letter) return true; // a loop: some() is compiled at its first use
    return false;
  }
  /** Every value given to `letter`, in order (repeated `-o` collected). */
  values(letter: string): string[] {
    const out: string[] = [];
    for (const o of this.opts) if (o.opt === letter && o.arg !== undefined) out.push(o.arg);
    return out;
  }
  /** The last value given to `letter`, as getopt loops that overwrite a variable see it. */
  last(letter: string): string | undefined {
    for (let i = this.opts.length - 1; i >= 0; i--) {
      const o = this.opts[i]!;
      if (o.opt === letter) return o.arg;
    }
    return undefined;
  }
}

/** A usage error raised by getopt, carrying glibc's one-line diagnostic. */
export class GetoptError extends UsageError {
  constructor(
    usage: string,
    readonly detail: string,
  ) {
    super(usage);
  }
}

/** Parses `argv` (arguments only, without the program name) against a getopt(3) option string. */
export function getopt(
  argv: readonly string[],
  optstring: string,
  usage: string,
  longs: Readonly<Record<string, 0 | 1>> = {},
): GetoptResult {
  const spec = new Map<string, 0 | 1 | 2>(); // 0 flag, 1 required value, 2 optional attached value
  for (let i = 0; i < optstring.length; i++) {
    const c = optstring[i]!;
    if (c === "+" || c === ":") continue;
    if (optstring[i + 1] === ":") {
      const optional = optstring[i + 2] === ":";
      spec.set(c, optional ? 2 : 1);
      i += optional ? 2 : 1;
    } else spec.set(c, 0);
  }
  const opts: Opt[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (a.length < 2 || a[0] !== "-") break;
    if (a[1] === "-") {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const kind = Object.hasOwn(longs, name) ? longs[name] : undefined;
      if (kind === undefined) throw new GetoptError(usage, `unrecognized option '${eq < 0 ? a : a.slice(0, eq)}'`);
      if (kind === 0) {
        if (eq >= 0) throw new GetoptError(usage, `option '--${name}' doesn't allow an argument`);
        opts.push({ opt: `--${name}` });
      } else if (eq >= 0) opts.push({ opt: `--${name}`, arg: a.slice(eq + 1) });
      else if (i + 1 < argv.length) opts.push({ opt: `--${name}`, arg: argv[++i]! });
      else throw new GetoptError(usage, `option '--${name}' requires an argument`);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      const kind = spec.get(c);
      if (kind === undefined) throw new GetoptError(usage, `invalid option -- '${c}'`);
      if (kind === 0) {
        opts.push({ opt: c });
        continue;
      }
      const rest = a.slice(j + 1);
      if (kind === 2) opts.push(rest === "" ? { opt: c } : { opt: c, arg: rest });
      else if (rest !== "") opts.push({ opt: c, arg: rest });
      else if (i + 1 < argv.length) opts.push({ opt: c, arg: argv[++i]! });
      else throw new GetoptError(usage, `option requires an argument -- '${c}'`);
      break;
    }
  }
  return new GetoptResult(opts, argv.slice(i));
}
