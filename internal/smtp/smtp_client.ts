/**
 * smtp_client — the SMTP and LMTP delivery engine behind the smtp, relay and lmtp transports (Postfix's smtp(8) and
 * lmtp(8)): one call per delivery request, one RecipientResult per recipient, and Postfix's log line per recipient.
 *
 * Per request (Postfix's smtp_connect.c):
 * - The next hop is a list of destinations (then smtp_fallback_relay). For each: find the server addresses
 *   (server_addresses.ts), reuse an idle connection to it if there is one (session_cache.ts, checked with RSET),
 *   else connect to the addresses in order, at most smtp_mx_address_limit addresses and smtp_mx_session_limit
 *   sessions. A connection failure, a 4xx greeting or HELO, a TLS failure or any temporary error before the last
 *   server moves the recipients it concerns on to the next server (logging `QID: reason`); the last server's
 *   result is final. Recipients left over get the last reason (or `server unavailable or unable to receive mail`);
 *   a permanent failure to reach relayhost or a fallback relay is made temporary (4.3.5, `relayhost configuration
 *   problem`).
 * - LMTP: `unix:/path` (host name $myhostname, relay=`HOST[/path]`) or `inet:host:port`/`host:port` (no MX).
 * Per session (smtp_proto.c): greeting; EHLO, falling back to HELO (LHLO for LMTP); STARTTLS per
 * smtp_tls_security_level, or the destination's smtp_tls_policy_maps entry (tls_policy.ts: looked up once per
 * destination as written; its level, match=, servername= and protocols= replace the main.cf settings; an
 * invalid entry or a failing table skips every server of that destination with `warning: TLS policy lookup for
 * DEST/HOST: client TLS configuration problem`, and the mail is deferred with 4.7.5 `client TLS configuration
 * problem`) (then EHLO again: only its reply counts); EHLO keywords the client ignores (config/ehlo_mask.ts):
 * the server IP address's smtp_discard_ehlo_keyword_address_maps entry (lmtp_discard_lhlo_keyword_address_maps),
 * else smtp_discard_ehlo_keywords (lmtp_discard_lhlo_keywords), logged `discarding EHLO keywords: K1 K2` at each
 * EHLO/LHLO reply (not with silent-discard); a failing table: `warning: QID: PARAM map lookup error for ADDR`, and
 * the mail is deferred with 4.3.0 `local data error while talking to H[A]`; SMTP AUTH (below); MAIL FROM (SIZE, BODY,
 * ENVID, RET; AUTH=<> with smtp_send_dummy_mail_auth), RCPT TO (NOTIFY, ORCPT), DATA — pipelined when the
 * server offers PIPELINING — the message (data_encoder.ts), `.`; then the connection is kept for reuse
 * (smtp_connection_cache_on_demand) or closed with QUIT. 2xx: sent; 4xx: deferred; 5xx: bounced (deferred with
 * soft_bounce); reason texts as Postfix: `host H[A] said: 550 5.1.1 … (in reply to RCPT TO command)`,
 * `host H[A] refused to talk to me: …`, `lost connection with H[A] while …`, `conversation with H[A] timed out
 * while …`, `connect to H[A]:P: Connection refused`.
 * SMTP AUTH (smtp_sasl_auth_enable; sasl_auth.ts, sasl_mechanisms.ts): after the last EHLO — in the TLS session
 * when STARTTLS was done, never before it — when the server offers AUTH (or AUTH=) and smtp_sasl_password_maps
 * has a password for the sender (smtp_sender_dependent_authentication), the server's host name or the next-hop
 * destination as written. No password: the mail goes without AUTH. PLAIN, LOGIN or CRAM-MD5, chosen as Cyrus SASL
 * does under smtp_sasl_security_options (smtp_sasl_tls_security_options in TLS, the _verified_ variant when the
 * certificate was verified). A failure ends the session like any other (the next server gets the recipients when
 * the reason is 4xx): `SASL authentication failed; server H[A] said: 535 5.7.8 …` (4.7.8 with
 * smtp_sasl_auth_soft_bounce), `SASL authentication failed; cannot authenticate to server H[A]: no mechanism
 * available`, `local data error while talking to H[A]` when the table fails. Success logs nothing. With
 * credentials, a TLS handshake failure at level may is not retried in plaintext.
 * Outgoing rewriting (smtp_content.ts): smtp_generic_maps maps MAIL FROM / RCPT TO and the message's address
 * headers, and smtp_header_checks / smtp_body_checks change the content, before MAIL FROM (a table that fails
 * defers the message: `local data error while talking to H[A]`). 8-bit downgrade, as Postfix: a server that
 * does not announce 8BITMIME (nor SMTPUTF8) gets the MIME parts declared 8bit or binary as quoted-printable
 * (internal/message/mime_downgrade.ts) and MAIL FROM without SIZE, unless disable_mime_output_conversion = yes
 * or the message is marked 7bit; more MIME nesting than mime_nesting_limit then bounces the message (5.6.0
 * `MIME nesting exceeds safety limit`) before MAIL FROM, where Postfix finds it while sending and drops the
 * connection.
 * Connection reuse: every session that ends a transaction cleanly and is not TLS is filed in the process's
 * session cache, whether or not more mail is waiting (Postfix asks for that only when the queue manager sees a
 * backlog; an idle session costs the server a connection for smtp_connection_cache_time_limit at most). A
 * destination whose TLS policy requires TLS (or is invalid) never takes a cached session. With
 * smtp_sasl_password_maps set, the cache labels also hold the destination and server name, and the sender with
 * smtp_sender_dependent_authentication (Postfix's smtp_key.c), so a logged-in session serves only the same ones.
 *
 * Contract: deliver() never throws: an unexpected error defers the recipients not yet decided. It reads the queue
 * file under a shared lock and never changes it.
 */
import { isIP } from "node:net";
import { loggedStatus, verifyOnly, type DeliveryReply, type DeliveryRequest, type RecipientResult, type AgentRecipient } from "../daemon/agent_protocol.ts";
import { logRecipient } from "../log/events.ts";
import { filterDeliveryStatus } from "../dsn/dsn_filter.ts";
import { msgInfo, msgWarn } from "../log/msg.ts";
import { openQueueFile, layoutPath, DSN_NOTIFY, DSN_RET, type QueueFile, type QueueLayout } from "../queue/index.ts";
import { quoteLocalPart, quoteLocalPart821 } from "../address/index.ts";
import type { StubResolver } from "../dns/index.ts";
import { openConnection, ConnectError, SmtpIoError, type SmtpConnection, type Endpoint } from "./connection.ts";
import { replyOneLine, type SmtpReply } from "./reply.ts";
import { parseDestination, splitDestinations, NexthopError } from "./nexthop.ts";
import { ServerAddressFinder, type ServerAddress, type Why } from "./server_addresses.ts";
import { SessionCache, type CachedSession } from "./session_cache.ts";
import { DataEncoder } from "./data_encoder.ts";
import { ContentLookupError, MimeDowngradeError, type OutgoingContent } from "./smtp_content.ts";
import type { SmtpSettings, TlsLevel } from "./settings.ts";
import { MapError, openMapOrSurrogate, type LookupTable } from "../maps/index.ts";
import { ehloDiscardLogText, parseEhloMask } from "../config/ehlo_mask.ts";
import { addAuthLine, lookupSaslPassword, openSaslTables, saslAuthenticate, type SaslCredentials, type SaslTables } from "./sasl_auth.ts";
import { certificateStatus, tlsClientOptions, tlsMustMatch, tlsRequired, tlsSummary, type TlsContext } from "./tls_client.ts";
import { lookupTlsPolicy, siteTlsPolicy, tlsProtocolRange, type SiteTls } from "./tls_policy.ts";
import type { TableList } from "../resolve/mail_addr_find.ts";

/** One connection to a server, with what its EHLO said. */
class Session implements CachedSession {
  esmtp = false;
  pipelining = false;
  size = false;
  sizeLimit = 0;
  eightBitMime = false;
  dsn = false;
  startTls = false;
  smtputf8 = false;
  tls = false;
  /** The server's certificate matched (verify/secure, or fingerprint): smtp_sasl_tls_verified_security_options apply. */
  tlsVerified = false;
  /** The server offered AUTH (Postfix's SMTP_FEATURE_AUTH): cleared when there is no password for it. */
  auth = false;
  /** The AUTH mechanisms left after smtp_sasl_mechanism_filter; undefined when none. */
  saslMechanisms: string | undefined;
  /** The destination (as written in the next hop) this session was opened for: a password lookup key. */
  dest = "";
  /** Times this session was taken from the cache. */
  reuseCount = 0;
  /** Set by protocol errors and failures: never put back in the cache. */
  dontCache = false;
  /** TLS handshake failed at level may: try the same server again without TLS. */
  retryPlain = false;
  bestMx = false;
  readonly opened = Date.now();
  destLabel: string | undefined;
  readonly namaddr: string;
  readonly namaddrport: string;

  constructor(
    readonly conn: SmtpConnection,
    readonly host: string,
    readonly address: string,
    readonly port: number,
    readonly endpointLabel: string,
    private readonly quitTimeoutMs: number,
  ) {
    this.namaddr = `${host}[${address}]`;
    this.namaddrport = port ? `${this.namaddr}:${port}` : this.namaddr;
  }

  quit(): void {
    if (this.conn.isClosed()) return;
    this.conn.write("QUIT\r\n", this.quitTimeoutMs).then(
      () => this.conn.end(),
      () => this.conn.destroy(),
    );
  }
}

type Mark = "none" | "keep" | "drop";

interface RcptState {
  r: AgentRecipient;
  mark: Mark;
}

/** Everything about one delivery request while it is being worked on. */
interface State {
  /** The content as smtp_content.ts rewrote it, made once per request (undefined: not yet, or nothing to do). */
  rewritten?: Uint8Array[];
  /** The same with 8-bit MIME downgraded, for servers without 8BITMIME (made once per request, when needed). */
  downgraded?: Uint8Array[];
  /** What the current transaction sends: one of the two above, or undefined for the queue file's content. */
  sending?: Uint8Array[];
  req: DeliveryRequest;
  handoff: number;
  rcpts: RcptState[];
  results: RecipientResult[];
  why: Why;
  connected: number | undefined;
  done: number | undefined;
  finalServer: boolean;
  file: QueueFile;
  encoding: string;
  session: Session | undefined;
  /** The current destination's text (for the session cache's next-hop label), when caching applies. */
  destLabel: string | undefined;
  /** A session ended its transaction normally (Postfix: "complete session"). */
  completeSession: boolean;
  /** The current destination's TLS settings (smtp_tls_security_level, or its smtp_tls_policy_maps entry). */
  tls: SiteTls;
  /** The first failure that deferred recipients for the whole site (Postfix's hop status), for the queue manager. */
  siteFail?: Why;
}

/** What the engine is made of. */
export interface SmtpClientParts {
  settings: SmtpSettings;
  dns: StubResolver;
  layout: QueueLayout;
  /** The master.cf service name (smtp, relay, lmtp …): part of the cache keys. */
  service: string;
  tlsContext: TlsContext;
  /** smtp_generic_maps, the smtp_*_checks and the 8-bit downgrade (smtp_content.ts); absent: content untouched. */
  content?: OutgoingContent;
}

const XFER_STATES = {
  mail: "sending MAIL FROM",
  rcpt: "sending RCPT TO",
  data: "sending DATA command",
  dot: "sending end of data -- message may be sent more than once",
  body: "sending message body",
} as const;

const XFER_REQUEST = {
  mail: "MAIL FROM command",
  rcpt: "RCPT TO command",
  data: "DATA command",
  dot: "end of DATA command",
} as const;

/** xtext (RFC 3461) of a string, also encoding the characters in `special`. */
export function xtext(value: string, special = "+="): string {
  let out = "";
  for (const b of Buffer.from(value, "utf8")) {
    const c = String.fromCharCode(b);
    if (b > 32 && b < 127 && c !== "+" && c !== "=" && !special.includes(c)) out += c;
    else out += `+${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** NOTIFY= value of DSN notify bits, as Postfix's dsn_notify_str(). */
export function notifyText(bits: number): string {
  if (bits & DSN_NOTIFY.NEVER) return "NEVER";
  const out: string[] = [];
  if (bits & DSN_NOTIFY.SUCCESS) out.push("SUCCESS");
  if (bits & DSN_NOTIFY.FAILURE) out.push("FAILURE");
  if (bits & DSN_NOTIFY.DELAY) out.push("DELAY");
  return out.join(",");
}

/** The delivery engine of one agent process. */
export class SmtpClient {
  private readonly s: SmtpSettings;
  private readonly cache = new SessionCache<Session>();
  private readonly finder: ServerAddressFinder;
  private saslTables: Promise<SaslTables> | undefined;
  private policyTables: Promise<TableList> | undefined;
  private ehloDiscardTables: Promise<LookupTable[]> | undefined;

  constructor(private readonly parts: SmtpClientParts) {
    this.s = parts.settings;
    this.finder = new ServerAddressFinder(parts.dns, parts.settings.addresses);
  }

  /** Closes idle connections (QUIT). */
  close(): void {
    this.cache.closeAll();
  }

  /** Idle connections kept for reuse. */
  idleSessions(): number {
    return this.cache.size();
  }

  /** Delivers one request; see the header. */
  async deliver(req: DeliveryRequest): Promise<DeliveryReply> {
    const handoff = Date.now();
    let file: QueueFile;
    try {
      file = openQueueFile(layoutPath(this.parts.layout, req.queueName, req.queueId), { lock: "shared" });
    } catch (e) {
      msgWarn(`${req.queueId}: cannot open queue file: ${(e as Error).message}`);
      return {
        results: req.recipients.map((r) => ({ offset: r.offset, status: "deferred" as const, dsn: "4.3.0", reason: "mail system configuration error", relay: "none" })),
      };
    }
    const st: State = {
      req, handoff, file, results: [], why: { dsn: "", reason: "" }, connected: undefined, done: undefined, finalServer: false,
      rcpts: req.recipients.map((r) => ({ r, mark: "none" as Mark })), encoding: "", session: undefined, destLabel: undefined, completeSession: false,
      tls: { level: this.s.tls.level },
    };
    try {
      st.encoding = file.envelope().attributes.get("encoding") ?? "";
      if (this.s.lmtp && req.nexthop.startsWith("unix:")) await this.connectLocal(st, req.nexthop.slice(5));
      else await this.connectInet(st, this.s.lmtp && req.nexthop.startsWith("inet:") ? req.nexthop.slice(5) : req.nexthop);
      if (this.left(st) > 0) {
        if (!st.why.dsn) st.why = { dsn: "4.3.0", reason: "server unavailable or unable to receive mail" };
        st.finalServer = true;
        st.session = undefined;
        this.bulkFail(st, st.why.dsn, st.why.reason, { throttle: true }); // smtp_site_fail()
      }
    } catch (e) {
      msgWarn(`${req.queueId}: ${this.s.prefix} delivery error: ${(e as Error).stack ?? e}`);
      st.session?.conn.destroy();
      st.session = undefined;
      st.finalServer = true;
      this.bulkFail(st, "4.3.0", `delivery temporarily suspended: ${(e as Error).message}`, {});
    } finally {
      file.close();
    }
    return st.siteFail ? { results: st.results, siteFailure: st.siteFail } : { results: st.results };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Recipient bookkeeping (smtp_trouble.c, smtp_rcpt.c)

  private left(st: State): number {
    return st.rcpts.filter((x) => x.mark !== "drop").length;
  }

  /** Records and logs one recipient's result; returns the status recorded (after the filter and soft_bounce). */
  private record(st: State, x: RcptState, status: RecipientResult["status"], dsn: string, reason: string, success?: Pick<RecipientResult, "action" | "notifyPassed">): RecipientResult["status"] {
    // smtp_delivery_status_filter first, then soft_bounce, as Postfix's bounce_append()
    ({ status, dsn, reason } = filterDeliveryStatus({ status, dsn, reason }));
    if (status === "bounced" && this.s.softBounce) {
      status = "deferred";
      dsn = `4${dsn.slice(1)}`;
    }
    const relay = st.session ? st.session.namaddrport : "none";
    st.results.push({ offset: x.r.offset, status, dsn, reason, relay, ...(status === "sent" ? success : undefined) });
    x.mark = "drop";
    logRecipient({
      queueId: st.req.queueId, to: x.r.address, origTo: x.r.origAddress, relay,
      connUse: st.session && st.session.reuseCount > 0 ? st.session.reuseCount + 1 : undefined,
      times: { arrival: st.req.arrival, active: st.req.active, handoff: st.handoff, connected: st.connected, done: st.done },
      dsn, status: loggedStatus(status, verifyOnly(st.req)), reason,
    });
    return status;
  }

  /** A server reply made into a failure: Postfix's "Protocol error" for a reply that is not 4xx/5xx. */
  private fromReply(st: State, reply: SmtpReply, reason: string): { dsn: string; reason: string } {
    if (reply.code < 400 || reply.code > 599 || reply.code === 555 || (reply.code >= 500 && reply.code < 510)) {
      if (st.session) st.session.dontCache = true;
    }
    if (!"45".includes(reply.dsn[0]!)) return { dsn: "5.5.0", reason: `Protocol error: ${reason}` };
    return { dsn: reply.dsn, reason };
  }

  /** smtp_bulk_fail(): skip the server (soft, not final), or defer/bounce every recipient still open. */
  private bulkFail(st: State, dsn: string, reason: string, flags: { throttle?: boolean; softNonFinal?: boolean; dontCache?: boolean }): void {
    let soft = dsn.startsWith("4");
    if (flags.softNonFinal && !soft) soft = !st.finalServer;
    const softBounce = dsn.startsWith("5") && this.s.softBounce;
    st.why = { dsn, reason };
    if ((soft || softBounce) && !st.finalServer) {
      msgInfo(`${st.req.queueId}: ${reason}`);
      for (const x of st.rcpts) if (x.mark === "none") x.mark = "keep";
    } else {
      if (st.connected === undefined) {
        st.connected = Date.now();
        st.done = st.connected;
      } else st.done = Date.now();
      let deferred = false;
      for (const x of st.rcpts) if (x.mark === "none" && this.record(st, x, soft ? "deferred" : "bounced", dsn, reason) === "deferred") deferred = true;
      // smtp_bulk_fail(): a site failure that deferred recipients, outside a completed session, is the hop status
      if (flags.throttle && deferred && !st.completeSession) st.siteFail ??= { dsn, reason };
    }
    if (st.session && (flags.throttle || flags.dontCache)) st.session.dontCache = true;
  }

  private rcptFail(st: State, x: RcptState, dsn: string, reason: string): void {
    const soft = dsn.startsWith("4");
    const softBounce = dsn.startsWith("5") && this.s.softBounce;
    if ((soft || softBounce) && !st.finalServer) {
      msgInfo(`${st.req.queueId}: ${reason}`);
      x.mark = "keep";
    } else this.record(st, x, soft ? "deferred" : "bounced", dsn, reason);
  }

  /**
   * A recipient accepted (smtp_rcpt_done()): a server that announced DSN got NOTIFY and reports success itself;
   * to one without, the mail was "relayed" (LMTP with lmtp_assume_final: "delivered") for success notices.
   */
  private rcptDone(st: State, x: RcptState, reply: SmtpReply): void {
    const dsn = st.session?.dsn === true;
    this.record(st, x, "sent", reply.dsn, replyOneLine(reply), dsn ? { notifyPassed: true } : { action: this.s.assumeFinal ? "delivered" : "relayed" });
  }

  /** smtp_stream_except(): the connection broke or timed out. */
  private streamExcept(st: State, e: unknown, where: string): void {
    const s = st.session!;
    if (!(e instanceof SmtpIoError)) throw e;
    s.dontCache = true;
    const reason = e.kind === "timeout" ? `conversation with ${s.namaddr} timed out while ${where}` : `lost connection with ${s.namaddr} while ${where}`;
    this.bulkFail(st, "4.4.2", reason, { throttle: true });
  }

  /** End of a session: file it for reuse or close it; recipients marked "keep" are open again; reset the times. */
  private cleanupSession(st: State): void {
    const s = st.session;
    if (s) {
      const expired = Date.now() - s.opened >= this.s.reuseTimeLimit * 1000 || (this.s.reuseCountLimit > 0 && s.reuseCount + 1 >= this.s.reuseCountLimit);
      if (!s.dontCache && !s.tls && !s.conn.isClosed() && !expired && this.cacheWanted(st)) {
        s.destLabel = st.destLabel;
        this.cache.put(s, this.s.cacheTimeLimit * 1000);
        // Later sessions of this request are filed under their address only (Postfix clears the next-hop label).
        st.destLabel = undefined;
      } else if (!s.conn.isClosed()) s.quit();
      else s.conn.destroy();
    }
    st.session = undefined;
    for (const x of st.rcpts) if (x.mark === "keep") x.mark = "none";
    st.connected = undefined;
    st.done = undefined;
  }

  private cacheWanted(_st: State): boolean {
    return this.s.cacheOnDemand || this.s.cacheDestinations.length > 0;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Finding and connecting to servers (smtp_connect.c)

  /**
   * Cache labels, as Postfix's smtp_key.c: with smtp_sasl_password_maps set they also hold what selects the
   * credentials (the sender with smtp_sender_dependent_authentication; the destination and server name for the
   * address label), so that a session logged in for one of them is never used for another.
   */
  private destLabel(st: State, dest: string): string {
    return [this.parts.service, ...this.saslSenderKey(st), dest].join("\0");
  }

  private endpointLabel(st: State, dest: string, host: string, address: string, port: number): string {
    const sasl = this.s.sasl.passwordMaps.length > 0 ? [dest, host] : [];
    return [this.parts.service, ...this.saslSenderKey(st), ...sasl, address, String(port)].join("\0");
  }

  private saslSenderKey(st: State): string[] {
    return this.s.sasl.senderDependent && this.s.sasl.passwordMaps.length > 0 ? [st.req.sender] : [];
  }

  private async connectLocal(st: State, path: string): Promise<void> {
    st.finalServer = true;
    const site = await this.siteTls(path, true);
    if (!site) {
      msgWarn(`TLS policy lookup error for ${this.s.myhostname}/${path}: client TLS configuration problem`);
      st.why = { dsn: "4.7.5", reason: "client TLS configuration problem" };
      return;
    }
    st.tls = site;
    const label = this.endpointLabel(st, path, this.s.myhostname, path, 0);
    st.destLabel = this.cacheWanted(st) ? this.destLabel(st, `unix:${path}`) : undefined;
    let session = st.destLabel ? await this.reuse(this.cache.takeByDest(st.destLabel)) : undefined;
    if (!session) {
      let conn: SmtpConnection;
      try {
        conn = await openConnection({ kind: "unix", path }, this.s.timeouts.connect * 1000);
      } catch (e) {
        const err = e as ConnectError;
        st.why = { dsn: "4.4.1", reason: `connect to ${this.s.myhostname}[${path}]: ${err.message}` };
        msgInfo(st.why.reason);
        return;
      }
      session = new Session(conn, this.s.myhostname, path, 0, label, this.s.timeouts.quit * 1000);
      session.dest = path;
      st.session = session;
      let level = site.level;
      if (level === "may") {
        msgWarn("smtp_connect_local: opportunistic TLS encryption is not appropriate for unix-domain destinations.");
        level = "none";
      }
      if (await this.helo(st, level, path)) await this.xfer(st);
    } else {
      st.session = session;
      await this.xfer(st);
    }
    this.cleanupSession(st);
  }

  /** Takes a cached session into use: an RSET probe first; undefined when it no longer works. */
  private async reuse(s: Session | undefined): Promise<Session | undefined> {
    if (!s) return undefined;
    s.reuseCount++;
    s.destLabel = undefined;
    try {
      await s.conn.write("RSET\r\n", this.s.timeouts.rset * 1000);
      const r = await s.conn.readReply(this.s.timeouts.rset * 1000);
      if (r.code >= 200 && r.code < 300) return s;
    } catch {
      // gone stale while idle
    }
    s.conn.destroy();
    return undefined;
  }

  private async connectInet(st: State, nexthop: string): Promise<void> {
    const s = this.s;
    if (s.addresses.families.length === 0) {
      st.why = { dsn: "4.4.4", reason: "all network protocols are disabled" };
      return;
    }
    const sites = splitDestinations(nexthop);
    const nonFallback = sites.length;
    if (sites.length === 0) {
      st.why = { dsn: "4.3.5", reason: "mail transport unavailable" };
      return;
    }
    if (!s.lmtp) sites.push(...s.fallbackRelay);
    let finalNexthop = false;
    let lastSite = 0;
    for (let i = 0; i < sites.length && this.left(st) > 0 && !finalNexthop; i++) {
      lastSite = i;
      const text = sites[i]!;
      finalNexthop = i === sites.length - 1;
      let dest;
      try {
        dest = parseDestination(text, s.defaultService);
      } catch (e) {
        msgWarn(`${(e as NexthopError).message}`);
        st.why = { dsn: "4.3.5", reason: "server configuration error" };
        continue;
      }
      const loopDetect = !s.lmtp && dest.port === 25;
      const lookupMx = !s.lmtp && !dest.literal && s.addresses.dnsLookup;
      const res = lookupMx ? await this.finder.domainAddresses(dest.host, dest.port, loopDetect) : await this.finder.hostAddresses(dest.host, dest.port, loopDetect);
      if (!res.ok) {
        st.why = res.why;
        if (res.loops) finalNexthop = true;
        continue;
      }
      let addrs = res.addresses;
      const bestPref = res.bestPref;
      // The destination's TLS policy (Postfix looks it up per server, with the same result for each).
      const site = await this.siteTls(text, false);
      st.tls = site ?? { level: s.tls.level };
      st.destLabel = i === 0 && this.cacheWanted(st) ? this.destLabel(st, text) : undefined;
      let sessCount = 0;
      let addrCount = 0;
      // Reuse an idle session: by next hop, then by the address of a best MX host.
      // Cached sessions are never TLS: not for a destination whose policy requires TLS or is invalid.
      if (this.cacheWanted(st) && site && !tlsRequired(site.level)) {
        const tryCached = async (cached: Session | undefined) => {
          const session = await this.reuse(cached);
          if (!session) return;
          sessCount++;
          addrCount++;
          addrs = addrs.filter((a) => a.address !== session.address || a.port !== session.port);
          if (sessCount >= s.mxSessionLimit || addrCount >= s.mxAddressLimit) addrs = [];
          st.finalServer = finalNexthop && addrs.length === 0;
          st.session = session;
          await this.xfer(st);
          this.cleanupSession(st);
        };
        if (st.destLabel && this.left(st) > 0) await tryCached(this.cache.takeByDest(st.destLabel));
        for (const a of [...addrs]) {
          if (this.left(st) === 0 || a.pref !== bestPref || addrs.length === 0) break;
          await tryCached(this.cache.takeByEndpoint(this.endpointLabel(st, text, a.host, a.address, a.port)));
        }
      }
      for (let k = 0; k < addrs.length && this.left(st) > 0; k++) {
        const a = addrs[k]!;
        let isLast = k === addrs.length - 1;
        if (++addrCount >= s.mxAddressLimit && s.mxAddressLimit > 0) isLast = true;
        if (!site) {
          msgWarn(`TLS policy lookup for ${text}/${a.host}: client TLS configuration problem`);
          st.why = { dsn: "4.7.5", reason: "client TLS configuration problem" };
          if (isLast) break;
          continue;
        }
        let retryPlain = false;
        for (;;) {
          const session = await this.openSession(st, a, bestPref, text);
          if (!session) break;
          st.finalServer = finalNexthop && isLast;
          const level: TlsLevel = retryPlain ? "none" : site.level;
          retryPlain = false;
          if (await this.helo(st, level, dest.host)) {
            if (++sessCount >= s.mxSessionLimit && s.mxSessionLimit > 0) isLast = true;
            st.finalServer = finalNexthop && isLast;
            await this.xfer(st);
          } else retryPlain = session.retryPlain;
          this.cleanupSession(st);
          if (!retryPlain || this.left(st) === 0) break;
        }
        if (isLast) break;
      }
    }
    // Make configuration problems temporary rather than bouncing the mail.
    if (this.left(st) > 0 && st.why.dsn.startsWith("5")) {
      if (lastSite >= nonFallback) {
        msgWarn(`${s.prefix}_fallback_relay configuration problem`);
        st.why.dsn = "4.3.5";
      } else if (!s.lmtp && sites[0] === s.relayhost) {
        msgWarn("relayhost configuration problem");
        st.why.dsn = "4.3.5";
      }
    }
  }

  /** Connects to one server address; logs and records the reason when that fails. */
  private async openSession(st: State, a: ServerAddress, bestPref: number, dest: string): Promise<Session | undefined> {
    const s = this.s;
    const ep: Endpoint = { kind: "inet", address: a.address, port: a.port, family: a.family };
    const bind = (a.family === 6 ? s.bindAddress6 : s.bindAddress).replace(/^\[(.*)\]$/, "$1");
    if (bind && isIP(bind)) ep.bindAddress = bind;
    let conn: SmtpConnection;
    try {
      conn = await openConnection(ep, s.timeouts.connect * 1000);
    } catch (e) {
      if (!(e instanceof ConnectError)) throw e;
      if (bind && e.code === "EADDRNOTAVAIL") msgWarn(`smtp_connect_addr: bind ${bind}: ${e.message}`);
      st.why = { dsn: "4.4.1", reason: `connect to ${a.host}[${a.address}]:${a.port}: ${e.message}` };
      msgInfo(st.why.reason);
      return undefined;
    }
    const session = new Session(conn, a.host, a.address, a.port, this.endpointLabel(st, dest, a.host, a.address, a.port), s.timeouts.quit * 1000);
    session.bestMx = a.pref === bestPref;
    session.dest = dest;
    st.session = session;
    return session;
  }

  // ---------------------------------------------------------------------------------------------------------
  // The protocol (smtp_proto.c)

  /** smtp_site_fail() for a server reply. */
  private siteFailReply(st: State, reply: SmtpReply, reason: string): false {
    const f = this.fromReply(st, reply, reason);
    this.bulkFail(st, f.dsn, f.reason, { throttle: true });
    return false;
  }

  /** Greeting, EHLO/HELO/LHLO, STARTTLS; false when the session cannot be used (recipients already handled). */
  private async helo(st: State, level: TlsLevel, nexthopHost: string, inTls = false): Promise<boolean> {
    const s = this.s;
    const session = st.session!;
    const conn = session.conn;
    const tmo = s.timeouts.helo * 1000;
    let where = "receiving the initial server greeting";
    try {
      if (!inTls) {
        const greet = await conn.readReply(tmo);
        if (greet.code < 200 || greet.code >= 300) {
          if (greet.code >= 500 && greet.code < 600 && s.skip5xxGreeting) greet.dsn = `4${greet.dsn.slice(1)}`;
          return this.siteFailReply(st, greet, `host ${session.namaddr} refused to talk to me: ${replyOneLine(greet)}`);
        }
        // As Postfix: the words after the first code, over all lines; the first is the server's name.
        const words = greet.text.replace(/^\d*[- \t\n]*/, "").split(/[ \t\n]+/).filter(Boolean);
        words.forEach((w, n) => {
          if (n === 0 && w.toLowerCase() === s.myhostname.toLowerCase()) {
            if (!s.lmtp && session.port === 25) msgWarn(`host ${session.namaddrport} greeted me with my own hostname ${s.myhostname}`);
          } else if (w.toUpperCase() === "ESMTP") session.esmtp = true;
        });
        if (s.lmtp || s.alwaysEhlo) session.esmtp = true;
        if (s.neverEhlo) session.esmtp = false;
      } else {
        // After STARTTLS only the second EHLO reply counts (Postfix restores the features it had before EHLO).
        session.esmtp = true;
        session.pipelining = session.size = session.eightBitMime = session.dsn = session.smtputf8 = session.auth = false;
        session.saslMechanisms = undefined;
      }
      let reply: SmtpReply | undefined;
      if (s.lmtp) {
        where = "performing the LHLO handshake";
        await conn.write(`LHLO ${s.heloName}\r\n`, tmo);
        reply = await conn.readReply(tmo);
        if (reply.code < 200 || reply.code >= 300) return this.siteFailReply(st, reply, `host ${session.namaddr} refused to talk to me: ${replyOneLine(reply)}`);
      } else {
        if (session.esmtp) {
          where = "performing the EHLO handshake";
          await conn.write(`EHLO ${s.heloName}\r\n`, tmo);
          reply = await conn.readReply(tmo);
          if (reply.code < 200 || reply.code >= 300) {
            if (reply.code === 421) return this.siteFailReply(st, reply, `host ${session.namaddr} refused to talk to me: ${replyOneLine(reply)}`);
            session.esmtp = false;
          }
        }
        if (!session.esmtp) {
          where = "performing the HELO handshake";
          await conn.write(`HELO ${s.heloName}\r\n`, tmo);
          reply = await conn.readReply(tmo);
          if (reply.code < 200 || reply.code >= 300) return this.siteFailReply(st, reply, `host ${session.namaddr} refused to talk to me: ${replyOneLine(reply)}`);
        }
      }
      if (reply!.garbage) session.dontCache = true;
      if (session.esmtp) {
        // Which keywords of the reply to ignore: the per-server table entry, else the main.cf list.
        const discard = await this.ehloDiscardMask(st);
        if (discard === undefined) return false;
        const discarding = ehloDiscardLogText(discard);
        if (discarding !== undefined) msgInfo(discarding);
        const lines = reply!.text.split("\n");
        for (let n = 0; n < lines.length; n++) {
          const body = lines[n]!.slice(4);
          const words = body.split(/[ \t=]+/).filter(Boolean);
          const kw = (words[0] ?? "").toUpperCase();
          if (n === 0) {
            if (kw.toLowerCase() === s.myhostname.toLowerCase() && !s.lmtp && session.port === 25) {
              msgWarn(`host ${session.namaddrport} replied to HELO/EHLO with my own hostname ${s.myhostname}`);
              const dsn = session.bestMx ? "5.4.6" : "4.4.6";
              this.bulkFail(st, dsn, `mail for ${st.req.nexthop} loops back to myself`, { throttle: true });
              return false;
            }
            continue;
          }
          if (discard.has(kw)) continue;
          if (kw === "8BITMIME") session.eightBitMime = true;
          else if (kw === "PIPELINING") session.pipelining = true;
          else if (kw === "SIZE") {
            session.size = true;
            const arg = words[1];
            if (arg !== undefined) {
              if (!/^\d+$/.test(arg)) msgWarn(`bad EHLO SIZE limit "${arg}" from ${session.namaddrport}`);
              else session.sizeLimit = Number(arg);
            }
          } else if (kw === "STARTTLS") session.startTls = true;
          else if (kw === "DSN") session.dsn = true;
          else if (kw === "SMTPUTF8") session.smtputf8 = true;
          else if (kw === "AUTH" && s.sasl.enable) {
            // `AUTH mechs` and the old `AUTH=mechs`: the list is what follows the keyword and one separator.
            const rest = body.slice(/^[ \t=]*[^ \t=]*[ \t=]?/.exec(body)![0].length);
            const r = addAuthLine(session.saslMechanisms, rest, (await this.tables()).filter, session.namaddrport, s.sasl.lineLimit);
            if (r.warning) msgWarn(r.warning);
            session.saslMechanisms = r.list;
            session.auth = true;
          }
        }
        if (session.smtputf8 && !session.eightBitMime) {
          msgInfo(`host ${session.namaddr} offers SMTPUTF8 support, but not 8BITMIME`);
          session.eightBitMime = true;
        }
      }
      if (!inTls) {
        // STARTTLS, as the security level says. AUTH comes after it, in the TLS session's second EHLO.
        if (session.startTls && s.tls.noteStarttlsOffer && level === "none") msgInfo(`Host offered STARTTLS: [${session.host}]`);
        if (session.startTls && level !== "none") {
          where = "receiving the STARTTLS response";
          await conn.write("STARTTLS\r\n", s.timeouts.starttls * 1000);
          const r = await conn.readReply(s.timeouts.starttls * 1000);
          if (r.code >= 200 && r.code < 300) return await this.startTls(st, level, nexthopHost);
          session.startTls = false;
          if (tlsRequired(level)) return this.siteFailReply(st, r, `TLS is required, but host ${session.namaddr} refused to start TLS: ${replyOneLine(r)}`);
        }
        if (tlsRequired(level)) {
          this.bulkFail(st, "4.7.4", `TLS is required, but was not offered by host ${session.namaddr}`, { throttle: true });
          return false;
        }
      }
      // I/O errors during AUTH are reported with the last `where`, as Postfix's do.
      if (s.sasl.enable && session.auth) return await this.saslLogin(st);
      return true;
    } catch (e) {
      this.streamExcept(st, e, where);
      return false;
    }
  }

  /**
   * An envelope address as sent (Postfix's smtp_quote_821_address()): the null sender as it is (`MAIL FROM:<>`),
   * and any address as it is with smtp_quote_rfc821_envelope = no; else with its local part quoted when needed.
   */
  private quote821(address: string): string {
    return address === "" || !this.s.quoteRfc821Envelope ? address : quoteLocalPart821(address);
  }

  /**
   * The EHLO keywords to ignore from this session's server: its smtp_discard_ehlo_keyword_address_maps
   * (lmtp_discard_lhlo_keyword_address_maps) entry, looked up with its IP address, else smtp_discard_ehlo_keywords;
   * undefined after a table failure (logged, and the recipients deferred as a local data error).
   */
  private async ehloDiscardMask(st: State): Promise<Set<string> | undefined> {
    const s = this.s;
    const session = st.session!;
    if (s.discardEhloMaps.length === 0) return s.discardEhloKeywords;
    this.ehloDiscardTables ??= Promise.all(s.discardEhloMaps.map((spec) => openMapOrSurrogate(spec)));
    for (const table of await this.ehloDiscardTables) {
      try {
        const v = table.lookup(session.address);
        if (v !== undefined) return parseEhloMask(v);
      } catch (e) {
        if (!(e instanceof MapError)) throw e;
        msgWarn(`${st.req.queueId}: ${s.discardEhloMapsName} map lookup error for ${session.address}`);
        this.bulkFail(st, "4.3.0", `local data error while talking to ${session.namaddr}`, { throttle: true });
        return undefined;
      }
    }
    return s.discardEhloKeywords;
  }

  /** The password tables, opened on first use. */
  private tables(): Promise<SaslTables> {
    this.saslTables ??= openSaslTables(this.s.sasl, !this.s.lmtp);
    return this.saslTables;
  }

  /**
   * The TLS settings for a next-hop destination (tls_policy.ts), logging the policy's warnings; undefined when the
   * policy is invalid or its table failed (the destination is then not tried).
   */
  private async siteTls(dest: string, unix: boolean): Promise<SiteTls | undefined> {
    const s = this.s.tls;
    if (s.policyMaps.length === 0) {
      if (s.level !== "fingerprint") return { level: s.level };
      return this.logSiteTls(siteTlsPolicy({ kind: "notfound", warnings: [] }, s.level, dest, unix, s.fingerprintCertMatch));
    }
    this.policyTables ??= (async () => {
      const tables = [];
      for (const spec of s.policyMaps) tables.push(await openMapOrSurrogate(spec));
      return { title: s.policyMapsName, tables };
    })();
    const maps = await this.policyTables;
    return this.logSiteTls(siteTlsPolicy(lookupTlsPolicy(maps, dest), s.level, dest, unix, s.fingerprintCertMatch));
  }

  private logSiteTls(r: { site: SiteTls | undefined; warnings: string[]; fingerprintLevel?: boolean }): SiteTls | undefined {
    const s = this.s;
    if (r.fingerprintLevel && s.tls.fingerprintDigestCompat) {
      msgInfo(`using backwards-compatible default setting ${s.prefix}_tls_fingerprint_digest=md5 to compute certificate fingerprints`);
    }
    for (const w of r.warnings) msgWarn(w);
    return r.site;
  }

  /** smtp_sasl_passwd_lookup() for the current session; throws MapError after Postfix's warning. */
  private async saslCredentials(st: State): Promise<SaslCredentials | undefined> {
    const session = st.session!;
    const tables = await this.tables();
    try {
      return lookupSaslPassword(this.s.sasl, tables, { sender: st.req.sender, host: session.host, dest: session.dest, smtpMode: !this.s.lmtp });
    } catch (e) {
      if (e instanceof MapError) msgWarn(`${st.req.queueId}: ${this.s.sasl.passwordMapsName} lookup error`);
      throw e;
    }
  }

  /** HAVE_SASL_CREDENTIALS: AUTH is on and there is a password for this session (a failing lookup counts as one). */
  private async haveSaslCredentials(st: State): Promise<boolean> {
    if (!this.s.sasl.enable) return false;
    try {
      return (await this.saslCredentials(st)) !== undefined;
    } catch (e) {
      if (e instanceof MapError) return true;
      throw e;
    }
  }

  /** smtp_sasl_helo_login(): AUTH when there is a password; false when the session failed (recipients handled). */
  private async saslLogin(st: State): Promise<boolean> {
    const s = this.s;
    const session = st.session!;
    let creds: SaslCredentials | undefined;
    try {
      creds = await this.saslCredentials(st);
    } catch (e) {
      if (!(e instanceof MapError)) throw e;
      this.bulkFail(st, "4.3.0", `local data error while talking to ${session.namaddr}`, { throttle: true });
      return false;
    }
    // No password: talk to the server as strangers, without AUTH.
    if (!creds) {
      session.auth = false;
      return true;
    }
    if (session.saslMechanisms === undefined) {
      this.bulkFail(st, "4.7.0", `SASL authentication failed: server ${session.namaddr} offered no compatible authentication mechanisms for this type of connection security`, { throttle: true });
      return false;
    }
    const r = await saslAuthenticate(session.conn, {
      namaddr: session.namaddr,
      mechanisms: session.saslMechanisms,
      credentials: creds,
      securityFlags: !session.tls ? s.sasl.securityFlags : session.tlsVerified ? s.sasl.tlsVerifiedSecurityFlags : s.sasl.tlsSecurityFlags,
      sendAuthzid: s.sasl.sendAuthzid,
      authSoftBounce: s.sasl.authSoftBounce,
      timeoutMs: s.timeouts.helo * 1000,
    });
    if (!r.ok) {
      // The session is not used again; whether the recipients move on to the next server is bulkFail()'s rule.
      this.bulkFail(st, r.dsn, r.reason, { throttle: true });
      return false;
    }
    return true;
  }

  private async startTls(st: State, level: TlsLevel, nexthopHost: string): Promise<boolean> {
    const s = this.s;
    const session = st.session!;
    session.dontCache = true;
    const site = st.tls;
    const sni = site.serverName ?? s.tls.serverName;
    let t;
    try {
      const options = tlsClientOptions(this.parts.tlsContext, sni === "hostname" ? session.host : sni === "nexthop" ? nexthopHost : sni);
      if (site.protocols !== undefined) {
        const range = tlsProtocolRange(site.protocols);
        if (!range) {
          msgWarn(`${session.namaddrport}: Invalid TLS protocol list "${site.protocols}": aborting TLS session`);
          throw new Error("invalid protocol list");
        }
        Object.assign(options, range);
      }
      t = await session.conn.startTls(options, s.timeouts.starttls * 1000);
    } catch {
      // Not when SASL credentials exist: a server may offer AUTH only over TLS (Postfix's HAVE_SASL_CREDENTIALS).
      if (level === "may" && !(await this.haveSaslCredentials(st))) {
        // As Postfix: try the same server again in plaintext; this failure is not final.
        session.retryPlain = true;
        const final = st.finalServer;
        st.finalServer = false;
        this.bulkFail(st, "4.7.5", "Cannot start TLS: handshake failure", {});
        st.finalServer = final;
        return false;
      }
      this.bulkFail(st, "4.7.5", "Cannot start TLS: handshake failure", { throttle: true });
      return false;
    }
    session.tls = true;
    const names = level === "secure" ? this.secureNames(nexthopHost, site.match) : this.verifyNames(session.host, nexthopHost, site.match);
    const fp = site.fingerprints ? { digest: s.tls.fingerprintDigest, fingerprints: site.fingerprints } : undefined;
    const cs = certificateStatus(t, level, names, this.parts.tlsContext.ca.length > 0, fp);
    session.tlsVerified = tlsMustMatch(level) && cs.matched;
    if (s.tls.logLevel >= 1) {
      if (cs.failure) msgInfo(cs.failure.replace("%s", session.namaddrport));
      msgInfo(tlsSummary(t, cs, level, session.namaddrport));
    }
    if (tlsMustMatch(level) && !cs.matched) {
      this.bulkFail(st, "4.7.5", "Server certificate not verified", { throttle: true });
      return false;
    }
    return this.helo(st, level, nexthopHost, true);
  }

  private verifyNames(host: string, nexthop: string, match = this.s.tls.verifyCertMatch): string[] {
    const out: string[] = [];
    for (const m of match) {
      if (m === "hostname") out.push(host);
      else if (m === "nexthop") out.push(nexthop);
      else if (m === "dot-nexthop") out.push(`.${nexthop}`);
      else out.push(m);
    }
    return out;
  }

  private secureNames(nexthop: string, match = this.s.tls.secureCertMatch): string[] {
    const out: string[] = [];
    for (const m of match) {
      if (m === "nexthop") out.push(nexthop);
      else if (m === "dot-nexthop") out.push(`.${nexthop}`);
      else if (m !== "hostname") out.push(m);
    }
    return out;
  }

  /** MAIL FROM, RCPT TO, DATA, the message, `.` for the open recipients over the current session. */
  private async xfer(st: State): Promise<void> {
    const s = this.s;
    const session = st.session!;
    const conn = session.conn;
    const req = st.req;
    const todo = st.rcpts.filter((x) => x.mark === "none");
    if (todo.length === 0) return;
    if (session.sizeLimit > 0 && session.sizeLimit < req.size) {
      this.bulkFail(st, "5.3.4", `message size ${req.size} exceeds size limit ${session.sizeLimit} of server ${session.namaddr}`, {});
      st.completeSession = true;
      return;
    }
    st.connected = Date.now();
    // generic mapping, content checks and the 8-bit downgrade first: a table that fails defers the message
    // before MAIL FROM; Postfix downgrades when the server lacks 8BITMIME and the message is not marked 7bit
    const outgoing = this.parts.content;
    const downgrade = outgoing !== undefined && this.s.mimeDowngrade && !session.eightBitMime && st.encoding !== "7bit";
    try {
      if (downgrade) st.sending = st.downgraded ??= outgoing.rewrite(req.queueId, st.file.content(), true);
      else if (outgoing?.rewrites) st.sending = st.rewritten ??= outgoing.rewrite(req.queueId, st.file.content());
      else st.sending = undefined;
    } catch (e) {
      if (e instanceof MimeDowngradeError) {
        this.bulkFail(st, e.dsn, e.message, {});
        st.completeSession = true;
        return;
      }
      if (!(e instanceof ContentLookupError || e instanceof MapError)) throw e;
      this.bulkFail(st, "4.3.0", `local data error while talking to ${session.namaddr}`, {});
      st.completeSession = true;
      return;
    }
    const envelope = (a: string) => this.quote821(outgoing ? outgoing.envelopeAddress(a) : a);
    let mail = `MAIL FROM:<${envelope(req.sender)}>`;
    if (session.size && !downgrade) mail += ` SIZE=${req.size}`; // the size changes (Postfix leaves SIZE out)
    if (session.eightBitMime) {
      if (st.encoding === "8bit") mail += " BODY=8BITMIME";
      else if (st.encoding === "7bit") mail += " BODY=7BIT";
    }
    if (session.dsn) {
      if (req.envid) mail += ` ENVID=${xtext(req.envid)}`;
      if (req.ret) mail += ` RET=${req.ret === DSN_RET.FULL ? "FULL" : "HDRS"}`;
    }
    // smtp_send_dummy_mail_auth: this system authenticated, not the sender.
    if (s.sasl.enable && s.sasl.dummyMailAuth && session.auth) mail += " AUTH=<>";
    const rcptCmd = (x: RcptState) => {
      let c = `RCPT TO:<${envelope(x.r.address)}>`;
      if (session.dsn) {
        let orcpt = x.r.orcpt;
        if (orcpt === "" && x.r.origAddress !== "") orcpt = `rfc822;${quoteLocalPart(x.r.origAddress)}`;
        if (orcpt !== "") c += ` ORCPT=${xtext(orcpt)}`;
        if (x.r.notify) c += ` NOTIFY=${notifyText(x.r.notify)}`;
      }
      return c;
    };
    const caching = () => this.cacheWanted(st) && !session.dontCache && !session.tls;
    let stage: keyof typeof XFER_STATES = "mail";
    let mailRejected = false;
    let nrcpt = 0;
    const accepted: RcptState[] = [];
    try {
      // a sendmail -bv probe asks MAIL FROM and RCPT TO only: the RCPT replies are the answer, then RSET
      const probe = verifyOnly(req);
      if (session.pipelining) await conn.write(`${mail}\r\n${todo.map(rcptCmd).join("\r\n")}\r\n${probe ? "" : "DATA\r\n"}`, s.timeouts.mail * 1000);
      else await conn.write(`${mail}\r\n`, s.timeouts.mail * 1000);
      let r = await conn.readReply(s.timeouts.mail * 1000);
      if (r.garbage) this.noteGarbage(st, r);
      if (r.code < 200 || r.code >= 300) {
        const f = this.fromReply(st, r, `host ${session.namaddr} said: ${replyOneLine(r)} (in reply to ${XFER_REQUEST.mail})`);
        this.bulkFail(st, f.dsn, f.reason, {});
        mailRejected = true;
      }
      if (!mailRejected || session.pipelining) {
        stage = "rcpt";
        for (const x of todo) {
          if (!session.pipelining) await conn.write(`${rcptCmd(x)}\r\n`, s.timeouts.rcpt * 1000);
          r = await conn.readReply(s.timeouts.rcpt * 1000);
          if (r.garbage) this.noteGarbage(st, r);
          if (mailRejected) continue;
          if (r.code >= 200 && r.code < 300) {
            nrcpt++;
            accepted.push(x);
            if (probe) this.rcptDone(st, x, r);
          } else {
            const f = this.fromReply(st, r, `host ${session.namaddr} said: ${replyOneLine(r)} (in reply to ${XFER_REQUEST.rcpt})`);
            this.rcptFail(st, x, f.dsn, f.reason);
          }
        }
      }
      if (probe) {
        await this.endTransaction(st, "RSET");
        return;
      }
      let dataOk = false;
      if (session.pipelining || (!mailRejected && nrcpt > 0)) {
        stage = "data";
        if (!session.pipelining) await conn.write("DATA\r\n", s.timeouts.dataInit * 1000);
        r = await conn.readReply(s.timeouts.dataInit * 1000);
        if (r.garbage) this.noteGarbage(st, r);
        if (r.code >= 300 && r.code < 400) dataOk = true;
        else if (nrcpt > 0) {
          const f = this.fromReply(st, r, `host ${session.namaddr} said: ${replyOneLine(r)} (in reply to ${XFER_REQUEST.data})`);
          this.bulkFail(st, f.dsn, f.reason, {});
          nrcpt = -1;
        }
      }
      if (!dataOk) {
        // Course correction: nothing to send. RSET keeps the connection usable.
        await this.endTransaction(st, "RSET");
        return;
      }
      let lostInData = false;
      if (nrcpt > 0) {
        stage = "body";
        try {
          await this.sendContent(st);
        } catch (e) {
          if (!(e instanceof SmtpIoError) || e.kind !== "eof") throw e;
          // The server may have said why before it closed: look for a premature reply.
          lostInData = true;
        }
      }
      stage = "dot";
      const quitToo = session.pipelining && !caching();
      if (!lostInData) await conn.write(quitToo ? ".\r\nQUIT\r\n" : ".\r\n", s.timeouts.dataXfer * 1000);
      try {
        if (!s.lmtp) {
          r = await conn.readReply(s.timeouts.dataDone * 1000);
          st.done = Date.now();
          if (nrcpt > 0) {
            if (r.code >= 200 && r.code < 300) {
              for (const x of accepted) if (x.mark === "none") this.rcptDone(st, x, r);
            } else {
              const f = this.fromReply(st, r, `host ${session.namaddr} said: ${replyOneLine(r)} (in reply to ${XFER_REQUEST.dot})`);
              this.bulkFail(st, f.dsn, f.reason, {});
            }
          }
        } else {
          for (const x of accepted) {
            r = await conn.readReply(s.timeouts.dataDone * 1000);
            st.done = Date.now();
            if (x.mark !== "none") continue;
            if (r.code >= 200 && r.code < 300) this.rcptDone(st, x, r);
            else {
              const f = this.fromReply(st, r, `host ${session.namaddr} said: ${replyOneLine(r)} (in reply to ${XFER_REQUEST.dot})`);
              this.rcptFail(st, x, f.dsn, f.reason);
            }
          }
        }
      } catch (e) {
        this.streamExcept(st, e, lostInData ? XFER_STATES.body : XFER_STATES.dot);
        return;
      }
      if (lostInData) {
        session.dontCache = true;
        this.streamExcept(st, new SmtpIoError("eof", "lost connection"), XFER_STATES.body);
        return;
      }
      st.completeSession = true;
      if (quitToo) await this.readQuit(st);
      else if (!caching()) await this.endTransaction(st, "QUIT");
    } catch (e) {
      this.streamExcept(st, e, XFER_STATES[stage]);
    }
  }

  private noteGarbage(st: State, r: SmtpReply): void {
    const session = st.session!;
    session.dontCache = true;
    if (session.pipelining) {
      const bad = r.text.split("\n").find((l) => !/^\d{3}([ -]|$)/.test(l)) ?? "";
      msgWarn(`${st.req.queueId}: non-${this.s.lmtp ? "LMTP" : "ESMTP"} response from ${session.namaddrport}: ${bad.slice(0, 100)}`);
      msgWarn(
        `to prevent loss of mail, turn off command pipelining for ${session.address} with the ${this.s.prefix}_discard_${this.s.lmtp ? "lhlo" : "ehlo"}_keyword_address_maps parameter`,
      );
    }
  }

  /** RSET (then QUIT unless the session is kept) or QUIT after a transaction; errors only end the session. */
  private async endTransaction(st: State, cmd: "RSET" | "QUIT"): Promise<void> {
    const s = this.s;
    const session = st.session!;
    const caching = this.cacheWanted(st) && !session.dontCache && !session.tls;
    try {
      if (cmd === "RSET") {
        await session.conn.write(caching ? "RSET\r\n" : "RSET\r\nQUIT\r\n", s.timeouts.rset * 1000);
        const r = await session.conn.readReply(s.timeouts.rset * 1000);
        if (r.code < 200 || r.code >= 300) session.dontCache = true;
        if (!caching) await this.readQuit(st);
        return;
      }
      await session.conn.write("QUIT\r\n", s.timeouts.quit * 1000);
      await this.readQuit(st);
    } catch {
      session.dontCache = true;
      session.conn.destroy();
    }
  }

  private async readQuit(st: State): Promise<void> {
    const session = st.session!;
    session.dontCache = true;
    if (!this.s.skipQuitResponse) {
      try {
        await session.conn.readReply(this.s.timeouts.quit * 1000);
      } catch {
        // the reply to QUIT does not matter
      }
    }
    session.conn.end();
  }

  /** Sends the message content (data_encoder.ts) with the data transfer time limit per write. */
  private async sendContent(st: State): Promise<void> {
    const session = st.session!;
    const enc = new DataEncoder(this.s.lineLengthLimit);
    const tmo = this.s.timeouts.dataXfer * 1000;
    for (const chunk of st.sending ?? st.file.content()) await session.conn.write(enc.push(chunk), tmo);
    const tail = enc.finish();
    if (tail.length) await session.conn.write(tail, tmo);
    if (enc.brokeLongLine) msgInfo(`${st.req.queueId}: breaking line > ${this.s.lineLengthLimit} bytes with <CR><LF>SPACE`);
  }
}
