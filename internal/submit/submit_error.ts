/**
 * submit_error — the error type of internal/submit: why a local submission (sendmail, postdrop) failed.
 *
 * | code        | meaning                                                                 |
 * | ----------- | ----------------------------------------------------------------------- |
 * | `header`    | sendmail -t: a message header exceeds header_size_limit                 |
 * | `size`      | the message exceeds message_size_limit                                  |
 * | `malformed` | postdrop: the record stream on standard input is not a valid submission |
 * | `read`      | reading standard input failed                                           |
 * | `refused`   | the submission cannot be made as asked (no recipients, no login name …) |
 * | `write`     | the queue file could not be written                                     |
 * Errors from sendmail_input.ts and read_input.ts carry the bare reason; enqueue.ts and record_input.ts add
 * Postfix's `SENDER(UID): ` or `uid=UID: ` prefix, so their messages are complete.
 */
import { PostkitError } from "../sys/errors.ts";

/** What went wrong; see the table above. */
export type SubmitErrorCode = "header" | "size" | "malformed" | "read" | "refused" | "write";

/** A submission that cannot be accepted. */
export class SubmitError extends PostkitError {
  constructor(
    readonly code: SubmitErrorCode,
    message: string,
  ) {
    super(message);
  }
}
