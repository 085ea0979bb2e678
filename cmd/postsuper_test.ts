/**
 * postsuper end-to-end tests: Postfix's per-ID and summary messages (golden), default queues per option, ALL,
 * IDs on stdin, hostile IDs, unknown queues, usage; the lock protocol (a message held by another process is
 * waited for, then acted on); structure repair and purge; selectors, --dry-run, --max, --json; and the same
 * commands side by side with Debian's postsuper on twin queues.
 */
import { test, expect, describe } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, expectGolden, haveProgram, makeInstance, runTool, type Instance } from "./_testkit.ts";
import { T0, writeMessages, writePostfixTwin, type FixtureMessage } from "./_queuekit.ts";
import { layoutPath, queueLayout } from "../internal/queue/index.ts";

const REFUSED = "connect to 127.0.0.1[127.0.0.1]:9: Connection refused";
const MSGS: FixtureMessage[] = [
  { queue: "maildrop", id: "AAAAA100001", sender: "root", rcpts: [{ address: "x@a.example" }], arrival: T0 },
  { queue: "incoming", id: "BBBBB100002", sender: "bob@b.example", rcpts: [{ address: "x@a.example" }], arrival: T0 },
  { queue: "active", id: "CCCCC100003", sender: "carol@c.example", rcpts: [{ address: "x@a.example" }], arrival: T0 },
  { queue: "deferred", id: "DDDDD100004", sender: "dave@d.example", rcpts: [{ address: "x@a.example", reason: REFUSED }], arrival: T0 },
  { queue: "deferred", id: "DDDDD100005", sender: "dave@d.example", rcpts: [{ address: "y@a.example", reason: REFUSED }], arrival: T0 - 86400 * 10 },
  { queue: "hold", id: "EEEEE100006", sender: "erin@e.example", rcpts: [{ address: "x@a.example" }], arrival: T0 },
];

function fresh(msgs = MSGS): Instance {
  const i = makeInstance();
  writeMessages(i.queue, msgs);
  return i;
}

function where(i: Instance, id: string): string | undefined {
  const layout = queueLayout(i.queue);
  for (const q of ["maildrop", "incoming", "active", "deferred", "hold"]) if (existsSync(layoutPath(layout, q, id))) return q;
  return undefined;
}

const ps = (i: Instance, args: string[], stdin?: string) => runTool("postsuper", ["-c", i.config, ...args], { stdin });

test("per-ID operations print Postfix's lines and summaries, in command-line order (golden)", () => {
  const i = fresh();
  try {
    const r = ps(i, ["-h", "DDDDD100004", "-h", "AAAAA100001", "-H", "EEEEE100006", "-r", "BBBBB100002", "-e", "CCCCC100003", "-e", "CCCCC100003", "-d", "DDDDD100005", "-d", "NOSUCHID"]);
    expectGolden("postsuper", "per_id", "postsuper -h DDDDD100004 -h AAAAA100001 -H EEEEE100006 -r BBBBB100002 -e CCCCC100003 -e CCCCC100003 -d DDDDD100005 -d NOSUCHID", r);
    expect(where(i, "DDDDD100004")).toBe("hold");
    expect(where(i, "AAAAA100001")).toBe("maildrop"); // maildrop mail is never put on hold
    expect(where(i, "EEEEE100006")).toBe("deferred");
    expect(where(i, "BBBBB100002")).toBe("maildrop");
    expect(statSync(layoutPath(queueLayout(i.queue), "active", "CCCCC100003")).mode & 0o777).toBe(0o710);
    expect(where(i, "DDDDD100005")).toBeUndefined();
    // requeue sets the times to now
    expect(Math.abs(statSync(layoutPath(queueLayout(i.queue), "maildrop", "BBBBB100002")).mtimeMs / 1000 - Date.now() / 1000)).toBeLessThan(60);
  } finally {
    i.cleanup();
  }
});

test("-d removes the message's defer, bounce and trace logfiles first; -d ALL deferred leaves them (as Postfix)", () => {
  const i = fresh();
  try {
    const layout = queueLayout(i.queue);
    for (const id of ["DDDDD100004", "DDDDD100005"]) {
      for (const lq of ["defer", "bounce", "trace"]) {
        const p = layoutPath(layout, lq, id);
        mkdirSync(join(p, ".."), { recursive: true });
        writeFileSync(p, "log\n");
      }
    }
    expect(ps(i, ["-d", "DDDDD100004"]).stderr).toBe("postsuper: DDDDD100004: removed\npostsuper: Deleted: 1 message\n");
    for (const lq of ["defer", "bounce", "trace"]) expect(existsSync(layoutPath(layout, lq, "DDDDD100004"))).toBe(false);
    expect(ps(i, ["-d", "ALL", "deferred"]).stderr).toBe("postsuper: Deleted: 1 message\n");
    expect(existsSync(layoutPath(layout, "defer", "DDDDD100005"))).toBe(true);
    expect(ps(i, ["-d", "ALL"]).stderr).toBe("postsuper: Deleted: 4 messages\n");
    expect(existsSync(layoutPath(layout, "defer", "DDDDD100005"))).toBe(false);
  } finally {
    i.cleanup();
  }
});

test("ALL operations: counts, no per-ID lines; IDs from stdin", () => {
  const i = fresh();
  try {
    expect(ps(i, ["-h", "ALL"]).stderr).toBe("postsuper: Placed on hold: 4 messages\n");
    expect(ps(i, ["-H", "ALL", "-e", "ALL"]).stderr).toBe("postsuper: Force-expired: 5 messages\npostsuper: Released from hold: 5 messages\n");
    expect(ps(i, ["-r", "-"], "DDDDD100004\n../etc/passwd\nEEEEE100006\n\n").stderr).toBe(
      "postsuper: DDDDD100004: requeued\npostsuper: warning: invalid mail queue id: ../etc/passwd\npostsuper: EEEEE100006: requeued\npostsuper: warning: invalid mail queue id: \npostsuper: Requeued: 2 messages\n",
    );
    expect(ps(i, ["-f", "ALL"]).stderr).toBe("postsuper: Force-expired: 0 messages\npostsuper: Released from hold: 0 messages\n");
  } finally {
    i.cleanup();
  }
});

const havePython = haveProgram("/usr/bin/python3", "the non-blocking stdin test needs python3 to hand postsuper such a pipe");
test.skipIf(!havePython)("IDs from a non-blocking stdin pipe whose writer is slow: waited for, not an error", () => {
  // the reading end in O_NONBLOCK mode (as a parent may leave it): read(2) says EAGAIN until the writer writes
  const i = fresh();
  try {
    const script = [
      "import fcntl, os, subprocess, sys, time",
      "r, w = os.pipe()",
      "fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_NONBLOCK)",
      "p = subprocess.Popen(sys.argv[1:], stdin=r, stderr=subprocess.PIPE, executable=sys.argv[1])",
      "os.close(r)",
      "time.sleep(0.3)",
      "os.write(w, b'DDDDD100004\\n')",
      "time.sleep(0.2)",
      "os.write(w, b'EEEEE100006\\n')",
      "os.close(w)",
      "sys.stdout.buffer.write(p.stderr.read())",
      "sys.exit(p.wait())",
    ].join("\n");
    const r = Bun.spawnSync({ cmd: ["/usr/bin/python3", "-c", script, BIN, "postsuper", "-c", i.config, "-d", "-"], env: { PATH: process.env.PATH! } });
    expect(r.stdout.toString()).toBe("postsuper: DDDDD100004: removed\npostsuper: EEEEE100006: removed\npostsuper: Deleted: 2 messages\n");
    expect(r.exitCode).toBe(0);
    expect(where(i, "DDDDD100004")).toBeUndefined();
  } finally {
    i.cleanup();
  }
});

test("hostile IDs and queue names never touch a path; usage and -c", () => {
  const i = fresh();
  try {
    writeFileSync(join(i.dir, "victim"), "x");
    for (const id of ["../victim", "a/b", "..", ".", "x y", "é"]) {
      const r = ps(i, ["-d", id]);
      expect(r).toEqual({ stdout: "", stderr: `postsuper: warning: invalid mail queue id: ${id}\npostsuper: Deleted: 0 messages\n`, status: 0 });
    }
    expect(existsSync(join(i.dir, "victim"))).toBe(true);
    expect(ps(i, ["-d", "ALL", "../etc"])).toEqual({ stdout: "", stderr: "postsuper: fatal: invalid directory name: ../etc\n", status: 1 });
    expect(ps(i, ["-d", "ALL", "corrupt"]).stderr).toBe("postsuper: fatal: invalid directory name: corrupt\n");
    const u = ps(i, ["-x"]);
    expect(u.status).toBe(1);
    expect(u.stderr).toBe(
      "postsuper: invalid option -- 'x'\npostsuper: fatal: usage: postsuper [-c config_dir] [-d queue_id (delete)] [-e queue_id (expire)] [-f queue_id (expire and/or un-hold)] [-h queue_id (hold)] [-H queue_id (un-hold)] [-p (purge temporary files)] [-r queue_id (requeue)] [-s (structure fix)] [-S (redundant structure fix)][-v (verbose)] [queue...]\n",
    );
    expect(runTool("postsuper", ["-c", "relative/dir", "-d", "ALL"]).stderr).toBe("postsuper: fatal: -c requires absolute pathname\n");
  } finally {
    i.cleanup();
  }
});

test("a message locked by another process is waited for, then acted on", async () => {
  const i = fresh();
  try {
    const path = layoutPath(queueLayout(i.queue), "deferred", "DDDDD100004");
    // flock(1) holds a shared lock for 0.5 s, as a delivery agent would
    const holder = Bun.spawn({ cmd: ["flock", "-s", path, "sleep", "0.5"] });
    await Bun.sleep(100);
    const t = Date.now();
    const r = ps(i, ["-h", "DDDDD100004"]);
    expect(r.stderr).toBe("postsuper: DDDDD100004: placed on hold\npostsuper: Placed on hold: 1 message\n");
    expect(Date.now() - t).toBeGreaterThan(250);
    await holder.exited;
    // one that stays locked is acted on after the wait, with a warning (what Postfix does without locking)
    const h2 = Bun.spawn({ cmd: ["flock", "-s", layoutPath(queueLayout(i.queue), "deferred", "DDDDD100005"), "sleep", "6"] });
    await Bun.sleep(100);
    const r2 = ps(i, ["-d", "DDDDD100005"]);
    h2.kill();
    expect(r2.stderr).toBe("postsuper: warning: DDDDD100005: still in use by another process after 3s -- proceeding without the lock\npostsuper: DDDDD100005: removed\npostsuper: Deleted: 1 message\n");
  } finally {
    i.cleanup();
  }
});

test("-s moves files to the wanted hash directory and renames names that do not match the inode; -p purges old temp files", () => {
  const i = fresh([]);
  try {
    writeMessages(i.queue, [{ queue: "deferred", id: "DDDDD100004", sender: "a@b", rcpts: [{ address: "c@d" }], arrival: T0 }]);
    const layout = queueLayout(i.queue);
    const p = layoutPath(layout, "deferred", "DDDDD100004");
    // wrong place: flat in deferred/
    renameSync(p, join(i.queue, "deferred", "DDDDD100004"));
    rmSync(join(i.queue, "deferred", "D"), { recursive: true });
    const stale = join(i.queue, "incoming", "123456.789");
    writeFileSync(stale, "partial");
    utimesSync(stale, T0 - 86400 * 30, T0 - 86400 * 30);
    const r = ps(i, ["-s", "-p"]);
    expect(r.status).toBe(0);
    expect(existsSync(stale)).toBe(false);
    const files = readdirSync(join(i.queue, "deferred"), { recursive: true }) as string[];
    const ino = statSync(join(i.queue, "deferred", files.find((f) => f.includes("/") && !f.endsWith("/"))!)).ino;
    const newId = `DDDDD${ino.toString(16).toUpperCase()}`;
    expect(existsSync(layoutPath(layout, "deferred", newId))).toBe(true);
    expect(r.stderr).toBe("postsuper: Renamed to match inode number: 1 message\npostsuper: warning: QUEUE FILE NAMES WERE CHANGED TO MATCH INODE NUMBERS\n");
    // per-ID operations are refused after a rename
    renameSync(layoutPath(layout, "deferred", newId), layoutPath(layout, "deferred", "DDDDD100004"));
    const r2 = ps(i, ["-s", "-d", "DDDDD100004"]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toBe("postsuper: error: QUEUE FILE NAMES WERE CHANGED TO MATCH INODE NUMBERS\npostsuper: fatal: CHECK YOUR QUEUE IDS AND RE-ISSUE THE COMMAND\n");
  } finally {
    i.cleanup();
  }
});

describe("postkit additions", () => {
  test("selectors, --dry-run, --max, --json", () => {
    const i = fresh();
    try {
      const dry = ps(i, ["-d", "--sender", "^dave@", "--dry-run"]);
      expect(dry.stderr.split("\n").sort()).toEqual(["", "postsuper: DDDDD100004: would be removed", "postsuper: DDDDD100005: would be removed", "postsuper: Deleted: 2 messages (dry run)"]);
      expect(where(i, "DDDDD100004")).toBe("deferred");
      const max = ps(i, ["-h", "ALL", "--max", "3"]);
      expect(max).toEqual({ stdout: "", stderr: "postsuper: fatal: refusing to act on 4 messages: more than --max 3; nothing was changed\n", status: 1 });
      expect(where(i, "BBBBB100002")).toBe("incoming");
      const j = ps(i, ["-h", "--older", "5d", "--json"]);
      expect(j.stderr).toBe("postsuper: DDDDD100005: placed on hold\npostsuper: Placed on hold: 1 message\n");
      expect(j.stdout.trimEnd().split("\n").map((l) => JSON.parse(l))).toEqual([
        { queue_id: "DDDDD100005", queue_name: "deferred", action: "hold", result: "done" },
        { summary: { requeued: 0, deleted: 0, expired: 0, held: 1, released: 0, renamed: 0 }, dry_run: false },
      ]);
      expect(ps(i, ["-d", "ALL", "--rcpt", "^y@", "--queue", "hold"]).stderr).toBe("postsuper: DDDDD100005: removed\npostsuper: Deleted: 1 message\n");
    } finally {
      i.cleanup();
    }
  });
});

describe("side by side with Debian's postsuper", () => {
  const root = process.getuid?.() === 0;
  const have = haveProgram("/usr/sbin/postsuper", "Debian's Postfix");
  test.skipIf(!root || !have)("the same commands print the same on twin queues", () => {
    const ours = fresh();
    const pfDir = join(ours.dir, "pf");
    try {
      const etc = writePostfixTwin(pfDir, MSGS, new Map());
      chmodSync(ours.dir, 0o755);
      const env = { PATH: "/usr/sbin:/usr/bin:/bin", TZ: "UTC", LANG: "C" };
      const cmds: string[][] = [
        ["-h", "DDDDD100004", "-h", "AAAAA100001", "-H", "EEEEE100006", "-d", "NOSUCHID", "-d", "../x"],
        ["-r", "BBBBB100002", "-e", "CCCCC100003", "-e", "CCCCC100003"],
        ["-H", "ALL"],
        ["-f", "ALL", "-h", "ALL"],
        ["-d", "ALL", "deferred"],
        ["-d", "ALL"],
      ];
      for (const c of cmds) {
        const theirs = Bun.spawnSync({ cmd: ["/usr/sbin/postsuper", "-c", etc, ...c], env });
        const mine = ps(ours, c);
        expect({ args: c, stderr: mine.stderr, status: mine.status }).toEqual({ args: c, stderr: theirs.stderr.toString(), status: theirs.exitCode });
      }
    } finally {
      ours.cleanup();
    }
  });
});
