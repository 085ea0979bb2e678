/**
 * header_parser — message content read record by record as Postfix's cleanup reads it (mime_state.c): each
 * logical header with its folded continuation lines, the exact point where the body begins, and, in MIME mode,
 * the headers of multipart parts and attached messages.
 *
 * Input is the message content as records: push(text, partial) with a line WITHOUT its newline, where `partial`
 * says the line continues in the next record (a queue file `L` record; Postfix cuts lines longer than
 * line_length_limit into such pieces). Text is a "binary string" (one character per byte, as
 * Buffer.toString("latin1") gives it; a Uint8Array is converted so); UTF-8 decoded text works too, but then
 * header_size_limit, mime_boundary_length_limit and body offsets count characters instead of bytes.
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
 * Every header goes to the sink in order, with its HeaderInfo from the header table (header_table.ts) and its
 * class. Without the `mime` option every header is "primary" and, after the end of the primary headers, every
 * further record goes to sink.body() unchanged (Postfix with disable_mime_input_processing = yes).
 *
 * MIME mode (option `mime`, Postfix's default) also reads the MIME structure, as mime_state.c does without
 * MIME_OPT_DISABLE_MIME; the text of every record is still passed on unchanged, only where it goes differs:
 *
 * - Content-Type decides what follows a header block; it is read when its header is complete, before the sink
 *   sees it. `text/*`, an empty value and `message/*` other than rfc822 and global mean body; `message/rfc822`
 *   and `message/global` mean the body starts with the headers of an attached message ("nested"); `multipart/*`
 *   means body (prologue) and pushes the value of each `boundary` parameter on a stack of boundaries. A type
 *   Postfix does not know (`image/png`, a quoted type) changes nothing: the type in force stays (text/plain at
 *   the top and after a nested message's start, or the default of the enclosing multipart). Parameters are
 *   read as RFC 2045 tokens: white space (folding included) and (nested, \-escaped) comments are skipped, a
 *   quoted string loses its quotes and backslashes and, at a fold, the white space before the fold; an
 *   unquoted value ends at white space, a control character or one of ()<>@,;:\"/[]?= (which alone is a
 *   value). Names compare ASCII case-insensitively; every boundary parameter of the header is pushed.
 * - mime_boundary_length_limit (default 2048): a boundary is kept to that many bytes.
 * - mime_nesting_limit (default 100): a boundary is not pushed when the stack already holds limit + 2 of them
 *   (Postfix counts its levels from -1); the multipart is then read as body (its part headers are body text,
 *   but boundaries of the enclosing levels still match), and sink.mimeError() is called with the text of the
 *   Content-Type header, once per message (Postfix reports each kind of error once; cleanup rejects the mail
 *   with "MIME nesting exceeds safety limit" when it reports nesting errors).
 * - multipart/digest makes message/rfc822 the default type of its parts; other multiparts, text/plain.
 * - In the body, a line that starts with `--` and then a boundary of the stack, innermost first, is a boundary
 *   line (the line must be longer than `--`; text after the boundary is ignored, so `--bx` matches boundary
 *   `b`, and an empty boundary matches every such line). Only a line's first piece counts: the piece after a
 *   partial record is never a boundary line. Boundaries pushed after the one matched are popped. When `--`
 *   follows the boundary, it is the closing line: that boundary is popped too and body (epilogue) follows;
 *   otherwise part headers ("multipart") follow, with the multipart's default type. The boundary line itself
 *   always goes to body(); when it is partial, its next piece is read as the first line of the part headers.
 * - A header block ends as the primary one does: at an empty line, which goes to body() and after which, for
 *   message/rfc822 or message/global, nested headers follow (at the top too) and otherwise body; or at any
 *   other line, after which body follows whatever the type. Only the primary block gets endOfHeaders() and an
 *   inserted empty line; a part or nested block's last line goes to body() as it is, and may itself be a
 *   boundary line. The empty record that finish() adds after a partial line ends a header block as an empty
 *   line does.
 *
 * Body offsets, as Postfix passes them to cleanup's body call-back (body_checks_size_limit compares them): the
 * byte offset of the record in the current body segment, each record counting its length plus one (a partial
 * piece too). A segment restarts at 0 at every empty line that ends a header block (so the empty line is at 0
 * and the next at 1), at the line that ends a header block otherwise (the primary block's inserted empty line
 * is at 0 and so is the line after it), and at a closing boundary line (which is at 0); an opening boundary
 * line continues its segment. Without the `mime` option the body is one segment, started as the primary
 * block's end says.
 *
 * MIME mode also keeps, as mime_state.c does, the type, the encoding and the encoding domain of the part being
 * read, for the SMTP client's 8-bit downgrade (mime_downgrade.ts) and cleanup's strict_8bitmime checks:
 * `partEncoding` is what the last Content-Transfer-Encoding of the current header block said (7bit, 8bit,
 * binary, base64 or quoted-printable, any case; any other value changes nothing; a block starts as 7bit) and
 * stays in force in the part's body; `partDomain` is its domain (base64 and quoted-printable are 7bit);
 * `partType` the type (text, message with the subtypes rfc822, global, partial and external-body, multipart,
 * other); `partComposite` says the part is a multipart or a message other than message/global. A multipart's
 * prologue and epilogue and every boundary line are 7bit. The sink's optional endOfBlock() is called when any
 * header block ends (primary, multipart part, nested message), before the line that ends it is passed on. With
 * the `downgrade` option a message/global part whose domain is not 7bit is read as body, not as nested headers
 * (it is converted as a whole).
 *
 * Never throws. Corresponds to src/global/mime_state.c and header_token.c; what is done with the encodings is
 * elsewhere: the 8-bit downgrade in mime_downgrade.ts, the strict_8bitmime checks in cleanup/content_checks.ts.
 */
import { asciiLower } from "../text/chars.ts";
import { headerNameLength, findHeaderInfo, type HeaderInfo, type HeaderTable } from "./header_table.ts";

/** header_size_limit default. */
export const DEFAULT_HEADER_SIZE_LIMIT = 102400;
/** mime_nesting_limit default. */
export const DEFAULT_MIME_NESTING_LIMIT = 100;
/** mime_boundary_length_limit default. */
export const DEFAULT_MIME_BOUNDARY_LENGTH_LIMIT = 2048;

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

/**
 * Where a header is: the message's own headers, a multipart part's headers, or the headers of a message/rfc822
 * (message/global) attachment.
 */
export type HeaderClass = "primary" | "multipart" | "nested";

/** Receives what the parser finds, in message order. */
export interface HeaderSink {
  /** A header; `cls` is always "primary" without MIME mode. */
  header(h: Header, cls: HeaderClass): void;
  /** The primary headers ended; `blankLineInserted` when the body did not start with an empty line. */
  endOfHeaders(blankLineInserted: boolean): void;
  /**
   * A body record (the separating empty line and, in MIME mode, boundary lines included); `partial` as given
   * to push(); `offset` is Postfix's offset of the record in the current body segment (see the header).
   */
  body(text: string, partial: boolean, offset: number): void;
  /** MIME mode: the nesting limit refused a boundary; `text` is the Content-Type header. Once per message. */
  mimeError?(text: string): void;
  /** MIME mode: a header block (primary, multipart part or nested message) ends; partDomain is its domain. */
  endOfBlock?(cls: HeaderClass): void;
}

/** Options for a HeaderParser. */
export interface HeaderParserOptions {
  /** header_size_limit. */
  headerSizeLimit?: number;
  /** Header names and classes; default: findHeaderInfo(), the default message_drop_headers. */
  table?: HeaderTable;
  /** MIME processing (Postfix's default; disable_mime_input_processing = no). Absent: primary headers only. */
  mime?: {
    /** mime_nesting_limit, default 100. */
    nestingLimit?: number;
    /** mime_boundary_length_limit, default 2048. */
    boundaryLengthLimit?: number;
    /** Read for an 8-bit downgrade (see the header: message/global). */
    downgrade?: boolean;
  };
}

const cText = (s: string) => {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
};

/** The encoding domain of a MIME part (RFC 2045). */
export type MimeDomain = "7bit" | "8bit" | "binary";

/** A Content-Transfer-Encoding Postfix knows (an identity encoding is also a domain). */
export type MimeEncoding = MimeDomain | "base64" | "quoted-printable";

/** Content-Transfer-Encoding values and their domains (mime_state.c's table). */
const ENCODING_DOMAINS: Record<MimeEncoding, MimeDomain> = { "7bit": "7bit", "8bit": "8bit", binary: "binary", base64: "7bit", "quoted-printable": "7bit" };

/** What mime_state.c knows of a part's type: text, message (with the subtypes it knows), multipart, or other. */
export type MimeType =
  | "text" | "message" | "message/rfc822" | "message/global" | "message/partial" | "message/external-body" | "multipart" | "other";

const MESSAGE_SUBTYPES = new Set(["rfc822", "global", "partial", "external-body"]);

/** A multipart level: its boundary, and whether its parts default to message/rfc822 (multipart/digest). */
interface Boundary {
  text: string;
  digest: boolean;
}

/** Streaming reader of the headers; see the header. */
export class HeaderParser {
  private readonly limit: number;
  private readonly table: HeaderTable | undefined;
  private state: HeaderClass | "body" = "primary";
  private text = "";
  private nameLength = 0;
  private truncated = false;
  private prevPartial = false;
  private offset = 0;
  // MIME mode only: the boundary stack (undefined without MIME mode), the limits, whether the current type
  // makes the body start with nested headers, and whether the nesting error was reported
  private readonly stack: Boundary[] | undefined;
  private readonly maxBoundaries: number = 0;
  private readonly boundaryLimit: number = 0;
  private type: MimeType = "text";
  private encoding: MimeEncoding = "7bit";
  private domain: MimeDomain = "7bit";
  private lineEncoding: MimeEncoding = "7bit";
  private readonly downgrade: boolean = false;
  private nestingReported = false;

  constructor(
    private readonly sink: HeaderSink,
    opts: HeaderParserOptions = {},
  ) {
    this.limit = opts.headerSizeLimit ?? DEFAULT_HEADER_SIZE_LIMIT;
    this.table = opts.table;
    if (opts.mime) {
      this.stack = [];
      this.maxBoundaries = (opts.mime.nestingLimit ?? DEFAULT_MIME_NESTING_LIMIT) + 2;
      this.boundaryLimit = Math.max(0, opts.mime.boundaryLengthLimit ?? DEFAULT_MIME_BOUNDARY_LENGTH_LIMIT);
      this.downgrade = opts.mime.downgrade === true;
    }
  }

  /** MIME mode: the encoding domain of the part being read (see the header). */
  get partDomain(): MimeDomain {
    return this.domain;
  }

  /** MIME mode: the Content-Transfer-Encoding in force (see the header). */
  get partEncoding(): MimeEncoding {
    return this.encoding;
  }

  /** MIME mode: the type of the part being read, as far as Postfix knows types. */
  get partType(): MimeType {
    return this.type;
  }

  /** MIME mode: the part being read is a multipart, or a message other than message/global. */
  get partComposite(): boolean {
    return this.type === "multipart" || (this.type.startsWith("message") && this.type !== "message/global");
  }

  /**
   * MIME mode, in sink.body(): the encoding in force when the record arrived, before a boundary on it changed
   * the part (mime_state.c checks body lines for 8-bit data against it).
   */
  get recordEncoding(): MimeEncoding {
    return this.lineEncoding;
  }

  /** True until the end of the primary headers has been seen. */
  get inHeaders(): boolean {
    return this.state === "primary";
  }

  /** Takes one record: a line without its newline, `partial` when it continues in the next record. */
  push(record: string | Uint8Array, partial = false): void {
    const line = typeof record === "string" ? record : Buffer.from(record.buffer, record.byteOffset, record.byteLength).toString("latin1");
    if (this.state !== "body" && this.headerLine(line, partial)) return;
    this.lineEncoding = this.encoding;
    // MIME mode: a boundary is looked for only at the start of a line, and needs "--" and one more character
    if (this.stack !== undefined && !this.prevPartial && line.length > 2 && line.startsWith("--")) {
      this.boundaryLine(this.stack, line);
    }
    this.prevPartial = partial;
    this.sink.body(line, partial, this.offset);
    this.offset += line.length + 1;
  }

  /** Ends the input: delivers a pending header and, when the body never started, the end of the headers. */
  finish(): void {
    if (this.prevPartial) this.push("", false); // terminate a line left partial, as Postfix does
    if (this.text !== "") this.flush();
    if (this.state !== "body" && this.stack !== undefined) this.sink.endOfBlock?.(this.state);
    if (this.state === "primary") this.sink.endOfHeaders(false);
    this.state = "body";
  }

  /** A line in a header block: true when it was a header or continuation, else the block ends here. */
  private headerLine(line: string, partial: boolean): boolean {
    if (this.text !== "") {
      const joined = this.prevPartial ? "" : line[0] === " " || line[0] === "\t" ? "\n" : undefined;
      if (joined !== undefined) {
        if (this.text.length < this.limit) this.text += joined + cText(line);
        else this.truncated = true;
        this.prevPartial = partial;
        return true;
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
      return true;
    }
    const primary = this.state === "primary";
    if (this.stack !== undefined) this.sink.endOfBlock?.(this.state as HeaderClass);
    if (primary) this.sink.endOfHeaders(line !== "");
    if (line === "") {
      const t = this.type;
      if (t === "message/rfc822" || (t === "message/global" && (!this.downgrade || this.domain === "7bit"))) {
        this.state = "nested"; // nested headers start as text/plain
        this.type = "text";
        this.setEncoding("7bit");
      } else {
        this.state = "body";
        if (t === "multipart") {
          this.type = "other"; // the prologue
          this.setEncoding("7bit");
        }
      }
    } else {
      if (primary) this.sink.body("", false, this.offset);
      this.state = "body";
    }
    this.offset = 0;
    return false;
  }

  /** A body line that starts with "--" while boundaries are stacked: maybe a part starts or the multipart ends. */
  private boundaryLine(stack: Boundary[], line: string): void {
    for (let i = stack.length - 1; i >= 0; i--) {
      const b = stack[i]!;
      if (line.length < 2 + b.text.length || !line.startsWith(b.text, 2)) continue;
      stack.length = i + 1;
      if (line.length >= 4 + b.text.length && line.startsWith("--", 2 + b.text.length)) {
        stack.length = i;
        this.state = "body";
        this.offset = 0;
        this.type = "other"; // the epilogue
      } else {
        this.state = "multipart";
        this.type = b.digest ? "message/rfc822" : "text";
      }
      this.setEncoding("7bit");
      return;
    }
  }

  private flush(): void {
    const text = this.text;
    const name = text.slice(0, this.nameLength);
    const info = this.table ? this.table.find(name) : findHeaderInfo(name);
    const value = text.slice(this.nameLength + 1);
    if (this.stack !== undefined && info?.type === "content-type") this.contentType(value, text);
    if (this.stack !== undefined && info?.type === "content-transfer-encoding") this.contentEncoding(value);
    this.sink.header({ name, text, value, info, truncated: this.truncated }, this.state as HeaderClass);
    this.text = "";
    this.prevPartial = false;
  }

  /** MIME mode: what a Content-Type value says about the body, and the boundaries it pushes. */
  private contentType(value: string, text: string): void {
    const type = contentTypeTokens(value, 0);
    if (type === undefined || type.tokens.length === 0) {
      this.type = "other";
      return;
    }
    const [t0, t1, t2] = type.tokens;
    const sub = type.tokens.length >= 3 && t1!.kind === "/" && t2!.kind === "atom" ? asciiLower(t2!.text) : "";
    const major = t0!.kind === "atom" ? asciiLower(t0!.text) : "";
    if (major === "text") {
      this.type = "text";
    } else if (major === "message") {
      this.type = MESSAGE_SUBTYPES.has(sub) ? (`message/${sub}` as MimeType) : "message";
    } else if (major === "multipart") {
      this.type = "multipart";
      const digest = sub === "digest";
      for (let p = contentTypeTokens(value, type.next); p !== undefined; p = contentTypeTokens(value, p.next)) {
        const [n, eq, v] = p.tokens;
        if (v === undefined || n!.kind !== "atom" || asciiLower(n!.text) !== "boundary" || eq!.kind !== "=") continue;
        if (this.stack!.length >= this.maxBoundaries) {
          if (!this.nestingReported) this.sink.mimeError?.(text);
          this.nestingReported = true;
          continue;
        }
        this.stack!.push({ text: v.text.slice(0, this.boundaryLimit), digest });
      }
    }
  }

  /** MIME mode: the domain a Content-Transfer-Encoding value names (its first token: a word of RFC 822). */
  private contentEncoding(value: string): void {
    const t = contentTypeTokens(value, 0, RFC822_SPECIALS)?.tokens[0];
    if (t?.kind !== "atom") return;
    const e = asciiLower(t.text);
    if (Object.hasOwn(ENCODING_DOMAINS, e)) this.setEncoding(e as MimeEncoding);
  }

  private setEncoding(e: MimeEncoding): void {
    this.encoding = e;
    this.domain = ENCODING_DOMAINS[e];
  }
}

/** A Content-Type token: a word, a quoted string without its quotes, or one special or control character. */
interface Token {
  /** "atom", "quoted", or the special character itself. */
  kind: string;
  text: string;
}

const TSPECIALS = "()<>@,;:\\\"/[]?=";
const RFC822_SPECIALS = "()<>@,;:\\\".[]";
const isBlankCode = (c: number) => c === 32 || c === 9 || c === 13 || c === 10;
const isControlCode = (c: number) => c < 32 || c === 127;

/**
 * The first three tokens of the `;`-separated item of a Content-Type value that starts at `from` (further
 * tokens are skipped), and where the next item starts; undefined when nothing but white space and comments
 * is left. Mirrors Postfix's header_token() with RFC 2045 specials (or `specials`).
 */
function contentTypeTokens(s: string, from: number, specials = TSPECIALS): { tokens: Token[]; next: number } | undefined {
  const tokens: Token[] = [];
  let i = from;
  let atEnd = true;
  while (i < s.length) {
    const c = s.charCodeAt(i++);
    if (isBlankCode(c)) continue;
    if (c === 59 /* ; */) {
      atEnd = false;
      break;
    }
    if (c === 40 /* ( */) {
      // a comment, which may nest; a backslash takes the next character literally
      let depth = 1;
      while (i < s.length && depth > 0) {
        const d = s.charCodeAt(i++);
        if (d === 40) depth++;
        else if (d === 41) depth--;
        else if (d === 92 && i < s.length) i++;
      }
      continue;
    }
    if (c === 34 /* " */) {
      let t = "";
      while (i < s.length) {
        let d = s.charCodeAt(i++);
        if (d === 34) break;
        if (d === 10) {
          // a fold inside the quotes: drop the white space before it, keep what starts the next line
          let e = t.length;
          while (e > 0 && isBlankCode(t.charCodeAt(e - 1))) e--;
          t = t.slice(0, e);
          continue;
        }
        if (d === 92) {
          if (i >= s.length) break;
          d = s.charCodeAt(i++);
        }
        t += String.fromCharCode(d);
      }
      if (tokens.length < 3) tokens.push({ kind: "quoted", text: t });
      continue;
    }
    if (isControlCode(c) || specials.includes(s[i - 1]!)) {
      if (tokens.length < 3) tokens.push({ kind: s[i - 1]!, text: s[i - 1]! });
      continue;
    }
    const start = i - 1;
    while (i < s.length) {
      const d = s.charCodeAt(i);
      if (isBlankCode(d) || isControlCode(d) || specials.includes(s[i]!)) break;
      i++;
    }
    if (tokens.length < 3) tokens.push({ kind: "atom", text: s.slice(start, i) });
  }
  if (tokens.length === 0 && atEnd) return undefined;
  return { tokens, next: i };
}
