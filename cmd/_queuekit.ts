/**
 * _queuekit — queue fixtures for the end-to-end tests of postqueue, mailq, postsuper and postcat: messages with
 * fixed queue IDs, arrival times, recipients, delay reasons and delivered recipients, written with the queue
 * writer into a postkit instance and, for the side-by-side tests, the same contents in Postfix's own format into a
 * private Postfix queue that Debian's postqueue/postsuper can read (bench/postfix_queue_file.ts). Tests only.
 */
import { chmodSync, mkdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { createQueueFile, layoutPath, openQueueFile, queueLayout, ensureQueueDirs, type QueueName, type RecipientStatusUpdate } from "../internal/queue/index.ts";
import { writePostfixQueueFile } from "../bench/postfix_queue_file.ts";
import { writeFileSync } from "node:fs";

/** One recipient of a fixture message. */
export interface FixtureRcpt {
  address: string;
  orig?: string;
  reason?: string;
  done?: boolean;
}

/** One fixture message. */
export interface FixtureMessage {
  queue: QueueName;
  id: string;
  sender: string;
  rcpts: FixtureRcpt[];
  arrival: number;
  content?: string;
  forcedExpire?: boolean;
  fullName?: string;
}

/** Wed Nov 25 05:26:10 2026 UTC, the arrival time of the observed examples in postfix.md. */
export const T0 = 1795584370;

/** Writes `msgs` into the postkit queue under `queueDir` (hash_queue_names defaults, depth 1). */
export function writeMessages(queueDir: string, msgs: readonly FixtureMessage[], opts: { longIds?: boolean } = {}): void {
  ensureQueueDirs(queueDir);
  const layout = queueLayout(queueDir, { longIds: opts.longIds });
  for (const m of msgs) {
    const w = createQueueFile({ queueDir, queueName: m.queue });
    w.writeEnvelope({
      sender: m.sender,
      fullName: m.fullName,
      recipients: m.rcpts.map((r) => ({ address: r.address, origAddress: r.orig })),
      arrivalTime: { sec: m.arrival, usec: 0 },
      createTime: m.arrival,
      attributes: { rewrite_context: "local" },
    });
    const content = m.content ?? "Subject: test\nFrom: someone@example.org\n\nbody line 1\nbody line 2\n";
    const blank = content.indexOf("\n\n");
    if (blank >= 0) {
      w.writeContent(content.slice(0, blank + 1));
      w.markBodyStart();
      w.writeContent(content.slice(blank + 1));
    } else w.writeContent(content);
    const done = w.finish({ durable: false });
    if (m.rcpts.some((r) => r.reason !== undefined || r.done)) {
      const f = openQueueFile(done.path, { write: true });
      try {
        const env = f.envelope();
        f.appendRecipientStatus(
          m.rcpts.flatMap((r, i): RecipientStatusUpdate[] =>
            r.done
              ? [{ recipient: env.recipients[i]!, status: "delivered" as const, dsn: "2.0.0", reason: "delivered", time: m.arrival + 60 }]
              : r.reason !== undefined
                ? [{ recipient: env.recipients[i]!, status: "deferred" as const, dsn: "4.4.1", reason: r.reason, time: m.arrival + 60 }]
                : [],
          ),
        );
      } finally {
        f.close();
      }
    }
    const path = layoutPath(layout, m.queue, m.id);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    renameSync(done.path, path);
    if (m.forcedExpire) chmodSync(path, 0o710);
  }
}

/** Writes the same messages in Postfix's format into a private Postfix instance at `dir` (etc/, queue/); returns its config dir. */
export function writePostfixTwin(dir: string, msgs: readonly FixtureMessage[], sizes: ReadonlyMap<string, number>): string {
  const etc = join(dir, "etc");
  const queue = join(dir, "queue");
  for (const d of ["maildrop", "incoming", "active", "deferred", "hold", "defer", "bounce", "trace", "flush"]) mkdirSync(join(queue, d), { recursive: true, mode: 0o700 });
  mkdirSync(etc, { recursive: true });
  writeFileSync(
    join(etc, "main.cf"),
    `queue_directory = ${queue}\ndata_directory = ${join(dir, "data")}\nmaillog_file_prefixes = ${dir}\nmaillog_file = ${join(dir, "maillog")}\n` +
      `myhostname = host.example.test\ncompatibility_level = 3.6\n`,
  );
  const layout = queueLayout(queue);
  for (const m of msgs) {
    writePostfixQueueFile(
      layoutPath(layout, m.queue, m.id),
      {
        sender: m.sender,
        recipients: m.rcpts.filter((r) => !r.done).map((r) => ({ address: r.address, origAddress: r.orig, deferReason: r.reason })),
        arrival: m.arrival,
        contentSize: sizes.get(m.id),
        fullName: m.fullName,
        mode: m.forcedExpire ? 0o710 : 0o700,
      },
      layoutPath(layout, "defer", m.id),
    );
  }
  // Postfix reads the queue and writes its log as mail_owner
  if (process.getuid?.() === 0) Bun.spawnSync({ cmd: ["chown", "-R", "postfix", dir] });
  return etc;
}
