/**
 * added_headers — the headers Postfix adds to locally submitted mail, byte for byte.
 *
 * - Received (written by pickup for every maildrop file, so it is the first header):
 *     Received: by MYHOSTNAME (MAIL_NAME, from userid UID)
 *     	id QUEUEID; DATE
 *   MAIL_NAME is $mail_name ("Postfix"), QUEUEID the queue ID cleanup gave the message, DATE the modification
 *   time of the maildrop file in mail_date.ts format.
 * - Message-Id (cleanup, when there is none): `<YYYYMMDDhhmmss.QUEUEID@MYHOSTNAME>` with the queue file's
 *   creation time in UTC; with enable_long_queue_ids = yes just `<QUEUEID@MYHOSTNAME>`.
 * - Date (cleanup, when there is none): the arrival time, mail_date.ts format.
 * - From (cleanup, when there is none), by header_from_format:
 *     standard (default): `From: Full Name <sender>`; the name is written as its words separated by single
 *       spaces when it holds none of `%!()<>@,;:\".[]`, else as one quoted string (`"Johnny B. Goode" <j@x>`);
 *     obsolete:           `From: sender (Full Name)`;
 *   and `From: sender` without a full name (or one of white space only, in the standard format). The sender is
 *   in external (quoted) form; the null sender is written as MAILER-DAEMON, never with a full name. CR and LF in
 *   the full name become spaces. In Resent- mode every name gets the `Resent-` prefix.
 *
 * Each function returns header lines without their newline. Pure; never throws. Corresponds to
 * src/pickup/pickup.c (Received) and src/cleanup/cleanup_message.c (cleanup_header_done_callback).
 */
import { cString, externalizeTokens, parseAddressTree, scanAddressTokens, type AddressToken } from "../address/tok822.ts";
import { quoteLocalPart } from "../address/quote_local.ts";
import { formatRfc2822Date } from "./mail_date.ts";

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** The Message-Id value, angle brackets included; `created` is the queue file's creation time. */
export function makeMessageId(queueId: string, myhostname: string, created: Date, longIds: boolean): string {
  if (longIds) return `<${queueId}@${myhostname}>`;
  const d = created;
  const stamp = `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`;
  return `<${stamp}.${queueId}@${myhostname}>`;
}

/** What the Received: header of a local submission names. */
export interface ReceivedInfo {
  myhostname: string;
  /** $mail_name, "Postfix" by default. */
  mailName: string;
  /** Owner of the maildrop file. */
  uid: number;
  queueId: string;
  /** Modification time of the maildrop file. */
  date: Date;
  /** TZ value for the date; default process.env.TZ. */
  tz?: string;
}

/** The two lines of the Received: header pickup writes; see the header. */
export function makeReceivedHeader(r: ReceivedInfo): [string, string] {
  return [`Received: by ${r.myhostname} (${r.mailName}, from userid ${r.uid})`, `\tid ${r.queueId}; ${formatRfc2822Date(r.date, r.tz)}`];
}

/** The Date: (or Resent-Date:) header line for an arrival time. */
export function makeDateHeader(arrival: Date, opts: { resent?: boolean; tz?: string } = {}): string {
  return `${opts.resent ? "Resent-" : ""}Date: ${formatRfc2822Date(arrival, opts.tz)}`;
}

/** The From: (or Resent-From:) header line cleanup adds; `sender` in internal form, "" for the null sender. */
export function makeFromHeader(
  sender: string,
  fullName: string | undefined,
  opts: { format?: "standard" | "obsolete"; resent?: boolean; tokenLimit?: number } = {},
): string {
  const prefix = `${opts.resent ? "Resent-" : ""}From: `;
  const addr = quoteLocalPart(sender !== "" ? sender : "MAILER-DAEMON");
  if (sender === "" || !fullName) return prefix + addr;
  const name = cString(fullName).replace(/[\r\n]/g, " ");
  if ((opts.format ?? "standard") === "obsolete") {
    return `${prefix}${addr} ${externalizeTokens(parseAddressTree(`(${name})`))}`;
  }
  let phrase: AddressToken[];
  if (/[%!()<>@,;:\\".[\]]/.test(name)) phrase = [{ kind: "qstring", text: name, children: [], start: -1, end: -1 }];
  else phrase = scanAddressTokens(name, opts.tokenLimit ?? 10240);
  return phrase.length > 0 ? `${prefix}${externalizeTokens(phrase)} <${addr}>` : `${prefix}<${addr}>`;
}
