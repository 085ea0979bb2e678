/**
 * mailbox_error — why a mailbox, maildir, file or command delivery failed, with the enhanced status code that
 * decides between "try again later" (4.x.x) and "bounce" (5.x.x), as Postfix's dsb_simple()/dsb_unix() carry it.
 *
 * `mboxDsn(errno, def)` is Postfix's mbox_dsn(): the status for a system error met while delivering to a
 * mailbox: EAGAIN and ESTALE give 4.2.0 (try again), ENOSPC 4.3.0 (the system is full), EDQUOT and EFBIG 5.2.2
 * (the mailbox is full), anything else the caller's default.
 *
 * Postfix: src/global/mbox_open.c (mbox_dsn), dsn_buf.c.
 */
import { PostkitError } from "../sys/errors.ts";

/** A delivery that failed: `dsn` is X.Y.Z, `message` the reason text Postfix shows (without the caller's prefix). */
export class MailboxError extends PostkitError {
  constructor(
    readonly dsn: string,
    message: string,
    /** The errno name behind the failure, when there is one. */
    readonly errno?: string,
  ) {
    super(message, { temporary: dsn.startsWith("4") });
  }

  /** The same failure with `prefix` in front of its text (Postfix's vstring_sprintf_prepend on why->reason). */
  withPrefix(prefix: string): MailboxError {
    return new MailboxError(this.dsn, prefix + this.message, this.errno);
  }
}

/** mbox_dsn(): the enhanced status code for system error `errno` (a name such as "ENOSPC"), else `def`. */
export function mboxDsn(errno: string | undefined, def: string): string {
  switch (errno) {
    case "EAGAIN":
    case "EWOULDBLOCK":
    case "ESTALE":
      return "4.2.0";
    case "ENOSPC":
      return "4.3.0";
    case "EDQUOT":
    case "EFBIG":
      return "5.2.2";
    default:
      return def;
  }
}
