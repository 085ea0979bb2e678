/**
 * postfix_queue_file — writes queue files in Postfix's own record format (shared/reference/postfix.md §4.4), so
 * that Debian's Postfix tools can be run on the same queue contents as postkit's: the side-by-side tests of
 * cmd/postqueue_test.ts and cmd/postsuper_test.ts, and bench/queue.sh. Test and benchmark support only; the
 * binary never imports it.
 *
 * A record is one type byte, the payload length in 7-bit groups (low group first, high bit = more), the payload.
 * A file is: C (six 15-wide fields: content size, content offset, recipient count, 0, content length, 0), T
 * ("sec usec"), A create_time, A rewrite_context, F, S, per recipient O and R, M, the content as N records,
 * X, E. Deferred recipients get a defer logfile entry (name=value lines, then an empty line).
 */
import { mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { dirname } from "node:path";

function record(type: string, payload: string | Buffer): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const len: number[] = [];
  let n = data.length;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return Buffer.concat([Buffer.from([type.charCodeAt(0), ...len]), data]);
}

/** What to write. */
export interface PostfixMessage {
  sender: string;
  recipients: { address: string; origAddress?: string; deferReason?: string }[];
  arrival: number;
  /** Message lines, without newlines. */
  lines?: string[];
  /** Instead of lines: make the content records exactly this many bytes (what mailq shows as the size). */
  contentSize?: number;
  fullName?: string;
  /** File mode (default 0700; 0710 marks it force-expired). */
  mode?: number;
}

/** The content records for `m`. */
function contentRecords(m: PostfixMessage): Buffer[] {
  if (m.contentSize !== undefined) {
    const s = m.contentSize;
    // one N record of payload p costs 1 + varint(p) + p bytes
    if (s >= 131) return [record("N", "x".repeat(s - 3))];
    if (s >= 2 && s <= 129) return [record("N", "x".repeat(s - 2))];
    return [record("N", "x".repeat(64)), record("N", "x".repeat(s - 66 - 2))];
  }
  return (m.lines ?? ["Subject: test", "", "body"]).map((l) => record("N", l));
}

/** Writes `m` as Postfix queue file `path` (and its defer logfile at `deferLog`, when a recipient has a reason). */
export function writePostfixQueueFile(path: string, m: PostfixMessage, deferLog?: string): void {
  const content = contentRecords(m);
  const contentSize = content.reduce((a, b) => a + b.length, 0);
  const head: Buffer[] = [];
  head.push(record("T", `${m.arrival} 0`));
  head.push(record("A", `create_time=${m.arrival}`));
  head.push(record("A", "rewrite_context=local"));
  if (m.fullName !== undefined) head.push(record("F", m.fullName));
  head.push(record("S", m.sender));
  const rcptOffsets: number[] = [];
  const sizeLen = record("C", "0".repeat(95)).length;
  let off = sizeLen + head.reduce((a, b) => a + b.length, 0);
  for (const r of m.recipients) {
    const o = record("O", r.origAddress ?? r.address);
    head.push(o);
    off += o.length;
    rcptOffsets.push(off);
    const rr = record("R", r.address);
    head.push(rr);
    off += rr.length;
  }
  const mRec = record("M", "");
  const dataOffset = off + mRec.length;
  const fields = [contentSize, dataOffset, m.recipients.length, 0, contentSize, 0].map((n) => String(n).padStart(15)).join(" ");
  const out = Buffer.concat([record("C", fields), ...head, mRec, ...content, record("X", ""), record("E", "")]);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, out, { mode: 0o600 });
  chmodSync(path, m.mode ?? 0o700);
  const deferred = m.recipients.map((r, i) => ({ r, offset: rcptOffsets[i]! })).filter((x) => x.r.deferReason !== undefined);
  if (deferLog && deferred.length > 0) {
    const text = deferred
      .map(
        ({ r, offset }) =>
          `recipient=${r.address}\n` +
          (r.origAddress && r.origAddress !== r.address ? `orig_rcpt=${r.origAddress}\n` : "") +
          `offset=${offset}\ndsn_orig_rcpt=\nnotify_flags=0\nstatus=4.4.1\naction=delayed\nreason=${r.deferReason}\n\n`,
      )
      .join("");
    mkdirSync(dirname(deferLog), { recursive: true });
    writeFileSync(deferLog, text, { mode: 0o600 });
  }
}
