/**
 * queue_admin_test — postsuper's bulk paths on a real queue: a held message is released or deleted at once even
 * when another process holds its lock (nothing but postsuper works on held messages), while a deferred one is
 * still waited for; a release never replaces a file in deferred; held symbolic links and incomplete files are
 * left alone as before; a deleted message's logfiles go with it; a listing and a release of 2,000 messages.
 */
import { test, expect, beforeEach, afterEach } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { FatalError } from "../sys/errors.ts";
import { createQueueFile, ensureQueueDirs, layoutPath, queueLayout, type QueueLayout, type QueueName } from "../queue/index.ts";
import { QueueAdmin, type AdminResult } from "./queue_admin.ts";

let dir: string;
let layout: QueueLayout;
let warnings: string[];
const holders: Bun.Subprocess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "postkit-qadmin-"));
  ensureQueueDirs(dir);
  layout = queueLayout(dir);
  warnings = [];
  setMsgStderr(false);
  setMsgSink({ write: (_level, text) => warnings.push(text), close: () => {} });
});
afterEach(() => {
  for (const h of holders.splice(0)) h.kill();
  setMsgSink(undefined);
  setMsgStderr(true);
  rmSync(dir, { recursive: true, force: true });
});

function enqueue(queueName: QueueName): string {
  const w = createQueueFile({ queueDir: dir, queueName });
  w.writeEnvelope({ sender: "a@b.example", recipients: [{ address: "c@d.example" }] });
  w.writeContent("Subject: x\n\nbody\n");
  w.finish({ durable: false });
  return w.queueId;
}

function admin(results: AdminResult[] = []): QueueAdmin {
  return new QueueAdmin({ layout, lockWaitMs: 400, onResult: (r) => results.push(r) });
}

async function lockShared(path: string): Promise<void> {
  holders.push(Bun.spawn({ cmd: ["flock", "-s", path, "sleep", "5"] }));
  await Bun.sleep(150);
}

test("a held message is released or deleted at once, lock or no lock; a deferred one is waited for", async () => {
  const [a, b, c] = [enqueue("hold"), enqueue("hold"), enqueue("deferred")];
  for (const id of [a, b]) await lockShared(layoutPath(layout, "hold", id));
  await lockShared(layoutPath(layout, "deferred", c));
  const t = Date.now();
  const q = admin();
  q.one("release", ["hold"], a);
  q.one("delete", ["hold"], b);
  await q.settle();
  expect(Date.now() - t).toBeLessThan(300);
  expect([existsSync(layoutPath(layout, "hold", a)), existsSync(layoutPath(layout, "deferred", a)), existsSync(layoutPath(layout, "hold", b))]).toEqual([false, true, false]);
  expect(q.counts).toMatchObject({ released: 1, deleted: 1 });
  const t2 = Date.now();
  const q2 = admin();
  q2.one("hold", ["deferred"], c);
  await q2.settle();
  expect(Date.now() - t2).toBeGreaterThan(350);
  expect(warnings.some((w) => w.includes(`${c}: still in use by another process`))).toBe(true);
  expect(existsSync(layoutPath(layout, "hold", c))).toBe(true);
});

test("a release never replaces a file already in deferred", async () => {
  const id = enqueue("hold");
  const target = layoutPath(layout, "deferred", id);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, "occupied");
  const q = admin();
  expect(() => q.all("release", ["hold"])).toThrow(FatalError);
  expect(() => q.all("release", ["hold"])).toThrow(`rename file ${layoutPath(layout, "hold", id)} as ${target}: File exists`);
  expect(existsSync(layoutPath(layout, "hold", id))).toBe(true);
});

test("held symbolic links and incomplete files are left alone, as before", async () => {
  const good = enqueue("hold");
  const incomplete = enqueue("hold");
  chmodSync(layoutPath(layout, "hold", incomplete), 0o600);
  symlinkSync("/etc/passwd", join(dir, "hold", "ABCDE12345"));
  const results: AdminResult[] = [];
  const q = admin(results);
  q.all("release", ["hold"]);
  await q.settle();
  expect(results.map((r) => r.queueId)).toEqual([good]);
  expect(warnings).toEqual([`${join(dir, "hold", "ABCDE12345")}: not a regular file`]);
  expect(existsSync(layoutPath(layout, "hold", incomplete))).toBe(true);
});

test("deleting a held message by ID removes its logfiles too; without logfiles nothing else is touched", async () => {
  const [a, b] = [enqueue("hold"), enqueue("hold")];
  const log = layoutPath(layout, "defer", a);
  mkdirSync(dirname(log), { recursive: true });
  writeFileSync(log, "log\n");
  const q = admin();
  q.one("delete", ["hold"], a);
  q.one("delete", ["hold"], b);
  await q.settle();
  expect([existsSync(log), existsSync(layoutPath(layout, "hold", a)), existsSync(layoutPath(layout, "hold", b))]).toEqual([false, false, false]);
  expect(q.counts.deleted).toBe(2);
});

test("ALL releases 2,000 held messages into their hash directories, and a dry run changes nothing", async () => {
  const ids = Array.from({ length: 2000 }, () => enqueue("hold"));
  const dry = new QueueAdmin({ layout, dryRun: true });
  dry.all("release", ["hold"]);
  expect(ids.every((id) => existsSync(layoutPath(layout, "hold", id)))).toBe(true);
  const q = admin();
  q.all("release", ["hold"]);
  await q.settle();
  expect(q.counts.released).toBe(2000);
  expect(ids.every((id) => existsSync(layoutPath(layout, "deferred", id)) && !existsSync(layoutPath(layout, "hold", id)))).toBe(true);
});
