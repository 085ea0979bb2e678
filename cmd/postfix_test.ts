/**
 * The running mail system, end to end through the compiled binary: postfix start/status/reload/stop, a message
 * dropped into maildrop going through pickup, cleanup and qmgr to the discard and error transports, bounces,
 * deferral and retry, and recovery of the active queue after a crash.
 */
import { test, expect, describe, afterAll, beforeAll } from "bun:test";
import { readFileSync, writeFileSync, existsSync, chmodSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, runTool, type Instance, waitFor } from "./_testkit.ts";
import { createQueueFile, scanQueue, openQueueFile, queueLayout, layoutPath } from "../internal/queue/index.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";

/** Drops a message into maildrop the way sendmail does (a complete queue file, owned by us). */
function drop(inst: Instance, sender: string, rcpts: string[], content: string): string {
  const w = createQueueFile({ queueDir: inst.queue, queueName: "maildrop", mode: 0o744 });
  w.writeEnvelope({ sender, recipients: rcpts.map((address) => ({ address })), uid: process.getuid!(), attributes: [["rewrite_context", "local"]] });
  w.writeContent(content);
  return w.finish().queueId;
}

function log(inst: Instance): string {
  const p = join(inst.dir, "log", "maillog");
  return existsSync(p) ? readFileSync(p, "utf8") : "";
}


function ids(inst: Instance, queue: "incoming" | "active" | "deferred" | "maildrop" | "hold" | "corrupt"): string[] {
  return [...scanQueue(inst.queue, queue, { missingOk: true })].map((e) => e.id);
}

/** The pid of the instance's running master. */
function masterPid(inst: Instance): number {
  return Number(readFileSync(join(inst.queue, "pid", "master.pid"), "utf8").trim());
}

/** A test instance (makeInstance()) with the stock master.cf. */
function stockInstance(mainCf = ""): Instance {
  const inst = makeInstance(mainCf);
  writeFileSync(join(inst.config, "master.cf"), stockMasterCf(null));
  return inst;
}

/** The pids of a process's children. */
function childrenOf(pid: number): number[] {
  const p = Bun.spawnSync({ cmd: ["pgrep", "-P", String(pid)], stdout: "pipe" });
  return p.stdout.toString().trim().split("\n").filter(Boolean).map(Number);
}

describe("postfix start, status, stop", () => {
  let inst: Instance;
  beforeAll(() => {
    inst = stockInstance("local_transport = discard:delivered locally\ndefault_transport = error:5.1.2 no remote delivery here\n");
  });
  afterAll(() => {
    runTool("postfix", ["-c", inst.config, "abort"]);
    inst.cleanup();
  });

  test("status is 1 before start; start creates the queue and runs the master; a second start fails", async () => {
    expect(runTool("postfix", ["-c", inst.config, "status"]).status).toBe(1);
    expect(log(inst)).toContain("postfix/postfix-script[");
    expect(log(inst)).toContain("the Postfix mail system is not running");
    const r = runTool("postfix", ["-c", inst.config, "start"]);
    expect(r.status).toBe(0);
    for (const q of ["maildrop", "incoming", "active", "deferred", "hold", "corrupt", "public", "private", "pid"]) {
      expect(existsSync(join(inst.queue, q))).toBe(true);
    }
    expect(runTool("postfix", ["-c", inst.config, "status"]).status).toBe(0);
    expect(log(inst)).toMatch(/postfix\/master\[\d+\]: daemon started -- version 3\.7\.11, configuration /);
    expect(log(inst)).toMatch(/the Postfix mail system is running: PID: \d+/);
    const again = runTool("postfix", ["-c", inst.config, "start"]);
    expect(again.status).toBe(1);
    expect(log(inst)).toContain("fatal: the Postfix mail system is already running");
  });

  test("a dropped message is picked up, delivered, bounced, and the bounce delivered", async () => {
    const id = drop(inst, "alice", ["bob", "carol@remote.example"], "Subject: hello\nTo: bob\n\nbody line\n");
    expect(runTool("postkick", ["-c", inst.config, "public", "pickup", "W"]).status).toBe(0);
    await waitFor("the bounce to be delivered", () => /sender non-delivery notification: (\w+)/.test(log(inst)) && /to=<alice@host\.example\.test>, relay=none.*status=sent/.test(log(inst)));
    const l = log(inst);
    const newId = /(\w+): uid=\d+ from=<alice>/.exec(l)![1]!;
    expect(newId).not.toBe(id);
    expect(l).toContain(`${newId}: message-id=<`);
    expect(l).toContain(`${newId}: from=<alice@host.example.test>, size=`);
    // each line under the tag of the Postfix program that writes it, as log readers (pflogsumm) count them
    expect(l).toMatch(new RegExp(` postfix/pickup\\[\\d+\\]: ${newId}: uid=\\d+ from=<alice>`));
    expect(l).toMatch(new RegExp(` postfix/cleanup\\[\\d+\\]: ${newId}: message-id=<`));
    expect(l).toMatch(new RegExp(` postfix/qmgr\\[\\d+\\]: ${newId}: from=<alice@host\\.example\\.test>, size=`));
    expect(l).toMatch(new RegExp(` postfix/bounce\\[\\d+\\]: ${newId}: sender non-delivery notification: \\w+`));
    expect(l).toMatch(new RegExp(`${newId}: to=<bob@host\\.example\\.test>, orig_to=<bob>, relay=none, delay=[\\d.]+, delays=[\\d./]+, dsn=2\\.0\\.0, status=sent \\(delivered locally\\)`));
    expect(l).toMatch(new RegExp(`${newId}: to=<carol@remote\\.example>, relay=none, .*dsn=5\\.1\\.2, status=bounced \\(no remote delivery here\\)`));
    expect(l).toContain(`${newId}: removed`);
    await waitFor("an empty queue", () => ids(inst, "incoming").length + ids(inst, "active").length + ids(inst, "maildrop").length === 0);
  });

  const havePflogsumm = existsSync("/usr/sbin/pflogsumm");
  if (!havePflogsumm) console.log("skip: pflogsumm is not installed (apt-get install pflogsumm): its count of picked-up mail is not checked");
  test.skipIf(!havePflogsumm)("pflogsumm counts the picked-up messages as received", () => {
    const r = Bun.spawnSync(["/usr/sbin/pflogsumm", join(inst.dir, "log", "maillog")], { stdout: "pipe", stderr: "pipe" });
    // the message and its bounce: pflogsumm counts `postfix/pickup` lines (and smtpd's), not the queue manager's
    expect(Number(/^\s*(\d+)\s+received$/m.exec(r.stdout.toString())?.[1])).toBeGreaterThanOrEqual(1);
  });

  test("reload rereads main.cf: a transport change applies to the next message", async () => {
    writeFileSync(join(inst.config, "main.cf"), readFileSync(join(inst.config, "main.cf"), "utf8") + "defer_transports = discard\n");
    expect(runTool("postfix", ["-c", inst.config, "reload"]).status).toBe(0);
    await waitFor("the reload", () => /reload -- version 3\.7\.11, configuration/.test(log(inst)));
    await Bun.sleep(300);
    drop(inst, "dave", ["erin"], "Subject: later\n\nx\n");
    runTool("postkick", ["-c", inst.config, "public", "pickup", "W"]);
    await waitFor("the message to be deferred", () => ids(inst, "deferred").length === 1);
    expect(log(inst)).toMatch(/to=<erin@host\.example\.test>, orig_to=<erin>, relay=none, .*dsn=4\.3\.2, status=deferred \(deferred transport\)/);
    const id = ids(inst, "deferred")[0]!;
    using f = openQueueFile(layoutPath(queueLayout(inst.queue), "deferred", id));
    expect(f.envelope().recipients[0]!.status?.reason).toBe("deferred transport");
  });

  test("postfix flush retries deferred mail at once", async () => {
    writeFileSync(join(inst.config, "main.cf"), readFileSync(join(inst.config, "main.cf"), "utf8").replace("defer_transports = discard\n", ""));
    expect(runTool("postfix", ["-c", inst.config, "reload"]).status).toBe(0);
    await Bun.sleep(500);
    expect(runTool("postfix", ["-c", inst.config, "flush"]).status).toBe(0);
    await waitFor("the deferred message to be delivered", () => ids(inst, "deferred").length === 0 && /to=<erin@host\.example\.test>.*status=sent/.test(log(inst)));
  });

  test("stop drains and ends the master; status is 1 again; stop again fails", async () => {
    expect(runTool("postfix", ["-c", inst.config, "stop"]).status).toBe(0);
    expect(runTool("postfix", ["-c", inst.config, "status"]).status).toBe(1);
    expect(log(inst)).toContain("postfix/master[");
    expect(log(inst)).toContain("terminating on signal 15");
    expect(runTool("postfix", ["-c", inst.config, "stop"]).status).toBe(1);
  });
});

describe("crash recovery", () => {
  test("a message left in active by a crash is delivered after the restart, and maildrop waits while the system is down", async () => {
    const inst = stockInstance("local_transport = discard:ok\n");
    try {
      expect(runTool("postfix", ["-c", inst.config, "check"]).status).toBe(0);
      // a queue file in active, as a crashed qmgr leaves it
      const w = createQueueFile({ queueDir: inst.queue, queueName: "active" });
      w.writeEnvelope({ sender: "x@host.example.test", recipients: [{ address: "y@host.example.test" }] });
      w.writeContent("Subject: crash\n\nbody\n");
      const crashed = w.finish().queueId;
      const dropped = drop(inst, "z", ["w"], "Subject: waiting\n\nbody\n");
      chmodSync(join(inst.queue, "maildrop"), 0o1733);
      expect(ids(inst, "maildrop")).toEqual([dropped]);
      expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
      await waitFor("both messages delivered", () => log(inst).includes(`${crashed}: removed`) && /to=<w@host\.example\.test>.*status=sent/.test(log(inst)));
    } finally {
      runTool("postfix", ["-c", inst.config, "stop"]);
      inst.cleanup();
    }
  });
});

test("postfix refuses unknown commands and relative -c like Postfix", () => {
  const inst = stockInstance();
  try {
    const r = runTool("postfix", ["-c", inst.config, "bogus"]);
    expect(r.status).toBe(1);
    expect(log(inst)).toContain(
      "fatal: unknown command: 'bogus'. Usage: postfix start (or stop, reload, abort, flush, check, status, set-permissions, upgrade-configuration, logrotate)",
    );
    const rel = runTool("postfix", ["-c", "etc", "status"]);
    expect(rel.status).toBe(1);
  } finally {
    inst.cleanup();
  }
});

describe("deferral, delay warnings and expiry", () => {
  test("a deferred message gets one delay warning, then expires back to its sender", async () => {
    const inst = stockInstance(
      "local_transport = discard:ok\ndefault_transport = retry:4.4.1 host unreachable\n" +
        "delay_warning_time = 1s\nmaximal_queue_lifetime = 3s\nminimal_backoff_time = 1s\nmaximal_backoff_time = 1s\nqueue_run_delay = 1s\n",
    );
    try {
      expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
      drop(inst, "alice", ["far@remote.example"], "Subject: slow\n\nbody\n");
      runTool("postkick", ["-c", inst.config, "public", "pickup", "W"]);
      await waitFor("the first deferral", () => /to=<far@remote\.example>, relay=none, .*dsn=4\.4\.1, status=deferred \(host unreachable\)/.test(log(inst)));
      await waitFor("the delay warning", () => /sender delay notification: \w+/.test(log(inst)), 15000);
      await waitFor("expiry", () => /to=<far@remote\.example>, relay=none, .*status=expired, returned to sender \(host unreachable\)/.test(log(inst)), 20000);
      await waitFor("the non-delivery notice", () => /sender non-delivery notification: \w+/.test(log(inst)));
      expect(log(inst).match(/sender delay notification/g)!.length).toBe(1);
      await waitFor("an empty queue", () => ids(inst, "deferred").length + ids(inst, "active").length + ids(inst, "incoming").length === 0);
    } finally {
      runTool("postfix", ["-c", inst.config, "abort"]);
      inst.cleanup();
    }
  }, 60000);
});

test("the master restarts a daemon that dies, and mail keeps flowing", async () => {
  const inst = stockInstance("local_transport = discard:ok\n");
  try {
    expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
    const master = masterPid(inst);
    await waitFor("the qmgr process", () => childrenOf(master).length > 0);
    const [qmgr] = childrenOf(master);
    process.kill(qmgr!, "SIGKILL");
    await waitFor("the restart warning", () => new RegExp(`warning: process qmgr pid ${qmgr} killed by signal 9`).test(log(inst)));
    await waitFor("a new qmgr", () => childrenOf(master).some((p) => p !== qmgr));
    drop(inst, "a", ["b"], "Subject: after\n\nx\n");
    runTool("postkick", ["-c", inst.config, "public", "pickup", "W"]);
    await waitFor("delivery", () => /to=<b@host\.example\.test>.*status=sent/.test(log(inst)));
  } finally {
    runTool("postfix", ["-c", inst.config, "abort"]);
    inst.cleanup();
  }
}, 30000);

test("the daemons stop when their master is killed: no orphaned queue manager beside the next master", async () => {
  const inst = stockInstance("local_transport = discard:ok\n");
  try {
    expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
    const master = masterPid(inst);
    await waitFor("the daemons", () => childrenOf(master).length >= 3);
    const daemons = childrenOf(master);
    process.kill(master, "SIGKILL"); // the master alone: it cannot tell its children
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor("the daemons to exit", () => !daemons.some(alive), 10000);
  } finally {
    runTool("postfix", ["-c", inst.config, "abort"]);
    inst.cleanup();
  }
}, 30000);

test("the seed scenario: postsuper -r - then postkick public pickup W requeues with a new ID and another Received", async () => {
  const inst = stockInstance("local_transport = discard:ok\ndefault_transport = retry:4.4.1 no route to host\n");
  try {
    expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
    expect(runTool("sendmail", ["-f", "a@example.test", "far@remote.example"], { env: { MAIL_CONFIG: inst.config }, stdin: "Subject: seed\n\nbody\n" }).status).toBe(0);
    await waitFor("the deferral", () => ids(inst, "deferred").length === 1);
    const old = ids(inst, "deferred")[0]!;
    // a queue file records no submitter (Postfix's neither): pickup logs a requeued file with the uid of its owner
    // (mail_owner as root, else the instance's user), as Postfix's pickup does
    expect(runTool("postcat", ["-c", inst.config, "-eq", old]).stdout).not.toContain("submit_uid");
    const owner = statSync(layoutPath(queueLayout(inst.queue), "deferred", old)).uid;
    const mailq = runTool("mailq", ["-c", inst.config]).stdout;
    const list = mailq.split("\n").filter((l) => /^[0-9A-F]/.test(l)).map((l) => l.split(/\s+/)[0]!.replace(/[*!]/g, "")).join("\n");
    expect(list).toBe(old);
    const r = runTool("postsuper", ["-c", inst.config, "-r", "-"], { stdin: `${list}\n` });
    expect(r.stderr).toBe(`postsuper: ${old}: requeued\npostsuper: Requeued: 1 message\n`);
    expect(runTool("postkick", ["-c", inst.config, "public", "pickup", "W"]).status).toBe(0);
    const requeuedLine = new RegExp(`(\\w+): uid=${owner} from=<a@example\\.test> orig_id=${old}`);
    await waitFor("the requeued copy", () => requeuedLine.test(log(inst)));
    const fresh = requeuedLine.exec(log(inst))![1]!;
    expect(fresh).not.toBe(old);
    await waitFor("its deferral", () => ids(inst, "deferred").includes(fresh));
    const headers = runTool("postcat", ["-c", inst.config, "-hq", fresh]).stdout;
    expect(headers.match(/^Received: by host\.example\.test/gm)?.length).toBe(2);
    expect([...scanQueue(inst.queue, "corrupt", { missingOk: true })]).toEqual([]);
  } finally {
    runTool("postfix", ["-c", inst.config, "abort"]);
    inst.cleanup();
  }
}, 30000);

describe("the environment of the daemons", () => {
  test("children get what import_environment names (NAME copies, NAME=VALUE sets) and nothing else", async () => {
    const inst = stockInstance(
      "local_transport = discard\nimport_environment = MAIL_CONFIG TZ LANG=C KEEP_ME {SPACED=a b} ABSENT_ONE\n",
    );
    try {
      const env = { KEEP_ME: "kept", DROP_ME: "dropped", TZ: "UTC" };
      expect(runTool("postfix", ["-c", inst.config, "start"], { env }).status).toBe(0);
      const childEnv = (): string[] => {
        for (const pid of childrenOf(masterPid(inst))) return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
        return [];
      };
      await waitFor("a child of the master", () => childEnv().length > 0);
      const e = childEnv();
      expect(e).toContain("KEEP_ME=kept");
      expect(e).toContain("SPACED=a b");
      expect(e).toContain("LANG=C");
      expect(e).toContain("TZ=UTC");
      expect(e).toContain(`MAIL_CONFIG=${inst.config}`);
      expect(e.some((v) => v.startsWith("DROP_ME=") || v.startsWith("ABSENT_ONE=") || v.startsWith("HOME="))).toBe(false);
    } finally {
      runTool("postfix", ["-c", inst.config, "abort"]);
      inst.cleanup();
    }
  }, 30000);
});

describe("mail submitted before the first start", () => {
  const asRoot = process.getuid?.() === 0;
  test.skipIf(!asRoot)("root's submissions to a maildrop that is not yet set-gid are readable by pickup after start", async () => {
    const inst = stockInstance("local_transport = discard:delivered locally\n");
    try {
      mkdirSync(join(inst.queue, "maildrop"), { recursive: true });
      chmodSync(join(inst.queue, "maildrop"), 0o1733);
      const sent = runTool("sendmail", ["-C", inst.config, "-i", "-f", "root", "someone"], { stdin: "Subject: early\n\nbody\n" });
      expect(sent.status).toBe(0);
      expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
      await waitFor("the early message's delivery", () => /to=<someone@host\.example\.test>.*status=sent \(delivered locally\)/.test(log(inst)));
      expect(log(inst)).not.toContain("permission denied");
    } finally {
      runTool("postfix", ["-c", inst.config, "abort"]);
      inst.cleanup();
    }
  }, 30000);
  if (!asRoot) console.log("skipped: the maildrop adoption test needs root (the master changes groups only as root)");
});

describe("an instance its daemons cannot reach", () => {
  const asRoot = process.getuid?.() === 0;
  test.skipIf(!asRoot)("a delivery agent that cannot create its socket says why, in one fatal line", async () => {
    const inst = stockInstance();
    try {
      chmodSync(inst.dir, 0o700); // mail_owner cannot enter: local stays root but binds as mail_owner
      expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
      await waitFor("local's fatal line", () => log(inst).includes(`fatal: bind ${inst.queue}/private/local: Permission denied`));
      expect(log(inst)).toMatch(new RegExp(` postfix/local\\[\\d+\\]: fatal: bind ${inst.queue}/private/local: Permission denied\n`));
      expect(log(inst)).not.toContain("panic");
      expect(log(inst)).not.toContain("Failed to listen");
    } finally {
      runTool("postfix", ["-c", inst.config, "abort"]);
      inst.cleanup();
    }
  }, 30000);
  if (!asRoot) console.log("skipped: the unreachable-instance test needs root (daemons change identity only as root)");
});

describe("arrival time of mail that waited in maildrop", () => {
  test("the message keeps its submission time (Postfix's pickup passes postdrop's), so delay= counts the wait", async () => {
    const inst = stockInstance("local_transport = discard:delivered locally\n");
    try {
      expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
      expect(runTool("postfix", ["-c", inst.config, "stop"]).status).toBe(0);
      const id = drop(inst, "a@example.test", ["waited@host.example.test"], "Subject: waited\n\nbody\n");
      const listed = JSON.parse(runTool("postqueue", ["-c", inst.config, "-j"]).stdout.trim().split("\n")[0]!);
      expect(listed.queue_id).toBe(id);
      await Bun.sleep(1600);
      expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
      await waitFor("the delivery", () => /to=<waited@host\.example\.test>.*status=sent/.test(log(inst)));
      const delay = Number(/to=<waited@host\.example\.test>, relay=[^,]+, delay=([\d.]+)/.exec(log(inst))![1]);
      expect(delay).toBeGreaterThanOrEqual(1.5);
    } finally {
      runTool("postfix", ["-c", inst.config, "abort"]);
      inst.cleanup();
    }
  }, 30000);
});

describe("message sizes as Postfix reports them", () => {
  /**
   * Postfix's message_size of stored content, computed line by line as its queue file records take it (the rules of
   * internal/queue/reported_size.ts, checked there against Postfix's own queue files): per line a type byte, the
   * length in 7-bit groups and the bytes, lines cut every 2048 bytes. `open`: the last line came without a newline
   * (cleanup stores one; Postfix stores a continued record and an empty one that ends it: two bytes more).
   */
  function postfixSize(content: Buffer, open: boolean): number {
    const rec = (n: number) => 2 + n + (n >= 128 ? 1 : 0) + (n >= 16384 ? 1 : 0);
    const text = content.toString("latin1");
    const lines = text.split("\n");
    const last = lines.pop()!;
    let size = 0;
    let body = false;
    for (const l of lines) {
      if (l === "") body = true;
      const full = Math.floor(l.length / 2048);
      const rest = l.length % 2048;
      size += full * rec(2048) + (rest > 0 || full === 0 || body ? rec(rest) : 0);
    }
    expect(last).toBe("");
    return open && lines[lines.length - 1]!.length % 2048 !== 0 ? size + 2 : size;
  }

  test("sendmail input with long lines and without a final newline: postqueue -j, mailq, postcat and the log agree with Postfix's count", async () => {
    const inst = stockInstance("local_transport = discard:ok\ndefault_transport = retry:4.4.1 host unreachable\nminimal_backoff_time = 1h\nmaximal_backoff_time = 1h\n");
    try {
      expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
      const inputs = [`Subject: long\n\n${"x".repeat(2049)}\n${"y".repeat(5000)}\n${"z".repeat(4096)}\n`, "Subject: open\n\nline one\nno newline at end"];
      for (const [i, input] of inputs.entries()) {
        expect(runTool("sendmail", ["-C", inst.config, "-f", `s${i}@example.test`, "far@remote.example"], { stdin: input }).status).toBe(0);
      }
      await waitFor("both deferrals", () => ids(inst, "deferred").length === 2);
      const listed = runTool("postqueue", ["-c", inst.config, "-j"]).stdout.trim().split("\n").map((l) => JSON.parse(l) as { queue_id: string; message_size: number; sender: string });
      expect(listed.length).toBe(2);
      for (const m of listed) {
        const f = openQueueFile(layoutPath(queueLayout(inst.queue), "deferred", m.queue_id));
        let content: Buffer;
        let bytes: number;
        try {
          content = Buffer.concat([...f.content()]);
          bytes = f.envelope().messageSize;
        } finally {
          f.close();
        }
        expect(content.toString("latin1")).toContain(m.sender === "s0@example.test" ? "x".repeat(2049) : "no newline at end");
        const want = postfixSize(content, m.sender === "s1@example.test");
        expect(want).toBeGreaterThan(bytes);
        expect(m.message_size).toBe(want);
        expect(log(inst)).toContain(`${m.queue_id}: from=<`);
        expect(log(inst)).toMatch(new RegExp(`${m.queue_id}: from=<s\\d@example\\.test>, size=${want}, nrcpt=1 \\(queue active\\)`));
        expect(runTool("mailq", ["-c", inst.config]).stdout).toMatch(new RegExp(`^${m.queue_id}\\s+${want} `, "m"));
        expect(runTool("postcat", ["-c", inst.config, "-e", "-q", m.queue_id]).stdout).toMatch(new RegExp(`^message_size:\\s+${want}\\s`, "m"));
      }
    } finally {
      runTool("postfix", ["-c", inst.config, "abort"]);
      inst.cleanup();
    }
  }, 30000);
});
