/**
 * ehlo_mask — the EHLO keyword lists of smtpd_discard_ehlo_keywords, smtp_discard_ehlo_keywords,
 * lmtp_discard_lhlo_keywords and the values of their *_keyword_address_maps (Postfix's global/ehlo_mask.c).
 *
 * A list names keywords separated by commas and/or white space, in any case. The known names, in the order in
 * which they are logged: 8BITMIME AUTH ETRN PIPELINING SIZE VERP VRFY XCLIENT XFORWARD STARTTLS
 * ENHANCEDSTATUSCODES DSN SMTPUTF8 CHUNKING, and SILENT-DISCARD, which hides nothing but turns off the
 * `discarding EHLO keywords: …` log line. Unknown names are ignored without a word, so that main.cf can be shared
 * between versions.
 *
 * Contract: never throws.
 */

/** The known keywords, upper case, in Postfix's table order (the order ehloMaskString() writes them in). */
export const EHLO_MASK_NAMES = [
  "8BITMIME",
  "AUTH",
  "ETRN",
  "PIPELINING",
  "SIZE",
  "VERP",
  "VRFY",
  "XCLIENT",
  "XFORWARD",
  "STARTTLS",
  "ENHANCEDSTATUSCODES",
  "DSN",
  "SMTPUTF8",
  "CHUNKING",
  "SILENT-DISCARD",
] as const;

/** The known keywords in a list, upper case; unknown names are dropped. */
export function parseEhloMask(list: string): Set<string> {
  const out = new Set<string>();
  for (const word of list.split(/[\s,]+/)) {
    const up = word.toUpperCase();
    if ((EHLO_MASK_NAMES as readonly string[]).includes(up)) out.add(up);
  }
  return out;
}

/** The keywords of a mask as Postfix's str_ehlo_mask() writes them: table order, separated by one space. */
export function ehloMaskString(mask: Set<string>): string {
  return EHLO_MASK_NAMES.filter((n) => mask.has(n)).join(" ");
}

/**
 * The `discarding EHLO keywords: …` log text for a mask, or undefined when nothing is logged (an empty mask, or
 * one with SILENT-DISCARD).
 */
export function ehloDiscardLogText(mask: Set<string>): string | undefined {
  if (mask.size === 0 || mask.has("SILENT-DISCARD")) return undefined;
  return `discarding EHLO keywords: ${ehloMaskString(mask)}`;
}
