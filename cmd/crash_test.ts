/**
 * Nothing lost: messages flow from sendmail through pickup, cleanup and qmgr while the master and all its children
 * are killed with SIGKILL at random moments and restarted. Every message that sendmail accepted (exit 0) must be
 * delivered at least once (exactly once unless a crash fell between a delivery and its record), and at the end no
 * message may be left in any queue or moved to corrupt. The proof is the mail log, so this also checks that a
 * daemon's records reach the log before the state changes they describe (cleanup's `message-id=` line before the
 * queue file is committed, an agent's `status=sent` before the queue manager may remove the file).
 */
import { test, expect } from "bun:test";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { BIN, makeInstance, runTool } from "./_testkit.ts";
import { scanQueue } from "../internal/queue/index.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";

function masterPid(queue: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(queue, "pid", "master.pid"), "utf8").trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

test("SIGKILL of the whole mail system at random moments loses no accepted message", async () => {
  const inst = makeInstance("local_transport = discard:delivered\ndefault_transport = discard:delivered\n");
  writeFileSync(join(inst.config, "master.cf"), stockMasterCf(null));
  const logPath = join(inst.dir, "log", "maillog");
  const N = 120;
  const accepted: number[] = [];
  let kills = 0;
  try {
    expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
    let submitted = 0;
    let submitting = true;
    const submitter = (async () => {
      while (submitted < N) {
        const batch = Array.from({ length: Math.min(4, N - submitted) }, () => submitted++);
        await Promise.all(
          batch.map(async (n) => {
            const p = Bun.spawn({
              cmd: [BIN, "-C", inst.config, "-f", "sender@example.test", `rcpt${n % 3}@example.test`],
              argv0: "sendmail",
              stdin: Buffer.from(`Message-Id: <crash-${n}@test>\nSubject: crash ${n}\n\nbody ${n}\n`),
              stdout: "ignore",
              stderr: "ignore",
            });
            if ((await p.exited) === 0) accepted.push(n);
          }),
        );
        await Bun.sleep(40 + Math.random() * 60); // spread the submissions over several crashes
      }
      submitting = false;
    })();
    const killer = (async () => {
      // a fast machine may submit everything before the third kill; a master that never starts ends the loop too
      for (let round = 0; (submitting || kills < 3) && round < 100; round++) {
        await Bun.sleep(60 + Math.random() * 200);
        const pid = masterPid(inst.queue);
        if (pid === undefined) continue;
        try {
          process.kill(-pid, "SIGKILL"); // the master's process group: the master and every child
        } catch {
          process.kill(pid, "SIGKILL");
        }
        kills++;
        await Bun.sleep(50 + Math.random() * 100);
        runTool("postfix", ["-c", inst.config, "start"]);
      }
    })();
    await Promise.all([submitter, killer]);
    if (masterPid(inst.queue) === undefined) expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
    runTool("postfix", ["-c", inst.config, "flush"]);
    const pending = () =>
      ["maildrop", "incoming", "active", "deferred"].reduce((n, q) => n + [...scanQueue(inst.queue, q as "incoming", { missingOk: true })].length, 0);
    const deadline = Date.now() + 30000;
    while (pending() > 0 && Date.now() < deadline) {
      await Bun.sleep(100);
      runTool("postfix", ["-c", inst.config, "flush"]);
    }
    expect(pending()).toBe(0);
    expect([...scanQueue(inst.queue, "corrupt", { missingOk: true })]).toEqual([]);

    // every accepted message reached a delivery: message-id → queue ids → status=sent
    const log = existsSync(logPath) ? readFileSync(logPath, "utf8") : "";
    const idsOf = new Map<number, Set<string>>();
    for (const m of log.matchAll(/ (\w+): message-id=<crash-(\d+)@test>/g)) {
      const n = Number(m[2]);
      if (!idsOf.has(n)) idsOf.set(n, new Set());
      idsOf.get(n)!.add(m[1]!);
    }
    const sent = new Set([...log.matchAll(/ (\w+): to=<[^>]+>, relay=none, .*status=sent/g)].map((m) => m[1]!));
    const lost = accepted.filter((n) => ![...(idsOf.get(n) ?? [])].some((id) => sent.has(id)));
    expect(lost).toEqual([]);
    expect(accepted.length).toBe(N); // sendmail does not need the mail system: every submission is accepted
    expect(kills).toBeGreaterThanOrEqual(3);
  } finally {
    const pid = masterPid(inst.queue);
    if (pid !== undefined) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    inst.cleanup();
  }
}, 90000);
