/**
 * NAME
 *   pipe — delivery to external commands (started by the master)
 *
 * SYNOPSIS
 *   pipe -S service -t type [-v] [-o name=value]... -- [flags=...] user=name[:group] [...] argv=command [args...]
 *
 * DESCRIPTION
 *   The delivery agent for master.cf services whose command is `pipe`, as Postfix's pipe(8): it hands each
 *   delivery request to the command named by argv=, with the message on its standard input, running as user=
 *   for at most $SERVICE_time_limit seconds, and reads the command's exit status as a sysexits(3) code (or its
 *   output as `X.Y.Z text`). The attributes after the daemon options are the master.cf arguments of the service
 *   (flags=, user=, directory=, eol=, null_sender=, size=, argv=); see internal/pipe/pipe_attr.ts for them and
 *   their `$name` macros, internal/pipe/pipe_agent.ts for the delivery. It listens on
 *   $queue_directory/private/SERVICE, logs one `to=<…>, relay=SERVICE, …` line per recipient, and stops after
 *   finishing its deliveries on SIGTERM or SIGHUP.
 *
 * EXIT STATUS
 *   0 after a requested stop; 1 for a fatal configuration error (missing user= or argv=, user= naming root or
 *   mail_owner, an unknown flag or attribute …).
 *
 * CONFIGURATION PARAMETERS
 *   command_time_limit, SERVICE_time_limit, SERVICE_destination_recipient_limit (read by the queue manager),
 *   export_environment, recipient_delimiter, mail_owner, setgid_group, pipe_delivery_status_filter.
 *
 * SEE ALSO
 *   internal/pipe/pipe_agent.ts, internal/mailbox/pipe_command.ts, cmd/local.ts.
 */
import { parseDaemonArgs } from "../internal/daemon/service.ts";
import { bindLogToConfig, loadConfig } from "../internal/config/config.ts";
import { setMsgVerbose } from "../internal/log/msg.ts";
import { setProcessName } from "../internal/sys/libc.ts";
import { initDeliveryAgent, serveDeliveryAgent } from "../internal/mailbox/index.ts";
import { initDeliveryStatusFilter } from "../internal/dsn/dsn_filter.ts";
import { PipeAgent } from "../internal/pipe/pipe_agent.ts";

export const USAGE = "pipe -S service -t type [-v] [-o name=value]... -- [flags=...] user=name[:group] [...] argv=command [args...]";
export const HELP = `usage: ${USAGE}\n\nThe pipe delivery agent of a running mail system; the master starts it.\n`;

/** pipe's entry point. */
export async function run(argv: string[]): Promise<number> {
  const args = parseDaemonArgs("pipe", argv);
  setMsgVerbose(args.verbose);
  setProcessName("pipe");
  const cfg = loadConfig({ overrides: args.overrides });
  bindLogToConfig(cfg);
  // the attributes first: a bad one is fatal before the socket exists, as in Postfix
  const agent = PipeAgent.create(cfg, args.service, args.args);
  initDeliveryAgent(cfg);
  const ready = initDeliveryStatusFilter("pipe_delivery_status_filter", cfg.getList("pipe_delivery_status_filter"));
  await serveDeliveryAgent(cfg, args.service, (req) => agent.deliver(req), ready);
  return 0;
}
