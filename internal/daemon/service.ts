/**
 * service — the skeleton every postkit daemon shares (Postfix's single_server/multi_server/trigger_server):
 * the arguments the master passes, and the signals that end a daemon's life.
 *
 * The master starts a daemon as `postkit` with argv0 = the daemon name (qmgr, local, smtp …), MAIL_CONFIG in the
 * environment, and the arguments `-S service -t type [-v] [-o name=value]…` (the master.cf service name and type,
 * and its -o overrides). A daemon runs until `waitForStop()` resolves:
 *   SIGTERM  "stop": stop accepting work, finish what is in flight, exit (postfix stop, reload of this service)
 *   SIGHUP   "reload": the same; the master starts a fresh process that reads the new configuration
 * SIGKILL needs no handling: every queue operation is crash-safe, and work in flight is retried.
 */
import { getopt } from "../text/getopt.ts";

/** What the master told a daemon on its command line. */
export interface DaemonArgs {
  service: string;
  type: string;
  overrides: string[];
  verbose: number;
}

/** Parses `-S service -t type [-v] [-o name=value]…`. */
export function parseDaemonArgs(name: string, argv: string[]): DaemonArgs {
  const opts = getopt(argv, "S:t:vo:", `${name} -S service -t type [-v] [-o name=value]...`);
  return {
    service: opts.last("S") ?? name,
    type: opts.last("t") ?? "unix",
    overrides: opts.values("o"),
    verbose: opts.count("v"),
  };
}

/** Resolves once the daemon is asked to stop or reload; every later signal is ignored. */
export function waitForStop(): Promise<"stop" | "reload"> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (why: "stop" | "reload") => {
      if (done) return;
      done = true;
      resolve(why);
    };
    process.on("SIGTERM", () => finish("stop"));
    process.on("SIGHUP", () => finish("reload"));
    process.on("SIGINT", () => finish("stop"));
  });
}
