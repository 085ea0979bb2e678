/**
 * layering_test — holds the import layering of STYLE.md: programs import the mail library, which imports the
 * general library, never the other way round, and programs never import each other.
 *
 *   layer 0 (knows no mail): sys fsx log text
 *   layer 1 (mail library):  config address queue maps dsn ipc message daemon dns resolve cleanup submit mailbox
 *   layer 2 (programs):      everything else under internal/
 *   cmd/ may import anything under internal/; internal/ never imports cmd/.
 */
import { test, expect } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, dirname, resolve, relative, sep } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const LAYER0 = new Set(["sys", "fsx", "log", "text"]);
const LAYER1 = new Set(["config", "address", "queue", "maps", "dsn", "ipc", "message", "daemon", "dns", "resolve", "cleanup", "submit", "mailbox"]);

function layerOf(folder: string): number {
  if (LAYER0.has(folder)) return 0;
  if (LAYER1.has(folder)) return 1;
  return 2;
}

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (name.endsWith(".ts") && !name.endsWith("_test.ts") && !name.startsWith("_testkit")) yield p;
  }
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)) {
    out.push((m[1] ?? m[2])!);
  }
  return out;
}

test("imports under internal/ point only downward, and programs never import each other", () => {
  const problems: string[] = [];
  for (const file of sources(join(ROOT, "internal"))) {
    const from = relative(join(ROOT, "internal"), file).split(sep)[0]!;
    for (const spec of importsOf(file)) {
      if (!spec.startsWith(".")) continue;
      const target = relative(ROOT, resolve(dirname(file), spec));
      if (target.startsWith("cmd")) {
        problems.push(`${relative(ROOT, file)} imports ${spec} (internal/ must not import cmd/)`);
        continue;
      }
      const to = relative("internal", target).split(sep)[0]!;
      if (to === from) continue;
      const lf = layerOf(from);
      const lt = layerOf(to);
      if (lt > lf || (lf === lt && lf === 2)) problems.push(`${relative(ROOT, file)} (layer ${lf}) imports ${spec} (layer ${lt})`);
    }
  }
  expect(problems).toEqual([]);
});
