/**
 * delivery_job — what local(8) and virtual(8) share around each delivery request: the queue file (opened with a
 * shared lock, never changed), the message content, the Delivered-To addresses already in it, and the outcome of
 * each recipient, logged the way Postfix's agents log it.
 *
 * One queue recipient can lead to several deliveries (an alias with a file, a command and a mailbox), each logged
 * on its own `to=<…>, orig_to=<…>, relay=SERVICE, delay=…, dsn=…, status=… (TEXT)` line, as Postfix's sent(),
 * bounce_append() and defer_append() do. The queue manager records ONE status per queue recipient, which
 * RecipientOutcome.result() sums up:
 *   any deferred   → deferred, with the first deferral's status and text (the whole recipient is tried again
 *                    later, and, as in Postfix, deliveries that worked may then happen again)
 *   else any bounce → bounced, with the first bounce's status and text (the sender gets a notice)
 *   else           → sent, with the last success's status and text (or those of a failure whose notice the
 *                    agent sent itself, bouncedOne(): done, and the sender is not told)
 * A result handed over by another agent (mailbox_transport, fallback_transport) is counted the same way but not
 * logged again: that agent logged it. Each status is passed through the process's delivery status filter
 * (local_ or virtual_delivery_status_filter, internal/dsn/dsn_filter.ts) once, before it is logged and counted.
 *
 * Contract: DeliveryJob.open() throws QueueError when the queue file cannot be opened or read; nothing else
 * throws. Postfix: src/global/deliver_request.c, bounce.c, defer.c, sent.c (the logging side).
 */
import { logRecipient } from "../log/events.ts";
import { filterDeliveryStatus } from "../dsn/dsn_filter.ts";
import { layoutPath, openQueueFile, type QueueEnvelope, type QueueFile, type QueueLayout } from "../queue/index.ts";
import { deferAll, loggedStatus, recordsDeliveries, verifyOnly, type DeliveryReply, type DeliveryRequest, type RecipientResult, type AgentRecipient } from "../daemon/agent_protocol.ts";
import { msgWarn } from "../log/msg.ts";
import { DeliveredTo } from "./delivered_to.ts";

/** One delivery request's message. */
export class DeliveryJob {
  private delivered: DeliveredTo | undefined;

  private constructor(
    readonly req: DeliveryRequest,
    /** The master.cf service name, for `relay=`. */
    readonly service: string,
    private readonly file: QueueFile,
    readonly env: QueueEnvelope,
    /** When the agent got the request (ms), for the delays= field. */
    readonly handoff: number,
  ) {}

  /**
   * open(), or, when the queue file cannot be read, the reply that defers every recipient (`4.3.0 mail system
   * error: cannot read the queue file`, after a warning naming the problem), as each delivery agent answers then.
   */
  static openOrDefer(layout: QueueLayout, req: DeliveryRequest, service: string): DeliveryJob | DeliveryReply {
    try {
      return DeliveryJob.open(layout, req, service);
    } catch (e) {
      msgWarn(`${req.queueId}: ${e instanceof Error ? e.message : String(e)}`);
      return deferAll(req, "mail system error: cannot read the queue file", service, "4.3.0");
    }
  }

  /** Opens the request's queue file with a shared lock and reads its envelope. */
  static open(layout: QueueLayout, req: DeliveryRequest, service: string): DeliveryJob {
    const handoff = Date.now();
    const file = openQueueFile(layoutPath(layout, req.queueName, req.queueId), { lock: "shared" });
    try {
      return new DeliveryJob(req, service, file, file.envelope(), handoff);
    } catch (e) {
      file.close();
      throw e;
    }
  }

  get queueId(): string {
    return this.req.queueId;
  }

  /** The message content (headers and body), read afresh on each call. */
  content(): Iterable<Uint8Array> {
    return this.file.content();
  }

  /** The message's Delivered-To addresses (read once). */
  deliveredTo(): DeliveredTo {
    this.delivered ??= DeliveredTo.fromContent(this.file.content());
    return this.delivered;
  }

  /** An envelope attribute ("" when absent). */
  attribute(name: string): string {
    return this.env.attributes.get(name) ?? "";
  }

  close(): void {
    this.file.close();
  }
}

/** The address a log line names: the recipient as delivered and as originally given. */
export interface LoggedRecipient {
  address: string;
  origAddress: string;
}

type Status = "sent" | "bounced" | "deferred";

/** The outcome of one queue recipient; see the module header. */
export class RecipientOutcome {
  private firstDefer: { dsn: string; reason: string } | undefined;
  private firstBounce: { dsn: string; reason: string } | undefined;
  private lastSent: { dsn: string; reason: string } | undefined;
  private notified: { dsn: string; reason: string } | undefined;

  constructor(
    private readonly job: DeliveryJob,
    readonly rcpt: AgentRecipient,
  ) {}

  /** The deliveries of a probe or a `sendmail -v` request, as logged (RecipientResult.details). */
  private readonly details: NonNullable<RecipientResult["details"]> = [];

  private note(status: Status, dsn: string, reason: string): void {
    if (status === "deferred") this.firstDefer ??= { dsn, reason };
    else if (status === "bounced") this.firstBounce ??= { dsn, reason };
    else this.lastSent = { dsn, reason };
  }

  /** Logs and counts one delivery; returns 1 when it ends deferred (the filter may change the class), else 0. */
  private log(to: LoggedRecipient, status: Status, dsn: string, reason: string, filtered = false): number {
    if (!filtered) ({ status, dsn, reason } = filterDeliveryStatus({ status, dsn, reason }));
    const verify = verifyOnly(this.job.req);
    logRecipient({
      queueId: this.job.queueId, to: to.address, origTo: to.origAddress, relay: this.job.service, dsn, status: loggedStatus(status, verify), reason,
      times: { arrival: this.job.req.arrival, active: this.job.req.active, handoff: this.job.handoff },
    });
    if (recordsDeliveries(this.job.req)) this.details.push({ address: to.address, origAddress: to.origAddress, status, dsn, reason });
    this.note(status, dsn, reason);
    return status === "deferred" ? 1 : 0;
  }

  /** Postfix's sent(): logs and counts a delivery; returns 0. */
  sent(to: LoggedRecipient, dsn: string, reason: string): number {
    return this.log(to, "sent", dsn, reason);
  }

  /** Postfix's bounce_append(): logs and counts a permanent failure; returns 0 (done), 1 when the filter made it 4.x.x. */
  bounced(to: LoggedRecipient, dsn: string, reason: string): number {
    return this.log(to, "bounced", dsn, reason);
  }

  /**
   * bounce_one()'s filter step, before the agent sends a notice of its own: the status the notice and the log
   * should carry, or undefined when the filter turned the failure into a deferral (then logged and counted here,
   * and the caller returns 1).
   */
  filterBounceOne(to: LoggedRecipient, dsn: string, reason: string): { dsn: string; reason: string } | undefined {
    const f = filterDeliveryStatus({ status: "bounced" as Status, dsn, reason });
    if (f.status !== "deferred") return { dsn: f.dsn, reason: f.reason };
    this.log(to, "deferred", f.dsn, f.reason, true);
    return undefined;
  }

  /**
   * Postfix's bounce_one(): logs a permanent failure whose notice was sent on its own; returns 0 (done, no notice
   * due). The status must have passed filterBounceOne() already.
   */
  bouncedOne(to: LoggedRecipient, dsn: string, reason: string): number {
    logRecipient({
      queueId: this.job.queueId, to: to.address, origTo: to.origAddress, relay: this.job.service, dsn, status: "bounced", reason,
      times: { arrival: this.job.req.arrival, active: this.job.req.active, handoff: this.job.handoff },
    });
    this.notified ??= { dsn, reason };
    return 0;
  }

  /** Postfix's defer_append(): logs and counts a temporary failure; returns 1 (try again later), 0 when the filter made it 5.x.x. */
  deferred(to: LoggedRecipient, dsn: string, reason: string): number {
    return this.log(to, "deferred", dsn, reason);
  }

  /** bounced() or deferred() by the class of `dsn` (4.x.x defers). */
  failed(to: LoggedRecipient, dsn: string, reason: string): number {
    return dsn.startsWith("4") ? this.deferred(to, dsn, reason) : this.bounced(to, dsn, reason);
  }

  /** Counts a result another agent produced and logged. */
  passed(res: Pick<RecipientResult, "status" | "dsn" | "reason">): number {
    this.note(res.status, res.dsn, res.reason);
    return res.status === "deferred" ? 1 : 0;
  }

  /** The one result the queue manager records. */
  /** An alias or .forward file of this recipient with NOTIFY=SUCCESS was expanded: the success is "expanded". */
  expanded = false;

  result(): RecipientResult {
    const pick = (status: Status, d: { dsn: string; reason: string }) => ({ offset: this.rcpt.offset, status, dsn: d.dsn, reason: d.reason, relay: this.job.service });
    const details = this.details.length > 0 ? { details: this.details } : {};
    if (this.firstDefer) return { ...pick("deferred", this.firstDefer), ...details };
    if (this.firstBounce) return { ...pick("bounced", this.firstBounce), ...details };
    return { ...pick("sent", this.lastSent ?? this.notified ?? { dsn: "2.0.0", reason: "delivered" }), ...(this.expanded ? { action: "expanded" as const } : {}), ...details };
  }
}
