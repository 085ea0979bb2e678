/**
 * fill_queue.ts — writes N messages into a queue of a postkit instance with the queue writer, for bench/queue.sh
 * and manual testing. Run with node_modules/.bin/bun:
 *
 *   bun bench/fill_queue.ts QUEUE_DIR N [deferred|hold|incoming|active|maildrop] [SIZE]
 *
 * Each message: sender bench@example.test, one recipient pfbench@example.test (deferred messages also get a
 * deferral reason, as after a failed delivery attempt), a SIZE-byte body (default 1024), arrival times spread over
 * the last two days. Files are finished without per-file fsync and synced once at the end (syncfs). Prints the
 * number written.
 */
import { createQueueFile, ensureQueueDirs, openQueueFile, syncQueueFileSystem, type QueueName } from "../internal/queue/index.ts";

const [queueDir, countText, queueText = "deferred", sizeText = "1024"] = process.argv.slice(2);
if (!queueDir || !countText) {
  console.error("usage: bun bench/fill_queue.ts QUEUE_DIR N [deferred|hold|incoming|active|maildrop] [SIZE]");
  process.exit(64);
}
const n = Number(countText);
const queueName = queueText as QueueName;
ensureQueueDirs(queueDir);
const body = `${"x".repeat(71)}\n`.repeat(Math.max(1, Math.ceil(Number(sizeText) / 72)));
const now = Math.floor(Date.now() / 1000);
const reason = "connect to 127.0.0.1[127.0.0.1]:9: Connection refused";
for (let i = 0; i < n; i++) {
  const w = createQueueFile({ queueDir, queueName });
  w.writeEnvelope({
    sender: "bench@example.test",
    recipients: [{ address: "pfbench@example.test" }],
    arrivalTime: { sec: now - (i % 172800), usec: 0 },
    attributes: { rewrite_context: "local" },
  });
  w.writeContent(`Received: by bench.example.test (postkit)\nSubject: bench ${i}\nFrom: bench@example.test\nTo: pfbench@example.test\n`);
  w.markBodyStart();
  w.writeContent(`\n${body}`);
  const done = w.finish({ durable: false });
  if (queueName === "deferred") {
    const f = openQueueFile(done.path, { write: true });
    try {
      const env = f.envelope();
      f.appendRecipientStatus({ recipient: env.recipients[0]!, status: "deferred", dsn: "4.4.1", reason });
    } finally {
      f.close();
    }
  }
}
syncQueueFileSystem(queueDir);
console.log(n);
