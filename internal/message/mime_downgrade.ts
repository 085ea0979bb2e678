/**
 * mime_downgrade — 8-bit MIME content made 7-bit, as Postfix's SMTP and LMTP clients send it to a server that
 * does not announce 8BITMIME (mime_state.c with MIME_OPT_DOWNGRADE; internal/smtp/smtp_content.ts decides when).
 *
 * The content is read by a HeaderParser in MIME mode with its `downgrade` option, whose partDomain and
 * partComposite say where the reader is. In every header block whose Content-Transfer-Encoding leaves a domain
 * other than 7bit (8bit, binary):
 *   - that Content-Transfer-Encoding header is dropped (droppedHeader());
 *   - where the block ends, `Content-Transfer-Encoding: 7bit` is written for a multipart or a message/* part
 *     (other than message/global) and `Content-Transfer-Encoding: quoted-printable` for anything else
 *     (blockEndHeader());
 *   - the body lines of such a leaf part are encoded quoted-printable (QuotedPrintableBody): a byte below 32
 *     other than TAB, `=` and a byte above 126 become `=XX`; once an output line holds more than 72
 *     characters, the next character starts a new line after a soft break `=`; a space or TAB at the end of a
 *     line becomes `=20` or `=09`. A line cut into records (line_length_limit) is encoded as one line.
 * Nothing else changes: a part without a Content-Transfer-Encoding (7bit by default) goes out as it is, 8-bit
 * bytes included; headers are never encoded; nothing becomes base64 (Postfix: 8-bit non-text is broken already).
 *
 * Pure; never throws. Checked against Postfix 3.7's mime_state (internal/address/testdata/postfix_oracle.c,
 * `mimedown`).
 */
import type { Header, HeaderParser } from "./header_parser.ts";

/** The header that replaces a dropped one where a block ends, or undefined when the block's domain is 7bit. */
export function blockEndHeader(p: HeaderParser): string | undefined {
  if (p.partDomain === "7bit") return undefined;
  return `Content-Transfer-Encoding: ${p.partComposite ? "7bit" : "quoted-printable"}`;
}

/** The header is a Content-Transfer-Encoding that leaves the block in a domain other than 7bit: not sent. */
export function droppedHeader(h: Header, p: HeaderParser): boolean {
  return h.info?.type === "content-transfer-encoding" && p.partDomain !== "7bit";
}

/** The body record the parser is at belongs to a part that is converted. */
export function convertedBody(p: HeaderParser): boolean {
  return p.partDomain !== "7bit";
}

const HEX = "0123456789ABCDEF";

/** Quoted-printable encoding of the body records of converted parts; see the header. */
export class QuotedPrintableBody {
  /** The output line being built (one character per byte). */
  private line = "";

  /** Encodes one record (`partial`: the line continues in the next record); complete lines go to `out`. */
  record(text: string, partial: boolean, out: (line: string) => void): void {
    let b = this.line;
    for (let i = 0; i < text.length; i++) {
      if (b.length > 72) {
        out(`${b}=`);
        b = "";
      }
      const c = text.charCodeAt(i) & 0xff;
      if ((c < 32 && c !== 9) || c === 61 || c > 126) b += `=${HEX[c >> 4]}${HEX[c & 15]}`;
      else b += text[i];
    }
    if (!partial) {
      const last = b.charCodeAt(b.length - 1);
      if (last === 32 || last === 9) b = `${b.slice(0, -1)}=${last === 32 ? "20" : "09"}`;
      out(b);
      b = "";
    }
    this.line = b;
  }
}
