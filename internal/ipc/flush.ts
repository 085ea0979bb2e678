/**
 * flush — the requests with which postqueue -f, postqueue -s, postqueue -i, postsuper -r and `postfix flush` ask a
 * running queue manager for immediate work, through the public/qmgr trigger FIFO.
 *
 *   requestFlush()       "FADI": forget dead destinations, ignore retry times, scan deferred and incoming
 *                        (Postfix's mail_flush_deferred())
 *   requestQueueScan()   "I" (incoming) or "D" (deferred) or "A" (ignore retry times) or a combination
 * Each resolves to false when nobody listens (the mail system is down); callers print their own Postfix message.
 */
import { sendTrigger } from "./trigger.ts";

/** Asks the queue manager to deliver everything now; false when the mail system is down. */
export async function requestFlush(queueDir: string): Promise<boolean> {
  return (await sendTrigger(queueDir, "public", "qmgr", Buffer.from("FADI"))) === undefined;
}

/** Sends queue manager request letters (W I D A F); false when the mail system is down. */
export async function requestQueueScan(queueDir: string, letters: string): Promise<boolean> {
  return (await sendTrigger(queueDir, "public", "qmgr", Buffer.from(letters))) === undefined;
}

/** Wakes pickup (after a message was put in maildrop); false when the mail system is down. */
export async function wakePickup(queueDir: string): Promise<boolean> {
  return (await sendTrigger(queueDir, "public", "pickup", Buffer.from("W"))) === undefined;
}
