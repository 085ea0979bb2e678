/**
 * bounce — delivery status notices to the sender (Postfix's bounce(8) daemon, inside the queue manager):
 * non-delivery notices for bounced recipients and delay warnings for recipients still deferred after
 * delay_warning_time.
 *
 * A notice is an RFC 3464 multipart/report from the null sender, with the From and Subject of its template
 * (message/bounce_templates.ts; bounce_template_file replaces them), and three parts: the template's text and a
 * list of `<recipient>: reason`, a
 * message/delivery-status part (Reporting-MTA, X-Postfix-Queue-ID, X-Postfix-Sender, Arrival-Date, then per
 * recipient Final-Recipient, Original-Recipient, Action, Status, Diagnostic-Code), and the returned message
 * (message/rfc822, or text/rfc822-headers when the sender asked for headers only with DSN RET=HDRS), cut to
 * bounce_size_limit bytes. It goes through cleanup like any message and is logged as
 * `QID: sender non-delivery notification: NEWQID` (or `delay notification`).
 *
 * Never notices: the null sender (no bounce of a bounce), recipients whose DSN NOTIFY excludes FAILURE (or DELAY
 * for warnings). The built-in texts are postkit's own wording; the headers and report fields are Postfix's.
 */
import type { Config } from "../config/config.ts";
import { logNotification } from "../log/events.ts";
import { readFileSync } from "node:fs";
import { formatRfc2822Date } from "../message/mail_date.ts";
import { bounceTemplates, expandTemplateText } from "../message/bounce_templates.ts";
import { msgWarn } from "../log/msg.ts";
import { quoteLocalPart } from "../address/quote_local.ts";
import { openQueueFile, DSN_NOTIFY, DSN_RET } from "../queue/index.ts";
import type { Cleanup } from "../cleanup/cleanup.ts";
import type { ActiveMessageView, BouncedRecipient, Notifier } from "./qmgr.ts";

function diagnostic(reason: string): string {
  // "host X said: 550 5.1.1 text (in reply to RCPT TO command)" carries an SMTP reply; everything else is X-Postfix
  const m = /said: (\d{3}[ -].*?)(?: \(in reply to .*\))?$/.exec(reason);
  return m ? `smtp; ${m[1]}` : `X-Postfix; ${reason}`;
}

/** Builds and submits sender notices through cleanup. */
export class BounceNotifier implements Notifier {
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

  async bounce(msg: ActiveMessageView, bounced: BouncedRecipient[]): Promise<boolean> {
    const wanted = bounced.filter((b) => b.recipient.notify === 0 || (b.recipient.notify & DSN_NOTIFY.FAILURE) !== 0);
    if (wanted.length === 0 || msg.envelope.sender === "") return true;
    const id = await this.send(msg, wanted, "failed");
    logNotification(msg.id, "non-delivery", id);
    return true;
  }

  async delayWarning(msg: ActiveMessageView, deferred: BouncedRecipient[]): Promise<boolean> {
    const wanted = deferred.filter((b) => b.recipient.notify === 0 || (b.recipient.notify & DSN_NOTIFY.DELAY) !== 0);
    if (wanted.length === 0 || msg.envelope.sender === "") return true;
    const id = await this.send(msg, wanted, "delayed");
    logNotification(msg.id, "delay", id);
    return true;
  }

  private async send(msg: ActiveMessageView, rcpts: BouncedRecipient[], action: "failed" | "delayed"): Promise<string> {
    const cfg = this.cfg;
    const host = cfg.get("myhostname");
    const env = msg.envelope;
    const now = new Date();
    const boundary = `${msg.id}.${Math.floor(now.getTime() / 1000)}/${host}`;
    const arrival = new Date(env.arrivalTime.sec * 1000);
    const failed = action === "failed";
    const tpl = this.templates()[failed ? "failure" : "delay"];
    const seconds = (n: string) => (cfg.paramDef(n)?.type === "time" ? cfg.getTime(n) : undefined);
    const text = expandTemplateText(tpl.text, (n) => (cfg.raw(n) === undefined ? undefined : cfg.get(n)), seconds);
    const lines: string[] = [
      `From: ${tpl.from}`,
      `Subject: ${tpl.subject}`,
      `To: ${quoteLocalPart(env.sender)}`,
      "Auto-Submitted: auto-replied",
      "MIME-Version: 1.0",
      "Content-Type: multipart/report; report-type=delivery-status;",
      `\tboundary="${boundary}"`,
      "Content-Transfer-Encoding: 8bit",
      "",
      "This is a MIME-encapsulated message.",
      "",
      `--${boundary}`,
      "Content-Description: Notification",
      `Content-Type: text/plain; charset=${tpl.charset}`,
      "",
      ...text.split("\n"),
      "",
    ];
    for (const b of rcpts) lines.push(`<${quoteLocalPart(b.recipient.address)}>: ${b.reason}`, "");
    lines.push(
      `--${boundary}`,
      "Content-Description: Delivery report",
      "Content-Type: message/delivery-status",
      "",
      `Reporting-MTA: dns; ${host}`,
      `X-Postfix-Queue-ID: ${msg.id}`,
      `X-Postfix-Sender: rfc822; ${quoteLocalPart(env.sender)}`,
      `Arrival-Date: ${formatRfc2822Date(arrival)}`,
    );
    if (env.dsnEnvid) lines.push(`Original-Envelope-Id: ${env.dsnEnvid}`);
    for (const b of rcpts) {
      const r = b.recipient;
      lines.push("", `Final-Recipient: rfc822; ${quoteLocalPart(r.address)}`);
      if (r.orcpt) lines.push(`Original-Recipient: ${r.orcpt.replace(";", "; ")}`);
      else if (r.origAddress && r.origAddress !== r.address) lines.push(`Original-Recipient: rfc822;${quoteLocalPart(r.origAddress)}`);
      lines.push(`Action: ${action}`, `Status: ${b.dsn}`);
      const relay = /^host (\S+)\[/.exec(b.reason);
      if (relay) lines.push(`Remote-MTA: dns; ${relay[1]}`);
      lines.push(`Diagnostic-Code: ${diagnostic(b.reason)}`);
      if (!failed) lines.push(`Will-Retry-Until: ${formatRfc2822Date(new Date((env.arrivalTime.sec + this.cfg.getTime("maximal_queue_lifetime")) * 1000))}`);
    }
    const headersOnly = env.dsnRet === DSN_RET.HDRS || !failed;
    lines.push(
      "",
      `--${boundary}`,
      `Content-Description: ${failed ? "Undelivered Message" : "Undelivered Message Headers"}`,
      `Content-Type: ${headersOnly ? "text/rfc822-headers" : "message/rfc822"}`,
      "Content-Transfer-Encoding: 8bit",
      "",
    );
    const limit = this.cfg.getInt("bounce_size_limit");
    const original = this.originalContent(msg.path, headersOnly, limit);
    const head = Buffer.from(`${lines.join("\n")}\n`, "latin1");
    const tail = Buffer.from(`${original.endsWith("\n") || original === "" ? "" : "\n"}\n--${boundary}--\n`, "latin1");
    const res = await this.cleanup.process({
      sender: "",
      recipients: [{ address: env.sender }],
      context: "local",
      date: now,
      content: [head, Buffer.from(original, "latin1"), tail],
    });
    return res.queueId;
  }

  /** The returned message: headers only, or headers and body up to `limit` bytes (at a line boundary). */
  private originalContent(path: string, headersOnly: boolean, limit: number): string {
    let out = "";
    try {
      using f = openQueueFile(path);
      for (const chunk of f.content()) {
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
