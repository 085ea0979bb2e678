/**
 * NAME
 *   postalias — build, query, list and edit Postfix alias tables
 *
 * SYNOPSIS
 *   postalias [-Nfinoprsuvw] [-c config_dir] [-d key] [-q key] [map_type:]file...
 *
 * DESCRIPTION
 *   Without -d, -q or -s, builds each indexed alias table (hash, btree, lmdb, cdb; default
 *   default_database_type) from the aliases(5) file of the same name (internal/maps/aliases_source.ts): names
 *   are stored unquoted and folded, values re-serialised (`alice,bob` → `alice, bob`). After the aliases it adds
 *   `@` → `@` and, as Debian's Postfix does, YP_LAST_MODIFIED (seconds since the epoch, 10 digits) and
 *   YP_MASTER_NAME ($myhostname). The new table replaces the old one atomically.
 *
 * OPTIONS
 *   -c dir      configuration directory (else $MAIL_CONFIG, else /etc/postfix)
 *   -d key      delete the key from each table (`-d -`: keys from standard input)
 *   -f          do not fold names to lower case
 *   -i          add aliases from standard input to an existing table
 *   -N, -n      with / without a trailing NUL on names and values (default without; lookups try both)
 *   -o, -p      as root, do not give the table the source file's owner / do not copy its permissions
 *   -q key      print the value of key from the first table that has it (`-q -`: names from standard input,
 *               printed as `name:<TAB>value`)
 *   -r, -w      on duplicate names, keep the last / keep the first silently (default: first, with a warning)
 *   -s          list every entry of the first table as `name:<TAB>value`
 *   -u          disable UTF-8 checks
 *   -v          verbose
 *
 * EXIT STATUS
 *   0 on success; 1 when -q or -d found no key, and for every fatal error.
 *
 * FILES
 *   $config_directory/main.cf: default_database_type, smtputf8_enable, myhostname.
 *
 * SEE ALSO
 *   postmap(1), newaliases(1), aliases(5).
 */
import { getopt } from "../internal/text/getopt.ts";
import { UsageError } from "../internal/sys/errors.ts";
import { writeOut } from "../internal/sys/stdout.ts";
import { msgWarn, setMsgVerbose } from "../internal/log/msg.ts";
import { importEnvironmentEntries, loadConfig } from "../internal/config/config.ts";
import { openMapOf, type LookupTable } from "../internal/maps/index.ts";
import {
  emptyValueWarnings,
  entriesOrFatal,
  lookupOrFatal,
  deleteTableKeys,
  splitTableArg as splitTable,
  stdinLines,
  tableToolMapOptions,
  tableToolMode,
} from "../internal/maps/table_tool.ts";

export const USAGE = "postalias [-Nfinoprsuvw] [-c config_dir] [-d key] [-q key] [map_type:]file...";

export const HELP = `usage: ${USAGE}

Build, query, list or edit alias tables in aliases(5) format.
  -q key | -q -   look up a name (from stdin: name:<TAB>value lines)
  -s              list the first table          -d key | -d -   delete names
  -i              add aliases from stdin        -f              do not fold names to lower case
  -r / -w         duplicates: replace / ignore  -N / -n         with / without trailing NUL
  -o / -p         keep owner / permissions as is                -u         UTF-8 checks off
  -c config_dir   configuration directory       -v              verbose
`;

/** What postalias takes from main.cf. */
interface ToolConfig {
  defaultType: string;
  utf8: boolean;
  myhostname: string;
  env: Record<string, string | undefined>;
}

function readToolConfig(configDir: string | undefined): ToolConfig {
  const cfg = loadConfig({ configDir });
  return {
    defaultType: cfg.get("default_database_type"),
    utf8: cfg.get("smtputf8_enable").trim().toLowerCase() === "yes",
    myhostname: cfg.get("myhostname"),
    env: importEnvironmentEntries(cfg),
  };
}

/** postalias's entry point. */
export async function run(argv: string[]): Promise<number> {
  const opts = getopt(argv, "Nc:d:finopq:rsuvw", USAGE);
  const { query, delkey, sequence } = tableToolMode(opts);
  setMsgVerbose(opts.count("v"));
  const cfg = readToolConfig(opts.last("c"));
  const utf8 = cfg.utf8 && !opts.has("u");
  const mapOpts = tableToolMapOptions(opts, utf8, cfg.env);
  const files = opts.args;

  if (delkey !== undefined) {
    if (files.length === 0) throw new UsageError(USAGE);
    return deleteTableKeys(files, delkey, cfg.defaultType, mapOpts);
  }

  if (query !== undefined) {
    if (files.length === 0) throw new UsageError(USAGE);
    const tables: (LookupTable | undefined)[] = files.map(() => undefined);
    const table = async (i: number) => {
      const { type, name } = splitTable(files[i]!, cfg.defaultType);
      return (tables[i] ??= await openMapOf(type, name, mapOpts));
    };
    if (query === "-") {
      let found = false;
      for (const key of stdinLines()) {
        for (let i = 0; i < files.length; i++) {
          const t = await table(i);
          const v = lookupOrFatal(t, key);
          if (v === undefined) continue;
          if (v === "") emptyValueWarnings(`${t.type}:${t.name}`, key);
          writeOut(`${key}:\t${v}\n`);
          found = true;
          break;
        }
      }
      return found ? 0 : 1;
    }
    for (let i = 0; i < files.length; i++) {
      const t = await table(i);
      const v = lookupOrFatal(t, query);
      if (v !== undefined) {
        if (v === "") emptyValueWarnings(`${t.type}:${t.name}`, query);
        writeOut(`${v}\n`);
        return 0;
      }
    }
    return 1;
  }

  if (sequence) {
    if (files.length === 0) return 1;
    const { type, name } = splitTable(files[0]!, cfg.defaultType);
    const spec = `${type}:${name}`;
    const t = await openMapOf(type, name, mapOpts);
    const entries = entriesOrFatal(t, spec);
    for (const [key, value] of entries) {
      if (key === "") msgWarn(`table ${spec}: empty lookup key value is not allowed`);
      else if (value === "") emptyValueWarnings(spec, key);
      writeOut(`${key}:\t${value}\n`);
    }
    return 0;
  }

  if (files.length === 0) throw new UsageError(USAGE);
  const { buildAliasTable } = await import("../internal/maps/build_table.ts");
  for (const f of files) {
    const { type, name } = splitTable(f, cfg.defaultType);
    buildAliasTable(type, name, { myhostname: cfg.myhostname }, {
      update: opts.has("i"),
      fold: mapOpts.fold,
      utf8,
      nul: mapOpts.nul,
      duplicates: mapOpts.duplicates,
      plainMode: opts.has("p"),
      keepOwner: !opts.has("o"),
    });
  }
  return 0;
}
