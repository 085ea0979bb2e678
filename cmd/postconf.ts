/**
 * NAME
 *   postconf — show or edit the main.cf and master.cf configuration
 *
 * SYNOPSIS
 *   postconf [-dfhHnpvx] [-c config_dir] [-C class,...] [-o name=value] [--json] [name...]
 *   postconf -e [-c config_dir] name=value...
 *   postconf -X | -# [-c config_dir] name...
 *   postconf -M [-fx] [-c config_dir] [service[/type]...]
 *   postconf -F [-hHx] [-c config_dir] [service[/type[/field]]...]
 *   postconf -P [-hHx] [-c config_dir] [service[/type[/parameter]]...]
 *   postconf -Me [-c config_dir] service/type='entry'...      postconf -MX | -M# [-c config_dir] service/type...
 *   postconf -Fe [-c config_dir] service/type/field=value...  postconf -Pe [-c config_dir] service/type/name=value...
 *   postconf -PX [-c config_dir] service/type/name...
 *   postconf -l | -m | -a | -A | -T mode
 *
 * DESCRIPTION
 *   Prints main.cf parameters (all of them, sorted, or the named ones) as `name = value`, with Postfix's output:
 *   whitespace runs shown as one space, `-f` folding lines longer than 80 columns with 4-space continuation
 *   lines. Output is byte-identical to Postfix 3.7's postconf for the parameters both know.
 *
 *   -d  built-in defaults          -n  only parameters set in main.cf (and -o)     -x  expand $name in values
 *   -h  values only                -H  names only                                  -f  fold long lines
 *   -e  edit main.cf: replace `name = value` in place, append new names; the file is replaced atomically
 *       (implied when the first argument contains `=`)
 *   -X  delete the named settings  -#  comment them out
 *   -M  master.cf services (-Mf folds -o options onto continuation lines); -F fields; -P `-o` parameters
 *   -Me service/type='service type private unpriv chroot wakeup maxproc command...'  replace the entry that
 *       matches service/type or the new entry's own name and type (later duplicates are removed), else append it
 *   -MX service/type  delete the entry with its continuation lines    -M# service/type  comment them out
 *   -Fe service/type/field=value  change one field: service, type, private, unprivileged, chroot, wakeup,
 *       process_limit, or command (the command with its arguments; other fields take no whitespace)
 *   -Pe service/type/name=value  set `-o name=value` (added after the last daemon option when absent; no
 *       whitespace in the value)    -PX service/type/name  remove it
 *       `=` in the first argument implies -e. A service or type `*` matches any. An edited entry is written as
 *       -Mf prints it; every other line of master.cf is kept byte for byte, except that comment lines right after
 *       an entry edited with -F or -P move before it (as in Postfix). The file is replaced atomically. -F and -P
 *       requests that match no service warn `unmatched service_name/type: "arg"`.
 *   -C  parameter classes: builtin, service, user, all
 *   -o  override a parameter for this run       -c  configuration directory (else $MAIL_CONFIG, /etc/postfix)
 *   -l  mailbox lock methods       -m  lookup table types postkit supports    -a/-A  SASL plug-in types (none)
 *   -T  TLS library: compile-version, run-version, public-key-algorithms
 *   -t [file]  the delivery status notice templates (bounce_template_file, or postkit's built-in texts)
 *   -b [file]  the same with $name expanded
 *   --json (beyond Postfix)  one JSON object per parameter: name, value, default, source (`default`,
 *       `main.cf:LINE`, `-o`), plus class and description
 *
 *   Warnings as Postfix: `NAME: unknown parameter`, `DIR/main.cf: unused parameter: name=value`,
 *   `DIR/main.cf: undefined parameter: name`.
 *
 * EXIT STATUS
 *   0 on success (unknown names and unmatched services only warn); 1 on a fatal error (bad main.cf or master.cf
 *   line, bad edit request, unreadable file, usage).
 *
 * FILES
 *   $config_directory/main.cf, $config_directory/master.cf
 *
 * SEE ALSO
 *   postconf(5) of Postfix for the meaning of each parameter; internal/config for how values are resolved.
 */
import { getopt } from "../internal/text/getopt.ts";
import { splitConfigWords, splitListItems } from "../internal/text/chars.ts";
import { FatalError } from "../internal/sys/errors.ts";
import { writeOut } from "../internal/sys/stdout.ts";
import { msgWarn, setMsgVerbose } from "../internal/log/msg.ts";
import { errnoText } from "../internal/sys/errno.ts";
import { readFileBytes } from "../internal/sys/libc.ts";
import { loadConfig, resolveConfigDir, type Config } from "../internal/config/config.ts";
import { editMainCf, splitNameValue, ConfigError } from "../internal/config/main_cf.ts";
import { builtinParam, builtinParamNames, serviceParams, type ParamDef } from "../internal/config/params.ts";
import { referencedNames } from "../internal/config/expand.ts";
import { formatCommandField, formatMasterEntry, serviceOverrides, serviceScope, type MasterEntry } from "../internal/config/master_cf.ts";

export const USAGE =
  "postconf [-a (server SASL types)] [-A (client SASL types)] [-b (bounce templates)] [-c config_dir] [-c param_class] [-d (parameter defaults)] [-e (edit configuration)] [-f (fold lines)] [-F (master.cf fields)] [-h (no names)] [-H (no values)] [-l (lock types)] [-m (map types)] [-M (master.cf)] [-n (non-default parameters)] [-o name=value (override parameter value)] [-p (main.cf, default)] [-P (master.cf parameters)] [-t (bounce templates)] [-T compile-version|run-version|public-key-algorithms] [-v (verbose)] [-x (expand parameter values)] [-X (exclude)] [-# (comment-out)] [name...]";

export const HELP = `usage: ${USAGE}

Show or edit Postfix configuration parameters (main.cf) and services (master.cf).
  postconf                     all parameters, sorted       postconf name...   the named ones
  postconf -n                  only what main.cf sets       postconf -d        built-in defaults
  postconf -x | -h | -H | -f   expand values | values only | names only | fold long lines
  postconf -e name=value...    edit main.cf in place        postconf -X|-# name...  delete | comment out
  postconf -M [svc[/type]]     master.cf entries (-F fields, -P -o parameters)
  postconf -Me svc/type='entry'   add or replace a service      postconf -MX|-M# svc/type  delete | comment out
  postconf -Fe svc/type/field=v   change one field              postconf -Pe|-PX svc/type/name[=v]  set | drop -o
  postconf -l | -m             lock methods | lookup table types
  postconf -t | -b [file]      notice templates, as written | expanded
  postconf --json              every parameter with its value, default and where it came from
  -c config_dir                configuration directory (default: $MAIL_CONFIG or /etc/postfix)
  -o name=value                override a parameter for this command
`;

// Option flags in the order of Postfix's name table, which orders its error messages.
const FLAG_ORDER = ["a", "A", "b", "C", "d", "e", "f", "F", "h", "H", "l", "m", "M", "n", "o", "p", "P", "t", "T", "x", "X", "#"];
const MAJOR = ["a", "A", "b", "l", "m", "t", "p", "M", "F", "P", "T"];
const INCOMPATIBLE = [
  MAJOR,
  ["d", "e", "n", "#", "X"],
  ["f", "e", "#", "X"],
  ["x", "e", "#", "X"],
  ["o", "d", "e", "#", "X"],
  ["h", "e", "#", "X", "H"],
];
const COMPATIBLE: Record<string, string[]> = {
  a: [], A: [], b: [], l: [], m: [], T: [], t: [],
  p: ["e", "X", "#", "f", "h", "C", "x", "d", "n", "o", "H"],
  M: ["e", "X", "#", "f", "o", "x"],
  F: ["e", "f", "h", "o", "x", "H"],
  P: ["e", "X", "f", "h", "o", "x", "H"],
  C: ["p", "d", "n"],
};

const names = (set: Set<string>) => FLAG_ORDER.filter((f) => set.has(f)).map((f) => `-${f}`).join(" ");

/** True when `set` holds one of `flags`. */
function hasAny(set: Set<string>, flags: readonly string[]): boolean {
  for (const f of flags) if (set.has(f)) return true;
  return false;
}

/** True when `set` holds every one of `names`. */
function hasAll(set: Set<string>, names: readonly string[]): boolean {
  for (const n of names) if (!set.has(n)) return false;
  return true;
}

// Plain loops: array methods such as filter() and some() are compiled from source at their first use, which a
// one-shot `postconf -h` would pay for on every run.
function checkOptions(mode: Set<string>): void {
  for (const group of INCOMPATIBLE) {
    const hit = new Set<string>();
    for (const f of group) if (mode.has(f)) hit.add(f);
    if (hit.size > 1) throw new FatalError(`specify one of ${names(hit)}`);
  }
  for (const major in COMPATIBLE) {
    if (!mode.has(major)) continue;
    const ok = COMPATIBLE[major]!;
    const excess = new Set<string>();
    for (const f of mode) if (f !== major && !ok.includes(f) && f !== "v" && f !== "c") excess.add(f);
    if (excess.size > 0) throw new FatalError(`with option -${major}, do not specify ${names(excess)}`);
  }
}

/** pcf_print_line(): whitespace runs become one space; with fold, lines past 80 columns wrap with 4 spaces. */
export function formatLine(text: string, fold: boolean): string {
  let out = "";
  let len = 0;
  for (const word of splitConfigWords(text)) {
    if (len > 0) {
      if (!fold || len + word.length < 80) {
        out += " ";
        len += 1;
      } else {
        out += "\n    ";
        len = 4;
      }
    }
    out += word;
    len += word.length;
  }
  return `${out}\n`;
}

type ParamClass = "builtin" | "service" | "user";

interface Known {
  def: ParamDef | undefined;
  cls: ParamClass;
}

/**
 * What postconf knows for this configuration: built-in parameters, those that master.cf services imply, and
 * user-defined ones (a name set in main.cf, -o or a master.cf -o that something references with $name, or that
 * smtpd_restriction_classes lists). Work is done only as far as needed: a query for built-in names with nothing
 * unusual in main.cf neither reads master.cf nor scans the 800 defaults.
 */
class ParamSpace {
  private master: MasterEntry[] | undefined;
  private service: Map<string, ParamDef> | undefined;
  private user = new Set<string>();
  private warned = new Set<string>();

  constructor(
    private readonly cfg: Config,
    withUser: boolean,
    onUndefined: (n: string) => void,
  ) {
    if (!withUser) return;
    const masterValues = () => this.masterEntries().flatMap((e) => [...serviceOverrides(e)]);
    const setNames = new Set<string>();
    for (const n of cfg.main.keys()) setNames.add(n);
    for (const n of cfg.overrides.keys()) setNames.add(n);
    const candidates: string[] = [];
    for (const n of setNames) if (!builtinParam(n)) candidates.push(n);
    const needMaster = candidates.length > 0;
    const mvals = needMaster ? masterValues() : [];
    const isSet = (n: string) => {
      if (cfg.setValue(n) !== undefined) return true;
      for (const [k] of mvals) if (k === n) return true;
      return false;
    };
    const flag = (n: string, warn: boolean) => {
      if (builtinParam(n) || this.user.has(n) || (needMaster && this.serviceParams().has(n))) return;
      if (isSet(n)) this.user.add(n);
      else if (warn && !this.warned.has(n)) {
        this.warned.add(n);
        onUndefined(n);
      }
    };
    for (const n of splitListItems(cfg.get("smtpd_restriction_classes"))) flag(n, true);
    for (const n of setNames) if (this.rawType(n) !== "raw") for (const r of referencedNames(cfg.setValue(n) ?? "")) flag(r, true);
    for (const [, v] of mvals) for (const r of referencedNames(v)) flag(r, true);
    // defaults that mention a name the admin set (e.g. $virtual_maps) make it a used parameter; never a warning
    if (!hasAll(this.user, candidates)) {
      for (const n of builtinParamNames()) {
        if (cfg.setValue(n) !== undefined) continue;
        const d = builtinParam(n)!;
        if (d.type !== "raw" && d.def.includes("$")) for (const r of referencedNames(d.def)) flag(r, false);
      }
    }
  }

  private rawType(n: string): string | undefined {
    return builtinParam(n)?.type;
  }

  masterEntries(): MasterEntry[] {
    if (this.master) return this.master;
    try {
      this.master = this.cfg.master();
    } catch (e) {
      if (!(e instanceof ConfigError) || !e.message.startsWith("open ")) throw e;
      msgWarn(e.message);
      this.master = [];
    }
    return this.master;
  }

  serviceParams(): Map<string, ParamDef> {
    return (this.service ??= serviceParams(this.masterEntries()));
  }

  /** The class and definition of a parameter, or undefined when postconf does not know it. */
  lookup(name: string): Known | undefined {
    const b = builtinParam(name);
    // a built-in name can only be a service parameter if it looks like one; avoid reading master.cf otherwise
    const s = !b || looksLikeServiceParam(name) ? this.serviceParams().get(name) : undefined;
    if (s) return { def: b ? this.cfg.paramDef(name) : s, cls: "service" };
    if (b) return { def: this.cfg.paramDef(name), cls: "builtin" };
    if (this.user.has(name)) return { def: undefined, cls: "user" };
    return undefined;
  }

  /** Every known name, sorted as Postfix sorts (strcmp). */
  allNames(): string[] {
    const names = new Set([...builtinParamNames(), ...this.serviceParams().keys(), ...this.user]);
    return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

const SERVICE_PARAM_SUFFIXES = ["_limit", "_delay", "_cost", "_loan", "_discount", "_slots", "_concurrency", "_feedback"];

/** True when `name` ends as a per-service parameter can (`_limit`, `_delay` …); a loop, not a regular expression. */
function looksLikeServiceParam(name: string): boolean {
  for (const s of SERVICE_PARAM_SUFFIXES) if (name.endsWith(s)) return true;
  return false;
}

async function showParameters(cfg: Config, mode: Set<string>, args: string[], classes: Set<ParamClass>, json: boolean): Promise<void> {
  const describe = json ? (await import("../internal/config/params_doc.ts")).paramDescription : () => "";
  const defaultsOnly = mode.has("d");
  const view = defaultsOnly ? cfg.defaults() : cfg;
  const undefinedWarned = new Set<string>();
  const warnUndefined = (n: string) => {
    if (undefinedWarned.has(n)) return;
    undefinedWarned.add(n);
    msgWarn(`${cfg.configDir}/main.cf: undefined parameter: ${n}`);
  };
  const space = new ParamSpace(view, !defaultsOnly, warnUndefined);

  const valueOf = (name: string): string | undefined => {
    if (mode.has("n")) return view.setValue(name);
    return view.raw(name) ?? "";
  };
  const print = (name: string, k: Known) => {
    let value = valueOf(name);
    if (value === undefined) return;
    if (json) {
      const e = cfg.main.get(name);
      const source = cfg.overrides.has(name) ? "-o" : e ? `main.cf:${e.line}` : "default";
      writeOut(
        `${JSON.stringify({
          name, value: k.def?.type === "raw" ? value : view.expand(value), raw: value,
          default: k.def ? view.defaultValue(name) ?? "" : null, source, class: k.cls,
          description: k.def?.service && !builtinParam(name) ? `${describe(k.def.def.slice(1))} (${k.def.service} transport)` : describe(name),
        })}\n`,
      );
      return;
    }
    if (mode.has("H")) {
      writeOut(formatLine(name, false));
      return;
    }
    if (mode.has("x") && k.def?.type !== "raw") value = view.expand(value);
    writeOut(formatLine(mode.has("h") ? value : `${name} = ${value}`, mode.has("f")));
  };
  if (args.length === 0) {
    for (const name of space.allNames()) {
      const k = space.lookup(name)!;
      if (classes.has(k.cls)) print(name, k);
    }
  } else {
    for (const name of args) {
      const k = space.lookup(name);
      if (!k) msgWarn(`${name}: unknown parameter`);
      else print(name, k);
    }
  }
  if (!defaultsOnly) {
    const unused: string[] = [];
    for (const n of cfg.main.keys()) if (!builtinParam(n) && !space.lookup(n)) unused.push(n);
    if (unused.length > 1) unused.sort();
    for (const n of unused) msgWarn(`${cfg.configDir}/main.cf: unused parameter: ${n}=${cfg.main.get(n)!.value}`);
  }
}

async function editMain(cfg: { configDir: string }, mode: Set<string>, args: string[]): Promise<void> {
  const path = `${cfg.configDir}/main.cf`;
  let text: string;
  try {
    text = readFileBytes(path).toString();
  } catch (e) {
    throw new FatalError(`open ${path} for reading: ${errnoText(e)}`);
  }
  const values = new Map<string, string>();
  const namesSet = new Set<string>();
  for (let a of args) {
    if (a.includes("\n")) throw new FatalError("-e, -X, or -# accepts no multi-line input");
    a = a.trimStart();
    if (a.startsWith("#")) throw new FatalError("-e, -X, or -# accepts no comment input");
    if (mode.has("e")) {
      const nv = splitNameValue(a);
      if ("error" in nv) throw new FatalError(`${nv.error}: "${a}"`);
      const prev = values.get(nv.name);
      if (prev !== undefined) msgWarn(`ignoring earlier request: '${nv.name} = ${prev}'`);
      values.delete(nv.name);
      values.set(nv.name, nv.value);
    } else {
      if (a === "") throw new FatalError("-X or -# requires non-blank parameter names");
      if (a.includes("=")) throw new FatalError("-X or -# requires parameter names without value");
      namesSet.add(a.trim());
    }
  }
  const edit = mode.has("e")
    ? { mode: "set" as const, values }
    : { mode: mode.has("X") ? ("delete" as const) : ("comment" as const), names: namesSet };
  const result = editMainCf(text, path, edit);
  for (const w of result.warnings) msgWarn(w);
  const { writeFileAtomic } = await import("../internal/fsx/atomic.ts");
  try {
    writeFileAtomic(path, result.text);
  } catch (e) {
    throw new FatalError(`write ${path}: ${errnoText(e)}`);
  }
}

/** postconf -Me/-MX/-M#, -Fe, -Pe/-PX: rewrites master.cf and replaces it atomically. */
async function editMaster(dir: string, mode: Set<string>, args: string[]): Promise<void> {
  const { editMasterCf } = await import("../internal/config/master_cf_edit.ts");
  const { existsSync } = await import("node:fs");
  const path = `${dir}/master.cf`;
  // Latin-1 maps each byte to one code unit, so lines the edit does not touch are written back byte for byte;
  // arguments get the same treatment so that UTF-8 in them stays UTF-8.
  const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");
  const edit = {
    target: mode.has("M") ? ("entry" as const) : mode.has("F") ? ("field" as const) : ("param" as const),
    mode: mode.has("e") ? ("set" as const) : mode.has("X") ? ("delete" as const) : ("comment" as const),
    args: args.map(bytes),
  };
  const text = (() => {
    try {
      return readFileBytes(path).toString("latin1");
    } catch (e) {
      // Postfix creates master.cf.tmp first, so a missing directory is reported for that name
      if (!existsSync(dir)) throw new FatalError(`open ${path}.tmp: ${errnoText(e)}`);
      throw new FatalError(`open ${path} for reading: ${errnoText(e)}`);
    }
  })();
  const utf8 = (s: string) => Buffer.from(s, "latin1").toString("utf8");
  let result: string;
  try {
    result = editMasterCf(text, path, edit, (m) => msgWarn(utf8(m)));
  } catch (e) {
    if (e instanceof ConfigError) throw new FatalError(utf8(e.message));
    throw e;
  }
  const { writeFileAtomic } = await import("../internal/fsx/atomic.ts");
  try {
    writeFileAtomic(path, Buffer.from(result, "latin1"));
  } catch (e) {
    throw new FatalError(`write ${path}: ${errnoText(e)}`);
  }
}

function matchService(e: MasterEntry, pattern: string): boolean {
  const [svc, type] = pattern.split("/");
  return (svc === undefined || svc === "" || svc === e.service) && (type === undefined || type === e.type);
}

function showMaster(cfg: Config, mode: Set<string>, args: string[]): void {
  const master = cfg.master();
  // Postfix digests user-defined parameters here too, with the same warnings
  new ParamSpace(cfg, true, (n) => msgWarn(`${cfg.configDir}/main.cf: undefined parameter: ${n}`));
  const expandFor = (e: MasterEntry) => {
    if (!mode.has("x")) return undefined;
    const scope = serviceScope(e);
    return (v: string) => {
      const nv = splitNameValue(v);
      return "error" in nv ? v : `${nv.name}=${cfg.expand(nv.value, undefined, scope)}`;
    };
  };
  const matched = new Set<string>();
  const want = (e: MasterEntry, pats: string[], depth: number) => {
    if (pats.length === 0) return true;
    let ok = false;
    for (const p of pats) {
      if (matchService(e, p.split("/").slice(0, 2).join("/")) && p.split("/").length <= depth) {
        matched.add(p);
        ok = true;
      }
    }
    return ok;
  };
  if (mode.has("M")) {
    for (const p of args) if (p.split("/").length > 2) throw new FatalError("-M option requires service_name[/type]");
    for (const e of master) if (want(e, args, 2)) writeOut(formatMasterEntry(e, mode.has("f"), expandFor(e)));
  } else if (mode.has("F")) {
    const fieldNames = ["service", "type", "private", "unprivileged", "chroot", "wakeup", "process_limit", "command"];
    for (const e of master) {
      const values = [e.service, e.type, e.private, e.unpriv, e.chroot, e.wakeup, e.maxproc, formatCommandField(e, expandFor(e))];
      fieldNames.forEach((f, k) => {
        const ok = args.length === 0 || args.some((p) => {
          const parts = p.split("/");
          const hit = matchService(e, parts.slice(0, 2).join("/")) && (parts[2] === undefined || parts[2] === f);
          if (hit) matched.add(p);
          return hit;
        });
        if (!ok) return;
        const v = values[k]!;
        writeOut(mode.has("H") ? `${e.service}/${e.type}/${f}\n` : formatLine(mode.has("h") ? v : `${e.service}/${e.type}/${f} = ${v}`, false));
      });
    }
  } else {
    for (const e of master) {
      const sorted = [...serviceOverrides(e)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [name, value] of sorted) {
        const ok = args.length === 0 || args.some((p) => {
          const parts = p.split("/");
          const hit = matchService(e, parts.slice(0, 2).join("/")) && (parts[2] === undefined || parts[2] === name);
          if (hit) matched.add(p);
          return hit;
        });
        if (!ok) continue;
        const v = mode.has("x") ? cfg.expand(value, undefined, serviceScope(e)) : value;
        writeOut(mode.has("H") ? `${e.service}/${e.type}/${name}\n` : formatLine(mode.has("h") ? v : `${e.service}/${e.type}/${name} = ${v}`, false));
      }
    }
  }
  for (const p of args) if (!matched.has(p)) msgWarn(`unmatched request: "${p}"`);
}

/** postconf's entry point. */
export async function run(argv: string[]): Promise<number> {
  const opts = getopt(argv, "aAbc:C:deEfFhHlmMno:pPtT:vxX#", USAGE, { json: 0 });
  const mode = new Set<string>();
  let classes = new Set<ParamClass>(["builtin", "service", "user"]);
  for (const o of opts.opts) {
    if (o.opt === "--json" || o.opt === "c" || o.opt === "v" || o.opt === "E") continue;
    if (o.opt === "T" && mode.has("T")) throw new FatalError("At most one -T <mode> option may be specified");
    if ((o.opt === "b" && mode.has("t")) || (o.opt === "t" && mode.has("b"))) throw new FatalError("specify one of -b and -t");
    if (o.opt === "C") {
      classes = new Set();
      for (const c of o.arg!.split(/[\s,]+/).filter(Boolean)) {
        const lc = c.toLowerCase();
        if (lc === "all") classes = new Set(["builtin", "service", "user"]);
        else if (lc === "builtin" || lc === "service" || lc === "user") classes.add(lc);
        else throw new FatalError(`-C option: unknown name "${c}" in "${o.arg}"`);
      }
    }
    mode.add(o.opt);
  }
  setMsgVerbose(opts.count("v"));
  const json = opts.has("--json");
  const args = opts.args;
  if (!hasAny(mode, MAJOR)) mode.add("p");
  if ((mode.has("p") || mode.has("M") || mode.has("F") || mode.has("P")) && args[0]?.includes("=")) mode.add("e");
  checkOptions(mode);
  if (mode.has("e") && args.length === 0) throw new FatalError("-e requires name=value argument");
  const configDir = opts.last("c");
  const overrides = opts.values("o");

  if (mode.has("b") || mode.has("t")) {
    if (args.length > 1) throw new FatalError("options -b and -t require at most one template file");
    const cfg = loadConfig({ configDir, overrides });
    const { bounceTemplates, formatTemplates, formatExpandedTexts, expandTemplateText } = await import("../internal/message/bounce_templates.ts");
    const file = args[0] ?? cfg.get("bounce_template_file");
    let text: string | undefined;
    if (file !== "") {
      try {
        text = readFileBytes(file).toString();
      } catch (e) {
        throw new FatalError(`open ${file}: ${errnoText(e)}`);
      }
    }
    const ts = bounceTemplates(text, file);
    if (mode.has("t")) writeOut(formatTemplates(ts));
    else {
      const seconds = (n: string) => (cfg.paramDef(n)?.type === "time" ? cfg.getTime(n) : undefined);
      writeOut(formatExpandedTexts(ts, (t) => expandTemplateText(t, (n) => cfg.raw(n) === undefined ? undefined : cfg.get(n), seconds)));
    }
    return 0;
  }
  if (mode.has("m")) {
    const { MAP_TYPES } = await import("../internal/maps/open_map.ts");
    for (const t of MAP_TYPES) writeOut(`${t}\n`);
    return 0;
  }
  if (mode.has("l")) {
    writeOut("flock\nfcntl\ndotlock\n");
    return 0;
  }
  if (mode.has("a") || mode.has("A")) return 0;
  if (mode.has("T")) {
    const what = opts.last("T");
    if (what === "compile-version" || what === "run-version") writeOut(`BoringSSL (Bun ${Bun.version})\n`);
    else if (what === "public-key-algorithms") writeOut("rsa\necdsa\ned25519\ned448\n");
    else throw new FatalError(`invalid -T option argument: "${what}"`);
    return 0;
  }
  const editing = mode.has("e") || mode.has("X") || mode.has("#");
  if (editing) {
    if (args.length === 0) throw new FatalError("missing service argument");
    const dir = resolveConfigDir(configDir).dir;
    if (mode.has("M") || mode.has("F") || mode.has("P")) await editMaster(dir, mode, args);
    else await editMain({ configDir: dir }, mode, args);
    return 0;
  }
  const cfg = loadConfig({ configDir, overrides: mode.has("d") ? [] : overrides, skipMainCf: mode.has("d") });
  if (mode.has("M") || mode.has("F") || mode.has("P")) {
    showMaster(cfg, mode, args);
    return 0;
  }
  await showParameters(cfg, mode, args, classes, json);
  return 0;
}
