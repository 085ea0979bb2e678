/**
 * params_table_test — holds PARAM_TABLE, PARAM_DOCS and COMPUTED_DEFAULTS to their format, and to Debian's Postfix 3.7 when it is
 * installed: same built-in names, and the same default for every parameter that is not computed.
 *
 * The comparison runs `/usr/sbin/postconf -c EMPTYDIR -d` with an empty main.cf and master.cf, so that
 * master.cf-derived per-service parameters stay out. Without /usr/sbin/postconf those tests are skipped, with
 * a warning that says so.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMPUTED_DEFAULTS, paramRows, PARAM_TABLE, type ParamType } from "./params_table.ts";
import { PARAM_DOCS, paramDescription } from "./params_doc.ts";

const PARAMS = paramRows().map(([n, t, d]) => [n, t, d, paramDescription(n)] as const);

const TYPES: readonly ParamType[] = ["str", "raw", "int", "long", "bool", "time", "nint", "nbool"];
const POSTCONF = "/usr/sbin/postconf";

test("PARAM_TABLE and PARAM_DOCS are newline-framed and describe the same names", () => {
  expect(PARAM_TABLE.startsWith("\n") && PARAM_TABLE.endsWith("\n")).toBe(true);
  expect(PARAM_DOCS.startsWith("\n") && PARAM_DOCS.endsWith("\n")).toBe(true);
  const docNames = PARAM_DOCS.split("\n").filter(Boolean).map((l) => l.split("\t")[0]);
  expect(docNames).toEqual(PARAMS.map((p) => p[0]));
});

test("PARAMS names are unique and sorted", () => {
  const out: string[] = [];
  for (let i = 1; i < PARAMS.length; i++) {
    const prev = PARAMS[i - 1]![0];
    const cur = PARAMS[i]![0];
    if (!(prev < cur)) out.push(`${prev} !< ${cur}`);
  }
  expect(out).toEqual([]);
  expect(PARAMS.length).toBeGreaterThan(800);
});

test("PARAMS entries have a valid name, type, default and description", () => {
  const bad: string[] = [];
  for (const [name, type, def, desc] of PARAMS) {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) bad.push(`${name}: bad name`);
    const [base, unit, ...rest] = type.split(":");
    if (!TYPES.includes(base as ParamType) || rest.length > 0) bad.push(`${name}: bad type ${type}`);
    else if (base === "time" ? !/^[smhdw]$/.test(unit ?? "") : unit !== undefined) bad.push(`${name}: bad type ${type}`);
    if (/[\n\r]/.test(def) || def !== def.trim()) bad.push(`${name}: default not a trimmed single line`);
    if (base === "bool" && def !== "yes" && def !== "no") bad.push(`${name}: bool default ${def}`);
    if ((base === "int" || base === "long") && !/^-?\d+$/.test(def) && !COMPUTED_DEFAULTS.includes(name)) {
      bad.push(`${name}: ${base} default ${def}`);
    }
    // Postfix takes the default unit from the default value, which always ends in it.
    if (base === "time" && !def.endsWith(unit ?? "?")) bad.push(`${name}: unit ${unit} does not end ${def}`);
    if (desc.length === 0 || desc.length > 90 || /[\n\r]/.test(desc)) bad.push(`${name}: description length ${desc.length}`);
  }
  expect(bad).toEqual([]);
});

test("COMPUTED_DEFAULTS are known parameters with an empty table default", () => {
  const byName = new Map(PARAMS.map((p) => [p[0], p]));
  expect(new Set(COMPUTED_DEFAULTS).size).toBe(COMPUTED_DEFAULTS.length);
  for (const name of COMPUTED_DEFAULTS) {
    expect(byName.get(name)?.[2]).toBe("");
  }
  for (const name of ["myhostname", "mydomain", "mynetworks", "process_id", "process_name", "mail_version", "mail_release_date"]) {
    expect(COMPUTED_DEFAULTS).toContain(name);
  }
});

const havePostconf = existsSync(POSTCONF);
if (!havePostconf) console.warn(`params_table_test: ${POSTCONF} not found; skipping the comparison with Debian's Postfix`);

describe.skipIf(!havePostconf)("PARAMS against Debian's postconf -d", () => {
  let defaults: Map<string, string> | undefined;

  /** Built-in defaults as Debian's postconf prints them for an empty configuration directory. */
  function debianDefaults(): Map<string, string> {
    if (defaults) return defaults;
    const dir = mkdtempSync(join(tmpdir(), "params-table-"));
    let r;
    try {
      writeFileSync(join(dir, "main.cf"), "");
      writeFileSync(join(dir, "master.cf"), "");
      r = spawnSync(POSTCONF, ["-c", dir, "-d"], { encoding: "utf8" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (r.status !== 0) throw new Error(`run ${POSTCONF} -c ${dir} -d: exit ${r.status}: ${r.stderr}`);
    defaults = new Map();
    for (const line of r.stdout.split("\n")) {
      if (line === "") continue;
      const m = /^(\S+) =(?: (.*))?$/.exec(line);
      if (!m) throw new Error(`parse postconf output: ${JSON.stringify(line)}`);
      defaults.set(m[1]!, m[2] ?? "");
    }
    return defaults;
  }

  test("every built-in parameter of Debian's postconf is in PARAMS, and no other", () => {
    const ours = new Set(PARAMS.map((p) => p[0]));
    const theirs = debianDefaults();
    expect([...theirs.keys()].filter((n) => !ours.has(n))).toEqual([]);
    expect([...ours].filter((n) => !theirs.has(n))).toEqual([]);
  });

  test("every non-computed default equals what postconf -d prints", () => {
    const theirs = debianDefaults();
    const computed = new Set(COMPUTED_DEFAULTS);
    const diff: string[] = [];
    for (const [name, , def] of PARAMS) {
      if (computed.has(name)) continue;
      const want = theirs.get(name);
      if (want !== undefined && want !== def) diff.push(`${name}: ours ${JSON.stringify(def)}, postconf ${JSON.stringify(want)}`);
    }
    expect(diff).toEqual([]);
  });
});
