/**
 * agent_protocol — how the queue manager hands recipients to a delivery agent (local, virtual, smtp, lmtp, pipe,
 * …) and gets one result per recipient back: Postfix's qmgr ↔ delivery agent conversation, over a UNIX stream
 * socket `$queue_directory/private/<service>` that the agent process listens on.
 *
 * Wire format: one JSON object per line (UTF-8, LF-terminated), strictly request → reply on a connection; a client
 * that wants concurrency opens more connections. A request names the queue file (queue name and id; the agent
 * opens and reads it itself, with a shared lock) and the recipients to try; the reply carries one result per
 * recipient, matched by `offset` (the recipient record's offset in the queue file).
 *
 * A delivery agent never changes the queue file: the queue manager records the results (and the agent logs the
 * `to=<…>, relay=…, status=…` line, as Postfix's agents do). An agent that dies mid-request closes the connection;
 * the client rejects the pending call with `AgentError`, and the queue manager defers those recipients, so a
 * crash loses nothing (the message is retried).
 *
 * Contract: `serveAgent()` never lets a handler exception kill the process: it becomes a deferral of every
 * recipient of that request with the error text. Lines longer than 16 MiB close the connection.
 */
import { accessSync, chmodSync, constants, statSync, unlinkSync } from "node:fs";
import { FatalError, PostkitError } from "../sys/errors.ts";
import { errnoText } from "../sys/errno.ts";
import { flushLogRecords } from "../log/msg.ts";
import { dirnamePath } from "../sys/posix_path.ts";
import { TRACE_FLAG } from "../queue/queue_file.ts";

/** One recipient handed to an agent. */
export interface AgentRecipient {
  address: string;
  origAddress: string;
  /** Offset of the recipient's record in the queue file: its identity. */
  offset: number;
  /** DSN NOTIFY bits (0 = not specified). */
  notify: number;
  orcpt: string;
}

/** A delivery request. */
export interface DeliveryRequest {
  queueName: string;
  queueId: string;
  sender: string;
  /** The transport's next hop (domain, [host]:port, …). */
  nexthop: string;
  /** The master.cf service name that was chosen (local, relay, smtp …). */
  service: string;
  recipients: AgentRecipient[];
  /** Time stamps (ms since the epoch) for the delays= field. */
  arrival: number;
  active: number;
  /** The message size as Postfix reports it (queue/reported_size.ts: SMTP SIZE=, pipe ${size}), and DSN details. */
  size: number;
  envid: string;
  ret: number;
  /** Trace flags: REQ_FLAG_USR_VRFY for a `sendmail -bv` probe (verify, never deliver), REQ_FLAG_RECORD for `sendmail -v`. */
  flags: number;
}

/** What happened to one recipient. */
export interface RecipientResult {
  offset: number;
  status: "sent" | "deferred" | "bounced";
  /** Enhanced status code, e.g. 2.0.0, 4.4.1, 5.1.1. */
  dsn: string;
  /** Postfix's reason text, as mailq and bounces show it. */
  reason: string;
  relay: string;
  /**
   * A success's DSN action: "delivered" (when absent), "relayed" (handed to a server without DSN) or "expanded"
   * (an alias or .forward file of a recipient with NOTIFY=SUCCESS was expanded; local(8)); the queue manager's
   * own record of a probe's result: "deliverable" or "undeliverable".
   */
  action?: "delivered" | "relayed" | "expanded" | "deliverable" | "undeliverable";
  /** A success at a next hop that announced DSN: it got NOTIFY and reports success itself, this system does not. */
  notifyPassed?: boolean;
  /**
   * For a probe (REQ_FLAG_USR_VRFY) or a `sendmail -v` request (REQ_FLAG_RECORD): each delivery the recipient
   * came to (itself, or the addresses of an alias or .forward file), as logged, so that the report names the final
   * addresses as Postfix's does.
   */
  details?: { address: string; origAddress: string; status: "sent" | "bounced" | "deferred"; dsn: string; reason: string }[];
}

/** The reply to a DeliveryRequest. */
export interface DeliveryReply {
  results: RecipientResult[];
  /**
   * The delivery failed for the destination as a whole (the SMTP/LMTP client reached no server, or none would
   * talk to it): the queue manager's concurrency feedback counts it (qmgr/dead_sites.ts). Postfix's hop status.
   */
  siteFailure?: { dsn: string; reason: string };
}

/** The connection to an agent failed or the agent broke the protocol. */
export class AgentError extends PostkitError {
  constructor(message: string) {
    super(message, { temporary: true });
  }
}

const MAX_LINE = 16 * 1024 * 1024;

/**
 * A `sendmail -bv` probe (Postfix's DEL_REQ_FLAG_USR_VRFY): the agent delivers nothing; it finds out what it would
 * do (`delivers to mailbox`, an SMTP server's reply to RCPT TO …), reports that as a success, and logs each
 * recipient `status=deliverable` (a failure or deferral: `status=undeliverable`).
 */
export const REQ_FLAG_USR_VRFY = TRACE_FLAG.USR_VRFY;

/**
 * A `sendmail -v` request (Postfix's DEL_REQ_FLAG_RECORD): the agent delivers as usual and reports each delivery
 * (RecipientResult.details) for the sender's report.
 */
export const REQ_FLAG_RECORD = TRACE_FLAG.RECORD;

/** The request asks for every delivery to be reported (a probe, or `sendmail -v`). */
export function recordsDeliveries(req: Pick<DeliveryRequest, "flags">): boolean {
  return (req.flags & (REQ_FLAG_USR_VRFY | REQ_FLAG_RECORD)) !== 0;
}

/** The request is a `sendmail -bv` probe (see REQ_FLAG_USR_VRFY). */
export function verifyOnly(req: Pick<DeliveryRequest, "flags">): boolean {
  return (req.flags & REQ_FLAG_USR_VRFY) !== 0;
}

/** The status word a delivery agent logs: sent, bounced or deferred, or for a probe deliverable or undeliverable. */
export function loggedStatus(status: RecipientResult["status"], verify: boolean): string {
  return verify ? (status === "sent" ? "deliverable" : "undeliverable") : status;
}

/** Defers every recipient of `req` with `reason` (used when a handler throws or an agent is unreachable). */
export function deferAll(req: Pick<DeliveryRequest, "recipients">, reason: string, relay = "none", dsn = "4.3.0"): DeliveryReply {
  return { results: req.recipients.map((r) => ({ offset: r.offset, status: "deferred" as const, dsn, reason, relay })) };
}

/** A listening agent; `close()` stops accepting and resolves when in-flight requests are done. */
export interface AgentServer {
  close(): Promise<void>;
  inFlight(): number;
}

/**
 * Bun.listen() on the UNIX socket `path`. Bun reports only "Failed to listen at PATH"; this fails with
 * `bind PATH: REASON` instead (a fatal error, as Postfix's daemons report it), the reason found by checking
 * that the process can reach the socket's directory and create entries there — the usual cause is a queue
 * directory inside a directory that mail_owner cannot enter.
 */
function listenUnix<T>(path: string, listen: () => T): T {
  try {
    return listen();
  } catch (e) {
    let reason = e instanceof Error ? e.message : String(e);
    try {
      // stat(2) walks the path with the file-system identity the process binds with (a root delivery agent
      // works as mail_owner there); access(2) then checks the directory itself
      const dir = dirnamePath(path);
      statSync(dir);
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch (denied) {
      reason = errnoText(denied);
    }
    throw new FatalError(`bind ${path}: ${reason}`);
  }
}

/** Listens on `path` and answers each request line with `handler`'s reply. */
export function serveAgent(path: string, handler: (req: DeliveryRequest) => Promise<DeliveryReply>): AgentServer {
  try {
    unlinkSync(path);
  } catch {
    // no stale socket
  }
  let busy = 0;
  let closing = false;
  let drained: (() => void) | undefined;
  const finishOne = () => {
    busy--;
    if (closing && busy === 0) drained?.();
  };
  const server = listenUnix(path, () => Bun.listen<{ buf: string }>({
    unix: path,
    socket: {
      open(s) {
        s.data = { buf: "" };
      },
      data(s, chunk) {
        s.data.buf += chunk.toString();
        if (s.data.buf.length > MAX_LINE) {
          s.end();
          return;
        }
        let nl: number;
        while ((nl = s.data.buf.indexOf("\n")) >= 0) {
          const line = s.data.buf.slice(0, nl);
          s.data.buf = s.data.buf.slice(nl + 1);
          let req: DeliveryRequest;
          try {
            req = JSON.parse(line) as DeliveryRequest;
          } catch {
            s.end();
            return;
          }
          busy++;
          handler(req)
            .catch((e) => deferAll(req, `delivery agent error: ${e instanceof Error ? e.message : String(e)}`))
            .then((reply) => {
              flushLogRecords(); // the agent's status= lines reach the log before qmgr can remove the file
              s.write(`${JSON.stringify(reply)}\n`);
            })
            .finally(finishOne);
        }
      },
    },
  }));
  chmodSync(path, 0o600);
  return {
    inFlight: () => busy,
    close() {
      closing = true;
      server.stop(false);
      try {
        unlinkSync(path);
      } catch {
        // gone already
      }
      if (busy === 0) return Promise.resolve();
      return new Promise((resolve) => (drained = resolve));
    },
  };
}

interface Conn {
  sock: import("bun").Socket<{ buf: string; pending?: { resolve: (r: DeliveryReply) => void; reject: (e: Error) => void } }>;
}

/** A client for one agent socket, with a pool of idle connections. */
export class AgentClient {
  private idle: Conn[] = [];

  constructor(
    readonly path: string,
    /** Extra connection attempts, 200 ms apart, while the agent is not listening yet. */
    private readonly connectAttempts = 15,
  ) {}

  private async connect(): Promise<Conn> {
    const conn: Conn = {} as Conn;
    const path = this.path;
    conn.sock = await Bun.connect<{ buf: string; pending?: { resolve: (r: DeliveryReply) => void; reject: (e: Error) => void } }>({
      unix: this.path,
      socket: {
        open(s) {
          s.data = { buf: "" };
        },
        data: (s, chunk) => {
          s.data.buf += chunk.toString();
          const nl = s.data.buf.indexOf("\n");
          if (nl < 0) return;
          const line = s.data.buf.slice(0, nl);
          s.data.buf = s.data.buf.slice(nl + 1);
          const p = s.data.pending;
          s.data.pending = undefined;
          try {
            p?.resolve(JSON.parse(line) as DeliveryReply);
          } catch (e) {
            p?.reject(new AgentError(`bad reply from ${path}: ${(e as Error).message}`));
          }
        },
        close: (s) => {
          this.idle = this.idle.filter((c) => c.sock !== s);
          s.data?.pending?.reject(new AgentError("lost connection with delivery agent"));
          if (s.data) s.data.pending = undefined;
        },
        error(s, e) {
          s.data?.pending?.reject(new AgentError(`delivery agent connection error: ${e.message}`));
          if (s.data) s.data.pending = undefined;
        },
      },
    });
    return conn;
  }

  /** Sends a request and waits for its reply. Throws AgentError when the agent is unreachable or dies. */
  async deliver(req: DeliveryRequest): Promise<DeliveryReply> {
    let conn = this.idle.pop();
    // an agent that is (re)starting has no socket for a moment: keep trying for a few seconds before deferring
    for (let attempt = 0; !conn; attempt++) {
      try {
        conn = await this.connect();
      } catch (e) {
        if (attempt >= this.connectAttempts) throw new AgentError(`connect to delivery agent ${this.path}: ${(e as Error).message}`);
        await Bun.sleep(200);
      }
    }
    const c = conn;
    const reply = await new Promise<DeliveryReply>((resolve, reject) => {
      c.sock.data.pending = { resolve, reject };
      c.sock.write(`${JSON.stringify(req)}\n`);
    });
    if (c.sock.readyState === 1) this.idle.push(c);
    return reply;
  }

  /** Closes every idle connection. */
  close(): void {
    for (const c of this.idle) c.sock.end();
    this.idle = [];
  }
}
