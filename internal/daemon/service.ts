/**
 * service — the skeleton every postkit daemon shares (Postfix's single_server/multi_server/trigger_server):
 * the arguments the master passes, and the signals that end a daemon's life.
 *
 * The master starts a daemon as `postkit` with argv0 = the daemon name (qmgr, local, smtp …), MAIL_CONFIG in the
 * environment, and the arguments `-S service -t type [-v] [-o name=value]…` (the master.cf service name and type,
 * its -o overrides, and, after `--`, the service's other arguments). A daemon runs until `waitForStop()` resolves:
 *   SIGTERM  "stop": stop accepting work, finish what is in flight, exit (postfix stop, reload of this service)
 *   SIGHUP   "reload": the same; the master starts a fresh process that reads the new configuration
 * SIGKILL needs no handling: every queue operation is crash-safe, and work in flight is retried.
 * A daemon also stops as for SIGTERM when its master goes away (killed with SIGKILL, it cannot tell anybody), as
 * Postfix's servers exit when the master's status pipe closes: the master passes its pid (POSTKIT_MASTER_PID) and
 * the daemon looks at its parent once a second. Without this, a second `postfix start` would run a second queue
 * manager beside the orphaned one. (PR_SET_PDEATHSIG cannot do it: the kernel clears it at every credential
 * change, and the delivery agents change their file-system uid for every delivery.)
 */
import { getopt } from "../text/getopt.ts";

/** What the master told a daemon on its command line. */
export interface DaemonArgs {
  service: string;
  type: string;
  overrides: string[];
  verbose: number;
  /** The master.cf arguments after the options (pipe's `flags=… user=… argv=…`). */
  args: string[];
}

/** Parses `-S service -t type [-v] [-o name=value]…`. */
export function parseDaemonArgs(name: string, argv: string[]): DaemonArgs {
  const opts = getopt(argv, "S:t:vo:", `${name} -S service -t type [-v] [-o name=value]...`);
  return {
    service: opts.last("S") ?? name,
    type: opts.last("t") ?? "unix",
    overrides: opts.values("o"),
    verbose: opts.count("v"),
    args: opts.args,
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
    const master = Number(process.env.POSTKIT_MASTER_PID);
    if (Number.isInteger(master) && master > 1) {
      const watch = setInterval(() => {
        if (process.ppid === master) return;
        clearInterval(watch);
        finish("stop"); // re-parented: the master is gone ("master disconnect -- exiting")
      }, MASTER_CHECK_MS);
      watch.unref();
    }
  });
}

/** How often a daemon looks whether its master still runs. */
const MASTER_CHECK_MS = 1000;
