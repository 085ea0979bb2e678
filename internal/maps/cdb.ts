/**
 * cdb — D. J. Bernstein's constant database format, read and written; the file format of every indexed table.
 *
 * FORMAT (all numbers 32-bit little-endian; the file is at most 4 GiB)
 *   header   256 slots of (position, length): where each hash table starts and how many slots it has
 *   records  from offset 2048: key length, value length, key bytes, value bytes — in the order they were added
 *   tables   256 open-addressing hash tables of (hash, record position) slots; an empty slot has position 0
 *   hash     h = 5381; for each byte c: h = ((h << 5) + h) ^ c (mod 2^32). Table = h & 255; first slot probed =
 *            (h >>> 8) % length, then the next ones, wrapping around.
 * This is exactly the layout of `cdb` (tinycdb) and djb's cdbmake, so those tools read our files and we read
 * theirs.
 *
 * Writing (`CdbWriter`) streams: records go straight to the file through a 1 MiB buffer; memory holds 13 bytes
 * per record (hash, position, key length, a flag) plus the duplicate index. Duplicates are detected exactly (same
 * hash and length, then the key bytes, read back from the file when they were already flushed, as tinycdb's
 * cdb_make_find() does). A replaced record stays in the file but is left out of the hash tables, so no lookup
 * reaches it (tinycdb's CDB_PUT_REPLACE does the same).
 *
 * Reading (`CdbReader`) maps the file read-only; a lookup touches three places of the mapping. Every position
 * read from the file is checked against its size, so a truncated or foreign file gives an error ("corrupt"),
 * never a crash or a wrong answer.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { mapFile, unmapFile } from "./_mmap.ts";

/** The cdb hash of bytes[start, end). */
export function cdbHash(bytes: Uint8Array, start: number, end: number): number {
  let h = 5381;
  for (let i = start; i < end; i++) h = ((h << 5) + h) ^ bytes[i]!;
  return h >>> 0;
}

/** The cdb hash of a string whose characters are all below U+0080 (its bytes are its char codes). */
export function cdbHashAscii(s: string): number {
  let h = 5381;
  for (let i = 0; i < s.length; i++) h = ((h << 5) + h) ^ s.charCodeAt(i);
  return h >>> 0;
}

/** A structural problem in a cdb file. */
export class CdbCorrupt extends Error {}

const HEADER = 2048;
const MAX_POS = 0xffffffff;

/** Outcome of CdbWriter.add(). */
export const ADDED = 0;
export const DUPLICATE_KEPT = 1;
export const DUPLICATE_REPLACED = 2;

/** Streams records into a new cdb file open for writing on `fd` (positioned writes; the caller renames it). */
export class CdbWriter {
  private out = new Uint8Array(1 << 20);
  private outLen = 0;
  private outBase = HEADER; // file position of out[0]
  private hashes = new Uint32Array(1024);
  private positions = new Uint32Array(1024);
  private keyLens = new Uint32Array(1024);
  private dead = new Uint8Array(1024);
  private n = 0;
  private live = 0;
  private index = new Int32Array(1 << 12); // open addressing on hash: record number + 1
  private scratch = new Uint8Array(256);

  constructor(private readonly fd: number) {}

  /** Records added and not replaced. */
  get count(): number {
    return this.live;
  }

  /**
   * Adds key = kb[ks, ke), value = vb[vs, ve). With `policy` "replace" a second copy of a key replaces the first;
   * otherwise the first stays and DUPLICATE_KEPT is returned (the caller warns or fails as its policy says).
   */
  add(kb: Uint8Array, ks: number, ke: number, vb: Uint8Array, vs: number, ve: number, replace: boolean): number {
    const klen = ke - ks;
    const vlen = ve - vs;
    const h = cdbHash(kb, ks, ke);
    const mask = this.index.length - 1;
    let slot = (h ^ (h >>> 15)) & mask;
    for (;;) {
      const r = this.index[slot]!;
      if (r === 0) break;
      const i = r - 1;
      if (this.hashes[i] === h && this.keyLens[i] === klen && !this.dead[i] && this.sameKey(i, kb, ks, klen)) {
        if (!replace) return DUPLICATE_KEPT;
        this.dead[i] = 1;
        this.live--;
        this.index[slot] = this.n + 1;
        this.store(h, kb, ks, klen, vb, vs, vlen);
        return DUPLICATE_REPLACED;
      }
      slot = (slot + 1) & mask;
    }
    this.index[slot] = this.n + 1;
    this.store(h, kb, ks, klen, vb, vs, vlen);
    if (this.n * 2 > this.index.length) this.rehash();
    return ADDED;
  }

  private store(h: number, kb: Uint8Array, ks: number, klen: number, vb: Uint8Array, vs: number, vlen: number): void {
    const n = this.n;
    if (n === this.hashes.length) this.growRecords();
    const pos = this.outBase + this.outLen;
    const size = 8 + klen + vlen;
    if (pos + size > MAX_POS) throw new RangeError("table would exceed 4 GiB");
    this.hashes[n] = h;
    this.positions[n] = pos;
    this.keyLens[n] = klen;
    this.n = n + 1;
    this.live++;
    if (this.outLen + size > this.out.length) {
      this.flush();
      if (size > this.out.length) this.out = new Uint8Array(size * 2);
    }
    const o = this.out;
    let p = this.outLen;
    o[p] = klen;
    o[p + 1] = klen >>> 8;
    o[p + 2] = klen >>> 16;
    o[p + 3] = klen >>> 24;
    o[p + 4] = vlen;
    o[p + 5] = vlen >>> 8;
    o[p + 6] = vlen >>> 16;
    o[p + 7] = vlen >>> 24;
    p += 8;
    if (klen < 32) for (let i = 0; i < klen; i++) o[p + i] = kb[ks + i]!;
    else o.set(kb.subarray(ks, ks + klen), p);
    p += klen;
    if (vlen < 32) for (let i = 0; i < vlen; i++) o[p + i] = vb[vs + i]!;
    else o.set(vb.subarray(vs, vs + vlen), p);
    this.outLen = p + vlen;
  }

  private sameKey(i: number, kb: Uint8Array, ks: number, klen: number): boolean {
    const kpos = this.positions[i]! + 8;
    let src: Uint8Array;
    let off: number;
    if (kpos >= this.outBase) {
      src = this.out;
      off = kpos - this.outBase;
    } else {
      if (this.scratch.length < klen) this.scratch = new Uint8Array(klen * 2);
      let got = 0;
      while (got < klen) {
        const r = readSync(this.fd, this.scratch, got, klen - got, kpos + got);
        if (r === 0) throw new Error("short read while checking duplicates");
        got += r;
      }
      src = this.scratch;
      off = 0;
    }
    for (let j = 0; j < klen; j++) if (src[off + j] !== kb[ks + j]) return false;
    return true;
  }

  private growRecords(): void {
    const len = this.hashes.length * 2;
    const grow = <T extends Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(len);
      b.set(a);
      return b;
    };
    this.hashes = grow(this.hashes, (k) => new Uint32Array(k));
    this.positions = grow(this.positions, (k) => new Uint32Array(k));
    this.keyLens = grow(this.keyLens, (k) => new Uint32Array(k));
    this.dead = grow(this.dead, (k) => new Uint8Array(k));
  }

  private rehash(): void {
    const index = new Int32Array(this.index.length * 4);
    const mask = index.length - 1;
    for (let i = 0; i < this.n; i++) {
      if (this.dead[i]) continue;
      const h = this.hashes[i]!;
      let slot = (h ^ (h >>> 15)) & mask;
      while (index[slot] !== 0) slot = (slot + 1) & mask;
      index[slot] = i + 1;
    }
    this.index = index;
  }

  private write(buf: Uint8Array, len: number, pos: number): void {
    let off = 0;
    while (off < len) off += writeSync(this.fd, buf, off, len - off, pos + off);
  }

  private flush(): void {
    this.write(this.out, this.outLen, this.outBase);
    this.outBase += this.outLen;
    this.outLen = 0;
  }

  /** Writes the hash tables and the header. The caller fsyncs, closes and renames the file. */
  finish(): void {
    this.flush();
    const counts = new Uint32Array(256);
    for (let i = 0; i < this.n; i++) {
      if (this.dead[i]) continue;
      const t = this.hashes[i]! & 255;
      counts[t] = counts[t]! + 1;
    }
    const starts = new Uint32Array(257);
    for (let t = 0; t < 256; t++) starts[t + 1] = starts[t]! + counts[t]!;
    const order = new Uint32Array(this.live);
    const fillAt = starts.slice(0, 256);
    for (let i = 0; i < this.n; i++) {
      if (this.dead[i]) continue;
      const t = this.hashes[i]! & 255;
      const at = fillAt[t]!;
      order[at] = i;
      fillAt[t] = at + 1;
    }
    const header = new Uint8Array(HEADER);
    const hv = new DataView(header.buffer);
    let pos = this.outBase;
    const maxSlots = Math.max(...counts) * 2;
    const table = new Uint32Array(Math.max(2, maxSlots * 2));
    const tableBytes = new Uint8Array(table.buffer);
    for (let t = 0; t < 256; t++) {
      const slots = counts[t]! * 2;
      if (pos + slots * 8 > MAX_POS) throw new RangeError("table would exceed 4 GiB");
      hv.setUint32(t * 8, pos, true);
      hv.setUint32(t * 8 + 4, slots, true);
      if (slots === 0) continue;
      table.fill(0, 0, slots * 2);
      for (let k = starts[t]!; k < starts[t + 1]!; k++) {
        const i = order[k]!;
        const h = this.hashes[i]!;
        let s = (h >>> 8) % slots;
        while (table[s * 2 + 1] !== 0) s = s + 1 === slots ? 0 : s + 1;
        table[s * 2] = h;
        table[s * 2 + 1] = this.positions[i]!;
      }
      // Uint32Array is little-endian on every platform Bun runs on
      this.write(tableBytes, slots * 8, pos);
      pos += slots * 8;
    }
    this.write(header, HEADER, 0);
  }
}

/** A cdb file opened for lookups. */
export class CdbReader {
  /** Value position and length of the last successful find(). */
  vpos = 0;
  vlen = 0;
  private readonly view: DataView;
  /** End of the record area (start of the first hash table). */
  readonly recordsEnd: number;

  private constructor(
    readonly bytes: Uint8Array,
    readonly size: number,
    private readonly mapped: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (size < HEADER) throw new CdbCorrupt(`file is too short (${size} bytes) to be a cdb file`);
    let end = size;
    for (let t = 0; t < 256; t++) {
      const pos = this.view.getUint32(t * 8, true);
      const slots = this.view.getUint32(t * 8 + 4, true);
      if (slots === 0 && pos === 0) continue;
      if (pos < HEADER || pos > size || pos + slots * 8 > size) {
        throw new CdbCorrupt("hash table points past the end of the file (truncated?)");
      }
      if (pos < end) end = pos;
    }
    this.recordsEnd = end;
  }

  /** Opens and maps `path`; throws node:fs errors for I/O and CdbCorrupt for a file that is not cdb. */
  static open(path: string): CdbReader {
    const fd = openSync(path, "r");
    try {
      return CdbReader.fromFd(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Maps an open descriptor (which may be closed afterwards). */
  static fromFd(fd: number): CdbReader {
    const size = fstatSync(fd).size;
    if (size < HEADER) return new CdbReader(new Uint8Array(0), size, false);
    return new CdbReader(mapFile(fd, size), size, true);
  }

  /** Wraps bytes already in memory (tests). */
  static fromBytes(bytes: Uint8Array): CdbReader {
    return new CdbReader(bytes, bytes.length, false);
  }

  private u32(p: number): number {
    if (p + 4 > this.size) throw new CdbCorrupt("record points past the end of the file (truncated?)");
    return this.view.getUint32(p, true);
  }

  /** Looks up kb[ks, ke); on success returns true and sets vpos/vlen. */
  find(kb: Uint8Array, ks: number, ke: number): boolean {
    const klen = ke - ks;
    const h = cdbHash(kb, ks, ke);
    const view = this.view;
    const bytes = this.bytes;
    const t = (h & 255) * 8;
    const slots = view.getUint32(t + 4, true);
    if (slots === 0) return false;
    const tpos = view.getUint32(t, true);
    let s = (h >>> 8) % slots;
    for (let k = 0; k < slots; k++) {
      const sp = tpos + s * 8;
      const rpos = view.getUint32(sp + 4, true);
      if (rpos === 0) return false;
      if (view.getUint32(sp, true) === h && this.recordKeyLen(rpos) === klen) {
        const rv = this.recordValueLen(rpos, klen);
        const kp = rpos + 8;
        let j = 0;
        while (j < klen && bytes[kp + j] === kb[ks + j]) j++;
        if (j === klen) {
          this.vpos = kp + klen;
          this.vlen = rv;
          return true;
        }
      }
      s = s + 1 === slots ? 0 : s + 1;
    }
    return false;
  }

  /** Looks up an all-ASCII string key, optionally followed by a NUL byte. */
  findAscii(key: string, nul: boolean): boolean {
    let h = cdbHashAscii(key);
    if (nul) h = ((h << 5) + h) >>> 0;
    const n = key.length;
    const klen = n + (nul ? 1 : 0);
    const view = this.view;
    const bytes = this.bytes;
    const t = (h & 255) * 8;
    const slots = view.getUint32(t + 4, true);
    if (slots === 0) return false;
    const tpos = view.getUint32(t, true);
    let s = (h >>> 8) % slots;
    for (let k = 0; k < slots; k++) {
      const sp = tpos + s * 8;
      const rpos = view.getUint32(sp + 4, true);
      if (rpos === 0) return false;
      if (view.getUint32(sp, true) === h && this.recordKeyLen(rpos) === klen) {
        const rv = this.recordValueLen(rpos, klen);
        const kp = rpos + 8;
        let j = 0;
        while (j < n && bytes[kp + j] === key.charCodeAt(j)) j++;
        if (j === n && (!nul || bytes[kp + n] === 0)) {
          this.vpos = kp + klen;
          this.vlen = rv;
          return true;
        }
      }
      s = s + 1 === slots ? 0 : s + 1;
    }
    return false;
  }

  private recordKeyLen(rpos: number): number {
    if (rpos < HEADER || rpos + 8 > this.size) throw new CdbCorrupt("record points past the end of the file (truncated?)");
    return this.view.getUint32(rpos, true);
  }

  private recordValueLen(rpos: number, klen: number): number {
    const rv = this.view.getUint32(rpos + 4, true);
    if (rpos + 8 + klen + rv > this.size) throw new CdbCorrupt("record points past the end of the file (truncated?)");
    return rv;
  }

  /** Position of the record that a lookup of the key at kpos/klen reaches (to skip replaced records). */
  reachable(recordPos: number): boolean {
    const klen = this.u32(recordPos);
    const kpos = recordPos + 8;
    const h = cdbHash(this.bytes, kpos, kpos + klen);
    const t = (h & 255) * 8;
    const slots = this.view.getUint32(t + 4, true);
    const tpos = this.view.getUint32(t, true);
    let s = slots === 0 ? 0 : (h >>> 8) % slots;
    for (let k = 0; k < slots; k++) {
      const sp = tpos + s * 8;
      const rpos = this.view.getUint32(sp + 4, true);
      if (rpos === 0) return false;
      if (rpos === recordPos) return true;
      if (this.view.getUint32(sp, true) === h && this.u32(rpos) === klen) {
        let same = true;
        for (let j = 0; j < klen && same; j++) same = this.bytes[rpos + 8 + j] === this.bytes[kpos + j];
        if (same) return false; // an earlier record with the same key wins
      }
      s = s + 1 === slots ? 0 : s + 1;
    }
    return false;
  }

  /** Every record in file order: [record position, key start, key end, value start, value end]. */
  *records(): Generator<[number, number, number, number, number]> {
    let p = HEADER;
    while (p < this.recordsEnd) {
      if (p + 8 > this.recordsEnd) throw new CdbCorrupt("record area ends inside a record (truncated?)");
      const kl = this.view.getUint32(p, true);
      const vl = this.view.getUint32(p + 4, true);
      const ks = p + 8;
      const vs = ks + kl;
      const ve = vs + vl;
      if (ve > this.recordsEnd) throw new CdbCorrupt("record area ends inside a record (truncated?)");
      yield [p, ks, vs, vs, ve];
      p = ve;
    }
  }

  /** Releases the mapping. */
  close(): void {
    if (this.mapped) unmapFile(this.bytes);
  }
}
