/**
 * bounce_notice — delivery status notices to the sender (Postfix's bounce(8) daemon, as a library): non-delivery
 * notices for bounced recipients and delay warnings for recipients still deferred after delay_warning_time.
 * The queue manager sends them for whole messages (bounce_flush), pickup for a local submission that cleanup
 * refused (cleanup_bounce), and local(8) for one failed recipient whose error goes to an owner- alias
 * (bounce_one: `to` names the owner; the notice still names the message's sender in X-Postfix-Sender).
 *
 * A notice is an RFC 3464 multipart/report from the null sender, with the From and Subject of its template
 * (message/bounce_templates.ts; bounce_template_file replaces them), and three parts: the template's text and a
 * list of `<recipient>: reason`, a
 * message/delivery-status part (Reporting-MTA, X-Postfix-Queue-ID, X-Postfix-Sender, Arrival-Date, then per
 * recipient Final-Recipient, Original-Recipient, Action, Status, Diagnostic-Code), and the returned message
 * (message/rfc822, or text/rfc822-headers when the sender asked for headers only with DSN RET=HDRS), cut to
 * bounce_size_limit bytes. The returned message is read from the queue file at `path`, or from `content`. The
 * notice goes through cleanup like any message and is logged as `QID: sender non-delivery notification: NEWQID`
 * (or `delay notification`).
 *
 * Never notices: to the null sender (no bounce of a bounce), for recipients whose DSN NOTIFY excludes FAILURE
 * (or DELAY for warnings). The built-in texts are postkit's own wording; the headers and report fields are
 * Postfix's.
 *
 * Postmaster notices (notify_classes, as Postfix's bounce daemon sends them): from the double-bounce address
 * (`$double_bounce_sender@$myhostname`), with the template's Postmaster-Subject, `Auto-Submitted:
 * auto-generated`, no template text, and every recipient whatever its NOTIFY:
 *   bounce   a copy of each sender non-delivery notice, with the returned headers only, to
 *            bounce_notice_recipient (`QID: postmaster non-delivery notification: NEWQID`);
 *   2bounce  (or bounce) a notice about mail from the null sender that bounced, with the whole message, to
 *            2bounce_notice_recipient; without either class that mail is dropped, as by default;
 *   delay    a copy of each delay warning, and the warning about mail from the null sender, to
 *            delay_notice_recipient (`QID: postmaster delay notification: NEWQID`).
 * Notices go through header_checks and body_checks only when internal_mail_filter_classes names their class
 * (`bounce` for the sender's, `notify` for the postmaster's).
 * Mail from the double-bounce address itself is never reported (`warning: QID: undeliverable postmaster
 * notification discarded`). A postmaster copy that cannot be queued is only logged (`warning: QID: postmaster
 * notice failed while bouncing to SENDER`); the sender's notice stands.
 *
 * Delivery status reports (Postfix's trace service; deliveryReport()): success notices for recipients delivered
 * with DSN NOTIFY=SUCCESS (the `success` template, `Successful Mail Delivery Report`) and the report `sendmail
 * -v` asks for (the `verify` template, `Mail Delivery Status Report`), each recipient with its action
 * (delivered, relayed, expanded; failed and delayed in a report), Remote-MTA and `smtp;` Diagnostic-Code for an SMTP/LMTP reply, the
 * returned message's headers only (`Message Headers`), from the null sender to the sender; logged `QID: sender
 * delivery status notification: NEWQID`. For mail from the null sender it goes to 2bounce_notice_recipient
 * from the double-bounce address when notify_classes has 2bounce, else nowhere (`QID: not sending trace/success
 * notification for single-bounce message`); mail from the double-bounce address gets none (`… for
 * double-bounce message`).
 *
 * Contract: bounce() and delayWarning() resolve to true when the notice was queued durably (or none was due);
 * they throw CleanupError when cleanup refuses or cannot write the notice. Postfix: src/bounce/*.c.
 */
import type { Config } from "../config/config.ts";
import { logNotification, logPostmasterNotification } from "../log/events.ts";
import { readFileSync } from "node:fs";
import { formatRfc2822Date } from "../message/mail_date.ts";
import { bounceTemplates, expandTemplateText } from "../message/bounce_templates.ts";
import { msgInfo, msgWarn } from "../log/msg.ts";
import { quoteLocalPart } from "../address/quote_local.ts";
import { lineWrap } from "../text/line_wrap.ts";
import { isAscii } from "../maps/casefold.ts";
import { openQueueFile, DSN_NOTIFY, DSN_RET } from "../queue/index.ts";
import type { Cleanup } from "../cleanup/cleanup.ts";

/** The message a notice is about. */
export interface NoticeMessage {
  /** Its queue ID. */
  id: string;
  /** Its queue file, for the returned message (unless `content` is given). */
  path?: string;
  /** The returned message's content, read afresh on each call (instead of `path`). */
  content?: () => Iterable<Uint8Array>;
  envelope: {
    sender: string;
    arrivalTime: { sec: number };
    dsnEnvid: string | undefined;
    /** DSN_RET.HDRS returns the headers only. */
    dsnRet: number;
    /** Its named attributes: `encoding` (7bit, 8bit) labels the notice when smtputf8_enable is off. */
    attributes?: ReadonlyMap<string, string>;
  };
}

/** A recipient to report, with its status. */
export interface NoticeRecipient {
  recipient: { address: string; origAddress: string; orcpt: string; notify: number };
  dsn: string;
  reason: string;
  /** Delivery status reports: the DSN action (delivered when absent) and where the mail went (`host[addr]:port`). */
  action?: string;
  relay?: string;
}

/** What kind of notice send() makes. */
interface NoticeKind {
  action: "failed" | "delayed" | "success" | "verify";
  /** A postmaster notice: from the double-bounce address, Postmaster-Subject, no template text, all recipients. */
  postmaster: boolean;
  /** Return the headers only (else as the message's DSN RET says, headers only for delay warnings). */
  headersOnly?: boolean;
  /** The notice's sender when not the usual one (the null sender, or the double-bounce address for postmaster notices). */
  from?: string;
}

/** Where a notice goes. */
export interface NoticeOptions {
  /** The notice's recipient instead of the message's sender (an owner- alias). */
  to?: string;
}

function diagnostic(reason: string): string {
  // "host X said: 550 5.1.1 text (in reply to RCPT TO command)" carries an SMTP reply; everything else is X-Postfix
  const m = /said: (\d{3}[ -].*?)(?: \(in reply to .*\))?$/.exec(reason);
  return m ? `smtp; ${m[1]}` : `X-Postfix; ${reason}`;
}

/** Builds and submits sender notices through cleanup. */
export class BounceNotifier {
  private cached: ReturnType<typeof bounceTemplates> | undefined;

  constructor(
    private readonly cfg: Config,
    private readonly cleanup: Cleanup,
  ) {}

  /** The notice templates: bounce_template_file when set (a broken file is reported once; built-ins serve). */
  private templates(): ReturnType<typeof bounceTemplates> {
    if (this.cached) return this.cached;
    const file = this.cfg.get("bounce_template_file");
    try {
      this.cached = bounceTemplates(file === "" ? undefined : readFileSync(file, "utf8"), file);
    } catch (e) {
      msgWarn(`${file}: ${(e as Error).message}; using the built-in notice texts`);
      this.cached = bounceTemplates();
    }
    return this.cached;
  }

  /** notify_classes, lower-cased. */
  private classes(): Set<string> {
    return new Set(this.cfg.getList("notify_classes").map((c) => c.toLowerCase()));
  }

  /** Postfix's mail_addr_double_bounce(): the sender of postmaster notices. */
  private doubleBounceAddress(): string {
    return `${this.cfg.get("double_bounce_sender")}@${this.cfg.get("myhostname")}`;
  }

  /**
   * Sends a non-delivery notice for `bounced` (those whose NOTIFY asks for one) to the sender or `opts.to`, and
   * the postmaster notices notify_classes asks for (see the header).
   */
  async bounce(msg: NoticeMessage, bounced: NoticeRecipient[], opts: NoticeOptions = {}): Promise<boolean> {
    return this.notify(msg, bounced, opts.to ?? msg.envelope.sender, "failed");
  }

  /** Sends a delay warning for `deferred` (those whose NOTIFY asks for one) to the sender, and a postmaster copy with notify_classes `delay`. */
  async delayWarning(msg: NoticeMessage, deferred: NoticeRecipient[]): Promise<boolean> {
    return this.notify(msg, deferred, msg.envelope.sender, "delayed");
  }

  /** Sends a delivery status report (see the header): success notices, or the `sendmail -v` report when `report`. */
  async deliveryReport(msg: NoticeMessage, rcpts: NoticeRecipient[], report: boolean): Promise<boolean> {
    if (rcpts.length === 0) return true;
    const sender = msg.envelope.sender;
    let to = sender;
    let from = "";
    if (sender.toLowerCase() === this.doubleBounceAddress().toLowerCase()) {
      msgInfo(`${msg.id}: not sending trace/success notification for double-bounce message`);
      return true;
    }
    if (sender === "") {
      if (!this.classes().has("2bounce")) {
        msgInfo(`${msg.id}: not sending trace/success notification for single-bounce message`);
        return true;
      }
      to = this.cfg.get("2bounce_notice_recipient");
      from = this.doubleBounceAddress();
    }
    const id = await this.send(msg, rcpts, to, { action: report ? "verify" : "success", postmaster: false, headersOnly: true, from });
    logNotification(msg.id, "delivery status", id);
    return true;
  }

  private async notify(msg: NoticeMessage, rcpts: NoticeRecipient[], to: string, action: "failed" | "delayed"): Promise<boolean> {
    const failed = action === "failed";
    const classes = this.classes();
    const copyClass = failed ? classes.has("bounce") : classes.has("delay");
    const copyTo = this.cfg.get(failed ? "bounce_notice_recipient" : "delay_notice_recipient");
    const kind = failed ? "non-delivery" : "delay";
    if (rcpts.length === 0) return true;
    if (to.toLowerCase() === this.doubleBounceAddress().toLowerCase()) {
      msgWarn(`${msg.id}: undeliverable postmaster notification discarded`);
      return true;
    }
    if (to === "") {
      // mail from the null sender: only the postmaster hears of it, with the whole message
      if (!(failed ? classes.has("2bounce") || classes.has("bounce") : classes.has("delay"))) return true;
      const id = await this.send(msg, rcpts, failed ? this.cfg.get("2bounce_notice_recipient") : copyTo, { action, postmaster: true, headersOnly: false });
      logPostmasterNotification(msg.id, kind, id);
      return true;
    }
    const flag = failed ? DSN_NOTIFY.FAILURE : DSN_NOTIFY.DELAY;
    const wanted = rcpts.filter((b) => b.recipient.notify === 0 || (b.recipient.notify & flag) !== 0);
    if (wanted.length > 0) {
      const id = await this.send(msg, wanted, to, { action, postmaster: false });
      logNotification(msg.id, kind, id);
    }
    if (copyClass) {
      // not critical: the sender's notice is queued, so a failure here is only logged
      try {
        const id = await this.send(msg, rcpts, copyTo, { action, postmaster: true, headersOnly: true });
        logPostmasterNotification(msg.id, kind, id);
      } catch {
        msgWarn(`${msg.id}: postmaster notice failed while ${failed ? "bouncing to" : "warning"} ${to}`);
      }
    }
    return true;
  }

  private async send(msg: NoticeMessage, rcpts: NoticeRecipient[], to: string, kind: NoticeKind): Promise<string> {
    const { action, postmaster } = kind;
    const cfg = this.cfg;
    const host = cfg.get("myhostname");
    const env = msg.envelope;
    const now = new Date();
    const boundary = `${msg.id}.${Math.floor(now.getTime() / 1000)}/${host}`;
    const arrival = new Date(env.arrivalTime.sec * 1000);
    const failed = action === "failed";
    const delayed = action === "delayed";
    const tpl = this.templates()[failed ? "failure" : delayed ? "delay" : action];
    const seconds = (n: string) => (cfg.paramDef(n)?.type === "time" ? cfg.getTime(n) : undefined);
    const text = expandTemplateText(tpl.text, (n) => (cfg.raw(n) === undefined ? undefined : cfg.get(n)), seconds);
    // Postfix's MIME labels: with smtputf8_enable the notice is 8bit (addresses and $myhostname may be UTF-8),
    // else the original message's encoding decides (none when it is not recorded)
    const recorded = env.attributes?.get("encoding");
    const encoding = cfg.getBool("smtputf8_enable") ? "8bit" : recorded === "8bit" || recorded === "7bit" ? recorded : undefined;
    const eightBit = encoding !== undefined && encoding !== "7bit";
    const lines: string[] = [
      // Postfix's internal mail starts with Received: (cleanup's prepend, below) and Date: (post_mail.c)
      `Date: ${formatRfc2822Date(now)}`,
      `From: ${tpl.from}`,
      `Subject: ${postmaster ? tpl.postmasterSubject : tpl.subject}`,
      `To: ${quoteLocalPart(to)}`,
      `Auto-Submitted: ${postmaster ? "auto-generated" : "auto-replied"}`,
      "MIME-Version: 1.0",
      "Content-Type: multipart/report; report-type=delivery-status;",
      `\tboundary="${boundary}"`,
      // (a 7bit original: the template's own encoding, 8bit for a template text that is not ASCII)
      ...(encoding === undefined ? [] : [`Content-Transfer-Encoding: ${encoding === "7bit" && isAscii(text) ? "7bit" : "8bit"}`]),
      "",
      "This is a MIME-encapsulated message.",
      "",
      `--${boundary}`,
      "Content-Description: Notification",
      `Content-Type: text/plain; charset=${tpl.charset.toLowerCase() !== "us-ascii" ? tpl.charset : eightBit ? "utf-8" : "us-ascii"}`,
      ...(eightBit ? [`Content-Transfer-Encoding: ${encoding}`] : []),
      "",
      ...(postmaster ? [] : [...text.split("\n"), ""]),
    ];
    // a report (Postfix's trace service) names the agent that did it: `delivery via RELAY: reason`, unless
    // there was none (relay=none)
    const trace = action === "success" || action === "verify";
    const why = (b: NoticeRecipient) => (trace && b.relay && b.relay !== "none" ? `delivery via ${b.relay}: ${b.reason}` : b.reason);
    // Postfix's: `<address> (expanded from <original>): reason` when the address was rewritten (aliases,
    // virtual, canonical maps), as the log's orig_to=
    for (const b of rcpts) {
      const { address, origAddress } = b.recipient;
      const expanded = origAddress !== "" && origAddress.toLowerCase() !== address.toLowerCase() ? ` (expanded from <${origAddress}>)` : "";
      lines.push(...wrap(`<${address}>${expanded}: ${why(b)}`), "");
    }
    lines.push(
      `--${boundary}`,
      "Content-Description: Delivery report",
      "Content-Type: message/delivery-status",
      "",
      `Reporting-MTA: dns; ${host}`,
    );
    // Postfix's order; addresses as they are stored (not quoted)
    if (env.dsnEnvid) lines.push(`Original-Envelope-Id: ${env.dsnEnvid}`);
    lines.push(`X-Postfix-Queue-ID: ${msg.id}`, `X-Postfix-Sender: rfc822; ${env.sender}`, `Arrival-Date: ${formatRfc2822Date(arrival)}`);
    for (const b of rcpts) {
      const r = b.recipient;
      lines.push("", `Final-Recipient: rfc822; ${r.address}`);
      // Postfix's: the ORCPT as recorded (cleanup makes one for every recipient that came without), else the
      // original address
      if (r.orcpt) lines.push(`Original-Recipient: ${r.orcpt}`);
      else if (r.origAddress) lines.push(`Original-Recipient: rfc822; ${r.origAddress}`);
      lines.push(`Action: ${failed || delayed ? action : (b.action ?? "delivered")}`, `Status: ${b.dsn}`);
      // a success at an SMTP or LMTP server carries its reply, and names the server when it is known
      const smtpReply = !failed && !delayed && /^\d{3}[ -]/.test(b.reason);
      const relay = smtpReply ? /^([^[\s]+)\[/.exec(b.relay ?? "") : /^host (\S+)\[/.exec(b.reason);
      if (relay) lines.push(...wrap(`Remote-MTA: dns; ${relay[1]}`));
      lines.push(...wrap(`Diagnostic-Code: ${smtpReply ? `smtp; ${b.reason}` : diagnostic(why(b))}`));
      if (delayed) lines.push(`Will-Retry-Until: ${formatRfc2822Date(new Date((env.arrivalTime.sec + this.cfg.getTime("maximal_queue_lifetime")) * 1000))}`);
    }
    const headersOnly = kind.headersOnly ?? (env.dsnRet === DSN_RET.HDRS || !failed);
    lines.push(
      "",
      `--${boundary}`,
      `Content-Description: ${failed || delayed ? "Undelivered " : ""}${headersOnly ? "Message Headers" : "Message"}`,
      `Content-Type: ${headersOnly ? "text/rfc822-headers" : "message/rfc822"}`,
      ...(eightBit ? [`Content-Transfer-Encoding: ${encoding}`] : []),
      "",
    );
    const limit = this.cfg.getInt("bounce_size_limit");
    // Postfix's bounce puts a Return-Path: of the sender before the returned message (cleanup had removed it)
    const original = `Return-Path: <${env.sender}>\n${this.originalContent(msg, headersOnly, limit)}`;
    const head = Buffer.from(`${lines.join("\n")}\n`, "latin1");
    const tail = Buffer.from(`${original.endsWith("\n") || original === "" ? "" : "\n"}\n--${boundary}--\n`, "latin1");
    const res = await this.cleanup.forInternalMail(postmaster ? "notify" : "bounce").process({
      sender: kind.from ?? (postmaster ? this.doubleBounceAddress() : ""),
      recipients: [{ address: to }],
      context: "local",
      date: now,
      prepend: (queueId) => [`Received: by ${host} (${cfg.get("mail_name")})`, `\tid ${queueId}; ${formatRfc2822Date(now)}`],
      content: [head, Buffer.from(original, "latin1"), tail],
    });
    return res.queueId;
  }

  /** The returned message: headers only, or headers and body up to `limit` bytes (at a line boundary). */
  private originalContent(msg: NoticeMessage, headersOnly: boolean, limit: number): string {
    let out = "";
    try {
      using f = msg.content || msg.path === undefined ? undefined : openQueueFile(msg.path);
      for (const chunk of msg.content?.() ?? f?.content() ?? []) {
        out += Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
        if (headersOnly) {
          const end = out.indexOf("\n\n");
          if (end >= 0) return out.slice(0, end + 1);
        }
        if (out.length >= limit) break;
      }
    } catch {
      return out;
    }
    if (out.length > limit) out = out.slice(0, out.lastIndexOf("\n", limit) + 1);
    return out;
  }
}

/** Postfix's bounce_print_wrap(): 79 columns, continuation lines indented by 4. */
function wrap(line: string): string[] {
  return lineWrap(line, 79, 4);
}
