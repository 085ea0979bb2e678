/**
 * name_mask — a parameter whose value is a set of option names (Postfix's name_mask()): names separated by
 * commas and white space, each one of a fixed list; any other name is a configuration error, fatal for the
 * service as in Postfix: `unknown PARAM value "NAME" in "VALUE"`.
 *
 *   nameMask("receive_override_options", value, ["no_address_mappings", …])   // Set of the names given
 *
 * Names are compared with their case unless `anyCase` (then they are returned as the list spells them).
 * Contract: throws ConfigError for an unknown name; nothing else.
 */
import { ConfigError } from "./main_cf.ts";

/** The names in `value` of parameter `param`, each one of `names`; see the header. */
export function nameMask(param: string, value: string, names: readonly string[], opts: { anyCase?: boolean } = {}): Set<string> {
  const out = new Set<string>();
  for (const name of value.split(/[, \t\r\n]+/)) {
    if (name === "") continue;
    const known = opts.anyCase ? names.find((n) => n.toLowerCase() === name.toLowerCase()) : names.includes(name) ? name : undefined;
    if (known === undefined) throw new ConfigError(`unknown ${param} value "${name}" in "${value}"`);
    out.add(known);
  }
  return out;
}
