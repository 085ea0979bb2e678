/**
 * local_transports — the delivery agents that run inside the queue manager process: discard(8), error(8) and
 * retry (error(8) started as `retry`), which never read the message content.
 *
 *   discard   every recipient is `sent`, with the next-hop text as the reason (Postfix: `status=sent (TEXT)`)
 *   error     every recipient is `bounced` with the next-hop text; a leading enhanced status code (`5.1.1 text`)
 *             becomes the DSN code, else 5.0.0
 *   retry     the same, deferred: default code 4.0.0
 * Each logs the `to=<…>, relay=none, …` line, as the real agents do, under their program's tag (`postfix/discard`,
 * `postfix/error` — also for the retry service, as Postfix's error program logs), with the queue manager's pid.
 */
import { formatRecipientEvent } from "../log/events.ts";
import { msgLogAs } from "../log/msg.ts";
import { dsnSplit } from "../dsn/dsn_status.ts";
import { loggedStatus, verifyOnly, type DeliveryReply, type DeliveryRequest } from "../daemon/agent_protocol.ts";
import type { Deliverer } from "./qmgr.ts";

function deliverAll(req: DeliveryRequest, status: "sent" | "bounced" | "deferred", defDsn: string, program: string): DeliveryReply {
  const { dsn, text } = dsnSplit(defDsn, req.nexthop);
  const now = Date.now();
  const results = req.recipients.map((r) => {
    const line = formatRecipientEvent({
      queueId: req.queueId, to: r.address, origTo: r.origAddress, relay: "none", dsn, status: loggedStatus(status, verifyOnly(req)), reason: text,
      times: { arrival: req.arrival, active: req.active, handoff: now, done: now },
    });
    msgLogAs(program, "info", line);
    return { offset: r.offset, status, dsn, reason: text, relay: "none" };
  });
  return { results };
}

/** The in-process deliverer for master.cf command `discard`, `error` (service `retry` defers), or undefined. */
export function inProcessTransport(command: string, service: string): Deliverer | undefined {
  if (command === "discard") return { deliver: async (req) => deliverAll(req, "sent", "2.0.0", "discard") };
  if (command === "error") {
    const retry = service === "retry";
    return { deliver: async (req) => deliverAll(req, retry ? "deferred" : "bounced", retry ? "4.0.0" : "5.0.0", "error") };
  }
  return undefined;
}
