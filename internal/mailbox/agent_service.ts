/**
 * agent_service — the life of a mailbox delivery agent process (local, virtual): take the resting identity,
 * listen on $queue_directory/private/SERVICE, serve requests until the master asks for a stop, then finish the
 * deliveries in progress.
 *
 * A root agent rests with mail_owner's rights (identity.ts), so its socket and whatever it creates at rest belong
 * to the mail system and the queue manager (running as mail_owner) can connect. Throws ConfigError for an
 * unknown mail_owner; nothing else.
 */
import { chownSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, type Config } from "../config/config.ts";
import { waitForStop } from "../daemon/service.ts";
import { serveAgent, type DeliveryReply, type DeliveryRequest } from "../daemon/agent_protocol.ts";
import { getpwnam } from "../sys/passwd.ts";
import { initIdentity, isPrivileged, restIdentity, type Identity } from "./identity.ts";

/** mail_owner's uid/gid for a root agent to rest with; undefined when not running as root. */
export function mailOwnerIdentity(cfg: Config): Identity | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const pw = getpwnam(cfg.get("mail_owner"));
  if (!pw) throw new ConfigError(`unknown mail_owner user: ${cfg.get("mail_owner")}`);
  return { uid: pw.uid, gid: pw.gid };
}

/**
 * Prepares the process: umask 077 (as Postfix's daemons: what a delivery or a command creates is private to its
 * owner) and, for a root agent, the resting identity. Call before opening tables and creating anything.
 */
export function initDeliveryAgent(cfg: Config): void {
  process.umask(0o077);
  initIdentity(mailOwnerIdentity(cfg));
}

/**
 * Serves private/SERVICE with `handler` until SIGTERM/SIGHUP, then drains. Call initDeliveryAgent() first.
 * The socket is up at once; requests wait for `ready` (the agent opening its tables), so the queue manager is not
 * refused while the agent starts. When `ready` rejects, the socket is closed and the error thrown (a fatal
 * configuration error).
 */
export async function serveDeliveryAgent(
  cfg: Config,
  service: string,
  handler: (req: DeliveryRequest) => Promise<DeliveryReply>,
  ready: Promise<unknown> = Promise.resolve(),
): Promise<void> {
  const stop = waitForStop();
  const path = join(cfg.get("queue_directory"), "private", service);
  const server = serveAgent(path, async (req) => {
    await ready;
    return handler(req);
  });
  if (isPrivileged()) {
    const me = restIdentity();
    try {
      chownSync(path, me.uid, me.gid);
    } catch {
      // it was created with the resting identity already
    }
  }
  try {
    await ready;
  } catch (e) {
    await server.close();
    throw e;
  }
  await stop;
  await server.close();
}
