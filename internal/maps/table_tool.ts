/**
 * table_tool — what postmap and postalias share when they read standard input and query or list tables:
 * `[type:]name` arguments, stdin lines, Postfix's wording for empty results, query errors and tables that
 * cannot be listed.
 *
 * Contract: the *OrFatal helpers throw FatalError with Postfix's text (`table TYPE:NAME: query error: …`,
 * `… sequence operation is not supported`); other errors pass through.
 */
import { FatalError } from "../sys/errors.ts";
import { msgWarn } from "../log/msg.ts";
import { readChunk } from "./logical_lines.ts";
import { MapError } from "./map_error.ts";
import type { LookupTable } from "./table.ts";

/** `[type:]name` with Postfix's split at the first colon. */
export function splitTableArg(arg: string, defaultType: string): { type: string; name: string } {
  const colon = arg.indexOf(":");
  return colon < 0 ? { type: defaultType, name: arg } : { type: arg.slice(0, colon), name: arg.slice(colon + 1) };
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
