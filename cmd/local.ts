/**
 * NAME
 *   local — local mail delivery (started by the master)
 *
 * SYNOPSIS
 *   local -S service -t type [-v] [-o name=value]...
 *
 * DESCRIPTION
 *   The delivery agent for the domains in mydestination, as Postfix's local(8): aliases, ~/.forward files,
 *   mailboxes (mbox in mail_spool_directory or home_mailbox, maildir when the name ends in `/`), files and
 *   commands; see internal/local/local_agent.ts for the rules and internal/mailbox/ for the formats and locking.
 *   It listens on $queue_directory/private/SERVICE and serves the queue manager's requests, several at a time;
 *   it logs one `to=<…>, relay=SERVICE, …, status=…` line per delivery.
 *
 *   Started by a root master (master.cf unprivileged column `n`), it rests with the rights of mail_owner and
 *   takes each recipient's rights for the deliveries it makes for them; started by an ordinary user, it does
 *   everything as that user. SIGTERM or SIGHUP: finish the deliveries in progress, then exit.
 *
 * EXIT STATUS
 *   0 after a requested stop; 1 for a fatal configuration error (bad mailbox_delivery_lock, mailbox_size_limit
 *   smaller than message_size_limit, an unknown default_privs or mail_owner user …).
 *
 * CONFIGURATION PARAMETERS
 *   alias_maps, forward_path, allow_mail_to_commands, allow_mail_to_files, mailbox_command(_maps),
 *   mailbox_transport(_maps), fallback_transport(_maps), mail_spool_directory, home_mailbox, mailbox_size_limit,
 *   luser_relay, recipient_delimiter, default_privs, command_time_limit, command_execution_directory,
 *   command_expansion_filter, forward_expansion_filter, export_environment, local_command_shell,
 *   prepend_delivered_header, mailbox_delivery_lock, deliver_lock_attempts, deliver_lock_delay, stale_lock_time,
 *   strict_mailbox_ownership, enable_original_recipient, frozen_delivered_to, expand_owner_alias,
 *   reset_owner_alias, owner_request_special, require_home_directory, propagate_unmatched_extensions,
 *   duplicate_filter_limit, biff, mail_owner, local_delivery_status_filter.
 *
 * SEE ALSO
 *   internal/local/local_agent.ts, cmd/virtual.ts, aliases(5), postlock(1).
 */
import { parseDaemonArgs } from "../internal/daemon/service.ts";
import { bindLogToConfig, loadConfig } from "../internal/config/config.ts";
import { setMsgVerbose } from "../internal/log/msg.ts";
import { setProcessName } from "../internal/sys/libc.ts";
import { initDeliveryAgent, serveDeliveryAgent } from "../internal/mailbox/index.ts";
import { initDeliveryStatusFilter } from "../internal/dsn/dsn_filter.ts";
import { LocalAgent } from "../internal/local/local_agent.ts";

export const USAGE = "local -S service -t type [-v] [-o name=value]...";
export const HELP = `usage: ${USAGE}\n\nThe local delivery agent of a running mail system; the master starts it.\n`;

/** local's entry point. */
export async function run(argv: string[]): Promise<number> {
  const args = parseDaemonArgs("local", argv);
  setMsgVerbose(args.verbose);
  setProcessName("local");
  const cfg = loadConfig({ overrides: args.overrides });
  bindLogToConfig(cfg);
  initDeliveryAgent(cfg);
  const agent = initDeliveryStatusFilter("local_delivery_status_filter", cfg.getList("local_delivery_status_filter")).then(() => LocalAgent.create(cfg, args.service));
  await serveDeliveryAgent(cfg, args.service, async (req) => (await agent).deliver(req), agent);
  return 0;
}
