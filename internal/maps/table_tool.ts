/**
 * table_tool — what postmap and postalias share when they read standard input and query or list tables:
 * the -q/-d/-s mode and table options, `[type:]name` arguments, stdin lines, key deletion, Postfix's wording for
 * empty results, query errors and tables that cannot be listed.
 *
 * Contract: the *OrFatal helpers throw FatalError with Postfix's text (`table TYPE:NAME: query error: …`,
 * `… sequence operation is not supported`); other errors pass through.
 */
import { FatalError } from "../sys/errors.ts";
import type { GetoptResult } from "../text/getopt.ts";
import { msgWarn } from "../log/msg.ts";
import { readChunk } from "./logical_lines.ts";
import { MapError } from "./map_error.ts";
import type { LookupTable, MapOptions } from "./table.ts";

/** `[type:]name` with Postfix's split at the first colon. */
export function splitTableArg(arg: string, defaultType: string): { type: string; name: string } {
  const colon = arg.indexOf(":");
  return colon < 0 ? { type: defaultType, name: arg } : { type: arg.slice(0, colon), name: arg.slice(colon + 1) };
}

/** The mode options both tools share: -q KEY, -d KEY and -s, at most one of them (Postfix's messages). */
export function tableToolMode(opts: GetoptResult): { query?: string; delkey?: string; sequence: boolean } {
  let query: string | undefined;
  let delkey: string | undefined;
  let sequence = false;
  for (const o of opts.opts) {
    if (o.opt === "d" || o.opt === "q") {
      if (sequence || query !== undefined || delkey !== undefined) throw new FatalError("specify only one of -s -q or -d");
      if (o.opt === "d") delkey = o.arg;
      else query = o.arg;
    } else if (o.opt === "s") {
      if (query !== undefined || delkey !== undefined) throw new FatalError("specify only one of -s or -q or -d");
      sequence = true;
    }
  }
  return { query, delkey, sequence };
}

/** The table options of -f, -N/-n and -r/-w (the last of each pair wins), for tables opened by either tool. */
export function tableToolMapOptions(
  opts: GetoptResult,
  utf8: boolean,
  env: Record<string, string | undefined>,
): MapOptions {
  const nulOpt = opts.opts.filter((o) => o.opt === "N" || o.opt === "n").pop()?.opt;
  const dupOpt = opts.opts.filter((o) => o.opt === "r" || o.opt === "w").pop()?.opt;
  return {
    fold: !opts.has("f"),
    utf8,
    nul: nulOpt === "N" ? "with-nul" : nulOpt === "n" ? "without-nul" : "try-both",
    duplicates: dupOpt === "r" ? "replace" : dupOpt === "w" ? "ignore" : "warn",
    env,
    checkIntervalMs: 0,
  };
}

/**
 * -d: removes `delkey` (or, for `-`, each key on standard input) from every table; the exit status, 0 when some
 * key was found in some table, else 1.
 */
export async function deleteTableKeys(
  files: readonly string[],
  delkey: string,
  defaultType: string,
  mapOpts: MapOptions,
): Promise<number> {
  const { deleteMapKeys } = await import("./build_table.ts");
  const keys = delkey === "-" ? [...stdinLines()] : [delkey];
  let found = false;
  for (const f of files) {
    const { type, name } = splitTableArg(f, defaultType);
    if (deleteMapKeys(type, name, keys, { fold: mapOpts.fold, utf8: mapOpts.utf8 }).some((x) => x)) found = true;
  }
  return found ? 0 : 1;
}

/** Lines of standard input without their newline, as they arrive. */
export function* stdinLines(): Generator<string> {
  const decoder = new TextDecoder();
  const buf = new Uint8Array(1 << 16);
  let rest = "";
  for (;;) {
    const n = readChunk(0, buf, 0, buf.length);
    if (n === 0) break;
    const lines = (rest + decoder.decode(buf.subarray(0, n), { stream: true })).split("\n");
    rest = lines.pop()!;
    yield* lines;
  }
  rest += decoder.decode();
  if (rest !== "") yield rest;
}

/** Postfix's two warnings for a table that returned an empty string. */
export function emptyValueWarnings(spec: string, key: string): void {
  msgWarn(`table ${spec}: key ${key}: empty string result is not allowed`);
  msgWarn(`table ${spec} should return NO RESULT in case of NOT FOUND`);
}

/** Rethrows a lookup failure as Postfix's fatal `table SPEC: query error: …`. */
export function queryError(spec: string, e: unknown): never {
  if (e instanceof MapError && (e.code === "retry" || e.code === "config" || e.code === "corrupt")) {
    throw new FatalError(`table ${spec}: query error: ${e.reason}`);
  }
  throw e;
}

/** t.lookup(key), with failures reported as queryError() does. */
export function lookupOrFatal(t: LookupTable, key: string): string | undefined {
  try {
    return t.lookup(key);
  } catch (e) {
    queryError(`${t.type}:${t.name}`, e);
  }
}

/** t.entries(), with Postfix's fatal texts for a table that cannot be listed. */
export function entriesOrFatal(t: LookupTable, spec: string): Iterable<[string, string]> {
  try {
    return t.entries();
  } catch (e) {
    if (e instanceof MapError && e.code === "unsupported") throw new FatalError(`table ${spec}: sequence operation is not supported`);
    if (e instanceof MapError) throw new FatalError(`table ${spec}: sequence error: ${e.reason}`);
    throw e;
  }
}
