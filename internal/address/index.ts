/**
 * address — RFC 822/5321 addresses as Postfix handles them: parsing address lists (tok822.ts, address_list.ts),
 * internal and external forms (quote_local.ts), address extensions (split_address.ts), case (fold_address.ts),
 * and syntax checks for domains and literals (valid_hostname.ts, valid_address.ts). Layer 1; pure functions.
 */
export * from "./tok822.ts";
export * from "./address_list.ts";
export * from "./quote_local.ts";
export * from "./split_address.ts";
export * from "./fold_address.ts";
export * from "./valid_hostname.ts";
export * from "./valid_address.ts";
