/**
 * data_encoder — turns queued message content (LF line ends, chunks not aligned to lines) into the bytes of an SMTP
 * DATA transfer: CRLF line ends, a `.` doubled at the start of a line (dot-stuffing, RFC 5321 4.5.2), lines longer
 * than smtp_line_length_limit broken with <CR><LF><SPACE> as Postfix's smtp_text_out() does, and a final CRLF when
 * the content does not end with one. The terminating `.<CR><LF>` is not part of it.
 *
 * Pure; never throws. Postfix: src/smtp/smtp_proto.c (smtp_text_out).
 */

const LF = 10;
const CR = 13;
const DOT = 46;
const SP = 32;

/** A streaming encoder for one message; push() each chunk in order, then finish(). */
export class DataEncoder {
  /** Bytes left on the current output line (the line limit when at the start of a line). */
  private spaceLeft: number;
  /** The previous chunk ended with CR (a CR LF split across chunks). */
  private pendingCr = false;
  /** True once a line had to be broken (Postfix logs this once per message). */
  brokeLongLine = false;

  /** `lineLimit` 0 means no limit. */
  constructor(private readonly lineLimit: number) {
    this.spaceLeft = lineLimit > 0 ? lineLimit : Number.MAX_SAFE_INTEGER;
  }

  private get limit(): number {
    return this.lineLimit > 0 ? this.lineLimit : Number.MAX_SAFE_INTEGER;
  }

  /** Encodes the next chunk of content. */
  push(chunk: Uint8Array): Uint8Array {
    // Worst case: every byte a line of its own that needs stuffing, plus breaks.
    const out = new Uint8Array(chunk.length * 3 + 8);
    let o = 0;
    const limit = this.limit;
    let i = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk[0] !== LF) {
        // a lone CR at the end of the previous chunk was content
        o = this.putByte(out, o, CR);
      }
    }
    for (; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === LF) {
        out[o++] = CR;
        out[o++] = LF;
        this.spaceLeft = limit;
        continue;
      }
      if (c === CR) {
        if (i + 1 < chunk.length) {
          if (chunk[i + 1] === LF) continue; // CR LF in the content: the LF ends the line
        } else {
          this.pendingCr = true;
          continue;
        }
      }
      o = this.putByte(out, o, c);
    }
    return out.subarray(0, o);
  }

  private putByte(out: Uint8Array, o: number, c: number): number {
    const limit = this.limit;
    if (this.spaceLeft === limit && c === DOT) out[o++] = DOT;
    if (this.spaceLeft <= 0) {
      // the line is full: break it, continuing with a space
      out[o++] = CR;
      out[o++] = LF;
      out[o++] = SP;
      this.spaceLeft = limit - 1;
      this.brokeLongLine = true;
    }
    out[o++] = c;
    this.spaceLeft--;
    return o;
  }

  /** What is needed after the last chunk: a CRLF if the content did not end with a line end. */
  finish(): Uint8Array {
    const bytes: number[] = [];
    if (this.pendingCr) {
      this.pendingCr = false;
      bytes.push(CR, LF);
      this.spaceLeft = this.limit;
      return Uint8Array.from(bytes);
    }
    if (this.spaceLeft !== this.limit) {
      this.spaceLeft = this.limit;
      return Uint8Array.from([CR, LF]);
    }
    return new Uint8Array(0);
  }
}

/** Encodes a whole message at once (for tests and small messages). */
export function encodeData(content: Uint8Array | string, lineLimit = 998): Uint8Array {
  const e = new DataEncoder(lineLimit);
  const a = e.push(typeof content === "string" ? Buffer.from(content) : content);
  const b = e.finish();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
