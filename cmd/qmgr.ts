/**
 * NAME
 *   qmgr — the queue manager process (started by the master)
 *
 * SYNOPSIS
 *   qmgr -S service -t type [-v] [-o name=value]...
 *
 * DESCRIPTION
 *   One process that runs pickup, cleanup, the queue manager, sender notices, and the discard and error
 *   transports: see internal/qmgr/. It listens on $queue_directory/public/pickup and public/qmgr and stops
 *   after draining its in-flight deliveries when the master sends SIGTERM (or SIGHUP, to restart with a new
 *   configuration). Pickup records its service's content_filter in every message it takes: the `-o
 *   content_filter=` of the master.cf pickup line when it has one, else main.cf's (bounces and other mail this
 *   process makes get none).
 *
 * EXIT STATUS
 *   0 after a requested stop; 1 for a fatal configuration error.
 */
import { parseDaemonArgs, waitForStop } from "../internal/daemon/service.ts";
import { bindLogToConfig, loadConfig, type Config } from "../internal/config/config.ts";
import { serviceScope } from "../internal/config/master_cf.ts";
import { setMsgVerbose } from "../internal/log/msg.ts";
import { setProcessName } from "../internal/sys/libc.ts";
import { Cleanup } from "../internal/cleanup/cleanup.ts";
import { startQmgrHost, layoutFromConfig } from "../internal/qmgr/host.ts";
import { BounceNotifier } from "../internal/dsn/bounce_notice.ts";
import { Pickup } from "../internal/qmgr/pickup.ts";

export const USAGE = "qmgr -S service -t type [-v] [-o name=value]...";
export const HELP = `usage: ${USAGE}\n\nThe queue manager process of a running mail system; the master starts it.\n`;

/** qmgr's entry point. */
export async function run(argv: string[]): Promise<number> {
  const args = parseDaemonArgs("qmgr", argv);
  setMsgVerbose(args.verbose);
  setProcessName("qmgr");
  const cfg = loadConfig({ overrides: args.overrides });
  bindLogToConfig(cfg);
  const stop = waitForStop();
  const cleanup = await Cleanup.create(cfg);
  const notifier = new BounceNotifier(cfg, cleanup);
  let host: Awaited<ReturnType<typeof startQmgrHost>> | undefined;
  const acl = cfg.get("authorized_submit_users");
  // queue files are written by this process's user (mail_owner as root, else the instance owner): a maildrop file
  // owned by it was requeued by postsuper -r, not submitted by a user
  const pickup = new Pickup(layoutFromConfig(cfg), cleanup.withContentFilter(pickupContentFilter(cfg), { beforeArrivalTime: true }), notifier, process.getuid!(), () => host?.qmgr.requestScan("incoming"), acl.startsWith("static:") ? undefined : acl);
  host = await startQmgrHost(cfg, { notifier, pickup: () => pickup.scan() });
  await stop;
  await pickup.stop();
  await host.stop();
  return 0;
}

/** content_filter as the pickup service sees it: its master.cf `-o content_filter=…`, else main.cf's. */
function pickupContentFilter(cfg: Config): string {
  let line;
  try {
    line = cfg.master().find((e) => e.command === "pickup");
  } catch {
    line = undefined; // no readable master.cf: main.cf's value
  }
  const scope = line ? serviceScope(line) : undefined;
  const own = scope?.get("content_filter");
  return own === undefined ? cfg.get("content_filter") : cfg.expand(own, undefined, scope);
}
