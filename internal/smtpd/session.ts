/**
 * session — the SMTP protocol engine: one client conversation from the greeting to QUIT, as Postfix 3.7's smtpd
 * speaks it (smtpd.c): the same replies, the same reply codes and enhanced status codes, the same log lines.
 *
 * Commands: HELO, EHLO, XCLIENT, XFORWARD, STARTTLS, AUTH, MAIL, RCPT, DATA, BDAT, RSET, NOOP, VRFY, ETRN, QUIT.
 * Replies are written when the server is about to wait for the client, so a pipelining client gets all replies
 * of its batch in one packet. Every command goes through the restriction stages of restrictions.ts (not in
 * stand-alone mode, `sendmail -bs`, where Postfix skips them too).
 *
 * SMTP AUTH (RFC 4954; smtpd_sasl.ts, dovecot_auth.ts), as Postfix's smtpd_sasl_proto.c and smtpd_sasl_glue.c:
 * with smtpd_sasl_auth_enable, SASL is activated for a session after the greeting is queued (not with
 * smtpd_tls_auth_only before STARTTLS; again after STARTTLS with smtpd_sasl_tls_security_options, which logs the
 * client out; again after XCLIENT). EHLO then announces `AUTH MECHS` (and `AUTH=MECHS` with
 * broken_sasl_auth_clients), not to smtpd_sasl_exceptions_networks, not when smtpd_discard_ehlo_keywords has auth.
 * AUTH replies: `503 5.5.1 Error: send HELO/EHLO first` (smtpd_helo_required), `503 5.5.1 Error: authentication
 * not enabled`, `503 5.5.1 Error: MAIL transaction in progress`, `504 5.5.4 Encryption required for requested
 * authentication mechanism`, `503 5.5.1 Error: already authenticated`, `501 5.5.4 Syntax: AUTH mechanism`, then
 * `334 CHALLENGE` per round (a response longer than smtpd_sasl_response_limit: `500 5.5.6 SASL response limit
 * exceeded`; `*`: `501 5.7.0 Authentication aborted` and `warning: CLIENT: SASL MECH authentication aborted`),
 * `235 2.7.0 Authentication successful`, or `535 5.7.8 Error: authentication failed: REASON` (`454 4.7.0
 * Temporary authentication failure: REASON` when the auth server is unreachable) with `warning: CLIENT: SASL
 * MECH authentication failed: REASON, sasl_username=USER|(unavailable)`; smtpd_client_auth_rate_limit gives
 * `450 4.7.1 Error: too many AUTH commands from ADDR`. MAIL FROM's AUTH= is kept as sent (`<>` is none; twice:
 * `503 5.5.4 Error: multiple AUTH= options`). XCLIENT LOGIN=NAME logs the client in with method XCLIENT, whether
 * SASL is enabled or not. What a login gives: permit_sasl_authenticated (while SASL is active), the queue ID log
 * line's `, sasl_method=M, sasl_username=U, sasl_sender=S`, the queue file's sasl_method, sasl_username and
 * sasl_sender attributes, `(Authenticated sender: U)` in Received: with smtpd_sasl_authenticated_header, and
 * ESMTPA/ESMTPSA there (RFC 3848). Where Postfix's smtpd exits (SaslFatalError), the session logs
 * `fatal: TEXT` and closes the connection without sending anything, not even the queued greeting.
 *
 * EHLO keywords hidden from a client (config/ehlo_mask.ts): the smtpd_discard_ehlo_keyword_address_maps entry for
 * its IP address (looked up when it connects; cidr:, hash: … tables), else smtpd_discard_ehlo_keywords. Each EHLO
 * then logs `discarding EHLO keywords: K1 K2` (keywords in a fixed order; not with silent-discard, and, as Postfix,
 * not when enhancedstatuscodes is among them). Hiding a keyword also turns its feature off where Postfix does:
 * AUTH (`503 5.5.1 Error: authentication not enabled`), STARTTLS (`502 5.5.1 Error: command not implemented`),
 * BDAT with chunking (`521 5.5.1 Error: command not implemented`), RET=/ENVID=/NOTIFY=/ORCPT= with dsn (`501 5.7.1
 * DSN support is disabled`), and the SMTPUTF8 parameter with smtputf8; pipelining, size, 8bitmime, vrfy, etrn,
 * xclient, xforward and enhancedstatuscodes are only not announced. A failing table: `warning: TYPE:NAME lookup
 * error for "ADDR"`, then at EHLO `warning: don't know what EHLO features to announce to NAME[ADDR]` and `421 4.3.0
 * HOST Server local data error`, which ends the session.
 *
 * The queue file of a transaction is opened, and so its queue ID allocated and `QID: client=NAME[ADDR]` logged,
 * at the first accepted RCPT (smtpd_delay_open_until_valid_rcpt = yes, the default) or at MAIL (= no), as
 * Postfix's smtpd connects to cleanup then; restriction log lines after that carry the ID instead of NOQUEUE.
 * (A sink without open() gets its ID only when the message is handed over.)
 * The message is streamed: DATA lines (dot-unstuffed, CRLF turned into LF) and BDAT chunks go to the message
 * sink as they arrive (cleanup, then the queue file), never held whole in memory; `250 2.0.0 Ok: queued as ID`
 * is sent only after the sink has made the queue file durable. Nothing that was not acknowledged is left in a
 * queue: an aborted transfer (EOF, timeout, a refused message) and a transaction that ends without a message
 * (RSET, HELO/EHLO, QUIT, a lost connection) remove the file.
 *
 * Before-queue filter (smtpd_proxy_filter; smtpd_proxy.ts): where the queue file would be opened, the session
 * connects to the filter instead and sends it the client's MAIL FROM command; each RCPT that passes this
 * server's checks is relayed as sent, and a filter's refusal is the client's reply; DATA (or the first BDAT) is
 * relayed, then our Received: header (without ` id QID`; none when the client used XFORWARD) and the content
 * (dot-stuffed again); the filter's end-of-data reply is the client's, logged `proxy-accept: END-OF-MESSAGE:
 * REPLY; from=<S> to=<R> proto=P helo=<H>` (proxy-reject for a non-2XX reply, or `451 4.3.0 Error: queue file
 * write error` when the filter was lost or timed out). No queue file, queue ID or `client=` line on this path;
 * the connection ends (QUIT) with the transaction. With smtpd_proxy_options = speed_adjust the filter is
 * connected only at the end of the message, and the transaction replayed to it (smtpd_proxy.ts). A message cut
 * short by message_size_limit or a bare-LF rejection never gets its `.` to the filter, and is logged
 * proxy-reject with the filter's last reply (to DATA), as Postfix logs it.
 *
 * Limits as Postfix: smtpd_timeout per read, line_length_limit (a longer command is cut, logged `request longer
 * than N: …`, and the rest skipped), smtpd_recipient_limit, message_size_limit, smtpd_soft_error_limit (then
 * smtpd_error_sleep_time before each reply), smtpd_hard_error_limit (then `421 4.7.0 HOST Error: too many
 * errors`), smtpd_junk_command_limit, smtpd_forbid_bare_newline (a bare `<LF>.<LF>` never ends DATA, so no
 * second message can be smuggled in), smtpd_forbid_unauth_pipelining.
 *
 * smtpd_reject_footer (or the smtpd_reject_footer_maps entry for the whole reply text) is added to every 4XX and
 * 5XX reply, 421 included and in sendmail -bs too (reply_footer.ts). smtpd_command_filter rewrites each command
 * line (the key is the line without leading blanks), logged `NAME[ADDR]: replacing command "OLD" with "NEW"`; a
 * table failure ends the session with `421 4.3.0 HOST Server local data error`. The in-process anvil's rate
 * limits (not in sendmail -bs, not for smtpd_authorized_xclient_hosts or smtpd_client_event_limit_exceptions):
 * smtpd_client_message_rate_limit at MAIL (`450 4.7.1 Error: too much mail from ADDR`, `warning: Message
 * delivery request rate limit exceeded: N from CLIENT for service SERVICE`), smtpd_client_recipient_rate_limit
 * at RCPT and VRFY (`450 4.7.1 Error: too many recipients from ADDR`, `warning: Recipient address rate limit
 * exceeded: …`), smtpd_client_new_tls_session_rate_limit at STARTTLS (over the limit before the handshake:
 * `454 4.7.0 Error: too many new TLS sessions from CLIENT`, `warning: Refusing STARTTLS request from CLIENT for
 * service SERVICE`; the handshake that goes over it: `warning: New TLS session rate limit exceeded: …` and
 * `421 4.7.0 HOST Error: too many new TLS sessions from CLIENT`, then the session ends). postkit keeps no TLS
 * session cache, so every handshake counts as a new session.
 *
 * Client certificates (server.ts asks for them, ccert.ts reads them): with smtpd_tls_req_ccert and TLS required, a
 * handshake without a verified certificate logs `NOQUEUE: abort: TLS from CLIENT: No client certificate presented`
 * (or `Client certificate not trusted`), and the next command gets `421 4.7.1 HOST Error: …` and the session ends.
 * With smtpd_tls_received_header the Received: header names the certificate, `(Client CN "CN", Issuer "ISSUER"
 * (verified OK))` or `(… (not verified))`, else `(Client did not present a certificate)` when one was asked for,
 * or `(No client certificate requested)`.
 *
 * Log lines: `connect from NAME[ADDR]`, `QID: client=NAME[ADDR]` (with the SASL facts above), restriction
 * rejects (restrictions.ts), `lost connection after CMD from NAME[ADDR]`, `timeout after CMD from …`, `too many
 * errors after CMD from …`, `disconnect from NAME[ADDR] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6`.
 */
import type { Config } from "../config/config.ts";
import { msgInfo, msgWarn, msgVerbose, msgLog } from "../log/msg.ts";
import { formatRfc2822Date } from "../message/mail_date.ts";
import { quoteLocalPart } from "../address/quote_local.ts";
import { ATTR, DSN_NOTIFY, DSN_RET } from "../queue/index.ts";
import { SmtpStream, SmtpEofError, SmtpTimeoutError } from "./smtp_stream.ts";
import { tokenizeCommand, extractAddress, xtextDecode, allPrintable, type SmtpWord } from "./smtpd_token.ts";
import type { Restrictions, CheckSession, PeerStatus } from "./restrictions.ts";
import type { HostList } from "./host_list.ts";
import { isValidHostname, isValidMailhostLiteral } from "../address/valid_hostname.ts";
import { compileDomainList } from "../resolve/match_list.ts";
import { requestFlush } from "../ipc/flush.ts";
import { SaslFatalError, type SmtpdSasl } from "./smtpd_sasl.ts";
import type { DovecotSaslServer } from "./dovecot_auth.ts";
import { MapError, openMap, type LookupTable } from "../maps/index.ts";
import { mapsFind } from "../resolve/mail_addr_find.ts";
import { ehloDiscardLogText, parseEhloMask } from "../config/ehlo_mask.ts";
import { interfaceAddressList } from "../config/host_defaults.ts";
import { appendReplyFooter, unescapeFilter } from "./reply_footer.ts";
import { sessionMacro } from "./smtpd_expand.ts";
import { proxyOptions, SmtpdProxy, SpeedAdjustProxy, type ProxyConnection } from "./smtpd_proxy.ts";
import type { PeerCert } from "./ccert.ts";

/** A queue file opened for a transaction before its content comes; see MessageSink.open(). */
export interface OpenedMessage {
  readonly queueId: string;
  /** Gives the file up: nothing of it stays in the queue. Idempotent; a no-op once the message was queued. */
  abort(): void;
}

/** What the sink needs to queue one message. */
export interface MessageRequest {
  /** The file from the sink's open(), when it has one: the message goes into it, under its queue ID. */
  opened?: OpenedMessage;
  /** A FILTER action's `transport:destination`, to be recorded as the message's content filter. */
  readonly filter?: string;
  sender: string;
  recipients: { address: string; origAddress?: string; notify?: number; orcpt?: string }[];
  attributes: Map<string, string>;
  /** Attributes that follow the sender record (not with sendmail -bs, whose sink has them in `attributes`). */
  senderAttributes?: Map<string, string>;
  content: AsyncIterable<Uint8Array>;
  /** The header lines to put first (PREPEND actions, our Received:), given the queue ID. */
  prepend: (queueId: string) => string[];
  onQueueId: (queueId: string) => void;
  context: "local" | "remote";
  hold?: string;
  discard?: boolean;
  /** When MAIL FROM was accepted: the message's arrival time. */
  arrival?: Date;
}

/** The reply to a message that grew beyond message_size_limit (cleanup_stat_detail(CLEANUP_STAT_SIZE)). */
const SIZE_EXCEEDED = "552 5.3.4 Error: message file too big";

/** A refusal from the sink: reply code, DSN and text (`552 5.3.4 Error: message file too big`). */
export interface SinkRefusal {
  code: number;
  dsn: string;
  text: string;
  /** The reply is `CODE DSN TEXT`, without smtpd's `Error:` (a header/body check's REJECT text). */
  verbatim?: boolean;
}

/** Where accepted messages go: resolves with the queue ID once durable, or a refusal. */
export interface MessageSink {
  /**
   * Opens the queue file of a new transaction, which allocates its queue ID (optional: without it the ID comes
   * with deliver()). Throws when no file can be made.
   */
  open?(): OpenedMessage;
  deliver(req: MessageRequest): Promise<{ queueId: string } | { refused: SinkRefusal }>;
}

/** TLS as the session sees it. */
export interface TlsInfo {
  protocol: string;
  cipher: string;
  bits: number;
  algBits: number;
  /** `key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256`, when known. */
  details?: string;
  /** `client-signature RSA-PSS (2048 bits) client-digest SHA256`, with a client certificate. */
  clientDetails?: string;
  /** The client's certificate, when one was asked for and presented. */
  peer?: PeerCert;
}

/** STARTTLS support offered to a session. */
export interface TlsSupport {
  /** smtpd_tls_security_level = encrypt: commands other than EHLO/HELO/STARTTLS/NOOP/QUIT need TLS first. */
  required: boolean;
  /** smtpd_tls_req_ccert with TLS required: a session without a trusted client certificate ends after STARTTLS. */
  requireCert?: boolean;
  /** smtpd_tls_fingerprint_digest is md5 by the compatibility_level default (Postfix logs that when it uses it). */
  digestCompat?: boolean;
  /** Wraps the connection; resolves to what was negotiated, or an error text (the session then ends). */
  start(stream: SmtpStream): Promise<TlsInfo | { error: string }>;
}

/** Everything a session shares with the others of its process. */
export interface SessionEnv {
  cfg: Config;
  /** Absent in stand-alone mode (sendmail -bs): no restrictions, as in Postfix. */
  restrictions?: Restrictions;
  sink: MessageSink;
  tls?: TlsSupport;
  xclientHosts?: HostList;
  xforwardHosts?: HostList;
  verpClients?: HostList;
  bareLfExclusions?: HostList;
  /** master.cf service name (for logs and the policy protocol). */
  service: string;
  standalone: boolean;
  /** Called after each accepted message (wakes the queue manager). */
  onQueued?: (queueId: string) => void;
  /** SMTP AUTH, when smtpd_sasl_auth_enable is on (never in stand-alone mode). */
  sasl?: SmtpdSasl;
  /**
   * Counts an AUTH command of the client for smtpd_client_auth_rate_limit and gives the client's rate so far;
   * undefined for a client exempt from the limit (smtpd_client_event_limit_exceptions). The in-process anvil.
   */
  authRate?: (name: string, addr: string) => number | undefined;
  /**
   * The in-process anvil for smtpd_client_message_rate_limit ("mail"), smtpd_client_recipient_rate_limit
   * ("rcpt") and smtpd_client_new_tls_session_rate_limit ("newtls"): counts one event of the client (only looks
   * with `count` false) and gives its rate in the current time unit; undefined for an exempt client.
   */
  eventRate?: (kind: "mail" | "rcpt" | "newtls", name: string, addr: string, count: boolean) => number | undefined;
  /** smtpd_reject_footer_maps, opened (openSessionTables()). */
  footerMaps?: LookupTable[];
  /** smtpd_command_filter, opened (openSessionTables()). */
  commandFilter?: LookupTable;
  /** smtpd_discard_ehlo_keyword_address_maps, opened (openSessionTables()). */
  ehloDiscardMaps?: LookupTable[];
}

/**
 * Opens smtpd_reject_footer_maps, smtpd_command_filter and smtpd_discard_ehlo_keyword_address_maps for
 * SessionEnv; throws MapError as openMap().
 */
export async function openSessionTables(cfg: Config): Promise<Pick<SessionEnv, "footerMaps" | "commandFilter" | "ehloDiscardMaps">> {
  const out: Pick<SessionEnv, "footerMaps" | "commandFilter" | "ehloDiscardMaps"> = {};
  const discard = cfg.getList("smtpd_discard_ehlo_keyword_address_maps");
  if (discard.length > 0) out.ehloDiscardMaps = await Promise.all(discard.map((spec) => openMap(spec)));
  const footers = cfg.getList("smtpd_reject_footer_maps");
  if (footers.length > 0) out.footerMaps = await Promise.all(footers.map((spec) => openMap(spec)));
  const filter = cfg.get("smtpd_command_filter").trim();
  if (filter !== "") out.commandFilter = await openMap(filter);
  return out;
}

/** The client of a session. */
export interface ClientInfo {
  name: string;
  reverseName: string;
  addr: string;
  port: string;
  nameStatus: PeerStatus;
  reverseNameStatus: PeerStatus;
  serverAddr?: string;
  serverPort?: string;
}

const CMD_ORDER = ["helo", "ehlo", "xclient", "xforward", "starttls", "auth", "mail", "rcpt", "data", "bdat", "rset", "noop", "vrfy", "etrn", "quit", "unknown"];
const LIMIT_CMDS = new Set(["HELO", "EHLO", "RSET", "NOOP", "VRFY", "ETRN"]);
const LAST_CMDS = new Set(["HELO", "EHLO", "DATA", "NOOP", "VRFY"]);
const PRE_TLS_CMDS = new Set(["HELO", "EHLO", "XCLIENT", "STARTTLS", "NOOP", "QUIT"]);

class QuitSession extends Error {}

/** The session ends without a reply of its own and without counting the command as done (SMTP_ERR_QUIET). */
class QuietEnd extends QuitSession {}

/** DATA/BDAT reading aborted the transfer; the reason decides the reply. */
class TransferAbort extends Error {
  constructor(readonly reply: string | undefined, readonly cause2?: unknown) {
    super("transfer aborted");
  }
}

/** Postfix's neuter(): characters that must not appear in a HELO name kept for logging. */
function neuter(s: string): string {
  return s.replace(/[ <>()\\";@]/g, "?");
}

function printableQ(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, "?");
}

/**
 * comment_sanitize(): text fit for a Received: comment: printable ASCII without backslashes, and parentheses
 * balanced (an unmatched `)` becomes `?`, an unclosed `(` gets its `)` at the end).
 */
export function commentSanitize(text: string): string {
  let depth = 0;
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c > 0x7e || ch === "\\") out += "?";
    else if (ch === "(") {
      depth++;
      out += ch;
    } else if (ch === ")") {
      if (depth > 0) {
        depth--;
        out += ch;
      } else out += "?";
    } else out += ch;
  }
  return out + ")".repeat(depth);
}

/** smtpd_format_cmd_stats(). */
function formatStats(stats: Map<string, { ok: number; total: number }>): string {
  let s = "";
  let ok = 0;
  let total = 0;
  for (const name of CMD_ORDER) {
    const c = stats.get(name);
    if (!c || c.total === 0) continue;
    s += ` ${name}=${c.ok}`;
    if (c.ok !== c.total) s += `/${c.total}`;
    ok += c.ok;
    total += c.total;
  }
  s += ` commands=${ok}`;
  if (ok !== total || total === 0) s += `/${total}`;
  return s;
}

/** One SMTP session; see the header. Create with new SmtpSession(env, stream, client) and await run(). */
export class SmtpSession {
  private readonly cfg: Config;
  private readonly myhostname: string;
  private readonly lineLimit: number;
  private readonly softLimit: number;
  private readonly hardLimit: number;
  private readonly sleepMs: number;
  private readonly junkLimit: number;
  private readonly rcptLimit: number;
  private readonly overshootLimit: number;
  private readonly sizeLimit: number;
  private readonly utf8: boolean;
  private readonly forbidBareLf: "no" | "normalize" | "reject";
  /** The EHLO keywords not announced to this client, upper case (config/ehlo_mask.ts). */
  private readonly discardMask: Set<string>;
  /** smtpd_discard_ehlo_keyword_address_maps failed for this client: EHLO ends the session. */
  private ehloMapError = false;
  private readonly delayOpen: boolean;
  /** The transaction's queue file, once opened (see the header). */
  private opened: OpenedMessage | undefined;
  /** smtpd_proxy_filter (not in stand-alone mode). */
  private readonly proxyFilter: string;
  /** The client's MAIL FROM command, kept for the before-queue filter. */
  private proxyMail: string | undefined;
  /** The transaction's connection to the before-queue filter, once opened. */
  private proxy: ProxyConnection | undefined;
  /** smtpd_proxy_options = speed_adjust: the filter is connected only when the whole message is in. */
  private readonly proxySpeedAdjust: boolean;
  private errorCount = 0;
  private junkCmds = 0;
  private stats = new Map<string, { ok: number; total: number }>();
  private reason: string | undefined;
  private accessDenied: string | undefined;
  private hangup = false;
  private xclientAllowed = false;
  private xforwardAllowed = false;
  private detectBareLf = false;
  private tlsInfo: TlsInfo | undefined;
  private rcptOvershoot = 0;
  private inMail = false;
  private bdatState: "none" | "ok" | "error" = "none";
  private bdat: { push: (b: Buffer | null | "abort") => void; done: Promise<{ queueId: string } | { refused: SinkRefusal } | { proxied: string; ok: boolean } | { failed: unknown }> } | undefined;
  private recipients: MessageRequest["recipients"] = [];
  private encoding: string | undefined;
  private dsnRet = 0;
  private dsnEnvid: string | undefined;
  private smtputf8 = false;
  private arrival = new Date();
  private xforward = new Map<string, string>();
  private actSize = 0;
  /** The session's SASL server while SASL is active (smtpd_sasl_is_active()). */
  private saslServer: DovecotSaslServer | undefined;
  /** The mechanisms EHLO announces. */
  private saslMechs = "";
  /** The session facts shared with the restrictions. */
  readonly s: CheckSession;

  constructor(
    private readonly env: SessionEnv,
    private readonly stream: SmtpStream,
    client: ClientInfo,
  ) {
    const cfg = (this.cfg = env.cfg);
    this.myhostname = cfg.get("myhostname");
    this.lineLimit = cfg.getInt("line_length_limit");
    this.softLimit = cfg.getInt("smtpd_soft_error_limit");
    this.hardLimit = cfg.getInt("smtpd_hard_error_limit");
    this.sleepMs = cfg.getTime("smtpd_error_sleep_time") * 1000;
    this.junkLimit = cfg.getInt("smtpd_junk_command_limit");
    this.rcptLimit = cfg.getInt("smtpd_recipient_limit");
    this.overshootLimit = cfg.getInt("smtpd_recipient_overshoot_limit");
    this.sizeLimit = cfg.getInt("message_size_limit");
    this.utf8 = cfg.getBool("smtputf8_enable");
    const fb = cfg.get("smtpd_forbid_bare_newline").trim().toLowerCase();
    this.forbidBareLf = fb === "reject" ? "reject" : fb === "yes" || fb === "normalize" ? "normalize" : "no";
    this.discardMask = this.ehloDiscardMask(client.addr);
    this.delayOpen = cfg.getBool("smtpd_delay_open_until_valid_rcpt");
    this.proxyFilter = env.standalone ? "" : cfg.get("smtpd_proxy_filter").trim();
    this.proxySpeedAdjust = this.proxyFilter !== "" && proxyOptions(cfg.get("smtpd_proxy_options")).speedAdjust;
    this.s = {
      name: client.name,
      reverseName: client.reverseName,
      addr: client.addr,
      port: client.port,
      namaddr: `${client.name}[${client.addr}]`,
      nameStatus: client.nameStatus,
      reverseNameStatus: client.reverseNameStatus,
      protocol: "SMTP",
      where: "CONNECT",
      rcptCount: 0,
      smtputf8: false,
      illPipelining: false,
      service: env.service,
      msgSize: 0,
      instance: "",
      saved: { bcc: [], prepend: [] },
      discard: false,
      deferIfPermitClient: false,
      deferIfPermitHelo: false,
      deferIfPermitSender: false,
    };
    this.s.serverAddr = client.serverAddr;
    this.s.serverPort = client.serverPort;
  }

  // --- output ------------------------------------------------------------------------------------------------

  /** Replies `text` and gives the command's result: false, the command failed (most error paths end so). */
  private async fail(text: string): Promise<false> {
    await this.reply(text);
    return false;
  }

  /** smtpd_chat_reply(): soft_bounce, the error sleep, 421/521 hang-up. */
  private async reply(text: string): Promise<void> {
    if (this.errorCount >= this.softLimit && this.sleepMs > 0) {
      this.stream.flush();
      await Bun.sleep(this.sleepMs);
    }
    let t = text;
    if (t[0] === "4" || t[0] === "5") {
      const footer = this.footerFor(t);
      if (footer !== "") t = appendReplyFooter(t, footer, (name) => sessionMacro(this.s, name, this.cfg), unescapeFilter(this.cfg.get("smtpd_expansion_filter")));
    }
    const softBounce = this.cfg.getBool("soft_bounce");
    const lines = t.split("\r\n");
    for (let i = 0; i < lines.length; i++) {
      let l = lines[i]!;
      if (softBounce && l[0] === "5") {
        l = `4${l.slice(1)}`;
        if (l[4] === "5") l = `${l.slice(0, 4)}4${l.slice(5)}`;
      }
      if (i < lines.length - 1 && l.length > 3) l = `${l.slice(0, 3)}-${l.slice(4)}`;
      msgVerbose(`> ${this.s.namaddr}: ${l}`);
      this.stream.reply(l);
    }
    if (t.startsWith("421") || t.startsWith("521")) this.hangup = true;
  }

  /**
   * The EHLO keywords hidden from a client, chosen when it connects: the smtpd_discard_ehlo_keyword_address_maps
   * entry for its IP address, else smtpd_discard_ehlo_keywords (also after a table failure or an empty value,
   * which maps_find() treats as a configuration error: remembered for EHLO).
   */
  private ehloDiscardMask(addr: string): Set<string> {
    const tables = this.env.ehloDiscardMaps ?? [];
    if (tables.length > 0) {
      try {
        const v = mapsFind({ title: "smtpd_discard_ehlo_keyword_address_maps", tables }, addr, false);
        if (v !== undefined) return parseEhloMask(v);
      } catch (e) {
        if (!(e instanceof MapError)) msgWarn(`smtpd_discard_ehlo_keyword_address_maps lookup error for "${addr}"`);
        this.ehloMapError = true;
      }
    }
    return parseEhloMask(this.cfg.get("smtpd_discard_ehlo_keywords"));
  }

  /**
   * The footer template of a 4XX/5XX reply: smtpd_reject_footer_maps looked up with the whole reply text, else
   * smtpd_reject_footer (also after a table failure or an empty value, as Postfix's maps_find() then finds
   * nothing).
   */
  private footerFor(reply: string): string {
    const tables = this.env.footerMaps ?? [];
    if (tables.length > 0) {
      try {
        const v = mapsFind({ title: "smtpd_reject_footer_maps", tables }, reply, false);
        if (v !== undefined) return v;
      } catch (e) {
        if (!(e instanceof MapError)) msgWarn(`smtpd_reject_footer_maps lookup error for "${reply}"`);
      }
    }
    return this.cfg.get("smtpd_reject_footer");
  }

  private count(cmd: string): { ok: number; total: number } {
    let c = this.stats.get(cmd);
    if (!c) this.stats.set(cmd, (c = { ok: 0, total: 0 }));
    return c;
  }

  // --- the conversation --------------------------------------------------------------------------------------

  /** Runs the session to its end; never throws. `connCount`/`connRate` come from the in-process anvil. */
  async run(opts: { refuse?: string } = {}): Promise<void> {
    const s = this.s;
    const env = this.env;
    msgInfo(`connect from ${s.namaddr}`);
    try {
      if (opts.refuse !== undefined) {
        await this.reply(opts.refuse);
      } else {
        await this.converse();
      }
    } catch (e) {
      if (e instanceof SaslFatalError) {
        // where Postfix's smtpd process dies: the client gets nothing more, not even a queued reply
        this.stream.discardOutput();
        msgLog("fatal", e.message);
        this.abortBdat();
        this.dropMessage();
        this.stream.close();
        return;
      }
      if (e instanceof SmtpTimeoutError) {
        this.reason = "timeout";
        await this.reply(`421 4.4.2 ${this.myhostname} Error: timeout exceeded`);
      } else if (e instanceof SmtpEofError) {
        this.reason = "lost connection";
      } else if (!(e instanceof QuitSession)) {
        msgWarn(`${s.namaddr}: ${(e as Error).stack ?? String(e)}`);
        await this.reply(`421 4.3.0 ${this.myhostname} Server local error`);
      }
    }
    if (this.reason && s.where) {
      if (s.where === "DATA content") msgInfo(`${this.reason} after DATA (${this.actSize} bytes) from ${s.namaddr}`);
      else if (s.where === "BDAT content") msgInfo(`${this.reason} after BDAT (${this.actSize} bytes) from ${s.namaddr}`);
      else if (s.where !== "END-OF-MESSAGE" || this.reason !== "lost connection") msgInfo(`${this.reason} after ${s.where} from ${s.namaddr}`);
    }
    this.abortBdat();
    this.dropMessage();
    this.stream.close();
    msgInfo(`disconnect from ${s.namaddr}${formatStats(this.stats)}`);
    void env;
  }

  private async converse(): Promise<void> {
    const s = this.s;
    const env = this.env;
    const standalone = env.standalone;
    this.xclientAllowed = !standalone && !!env.xclientHosts?.matches(s.name, s.addr);
    this.xforwardAllowed = !standalone && !!env.xforwardHosts?.matches(s.name, s.addr);
    this.detectBareLf = !standalone && this.forbidBareLf !== "no" && !env.bareLfExclusions?.matches(s.name, s.addr);
    if (!standalone && this.stream.pending() > 0) {
      this.flagIllPipelining();
      if (this.cfg.getBool("smtpd_forbid_unauth_pipelining")) {
        await this.reply("554 5.5.0 Error: SMTP protocol synchronization");
        return;
      }
    }
    if (!standalone && env.restrictions && !this.cfg.getBool("smtpd_delay_reject")) {
      const err = await env.restrictions.checkClient(s);
      if (err !== undefined) {
        this.accessDenied = err;
        await this.reply(err);
        this.errorCount++;
      } else await this.reply(`220 ${this.cfg.get("smtpd_banner")}`);
    } else await this.reply(`220 ${this.cfg.get("smtpd_banner")}`);
    // SASL for a plaintext session (with smtpd_tls_auth_only, only after STARTTLS); the greeting waits for it
    if (env.sasl && !standalone && !this.tlsInfo && !this.cfg.getBool("smtpd_tls_auth_only")) await this.saslActivate();

    for (;;) {
      if (this.hangup) break;
      if (this.errorCount >= this.hardLimit) {
        this.reason = "too many errors";
        await this.reply(`421 4.7.0 ${this.myhostname} Error: too many errors`);
        break;
      }
      const line = await this.stream.readLine(this.lineLimit);
      let text = line.data.toString("latin1");
      if (!line.complete) {
        msgWarn(`${s.namaddr}: request longer than ${this.lineLimit}: ${printableQ(text.slice(0, 30))}...`);
        await this.stream.skipLine();
      }
      msgVerbose(`< ${s.namaddr}: ${text}`);
      if (this.forbidBareLf === "reject" && this.detectBareLf && line.bareLf) {
        this.logWhatsupLocal("reject", "bare <LF> received");
        await this.reply(`${this.cfg.getInt("smtpd_forbid_bare_newline_reject_code")} 5.5.2 ${this.myhostname} Error: bare <LF> received`);
        break;
      }
      if (this.utf8 && !isValidUtf8(line.data)) {
        await this.reply("500 5.5.2 Error: bad UTF-8 syntax");
        this.errorCount++;
        continue;
      }
      if (this.utf8) text = line.data.toString("utf8");
      if (env.commandFilter) {
        const filter = env.commandFilter;
        let replaced: string | undefined;
        try {
          replaced = filter.lookup(text.replace(/^[ \t]+/, ""));
        } catch {
          msgWarn(`${filter.type}:${filter.name} lookup error for "${printableQ(text).slice(0, 100)}"`);
          // SMTP_ERR_DATA: what Postfix's smtpd does when a table it needs fails
          msgInfo(`${s.queueId ?? "NOQUEUE"}: reject: ${s.where} from ${s.namaddr}: 421 4.3.0 ${this.myhostname} Server local data error`);
          await this.reply(`421 4.3.0 ${this.myhostname} Server local data error`);
          break;
        }
        if (replaced !== undefined) {
          msgInfo(`${s.namaddr}: replacing command "${text.slice(0, 100)}" with "${replaced.slice(0, 100)}"`);
          text = replaced;
        }
      }
      const argv = tokenizeCommand(text);
      if (argv.length === 0) {
        await this.reply("500 5.5.2 Error: bad syntax");
        this.errorCount++;
        continue;
      }
      const verb = argv[0]!.text.toUpperCase();
      const known = CMD_ORDER.includes(verb.toLowerCase()) && verb !== "UNKNOWN";
      const stat = this.count(known ? verb.toLowerCase() : "unknown");
      stat.total++;
      if (!known) {
        s.where = "UNKNOWN";
        if (/^[\x21-\x39\x3b-\x7e]+:/.test(argv[0]!.text) || this.cfg.getList("smtpd_forbidden_commands").some((c) => c.toLowerCase() === verb.toLowerCase())) {
          msgWarn(`non-SMTP command from ${s.namaddr}: ${printableQ(text.slice(0, 100))}`);
          await this.reply("221 2.7.0 Error: I can break rules, too. Goodbye.");
          break;
        }
      }
      if (this.accessDenied !== undefined && verb !== "QUIT") {
        if (this.accessDenied.slice(1, 3) === "21") {
          await this.reply(this.accessDenied);
          continue;
        }
        await this.reply(`503 5.7.0 Error: access denied for ${s.namaddr}`);
        this.errorCount++;
        continue;
      }
      if (!known) {
        await this.reply("500 5.5.2 Error: command not recognized");
        this.errorCount++;
        continue;
      }
      if (env.tls?.required && !this.tlsInfo && !PRE_TLS_CMDS.has(verb)) {
        await this.reply("530 5.7.0 Must issue a STARTTLS command first");
        this.errorCount++;
        continue;
      }
      s.where = verb;
      if (!standalone && (s.protocol !== "ESMTP" || LAST_CMDS.has(verb)) && !s.illPipelining && this.stream.pending() > 0) {
        this.flagIllPipelining();
        if (this.cfg.getBool("smtpd_forbid_unauth_pipelining")) {
          await this.reply("554 5.5.0 Error: SMTP protocol synchronization");
          break;
        }
      }
      let ok: boolean;
      try {
        ok = await this.dispatch(verb, argv, text);
      } catch (e) {
        if (e instanceof QuitSession) {
          if (!(e instanceof QuietEnd)) stat.ok++;
          throw e;
        }
        throw e;
      }
      if (ok) stat.ok++;
      else this.errorCount++;
      if (LIMIT_CMDS.has(verb) && this.junkCmds++ > this.junkLimit) this.errorCount++;
    }
  }

  private flagIllPipelining(): void {
    const peek = this.stream.pending();
    void peek;
    msgInfo(`improper command pipelining after ${this.s.where} from ${this.s.namaddr}: ${this.peekText()}`);
    this.s.illPipelining = true;
  }

  private peekText(): string {
    // the escaped start of the unread input, as Postfix's escape() shows it
    const b = this.stream.peek(100);
    let out = "";
    for (const c of b) {
      if (c === 13) out += "\\r";
      else if (c === 10) out += "\\n";
      else if (c === 9) out += "\\t";
      else if (c < 32 || c > 126) out += `\\${c.toString(8).padStart(3, "0")}`;
      else if (c === 92) out += "\\\\";
      else out += String.fromCharCode(c);
    }
    return out;
  }

  private logWhatsupLocal(what: string, text: string): void {
    const s = this.s;
    let t = `${s.queueId ?? "NOQUEUE"}: ${what}: ${s.where} from ${s.namaddr}: ${text};`;
    if (s.sender !== undefined) t += ` from=<${s.sender}>`;
    if (s.recipient !== undefined) t += ` to=<${s.recipient}>`;
    if (s.protocol) t += ` proto=${s.protocol}`;
    if (s.heloName !== undefined) t += ` helo=<${s.heloName}>`;
    msgInfo(t);
  }

  private async dispatch(verb: string, argv: SmtpWord[], text: string): Promise<boolean> {
    switch (verb) {
      case "HELO":
        return this.helo(argv, false);
      case "EHLO":
        return this.helo(argv, true);
      case "XCLIENT":
        return this.xclient(argv);
      case "XFORWARD":
        return this.xforwardCmd(argv);
      case "STARTTLS":
        return this.starttls(argv);
      case "AUTH":
        return this.authCmd(argv);
      case "MAIL":
        return this.mail(argv, text);
      case "RCPT":
        return this.rcpt(argv, text);
      case "DATA":
        return this.data(argv, text);
      case "BDAT":
        return this.bdatCmd(argv, text);
      case "RSET":
        if (argv.length !== 1) return this.fail("501 5.5.4 Syntax: RSET");
        this.mailReset();
        await this.reply("250 2.0.0 Ok");
        return true;
      case "NOOP":
        await this.reply("250 2.0.0 Ok");
        return true;
      case "VRFY":
        return this.vrfy(argv);
      case "ETRN":
        return this.etrn(argv);
      case "QUIT":
        await this.reply("221 2.0.0 Bye");
        throw new QuitSession();
    }
    await this.reply("500 5.5.2 Error: command not recognized");
    return false;
  }

  // --- SMTP AUTH ---------------------------------------------------------------------------------------------

  /** smtpd_sasl_activate(): this session's SASL server and announced mechanisms; throws SaslFatalError. */
  private async saslActivate(): Promise<void> {
    const s = this.s;
    const bare = (a: string | undefined) => (a === undefined || a === "unknown" ? "" : a.replace(/^::ffff:(?=\d+\.)/, ""));
    const a = await this.env.sasl!.activate({ clientAddr: bare(s.addr), serverAddr: bare(s.serverAddr), tls: this.tlsInfo !== undefined });
    this.saslServer = a.server;
    this.saslMechs = a.mechanismList;
    s.saslActive = true;
  }

  /** smtpd_sasl_deactivate(): no SASL server, nobody logged in, no AUTH= sender. */
  private saslDeactivate(): void {
    const s = this.s;
    this.saslServer = undefined;
    this.saslMechs = "";
    s.saslActive = false;
    s.saslUsername = undefined;
    s.saslMethod = undefined;
    s.saslSender = undefined;
  }

  /** smtpd_sasl_logout() (smtpd_sasl_auth_reset). */
  private saslLogout(): void {
    this.s.saslUsername = undefined;
    this.s.saslMethod = undefined;
  }

  /** smtpd_sasl_auth_cmd() behind its rate limit wrapper. */
  private async authCmd(argv: SmtpWord[]): Promise<boolean> {
    const s = this.s;
    const env = this.env;
    const limit = this.cfg.getInt("smtpd_client_auth_rate_limit");
    if (!env.standalone && !this.xclientAllowed && env.authRate && limit > 0) {
      const rate = env.authRate(s.name, s.addr);
      if (rate !== undefined && rate > limit) {
        msgWarn(`AUTH command rate limit exceeded: ${rate} from ${s.namaddr} for service ${env.service}`);
        return this.fail(`450 4.7.1 Error: too many AUTH commands from ${s.addr}`);
      }
    }
    if (this.cfg.getBool("smtpd_helo_required") && s.heloName === undefined) return this.fail("503 5.5.1 Error: send HELO/EHLO first");
    const server = this.saslServer;
    if (env.standalone || !server || this.discardMask.has("AUTH")) return this.fail("503 5.5.1 Error: authentication not enabled");
    if (this.inMail) return this.fail("503 5.5.1 Error: MAIL transaction in progress");
    if (this.cfg.getBool("smtpd_tls_auth_only") && !this.tlsInfo) {
      return this.fail("504 5.5.4 Encryption required for requested authentication mechanism");
    }
    if (s.saslUsername !== undefined) return this.fail("503 5.5.1 Error: already authenticated");
    if (argv.length < 2 || argv.length > 3) return this.fail("501 5.5.4 Syntax: AUTH mechanism");
    const mech = argv[1]!.text;
    const limitResp = env.sasl!.responseLimit;
    // smtpd_sasl_authenticate(): the challenge/response loop; "*" gives up
    let status = await server.first(mech, argv.length === 3 ? argv[2]!.text : undefined);
    while (status === "more") {
      await this.reply(`334 ${server.reply}`);
      const line = await this.stream.readLine(limitResp);
      const resp = line.data.toString("latin1");
      if (!line.complete) {
        msgWarn(`${s.namaddr}: request longer than ${limitResp}: ${printableQ(resp.slice(0, 30))}...`);
        await this.stream.skipLine();
        msgVerbose(`< ${s.namaddr}: ${resp}`);
        return this.fail("500 5.5.6 SASL response limit exceeded");
      }
      msgVerbose(`< ${s.namaddr}: ${resp}`);
      if (resp === "*") {
        msgWarn(`${s.namaddr}: SASL ${mech} authentication aborted`);
        return this.fail("501 5.7.0 Authentication aborted");
      }
      status = await server.next(resp);
    }
    if (status !== "done") {
      const reason = server.reply !== "" ? server.reply : "(reason unavailable)";
      msgWarn(`${s.namaddr}: SASL ${mech.slice(0, 100)} authentication failed: ${reason}, sasl_username=${(server.username ?? "(unavailable)").slice(0, 100)}`);
      return this.fail(status === "temp" ? `454 4.7.0 Temporary authentication failure: ${reason}` : `535 5.7.8 Error: authentication failed: ${reason}`);
    }
    await this.reply("235 2.7.0 Authentication successful");
    s.saslUsername = printableQ(server.username!);
    s.saslMethod = printableQ(mech);
    return true;
  }

  /**
   * mail_open_stream(): opens the transaction's queue file, which allocates its queue ID, and logs
   * `QID: client=NAME[ADDR]`. False, with the reply sent, when no file can be made.
   */
  private async openMessage(): Promise<boolean> {
    const s = this.s;
    if (this.proxyMail !== undefined) return this.openProxy();
    const sink = this.env.sink;
    if (this.opened !== undefined || !sink.open) return true;
    try {
      this.opened = sink.open();
    } catch (e) {
      msgWarn(`${s.namaddr}: ${(e as Error).message}`);
      await this.reply("451 4.3.0 Error: queue file write error");
      return false;
    }
    s.queueId = this.opened.queueId;
    msgInfo(`${s.queueId}: ${this.clientLog()}`);
    return true;
  }

  /** The `client=NAME[ADDR], sasl_method=M, sasl_username=U, sasl_sender=S` text of the queue ID log line. */
  private clientLog(): string {
    const s = this.s;
    let t = `client=${s.namaddr}`;
    if (s.saslMethod !== undefined) t += `, sasl_method=${s.saslMethod}`;
    if (s.saslUsername !== undefined) t += `, sasl_username=${s.saslUsername}`;
    if (s.saslSender !== undefined) t += `, sasl_sender=${s.saslSender}`;
    return t;
  }

  /**
   * With smtpd_proxy_filter, mail_open_stream() connects to the filter instead (no queue file, no queue ID, no
   * `client=` log line). False, with the reply sent, when the filter cannot be used or refuses the sender.
   */
  private async openProxy(): Promise<boolean> {
    if (this.proxy) return true;
    const s = this.s;
    const xf = this.xforward;
    // FORWARD_*(): what the client forwarded with XFORWARD, else what this server knows
    const fwd = ["NAME", "ADDR", "PORT", "PROTO", "HELO"].some((k) => xf.has(k));
    const avail = (v: string | undefined) => (v === undefined || v === "unknown" ? undefined : v);
    const addr = fwd ? xf.get("ADDR") : s.addr.includes(":") ? `IPv6:${s.addr}` : s.addr;
    const opts = {
      service: this.proxyFilter,
      timeoutMs: this.cfg.getTime("smtpd_proxy_timeout") * 1000,
      ehlo: this.cfg.get("smtpd_proxy_ehlo"),
      mailCmd: this.proxyMail!,
      lineLimit: this.lineLimit,
      queueDir: this.cfg.get("queue_directory"),
      xforward: {
        NAME: avail(fwd ? xf.get("NAME") : s.name),
        ADDR: avail(addr),
        PORT: avail(fwd ? xf.get("PORT") : s.port),
        HELO: fwd ? xf.get("HELO") : s.heloName,
        IDENT: xf.get("IDENT") ?? s.queueId,
        PROTO: avail(fwd ? xf.get("PROTO") : s.protocol),
        SOURCE: xf.has("SOURCE") ? (xf.get("SOURCE")!.toUpperCase() === "LOCAL" ? "LOCAL" : "REMOTE") : this.rewriteContext() === "local" ? "LOCAL" : "REMOTE",
      },
    };
    const r = this.proxySpeedAdjust ? SpeedAdjustProxy.create(opts) : await SmtpdProxy.open(opts);
    if ("reply" in r) {
      await this.reply(r.reply);
      return false;
    }
    this.proxy = r.proxy;
    return true;
  }

  /** Logs `proxy-accept: WHERE: REPLY; from=<…> …` or proxy-reject: the filter's end-of-data verdict. */
  private logProxy(ok: boolean, reply: string): void {
    const s = this.s;
    let t = `proxy-${ok ? "accept" : "reject"}: ${s.where}: ${reply};`;
    if (s.sender !== undefined) t += ` from=<${s.sender}>`;
    if (s.recipient !== undefined) t += ` to=<${s.recipient}>`;
    if (s.protocol) t += ` proto=${s.protocol}`;
    if (s.heloName !== undefined) t += ` helo=<${s.heloName}>`;
    if (s.saslUsername !== undefined) t += ` sasl_username=<${s.saslUsername}>`;
    msgInfo(t);
  }

  /**
   * Sends the message to the before-queue filter: PREPEND headers, our Received: (without a queue ID; none at
   * all when the client used XFORWARD), the content, then `.`; the filter's reply is the client's.
   */
  private async proxyDeliver(content: AsyncIterable<Uint8Array>): Promise<{ proxied: string; ok: boolean }> {
    const p = this.proxy!;
    const s = this.s;
    const head = [...s.saved.prepend];
    if (!["NAME", "ADDR", "PORT", "PROTO", "HELO"].some((k) => this.xforward.has(k))) head.push(...this.receivedHeader(undefined));
    let ok = head.length === 0 || (await p.writeContent(Buffer.from(`${head.join("\n")}\n`, "latin1")));
    if (ok) {
      for await (const c of content) {
        if (!(await p.writeContent(c))) {
          ok = false;
          break;
        }
      }
    }
    if (ok) ok = await p.endContent();
    if (!ok) return { proxied: p.reply, ok: false };
    await p.cmd(".", "any");
    return { proxied: p.reply, ok: !p.broken && p.reply[0] === "2" };
  }

  /** Gives up the transaction's queue file, if it was opened and not (yet) queued, and the filter connection. */
  private dropMessage(): void {
    this.opened?.abort();
    this.opened = undefined;
    this.proxy?.close();
    this.proxy = undefined;
  }

  private mailReset(): void {
    const s = this.s;
    this.abortBdat();
    this.dropMessage();
    this.inMail = false;
    s.sender = undefined;
    s.recipient = undefined;
    s.rcptCount = 0;
    s.queueId = undefined;
    s.msgSize = 0;
    s.discard = false;
    s.saved = { bcc: [], prepend: [] };
    s.deferIfPermitSender = false;
    s.saslSender = undefined;
    this.proxyMail = undefined;
    this.recipients = [];
    this.encoding = undefined;
    this.dsnRet = 0;
    this.dsnEnvid = undefined;
    this.smtputf8 = false;
    s.smtputf8 = false;
    this.rcptOvershoot = 0;
    this.bdatState = "none";
    this.actSize = 0;
  }

  private heloReset(): void {
    this.s.heloName = undefined;
    this.s.deferIfPermitHelo = false;
  }

  private async helo(argv: SmtpWord[], ehlo: boolean): Promise<boolean> {
    const s = this.s;
    const env = this.env;
    if (argv.length < 2) return this.fail(ehlo ? "501 Syntax: EHLO hostname" : "501 Syntax: HELO hostname");
    const name = argv.slice(1).map((w) => w.text).join(" ");
    if (!env.standalone && env.restrictions && !this.cfg.getBool("smtpd_delay_reject")) {
      const err = await env.restrictions.checkHelo(s, name);
      if (err !== undefined) return this.fail(err);
    }
    this.heloReset();
    this.mailReset();
    s.heloName = neuter(printableQ(name));
    if (!ehlo) {
      if (s.protocol !== "ESMTP" && s.protocol !== "SMTP") s.protocol = "SMTP";
      await this.reply(`250 ${this.myhostname}`);
      return true;
    }
    s.protocol = "ESMTP";
    const mask = this.discardMask;
    // As Postfix: no log line when ENHANCEDSTATUSCODES itself is among the discarded keywords.
    const discarding = mask.has("ENHANCEDSTATUSCODES") ? undefined : ehloDiscardLogText(mask);
    if (discarding !== undefined) msgInfo(discarding);
    if (this.ehloMapError) {
      msgWarn(`don't know what EHLO features to announce to ${s.namaddr}`);
      // SMTP_ERR_DATA: what Postfix's smtpd does when a table it needs fails
      msgInfo(`${s.queueId ?? "NOQUEUE"}: reject: ${s.where} from ${s.namaddr}: 421 4.3.0 ${this.myhostname} Server local data error`);
      await this.reply(`421 4.3.0 ${this.myhostname} Server local data error`);
      throw new QuietEnd();
    }
    const words = [this.myhostname];
    if (!mask.has("PIPELINING")) words.push("PIPELINING");
    if (!mask.has("SIZE")) words.push(this.sizeLimit > 0 ? `SIZE ${this.sizeLimit}` : "SIZE");
    if (!mask.has("VRFY") && !this.cfg.getBool("disable_vrfy_command")) words.push("VRFY");
    if (!mask.has("ETRN")) words.push("ETRN");
    if (!mask.has("STARTTLS") && env.tls && !this.tlsInfo) words.push("STARTTLS");
    if (!mask.has("AUTH") && this.saslServer && !env.sasl!.isException(s.name, s.addr)) {
      words.push(`AUTH ${this.saslMechs}`);
      if (this.cfg.getBool("broken_sasl_auth_clients")) words.push(`AUTH=${this.saslMechs}`);
    }
    if (!mask.has("VERP") && env.verpClients?.matches(s.name, s.addr)) words.push("XVERP");
    if (!mask.has("XCLIENT") && this.xclientAllowed) words.push("XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT");
    if (!mask.has("XFORWARD") && this.xforwardAllowed) words.push("XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT");
    if (!mask.has("ENHANCEDSTATUSCODES")) words.push("ENHANCEDSTATUSCODES");
    if (!mask.has("8BITMIME")) words.push("8BITMIME");
    if (!mask.has("DSN")) words.push("DSN");
    if (!mask.has("SMTPUTF8") && this.utf8) words.push("SMTPUTF8");
    if (!mask.has("CHUNKING")) words.push("CHUNKING");
    for (let i = 0; i < words.length; i++) this.stream.reply(`250${i < words.length - 1 ? "-" : " "}${words[i]}`);
    if (this.errorCount >= this.softLimit && this.sleepMs > 0) {
      this.stream.flush();
      await Bun.sleep(this.sleepMs);
    }
    return true;
  }

  private async mail(argv: SmtpWord[], text: string): Promise<boolean> {
    const s = this.s;
    const env = this.env;
    if (this.cfg.getBool("smtpd_helo_required") && s.heloName === undefined) {
      return this.fail("503 5.5.1 Error: send HELO/EHLO first");
    }
    if (this.inMail) return this.fail("503 5.5.1 Error: nested MAIL command");
    if (this.bdatState !== "none") return this.fail("503 5.5.1 Error: MAIL after BDAT");
    if (argv.length < 3 || argv[1]!.text.toLowerCase() !== "from:") {
      return this.fail("501 5.5.4 Syntax: MAIL FROM:<address>");
    }
    const mailRate = this.eventRate("mail", "smtpd_client_message_rate_limit");
    if (mailRate !== undefined) {
      await this.reply(`450 4.7.1 Error: too much mail from ${s.addr}`);
      msgWarn(`Message delivery request rate limit exceeded: ${mailRate} from ${s.namaddr} for service ${env.service}`);
      return false;
    }
    if (argv[2]!.error) return this.fail("501 5.1.7 Bad sender address syntax");
    let smtputf8 = false;
    if (this.utf8 && !this.discardMask.has("SMTPUTF8")) smtputf8 = argv.slice(3).some((w) => w.text.toUpperCase() === "SMTPUTF8");
    const sender = extractAddress(argv[2]!.text, { allowEmpty: true, strictRfc821: this.cfg.getBool("strict_rfc821_envelopes"), smtputf8 });
    if (sender === undefined) {
      if (!env.standalone) msgWarn(`Illegal address syntax from ${s.namaddr} in MAIL command: ${printableQ(argv[2]!.text)}`);
      await this.reply("501 5.1.7 Bad sender address syntax");
      return false;
    }
    let size = 0;
    let encoding: string | undefined;
    let ret = 0;
    let envid: string | undefined;
    let authSender: string | undefined;
    for (const w of argv.slice(3)) {
      const arg = w.text;
      const u = arg.toUpperCase();
      if (u === "BODY=8BITMIME") encoding = "8bit";
      else if (u === "BODY=7BIT") encoding = "7bit";
      else if (u.startsWith("SIZE=")) {
        if (!/^\d+$/.test(arg.slice(5))) return this.fail("501 5.5.4 Bad message size syntax");
        size = Number(arg.slice(5));
        if (!Number.isSafeInteger(size)) return this.fail("552 5.3.4 Message size exceeds file system imposed limit");
      } else if (this.utf8 && !this.discardMask.has("SMTPUTF8") && u === "SMTPUTF8") {
        // noted above
      } else if (u.startsWith("AUTH=")) {
        // smtpd_sasl_mail_opt(): kept as sent, for the log, the queue file and the policy service; <> is none
        if (authSender !== undefined) return this.fail("503 5.5.4 Error: multiple AUTH= options");
        if (arg.slice(5) !== "<>") authSender = printableQ(arg.slice(5));
      } else if ((u === "XVERP" || u.startsWith("XVERP=")) && this.env.verpClients?.matches(s.name, s.addr)) {
        // VERP delimiters: accepted (delivery does not use them)
      } else if (u.startsWith("RET=")) {
        if (this.discardMask.has("DSN")) return this.fail("501 5.7.1 DSN support is disabled");
        const v = u.slice(4);
        if (ret !== 0 || (v !== "FULL" && v !== "HDRS")) return this.fail("501 5.5.4 Bad RET parameter syntax");
        ret = v === "FULL" ? DSN_RET.FULL : DSN_RET.HDRS;
      } else if (u.startsWith("ENVID=")) {
        if (this.discardMask.has("DSN")) return this.fail("501 5.7.1 DSN support is disabled");
        const v = xtextDecode(arg.slice(6));
        if (envid !== undefined || v === undefined || !allPrintable(v)) {
          return this.fail("501 5.5.4 Bad ENVID parameter syntax");
        }
        envid = v;
      } else {
        await this.reply(`555 5.5.4 Unsupported option: ${arg}`);
        return false;
      }
    }
    s.saslSender = authSender;
    if (this.sizeLimit > 0 && size > this.sizeLimit) {
      // smtpd_check_size(), in stand-alone mode too
      s.saslSender = undefined;
      const saved = s.sender;
      s.sender = sender;
      this.logWhatsupLocal("reject", "552 5.3.4 Message size exceeds fixed limit");
      s.sender = saved;
      await this.reply("552 5.3.4 Message size exceeds fixed limit");
      return false;
    }
    if (!env.standalone && env.restrictions) {
      if (!this.cfg.getBool("smtpd_delay_reject")) {
        const e2 = await env.restrictions.checkMail(s, sender);
        if (e2 !== undefined) {
          this.mailReset();
          await this.reply(e2);
          return false;
        }
      }
    }
    if (this.proxyFilter !== "") this.proxyMail = text;
    if (!this.delayOpen && !(await this.openMessage())) {
      this.mailReset();
      return false;
    }
    this.inMail = true;
    s.sender = sender;
    s.msgSize = size;
    this.encoding = encoding;
    this.dsnRet = ret;
    this.dsnEnvid = envid;
    this.smtputf8 = smtputf8;
    s.smtputf8 = smtputf8;
    this.arrival = new Date();
    await this.reply("250 2.1.0 Ok");
    return true;
  }

  private async rcpt(argv: SmtpWord[], text: string): Promise<boolean> {
    const s = this.s;
    const env = this.env;
    if (!this.inMail) return this.fail("503 5.5.1 Error: need MAIL command");
    if (this.bdatState !== "none") return this.fail("503 5.5.1 Error: RCPT after BDAT");
    if (argv.length < 3 || argv[1]!.text.toLowerCase() !== "to:") {
      return this.fail("501 5.5.4 Syntax: RCPT TO:<address>");
    }
    if (!(await this.recipientRateOk())) return false;
    if (argv[2]!.error) return this.fail("501 5.1.3 Bad recipient address syntax");
    const rcpt = extractAddress(argv[2]!.text, { allowEmpty: false, strictRfc821: this.cfg.getBool("strict_rfc821_envelopes"), smtputf8: this.smtputf8 });
    if (rcpt === undefined) {
      if (!env.standalone) msgWarn(`Illegal address syntax from ${s.namaddr} in RCPT command: ${printableQ(argv[2]!.text)}`);
      await this.reply("501 5.1.3 Bad recipient address syntax");
      return false;
    }
    let notify = 0;
    let orcpt: string | undefined;
    for (const w of argv.slice(3)) {
      const arg = w.text;
      const u = arg.toUpperCase();
      if (u.startsWith("NOTIFY=")) {
        if (this.discardMask.has("DSN")) return this.fail("501 5.7.1 DSN support is disabled");
        const n = dsnNotifyMask(u.slice(7));
        if (notify !== 0 || n === 0) return this.fail("501 5.5.4 Error: Bad NOTIFY parameter syntax");
        notify = n;
      } else if (u.startsWith("ORCPT=")) {
        if (this.discardMask.has("DSN")) return this.fail("501 5.7.1 DSN support is disabled");
        const v = arg.slice(6);
        const semi = v.indexOf(";");
        const dec = semi > 0 ? xtextDecode(v.slice(semi + 1)) : undefined;
        if (orcpt !== undefined || semi <= 0 || dec === undefined) {
          return this.fail("501 5.5.4 Error: Bad ORCPT parameter syntax");
        }
        orcpt = `${v.slice(0, semi)};${dec}`;
      } else {
        await this.reply(`555 5.5.4 Unsupported option: ${arg}`);
        return false;
      }
    }
    if (this.rcptLimit > 0 && s.rcptCount >= this.rcptLimit) {
      await this.reply("452 4.5.3 Error: too many recipients");
      if (this.rcptOvershoot++ < this.overshootLimit) return true;
      return false;
    }
    if (!env.standalone && env.restrictions) {
      const err = await env.restrictions.checkRcpt(s, rcpt);
      if (err !== undefined) return this.fail(err);
    }
    // the queue file is opened only now that there is a valid recipient (smtpd_delay_open_until_valid_rcpt)
    if (!(await this.openMessage())) return false;
    // the filter has its say on each recipient, after this server's own checks
    if (this.proxy && !(await this.proxy.cmd(text, "2"))) return this.fail(this.proxy.reply);
    s.rcptCount++;
    if (s.recipient === undefined) s.recipient = rcpt;
    let raw = argv[2]!.text;
    if (raw.startsWith("<") && raw.endsWith(">")) raw = raw.slice(1, -1);
    this.recipients.push({ address: rcpt, notify, orcpt: orcpt ?? `rfc822;${raw}` });
    await this.reply("250 2.1.5 Ok");
    return true;
  }

  private async vrfy(argv: SmtpWord[]): Promise<boolean> {
    const s = this.s;
    if (this.cfg.getBool("disable_vrfy_command")) return this.fail("502 5.5.1 VRFY command is disabled");
    if (argv.length < 2) return this.fail(`501 5.5.4 Syntax: VRFY address${this.utf8 ? " [SMTPUTF8]" : ""}`);
    if (!(await this.recipientRateOk())) return false;
    const text = argv.length > 2 ? argv.slice(1).map((w) => w.text).join(" ") : argv[1]!.text;
    const addr = extractAddress(text, { allowEmpty: false, strictRfc821: false, smtputf8: this.smtputf8 });
    if (addr === undefined || argv[1]!.error) return this.fail("501 5.1.3 Bad recipient address syntax");
    if (!this.env.standalone && this.env.restrictions) {
      const err = await this.env.restrictions.checkRcpt(s, addr);
      if (err !== undefined) return this.fail(err);
    }
    await this.reply(`252 2.0.0 ${text}`);
    return true;
  }

  private async etrn(argv: SmtpWord[]): Promise<boolean> {
    const s = this.s;
    if (this.cfg.getBool("smtpd_helo_required") && s.heloName === undefined) {
      return this.fail("503 Error: send HELO/EHLO first");
    }
    if (this.inMail) return this.fail("503 Error: MAIL transaction in progress");
    if (argv.length !== 2) return this.fail("500 Syntax: ETRN domain");
    let domain = argv[1]!.text;
    if (domain.startsWith("@") || domain.startsWith("#")) domain = domain.slice(1);
    if (!isValidHostname(domain) && !isValidMailhostLiteral(domain)) {
      return this.fail("501 Error: invalid parameter syntax");
    }
    if (this.env.standalone) {
      msgWarn('do not use ETRN in "sendmail -bs" mode');
      await this.reply("458 Unable to queue messages");
      return false;
    }
    if (this.env.restrictions) {
      const err = await this.env.restrictions.checkEtrn(s, domain);
      if (err !== undefined) return this.fail(err);
    }
    // the fast flush service: only fast_flush_domains may be flushed; postkit has no per-site logs, so a
    // permitted ETRN asks the queue manager to retry the whole deferred queue now
    const list = await compileDomainList(this.cfg.get("fast_flush_domains"), "fast_flush_domains", this.cfg.get("parent_domain_matches_subdomains"));
    if (!list.matches(domain)) {
      msgWarn(`reject: ETRN ${domain.slice(0, 100)}... from ${s.namaddr}`);
      await this.reply(`459 <${domain}>: service unavailable`);
      return false;
    }
    const ok = await requestFlush(this.cfg.get("queue_directory"));
    if (!ok) msgWarn("unable to talk to fast flush service");
    await this.reply(ok ? "250 Queuing started" : "458 Unable to queue messages");
    return ok;
  }

  private async starttls(argv: SmtpWord[]): Promise<boolean> {
    const tls = this.env.tls;
    if (argv.length !== 1) return this.fail("501 5.5.4 Syntax: STARTTLS");
    if (this.inMail) return this.fail("503 5.5.1 Error: MAIL transaction in progress");
    if (this.tlsInfo) return this.fail("554 5.5.1 Error: TLS already active");
    if (!tls || this.discardMask.has("STARTTLS")) return this.fail("502 5.5.1 Error: command not implemented");
    // the new TLS session rate is only looked at before the handshake, and counted after it
    if (this.eventRate("newtls", "smtpd_client_new_tls_session_rate_limit", false) !== undefined) {
      msgWarn(`Refusing STARTTLS request from ${this.s.namaddr} for service ${this.env.service}`);
      return this.fail(`454 4.7.0 Error: too many new TLS sessions from ${this.s.namaddr}`);
    }
    await this.reply("220 2.0.0 Ready to start TLS");
    this.stream.flush();
    // CVE-2011-0411: plaintext pipelined after STARTTLS is discarded, never executed inside TLS
    this.stream.discardInput();
    const r = await tls.start(this.stream);
    if ("error" in r) {
      this.reason = undefined;
      msgInfo(`SSL_accept error from ${this.s.namaddr}: ${r.error}`);
      throw new QuitSession();
    }
    this.tlsInfo = r;
    this.s.tls = { protocol: r.protocol, cipher: r.cipher, bits: r.bits, peer: r.peer, digestCompat: tls.digestCompat };
    // postkit keeps no TLS session cache, so every handshake makes a new session
    const tlsRate = this.eventRate("newtls", "smtpd_client_new_tls_session_rate_limit");
    if (tlsRate !== undefined) {
      msgWarn(`New TLS session rate limit exceeded: ${tlsRate} from ${this.s.namaddr} for service ${this.env.service}`);
      await this.reply(`421 4.7.0 ${this.myhostname} Error: too many new TLS sessions from ${this.s.namaddr}`);
      throw new QuietEnd();
    }
    // smtpd_tls_req_ccert: the TLS session works, so the client hears why at its next command
    if (tls.requireCert && !r.peer?.trusted) {
      const why = r.peer ? "Client certificate not trusted" : "No client certificate presented";
      msgInfo(`NOQUEUE: abort: TLS from ${this.s.namaddr}: ${why}`);
      await this.stream.readLine(this.lineLimit);
      await this.reply(`421 4.7.1 ${this.myhostname} Error: ${why}`);
      throw new QuitSession();
    }
    // RFC 3207: forget everything learned from the client before the handshake
    this.heloReset();
    this.mailReset();
    this.s.protocol = "SMTP";
    // a new SASL server with smtpd_sasl_tls_security_options (the auth server's answers may depend on TLS too)
    if (this.env.sasl && !this.env.standalone) {
      if (this.saslServer) {
        this.saslLogout();
        this.saslDeactivate();
      }
      await this.saslActivate();
    }
    return true;
  }

  /**
   * Counts (or with `count` false, only looks at) an anvil event of the client; gives the rate when it is over
   * the limit parameter `param`, undefined otherwise and for clients Postfix leaves out: sendmail -bs,
   * smtpd_authorized_xclient_hosts, smtpd_client_event_limit_exceptions.
   */
  private eventRate(kind: "mail" | "rcpt" | "newtls", param: string, count = true): number | undefined {
    const env = this.env;
    const limit = this.cfg.getInt(param);
    if (env.standalone || this.xclientAllowed || !env.eventRate || limit <= 0) return undefined;
    const rate = env.eventRate(kind, this.s.name, this.s.addr, count);
    return rate !== undefined && rate > limit ? rate : undefined;
  }

  /** smtpd_client_recipient_rate_limit for RCPT and VRFY: false after the 450 reply. */
  private async recipientRateOk(): Promise<boolean> {
    const rate = this.eventRate("rcpt", "smtpd_client_recipient_rate_limit");
    if (rate === undefined) return true;
    msgWarn(`Recipient address rate limit exceeded: ${rate} from ${this.s.namaddr} for service ${this.env.service}`);
    await this.reply(`450 4.7.1 Error: too many recipients from ${this.s.addr}`);
    return false;
  }

  private async xclient(argv: SmtpWord[]): Promise<boolean> {
    const s = this.s;
    if (this.inMail) return this.fail("503 5.5.1 Error: MAIL transaction in progress");
    if (argv.length < 2) return this.fail("501 5.5.4 Syntax: XCLIENT attribute=value...");
    if (!this.xclientAllowed) return this.fail("550 5.7.0 Error: insufficient authorization");
    const upd: Record<string, string> = {};
    for (const w of argv.slice(1)) {
      const eq = w.text.indexOf("=");
      if (eq <= 0) return this.fail("501 5.5.4 Error: attribute=value expected");
      const name = w.text.slice(0, eq).toUpperCase();
      const raw = xtextDecode(w.text.slice(eq + 1));
      if (raw === undefined) return this.fail(`501 5.5.4 Bad ${name} syntax: ${w.text.slice(eq + 1)}`);
      if (raw.length > 255) return this.fail("501 5.5.4 Error: attribute value too long");
      if (!["NAME", "REVERSE_NAME", "ADDR", "PORT", "PROTO", "HELO", "LOGIN", "DESTADDR", "DESTPORT"].includes(name)) {
        return this.fail(`501 5.5.4 Bad XCLIENT attribute name: ${name}`);
      }
      upd[name] = raw;
    }
    const unavail = (v: string) => v.toUpperCase() === "[UNAVAILABLE]" || v.toUpperCase() === "[TEMPUNAVAIL]";
    if (upd.NAME !== undefined) {
      s.name = unavail(upd.NAME) ? "unknown" : upd.NAME;
      s.nameStatus = unavail(upd.NAME) ? (upd.NAME.toUpperCase() === "[TEMPUNAVAIL]" ? "temp" : "perm") : "ok";
    }
    if (upd.REVERSE_NAME !== undefined) {
      s.reverseName = unavail(upd.REVERSE_NAME) ? "unknown" : upd.REVERSE_NAME;
      s.reverseNameStatus = unavail(upd.REVERSE_NAME) ? "perm" : "ok";
    }
    if (upd.ADDR !== undefined) s.addr = unavail(upd.ADDR) ? "unknown" : upd.ADDR.replace(/^ipv6:/i, "");
    if (upd.PORT !== undefined) s.port = unavail(upd.PORT) ? "unknown" : upd.PORT;
    if (upd.HELO !== undefined) s.heloName = unavail(upd.HELO) ? undefined : neuter(upd.HELO);
    if (upd.PROTO !== undefined) s.protocol = upd.PROTO.toUpperCase() === "ESMTP" ? "ESMTP" : "SMTP";
    s.namaddr = `${s.name}[${s.addr}]`;
    // LOGIN=name: authenticated "by XCLIENT", SASL enabled or not; LOGIN=[UNAVAILABLE] or none: nobody
    const login = upd.LOGIN !== undefined && upd.LOGIN !== "[UNAVAILABLE]" ? upd.LOGIN : undefined;
    if (login === undefined) this.saslLogout();
    else {
      s.saslUsername = login;
      s.saslMethod = "XCLIENT";
    }
    if (this.saslServer) {
      this.saslDeactivate();
      await this.saslActivate();
      if (login !== undefined) {
        s.saslUsername = login;
        s.saslMethod = "XCLIENT";
      }
    }
    this.mailReset();
    this.xclientAllowed = false; // XCLIENT must not override its own access control
    this.xforwardAllowed = !!this.env.xforwardHosts?.matches(s.name, s.addr);
    await this.reply(`220 ${this.cfg.get("smtpd_banner")}`);
    return true;
  }

  private async xforwardCmd(argv: SmtpWord[]): Promise<boolean> {
    if (this.inMail) return this.fail("503 5.5.1 Error: MAIL transaction in progress");
    if (argv.length < 2) return this.fail("501 5.5.4 Syntax: XFORWARD attribute=value...");
    if (!this.xforwardAllowed) return this.fail("550 5.7.0 Error: insufficient authorization");
    for (const w of argv.slice(1)) {
      const eq = w.text.indexOf("=");
      if (eq <= 0) return this.fail("501 5.5.4 Error: attribute=value expected");
      const name = w.text.slice(0, eq).toUpperCase();
      const v = xtextDecode(w.text.slice(eq + 1));
      if (v === undefined) return this.fail(`501 5.5.4 Bad ${name} syntax: ${w.text.slice(eq + 1)}`);
      if (!["NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"].includes(name)) {
        return this.fail(`501 5.5.4 Bad XFORWARD attribute name: ${name}`);
      }
      this.xforward.set(name, v);
    }
    await this.reply("250 2.0.0 Ok");
    return true;
  }

  // --- message transfer --------------------------------------------------------------------------------------

  /** The Received: header lines (smtpd's common_pre_message_handling). */
  private receivedHeader(queueId: string | undefined): string[] {
    const s = this.s;
    const lines: string[] = [];
    const rfcAddr = s.addr.includes(":") ? `IPv6:${s.addr}` : s.addr;
    lines.push(`Received: from ${s.heloName ?? s.name} (${s.name} [${rfcAddr}])`);
    const t = this.tlsInfo;
    if (t && this.cfg.getBool("smtpd_tls_received_header")) {
      const more = [t.details, t.clientDetails].filter((d) => d);
      lines.push(`\t(using ${t.protocol} with cipher ${t.cipher} (${t.bits}/${t.algBits} bits)${more.length === 0 ? ")" : ""}`);
      more.forEach((d, i) => lines.push(`\t ${d}${i === more.length - 1 ? ")" : ""}`));
      if (t.peer) {
        const p = t.peer;
        lines.push(`\t(Client CN "${commentSanitize(p.cn)}", Issuer "${commentSanitize(p.issuerCn)}" (${p.trusted ? "verified OK" : "not verified"}))`);
      } else lines.push(this.cfg.getBool("smtpd_tls_ask_ccert") ? "\t(Client did not present a certificate)" : "\t(No client certificate requested)");
    }
    const proto = this.smtputf8 ? "UTF8SMTP" : s.protocol;
    const sess = t && s.protocol === "ESMTP" ? "S" : "";
    if (this.cfg.getBool("smtpd_sasl_authenticated_header") && s.saslUsername !== undefined) {
      lines.push(`\t(Authenticated sender: ${commentSanitize(s.saslUsername)})`);
    }
    // RFC 3848: ESMTPA, ESMTPSA
    const auth = s.saslUsername !== undefined && s.protocol === "ESMTP" ? "A" : "";
    const date = formatRfc2822Date(this.arrival);
    const id = queueId === undefined ? "" : ` id ${queueId}`;
    if (s.rcptCount === 1 && s.recipient !== undefined) {
      lines.push(`\tby ${this.myhostname} (${this.cfg.get("mail_name")}) with ${proto}${sess}${auth}${id}`);
      lines.push(`\tfor <${quoteLocalPart(s.recipient)}>; ${date}`);
    } else {
      lines.push(`\tby ${this.myhostname} (${this.cfg.get("mail_name")}) with ${proto}${sess}${auth}${id};`);
      lines.push(`\t${date}`);
    }
    return lines;
  }

  /** The address rewriting context of the client's mail (local_header_rewrite_clients). */
  private rewriteContext(): "local" | "remote" {
    const s = this.s;
    let local = false;
    try {
      local = this.env.restrictions?.inMynetworks(s.name, s.addr) === true && this.cfg.get("local_header_rewrite_clients").includes("permit_mynetworks");
    } catch {
      local = false;
    }
    if (!local && this.cfg.get("local_header_rewrite_clients").includes("permit_inet_interfaces")) {
      local = interfaceAddressList(this.cfg.get("inet_interfaces")).includes(s.addr.toLowerCase());
    }
    // permit_sasl_authenticated: an authenticated client (not anonymous) while SASL is active
    if (!local && s.saslActive && s.saslMethod !== undefined && s.saslMethod.toLowerCase() !== "anonymous") {
      local = this.cfg.getList("local_header_rewrite_clients").some((w) => w.toLowerCase() === "permit_sasl_authenticated");
    }
    return local ? "local" : "remote";
  }

  private messageRequest(content: AsyncIterable<Uint8Array>): MessageRequest {
    const s = this.s;
    // Postfix's smtpd: ENVID and RET before the sender, the encoding and the client's attributes after it
    // (sendmail -bs's sink takes them all as one set)
    const attrs = new Map<string, string>();
    if (!this.env.standalone) {
      // Postfix's smtpd: the SASL facts right after the rewrite context (cleanup writes that first)
      if (s.saslMethod !== undefined) attrs.set("sasl_method", s.saslMethod);
      if (s.saslUsername !== undefined) attrs.set("sasl_username", s.saslUsername);
      if (s.saslSender !== undefined) attrs.set("sasl_sender", s.saslSender);
    }
    if (this.dsnEnvid !== undefined) attrs.set(ATTR.DSN_ENVID, this.dsnEnvid);
    if (this.dsnRet) attrs.set(ATTR.DSN_RET, String(this.dsnRet));
    const after = this.env.standalone ? attrs : new Map<string, string>();
    const xf = this.xforward;
    if (this.encoding) after.set(ATTR.ENCODING, this.encoding);
    after.set(ATTR.LOG_CLIENT_NAME, xf.get("NAME") ?? s.name);
    after.set(ATTR.LOG_CLIENT_ADDR, (xf.get("ADDR") ?? s.addr).replace(/^ipv6:/i, ""));
    after.set(ATTR.LOG_CLIENT_PORT, xf.get("PORT") ?? s.port);
    after.set(ATTR.LOG_ORIGIN, s.namaddr);
    const helo = xf.get("HELO") ?? s.heloName;
    if (helo !== undefined) after.set(ATTR.LOG_HELO_NAME, helo);
    after.set(ATTR.LOG_PROTO_NAME, xf.get("PROTO") ?? s.protocol);
    if (!this.env.standalone) {
      // the client as this server saw it (XCLIENT included), as Postfix records it for later stages
      after.set("client_name", s.name);
      after.set("reverse_client_name", s.reverseName);
      after.set("client_address", s.addr);
      after.set("client_port", s.port);
      if (s.serverAddr !== undefined) after.set("server_address", s.serverAddr);
      if (s.serverPort !== undefined) after.set("server_port", s.serverPort);
      if (s.heloName !== undefined) after.set("helo_name", s.heloName);
      after.set("protocol_name", s.protocol);
      after.set("client_address_type", s.addr.includes(":") ? "10" : "2"); // AF_INET6 : AF_INET (Linux values)
    }
    let recipients = this.recipients;
    if (s.saved.redirect) recipients = [{ address: s.saved.redirect, origAddress: recipients[0]?.address, notify: 0, orcpt: recipients[0]?.orcpt }];
    recipients = [...recipients, ...s.saved.bcc.map((b) => ({ address: b, notify: DSN_NOTIFY.NEVER, orcpt: "" }))];
    const prepend = [...s.saved.prepend];
    const local = this.rewriteContext() === "local";
    return {
      ...(this.opened ? { opened: this.opened } : {}),
      sender: s.sender ?? "",
      recipients,
      attributes: attrs,
      ...(this.env.standalone ? {} : { senderAttributes: after }),
      content,
      prepend: (qid) => [...prepend, ...this.receivedHeader(qid)],
      onQueueId: (qid) => {
        if (s.queueId === qid) return; // logged when the file was opened
        s.queueId = qid;
        msgInfo(`${qid}: ${this.clientLog()}`);
      },
      context: local ? "local" : "remote",
      arrival: this.arrival,
      // the transaction's actions as they stand when the sink reads them (end-of-data restrictions run last)
      get filter() {
        return s.saved.filter;
      },
      get hold() {
        return s.saved.hold;
      },
      get discard() {
        return s.discard;
      },
    };
  }

  /** Turns a sink refusal into the reply; logs nothing (cleanup or the sink did). */
  private refusalReply(r: SinkRefusal): string {
    return r.verbatim ? `${r.code} ${r.dsn} ${r.text}` : `${r.code} ${r.dsn} Error: ${r.text}`;
  }

  private async data(argv: SmtpWord[], text: string): Promise<boolean> {
    const s = this.s;
    const env = this.env;
    if (this.bdatState !== "none") return this.fail("503 5.5.1 Error: DATA after BDAT");
    if (s.rcptCount === 0) {
      return this.fail(this.inMail ? "554 5.5.1 Error: no valid recipients" : "503 5.5.1 Error: need RCPT command");
    }
    if (argv.length !== 1) return this.fail("501 5.5.4 Syntax: DATA");
    if (!env.standalone && env.restrictions) {
      const err = await env.restrictions.checkData(s);
      if (err !== undefined) return this.fail(err);
    }
    if (this.proxy && !(await this.proxy.cmd(text, "3"))) return this.fail(this.proxy.reply);
    await this.reply("354 End data with <CR><LF>.<CR><LF>");
    s.where = "DATA content";
    this.actSize = 0;
    const state = { ended: false, sizeExceeded: false, bareLfReject: false, draining: false, ioError: undefined as unknown };
    const self = this;
    const gen = async function* (): AsyncGenerator<Uint8Array> {
      let prevComplete = true;
      let prevBareLf = false;
      let first = true;
      let parts: Buffer[] = [];
      let partBytes = 0;
      const detect = self.detectBareLf;
      const limit = self.sizeLimit;
      for (;;) {
        let line;
        try {
          line = await self.stream.readLine(self.lineLimit);
        } catch (e) {
          state.ioError = e;
          throw new TransferAbort(undefined, e);
        }
        if (self.forbidBareLf === "reject" && detect && line.bareLf) state.bareLfReject = true;
        let data = line.data;
        if (first) {
          first = false;
          const t = data.toString("latin1");
          if (/^>*From /.test(t)) {
            data = Buffer.from(`X-Mailbox-Line: ${t}`, "latin1");
          } else if (data.length > 0 && (data[0] === 32 || data[0] === 9)) {
            parts.push(Buffer.from("\n"));
            partBytes += 1;
          }
        }
        if (prevComplete && data.length > 0 && data[0] === 46) {
          if (data.length === 1 && detect && (line.bareLf || prevBareLf)) {
            // a bare-LF "." never ends the message (SMTP smuggling); it is not content either
            prevBareLf = line.bareLf;
            prevComplete = line.complete;
            continue;
          }
          data = data.subarray(1);
          if (data.length === 0 && line.complete) break;
        }
        prevBareLf = line.bareLf;
        if (!state.sizeExceeded) {
          if (limit > 0 && limit - self.actSize < data.length + 2) {
            state.sizeExceeded = true;
            msgWarn(`${s.queueId ?? "NOQUEUE"}: queue file size limit exceeded`);
          } else {
            self.actSize += data.length + 2;
            parts.push(data);
            partBytes += data.length;
            if (line.complete) {
              parts.push(NL);
              partBytes++;
            }
          }
        }
        prevComplete = line.complete;
        if (partBytes >= 65536 || (self.stream.pending() === 0 && partBytes > 0)) {
          const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts, partBytes);
          parts = [];
          partBytes = 0;
          if (!state.sizeExceeded && !state.bareLfReject && !state.draining) yield out;
        }
      }
      state.ended = true;
      s.where = "END-OF-MESSAGE";
      if (state.draining) return;
      if (state.sizeExceeded) throw new TransferAbort(SIZE_EXCEEDED);
      if (state.bareLfReject) throw new TransferAbort("bare");
      if (partBytes > 0) yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, partBytes);
      if (!env.standalone && env.restrictions) {
        const err = await env.restrictions.checkEod(s);
        if (err !== undefined) throw new TransferAbort(err);
      }
    };
    return this.transfer(gen(), state, async () => {
      // drain the rest of the message after an early refusal, so the conversation stays in step
      if (state.ended || state.ioError) return;
      state.draining = true;
      const it = gen();
      try {
        for (;;) {
          const r = await it.next();
          if (r.done) break;
        }
      } catch (e) {
        if (!(e instanceof TransferAbort)) throw e;
      }
    });
  }

  /** Hands the content to the sink and answers; shared by DATA and the last BDAT. */
  private async transfer(
    content: AsyncIterable<Uint8Array>,
    state: { ended: boolean; ioError: unknown; bareLfReject: boolean },
    drain: () => Promise<void>,
    bdatSize?: number,
  ): Promise<boolean> {
    const s = this.s;
    let result: { queueId: string } | { refused: SinkRefusal } | { proxied: string; ok: boolean } | undefined;
    let abort: TransferAbort | undefined;
    const content2 = (async function* () {
      try {
        for await (const c of content) yield c;
      } catch (e) {
        if (e instanceof TransferAbort) abort = e;
        throw e;
      }
    })();
    try {
      result = this.proxy ? await this.proxyDeliver(content2) : await this.env.sink.deliver(this.messageRequest(content2));
    } catch (e) {
      if (!abort) {
        msgWarn(`${s.queueId ?? "NOQUEUE"}: ${(e as Error).message}`);
        result = { refused: { code: 451, dsn: "4.3.0", text: "queue file write error" } };
      }
    }
    if (abort?.cause2 !== undefined || state.ioError !== undefined) throw (abort?.cause2 ?? state.ioError);
    if (!state.ended) await drain();
    if (state.ioError !== undefined) throw state.ioError;
    s.where = bdatSize === undefined ? "END-OF-MESSAGE" : "END-OF-MESSAGE";
    let ok = false;
    if (abort) {
      if (abort.reply === "bare") {
        this.logWhatsupLocal("reject", "bare <LF> received");
        await this.reply(`${this.cfg.getInt("smtpd_forbid_bare_newline_reject_code")} 5.5.2 ${this.myhostname} Error: bare <LF> received`);
      } else await this.reply(abort.reply ?? "451 4.3.0 Error: queue file write error");
      // a message cut short (too big, bare LF) never got its `.` to the filter; Postfix still logs the
      // proxy-reject line, with the filter's last reply (to DATA)
      if (this.proxy && (abort.reply === "bare" || abort.reply === SIZE_EXCEEDED)) this.logProxy(false, this.proxy.reply);
    } else if (result && "proxied" in result) {
      ok = result.ok;
      if (ok) {
        this.errorCount = 0;
        this.junkCmds = 0;
      }
      await this.reply(result.proxied);
      this.logProxy(ok, result.proxied);
    } else if (result && "queueId" in result) {
      this.errorCount = 0;
      this.junkCmds = 0;
      ok = true;
      await this.reply(bdatSize === undefined ? `250 2.0.0 Ok: queued as ${result.queueId}` : `250 2.0.0 Ok: ${bdatSize} bytes queued as ${result.queueId}`);
      this.env.onQueued?.(result.queueId);
    } else if (result) {
      await this.reply(this.refusalReply(result.refused));
    }
    this.mailReset();
    return ok;
  }

  /** Ends an unfinished BDAT transfer without queueing anything (RSET, error, disconnect). */
  private abortBdat(): void {
    if (this.bdat) {
      const b = this.bdat;
      this.bdat = undefined;
      b.push("abort");
      void b.done;
    }
  }

  private async skipBdat(size: number, last: boolean, reply: string): Promise<boolean> {
    await this.stream.readExact(size, () => {});
    await this.reply(reply);
    if (last) this.mailReset();
    else this.bdatState = "error";
    return false;
  }

  private async bdatCmd(argv: SmtpWord[], text: string): Promise<boolean> {
    const s = this.s;
    const env = this.env;
    if (this.discardMask.has("CHUNKING")) return this.fail("521 5.5.1 Error: command not implemented");
    const last = argv.length === 3;
    if (argv.length < 2 || argv.length > 3 || !/^\d+$/.test(argv[1]!.text) || !Number.isSafeInteger(Number(argv[1]!.text)) || (last && argv[2]!.text.toUpperCase() !== "LAST")) {
      msgWarn(`${s.queueId ?? "NOQUEUE"}: malformed BDAT command syntax from ${s.namaddr}: ${printableQ(text.slice(0, 100))}`);
      await this.reply("521 5.5.4 Syntax: BDAT count [LAST]");
      return false;
    }
    const size = Number(argv[1]!.text);
    if (size === 0 && !last) {
      msgWarn(`${s.queueId ?? "NOQUEUE"}: null BDAT request from ${s.namaddr}`);
      return this.skipBdat(size, last, "551 5.7.1 Null BDAT request");
    }
    if (this.bdatState === "error") return this.skipBdat(size, last, `551 5.0.0 Discarded ${size} bytes after earlier error`);
    if (this.bdatState === "none") {
      if (s.rcptCount === 0) return this.skipBdat(size, last, this.inMail ? "554 5.5.1 Error: no valid recipients" : "503 5.5.1 Error: need RCPT command");
      if (!env.standalone && env.restrictions) {
        const err = await env.restrictions.checkData(s);
        if (err !== undefined) return this.skipBdat(size, last, err);
      }
      if (this.proxy && !(await this.proxy.cmd("DATA", "3"))) return this.skipBdat(size, last, this.proxy.reply);
    }
    if (this.sizeLimit > 0 && this.actSize > this.sizeLimit - size) {
      msgWarn(`${s.queueId ?? "NOQUEUE"}: BDAT request from ${s.namaddr} exceeds message size limit`);
      this.abortBdat();
      return this.skipBdat(size, last, "552 5.3.4 Chunk exceeds message size limit");
    }
    if (this.bdatState === "none") this.startBdat();
    this.bdatState = "ok";
    s.where = "BDAT content";
    const b = this.bdat!;
    await this.stream.readExact(size, (chunk) => b.push(Buffer.from(chunk)));
    this.actSize += size;
    if (!last) {
      await this.reply(`250 2.0.0 Ok: ${size} bytes`);
      return true;
    }
    b.push(null);
    this.bdat = undefined;
    const r = await b.done;
    s.where = "END-OF-MESSAGE";
    let ok = false;
    if ("failed" in r) {
      const e = r.failed;
      await this.reply(e instanceof TransferAbort && e.reply ? e.reply : "451 4.3.0 Error: queue file write error");
    } else if ("proxied" in r) {
      ok = r.ok;
      if (ok) {
        this.errorCount = 0;
        this.junkCmds = 0;
      }
      await this.reply(r.proxied);
      this.logProxy(ok, r.proxied);
    } else if ("queueId" in r) {
      this.errorCount = 0;
      this.junkCmds = 0;
      ok = true;
      await this.reply(`250 2.0.0 Ok: ${this.actSize} bytes queued as ${r.queueId}`);
      this.env.onQueued?.(r.queueId);
    } else await this.reply(this.refusalReply(r.refused));
    this.mailReset();
    return ok;
  }

  /** Starts the sink on a channel fed by the BDAT chunks (CRLF turned into LF across chunk boundaries). */
  private startBdat(): void {
    const s = this.s;
    const queue: (Buffer | null | "abort")[] = [];
    let wake: (() => void) | undefined;
    const self = this;
    const content = (async function* (): AsyncGenerator<Uint8Array> {
      let cr = false;
      for (;;) {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        const b = queue.shift()!;
        if (b === "abort") throw new TransferAbort(undefined);
        if (b === null) break;
        let t = b.toString("latin1");
        if (cr) {
          t = `\r${t}`;
          cr = false;
        }
        if (t.endsWith("\r")) {
          t = t.slice(0, -1);
          cr = true;
        }
        const out = t.replace(/\r\n/g, "\n");
        if (out.length > 0) yield Buffer.from(out, "latin1");
      }
      if (cr) yield Buffer.from("\r", "latin1");
      if (!self.env.standalone && self.env.restrictions) {
        s.where = "END-OF-MESSAGE";
        const err = await self.env.restrictions.checkEod(s);
        if (err !== undefined) throw new TransferAbort(err);
      }
    })();
    let abort: unknown;
    const content2 = (async function* () {
      try {
        for await (const c of content) yield c;
      } catch (e) {
        abort = e;
        throw e;
      }
    })();
    const done = (async () => {
      try {
        const r = this.proxy ? await this.proxyDeliver(content2) : await this.env.sink.deliver(this.messageRequest(content2));
        return abort !== undefined ? { failed: abort } : r;
      } catch (e) {
        return { failed: abort ?? e };
      }
    })();
    this.bdat = {
      push: (b) => {
        queue.push(b);
        const w = wake;
        wake = undefined;
        w?.();
      },
      done,
    };
  }
}

const NL = Buffer.from("\n");

/** dsn_notify_mask(): NEVER, or a comma list of SUCCESS, FAILURE, DELAY; 0 when malformed. */
function dsnNotifyMask(v: string): number {
  let mask = 0;
  for (const w of v.split(",")) {
    if (w === "NEVER") mask |= DSN_NOTIFY.NEVER;
    else if (w === "SUCCESS") mask |= DSN_NOTIFY.SUCCESS;
    else if (w === "FAILURE") mask |= DSN_NOTIFY.FAILURE;
    else if (w === "DELAY") mask |= DSN_NOTIFY.DELAY;
    else return 0;
  }
  if ((mask & DSN_NOTIFY.NEVER) && mask !== DSN_NOTIFY.NEVER) return 0;
  return mask;
}

/** UTF-8 validity of a command line (Postfix's valid_utf8_string). */
function isValidUtf8(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i]! >= 0x80) return tryDecode(b);
  return true;
}

function tryDecode(b: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}
