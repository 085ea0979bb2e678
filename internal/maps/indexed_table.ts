/**
 * indexed_table — the `hash`, `btree`, `lmdb` and `cdb` table types: files that postmap and postalias build
 * from a source file, for fast exact-key lookups.
 *
 * FILES
 *   hash, btree   NAME.db        Postfix: Berkeley DB
 *   lmdb          NAME.lmdb      Postfix: OpenLDAP LMDB
 *   cdb           NAME.cdb       Postfix: tinycdb
 * The names are Postfix's; the content of all four is the CDB layout (cdb.ts), so no Berkeley DB or LMDB library
 * is needed and `cdb -q NAME.db key` answers too. A Berkeley DB or LMDB file left behind by Postfix is recognised
 * by its magic number and refused with a message that says to rebuild it.
 *
 * Keys and values are stored as UTF-8 bytes. By default without a trailing NUL (as Debian's Postfix stores hash
 * and cdb tables); `-N` (nul "with-nul") appends one to key and value. A lookup in "try-both" mode tries both
 * forms until one hits, then sticks to it, as Postfix does.
 *
 * Sequence order (`postmap -s`): hash and cdb list entries in file order (the order they were added); btree and
 * lmdb sort them by key bytes, as Berkeley DB btree and LMDB do.
 *
 * UPDATES
 *   Every change writes a complete new file beside the table and renames it into place, so a reader sees the old
 *   table or the new one, never half of one; an open table notices the rename (stat every `checkIntervalMs`) and
 *   reopens itself. `-i` (update) and `-d` (delete) copy the live records of the current file into the new one;
 *   writers serialise on an flock(2) of the current file. cdb refuses `-i` and `-d` with Postfix's message.
 *
 * ERRORS (MapError)
 *   open      `open database NAME.db: No such file or directory` and other system errors
 *   corrupt   a file too short, truncated, or in a foreign format
 *   write     a failure while writing the new file (which is then removed)
 *   lock      the current file stayed locked for `lockTimeoutMs`
 */
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, fsyncSync, openSync, readSync, renameSync, statSync, unlinkSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { CdbCorrupt, CdbReader, CdbWriter, DUPLICATE_KEPT, DUPLICATE_REPLACED } from "./cdb.ts";
import { MapError } from "./map_error.ts";
import { foldKey, isAscii, printableText } from "./casefold.ts";
import type { DuplicatePolicy, LookupTable, MapOptions, NulPolicy } from "./table.ts";
import { errnoText } from "../sys/errno.ts";
import { msgWarn } from "../log/msg.ts";
import { fsyncDir, tempNameBeside } from "../fsx/atomic.ts";
import { tryLockDescriptor, unlockDescriptor } from "../fsx/lock.ts";

/** The indexed table types and the suffix of their file. */
export const INDEXED_SUFFIX: Readonly<Record<string, string>> = { hash: ".db", btree: ".db", lmdb: ".lmdb", cdb: ".cdb" };

/** True for the types stored as an indexed file. */
export function isIndexedType(type: string): boolean {
  return Object.hasOwn(INDEXED_SUFFIX, type);
}

/** The file behind `type:name`. */
export function indexedPath(type: string, name: string): string {
  return name + INDEXED_SUFFIX[type]!;
}

/** Linux O_CLOEXEC (node's typings lack it). */
const O_CLOEXEC = 0o2000000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Decodes bytes[start, end) as UTF-8, fast for ASCII. */
export function decodeBytes(bytes: Uint8Array, start: number, end: number): string {
  if (end - start < 48) {
    let s = "";
    for (let i = start; i < end; i++) {
      const b = bytes[i]!;
      if (b >= 0x80) return decoder.decode(bytes.subarray(start, end));
      s += String.fromCharCode(b);
    }
    return s;
  }
  return decoder.decode(bytes.subarray(start, end));
}

function foreignFormat(r: CdbReader | Uint8Array): string | undefined {
  const b = r instanceof Uint8Array ? r : r.bytes;
  if (b.length < 20) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const at = (p: number) => [v.getUint32(p, true), v.getUint32(p, false)];
  if (at(12).includes(0x061561)) return "a Berkeley DB hash file";
  if (at(12).includes(0x053162)) return "a Berkeley DB btree file";
  if (at(16).includes(0xbeefc0de)) return "an LMDB file";
  return undefined;
}

function openReader(path: string): { reader: CdbReader; st: Stats } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | O_CLOEXEC);
  } catch (e) {
    throw new MapError("open", `open database ${path}: ${errnoText(e)}`, { cause: e });
  }
  try {
    const st = fstatSync(fd);
    const head = new Uint8Array(20);
    const foreignHead = readSync(fd, head, 0, 20, 0) === 20 ? foreignFormat(head) : undefined;
    if (foreignHead) throw new MapError("corrupt", `open database ${path}: ${foreignHead}, not a postkit table; rebuild it with postmap or postalias`);
    let reader: CdbReader;
    try {
      reader = CdbReader.fromFd(fd);
    } catch (e) {
      if (e instanceof CdbCorrupt) throw new MapError("corrupt", `open database ${path}: ${e.message}`);
      throw new MapError("open", `open database ${path}: ${errnoText(e)}`, { cause: e });
    }
    const foreign = foreignFormat(reader);
    if (foreign) {
      reader.close();
      throw new MapError("corrupt", `open database ${path}: ${foreign}, not a postkit table; rebuild it with postmap or postalias`);
    }
    return { reader, st };
  } finally {
    closeSync(fd);
  }
}

function corrupt(path: string, e: unknown): never {
  if (e instanceof CdbCorrupt) throw new MapError("corrupt", `table ${path}: ${e.message}`);
  throw e;
}

/** An open hash, btree, lmdb or cdb table. */
export class IndexedTable implements LookupTable {
  readonly fixed = true;
  readonly path: string;
  private reader: CdbReader;
  private st: Stats;
  private lastCheck = Date.now();
  private readonly fold: boolean;
  private readonly utf8: boolean;
  private readonly interval: number;
  /** Variants still tried, in order: true = with trailing NUL. */
  private nulOrder: boolean[];

  constructor(
    readonly type: string,
    readonly name: string,
    opts: MapOptions = {},
  ) {
    this.path = indexedPath(type, name);
    this.fold = opts.fold ?? true;
    this.utf8 = opts.utf8 ?? false;
    this.interval = opts.checkIntervalMs ?? 1000;
    ({ reader: this.reader, st: this.st } = openReader(this.path));
    this.nulOrder = this.initialNulOrder(opts.nul ?? "try-both");
    try {
      const src = statSync(name);
      if (src.mtimeMs > this.st.mtimeMs && src.mtimeMs < Date.now() - 100_000) {
        msgWarn(`database ${this.path} is older than source file ${name}`);
      }
    } catch {
      // no source file beside the table: nothing to compare
    }
  }

  private initialNulOrder(nul: NulPolicy): boolean[] {
    if (nul === "with-nul") return [true];
    if (nul === "without-nul") return [false];
    // try first what the first record suggests; both until one hits
    const r = this.reader;
    let firstHasNul = false;
    if (r.recordsEnd > 2048 + 8) {
      const klen = r.bytes[2048]! | (r.bytes[2049]! << 8) | (r.bytes[2050]! << 16) | (r.bytes[2051]! << 24);
      if (klen > 0 && 2048 + 8 + klen <= r.size) firstHasNul = r.bytes[2048 + 8 + klen - 1] === 0;
    }
    return firstHasNul ? [true, false] : [false, true];
  }

  /** The value stored under `key` (folded as the table was opened to), or undefined. */
  lookup(key: string): string | undefined {
    if (this.interval > 0) this.maybeReopen();
    const k = this.fold ? foldKey(key, this.utf8) : key;
    const r = this.reader;
    const order = this.nulOrder;
    try {
      if (isAscii(k)) {
        for (let i = 0; i < order.length; i++) {
          if (r.findAscii(k, order[i]!)) return this.hit(i);
        }
        return undefined;
      }
      const kb = encoder.encode(k);
      let withNul: Uint8Array | undefined;
      for (let i = 0; i < order.length; i++) {
        if (order[i]) {
          withNul ??= new Uint8Array(kb.length + 1);
          withNul.set(kb);
          if (r.find(withNul, 0, withNul.length)) return this.hit(i);
        } else if (r.find(kb, 0, kb.length)) return this.hit(i);
      }
      return undefined;
    } catch (e) {
      corrupt(this.path, e);
    }
  }

  /** Value bytes of the last lookupBytes() hit: valueBytes[valueStart, valueEnd). */
  valueBytes: Uint8Array = new Uint8Array(0);
  valueStart = 0;
  valueEnd = 0;
  private scratch = new Uint8Array(256);

  /**
   * lookup() on key bytes kb[ks, ke), without making strings (postmap -q - on large inputs). Returns 1 when
   * found (value in valueBytes[valueStart, valueEnd)), 0 when not, and -1 when the key needs Unicode folding,
   * which only lookup() does.
   */
  lookupBytes(kb: Uint8Array, ks: number, ke: number): number {
    if (this.interval > 0) this.maybeReopen();
    const n = ke - ks;
    if (this.scratch.length < n + 1) this.scratch = new Uint8Array((n + 1) * 2);
    const k = this.scratch;
    for (let i = 0; i < n; i++) {
      let b = kb[ks + i]!;
      if (this.fold) {
        if (b >= 0x41 && b <= 0x5a) b += 32;
        else if (b >= 0x80 && this.utf8) return -1;
      }
      k[i] = b;
    }
    const r = this.reader;
    const order = this.nulOrder;
    try {
      for (let v = 0; v < order.length; v++) {
        const nul = order[v]!;
        if (nul) k[n] = 0;
        if (r.find(k, 0, nul ? n + 1 : n)) {
          if (order.length > 1) this.nulOrder = [nul];
          let end = r.vpos + r.vlen;
          if (nul && end > r.vpos && r.bytes[end - 1] === 0) end--;
          this.valueBytes = r.bytes;
          this.valueStart = r.vpos;
          this.valueEnd = end;
          return 1;
        }
      }
      return 0;
    } catch (e) {
      corrupt(this.path, e);
    }
  }

  private hit(variant: number): string {
    const r = this.reader;
    const nul = this.nulOrder[variant]!;
    if (this.nulOrder.length > 1) this.nulOrder = [nul];
    let end = r.vpos + r.vlen;
    if (nul && end > r.vpos && r.bytes[end - 1] === 0) end--;
    return decodeBytes(r.bytes, r.vpos, end);
  }

  /** Every live entry: file order for hash and cdb, sorted by key for btree and lmdb. */
  entries(): Iterable<[string, string]> {
    const r = this.reader;
    const sorted = this.type === "btree" || this.type === "lmdb";
    const out: [string, string][] = [];
    const keys: Uint8Array[] = [];
    try {
      for (const [rec, ks, ke, vs, ve] of r.records()) {
        if (!r.reachable(rec)) continue;
        let kend = ke;
        let vend = ve;
        if (kend > ks && r.bytes[kend - 1] === 0) {
          kend--;
          if (vend > vs && r.bytes[vend - 1] === 0) vend--;
        }
        out.push([decodeBytes(r.bytes, ks, kend), decodeBytes(r.bytes, vs, vend)]);
        if (sorted) keys.push(r.bytes.subarray(ks, ke));
      }
    } catch (e) {
      corrupt(this.path, e);
    }
    if (!sorted) return out;
    const idx = out.map((_, i) => i);
    idx.sort((a, b) => Buffer.compare(keys[a]!, keys[b]!));
    return idx.map((i) => out[i]!);
  }

  /** True when the file at the table's path is no longer the one that is open. */
  changed(): boolean {
    try {
      const now = statSync(this.path);
      return now.ino !== this.st.ino || now.dev !== this.st.dev || now.mtimeMs !== this.st.mtimeMs || now.size !== this.st.size;
    } catch {
      return true;
    }
  }

  private maybeReopen(): void {
    const now = Date.now();
    if (now - this.lastCheck < this.interval) return;
    this.lastCheck = now;
    if (!this.changed()) return;
    try {
      const fresh = openReader(this.path);
      this.reader.close();
      this.reader = fresh.reader;
      this.st = fresh.st;
    } catch {
      // keep answering from the old file until the new one can be opened
    }
  }

  close(): void {
    this.reader.close();
  }
}

/** How a new table file is created. */
export interface WriterOptions {
  /** Trailing NUL on keys and values ("with-nul"), default none. */
  nul?: NulPolicy;
  /** Duplicate keys: default "warn" (first wins). */
  duplicates?: DuplicatePolicy;
  /** File mode of a new table (an update keeps the mode of the file it replaces); default 0644. */
  mode?: number;
  /** Owner of a new table (root only), e.g. the owner of its source file. */
  owner?: { uid: number; gid: number };
  /** Give up on a locked table after this long (default 5 minutes). */
  lockTimeoutMs?: number;
}

/** The text of the duplicate-key message, as Postfix's different backends word it. */
export function duplicateText(type: string, name: string, key: string): string {
  const who = type === "cdb" ? name : type === "lmdb" ? `lmdb:${name}` : indexedPath(type, name);
  return `${who}: duplicate entry: "${key}"`;
}

const CDB_FLAGS_TEXT = "dict_cdb_open: inappropriate open flags for cdb database - specify O_RDONLY or O_WRONLY|O_CREAT|O_TRUNC";

/**
 * Writes a new version of an indexed table: records are added with add(), then commit() renames the new file
 * into place (abort() throws it away). With `update`, the live records of the current table come first, so
 * they win over duplicates that follow, unless the policy is "replace".
 */
export class IndexedTableWriter {
  readonly path: string;
  private readonly tmp: string;
  private fd: number;
  private readonly cdb: CdbWriter;
  private lockFd = -1;
  private done = false;
  private readonly nul: boolean;
  private policy: DuplicatePolicy;
  private buf = new Uint8Array(256);

  private constructor(
    readonly type: string,
    readonly name: string,
    opts: WriterOptions,
    existing: "none" | "update" | "update-or-create",
    private readonly skip?: (key: Uint8Array) => boolean,
  ) {
    this.path = indexedPath(type, name);
    this.nul = opts.nul === "with-nul";
    this.policy = opts.duplicates ?? "warn";
    let mode = opts.mode ?? 0o644;
    let owner = opts.owner;
    let current: CdbReader | undefined;
    if (existing !== "none") {
      try {
        this.lockFd = lockTable(this.path, opts.lockTimeoutMs ?? 300_000);
      } catch (e) {
        if (!(existing === "update-or-create" && e instanceof MapError && e.cause instanceof Error && (e.cause as NodeJS.ErrnoException).code === "ENOENT")) throw e;
      }
    }
    if (this.lockFd >= 0) {
      const st = fstatSync(this.lockFd);
      mode = st.mode & 0o7777;
      owner = process.getuid?.() === 0 ? { uid: st.uid, gid: st.gid } : undefined;
      try {
        current = CdbReader.fromFd(this.lockFd);
        const foreign = foreignFormat(current);
        if (foreign) {
          current.close();
          throw new CdbCorrupt(`${foreign}, not a postkit table; rebuild it with postmap or postalias`);
        }
      } catch (e) {
        this.unlock();
        if (e instanceof CdbCorrupt) throw new MapError("corrupt", `open database ${this.path}: ${e.message}`);
        throw new MapError("open", `open database ${this.path}: ${errnoText(e)}`, { cause: e });
      }
    }
    this.tmp = tempNameBeside(this.path);
    try {
      this.fd = openSync(this.tmp, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | O_CLOEXEC, 0o600);
    } catch (e) {
      current?.close();
      this.unlock();
      throw new MapError("write", `open database ${this.path}: ${errnoText(e)}`, { cause: e });
    }
    try {
      fchmodSync(this.fd, mode);
      if (owner && process.getuid?.() === 0) fchownSync(this.fd, owner.uid, owner.gid);
    } catch (e) {
      this.abort();
      throw new MapError("write", `open database ${this.path}: ${errnoText(e)}`, { cause: e });
    }
    this.cdb = new CdbWriter(this.fd);
    if (current) {
      try {
        for (const [rec, ks, ke, vs, ve] of current.records()) {
          if (!current.reachable(rec)) continue;
          if (this.skip?.(current.bytes.subarray(ks, ke))) continue;
          this.cdb.add(current.bytes, ks, ke, current.bytes, vs, ve, false);
        }
      } catch (e) {
        current.close();
        this.abort();
        if (e instanceof CdbCorrupt) throw new MapError("corrupt", `open database ${this.path}: ${e.message}`);
        throw e;
      } finally {
        current.close();
      }
    }
  }

  /** Starts a new table that replaces `type:name` (postmap without -i). */
  static create(type: string, name: string, opts: WriterOptions = {}): IndexedTableWriter {
    return new IndexedTableWriter(type, name, opts, "none");
  }

  /**
   * Starts an update of table `type:name` (postmap -i creates it when it does not exist; -d needs it, so
   * `mustExist`). Refused for cdb, as by Postfix.
   */
  static update(type: string, name: string, opts: WriterOptions = {}, skip?: (key: Uint8Array) => boolean, mustExist = false): IndexedTableWriter {
    if (type === "cdb") throw new MapError("unsupported", CDB_FLAGS_TEXT);
    return new IndexedTableWriter(type, name, opts, mustExist ? "update" : "update-or-create", skip);
  }

  /** Records in the new table. */
  get count(): number {
    return this.cdb.count;
  }

  /**
   * Adds key kb[ks, ke) (already folded) with value vb[vs, ve). Duplicates follow the policy: "warn" keeps the
   * first and warns with Postfix's text, "ignore" keeps it silently, "replace" keeps the last, "fatal" throws.
   */
  addBytes(kb: Uint8Array, ks: number, ke: number, vb: Uint8Array, vs: number, ve: number, noNul = false): void {
    let r: number;
    try {
      if (this.nul && !noNul) {
        const klen = ke - ks;
        const vlen = ve - vs;
        if (this.buf.length < klen + vlen + 2) this.buf = new Uint8Array((klen + vlen + 2) * 2);
        this.buf.set(kb.subarray(ks, ke), 0);
        this.buf[klen] = 0;
        this.buf.set(vb.subarray(vs, ve), klen + 1);
        this.buf[klen + vlen + 1] = 0;
        r = this.cdb.add(this.buf, 0, klen + 1, this.buf, klen + 1, klen + vlen + 2, this.policy === "replace");
      } else {
        r = this.cdb.add(kb, ks, ke, vb, vs, ve, this.policy === "replace");
      }
    } catch (e) {
      this.abort();
      throw new MapError("write", `table ${this.type}:${this.name}: write error: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (r === DUPLICATE_KEPT || (r === DUPLICATE_REPLACED && this.policy !== "replace")) {
      const text = duplicateText(this.type, this.name, printableText(decodeBytes(kb, ks, ke), true));
      if (this.policy === "warn") msgWarn(text);
      else if (this.policy === "fatal") {
        this.abort();
        throw new MapError("write", text);
      }
    }
  }

  /** add() for strings; the key is stored as given (fold it first). `noNul` ignores -N (postalias YP_* keys). */
  add(key: string, value: string, noNul = false): void {
    const kb = encoder.encode(key);
    const vb = encoder.encode(value);
    this.addBytes(kb, 0, kb.length, vb, 0, vb.length, noNul);
  }

  /** Changes the duplicate policy for the records that follow (postalias replaces its "@" entry on -i). */
  setDuplicates(policy: DuplicatePolicy): void {
    this.policy = policy;
  }

  /** Writes the index, makes the file durable and renames it over the table. */
  commit(): void {
    if (this.done) return;
    try {
      this.cdb.finish();
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
      renameSync(this.tmp, this.path);
      this.done = true;
      fsyncDir(dirname(this.path));
    } catch (e) {
      this.abort();
      if (e instanceof MapError) throw e;
      throw new MapError("write", `table ${this.type}:${this.name}: write error: ${e instanceof RangeError ? e.message : errnoText(e)}`, { cause: e });
    } finally {
      this.unlock();
    }
  }

  /** Removes the unfinished file and releases the lock. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = -1;
    }
    try {
      unlinkSync(this.tmp);
    } catch {
      // never created
    }
    this.unlock();
  }

  private unlock(): void {
    if (this.lockFd < 0) return;
    try {
      unlockDescriptor(this.lockFd, "flock");
      closeSync(this.lockFd);
    } catch {
      // closing releases it anyway
    }
    this.lockFd = -1;
  }
}

/**
 * Opens and flock()s the current table file. Problem: the writer that held the lock may have renamed a new
 * file over the path while we waited, so the lock we got is on a file nobody reads any more. Solution: after
 * taking the lock, check that the path still names the locked file, else start again with the new one.
 */
function lockTable(path: string, timeoutMs: number): number {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | O_CLOEXEC);
    } catch (e) {
      throw new MapError("open", `open database ${path}: ${errnoText(e)}`, { cause: e });
    }
    let locked = false;
    try {
      locked = tryLockDescriptor(fd, "flock");
    } catch (e) {
      closeSync(fd);
      throw new MapError("lock", `${path}: lock dictionary: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (locked) {
      const a = fstatSync(fd);
      let same = false;
      try {
        const b = statSync(path);
        same = a.ino === b.ino && a.dev === b.dev;
      } catch {
        same = false;
      }
      if (same) return fd;
    }
    closeSync(fd);
    if (Date.now() > deadline) throw new MapError("lock", `${path}: unable to get exclusive lock: Resource temporarily unavailable`);
    Bun.sleepSync(locked ? 1 : 20);
  }
}

/**
 * Deletes keys from an indexed table by rebuilding it without them (postmap -d). `keys` are folded already;
 * a stored key matches with or without its trailing NUL. Returns, per key, whether it was in the table.
 */
export function deleteFromIndexedTable(type: string, name: string, keys: readonly string[], opts: WriterOptions = {}): boolean[] {
  const wanted = new Map<string, number>();
  keys.forEach((k, i) => wanted.set(k, i));
  const found = keys.map(() => false);
  const writer = IndexedTableWriter.update(type, name, opts, (kb) => {
    let end = kb.length;
    if (end > 0 && kb[end - 1] === 0) end--;
    const i = wanted.get(decodeBytes(kb, 0, end));
    if (i === undefined) return false;
    found[i] = true;
    return true;
  }, true);
  if (found.some((f) => f)) writer.commit();
  else writer.abort();
  return found;
}
