/**
 * NAME
 *   master — the resident process of a running postkit instance (started by `postfix start`)
 *
 * SYNOPSIS
 *   master [-c config_dir] [-w]
 *
 * DESCRIPTION
 *   Runs the services of master.cf until it receives SIGTERM (stop), SIGQUIT (abort); SIGHUP reloads the
 *   configuration. See internal/master/master.ts for the process model. Not meant to be run by hand: use
 *   `postfix start`, `postfix start-fg`, `postfix stop`.
 *
 * OPTIONS
 *   -c config_dir  configuration directory (else $MAIL_CONFIG, else /etc/postfix)
 *   -w             write one byte to standard output once ready (used by `postfix start`)
 *
 * EXIT STATUS
 *   0 after a requested stop; 1 when the master cannot start (already running, bad configuration).
 */
import { getopt } from "../internal/text/getopt.ts";
import { runMaster } from "../internal/master/master.ts";
import { daemonNames } from "./registry.ts";

export const USAGE = "master [-c config_dir] [-w]";
export const HELP = `usage: ${USAGE}\n\nThe resident process of a running mail system; start it with "postfix start".\n`;

/** master's entry point. */
export async function run(argv: string[]): Promise<number> {
  const opts = getopt(argv, "c:wDtv", USAGE);
  return runMaster({ configDir: opts.last("c"), readyFd: opts.has("w") ? 1 : undefined, available: new Set(daemonNames()) });
}
