/**
 * texthash_table — `texthash:FILE`: a postmap source file read into memory when the table is opened.
 *
 * Same source syntax and warnings as postmap (map_source.ts); duplicates are reported as
 * `FILE, line N: duplicate entry: "KEY"` and handled by the `duplicates` policy (default: the first wins).
 * Later changes to the file are not seen; changed() reports them. Errors: MapError "open"
 * (`open database FILE: No such file or directory`).
 */
import { closeSync, fstatSync, openSync, type Stats } from "node:fs";
import { LogicalLineReader } from "./logical_lines.ts";
import { parseMapSource } from "./map_source.ts";
import { MemoryTable } from "./memory_table.ts";
import { MapError, fileChangedSince } from "./map_error.ts";
import { decodeBytes } from "./indexed_table.ts";
import type { MapOptions } from "./table.ts";
import { errnoText } from "../sys/errno.ts";
import { msgWarn } from "../log/msg.ts";

/** An open texthash table. */
export class TexthashTable extends MemoryTable {
  private st: Stats;

  constructor(name: string, opts: MapOptions = {}) {
    super("texthash", name, opts);
    let fd: number;
    try {
      fd = openSync(name, "r");
    } catch (e) {
      throw new MapError("open", `open database ${name}: ${errnoText(e)}`, { cause: e });
    }
    try {
      this.st = fstatSync(fd);
      const reader = new LogicalLineReader(fd, name, msgWarn);
      const policy = opts.duplicates ?? "warn";
      parseMapSource(reader, name, { fold: opts.fold, utf8: opts.utf8, valuesAreFiles: opts.valuesAreFiles, texthash: true, warn: msgWarn }, (kb, ks, ke, vb, vs, ve, lineno) => {
        const key = decodeBytes(kb, ks, ke);
        const value = decodeBytes(vb, vs, ve);
        if (this.data.has(key)) {
          if (policy === "replace") this.data.set(key, value);
          else if (policy === "warn") msgWarn(`${name}, line ${lineno}: duplicate entry: "${key}"`);
          else if (policy === "fatal") throw new MapError("config", `${name}, line ${lineno}: duplicate entry: "${key}"`);
          return;
        }
        this.data.set(key, value);
      });
    } catch (e) {
      if (e instanceof MapError) throw e;
      throw new MapError("open", `read ${name}: ${errnoText(e)}`, { cause: e });
    } finally {
      closeSync(fd);
    }
  }

  override changed(): boolean {
    return fileChangedSince(this.name, this.st);
  }
}
