/**
 * surrogate_table — a stand-in for a table that could not be opened (Postfix's dict_surrogate), so that a daemon
 * keeps running with reduced function instead of dying over one missing file.
 *
 * openMapOrSurrogate("hash:/etc/postfix/relocated") opens the table as openMap() does. When that fails for any
 * reason but bad `type:name` syntax, it logs the reason at once as an error (`error: open database
 * /etc/postfix/relocated.db: No such file or directory`) and returns a SurrogateTable instead. Every lookup of
 * the surrogate logs `warning: TYPE:NAME is unavailable. REASON` and throws MapError "retry" (temporary), so the
 * caller defers or answers 4XX as for any table that fails; it never says "not found".
 *
 * Contract: openMapOrSurrogate() throws only MapError "syntax" (a spec without `type:`), which is a configuration
 * error Postfix treats as fatal too.
 */
import { msgError, msgWarn } from "../log/msg.ts";
import { MapError } from "./map_error.ts";
import { openMap, splitMapSpec } from "./open_map.ts";
import type { LookupTable, MapOptions } from "./table.ts";

/** A table that fails every lookup with the reason its opening failed. */
export class SurrogateTable implements LookupTable {
  /** Asked for partial keys as well, so that no search silently skips it. */
  readonly fixed = true;
  constructor(
    readonly type: string,
    readonly name: string,
    /** Why the table could not be opened. */
    readonly reason: string,
  ) {}

  lookup(): string | undefined {
    msgWarn(`${this.type}:${this.name} is unavailable. ${this.reason}`);
    throw new MapError("retry", `${this.type}:${this.name} is unavailable. ${this.reason}`, { reason: this.reason });
  }

  entries(): Iterable<[string, string]> {
    msgWarn(`${this.type}:${this.name} is unavailable. ${this.reason}`);
    throw new MapError("retry", `${this.type}:${this.name} is unavailable. ${this.reason}`, { reason: this.reason });
  }

  changed(): boolean {
    return false;
  }

  close(): void {}
}

/** openMap(), or a SurrogateTable (after logging the error) when the table cannot be opened; see the header. */
export async function openMapOrSurrogate(spec: string, opts: MapOptions = {}): Promise<LookupTable> {
  const { type, name } = splitMapSpec(spec);
  try {
    return await openMap(spec, opts);
  } catch (e) {
    if (e instanceof MapError && e.code === "syntax" && (type === "" || name === "")) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    msgError(reason);
    return new SurrogateTable(type, name, reason);
  }
}
