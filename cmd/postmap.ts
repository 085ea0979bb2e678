/**
 * NAME
 *   postmap — build, query, list and edit Postfix lookup tables
 *
 * SYNOPSIS
 *   postmap [-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key] [map_type:]file...
 *   postmap --explain -q key [map_type:]file...          (beyond Postfix)
 *   postmap --json -q key|-s ...                         (beyond Postfix; Postfix 3.11's -j output)
 *
 * DESCRIPTION
 *   Without -d, -q or -s, builds each indexed table (hash, btree, lmdb, cdb; the default type is
 *   default_database_type) from the source file of the same name: `key whitespace value` lines, comments,
 *   indented continuation lines (internal/maps/map_source.ts). The new table replaces the old one atomically.
 *   Table files are named as Postfix names them (FILE.db, FILE.cdb, FILE.lmdb) and hold the CDB layout.
 *
 * OPTIONS
 *   -b, -h, -m  with `-q -`: use the body lines (-b) or the logical header lines (-h) of a message on standard
 *               input as keys; -m is accepted (MIME structure is not parsed)
 *   -c dir      configuration directory (else $MAIL_CONFIG, else /etc/postfix)
 *   -d key      delete the key from each table (`-d -`: keys from standard input)
 *   -f          do not fold keys to lower case
 *   -F          values are file names; store the files' contents base64-encoded (queries decode them)
 *   -i          add entries from standard input to an existing table
 *   -N, -n      store keys and values with / without a trailing NUL (default: without; lookups try both)
 *   -o, -p      as root, do not give the table the source file's owner / do not copy its permissions
 *   -q key      print the value of key from the first table that has it (`-q -`: keys from standard input,
 *               printed as `key<TAB>value`)
 *   -r, -w      on duplicate keys, keep the last one / keep the first one silently (default: first, warn)
 *   -s          list every entry of the first table as `key<TAB>value` (also for cdb, which Postfix 3.7 cannot)
 *   -u, -U      disable UTF-8 checks / keep them with -b and -h
 *   -v          verbose
 *   --explain   with -q: walk the access(5) search order (address, domain and parent domains, localpart@, or an IP
 *               address and its networks) over the tables and print which lookup key matched
 *   --json      with -q or -s: print `{"key": "value"}` objects, one per line
 *
 * EXIT STATUS
 *   0 on success; 1 when -q or -d found no key, and for every fatal error (Postfix-style `postmap: fatal: …`).
 *
 * FILES
 *   $config_directory/main.cf: default_database_type, smtputf8_enable, import_environment (environ: tables),
 *   parent_domain_matches_subdomains and recipient_delimiter (--explain).
 *
 * SEE ALSO
 *   postalias(1), internal/maps (table types and formats), postfix.md §8.
 */
import { getopt } from "../internal/text/getopt.ts";
import { FatalError, UsageError } from "../internal/sys/errors.ts";
import { flushOut, writeOut } from "../internal/sys/stdout.ts";
import { msgWarn, setMsgVerbose } from "../internal/log/msg.ts";
import { existsSync } from "node:fs";
import { openMapOf, foldKey, type LookupTable, type MapOptions } from "../internal/maps/index.ts";
import { readChunk } from "../internal/maps/logical_lines.ts";
import {
  emptyValueWarnings,
  entriesOrFatal,
  queryError,
  deleteTableKeys,
  splitTableArg as splitTable,
  stdinLines,
  tableToolMapOptions,
  tableToolMode,
} from "../internal/maps/table_tool.ts";
import { writeSync } from "node:fs";

export const USAGE = "postmap [-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key] [map_type:]file...";

export const HELP = `usage: ${USAGE}

Build, query, list or edit lookup tables (hash, btree, lmdb, cdb; query also texthash, inline, static,
regexp, pcre, cidr, unionmap, pipemap, environ, fail).
  -q key | -q -   look up a key (from stdin: key<TAB>value lines)
  -s              list the first table          -d key | -d -   delete keys
  -i              add entries from stdin        -f              do not fold keys to lower case
  -r / -w         duplicates: replace / ignore  -N / -n         with / without trailing NUL
  -F              values are file names (base64 content)        -b -h -m   message keys with -q -
  -o / -p         keep owner / permissions as is                -u / -U    UTF-8 checks off / on
  -c config_dir   configuration directory       -v              verbose
  --explain       with -q: show the access(5) search order and which key matched
  --json          with -q or -s: one {"key": "value"} object per line
`;

/** What postmap takes from main.cf (the only configuration access of this tool). */
interface ToolConfig {
  defaultType: string;
  utf8: boolean;
  env: Record<string, string | undefined>;
  parentMatchesSubdomains: boolean;
  recipientDelimiter: string;
}

async function readToolConfig(configDir: string | undefined): Promise<ToolConfig> {
  const { importEnvironmentEntries, loadConfig } = await import("../internal/config/config.ts");
  const cfg = loadConfig({ configDir });
  return {
    defaultType: cfg.get("default_database_type"),
    utf8: cfg.get("smtputf8_enable").trim().toLowerCase() === "yes",
    env: importEnvironmentEntries(cfg),
    parentMatchesSubdomains: cfg.getList("parent_domain_matches_subdomains").includes("smtpd_access_maps"),
    recipientDelimiter: cfg.get("recipient_delimiter"),
  };
}

/**
 * Problem: `postmap -q KEY hash:FILE` is run once per lookup by scripts, and reading main.cf costs more than the
 * lookup. Solution: when nothing main.cf decides can matter — an ASCII key (so smtputf8_enable cannot change its
 * folding) and only explicitly typed indexed tables (no default_database_type, no import_environment) — skip
 * the configuration, after checking that main.cf exists, as Postfix would fail without it.
 */
function quickQueryConfig(configDir: string | undefined, query: string | undefined, explain: boolean, files: string[]): ToolConfig | undefined {
  if (query === undefined || query === "-" || explain || files.length === 0 || !/^[\x00-\x7f]*$/.test(query)) return undefined;
  if (!files.every((f) => /^(hash|btree|lmdb|cdb):./.test(f))) return undefined;
  const dir = configDir !== undefined && configDir !== "" ? configDir : process.env.MAIL_CONFIG || "/etc/postfix";
  if (!existsSync(`${dir}/main.cf`)) return undefined;
  return { defaultType: "hash", utf8: false, env: {}, parentMatchesSubdomains: true, recipientDelimiter: "" };
}

function jsonLine(key: string, value: string): string {
  return `{${JSON.stringify(key)}: ${JSON.stringify(value)}}\n`;
}

/** Decodes a -F value; a malformed one is a warning and a configuration error, as in Postfix. */
function fromBase64(spec: string, key: string, value: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    msgWarn(`table ${spec}: key ${key}: malformed BASE64 value: ${value.slice(0, 30)}`);
    throw new FatalError(`table ${spec}: query error`);
  }
  return Buffer.from(value, "base64").toString("utf8");
}

/** Lazily opened tables, in command-line order. */
class TableList {
  private tables: (LookupTable | undefined)[];
  constructor(
    readonly args: string[],
    private readonly cfg: ToolConfig,
    private readonly opts: MapOptions,
  ) {
    this.tables = args.map(() => undefined);
  }
  async get(i: number): Promise<LookupTable> {
    const t = this.tables[i];
    if (t) return t;
    const { type, name } = splitTable(this.args[i]!, this.cfg.defaultType);
    const opened = await openMapOf(type, name, this.opts);
    this.tables[i] = opened;
    return opened;
  }
  spec(i: number): string {
    const { type, name } = splitTable(this.args[i]!, this.cfg.defaultType);
    return `${type}:${name}`;
  }
}

/** Bytes to standard output, for the byte-level bulk query path. */
class ByteOut {
  private buf = new Uint8Array(1 << 18);
  private len = 0;
  private dead = false;
  put(src: Uint8Array, s: number, e: number): void {
    const n = e - s;
    if (this.len + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) this.buf = new Uint8Array(n * 2);
    }
    const b = this.buf;
    if (n < 32) for (let i = 0; i < n; i++) b[this.len + i] = src[s + i]!;
    else b.set(src.subarray(s, e), this.len);
    this.len += n;
  }
  byte(c: number): void {
    if (this.len === this.buf.length) this.flush();
    this.buf[this.len++] = c;
  }
  flush(): void {
    let off = 0;
    while (off < this.len && !this.dead) {
      try {
        off += writeSync(1, this.buf, off, this.len - off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
        this.dead = true;
      }
    }
    this.len = 0;
  }
}

/**
 * `-q -` over indexed tables only: keys are looked up as bytes and `key<TAB>value` lines are copied as bytes,
 * with no string per key. Returns undefined when a key needs the general path (Unicode folding).
 */
async function bulkQueryBytes(list: TableList, cfg: ToolConfig, opts: MapOptions): Promise<boolean> {
  const { IndexedTable } = await import("../internal/maps/indexed_table.ts");
  const out = new ByteOut();
  const input = new Uint8Array(1 << 20);
  let have = 0;
  let found = false;
  const tables: (InstanceType<typeof IndexedTable> | undefined)[] = list.args.map(() => undefined);
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  // synchronous on purpose: one promise per key would cost more than the lookup
  const lookup = (b: Uint8Array, s: number, e: number): void => {
    for (let i = 0; i < tables.length; i++) {
      let t = tables[i];
      if (!t) {
        const { type, name } = splitTable(list.args[i]!, cfg.defaultType);
        t = tables[i] = new IndexedTable(type, name, opts);
      }
      const r = t.lookupBytes(b, s, e);
      if (r === 0) continue;
      if (r < 0) {
        const v = t.lookup(decoder.decode(b.subarray(s, e)));
        if (v === undefined) continue;
        const vb = encoder.encode(v);
        out.put(b, s, e);
        out.byte(9);
        out.put(vb, 0, vb.length);
        out.byte(10);
      } else {
        if (t.valueEnd === t.valueStart) emptyValueWarnings(list.spec(i), decoder.decode(b.subarray(s, e)));
        out.put(b, s, e);
        out.byte(9);
        out.put(t.valueBytes, t.valueStart, t.valueEnd);
        out.byte(10);
      }
      found = true;
      return;
    }
  };
  flushOut();
  try {
    for (;;) {
      const n = readChunk(0, input, have, input.length - have);
      const end = have + n;
      let start = 0;
      for (;;) {
        const nl = input.indexOf(10, start);
        if (nl < 0 || nl >= end) break;
        lookup(input, start, nl);
        start = nl + 1;
      }
      if (n === 0) {
        if (start < end) lookup(input, start, end);
        break;
      }
      input.copyWithin(0, start, end);
      have = end - start;
      if (have === input.length) throw new FatalError("input line too long");
    }
  } finally {
    out.flush();
  }
  return found;
}

/** Keys from a message on standard input: logical header lines (-h) and/or body lines (-b). */
function* messageKeys(headers: boolean, body: boolean): Generator<string> {
  let inHeaders = true;
  let pending: string | undefined;
  for (const raw of stdinLines()) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (inHeaders) {
      if (pending !== undefined && (line.startsWith(" ") || line.startsWith("\t"))) {
        pending += `\n${line}`;
        continue;
      }
      if (pending !== undefined && headers) yield pending;
      pending = undefined;
      if (line === "") {
        inHeaders = false;
        if (!body) return;
        continue;
      }
      pending = line;
      continue;
    }
    if (body) yield line;
  }
  if (pending !== undefined && headers) yield pending;
}

/** postmap's entry point. */
export async function run(argv: string[]): Promise<number> {
  const opts = getopt(argv, "bc:d:fFhimnNopq:rsuUvw", USAGE, { json: 0, explain: 0 });
  const { query, delkey, sequence } = tableToolMode(opts);
  const json = opts.has("--json");
  const explain = opts.has("--explain");
  if (json && !(sequence || query !== undefined)) throw new FatalError("option --json requires -q or -s");
  if (explain && query === undefined) throw new FatalError("option --explain requires -q");
  setMsgVerbose(opts.count("v"));
  const cfg = quickQueryConfig(opts.last("c"), query, explain, opts.args) ?? (await readToolConfig(opts.last("c")));
  const bodyKey = opts.has("b");
  const headerKey = opts.has("h");
  const mimeKey = opts.has("m");
  if ((bodyKey || headerKey || mimeKey) && query !== "-") throw new FatalError('specify -b -h or -m only with "-q -"');
  if (mimeKey && !bodyKey && !headerKey) msgWarn("ignoring -m option without -b or -h");
  let utf8 = cfg.utf8 && !opts.has("u");
  if ((bodyKey || headerKey) && !opts.has("U")) utf8 = false;
  const mapOpts = tableToolMapOptions(opts, utf8, cfg.env);
  const files = opts.args;
  const valuesAreFiles = opts.has("F");

  if (delkey !== undefined) {
    if (files.length === 0) throw new UsageError(USAGE);
    return deleteTableKeys(files, delkey, cfg.defaultType, mapOpts);
  }

  if (query !== undefined) {
    if (files.length === 0) throw new UsageError(USAGE);
    const list = new TableList(files, cfg, mapOpts);
    if (explain) return explainQuery(query, list, cfg, json);
    if (query === "-") {
      const allIndexed = files.every((f) => ["hash", "btree", "lmdb", "cdb"].includes(splitTable(f, cfg.defaultType).type));
      if (allIndexed && !json && !valuesAreFiles && !bodyKey && !headerKey) return (await bulkQueryBytes(list, cfg, mapOpts)) ? 0 : 1;
      let found = false;
      const keys = bodyKey || headerKey ? messageKeys(headerKey, bodyKey) : stdinLines();
      for (const key of keys) {
        for (let i = 0; i < files.length; i++) {
          const t = await list.get(i);
          let v: string | undefined;
          try {
            v = t.lookup(key);
          } catch (e) {
            queryError(list.spec(i), e);
          }
          if (v === undefined) continue;
          if (v === "") emptyValueWarnings(list.spec(i), key);
          if (valuesAreFiles) v = fromBase64(list.spec(i), key, v);
          writeOut(json ? jsonLine(key, v) : `${key}\t${v}\n`);
          found = true;
          break;
        }
      }
      return found ? 0 : 1;
    }
    for (let i = 0; i < files.length; i++) {
      const t = await list.get(i);
      let v: string | undefined;
      try {
        v = t.lookup(query);
      } catch (e) {
        queryError(list.spec(i), e);
      }
      if (v !== undefined) {
        if (v === "") emptyValueWarnings(list.spec(i), query);
        if (valuesAreFiles) v = fromBase64(list.spec(i), query, v);
        writeOut(json ? jsonLine(query, v) : `${v}\n`);
        return 0;
      }
      t.close();
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
      let v = value;
      if (key === "") msgWarn(`table ${spec}: empty lookup key value is not allowed`);
      else if (v === "") emptyValueWarnings(spec, key);
      if (valuesAreFiles) {
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) {
          msgWarn(`table ${spec}: key ${key}: malformed BASE64 value: ${v.slice(0, 30)}`);
          continue;
        }
        v = Buffer.from(v, "base64").toString("utf8");
      }
      writeOut(json ? jsonLine(key, v) : `${key}\t${v}\n`);
    }
    return 0;
  }

  if (files.length === 0) throw new UsageError(USAGE);
  const { buildMapTable } = await import("../internal/maps/build_table.ts");
  for (const f of files) {
    const { type, name } = splitTable(f, cfg.defaultType);
    buildMapTable(type, name, {
      update: opts.has("i"),
      fold: mapOpts.fold,
      utf8,
      msgUtf8: cfg.utf8,
      nul: mapOpts.nul,
      duplicates: mapOpts.duplicates,
      valuesAreFiles,
      plainMode: opts.has("p"),
      keepOwner: !opts.has("o"),
    });
  }
  return 0;
}

/** --explain: the access(5) search over the tables, one line per lookup key tried. */
async function explainQuery(query: string, list: TableList, cfg: ToolConfig, json: boolean): Promise<number> {
  const { accessLookup, accessKindOf } = await import("../internal/maps/access_search.ts");
  const tables: LookupTable[] = [];
  for (let i = 0; i < list.args.length; i++) tables.push(await list.get(i));
  const kind = query === "-" ? "domain" : accessKindOf(query);
  let result;
  try {
    result = accessLookup(tables, query, kind, {
      parentMatchesSubdomains: cfg.parentMatchesSubdomains,
      recipientDelimiter: cfg.recipientDelimiter,
    });
  } catch (e) {
    queryError(list.args.join(" "), e);
  }
  for (const s of result.steps) {
    const folded = foldKey(s.key, cfg.utf8);
    if (json) {
      writeOut(`${JSON.stringify({ key: s.key, partial: s.partial, tables: s.asked, found: s.foundIn !== undefined, table: s.foundIn, value: s.value })}\n`);
      continue;
    }
    const asked = s.asked.length > 0 ? s.asked.join(", ") : "no table (pattern tables are not searched with partial keys)";
    if (s.foundIn !== undefined) writeOut(`${folded}: found in ${s.foundIn}: ${s.value}\n`);
    else writeOut(`${folded}: not found in ${asked}\n`);
  }
  if (!json && result.value === undefined) writeOut(`${query}: no match (${kind} search)\n`);
  return result.value === undefined ? 1 : 0;
}
