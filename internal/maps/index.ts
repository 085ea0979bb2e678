/**
 * maps — Postfix's lookup tables (`type:name`): open, look up, list, build and edit.
 *
 * Start with openMap() (open_map.ts). The pieces:
 *   table.ts          LookupTable, MapOptions          map_error.ts     MapError (code, temporary, reason)
 *   indexed_table.ts  hash btree lmdb cdb (CDB files) cdb.ts           the CDB format, reader and writer
 *   map_source.ts     postmap source format            aliases_source.ts  aliases(5) format
 *   build_table.ts    postmap/postalias builds, -i, -d access_search.ts  the access(5) search order
 *   texthash_table.ts simple_tables.ts union_table.ts regexp_table.ts pcre_table.ts cidr_table.ts: the other types
 *   surrogate_table.ts openMapOrSurrogate(): a table that cannot be opened fails its lookups instead
 * This index re-exports only the light modules; the table types themselves are loaded when first opened.
 * The library never reads main.cf: callers pass fold/utf8/duplicate/NUL choices in MapOptions.
 */
export { openMap, openMapOf, splitMapSpec, MAP_TYPES } from "./open_map.ts";
export { MapError, type MapErrorCode } from "./map_error.ts";
export { openMapOrSurrogate, SurrogateTable } from "./surrogate_table.ts";
export { tableSpec, type LookupTable, type MapOptions, type DuplicatePolicy, type NulPolicy } from "./table.ts";
export { foldKey } from "./casefold.ts";
export {
  accessLookup,
  accessSearchKeys,
  accessKindOf,
  domainKeys,
  addressKeys,
  type AccessKind,
  type AccessKey,
  type AccessResult,
  type AccessSearchOptions,
  type AccessStep,
} from "./access_search.ts";
