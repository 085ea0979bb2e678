/**
 * delivered_to — the `Delivered-To:` addresses already in a message, for breaking mail forwarding loops
 * (Postfix's delivered_hdr module): local(8) refuses to deliver to a recipient that one of them names
 * (`5.4.6 mail forwarding loop for ADDR`).
 *
 * The header section is read up to its first line that is neither a header (`name:` with printable name
 * characters) nor a continuation line; the first line of each `Delivered-To:` header (name case-insensitive) is
 * taken, leading white space skipped, and the address folded to lower case. At most 1000 are kept, as Postfix.
 * A recipient matches when its external (quoted) form, folded to lower case, is one of them — the form in which
 * mail_copy writes the header.
 *
 * Pure; never throws (a read error of the source propagates). Postfix: src/global/delivered_hdr.c.
 */
import { quoteLocalPart } from "../address/quote_local.ts";

const LIMIT = 1000;
const HEADER = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

/** The Delivered-To addresses of a message (read from its content until the headers end). */
export class DeliveredTo {
  private constructor(private readonly seen: ReadonlySet<string>) {}

  /** Scans the header section of `content`. */
  static fromContent(content: Iterable<Uint8Array>): DeliveredTo {
    const seen = new Set<string>();
    let carry = "";
    outer: for (const chunk of content) {
      const text = carry + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
      let start = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
        const line = text.slice(start, nl);
        start = nl + 1;
        if (!scanLine(line, seen)) break outer;
      }
      carry = text.slice(start);
      if (carry.length > 1_000_000) break; // a header line this long cannot be one of ours
    }
    if (carry !== "") scanLine(carry, seen);
    return new DeliveredTo(seen);
  }

  /** True when `address` (internal form) is named in a Delivered-To header. */
  has(address: string): boolean {
    return this.seen.has(quoteLocalPart(address).toLowerCase());
  }

  /** How many distinct addresses were found. */
  get size(): number {
    return this.seen.size;
  }
}

/** Notes a Delivered-To line; false at the end of the header section. */
function scanLine(line: string, seen: Set<string>): boolean {
  if (seen.size >= LIMIT) return false;
  const m = HEADER.exec(line);
  if (m) {
    const name = m[0].slice(0, -1).trimEnd();
    if (name.length === 12 && name.toLowerCase() === "delivered-to") {
      const value = Buffer.from(line.slice(m[0].length).replace(/^[ \t]+/, ""), "latin1").toString("utf8");
      seen.add(value.toLowerCase());
    }
    return true;
  }
  return line.length > 0 && (line[0] === " " || line[0] === "\t");
}
