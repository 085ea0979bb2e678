/**
 * dsn_status — RFC 3463 enhanced status codes at the start of a text, as Postfix's dsn_util finds them.
 *
 *   dsnValid(text)          the length of a leading `X.Y.Z` (X is 2, 4 or 5; Y and Z one to three digits) that
 *                           is followed by white space or the end of the text; 0 when there is none
 *   dsnSplit(def, text)     leading white space skipped, then the status (or `def` when there is none) and the
 *                           text after it without its leading white space
 *   dsnPrepend(def, text)   `STATUS TEXT`: the text with its own status, or with `def` in front
 *
 * Used for reply texts of access tables and header/body checks (`REJECT 4.7.0 try later`), the error and
 * retry transports' next-hop text, and the status a pipe command prints. Pure; never throws.
 */

/** Postfix's dsn_valid(): the length of a leading `X.Y.Z` status, 0 when there is none. */
export function dsnValid(text: string): number {
  const m = /^[245]\.\d{1,3}\.\d{1,3}(?=$|[ \t\r\n\v\f])/.exec(text);
  return m ? m[0].length : 0;
}

/** dsn_split(): an optional leading status (`def` when absent) and the free text after it. */
export function dsnSplit(def: string, text: string): { dsn: string; text: string } {
  const t = text.replace(/^[ \t\r\n\v\f]+/, "");
  const n = dsnValid(t);
  if (n > 0) return { dsn: t.slice(0, n), text: t.slice(n).replace(/^[ \t\r\n\v\f]+/, "") };
  return { dsn: def, text: t };
}

/** dsn_prepend(): `STATUS TEXT`, the text's own status or `def`. */
export function dsnPrepend(def: string, text: string): string {
  const { dsn, text: rest } = dsnSplit(def, text);
  return `${dsn} ${rest}`;
}
