import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, maillogFileMode, syslogName } from "./config.ts";

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

test("syslogName() gives what get(\"syslog_name\") gives, with and without multi_instance_name and syslog_name", () => {
  expect(configWith("").defaultValue("syslog_name")).toBe("${multi_instance_name?{$multi_instance_name}:{postfix}}");
  const cases: [string, string[], string][] = [
    ["", [], "postfix"],
    ["multi_instance_name =\n", [], "postfix"],
    ["multi_instance_name = postfix-out\n", [], "postfix-out"],
    ["mi = $empty\nmulti_instance_name = $mi\n", [], "postfix"],
    ["syslog_name = mail\n", [], "mail"],
    ["syslog_name = ${multi_instance_name:mx}\n", [], "mx"],
    ["", ["multi_instance_name=b"], "b"],
    ["", ["syslog_name=c"], "c"],
  ];
  for (const [mainCf, overrides, want] of cases) {
    writeFileSync(join(dir, "main.cf"), mainCf);
    const cfg = loadConfig({ configDir: dir, overrides, warn: false });
    expect([syslogName(cfg), cfg.get("syslog_name")]).toEqual([want, want]);
  }
});
