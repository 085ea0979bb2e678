/**
 * queue_record — the writing side of the queue file format (queue_file.ts documents the format): the format
 * version, the content chunk size, the attribute names and values (DSN_NOTIFY, DSN_RET, TRACE_FLAG: sendmail's
 * option parser takes them from here without loading the reader), and encodeRecord(), with a small msgpack encoder of its
 * own for the few value types records hold (strings, non-negative and negative integers, 64-bit integers for the
 * fixed-size `C` record, byte strings, arrays).
 *
 * Problem: sendmail writes one queue file per process, and loading msgpackr costs it ~0.7 ms of a ~10 ms run.
 * Solution: writers import only this module; the decoding side (queue_file.ts, _codec.ts) keeps msgpackr, which
 * reads this standard msgpack like any other. Contract: encodeRecord() throws QueueError `invalid` for a record
 * longer than 1 MiB or a value of a type records never hold.
 */
import { QueueError } from "./queue_error.ts";
import type { QueueRecord } from "./queue_file.ts";

/** The format version this code writes and the newest it reads. */
export const QUEUE_FILE_VERSION = 1;

/** Largest content chunk the writer puts in one `N` record. */
export const CONTENT_CHUNK_SIZE = 64 * 1024;

/** DSN NOTIFY bits of `R` records (Postfix dsn_mask.h). */
export const DSN_NOTIFY = { NEVER: 1, SUCCESS: 2, FAILURE: 4, DELAY: 8 } as const;

/** DSN RET values of the `ret_flags` attribute. */
export const DSN_RET = { FULL: 1, HDRS: 2 } as const;

/**
 * Bits of the `trace_flags` attribute (Postfix's deliver_request.h; a delivery request carries the same bits):
 * USR_VRFY for a `sendmail -bv` probe, RECORD for the report `sendmail -v` asks for.
 */
export const TRACE_FLAG = { USR_VRFY: 1 << 9, RECORD: 1 << 10 } as const;

/** Largest record (the same limit as the reader's, _codec.ts). */
const MAX_RECORD_SIZE = 1 << 20;

/** Well-known attribute names of `A` records. */
export const ATTR = {
  CREATE_TIME: "create_time",
  REWRITE_CONTEXT: "rewrite_context",
  DSN_ENVID: "envelope_id",
  DSN_RET: "ret_flags",
  ENCODING: "encoding",
  LOG_CLIENT_NAME: "log_client_name",
  LOG_CLIENT_ADDR: "log_client_address",
  LOG_CLIENT_PORT: "log_client_port",
  LOG_ORIGIN: "log_message_origin",
  LOG_HELO_NAME: "log_helo_name",
  LOG_PROTO_NAME: "log_protocol_name",
  TRACE_FLAGS: "trace_flags",
  SENDOPTS: "sendopts",
  SUBMIT_UID: "submit_uid",
  EXPIRE_TIME: "expire_time",
  NOTIFY_FLAGS: "notify_flags",
  DSN_ORCPT: "dsn_orig_rcpt",
  CONTENT_FILTER: "content_filter",
  REDIRECT: "redirect_to",
} as const;

/** Standard msgpack for the value types of queue records. */
function packArray(values: readonly unknown[]): Buffer {
  const parts: Buffer[] = [];
  const head = (n: number): Buffer => {
    if (n < 16) return Buffer.from([0x90 | n]);
    const b = Buffer.alloc(3);
    b[0] = 0xdc;
    b.writeUInt16BE(n, 1);
    return b;
  };
  parts.push(head(values.length));
  for (const v of values) parts.push(packValue(v));
  return Buffer.concat(parts);
}

function packValue(v: unknown): Buffer {
  if (typeof v === "string") {
    const s = Buffer.from(v, "utf8");
    const n = s.length;
    let h: Buffer;
    if (n < 32) h = Buffer.from([0xa0 | n]);
    else if (n < 0x100) h = Buffer.from([0xd9, n]);
    else if (n < 0x10000) {
      h = Buffer.alloc(3);
      h[0] = 0xda;
      h.writeUInt16BE(n, 1);
    } else {
      h = Buffer.alloc(5);
      h[0] = 0xdb;
      h.writeUInt32BE(n, 1);
    }
    return Buffer.concat([h, s]);
  }
  if (typeof v === "bigint") {
    const b = Buffer.alloc(9);
    if (v < 0n) {
      b[0] = 0xd3;
      b.writeBigInt64BE(v, 1);
    } else {
      b[0] = 0xcf;
      b.writeBigUInt64BE(v, 1);
    }
    return b;
  }
  if (typeof v === "number" && Number.isSafeInteger(v)) {
    if (v >= 0) {
      if (v < 0x80) return Buffer.from([v]);
      if (v < 0x100) return Buffer.from([0xcc, v]);
      if (v < 0x10000) {
        const b = Buffer.alloc(3);
        b[0] = 0xcd;
        b.writeUInt16BE(v, 1);
        return b;
      }
      if (v < 0x100000000) {
        const b = Buffer.alloc(5);
        b[0] = 0xce;
        b.writeUInt32BE(v, 1);
        return b;
      }
      return packValue(BigInt(v));
    }
    if (v >= -32) return Buffer.from([v & 0xff]);
    if (v >= -0x80) return Buffer.from([0xd0, v & 0xff]);
    if (v >= -0x8000) {
      const b = Buffer.alloc(3);
      b[0] = 0xd1;
      b.writeInt16BE(v, 1);
      return b;
    }
    if (v >= -0x80000000) {
      const b = Buffer.alloc(5);
      b[0] = 0xd2;
      b.writeInt32BE(v, 1);
      return b;
    }
    return packValue(BigInt(v));
  }
  if (v instanceof Uint8Array) {
    const n = v.length;
    let h: Buffer;
    if (n < 0x100) h = Buffer.from([0xc4, n]);
    else if (n < 0x10000) {
      h = Buffer.alloc(3);
      h[0] = 0xc5;
      h.writeUInt16BE(n, 1);
    } else {
      h = Buffer.alloc(5);
      h[0] = 0xc6;
      h.writeUInt32BE(n, 1);
    }
    return Buffer.concat([h, v]);
  }
  throw new QueueError("invalid", `queue file record: cannot encode a value of type ${typeof v}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

function i64(n: number): bigint {
  return BigInt(n);
}

/** Encodes one record with the queue codec. The `C` record always has the same size whatever its values. */
export function encodeRecord(rec: QueueRecord): Buffer {
  let arr: unknown[];
  switch (rec.kind) {
    case "C":
      arr = ["C", rec.version, i64(rec.messageSize), i64(rec.contentOffset), i64(rec.extractedOffset), i64(rec.bodyOffset), i64(rec.rcptCount)];
      if (rec.reportedSize !== undefined) arr.push(i64(rec.reportedSize));
      break;
    case "T":
      arr = ["T", rec.sec, rec.usec];
      break;
    case "A":
      arr = ["A", rec.name, rec.value];
      break;
    case "F":
      arr = ["F", rec.fullName];
      break;
    case "S":
      arr = ["S", rec.sender];
      break;
    case "R":
      arr = ["R", rec.address, rec.origAddress, rec.notify, rec.orcpt];
      break;
    case "W":
      arr = ["W", rec.sec];
      break;
    case "N":
      arr = ["N", rec.data];
      break;
    case "M":
    case "X":
    case "E":
      arr = [rec.kind];
      break;
    case "D":
    case "b":
    case "d":
      arr = rec.kind === "D" && rec.action ? [rec.kind, rec.rcptOffset, rec.time, rec.dsn, rec.reason, rec.action] : [rec.kind, rec.rcptOffset, rec.time, rec.dsn, rec.reason];
      break;
  }
  const out = packArray(arr);
  if (out.length > MAX_RECORD_SIZE) throw new QueueError("invalid", `queue file record ${rec.kind}: longer than ${MAX_RECORD_SIZE} bytes`);
  return out;
}

