/**
 * NAME
 *   postqueue — mail queue control: list the queue, ask for delivery now
 *
 * SYNOPSIS
 *   postqueue [-v] [-c config_dir] -f | -i queue_id | -j | -p | -s site
 *   postqueue [-c config_dir] --stats | --shape [--by rcpt-domain|sender-domain|reason]
 *   mailq [selectors]                               (the same as postqueue -p)
 *   selectors: --queue Q --sender RE --rcpt RE --reason RE --older DUR --younger DUR --min-size N
 *
 * DESCRIPTION
 *   -p lists the queue in Postfix's mailq layout, -j as Postfix's JSON Lines (internal/showq/mailq_format.ts):
 *   maildrop, active, incoming, deferred and hold, in that order, read directly from the queue directory one
 *   message at a time (internal/queue/queue_listing.ts; memory does not grow with the queue), whether or not
 *   the mail system runs. A queue of more than ~12,000 messages is listed by two threads, in the same order
 *   (internal/showq/parallel_listing.ts); with -v (super-user) the log says how many blocks the second listed.
 *
 *   -f asks the running queue manager to deliver all queued mail now (request `FADI` to public/qmgr, then `W` to
 *   public/pickup). -i queue_id does the same for one deferred message, and -s site for the deferred messages
 *   with a recipient at site, which must be listed in fast_flush_domains (a plain list of domains: a domain
 *   matches itself and its subdomains, `.domain` only subdomains): the message is moved from deferred to incoming
 *   with its times set to now, as Postfix's flush(8) server does, and the queue manager is asked to scan
 *   incoming (`FI`). All three fail with Postfix's message when the mail system is down.
 *
 *   postkit additions: selectors (internal/showq/selector.ts) restrict -p, -j, --stats and --shape;
 *   --stats prints messages, bytes and the age of the oldest message per queue; --shape prints qshape(1)'s table
 *   (default queues incoming and active, as qshape; --queue to choose) by recipient domain, sender domain or
 *   delay reason.
 *
 * OPTIONS
 *   -c config_dir   configuration directory (else $MAIL_CONFIG, else /etc/postfix)
 *   -f, -i queue_id, -j, -p, -s site   the modes above; exactly one mode may be given
 *   -v              verbose (root only, as Postfix)
 *
 * EXIT STATUS
 *   0 on success (an empty queue too). Every fatal error exits 69 (EX_UNAVAILABLE), as Postfix's postqueue:
 *   usage, an invalid queue ID or site, a site not eligible for fast flush, the mail system down (-f/-i/-s), a
 *   user not in authorized_mailq_users / authorized_flush_users.
 *
 * FILES
 *   $queue_directory/{maildrop,active,incoming,deferred,hold}, $queue_directory/public/{qmgr,pickup}
 *
 * SEE ALSO
 *   postsuper(1), postcat(1), internal/showq/
 */
import { getopt } from "../internal/text/getopt.ts";
import { FatalError, UsageError } from "../internal/sys/errors.ts";
import { initMsg, msgVerbose, msgWarn, setMsgVerbose } from "../internal/log/msg.ts";
import { stdoutClosed, writeOut } from "../internal/sys/stdout.ts";
import { getpwnam, getpwuid } from "../internal/sys/passwd.ts";
import { bindLogToConfig, loadConfig, type Config } from "../internal/config/config.ts";
import { sendTrigger } from "../internal/ipc/trigger.ts";
import { QueueError } from "../internal/queue/queue_error.ts";
import { isValidQueueId } from "../internal/queue/queue_id.ts";
import { SHOWQ_QUEUES, type QueueName } from "../internal/queue/queue_path.ts";
import { layoutPath, moveMessage, queueLayout, scanQueueSummaries, type QueueLayout, type QueueSummaryFailure } from "../internal/queue/queue_ops.ts";
import { ListedMessage } from "../internal/queue/queue_listing.ts";
import { jsonLine, mailqEnd, MailqListing } from "../internal/showq/mailq_format.ts";
import { listQueuesParallel } from "../internal/showq/parallel_listing.ts";
import { needsEnvelope, parseSelector, selectMessages, SELECTABLE_QUEUES, SELECTOR_LONG_OPTIONS } from "../internal/showq/selector.ts";
import { QueueShape, QueueStats, SHAPE_KEYS, type ShapeKey } from "../internal/showq/queue_report.ts";
import { nodeFs } from "../internal/sys/node_fs.ts";

export const USAGE = "postqueue -f | postqueue -i queueid | postqueue -j | postqueue -p | postqueue -s site";

export const HELP = `usage: ${USAGE}

Mail queue control.
  -p              list the queue (mailq format)       -j   list the queue as JSON Lines
  -f              deliver all queued mail now         -i queue_id   deliver one deferred message now
  -s site         deliver deferred mail for site now  -c config_dir, -v
postkit additions:
  --stats         messages, bytes and oldest age per queue
  --shape [--by rcpt-domain|sender-domain|reason]   qshape's age table
  selectors for -p, -j, --stats, --shape: --queue Q --sender RE --rcpt RE --reason RE --older DUR --younger DUR --min-size N
`;

export const MAILQ_HELP = `usage: mailq [selectors]

List the mail queue (the same as "postqueue -p").
  selectors: --queue Q --sender RE --rcpt RE --reason RE --older DUR --younger DUR --min-size N
`;

const LONGS: Record<string, 0 | 1> = { ...SELECTOR_LONG_OPTIONS, stats: 0, shape: 0, by: 1 };

type Mode = "p" | "j" | "f" | "i" | "s" | "--stats" | "--shape";

function layoutOf(cfg: Config): QueueLayout {
  return queueLayout(cfg.get("queue_directory"), {
    hashQueues: cfg.getList("hash_queue_names"),
    hashDepth: cfg.getInt("hash_queue_depth"),
    longIds: cfg.getBool("enable_long_queue_ids"),
  });
}

/** Postfix's check_user_acl_byuid() for the plain forms: static:anyone, user names; root and mail_owner pass. */
function checkAcl(cfg: Config, param: string, what: string): void {
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) return;
  const owner = getpwnam(cfg.get("mail_owner"));
  if (owner && owner.uid === uid) return;
  const name = getpwuid(uid)?.name ?? String(uid);
  for (const entry of cfg.getList(param)) {
    if (entry === "static:anyone") return;
    if (!entry.includes(":") && entry === name) return;
  }
  throw new FatalError(`User ${name}(${uid}) is not allowed to ${what} the mail queue`);
}

/** Postfix's valid_hostname() and valid_mailhost_literal(), enough for -s. */
function validSite(site: string): boolean {
  if (site.startsWith("[")) {
    const m = /^\[(?:ipv6:)?([0-9a-fA-F:.]+)\]$/.exec(site);
    if (!m) return false;
    const a = m[1]!;
    if (site.toLowerCase().startsWith("[ipv6:")) return a.includes(":");
    return /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(a) && a.split(".").every((n) => Number(n) <= 255);
  }
  if (site.length === 0 || site.length > 255) return false;
  const labels = site.split(".");
  let numeric = true;
  for (const l of labels) {
    if (l.length === 0 || l.length > 63 || !/^[A-Za-z0-9_-]+$/.test(l) || l.startsWith("-") || l.endsWith("-")) return false;
    if (!/^\d+$/.test(l)) numeric = false;
  }
  return !numeric;
}

/** fast_flush_domains as a plain domain list (see the header); type:table entries are not supported yet. */
function flushEligible(cfg: Config, site: string): boolean {
  const host = site.toLowerCase();
  for (const raw of cfg.getList("fast_flush_domains")) {
    const neg = raw.startsWith("!");
    const e = (neg ? raw.slice(1) : raw).toLowerCase();
    if (e.includes(":") && !e.startsWith("[")) {
      msgWarn(`fast_flush_domains: ${raw}: lookup tables are not supported here; entry ignored`);
      continue;
    }
    const hit = e.startsWith(".") ? host.endsWith(e) : host === e || host.endsWith(`.${e}`);
    if (hit) return !neg;
  }
  return false;
}

async function failIfDown(queueDir: string, probe: Uint8Array): Promise<void> {
  const fail = await sendTrigger(queueDir, "public", "qmgr", probe);
  if (!fail) return;
  if (fail.lookup) msgWarn(fail.lookup);
  throw new FatalError("Cannot flush mail queue - mail system is down");
}

/** Moves deferred message `id` to incoming with its times set to now, as flush(8) does; false when not found. */
function flushOne(layout: QueueLayout, id: string): boolean {
  const now = new Date();
  for (const q of ["deferred", "incoming"] as const) {
    try {
      nodeFs().utimesSync(layoutPath(layout, q, id), now, now);
    } catch {
      continue;
    }
    if (q === "incoming") return true;
    try {
      moveMessage(layout, id, "deferred", "incoming", { time: now });
    } catch (e) {
      if (!(e instanceof QueueError)) throw e;
      if (e.code !== "notfound" && e.code !== "locked") msgWarn(`${id}: rename from deferred to incoming: ${e.message}`);
    }
    return true;
  }
  return false;
}

async function listQueue(cfg: Config, layout: QueueLayout, mode: "p" | "j", opts: ReturnType<typeof getopt>): Promise<void> {
  const sel = parseSelector(opts.opts);
  const emptyAddress = cfg.get("empty_address_recipient");
  // without a selector (or one that only names queues), the listing's own lean scan on two threads
  // (internal/showq/parallel_listing.ts over internal/queue/queue_listing.ts)
  if (!needsEnvelope(sel)) {
    const out = (text: string): boolean => {
      writeOut(text);
      return !stdoutClosed();
    };
    const fmt = { mode, longIds: layout.longIds, emptyAddress };
    const { count, bytes, workerBlocks } = await listQueuesParallel(layout, sel?.queues ?? SHOWQ_QUEUES, fmt, out, (w) => msgWarn(w));
    msgVerbose(`listed ${count} messages; ${workerBlocks} blocks of them on a second thread`);
    if (mode === "p" && !stdoutClosed()) writeOut(mailqEnd(count, bytes));
    return;
  }
  const listing = mode === "p" ? new MailqListing({ longIds: layout.longIds, emptyAddress }) : undefined;
  const m = new ListedMessage();
  for (const s of selectMessages(layout, sel, (f: QueueSummaryFailure) => msgWarn(`${f.queueId}: ${f.error.message}`))) {
    const lm = m.fromSummary(s);
    writeOut(listing ? listing.entry(lm) : jsonLine(lm, emptyAddress));
    if (stdoutClosed()) return;
  }
  if (listing && !stdoutClosed()) writeOut(listing.end());
}

/** postqueue's entry point. */
export async function run(argv: string[]): Promise<number> {
  const opts = getopt(argv, "c:fi:jps:v", USAGE, LONGS);
  let mode: Mode | undefined;
  for (const o of opts.opts) {
    if (["f", "i", "j", "p", "s", "--stats", "--shape"].includes(o.opt)) {
      if (mode !== undefined) throw new UsageError(USAGE);
      mode = o.opt as Mode;
    }
  }
  if (mode === undefined || opts.args.length > 0) throw new UsageError(USAGE);
  if (process.geteuid?.() === 0) setMsgVerbose(opts.count("v"));
  const cfg = loadConfig({ configDir: opts.last("c") });
  bindLogToConfig(cfg);
  const layout = layoutOf(cfg);
  const queueDir = layout.queueDir;

  const site = opts.last("s");
  if (mode === "s" && !validSite(site!)) {
    throw new FatalError(`Cannot flush mail queue - invalid destination: "${site!.slice(0, 100)}${site!.length > 100 ? "..." : ""}"`);
  }
  const id = opts.last("i");
  if (mode === "i" && !isValidQueueId(id)) {
    throw new FatalError(`Cannot flush queue ID - invalid name: "${id!.slice(0, 100)}${id!.length > 100 ? "..." : ""}"`);
  }

  switch (mode) {
    case "p":
    case "j":
      checkAcl(cfg, "authorized_mailq_users", "view");
      await listQueue(cfg, layout, mode, opts);
      return 0;
    case "--stats": {
      checkAcl(cfg, "authorized_mailq_users", "view");
      const sel = parseSelector(opts.opts);
      const queues = sel?.queues ?? SELECTABLE_QUEUES;
      const stats = new QueueStats(queues);
      for (const s of selectMessages(layout, sel, (f) => msgWarn(`${f.queueId}: ${f.error.message}`), queues)) stats.add(s);
      writeOut(stats.render(Math.floor(Date.now() / 1000)));
      return 0;
    }
    case "--shape": {
      checkAcl(cfg, "authorized_mailq_users", "view");
      const by = (opts.last("--by") ?? "rcpt-domain") as ShapeKey;
      if (!SHAPE_KEYS.includes(by)) throw new FatalError(`--by ${by}: not one of ${SHAPE_KEYS.join(", ")}`);
      const sel = parseSelector(opts.opts);
      const queues: readonly QueueName[] = sel?.queues ?? ["incoming", "active"];
      const shape = new QueueShape(by, Math.floor(Date.now() / 1000));
      for (const s of selectMessages(layout, sel, (f) => msgWarn(`${f.queueId}: ${f.error.message}`), queues)) shape.add(s);
      writeOut(shape.render());
      return 0;
    }
    case "f": {
      checkAcl(cfg, "authorized_flush_users", "flush");
      await failIfDown(queueDir, Buffer.from("FADI"));
      const fail = await sendTrigger(queueDir, "public", "pickup", Buffer.from("W"));
      if (fail) {
        if (fail.lookup) msgWarn(fail.lookup);
        throw new FatalError("Cannot flush mail queue - mail system is down");
      }
      return 0;
    }
    case "i":
      checkAcl(cfg, "authorized_flush_users", "flush");
      await failIfDown(queueDir, new Uint8Array(0));
      if (flushOne(layout, id!)) await failIfDown(queueDir, Buffer.from("FI"));
      return 0;
    case "s": {
      checkAcl(cfg, "authorized_flush_users", "flush");
      if (!flushEligible(cfg, site!)) throw new FatalError(`Flush service is not configured for destination "${site}"`);
      await failIfDown(queueDir, new Uint8Array(0));
      const dest = site!.toLowerCase();
      let moved = 0;
      for (const item of scanQueueSummaries(layout, ["deferred"])) {
        if ("error" in item) continue;
        const hit = item.recipients.some((r) => r.address.toLowerCase().endsWith(`@${dest}`));
        if (hit && flushOne(layout, item.queueId)) moved++;
      }
      if (moved > 0) await failIfDown(queueDir, Buffer.from("FI"));
      return 0;
    }
  }
  return 0;
}

/** mailq: postqueue -p under mailq's name, with postqueue's diagnostics (Postfix's mailq runs postqueue). */
export async function runMailq(argv: string[]): Promise<number> {
  initMsg("postqueue");
  return run(["-p", ...argv]);
}
