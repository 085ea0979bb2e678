/**
 * errors — the typed errors that libraries throw and that only cmd/main.ts turns into exit statuses.
 *
 * - `FatalError`: what Postfix reports with msg_fatal(): printed as `prog: fatal: TEXT` and logged; `exitCode` is
 *   the status the tool exits with (1 unless the tool's convention says otherwise, e.g. sendmail's 75).
 * - `UsageError`: a bad command line; printed as `prog: fatal: usage: …` (the tool supplies its usage line).
 * - `ExitRequest`: not an error: a tool that has printed what it must and wants a particular exit status.
 *
 * Other modules subclass `PostkitError` for their own domains (`MapError`, `QueueError`, `ConfigError` …) and
 * carry a `code` so callers can choose between retry and bounce without parsing text.
 */

/** Base class of every error that postkit throws on purpose. */
export class PostkitError extends Error {
  /** Exit status a command should end with when this error reaches cmd/main.ts. */
  exitCode: number;
  /** True when retrying later may succeed (a delivery agent defers instead of bouncing). */
  temporary: boolean;
  constructor(message: string, opts: { exitCode?: number; temporary?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? 1;
    this.temporary = opts.temporary ?? false;
  }
}

/** msg_fatal(): the tool cannot continue. */
export class FatalError extends PostkitError {}

/** A command-line usage error; `message` is the usage text without the `usage: ` prefix. */
export class UsageError extends PostkitError {}

/** A request to end the program with `exitCode` after output was already written. */
export class ExitRequest extends PostkitError {
  constructor(exitCode: number) {
    super(`exit ${exitCode}`, { exitCode });
  }
}
