/**
 * postmap_test — golden tests of postmap (testdata/postmap/*): the compiled binary's transcript must equal
 * expected.ref byte for byte, and, where Debian's postmap is installed, so must Debian's for every case not
 * marked "postkit only". GOLDEN_UPDATE=postkit rewrites the .ref files from postkit's output
 * (GOLDEN_UPDATE=debian from Debian's, for the comparable cases); read the diff before committing.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { comparesWithDebian, DEBIAN_BIN, goldenCases, runGoldenCase } from "../testdata/postmap/golden.ts";

const ROOT = resolve(import.meta.dir, "..", "testdata", "postmap");
const haveDebian = existsSync(join(DEBIAN_BIN, "postmap"));
const update = process.env.GOLDEN_UPDATE;
const cases = goldenCases(ROOT);
const ours = new Map<string, string>();
const debian = new Map<string, string>();

beforeAll(async () => {
  // every case at once: Postfix sleeps a second after each fatal error
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

describe("postmap golden transcripts", () => {
  if (!haveDebian) console.log("postmap_test: Debian's postmap is not installed; skipping the comparisons with Postfix");
  for (const name of cases) {
    const dir = join(ROOT, name);
    test(`postmap ${name}: postkit matches expected.ref`, () => {
      expect(ours.get(name)).toBe(readFileSync(join(dir, "expected.ref"), "utf8"));
    });
    if (!comparesWithDebian(dir)) continue;
    test.skipIf(!haveDebian)(`postmap ${name}: Debian's postmap matches expected.ref`, () => {
      expect(debian.get(name)).toBe(readFileSync(join(dir, "expected.ref"), "utf8"));
    });
  }
});
