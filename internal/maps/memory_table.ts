/**
 * memory_table — an in-memory table of exact keys: the base of `texthash:`, `inline:` and `internal:`.
 *
 * Keys are folded on insertion and lookup unless the table was opened with `fold: false`. entries() lists the
 * entries in insertion order (Postfix lists its internal hash table in hash order, which has no meaning).
 */
import { foldKey } from "./casefold.ts";
import type { LookupTable, MapOptions } from "./table.ts";

/** A fixed-string table held in a Map. */
export class MemoryTable implements LookupTable {
  readonly fixed = true;
  readonly data = new Map<string, string>();
  private readonly fold: boolean;
  private readonly utf8: boolean;

  constructor(
    readonly type: string,
    readonly name: string,
    opts: MapOptions = {},
  ) {
    this.fold = opts.fold ?? true;
    this.utf8 = opts.utf8 ?? false;
  }

  /** The key as the table stores it. */
  storedKey(key: string): string {
    return this.fold ? foldKey(key, this.utf8) : key;
  }

  /** Stores `value` under `key` (folded), replacing an earlier value. */
  set(key: string, value: string): void {
    this.data.set(this.storedKey(key), value);
  }

  lookup(key: string): string | undefined {
    return this.data.get(this.storedKey(key));
  }

  entries(): Iterable<[string, string]> {
    return this.data.entries();
  }

  changed(): boolean {
    return false;
  }

  close(): void {
    this.data.clear();
  }
}
