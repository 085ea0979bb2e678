/**
 * build_table — building and editing indexed tables from source text: what postmap, postalias and newaliases
 * do with a file, as library functions.
 *
 *   buildMapTable()      postmap [-i] type:name — postmap source format (map_source.ts)
 *   buildAliasTable()    postalias [-i] type:name — aliases(5) format (aliases_source.ts), then the `@` → `@`
 *                        entry and, as Debian's Postfix adds them, YP_LAST_MODIFIED and YP_MASTER_NAME
 *   deleteMapKeys()      postmap/postalias -d
 *
 * A new table takes the source file's group/other read permissions (unless `plainMode`, postmap -p) and, when
 * run as root, its owner (unless `keepOwner` is false, postmap -o). With `update` (-i) the entries come from
 * standard input and are added to the current table (which is created when missing).
 *
 * Errors are MapError with Postfix's fatal texts: `open FILE: No such file or directory`, `unsupported
 * dictionary type: regexp does not support bulk-mode creation.`, `can't create maps via the proxy service`,
 * `regexp:FILE map requires O_RDONLY access mode` (-d), `dict_cdb_open: inappropriate open flags …` (cdb -i/-d).
 */
import { closeSync, fstatSync, openSync, type Stats } from "node:fs";
import { LogicalLineReader } from "./logical_lines.ts";
import { parseMapSource } from "./map_source.ts";
import { parseAliasLine } from "./aliases_source.ts";
import { foldKey, isValidUtf8, printable } from "./casefold.ts";
import { IndexedTableWriter, deleteFromIndexedTable, isIndexedType, type WriterOptions } from "./indexed_table.ts";
import { MAP_TYPES } from "./open_map.ts";
import { MapError } from "./map_error.ts";
import type { DuplicatePolicy, NulPolicy } from "./table.ts";
import { errnoText } from "../sys/errno.ts";
import { msgWarn } from "../log/msg.ts";

/** How to build a table. */
export interface BuildOptions {
  /** -i: add entries from standard input to the current table. */
  update?: boolean;
  /** Fold keys (default true; -f turns it off). */
  fold?: boolean;
  /** UTF-8 mode (smtputf8_enable and not -u). */
  utf8?: boolean;
  /** smtputf8_enable itself, which decides how warnings show non-ASCII text. Default: `utf8`. */
  msgUtf8?: boolean;
  /** -N / -n. */
  nul?: NulPolicy;
  /** -r / -w (default "warn"). */
  duplicates?: DuplicatePolicy;
  /** -F: values name files whose contents are stored base64-encoded (postmap only). */
  valuesAreFiles?: boolean;
  /** -p: mode 0644 instead of the source file's read permissions. */
  plainMode?: boolean;
  /** Not -o: as root, give the table the source file's owner. Default true. */
  keepOwner?: boolean;
  /** Standard input's descriptor for -i (tests pass a file). Default 0. */
  stdinFd?: number;
}

/** What buildAliasTable() adds after the aliases. */
export interface AliasExtras {
  /** $myhostname, for YP_MASTER_NAME. */
  myhostname: string;
  /** Add YP_LAST_MODIFIED and YP_MASTER_NAME (Postfix built with NIS, as Debian's is). Default true. */
  nis?: boolean;
  /** The time for YP_LAST_MODIFIED (seconds since the epoch). Default now. */
  now?: number;
}

function checkBuildType(type: string, debianHint: boolean): void {
  if (type === "proxy") throw new MapError("unsupported", "can't create maps via the proxy service");
  if (isIndexedType(type)) return;
  if (MAP_TYPES.includes(type)) {
    throw new MapError("unsupported", `unsupported dictionary type: ${type} does not support bulk-mode creation.`);
  }
  throw new MapError("unsupported", `unsupported dictionary type: ${type}${debianHint ? `. Is the postfix-${type} package installed?` : ""}`);
}

interface Source {
  fd: number;
  path: string;
  st: Stats;
  close(): void;
}

function openSource(name: string, opts: BuildOptions): Source {
  if (opts.update) {
    const fd = opts.stdinFd ?? 0;
    return { fd, path: "stdin", st: fstatSync(fd), close: () => {} };
  }
  let fd: number;
  try {
    fd = openSync(name, "r");
  } catch (e) {
    throw new MapError("open", `open ${name}: ${errnoText(e)}`, { cause: e });
  }
  return { fd, path: name, st: fstatSync(fd), close: () => closeSync(fd) };
}

function openWriter(type: string, name: string, src: Source, opts: BuildOptions): IndexedTableWriter {
  const w: WriterOptions = { nul: opts.nul === "with-nul" ? "with-nul" : "without-nul", duplicates: opts.duplicates ?? "warn" };
  if (opts.update) return IndexedTableWriter.update(type, name, w);
  // Postfix: umask 022 | (~source mode & 077), on a 0644 file
  w.mode = opts.plainMode || !src.st.isFile() ? 0o644 : 0o644 & (0o600 | (src.st.mode & 0o077));
  if (opts.keepOwner !== false && src.st.isFile()) w.owner = { uid: src.st.uid, gid: src.st.gid };
  return IndexedTableWriter.create(type, name, w);
}

function readError(path: string, e: unknown): MapError {
  if (e instanceof MapError) return e;
  return new MapError("open", `read ${path}: ${errnoText(e)}`, { cause: e });
}

/** postmap [-i] type:name: builds (or updates) an indexed table from a postmap source file. */
export function buildMapTable(type: string, name: string, opts: BuildOptions = {}): void {
  if (type === "proxy") checkBuildType(type, true);
  const src = openSource(name, opts);
  try {
    checkBuildType(type, true);
    const writer = openWriter(type, name, src, opts);
    try {
      const reader = new LogicalLineReader(src.fd, src.path, msgWarn);
      parseMapSource(reader, src.path, { fold: opts.fold, utf8: opts.utf8, msgUtf8: opts.msgUtf8, valuesAreFiles: opts.valuesAreFiles, warn: msgWarn }, (kb, ks, ke, vb, vs, ve) =>
        writer.addBytes(kb, ks, ke, vb, vs, ve),
      );
    } catch (e) {
      writer.abort();
      throw readError(src.path, e);
    }
    writer.commit();
  } finally {
    src.close();
  }
}

/** postalias [-i] type:name: builds (or updates) an indexed alias table from an aliases(5) file. */
export function buildAliasTable(type: string, name: string, extras: AliasExtras, opts: BuildOptions = {}): void {
  if (type === "proxy") checkBuildType(type, true);
  const src = openSource(name, opts);
  try {
    checkBuildType(type, true);
    const fold = opts.fold ?? true;
    const utf8 = opts.utf8 ?? false;
    const writer = openWriter(type, name, src, opts);
    try {
      const reader = new LogicalLineReader(src.fd, src.path, msgWarn);
      const decoder = new TextDecoder();
      while (reader.next()) {
        let bytes = reader.buf.subarray(reader.start, reader.end);
        const nul = bytes.indexOf(0);
        if (nul >= 0) bytes = bytes.subarray(0, nul);
        if (utf8 && !isValidUtf8(bytes)) {
          msgWarn(`${src.path}, line ${reader.lineno}: non-UTF-8 input "${printable(bytes)}" -- ignoring this line`);
          continue;
        }
        const r = parseAliasLine(decoder.decode(bytes));
        if (r === undefined) continue;
        if ("warning" in r) {
          msgWarn(`${src.path}, line ${reader.lineno}: ${r.warning}`);
          continue;
        }
        writer.add(fold ? foldKey(r.name, utf8) : r.name, r.value);
      }
      if (opts.update) writer.setDuplicates("replace");
      writer.add("@", "@");
      if (extras.nis !== false) {
        const now = extras.now ?? Math.floor(Date.now() / 1000);
        writer.add("YP_LAST_MODIFIED", String(now).padStart(10, "0"), true);
        writer.add("YP_MASTER_NAME", extras.myhostname, true);
      }
    } catch (e) {
      writer.abort();
      throw readError(src.path, e);
    }
    writer.commit();
  } finally {
    src.close();
  }
}

/**
 * postmap/postalias -d: removes `keys` (folded as `fold` and `utf8` say) from table `type:name`. Returns, for
 * each key, whether it was there.
 */
export function deleteMapKeys(type: string, name: string, keys: readonly string[], opts: { fold?: boolean; utf8?: boolean } = {}): boolean[] {
  if (!isIndexedType(type)) {
    if (type === "proxy" || MAP_TYPES.includes(type)) {
      throw new MapError("unsupported", `${type}:${name} map requires O_RDONLY access mode`);
    }
    throw new MapError("unsupported", `unsupported dictionary type: ${type}`);
  }
  const folded = keys.map((k) => ((opts.fold ?? true) ? foldKey(k, opts.utf8 ?? false) : k));
  return deleteFromIndexedTable(type, name, folded);
}
