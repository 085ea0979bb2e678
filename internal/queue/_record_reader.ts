/**
 * _record_reader — reads queue file records straight from bytes already in memory, for the fast envelope path of
 * queue_file.ts (readEnvelopeFd(): one read of a small file, then decode only what the envelope needs) and the
 * listing's decoder of queue_listing.ts (which skips, still checking them, the strings it does not print:
 * skipStr(); and takes the strings neighbouring files share from a StringCache: strCached()).
 *
 * Problem: decoding a 1.4 KB queue file through msgpackr (a RecordStream, an array per record, then a typed record
 * object per array) costs more than the four system calls that read it; listing 100,000 messages spends most of
 * its time there. Solution: a cursor over the subset of msgpack that postkit's writer produces — arrays, a
 * one-character kind, strings, integers, binary — that reads each field straight into the envelope and skips the
 * content without looking at it.
 *
 * It is NOT a second codec: it decodes only, and only what it is sure to decode exactly as `codec` (_codec.ts)
 * does. On anything else it sets `bad` and the caller drops the fast path and reads the file again through
 * RecordStream and `codec`, which then define the result (the envelope, or the precise `corrupt` error). So the
 * fast path gives either the same envelope as the slow one or nothing. What sets `bad`: any type outside the
 * subset (nil, booleans, floats, maps, extensions — msgpackr record definitions included — so no structure can
 * be in play and 0x40–0x7f are plain integers), an integer that is not a safe integer or is negative where a count
 * is wanted, a string that is not valid UTF-8 (decoders differ on those), an array of more than 32 elements, a
 * value running past `end`, or a field of the wrong type. Integers decode as msgpackr's `int64AsType: "number"`
 * does (high word * 2^32 + low word).
 *
 * Shape: each reader method is a few lines for the common encoding (a fixarray record, a positive fixint or the
 * writer's fixed-width uint64, a str of up to 255 ASCII bytes) and calls a separate method for the rest, so that the JIT compiles and inlines the
 * hot paths quickly — a listing of 10,000 messages is over before a large function reaches the optimising tiers.
 *
 * Private to internal/queue. Never throws.
 */

const MAX_ELEMENTS = 32;

/** The last string of a field and its bytes, for RecordReader.strCached(). */
export class StringCache {
  value = "";
  /** Bytes of `value` in `bytes`, -1 when there is none. */
  length = -1;
  readonly bytes: Buffer = Buffer.allocUnsafe(256);
}

/** A cursor over msgpack bytes; see the header. */
export class RecordReader {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  /** Set when the bytes are outside what this reader decodes exactly; the values read since are meaningless. */
  bad = false;
  /** Elements left in the current record after the ones read. */
  left = 0;

  /** Starts reading `buf` from `pos` up to `end` (exclusive). */
  reset(buf: Buffer, pos: number, end: number): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.bad = false;
    this.left = 0;
  }

  /**
   * Reads the start of a record — an array whose first element is a one-character string — and returns the kind's
   * character code (`left` then counts the other elements), or -1 (with `bad` set) when the next bytes are not
   * that.
   */
  begin(): number {
    const b = this.buf;
    const p = this.pos;
    const t = b[p]!;
    if (p + 3 <= this.end && t >= 0x91 && t <= 0x9f && b[p + 1] === 0xa1 && b[p + 2]! < 0x80) {
      this.left = t - 0x91;
      this.pos = p + 3;
      return b[p + 2]!;
    }
    return this.beginSlow();
  }

  private beginSlow(): number {
    const b = this.buf;
    let p = this.pos;
    if (p + 3 > this.end || b[p] !== 0xdc) return this.fail();
    const n = (b[p + 1]! << 8) | b[p + 2]!;
    p += 3;
    if (n < 1 || n > MAX_ELEMENTS || p + 2 > this.end || b[p] !== 0xa1 || b[p + 1]! >= 0x80) return this.fail();
    this.pos = p + 2;
    this.left = n - 1;
    return b[p + 1]!;
  }

  private fail(): -1 {
    this.bad = true;
    return -1;
  }

  /** Reads the next element as an integer (any msgpack integer type); NaN and `bad` when it is not a safe one. */
  int(): number {
    const p = this.pos;
    const t = this.buf[p]!;
    if (this.left > 0 && p < this.end && t <= 0x7f) {
      this.left--;
      this.pos = p + 1;
      return t;
    }
    return this.intSlow();
  }

  /** Reads the next element as a count (a safe integer >= 0); -1 and `bad` otherwise. */
  count(): number {
    const b = this.buf;
    const p = this.pos;
    const t = b[p]!;
    if (this.left > 0 && p < this.end) {
      if (t <= 0x7f) {
        this.left--;
        this.pos = p + 1;
        return t;
      }
      // uint64 with a high word below 2^21 (a safe integer): the writer's fixed-width fields
      if (t === 0xcf && p + 9 <= this.end && b[p + 1] === 0 && b[p + 2] === 0 && b[p + 3]! < 0x20) {
        this.left--;
        this.pos = p + 9;
        return u32(b, p + 1) * 0x100000000 + u32(b, p + 5);
      }
    }
    const v = this.intSlow();
    if (v >= 0) return v;
    this.bad = true;
    return -1;
  }

  private intSlow(): number {
    if (this.left-- <= 0 || this.pos >= this.end) return this.failNaN();
    const b = this.buf;
    const p = this.pos;
    const t = b[p]!;
    if (t <= 0x7f || t >= 0xe0) {
      this.pos = p + 1;
      return t <= 0x7f ? t : t - 0x100;
    }
    const size = INT_SIZE[t]!;
    const o = p + 1;
    if (size === 0 || o + size > this.end) return this.failNaN();
    let v: number;
    switch (t) {
      case 0xcc:
        v = b[o]!;
        break;
      case 0xd0:
        v = (b[o]! << 24) >> 24;
        break;
      case 0xcd:
        v = (b[o]! << 8) | b[o + 1]!;
        break;
      case 0xd1:
        v = (((b[o]! << 8) | b[o + 1]!) << 16) >> 16;
        break;
      case 0xce:
        v = u32(b, o);
        break;
      case 0xd2:
        v = u32(b, o) | 0;
        break;
      case 0xcf:
        v = u32(b, o) * 0x100000000 + u32(b, o + 4);
        break;
      default: // 0xd3
        v = (u32(b, o) | 0) * 0x100000000 + u32(b, o + 4);
    }
    if (!Number.isSafeInteger(v)) return this.failNaN();
    this.pos = o + size;
    return v;
  }

  private failNaN(): number {
    this.bad = true;
    return NaN;
  }

  /** Reads the next element as a string; "" and `bad` when it is not a valid UTF-8 string. */
  str(): string {
    const b = this.buf;
    const p = this.pos;
    const t = b[p]!;
    let s: number;
    let e: number;
    if (t >= 0xa0 && t <= 0xbf) {
      s = p + 1;
      e = s + t - 0xa0;
    } else if (t === 0xd9) {
      s = p + 2;
      e = s + b[p + 1]!;
    } else return this.strSlow();
    if (this.left <= 0 || !(e <= this.end)) return this.strSlow(); // !(<=): a length byte past the buffer is NaN
    for (let i = s; i < e; i++) if (b[i]! >= 0x80) return this.strSlow();
    this.left--;
    this.pos = e;
    return b.toString("latin1", s, e); // native; a JS loop of fromCharCode is eight times slower
  }

  /**
   * str() through `cache`, the string this field had last time (in the previous queue file of a listing): when the
   * bytes are the same, the cached string itself, found with one native comparison instead of a JavaScript loop
   * over the bytes and a new string (neighbouring queue files so often share a sender, recipients, a reason).
   */
  strCached(cache: StringCache): string {
    const b = this.buf;
    const p = this.pos;
    const t = b[p]!;
    let s: number;
    let e: number;
    if (t >= 0xa0 && t <= 0xbf) {
      s = p + 1;
      e = s + t - 0xa0;
    } else if (t === 0xd9) {
      s = p + 2;
      e = s + b[p + 1]!;
    } else return this.str();
    if (this.left <= 0 || !(e <= this.end)) return this.str();
    const len = e - s;
    if (len === cache.length && (len === 0 || b.compare(cache.bytes, 0, len, s, e) === 0)) {
      this.left--;
      this.pos = e;
      return cache.value; // what str() gave for these bytes
    }
    const v = this.str();
    if (!this.bad && len <= cache.bytes.length) {
      b.copy(cache.bytes, 0, s, e);
      cache.length = len;
      cache.value = v;
    }
    return v;
  }

  private strSlow(): string {
    const s = this.strSpan();
    return s < 0 ? "" : utf8Decoder.decode(this.buf.subarray(s, this.pos));
  }

  /**
   * Consumes the next element, which must be a valid UTF-8 string of any msgpack length encoding: its first
   * byte's offset, `pos` then at its end; -1 and `bad` otherwise. The general path of str() and skipStr().
   */
  private strSpan(): number {
    if (this.left-- <= 0 || this.pos >= this.end) return this.failLen();
    const b = this.buf;
    let p = this.pos;
    const t = b[p++]!;
    let len: number;
    if (t >= 0xa0 && t <= 0xbf) len = t - 0xa0;
    else if (t === 0xd9) {
      if (p + 1 > this.end) return this.failLen();
      len = b[p++]!;
    } else if (t === 0xda) {
      if (p + 2 > this.end) return this.failLen();
      len = (b[p]! << 8) | b[p + 1]!;
      p += 2;
    } else if (t === 0xdb) {
      if (p + 4 > this.end) return this.failLen();
      len = u32(b, p);
      p += 4;
    } else return this.failLen();
    const e = p + len;
    if (e > this.end || !validUtf8(b, p, e)) return this.failLen();
    this.pos = e;
    return p;
  }

  /**
   * Skips the next element, which must be a string that str() would read: its length in bytes, or -1 and `bad`
   * when it is not one. For fields a reader does not need (a listing needs no attributes): the same checks as
   * str(), without making the string.
   */
  skipStr(): number {
    const b = this.buf;
    const p = this.pos;
    const t = b[p]!;
    if (t >= 0xa0 && t <= 0xbf && this.left > 0) {
      const s = p + 1;
      const e = s + t - 0xa0;
      if (e <= this.end) {
        let i = s;
        while (i < e && b[i]! < 0x80) i++;
        if (i === e) {
          this.left--;
          this.pos = e;
          return e - s;
        }
      }
    }
    return this.skipStrSlow();
  }

  private skipStrSlow(): number {
    const s = this.strSpan();
    return s < 0 ? -1 : this.pos - s;
  }

  private failLen(): number {
    this.bad = true;
    return -1;
  }

  /** Skips the elements of the current record not read yet (the extra trailing fields a later version may add). */
  skipRest(): void {
    if (this.left > 0) this.skipRestSlow();
  }

  private skipRestSlow(): void {
    while (this.left > 0 && !this.bad) {
      this.left--;
      this.skipValue(0);
    }
  }

  private skipValue(depth: number): void {
    const b = this.buf;
    if (this.pos >= this.end) {
      this.bad = true;
      return;
    }
    const t = b[this.pos++]!;
    let len: number;
    if (t <= 0x7f || t >= 0xe0) return;
    if (t >= 0x90 && t <= 0x9f) {
      if (depth >= 4) {
        this.bad = true;
        return;
      }
      for (let n = t - 0x90; n > 0 && !this.bad; n--) this.skipValue(depth + 1);
      return;
    }
    let str = false;
    if (t >= 0xa0 && t <= 0xbf) {
      len = t - 0xa0;
      str = true;
    } else if (INT_SIZE[t]! !== 0) len = INT_SIZE[t]!;
    else {
      const w = t === 0xd9 || t === 0xc4 ? 1 : t === 0xda || t === 0xc5 ? 2 : t === 0xdb || t === 0xc6 ? 4 : 0;
      if (w === 0 || this.pos + w > this.end) {
        this.bad = true; // nil, booleans, floats, maps, extensions, arrays of 16+ elements, or cut short
        return;
      }
      len = w === 1 ? b[this.pos]! : w === 2 ? (b[this.pos]! << 8) | b[this.pos + 1]! : u32(b, this.pos);
      this.pos += w;
      str = t >= 0xd9;
    }
    const e = this.pos + len;
    // a string must be one the decoder takes without question, as in str()
    if (e > this.end || (str && !validUtf8(b, this.pos, e))) {
      this.bad = true;
      return;
    }
    this.pos = e;
  }
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Payload sizes of the sized integer types (0xcc-0xcf, 0xd0-0xd3), 0 for every other type byte. */
const INT_SIZE = new Uint8Array(256);
for (const [t, n] of [[0xcc, 1], [0xd0, 1], [0xcd, 2], [0xd1, 2], [0xce, 4], [0xd2, 4], [0xcf, 8], [0xd3, 8]] as const) INT_SIZE[t] = n;

const utf8Decoder = new TextDecoder("utf-8", { fatal: false });

/** Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF), from `s` to `e`. */
export function validUtf8(b: Uint8Array, s: number, e: number): boolean {
  let i = s;
  while (i < e) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    let cp: number;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      min = 0x80;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      min = 0x800;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      min = 0x10000;
      cp = c & 0x07;
    } else return false;
    if (i + n >= e) return false;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k]!;
      if ((d & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}
