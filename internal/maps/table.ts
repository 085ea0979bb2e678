/**
 * table — the interface every lookup table implements, and the options that open one.
 *
 * Contract of `LookupTable`:
 *   lookup(key)   the value (a string), undefined when the key is not in the table, or a thrown MapError (see
 *                 map_error.ts; `temporary` separates "try again later" from a configuration error). Fixed-string
 *                 tables fold the key as the table was opened to (`fold`); pattern tables never fold.
 *   entries()     every (key, value) pair, as `postmap -s` prints them; throws MapError code "unsupported" for
 *                 types that cannot list their content (regexp, pcre, cidr, static, environ, unionmap …).
 *   changed()     true when the file behind the table was replaced since it was opened (Postfix's dict_changed);
 *                 indexed tables also reopen themselves on their own when that happens.
 *   close()       releases files and memory; the table must not be used afterwards.
 *
 * `fixed` is Postfix's DICT_FLAG_FIXED: a table of exact keys. The access(5) search (access_search.ts) asks
 * pattern tables (fixed = false) only for the full lookup key, never for partial keys such as parent domains.
 */

/** What to do when a key is added a second time (postmap -r, -w). */
export type DuplicatePolicy = "warn" | "replace" | "ignore" | "fatal";

/** Trailing NUL handling of keys and values in indexed tables (postmap -N, -n). */
export type NulPolicy = "try-both" | "with-nul" | "without-nul";

/** Options for opening a table. The map library never reads main.cf: tools pass these values in. */
export interface MapOptions {
  /** Fold fixed-string keys to lower case on update and lookup (default true; postmap -f turns it off). */
  fold?: boolean;
  /** smtputf8_enable (and not -u): reject non-UTF-8 keys, fold with Unicode case folding (default false). */
  utf8?: boolean;
  /** Trailing NUL on keys and values of indexed tables (default "try-both" on lookup, none on update). */
  nul?: NulPolicy;
  /** Duplicate keys while building (default "warn": the first wins, with a warning). */
  duplicates?: DuplicatePolicy;
  /** Values are names of files whose base64-encoded contents are stored (postmap -F). */
  valuesAreFiles?: boolean;
  /** The environment an `environ:` table reads (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** How often (milliseconds) an indexed table checks whether its file was replaced; default 1000, 0 = never. */
  checkIntervalMs?: number;
}

/** An open lookup table. */
export interface LookupTable {
  /** The type, as in `type:name` ("hash", "regexp" …). */
  readonly type: string;
  /** The name after the first colon, as given. */
  readonly name: string;
  /** True for exact-key tables, false for pattern tables (regexp, pcre, cidr, fail …). */
  readonly fixed: boolean;
  /** The value for `key`, undefined when absent; throws MapError on failure. */
  lookup(key: string): string | undefined;
  /** Every entry in table order; throws MapError "unsupported" when the type cannot list. */
  entries(): Iterable<[string, string]>;
  /** True when the file behind the table was replaced since it was opened. */
  changed(): boolean;
  /** Releases the table. */
  close(): void;
}

/** `type:name` of a table, as Postfix prints it in messages. */
export function tableSpec(t: { type: string; name: string }): string {
  return `${t.type}:${t.name}`;
}
