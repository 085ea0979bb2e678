/**
 * queue — postkit's mail queue library (layer 1): queue IDs, queue names and hashed paths, the queue file format,
 * the streaming writer, whole-message operations and the locking protocol. One module per concern; this file
 * only re-exports them, so programs can `import { … } from "../internal/queue/index.ts"`.
 *
 * - queue_id.ts      short/long queue IDs, isValidQueueId(), parseQueueId(), queueIdClock()
 * - queue_path.ts    QUEUE_NAMES, hashing, queuePath(), ensureQueueDirs(), scanQueue()
 * - queue_file.ts    the file format (documented there), openQueueFile(), readEnvelope(), status appends
 * - queue_writer.ts  createQueueFile(): envelope, streamed content, atomic durable entry
 * - reported_size.ts the message size Postfix reports for a content (its record encoding), kept in the `C` record
 * - queue_ops.ts     findMessage(), moveMessage(), deleteMessage(), moveToCorrupt(), scanQueueSummaries()
 * - queue_listing.ts scanQueueListing(): what mailq and postqueue -p/-j print of each message, read leanly
 * - queue_lock.ts    the shared/exclusive flock protocol
 * - queue_error.ts   QueueError and its codes
 */
export * from "./queue_error.ts";
export * from "./queue_id.ts";
export * from "./queue_path.ts";
export * from "./queue_lock.ts";
export * from "./queue_file.ts";
export * from "./queue_writer.ts";
export * from "./queue_ops.ts";
export * from "./queue_listing.ts";
