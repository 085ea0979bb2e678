/**
 * params — the parameter registry: every main.cf parameter postkit knows, declared once in params_table.ts
 * (name, type, default, one-line description), plus the per-service parameters that master.cf implies.
 *
 * The registry drives main.cf parsing, `postconf -d/-n`, and the typed getters of Config. A lookup is a string
 * search in one constant (no index is built), so a tool that reads three parameters pays for three lookups. Types are Postfix's: str, raw (never $-expanded), int, long,
 * bool, time (with a default unit for bare numbers), nint, nbool.
 */
import { PARAM_TABLE, COMPUTED_DEFAULTS, paramRows } from "./params_table.ts";
import type { MasterEntry } from "./master_cf.ts";

/** One known parameter. */
export interface ParamDef {
  name: string;
  type: string;
  /** Default unit letter of a time parameter (s, m, h, d, w). */
  unit: string;
  /** The built-in default as `postconf -d` prints it ("" for computed ones; see COMPUTED_DEFAULTS). */
  def: string;
  /** Set for parameters that exist because of a master.cf service (e.g. relay_destination_concurrency_limit). */
  service?: string;
}

const cache = new Map<string, ParamDef | null>();

/**
 * postkit's own parameters (not Postfix's): same line format as PARAM_TABLE. Descriptions are in params_doc.ts.
 *   postkit_resolv_conf          resolver configuration for the SMTP client and DNS blocklists
 *   postkit_dnsbl_error_answers  fail_open: blocklist answers that mean "error" do not list; listing: Postfix's way
 */
const POSTKIT_TABLE = "\npostkit_dnsbl_error_answers\tstr\tfail_open\npostkit_resolv_conf\tstr\t/etc/resolv.conf\n";

/** The built-in definition of `name`, or undefined. */
export function builtinParam(name: string): ParamDef | undefined {
  let d = cache.get(name);
  if (d === undefined) {
    const bad = name.includes("\t") || name.includes("\n");
    const table = !bad && name.startsWith("postkit_") ? POSTKIT_TABLE : PARAM_TABLE;
    const at = bad ? -1 : table.indexOf(`\n${name}\t`);
    if (at < 0) d = null;
    else {
      // "\nname\ttype[:unit]\tdefault\n", read with indexOf (no split, no destructuring: this runs at every start)
      const typeAt = at + name.length + 2;
      const defAt = table.indexOf("\t", typeAt) + 1;
      const t = table.slice(typeAt, defAt - 1);
      const colon = t.indexOf(":");
      const def = table.slice(defAt, table.indexOf("\n", defAt));
      d = colon < 0 ? { name, type: t, unit: "", def } : { name, type: t.slice(0, colon), unit: t.slice(colon + 1), def };
    }
    cache.set(name, d);
  }
  return d ?? undefined;
}

/** Names of every built-in parameter (Postfix's and postkit's own), sorted. */
export function builtinParamNames(): string[] {
  const own = POSTKIT_TABLE.split("\n").filter(Boolean).map((l) => l.split("\t")[0]!);
  return [...paramRows().map((r) => r[0]), ...own].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** True when Postfix computes `name`'s default from the host (myhostname, mynetworks …). */
export function isComputedDefault(name: string): boolean {
  return COMPUTED_DEFAULTS.includes(name);
}

const SERVICE_SUFFIXES: readonly (readonly [string, string])[] = [
  ["_recipient_limit", "default_recipient_limit"],
  ["_extra_recipient_limit", "default_extra_recipient_limit"],
  ["_recipient_refill_limit", "default_recipient_refill_limit"],
  ["_recipient_refill_delay", "default_recipient_refill_delay"],
  ["_delivery_slot_cost", "default_delivery_slot_cost"],
  ["_delivery_slot_loan", "default_delivery_slot_loan"],
  ["_delivery_slot_discount", "default_delivery_slot_discount"],
  ["_minimum_delivery_slots", "default_minimum_delivery_slots"],
  ["_initial_destination_concurrency", "initial_destination_concurrency"],
  ["_destination_concurrency_limit", "default_destination_concurrency_limit"],
  ["_destination_recipient_limit", "default_destination_recipient_limit"],
  ["_destination_concurrency_positive_feedback", "default_destination_concurrency_positive_feedback"],
  ["_destination_concurrency_negative_feedback", "default_destination_concurrency_negative_feedback"],
  ["_destination_concurrency_failed_cohort_limit", "default_destination_concurrency_failed_cohort_limit"],
  ["_destination_rate_delay", "default_destination_rate_delay"],
  ["_transport_rate_delay", "default_transport_rate_delay"],
];
const TIME_LIMIT: readonly [string, string] = ["_time_limit", "command_time_limit"];

/**
 * When `name` has the shape of a per-transport parameter (`SERVICE_destination_concurrency_limit` …): the service
 * part and the parameter it defaults to (the longest matching suffix wins); else undefined.
 */
export function perServiceParam(name: string): { service: string; base: string } | undefined {
  let best: readonly [string, string] | undefined;
  for (const p of SERVICE_SUFFIXES) if (name.endsWith(p[0]) && (!best || p[0].length > best[0].length)) best = p;
  if (!best && name.endsWith(TIME_LIMIT[0])) best = TIME_LIMIT;
  return best && { service: name.slice(0, name.length - best[0].length), base: best[1] };
}

/** Delivery agents whose master.cf services get per-transport parameters, as postconf(1) derives them. */
const AGENT_SUFFIXES: Record<string, readonly (readonly [string, string])[]> = {
  local: SERVICE_SUFFIXES,
  error: SERVICE_SUFFIXES,
  virtual: SERVICE_SUFFIXES,
  smtp: SERVICE_SUFFIXES,
  lmtp: SERVICE_SUFFIXES,
  pipe: [TIME_LIMIT, ...SERVICE_SUFFIXES],
  spawn: [TIME_LIMIT],
};

/**
 * The per-service parameters implied by master.cf entries, keyed by name. A name that is also built in (such as
 * local_destination_concurrency_limit) keeps its built-in default but counts as a service parameter, as in
 * postconf(1).
 */
export function serviceParams(master: readonly MasterEntry[]): Map<string, ParamDef> {
  const out = new Map<string, ParamDef>();
  for (const e of master) {
    const suffixes = AGENT_SUFFIXES[e.command.slice(e.command.lastIndexOf("/") + 1)];
    if (!suffixes) continue;
    for (const [suffix, base] of suffixes) {
      const name = e.service + suffix;
      if (out.has(name)) continue;
      const own = builtinParam(name);
      if (own) {
        out.set(name, { ...own, service: e.service });
        continue;
      }
      const b = builtinParam(base);
      out.set(name, {
        name, type: b?.type ?? "str", unit: b?.unit ?? "", def: `$${base}`, service: e.service,
      });
    }
  }
  return out;
}
