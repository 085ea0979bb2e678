/**
 * smtpd_dsn_fix — the enhanced status code of an address rejection, adjusted to what is being rejected (Postfix's
 * smtpd_dsn_fix()), for every reply of the access policy: access(5) actions, DNS list replies, and the
 * unknown-address checks.
 *
 * Only address codes (X.1.Y) change. Rejecting a sender, a recipient-only code becomes a sender one: X.1.1, X.1.4
 * and X.1.6 become X.1.7 (bad sender mailbox), X.1.2 becomes X.1.8, X.1.3 becomes X.1.7, X.1.5 becomes X.1.0.
 * Rejecting a recipient, a sender-only code becomes a recipient one: X.1.7 becomes X.1.3, X.1.8 becomes X.1.2.
 * Anything else in X.1.* becomes X.1.0; rejecting neither (client, HELO, ETRN …), X.1.* becomes X.0.0. When the
 * code changes, an info record says so: `mapping DSN status 5.1.6 into Sender address status 5.1.7`. The class
 * digit of the result is left for the caller to set (the reply code decides it).
 *
 * Contract: pure but for that log record; never throws. Postfix: src/smtpd/smtpd_dsn_fix.c.
 */
import { msgInfo } from "../log/msg.ts";

/** [micro code, sender DSN, recipient DSN]. */
const DSN_MAP: [string, string, string][] = [
  ["1", "4.1.7", "4.1.1"],
  ["2", "4.1.8", "4.1.2"],
  ["3", "4.1.7", "4.1.3"],
  ["4", "4.1.7", "4.1.4"],
  ["5", "4.1.0", "4.1.5"],
  ["6", "4.1.7", "4.1.6"],
  ["7", "4.1.7", "4.1.3"],
  ["8", "4.1.8", "4.1.2"],
];

/** smtpd_dsn_fix(): see the header; `replyClass` is "Sender address", "Recipient address" or another name. */
export function smtpdDsnFix(status: string, replyClass: string): string {
  if (!/^\d\.1\./.test(status)) return status;
  let result: string;
  const entry = DSN_MAP.find((m) => m[0] === status.slice(4)) ?? ["", "4.1.0", "4.1.0"];
  if (replyClass === "Sender address") result = entry[1];
  else if (replyClass === "Recipient address") result = entry[2];
  else result = "4.0.0";
  if (status.slice(2) !== result.slice(2)) msgInfo(`mapping DSN status ${status} into ${replyClass} status ${status[0]}${result.slice(1)}`);
  return result;
}
