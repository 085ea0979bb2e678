import { describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openMap } from "./open_map.ts";
import { MapError } from "./map_error.ts";
import { IndexedTable, IndexedTableWriter } from "./indexed_table.ts";
import { buildAliasTable, buildMapTable, deleteMapKeys } from "./build_table.ts";
import { captureWarnings, withTempDir } from "./_test_util.ts";

const SOURCE = "Key1 value one\nkey2 value\n  continued\nkey1 dup\nB b\nA a\n";

describe("indexed tables (hash, btree, lmdb, cdb)", () => {
  test.each(["hash", "btree", "lmdb", "cdb"])("%s: build, look up, list", async (type) => {
    await withTempDir(async (dir) => {
      const src = join(dir, "map");
      writeFileSync(src, SOURCE);
      const warnings = await captureWarnings(() => buildMapTable(type, src));
      const who = { hash: `${src}.db`, btree: `${src}.db`, lmdb: `lmdb:${src}`, cdb: src }[type];
      expect(warnings).toEqual([`${who}: duplicate entry: "key1"`]);
      const t = await openMap(`${type}:${src}`);
      expect(t.fixed).toBe(true);
      expect(t.lookup("KEY1")).toBe("value one");
      expect(t.lookup("key2")).toBe("value  continued");
      expect(t.lookup("nokey")).toBeUndefined();
      const keys = [...t.entries()].map(([k]) => k);
      expect(keys).toEqual(type === "btree" || type === "lmdb" ? ["a", "b", "key1", "key2"] : ["key1", "key2", "b", "a"]);
      t.close();
    });
  });

  test("-r keeps the last duplicate, -w the first without a warning", async () => {
    await withTempDir(async (dir) => {
      const src = join(dir, "map");
      writeFileSync(src, SOURCE);
      expect(await captureWarnings(() => buildMapTable("hash", src, { duplicates: "replace" }))).toEqual([]);
      expect((await openMap(`hash:${src}`)).lookup("key1")).toBe("dup");
      expect(await captureWarnings(() => buildMapTable("hash", src, { duplicates: "ignore" }))).toEqual([]);
      expect((await openMap(`hash:${src}`)).lookup("key1")).toBe("value one");
    });
  });

  test("-N stores a trailing NUL; lookups find both forms", async () => {
    await withTempDir(async (dir) => {
      const src = join(dir, "map");
      writeFileSync(src, "k v\n");
      buildMapTable("hash", src, { nul: "with-nul" });
      expect(readFileSync(`${src}.db`).includes(Buffer.from("k\0v\0"))).toBe(true);
      expect((await openMap(`hash:${src}`)).lookup("k")).toBe("v");
      expect((await openMap(`hash:${src}`, { nul: "without-nul" })).lookup("k")).toBeUndefined();
      expect([...(await openMap(`hash:${src}`)).entries()]).toEqual([["k", "v"]]);
    });
  });

  test("a table copies the source's read permissions", async () => {
    await withTempDir(async (dir) => {
      const src = join(dir, "map");
      writeFileSync(src, "k v\n");
      chmodSync(src, 0o640);
      buildMapTable("hash", src);
      expect(statSync(`${src}.db`).mode & 0o777).toBe(0o640);
      buildMapTable("hash", src, { plainMode: true });
      expect(statSync(`${src}.db`).mode & 0o777).toBe(0o644);
    });
  });

  test("update (-i) adds to the table, delete (-d) removes; cdb refuses both", async () => {
    await withTempDir(async (dir) => {
      const src = join(dir, "map");
      const more = join(dir, "more");
      writeFileSync(src, "k1 v1\nk2 v2\n");
      writeFileSync(more, "k3 v3\nK1 other\n");
      buildMapTable("hash", src);
      const { openSync, closeSync } = await import("node:fs");
      const fd = openSync(more, "r");
      const warnings = await captureWarnings(() => buildMapTable("hash", src, { update: true, stdinFd: fd }));
      closeSync(fd);
      expect(warnings).toEqual([`${src}.db: duplicate entry: "k1"`]);
      const t = await openMap(`hash:${src}`);
      expect([...t.entries()]).toEqual([
        ["k1", "v1"],
        ["k2", "v2"],
        ["k3", "v3"],
      ]);
      expect(deleteMapKeys("hash", src, ["K2", "nokey"])).toEqual([true, false]);
      expect((await openMap(`hash:${src}`)).lookup("k2")).toBeUndefined();
      buildMapTable("cdb", src);
      expect(() => deleteMapKeys("cdb", src, ["k1"])).toThrow(
        "dict_cdb_open: inappropriate open flags for cdb database - specify O_RDONLY or O_WRONLY|O_CREAT|O_TRUNC",
      );
      expect(() => deleteMapKeys("regexp", src, ["k1"])).toThrow(`regexp:${src} map requires O_RDONLY access mode`);
    });
  });

  test("an open table notices that its file was replaced and reopens it", async () => {
    await withTempDir(async (dir) => {
      const src = join(dir, "map");
      writeFileSync(src, "k old\n");
      buildMapTable("hash", src);
      const t = new IndexedTable("hash", src, { checkIntervalMs: 1 });
      expect(t.lookup("k")).toBe("old");
      const w = IndexedTableWriter.create("hash", src);
      w.add("k", "new");
      w.commit();
      expect(t.changed()).toBe(true);
      await Bun.sleep(5);
      expect(t.lookup("k")).toBe("new");
      expect(t.changed()).toBe(false);
    });
  });

  test("a reader never sees a half-written table: the old file stays until the rename", async () => {
    await withTempDir(async (dir) => {
      const src = join(dir, "map");
      writeFileSync(src, "k old\n");
      buildMapTable("hash", src);
      const w = IndexedTableWriter.create("hash", src);
      for (let i = 0; i < 50_000; i++) w.add(`key${i}`, `v${i}`);
      expect((await openMap(`hash:${src}`)).lookup("k")).toBe("old");
      w.abort();
      expect((await openMap(`hash:${src}`)).lookup("k")).toBe("old");
    });
  });

  test.each([
    ["missing", (_p: string) => {}, "open", "open database DIR/none.db: No such file or directory"],
    ["truncated", (p: string) => truncateSync(p, 2100), "corrupt", "open database DIR/map.db: hash table points past the end of the file (truncated?)"],
    ["empty", (p: string) => writeFileSync(p, ""), "corrupt", "open database DIR/map.db: file is too short (0 bytes) to be a cdb file"],
    [
      "Berkeley DB",
      (p: string) => {
        const b = Buffer.alloc(4096);
        b.writeUInt32LE(0x061561, 12);
        writeFileSync(p, b);
      },
      "corrupt",
      "open database DIR/map.db: a Berkeley DB hash file, not a postkit table; rebuild it with postmap or postalias",
    ],
  ])("a %s table file is a clear error", async (label, damage, code, message) => {
    await withTempDir(async (dir) => {
      const src = join(dir, "map");
      writeFileSync(src, "k v\nk2 v2\n");
      buildMapTable("hash", src);
      damage(`${src}.db`);
      const name = label === "missing" ? join(dir, "none") : src;
      const e = await openMap(`hash:${name}`).catch((x) => x);
      expect(e).toBeInstanceOf(MapError);
      expect(e.code).toBe(code);
      expect(e.message.replace(dir, "DIR")).toBe(message);
    });
  });
});

describe("alias tables", () => {
  test("postalias adds @ and the NIS entries, unfolded and without NUL", async () => {
    await withTempDir(async (dir) => {
      const src = join(dir, "aliases");
      writeFileSync(src, "Root: alice,bob\n  ,carol\nuser@x: y\n");
      const warnings = await captureWarnings(() => buildAliasTable("hash", src, { myhostname: "mx.example", now: 1234567890 }, { nul: "with-nul" }));
      expect(warnings).toEqual([`${src}, line 3: name must be local`]);
      const t = await openMap(`hash:${src}`);
      expect([...t.entries()]).toEqual([
        ["root", "alice, bob, carol"],
        ["@", "@"],
        ["YP_LAST_MODIFIED", "1234567890"],
        ["YP_MASTER_NAME", "mx.example"],
      ]);
      expect(readFileSync(`${src}.db`).includes(Buffer.from("YP_MASTER_NAMEmx.example"))).toBe(true);
    });
  });

  test("renaming a table into place keeps the old one readable for an open reader", async () => {
    await withTempDir(async (dir) => {
      const src = join(dir, "aliases");
      writeFileSync(src, "a: b\n");
      buildAliasTable("cdb", src, { myhostname: "h" });
      const t = await openMap(`cdb:${src}`);
      renameSync(`${src}.cdb`, `${src}.old`);
      expect(t.lookup("a")).toBe("b");
    });
  });
});
