/**
 * config — the one reader of main.cf, MAIL_CONFIG and `-c`: typed access to Postfix parameters.
 *
 * `loadConfig({configDir, overrides})` finds the configuration directory (`-c`, else $MAIL_CONFIG, else
 * /etc/postfix), reads `main.cf` there (a missing file is fatal, as in Postfix: `open DIR/main.cf: No such file or
 * directory`), and applies `-o name=value` overrides on top. A value is looked up in the overrides, then main.cf,
 * then the registry default (params.ts), then the host-computed defaults (host_defaults.ts); `get()` expands
 * `$name` references recursively (expand.ts) against the same chain. Per-transport parameters that master.cf
 * implies (`relay_destination_concurrency_limit` …) default to their `default_…` counterparts.
 *
 * Typed getters fail the way Postfix's daemons do (`bad numerical configuration: name = value`, `parameter name:
 * bad time value or unit: value`, `bad boolean configuration: name = value`) by throwing `ConfigError`.
 * `bindLogToConfig()` points the mail log at maillog_file or syslog with the `$syslog_name/PROG` tag.
 */
import { ConfigError, parseMainCf, splitNameValue, type MainCfEntry } from "./main_cf.ts";
import { expandValue, ExpandError } from "./expand.ts";
import { builtinParam, isComputedDefault, perServiceParam, type ParamDef } from "./params.ts";
import { defaultMydomain, defaultMyhostname, defaultMynetworks } from "./host_defaults.ts";
import { MAIL_RELEASE_DATE, MAIL_VERSION } from "./version.ts";
import { parseMasterCf, type MasterEntry } from "./master_cf.ts";
import { errnoText } from "../sys/errno.ts";
import { digitsEnd, isAllDigits, splitListItems } from "../text/chars.ts";
import { readFileText } from "../sys/libc.ts";
import { msgProgName, msgWarn, setMsgSink, setMsgTag, msgTag } from "../log/msg.ts";
import { openFileSink, openSyslogSink, syslogFacility } from "../log/maillog.ts";

export { ConfigError } from "./main_cf.ts";

/** The built-in configuration directory. */
export const DEFAULT_CONFIG_DIR = "/etc/postfix";

/** How to find and amend the configuration. */
export interface LoadOptions {
  /** From `-c`; takes precedence over $MAIL_CONFIG. */
  configDir?: string | undefined;
  /** `name=value` strings from `-o`. */
  overrides?: readonly string[];
  /** Report main.cf warnings (logical lines starting with whitespace …); default true. */
  warn?: boolean;
  /** Do not read main.cf at all (postconf -d): every value is a built-in default. */
  skipMainCf?: boolean;
}

/** The configuration directory chosen by `-c` or $MAIL_CONFIG, and whether the user chose it. */
export function resolveConfigDir(configDir?: string): { dir: string; explicit: boolean } {
  if (configDir !== undefined && configDir !== "") return { dir: configDir, explicit: true };
  const env = process.env.MAIL_CONFIG;
  if (env) return { dir: env, explicit: true };
  return { dir: DEFAULT_CONFIG_DIR, explicit: false };
}

const TIME_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** A loaded configuration. */
export class Config {
  readonly mainCfPath: string;
  private masterCache: MasterEntry[] | undefined;
  private expanded = new Map<string, string>();

  constructor(
    readonly configDir: string,
    /** True when `-c` or $MAIL_CONFIG named the directory (postconf -n then shows config_directory). */
    readonly explicitDir: boolean,
    /** main.cf settings, in file order (last setting of each name). */
    readonly main: ReadonlyMap<string, MainCfEntry>,
    /** `-o` overrides. */
    readonly overrides: ReadonlyMap<string, string>,
    /** When true, main.cf and overrides are ignored: values are the built-in defaults (postconf -d). */
    readonly defaultsOnly = false,
  ) {
    this.mainCfPath = `${configDir}/main.cf`;
  }

  /** The same configuration seen with built-in defaults only (postconf -d). */
  defaults(): Config {
    return new Config(this.configDir, this.explicitDir, this.main, this.overrides, true);
  }

  /** The registry entry of `name`, including the per-transport parameters every transport name has. */
  paramDef(name: string): ParamDef | undefined {
    const b = builtinParam(name);
    if (b) return b;
    const p = perServiceParam(name);
    if (!p) return undefined;
    const bd = builtinParam(p.base);
    if (!bd) return undefined;
    return { name, type: bd.type, unit: bd.unit, def: `$${p.base}`, service: p.service };
  }

  /** The default value of `name` as `postconf -d` prints it, or undefined when postkit does not know it. */
  defaultValue(name: string): string | undefined {
    const d = this.paramDef(name);
    if (!d) return undefined;
    if (!isComputedDefault(name)) return d.def;
    switch (name) {
      case "myhostname":
        return defaultMyhostname(this.defaultsOnly ? undefined : this.setValue("mydomain"));
      case "mydomain":
        return defaultMydomain(this.get("myhostname"));
      case "mynetworks":
        return defaultMynetworks(this.get("mynetworks_style"), this.get("inet_interfaces"), this.get("inet_protocols"));
      case "process_id":
        return String(process.pid);
      case "process_name":
        return msgProgName();
      case "mail_version":
        return MAIL_VERSION;
      case "mail_release_date":
        return MAIL_RELEASE_DATE;
      default:
        return d.def;
    }
  }

  /** The value set by `-o` or main.cf (unexpanded), or undefined. */
  setValue(name: string): string | undefined {
    if (this.defaultsOnly) return undefined;
    return this.overrides.get(name) ?? this.main.get(name)?.value;
  }

  /** The unexpanded value: override, main.cf, or default. Undefined for an unknown name that is not set. */
  raw(name: string): string | undefined {
    return this.setValue(name) ?? this.defaultValue(name);
  }

  /** True when `name` is raw (its value is never $-expanded). */
  isRaw(name: string): boolean {
    return this.paramDef(name)?.type === "raw";
  }

  /**
   * Expands `$name` references in arbitrary text against this configuration; `local` values (a master.cf
   * service's -o settings, service_name, process_name) take precedence, as in a daemon of that service.
   */
  expand(text: string, onUndefined?: (name: string) => void, local?: ReadonlyMap<string, string>): string {
    const lookup = local ? (n: string) => local.get(n) ?? this.raw(n) : (n: string) => this.raw(n);
    try {
      return expandValue(text, { lookup, isRaw: (n) => this.isRaw(n), onUndefined });
    } catch (e) {
      if (e instanceof ExpandError) {
        msgWarn(e.message);
        throw new ConfigError("macro processing error");
      }
      throw e;
    }
  }

  /** The expanded value of `name` ("" when it is unknown and unset). */
  get(name: string): string {
    const hit = this.expanded.get(name);
    if (hit !== undefined) return hit;
    const raw = this.raw(name);
    // a value without `$` is its own expansion: no expander (nor its first-call cost in a one-shot tool)
    const v = raw === undefined ? "" : !raw.includes("$") || this.isRaw(name) ? raw : this.expand(raw);
    this.expanded.set(name, v);
    return v;
  }

  /** An integer parameter. */
  getInt(name: string): number {
    const v = this.get(name).trim();
    if (!isAllDigits(v.startsWith("-") ? v.slice(1) : v)) throw new ConfigError(`bad numerical configuration: ${name} = ${v}`);
    return Number(v);
  }

  /** A yes/no parameter. */
  getBool(name: string): boolean {
    const v = this.get(name).trim().toLowerCase();
    if (v === "yes") return true;
    if (v === "no") return false;
    throw new ConfigError(`bad boolean configuration: ${name} = ${this.get(name)}`);
  }

  /** A time parameter, in seconds; a bare number takes the parameter's default unit. */
  getTime(name: string): number {
    const v = this.get(name).trim();
    const end = digitsEnd(v, 0);
    const letter = v.slice(end);
    if (end === 0 || (letter !== "" && (letter.length > 1 || !"smhdw".includes(letter)))) {
      throw new ConfigError(`parameter ${name}: bad time value or unit: ${v}`);
    }
    const unit = letter || this.paramDef(name)?.unit || "s";
    return Number(v.slice(0, end)) * TIME_UNITS[unit]!;
  }

  /** A list parameter split on commas and whitespace. */
  getList(name: string): string[] {
    return splitList(this.get(name));
  }

  /** master.cf of this configuration directory, parsed once. */
  master(): MasterEntry[] {
    if (this.masterCache) return this.masterCache;
    const path = `${this.configDir}/master.cf`;
    let text: string;
    try {
      text = readFileText(path);
    } catch (e) {
      throw new ConfigError(`open ${path}: ${errnoText(e)}`);
    }
    this.masterCache = parseMasterCf(text, path, msgWarn);
    return this.masterCache;
  }
}

/**
 * What import_environment brings in: NAME copies the variable from `from` when it is set there, NAME=VALUE or
 * `{ NAME=VALUE with spaces }` sets it. (The environment of the programs the mail system starts, and the one
 * `environ:` tables read.)
 */
export function importEnvironmentEntries(
  cfg: Config,
  from: Record<string, string | undefined> = process.env,
): Record<string, string> {
  const e: Record<string, string> = {};
  for (const item of splitList(cfg.get("import_environment"))) {
    const entry = item.startsWith("{") && item.endsWith("}") ? item.slice(1, -1).trim() : item;
    const eq = entry.indexOf("=");
    if (eq > 0) e[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim();
    else if (eq < 0 && entry !== "" && from[entry] !== undefined) e[entry] = from[entry]!;
  }
  return e;
}

/**
 * The environment Postfix's clean_env() leaves for a program the mail system starts: the import_environment
 * entries, then PATH (postkit's agents run commands) and MAIL_CONFIG = this configuration directory.
 */
export function importedEnvironment(
  cfg: Config,
  from: Record<string, string | undefined> = process.env,
): Record<string, string> {
  return { ...importEnvironmentEntries(cfg, from), PATH: from.PATH ?? "/usr/bin:/bin", MAIL_CONFIG: cfg.configDir };
}

/** Splits a Postfix list value on commas and whitespace. */
export function splitList(value: string): string[] {
  if (!value.includes("{")) return splitListItems(value);
  // `{…}` groups (inline:{ a=b, c=d }, -o { … }) stay one item, as Postfix's mystrtokq() keeps them
  const out: string[] = [];
  let cur = "";
  let depth = 0;
  for (const c of value) {
    if (c === "{") depth++;
    else if (c === "}" && depth > 0) depth--;
    if (depth === 0 && (c === "," || c === " " || c === "\t" || c === "\n" || c === "\r")) {
      if (cur !== "") out.push(cur);
      cur = "";
    } else cur += c;
  }
  if (cur !== "") out.push(cur);
  return out;
}

/** Reads main.cf from the configuration directory and applies overrides. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const { dir, explicit } = resolveConfigDir(opts.configDir);
  const path = `${dir}/main.cf`;
  let text = "";
  if (!opts.skipMainCf) {
    try {
      text = readFileText(path);
    } catch (e) {
      throw new ConfigError(`open ${path}: ${errnoText(e)}`);
    }
  }
  const warn = opts.warn === false ? () => {} : msgWarn;
  const main = parseMainCf(text, path, warn);
  const overrides = new Map<string, string>();
  for (const o of opts.overrides ?? []) {
    const nv = splitNameValue(o);
    if ("error" in nv) throw new ConfigError(`${nv.error}: "${o}"`);
    overrides.set(nv.name, nv.value);
  }
  // Postfix records an explicitly chosen directory as a setting of config_directory
  if (explicit && !overrides.has("config_directory")) overrides.set("config_directory", dir);
  return new Config(dir, explicit, main, overrides);
}

/**
 * The mode of a new maillog_file: `maillog_file_permissions` (a parameter of later Postfix releases) when main.cf
 * or `-o` sets it, else 0600. Read only when set: looking up a name the registry does not know searches its
 * whole table, and every tool that logs would pay for that at start-up.
 */
export function maillogFileMode(cfg: Config): number {
  const name = "maillog_file_permissions";
  return Number.parseInt((cfg.setValue(name) === undefined ? "" : cfg.get(name)) || "0600", 8);
}

/**
 * $syslog_name, the first part of every log tag. Its default, `${multi_instance_name?{$multi_instance_name}:{postfix}}`,
 * is `postfix` whenever neither it nor multi_instance_name is set: that case is answered without the $-expander,
 * whose first use costs a one-shot tool ~0.1 ms of its start (postlog: ~2 %). config_test.ts checks that this
 * gives what get() gives.
 */
export function syslogName(cfg: Config): string {
  if (cfg.setValue("syslog_name") === undefined && !cfg.setValue("multi_instance_name")) return "postfix";
  return cfg.get("syslog_name");
}

/**
 * Points the mail log at this configuration: tag `$syslog_name/PROG`, records to maillog_file when set (it must
 * start with one of maillog_file_prefixes), else to syslog with syslog_facility.
 */
export function bindLogToConfig(cfg: Config, opts: { tag?: string } = {}): void {
  const prog = msgProgName();
  setMsgTag(opts.tag ?? `${syslogName(cfg)}/${prog}`);
  const file = cfg.get("maillog_file");
  const tag = () => msgTag();
  if (file !== "") {
    const prefixes = cfg.getList("maillog_file_prefixes");
    if (!startsWithAny(file, prefixes)) {
      throw new ConfigError(`maillog_file value '${file}' does not match any prefix in maillog_file_prefixes`);
    }
    // myhostname's default asks the kernel (gethostname through libc): only when the first record is written
    const host = () => cfg.get("myhostname").split(".")[0]!;
    const mode = maillogFileMode(cfg);
    // a daemon whose master already opened the log (and may hold privileges the daemon lacks) inherits it
    const inherited = process.env.POSTKIT_MAILLOG_FD;
    const fd = inherited !== undefined && process.env.POSTKIT_MAILLOG === file ? Number(inherited) : undefined;
    setMsgSink(openFileSink(file, host, tag, mode, fd));
    return;
  }
  const facility = syslogFacility(cfg.get("syslog_facility")) ?? 2;
  setMsgSink(openSyslogSink(facility, tag));
}

/** True when `s` starts with one of `prefixes` (a loop: Array.prototype.some is compiled from source at its first use). */
function startsWithAny(s: string, prefixes: readonly string[]): boolean {
  for (let i = 0; i < prefixes.length; i++) if (s.startsWith(prefixes[i]!)) return true;
  return false;
}
