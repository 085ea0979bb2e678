/**
 * version — postkit's release and the Postfix release whose behaviour it reproduces.
 *
 * `mail_version` reports the Postfix compatibility level (scripts test it to pick features); `postkit --version`
 * reports both.
 */

/** postkit's own release. */
export const VERSION = "0.1.0";

/** The Postfix release whose formats, options and defaults postkit matches (the `mail_version` default). */
export const MAIL_VERSION = "3.7.11";

/** The `mail_release_date` default that goes with MAIL_VERSION. */
export const MAIL_RELEASE_DATE = "20240304";
