/**
 * queue_listing — the queue scan behind mailq, `postqueue -p` and `postqueue -j`: for each message, only what
 * those listings print, read with as little work per message as the format allows. Postfix's showq reading side.
 *
 * QueueEntryLister lists single entries — a walker's (scanQueueListing(), which walks the queues in showq's order)
 * or names another thread read (QueueEntryLister.names(), for internal/showq/parallel_listing.ts, which splits a
 * large listing between two threads). scanQueueListing() hands each message to a callback as one ListedMessage
 * that it fills again for the next message (nothing is kept from one message to the next, so memory stays flat
 * whatever the queue size): queue name and ID, arrival time, size, the forced-expire mark, the sender, and the
 * recipients still to do in listing order, each with its original address and latest delay reason. Which files
 * count is queue_ops.ts's scanQueueSummaries() rule (regular, owner bits exactly rwx, name a valid queue ID;
 * files that vanish are skipped; unreadable or damaged ones go to `onFailure` and the scan goes on), and so are
 * the system calls: openat(2), statx(2), one pread(2) for a file of up to 64 KiB, close(2).
 *
 * Problem: the general summary (queue_file.ts's envelope, then a QueueSummary) decodes every attribute into a
 * Map, every recipient and status into objects and every string of the file, then copies the recipients into a
 * summary; most of that a listing never prints, and for a queue of 10,000 small messages it cost as much as
 * the system calls. Solution: readListingFast() decodes the records from the bytes read with _record_reader.ts
 * straight into the ListedMessage, checking every record exactly as queue_file.ts's fast path does but skipping
 * (still validating) the fields no listing prints — attributes, full name, ORCPT, NOTIFY, DSN codes, reasons of
 * final statuses. Whenever that path gives up (anything unusual, see _record_reader.ts), the message is read
 * through readEnvelopeFd() and the ListedMessage made from the envelope: the same checks decide, so the listing
 * shows what the general reader reads, or the general reader's error (queue_listing_test.ts compares the two
 * on valid, cut, rearranged and randomly damaged files). The strings neighbouring files so often share — the
 * sender, the delay reason, the first recipients' addresses — are kept from the previous file and reused when
 * the bytes are the same (RecordReader.strCached()), which also lets mailq_format.ts reuse what it printed.
 * Listings that select messages go through scanQueueSummaries() and ListedMessage.fromSummary().
 *
 * Listing order (Postfix's showq): first the recipients whose latest status is a deferral, in the order of those
 * deferral records in the file, then the others in file order; delivered and bounced recipients are left out.
 *
 * Contract: scanQueueListing() throws only a `QueueError` (`io`) for a queue directory that cannot be read;
 * readListingFast() never throws.
 */
import { noFTL } from "bun:jsc";
import { closeFd, loadLibc, openAtName, openDirHandle, readAt, statFd, type FileStat } from "./_fileio.ts";
import type { DirStream } from "./_readdir.ts";
import { RecordReader, StringCache } from "./_record_reader.ts";
import { QueueError, queueIoError } from "./queue_error.ts";
import { isValidQueueId } from "./queue_id.ts";
import { QueueWalker, SHOWQ_QUEUES, type QueueName } from "./queue_path.ts";
import { readEnvelopeFd, readSizeRecordFast, type QueueEnvelope, type QueueRecipient, type SizeRecordFields } from "./queue_file.ts";
import { isCompleteQueueFile, openListingEntry, readQueueSummary, type QueueLayout, type QueueSummary, type QueueSummaryFailure } from "./queue_ops.ts";

/**
 * One message as a listing shows it; see the header. The recipient fields are parallel arrays of which the first
 * `count` entries count (the arrays are reused from message to message).
 */
export class ListedMessage {
  queueName: QueueName = "maildrop";
  queueId = "";
  /** Seconds: the `T` record, or the file's mtime when it has none. */
  arrivalTime = 0;
  /** The size Postfix reports (reported_size.ts); for maildrop files the file size, as showq does. */
  messageSize = 0;
  /** The group-execute bit (postsuper -e). */
  forcedExpire = false;
  /** "" for the null sender. */
  sender = "";
  /** Recipients still to do. */
  count = 0;
  readonly address: string[] = [];
  readonly origAddress: string[] = [];
  /** Reason of the latest deferral, "" when none. */
  readonly reason: string[] = [];

  // Every recipient in file order, as read: what the listing order is made from.
  private all = 0;
  private readonly fileAddress: string[] = [];
  private readonly fileOrig: string[] = [];
  private readonly fileOffset: number[] = [];
  private readonly fileDone: boolean[] = [];
  /** Offset of the latest deferral record, -1 when none. */
  private readonly fileDeferredAt: number[] = [];
  private readonly fileReason: string[] = [];

  /** Starts a message's recipients (readListingFast(), fromEnvelope()). */
  clearRecipients(): void {
    this.all = 0;
    this.count = 0;
  }

  /** Recipients read so far. */
  get recipientsRead(): number {
    return this.all;
  }

  // The strings of the previous message, for RecordReader.strCached(): the sender, the delay reason, and the
  // address and original address of the first recipients.
  readonly senderCache = new StringCache();
  readonly reasonCache = new StringCache();
  private readonly addressCaches: StringCache[] = [];
  private readonly origCaches: StringCache[] = [];

  /** Reads the address and original address of the recipient addRecipient() adds next. */
  readRecipientAddresses(r: RecordReader): void {
    const i = this.all;
    if (i >= CACHED_RECIPIENTS) {
      this.nextAddress = r.str();
      this.nextOrig = r.str();
      return;
    }
    if (i >= this.addressCaches.length) {
      this.addressCaches.push(new StringCache());
      this.origCaches.push(new StringCache());
    }
    this.nextAddress = r.strCached(this.addressCaches[i]!);
    this.nextOrig = r.strCached(this.origCaches[i]!);
  }

  /** What readRecipientAddresses() read. */
  nextAddress = "";
  nextOrig = "";

  /** Adds a recipient (file order) whose `R` record is at `offset`. */
  addRecipient(address: string, origAddress: string, offset: number): void {
    const i = this.all++;
    this.fileAddress[i] = address;
    this.fileOrig[i] = origAddress;
    this.fileOffset[i] = offset;
    this.fileDone[i] = false;
    this.fileDeferredAt[i] = -1;
    this.fileReason[i] = "";
  }

  /**
   * Applies a status record at `at` to the recipient whose `R` record is at `rcptOffset`: a deferral (with its
   * reason) unless the recipient is done, or a final status. False when there is no such recipient.
   */
  applyStatus(rcptOffset: number, deferred: boolean, reason: string, at: number): boolean {
    const offsets = this.fileOffset;
    for (let i = 0; i < this.all; i++) {
      if (offsets[i] !== rcptOffset) continue;
      if (this.fileDone[i]) return true; // a final status is never undone
      if (deferred) {
        this.fileDeferredAt[i] = at;
        this.fileReason[i] = reason;
      } else this.fileDone[i] = true;
      return true;
    }
    return false;
  }

  /** Puts the recipients still to do into listing order (see the header). */
  orderRecipients(): void {
    const n = this.all;
    const done = this.fileDone;
    const at = this.fileDeferredAt;
    // Already in order: no deferral after a recipient without one, deferrals in file order (one recipient always).
    let inOrder = true;
    let plainSeen = false;
    let last = -1;
    for (let i = 0; i < n; i++) {
      if (done[i]) continue;
      const a = at[i]!;
      if (a >= 0) {
        if (plainSeen || a < last) {
          inOrder = false;
          break;
        }
        last = a;
      } else plainSeen = true;
    }
    let k = 0;
    if (inOrder) {
      for (let i = 0; i < n; i++) if (!done[i]) this.put(k++, i);
    } else {
      const deferred: number[] = [];
      for (let i = 0; i < n; i++) if (!done[i] && at[i]! >= 0) deferred.push(i);
      deferred.sort((x, y) => at[x]! - at[y]!);
      for (const i of deferred) this.put(k++, i);
      for (let i = 0; i < n; i++) if (!done[i] && at[i]! < 0) this.put(k++, i);
    }
    this.count = k;
  }

  private put(k: number, i: number): void {
    this.address[k] = this.fileAddress[i]!;
    this.origAddress[k] = this.fileOrig[i]!;
    this.reason[k] = this.fileReason[i]!;
  }

  /**
   * Fills this from an envelope read by queue_file.ts: `mode`, `size` and `mtimeSec` are the file's (the forced-
   * expire bit, maildrop's size, the arrival time of a file without one).
   */
  fromEnvelope(queueName: QueueName, queueId: string, env: QueueEnvelope, mode: number, size: number, mtimeSec: number): this {
    this.queueName = queueName;
    this.queueId = queueId;
    this.arrivalTime = env.arrivalTime.sec || mtimeSec;
    this.messageSize = queueName === "maildrop" ? size : env.reportedSize;
    this.forcedExpire = (mode & 0o010) !== 0;
    this.sender = env.sender;
    this.takeRecipients(env.recipients);
    return this;
  }

  /** Fills this from a summary of queue_ops.ts (selected listings). */
  fromSummary(s: QueueSummary): this {
    this.queueName = s.queueName;
    this.queueId = s.queueId;
    this.arrivalTime = s.arrivalTime;
    this.messageSize = s.messageSize;
    this.forcedExpire = s.forcedExpire;
    this.sender = s.sender;
    this.takeRecipients(s.envelope.recipients);
    return this;
  }

  private takeRecipients(recipients: readonly QueueRecipient[]): void {
    this.clearRecipients();
    for (const r of recipients) {
      const i = this.all;
      this.addRecipient(r.address, r.origAddress, r.offset);
      if (r.done) this.fileDone[i] = true;
      else if (r.status?.status === "deferred") {
        this.fileDeferredAt[i] = r.status.offset;
        this.fileReason[i] = r.status.reason;
      }
    }
    this.orderRecipients();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The lean decoder: queue_file.ts's fast path (readEnvelopeFast and the functions after it), record by record,
// keeping only what a listing prints. Any change to what that path accepts belongs here too.

/** Recipients per message whose strings are cached from message to message (memory stays small). */
const CACHED_RECIPIENTS = 4;

/** Bytes read at once (queue_file.ts's FAST_READ_SIZE). */
const READ_SIZE = 64 * 1024;

let readBuf: Buffer | undefined;
const reader = new RecordReader();

/**
 * Reads what a listing shows of open queue file `fd` (`fileSize` bytes) into `m` — arrival time (0 when the file
 * has none), content size, sender, recipients in listing order; the caller sets the rest. False when the general
 * reader must decide (then `m` holds nothing useful). Never throws.
 */
export function readListingFast(fd: number, fileSize: number, m: ListedMessage): boolean {
  const buf = (readBuf ??= Buffer.allocUnsafe(READ_SIZE));
  const n = readAt(fd, buf, 0);
  return n >= 0 && decodeListing(buf, 0, n, fileSize, m, fd);
}

const sizeFields: SizeRecordFields = { version: 0, messageSize: 0, reportedSize: 0, contentOffset: 0, extractedOffset: 0, bodyOffset: 0, rcptCount: 0 };

/**
 * readListingFast() of a file whose first `n` bytes (at most READ_SIZE; fewer means the end of the file) are
 * `buf[start, start + n)`; `fd` reads the rest when the extracted section lies beyond them (-1: give up then).
 */
export function decodeListing(buf: Buffer, start: number, n: number, fileSize: number, m: ListedMessage, fd: number): boolean {
  const r = reader;
  r.reset(buf, start, start + n);
  let base = -start; // base + r.pos is the file offset

  // The size record.
  const size = sizeFields;
  if (!readSizeRecordFast(r, fileSize, base, size)) return false;
  const { contentOffset, extractedOffset, rcptCount } = size;
  m.messageSize = size.reportedSize;
  m.clearRecipients();

  // The envelope records, up to M at contentOffset.
  let sawTime = false;
  let sawSender = false;
  for (;;) {
    const at = base + r.pos;
    if (at > contentOffset) return false;
    const kind = r.begin();
    if (kind === 0x4d /* M */) {
      r.skipRest();
      if (at !== contentOffset || r.bad || !sawTime || !sawSender) return false;
      break;
    }
    if (kind === 0x52 /* R */) readRecipient(r, m, at);
    else if (kind === 0x41 /* A */) skipAttribute(r);
    else if (kind === 0x54 /* T */) {
      m.arrivalTime = r.count();
      if (r.count() >= 1_000_000) return false;
      sawTime = true;
    } else if (kind === 0x53 /* S */) {
      m.sender = r.strCached(m.senderCache);
      sawSender = true;
    } else if (kind === 0x46 /* F */) r.skipStr();
    else if (kind === 0x57 /* W */) r.count();
    else return false;
    r.skipRest();
    if (r.bad) return false;
  }

  // The extracted section starts at extractedOffset: among the bytes at hand, or one more read away.
  if (n < READ_SIZE && extractedOffset < n) r.reset(buf, start + extractedOffset, start + n);
  else {
    if (n < READ_SIZE || fd < 0) return false; // the file ends before extractedOffset: truncated
    const tail = (readBuf ??= Buffer.allocUnsafe(READ_SIZE));
    const t = readAt(fd, tail, extractedOffset);
    if (t < 0 || t === READ_SIZE) return false; // an error, or a huge tail: the general reader streams it
    base = extractedOffset;
    r.reset(tail, 0, t);
  }
  if (r.begin() !== 0x58 /* X */) return false;
  r.skipRest();
  for (;;) {
    const at = base + r.pos;
    const kind = r.begin();
    if (kind === 0x45 /* E */) {
      r.skipRest();
      if (r.bad || m.recipientsRead !== rcptCount) return false;
      break;
    }
    if (kind === 0x52 /* R */) readRecipient(r, m, at);
    else if (kind === 0x41 /* A */) skipAttribute(r);
    else return false;
    r.skipRest();
    if (r.bad) return false;
  }

  // Appended records, up to the end of what was read; anything else (a torn tail) is the general reader's.
  while (r.pos < r.end) {
    const at = base + r.pos;
    const kind = r.begin();
    if (kind === 0x57 /* W */ || kind === 0x41 /* A */) {
      if (kind === 0x57) r.count();
      else skipAttribute(r);
      r.skipRest();
      if (r.bad) return false;
      continue;
    }
    const deferred = kind === 0x64; /* d */
    if (!deferred && kind !== 0x44 /* D */ && kind !== 0x62 /* b */) return false;
    const rcptOffset = r.count();
    r.count(); // time
    r.skipStr(); // dsn
    let reason = "";
    if (deferred) reason = r.strCached(m.reasonCache);
    else r.skipStr();
    r.skipRest();
    if (r.bad || !m.applyStatus(rcptOffset, deferred, reason, at)) return false;
  }
  m.orderRecipients();
  return true;
}

function readRecipient(r: RecordReader, m: ListedMessage, offset: number): void {
  m.readRecipientAddresses(r);
  r.count(); // notify
  r.skipStr(); // orcpt
  if (!r.bad) m.addRecipient(m.nextAddress, m.nextOrig, offset);
}

function skipAttribute(r: RecordReader): void {
  if (r.skipStr() === 0) r.bad = true; // an attribute needs a name
  r.skipStr();
}

// ---------------------------------------------------------------------------------------------------------------
// The scan

/**
 * Fills `m` with the message the walker is at: true, or false when it is to be skipped (vanished, incomplete).
 * Throws what readQueueSummary()/readEnvelopeFd() throw for a file they cannot read.
 */
function listEntry(queueName: QueueName, w: ListingCursor, st: FileStat, m: ListedMessage): boolean {
  const fd = openListingEntry(w.dir!);
  if (fd < 0) {
    if (fd === -ENOENT) return false; // gone since readdir: moved or delivered
    return fromSummary(m, readQueueSummary(queueName, w.name, w.path)); // node:fs words the error
  }
  try {
    if (statFd(fd, st) !== 0 || (st.mode & S_IFMT) !== S_IFREG) return fromSummary(m, readQueueSummary(queueName, w.name, w.path));
    if (!isCompleteQueueFile(st.mode)) return false;
    if (!readListingFast(fd, st.size, m)) {
      m.fromEnvelope(queueName, w.name, readEnvelopeFd(fd, w.path, st.size), st.mode, st.size, st.mtimeSec);
      return true;
    }
  } finally {
    closeFd(fd);
  }
  finishListed(m, queueName, w.name, st.mode, st.size, st.mtimeSec);
  return true;
}

/** The fields of `m` that come from the file rather than its records. */
function finishListed(m: ListedMessage, queueName: QueueName, name: string, mode: number, size: number, mtimeSec: number): void {
  m.queueName = queueName;
  m.queueId = name;
  if (m.arrivalTime === 0) m.arrivalTime = mtimeSec;
  if (queueName === "maildrop") m.messageSize = size;
  m.forcedExpire = (mode & 0o010) !== 0;
}

function fromSummary(m: ListedMessage, s: QueueSummary | undefined): boolean {
  if (s === undefined) return false;
  m.fromSummary(s);
  return true;
}

const ENOENT = 2;
const ENOSYS = 38;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/** Where listEntry() finds a file: a QueueWalker, or a NamedEntry. */
export interface ListingCursor {
  readonly name: string;
  readonly path: string;
  readonly dir?: Pick<DirStream, "openEntry"> | undefined;
}

/**
 * Lists single entries into one ListedMessage handed to `visit` (false: stop), damaged and unreadable files to
 * `onFailure`: a walker's current entry (scanQueueListing(), and the start of a listing split between threads),
 * or names another thread read (names()).
 */
export class QueueEntryLister {
  private readonly st: FileStat = { mode: 0, size: 0, mtimeSec: 0, uid: 0 };
  private readonly m = new ListedMessage();

  constructor(
    private readonly visit: (m: ListedMessage) => boolean,
    private readonly onFailure: (f: QueueSummaryFailure) => void,
  ) {
    keepBelowFtl();
  }

  /** The entry `w` is at, whose name is a valid queue ID; false when `visit` asked to stop. */
  entry(queueName: QueueName, w: ListingCursor): boolean {
    let ok: boolean;
    try {
      ok = listEntry(queueName, w, this.st, this.m);
    } catch (e) {
      if (e instanceof QueueError && e.code === "notfound") return true;
      this.onFailure({ queueName, queueId: w.name, path: w.path, error: e instanceof QueueError ? e : queueIoError("read queue file", w.path, e) });
      return true;
    }
    return !ok || this.visit(this.m);
  }

  /**
   * The messages `names` of directory `dirPath` of queue `queueName`, opened relative to the directory as a
   * walk's entries are; false when `visit` asked to stop. For a listing split between threads
   * (internal/showq/parallel_listing.ts): one thread reads the directories, another lists what it found.
   */
  names(queueName: QueueName, dirPath: string, names: readonly string[]): boolean {
    const e = new NamedEntry();
    e.dirFd = openDirHandle(dirPath);
    if (e.dirFd === -ENOENT) return true; // the whole directory is gone (a hash directory removed meanwhile)
    // without a handle (no libc) openEntry() fails and listEntry() reads each file by its path, as readQueueSummary() does
    try {
      for (const name of names) {
        if (!isValidQueueId(name)) continue;
        e.name = name;
        e.path = `${dirPath}/${name}`;
        if (!this.entry(queueName, e)) return false;
      }
    } finally {
      if (e.dirFd >= 0) closeFd(e.dirFd);
    }
    return true;
  }
}

/** An entry named by another thread's directory walk (QueueEntryLister.names()), opened relative to its directory. */
class NamedEntry implements ListingCursor {
  name = "";
  path = "";
  dirFd = -1;
  readonly dir = { openEntry: (flags: number): number => (this.dirFd >= 0 ? openAtName(this.dirFd, this.name, flags) : -ENOSYS) };
}

/**
 * Lists the messages of `queues` (default: showq's order) one at a time into one ListedMessage handed to `visit`,
 * which returns false to stop the scan; see the header. Unreadable and damaged files go to `onFailure`.
 */
export function scanQueueListing(
  layout: QueueLayout,
  visit: (m: ListedMessage) => boolean,
  onFailure: (f: QueueSummaryFailure) => void,
  queues: readonly QueueName[] = SHOWQ_QUEUES,
): void {
  const lister = new QueueEntryLister(visit, onFailure);
  for (const queueName of queues) {
    const w = new QueueWalker(layout.queueDir, queueName, { missingOk: true });
    try {
      while (w.next()) {
        if (w.type === "other" || !isValidQueueId(w.name)) continue;
        if (!lister.entry(queueName, w)) return;
      }
    } finally {
      w.close();
    }
  }
}

let belowFtl = false;

/**
 * Problem: a listing of 10,000 messages is over in well under 100 ms, yet JSC compiles its hottest functions with
 * its top tier (FTL) in the middle of it: some twenty compilations, 30-40 ms of a JIT thread's time, more than
 * the whole decoding, which on a busy machine the listing waits for, and whose code arrives when most of the
 * listing is done. Solution: the functions a listing runs for every file stay at the tier below (DFG, which they
 * reach early): a fifth less CPU for 10,000 messages, and no slower for 100,000 (measured). Done when the
 * first listing starts, so that other programs using these functions are not affected.
 */
function keepBelowFtl(): void {
  if (belowFtl) return;
  belowFtl = true;
  const hot: unknown[] = [scanQueueListing, listEntry, finishListed, readListingFast, decodeListing, readRecipient, skipAttribute];
  hot.push(isValidQueueId, isCompleteQueueFile, openListingEntry, statFd, readAt, closeFd, loadLibc, readSizeRecordFast);
  for (const proto of [RecordReader.prototype, ListedMessage.prototype, QueueWalker.prototype, NamedEntry.prototype, QueueEntryLister.prototype]) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, name)!;
      hot.push(d.value, d.get);
    }
  }
  for (const f of hot) if (typeof f === "function") noFTL(f as (...args: unknown[]) => unknown);
}
