/**
 * queue_writer — creates a queue file the way cleanup, smtpd's in-process cleanup and postdrop need it: envelope
 * first, then the content streamed chunk by chunk (never the whole message in memory), then extracted
 * information, then a durable, atomic entry into the queue. Postfix's mail_queue_enter() + mail_stream.c.
 *
 * Life of a writer (createQueueFile()):
 * 1. open: creates `QUEUE/<usec>.<pid>` (O_EXCL, mode 0600; the `.` keeps it out of every scan and lookup,
 *    since it is not a valid queue ID) in the top directory of the queue, takes its inode and the time, and derives
 *    the queue ID at once (queue_id.ts), so the caller can log it and put it in Received:/Message-Id: while
 *    writing. The inode stays in use until the rename, so the ID stays unique.
 * 2. writeEnvelope(), once: `C` (a fixed-size placeholder), `T`, the attributes, `F`, `S`, the sender's
 *    attributes, `R`..., `W`, `M`.
 * 3. writeContent(), any number of times, markBodyStart() once where the headers end: bytes are gathered into
 *    64 KiB `N` records and written out as they fill; memory use is bounded whatever the message size.
 * 4. addExtracted(), optional, any number of times: `X` (first time), then `R`/`A` records.
 * 5. finish(): `X` if not yet written, `E`, the real `C` rewritten in place at offset 0, fchmod to the final mode
 *    (0700 by default: the owner-execute bit is Postfix's "complete" mark), rename to `QUEUE/[hash/]ID` (creating
 *    hash directories; never replacing a file), then ONE fsync of the file, then close. `queueName` may name
 *    another queue than the one the file was started in (a HOLD decided after the file was opened goes straight
 *    to hold, as Postfix's cleanup does); the ID stays the same. Returns the queue ID. Only then may the caller
 *    acknowledge the message (250 Ok, postdrop exit 0) and trigger the next service.
 *    With `durable: false` the fsync is skipped: the caller makes the file durable before it acknowledges the
 *    message — an fsync of the file on Bun's thread pool (smtpd, pickup), or one syncQueueFileSystem() for many
 *    files (bun.md §4).
 *
 * WHY ONE FSYNC, AFTER THE RENAME
 *   An fsync costs a journal commit (~0.7 ms on this class of disk), the largest single cost of accepting a
 *   message. Postfix's postdrop and cleanup rename first and fsync once; so does this writer. On the journaling
 *   file systems a queue lives on (ext4, XFS) the rename changes the file's inode (its ctime), so it is in the
 *   same or an earlier journal transaction than the file's last change, and the fsync of the file commits it
 *   together with the content and the mode (transactions commit in order, so the mkdir of a new hash directory
 *   is committed too); ext4 without a journal writes the directory that gained the new name when the renamed
 *   file is fsynced (its "new entry" rule, which follows freshly made parent directories up). A crash before
 *   the fsync returns can leave a renamed file whose content did not reach the disk: the sender was not told it
 *   was accepted, and the reader finds the torn file (queue_file.ts) and moves it to `corrupt` instead of using
 *   it. A reader that takes the file between the rename and the fsync reads the complete content from the page
 *   cache; if the fsync then fails, the file is unlinked and the sender told to retry (at worst a duplicate, as
 *   with Postfix).
 * abort(): closes and unlinks the temporary file; allowed at any time before finish() returns, idempotent,
 * and done automatically when finish() fails or when a `using` writer goes out of scope unfinished.
 *
 * Contract: throws `QueueError`: `invalid` for values the format cannot hold (non-string addresses, NUL in an
 * address, bad numbers, attribute names with `=`), `state` for calls out of order, `notfound` when the queue
 * directory is missing, `io` for file-system failures (the temporary file is removed first).
 */
import {
  closeFd,
  fchmodFd,
  fsyncFd,
  openFile,
  pwriteAll,
  renameNoReplace,
  statFd,
  syncfs,
  unlinkFile,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
} from "../sys/libc.ts";
import { nodeFs } from "../sys/node_fs.ts";
import { QueueError, errnoCode, queueIoError } from "./queue_error.ts";
import { makeQueueId, queueIdClock, type QueueTime } from "./queue_id.ts";
import { assertQueueName, DEFAULT_HASH_QUEUE_NAMES, ensureQueueFileDirs, queuePath, queueTopDir, type HashQueueNames, type QueueName } from "./queue_path.ts";
import { ATTR, CONTENT_CHUNK_SIZE, encodeRecord, QUEUE_FILE_VERSION } from "./queue_record.ts";
import type { QueueRecord } from "./queue_file.ts";
import { ReportedSizeCounter } from "./reported_size.ts";

/** Where and how to create a queue file. */
export interface CreateQueueFileOptions {
  queueDir: string;
  queueName: QueueName;
  /** hash_queue_names (default `deferred, defer`). */
  hashQueues?: HashQueueNames;
  /** hash_queue_depth (default 1). */
  hashDepth?: number;
  /** enable_long_queue_ids (default false). */
  longIds?: boolean;
  /** Mode of the finished file (default 0700; Postfix's maildrop files are 0744 when complete). */
  mode?: number;
  /** line_length_limit (default 2048): where the reported size (reported_size.ts) cuts long lines. */
  lineLimit?: number;
}

/** One recipient to write. */
export interface RecipientInput {
  address: string;
  /** The address as first received, before rewriting; defaults to `address`. */
  origAddress?: string;
  /** DSN NOTIFY bits (DSN_NOTIFY), 0 or absent when not given. */
  notify?: number;
  /** DSN ORCPT as `type;address`. */
  orcpt?: string;
}

/** The envelope to write. Typed fields become the records and well-known attributes of queue_file.ts. */
export interface EnvelopeInput {
  sender: string;
  fullName?: string;
  recipients: readonly RecipientInput[];
  /** Default: the time the writer was created (the time part of the queue ID). */
  arrivalTime?: QueueTime;
  /** Seconds; default: the writer's creation time. Written as the `create_time` attribute. */
  createTime?: number;
  /** DSN ENVID (`envelope_id`). */
  dsnEnvid?: string;
  /** DSN RET (`ret_flags`), DSN_RET.FULL or DSN_RET.HDRS. */
  dsnRet?: number;
  /** Uid of a local submitter (`submit_uid`). */
  uid?: number;
  /** Seconds (`expire_time`). */
  expireTime?: number;
  /** warning_message_time in seconds; 0 or absent: none. */
  warningTime?: number;
  /** Other named attributes in the order given: rewrite_context, log_client_name, encoding, ... */
  attributes?: Iterable<readonly [string, string]> | Readonly<Record<string, string>>;
  /** Named attributes written before the arrival time (pickup's content_filter, where Postfix's pickup puts it). */
  leadingAttributes?: Iterable<readonly [string, string]>;
  /** Named attributes written right after the sender (smtpd's client attributes, where Postfix's smtpd puts them). */
  senderAttributes?: Iterable<readonly [string, string]>;
}

/** What finish() returns. */
export interface FinishedQueueFile {
  queueId: string;
  queueName: QueueName;
  path: string;
  messageSize: number;
  /** The size Postfix reports for the content (reported_size.ts). */
  reportedSize: number;
  fileSize: number;
}

type WriterState = "new" | "content" | "extracted" | "done" | "aborted";

const MAX_FIELD_LENGTH = 256 * 1024;

function bad(what: string): QueueError {
  return new QueueError("invalid", `queue file ${what}`);
}

function checkText(what: string, v: unknown, allowEmpty = true): string {
  if (typeof v !== "string") throw bad(`${what}: not a string`);
  if (!allowEmpty && v.length === 0) throw bad(`${what}: empty`);
  if (v.length > MAX_FIELD_LENGTH) throw bad(`${what}: longer than ${MAX_FIELD_LENGTH} characters`);
  return v;
}

function checkAddress(what: string, v: unknown): string {
  const s = checkText(what, v);
  if (s.includes("\0")) throw bad(`${what}: contains NUL`);
  return s;
}

function checkCount(what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw bad(`${what}: not a non-negative integer: ${String(v)}`);
  return v;
}

function attributeRecord(name: unknown, value: unknown): QueueRecord {
  const n = checkText("attribute name", name, false);
  if (n.includes("=") || n.includes("\0")) throw bad(`attribute name ${JSON.stringify(n)}`);
  return { kind: "A", name: n, value: checkText(`attribute ${n}`, value) };
}

function recipientRecord(r: RecipientInput): QueueRecord {
  if (typeof r !== "object" || r === null) throw bad("recipient: not an object");
  const address = checkAddress("recipient", r.address);
  return {
    kind: "R",
    address,
    origAddress: checkAddress("original recipient", r.origAddress ?? address),
    notify: checkCount("notify flags", r.notify ?? 0),
    orcpt: checkText("ORCPT", r.orcpt ?? ""),
  };
}

function attributeEntries(a: EnvelopeInput["attributes"]): Iterable<readonly [string, string]> {
  if (a === undefined) return [];
  if (typeof (a as Iterable<unknown>)[Symbol.iterator] === "function") return a as Iterable<readonly [string, string]>;
  return Object.entries(a as Record<string, string>);
}

const O_RDWR = 2;
const O_NOFOLLOW = 0o400000;
const O_DIRECTORY = 0o200000;

/** A queue file being written; see the header. */
export class QueueFileWriter implements Disposable {
  /** The queue ID, known from the start. */
  readonly queueId: string;
  /** The time the ID was made from (the default arrival time). */
  readonly time: QueueTime;
  /** Where the file will be after finish() (unless finish() is given another queue). */
  get path(): string {
    return this.finalPath;
  }
  /** The temporary file while writing. */
  readonly tempPath: string;

  private state: WriterState = "new";
  private offset = 0; // bytes written to the file so far
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private chunk = Buffer.allocUnsafe(CONTENT_CHUNK_SIZE);
  private chunkLength = 0;
  private messageSize = 0;
  private readonly reported: ReportedSizeCounter;
  private reportedSize = 0;
  private bodyOffset = -1;
  private contentOffset = 0;
  private extractedOffset = 0;
  private rcptCount = 0;
  private headSize = 0;

  private constructor(
    private readonly opts: CreateQueueFileOptions,
    private readonly topDir: string,
    private fd: number,
    tempPath: string,
    queueId: string,
    time: QueueTime,
    private finalPath: string,
    private readonly mode: number,
  ) {
    this.tempPath = tempPath;
    this.queueId = queueId;
    this.time = time;
    this.reported = new ReportedSizeCounter(opts.lineLimit ?? 2048);
  }

  /** The queue the file was started in (finish() may enter it into another). */
  get queueName(): QueueName {
    return this.opts.queueName;
  }

  /** Creates the temporary file and the queue ID; see createQueueFile(). */
  static create(opts: CreateQueueFileOptions): QueueFileWriter {
    assertQueueName(opts.queueName);
    const top = queueTopDir(opts.queueDir, opts.queueName);
    const mode = opts.mode ?? 0o700;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw bad(`mode ${mode}`);
    for (let attempt = 0; ; attempt++) {
      const time = queueIdClock();
      const tempPath = `${top}/${time.usec}.${process.pid}`;
      let fd: number;
      try {
        fd = openFile(tempPath, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      } catch (e) {
        if (errnoCode(e) === "EEXIST" && attempt < 1000) continue;
        throw queueIoError("create queue file", tempPath, e);
      }
      try {
        const inode = statFd(fd).ino;
        const id = makeQueueId(inode, time, opts.longIds ?? false);
        const path = queuePath(opts.queueDir, opts.queueName, id, opts.hashQueues ?? DEFAULT_HASH_QUEUE_NAMES, opts.hashDepth ?? 1);
        return new QueueFileWriter({ ...opts }, top, fd, tempPath, id, time, path, mode);
      } catch (e) {
        closeFd(fd);
        try {
          unlinkFile(tempPath);
        } catch {
          // already gone
        }
        throw e instanceof QueueError ? e : queueIoError("create queue file", tempPath, e);
      }
    }
  }

  private expect(...states: WriterState[]): void {
    if (!states.includes(this.state)) {
      throw new QueueError("state", `queue file ${this.queueId}: not allowed now (writer is ${this.state})`, { path: this.tempPath });
    }
  }

  private emit(rec: QueueRecord): number {
    const buf = encodeRecord(rec);
    const at = this.offset;
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    this.offset += buf.length;
    if (this.pendingBytes >= CONTENT_CHUNK_SIZE) this.flush();
    return at;
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    let position = this.offset - this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.io("write", () => {
      pwriteAll(this.fd, buf, position);
    });
  }

  private io<T>(action: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      this.abort();
      throw queueIoError(`${action} queue file`, this.tempPath, e);
    }
  }

  private sizeRecord(): QueueRecord {
    return {
      kind: "C",
      version: QUEUE_FILE_VERSION,
      messageSize: this.messageSize,
      reportedSize: this.reportedSize,
      contentOffset: this.contentOffset,
      extractedOffset: this.extractedOffset,
      bodyOffset: this.bodyOffset,
      rcptCount: this.rcptCount,
    };
  }

  /** Writes the envelope section, ending with `M`. Once, before any content. */
  writeEnvelope(env: EnvelopeInput): void {
    this.expect("new");
    if (typeof env !== "object" || env === null) throw bad("envelope: not an object");
    // Validate everything before the first byte is written.
    const arrival = env.arrivalTime ?? this.time;
    if (typeof arrival !== "object" || arrival === null) throw bad("arrival time: not an object");
    checkCount("arrival time", arrival.sec);
    checkCount("arrival microseconds", arrival.usec);
    if (arrival.usec >= 1_000_000) throw bad(`arrival microseconds: ${arrival.usec}`);
    const recs: QueueRecord[] = [];
    for (const [name, value] of env.leadingAttributes ?? []) recs.push(attributeRecord(name, value));
    recs.push({ kind: "T", sec: arrival.sec, usec: arrival.usec });
    recs.push(attributeRecord(ATTR.CREATE_TIME, String(checkCount("create time", env.createTime ?? this.time.sec))));
    if (env.dsnEnvid !== undefined) recs.push(attributeRecord(ATTR.DSN_ENVID, env.dsnEnvid));
    if (env.dsnRet !== undefined && env.dsnRet !== 0) recs.push(attributeRecord(ATTR.DSN_RET, String(checkCount("DSN RET", env.dsnRet))));
    if (env.uid !== undefined) recs.push(attributeRecord(ATTR.SUBMIT_UID, String(checkCount("uid", env.uid))));
    if (env.expireTime !== undefined) recs.push(attributeRecord(ATTR.EXPIRE_TIME, String(checkCount("expire time", env.expireTime))));
    for (const [name, value] of attributeEntries(env.attributes)) recs.push(attributeRecord(name, value));
    if (env.fullName !== undefined) recs.push({ kind: "F", fullName: checkText("full name", env.fullName) });
    recs.push({ kind: "S", sender: checkAddress("sender", env.sender) });
    for (const [name, value] of env.senderAttributes ?? []) recs.push(attributeRecord(name, value));
    if (!Array.isArray(env.recipients)) throw bad("recipients: not an array");
    for (const r of env.recipients) recs.push(recipientRecord(r));
    if (env.warningTime) recs.push({ kind: "W", sec: checkCount("warning time", env.warningTime) });
    const encoded = encodeRecords(recs); // throws `invalid` for an oversized record before anything is written

    this.emit(this.sizeRecord());
    this.headSize = this.offset;
    for (let i = 0; i < recs.length; i++) {
      if (recs[i]!.kind === "R") this.rcptCount++;
      this.pending.push(encoded[i]!);
      this.pendingBytes += encoded[i]!.length;
      this.offset += encoded[i]!.length;
    }
    this.contentOffset = this.emit({ kind: "M" });
    this.state = "content";
  }

  /** Appends message bytes (strings are written as UTF-8). Memory use stays at one 64 KiB chunk. */
  writeContent(data: Uint8Array | string): void {
    this.expect("content");
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let i = 0;
    while (i < bytes.length) {
      const n = Math.min(bytes.length - i, CONTENT_CHUNK_SIZE - this.chunkLength);
      this.chunk.set(bytes.subarray(i, i + n), this.chunkLength);
      this.chunkLength += n;
      i += n;
      if (this.chunkLength === CONTENT_CHUNK_SIZE) this.emitChunk();
    }
    this.messageSize += bytes.length;
    this.reported.add(bytes);
  }

  private emitChunk(): void {
    if (this.chunkLength === 0) return;
    this.emit({ kind: "N", data: this.chunk.subarray(0, this.chunkLength) }); // the codec copies it
    this.chunkLength = 0;
  }

  /** Marks the current content position as the start of the body (the empty line after the headers). */
  markBodyStart(): void {
    this.expect("content");
    this.bodyOffset = this.messageSize;
    this.reported.bodyStarts();
  }

  private endContent(): void {
    if (this.state !== "content") return;
    this.emitChunk();
    this.reportedSize = this.reported.finish();
    this.extractedOffset = this.emit({ kind: "X" });
    this.state = "extracted";
  }

  /** Adds recipients and attributes found after the envelope was written (sendmail -t, milters). Ends the content. */
  addExtracted(extra: { recipients?: readonly RecipientInput[]; attributes?: EnvelopeInput["attributes"] }): void {
    this.expect("content", "extracted");
    const recs: QueueRecord[] = [];
    for (const r of extra.recipients ?? []) recs.push(recipientRecord(r));
    for (const [name, value] of attributeEntries(extra.attributes)) recs.push(attributeRecord(name, value));
    const encoded = encodeRecords(recs);
    this.endContent();
    for (let i = 0; i < recs.length; i++) {
      if (recs[i]!.kind === "R") this.rcptCount++;
      this.pending.push(encoded[i]!);
      this.pendingBytes += encoded[i]!.length;
      this.offset += encoded[i]!.length;
    }
    if (this.pendingBytes >= CONTENT_CHUNK_SIZE) this.flush();
  }

  /**
   * Completes the file and enters it into its queue (see the header); returns where it is. After an error the
   * temporary file (or the half-entered file) is gone and the message is not queued.
   */
  finish(opts: { durable?: boolean; queueName?: QueueName } = {}): FinishedQueueFile {
    this.expect("content", "extracted");
    const durable = opts.durable ?? true;
    const queueName = opts.queueName ?? this.opts.queueName;
    if (queueName !== this.opts.queueName) {
      assertQueueName(queueName);
      const o = this.opts;
      this.finalPath = queuePath(o.queueDir, queueName, this.queueId, o.hashQueues ?? DEFAULT_HASH_QUEUE_NAMES, o.hashDepth ?? 1);
    }
    this.endContent();
    this.emit({ kind: "E" });
    this.flush();
    const head = encodeRecord(this.sizeRecord());
    if (head.length !== this.headSize) {
      this.abort();
      throw new QueueError("state", `queue file ${this.queueId}: size record changed length (${this.headSize} -> ${head.length})`);
    }
    this.io("write", () => {
      pwriteAll(this.fd, head, 0);
      fchmodFd(this.fd, this.mode);
    });
    const dir = this.path.slice(0, this.path.lastIndexOf("/"));
    this.io("rename", () => {
      if (dir !== this.topDir) ensureQueueFileDirs(this.path);
      try {
        renameNoReplace(this.tempPath, this.path);
      } catch (e) {
        const code = errnoCode(e);
        if (code === "EEXIST") throw new QueueError("exists", `rename ${this.tempPath} to ${this.path}: file exists`, { path: this.path });
        if (code !== "ENOSYS" && code !== "EINVAL") throw e;
        // no renameat2 here: check, then rename (the ID is unique while our inode holds it)
        const fs = nodeFs();
        if (fs.existsSync(this.path)) throw new QueueError("exists", `rename ${this.tempPath} to ${this.path}: file exists`, { path: this.path });
        fs.renameSync(this.tempPath, this.path);
      }
    });
    this.state = "done";
    try {
      if (durable) fsyncFd(this.fd);
    } catch (e) {
      try {
        unlinkFile(this.path);
      } catch {
        // nothing more we can do; the caller reports the failure and the sender retries
      }
      throw queueIoError("fsync queue file", this.path, e);
    } finally {
      closeFd(this.fd);
      this.fd = -1;
    }
    return { queueId: this.queueId, queueName, path: this.path, messageSize: this.messageSize, reportedSize: this.reportedSize, fileSize: this.offset };
  }

  /** Discards the file being written. Idempotent; a no-op after finish(). */
  abort(): void {
    if (this.state === "done" || this.state === "aborted") return;
    this.state = "aborted";
    if (this.fd >= 0) {
      try {
        closeFd(this.fd);
      } catch {
        // already closed
      }
      this.fd = -1;
    }
    try {
      unlinkFile(this.tempPath);
    } catch {
      // never created or already gone
    }
  }

  [Symbol.dispose](): void {
    this.abort();
  }
}

/** Starts a new queue file in `opts.queueName`; see QueueFileWriter and the header. */
export function createQueueFile(opts: CreateQueueFileOptions): QueueFileWriter {
  return QueueFileWriter.create(opts);
}

/**
 * syncfs(2) on the file system of `queueDir`: makes every file finished with `durable: false` (and its rename)
 * durable at once. Call it before acknowledging those messages.
 */
export function syncQueueFileSystem(queueDir: string): void {
  let fd = -1;
  try {
    fd = openFile(queueDir, O_RDONLY | O_DIRECTORY);
    syncfs(fd);
  } catch (e) {
    throw queueIoError("syncfs", queueDir, e);
  } finally {
    if (fd >= 0) closeFd(fd);
  }
}

/** encodeRecord() of each record (a loop: Array.prototype.map is compiled from source at its first use, in sendmail). */
function encodeRecords(recs: readonly QueueRecord[]): Buffer[] {
  const out: Buffer[] = [];
  for (const r of recs) out.push(encodeRecord(r));
  return out;
}
