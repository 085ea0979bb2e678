/**
 * reply — assembling SMTP/LMTP server replies from lines, as Postfix's SMTP client reads them (smtp_chat_resp()).
 *
 * - A line `DDD-text` continues a reply and `DDD text` (or bare `DDD`) ends it; the reply's text is every line joined
 *   with "\n", its code the number of the last line.
 * - A line that is not of that form (garbage) does not end the reply: it is kept in the text and the next line is
 *   read, and the session is marked as having seen a protocol error (`garbage`), as Postfix does.
 * - Non-printable characters become `?`. Text beyond `lineLimit` characters in total is read but not kept.
 * - The enhanced status code (RFC 3463) is taken from the last line when its class matches the reply code
 *   (`550 5.1.1 …`); otherwise it is `X.0.0` with X the reply's first digit, and `5.5.0` for a reply that is
 *   not 2xx, 4xx or 5xx. A reply without a code (garbage only, cut short) has code 0.
 *
 * Pure code, no I/O. Postfix: src/smtp/smtp_chat.c (smtp_chat_resp), src/global/dsn_util.c (dsn_valid).
 */
import { dsnValid } from "../dsn/dsn_status.ts";

/** One server reply. */
export interface SmtpReply {
  /** 0 when the last line carried no code. */
  code: number;
  /** Enhanced status code: from the reply, or derived from the code (see the header). */
  dsn: string;
  /** The lines, joined with "\n" (codes included). */
  text: string;
  /** True when lines of no reply form were seen (Postfix's protocol error). */
  garbage: boolean;
}

/** Replaces what Postfix's printable() would: characters outside printable ASCII and Latin-1/UTF-8 text. */
function printable(line: string): string {
  return line.replace(/[\x00-\x1f\x7f]/g, "?");
}

/** Builds replies from lines; `push()` returns the reply a line completes, undefined while more must be read. */
export class ReplyAssembler {
  private lines: string[] = [];
  private kept = 0;
  private garbage = false;

  constructor(private readonly lineLimit = 2048) {}

  /** Adds one line (without its CRLF). */
  push(rawLine: string): SmtpReply | undefined {
    const line = printable(rawLine);
    if (this.kept < this.lineLimit) {
      this.lines.push(line);
      this.kept += line.length + 1;
    }
    const m = /^\d{3}([ -]|$)/.exec(line);
    if (m && m[1] === "-") return undefined;
    if (m) return this.finish(line);
    this.garbage = true;
    return undefined;
  }

  private finish(last: string): SmtpReply {
    const code = Number(last.slice(0, 3));
    let dsn = "5.5.0";
    if ("245".includes(last[0]!)) {
      const rest = last.slice(3).replace(/^ +/, "");
      const len = dsnValid(rest);
      dsn = len > 0 && rest[0] === last[0] ? rest.slice(0, len) : `${last[0]}.0.0`;
    }
    const reply: SmtpReply = { code, dsn, text: this.lines.join("\n"), garbage: this.garbage };
    this.lines = [];
    this.kept = 0;
    this.garbage = false;
    return reply;
  }

  /** True when part of a reply has been read. */
  pending(): boolean {
    return this.lines.length > 0;
  }
}

/** The reply text on one line, as Postfix puts it in reason texts (translit "\n" → " "). */
export function replyOneLine(r: Pick<SmtpReply, "text">): string {
  return r.text.replace(/\n/g, " ");
}
