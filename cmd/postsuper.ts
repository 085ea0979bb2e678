/**
 * NAME
 *   postsuper — mail queue maintenance
 *
 * SYNOPSIS
 *   postsuper [-psSv] [-c config_dir] [-d queue_id] [-e queue_id] [-f queue_id] [-h queue_id] [-H queue_id]
 *             [-r queue_id] [--queue Q] [--sender RE] [--rcpt RE] [--reason RE] [--older DUR] [--younger DUR]
 *             [--min-size N] [--dry-run] [--max N] [--json] [queue...]
 *
 * DESCRIPTION
 *   Postfix's postsuper: deletes, holds, releases, requeues and force-expires messages, repairs the queue
 *   structure and purges stale temporary files. It works whether or not the mail system runs, and is safe while it
 *   runs: a message being delivered is never changed under the process that delivers it (see
 *   internal/postsuper/queue_admin.ts for the locking and what happens to a message that stays busy).
 *
 *   A queue_id of `ALL` means every message of the queues concerned; `-` reads queue IDs from standard input, one
 *   per line. Invalid IDs (anything but letters, digits and `_`) are refused with `invalid mail queue id: ID` and
 *   never reach a path. Repairs (-s, -S, -p) run first, then the other options in command-line order. Without
 *   an action option postsuper does `-s -p`. Queue arguments restrict the queues searched (maildrop incoming
 *   active deferred hold trace defer bounce flush); the default is defer bounce maildrop incoming active deferred
 *   hold flush. Each option uses only the queues it applies to (-d all message queues; -h incoming, active,
 *   deferred; -H hold; -r and -e incoming, active, deferred, hold).
 *
 *   Messages on stderr are Postfix's: `postsuper: ID: removed`, `placed on hold`, `released from hold`,
 *   `requeued`, `expired`, then the summaries `Requeued: N message(s)`, `Deleted: …`, `Force-expired: …`,
 *   `Placed on hold: …`, `Released from hold: …`, `Renamed to match inode number: …` for each option class used.
 *   `ALL` prints no per-ID lines.
 *
 *   After -r, pickup is woken (Postfix waits for pickup's next periodic scan); after -H or -f the queue manager is
 *   asked to scan the deferred queue. Neither is an error when the mail system is down.
 *
 * OPTIONS (Postfix)
 *   -c config_dir  configuration directory (absolute)     -d ID   delete          -e ID  force-expire
 *   -f ID          force-expire and release from hold     -h ID   hold            -H ID  release from hold
 *   -p             purge temporary files older than 7 days                         -r ID  requeue
 *   -s             structure check and repair             -S      also check long queue IDs against inodes
 *   -v             verbose
 *
 * OPTIONS (postkit)
 *   --queue --sender --rcpt --reason --older --younger --min-size   select messages (internal/showq/selector.ts);
 *                  with an action of ALL or `-` or an ID they restrict it; `-d --sender RE` means `-d ALL --sender RE`.
 *                  Selected messages get per-ID lines, and -d also removes their logfiles.
 *   --dry-run      change nothing; print what would be done (`ID: would be removed`, summaries marked `(dry run)`)
 *   --max N        refuse (exit 1, nothing changed) when the command would act on more than N messages
 *   --json         also print one JSON object per message acted on and a closing summary object on stdout
 *
 * EXIT STATUS
 *   0 on success (also when IDs were invalid or not found); 1 on a fatal error: usage, not the superuser (or the
 *   owner of queue_directory), unknown queue name, `--max` exceeded, I/O errors.
 *
 * FILES
 *   $queue_directory/{maildrop,incoming,active,deferred,hold,defer,bounce,trace,flush}
 *
 * SEE ALSO
 *   postqueue(1), postcat(1), internal/postsuper/queue_admin.ts
 */
import { statPath } from "../internal/sys/libc.ts";
import { getopt, type Opt } from "../internal/text/getopt.ts";
import { FatalError } from "../internal/sys/errors.ts";
import { msgError, msgInfo, msgWarn, setMsgVerbose } from "../internal/log/msg.ts";
import { writeOut } from "../internal/sys/stdout.ts";
import { readSome } from "../internal/sys/libc.ts";
import { bindLogToConfig, loadConfig, type Config } from "../internal/config/config.ts";
import { queueLayout, readQueueSummary, type QueueLayout, type QueueName } from "../internal/queue/index.ts";
import { matchSelector, parseSelector, SELECTOR_LONG_OPTIONS, type Selector } from "../internal/showq/selector.ts";
import { DONE_TEXT, POSTSUPER_DEFAULT_QUEUES, POSTSUPER_QUEUES, QueueAdmin, type AdminCounts, type AdminOp, type AdminResult } from "../internal/postsuper/queue_admin.ts";
import { requestQueueScan, wakePickup } from "../internal/ipc/flush.ts";

export const USAGE =
  "postsuper [-c config_dir] [-d queue_id (delete)] [-e queue_id (expire)] [-f queue_id (expire and/or un-hold)] " +
  "[-h queue_id (hold)] [-H queue_id (un-hold)] [-p (purge temporary files)] [-r queue_id (requeue)] " +
  "[-s (structure fix)] [-S (redundant structure fix)][-v (verbose)] [queue...]";

export const HELP = `usage: ${USAGE}

Mail queue maintenance (superuser or the queue owner only).
  -d ID|ALL|-   delete            -h ID|ALL|-   put on hold        -H ID|ALL|-   release from hold
  -r ID|ALL|-   requeue           -e ID|ALL|-   force-expire       -f ID|ALL|-   force-expire and release
  -s, -S        structure check   -p            purge old temporary files        -c config_dir, -v
Selectors: --queue Q --sender RE --rcpt RE --reason RE --older DUR --younger DUR --min-size N
  --dry-run  show what would be done     --max N  refuse to act on more than N messages     --json  results on stdout
`;

const LONGS: Record<string, 0 | 1> = { ...SELECTOR_LONG_OPTIONS, "dry-run": 0, max: 1, json: 0 };

const OPS: Readonly<Record<string, AdminOp | "expire-release">> = { d: "delete", e: "expire", f: "expire-release", h: "hold", H: "release", r: "requeue" };

const DRY_TEXT: Readonly<Record<AdminOp, string>> = {
  delete: "would be removed",
  hold: "would be placed on hold",
  release: "would be released from hold",
  requeue: "would be requeued",
  expire: "would be expired",
};

/** `-d --sender RE` means `-d ALL --sender RE`: an action letter directly followed by a long option gets ALL. */
/** `-[psSv]*[defhHr]`: an option cluster whose last letter takes a queue ID (a scan, not a regular expression). */
function isClusterEndingInOp(a: string): boolean {
  if (a.length < 2 || a[0] !== "-" || !"defhHr".includes(a[a.length - 1]!)) return false;
  for (let i = 1; i < a.length - 1; i++) if (!"psSv".includes(a[i]!)) return false;
  return true;
}

function implicitAll(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    out.push(a);
    if (a === "--") {
      out.push(...argv.slice(i + 1));
      break;
    }
    const next = argv[i + 1];
    if (isClusterEndingInOp(a) && next !== undefined && next.startsWith("--") && next !== "--") out.push("ALL");
  }
  return out;
}

function checkPrivilege(cfg: Config): void {
  const uid = process.getuid?.();
  if (uid === 0) return;
  let owner: number | undefined;
  try {
    owner = statPath(cfg.get("queue_directory")).uid;
  } catch {
    owner = undefined;
  }
  if (owner !== undefined && owner === uid) return;
  throw new FatalError("use of this command is reserved for the superuser");
}

function layoutOf(cfg: Config): QueueLayout {
  return queueLayout(cfg.get("queue_directory"), {
    hashQueues: cfg.getList("hash_queue_names"),
    hashDepth: cfg.getInt("hash_queue_depth"),
    longIds: cfg.getBool("enable_long_queue_ids"),
  });
}

function readStdinIds(): string[] {
  const chunks: Buffer[] = [];
  const buf = Buffer.allocUnsafe(65536);
  for (;;) {
    const n = readSome(0, buf);
    if (n <= 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  const text = Buffer.concat(chunks).toString("latin1");
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function plural(n: number): string {
  return `${n} message${n === 1 ? "" : "s"}`;
}

/** One action of the command line, in order. */
interface Step {
  letter: string;
  arg: string;
}

function runSteps(admin: QueueAdmin, steps: readonly Step[], queues: readonly QueueName[], stdinIds: () => string[], onStep: (all: boolean) => void = () => {}): void {
  for (const { letter, arg } of steps) {
    const op = OPS[letter]!;
    const ops: AdminOp[] = op === "expire-release" ? ["expire", "release"] : [op];
    onStep(arg === "ALL");
    if (arg === "ALL") {
      for (const o of ops) admin.all(o, queues);
    } else {
      const ids = arg === "-" ? stdinIds() : [arg];
      for (const id of ids) for (const o of ops) admin.one(o, queues, id);
    }
  }
}

/** postsuper's entry point. */
export async function run(argv: string[]): Promise<number> {
  const opts = getopt(implicitAll(argv), "c:d:e:f:h:H:pr:sSv", USAGE, LONGS);
  const configDir = opts.last("c");
  if (configDir !== undefined && !configDir.startsWith("/")) throw new FatalError("-c requires absolute pathname");
  setMsgVerbose(opts.count("v"));
  const cfg = loadConfig({ configDir });
  bindLogToConfig(cfg);
  checkPrivilege(cfg);
  const layout = layoutOf(cfg);

  const queues: QueueName[] = [];
  for (const q of opts.args) {
    if (!(POSTSUPER_QUEUES as readonly string[]).includes(q)) throw new FatalError(`invalid directory name: ${q}`);
    queues.push(q as QueueName);
  }
  const queueList = queues.length > 0 ? queues : POSTSUPER_DEFAULT_QUEUES;

  const selector: Selector | undefined = parseSelector(opts.opts);
  const dryRun = opts.has("--dry-run");
  const json = opts.has("--json");
  const maxText = opts.last("--max");
  let max: number | undefined;
  if (maxText !== undefined) {
    if (!/^\d+$/.test(maxText)) throw new FatalError(`--max ${maxText}: not a number`);
    max = Number(maxText);
  }

  const steps: Step[] = [];
  for (const o of opts.opts as Opt[]) if (o.opt.length === 1 && Object.hasOwn(OPS, o.opt)) steps.push({ letter: o.opt, arg: o.arg! });
  let repairStruct = opts.has("s") || opts.has("S");
  let purge = opts.has("p");
  if (steps.length === 0 && !repairStruct && !purge) {
    repairStruct = true;
    purge = true;
  }

  const now = Math.floor(Date.now() / 1000);
  const filter = selector
    ? (q: QueueName, id: string, path: string): boolean => {
        const s = readQueueSummary(q, id, path);
        return s !== undefined && matchSelector(selector, s, now);
      }
    : undefined;
  let stdinCache: string[] | undefined;
  const stdinIds = (): string[] => (stdinCache ??= readStdinIds());

  // --max: count first (a dry run), refuse before anything changes.
  if (max !== undefined && steps.length > 0) {
    const seen = new Set<string>();
    const tally = new QueueAdmin({ layout, dryRun: true, filter, onResult: (r) => seen.add(r.queueId) });
    runSteps(tally, steps, queueList, stdinIds);
    const n = seen.size;
    if (n > max) throw new FatalError(`refusing to act on ${plural(n)}: more than --max ${max}; nothing was changed`);
  }

  const used = new Set<string>();
  for (const s of steps) used.add(s.letter);
  const dryCounts: AdminCounts = { requeued: 0, deleted: 0, expired: 0, held: 0, released: 0, renamed: 0 };
  let inAll = false;
  const onResult = (r: AdminResult): void => {
    const byId = !inAll || selector !== undefined;
    if (dryRun) {
      bump(dryCounts, r.op);
      msgInfo(`${r.queueId}: ${DRY_TEXT[r.op]}`);
    } else if (byId) msgInfo(`${r.queueId}: ${DONE_TEXT[r.op]}`);
    if (json) writeOut(`${JSON.stringify({ queue_id: r.queueId, queue_name: r.queueName, action: r.op, result: r.result })}\n`);
  };
  const admin = new QueueAdmin({ layout, dryRun, max, filter, onResult });

  if ((repairStruct || purge) && !dryRun) {
    const how = { struct: repairStruct, redundant: opts.has("S"), purge };
    const mismatches = admin.repair(queueList, how);
    if (mismatches > 0) admin.repair(queueList, how);
    if (steps.some((s) => s.arg !== "ALL") && (mismatches > 0 || admin.counts.renamed > 0)) {
      msgError("QUEUE FILE NAMES WERE CHANGED TO MATCH INODE NUMBERS");
      throw new FatalError("CHECK YOUR QUEUE IDS AND RE-ISSUE THE COMMAND");
    }
    if (mismatches > 0) admin.counts.renamed = Math.max(admin.counts.renamed, mismatches);
  }

  runSteps(admin, steps, queueList, stdinIds, (all) => (inAll = all));
  inAll = false; // messages retried after waiting for their lock came from per-ID or selected operations
  await admin.settle();

  const c = dryRun ? dryCounts : admin.counts;
  const tag = dryRun ? " (dry run)" : "";
  if (used.has("r")) msgInfo(`Requeued: ${plural(c.requeued)}${tag}`);
  if (used.has("d")) msgInfo(`Deleted: ${plural(c.deleted)}${tag}`);
  if (used.has("e") || used.has("f")) msgInfo(`Force-expired: ${plural(c.expired)}${tag}`);
  if (used.has("h")) msgInfo(`Placed on hold: ${plural(c.held)}${tag}`);
  if (used.has("H") || used.has("f")) msgInfo(`Released from hold: ${plural(c.released)}${tag}`);
  if (admin.counts.renamed > 0) {
    msgInfo(`Renamed to match inode number: ${plural(admin.counts.renamed)}`);
    msgWarn("QUEUE FILE NAMES WERE CHANGED TO MATCH INODE NUMBERS");
  }
  if (admin.limitReached) msgWarn(`stopped after --max ${max} messages`);
  if (json) {
    writeOut(
      `${JSON.stringify({ summary: { requeued: c.requeued, deleted: c.deleted, expired: c.expired, held: c.held, released: c.released, renamed: admin.counts.renamed }, dry_run: dryRun })}\n`,
    );
  }

  if (!dryRun) {
    const queueDir = layout.queueDir;
    if (c.requeued > 0) await wakePickup(queueDir);
    if (c.released > 0) await requestQueueScan(queueDir, "D");
  }
  return 0;
}

function bump(c: AdminCounts, op: AdminOp): void {
  if (op === "delete") c.deleted++;
  else if (op === "hold") c.held++;
  else if (op === "release") c.released++;
  else if (op === "requeue") c.requeued++;
  else c.expired++;
}
