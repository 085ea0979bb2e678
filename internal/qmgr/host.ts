/**
 * host — the queue manager process: wires pickup, cleanup, the queue manager, the notifier (bounces) and the
 * in-process transports together, listens on the public/pickup and public/qmgr FIFOs, and drains on stop.
 *
 * Transports come from master.cf: a `unix` service whose command is discard or error runs here; local, virtual,
 * pipe, smtp and lmtp services are separate agent processes reached through private/<service>; a transport with
 * no master.cf service is deferred with `mail transport unavailable`, as Postfix does. A transport's process
 * limit is its master.cf maxproc (`-` means default_process_limit, 0 means no limit).
 */
import { join } from "node:path";
import type { Config } from "../config/config.ts";
import type { MasterEntry } from "../config/master_cf.ts";
import { listenFifoTrigger, type TriggerListener } from "../ipc/trigger.ts";
import { queueLayout, type QueueLayout } from "../queue/index.ts";
import { Resolver } from "../resolve/resolve.ts";
import { AgentClient } from "../daemon/agent_protocol.ts";
import { QueueManager, type Notifier, type TransportInfo } from "./qmgr.ts";
import { inProcessTransport } from "./local_transports.ts";

const AGENTS = new Set(["local", "virtual", "pipe", "smtp", "lmtp"]);

/** The queue layout that main.cf describes. */
export function layoutFromConfig(cfg: Config): QueueLayout {
  return queueLayout(cfg.get("queue_directory"), {
    hashQueues: cfg.getList("hash_queue_names"),
    hashDepth: cfg.getInt("hash_queue_depth"),
    longIds: cfg.getBool("enable_long_queue_ids"),
  });
}

/** Finds how to deliver through each transport name of master.cf. */
export function transportTable(cfg: Config, master: readonly MasterEntry[]): (name: string) => TransportInfo {
  const queueDir = cfg.get("queue_directory");
  const defaultLimit = cfg.getInt("default_process_limit");
  const clients = new Map<string, AgentClient>();
  return (name) => {
    const e = master.find((m) => m.service === name && m.type === "unix");
    if (!e) return { deliverer: undefined, processLimit: 1 };
    const processLimit = e.maxproc === "-" ? defaultLimit : Number(e.maxproc) === 0 ? 1_000_000 : Number(e.maxproc);
    const inproc = inProcessTransport(e.command, e.service);
    if (inproc) return { deliverer: inproc, processLimit };
    if (!AGENTS.has(e.command)) return { deliverer: undefined, processLimit };
    let c = clients.get(name);
    if (!c) {
      c = new AgentClient(join(queueDir, "private", name));
      clients.set(name, c);
    }
    return { deliverer: c, processLimit };
  };
}

/** A running queue manager process. */
export interface QmgrHost {
  qmgr: QueueManager;
  stop(): Promise<void>;
}

/** What the host needs besides the configuration: the pickup scanner and the bounce notifier. */
export interface HostParts {
  notifier: Notifier;
  /** Scans the maildrop once; called on every pickup trigger and by the caller's timer. */
  pickup?: () => Promise<void>;
}

/** Starts the queue manager process's services. */
export async function startQmgrHost(cfg: Config, parts: HostParts): Promise<QmgrHost> {
  const layout = layoutFromConfig(cfg);
  const resolver = await Resolver.create(cfg);
  const qmgr = new QueueManager(cfg, layout, resolver, transportTable(cfg, cfg.master()), parts.notifier);
  const listeners: TriggerListener[] = [];
  const queueDir = cfg.get("queue_directory");
  listeners.push(listenFifoTrigger(join(queueDir, "public", "qmgr"), (b) => qmgr.onTrigger(b)));
  if (parts.pickup) {
    const pickup = parts.pickup;
    let running: Promise<void> | undefined;
    let again = false;
    const scan = () => {
      if (running) {
        again = true;
        return;
      }
      running = pickup().finally(() => {
        running = undefined;
        if (again) {
          again = false;
          scan();
        }
      });
    };
    listeners.push(listenFifoTrigger(join(queueDir, "public", "pickup"), () => scan()));
    scan();
  }
  qmgr.start();
  return {
    qmgr,
    async stop() {
      for (const l of listeners) l.close();
      await qmgr.drain();
    },
  };
}
