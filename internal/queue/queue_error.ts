/**
 * queue_error — the one error type that internal/queue throws.
 *
 * `QueueError.code` tells the caller what to do without parsing text:
 *
 * | code          | meaning                                                   | what a caller usually does           |
 * | ------------- | --------------------------------------------------------- | ------------------------------------ |
 * | `badid`       | the queue ID fails isValidQueueId() (or the wanted form)  | refuse it (`bad mail queue ID: X`)   |
 * | `badqueue`    | not one of the queue names of queue_path.ts               | refuse it (`invalid directory name`) |
 * | `notfound`    | no such message (or it vanished while being worked on)    | skip silently, as Postfix does       |
 * | `exists`      | the destination name of a move is already taken           | report; never overwrite              |
 * | `locked`      | another process holds a conflicting lock on the file      | try again later                      |
 * | `corrupt`     | the file is not a complete queue file (see queue_file.ts) | moveToCorrupt()                      |
 * | `torn`        | a torn appended record needs an exclusive lock to repair  | reopen with lock "exclusive"         |
 * | `unsupported` | a queue file of a newer format version than this code     | leave it alone; do not move it       |
 * | `invalid`     | a caller passed a value the file format cannot hold       | programming or input error           |
 * | `state`       | a writer or file method called out of order or after close| programming error                    |
 * | `io`          | an unexpected file-system error (`cause` has the errno)   | defer and retry (temporary)          |
 *
 * `temporary` is true for `locked`, `torn` and `io`. Messages read "action object: reason", for example
 * `open queue file deferred/E/EF97820E3CD: no such file or directory`.
 */
import { PostkitError } from "../sys/errors.ts";

/** What went wrong, see the table above. */
export type QueueErrorCode =
  | "badid"
  | "badqueue"
  | "notfound"
  | "exists"
  | "locked"
  | "corrupt"
  | "torn"
  | "unsupported"
  | "invalid"
  | "state"
  | "io";

const TEMPORARY: ReadonlySet<QueueErrorCode> = new Set(["locked", "torn", "io"]);

/** A queue operation failed; `code` says how, `path` names the file or directory when there is one. */
export class QueueError extends PostkitError {
  constructor(
    readonly code: QueueErrorCode,
    message: string,
    opts: { path?: string; cause?: unknown } = {},
  ) {
    super(message, { temporary: TEMPORARY.has(code), cause: opts.cause });
    this.path = opts.path;
  }
  /** The queue file or directory concerned, if any. */
  readonly path: string | undefined;
}

/** The errno name of a node:fs error (`ENOENT` …), or undefined. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Turns a node:fs error into a QueueError: ENOENT becomes `notfound`, anything else `io`. */
export function queueIoError(action: string, path: string, e: unknown): QueueError {
  if (e instanceof QueueError) return e;
  const code = errnoCode(e);
  const reason = code === "ENOENT" ? "no such file or directory" : ((e as Error)?.message ?? String(e));
  return new QueueError(code === "ENOENT" ? "notfound" : "io", `${action} ${path}: ${reason}`, { path, cause: e });
}
