/**
 * NAME
 *   virtual — virtual domain mail delivery (started by the master)
 *
 * SYNOPSIS
 *   virtual -S service -t type [-v] [-o name=value]...
 *
 * DESCRIPTION
 *   The delivery agent for virtual_mailbox_domains, as Postfix's virtual(8): mailboxes and maildirs of users
 *   without an account on the host, found with virtual_mailbox_maps under virtual_mailbox_base and owned by the
 *   ids of virtual_uid_maps and virtual_gid_maps; see internal/virtual/virtual_agent.ts. It listens on
 *   $queue_directory/private/SERVICE, logs one `to=<…>, relay=SERVICE, …` line per recipient, and stops after
 *   finishing its deliveries on SIGTERM or SIGHUP. A root agent rests with mail_owner's rights and writes with
 *   the mailbox owner's; an unprivileged one writes as the instance owner.
 *
 * EXIT STATUS
 *   0 after a requested stop; 1 for a fatal configuration error (virtual_mailbox_limit smaller than
 *   message_size_limit, a bad virtual_mailbox_lock, an unknown mail_owner …).
 *
 * CONFIGURATION PARAMETERS
 *   virtual_mailbox_base, virtual_mailbox_maps, virtual_uid_maps, virtual_gid_maps, virtual_minimum_uid,
 *   virtual_mailbox_limit, virtual_mailbox_lock, deliver_lock_attempts, deliver_lock_delay, stale_lock_time,
 *   strict_mailbox_ownership, enable_original_recipient, recipient_delimiter, mail_owner,
 *   virtual_delivery_status_filter.
 *
 * SEE ALSO
 *   internal/virtual/virtual_agent.ts, cmd/local.ts.
 */
import { parseDaemonArgs } from "../internal/daemon/service.ts";
import { bindLogToConfig, loadConfig } from "../internal/config/config.ts";
import { setMsgVerbose } from "../internal/log/msg.ts";
import { setProcessName } from "../internal/sys/libc.ts";
import { initDeliveryAgent, serveDeliveryAgent } from "../internal/mailbox/index.ts";
import { initDeliveryStatusFilter } from "../internal/dsn/dsn_filter.ts";
import { VirtualAgent } from "../internal/virtual/virtual_agent.ts";

export const USAGE = "virtual -S service -t type [-v] [-o name=value]...";
export const HELP = `usage: ${USAGE}\n\nThe virtual delivery agent of a running mail system; the master starts it.\n`;

/** virtual's entry point. */
export async function run(argv: string[]): Promise<number> {
  const args = parseDaemonArgs("virtual", argv);
  setMsgVerbose(args.verbose);
  setProcessName("virtual");
  const cfg = loadConfig({ overrides: args.overrides });
  bindLogToConfig(cfg);
  initDeliveryAgent(cfg);
  const agent = initDeliveryStatusFilter("virtual_delivery_status_filter", cfg.getList("virtual_delivery_status_filter")).then(() => VirtualAgent.create(cfg, args.service));
  await serveDeliveryAgent(cfg, args.service, async (req) => (await agent).deliver(req), agent);
  return 0;
}
