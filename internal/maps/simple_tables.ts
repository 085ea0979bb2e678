/**
 * simple_tables — the table types that need no file: `static:`, `fail:`, `environ:`, `inline:` and `randmap:`.
 *
 *   static:VALUE, static:{ VALUE WITH SPACES }   every key has VALUE. Not listable.
 *   fail:NAME        every lookup fails with a temporary error ("Application error"); for tests of error paths.
 *   environ:NAME     the key is an environment variable name (folded like any fixed-string key); NAME is ignored
 *                    but required. Not listable.
 *   inline:{k1=v1, { k2 = v with spaces }}   a small table in the name; pairs separated by comma or white space;
 *                    a later pair replaces an earlier one. Listable.
 *   randmap:{v1, v2, {v with spaces}}        a random element for every key. Not listable.
 *
 * Syntax errors throw MapError "syntax" with Postfix's text (`bad syntax: "inline:{}"; need
 * "inline:{name=value...}"`). Postfix: src/util/dict_static.c, dict_fail.c, dict_env.c, dict_inline.c,
 * dict_random.c.
 */
import { MapError, sequenceNotSupported } from "./map_error.ts";
import { MemoryTable } from "./memory_table.ts";
import { balancedLength, extractBraced, splitNameValue, splitOutsideBraces } from "./brace_syntax.ts";
import { isValidUtf8 } from "./casefold.ts";
import { valueFilesToBase64 } from "./map_source.ts";
import type { LookupTable, MapOptions } from "./table.ts";


abstract class PatternLike implements LookupTable {
  abstract readonly type: string;
  abstract readonly name: string;
  readonly fixed: boolean = false;
  abstract lookup(key: string): string | undefined;
  entries(): Iterable<[string, string]> {
    sequenceNotSupported(this.type, this.name);
  }
  changed(): boolean {
    return false;
  }
  close(): void {}
}

/** `static:VALUE`. */
export class StaticTable extends PatternLike {
  readonly type = "static";
  override readonly fixed = true;
  readonly value: string;
  constructor(
    readonly name: string,
    opts: MapOptions = {},
  ) {
    super();
    let value = name;
    if (name.startsWith("{")) {
      const r = extractBraced(name);
      if (r.error) throw new MapError("syntax", `bad static:name syntax: ${r.error}`);
      value = r.text;
    }
    if (opts.valuesAreFiles) {
      const f = valueFilesToBase64(value);
      if ("error" in f) throw new MapError("open", f.error);
      value = f.value;
    }
    this.value = value;
  }
  lookup(): string {
    return this.value;
  }
}

/** `fail:NAME`. */
export class FailTable extends PatternLike {
  readonly type = "fail";
  constructor(readonly name: string) {
    super();
  }
  lookup(): string | undefined {
    throw new MapError("retry", `table fail:${this.name}: lookup failed`, { reason: "Application error" });
  }
  override entries(): Iterable<[string, string]> {
    throw new MapError("retry", `table fail:${this.name}: sequence failed`, { reason: "Application error" });
  }
}

/** `environ:NAME`. */
export class EnvironTable extends PatternLike {
  readonly type = "environ";
  override readonly fixed = true;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly fold: boolean;
  constructor(
    readonly name: string,
    opts: MapOptions = {},
  ) {
    super();
    this.env = opts.env ?? process.env;
    this.fold = opts.fold ?? true;
  }
  lookup(key: string): string | undefined {
    const k = this.fold ? key.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : key;
    return Object.hasOwn(this.env, k) ? this.env[k] : undefined;
  }
}

/** `randmap:{v1, v2, …}`. */
export class RandmapTable extends PatternLike {
  readonly type = "randmap";
  readonly values: string[];
  constructor(readonly name: string) {
    super();
    const len = balancedLength(name);
    const inner = len === 0 || len !== name.length ? "" : name.slice(1, len - 1);
    const values: string[] = [];
    for (const tok of splitOutsideBraces(inner)) {
      if (tok.startsWith("{")) {
        const r = extractBraced(tok);
        if (r.error) throw new MapError("syntax", `bad syntax: "randmap:${name}"; ${r.error}`);
        values.push(r.text);
      } else values.push(tok);
    }
    if (values.length === 0) throw new MapError("syntax", `bad syntax: "randmap:${name}"; need "randmap:{value...}"`);
    this.values = values;
  }
  lookup(): string {
    return this.values[Math.floor(Math.random() * this.values.length)]!;
  }
}

/** `inline:{name=value, …}`. */
export function openInlineTable(name: string, opts: MapOptions = {}): MemoryTable {
  const need = `need "inline:{name=${opts.valuesAreFiles ? "filename" : "value"}...}"`;
  if (opts.utf8 && !isValidUtf8(new TextEncoder().encode(name))) {
    throw new MapError("syntax", `bad UTF-8 syntax: "inline:${name}"; need "inline:{name=value...}"`);
  }
  const len = balancedLength(name);
  if (len === 0 || len !== name.length || len === 2) {
    throw new MapError("syntax", `bad syntax: "inline:${name}"; need "inline:{name=value...}"`);
  }
  const table = new MemoryTable("inline", name, opts);
  let count = 0;
  for (let tok of splitOutsideBraces(name.slice(1, len - 1))) {
    if (tok.startsWith("{")) {
      const r = extractBraced(tok);
      if (r.error) throw new MapError("syntax", `${r.error}: "inline:${name}"; ${need}`);
      tok = r.text;
    }
    const nv = splitNameValue(tok);
    if ("error" in nv) throw new MapError("syntax", `${nv.error}: "inline:${name}"; ${need}`);
    let value = nv.value;
    if (opts.valuesAreFiles) {
      const f = valueFilesToBase64(value);
      if ("error" in f) throw new MapError("syntax", `${f.error}: "inline:${name}"; ${need}`);
      value = f.value;
    }
    table.set(nv.key, value);
    count++;
  }
  if (count === 0) throw new MapError("syntax", `empty table: "inline:${name}"; ${need}`);
  return table;
}
