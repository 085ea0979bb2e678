/**
 * mailAddrFind() and mapsFind(): the keys Postfix's mail_addr_find() asks, in its order (full address, without
 * the extension, the local part for local domains only, @domain), external form before internal form, partial
 * keys never asked of pattern tables; and maps_find()'s warnings for a failed lookup and an empty value.
 */
import { test, expect, beforeAll, afterAll, beforeEach } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { openMap, MapError, type LookupTable } from "../maps/index.ts";
import { mailAddrFind, mapsFind, type MailAddrFindOptions } from "./mail_addr_find.ts";

let dir: string;
let logLines: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mail-addr-find-"));
  setMsgStderr(false);
  setMsgSink({ write: (level, text) => logLines.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
});
afterAll(() => {
  setMsgSink(undefined);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  logLines = [];
});

/** Wraps a table and records every key it is asked. */
function recording(t: LookupTable, asked: string[]): LookupTable {
  return {
    type: t.type, name: t.name, fixed: t.fixed,
    lookup: (key) => {
      asked.push(key);
      return t.lookup(key);
    },
    entries: () => t.entries(), changed: () => false, close: () => t.close(),
  };
}

const opts = (over: Partial<MailAddrFindOptions> = {}): MailAddrFindOptions => ({
  recipientDelimiter: "+",
  myorigin: "origin.example",
  isLocalDomain: (d) => d.toLowerCase() === "local.example",
  ...over,
});

test("mailAddrFind() asks user+ext@domain, user@domain, user+ext, user, @domain, in that order, for a local domain", async () => {
  const asked: string[] = [];
  const t = recording(await openMap("inline:{other=x}"), asked);
  expect(mailAddrFind({ title: "relocated_maps", tables: [t] }, "joe+list@local.example", opts())).toBeUndefined();
  expect(asked).toEqual(["joe+list@local.example", "joe@local.example", "joe+list", "joe", "@local.example"]);
});

test("mailAddrFind() skips the local part for a remote domain, but not for $myorigin", async () => {
  const asked: string[] = [];
  const t = recording(await openMap("inline:{other=x}"), asked);
  const maps = { title: "relocated_maps", tables: [t] };
  mailAddrFind(maps, "joe@remote.example", opts());
  expect(asked).toEqual(["joe@remote.example", "@remote.example"]);
  asked.length = 0;
  mailAddrFind(maps, "joe@Origin.Example", opts());
  expect(asked).toEqual(["joe@Origin.Example", "joe", "@Origin.Example"]);
});

test("mailAddrFind(): no extension search without recipient_delimiter, nor for owner- and postmaster addresses", async () => {
  const asked: string[] = [];
  const maps = { title: "relocated_maps", tables: [recording(await openMap("inline:{other=x}"), asked)] };
  mailAddrFind(maps, "joe+list@remote.example", opts({ recipientDelimiter: "" }));
  expect(asked).toEqual(["joe+list@remote.example", "@remote.example"]);
  asked.length = 0;
  mailAddrFind(maps, "owner-list@remote.example", opts({ recipientDelimiter: "-" }));
  expect(asked).toEqual(["owner-list@remote.example", "@remote.example"]);
});

test("mailAddrFind() finds the first key present, and the value is returned as it is", async () => {
  const t = await openMap("inline:{ joe=joe@new.example, @old.example=contact@new.example, { bob@local.example = Bob <bob@new.example> } }");
  const maps = { title: "relocated_maps", tables: [t] };
  const cases: [string, string | undefined][] = [
    ["joe@local.example", "joe@new.example"],
    ["JOE+x@Local.Example", "joe@new.example"], // the table folds case; the extension goes
    ["joe@remote.example", undefined], // a local part alone matches local domains only
    ["bob+y@local.example", "Bob <bob@new.example>"],
    ["anyone@old.example", "contact@new.example"],
  ];
  for (const [addr, want] of cases) expect([addr, mailAddrFind(maps, addr, opts())]).toEqual([addr, want]);
});

test("mailAddrFind() asks the quoted (external) form first, then the internal form", async () => {
  const asked: string[] = [];
  const maps = { title: "relocated_maps", tables: [recording(await openMap("inline:{other=x}"), asked)] };
  mailAddrFind(maps, "john smith@local.example", opts());
  expect(asked).toEqual(['"john smith"@local.example', "john smith@local.example", '"john smith"', "john smith", "@local.example"]);
});

test("mailAddrFind(): pattern tables see the full address only", async () => {
  writeFileSync(join(dir, "re"), "/^joe@/ regexp-hit\n/^@/ never\n");
  const asked: string[] = [];
  const maps = { title: "relocated_maps", tables: [recording(await openMap(`regexp:${join(dir, "re")}`), asked)] };
  expect(mailAddrFind(maps, "joe@local.example", opts())).toBe("regexp-hit");
  expect(mailAddrFind(maps, "ann+x@local.example", opts())).toBeUndefined();
  expect(asked).toEqual(["joe@local.example", "ann+x@local.example"]);
});

test("mapsFind() logs a failed lookup and stops; an empty value is a configuration error", async () => {
  const fail = await openMap("fail:reloc");
  const later: string[] = [];
  const maps = { title: "relocated_maps", tables: [fail, recording(await openMap("inline:{a=b}"), later)] };
  expect(() => mailAddrFind(maps, "a@local.example", opts())).toThrow(MapError);
  expect(later).toEqual([]);
  expect(logLines).toEqual(['warning: fail:reloc lookup error for "a@local.example"']);
  logLines = [];
  const empty = { title: "relocated_maps", tables: [await openMap("inline:{a=}")] };
  expect(() => mapsFind(empty, "a", false)).toThrow("relocated_maps lookup of a returns an empty string result");
  expect(logLines).toEqual([
    "warning: relocated_maps lookup of a returns an empty string result",
    "warning: relocated_maps should return NO RESULT in case of NOT FOUND",
  ]);
  expect(mapsFind(empty, "", false)).toBeUndefined();
});

test("mailAddrFind(): a local-domain check that fails fails the search", async () => {
  const maps = { title: "relocated_maps", tables: [await openMap("inline:{x=y}")] };
  const failing = opts({
    isLocalDomain: () => {
      throw new MapError("retry", "mydestination lookup failed");
    },
  });
  expect(() => mailAddrFind(maps, "a@somewhere.example", failing)).toThrow("mydestination lookup failed");
});
