import { test, expect, afterAll } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { ensureQueueDirs } from "../queue/index.ts";
import { listenFifoTrigger } from "../ipc/trigger.ts";
import { mkfifo } from "../sys/libc.ts";
import { maildropFileMode, notifyPickup, openMaildropFile } from "./maildrop.ts";

const dir = mkdtempSync(join(tmpdir(), "maildrop-"));
ensureQueueDirs(dir, { names: ["maildrop"], modes: { maildrop: 0o1733 } });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("maildropFileMode(): 0700, or 0740 when maildrop is set-gid", () => {
  expect(maildropFileMode(dir)).toBe(0o700);
  chmodSync(join(dir, "maildrop"), 0o3733);
  try {
    expect(maildropFileMode(dir)).toBe(0o740);
  } finally {
    chmodSync(join(dir, "maildrop"), 0o1733);
  }
  expect(maildropFileMode(join(dir, "nonexistent"))).toBe(0o700);
});

test("openMaildropFile() finishes a file in maildrop with the owner-only complete mode", () => {
  const w = openMaildropFile({ queueDir: dir });
  w.writeEnvelope({ sender: "a@x", recipients: [{ address: "b@y" }], uid: 1 });
  w.writeContent("x\n");
  const f = w.finish();
  expect(f.path).toBe(join(dir, "maildrop", f.queueId));
  expect(statSync(f.path).mode & 0o7777).toBe(0o700);
  rmSync(f.path);
});

test("notifyPickup(): Postfix's warning only when public/pickup cannot be looked up", async () => {
  expect(await notifyPickup(dir)).toBe("unable to look up public/pickup: No such file or directory");
  mkdirSync(join(dir, "public"));
  mkfifo(join(dir, "public", "pickup"), 0o622);
  expect(await notifyPickup(dir)).toBeUndefined(); // a FIFO nobody reads: silent, the message waits
  const got: number[] = [];
  const l = listenFifoTrigger(join(dir, "public", "pickup"), (b) => got.push(...b));
  try {
    expect(await notifyPickup(dir)).toBeUndefined();
    for (let i = 0; i < 100 && got.length === 0; i++) await Bun.sleep(10);
    expect(Buffer.from(got).toString()).toBe("W");
  } finally {
    l.close();
  }
});
