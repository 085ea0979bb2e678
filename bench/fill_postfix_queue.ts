/**
 * fill_postfix_queue.ts — makes a private Postfix instance at DIR (etc/main.cf, queue/) holding N_DEFERRED deferred
 * messages (each with a defer logfile, as after a failed delivery) and N_HOLD held messages, in Postfix's own
 * queue file format, owned by the postfix user; the twin of bench/fill_queue.ts for bench/queue.sh. Run with
 * node_modules/.bin/bun as root:
 *
 *   bun bench/fill_postfix_queue.ts DIR N_DEFERRED N_HOLD
 *
 * Messages look like bench/fill_queue.ts's (same headers, 1 KiB body, one recipient); queue IDs are valid short
 * IDs that do not match inode numbers (only `postsuper -s` would care). Prints the config directory.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { layoutPath, queueLayout } from "../internal/queue/index.ts";
import { writePostfixQueueFile } from "./postfix_queue_file.ts";

const [dir, deferredText, holdText] = process.argv.slice(2);
if (!dir || deferredText === undefined || holdText === undefined) {
  console.error("usage: bun bench/fill_postfix_queue.ts DIR N_DEFERRED N_HOLD");
  process.exit(64);
}
const etc = join(dir, "etc");
const queue = join(dir, "queue");
for (const d of ["maildrop", "incoming", "active", "deferred", "hold", "defer", "bounce", "trace", "flush", "pid", "public", "private"]) mkdirSync(join(queue, d), { recursive: true, mode: 0o700 });
mkdirSync(etc, { recursive: true });
writeFileSync(
  join(etc, "main.cf"),
  `queue_directory = ${queue}\ndata_directory = ${join(dir, "data")}\nmaillog_file_prefixes = ${dir}\nmaillog_file = ${join(dir, "maillog")}\n` +
    `myhostname = bench.example.test\ncompatibility_level = 3.6\n`,
);
const layout = queueLayout(queue);
const now = Math.floor(Date.now() / 1000);
const lines = ["Received: by bench.example.test (postkit)", "Subject: bench", "From: bench@example.test", "To: pfbench@example.test", "", ...Array(15).fill("x".repeat(71))];
const reason = "connect to 127.0.0.1[127.0.0.1]:9: Connection refused";
let n = 0;
const write = (queueName: "deferred" | "hold", count: number) => {
  for (let i = 0; i < count; i++, n++) {
    const id = (n % 1000000).toString(16).toUpperCase().padStart(5, "0") + (0x100000 + n).toString(16).toUpperCase();
    writePostfixQueueFile(
      layoutPath(layout, queueName, id),
      {
        sender: "bench@example.test",
        recipients: [{ address: "pfbench@example.test", deferReason: queueName === "deferred" ? reason : undefined }],
        arrival: now - (n % 172800),
        lines: lines.map((l, k) => (k === 1 ? `Subject: bench ${n}` : l)),
      },
      layoutPath(layout, "defer", id),
    );
  }
};
write("deferred", Number(deferredText));
write("hold", Number(holdText));
Bun.spawnSync({ cmd: ["chown", "-R", "postfix", dir] });
Bun.spawnSync({ cmd: ["chown", "root", join(queue, "pid")] });
console.log(etc);
