/**
 * queue_file — postkit's queue file format: its records, reading a file's envelope without its body, streaming
 * its content, listing its records for postcat, and appending status records as the queue manager works.
 * Corresponds to Postfix's rec_type.h / record.c / qmgr_message.c reading side and deliver_completed().
 * Files are created by queue_writer.ts; moved, deleted and scanned by queue_ops.ts.
 *
 * FORMAT (version 1)
 *
 * A queue file is a sequence of records with nothing between them. Each record is ONE msgpack array whose first
 * element is the record kind, a one-character string; the other elements are positional fields. All records are
 * encoded by the single codec of _codec.ts. Strings are UTF-8, content is msgpack `bin`. Readers ignore extra
 * trailing fields, so a later version may add fields at the end of a record without changing the version; any
 * other change raises the version, and a reader refuses newer versions (`QueueError` `unsupported`).
 *
 * The file has four parts, always in this order (the kind letters are Postfix's where Postfix has the record):
 *
 * 1. Envelope, starting at offset 0:
 *    | kind | fields                                        | Postfix equivalent / postcat label               |
 *    | ---- | --------------------------------------------- | ------------------------------------------------ |
 *    | `C`  | version, messageSize, contentOffset,          | `message_size:` (C). Always the first record.    |
 *    |      | extractedOffset, bodyOffset, rcptCount        | All fields but version are msgpack int64 (9      |
 *    |      | [, reportedSize]                              | bytes each), so the writer can rewrite the record |
 *    |      |                                               | in place once the content is known.              |
 *    | `T`  | sec, usec                                     | `message_arrival_time:` (T)                      |
 *    | `A`  | name, value (strings)                         | `named_attribute: name=value` (A); `create_time` |
 *    |      |                                               | prints as `create_time: <asctime>`               |
 *    | `F`  | fullName                                      | `sender_fullname:` (F)                           |
 *    | `S`  | sender ("" = null sender)                     | `sender:` (S)                                    |
 *    | `R`  | address, origAddress, notify, orcpt           | Postfix's group `A notify_flags=N` (when N > 0), |
 *    |      |                                               | `A dsn_orig_rcpt=X` (when set), `O`, `R`:        |
 *    |      |                                               | postcat prints those four lines                  |
 *    | `W`  | sec (0 = send no delay warning)               | `warning_message_time:` (W)                      |
 *    Well-known attribute names (ATTR): create_time, rewrite_context, envelope_id (DSN ENVID), ret_flags (DSN RET:
 *    1 FULL, 2 HDRS), encoding (7bit/8bit), log_client_name, log_client_address, log_client_port,
 *    log_message_origin, log_helo_name, log_protocol_name, trace_flags, sendopts — Postfix's names — and
 *    postkit's own submit_uid (uid of a local submitter, in maildrop files only) and expire_time (absolute time
 *    after which the message bounces; absent = arrival time + maximal_queue_lifetime). content_filter
 *    (`transport:nexthop`) holds what Postfix keeps in its `L` record (postcat shows `content_filter:`; pickup's
 *    comes before `T`, where Postfix's pickup writes it); as for every attribute the last one wins, so a FILTER
 *    action written in the extracted section overrides the envelope's. redirect_to (a header/body check's REDIRECT
 *    address, Postfix's `>` record; postcat shows `redirect_to:`) sends the message to that one address instead of
 *    its recipients. After `C`, the envelope records may come
 *    in any order; readers require a `T` and an `S`. notify is a bit set
 *    (DSN_NOTIFY: 1 NEVER, 2 SUCCESS, 4 FAILURE, 8 DELAY; 0 = not given); orcpt is the DSN ORCPT as
 *    `type;address`, "" if none.
 *    reportedSize is the size Postfix reports for the content (reported_size.ts: what its records would take),
 *    shown wherever Postfix shows message_size; files written before it existed lack it and report messageSize.
 * 2. Content: `M` (no fields; its offset is contentOffset; postcat `*** MESSAGE CONTENTS path ***`), then `N`
 *    records (one field: up to 64 KiB of message bytes, not aligned to lines; the concatenation is the message,
 *    headers and body, messageSize bytes, LF line ends), then `X` (no fields; its offset is extractedOffset;
 *    postcat `*** HEADER EXTRACTED path ***`). bodyOffset is the content-relative offset of the first body byte
 *    (the empty line after the headers), -1 when the writer did not mark it.
 * 3. Extracted information: `R` and `A` records found after the envelope was written (sendmail -t recipients,
 *    milter-added recipients), then `E` (no fields; postcat `*** MESSAGE FILE END path ***`). rcptCount counts
 *    the `R` records of both sections.
 * 4. Appended records, written after `E` while the message is in the queue, each with one write(2) on an
 *    O_APPEND descriptor followed by fsync(2):
 *    | `D` | rcptOffset, time, dsn, reason [, action] | recipient delivered (final)         |
 *    | `b` | rcptOffset, time, dsn, reason | recipient bounced (final; bounce log written)  |
 *    | `d` | rcptOffset, time, dsn, reason | recipient deferred (latest one wins)           |
 *    | `W` | sec                           | new warning_message_time (latest one wins)     |
 *    | `A` | name, value                   | a named attribute's new value (latest one wins): |
 *    |     |                               | trace_flags=0 once a `sendmail -v` report went  |
 *    (The queue manager skips the fsync for records that only say "delivered": a lost one means a second
 *    delivery after a crash, never a lost message.)
 *    A recipient is identified by rcptOffset, the byte offset of its `R` record (as Postfix's defer logs
 *    carry `offset=`). A final record is never undone by a later `d`. A `D` record's optional action says how a
 *    success is reported (Postfix's trace logfile): `relayed`, `expanded`, or `notified` (the next hop took DSN
 *    NOTIFY over: no success notice from here); absent, `delivered`. Readers skip fields they do not know.
 *
 * A queue file therefore starts with the bytes `98 A1 43` (an 8-element array, then "C"; `97 A1 43` in files
 * written before the reported size); anything else is not a postkit queue file (a Postfix queue file starts with
 * `C` itself). postcat's `-o` offsets are record offsets
 * (one per content chunk, not one per line as in Postfix).
 *
 * Reading the envelope reads records from offset 0 up to `M` through a 64 KiB buffer (so at most one buffer of
 * content bytes is read with it), then jumps to extractedOffset (from `C`) and reads from `X` to the end of the
 * file: the content is never read as such, whatever its size. A file of up to 64 KiB takes one read(2): its
 * envelope, extracted and appended records are decoded from that buffer by _record_reader.ts, and only when
 * something is unusual does the general reader run again over the file and decide (see "The fast path" below;
 * readEnvelopeGeneral() is the general reader alone).
 *
 * WHAT IS CORRUPT, WHAT IS REPAIRED
 *
 * - A file is complete only if every record up to and including `E` decodes, has a kind allowed in its part, has
 *   well-typed fields, `C` is first, `M` is at contentOffset, `X` at extractedOffset, and the counts agree. Anything
 *   else — a missing `E` (truncated file), garbage, a bad `C` — is `QueueError` code `corrupt`; the caller moves the
 *   file with moveToCorrupt() (queue_ops.ts) and logs it. Such a file was never acknowledged: the writer renames a
 *   file into a queue only after writing `E` and fsyncing.
 * - After `E`, the first bytes that are not a complete, valid appended record start a torn tail: a crash during an
 *   append (a partial record, or zeros from a file extended but not written). That append was never acknowledged
 *   (its fsync did not return), so the file is repaired by truncating it back to the end of the last complete
 *   record, with a warning, by a process holding the exclusive lock (queue_lock.ts). Records after a torn one are
 *   dropped too; at worst a recipient is delivered twice, never lost. A read-only reader just ignores the tail
 *   (envelope.tornTail says where it is).
 *
 * Contract: functions throw `QueueError` (`notfound`, `corrupt`, `unsupported`, `torn`, `locked`, `state`,
 * `invalid`, `io`); files are opened with O_NOFOLLOW and must be regular files.
 */
import { msgWarn } from "../log/msg.ts";
import type * as Codec from "./_codec.ts";
import { nodeFs } from "../sys/node_fs.ts";
import { ATTR, encodeRecord, QUEUE_FILE_VERSION } from "./queue_record.ts";

export { ATTR, CONTENT_CHUNK_SIZE, DSN_NOTIFY, DSN_RET, encodeRecord, QUEUE_FILE_VERSION, TRACE_FLAG } from "./queue_record.ts";
import { QueueError, errnoCode, queueIoError } from "./queue_error.ts";
import { O_CLOEXEC } from "./_fs.ts";
import { RecordReader } from "./_record_reader.ts";
import { readAt } from "./_fileio.ts";
import type { QueueTime } from "./queue_id.ts";
import { lockQueueFile, type QueueLockMode } from "./queue_lock.ts";

let codecModule: typeof Codec | undefined;

/**
 * A RecordStream (_codec.ts) over `fd` from `start`. _codec.ts, and msgpackr with it, is loaded the first time
 * one is needed: a listing whose files all take the fast paths never loads it (some milliseconds of start-up).
 */
function recordStream(fd: number, start: number, sizeHint?: number): Codec.RecordStream {
  codecModule ??= require("./_codec.ts") as typeof Codec;
  return new codecModule.RecordStream(fd, start, sizeHint);
}


/** Record kinds (see the header). */
export const REC = {
  SIZE: "C",
  TIME: "T",
  ATTR: "A",
  FULLNAME: "F",
  SENDER: "S",
  RCPT: "R",
  WARN: "W",
  CONTENT: "M",
  TEXT: "N",
  XTRA: "X",
  END: "E",
  DELIVERED: "D",
  BOUNCED: "b",
  DEFERRED: "d",
} as const;

/** One of the REC letters. */
export type RecordKind = (typeof REC)[keyof typeof REC];

/** Postfix's record names, for postcat (`-d` prints the kind's character code). */
export const RECORD_NAMES: Readonly<Record<RecordKind, string>> = {
  C: "message_size",
  T: "message_arrival_time",
  A: "named_attribute",
  F: "sender_fullname",
  S: "sender",
  R: "recipient",
  W: "warning_message_time",
  M: "message_content",
  N: "regular_text",
  X: "extracted_info",
  E: "message_end",
  D: "done_recipient",
  b: "bounced_recipient",
  d: "deferred_recipient",
};

/** What an appended status record says about a recipient. */
export type RecipientStatusKind = "delivered" | "bounced" | "deferred";

const STATUS_KIND: Readonly<Record<RecipientStatusKind, "D" | "b" | "d">> = { delivered: "D", bounced: "b", deferred: "d" };
const KIND_STATUS: Readonly<Record<string, RecipientStatusKind>> = { D: "delivered", b: "bounced", d: "deferred" };

/** A decoded record. */
export type QueueRecord =
  | {
      kind: "C";
      version: number;
      messageSize: number;
      /** Absent in files written before this field existed (and then not written): it reads as messageSize. */
      reportedSize?: number;
      contentOffset: number;
      extractedOffset: number;
      bodyOffset: number;
      rcptCount: number;
    }
  | { kind: "T"; sec: number; usec: number }
  | { kind: "A"; name: string; value: string }
  | { kind: "F"; fullName: string }
  | { kind: "S"; sender: string }
  | { kind: "R"; address: string; origAddress: string; notify: number; orcpt: string }
  | { kind: "W"; sec: number }
  | { kind: "M" }
  | { kind: "N"; data: Uint8Array }
  | { kind: "X" }
  | { kind: "E" }
  | { kind: "D" | "b" | "d"; rcptOffset: number; time: number; dsn: string; reason: string; action?: string };

/** A decoded record with its byte offset and encoded size in the file (postcat -o). */
export type LocatedRecord = QueueRecord & { offset: number; size: number };

/** The latest appended status of a recipient. */
export interface RecipientStatus {
  status: RecipientStatusKind;
  time: number;
  dsn: string;
  reason: string;
  /** Offset of the status record itself. */
  offset: number;
  /** A delivery's DSN action when not `delivered` (`relayed`, `expanded`, `notified`; see the header). */
  action?: string;
}

/** One recipient of a queue file. */
export interface QueueRecipient {
  /** Position among the file's recipients, from 0. */
  index: number;
  /** Byte offset of its `R` record: the recipient's identity in status records and defer logs. */
  offset: number;
  address: string;
  origAddress: string;
  /** DSN NOTIFY bits, 0 when not given. */
  notify: number;
  /** DSN ORCPT (`rfc822;addr`), "" when not given. */
  orcpt: string;
  /** True when it came from the extracted section (after the content). */
  extracted: boolean;
  /** True once delivered or bounced: nothing left to do for it. */
  done: boolean;
  /** The latest appended status record, if any. */
  status: RecipientStatus | undefined;
}

/** Everything a queue file says except its content. */
export interface QueueEnvelope {
  version: number;
  /** Size of the file when it was read. */
  fileSize: number;
  /** Bytes of message content (headers and body). */
  messageSize: number;
  /** The size Postfix reports for this content (reported_size.ts): what mailq, postqueue -j, postcat and the log show. */
  reportedSize: number;
  /** Offset of the `M` record. */
  contentOffset: number;
  /** Offset of the `X` record. */
  extractedOffset: number;
  /** Offset of the `E` record. */
  endOffset: number;
  /** Content-relative offset of the first body byte (the empty line), -1 when unknown. */
  bodyOffset: number;
  rcptCount: number;
  arrivalTime: QueueTime;
  /** Seconds; from the `create_time` attribute. */
  createTime: number | undefined;
  sender: string;
  fullName: string | undefined;
  recipients: QueueRecipient[];
  /** Every `A` record (envelope, extracted, then appended), the later one winning for a repeated name. */
  attributes: Map<string, string>;
  /** Names of the attributes an appended `A` record changed (postcat shows their envelope record as killed). */
  appendedAttributes: Set<string>;
  /** DSN ENVID (`envelope_id`). */
  dsnEnvid: string | undefined;
  /** DSN RET (`ret_flags`): DSN_RET.FULL or DSN_RET.HDRS, 0 when not given. */
  dsnRet: number;
  /** Uid of a local submitter (`submit_uid`). */
  uid: number | undefined;
  /** Seconds (`expire_time`), undefined when the default lifetime applies. */
  expireTime: number | undefined;
  /** Latest warning_message_time, 0 when none. */
  warningTime: number;
  /** Where a torn appended tail starts (left alone by a read-only reader), if there is one. */
  tornTail: { offset: number; size: number } | undefined;
  /** Bytes read from the file to get this envelope. */
  bytesRead: number;
}

/** One recipient status to append. */
export interface RecipientStatusUpdate {
  /** The recipient, or the offset of its `R` record. */
  recipient: QueueRecipient | number;
  status: RecipientStatusKind;
  /** Enhanced status code, `2.0.0`, `4.4.1`, `5.1.1`. */
  dsn: string;
  reason: string;
  /** Seconds; now when omitted. */
  time?: number;
  /** For a delivery: its DSN action when not `delivered` (see the header). */
  action?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

// ---------------------------------------------------------------------------------------------------------------
// Decoding

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function isStr(v: unknown): v is string {
  return typeof v === "string";
}

/** Validates a decoded msgpack value as a record; undefined when it is not one (wrong shape or field types). */
export function decodeRecord(value: unknown): QueueRecord | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const [k, a, b, c, d, e, f, g] = value as unknown[];
  switch (k) {
    case "C":
      if (!isCount(a) || a < 1 || !isCount(b) || !isCount(c) || !isCount(d) || typeof e !== "number" || !Number.isSafeInteger(e) || e < -1 || !isCount(f))
        return undefined;
      if (g !== undefined && !isCount(g)) return undefined;
      const rec = { kind: "C" as const, version: a, messageSize: b, contentOffset: c, extractedOffset: d, bodyOffset: e, rcptCount: f };
      return g === undefined ? rec : { ...rec, reportedSize: g };
    case "T":
      return isCount(a) && isCount(b) && b < 1_000_000 ? { kind: "T", sec: a, usec: b } : undefined;
    case "A":
      return isStr(a) && a.length > 0 && isStr(b) ? { kind: "A", name: a, value: b } : undefined;
    case "F":
      return isStr(a) ? { kind: "F", fullName: a } : undefined;
    case "S":
      return isStr(a) ? { kind: "S", sender: a } : undefined;
    case "R":
      return isStr(a) && isStr(b) && isCount(c) && isStr(d) ? { kind: "R", address: a, origAddress: b, notify: c, orcpt: d } : undefined;
    case "W":
      return isCount(a) ? { kind: "W", sec: a } : undefined;
    case "N":
      return a instanceof Uint8Array ? { kind: "N", data: a } : undefined;
    case "M":
    case "X":
    case "E":
      return { kind: k };
    case "D":
    case "b":
    case "d":
      if (!isCount(a) || !isCount(b) || !isStr(c) || !isStr(d)) return undefined;
      return k === "D" && isStr(e) && e !== "" ? { kind: k, rcptOffset: a, time: b, dsn: c, reason: d, action: e } : { kind: k, rcptOffset: a, time: b, dsn: c, reason: d };
    default:
      return undefined;
  }
}

const ENVELOPE_KINDS: ReadonlySet<string> = new Set(["T", "A", "F", "S", "R", "W"]);
const EXTRACTED_KINDS: ReadonlySet<string> = new Set(["A", "R"]);
const APPENDED_KINDS: ReadonlySet<string> = new Set(["D", "b", "d", "W", "A"]);

/** The `message_size:` fields postcat prints (Postfix's six `C` fields) for an envelope. */
export function postfixSizeFields(env: { messageSize: number; reportedSize?: number; contentOffset: number; rcptCount: number }): number[] {
  const size = env.reportedSize ?? env.messageSize;
  return [size, env.contentOffset, env.rcptCount, 0, size, 0];
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

/** How to open a queue file. */
export interface OpenQueueFileOptions {
  /** Open read-write (O_APPEND) to append status records. */
  write?: boolean;
  /** Take this lock (queue_lock.ts) right after opening; `locked` if it is busy. */
  lock?: QueueLockMode;
}

function corrupt(path: string, offset: number, reason: string): QueueError {
  return new QueueError("corrupt", `${path}: corrupt queue file: ${reason} at offset ${offset}`, { path });
}

/** An open queue file. Close it (or use `using`) when done; closing releases its lock. */
export class QueueFile implements Disposable {
  private env: QueueEnvelope | undefined;
  private closed = false;

  private constructor(
    /** The path it was opened by. */
    readonly path: string,
    /** The descriptor (for fstat, futimes). */
    readonly fd: number,
    private readonly writable: boolean,
    private lockMode: QueueLockMode | undefined,
  ) {}

  /** Opens `path` (see OpenQueueFileOptions); throws `notfound`, `locked`, `io`, or `corrupt` for a non-regular file. */
  static open(path: string, opts: OpenQueueFileOptions = {}): QueueFile {
    const { constants } = nodeFs();
    const flags = (opts.write ? constants.O_RDWR | constants.O_APPEND : constants.O_RDONLY) | constants.O_NOFOLLOW | O_CLOEXEC;
    let fd: number;
    try {
      fd = nodeFs().openSync(path, flags);
    } catch (e) {
      if (errnoCode(e) === "ELOOP") throw new QueueError("corrupt", `open queue file ${path}: is a symbolic link`, { path, cause: e });
      throw queueIoError("open queue file", path, e);
    }
    try {
      if (!nodeFs().fstatSync(fd).isFile()) throw new QueueError("corrupt", `${path}: not a regular file`, { path });
      if (opts.lock) lockQueueFile(fd, opts.lock, path);
    } catch (e) {
      nodeFs().closeSync(fd);
      throw e instanceof QueueError ? e : queueIoError("open queue file", path, e);
    }
    return new QueueFile(path, fd, opts.write === true, opts.lock);
  }

  /**
   * Converts this file's lock to `mode` without waiting (`locked` if busy). flock(2) conversion is not atomic:
   * another process may take the file in between, so take "exclusive" first and downgrade, not the other way.
   */
  relock(mode: QueueLockMode): void {
    this.check();
    lockQueueFile(this.fd, mode, this.path);
    this.lockMode = mode;
  }

  private check(): void {
    if (this.closed) throw new QueueError("state", `${this.path}: queue file is closed`, { path: this.path });
  }

  /**
   * The envelope (read once, then cached; `reread` to see what other appenders added since): envelope records,
   * extracted records and appended records, never the content. A torn appended tail is repaired when the file is open for writing under an exclusive lock, refused
   * (`torn`) when open for writing otherwise, and ignored when read-only.
   */
  envelope(opts: { reread?: boolean } = {}): QueueEnvelope {
    this.check();
    if (this.env && !opts.reread) return this.env;
    const env = readEnvelopeFd(this.fd, this.path);
    if (env.tornTail && this.writable) {
      if (this.lockMode !== "exclusive") {
        throw new QueueError("torn", `${this.path}: torn record at offset ${env.tornTail.offset}: an exclusive lock is needed to repair it`, {
          path: this.path,
        });
      }
      try {
        nodeFs().ftruncateSync(this.fd, env.tornTail.offset);
        nodeFs().fsyncSync(this.fd);
      } catch (e) {
        throw queueIoError("truncate queue file", this.path, e);
      }
      msgWarn(`${this.path}: removed ${env.tornTail.size} bytes of an incomplete record at offset ${env.tornTail.offset} (interrupted update)`);
      env.fileSize = env.tornTail.offset;
      env.tornTail = undefined;
    }
    this.env = env;
    return env;
  }

  /**
   * The message content, chunk by chunk (each at most CONTENT_CHUNK_SIZE bytes, not aligned to lines), read with a
   * bounded buffer. Throws `corrupt` if the content section does not match the envelope.
   */
  *content(): Generator<Uint8Array> {
    this.check();
    const env = this.envelope();
    const s = recordStream(this.fd, env.contentOffset, env.extractedOffset + 64);
    let total = 0;
    let first = true;
    for (;;) {
      const step = s.next();
      if (step.type !== "record") throw corrupt(this.path, step.offset, step.type === "bad" ? step.reason : "content ends early");
      const rec = decodeRecord(step.value);
      if (first) {
        if (rec?.kind !== "M") throw corrupt(this.path, step.offset, "no content record");
        first = false;
        continue;
      }
      if (rec?.kind === "N") {
        total += rec.data.length;
        yield rec.data;
        continue;
      }
      if (rec?.kind === "X" && step.offset === env.extractedOffset && total === env.messageSize) return;
      throw corrupt(this.path, step.offset, rec ? `unexpected record ${rec.kind} in content` : "bad record in content");
    }
  }

  /**
   * Every record in file order from byte `start` (default 0), content chunks and appended records included,
   * without checking which part a record belongs to (postcat, postcat -r / -s). Stops at the end of the file;
   * throws `corrupt` at the first bytes that are not a record, after yielding the records before them.
   */
  *records(start = 0): Generator<LocatedRecord> {
    this.check();
    const s = recordStream(this.fd, start);
    for (;;) {
      const step = s.next();
      if (step.type === "eof") return;
      if (step.type === "torn") throw corrupt(this.path, step.offset, "incomplete record");
      if (step.type === "bad") throw corrupt(this.path, step.offset, step.reason);
      const rec = decodeRecord(step.value);
      if (!rec) throw corrupt(this.path, step.offset, "invalid record");
      yield { ...rec, offset: step.offset, size: step.size };
    }
  }

  /**
   * Appends status records for one or more recipients with one write(2) and one fsync(2), and applies them to
   * envelope(). Needs `write`; throws `invalid` for an offset that is not a recipient of this file.
   */
  appendRecipientStatus(updates: RecipientStatusUpdate | readonly RecipientStatusUpdate[], opts: { sync?: boolean } = {}): void {
    const list = Array.isArray(updates) ? (updates as readonly RecipientStatusUpdate[]) : [updates as RecipientStatusUpdate];
    const env = this.envelope();
    const byOffset = new Map(env.recipients.map((r) => [r.offset, r]));
    const now = Math.floor(Date.now() / 1000);
    const recs: QueueRecord[] = [];
    for (const u of list) {
      const offset = typeof u.recipient === "number" ? u.recipient : u.recipient.offset;
      if (!byOffset.has(offset)) throw new QueueError("invalid", `${this.path}: no recipient at offset ${offset}`, { path: this.path });
      const kind = STATUS_KIND[u.status];
      if (!kind || !isStr(u.dsn) || !isStr(u.reason)) throw new QueueError("invalid", `${this.path}: bad recipient status`, { path: this.path });
      const time = u.time ?? now;
      if (!isCount(time)) throw new QueueError("invalid", `${this.path}: bad status time ${time}`, { path: this.path });
      const action = kind === "D" && u.action !== undefined && u.action !== "" ? { action: u.action } : {};
      recs.push({ kind, rcptOffset: offset, time, dsn: u.dsn, reason: u.reason, ...action });
    }
    const offsets = this.append(recs, opts.sync ?? true);
    recs.forEach((r, i) => applyAppended(env, r, offsets[i]!, byOffset));
  }

  /**
   * Appends a new value of a named attribute (the envelope's or the extracted section's value no longer counts);
   * needs `write`. The queue manager clears trace_flags this way once a `sendmail -v` report is queued.
   */
  appendAttribute(name: string, value: string): void {
    const env = this.envelope();
    this.append([{ kind: "A", name, value }]);
    env.attributes.set(name, value);
    env.appendedAttributes.add(name);
  }

  /** Appends a new warning_message_time (0 = no more warnings); needs `write`. */
  appendWarningTime(sec: number): void {
    if (!isCount(sec)) throw new QueueError("invalid", `${this.path}: bad warning time ${sec}`, { path: this.path });
    const env = this.envelope();
    this.append([{ kind: "W", sec }]);
    env.warningTime = sec;
  }

  private append(recs: QueueRecord[], sync = true): number[] {
    this.check();
    if (!this.writable) throw new QueueError("state", `${this.path}: queue file not open for writing`, { path: this.path });
    if (recs.length === 0) return [];
    const env = this.envelope();
    const parts = recs.map(encodeRecord);
    const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    let start: number;
    try {
      start = nodeFs().fstatSync(this.fd).size;
      const n = nodeFs().writeSync(this.fd, buf);
      if (n !== buf.length) throw Object.assign(new Error(`short write (${n} of ${buf.length} bytes)`), { code: "EIO" });
      if (sync) nodeFs().fsyncSync(this.fd);
    } catch (e) {
      throw queueIoError("append to queue file", this.path, e);
    }
    // With other appenders (shared lock) the position may differ from `start`; offsets then are best effort.
    const offsets: number[] = [];
    let o = start;
    for (const p of parts) {
      offsets.push(o);
      o += p.length;
    }
    env.fileSize = Math.max(env.fileSize, o);
    return offsets;
  }

  /** Closes the file, releasing its lock. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    nodeFs().closeSync(this.fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Opens a queue file; see QueueFile.open(). */
export function openQueueFile(path: string, opts: OpenQueueFileOptions = {}): QueueFile {
  return QueueFile.open(path, opts);
}

/** Reads the envelope of the queue file at `path`, read-only and without locking, then closes it. */
export function readEnvelope(path: string): QueueEnvelope {
  const f = QueueFile.open(path);
  try {
    return f.envelope();
  } finally {
    f.close();
  }
}

function applyAppended(env: QueueEnvelope, rec: QueueRecord, offset: number, byOffset: Map<number, QueueRecipient>): boolean {
  if (rec.kind === "W") {
    env.warningTime = rec.sec;
    return true;
  }
  if (rec.kind === "A") {
    env.attributes.set(rec.name, rec.value);
    env.appendedAttributes.add(rec.name);
    return true;
  }
  if (rec.kind !== "D" && rec.kind !== "b" && rec.kind !== "d") return false;
  const r = byOffset.get(rec.rcptOffset);
  if (!r) return false;
  if (r.done) return true; // a final status is never undone
  r.status = { status: KIND_STATUS[rec.kind]!, time: rec.time, dsn: rec.dsn, reason: rec.reason, offset, ...(rec.action ? { action: rec.action } : {}) };
  if (rec.kind !== "d") r.done = true;
  return true;
}

/**
 * Reads the envelope of open file `fd` (see QueueFile.envelope()); `path` names it in errors. `fileSize` is the
 * file's size when the caller has just fstat()ed it (saves a system call).
 */
export function readEnvelopeFd(fd: number, path: string, fileSize?: number): QueueEnvelope {
  if (fileSize === undefined) {
    try {
      fileSize = nodeFs().fstatSync(fd).size;
    } catch (e) {
      throw queueIoError("stat queue file", path, e);
    }
  }
  try {
    return readEnvelopeFast(fd, fileSize) ?? parseEnvelope(fd, path, fileSize);
  } catch (e) {
    throw e instanceof QueueError ? e : queueIoError("read queue file", path, e);
  }
}

/**
 * The envelope of open file `fd` through the general path alone (RecordStream and the codec), which defines what
 * readEnvelopeFd() returns: the fast path must give the same envelope or give up. For tests and diagnostics.
 */
export function readEnvelopeGeneral(fd: number, path: string): QueueEnvelope {
  let fileSize: number;
  try {
    fileSize = nodeFs().fstatSync(fd).size;
  } catch (e) {
    throw queueIoError("stat queue file", path, e);
  }
  try {
    return parseEnvelope(fd, path, fileSize);
  } catch (e) {
    throw e instanceof QueueError ? e : queueIoError("read queue file", path, e);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The fast path.
//
// Problem: most queue files are a few KB, and RecordStream reads such a file three times (the head, the tail from
// extractedOffset, and a last read that finds the end of the file), then builds an array and a record object per
// record. Listing a large queue is dominated by that. Solution: one read of up to FAST_READ_SIZE bytes from offset
// 0; a read that returns fewer bytes than asked has reached the end of the file, so when the envelope, the
// extracted section and the appended records all lie in the buffer, they are decoded from it directly with
// RecordReader, fields going straight into the envelope. A larger file needs one more read, of its tail (from
// extractedOffset); when that does not reach the end either (a huge tail), or when anything at all is unusual — a
// type RecordReader does not decode exactly, a record out of place, a torn tail, a count that disagrees — the
// fast path gives up and parseEnvelope() reads the file again the general way and decides: the fast path yields
// the same envelope as parseEnvelope() or none (queue_file_test.ts compares the two on valid and damaged files).
// The buffer is shared and reused: decoded strings are copies, nothing refers to it afterwards.

/** Bytes the fast path reads at once. */
const FAST_READ_SIZE = 64 * 1024;
let fastBuf: Buffer | undefined;
const reader = new RecordReader();

function readEnvelopeFast(fd: number, fileSize: number): QueueEnvelope | undefined {
  const buf = (fastBuf ??= Buffer.allocUnsafe(FAST_READ_SIZE));
  let n = readAt(fd, buf, 0);
  if (n < 0) return undefined; // the general path reads again and reports the error
  let bytesRead = n;
  const r = reader;
  r.reset(buf, 0, n);
  const env = fastSizeRecord(r, fileSize);
  if (env === undefined || !fastEnvelopeRecords(r, env)) return undefined;
  // The extracted section starts at extractedOffset: in the buffer, or one more read away.
  const x = env.extractedOffset;
  let base = 0;
  if (n < FAST_READ_SIZE && x < n) r.reset(buf, x, n);
  else {
    if (n < FAST_READ_SIZE) return undefined; // the file ends before extractedOffset: truncated
    n = readAt(fd, buf, x);
    if (n < 0 || n === FAST_READ_SIZE) return undefined; // an error, or a huge tail: stream it
    bytesRead += n;
    base = x;
    r.reset(buf, 0, n);
  }
  if (!fastExtracted(r, env, base) || !fastAppended(r, env, base)) return undefined;
  env.bytesRead = bytesRead;
  finishEnvelope(env);
  return env;
}

/** The `C` record's fields. */
export type SizeRecordFields = Pick<QueueEnvelope, "version" | "messageSize" | "reportedSize" | "contentOffset" | "extractedOffset" | "bodyOffset" | "rcptCount">;

/**
 * Reads the `C` record at the reader's position into `out`, checked as parseEnvelope() checks it; `base` +
 * the reader's position is the file offset. False when it is not a valid size record (the general path decides).
 * Shared by the fast envelope path and queue_listing.ts.
 */
export function readSizeRecordFast(r: RecordReader, fileSize: number, base: number, out: SizeRecordFields): boolean {
  if (r.begin() !== 0x43 /* C */) return false;
  const version = r.count();
  const messageSize = r.count();
  const contentOffset = r.count();
  const extractedOffset = r.count();
  const bodyOffset = r.int();
  const rcptCount = r.count();
  const reportedSize = r.left > 0 ? r.count() : messageSize;
  r.skipRest();
  if (r.bad || version < 1 || version > QUEUE_FILE_VERSION) return false;
  if (!(contentOffset >= base + r.pos && extractedOffset > contentOffset && extractedOffset < fileSize) || bodyOffset < -1 || bodyOffset > messageSize) {
    return false;
  }
  out.version = version;
  out.messageSize = messageSize;
  out.reportedSize = reportedSize;
  out.contentOffset = contentOffset;
  out.extractedOffset = extractedOffset;
  out.bodyOffset = bodyOffset;
  out.rcptCount = rcptCount;
  return true;
}

const sizeFields: SizeRecordFields = { version: 0, messageSize: 0, reportedSize: 0, contentOffset: 0, extractedOffset: 0, bodyOffset: 0, rcptCount: 0 };

/** Part 1: the `C` record, checked as parseEnvelope() does, into a new envelope. */
function fastSizeRecord(r: RecordReader, fileSize: number): QueueEnvelope | undefined {
  return readSizeRecordFast(r, fileSize, 0, sizeFields) ? newEnvelope(sizeFields, fileSize) : undefined;
}

/** An envelope with the size record's fields and nothing read yet (both paths fill it the same way). */
function newEnvelope(c: Omit<SizeRecordFields, "reportedSize"> & { reportedSize?: number }, fileSize: number): QueueEnvelope {
  return {
    version: c.version,
    fileSize,
    messageSize: c.messageSize,
    reportedSize: c.reportedSize ?? c.messageSize,
    contentOffset: c.contentOffset,
    extractedOffset: c.extractedOffset,
    endOffset: -1,
    bodyOffset: c.bodyOffset,
    rcptCount: c.rcptCount,
    arrivalTime: { sec: 0, usec: 0 },
    createTime: undefined,
    sender: "",
    fullName: undefined,
    recipients: [],
    attributes: new Map(),
    appendedAttributes: new Set(),
    dsnEnvid: undefined,
    dsnRet: 0,
    uid: undefined,
    expireTime: undefined,
    warningTime: 0,
    tornTail: undefined,
    bytesRead: 0,
  };
}

/** Part 1 continued: the envelope records up to `M`, which must be at contentOffset (the buffer starts at 0). */
function fastEnvelopeRecords(r: RecordReader, env: QueueEnvelope): boolean {
  let sawTime = false;
  let sawSender = false;
  for (;;) {
    const at = r.pos;
    if (at > env.contentOffset) return false;
    const kind = r.begin();
    if (kind === 0x4d /* M */) {
      r.skipRest();
      return at === env.contentOffset && !r.bad && sawTime && sawSender;
    }
    if (kind === 0x52 /* R */) fastRecipient(r, env, at, false);
    else if (kind === 0x41 /* A */) fastAttribute(r, env);
    else if (kind === 0x54 /* T */) {
      const sec = r.count();
      const usec = r.count();
      if (usec >= 1_000_000) return false;
      env.arrivalTime = { sec, usec };
      sawTime = true;
    } else if (kind === 0x53 /* S */) {
      env.sender = r.str();
      sawSender = true;
    } else if (kind === 0x46 /* F */) env.fullName = r.str();
    else if (kind === 0x57 /* W */) env.warningTime = r.count();
    else return false;
    r.skipRest();
    if (r.bad) return false;
  }
}

/** Part 3: `X` at the start of the reader (file offset `base` + position), then `A` and `R` records up to `E`. */
function fastExtracted(r: RecordReader, env: QueueEnvelope, base: number): boolean {
  if (r.begin() !== 0x58 /* X */) return false;
  r.skipRest();
  for (;;) {
    const at = base + r.pos;
    const kind = r.begin();
    if (kind === 0x45 /* E */) {
      r.skipRest();
      env.endOffset = at;
      return !r.bad && env.recipients.length === env.rcptCount;
    }
    if (kind === 0x52 /* R */) fastRecipient(r, env, at, true);
    else if (kind === 0x41 /* A */) fastAttribute(r, env);
    else return false;
    r.skipRest();
    if (r.bad) return false;
  }
}

/** Part 4: appended records, up to the end of what was read; anything else (a torn tail) is parseEnvelope()'s. */
function fastAppended(r: RecordReader, env: QueueEnvelope, base: number): boolean {
  while (r.pos < r.end) {
    const at = base + r.pos;
    const kind = r.begin();
    if (kind === 0x57 /* W */) {
      const sec = r.count();
      r.skipRest();
      if (r.bad) return false;
      env.warningTime = sec;
      continue;
    }
    if (kind === 0x41 /* A */) {
      const name = fastAttribute(r, env);
      r.skipRest();
      if (r.bad) return false;
      env.appendedAttributes.add(name);
      continue;
    }
    if (kind !== 0x64 /* d */ && kind !== 0x44 /* D */ && kind !== 0x62 /* b */) return false;
    const rcptOffset = r.count();
    const time = r.count();
    const dsn = r.str();
    const reason = r.str();
    const action = kind === 0x44 && r.left > 0 ? r.str() : "";
    r.skipRest();
    if (r.bad) return false;
    const rcpts = env.recipients;
    let rcpt: QueueRecipient | undefined;
    for (let i = 0; i < rcpts.length; i++) {
      if (rcpts[i]!.offset === rcptOffset) {
        rcpt = rcpts[i];
        break;
      }
    }
    if (rcpt === undefined) return false; // parseEnvelope() calls this a torn tail
    if (rcpt.done) continue; // a final status is never undone
    rcpt.status = { status: kind === 0x64 ? "deferred" : kind === 0x44 ? "delivered" : "bounced", time, dsn, reason, offset: at, ...(action ? { action } : {}) };
    if (kind !== 0x64) rcpt.done = true;
  }
  return true;
}

function fastRecipient(r: RecordReader, env: QueueEnvelope, offset: number, extracted: boolean): void {
  const address = r.str();
  const origAddress = r.str();
  const notify = r.count();
  const orcpt = r.str();
  if (!r.bad) env.recipients.push({ index: env.recipients.length, offset, address, origAddress, notify, orcpt, extracted, done: false, status: undefined });
}

function fastAttribute(r: RecordReader, env: QueueEnvelope): string {
  const name = r.str();
  const value = r.str();
  if (name.length === 0) r.bad = true;
  else if (!r.bad) env.attributes.set(name, value);
  return name;
}

/** Fills the envelope fields that come from attributes. */
function finishEnvelope(env: QueueEnvelope): void {
  const attr = env.attributes;
  env.createTime = attrNumber(attr, ATTR.CREATE_TIME);
  env.dsnEnvid = attr.get(ATTR.DSN_ENVID);
  env.dsnRet = attrNumber(attr, ATTR.DSN_RET) ?? 0;
  env.uid = attrNumber(attr, ATTR.SUBMIT_UID);
  env.expireTime = attrNumber(attr, ATTR.EXPIRE_TIME);
}

/** An attribute of 1 to 15 ASCII digits as a number, else undefined. */
function attrNumber(attr: Map<string, string>, name: string): number | undefined {
  const v = attr.get(name);
  if (v === undefined || v.length === 0 || v.length > 15) return undefined;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(v);
}

function parseEnvelope(fd: number, path: string, fileSize: number): QueueEnvelope {
  // Part 1: the envelope, from offset 0 up to M.
  const head = recordStream(fd, 0, fileSize);
  const first = head.next();
  if (first.type === "eof") throw corrupt(path, 0, "empty file");
  if (first.type !== "record") throw corrupt(path, 0, "not a postkit queue file");
  const c = decodeRecord(first.value);
  if (c?.kind !== "C") {
    const v = first.value;
    const versionOk = Array.isArray(v) && v[0] === "C" && typeof v[1] === "number" && v[1] > QUEUE_FILE_VERSION;
    if (versionOk) throw new QueueError("unsupported", `${path}: queue file format version ${v[1]} is newer than ${QUEUE_FILE_VERSION}`, { path });
    throw corrupt(path, 0, "not a postkit queue file");
  }
  if (c.version > QUEUE_FILE_VERSION) {
    throw new QueueError("unsupported", `${path}: queue file format version ${c.version} is newer than ${QUEUE_FILE_VERSION}`, { path });
  }
  if (!(c.contentOffset >= first.size && c.extractedOffset > c.contentOffset && c.extractedOffset < fileSize)) {
    throw corrupt(path, 0, "bad size record");
  }
  if (c.bodyOffset > c.messageSize) throw corrupt(path, 0, "bad body offset");

  const env = newEnvelope(c, fileSize);
  let sawTime = false;
  let sawSender = false;
  const addRecipient = (r: Extract<QueueRecord, { kind: "R" }>, offset: number, extracted: boolean) => {
    env.recipients.push({
      index: env.recipients.length,
      offset,
      address: r.address,
      origAddress: r.origAddress,
      notify: r.notify,
      orcpt: r.orcpt,
      extracted,
      done: false,
      status: undefined,
    });
  };
  for (;;) {
    const step = head.next();
    if (step.type !== "record") throw corrupt(path, step.offset, step.type === "bad" ? step.reason : "envelope ends early");
    const rec = decodeRecord(step.value);
    if (rec?.kind === "M") {
      if (step.offset !== c.contentOffset) throw corrupt(path, step.offset, "content record not where the size record says");
      break;
    }
    if (!rec || !ENVELOPE_KINDS.has(rec.kind)) throw corrupt(path, step.offset, rec ? `record ${rec.kind} in envelope` : "invalid envelope record");
    switch (rec.kind) {
      case "T":
        env.arrivalTime = { sec: rec.sec, usec: rec.usec };
        sawTime = true;
        break;
      case "A":
        env.attributes.set(rec.name, rec.value);
        break;
      case "F":
        env.fullName = rec.fullName;
        break;
      case "S":
        env.sender = rec.sender;
        sawSender = true;
        break;
      case "R":
        addRecipient(rec, step.offset, false);
        break;
      case "W":
        env.warningTime = rec.sec;
        break;
    }
  }
  if (!sawTime || !sawSender) throw corrupt(path, head.offset, sawTime ? "no sender record" : "no arrival time record");

  // Part 3: from X (skipping the content) to E.
  const tail = recordStream(fd, c.extractedOffset, fileSize);
  const x = tail.next();
  if (x.type !== "record" || decodeRecord(x.value)?.kind !== "X") throw corrupt(path, c.extractedOffset, "no extracted-information record where the size record says");
  for (;;) {
    const step = tail.next();
    if (step.type !== "record") throw corrupt(path, step.offset, step.type === "bad" ? step.reason : "no end record (truncated file)");
    const rec = decodeRecord(step.value);
    if (rec?.kind === "E") {
      env.endOffset = step.offset;
      break;
    }
    if (!rec || !EXTRACTED_KINDS.has(rec.kind)) throw corrupt(path, step.offset, rec ? `record ${rec.kind} in extracted information` : "invalid record");
    if (rec.kind === "A") env.attributes.set(rec.name, rec.value);
    else if (rec.kind === "R") addRecipient(rec, step.offset, true);
  }
  if (env.recipients.length !== c.rcptCount) throw corrupt(path, 0, `size record counts ${c.rcptCount} recipients, file has ${env.recipients.length}`);

  // Part 4: appended records, up to the end of the file or a torn tail.
  const byOffset = new Map(env.recipients.map((r) => [r.offset, r]));
  for (;;) {
    const step = tail.next();
    if (step.type === "eof") break;
    if (step.type === "record") {
      const rec = decodeRecord(step.value);
      if (rec && APPENDED_KINDS.has(rec.kind) && applyAppended(env, rec, step.offset, byOffset)) continue;
    }
    const size = Math.max(nodeFs().fstatSync(fd).size, fileSize); // an appender may have added bytes meanwhile
    env.fileSize = size;
    env.tornTail = { offset: step.offset, size: size - step.offset };
    break;
  }
  env.bytesRead = head.bytesRead + tail.bytesRead;
  finishEnvelope(env);
  return env;
}
