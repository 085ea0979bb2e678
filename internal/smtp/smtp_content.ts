/**
 * smtp_content — what the SMTP and LMTP clients change in a message on its way out (Postfix's smtp_proto.c:
 * smtp_header_rewrite(), smtp_body_rewrite(), smtp_rewrite_generic_internal()).
 *
 *   smtp_generic_maps          addresses as the world should see them (a host without a valid domain of its own):
 *                              the envelope sender and each recipient of MAIL FROM / RCPT TO (not the empty
 *                              sender), and every address in the message's own sender and recipient headers
 *                              (From, To, Cc, Reply-To … — the header table's classes; not MIME part headers).
 *                              Lookups are mail_addr_find's (user+ext@domain, user@domain, user for local
 *                              domains, @domain); an `@domain` result keeps the local part; the extension is
 *                              carried over when propagate_unmatched_extensions has `generic`. The log keeps the
 *                              original addresses, as Postfix's does.
 *   smtp_header_checks, smtp_mime_header_checks, smtp_nested_header_checks, smtp_body_checks
 *                              content_checks.ts in its SMTP-client form: WARN, INFO, REPLACE, PREPEND, STRIP,
 *                              IGNORE, DUNNO; logged `QID: replace: header Subject: … : TEXT`.
 *   8-bit downgrade            rewrite(…, downgrade = true) for a server that does not announce 8BITMIME (the
 *                              client decides: disable_mime_output_conversion = no and the message not marked
 *                              7bit): 8-bit MIME parts become quoted-printable (internal/message/mime_downgrade.ts),
 *                              in the same pass as the rewriting above, whose checks see the converted text.
 * (lmtp_ for the LMTP client.) MIME structure is read when there are content checks (so that MIME part headers go
 * to smtp_mime_header_checks) or a downgrade, not for generic mapping alone. With none of these parameters set,
 * `rewrites` is false and, unless downgraded, the content goes out untouched.
 *
 * Contract: rewrite() reads the whole message (a message is at most message_size_limit bytes) and returns the
 * changed content, or throws ContentLookupError when a table fails (after the warning Postfix logs: `QID: smtp
 * header checks lookup error`; the caller then defers the delivery) and MimeDowngradeError when a downgrade meets
 * more MIME nesting than mime_nesting_limit (the caller then bounces the message, as Postfix does).
 */
import type { Config } from "../config/config.ts";
import { msgWarn } from "../log/msg.ts";
import { openMapOrSurrogate, type LookupTable } from "../maps/index.ts";
import {
  HeaderParser, blockEndHeader, convertedBody, droppedHeader, findHeaderInfo, foldAddressHeader, headerNameLength, QuotedPrintableBody,
  type Header, type HeaderClass,
} from "../message/index.ts";
import { rewriteAddressList } from "../address/tok822.ts";
import { compileDomainList, type DomainList } from "../resolve/match_list.ts";
import { mailAddrFindOptions, mailAddrMap, type TableList } from "../resolve/mail_addr_find.ts";
import { ContentChecks } from "../cleanup/content_checks.ts";
import { LineSplitter } from "../text/line_splitter.ts";

/** A table failed while the content was rewritten: the delivery is deferred. */
export class ContentLookupError extends Error {}

/** A downgrade met a MIME error (nesting): the message is bounced with `dsn` and this text. */
export class MimeDowngradeError extends Error {
  readonly dsn = "5.6.0";
}

/** The outgoing rewriting of one SMTP/LMTP client; see the header. */
export class OutgoingContent {
  private constructor(
    private readonly cfg: Config,
    private readonly generic: TableList,
    private readonly localDomains: DomainList | undefined,
    private readonly checks: ContentChecks | undefined,
    private readonly prefix: "smtp_" | "lmtp_",
  ) {}

  /** The rewriting `cfg` asks for; a table that cannot be opened fails its lookups. */
  static async open(cfg: Config, command: "smtp" | "lmtp"): Promise<OutgoingContent> {
    const prefix = command === "lmtp" ? "lmtp_" : "smtp_";
    const tables: LookupTable[] = [];
    for (const spec of cfg.getList(`${prefix}generic_maps`)) tables.push(await openMapOrSurrogate(spec));
    const checks = await ContentChecks.open(cfg, prefix);
    const local = tables.length === 0 ? undefined : await compileDomainList(cfg.get("mydestination"), "mydestination", cfg.get("parent_domain_matches_subdomains"));
    return new OutgoingContent(cfg, { title: `${prefix}generic_maps`, tables }, local, checks, prefix);
  }

  /** smtp_generic_maps or a content check is set: every message is rewritten (rewrite()). */
  get rewrites(): boolean {
    return this.generic.tables.length > 0 || this.checks !== undefined;
  }

  /** An envelope address (internal form) as smtp_generic_maps says it goes out; the empty sender stays empty. */
  envelopeAddress(address: string): string {
    if (address === "" || this.generic.tables.length === 0) return address;
    return this.map(address) ?? address;
  }

  /** smtp_map11_internal(): the generic value for `address`, undefined when it has none. */
  private map(address: string): string | undefined {
    const cfg = this.cfg;
    const opts = mailAddrFindOptions(cfg, (d) => this.localDomains!.matches(d));
    return mailAddrMap(this.generic, address, opts, cfg.getList("propagate_unmatched_extensions").includes("generic"))?.[0];
  }

  /** A primary sender/recipient header with its addresses mapped; undefined when none changed. */
  private rewriteHeader(h: Header): string | undefined {
    if (this.generic.tables.length === 0 || !(h.info?.sender || h.info?.recipient)) return undefined;
    const list = rewriteAddressList(h.value, this.cfg.getInt("header_address_token_limit"), (a) => this.map(a) ?? a);
    return list === undefined ? undefined : foldAddressHeader(`${h.name}: ${list}`);
  }

  /** The message content (LF line ends) as it goes out, 8-bit MIME parts downgraded when asked; see the header. */
  rewrite(queueId: string, content: Iterable<Uint8Array>, downgrade = false): Uint8Array[] {
    const mc = this.checks?.forMessage({ queueId, sender: "" });
    const out: string[] = [];
    let size = 0;
    const chunks: Uint8Array[] = [];
    const put = (s: string) => {
      out.push(s);
      size += s.length;
      if (size >= 65536) flush();
    };
    const flush = () => {
      if (out.length === 0) return;
      chunks.push(Buffer.from(out.join(""), "latin1"));
      out.length = 0;
      size = 0;
    };
    const emitLines = (text: string) => put(`${text}\n`);
    const failed = () => {
      if (mc?.verdict.lookupFailed === undefined) return;
      const what = mc.verdict.lookupFailed.endsWith("body_checks") ? "body" : "header";
      msgWarn(`${queueId}: ${this.prefix.slice(0, -1)} ${what} checks lookup error`);
      throw new ContentLookupError(`${mc.verdict.lookupFailed} lookup error`);
    };
    const qp = downgrade ? new QuotedPrintableBody() : undefined;
    let nesting = false;
    const header = (h: Header, cls: HeaderClass) => {
      if (qp && droppedHeader(h, parser)) return;
      let text = h.text;
      if (mc) {
        const r = mc.header(text, cls, h.info, emitLines);
        failed();
        if (r === null) return;
        if (r !== undefined) text = r;
      }
      if (cls === "primary" && this.generic.tables.length > 0) {
        const cur = text === h.text ? h : parseHeaderText(text);
        text = this.rewriteHeader(cur) ?? text;
      }
      emitLines(text);
    };
    const bodyOut = (record: string, partial: boolean, offset: number) => {
      let text = record;
      if (mc) {
        const r = mc.body(text, offset, (l) => put(`${l}\n`));
        failed();
        if (r === null) return;
        if (r !== undefined) text = r;
      }
      put(partial ? text : `${text}\n`);
    };
    const parser: HeaderParser = new HeaderParser(
      {
        header,
        endOfHeaders: () => {},
        // downgrade: the header that replaces a dropped Content-Transfer-Encoding goes through the checks too
        endOfBlock: (cls) => {
          const cte = qp && blockEndHeader(parser);
          if (cte) header({ name: "Content-Transfer-Encoding", text: cte, value: cte.slice(26), info: undefined, truncated: false }, cls);
        },
        body: (record, partial, offset) => {
          if (qp && convertedBody(parser)) qp.record(record, partial, (l) => bodyOut(l, false, offset));
          else bodyOut(record, partial, offset);
        },
        mimeError: () => {
          nesting = true;
        },
      },
      {
        headerSizeLimit: this.cfg.getInt("header_size_limit"),
        ...(this.checks || downgrade
          ? { mime: { nestingLimit: this.cfg.getInt("mime_nesting_limit"), boundaryLengthLimit: this.cfg.getInt("mime_boundary_length_limit"), downgrade } }
          : {}),
      },
    );
    const lines = new LineSplitter();
    const whole = (l: string) => {
      parser.push(l);
      if (nesting && downgrade) throw new MimeDowngradeError("MIME nesting exceeds safety limit");
    };
    for (const chunk of content) lines.push(chunk, whole);
    if (lines.rest() !== "") parser.push(lines.rest(), true);
    parser.finish();
    flush();
    return chunks;
  }
}

/** A REPLACEd header as a Header (its name is what precedes the colon). */
function parseHeaderText(text: string): Header {
  const n = headerNameLength(text);
  const name = text.slice(0, n).trimEnd();
  return { name, text, value: text.slice(n + 1), info: findHeaderInfo(name), truncated: false };
}
