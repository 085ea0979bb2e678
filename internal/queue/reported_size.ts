/**
 * reported_size — the message size Postfix reports for a message's content: what mailq, `postqueue -j`
 * (message_size), postcat (`message_size:`), the queue manager's `size=` log field, the SMTP client's `SIZE=` and
 * pipe(8)'s ${size} show. It is not the content's byte count but the space the content takes in Postfix's queue
 * file records, and postkit reports the same number for the same message.
 *
 * Postfix stores the content as records: a type byte, the length in 7-bit groups (one byte up to 127, two up
 * to 16,383, ...), the bytes; a line is one record without its newline, and a line longer than line_length_limit
 * is pieces of exactly that many bytes. The counter takes the content the way cleanup hands Postfix's records on:
 * each add() is a run of records, its complete lines and, when it does not end with a newline, a last piece that
 * the next add() continues (a CONT record). Where the pieces are cut follows Postfix 3.7 (observed, and checked
 * against its queue files in reported_size_test.ts):
 *   - a body line of n bytes is floor(n / limit) full pieces plus one with the rest, even when the rest is empty
 *     (sendmail and smtpd read at most `limit` bytes at a time and stop there, before the newline);
 *   - a header line is cut when cleanup writes the assembled header: exactly k·limit bytes are k pieces;
 *   - an unfinished piece (an add() without a final newline) of n bytes is ceil(n / limit) pieces, and a
 *     content that ends with one gets an empty record after it (two bytes), as Postfix ends a continued line.
 * So postkit's cleanup, which writes each record with its own add() (a last line without newline, then the empty
 * record that ends it), gets Postfix's number; a writer that cuts its content anywhere else gets the size of
 * records cut there. Two known differences, of two bytes or less: MIME part headers inside the body count as
 * body lines (Postfix counts them as headers), which differs only for a part header line of exactly k·limit
 * bytes; and a `sendmail -t` message whose last body line has no newline counts as if it had one (its maildrop
 * file holds the newline where Postfix's holds an empty record, and pickup reads a whole line).
 *
 *   const c = new ReportedSizeCounter(2048);
 *   c.add(headerLine); ...; c.bodyStarts(); c.add(bodyLine); ...; const size = c.finish();
 *
 * Contract: add() takes content as it is stored (LF line ends); bodyStarts() is called at the first byte of the
 * body (the empty line after the headers), or never for a message without a body.
 */

/** Bytes of a Postfix record holding `n` bytes of data: type, length in 7-bit groups, data. */
function recordBytes(n: number): number {
  let len = 1;
  for (let v = n; v >= 128; v = Math.floor(v / 128)) len++;
  return 1 + len + n;
}

/** Counts the reported size of content given record by record; see the header. */
export class ReportedSizeCounter {
  private size = 0;
  /** The last add() ended without a newline: its piece is continued by the next one. */
  private open = false;
  private inBody = false;
  private readonly fullPiece: number;

  constructor(private readonly limit: number) {
    if (!(limit > 0)) throw new RangeError(`line length limit: ${limit}`);
    this.fullPiece = recordBytes(limit);
  }

  /** Takes the next content bytes: complete lines, and an unfinished piece when they do not end with a newline. */
  add(bytes: Uint8Array): void {
    let i = 0;
    for (;;) {
      const nl = bytes.indexOf(10, i);
      if (nl < 0) break;
      this.size += this.line(nl - i);
      this.open = false;
      i = nl + 1;
    }
    const n = bytes.length - i;
    if (n > 0) {
      const full = Math.floor((n - 1) / this.limit);
      this.size += full * this.fullPiece + recordBytes(n - full * this.limit);
      this.open = true;
    }
  }

  /** The next line is the first of the body. */
  bodyStarts(): void {
    this.inBody = true;
  }

  /** The reported size of everything added. */
  finish(): number {
    return this.open ? this.size + 2 : this.size;
  }

  /** Bytes of the records of a line (or of a line's last part) of `n` bytes ending in a newline. */
  private line(n: number): number {
    const full = Math.floor(n / this.limit);
    const rest = n - full * this.limit;
    const last = rest > 0 || full === 0 || this.inBody ? recordBytes(rest) : 0;
    return full * this.fullPiece + last;
  }
}
