/**
 * NAME
 *   newaliases — rebuild the alias tables listed in alias_database
 *
 * SYNOPSIS
 *   newaliases [options]
 *
 * DESCRIPTION
 *   Postfix's `sendmail -bi`: runs what `postalias` does on every table of alias_database (split on commas and
 *   white space; a name without `type:` gets default_database_type). An empty alias_database does nothing.
 *   Diagnostics of the table builds are signed `postalias`, as they are when Postfix's sendmail runs postalias.
 *   Like sendmail, it works in queue_directory, so relative table names are relative to it.
 *
 * OPTIONS
 *   -C dir       configuration directory (sendmail's -C; a file name means its directory)
 *   -oAtable     rebuild this table instead of alias_database
 *   -v           verbose
 *   Other sendmail options are accepted and ignored.
 *
 * EXIT STATUS
 *   0 when every table was built; 1 when a build failed; 75 (EX_TEMPFAIL) for a usage error, as sendmail.
 *
 * FILES
 *   $config_directory/main.cf: alias_database, default_database_type, smtputf8_enable, myhostname.
 *
 * SEE ALSO
 *   postalias(1), aliases(5).
 */
import { statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { getopt, GetoptError } from "../internal/text/getopt.ts";
import { FatalError } from "../internal/sys/errors.ts";
import { setMsgStderrName, setMsgVerbose } from "../internal/log/msg.ts";
import { loadConfig, splitList } from "../internal/config/config.ts";

export const USAGE = "newaliases [options]";

export const HELP = `usage: ${USAGE}

Rebuild the alias tables listed in alias_database (same as sendmail -bi).
  -C config_dir   configuration directory
  -oAtable        rebuild this table instead of alias_database
  -v              verbose
`;

const EX_TEMPFAIL = 75;

/** newaliases's entry point. */
export async function run(argv: string[]): Promise<number> {
  let opts;
  try {
    // sendmail's option letters; everything but -C, -oA and -v is ignored in this mode
    opts = getopt(argv, "B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx", USAGE);
  } catch (e) {
    if (e instanceof GetoptError) {
      e.exitCode = EX_TEMPFAIL;
      // Postfix's sendmail scans its options twice, so glibc complains twice
      writeSync(2, `newaliases: ${e.detail}\n`);
    }
    throw e;
  }
  if (opts.args.length > 0) throw new FatalError("alias initialization mode requires no recipient", { exitCode: EX_TEMPFAIL });
  setMsgVerbose(opts.count("v"));
  let configDir = opts.last("C");
  if (configDir !== undefined) {
    try {
      if (!statSync(configDir).isDirectory()) configDir = dirname(configDir);
    } catch {
      // loadConfig reports the missing directory
    }
  }
  const cfg = loadConfig({ configDir });
  try {
    // Postfix's sendmail works in the queue directory: relative table names are relative to it
    process.chdir(cfg.get("queue_directory"));
  } catch {
    // no queue directory (yet): stay where we are
  }
  const override = opts
    .values("o")
    .filter((o) => o.startsWith("A"))
    .map((o) => o.slice(1))
    .pop();
  const tables = override !== undefined ? [override] : splitList(cfg.get("alias_database"));
  if (tables.length === 0) return 0;
  const defaultType = cfg.get("default_database_type");
  const utf8 = cfg.get("smtputf8_enable").trim().toLowerCase() === "yes";
  const myhostname = cfg.get("myhostname");
  const { buildAliasTable } = await import("../internal/maps/build_table.ts");
  setMsgStderrName("postalias");
  for (const t of tables) {
    const colon = t.indexOf(":");
    const type = colon < 0 ? defaultType : t.slice(0, colon);
    const name = colon < 0 ? t : t.slice(colon + 1);
    buildAliasTable(type, name, { myhostname }, { utf8 });
  }
  return 0;
}
