/**
 * open_map — `openMap("type:name", options)`: the one way to open a lookup table.
 *
 * Types (Postfix's meaning, see `man 5 postconf`, DATABASE_README):
 *   hash btree lmdb cdb   indexed files built by postmap/postalias (indexed_table.ts; all stored as CDB)
 *   texthash              a postmap source file read at open time
 *   inline static fail environ randmap   tables that need no file (simple_tables.ts)
 *   regexp pcre cidr      pattern files (regexp_table.ts, pcre_table.ts, cidr_table.ts)
 *   unionmap pipemap      tables of tables (union_table.ts)
 *   internal              an empty in-memory table
 *   proxy:TYPE:NAME       postkit has no proxymap(8) daemon; the inner table is opened directly, which gives the
 *                         same answers
 * Each type's code is imported when a table of that type is first opened, so a tool that only reads `hash:`
 * tables does not load the regular-expression code.
 *
 * Errors: MapError "syntax" for a spec without `type:` or with an empty name (`open dictionary: expecting
 * "type:name" form instead of "environ:"`), "unsupported" for an unknown type (`unsupported dictionary type:
 * foo`), and whatever the type's opener throws ("open", "corrupt", "syntax").
 */
import { MapError } from "./map_error.ts";
import type { LookupTable, MapOptions } from "./table.ts";

/** The table types openMap() knows, in `postconf -m` order. */
export const MAP_TYPES: readonly string[] = [
  "btree", "cdb", "cidr", "environ", "fail", "hash", "inline", "internal", "lmdb", "pcre", "pipemap", "proxy",
  "randmap", "regexp", "static", "texthash", "unionmap",
];

/** Splits `type:name` at the first colon; throws MapError "syntax" when there is no colon. */
export function splitMapSpec(spec: string): { type: string; name: string } {
  const colon = spec.indexOf(":");
  if (colon < 0) throw new MapError("syntax", `open dictionary: expecting "type:name" form instead of "${spec}"`);
  return { type: spec.slice(0, colon), name: spec.slice(colon + 1) };
}

/** Opens `type:name`. */
export async function openMap(spec: string, opts: MapOptions = {}): Promise<LookupTable> {
  const { type, name } = splitMapSpec(spec);
  return openMapOf(type, name, opts);
}

/** Opens a table given its type and name separately (postmap's `var_db_type` for names without a type). */
export async function openMapOf(type: string, name: string, opts: MapOptions = {}): Promise<LookupTable> {
  if (type === "" || name === "") {
    throw new MapError("syntax", `open dictionary: expecting "type:name" form instead of "${type}:${name}"`);
  }
  switch (type) {
    case "hash":
    case "btree":
    case "lmdb":
    case "cdb": {
      const { IndexedTable } = await import("./indexed_table.ts");
      return new IndexedTable(type, name, opts);
    }
    case "texthash": {
      const { TexthashTable } = await import("./texthash_table.ts");
      return new TexthashTable(name, opts);
    }
    case "inline": {
      const { openInlineTable } = await import("./simple_tables.ts");
      return openInlineTable(name, opts);
    }
    case "static": {
      const { StaticTable } = await import("./simple_tables.ts");
      return new StaticTable(name, opts);
    }
    case "fail": {
      const { FailTable } = await import("./simple_tables.ts");
      return new FailTable(name);
    }
    case "environ": {
      const { EnvironTable } = await import("./simple_tables.ts");
      return new EnvironTable(name, opts);
    }
    case "randmap": {
      const { RandmapTable } = await import("./simple_tables.ts");
      return new RandmapTable(name);
    }
    case "internal": {
      const { MemoryTable } = await import("./memory_table.ts");
      return new MemoryTable("internal", name, opts);
    }
    case "regexp": {
      const { openRegexpTable } = await import("./regexp_table.ts");
      return openRegexpTable(name);
    }
    case "pcre": {
      const { openPcreTable } = await import("./pcre_table.ts");
      return openPcreTable(name);
    }
    case "cidr": {
      const { CidrTable } = await import("./cidr_table.ts");
      return new CidrTable(name);
    }
    case "unionmap":
    case "pipemap": {
      const { CompositeTable, compositeMembers } = await import("./union_table.ts");
      const members: LookupTable[] = [];
      try {
        for (const m of compositeMembers(type, name)) members.push(await openMap(m, opts));
      } catch (e) {
        for (const t of members) t.close();
        throw e;
      }
      return new CompositeTable(type, name, members);
    }
    case "proxy":
      return openMap(name, opts);
    default:
      throw new MapError("unsupported", `unsupported dictionary type: ${type}`);
  }
}
