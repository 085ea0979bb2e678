/**
 * _fs — open(2) flags that node:fs constants lack, for internal/queue.
 *
 * O_CLOEXEC (Linux value): queue file descriptors must never leak into commands that delivery agents run.
 */

/** O_CLOEXEC on Linux (missing from node:fs constants in Bun). */
export const O_CLOEXEC = 0o2000000;
