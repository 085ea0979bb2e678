/**
 * NAME
 *   postkick — kick a Postfix service
 *
 * SYNOPSIS
 *   postkick [-c config_dir] [-v] class service request
 *
 * DESCRIPTION
 *   Sends `request` (its bytes as given, no escapes) to the service's trigger endpoint
 *   `$queue_directory/class/service`: written to a FIFO, or written to a UNIX socket followed by a NUL byte.
 *   Requests understood by the queue manager: `W` or `I` (scan incoming), `D` (scan deferred), `A` (ignore retry
 *   times), `F` (forget dead destinations); pickup scans the maildrop on any request.
 *
 *   Example: `cat queueidlist | postsuper -r -; postkick public pickup W` requeues messages through pickup at once.
 *
 * OPTIONS
 *   -c config_dir  configuration directory (else $MAIL_CONFIG, else /etc/postfix)
 *   -v             verbose
 *
 * EXIT STATUS
 *   0 when the request was delivered; 1 when nobody listens (with Postfix's two warnings) or on a usage error.
 *
 * SEE ALSO
 *   internal/ipc/trigger.ts
 */
import { getopt } from "../internal/text/getopt.ts";
import { UsageError } from "../internal/sys/errors.ts";
import { msgWarn, setMsgVerbose, msgVerbose } from "../internal/log/msg.ts";
import { bindLogToConfig, loadConfig } from "../internal/config/config.ts";
import { sendTrigger } from "../internal/ipc/trigger.ts";

export const USAGE = "postkick [-c config_dir] [-v] class service request";

export const HELP = `usage: ${USAGE}

Send a wake-up request to a mail system service, e.g. "postkick public pickup W" or "postkick public qmgr D".
  class      public or private (a directory under queue_directory)
  service    the service's FIFO or socket name
  request    the request bytes (qmgr: W I D A F; pickup: any)
  -c config_dir, -v
`;

/** postkick's entry point. */
export async function run(argv: string[]): Promise<number> {
  const opts = getopt(argv, "c:v", USAGE);
  if (opts.args.length !== 3) throw new UsageError(USAGE);
  setMsgVerbose(opts.count("v"));
  const cfg = loadConfig({ configDir: opts.last("c") });
  bindLogToConfig(cfg);
  const [cls, service, request] = opts.args as [string, string, string];
  msgVerbose(`trigger ${cls}/${service} request ${JSON.stringify(request)}`);
  const fail = await sendTrigger(cfg.get("queue_directory"), cls, service, Buffer.from(request), cfg.getTime("trigger_timeout") * 1000);
  if (!fail) return 0;
  if (fail.lookup) msgWarn(fail.lookup);
  msgWarn(fail.contact);
  return 1;
}
