/**
 * queue_path_test — hashed queue paths against the paths Debian's Postfix 3.7 used for the same IDs (observed on a
 * private instance, including after `postfix reload` re-hashed the queue to depth 3), hostile IDs and names, queue
 * directory creation, and streaming scans (10,000 files: fast, flat memory, no leaked descriptors).
 */
import { test, expect, describe, beforeAll, afterAll } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import {
  ensureQueueDirs,
  hashDirectories,
  isHashedQueue,
  queuePath,
  relativeQueuePath,
  scanQueue,
  scanQueueFiles,
  QUEUE_NAMES,
  QUEUE_DIR_MODES,
  DEFAULT_HASH_QUEUE_NAMES,
} from "./queue_path.ts";
import { QueueError } from "./queue_error.ts";
import { openDirStream } from "./_readdir.ts";

// [label, queue, id, hash_queue_names, hash_queue_depth, path Postfix uses]
const POSTFIX_PATHS: [string, string, string, string[] | string, number, string][] = [
  ["short ID, default hashing", "deferred", "6CF4220C9A0", ["deferred", "defer"], 1, "deferred/6/6CF4220C9A0"],
  ["short ID in the defer logs", "defer", "6CF4220C9A0", ["deferred", "defer"], 1, "defer/6/6CF4220C9A0"],
  ["short ID (postfix.md)", "deferred", "EF97820E3CD", ["deferred", "defer"], 1, "deferred/E/EF97820E3CD"],
  ["short ID, depth 2 (postfix.md)", "deferred", "EF97820E3CD", ["deferred", "defer"], 2, "deferred/E/F/EF97820E3CD"],
  ["short ID, depth 3 (observed)", "deferred", "6CF4220C9A0", ["deferred", "defer"], 3, "deferred/6/C/F/6CF4220C9A0"],
  ["short ID, depth 3 (observed)", "defer", "6B97020C9A2", ["deferred", "defer"], 3, "defer/6/B/9/6B97020C9A2"],
  ["long ID hashes by its usec in hex (postfix.md)", "deferred", "4jZ7cZ4ps4zJDqZ", ["deferred", "defer"], 1, "deferred/A/4jZ7cZ4ps4zJDqZ"],
  ["long ID, depth 3 (observed)", "deferred", "4jZrfL3mwvzvjb4", ["deferred", "defer"], 3, "deferred/8/2/0/4jZrfL3mwvzvjb4"],
  ["long ID, depth 3 (observed)", "deferred", "4jZrfL3fFRzvjb3", ["deferred", "defer"], 3, "deferred/7/D/9/4jZrfL3fFRzvjb3"],
  ["long ID, depth 3 (observed)", "defer", "4jZrfL3jhZzJ9K1", ["deferred", "defer"], 3, "defer/7/F/D/4jZrfL3jhZzJ9K1"],
  ["long ID deeper than its 5 hex digits", "deferred", "4jZ7cZ4ps4zJDqZ", ["deferred"], 7, "deferred/A/5/9/C/8/_/_/4jZ7cZ4ps4zJDqZ"],
  ["short name padded with _", "flush", "abc", ["flush"], 5, "flush/a/b/c/_/_/abc"],
  ["queue not hashed", "incoming", "6CF4220C9A0", ["deferred", "defer"], 1, "incoming/6CF4220C9A0"],
  ["active is not hashed by default", "active", "4jZ7cZ4ps4zJDqZ", DEFAULT_HASH_QUEUE_NAMES as string[], 2, "active/4jZ7cZ4ps4zJDqZ"],
  ["queue names compare case-insensitively", "hold", "EF97820E3CD", ["HOLD"], 1, "hold/E/EF97820E3CD"],
  ["raw parameter text", "incoming", "EF97820E3CD", "deferred, defer,incoming", 1, "incoming/E/EF97820E3CD"],
  ["z too early is not a long ID", "flush", "examplezcom", ["flush"], 1, "flush/e/examplezcom"],
  ["long-looking ID with undecodable usec hashes as 00000", "deferred", "4jZ7cZAAAAzJDqZ", ["deferred"], 2, "deferred/0/0/4jZ7cZAAAAzJDqZ"],
];

describe("queuePath() matches Postfix", () => {
  for (const [label, queue, id, hashQueues, depth, want] of POSTFIX_PATHS) {
    test(`${label}: ${want}`, () => {
      expect(relativeQueuePath(queue, id, hashQueues, depth)).toBe(want);
      expect(queuePath("/var/spool/postfix", queue, id, hashQueues, depth)).toBe(`/var/spool/postfix/${want}`);
    });
  }

  test("isHashedQueue() follows hash_queue_names", () => {
    expect(isHashedQueue("deferred", DEFAULT_HASH_QUEUE_NAMES)).toBe(true);
    expect(isHashedQueue("incoming", DEFAULT_HASH_QUEUE_NAMES)).toBe(false);
    expect(isHashedQueue("defer", " deferred ,  defer ")).toBe(true);
  });

  test("hashDirectories() refuses a depth below 1", () => {
    expect(() => hashDirectories("ABCDEF1", 0)).toThrow(QueueError);
  });
});

// [label, queue, id, expected code]
const HOSTILE: [string, string, string, string][] = [
  ["parent escape", "deferred", "../x", "badid"],
  ["dot-dot", "deferred", "..", "badid"],
  ["slash", "incoming", "a/b", "badid"],
  ["absolute", "incoming", "/etc/passwd", "badid"],
  ["empty", "incoming", "", "badid"],
  ["overlong", "incoming", "A".repeat(256), "badid"],
  ["NUL", "incoming", "AB\0CD", "badid"],
  ["unknown queue", "spool", "EF97820E3CD", "badqueue"],
  ["queue with slash", "../etc", "EF97820E3CD", "badqueue"],
  ["empty queue", "", "EF97820E3CD", "badqueue"],
  ["queue in upper case", "DEFERRED", "EF97820E3CD", "badqueue"],
];

describe("queuePath() refuses hostile input before building a path", () => {
  for (const [label, queue, id, code] of HOSTILE) {
    test(`${label} -> ${code}`, () => {
      let err: unknown;
      try {
        queuePath("/q", queue, id, ["deferred"], 1);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(QueueError);
      expect((err as QueueError).code).toBe(code as QueueError["code"]);
    });
  }
});

describe("ensureQueueDirs()", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "postkit-qdirs-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("creates every queue directory with Postfix's modes, ignoring the umask, then does nothing", () => {
    const q = join(dir, "spool");
    const old = process.umask(0o077);
    try {
      expect(ensureQueueDirs(q)).toEqual([...QUEUE_NAMES]);
    } finally {
      process.umask(old);
    }
    for (const name of QUEUE_NAMES) expect(statSync(join(q, name)).mode & 0o7777).toBe(QUEUE_DIR_MODES[name]);
    expect(statSync(join(q, "maildrop")).mode & 0o7777).toBe(0o1730);
    expect(ensureQueueDirs(q)).toEqual([]);
  });

  test("creates only the named queues, with the modes given", () => {
    const q = join(dir, "some");
    expect(ensureQueueDirs(q, { names: ["incoming", "maildrop"], modes: { maildrop: 0o1733 } })).toEqual(["incoming", "maildrop"]);
    expect(readdirSync(q).sort()).toEqual(["incoming", "maildrop"]);
    expect(statSync(join(q, "maildrop")).mode & 0o7777).toBe(0o1733);
  });
});

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

describe("scanQueue()", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "postkit-qscan-"));
    ensureQueueDirs(dir);
    const files = ["deferred/6/6CF4220C9A0", "deferred/6/C/F/6B97020C9A2", "deferred/A/4jZ7cZ4ps4zJDqZ", "deferred/EF97820E3CD"];
    for (const f of files) {
      mkdirSync(join(dir, f, ".."), { recursive: true });
      writeFileSync(join(dir, f), "x");
    }
    writeFileSync(join(dir, "deferred/367109.14388"), "temporary file of a writer"); // not a queue ID
    writeFileSync(join(dir, "deferred/.hidden"), "x");
    mkdirSync(join(dir, "deferred/subdir")); // not a hash directory (more than one character)
    writeFileSync(join(dir, "deferred/subdir/AAAAAA1"), "x");
    writeFileSync(join(dir, "deferred/B"), "a one-letter file is not a directory");
    symlinkSync("/etc/passwd", join(dir, "deferred/ABCDEF12"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("finds files in hash directories of any depth and skips what is not a queue file", () => {
    const ids = [...scanQueue(dir, "deferred")].map((e) => e.id).sort();
    expect(ids).toEqual(["4jZ7cZ4ps4zJDqZ", "6B97020C9A2", "6CF4220C9A0", "B", "EF97820E3CD"]);
    for (const e of scanQueue(dir, "deferred")) expect(statSync(e.path).isFile()).toBe(true);
  });

  test("scanQueueFiles() also yields temporary files and other objects, for postsuper -p", () => {
    const got = [...scanQueueFiles(dir, "deferred")].map((e) => `${e.name}:${e.type}`).sort();
    expect(got).toEqual([
      ".hidden:file",
      "367109.14388:file",
      "4jZ7cZ4ps4zJDqZ:file",
      "6B97020C9A2:file",
      "6CF4220C9A0:file",
      "ABCDEF12:other",
      "B:file",
      "EF97820E3CD:file",
    ]);
  });

  test("an empty queue yields nothing; a missing one throws notfound unless missingOk", () => {
    expect([...scanQueue(dir, "hold")]).toEqual([]);
    const gone = join(dir, "nothing");
    expect(() => [...scanQueue(gone, "hold")]).toThrow(QueueError);
    expect([...scanQueue(gone, "hold", { missingOk: true })]).toEqual([]);
  });

  test("abandoning a scan midway closes its directories", () => {
    const before = openFds();
    for (let i = 0; i < 50; i++) {
      for (const e of scanQueue(dir, "deferred")) {
        if (e) break;
      }
    }
    expect(openFds()).toBe(before);
  });
});

/** The getdents position of this process's descriptor open on directory `path`, or undefined if none is open. */
function dirPosition(path: string): string | undefined {
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) return readFileSync(`/proc/self/fdinfo/${fd}`, "utf8").split("\n")[0];
    } catch {
      // the descriptor of readdirSync itself, already closed
    }
  }
  return undefined;
}

describe("scanQueue() on 10,000 files", () => {
  let dir: string;
  const N = 10_000;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "postkit-qscan10k-"));
    ensureQueueDirs(dir, { names: ["incoming"] });
    for (let i = 0; i < N; i++) writeFileSync(join(dir, "incoming", `${(0x10000 + i * 7).toString(16).toUpperCase()}ABC`), "");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("is fast and finds every file once", () => {
    const t0 = performance.now();
    const seen = new Set<string>();
    for (const e of scanQueue(dir, "incoming")) seen.add(e.id);
    expect(seen.size).toBe(N);
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  test("reads the directory entry by entry: after the first entry the directory is still open and not read to its end", () => {
    const top = join(dir, "incoming");
    const end = openDirStream(top);
    while (end.next() !== null);
    const atEnd = dirPosition(top);
    end.close();
    const it = scanQueue(dir, "incoming");
    expect(it.next().done).toBe(false);
    const afterFirst = dirPosition(top);
    it.return(undefined);
    expect(afterFirst).toBeDefined();
    expect(afterFirst).not.toBe(atEnd);
    expect(dirPosition(top)).toBeUndefined();
  });

  test("keeps the heap flat while scanning", () => {
    Bun.gc(true);
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let n = 0;
    for (const e of scanQueue(dir, "incoming")) {
      if (e.id.length > 0) n++;
      if ((n & 1023) === 0) {
        Bun.gc(true);
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    expect(n).toBe(N);
    expect(peak - before).toBeLessThan(1_000_000);
  });
});
