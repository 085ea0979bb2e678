/**
 * _record_reader_test — the fast reader decodes what it accepts exactly as the queue codec does (integers of every
 * msgpack width and sign, strings of every header and of ASCII, UTF-8 and invalid bytes), and gives up (`bad`) on
 * everything else; skipStr() accepts exactly the strings str() accepts, and strCached() gives what str() gives.
 */
import { test, expect, describe } from "bun:test";
import { codec } from "./_codec.ts";
import { RecordReader, StringCache, validUtf8 } from "./_record_reader.ts";

/** A record ["T", value] as the codec packs it, read back: the value, or "bad". */
function readBack(value: unknown, as: "int" | "count" | "str"): unknown {
  const r = new RecordReader();
  const buf = codec.pack(["T", value]);
  r.reset(buf, 0, buf.length);
  if (r.begin() !== 0x54) return "bad";
  const v = as === "str" ? r.str() : as === "int" ? r.int() : r.count();
  r.skipRest();
  return r.bad || r.pos !== buf.length ? "bad" : v;
}

describe("RecordReader", () => {
  test("integers of every width decode as the codec decodes them", () => {
    const values: (number | bigint)[] = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53) + 1];
    for (const v of [...values, ...values.map((x) => BigInt(x))]) {
      const packed = codec.pack(v);
      // the codec packs a number beyond 32 bits as a float: that the reader leaves to the general path
      const want = packed[0] === 0xcb || packed[0] === 0xca ? "bad" : codec.unpack(packed);
      expect([v, readBack(v, "int")]).toEqual([v, want]);
      expect([v, readBack(v, "count")]).toEqual([v, want === "bad" || (want as number) >= 0 ? want : "bad"]);
    }
  });

  test("integers that are not safe, and other types, are bad", () => {
    for (const v of [2n ** 53n, 2n ** 63n - 1n, -(2n ** 63n), 1.5, 3.0e300, null, true, false, "7", { a: 1 }, [1]]) {
      expect([v, readBack(v, "int")]).toEqual([v, "bad"]);
    }
    // a float that holds an integer is a number for the codec: the reader still gives up (the general path decides)
    expect(readBack(Buffer.from([0xcb, 0x40, 0x14, 0, 0, 0, 0, 0, 0]), "int")).toBe("bad");
  });

  test("strings of every header decode as the codec decodes them; invalid UTF-8 is bad", () => {
    const strings = ["", "a", "x".repeat(31), "x".repeat(32), "y".repeat(255), "z".repeat(256), "w".repeat(70000), "jörg", "日本語", "😀 emoji", "\u0000\u007f"];
    for (const s of strings) expect(readBack(s, "str")).toBe(codec.unpack(codec.pack(s)) as string);
    const invalid = [[0xff], [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc3], [0x80]];
    for (const bytes of invalid) {
      const buf = Buffer.concat([Buffer.from([0x92, 0xa1, 0x54, 0xa0 + bytes.length]), Buffer.from(bytes)]);
      const r = new RecordReader();
      r.reset(buf, 0, buf.length);
      r.begin();
      r.str();
      expect([bytes, r.bad]).toEqual([bytes, true]);
    }
  });

  test("a record cut short, an empty array, a long kind and extension types are bad", () => {
    const cases = [
      Buffer.from([0x93, 0xa1, 0x54, 0x01]), // one field missing
      Buffer.from([0x90]),
      Buffer.from([0x92, 0xa2, 0x54, 0x54, 0x01]),
      Buffer.from([0x92, 0xa1, 0x54, 0xd4, 0x72, 0x01]), // a msgpackr record definition
      Buffer.from([0x92, 0xa1, 0x54, 0xc0]),
    ];
    for (const buf of cases) {
      const r = new RecordReader();
      r.reset(buf, 0, buf.length);
      r.begin();
      r.int();
      r.int();
      r.skipRest();
      expect([buf, r.bad]).toEqual([buf, true]);
    }
  });

  test("extra trailing fields of the plain types are skipped", () => {
    const buf = codec.pack(["W", 5, "extra", 7, Buffer.from([1, 2]), ["nested", 1]]);
    const r = new RecordReader();
    r.reset(buf, 0, buf.length);
    expect(r.begin()).toBe(0x57);
    expect(r.count()).toBe(5);
    r.skipRest();
    expect([r.bad, r.pos]).toEqual([false, buf.length]);
  });

  test("skipStr() and strCached() accept what str() accepts and give what it gives, cache hit or miss", () => {
    const values: unknown[] = ["", "a", "x".repeat(31), "x".repeat(32), "y".repeat(255), "z".repeat(256), "jörg", "日本語", "😀", 5, null, Buffer.from("x")];
    const raw = [[0xa1, 0xff], [0xa2, 0xc3, 0xa9], [0xd9, 0x02, 0x41, 0x42], [0xd9, 0x05, 0x41], [0xa3, 0x41]]; // invalid, é, str8, cut, cut
    const records = [...values.map((v) => codec.pack(["S", v])), ...raw.map((b) => Buffer.from([0x92, 0xa1, 0x53, ...b]))];
    const cache = new StringCache();
    // every record after every other one, so that the cache holds each string in turn
    for (const a of records) {
      for (const b of [a, ...records]) {
        const read = (how: "str" | "skip" | "cached") => {
          const r = new RecordReader();
          r.reset(b, 0, b.length);
          r.begin();
          const v = how === "str" ? r.str() : how === "skip" ? r.skipStr() : r.strCached(cache);
          return r.bad ? "bad" : [v, r.pos];
        };
        const want = read("str");
        expect([b, read("cached")]).toEqual([b, want]);
        const skipped = read("skip");
        expect([b, skipped]).toEqual([b, want === "bad" ? "bad" : [Buffer.byteLength((want as [string])[0]), (want as [string, number])[1]]]);
      }
    }
  });

  test("validUtf8() agrees with a fatal TextDecoder on random bytes", () => {
    const strict = new TextDecoder("utf-8", { fatal: true });
    let seed = 99;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 20000; i++) {
      const b = Buffer.from(Array.from({ length: 1 + rnd(6) }, () => (rnd(3) === 0 ? rnd(128) : 0x80 + rnd(128))));
      let ok = true;
      try {
        strict.decode(b);
      } catch {
        ok = false;
      }
      expect([b, validUtf8(b, 0, b.length)]).toEqual([b, ok]);
    }
  });
});
