/**
 * parallel_listing — `mailq` / `postqueue -p` / `postqueue -j` of a large queue on two threads: the program's
 * own thread and one worker (listing_worker.ts), each reading and formatting a share of the messages, the
 * output in the order of a one-thread listing, byte for byte.
 *
 * Problem: a listing costs four system calls and a little decoding per message (queue_listing.ts), all on one
 * thread, while the machine has another core; Postfix's listing is two processes (postqueue and showq).
 * Solution: this thread walks the queue directories and lists the first WORKER_AFTER blocks of BLOCK messages
 * alone, entry by entry as it walks (the one-thread scan: a worker costs milliseconds to start and to warm up,
 * and pays for itself only in queues of more than ~12,000 messages). Past that it starts the worker and cuts the
 * valid queue file names it walks into blocks of BLOCK names of one queue; each block is listed either here or
 * by the worker (QueueEntryLister.names() reads the files relative to their directory, as the walk does),
 * whichever is free: the worker gets a block whenever it has fewer than two waiting, so a slow worker just gets
 * less. Blocks come back as text (classic entries, each starting with its separating empty line, or JSON lines)
 * with their message count, size and warnings, and are written strictly in block order; at most MAX_SLOTS
 * blocks wait for an earlier one, so memory stays bounded whatever the queue size. A worker that fails (cannot
 * start, throws) is reported with a warning and leaves its blocks to this thread: the listing is the same, only
 * slower. Messages that move or vanish while the listing runs are treated as the one-thread scan treats them.
 *
 *   const { count, bytes } = await listQueuesParallel(layout, queues, { mode: "p", longIds, emptyAddress }, out, warn);
 *
 * Contract: `out(text)` returns false to stop the listing (a closed pipe); `warn(text)` gets each damaged or
 * unreadable file's `ID: reason`, in listing order. Throws only what QueueWalker throws for an unreadable queue
 * directory.
 */
import { isValidQueueId, QueueWalker, type QueueLayout, type QueueName } from "../queue/index.ts";
import { QueueEntryLister, type ListedMessage } from "../queue/queue_listing.ts";
import type { QueueSummaryFailure } from "../queue/queue_ops.ts";
import { jsonLine, mailqHeading, MailqListing } from "./mailq_format.ts";

/** Which listing, and its format settings. */
export interface ListingFormat {
  mode: "p" | "j";
  longIds: boolean;
  emptyAddress: string;
}

/** A block of names to list: one queue, grouped by directory ([directory path, names]). */
export interface BlockRequest {
  seq: number;
  queueName: QueueName;
  groups: [string, string[]][];
}

/** What listing a block gives. */
export interface BlockResult {
  seq: number;
  text: string;
  count: number;
  bytes: number;
  warnings: string[];
}

/** Messages per block: large enough that handing a block over is cheap, small enough to share the work evenly. */
const BLOCK = 256;
/** Blocks this thread lists alone before it starts the worker (see the header): 12,288 messages. */
const WORKER_AFTER = 48;
/** Blocks listed but not yet written (waiting for an earlier block from the worker). */
const MAX_SLOTS = 16;

/**
 * Lists messages into BlockResults, keeping the formatter's caches from block to block (one per thread): a
 * walker's entries one by one (entry(), then take()), or a whole BlockRequest (run()).
 */
export class BlockLister {
  private readonly lister: QueueEntryLister;
  private r: BlockResult = { seq: 0, text: "", count: 0, bytes: 0, warnings: [] };

  constructor(fmt: ListingFormat) {
    const listing = fmt.mode === "p" ? new MailqListing({ longIds: fmt.longIds, emptyAddress: fmt.emptyAddress, continued: true }) : undefined;
    const empty = fmt.emptyAddress;
    this.lister = new QueueEntryLister(
      (m: ListedMessage) => {
        const r = this.r;
        r.text += listing ? listing.entry(m) : jsonLine(m, empty);
        r.count++;
        r.bytes += m.messageSize;
        return true;
      },
      (f: QueueSummaryFailure) => this.r.warnings.push(`${f.queueId}: ${f.error.message}`),
    );
  }

  /** Adds the walker's current entry (a valid queue ID) to the block being made. */
  entry(queueName: QueueName, w: QueueWalker): void {
    this.lister.entry(queueName, w);
  }

  /** Messages in the block being made. */
  get count(): number {
    return this.r.count + this.r.warnings.length;
  }

  /** The block made so far, as block `seq`; the next one starts empty. */
  take(seq: number): BlockResult {
    const r = this.r;
    r.seq = seq;
    this.r = { seq: 0, text: "", count: 0, bytes: 0, warnings: [] };
    return r;
  }

  run(req: BlockRequest): BlockResult {
    for (const [dir, names] of req.groups) this.lister.names(req.queueName, dir, names);
    return this.take(req.seq);
  }
}

/** Where the worker's program is: inside the compiled binary (build.ts names it as an entry point), or beside this file. */
function workerSpecifier(): string {
  return Bun.main.startsWith("/$bunfs/") ? "./internal/showq/listing_worker.ts" : new URL("./listing_worker.ts", import.meta.url).href;
}

/** The worker's side of the conversation: blocks in, results out, in order. */
class ListingWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, (r: BlockResult | undefined) => void>();
  failed = false;
  /** Blocks the worker listed. */
  listed = 0;

  constructor(
    fmt: ListingFormat,
    private readonly warn: (text: string) => void,
  ) {
    this.worker = new Worker(workerSpecifier());
    this.worker.onmessage = (e: MessageEvent<BlockResult>) => {
      const resolve = this.waiting.get(e.data.seq);
      if (!resolve) return;
      this.waiting.delete(e.data.seq);
      this.listed++;
      resolve(e.data);
    };
    this.worker.onerror = (e) => {
      e.preventDefault?.();
      this.fail(e.message);
    };
    this.worker.postMessage(fmt);
  }

  get outstanding(): number {
    return this.waiting.size;
  }

  /** The block's result; undefined when the worker failed (the caller lists the block itself). */
  list(req: BlockRequest): Promise<BlockResult | undefined> {
    if (this.failed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiting.set(req.seq, resolve);
      this.worker.postMessage(req);
    });
  }

  private fail(why: string): void {
    if (this.failed) return;
    this.warn(`listing thread: ${why}; going on with one thread`);
    this.failed = true;
    for (const resolve of this.waiting.values()) resolve(undefined);
    this.waiting.clear();
    this.worker.terminate();
  }

  close(): void {
    this.worker.terminate();
  }
}

/** Lets the event loop deliver the worker's messages. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Lists `queues` in showq's order; see the header. Returns the totals of what was written, and how many blocks
 * the worker listed. `workerAfter` (tests): the blocks listed before the worker starts.
 */
export async function listQueuesParallel(
  layout: QueueLayout,
  queues: readonly QueueName[],
  fmt: ListingFormat,
  out: (text: string) => boolean,
  warn: (text: string) => void,
  opts: { workerAfter?: number } = {},
): Promise<{ count: number; bytes: number; workerBlocks: number }> {
  const local = new BlockLister(fmt);
  const totals = { count: 0, bytes: 0, workerBlocks: 0 };
  const workerAfter = opts.workerAfter ?? WORKER_AFTER;
  let worker: ListingWorker | null | undefined; // null: could not be started
  let stopped = false;
  // blocks listed or being listed, in order: a result, or the worker's promise to set it (this thread lists the
  // block itself when the worker fails)
  const slots: { result?: BlockResult; pending?: Promise<unknown> }[] = [];
  let seq = 0;

  const write = (r: BlockResult): void => {
    for (const w of r.warnings) warn(w);
    if (r.count === 0 || stopped) return;
    // the very first entry of the listing gets the heading instead of its separating empty line
    const text = fmt.mode === "p" && totals.count === 0 ? mailqHeading(fmt.longIds) + r.text.slice(1) : r.text;
    totals.count += r.count;
    totals.bytes += r.bytes;
    if (!out(text)) stopped = true;
  };
  // writes the finished blocks at the head of the line; with `wait`, waits for the worker's first
  const drain = async (wait: boolean): Promise<void> => {
    while (slots.length > 0 && !stopped) {
      const s = slots[0]!;
      if (s.result === undefined) {
        if (!wait) return;
        await s.pending;
      }
      slots.shift();
      write(s.result!);
    }
  };
  const submit = async (req: BlockRequest): Promise<void> => {
    if (worker === undefined) {
      try {
        worker = new ListingWorker(fmt, warn);
      } catch (e) {
        warn(`listing thread: ${(e as Error).message}; going on with one thread`);
        worker = null;
      }
    }
    if (worker && !worker.failed && worker.outstanding < 2) {
      const slot: (typeof slots)[number] = {};
      slot.pending = worker.list(req).then((r) => (slot.result = r ?? local.run(req)));
      slots.push(slot);
    } else {
      slots.push({ result: local.run(req) });
    }
    if (worker && worker.outstanding > 0) await turn();
    await drain(slots.length >= MAX_SLOTS);
  };

  // first this thread alone lists entry by entry as it walks; past workerAfter blocks, blocks of names are
  // shared with the worker
  let alone = workerAfter * BLOCK;
  try {
    for (const queueName of queues) {
      const w = new QueueWalker(layout.queueDir, queueName, { missingOk: true });
      let req: BlockRequest = { seq: seq++, queueName, groups: [] };
      let names = 0;
      try {
        while (!stopped && w.next()) {
          if (w.type === "other" || !isValidQueueId(w.name)) continue;
          if (alone > 0) {
            alone--;
            local.entry(queueName, w);
            if (local.count === BLOCK || alone === 0) {
              slots.push({ result: local.take(req.seq) });
              await drain(false);
              req = { seq: seq++, queueName, groups: [] };
            }
            continue;
          }
          const last = req.groups[req.groups.length - 1];
          if (last !== undefined && last[0] === w.dirPath) last[1].push(w.name);
          else req.groups.push([w.dirPath, [w.name]]);
          if (++names === BLOCK) {
            await submit(req);
            req = { seq: seq++, queueName, groups: [] };
            names = 0;
          }
        }
      } finally {
        w.close();
      }
      // what this thread listed alone (then there are no names), or the names of the last block
      if (local.count > 0) slots.push({ result: local.take(req.seq) });
      else if (names > 0 && !stopped) await submit(req);
    }
    await drain(true);
  } finally {
    totals.workerBlocks = worker?.listed ?? 0;
    worker?.close();
  }
  return totals;
}
