/**
 * errno — glibc's strerror() text for the errors node:fs reports, so messages read like Postfix's `%m`.
 *
 * `errnoText(e)` turns an error thrown by node:fs (code "ENOENT") into "No such file or directory". Unknown codes
 * fall back to the error's own message. Pure; never throws.
 */

const TEXT: Record<string, string> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  ESRCH: "No such process",
  EINTR: "Interrupted system call",
  EIO: "Input/output error",
  ENXIO: "No such device or address",
  E2BIG: "Argument list too long",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  EWOULDBLOCK: "Resource temporarily unavailable",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  EXDEV: "Invalid cross-device link",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  EMFILE: "Too many open files",
  ENFILE: "Too many open files in system",
  EFBIG: "File too large",
  ENOSPC: "No space left on device",
  EROFS: "Read-only file system",
  EPIPE: "Broken pipe",
  ENAMETOOLONG: "File name too long",
  ENOTEMPTY: "Directory not empty",
  ELOOP: "Too many levels of symbolic links",
  EDEADLK: "Resource deadlock avoided",
  ECONNREFUSED: "Connection refused",
  ECONNRESET: "Connection reset by peer",
  ETIMEDOUT: "Connection timed out",
  EHOSTUNREACH: "No route to host",
  ENETUNREACH: "Network is unreachable",
  EADDRINUSE: "Address already in use",
  EADDRNOTAVAIL: "Cannot assign requested address",
  ENOTCONN: "Transport endpoint is not connected",
  ENOTSOCK: "Socket operation on non-socket",
  EDQUOT: "Disk quota exceeded",
};

/** strerror() text for a node error (or any value with an errno `code`). */
export function errnoText(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === "string" && TEXT[code]) return TEXT[code];
  return e instanceof Error ? e.message : String(e);
}

/** The errno name of a node error, or undefined. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
