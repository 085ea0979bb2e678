/**
 * header_parser — the primary message headers, read line by line as Postfix's cleanup reads them (mime_state.c
 * with MIME processing left to later code): each logical header with its folded continuation lines, and the
 * exact point where the body begins.
 *
 * Input is the message content as records: push(text, partial) with a line WITHOUT its newline, where `partial`
 * says the line continues in the next record (a queue file `L` record; Postfix cuts lines longer than
 * line_length_limit into such pieces). Text is a "binary string" (one character per byte, as
 * Buffer.toString("latin1") gives it; a Uint8Array is converted so); UTF-8 decoded text works too, but then
 * header_size_limit counts characters instead of bytes.
 *
 * Rules, as Postfix applies them:
 *
 * - A header starts with a line for which headerNameLength() > 0 (`Name:`, `Name :`). White space between the
 *   name and the colon is removed (`Subject : x` becomes `Subject: x`).
 * - A line that starts with a space or tab continues the header before it; it is joined with "\n" (the header
 *   text keeps its original folding). The next piece of a partial line is joined with nothing.
 * - header_size_limit (default 102400): once a header's text has reached the limit, further continuation lines
 *   and pieces are discarded and the header is reported with `truncated` set; the text keeps the line that
 *   crossed the limit, so it may exceed the limit by up to one line.
 * - A NUL inside a header line ends that line's text (Postfix copies header text as a C string); body lines are
 *   passed on unchanged.
 * - The headers end at the first line that is neither a header nor a continuation: an empty line, which is then
 *   the first body line; or any other line (a line starting with white space when no header came before, a
 *   `From ` line, text without a colon …). In that case Postfix inserts an empty line before it, so the body
 *   always starts with the empty line that separates it from the headers: the sink gets endOfHeaders(true),
 *   then body(""), then that line.
 * - At the end of the input (finish()) a line left partial is ended with an empty record (so a body ends with
 *   body("", false) after a partial record), a pending header is delivered and, if the body never started,
 *   endOfHeaders(false) is called with no body lines.
 *
 * Every header goes to the sink in order, with its HeaderInfo from the header table (header_table.ts). After
 * the end of the headers, every further record goes to sink.body() unchanged. Never throws.
 */
import { headerNameLength, findHeaderInfo, type HeaderInfo, type HeaderTable } from "./header_table.ts";

/** header_size_limit default. */
export const DEFAULT_HEADER_SIZE_LIMIT = 102400;

/** One logical header. */
export interface Header {
  /** The name as written, without the colon. */
  name: string;
  /** The whole header: `Name: value`, continuation lines joined with "\n". */
  text: string;
  /** What follows the colon (leading white space and "\n"-joined continuation lines included). */
  value: string;
  /** What Postfix knows about this header name, or undefined. */
  info: HeaderInfo | undefined;
  /** Text was discarded because the header reached header_size_limit. */
  truncated: boolean;
}

/** Receives what the parser finds, in message order. */
export interface HeaderSink {
  header(h: Header): void;
  /** The primary headers ended; `blankLineInserted` when the body did not start with an empty line. */
  endOfHeaders(blankLineInserted: boolean): void;
  /** A body record (the separating empty line included); `partial` as given to push(). */
  body(text: string, partial: boolean): void;
}

/** Options for a HeaderParser. */
export interface HeaderParserOptions {
  /** header_size_limit. */
  headerSizeLimit?: number;
  /** Header names and classes; default: findHeaderInfo(), the default message_drop_headers. */
  table?: HeaderTable;
}

const cText = (s: string) => {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
};

/** Streaming reader of the primary headers; see the header. */
export class HeaderParser {
  private readonly limit: number;
  private readonly table: HeaderTable | undefined;
  private state: "headers" | "body" = "headers";
  private text = "";
  private nameLength = 0;
  private truncated = false;
  private prevPartial = false;

  constructor(
    private readonly sink: HeaderSink,
    opts: HeaderParserOptions = {},
  ) {
    this.limit = opts.headerSizeLimit ?? DEFAULT_HEADER_SIZE_LIMIT;
    this.table = opts.table;
  }

  /** True until the end of the headers has been seen. */
  get inHeaders(): boolean {
    return this.state === "headers";
  }

  /** Takes one record: a line without its newline, `partial` when it continues in the next record. */
  push(record: string | Uint8Array, partial = false): void {
    const line = typeof record === "string" ? record : Buffer.from(record.buffer, record.byteOffset, record.byteLength).toString("latin1");
    if (this.state === "body") {
      this.prevPartial = partial;
      this.sink.body(line, partial);
      return;
    }
    if (this.text !== "") {
      const joined = this.prevPartial ? "" : line[0] === " " || line[0] === "\t" ? "\n" : undefined;
      if (joined !== undefined) {
        if (this.text.length < this.limit) this.text += joined + cText(line);
        else this.truncated = true;
        this.prevPartial = partial;
        return;
      }
      this.flush();
    }
    const n = headerNameLength(line);
    if (n > 0) {
      let i = n;
      while (line[i] === " " || line[i] === "\t") i++;
      this.text = cText(line.slice(0, n) + line.slice(i));
      this.nameLength = n;
      this.truncated = false;
      this.prevPartial = partial;
      return;
    }
    this.state = "body";
    if (line === "") {
      this.sink.endOfHeaders(false);
    } else {
      this.sink.endOfHeaders(true);
      this.sink.body("", false);
    }
    this.prevPartial = partial;
    this.sink.body(line, partial);
  }

  /** Ends the input: delivers a pending header and, when the body never started, the end of the headers. */
  finish(): void {
    if (this.prevPartial) this.push("", false); // terminate a line left partial, as Postfix does
    if (this.text !== "") this.flush();
    if (this.state === "headers") {
      this.state = "body";
      this.sink.endOfHeaders(false);
    }
  }

  private flush(): void {
    const text = this.text;
    const name = text.slice(0, this.nameLength);
    const info = this.table ? this.table.find(name) : findHeaderInfo(name);
    this.sink.header({ name, text, value: text.slice(this.nameLength + 1), info, truncated: this.truncated });
    this.text = "";
    this.prevPartial = false;
  }
}
