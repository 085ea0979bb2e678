/**
 * content_checks — cleanup's header and body checks (Postfix's header_checks(5) and body_checks): each header and
 * each body line of a message is looked up in a table, and what the table says is done to the message.
 *
 * Tables (each a list of `type:name`, usually regexp: or pcre:):
 *   header_checks         the message's own (primary) headers that are not MIME headers
 *   mime_header_checks    MIME headers anywhere (MIME-Version, Content-*), and the headers of multipart parts;
 *                         default $header_checks
 *   nested_header_checks  the headers of attached messages (message/rfc822 parts) that are not MIME headers;
 *                         default $header_checks
 *   body_checks           every body line, including MIME boundary lines and part bodies, while the line starts
 *                         within the first body_checks_size_limit bytes of its body segment (0: no limit); a
 *                         line longer than line_length_limit is looked up in pieces of that length
 * The lookup key is the whole header as it came (`Name: value`, continuation lines joined with their newline),
 * or the body line without its newline; the first table that knows the key decides. Which headers are which
 * comes from the MIME reader (message/header_parser.ts); with disable_mime_input_processing = yes every header
 * after the primary ones is body.
 *
 * Actions (first word, any case; the rest of the value is the optional text):
 *   REJECT [text]    refuse the message: `5.7.1 message content rejected`, or the text with its own 4.x.x/5.x.x
 *                    status (5.7.1 when it has none); a 4.x.x status makes it a temporary failure
 *   WARN, INFO       only log                   HOLD      put the message in the hold queue
 *   DISCARD          accept and throw away      PASS      no further checks for this message
 *   FILTER t:d       record a content filter    REDIRECT  send to this address instead of the recipients
 *   BCC addr         add a recipient            PREPEND   put a header (a line in the body) before this one
 *   REPLACE text     put this instead           STRIP     remove, and log     IGNORE   remove, silently
 *   DUNNO, OK        nothing
 * REJECT, DISCARD, PASS and REDIRECT end all checking for the message. Each action but IGNORE/DUNNO/OK logs, as
 * Postfix's cleanup does: `QID: reject: header Subject: bad from host[addr]; from=<s> to=<r> proto=ESMTP
 * helo=<h>: 5.7.1 message content rejected` (the content up to 200 characters; `from local` for local
 * submissions; `to=` is the last envelope recipient after canonical mapping; proto/helo only when known).
 * Malformed actions are logged as warnings and ignored: `unknown command in header_checks map: FOO`, `bad
 * PREPEND header text "x" in header_checks map -- need "headername: headervalue"`, `bad DSN action in TEXT --
 * need 4.x.x or 5.x.x` (then the status becomes 4.x.x) …
 *
 * Strict MIME (cleanup only; Postfix's strict_8bitmime family, off by default):
 *   strict_7bit_headers          a header (primary, part or nested) with 8-bit data:
 *                                `improper use of 8-bit data in message header`
 *   strict_8bitmime_body         8-bit data in a body line whose part is 7bit (declared or by default; not base64
 *                                or quoted-printable): `improper use of 8-bit data in message body`
 *   strict_8bitmime              both of the above
 *   strict_mime_encoding_domain  a multipart or message/rfc822 part with base64 or quoted-printable, or a
 *                                message/partial or message/external-body part in 8bit or binary:
 *                                `invalid message/* or multipart/* encoding domain`
 * In MIME mode, with any header table configured or any strict check on, a message whose multipart structure
 * nests deeper than mime_nesting_limit is also an error: `MIME nesting exceeds safety limit`. Each kind of error
 * is logged once, when it is found: `QID: reject: mime-error TEXT: CONTENT from ORIGIN; from=<s> to=<r>` (the
 * header, body line, Content-Type header or encoding name, up to 100 characters), and the message is refused
 * with `5.6.0 TEXT` (the first kind in the order above, nesting first) unless a check rejected it. A strict
 * check turns MIME processing on.
 *
 * Characters (message_reject_characters, message_strip_characters; C escapes such as `\0` allowed): a content
 * line (header or body, before the tables see it) with a character to reject refuses the message, logged as
 * `QID: reject: content LINE from …: 5.7.1 disallowed character`; characters to strip are removed from every
 * line. Both end with the checks (after REJECT, DISCARD, PASS or REDIRECT).
 *
 * A table that cannot be read when looked up (or opened at all) makes the message a temporary failure: `warning: QID: header_checks
 * map lookup problem -- message not accepted, try again later`.
 *
 * The SMTP client's checks (open() with prefix `smtp_` or `lmtp_`: smtp_header_checks, smtp_mime_header_checks,
 * smtp_nested_header_checks, smtp_body_checks; Postfix's header_body_checks.c) know only WARN, INFO, REPLACE,
 * PREPEND, STRIP, IGNORE and DUNNO/OK (any other: `unsupported command in smtp_header_checks map: VALUE`), check
 * every body line (no size limit) and have no character rules; they log `QID: ACTION: header|body CONTENT:
 * TEXT` (content up to 200 characters, `: TEXT` only when there is one).
 *
 * Keys and table values are text (UTF-8); the message is a binary string (one character per byte): content that
 * is not ASCII is decoded as UTF-8 for the lookup, and replacement text encoded back.
 */
import type { Config } from "../config/config.ts";
import { msgLog, msgLogAs } from "../log/msg.ts";
import { openMapOrSurrogate, MapError, type LookupTable } from "../maps/index.ts";
import { isAscii } from "../maps/casefold.ts";
import { headerNameLength, type HeaderClass, type HeaderInfo, type MimeEncoding, type MimeType } from "../message/index.ts";
import { dsnPrepend } from "../dsn/dsn_status.ts";
import { unescapeC } from "../text/chars.ts";

/** One message's identity in the check log lines. */
export interface CheckSubject {
  queueId: string;
  sender: string;
  /** The last envelope recipient (after canonical mapping, before virtual aliasing), if any. */
  recipient?: string;
  /** log_message_origin (default `local`), log_protocol_name, log_helo_name. */
  origin?: string;
  proto?: string;
  helo?: string;
}

/** What the checks decided about one message. */
export interface CheckVerdict {
  /** REJECT: `X.Y.Z text`, temporary for 4.x.x. */
  reject?: { reason: string; temporary: boolean };
  /** MIME errors found (see the header): the message is refused with mimeRefusal() unless rejected. */
  mimeErrors?: Set<MimeErrorKind>;
  /** A table lookup failed (the table's parameter name). */
  lookupFailed?: string;
  discard: boolean;
  hold: boolean;
  /** FILTER's `transport:destination` (the last one wins). */
  filter?: string;
  /** REDIRECT's address (the last one wins). */
  redirect?: string;
  /** BCC addresses, in order. */
  bcc: string[];
}

/** MIME errors, in the order in which the first one found decides the refusal text (Postfix's mime_state_detail()). */
const MIME_ERRORS = {
  nesting: "MIME nesting exceeds safety limit",
  header8bit: "improper use of 8-bit data in message header",
  body8bit: "improper use of 8-bit data in message body",
  encodingDomain: "invalid message/* or multipart/* encoding domain",
} as const;

/** A kind of MIME error (see the header). */
export type MimeErrorKind = keyof typeof MIME_ERRORS;

/** The refusal of a message with MIME errors: `5.6.0 TEXT` of the first kind in MIME_ERRORS order. */
export function mimeRefusal(errors: ReadonlySet<MimeErrorKind>): string {
  const kind = (Object.keys(MIME_ERRORS) as MimeErrorKind[]).find((k) => errors.has(k))!;
  return `5.6.0 ${MIME_ERRORS[kind]}`;
}

/** Which strict MIME checks are on (see the header). */
interface StrictMime {
  header8bit: boolean;
  body8bit: boolean;
  encodingDomain: boolean;
}

const NO_STRICT: StrictMime = { header8bit: false, body8bit: false, encodingDomain: false };

const anyStrict = (s: StrictMime) => s.header8bit || s.body8bit || s.encodingDomain;

/** A table list and the parameter that names it (in warnings). */
interface Tables {
  param: string;
  tables: LookupTable[];
}

/** The checks of one configuration; see the header. */
export class ContentChecks {
  private constructor(
    private readonly header: Tables | undefined,
    private readonly mimeHeader: Tables | undefined,
    private readonly nestedHeader: Tables | undefined,
    private readonly bodyChecks: Tables | undefined,
    private readonly bodyLimit: number,
    private readonly lineLimit: number,
    /** message_reject_characters and message_strip_characters, unescaped ("" for none). */
    readonly rejectChars: string,
    readonly stripChars: string,
    /** The SMTP client's checks (Postfix's hbc): fewer actions, another log format (see the header). */
    readonly delivery = false,
    readonly strict: StrictMime = NO_STRICT,
  ) {}

  /**
   * Opens the tables of `cfg` (cleanup's, or with `prefix` `smtp_`/`lmtp_` the SMTP client's); undefined when none
   * is configured. A table that cannot be opened is logged and fails every lookup (surrogate_table.ts), so mail is
   * deferred until it is fixed, as with Postfix; only a spec without `type:` throws (MapError "syntax").
   */
  static async open(cfg: Config, prefix: "" | "smtp_" | "lmtp_" = ""): Promise<ContentChecks | undefined> {
    const opened = new Map<string, LookupTable>();
    const open = async (param: string): Promise<Tables | undefined> => {
      const tables: LookupTable[] = [];
      for (const spec of cfg.getList(param)) {
        let t = opened.get(spec);
        if (t === undefined) opened.set(spec, (t = await openMapOrSurrogate(spec)));
        tables.push(t);
      }
      return tables.length > 0 ? { param, tables } : undefined;
    };
    const header = await open(`${prefix}header_checks`);
    const mimeHeader = await open(`${prefix}mime_header_checks`);
    const nestedHeader = await open(`${prefix}nested_header_checks`);
    const body = await open(`${prefix}body_checks`);
    const delivery = prefix !== "";
    const rejectChars = delivery ? "" : unescapeC(cfg.get("message_reject_characters"));
    const stripChars = delivery ? "" : unescapeC(cfg.get("message_strip_characters"));
    // strict checks are part of MIME processing (Postfix: none with disable_mime_input_processing = yes)
    const all8 = cfg.getBool("strict_8bitmime");
    const strict: StrictMime = delivery || cfg.getBool("disable_mime_input_processing")
      ? NO_STRICT
      : { header8bit: all8 || cfg.getBool("strict_7bit_headers"), body8bit: all8 || cfg.getBool("strict_8bitmime_body"), encodingDomain: cfg.getBool("strict_mime_encoding_domain") };
    if (!header && !mimeHeader && !nestedHeader && !body && rejectChars === "" && stripChars === "" && !anyStrict(strict)) return undefined;
    const sizeLimit = delivery ? 0 : cfg.getInt("body_checks_size_limit");
    return new ContentChecks(header, mimeHeader, nestedHeader, body, sizeLimit, Math.max(1, cfg.getInt("line_length_limit")), rejectChars, stripChars, delivery, strict);
  }

  /** True when MIME part and nested headers matter (any header table besides header_checks, body_checks, strict MIME). */
  get wantsMime(): boolean {
    return this.mimeHeader !== undefined || this.nestedHeader !== undefined || this.bodyChecks !== undefined || anyStrict(this.strict);
  }

  /** Whether a MIME nesting error refuses the message: when any header table is configured or a strict check on. */
  get reportsNesting(): boolean {
    return this.header !== undefined || this.mimeHeader !== undefined || this.nestedHeader !== undefined || anyStrict(this.strict);
  }

  /** The checks of one message. */
  forMessage(subject: CheckSubject): MessageChecks {
    return new MessageChecks(this, subject);
  }

  /** @internal The tables for a header of `cls`; a MIME header is always checked as a MIME header. */
  tablesFor(cls: HeaderClass, info: HeaderInfo | undefined): Tables | undefined {
    if (info?.mime || cls === "multipart") return this.mimeHeader;
    return cls === "primary" ? this.header : this.nestedHeader;
  }

  /** @internal */
  get body(): { tables: Tables | undefined; sizeLimit: number; lineLimit: number } {
    return { tables: this.bodyChecks, sizeLimit: this.bodyLimit, lineLimit: this.lineLimit };
  }
}

/** Text of the message (one character per byte) as a lookup key. */
const asText = (bin: string) => (isAscii(bin) ? bin : Buffer.from(bin, "latin1").toString("utf8"));
/** The text (one character per byte) has a byte above 127. */
const has8bit = (bin: string) => /[\x80-\xff]/.test(bin);
/** A table's text as message bytes. */
const asBinary = (text: string) => (isAscii(text) ? text : Buffer.from(text, "utf8").toString("latin1"));

const DROP = null;

/** What the SMTP client's checks can do (Postfix's header_body_checks.c with smtp's call-backs). */
const DELIVERY_ACTIONS = new Set(["WARN", "INFO", "REPLACE", "PREPEND", "STRIP", "IGNORE", "DUNNO", "OK"]);

/** The checks of one message: header() and body() say what to write; verdict says what to do with it. */
export class MessageChecks {
  readonly verdict: CheckVerdict = { discard: false, hold: false, bcc: [] };
  /** False once REJECT, DISCARD, PASS or REDIRECT (or a lookup failure) ended checking. */
  private active = true;

  constructor(
    private readonly checks: ContentChecks,
    private readonly subject: CheckSubject,
  ) {}

  /**
   * The character rules for one content line as it comes (header or body): the line without the characters to
   * strip, or null when it has a character to reject (the message is then refused).
   */
  record(line: string): string | null {
    if (!this.active) return line;
    const { rejectChars, stripChars } = this.checks;
    if (rejectChars !== "") {
      for (let i = 0; i < line.length; i++) {
        if (rejectChars.includes(line[i]!)) {
          this.act("content", asText(line), "REJECT disallowed character", "character reject", () => {});
          return null;
        }
      }
    }
    if (stripChars === "") return line;
    let out = "";
    for (let i = 0; i < line.length; i++) if (!stripChars.includes(line[i]!)) out += line[i];
    return out;
  }

  /**
   * Checks one header (its whole text). Returns undefined to keep it, null to drop it, or the text to write
   * instead; `emit` receives a PREPENDed header, before the result is written.
   */
  header(text: string, cls: HeaderClass, info: HeaderInfo | undefined, emit: (line: string) => void): string | null | undefined {
    if (this.checks.strict.header8bit && has8bit(text)) this.mimeFault("header8bit", text);
    if (!this.active) return undefined;
    const t = this.checks.tablesFor(cls, info);
    if (t === undefined) return undefined;
    const key = asText(text);
    const value = this.lookup(t, key);
    if (value === undefined) return undefined;
    return this.act("header", key, value, t.param, emit);
  }

  /**
   * Checks one body line (without its newline) that starts `offset` bytes into its body segment. Returns as
   * header() does; `emit` receives a PREPENDed line.
   */
  body(text: string, offset: number, emit: (line: string) => void): string | null | undefined {
    if (!this.active) return undefined;
    const { tables, sizeLimit, lineLimit } = this.checks.body;
    if (tables === undefined || (sizeLimit > 0 && offset >= sizeLimit)) return undefined;
    if (text.length <= lineLimit) return this.bodyPiece(tables, text, emit);
    // Postfix sees a long line as line_length_limit pieces; each is checked (within the size limit) on its own
    let out = "";
    let changed = false;
    for (let i = 0; i < text.length; i += lineLimit) {
      const piece = text.slice(i, i + lineLimit);
      const r = this.active && (sizeLimit <= 0 || offset + i < sizeLimit) ? this.bodyPiece(tables, piece, emit) : undefined;
      if (r === undefined) out += piece;
      else {
        changed = true;
        if (r !== DROP) out += r;
      }
    }
    if (!changed) return undefined;
    return out === "" ? DROP : out;
  }

  private bodyPiece(t: Tables, text: string, emit: (line: string) => void): string | null | undefined {
    const key = asText(text);
    const value = this.lookup(t, key);
    if (value === undefined) return undefined;
    return this.act("body", key, value, t.param, emit);
  }

  /**
   * The MIME reader refused a level beyond mime_nesting_limit (`text`: its Content-Type header): an error when
   * header tables or strict checks are configured (see the header).
   */
  mimeError(text: string): void {
    if (this.checks.reportsNesting) this.mimeFault("nesting", text);
  }

  /** strict_8bitmime_body: a body record read while `encoding` was in force (HeaderParser.recordEncoding). */
  mimeBody(text: string, encoding: MimeEncoding): void {
    if (this.checks.strict.body8bit && encoding === "7bit" && has8bit(text)) this.mimeFault("body8bit", text);
  }

  /** strict_mime_encoding_domain: a header block ended with this type and encoding (see the header). */
  mimeBlockEnd(type: MimeType, encoding: MimeEncoding): void {
    if (!this.checks.strict.encodingDomain) return;
    // partial and external-body need the 7bit domain; rfc822 and multipart an identity encoding (no base64 or QP)
    const identity = encoding !== "base64" && encoding !== "quoted-printable";
    const sevenBit = encoding !== "8bit" && encoding !== "binary";
    const bad = type === "message/partial" || type === "message/external-body" ? !sevenBit : type === "message/rfc822" || type === "multipart" ? !identity : false;
    if (bad) this.mimeFault("encodingDomain", encoding);
  }

  /** Logs the first error of a kind, as Postfix's cleanup does, and remembers it for the refusal. */
  private mimeFault(kind: MimeErrorKind, text: string): void {
    const errors = (this.verdict.mimeErrors ??= new Set());
    if (errors.has(kind)) return;
    errors.add(kind);
    const s = this.subject;
    msgLogAs("cleanup", "info", `${s.queueId}: reject: mime-error ${MIME_ERRORS[kind]}: ${asText(text.slice(0, 100))} from ${s.origin ?? "local"}; from=<${s.sender}> to=<${s.recipient ?? "unknown"}>`);
  }

  private lookup(t: Tables, key: string): string | undefined {
    try {
      for (const table of t.tables) {
        const v = table.lookup(key);
        if (v !== undefined) return v;
      }
      return undefined;
    } catch (e) {
      if (!(e instanceof MapError)) throw e;
      // (the SMTP client logs its own warning and defers the delivery)
      if (!this.checks.delivery) msgLogAs("cleanup", "warning", `${this.subject.queueId}: ${t.param} map lookup problem -- message not accepted, try again later`);
      this.verdict.lookupFailed = t.param;
      this.active = false;
      return undefined;
    }
  }

  /** Logs an action as Postfix's cleanup (or the SMTP client) does (see the header). */
  private log(action: string, context: string, content: string, text: string): void {
    const s = this.subject;
    if (this.checks.delivery) {
      msgLog("info", `${s.queueId}: ${action}: ${context} ${content.slice(0, 200)}${text !== "" ? `: ${text}` : ""}`);
      return;
    }
    let line = `${s.queueId}: ${action}: ${context} ${content.slice(0, 200)} from ${s.origin ?? "local"}; from=<${s.sender}>`;
    if (s.recipient !== undefined) line += ` to=<${s.recipient}>`;
    if (s.proto !== undefined) line += ` proto=${s.proto}`;
    if (s.helo !== undefined) line += ` helo=<${s.helo}>`;
    if (text !== "") line += `: ${text}`;
    msgLogAs("cleanup", "info", line);
  }

  private act(context: "header" | "body" | "content", content: string, value: string, param: string, emit: (line: string) => void): string | null | undefined {
    const v = this.verdict;
    const cut = value.search(/[ \t]/);
    const command = (cut < 0 ? value : value.slice(0, cut)).toUpperCase();
    const text = cut < 0 ? "" : value.slice(cut).replace(/^[ \t\r\n\v\f]+/, "");
    const warn = (w: string) => (this.checks.delivery ? msgLog("warning", w) : msgLogAs("cleanup", "warning", w));
    if (this.checks.delivery && !DELIVERY_ACTIONS.has(command)) {
      warn(`unsupported command in ${param} map: ${value}`);
      return undefined;
    }
    switch (command) {
      case "REJECT": {
        let reason = text !== "" ? dsnPrepend("5.7.1", text) : "5.7.1 message content rejected";
        if (reason[0] !== "4" && reason[0] !== "5") {
          warn(`bad DSN action in ${text} -- need 4.x.x or 5.x.x`);
          reason = `4${reason.slice(1)}`;
        }
        v.reject = { reason, temporary: reason[0] === "4" };
        this.active = false;
        this.log("reject", context, content, reason);
        return undefined;
      }
      case "WARN":
        this.log("warning", context, content, text);
        return undefined;
      case "INFO":
        this.log("info", context, content, text);
        return undefined;
      case "FILTER":
        if (text === "") warn(`missing FILTER command argument in ${param} map`);
        else if (!text.includes(":")) warn(`bad FILTER command ${text} in ${param} -- need transport:destination`);
        else {
          v.filter = text;
          this.log("filter", context, content, text);
        }
        return undefined;
      case "PASS":
        this.log("pass", context, content, text);
        this.active = false;
        return undefined;
      case "DISCARD":
        this.log("discard", context, content, text);
        v.discard = true;
        this.active = false;
        return undefined;
      case "HOLD":
        if (!v.hold && !v.discard) {
          this.log("hold", context, content, text);
          v.hold = true;
        }
        return undefined;
      case "PREPEND":
        if (text === "") warn(`PREPEND action without text in ${param} map`);
        else if (context === "header" && headerNameLength(text) === 0) {
          warn(`bad PREPEND header text "${text}" in ${param} map -- need "headername: headervalue"`);
        } else {
          this.log("prepend", context, content, text);
          emit(asBinary(text));
        }
        return undefined;
      case "REPLACE":
        if (text === "") {
          warn(`REPLACE action without text in ${param} map`);
          return undefined;
        }
        if (context === "header" && headerNameLength(text) === 0) {
          warn(`bad REPLACE header text "${text}" in ${param} map -- need "headername: headervalue"`);
          return undefined;
        }
        this.log("replace", context, content, text);
        return asBinary(text);
      case "REDIRECT":
        if (!text.includes("@")) warn(`bad REDIRECT target "${text}" in ${param} map -- need user@domain`);
        else {
          v.redirect = text;
          this.log("redirect", context, content, text);
          this.active = false;
        }
        return undefined;
      case "BCC":
        if (!text.includes("@")) warn(`bad BCC address "${text}" in ${param} map -- need user@domain`);
        else {
          v.bcc.push(text);
          this.log("bcc", context, content, text);
        }
        return undefined;
      case "STRIP":
        this.log("strip", context, content, text);
        return DROP;
      case "IGNORE":
        return DROP;
      case "DUNNO":
      case "OK":
        return undefined;
      default:
        warn(`unknown command in ${param} map: ${value}`);
        return undefined;
    }
  }
}
