/**
 * errno — glibc's strerror() text for the errors node:fs reports, so messages read like Postfix's `%m`.
 *
 * `errnoText(e)` turns an error thrown by node:fs (code "ENOENT") into "No such file or directory". Unknown codes
 * fall back to the error's own message. Pure; never throws.
 */

// One string "\nNAME\tTEXT\n…" searched with indexOf, as params_table.ts does: an object literal of some forty
// properties costs every program that imports this module ~40 µs at start-up, and the text is needed only on
// the error path.
const TEXT =
  "\n" +
  "EPERM\tOperation not permitted\n" +
  "ENOENT\tNo such file or directory\n" +
  "ESRCH\tNo such process\n" +
  "EINTR\tInterrupted system call\n" +
  "EIO\tInput/output error\n" +
  "ENXIO\tNo such device or address\n" +
  "E2BIG\tArgument list too long\n" +
  "EBADF\tBad file descriptor\n" +
  "EAGAIN\tResource temporarily unavailable\n" +
  "EWOULDBLOCK\tResource temporarily unavailable\n" +
  "ENOMEM\tCannot allocate memory\n" +
  "EACCES\tPermission denied\n" +
  "EBUSY\tDevice or resource busy\n" +
  "EEXIST\tFile exists\n" +
  "EXDEV\tInvalid cross-device link\n" +
  "ENOTDIR\tNot a directory\n" +
  "EISDIR\tIs a directory\n" +
  "EINVAL\tInvalid argument\n" +
  "EMFILE\tToo many open files\n" +
  "ENFILE\tToo many open files in system\n" +
  "EFBIG\tFile too large\n" +
  "ENOSPC\tNo space left on device\n" +
  "EROFS\tRead-only file system\n" +
  "EPIPE\tBroken pipe\n" +
  "ENAMETOOLONG\tFile name too long\n" +
  "ENOTEMPTY\tDirectory not empty\n" +
  "ELOOP\tToo many levels of symbolic links\n" +
  "EDEADLK\tResource deadlock avoided\n" +
  "ECONNREFUSED\tConnection refused\n" +
  "ECONNRESET\tConnection reset by peer\n" +
  "ETIMEDOUT\tConnection timed out\n" +
  "EHOSTUNREACH\tNo route to host\n" +
  "ENETUNREACH\tNetwork is unreachable\n" +
  "EADDRINUSE\tAddress already in use\n" +
  "EADDRNOTAVAIL\tCannot assign requested address\n" +
  "ENOTCONN\tTransport endpoint is not connected\n" +
  "ENOTSOCK\tSocket operation on non-socket\n" +
  "EDQUOT\tDisk quota exceeded\n";

/** The strerror() text of errno name `code`, or undefined. */
function textOf(code: string): string | undefined {
  const at = TEXT.indexOf(`\n${code}\t`);
  if (at < 0) return undefined;
  const start = at + code.length + 2;
  return TEXT.slice(start, TEXT.indexOf("\n", start));
}

/** strerror() text for a node error (or any value with an errno `code`). */
export function errnoText(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  const text = typeof code === "string" ? textOf(code) : undefined;
  if (text) return text;
  return e instanceof Error ? e.message : String(e);
}

/** The errno name of a node error, or undefined. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
