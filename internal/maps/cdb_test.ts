import { describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { ADDED, CdbCorrupt, CdbReader, CdbWriter, DUPLICATE_KEPT, DUPLICATE_REPLACED, cdbHash } from "./cdb.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "cdb-test-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function write(path: string, pairs: [string, string][], replace = false): number[] {
  const fd = openSync(path, "w+");
  const w = new CdbWriter(fd);
  const results = pairs.map(([k, v]) => {
    const kb = enc.encode(k);
    const vb = enc.encode(v);
    return w.add(kb, 0, kb.length, vb, 0, vb.length, replace);
  });
  w.finish();
  closeSync(fd);
  return results;
}

function get(r: CdbReader, key: string): string | undefined {
  const kb = enc.encode(key);
  return r.find(kb, 0, kb.length) ? dec.decode(r.bytes.subarray(r.vpos, r.vpos + r.vlen)) : undefined;
}

describe("cdb", () => {
  test("cdbHash() is djb's hash", () => {
    expect(cdbHash(new Uint8Array(0), 0, 0)).toBe(5381);
    expect(cdbHash(enc.encode("a"), 0, 1)).toBe(((5381 * 33) ^ 97) >>> 0);
  });

  test("a written table answers every key, misses others, and lists records in order", () => {
    withDir((dir) => {
      const pairs: [string, string][] = Array.from({ length: 2000 }, (_, i) => [`key${i}@example.test`, `value ${i}`]);
      pairs.push(["", "empty key"], ["binary\u00ff", "ünïcode"]);
      write(join(dir, "t.cdb"), pairs);
      const r = CdbReader.open(join(dir, "t.cdb"));
      for (const [k, v] of pairs) expect(get(r, k)).toBe(v);
      expect(get(r, "key2000@example.test")).toBeUndefined();
      expect(r.findAscii("key7@example.test", false)).toBe(true);
      expect(r.findAscii("nokey", false)).toBe(false);
      expect([...r.records()].length).toBe(pairs.length);
      r.close();
    });
  });

  test.each([
    ["keep", false, [ADDED, DUPLICATE_KEPT], "first"],
    ["replace", true, [ADDED, DUPLICATE_REPLACED], "second"],
  ] as const)("a duplicate key with policy %s", (_label, replace, results, value) => {
    withDir((dir) => {
      expect(write(join(dir, "d.cdb"), [["k", "first"], ["k", "second"]], replace)).toEqual([...results]);
      const r = CdbReader.open(join(dir, "d.cdb"));
      expect(get(r, "k")).toBe(value);
      const live = [...r.records()].filter(([rec]) => r.reachable(rec));
      expect(live.length).toBe(1);
      r.close();
    });
  });

  test.each([
    ["empty file", (p: string) => writeFileSync(p, "")],
    ["short file", (p: string) => writeFileSync(p, "x".repeat(100))],
    ["truncated tables", (p: string) => truncateSync(p, readFileSync(p).length - 20)],
  ])("a corrupt table is an error, never a crash: %s", (_label, damage) => {
    withDir((dir) => {
      const p = join(dir, "c.cdb");
      write(p, [["a", "1"], ["b", "2"]]);
      damage(p);
      expect(() => CdbReader.open(p)).toThrow(CdbCorrupt);
    });
  });

  test("a record pointing past the end is reported as corrupt", () => {
    const bytes = new Uint8Array(2048 + 16);
    const v = new DataView(bytes.buffer);
    const h = cdbHash(enc.encode("a"), 0, 1);
    // table for hash h: one slot at 2048, record at 2056 claiming a huge value
    v.setUint32((h & 255) * 8, 2048, true);
    v.setUint32((h & 255) * 8 + 4, 1, true);
    v.setUint32(2048, h, true);
    v.setUint32(2052, 2056, true);
    v.setUint32(2056, 1, true);
    v.setUint32(2060, 1_000_000, true);
    const r = CdbReader.fromBytes(bytes);
    expect(() => r.find(enc.encode("a"), 0, 1)).toThrow(CdbCorrupt);
  });
});

const tinycdb = Bun.which("cdb");
describe("tinycdb interoperability", () => {
  if (!tinycdb) console.log("cdb_test: tinycdb's cdb is not installed (apt-get install tinycdb); skipping the interoperability tests");

  test.skipIf(!tinycdb)("`cdb -q` and `cdb -d` read a table we wrote", () => {
    withDir((dir) => {
      const p = join(dir, "ours.cdb");
      write(p, [["alpha", "one"], ["beta", "two words"], ["gamma", "ünï"]]);
      const q = Bun.spawnSync([tinycdb!, "-q", p, "beta"]);
      expect(q.exitCode).toBe(0);
      expect(q.stdout.toString()).toBe("two words");
      expect(Bun.spawnSync([tinycdb!, "-q", p, "nokey"]).exitCode).toBe(100);
      const d = Bun.spawnSync([tinycdb!, "-d", p]).stdout.toString();
      expect(d).toBe("+5,3:alpha->one\n+4,9:beta->two words\n+5,5:gamma->ünï\n\n");
    });
  });

  test.skipIf(!tinycdb)("we read a table that `cdb -c` wrote", () => {
    withDir((dir) => {
      const p = join(dir, "theirs.cdb");
      const input = "+3,5:one->first\n+3,6:two->second\n+0,5:->empty\n\n";
      const c = Bun.spawnSync([tinycdb!, "-c", p], { stdin: Buffer.from(input) });
      expect(c.exitCode).toBe(0);
      const r = CdbReader.open(p);
      expect(get(r, "one")).toBe("first");
      expect(get(r, "two")).toBe("second");
      expect(get(r, "")).toBe("empty");
      expect(get(r, "three")).toBeUndefined();
      expect([...r.records()].length).toBe(3);
      r.close();
    });
  });
});
