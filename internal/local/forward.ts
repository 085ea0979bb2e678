/**
 * forward — resubmitting a message for addresses that alias or .forward expansion produced and that local(8)
 * does not deliver itself (remote addresses, addresses found through an owner- alias or an :include: file):
 * Postfix's forward_append() / forward_finish().
 *
 * Addresses are collected per (Delivered-To address, envelope sender) pair while one queue recipient is
 * expanded; when its expansion is done, each pair becomes ONE new message through cleanup (so each new recipient
 * has its own delivery status in the new queue file). The new message is the original content with, in front:
 *   Received: by MYHOSTNAME (MAIL_NAME)
 *   \tid NEWQID; DATE
 *   Delivered-To: ADDRESS            (lower case; when prepend_delivered_header includes "forward")
 * DSN: the notify bits lose SUCCESS; envelope id and RET are passed on unless an owner- alias reset them.
 * The queue recipient then logs `status=sent (forwarded as NEWQID)`, 2.0.0, once per new message.
 * When the expansion deferred anything, nothing is submitted (the whole recipient is tried again later).
 *
 * A message that cleanup refuses for good (too big, too many hops) bounces the recipient with cleanup's reason;
 * any other failure defers it with `unable to forward message`. Cleanup writes with the agent's resting rights
 * (mail_owner), and the caller wakes the queue manager afterwards.
 */
import { ATTR } from "../queue/index.ts";
import { Cleanup, CleanupError, type CleanupRecipient } from "../cleanup/cleanup.ts";
import { formatRfc2822Date } from "../message/index.ts";
import { msgWarn } from "../log/msg.ts";
import type { DeliveryJob, LoggedRecipient, RecipientOutcome } from "../mailbox/index.ts";

/** One address to forward to, with its DSN details. */
export interface ForwardRecipient {
  address: string;
  /** The original recipient ("" when an owner- alias reset it). */
  origAddress: string;
  notify: number;
  orcpt: string;
}

/** The envelope a forwarded message gets. */
export interface ForwardEnvelope {
  sender: string;
  delivered: string;
  dsnEnvid: string;
  dsnRet: number;
}

interface Group {
  env: ForwardEnvelope;
  rcpts: CleanupRecipient[];
}

/** What forwarding needs to know of the configuration. */
export interface ForwardSettings {
  myhostname: string;
  mailName: string;
  /** prepend_delivered_header includes "forward". */
  deliveredHeader: boolean;
}

/** The addresses collected for one queue recipient. */
export class ForwardBatch {
  private groups = new Map<string, Group>();

  /** forward_append(): adds an address under its (delivered, sender) pair. */
  append(env: ForwardEnvelope, rcpt: ForwardRecipient): void {
    const key = `${env.delivered}\0${env.sender}`;
    let g = this.groups.get(key);
    if (!g) {
      g = { env, rcpts: [] };
      this.groups.set(key, g);
    }
    g.rcpts.push({
      address: rcpt.address,
      ...(rcpt.origAddress !== "" ? { origAddress: rcpt.origAddress } : {}),
      notify: rcpt.notify,
      orcpt: rcpt.orcpt,
    });
  }

  /** True when something waits to be forwarded. */
  get pending(): boolean {
    return this.groups.size > 0;
  }

  /**
   * forward_finish(): submits one message per group unless `cancel` (something was deferred), logging each as
   * `forwarded as QID` for `top` (the queue recipient). Returns 1 when the recipient must be tried again.
   */
  async finish(job: DeliveryJob, cleanup: Cleanup, settings: ForwardSettings, outcome: RecipientOutcome, top: LoggedRecipient, cancel: boolean): Promise<number> {
    let status = cancel ? 1 : 0;
    for (const g of this.groups.values()) {
      if (status !== 0) break;
      try {
        const id = await submit(job, cleanup, settings, g);
        outcome.sent(top, "2.0.0", `forwarded as ${id}`);
      } catch (e) {
        if (e instanceof CleanupError && !e.temporary) {
          outcome.bounced(top, e.dsn, e.message);
        } else {
          msgWarn(`${job.queueId}: forward: ${e instanceof Error ? e.message : String(e)}`);
          status = outcome.deferred(top, "4.3.0", "unable to forward message");
        }
      }
    }
    this.groups.clear();
    return status;
  }
}

/** Resubmits the message for one group; resolves to the new queue ID. */
async function submit(job: DeliveryJob, cleanup: Cleanup, settings: ForwardSettings, g: Group): Promise<string> {
  const posted = new Date();
  let newId = "";
  const attributes = new Map<string, string>();
  for (const name of [ATTR.LOG_CLIENT_NAME, ATTR.LOG_CLIENT_ADDR, ATTR.LOG_PROTO_NAME, ATTR.LOG_HELO_NAME, "sasl_method", "sasl_username", "sasl_sender", "log_ident", ATTR.REWRITE_CONTEXT]) {
    const v = job.attribute(name);
    if (v !== "") attributes.set(name, v);
  }
  if (g.env.dsnEnvid !== "") attributes.set(ATTR.DSN_ENVID, g.env.dsnEnvid);
  if (g.env.dsnRet) attributes.set(ATTR.DSN_RET, String(g.env.dsnRet));
  // The Received: header names the NEW queue ID, known only once cleanup has created the file: the content is
  // produced lazily, after onQueueId.
  async function* content(): AsyncGenerator<Uint8Array> {
    let head = `Received: by ${settings.myhostname} (${settings.mailName})\n\tid ${newId}; ${formatRfc2822Date(posted)}\n`;
    if (settings.deliveredHeader) head += `Delivered-To: ${g.env.delivered.toLowerCase()}\n`;
    yield Buffer.from(head, "utf8");
    yield* job.content();
  }
  const res = await cleanup.process({
    sender: g.env.sender,
    recipients: g.rcpts,
    attributes,
    context: job.attribute(ATTR.REWRITE_CONTEXT) === "remote" ? "remote" : "local",
    content: content(),
    date: posted,
    onQueueId: (id) => {
      newId = id;
    },
  });
  return res.queueId;
}
