/**
 * openMapOrSurrogate(): a table that opens is returned as it is; one that cannot be opened is logged once as an
 * error and replaced by a surrogate whose every lookup warns and fails temporarily; bad `type:name` syntax still
 * throws.
 */
import { test, expect, beforeAll, afterAll } from "bun:test";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { MapError } from "./map_error.ts";
import { openMapOrSurrogate, SurrogateTable } from "./surrogate_table.ts";

let logLines: string[] = [];

beforeAll(() => {
  setMsgStderr(false);
  setMsgSink({ write: (level, text) => logLines.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
});
afterAll(() => setMsgSink(undefined));

test("openMapOrSurrogate() opens a table that exists", async () => {
  const t = await openMapOrSurrogate("inline:{a=b}");
  expect(t).not.toBeInstanceOf(SurrogateTable);
  expect(t.lookup("a")).toBe("b");
});

test("openMapOrSurrogate(): a missing file gives a surrogate that fails each lookup (temporary)", async () => {
  logLines = [];
  const t = await openMapOrSurrogate("hash:/nonexistent/relocated");
  expect(t).toBeInstanceOf(SurrogateTable);
  expect(logLines).toEqual(["error: open database /nonexistent/relocated.db: No such file or directory"]);
  logLines = [];
  let err: unknown;
  try {
    t.lookup("x");
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(MapError);
  expect((err as MapError).temporary).toBe(true);
  expect(logLines).toEqual(["warning: hash:/nonexistent/relocated is unavailable. open database /nonexistent/relocated.db: No such file or directory"]);
});

test("openMapOrSurrogate(): an unknown type is a surrogate too; a spec without `type:` throws", async () => {
  logLines = [];
  expect(await openMapOrSurrogate("nosuchtype:x")).toBeInstanceOf(SurrogateTable);
  expect(logLines).toEqual(["error: unsupported dictionary type: nosuchtype"]);
  await expect(openMapOrSurrogate("relocated")).rejects.toThrow('open dictionary: expecting "type:name" form instead of "relocated"');
});
