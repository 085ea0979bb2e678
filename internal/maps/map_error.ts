/**
 * map_error — the one error type of the lookup-table library.
 *
 * A lookup has three outcomes: a value, "not found" (undefined), or a thrown `MapError`. `temporary` tells a
 * caller that a retry may succeed (Postfix's DICT_ERR_RETRY: an unavailable table, the `fail:` type, a table that
 * is being replaced), so a delivery agent defers instead of bouncing; a permanent error is a configuration problem
 * (DICT_ERR_CONFIG: a malformed `-F` value, a table type that cannot do the operation).
 *
 * `code` names the failure for programs; `message` is Postfix's text, ready for `prog: fatal: …`. A failed lookup
 * also carries `reason`, the text Postfix prints after `table TYPE:NAME: query error: ` (e.g. "Application
 * error" for `fail:`), because a tool names the outermost table (unionmap:{…}), not the member that failed.
 *
 * Codes: "open" (cannot open or read a table), "syntax" (bad `type:name`), "unsupported" (unknown type, or an
 * operation the type cannot do), "corrupt" (a truncated or foreign indexed file), "retry" (a lookup failed and may
 * work later), "config" (a lookup failed because of the table's content), "write" (a table could not be built),
 * "lock" (another process holds the table's lock).
 */
import type { Stats } from "node:fs";
import { nodeFs } from "../sys/node_fs.ts";
import { PostkitError } from "../sys/errors.ts";

/** Why a table operation failed. */
export type MapErrorCode = "open" | "syntax" | "unsupported" | "corrupt" | "retry" | "config" | "write" | "lock";

/** A failed table open, lookup, sequence or update. */
export class MapError extends PostkitError {
  constructor(
    readonly code: MapErrorCode,
    message: string,
    opts: { temporary?: boolean; cause?: unknown; reason?: string } = {},
  ) {
    super(message, { temporary: opts.temporary ?? (code === "open" || code === "retry" || code === "lock"), cause: opts.cause });
    this.reason = opts.reason ?? message;
  }
  /** The cause of a failed lookup, without the table name. */
  readonly reason: string;
}

/** Throws what listing a table that cannot be listed gives (postmap -s, postalias -s), in Postfix's words. */
export function sequenceNotSupported(type: string, name: string): never {
  throw new MapError("unsupported", `table ${type}:${name}: sequence operation is not supported`, {
    reason: "sequence operation is not supported",
  });
}

/**
 * changed() of a table read from one file: true when `path` now names another file, or one modified since `st`
 * was taken (or is gone).
 */
export function fileChangedSince(path: string, st: Stats): boolean {
  try {
    const now = nodeFs().statSync(path);
    return now.ino !== st.ino || now.mtimeMs !== st.mtimeMs || now.size !== st.size;
  } catch {
    return true;
  }
}
