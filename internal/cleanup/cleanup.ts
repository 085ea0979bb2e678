/**
 * cleanup — turns a submitted message into a queue file in `incoming` (Postfix's cleanup(8)), as a library:
 * pickup (local submissions and requeued mail), the bounce notifier, and smtpd call it in their own process.
 *
 * What it does, in Postfix's order:
 *   envelope   an unqualified sender or recipient gets `@$myorigin` in the local context (append_at_myorigin);
 *              a sender MAILER-DAEMON@$myorigin becomes the null sender; sender_canonical_maps then
 *              canonical_maps, then masquerading rewrite the sender; recipient_canonical_maps then
 *              canonical_maps (then masquerading, when masquerade_classes has envelope_recipient), then
 *              virtual_alias_maps (recursive; an address that maps to itself stays; beyond
 *              virtual_alias_expansion_limit addresses, virtual_alias_recursion_limit levels or
 *              virtual_alias_address_length_limit characters the message is refused for now with `4.6.0 Alias
 *              expansion error`, as Postfix's cleanup does) rewrite recipients
 *              (each table only for the classes its *_classes parameter names; address_classes.ts has
 *              masquerade_domains); a recipient without a DSN ORCPT gets `rfc822;` and its address before
 *              virtual expansion (dsnOriginalRecipient()); duplicates are removed (the first one wins;
 *              duplicate_filter_limit): the same (ORCPT, NOTIFY, original recipient, address), or the same
 *              address with enable_original_recipient = no. Automatic BCC recipients (never notified, no
 *              DSN ORCPT): the
 *              sender_bcc_maps address of the sender first, the recipient_bcc_maps address of each recipient
 *              after it, always_bcc at the end. For mail from outside only; receive_override_options =
 *              no_address_mappings turns off mapping, masquerading, aliasing and the BCCs.
 *   headers    pickup's `Received: by …` (local submissions) first; then the message's headers, minus
 *              message_drop_headers (Bcc, Return-Path, Content-Length …). In the header rewriting context (local
 *              mail; remote mail only with remote_header_rewrite_domain) unqualified addresses in sender and
 *              recipient headers (header_table.ts's classes) are completed, then canonical mapping and
 *              masquerading apply; a header is re-written (and folded as Postfix folds it, fold_header.ts) only
 *              when one of its addresses changes, otherwise it is kept byte for byte. Then, in that context (or
 *              with always_add_missing_headers = yes), if missing: Message-Id, Date, From and (with
 *              undisclosed_recipients_header) To, in that order. A message with hopcount_limit or more Received headers (ours included)
 *              is refused, as Postfix's cleanup does.
 *   checks     for mail from outside (the service made by withContentFilter(): smtpd, pickup), header_checks,
 *              mime_header_checks, nested_header_checks and body_checks (content_checks.ts) see every header —
 *              smtpd's and pickup's own Received: first, then the message's, MIME part headers and attached
 *              messages' headers — before anything above is done to it, and every body line; their REPLACE,
 *              PREPEND, STRIP and IGNORE change what is written, REJECT refuses the message (CleanupError with
 *              `content` set), DISCARD throws it away after all, HOLD ends it in hold, FILTER, REDIRECT and BCC
 *              are written to the extracted section. The strict_8bitmime checks (strict_7bit_headers,
 *              strict_8bitmime_body, strict_mime_encoding_domain) refuse 8-bit data where it does not belong
 *              (content_checks.ts). MIME structure is read only when a table or a strict check needs it.
 *   body       copied unchanged; the whole content may not exceed message_size_limit. In every content line a
 *              stray carriage return becomes a space (cleanup_replace_stray_cr_lf = yes, Postfix 3.7.10's
 *              defence against SMTP smuggling).
 * The queue file is written as the content streams in (queue_writer.ts) and entered into incoming durably; only
 * then does process() resolve. Logs `QID: message-id=<…>` (or `message-id=<>`). A caller that must know the queue
 * ID before the message comes (smtpd, at the first accepted recipient) takes the file from createQueueFile()
 * first and hands it to process() later, or abort()s it when the transaction ends without a message.
 *
 * Content filter (Postfix's content_filter and the FILTER action): the file records `content_filter =
 * transport:nexthop` for the queue manager, which then sends every recipient there instead of resolving it.
 * What is recorded is the service's own content_filter parameter (withContentFilter(): smtpd and pickup pass
 * theirs, so a master.cf `-o content_filter=` overrides main.cf and an empty value records nothing), written in
 * the envelope, then a FILTER action's value (request `filter`), written in the extracted section, where it wins.
 * A Cleanup made by create() records none: mail made by the system itself (bounces, delay warnings, local
 * forwarding) is never content-filtered, as in Postfix, whose internal_mail_filter_classes governs only
 * header/body checks (forInternalMail()) and milters. A `content_filter` attribute that comes in with the request (a maildrop
 * file, a requeued message) is dropped, as Postfix's pickup drops the record.
 *
 * Contract: process() throws CleanupError with Postfix's DSN and text for a message that is refused
 * (`5.3.4 message file too big`, `5.4.0 too many hops`, `5.1.0 no recipients specified` …; `temporary` for
 * table lookup failures and file system trouble), after removing its partial queue file. A refusal carries the
 * message's queue ID and rewritten envelope (`refused`), for a caller that bounces it (pickup). Refusals are
 * logged as Postfix's cleanup logs them: `warning: QID: queue file size limit exceeded`, `warning: QID: message
 * rejected: hopcount exceeded`; the `message-id=` line comes at the end of the headers, refused or not.
 */
import type { Config } from "../config/config.ts";
import { PostkitError } from "../sys/errors.ts";
import { logMessageId } from "../log/events.ts";
import { flushLogRecords, msgLogAs } from "../log/msg.ts";

import { createQueueFile, ATTR, DSN_NOTIFY, type QueueFileWriter, type RecipientInput } from "../queue/index.ts";
import { openMapOrSurrogate, MapError, type LookupTable } from "../maps/index.ts";
import { isAscii } from "../maps/casefold.ts";
import { HeaderParser, foldAddressHeader, headerNameLength, makeHeaderTable, makeMessageId, makeReceivedHeader, makeDateHeader, makeFromHeader, type Header, type HeaderClass } from "../message/index.ts";
import { rewriteAddressList } from "../address/tok822.ts";
import { quoteLocalPart } from "../address/quote_local.ts";
import { compileDomainList, type DomainList } from "../resolve/match_list.ts";
import { mailAddrFind, mailAddrFindOptions, mailAddrMap, type MailAddrFindOptions, type TableList } from "../resolve/mail_addr_find.ts";
import { ContentChecks, mimeRefusal, type MessageChecks } from "./content_checks.ts";
import { addressClasses, Masquerade, type AddressClasses } from "./address_classes.ts";
import { receiveOverrideOptions } from "../config/input_transp.ts";
import { LineSplitter } from "../text/line_splitter.ts";

/** cleanup's warnings carry its own tag (`postfix/cleanup`), whichever process runs it. */
const msgWarn = (text: string) => msgLogAs("cleanup", "warning", text);

/**
 * The DSN original recipient (ORCPT) of a recipient that arrived without one, as Postfix's cleanup makes it (since
 * 3.0): `rfc822;` and the address after canonical rewriting, before virtual alias expansion (`utf-8;` for an
 * address that is not ASCII); none for the empty address. Non-delivery notices show it as Original-Recipient and
 * the SMTP client passes it on as ORCPT=, so every hop reports the address the message was first sent to.
 */
export function dsnOriginalRecipient(address: string): string {
  if (address === "") return "";
  return `${isAscii(address) ? "rfc822" : "utf-8"};${address}`;
}

/** A refused or failed message. */
export class CleanupError extends PostkitError {
  /** What was refused: its queue ID, its sender and recipients as rewritten (absent for a temporary failure). */
  refused?: { queueId: string; sender: string; recipients: RecipientInput[] };

  constructor(
    readonly dsn: string,
    message: string,
    temporary = false,
    /**
     * The status and text are the reply's (header/body checks, alias expansion errors): smtpd answers with them as
     * they are (`550 5.7.1 TEXT`, `451 4.6.0 Alias expansion error`).
     */
    readonly content = false,
  ) {
    super(message, { temporary });
  }
}

/** One recipient as submitted. */
export interface CleanupRecipient {
  address: string;
  origAddress?: string;
  notify?: number;
  orcpt?: string;
  /** An automatic BCC recipient: no DSN ORCPT is made up for it, its original recipient is its rewritten address. */
  noOrcpt?: boolean;
}

/** A message to clean up. */
export interface CleanupRequest {
  /** The queue file to write into, from createQueueFile() (default: a new one); process() owns it from now on. */
  file?: QueueFileWriter;
  /**
   * A FILTER action's `transport:destination` (smtpd access tables); overrides the service's content filter.
   * Read, like `hold` and `discard`, once the content is in: a getter sees actions of the end-of-data stage.
   */
  filter?: string;
  sender: string;
  fullName?: string;
  recipients: CleanupRecipient[];
  /** Recipients taken from the headers (sendmail -t); written to the extracted section. */
  extracted?: CleanupRecipient[];
  /** Attributes to keep (rewrite_context, envelope_id, ret_flags, log_client_* …). */
  attributes?: ReadonlyMap<string, string>;
  /**
   * Attributes that follow the sender (smtpd: encoding, log_client_* and the client_* attributes). When given,
   * the file has Postfix's smtpd order: rewrite_context, envelope_id, ret_flags, the sender, then these.
   */
  senderAttributes?: ReadonlyMap<string, string>;
  /** Uid of a local submitter: pickup adds `Received: by HOST (Postfix, from userid UID)`. */
  uid?: number;
  /** local: sendmail/pickup rules (qualify addresses, add missing headers); remote: SMTP. */
  context: "local" | "remote";
  /** A message requeued by postsuper -r. */
  requeued?: boolean;
  /** The message: headers and body, LF line ends. */
  content: Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  /** When the message was submitted (the Received: and Date: time); default now. */
  date?: Date;
  /**
   * The arrival time to record (the `T` record: mailq's arrival time, delay=, queue lifetimes); default when the
   * queue file was created. smtpd gives the time of MAIL FROM, as Postfix's smtpd does.
   */
  arrival?: Date;
  /** Called with the new queue ID as soon as it exists (pickup logs `QID: uid=… from=<…>` then). */
  onQueueId?: (id: string) => void;
  /** Lines to put before the message's headers (smtpd's Received:), without newlines; a function gets the queue ID. */
  prepend?: string[] | ((queueId: string) => string[]);
  /** false: skip the fsync of the finished file (the caller makes it durable itself; see queue_writer.ts). */
  durable?: boolean;
  /** Put the message in the hold queue instead of incoming (an access table HOLD action). */
  hold?: boolean;
  /** Read and check the message, then throw it away (an access table DISCARD action); the ID is still returned. */
  discard?: boolean;
}

/** What process() made. */
export interface CleanupResult {
  queueId: string;
  size: number;
  nrcpt: number;
  /** Where the queue file is (absent for a discarded message). */
  path?: string;
}

/** What one configuration's cleanup uses for every message, opened once. */
interface Mappings {
  canonical: TableList;
  senderCanonical: TableList;
  recipientCanonical: TableList;
  virtualAlias: TableList;
  senderBcc: TableList;
  recipientBcc: TableList;
  /** canonical_classes, sender_canonical_classes, recipient_canonical_classes. */
  classes: { common: AddressClasses; sender: AddressClasses; recipient: AddressClasses };
  masquerade: Masquerade | undefined;
  localDomains: DomainList;
  checks: ContentChecks | undefined;
}

/** What differs between the services made from one configuration (Postfix's cleanup flags). */
interface ServiceFlags {
  contentFilter: string;
  filterBeforeArrivalTime: boolean;
  /** Header/body checks apply (CLEANUP_FLAG_FILTER). */
  checking: boolean;
  /** Canonical mapping, masquerading and virtual aliasing apply (CLEANUP_FLAG_MAP_OK). */
  mapping: boolean;
  /** always_bcc, sender_bcc_maps and recipient_bcc_maps apply (CLEANUP_FLAG_BCC_OK). */
  autoBcc: boolean;
}

/**
 * An automatic BCC recipient (always_bcc, sender/recipient_bcc_maps, a header/body check's BCC action): never
 * notified, and without a DSN ORCPT, as Postfix's cleanup writes it.
 */
const autoBccRecipient = (address: string): CleanupRecipient => ({ address, notify: DSN_NOTIFY.NEVER, noOrcpt: true });

/** The message-cleaning service for one configuration. */
export class Cleanup {
  private constructor(
    private readonly cfg: Config,
    private readonly maps: Mappings,
    private readonly flags: ServiceFlags,
  ) {}

  /** Opens the tables of `cfg`; the service for mail the system makes itself (see withContentFilter()). */
  static async create(cfg: Config): Promise<Cleanup> {
    const open = async (title: string): Promise<TableList> => {
      const tables: LookupTable[] = [];
      for (const spec of cfg.getList(title)) tables.push(await openMapOrSurrogate(spec));
      return { title, tables };
    };
    const maps: Mappings = {
      canonical: await open("canonical_maps"), senderCanonical: await open("sender_canonical_maps"),
      recipientCanonical: await open("recipient_canonical_maps"), virtualAlias: await open("virtual_alias_maps"),
      senderBcc: await open("sender_bcc_maps"), recipientBcc: await open("recipient_bcc_maps"),
      classes: {
        common: addressClasses(cfg, "canonical_classes"), sender: addressClasses(cfg, "sender_canonical_classes"),
        recipient: addressClasses(cfg, "recipient_canonical_classes"),
      },
      masquerade: await Masquerade.compile(cfg),
      localDomains: await compileDomainList(cfg.get("mydestination"), "mydestination", cfg.get("parent_domain_matches_subdomains")),
      checks: await ContentChecks.open(cfg),
    };
    return new Cleanup(cfg, maps, { contentFilter: "", filterBeforeArrivalTime: false, checking: false, mapping: true, autoBcc: false });
  }

  /**
   * This service (sharing its tables) recording `filter` (a content_filter value, "" for none) in every message:
   * after the arrival time, as Postfix's smtpd sends it to cleanup, or, with `beforeArrivalTime`, first, as
   * Postfix's pickup does (postcat shows it where Postfix's shows it). It is the service for mail from outside
   * (smtpd, pickup): header_checks and body_checks (content_checks.ts), always_bcc, sender_bcc_maps and
   * recipient_bcc_maps apply to it, unless receive_override_options turns them off (no_header_body_checks;
   * no_address_mappings, which also turns off canonical mapping, masquerading and virtual aliasing).
   */
  withContentFilter(filter: string, opts: { beforeArrivalTime?: boolean } = {}): Cleanup {
    const override = receiveOverrideOptions(this.cfg.get("receive_override_options"));
    const mapping = !override.has("no_address_mappings");
    return new Cleanup(this.cfg, this.maps, {
      contentFilter: filter.trim(), filterBeforeArrivalTime: opts.beforeArrivalTime === true,
      checking: this.maps.checks !== undefined && !override.has("no_header_body_checks"), mapping, autoBcc: mapping,
    });
  }

  /**
   * This service for a notice the system makes (`bounce`: notices to senders, `notify`: postmaster notices):
   * header/body checks apply to it when internal_mail_filter_classes names the class (default: none), as in
   * Postfix.
   */
  forInternalMail(cls: "bounce" | "notify"): Cleanup {
    const listed = this.cfg.getList("internal_mail_filter_classes").some((c) => c.toLowerCase() === cls);
    if (!listed || this.maps.checks === undefined || this.flags.checking) return this;
    return new Cleanup(this.cfg, this.maps, { ...this.flags, checking: true });
  }

  /**
   * Starts the queue file of a message to come (in incoming unless told otherwise): its queue ID exists from now
   * on. Pass it to process() as `file` (a `hold` request still ends in hold), or abort() it. Throws QueueError
   * when the file cannot be created.
   */
  createQueueFile(queueName: "incoming" | "hold" = "incoming"): QueueFileWriter {
    const cfg = this.cfg;
    return createQueueFile({
      queueDir: cfg.get("queue_directory"), queueName, hashQueues: cfg.getList("hash_queue_names"),
      hashDepth: cfg.getInt("hash_queue_depth"), longIds: cfg.getBool("enable_long_queue_ids"),
      lineLimit: Math.max(1, cfg.getInt("line_length_limit")),
    });
  }

  /** Appends @myorigin to an unqualified address in the local context. */
  /**
   * Postfix's address canonicalization (trivial-rewrite's rewrite_tree()) in a rewriting context: the local one
   * (every envelope address, and headers of local mail) appends `@$myorigin` and `.$mydomain`, the remote one
   * (headers of remote mail, only when remote_header_rewrite_domain is set) appends that domain for both.
   * Also: a source route is stripped, `site!user` becomes `user@site` (swap_bangpath), `user%site` becomes
   * `user@site` (allow_percent_hack), a trailing dot goes. The empty address, and a lone `@`, are the empty address.
   */
  private rewriteAddress(address: string, context: "local" | "remote"): string {
    const cfg = this.cfg;
    let addr = address;
    if (addr === "" || addr === "@") return "";
    if (addr[0] === "@") {
      const colon = addr.indexOf(":");
      if (colon >= 0 && colon < addr.length - 1) addr = addr.slice(colon + 1);
    }
    const origin = context === "local" ? cfg.get("myorigin") : cfg.get("remote_header_rewrite_domain");
    const mydomain = context === "local" ? cfg.get("mydomain") : origin;
    if (!addr.includes("@")) {
      // a quoted local part is one token: no ! or % in it counts
      const quoted = quoteLocalPart(addr, { bareLocalPart: true }).startsWith('"');
      const bang = quoted ? -1 : addr.indexOf("!");
      const percent = quoted ? -1 : addr.lastIndexOf("%");
      if (bang >= 0 && cfg.getBool("swap_bangpath")) addr = `${addr.slice(bang + 1)}@${addr.slice(0, bang)}`;
      else if (percent >= 0 && cfg.getBool("allow_percent_hack")) addr = `${addr.slice(0, percent)}@${addr.slice(percent + 1)}`;
      else if (cfg.getBool("append_at_myorigin") && origin !== "") addr = `${addr}@${origin}`;
    }
    const at = addr.lastIndexOf("@");
    if (cfg.getBool("append_dot_mydomain") && mydomain !== "" && at >= 0 && at < addr.length - 1) {
      const domain = addr.slice(at + 1);
      if (!domain.includes(".") && !domain.startsWith("[")) addr = `${addr}.${mydomain}`;
    }
    if (addr.endsWith(".") && addr.length > 1 && addr[addr.length - 2] !== "." && addr[addr.length - 2] !== "@") addr = addr.slice(0, -1);
    return addr;
  }

  /** mail_addr_find(): the value of `addr` in `maps` (see resolve/mail_addr_find.ts), trimmed. */
  private findAddress(maps: TableList, addr: string): string | undefined {
    if (maps.tables.length === 0) return undefined;
    return mailAddrFind(maps, addr, this.addressSearch())?.trim();
  }

  /** How addresses are looked up (mail_addr_find.ts), local domains being mydestination's. */
  private addressSearch(): MailAddrFindOptions {
    return mailAddrFindOptions(this.cfg, (domain) => this.maps.localDomains.matches(domain));
  }

  /**
   * Postfix's mail_addr_map() for canonical and virtual maps: the addresses `addr` maps to, each canonicalized
   * in the local context, with the unmatched extension when `kind` is in propagate_unmatched_extensions.
   */
  private mapAddress(maps: TableList, addr: string, kind: "canonical" | "virtual"): string[] | undefined {
    if (maps.tables.length === 0) return undefined;
    const propagate = this.cfg.getList("propagate_unmatched_extensions").includes(kind);
    return mailAddrMap(maps, addr, this.addressSearch(), propagate, (a) => this.rewriteAddress(a, "local"));
  }

  /** A one-to-one mapping (canonical maps): the first address of the result. */
  private mapOne(maps: TableList, addr: string): string | undefined {
    return this.mapAddress(maps, addr, "canonical")?.[0];
  }

  /**
   * Canonical mapping (the sender or recipient table, then canonical_maps, each when its *_classes include
   * `cls`) and masquerading (masquerade_classes) of one address of class `cls`; nothing without mapping.
   */
  private canonicalize(addr: string, cls: keyof AddressClasses): string {
    if (!this.flags.mapping || addr === "") return addr;
    const m = this.maps;
    const sender = cls === "envelopeSender" || cls === "headerSender";
    let a = addr;
    if ((sender ? m.classes.sender : m.classes.recipient)[cls]) {
      const s = this.mapOne(sender ? m.senderCanonical : m.recipientCanonical, a);
      if (s !== undefined && s !== "") a = s;
    }
    if (m.classes.common[cls]) {
      const c = this.mapOne(m.canonical, a);
      if (c !== undefined && c !== "") a = c;
    }
    if (m.masquerade?.classes[cls]) a = m.masquerade.masquerade(a);
    return a;
  }

  /**
   * Expands one recipient through virtual_alias_maps as Postfix's cleanup_map1n does: each address of the list
   * is looked up again until it has no entry or expanded into itself once; a result goes in its place, the others
   * after the list. More than virtual_alias_expansion_limit addresses, virtual_alias_recursion_limit lookups for
   * one place, or a result longer than virtual_alias_address_length_limit refuse the message for now
   * (`4.6.0 Alias expansion error`, with Postfix's `unreasonable … -- message not accepted, try again later`).
   */
  private expandVirtual(addr: string, queueId: string): string[] {
    const maps = this.maps.virtualAlias;
    if (maps.tables.length === 0 || !this.flags.mapping) return [addr];
    const cfg = this.cfg;
    const expansionLimit = cfg.getInt("virtual_alias_expansion_limit");
    const recursionLimit = cfg.getInt("virtual_alias_recursion_limit");
    const lengthLimit = cfg.getInt("virtual_alias_address_length_limit");
    const refuse = (why: string): never => {
      msgWarn(`${queueId}: unreasonable ${maps.title} ${why} -- message not accepted, try again later`);
      throw new CleanupError("4.6.0", "Alias expansion error", true, true);
    };
    const list = [addr];
    const beenHere = new Set<string>();
    for (let arg = 0; arg < list.length; arg++) {
      if (list.length > expansionLimit) refuse(`map expansion size for ${addr}`);
      for (let count = 0; ; count++) {
        if (beenHere.has(list[arg]!.toLowerCase())) break;
        if (count >= recursionLimit) refuse(`map nesting for ${addr}`);
        const lookup = this.mapAddress(maps, list[arg]!, "virtual");
        if (lookup === undefined) break;
        const lhs = list[arg]!.toLowerCase();
        lookup.forEach((a, i) => {
          if (a.length > lengthLimit) refuse(`result ${a.slice(0, 300)}...`);
          if (i === 0) list[arg] = a;
          else list.push(a);
          // an address may expand into itself once
          if (a.toLowerCase() === lhs) beenHere.add(lhs);
        });
      }
    }
    return list;
  }

  /**
   * Rewrites recipients (canonical mapping and masquerading, then virtual aliasing; duplicates removed); with
   * `autoBcc`, each is followed by its recipient_bcc_maps address. `last.address` gets the last one after
   * canonical mapping, before virtual aliasing.
   */
  private rewriteRecipients(queueId: string, list: CleanupRecipient[], seen: Set<string>, opts: { last?: { address?: string }; autoBcc?: boolean } = {}): RecipientInput[] {
    const out: RecipientInput[] = [];
    const limit = this.cfg.getInt("duplicate_filter_limit");
    // duplicates: the same (DSN ORCPT, NOTIFY, original recipient, address), case-folded, as Postfix's cleanup
    // with enable_original_recipient = yes (a mailbox reached through two different addresses keeps both, each
    // with the address it was sent to); the address alone with no
    const byOriginal = this.cfg.getBool("enable_original_recipient");
    for (const r of list) {
      const canon = this.canonicalize(this.rewriteAddress(r.address, "local"), "envelopeRecipient");
      // an automatic BCC recipient's original recipient is its rewritten address (Postfix's cleanup_addr_bcc())
      const orig = r.noOrcpt ? canon : (r.origAddress ?? r.address);
      if (opts.last) opts.last.address = canon;
      const orcpt = r.noOrcpt ? "" : r.orcpt || dsnOriginalRecipient(canon);
      const notify = r.notify ?? 0;
      const origKey = byOriginal ? `${orcpt}\n${notify}\n${orig}\n` : "";
      for (const a of this.expandVirtual(canon, queueId)) {
        const key = `${origKey}${a}`.toLowerCase();
        if (seen.has(key)) continue;
        if (seen.size < limit) seen.add(key);
        out.push({ address: a, origAddress: orig, notify, orcpt });
      }
      const bcc = opts.autoBcc && canon !== "" ? this.findAddress(this.maps.recipientBcc, canon) : undefined;
      if (bcc) out.push(...this.rewriteRecipients(queueId, [autoBccRecipient(bcc)], seen));
    }
    return out;
  }

  /**
   * The envelope sender: qualified (local context), MAILER-DAEMON@$myorigin made the null sender, then
   * canonical mapping and masquerading.
   */
  private rewriteSender(address: string): string {
    if (address === "") return "";
    const a = this.rewriteAddress(address, "local");
    if (a.toLowerCase() === `mailer-daemon@${this.cfg.get("myorigin")}`.toLowerCase()) return "";
    return this.canonicalize(a, "envelopeSender");
  }

  /** Rewrites the addresses of an address header; undefined when nothing changes (keep it as it was). */
  private rewriteHeader(h: Header, context: "local" | "remote"): string | undefined {
    // the header classes of Postfix's header table: sender (From, Sender, Reply-To …) or recipient (To, Cc …)
    const sender = h.info?.sender === true;
    if (!sender && h.info?.recipient !== true) return undefined;
    const list = rewriteAddressList(h.value, this.cfg.getInt("header_address_token_limit"), (a) =>
      this.canonicalize(this.rewriteAddress(a, context), sender ? "headerSender" : "headerRecipient"),
    );
    return list === undefined ? undefined : foldAddressHeader(`${h.name}: ${list}`);
  }

  /** Cleans one message and enters it into incoming. */
  async process(req: CleanupRequest): Promise<CleanupResult> {
    const cfg = this.cfg;
    const local = req.context === "local";
    // the header rewriting context: local mail's, remote mail's only with remote_header_rewrite_domain (Postfix)
    const hdrContext = local ? "local" : cfg.get("remote_header_rewrite_domain") !== "" ? "remote" : undefined;
    const addHeaders = hdrContext !== undefined || cfg.getBool("always_add_missing_headers");
    const date = req.date ?? new Date();
    let sender: string;
    let recipients: RecipientInput[];
    let extracted: RecipientInput[];
    const seenRecipients = new Set<string>();
    const lastRecipient: { address?: string } = {};
    const writer = req.file ?? this.createQueueFile(req.hold ? "hold" : "incoming");
    const queueId = writer.queueId;
    try {
      sender = this.rewriteSender(req.sender);
      // sender_bcc_maps: a recipient right after the sender, as Postfix writes it (so, the first one)
      const senderBcc = this.flags.autoBcc && sender !== "" ? this.findAddress(this.maps.senderBcc, sender) : undefined;
      const autoBcc = this.flags.autoBcc;
      recipients = [
        ...(senderBcc ? this.rewriteRecipients(queueId, [autoBccRecipient(senderBcc)], seenRecipients) : []),
        ...this.rewriteRecipients(queueId, req.recipients, seenRecipients, { last: lastRecipient, autoBcc }),
      ];
      extracted = this.rewriteRecipients(queueId, req.extracted ?? [], seenRecipients, { autoBcc });
    } catch (e) {
      writer.abort();
      if (e instanceof MapError) throw new CleanupError("4.3.0", `table lookup failure: ${e.message}`, true);
      throw e;
    }

    const longIds = cfg.getBool("enable_long_queue_ids");
    try {
      const attributes = new Map<string, string>();
      const filterFirst = this.flags.contentFilter !== "" && this.flags.filterBeforeArrivalTime;
      if (this.flags.contentFilter !== "" && !filterFirst) attributes.set(ATTR.CONTENT_FILTER, this.flags.contentFilter);
      // smtpd's order (Postfix's smtpd): rewrite_context, its ENVID and RET, the sender, then senderAttributes;
      // otherwise the writer puts ENVID and RET first and rewrite_context after the other attributes
      const smtpOrder = req.senderAttributes !== undefined;
      // what a submitter never sets: the content filter (this service's or a FILTER action's only), the rewrite
      // context (req.context), and what the writer records itself; an empty ENVID or RET is none
      const notTaken = (k: string, v: string) =>
        k === ATTR.CONTENT_FILTER || k === ATTR.REWRITE_CONTEXT || k === ATTR.CREATE_TIME || k === "submit_uid" || k === "expire_time" ||
        ((k === ATTR.DSN_ENVID || k === ATTR.DSN_RET) && (!smtpOrder || v === ""));
      if (smtpOrder) attributes.set(ATTR.REWRITE_CONTEXT, req.context);
      for (const [k, v] of req.attributes ?? []) if (!notTaken(k, v)) attributes.set(k, v);
      if (!smtpOrder) attributes.set(ATTR.REWRITE_CONTEXT, req.context);
      const senderAttributes: [string, string][] = [];
      for (const [k, v] of req.senderAttributes ?? []) if (!notTaken(k, v) && !attributes.has(k)) senderAttributes.push([k, v]);
      const envid = smtpOrder ? undefined : req.attributes?.get(ATTR.DSN_ENVID);
      const ret = smtpOrder ? 0 : Number(req.attributes?.get(ATTR.DSN_RET) ?? 0) || 0;
      writer.writeEnvelope({
        sender, fullName: req.fullName, recipients, createTime: Math.floor(date.getTime() / 1000),
        ...(envid ? { dsnEnvid: envid } : {}), ...(ret ? { dsnRet: ret } : {}),
        senderAttributes,
        attributes, // (the submitter's uid is not recorded: a requeued message is the mail system's, as in Postfix)
        ...(filterFirst ? { leadingAttributes: [[ATTR.CONTENT_FILTER, this.flags.contentFilter]] as [string, string][] } : {}),
        ...(req.arrival ? { arrivalTime: queueTimeOf(req.arrival) } : {}),
      });
      req.onQueueId?.(writer.queueId);
      // header and body checks (content_checks.ts): null when there are none, at no cost per line
      const attr = (k: string) => req.senderAttributes?.get(k) ?? req.attributes?.get(k);
      const mc: MessageChecks | null = this.flags.checking
        ? this.maps.checks!.forMessage({
            queueId: writer.queueId, sender, recipient: lastRecipient.address,
            origin: attr(ATTR.LOG_ORIGIN), proto: attr(ATTR.LOG_PROTO_NAME), helo: attr(ATTR.LOG_HELO_NAME),
          })
        : null;
      const refusedByChecks = () => mc !== null && (mc.verdict.reject !== undefined || mc.verdict.lookupFailed !== undefined);

      const sizeLimit = cfg.getInt("message_size_limit");
      const hopLimit = cfg.getInt("hopcount_limit");
      let size = 0;
      const tooBig = () => {
        msgWarn(`${writer.queueId}: queue file size limit exceeded`);
        return new CleanupError("5.3.4", "message file too big");
      };
      const emit = (line: string) => {
        if (mc !== null && refusedByChecks()) return; // nothing more is written for a refused message
        const b = Buffer.from(`${line}\n`, "latin1");
        size += b.length;
        if (sizeLimit > 0 && size > sizeLimit) throw tooBig();
        writer.writeContent(b);
      };
      // Postfix's hop count: every Received: header, ours included; the one that reaches hopcount_limit, and
      // each after it, is logged, and the message refused once its headers are done
      let hops = 0;
      let tooManyHops = false;
      const countHop = () => {
        if (++hops < hopLimit) return;
        msgWarn(`${writer.queueId}: message rejected: hopcount exceeded`);
        tooManyHops = true;
      };
      const seen = new Set<string>();
      let resent = false;
      let messageId: string | undefined;
      const table = makeHeaderTable(cfg.get("message_drop_headers"));
      const emitLines = (text: string) => {
        for (const l of text.split("\n")) emit(l);
      };
      const mime = mc !== null && this.maps.checks!.wantsMime && !cfg.getBool("disable_mime_input_processing");
      const parser: HeaderParser = new HeaderParser(
        {
          header: (original, cls: HeaderClass) => {
            let h = original;
            // a Received: header counts before the checks may remove it
            if (cls === "primary" && h.info?.type === "received") countHop();
            if (mc !== null) {
              const r = mc.header(h.text, cls, h.info, emitLines);
              if (r === null) return;
              if (r !== undefined) {
                const n = headerNameLength(r);
                const name = r.slice(0, n).trimEnd();
                h = { name, text: r, value: r.slice(n + 1), info: table.find(name), truncated: false };
              }
            }
            // the headers of MIME parts and attached messages are copied as they are
            if (cls !== "primary") return emitLines(h.text);
            const name = h.name.toLowerCase();
            if (h.info?.drop) return;
            seen.add(name);
            if (name.startsWith("resent-")) resent = true;
            if (name === "message-id" && messageId === undefined) messageId = h.value.trim();
            const rewritten = hdrContext === undefined ? undefined : this.rewriteHeader(h, hdrContext);
            for (const l of (rewritten ?? h.text).split("\n")) emit(l);
          },
          endOfHeaders: () => {
            const p = resent ? "resent-" : "";
            if (addHeaders && !seen.has(`${p}message-id`)) {
              messageId = makeMessageId(writer.queueId, cfg.get("myhostname"), date, longIds);
              emit(`${resent ? "Resent-" : ""}Message-Id: ${messageId}`);
            }
            if (addHeaders && !seen.has(`${p}date`)) emit(makeDateHeader(date, { resent }));
            if (addHeaders && !seen.has(`${p}from`)) emit(makeFromHeader(sender, req.fullName, { resent, format: cfg.get("header_from_format") === "obsolete" ? "obsolete" : "standard" }));
            const undisclosed = cfg.get("undisclosed_recipients_header");
            if (addHeaders && undisclosed !== "" && !seen.has("to") && !seen.has("cc") && !seen.has("resent-to") && !seen.has("resent-cc")) emit(undisclosed);
            logMessageId(writer.queueId, messageId ?? "<>");
            if (tooManyHops && !mc?.verdict.reject?.temporary) throw new CleanupError("5.4.0", "too many hops");
            writer.markBodyStart();
          },
          body: (record, partial, offset) => {
            let text = record;
            if (mc !== null) {
              if (mime) mc.mimeBody(record, parser.recordEncoding);
              if (refusedByChecks()) return;
              const r = mc.body(text, offset, emit);
              if (r === null) return;
              if (r !== undefined) text = r;
            }
            const b = Buffer.from(partial ? text : `${text}\n`, "latin1");
            size += b.length;
            if (sizeLimit > 0 && size > sizeLimit) throw tooBig();
            writer.writeContent(b);
          },
          mimeError: (text) => mc?.mimeError(text),
          endOfBlock: () => mc?.mimeBlockEnd(parser.partType, parser.partEncoding),
        },
        {
          headerSizeLimit: cfg.getInt("header_size_limit"), table,
          ...(mime ? { mime: { nestingLimit: cfg.getInt("mime_nesting_limit"), boundaryLengthLimit: cfg.getInt("mime_boundary_length_limit") } } : {}),
        },
      );
      // every content record: a stray CR becomes a space (cleanup_replace_stray_cr_lf), then the character rules
      const strayCr = cfg.getBool("cleanup_replace_stray_cr_lf");
      const push = (record: string, partial = false) => {
        let line = strayCr && record.includes("\r") ? record.replaceAll("\r", " ") : record;
        if (mc !== null) {
          const r = mc.record(line);
          if (r === null) return;
          line = r;
        }
        parser.push(line, partial);
      };
      // smtpd's and pickup's own headers come first, as content: counted, checked and copied as the message's
      for (const l of typeof req.prepend === "function" ? req.prepend(writer.queueId) : (req.prepend ?? [])) push(l);
      if (req.uid !== undefined && local) {
        for (const l of makeReceivedHeader({ myhostname: cfg.get("myhostname"), mailName: cfg.get("mail_name"), uid: req.uid, queueId: writer.queueId, date })) push(l);
      }
      // split the content into lines; a line without newline at the very end stays unterminated (partial)
      const lines = new LineSplitter();
      const whole = (l: string) => push(l);
      for await (const chunk of req.content as AsyncIterable<Uint8Array>) lines.push(chunk, whole);
      if (lines.rest() !== "") push(lines.rest(), true);
      parser.finish();
      const verdict = mc?.verdict;
      if (verdict?.lookupFailed) throw new CleanupError("4.3.0", `${verdict.lookupFailed} map lookup problem`, true);
      if (verdict && !verdict.reject && verdict.mimeErrors) verdict.reject = { reason: mimeRefusal(verdict.mimeErrors), temporary: false };
      if (verdict?.reject) {
        const r = verdict.reject.reason;
        const sp = r.indexOf(" ");
        throw new CleanupError(r.slice(0, sp), r.slice(sp + 1), verdict.reject.temporary, true);
      }
      if (recipients.length + extracted.length === 0) throw new CleanupError("5.1.0", "no recipients specified");
      // always_bcc, then the BCC actions of header/body checks: recipients that never get a notice (Postfix)
      const alwaysBcc = this.flags.autoBcc ? cfg.get("always_bcc").trim() : "";
      const moreBcc = [...(alwaysBcc !== "" ? [alwaysBcc] : []), ...(verdict?.bcc ?? [])];
      if (moreBcc.length > 0) extracted.push(...this.rewriteRecipients(queueId, moreBcc.map(autoBccRecipient), seenRecipients));
      // smtpd's FILTER (an access table's, given with the request) comes after the content, so it wins (Postfix)
      const filter = req.filter?.trim() || verdict?.filter || "";
      const xattrs: [string, string][] = [];
      if (filter !== "") xattrs.push([ATTR.CONTENT_FILTER, filter]);
      if (verdict?.redirect) xattrs.push([ATTR.REDIRECT, verdict.redirect]);
      if (extracted.length > 0 || xattrs.length > 0) writer.addExtracted({ recipients: extracted, attributes: xattrs });
      if (req.discard || verdict?.discard) {
        writer.abort();
        return { queueId: writer.queueId, size, nrcpt: recipients.length + extracted.length };
      }
      flushLogRecords(); // the message-id line is in the log before the queue file can be delivered
      const done = writer.finish({ durable: req.durable ?? true, queueName: req.hold || verdict?.hold ? "hold" : "incoming" });
      return { queueId: done.queueId, size: done.messageSize, nrcpt: recipients.length + extracted.length, path: done.path };
    } catch (e) {
      writer.abort();
      if (e instanceof CleanupError) {
        if (!e.temporary) e.refused = { queueId: writer.queueId, sender, recipients: [...recipients, ...extracted] };
        throw e;
      }
      if (e instanceof MapError) throw new CleanupError("4.3.0", `table lookup failure: ${e.message}`, true);
      throw new CleanupError("4.3.0", `error writing queue file: ${(e as Error).message}`, true);
    }
  }
}

/** A Date as a queue file's seconds and microseconds. */
function queueTimeOf(d: Date): { sec: number; usec: number } {
  const ms = d.getTime();
  return { sec: Math.floor(ms / 1000), usec: (ms - Math.floor(ms / 1000) * 1000) * 1000 };
}
