/**
 * NAME
 *   smtp, lmtp — the SMTP and LMTP delivery agents (started by the master)
 *
 * SYNOPSIS
 *   smtp -S service -t type [-v] [-o name=value]...
 *   lmtp -S service -t type [-v] [-o name=value]...
 *
 * DESCRIPTION
 *   One process per master.cf service whose command is smtp (the smtp and relay transports) or lmtp. It listens on
 *   $queue_directory/private/SERVICE for delivery requests from the queue manager and delivers each over SMTP or
 *   LMTP to the request's next hop (domain: MX lookup; [host]:port; LMTP unix:/path or inet:host:port), logging
 *   one `to=<…>, relay=…, status=…` line per recipient. Requests are handled concurrently; idle connections are
 *   kept for reuse for smtp_connection_cache_time_limit. See internal/smtp/smtp_client.ts for the protocol and the
 *   reason texts, internal/dns for the resolver.
 *
 *   Parameters: smtp_* for smtp, lmtp_* for lmtp (smtp_helo_name, smtp_connect_timeout and the per-command
 *   timeouts, smtp_bind_address, inet_protocols, smtp_mx_address_limit, smtp_mx_session_limit,
 *   smtp_tls_security_level, smtp_tls_CAfile, smtp_tls_loglevel, smtp_connection_cache_on_demand …). SMTP AUTH to a
 *   smarthost: smtp_sasl_auth_enable, smtp_sasl_password_maps, smtp_sasl_security_options,
 *   smtp_sasl_tls_security_options, smtp_sasl_mechanism_filter, smtp_sender_dependent_authentication (PLAIN, LOGIN,
 *   CRAM-MD5; see internal/smtp/sasl_auth.ts). smtp_delivery_status_filter (lmtp_delivery_status_filter) rewrites
 *   the status and text of each result before it is logged (internal/dsn/dsn_filter.ts). Outgoing content:
 *   smtp_generic_maps, smtp_header_checks, smtp_mime_header_checks, smtp_nested_header_checks, smtp_body_checks,
 *   and the 8-bit MIME downgrade for servers without 8BITMIME (disable_mime_output_conversion, mime_nesting_limit;
 *   internal/smtp/smtp_content.ts).
 *   postkit_resolv_conf (postkit's own) names the resolv.conf to use instead of /etc/resolv.conf.
 *
 * EXIT STATUS
 *   0 after a requested stop; 1 for a fatal configuration error (also smtp_sasl_auth_enable without
 *   smtp_sasl_password_maps, or an unknown smtp_sasl_security_options value).
 *
 * FILES
 *   $queue_directory/private/SERVICE   the request socket
 *   /etc/resolv.conf                    name servers
 *
 * SEE ALSO
 *   qmgr, internal/daemon/agent_protocol.ts
 */
import { join } from "node:path";
import { parseDaemonArgs, waitForStop } from "../internal/daemon/service.ts";
import { serveAgent } from "../internal/daemon/agent_protocol.ts";
import { bindLogToConfig, loadConfig } from "../internal/config/config.ts";
import { setMsgVerbose } from "../internal/log/msg.ts";
import { setProcessName } from "../internal/sys/libc.ts";
import { StubResolver, RESOLV_CONF_PARAMETER, resolverConfigPath } from "../internal/dns/index.ts";
import { queueLayout } from "../internal/queue/index.ts";
import { SmtpClient } from "../internal/smtp/smtp_client.ts";
import { readSmtpSettings } from "../internal/smtp/settings.ts";
import { loadTlsContext } from "../internal/smtp/tls_client.ts";
import { OutgoingContent } from "../internal/smtp/smtp_content.ts";
import { initDeliveryStatusFilter } from "../internal/dsn/dsn_filter.ts";

export const USAGE = "smtp -S service -t type [-v] [-o name=value]...";
export const HELP = `usage: ${USAGE}\n\nThe SMTP delivery agent of a running mail system; the master starts it.\n`;
export const LMTP_HELP = `usage: lmtp -S service -t type [-v] [-o name=value]...\n\nThe LMTP delivery agent of a running mail system; the master starts it.\n`;

async function runAgent(command: "smtp" | "lmtp", argv: string[]): Promise<number> {
  const args = parseDaemonArgs(command, argv);
  setMsgVerbose(args.verbose);
  setProcessName(command);
  const cfg = loadConfig({ overrides: args.overrides });
  bindLogToConfig(cfg);
  const stop = waitForStop();
  const settings = readSmtpSettings(cfg, command);
  // lmtp reads lmtp_delivery_status_filter; Postfix names the filter smtp_delivery_status_filter in warnings for both
  await initDeliveryStatusFilter("smtp_delivery_status_filter", cfg.getList(`${command}_delivery_status_filter`));
  const client = new SmtpClient({
    settings,
    dns: StubResolver.fromResolvConf(resolverConfigPath(cfg.get(RESOLV_CONF_PARAMETER))),
    layout: queueLayout(cfg.get("queue_directory"), {
      hashQueues: cfg.getList("hash_queue_names"),
      hashDepth: cfg.getInt("hash_queue_depth"),
      longIds: cfg.getBool("enable_long_queue_ids"),
    }),
    service: args.service,
    tlsContext: loadTlsContext(settings.tls),
    content: await OutgoingContent.open(cfg, command),
  });
  const server = serveAgent(join(cfg.get("queue_directory"), "private", args.service), (req) => client.deliver(req));
  await stop;
  await server.close();
  client.close();
  return 0;
}

/** smtp's entry point. */
export function run(argv: string[]): Promise<number> {
  return runAgent("smtp", argv);
}

/** lmtp's entry point. */
export function runLmtp(argv: string[]): Promise<number> {
  return runAgent("lmtp", argv);
}
