/**
 * qmgr — the queue manager (Postfix's qmgr(8)): moves messages from incoming and deferred into active, resolves
 * every pending recipient to a transport and next hop, hands recipients to delivery agents within the concurrency
 * limits, records each result in the queue file, and then removes the message, returns it to its sender, or moves
 * it to deferred with its next retry time.
 *
 * Queues and time stamps (as Postfix):
 *   incoming → active   on a trigger (I, W) or a periodic scan; at most qmgr_message_active_limit messages active
 *   deferred → active   when the file's mtime (its next retry time) is at most a second away, on a deferred scan
 *                       (D, or every queue_run_delay; Postfix's slack: a retry due just after a scan is not put
 *                       off by a whole queue_run_delay); `A` ignores the retry times once (postqueue -f)
 *   active → deferred   mtime set to now + backoff, backoff = the time since the queue file was made (its
 *                       create_time; minimal_backoff_time without one) clamped to [minimal_backoff_time,
 *                       maximal_backoff_time]
 *   hold                never touched
 *   At start-up, files left in active by a crash go back to incoming: recipients that were already recorded as
 *   delivered or bounced are skipped, the others are tried again (at-least-once delivery). For the same reason
 *   the queue manager's own moves and removals skip the directory fsyncs: a move lost in a crash only means the
 *   file is found in its old queue and processed again; what matters is in the fsynced file itself.
 *
 * Resolving: each pending recipient goes where resolve.ts says (transport, next hop). A recipient found in
 * relocated_maps resolves to the error transport, so it bounces with `status=bounced (User has moved to NEWADDR)`,
 * dsn 5.1.6. A table lookup that fails while resolving defers the recipient with `dsn=4.3.0,
 * status=deferred (address resolver failure)`, as Postfix's qmgr does; the resolver has logged the warnings.
 *
 * Content filter: a message that records one (`content_filter` attribute, written by cleanup from the
 * content_filter parameter or a FILTER action) has every recipient sent to the filter's transport and next hop
 * instead of the resolved ones: `transport:nexthop`; without a next hop, default_filter_nexthop, and when that is
 * empty the recipient's domain ($myhostname for a bare local part) — Postfix's qmgr_message_resolve().
 * Redirect: a message that records `redirect_to` (cleanup's REDIRECT action) is delivered once, to that address,
 * as its first unfinished recipient (logged `to=<redirect>, orig_to=<recipient>`); when that delivery is done
 * (delivered or bounced) the whole message is, as in Postfix; when it is deferred, all recipients wait.
 *
 * Scheduling: a job is (message, transport, next hop, up to `<transport>_destination_recipient_limit`
 * recipients). A transport runs at most its master.cf process limit (or default_process_limit) jobs at once, and
 * at most `<transport>_destination_concurrency_limit` per next hop (per recipient when the recipient limit is 1,
 * as Postfix counts local deliveries). Waiting jobs are kept per destination, oldest first, so handing out the
 * next one costs the same however many messages wait for one recipient. A job's slot is free again as soon as
 * its agent has answered: the next delivery starts before the results are written down. defer_transports are
 * deferred without a delivery attempt (`deferred transport`). A message's recipients are handed out in Postfix's
 * order (qmgr_message_sort): transport, queue name, domain, address.
 *
 * Dead destinations (dead_sites.ts): a delivery that failed for the whole site (the agent's siteFailure: no SMTP
 * server reached or willing) feeds Postfix's concurrency feedback; a destination declared dead gets no delivery
 * attempt for minimal_backoff_time: the retry service defers its recipients at once with `delivery temporarily
 * suspended: REASON` (logged as `postfix/error`), until a delivery reaches it, the time is up, or `postqueue -f`
 * (the `F` request) forgets dead destinations.
 *
 * Results: the agent logs the `to=<…>` line; qmgr appends D/b/d records (queue_file.ts) with one fsync per job
 * (none when every result is a delivery, see run()). A message whose recipients are all final is removed
 * (`QID: removed`; the kernel's freeing of the file happens on Bun's I/O thread pool) after bounces are handed
 * to the notifier. Delivery status reports (Postfix's trace service) are handed to it at the end of every
 * delivery pass, after the bounces, as Postfix's queue manager flushes its trace logfile then: recipients
 * delivered in the pass with DSN NOTIFY=SUCCESS (unless the next hop announced DSN and took NOTIFY over) get a
 * success notice; a message submitted with `sendmail -v` (TRACE_FLAG.RECORD) gets a report of every recipient
 * tried in its first pass, deferred ones as `delayed`, after which its trace_flags are cleared in the queue file
 * (an appended `A` record; Postfix kills the record), so later passes report nothing more. Deferred recipients
 * of a message older than maximal_queue_lifetime (bounce_queue_lifetime for the null sender), or one forced to
 * expire (postsuper -e), are returned to the sender.
 *
 * Contract: nothing here throws out of the event loop; a queue file that cannot be read is moved to corrupt
 * (`warning: QID: … moved to corrupt`); a file that disappeared (postsuper -d) is forgotten.
 */
import { statSync } from "node:fs";
import type { Config } from "../config/config.ts";
import { flushLogRecords, msgWarn, msgVerbose } from "../log/msg.ts";
import { logQueueActive, logRecipient, logRemoved } from "../log/events.ts";
import {
  ATTR, DSN_NOTIFY, TRACE_FLAG, openQueueFile, moveMessage, moveToCorrupt, deleteMessage, layoutPath, scanQueue, QueueError,
  type QueueLayout, type QueueFile, type QueueRecipient, type QueueEnvelope, type RecipientStatusUpdate,
} from "../queue/index.ts";
import type { Resolver } from "../resolve/resolve.ts";
import { MapError } from "../maps/index.ts";
import { AgentError, loggedStatus, REQ_FLAG_RECORD, REQ_FLAG_USR_VRFY, type DeliveryReply, type DeliveryRequest, type RecipientResult } from "../daemon/agent_protocol.ts";
import { DeadSites, feedbackSettings } from "./dead_sites.ts";
import { inProcessTransport } from "./local_transports.ts";

/** Something that delivers a request: an in-process transport or a client of an agent socket. */
export interface Deliverer {
  deliver(req: DeliveryRequest): Promise<DeliveryReply>;
}

/** How a transport name becomes a deliverer, with its limits. */
export interface TransportInfo {
  deliverer: Deliverer | undefined;
  /** Jobs running at once for the whole transport. */
  processLimit: number;
}

/** Returns sender notices for recipients that bounced (and delay warnings); implemented by the bounce module. */
export interface Notifier {
  /** Sends a non-delivery notice for `bounced` recipients; resolves to false when it must be retried later. */
  bounce(msg: ActiveMessageView, bounced: BouncedRecipient[]): Promise<boolean>;
  /** Sends a delay warning for recipients still deferred. */
  delayWarning(msg: ActiveMessageView, deferred: BouncedRecipient[]): Promise<boolean>;
  /**
   * Sends a delivery status report: success notices (`report` false) or a `sendmail -v` report (true); each
   * recipient's action is `delivered`, `relayed`, `expanded` or, in a report, `failed`.
   */
  deliveryReport(msg: ActiveMessageView, rcpts: BouncedRecipient[], report: boolean): Promise<boolean>;
}

/** What the notifier needs to know of a message. */
export interface ActiveMessageView {
  id: string;
  path: string;
  envelope: QueueEnvelope;
}

/** A recipient with its final (or latest) status, for notices. */
export interface BouncedRecipient {
  recipient: QueueRecipient;
  dsn: string;
  reason: string;
  relay: string;
  time: number;
  /** In a delivery status report: what happened (DSN action). */
  action?: "delivered" | "relayed" | "expanded" | "failed" | "delayed" | "deliverable" | "undeliverable";
}

/**
 * A probe's result as the queue file keeps it: every recipient is done (a `D` record), `deliverable` or
 * `undeliverable` (Postfix's trace records of a sendmail -bv message); nothing bounces or waits.
 */
function probeResult(res: RecipientResult): RecipientResult {
  return { ...res, status: "sent", action: res.status === "sent" ? "deliverable" : "undeliverable", notifyPassed: false };
}

/**
 * What the queue file records of a result: delivered, bounced or deferred with its status and text, and for a
 * delivery the action the reports need (queue_file.ts: `D` action).
 */
function recordedStatus(res: RecipientResult): Pick<RecipientStatusUpdate, "status" | "dsn" | "reason" | "action"> {
  const st = { dsn: res.dsn, reason: res.reason };
  if (res.status !== "sent") return { status: res.status, ...st };
  if (res.notifyPassed) return { status: "delivered", ...st, action: "notified" };
  return { status: "delivered", ...st, ...(res.action && res.action !== "delivered" ? { action: res.action } : {}) };
}

/** Stored actions a report names as they are (the others are `delivered`). */
const PASSED_ON = new Set(["relayed", "expanded", "deliverable", "undeliverable"]);

interface ActiveMessage {
  id: string;
  path: string;
  file: QueueFile;
  env: QueueEnvelope;
  activeAt: number;
  jobs: number;
  results: { r: QueueRecipient; res: RecipientResult }[];
  expired: boolean;
  /** The offset of the one recipient sent to a REDIRECT address (redirect_to) in place of all of them. */
  redirected?: number;
  /** A `sendmail -bv` probe (TRACE_FLAG.USR_VRFY): the agents only say what they would do; see probeResult(). */
  verify: boolean;
  /** A report of every recipient tried is due at the end of the pass (a probe, or TRACE_FLAG.RECORD: `sendmail -v`). */
  report: boolean;
}

interface Job {
  msg: ActiveMessage;
  transport: string;
  nexthop: string;
  /** What per-destination concurrency counts: the next hop, or the recipient when the recipient limit is 1. */
  dest: string;
  recipients: QueueRecipient[];
}

/** A first-in first-out list of jobs: take() costs the same however long the list is. */
class JobFifo {
  private items: Job[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(job: Job): void {
    this.items.push(job);
  }

  take(): Job | undefined {
    if (this.head >= this.items.length) return undefined;
    const job = this.items[this.head]!;
    this.items[this.head++] = undefined as never;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return job;
  }

  /** Takes every job. */
  drain(): Job[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return all;
  }
}

interface TransportQueue {
  name: string;
  info: TransportInfo;
  destLimit: number;
  rcptLimit: number;
  busy: number;
  destBusy: Map<string, number>;
  /** Jobs not started yet, per destination (Job.dest), oldest first; destinations in the order they got work. */
  waiting: Map<string, JobFifo>;
  /** dispatch() is running (a job that ends at once must not start a nested one), and whether to go round again. */
  dispatching: boolean;
  redispatch: boolean;
}

/** Queue manager settings read from main.cf. */
export interface QmgrSettings {
  activeLimit: number;
  queueRunDelay: number;
  minBackoff: number;
  maxBackoff: number;
  maxLifetime: number;
  bounceLifetime: number;
  delayWarningTime: number;
  deferTransports: Set<string>;
}

/** Reads the queue manager's parameters. */
export function qmgrSettings(cfg: Config): QmgrSettings {
  return {
    activeLimit: cfg.getInt("qmgr_message_active_limit"),
    queueRunDelay: cfg.getTime("queue_run_delay"),
    minBackoff: cfg.getTime("minimal_backoff_time"),
    maxBackoff: cfg.getTime("maximal_backoff_time"),
    maxLifetime: cfg.getTime("maximal_queue_lifetime"),
    bounceLifetime: cfg.getTime("bounce_queue_lifetime"),
    delayWarningTime: cfg.getTime("delay_warning_time"),
    deferTransports: new Set(cfg.getList("defer_transports")),
  };
}

const nowSec = () => Date.now() / 1000;

/** Code-unit order, as strcmp(3) on the UTF-8 bytes orders ASCII. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A recipient resolved to its transport and next hop, with Postfix's queue name for it (see activate()). */
interface Routed {
  r: QueueRecipient;
  transport: string;
  nexthop: string;
  queue: string;
}

/** Postfix's qmgr_message_sort_compare() of routed recipients. */
function compareRouted(a: Routed, b: Routed): number {
  const t = cmp(a.transport, b.transport) || cmp(a.queue, b.queue);
  if (t !== 0) return t;
  const da = a.r.address.lastIndexOf("@");
  const db = b.r.address.lastIndexOf("@");
  if (da < 0 !== db < 0) return da < 0 ? 1 : -1;
  if (da >= 0) {
    const d = cmp(a.r.address.slice(da).toLowerCase(), b.r.address.slice(db).toLowerCase());
    if (d !== 0) return d;
  }
  return cmp(a.r.address, b.r.address);
}

/** The queue manager. */
export class QueueManager {
  private active = new Map<string, ActiveMessage>();
  private transports = new Map<string, TransportQueue>();
  private scanning = { incoming: false, deferred: false };
  private again = { incoming: false, deferred: false };
  private ignoreRetryTimes = false;
  private stopping = false;
  private idleWaiters: (() => void)[] = [];
  private deferredTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly cfg: Config,
    private readonly layout: QueueLayout,
    private readonly resolver: Resolver,
    private readonly transportInfo: (name: string) => TransportInfo,
    private readonly notifier: Notifier,
    private readonly settings: QmgrSettings = qmgrSettings(cfg),
  ) {}

  /** Destinations that failed as a whole, by Postfix's concurrency feedback (dead_sites.ts). */
  private readonly sites = new DeadSites((transport) => feedbackSettings(this.cfg, transport, this.settings.minBackoff, msgWarn));
  /** Postfix's retry service, which defers the recipients of a dead destination (and logs as `postfix/error`). */
  private readonly retry = inProcessTransport("error", "retry")!;

  /** Recovers active files from a crash, then scans both queues and keeps scanning deferred periodically. */
  start(): void {
    for (const e of scanQueue(this.layout.queueDir, "active", { missingOk: true })) {
      try {
        moveMessage(this.layout, e.id, "active", "incoming");
      } catch (err) {
        msgWarn(`${e.id}: cannot return to incoming after restart: ${(err as Error).message}`);
      }
    }
    this.requestScan("incoming");
    this.requestScan("deferred");
    this.deferredTimer = setInterval(() => this.requestScan("deferred"), Math.max(1, this.settings.queueRunDelay) * 1000);
  }

  /** Handles trigger bytes from public/qmgr (W I D A F). */
  onTrigger(bytes: Uint8Array): void {
    const s = Buffer.from(bytes).toString("latin1");
    if (s.includes("F")) this.sites.forgetAll(); // forget dead destinations (postqueue -f)
    if (s.includes("A")) this.ignoreRetryTimes = true;
    if (s.includes("D")) this.requestScan("deferred");
    if (s.includes("I") || s.includes("W")) this.requestScan("incoming");
    if (s.includes("A") && !s.includes("D")) this.requestScan("deferred");
  }

  /** Scans a queue now (or again as soon as the running scan ends). */
  requestScan(queue: "incoming" | "deferred"): void {
    if (this.stopping) return;
    if (this.scanning[queue]) {
      this.again[queue] = true;
      return;
    }
    this.scanning[queue] = true;
    queueMicrotask(() => void this.scan(queue));
  }

  private async scan(queue: "incoming" | "deferred"): Promise<void> {
    try {
      const now = nowSec();
      const ignoreTimes = queue === "deferred" && this.ignoreRetryTimes;
      if (queue === "deferred") this.ignoreRetryTimes = false;
      for (const e of scanQueue(this.layout.queueDir, queue, { missingOk: true })) {
        if (this.stopping || this.active.size >= this.settings.activeLimit) {
          this.again[queue] = true;
          break;
        }
        if (this.active.has(e.id)) continue;
        if (queue === "deferred" && !ignoreTimes) {
          try {
            const st = statSync(e.path);
            const forced = (st.mode & 0o010) !== 0;
            if (st.mtimeMs / 1000 > now + 1 && !forced) continue;
          } catch {
            continue;
          }
        }
        this.activate(e.id, queue);
        // let deliveries start and results come back after each message: an activation costs a few file-system
        // calls, and an agent that waits for its next request while a large queue is read is wasted
        await new Promise((r) => setImmediate(r));
      }
    } catch (err) {
      msgWarn(`scan ${queue} queue: ${(err as Error).message}`);
    } finally {
      this.scanning[queue] = false;
      if (this.again[queue] && this.active.size < this.settings.activeLimit) {
        this.again[queue] = false;
        this.requestScan(queue);
      }
    }
  }

  private activate(id: string, from: "incoming" | "deferred"): void {
    let path: string;
    try {
      path = moveMessage(this.layout, id, from, "active", { durable: false });
    } catch (err) {
      if (err instanceof QueueError && (err.code === "notfound" || err.code === "locked")) return;
      msgWarn(`${id}: cannot move to active: ${(err as Error).message}`);
      return;
    }
    let file: QueueFile;
    let env: QueueEnvelope;
    try {
      file = openQueueFile(path, { write: true, lock: "shared" });
      env = file.envelope();
    } catch (err) {
      this.corrupt(id, err);
      return;
    }
    const forced = (() => {
      try {
        return (statSync(path).mode & 0o010) !== 0;
      } catch {
        return false;
      }
    })();
    const traceFlags = Number(env.attributes.get(ATTR.TRACE_FLAGS) ?? "0");
    const verify = (traceFlags & TRACE_FLAG.USR_VRFY) !== 0;
    const report = verify || (traceFlags & TRACE_FLAG.RECORD) !== 0;
    const msg: ActiveMessage = { id, path, file, env, activeAt: Date.now(), jobs: 0, results: [], expired: !verify && (forced || this.isExpired(env)), verify, report };
    this.active.set(id, msg);
    let pending = env.recipients.filter((r) => !r.done);
    // REDIRECT (header/body checks): the first recipient goes to that address, the others with it (Postfix)
    const redirect = env.attributes.get(ATTR.REDIRECT);
    if (redirect !== undefined && pending.length > 0 && !msg.expired) {
      pending = [{ ...pending[0]!, address: redirect }];
      msg.redirected = pending[0]!.offset;
    }
    logQueueActive(id, env.sender, env.reportedSize, env.rcptCount);
    if (msg.expired) {
      // too old: what is still deferred goes back to the sender with its last reason
      for (const r of pending) {
        this.record(msg, r, { offset: r.offset, status: "bounced", dsn: r.status?.dsn ?? "4.0.0", reason: r.status?.reason ?? "message expired", relay: "none" }, "expired, returned to sender");
      }
      this.finish(msg);
      return;
    }
    const filter = env.attributes.get(ATTR.CONTENT_FILTER) ?? "";
    const routed: Routed[] = [];
    for (const r of pending) {
      let res;
      try {
        res = filter !== "" ? this.filterRoute(filter, r.address) : this.resolver.resolve(r.address, env.sender);
      } catch (err) {
        // the resolver logged what failed; the recipient's reason is Postfix's, word for word
        if (!(err instanceof MapError)) msgWarn(`${id}: resolve ${r.address}: ${(err as Error).message}`);
        this.record(msg, r, { offset: r.offset, status: "deferred", dsn: "4.3.0", reason: "address resolver failure", relay: "none" });
        continue;
      }
      if (this.settings.deferTransports.has(res.transport)) {
        this.record(msg, r, { offset: r.offset, status: "deferred", dsn: "4.3.2", reason: "deferred transport", relay: "none" });
        continue;
      }
      // Postfix's queue name: the next hop, or local-part@nexthop when the recipient limit is 1
      const at = r.address.lastIndexOf("@");
      const local = (at < 0 ? r.address : r.address.slice(0, at)).toLowerCase();
      const queue = this.transport(res.transport).rcptLimit === 1 ? `${local}@${res.nexthop}` : res.nexthop;
      routed.push({ r, transport: res.transport, nexthop: res.nexthop, queue });
    }
    // in Postfix's order (qmgr_message_sort): transport, queue name, recipient domain (case-insensitive; none last),
    // address: the order of the deliveries, of the RCPT TO commands of one, and of their log lines
    routed.sort(compareRouted);
    const groups = new Map<string, Job>();
    for (const { r, transport, nexthop } of routed) {
      const q = this.transport(transport);
      const key = `${transport}\0${nexthop}`;
      let job = groups.get(key);
      if (!job || job.recipients.length >= q.rcptLimit) {
        if (job) this.enqueue(q, job);
        // a recipient limit of 1 turns the per-destination concurrency into concurrency per recipient (Postfix)
        const dest = q.rcptLimit === 1 ? `${nexthop}\0${r.address.toLowerCase()}` : nexthop;
        job = { msg, transport, nexthop, dest, recipients: [] };
        groups.set(key, job);
      }
      job.recipients.push(r);
    }
    for (const job of groups.values()) this.enqueue(this.transport(job.transport), job);
    if (msg.jobs === 0) this.finish(msg);
  }

  /** Where a content filter sends a recipient (see the header). */
  private filterRoute(filter: string, address: string): { transport: string; nexthop: string } {
    const colon = filter.indexOf(":");
    const transport = colon < 0 ? filter : filter.slice(0, colon);
    let nexthop = colon < 0 ? "" : filter.slice(colon + 1);
    if (nexthop === "") nexthop = this.cfg.get("default_filter_nexthop");
    if (nexthop === "") {
      const at = address.lastIndexOf("@");
      nexthop = at >= 0 && at < address.length - 1 ? address.slice(at + 1) : this.cfg.get("myhostname");
    }
    return { transport, nexthop };
  }

  private isExpired(env: QueueEnvelope): boolean {
    const lifetime = env.sender === "" ? this.settings.bounceLifetime : this.settings.maxLifetime;
    // as Postfix: counted from when this queue file was made (a requeued message keeps its first arrival time)
    const expires = env.expireTime ?? (env.createTime ?? env.arrivalTime.sec) + lifetime;
    return nowSec() >= expires && env.recipients.some((r) => r.status?.status === "deferred");
  }

  private transport(name: string): TransportQueue {
    let q = this.transports.get(name);
    if (!q) {
      const info = this.transportInfo(name);
      q = {
        name, info, busy: 0, destBusy: new Map(), waiting: new Map(), dispatching: false, redispatch: false,
        destLimit: Math.max(1, this.cfg.getInt(`${name}_destination_concurrency_limit`) || 1),
        rcptLimit: Math.max(1, this.cfg.getInt(`${name}_destination_recipient_limit`) || 1),
      };
      this.transports.set(name, q);
    }
    return q;
  }

  private enqueue(q: TransportQueue, job: Job): void {
    if (job.recipients.length === 0) return;
    job.msg.jobs++;
    let list = q.waiting.get(job.dest);
    if (!list) q.waiting.set(job.dest, (list = new JobFifo()));
    list.push(job);
    this.dispatch(q);
  }

  /**
   * Starts waiting jobs while the transport and their destinations have room. Work per call is proportional to
   * the destinations with waiting jobs, not to the jobs: a queue of thousands of messages to one recipient costs
   * nothing extra per delivery.
   */
  private dispatch(q: TransportQueue): void {
    if (q.dispatching) {
      q.redispatch = true;
      return;
    }
    q.dispatching = true;
    try {
      do {
        q.redispatch = false;
        for (const [dest, list] of q.waiting) {
          if (q.busy >= q.info.processLimit) break;
          while (list.length > 0 && q.busy < q.info.processLimit && (q.destBusy.get(dest) ?? 0) < q.destLimit) {
            const job = list.take()!;
            q.busy++;
            q.destBusy.set(dest, (q.destBusy.get(dest) ?? 0) + 1);
            this.launch(q, job);
          }
          if (list.length === 0) q.waiting.delete(dest);
        }
      } while (q.redispatch);
    } finally {
      q.dispatching = false;
    }
  }

  /** Runs one job; its concurrency slot is given back as soon as the agent has answered (see run()). */
  private launch(q: TransportQueue, job: Job): void {
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      q.busy--;
      const n = (q.destBusy.get(job.dest) ?? 1) - 1;
      if (n <= 0) q.destBusy.delete(job.dest);
      else q.destBusy.set(job.dest, n);
      this.dispatch(q);
    };
    void this.run(q, job, release).finally(release);
  }

  /**
   * Sends a job to its agent and records the results. `release` is called as soon as the reply is in, before the
   * results are written to the queue file and a finished message is removed: the agent is done with this
   * delivery, and its next one should not wait for the queue manager's file-system work.
   */
  private async run(q: TransportQueue, job: Job, release: () => void): Promise<void> {
    const { msg } = job;
    const req: DeliveryRequest = {
      queueName: "active", queueId: msg.id, sender: msg.env.sender, nexthop: job.nexthop, service: job.transport,
      recipients: job.recipients.map((r) => ({ address: r.address, origAddress: r.origAddress, offset: r.offset, notify: r.notify, orcpt: r.orcpt })),
      arrival: msg.env.arrivalTime.sec * 1000 + Math.floor(msg.env.arrivalTime.usec / 1000), active: msg.activeAt,
      size: msg.env.reportedSize, envid: msg.env.dsnEnvid ?? "", ret: msg.env.dsnRet, flags: msg.verify ? REQ_FLAG_USR_VRFY : msg.report ? REQ_FLAG_RECORD : 0,
    };
    let reply: DeliveryReply;
    const dead = this.sites.dead(job.transport, job.nexthop, nowSec());
    if (dead) {
      // a dead destination: no delivery attempt; the retry service defers with the site's reason (Postfix)
      reply = await this.retry.deliver({ ...req, nexthop: `${dead.dsn} ${dead.reason}` });
    } else if (!q.info.deliverer) {
      reply = {
        results: req.recipients.map((r) => ({ offset: r.offset, status: "deferred" as const, dsn: "4.3.0", reason: "mail transport unavailable", relay: "none" })),
      };
      this.logByQmgr(msg, job, reply);
    } else {
      try {
        reply = await q.info.deliverer.deliver(req);
        const site = reply.siteFailure;
        if (site && /^4\.\d{1,3}\.\d{1,3}$/.test(site.dsn)) this.sites.failed(job.transport, job.nexthop, site.dsn, site.reason, nowSec());
        else this.sites.succeeded(job.transport, job.nexthop, q.destBusy.get(job.dest) ?? 0);
      } catch (err) {
        const reason = err instanceof AgentError ? `delivery temporarily suspended: ${err.message}` : `delivery failed: ${(err as Error).message}`;
        reply = { results: req.recipients.map((r) => ({ offset: r.offset, status: "deferred" as const, dsn: "4.3.0", reason, relay: "none" })) };
        this.logByQmgr(msg, job, reply);
      }
    }
    release();
    const byOffset = new Map(reply.results.map((r) => [r.offset, r]));
    const updates: RecipientStatusUpdate[] = [];
    for (const r of job.recipients) {
      const got = byOffset.get(r.offset) ?? { offset: r.offset, status: "deferred" as const, dsn: "4.3.0", reason: "delivery agent gave no result", relay: "none" };
      const res = msg.verify ? probeResult(got) : got;
      msg.results.push({ r, res });
      updates.push({ recipient: r, ...recordedStatus(res) });
    }
    // Delivered-only results need no fsync of their own: if a crash loses them, the recipients are delivered
    // again (at least once, as after a crash between a delivery and its record); deferrals and bounces are
    // synced because mailq and the sender's notice depend on them.
    this.append(msg, updates, !updates.every((u) => u.status === "delivered"));
    msg.jobs--;
    if (msg.jobs === 0) this.finish(msg);
  }

  /** Logs a result that no agent logged (transport unavailable, agent died). */
  private logByQmgr(msg: ActiveMessage, job: Job, reply: DeliveryReply): void {
    for (const res of reply.results) {
      const r = job.recipients.find((x) => x.offset === res.offset);
      if (!r) continue;
      logRecipient({
        queueId: msg.id, to: r.address, origTo: r.origAddress, relay: res.relay, dsn: res.dsn, status: loggedStatus(res.status, msg.verify), reason: res.reason,
        times: { arrival: msg.env.arrivalTime.sec * 1000 + msg.env.arrivalTime.usec / 1000, active: msg.activeAt },
      });
    }
  }

  /** Records a result decided by qmgr itself (deferred transport, resolver failure, expiry) and logs it. */
  private record(msg: ActiveMessage, r: QueueRecipient, decided: RecipientResult, logStatus: string = decided.status): void {
    const res = msg.verify ? probeResult(decided) : decided;
    if (msg.verify) logStatus = loggedStatus(decided.status, true);
    msg.results.push({ r, res });
    this.append(msg, [{ recipient: r, ...recordedStatus(res) }]);
    logRecipient({
      queueId: msg.id, to: r.address, origTo: r.origAddress, relay: res.relay, dsn: res.dsn, status: logStatus, reason: res.reason,
      times: { arrival: msg.env.arrivalTime.sec * 1000 + msg.env.arrivalTime.usec / 1000, active: msg.activeAt },
    });
  }

  private append(msg: ActiveMessage, updates: RecipientStatusUpdate[], sync = true): void {
    if (updates.length === 0) return;
    try {
      msg.file.appendRecipientStatus(updates, { sync });
    } catch (err) {
      msgWarn(`${msg.id}: cannot record delivery status: ${(err as Error).message}`);
    }
  }

  private async finish(msg: ActiveMessage): Promise<void> {
    // the envelope as read at activation plus the results recorded since: no need to read the file again
    const latest = new Map(msg.results.map((x) => [x.r.offset, x.res]));
    const now = Math.floor(nowSec());
    const env: QueueEnvelope = {
      ...msg.env,
      recipients: msg.env.recipients.map((r) => {
        const res = latest.get(r.offset);
        if (!res) return r;
        const st = recordedStatus(res);
        return { ...r, done: st.status !== "deferred", status: { ...st, time: now, offset: -1 } };
      }),
    };
    const view: ActiveMessageView = { id: msg.id, path: msg.path, envelope: env };
    const bounced: BouncedRecipient[] = [];
    for (const r of env.recipients) {
      const st = r.status;
      if (st?.status !== "bounced") continue;
      // only the ones bounced in this pass; earlier ones had their notice already
      const res = latest.get(r.offset);
      if (!res || res.status !== "bounced") continue;
      bounced.push({ recipient: r, dsn: st.dsn, reason: st.reason, relay: res.relay, time: st.time });
    }
    if (bounced.length > 0) { // the notifier decides (a bounce of mail from <> goes to the postmaster or nowhere)
      const ok = await this.notifier.bounce(view, bounced).catch((e) => {
        msgWarn(`${msg.id}: cannot send non-delivery notification: ${(e as Error).message}`);
        return false;
      });
      if (!ok) {
        // keep the message: the bounce is retried at the next attempt (the b records stay)
        this.deferMessage(msg, env);
        return;
      }
      this.requestScan("incoming"); // the notice is in incoming now
    }
    // a redirected message is done once its one delivery is
    const redirectDone = msg.redirected !== undefined && env.recipients.some((r) => r.offset === msg.redirected && r.done);
    const undone = redirectDone ? [] : env.recipients.filter((r) => !r.done);
    await this.reportPass(msg, view, latest, undone.length === 0);
    if (undone.length === 0) {
      msg.file.close();
      flushLogRecords(); // the to=<…> lines of an in-process delivery are in the log before the file goes
      try {
        deleteMessage(this.layout, "active", msg.id, { durable: false, closeInBackground: true });
        logRemoved(msg.id);
      } catch (err) {
        if (!(err instanceof QueueError && err.code === "notfound")) msgWarn(`${msg.id}: remove: ${(err as Error).message}`);
      }
      this.active.delete(msg.id);
      this.wakeIdle();
      return;
    }
    if (this.settings.delayWarningTime > 0 && env.warningTime === 0 && env.sender !== "") {
      const due = env.arrivalTime.sec + this.settings.delayWarningTime;
      if (nowSec() >= due - 1) { // Postfix's one second of slack
        const deferred = undone.map((r) => ({ recipient: r, dsn: r.status?.dsn ?? "4.0.0", reason: r.status?.reason ?? "", relay: "none", time: r.status?.time ?? 0 }));
        const ok = await this.notifier.delayWarning(view, deferred).catch(() => false);
        if (ok) {
          this.requestScan("incoming");
          try {
            msg.file.appendWarningTime(Math.floor(nowSec()));
          } catch (err) {
            msgWarn(`${msg.id}: cannot record delay warning: ${(err as Error).message}`);
          }
        }
      }
    }
    this.deferMessage(msg, env);
  }

  /**
   * Hands this delivery pass's status report to the notifier (see the header); `latest`: the pass's results by
   * recipient offset, `done`: the message is finished. A report that cannot be queued is only logged: the
   * deliveries stand, and a `sendmail -v` message keeps its trace flags (the next pass reports).
   */
  private async reportPass(msg: ActiveMessage, view: ActiveMessageView, latest: ReadonlyMap<number, RecipientResult>, done: boolean): Promise<void> {
    // most mail asks for no report
    if (!msg.report && !view.envelope.recipients.some((r) => (r.notify & DSN_NOTIFY.SUCCESS) !== 0)) return;
    const rcpts: BouncedRecipient[] = [];
    const byOffset = new Map(view.envelope.recipients.map((r) => [r.offset, r]));
    // `latest` lists the recipients in the order their results came in, as Postfix's agents append its trace logfile
    for (const [offset, res] of latest) {
      const r = byOffset.get(offset);
      const st = r?.status;
      if (r === undefined || st === undefined) continue;
      const success = st.status === "delivered" && (r.notify & DSN_NOTIFY.SUCCESS) !== 0 && st.action !== "notified";
      if (!msg.report && !success) continue;
      const relay = res.relay ?? "";
      // a probe or a `sendmail -v` report: each delivery as the agent made it (an alias or .forward file: the
      // final addresses), as Postfix's agents record them in its trace logfile
      const details = msg.report ? res.details : undefined;
      if (details !== undefined && details.length > 0) {
        for (const d of details) {
          const action = msg.verify ? (d.status === "sent" ? "deliverable" : "undeliverable") : d.status === "sent" ? "delivered" : d.status === "bounced" ? "failed" : "delayed";
          rcpts.push({ recipient: { ...r, address: d.address, origAddress: d.origAddress }, dsn: d.dsn, reason: d.reason, relay, time: st.time, action });
        }
        continue;
      }
      const action =
        st.status === "bounced" ? "failed" : st.status === "deferred" ? "delayed" : PASSED_ON.has(st.action ?? "") ? (st.action as BouncedRecipient["action"]) : "delivered";
      // local(8)'s record of an expanded alias or .forward file: `2.0.0 alias expanded`
      const [dsn, reason] = action === "expanded" ? ["2.0.0", "alias expanded"] : [st.dsn, st.reason];
      rcpts.push({ recipient: r, dsn, reason, relay, time: st.time, action });
    }
    if (rcpts.length === 0) return;
    const ok = await this.notifier.deliveryReport(view, rcpts, msg.report).catch((e) => {
      msgWarn(`${msg.id}: cannot send delivery status notification: ${(e as Error).message}`);
      return false;
    });
    if (!ok) return;
    this.requestScan("incoming");
    if (msg.report && !msg.verify && !done) {
      try {
        msg.file.appendAttribute(ATTR.TRACE_FLAGS, "0");
      } catch (err) {
        msgWarn(`${msg.id}: cannot clear the trace flags: ${(err as Error).message}`);
      }
    }
  }

  private deferMessage(msg: ActiveMessage, env: QueueEnvelope): void {
    msg.file.close();
    // Postfix's: the time since the queue file was made (a requeued message starts over), clamped
    const created = env.createTime ?? 0;
    const age = created > 0 ? Math.max(0, nowSec() - created) : 0;
    const backoff = Math.min(this.settings.maxBackoff, Math.max(this.settings.minBackoff, age));
    // stopping: recipients that were never tried go back to incoming, to be tried at once after the restart
    const untried = env.recipients.some((r) => !r.done && r.status === undefined);
    try {
      if (this.stopping && untried) moveMessage(this.layout, msg.id, "active", "incoming", { durable: false });
      else moveMessage(this.layout, msg.id, "active", "deferred", { time: Math.floor(nowSec() + backoff), durable: false });
    } catch (err) {
      if (!(err instanceof QueueError && err.code === "notfound")) msgWarn(`${msg.id}: cannot move to deferred: ${(err as Error).message}`);
    }
    this.active.delete(msg.id);
    this.wakeIdle();
  }

  private corrupt(id: string, err: unknown): void {
    this.active.delete(id);
    if (err instanceof QueueError && err.code === "notfound") return;
    msgWarn(`${id}: ${(err as Error).message}`);
    try {
      moveToCorrupt(this.layout, "active", id);
      msgWarn(`${id}: moved to corrupt queue`);
    } catch (e2) {
      msgWarn(`${id}: cannot move to corrupt: ${(e2 as Error).message}`);
    }
  }

  private wakeIdle(): void {
    if (this.active.size < this.settings.activeLimit) {
      if (this.again.incoming) this.requestScan("incoming");
      if (this.again.deferred) this.requestScan("deferred");
    }
    if (this.active.size === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Number of messages in the active queue. */
  activeCount(): number {
    return this.active.size;
  }

  /** Stops taking new work and resolves when every active message is finished (postfix stop). */
  async drain(): Promise<void> {
    this.stopping = true;
    if (this.deferredTimer) clearInterval(this.deferredTimer);
    for (const q of this.transports.values()) {
      // jobs not yet started stay for the next run: their messages are deferred by finish() as the waiting
      // jobs are dropped here
      const dropped = [...q.waiting.values()].flatMap((list) => list.drain());
      q.waiting.clear();
      for (const job of dropped) {
        job.msg.jobs--;
        if (job.msg.jobs === 0) void this.finish(job.msg);
      }
    }
    if (this.active.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    msgVerbose("queue manager drained");
  }

  /** The path of an active message (for agents in the same process). */
  activePath(id: string): string {
    return layoutPath(this.layout, "active", id);
  }
}
