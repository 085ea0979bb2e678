import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, maillogFileMode } from "./config.ts";

const dir = mkdtempSync(join(tmpdir(), "postkit-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configWith(mainCf: string) {
  writeFileSync(join(dir, "main.cf"), mainCf);
  return loadConfig({ configDir: dir, warn: false });
}

test("maillog_file's mode: 0600 unless maillog_file_permissions is set (expanded like any value)", () => {
  expect(maillogFileMode(configWith(""))).toBe(0o600);
  expect(maillogFileMode(configWith("maillog_file_permissions = 0640\n"))).toBe(0o640);
  expect(maillogFileMode(configWith("log_mode = 0644\nmaillog_file_permissions = $log_mode\n"))).toBe(0o644);
  expect(maillogFileMode(loadConfig({ configDir: dir, overrides: ["maillog_file_permissions=0660"], warn: false }))).toBe(0o660);
});
