/**
 * parallel_listing_test — the two-thread listing writes exactly what the one-thread scan writes (classic and
 * JSON, hashed and flat queues, damaged files, many senders and reasons), the worker really lists blocks, a
 * closed output stops it, and a queue too small for a worker is listed on one thread.
 */
import { test, expect, afterAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createQueueFile, ensureQueueDirs, openQueueFile, queueLayout, type QueueName } from "../queue/index.ts";
import { scanQueueListing } from "../queue/queue_listing.ts";
import { jsonLine, MailqListing } from "./mailq_format.ts";
import { listQueuesParallel, type ListingFormat } from "./parallel_listing.ts";

const dir = mkdtempSync(join(tmpdir(), "postkit-plist-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const queueDir = join(dir, "queue");
ensureQueueDirs(queueDir);
const layout = queueLayout(queueDir);

function write(queueName: QueueName, i: number): string {
  const w = createQueueFile({ queueDir, queueName });
  w.writeEnvelope({
    sender: i % 7 === 0 ? "" : `sender${i % 5}@example.test`,
    recipients: [{ address: `rcpt${i % 3}@example.test` }, { address: `other${i}@example.test` }],
    arrivalTime: { sec: 1_700_000_000 + i * 37, usec: 0 },
    attributes: { rewrite_context: "local" },
  });
  w.writeContent(`Subject: ${i}\n`);
  w.markBodyStart();
  w.writeContent(`\n${"x".repeat(i % 300)}\n`);
  const done = w.finish({ durable: false });
  if (queueName === "deferred" && i % 4 !== 0) {
    const f = openQueueFile(done.path, { write: true });
    try {
      f.appendRecipientStatus({ recipient: f.envelope().recipients[1]!, status: "deferred", dsn: "4.4.1", reason: `reason ${i % 6}` });
    } finally {
      f.close();
    }
  }
  return done.queueId;
}

for (let i = 0; i < 900; i++) write(i % 3 === 0 ? "hold" : "deferred", i);
for (let i = 900; i < 960; i++) write("active", i);
// damaged files: a torn one and one that is not a queue file; both are warnings in listing order
const torn = write("deferred", 2000);
const tornPath = join(queueDir, "deferred", torn[0]!, torn);
writeFileSync(tornPath, Buffer.from("\x92\xa1Cjunk"));
chmodSync(tornPath, 0o700);

/** The one-thread scan, as postqueue printed it before the listing had two threads. */
function oneThread(fmt: ListingFormat): { text: string; warnings: string[] } {
  const listing = fmt.mode === "p" ? new MailqListing({ longIds: false, emptyAddress: fmt.emptyAddress }) : undefined;
  let text = "";
  const warnings: string[] = [];
  scanQueueListing(
    layout,
    (m) => {
      text += listing ? listing.entry(m) : jsonLine(m, fmt.emptyAddress);
      return true;
    },
    (f) => warnings.push(`${f.queueId}: ${f.error.message}`),
  );
  return { text: listing ? text + listing.end() : text, warnings };
}

async function twoThreads(fmt: ListingFormat, workerAfter: number) {
  let text = "";
  const warnings: string[] = [];
  const r = await listQueuesParallel(layout, ["incoming", "active", "deferred", "hold"], fmt, (t) => ((text += t), true), (w) => warnings.push(w), { workerAfter });
  if (fmt.mode === "p") text += r.count === 0 ? "Mail queue is empty\n" : `\n-- ${Math.floor(r.bytes / 1024)} Kbytes in ${r.count} Requests.\n`;
  return { text, warnings, workerBlocks: r.workerBlocks, count: r.count };
}

for (const mode of ["p", "j"] as const) {
  test(`-${mode}: the worker's blocks and this thread's blocks make the one-thread listing, byte for byte`, async () => {
    const fmt: ListingFormat = { mode, longIds: false, emptyAddress: "MAILER-DAEMON" };
    const want = oneThread(fmt);
    const got = await twoThreads(fmt, 0);
    expect(got.workerBlocks).toBeGreaterThan(0);
    expect(got.count).toBe(960);
    expect(got.text).toBe(want.text);
    expect(got.warnings).toEqual(want.warnings);
    expect(got.warnings.length).toBe(1);
    expect(got.warnings[0]!.startsWith(`${torn}: `)).toBe(true);
  });
}

test("a worker that starts in the middle of a queue: the one-thread listing, byte for byte", async () => {
  const fmt: ListingFormat = { mode: "p", longIds: false, emptyAddress: "MAILER-DAEMON" };
  const want = oneThread(fmt);
  const got = await twoThreads(fmt, 1);
  expect(got.workerBlocks).toBeGreaterThan(0);
  expect(got.text).toBe(want.text);
  expect(got.warnings).toEqual(want.warnings);
});

test("a queue of a few blocks is listed without a worker", async () => {
  const got = await twoThreads({ mode: "j", longIds: false, emptyAddress: "MAILER-DAEMON" }, 48);
  expect(got.workerBlocks).toBe(0);
  expect(got.count).toBe(960);
});

test("a closed output stops the listing (and its worker)", async () => {
  let writes = 0;
  const r = await listQueuesParallel(layout, ["deferred", "hold"], { mode: "j", longIds: false, emptyAddress: "" }, () => ++writes < 2, () => {}, { workerAfter: 0 });
  expect(writes).toBe(2);
  expect(r.count).toBeLessThan(900);
});
