/**
 * queue_ops_test — moving, deleting, force-expiring and finding messages under the locking protocol (holders are
 * other open file descriptions and a real flock(1) process), and the mailq summaries of a scan, in showq's order.
 */
import { test, expect, describe, beforeEach, afterEach } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { QueueError } from "./queue_error.ts";
import { ensureQueueDirs } from "./queue_path.ts";
import { openQueueFile, readEnvelope } from "./queue_file.ts";
import { createQueueFile, type EnvelopeInput } from "./queue_writer.ts";
import {
  deleteMessage,
  findMessage,
  layoutPath,
  moveMessage,
  moveToCorrupt,
  queueLayout,
  readQueueSummary,
  scanQueueSummaries,
  setForcedExpire,
  type QueueLayout,
  type QueueSummary,
  type QueueSummaryFailure,
} from "./queue_ops.ts";
import type { QueueName } from "./queue_path.ts";

let dir: string;
let layout: QueueLayout;
const holders: Bun.Subprocess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "postkit-qops-"));
  ensureQueueDirs(dir);
  layout = queueLayout(dir, { hashQueues: ["deferred", "defer"], hashDepth: 2 });
});
afterEach(() => {
  for (const h of holders.splice(0)) h.kill();
  rmSync(dir, { recursive: true, force: true });
});

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof QueueError) return e.code;
    throw e;
  }
  return undefined;
}

const ENV: EnvelopeInput = { sender: "alice@example.org", recipients: [{ address: "bob@remote.example" }, { address: "carol@remote.example", origAddress: "Carol@Remote.Example" }] };

function enqueue(queueName: QueueName = "incoming", env: EnvelopeInput = ENV, content = "Subject: x\n\nbody\n", opts: { mode?: number } = {}): string {
  const w = createQueueFile({ queueDir: dir, queueName, hashQueues: layout.hashQueues, hashDepth: layout.hashDepth, ...opts });
  w.writeEnvelope(env);
  w.writeContent(content);
  w.finish({ durable: false });
  return w.queueId;
}

describe("moveMessage()", () => {
  test("moves between plain and hashed queues, keeping the inode, and sets the times first", () => {
    const id = enqueue();
    const ino = statSync(layoutPath(layout, "incoming", id)).ino;
    const retry = Math.floor(Date.now() / 1000) + 300;
    const p = moveMessage(layout, id, "incoming", "deferred", { time: retry });
    expect(p).toBe(join(dir, "deferred", id[0]!, id[1]!, id));
    expect(statSync(p).ino).toBe(ino);
    expect(Math.floor(statSync(p).mtimeMs / 1000)).toBe(retry);
    expect(existsSync(layoutPath(layout, "incoming", id))).toBe(false);
    expect(moveMessage(layout, id, "deferred", "hold")).toBe(join(dir, "hold", id));
    expect(readEnvelope(join(dir, "hold", id)).sender).toBe(ENV.sender);
  });

  test("a missing message is notfound; an occupied destination is exists and nothing moves", () => {
    expect(codeOf(() => moveMessage(layout, "ABCDEF123", "incoming", "active"))).toBe("notfound");
    const id = enqueue();
    writeFileSync(join(dir, "active", id), "someone else");
    expect(codeOf(() => moveMessage(layout, id, "incoming", "active"))).toBe("exists");
    expect(existsSync(layoutPath(layout, "incoming", id))).toBe(true);
  });

  test("hostile IDs and queue names are refused", () => {
    expect(codeOf(() => moveMessage(layout, "../../etc/passwd", "incoming", "active"))).toBe("badid");
    expect(codeOf(() => moveMessage(layout, "ABCDEF1", "incoming", "../x" as QueueName))).toBe("badqueue");
    expect(codeOf(() => moveMessage(layout, "ABCDEF1", "incoming", "incoming"))).toBe("invalid");
  });

  test("a message held under a shared lock (being delivered) is locked, and stays where it is", () => {
    const id = enqueue("active");
    const f = openQueueFile(layoutPath(layout, "active", id), { write: true, lock: "shared" });
    try {
      expect(codeOf(() => moveMessage(layout, id, "active", "hold"))).toBe("locked");
      expect(codeOf(() => deleteMessage(layout, "active", id))).toBe("locked");
      expect(codeOf(() => setForcedExpire(layout, "active", id))).toBe("locked");
      expect(existsSync(layoutPath(layout, "active", id))).toBe(true);
    } finally {
      f.close();
    }
    expect(moveMessage(layout, id, "active", "hold")).toBe(join(dir, "hold", id));
  });

  test("a lock held by another process (flock -s) makes the move fail as locked", async () => {
    const id = enqueue("active");
    const path = layoutPath(layout, "active", id);
    const h = Bun.spawn(["flock", "-o", "-s", path, "sh", "-c", "echo held; exec sleep 5"], { stdout: "pipe" });
    holders.push(h);
    const reader = h.stdout.getReader();
    await reader.read(); // "held"
    expect(codeOf(() => moveMessage(layout, id, "active", "hold"))).toBe("locked");
    h.kill();
    await h.exited;
    expect(moveMessage(layout, id, "active", "hold")).toBe(join(dir, "hold", id));
  });
});

describe("deleteMessage()", () => {
  test("removes the message and its bounce, defer and trace logfiles", () => {
    const id = enqueue();
    const id2 = enqueue();
    const logs = (["bounce", "defer", "trace"] as QueueName[]).map((q) => layoutPath(layout, q, id));
    for (const l of logs) {
      mkdirSync(join(l, ".."), { recursive: true });
      writeFileSync(l, "recipient=bob@remote.example\n");
    }
    expect(logs[1]).toBe(join(dir, "defer", id[0]!, id[1]!, id));
    deleteMessage(layout, "incoming", id);
    for (const l of logs) expect(existsSync(l)).toBe(false);
    expect(existsSync(layoutPath(layout, "incoming", id))).toBe(false);
    expect(existsSync(layoutPath(layout, "incoming", id2))).toBe(true);
    expect(codeOf(() => deleteMessage(layout, "incoming", id))).toBe("notfound");
  });
});

describe("moveToCorrupt()", () => {
  test("moves a damaged file, and even a symbolic link planted in a queue", () => {
    writeFileSync(join(dir, "incoming", "ABCDEF12"), "garbage");
    expect(codeOf(() => readEnvelope(join(dir, "incoming", "ABCDEF12")))).toBe("corrupt");
    expect(moveToCorrupt(layout, "incoming", "ABCDEF12")).toBe(join(dir, "corrupt", "ABCDEF12"));
    symlinkSync("/etc/passwd", join(dir, "maildrop", "ABCDEF13"));
    expect(moveToCorrupt(layout, "maildrop", "ABCDEF13")).toBe(join(dir, "corrupt", "ABCDEF13"));
    expect(existsSync(join(dir, "maildrop", "ABCDEF13"))).toBe(false);
  });
});

describe("setForcedExpire()", () => {
  test("sets the group-execute bit once; the summary reports it", () => {
    const id = enqueue("deferred");
    expect(setForcedExpire(layout, "deferred", id)).toBe(true);
    expect(setForcedExpire(layout, "deferred", id)).toBe(false);
    expect(statSync(layoutPath(layout, "deferred", id)).mode & 0o7777).toBe(0o710);
    expect(readQueueSummary("deferred", id, layoutPath(layout, "deferred", id))!.forcedExpire).toBe(true);
    expect(setForcedExpire(layout, "deferred", id, false)).toBe(true);
    expect(readQueueSummary("deferred", id, layoutPath(layout, "deferred", id))!.forcedExpire).toBe(false);
  });
});

describe("findMessage()", () => {
  test("looks in postcat -q's queues, hashed or not", () => {
    const a = enqueue("hold");
    const b = enqueue("deferred");
    expect(findMessage(layout, a)).toEqual({ queueName: "hold", path: join(dir, "hold", a) });
    expect(findMessage(layout, b)?.queueName).toBe("deferred");
    expect(findMessage(layout, b, ["incoming", "hold"])).toBeUndefined();
    expect(findMessage(layout, "ABCDEF99")).toBeUndefined();
    expect(codeOf(() => findMessage(layout, "a/b"))).toBe("badid");
  });
});

describe("scanQueueSummaries()", () => {
  function scan(queues?: QueueName[]): (QueueSummary | QueueSummaryFailure)[] {
    return [...scanQueueSummaries(layout, queues)];
  }

  test("lists maildrop, active, incoming, deferred and hold in that order, never corrupt or saved", () => {
    const order: QueueName[] = ["hold", "deferred", "incoming", "active", "maildrop", "corrupt", "saved"];
    const ids = new Map(order.map((q) => [q, enqueue(q)]));
    const got = scan().map((s) => [s.queueName, s.queueId]);
    expect(got).toEqual((["maildrop", "active", "incoming", "deferred", "hold"] as QueueName[]).map((q) => [q, ids.get(q)!]));
  });

  test("gives what postqueue -j shows: arrival time, size, sender, recipients still to do with delay reasons", () => {
    const id = enqueue("deferred", { ...ENV, sender: "", arrivalTime: { sec: 1795684626, usec: 5 } }, "Subject: x\n\n12345\n");
    const path = layoutPath(layout, "deferred", id);
    const f = openQueueFile(path, { write: true, lock: "exclusive" });
    const [bob, carol] = f.envelope().recipients;
    f.appendRecipientStatus({ recipient: bob!, status: "deferred", dsn: "4.4.1", reason: "connect to 127.0.0.1[127.0.0.1]:9: Connection refused" });
    f.appendRecipientStatus({ recipient: carol!, status: "delivered", dsn: "2.0.0", reason: "ok" });
    f.close();
    const [s] = scan() as QueueSummary[];
    expect({ ...s!, envelope: undefined }).toEqual({
      queueName: "deferred",
      queueId: id,
      path,
      arrivalTime: 1795684626,
      messageSize: 21, // Postfix's size of the 18 content bytes: three lines of 10, 0 and 5 bytes, 2 + 10, 2, 2 + 5
      forcedExpire: false,
      sender: "",
      recipients: [{ address: "bob@remote.example", origAddress: "bob@remote.example", delayReason: "connect to 127.0.0.1[127.0.0.1]:9: Connection refused" }],
      envelope: undefined,
    });
  });

  test("a maildrop message's size is its file size, as showq reports it", () => {
    const id = enqueue("maildrop");
    const [s] = scan(["maildrop"]) as QueueSummary[];
    expect(s!.messageSize).toBe(statSync(layoutPath(layout, "maildrop", id)).size);
  });

  test("skips incomplete files and names that are not queue IDs; reports corrupt files and goes on", () => {
    const good = enqueue("incoming");
    const incomplete = enqueue("incoming");
    chmodSync(layoutPath(layout, "incoming", incomplete), 0o600);
    writeFileSync(join(dir, "incoming", "123456.789"), "temporary");
    writeFileSync(join(dir, "incoming", "ABCDEF12"), "garbage");
    chmodSync(join(dir, "incoming", "ABCDEF12"), 0o700);
    const items = scan(["incoming"]);
    const ok = items.filter((i): i is QueueSummary => !("error" in i)).map((i) => i.queueId);
    const bad = items.filter((i): i is QueueSummaryFailure => "error" in i);
    expect(ok).toEqual([good]);
    expect(bad.map((b) => [b.queueId, b.error.code])).toEqual([["ABCDEF12", "corrupt"]]);
  });

  test("1000 messages across queues are listed quickly", () => {
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) enqueue(i % 2 ? "deferred" : "active");
    const made = performance.now() - t0;
    const t1 = performance.now();
    let n = 0;
    for (const s of scanQueueSummaries(layout)) if (!("error" in s)) n++;
    expect(n).toBe(1000);
    expect(performance.now() - t1).toBeLessThan(Math.max(500, made));
  });
});
