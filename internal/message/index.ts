/**
 * message — message content as Postfix's cleanup sees it: header names and classes (header_table.ts), the
 * streaming header reader, primary headers only or the whole MIME structure (header_parser.ts), the Date: format
 * (mail_date.ts), the headers added to local submissions (added_headers.ts), the folding of rewritten address
 * headers (fold_header.ts) and the 8-bit MIME downgrade for servers without 8BITMIME (mime_downgrade.ts). Layer 1.
 */
export * from "./header_table.ts";
export * from "./header_parser.ts";
export * from "./mail_date.ts";
export * from "./added_headers.ts";
export * from "./fold_header.ts";
export * from "./mime_downgrade.ts";
