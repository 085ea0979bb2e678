/**
 * _test_util — helpers for the map library's tests: a temporary directory and capture of msgWarn() output.
 * Tests only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { initMsg, setMsgSink } from "../log/msg.ts";

/** Runs `fn` in a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "maps-test-"));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `fn` and returns the warnings it logged (text after `warning: `). */
export async function captureWarnings(fn: () => unknown): Promise<string[]> {
  const seen: string[] = [];
  initMsg("test", { stderr: false });
  setMsgSink({ write: (level, text) => void (level === "warning" && seen.push(text)), close() {} });
  try {
    await fn();
  } finally {
    setMsgSink(undefined);
  }
  return seen;
}
