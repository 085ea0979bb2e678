/**
 * NAME
 *   smtpd — the SMTP server process (started by the master for master.cf `inet … smtpd` services)
 *
 * SYNOPSIS
 *   smtpd -S service -t type [-v] [-o name=value]...
 *
 * DESCRIPTION
 *   Accepts mail from the network under the smtpd_*_restrictions (internal/smtpd/). The master owns the
 *   listening socket and passes it as the descriptor named by POSTKIT_LISTEN_FD; without it (a test, or a manual
 *   start) the server binds the master.cf service address itself. One process serves all connections of its
 *   service. Started as root (by a root master), it loads its TLS keys and opens its tables, then becomes
 *   mail_owner before it accepts a connection. SIGTERM or SIGHUP: stop accepting, let transactions in progress
 *   finish, exit.
 *
 * EXIT STATUS
 *   0 after a requested stop; 1 for a fatal configuration error (for example restrictions that would make an
 *   open relay: `in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, specify at least one
 *   working instance of: …`).
 *
 * SEE ALSO
 *   master(8), cmd/sendmail.ts (`sendmail -bs` runs the same protocol engine on stdin/stdout)
 */
import { parseDaemonArgs, waitForStop } from "../internal/daemon/service.ts";
import { bindLogToConfig, loadConfig } from "../internal/config/config.ts";
import { setMsgVerbose } from "../internal/log/msg.ts";
import { setProcessName } from "../internal/sys/libc.ts";
import { FatalError } from "../internal/sys/errors.ts";
import { getpwnam } from "../internal/sys/passwd.ts";
import { SmtpServer } from "../internal/smtpd/server.ts";
import { parseInetListen } from "../internal/master/inet_listener.ts";

export const USAGE = "smtpd -S service -t type [-v] [-o name=value]...";
export const HELP = `usage: ${USAGE}\n\nThe SMTP server process of a running mail system; the master starts it.\n`;

/**
 * Postfix's smtpd model: started as root, it has read its keys and opened its tables; from here on it runs as
 * mail_owner (nothing from the network has been read yet). A no-op when not started as root.
 */
function dropPrivileges(owner: string): void {
  if (process.getuid?.() !== 0) return;
  const pw = getpwnam(owner);
  if (!pw) throw new FatalError(`unknown mail_owner user: ${owner}`);
  if (pw.uid === 0) return;
  process.setgroups?.([pw.gid]);
  process.setgid!(pw.gid);
  process.setuid!(pw.uid);
}

/** smtpd's entry point. */
export async function run(argv: string[]): Promise<number> {
  const args = parseDaemonArgs("smtpd", argv);
  setMsgVerbose(args.verbose);
  setProcessName("smtpd");
  const cfg = loadConfig({ overrides: args.overrides });
  bindLogToConfig(cfg);
  const stop = waitForStop();
  const server = await SmtpServer.create({ cfg, service: args.service });
  dropPrivileges(cfg.get("mail_owner"));
  const fd = process.env.POSTKIT_LISTEN_FD;
  if (fd !== undefined && /^\d+(,\d+)*$/.test(fd)) {
    for (const one of fd.split(",")) await server.listen({ fd: Number(one) });
  } else {
    const where = parseInetListen(args.service, cfg.get("inet_interfaces"));
    if (where.length === 0) throw new FatalError(`service ${args.service}: no address to listen on`);
    for (const w of where) await server.listen(w);
  }
  await stop;
  await server.stop();
  return 0;
}
