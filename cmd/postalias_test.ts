/**
 * postalias_test — golden tests of postalias and newaliases (testdata/postalias/*), compared byte for byte with
 * expected.ref and, where Debian's Postfix is installed, with Debian's postalias/newaliases too (see
 * testdata/postmap/golden.ts for the case format; GOLDEN_UPDATE works the same way).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { comparesWithDebian, DEBIAN_BIN, goldenCases, runGoldenCase } from "../testdata/postmap/golden.ts";

const ROOT = resolve(import.meta.dir, "..", "testdata", "postalias");
const haveDebian = existsSync(join(DEBIAN_BIN, "postalias"));
const update = process.env.GOLDEN_UPDATE;
const cases = goldenCases(ROOT);
const ours = new Map<string, string>();
const debian = new Map<string, string>();

beforeAll(async () => {
  await Promise.all(
    cases.map(async (name) => {
      const dir = join(ROOT, name);
      const jobs: Promise<void>[] = [runGoldenCase(dir, "postkit").then((t) => void ours.set(name, t))];
      if (haveDebian && comparesWithDebian(dir)) jobs.push(runGoldenCase(dir, "debian").then((t) => void debian.set(name, t)));
      await Promise.all(jobs);
      const ref = join(dir, "expected.ref");
      if (update === "debian" && debian.has(name)) writeFileSync(ref, debian.get(name)!);
      else if (update) writeFileSync(ref, ours.get(name)!);
    }),
  );
}, 120_000);

describe("postalias golden transcripts", () => {
  if (!haveDebian) console.log("postalias_test: Debian's postalias is not installed; skipping the comparisons with Postfix");
  for (const name of cases) {
    const dir = join(ROOT, name);
    test(`postalias ${name}: postkit matches expected.ref`, () => {
      expect(ours.get(name)).toBe(readFileSync(join(dir, "expected.ref"), "utf8"));
    });
    if (!comparesWithDebian(dir)) continue;
    test.skipIf(!haveDebian)(`postalias ${name}: Debian's postalias matches expected.ref`, () => {
      expect(debian.get(name)).toBe(readFileSync(join(dir, "expected.ref"), "utf8"));
    });
  }
});
