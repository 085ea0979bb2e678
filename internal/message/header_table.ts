/**
 * header_table — the message headers Postfix knows by name, and the test for "this line starts a header".
 *
 * The table is Postfix 3.7's header_opts.c: each known header has a preferred spelling and a set of classes.
 *
 * | class       | meaning                                                          | headers                                  |
 * | ----------- | ---------------------------------------------------------------- | ---------------------------------------- |
 * | `sender`    | holds sender addresses (rewritten as sender addresses)           | From, Sender, Reply-To, Errors-To, Return-Path, Return-Receipt-To, Mail-Followup-To, Disposition-Notification-To, Resent-From, Resent-Sender |
 * | `recipient` | holds recipient addresses (rewritten as recipient addresses)     | To, Cc, Bcc, Apparently-To, Resent-To, Resent-Cc, Resent-Bcc, Resent-Reply-To |
 * | `extract`   | sendmail -t takes recipients from it                             | To, Cc, Bcc, Resent-To, Resent-Cc, Resent-Bcc |
 * | `resent`    | a Resent- header (when one is present, -t uses only Resent- ones) | the Resent-* headers                     |
 * | `mime`      | MIME structure                                                   | MIME-Version, Content-Type, Content-Transfer-Encoding, Content-ID, Content-Description, Content-Disposition |
 * | `drop`      | removed by cleanup (message_drop_headers)                         | by default Bcc, Content-Length, Resent-Bcc, Return-Path |
 *
 * Date, Delivered-To, Message-Id, Received and Content-Length are known without a class (cleanup counts
 * Received and Delivered-To, and adds a missing Date or Message-Id). Names match case-insensitively; white space
 * between a name and its colon is ignored. `drop` is the only class that configuration changes: names in
 * message_drop_headers get it, and names Postfix does not otherwise know enter the table as type `other` with
 * only that class.
 *
 * headerNameLength() is Postfix's is_header(): a line starts a header when it begins with one or more printable
 * ASCII characters other than space and colon, then optional spaces or tabs, then a colon.
 *
 * Pure; never throws. Corresponds to src/global/header_opts.c and is_header.c.
 */
import { asciiLower, splitListItems, trimBlanksEnd } from "../text/chars.ts";

/** What kind of header this is: the lower-case name of a known header, or `other`. */
export type HeaderType =
  | "apparently-to" | "bcc" | "cc" | "content-description" | "content-disposition" | "content-id"
  | "content-length" | "content-transfer-encoding" | "content-type" | "delivered-to"
  | "disposition-notification-to" | "date" | "errors-to" | "from" | "mail-followup-to" | "message-id"
  | "mime-version" | "received" | "reply-to" | "resent-bcc" | "resent-cc" | "resent-date" | "resent-from"
  | "resent-message-id" | "resent-reply-to" | "resent-sender" | "resent-to" | "return-path"
  | "return-receipt-to" | "sender" | "to" | "other";

/** What Postfix knows about a header name. */
export interface HeaderInfo {
  /** Preferred spelling (`Message-Id`, `MIME-Version`). */
  readonly name: string;
  readonly type: HeaderType;
  readonly sender: boolean;
  readonly recipient: boolean;
  readonly extract: boolean;
  readonly resent: boolean;
  readonly mime: boolean;
  readonly drop: boolean;
}

/** message_drop_headers default (Postfix 3.0+). */
export const DEFAULT_DROP_HEADERS = "bcc, content-length, resent-bcc, return-path";

// name, classes: s = sender, r = recipient, x = extract, R = resent, m = mime
const KNOWN: [string, string][] = [
  ["Apparently-To", "r"],
  ["Bcc", "rx"],
  ["Cc", "rx"],
  ["Content-Description", "m"],
  ["Content-Disposition", "m"],
  ["Content-ID", "m"],
  ["Content-Length", ""],
  ["Content-Transfer-Encoding", "m"],
  ["Content-Type", "m"],
  ["Delivered-To", ""],
  ["Disposition-Notification-To", "s"],
  ["Date", ""],
  ["Errors-To", "s"],
  ["From", "s"],
  ["Mail-Followup-To", "s"],
  ["Message-Id", ""],
  ["MIME-Version", "m"],
  ["Received", ""],
  ["Reply-To", "s"],
  ["Resent-Bcc", "rxR"],
  ["Resent-Cc", "rxR"],
  ["Resent-Date", "R"],
  ["Resent-From", "sR"],
  ["Resent-Message-Id", "R"],
  ["Resent-Reply-To", "rR"],
  ["Resent-Sender", "sR"],
  ["Resent-To", "rxR"],
  ["Return-Path", "s"],
  ["Return-Receipt-To", "s"],
  ["Sender", "s"],
  ["To", "rx"],
];

function info(name: string, type: HeaderType, classes: string, drop: boolean): HeaderInfo {
  return {
    name,
    type,
    sender: classes.includes("s"),
    recipient: classes.includes("r"),
    extract: classes.includes("x"),
    resent: classes.includes("R"),
    mime: classes.includes("m"),
    drop,
  };
}

/** ASCII-only lower case, as Postfix's TOLOWER(). */
const lower = asciiLower;

/** The lookup key of a header name: lower case, trailing blanks removed. */
function keyOf(name: string): string {
  return trimBlanksEnd(lower(name));
}

/** Header lookup with a given message_drop_headers setting. */
export interface HeaderTable {
  /** What Postfix knows about header `name` (case-insensitive), or undefined for a header it does not know. */
  find(name: string): HeaderInfo | undefined;
}

// The last table made, by its message_drop_headers value: cleanup asks for one per message, always the same.
let lastTable: { dropHeaders: string; table: HeaderTable } | undefined;

/**
 * A header table for a message_drop_headers value (names separated by commas and/or white space). Tables never
 * change once made; asking again with the same value returns the same table.
 */
export function makeHeaderTable(dropHeaders: string = DEFAULT_DROP_HEADERS): HeaderTable {
  if (lastTable?.dropHeaders !== dropHeaders) lastTable = { dropHeaders, table: buildHeaderTable(dropHeaders) };
  return lastTable.table;
}

function buildHeaderTable(dropHeaders: string): HeaderTable {
  const drops = new Set(splitListItems(dropHeaders).map(lower));
  const map = new Map<string, HeaderInfo>();
  for (const [name, classes] of KNOWN) {
    const key = lower(name);
    map.set(key, info(name, key as HeaderType, classes, drops.has(key)));
  }
  for (const key of drops) if (!map.has(key)) map.set(key, info(key, "other", "", true));
  return { find: (name: string) => map.get(keyOf(name)) };
}

let defaultTable: HeaderTable | undefined;

/** header_opts_find() with the default message_drop_headers. */
export function findHeaderInfo(name: string): HeaderInfo | undefined {
  defaultTable ??= buildHeaderTable(DEFAULT_DROP_HEADERS);
  return defaultTable.find(name);
}

/** is_header(): the length of the header name at the start of `line` (> 0), or 0 when the line is not a header. */
export function headerNameLength(line: string): number {
  let len = 0;
  let afterName = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 58 /* : */) return len;
    if (c === 32 || c === 9) {
      if (len === 0) return 0;
      afterName = true;
      continue;
    }
    if (c <= 31 || c >= 127 || afterName) return 0;
    len++;
  }
  return 0;
}
