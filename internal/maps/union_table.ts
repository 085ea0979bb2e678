/**
 * union_table — `unionmap:{t1, t2, …}` and `pipemap:{t1, t2, …}`: tables made of other tables.
 *
 *   unionmap   asks every member and joins the values found with commas (no value anywhere: not found).
 *   pipemap    asks the first member with the key, the second with that value, and so on; the last value is
 *              the result, a miss anywhere is a miss.
 * A member's error (MapError) ends the lookup with that error. The first member decides whether the whole is a
 * fixed-string or a pattern table (Postfix copies its DICT_FLAG_FIXED/PATTERN). Not listable.
 *
 * Syntax errors: `bad syntax: "unionmap:{x}"; need "unionmap:{type:name...}"`. Postfix: src/util/dict_union.c,
 * dict_pipe.c.
 */
import { MapError, sequenceNotSupported } from "./map_error.ts";
import { balancedLength, splitOutsideBraces } from "./brace_syntax.ts";
import type { LookupTable } from "./table.ts";

/** A unionmap or pipemap over already opened members. */
export class CompositeTable implements LookupTable {
  readonly fixed: boolean;

  constructor(
    readonly type: "unionmap" | "pipemap",
    readonly name: string,
    readonly members: LookupTable[],
  ) {
    this.fixed = members[0]?.fixed ?? true;
  }

  lookup(key: string): string | undefined {
    if (this.type === "pipemap") {
      let q = key;
      for (const m of this.members) {
        const v = m.lookup(q);
        if (v === undefined) return undefined;
        q = v;
      }
      return q;
    }
    let out: string | undefined;
    for (const m of this.members) {
      const v = m.lookup(key);
      if (v !== undefined) out = out === undefined || out === "" ? v : `${out},${v}`;
    }
    return out === "" ? undefined : out;
  }

  entries(): Iterable<[string, string]> {
    sequenceNotSupported(this.type, this.name);
  }

  changed(): boolean {
    return this.members.some((m) => m.changed());
  }

  close(): void {
    for (const m of this.members) m.close();
  }
}

/** The member specs of `unionmap:{…}` or `pipemap:{…}`, or MapError "syntax". */
export function compositeMembers(type: string, name: string): string[] {
  const bad = () => new MapError("syntax", `bad syntax: "${type}:${name}"; need "${type}:{type:name...}"`);
  const len = balancedLength(name);
  if (len === 0 || len !== name.length || len === 2) throw bad();
  const members = splitOutsideBraces(name.slice(1, len - 1));
  if (members.length === 0 || members.some((m) => !m.includes(":"))) throw bad();
  return members;
}
