/**
 * postkick end-to-end tests: a listening FIFO receives the request bytes; a missing or deaf service gets
 * Postfix's two warnings and exit status 1.
 */
import { test, expect, afterAll } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, runTool } from "./_testkit.ts";
import { listenFifoTrigger } from "../internal/ipc/trigger.ts";
import { mkfifo } from "../internal/sys/libc.ts";

const inst = makeInstance();
mkdirSync(join(inst.queue, "public"), { recursive: true });
afterAll(() => inst.cleanup());

test("postkick writes the request bytes to a listening FIFO", async () => {
  const got: string[] = [];
  const l = listenFifoTrigger(join(inst.queue, "public", "qmgr"), (b) => got.push(Buffer.from(b).toString()));
  try {
    const r = runTool("postkick", ["-c", inst.config, "public", "qmgr", "DA"]);
    expect(r).toEqual({ stdout: "", stderr: "", status: 0 });
    for (let i = 0; i < 100 && got.join("") !== "DA"; i++) await Bun.sleep(10);
    expect(got.join("")).toBe("DA");
    expect(runTool("postkick", ["-c", inst.config, "public", "qmgr", "W"]).status).toBe(0);
    for (let i = 0; i < 100 && got.join("") !== "DAW"; i++) await Bun.sleep(10);
    expect(got.join("")).toBe("DAW");
  } finally {
    l.close();
  }
});

test("postkick to a missing service warns as Postfix and exits 1", () => {
  const r = runTool("postkick", ["-c", inst.config, "public", "pickup", "W"]);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe(
    "postkick: warning: unable to look up public/pickup: No such file or directory\n" +
      "postkick: warning: Cannot contact class public service pickup - perhaps the mail system is down\n",
  );
});

test("postkick to a FIFO nobody reads warns as Postfix and exits 1", () => {
  mkfifo(join(inst.queue, "public", "flush"), 0o622);
  const r = runTool("postkick", ["-c", inst.config, "public", "flush", "W"]);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe("postkick: warning: Cannot contact class public service flush - perhaps the mail system is down\n");
});

test("postkick needs exactly three arguments", () => {
  const r = runTool("postkick", ["-c", inst.config, "public", "qmgr"]);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe("postkick: fatal: usage: postkick [-c config_dir] [-v] class service request\n");
});
