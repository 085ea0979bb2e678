/**
 * posix_path — join(), dirname() and basename() of POSIX paths, with node:path's results.
 *
 * Problem: importing node:path costs ~0.15 ms (and its argument validators more) at the start of a compiled
 * postkit, and the queue-file path of every submission needs only these three functions. Solution: the same
 * functions for POSIX paths, written out. posix_path_test.ts compares them with node:path on a table of cases
 * (empty parts, `.` and `..`, repeated and trailing slashes, the root).
 *
 * Contract: pure; never throws; results equal path.posix.join/dirname/basename (basename without a suffix).
 */

/** path.posix.normalize(). */
export function normalizePath(p: string): string {
  if (p === "") return ".";
  const absolute = p.charCodeAt(0) === 47; // "/"
  const trailing = p.charCodeAt(p.length - 1) === 47;
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(part);
  }
  let s = out.join("/");
  if (absolute) return s === "" ? "/" : trailing ? `/${s}/` : `/${s}`;
  if (s === "") s = ".";
  return trailing ? `${s}/` : s;
}

/** path.posix.join(): the non-empty parts joined with `/`, normalised; `.` when all are empty. */
export function joinPath(...parts: string[]): string {
  let joined = "";
  for (const p of parts) if (p !== "") joined = joined === "" ? p : `${joined}/${p}`;
  return joined === "" ? "." : normalizePath(joined);
}

/** path.posix.dirname(): everything before the last name (trailing slashes ignored; slashes before it kept). */
export function dirnamePath(p: string): string {
  if (p === "") return ".";
  const absolute = p.charCodeAt(0) === 47;
  let end = -1;
  let inName = false;
  for (let i = p.length - 1; i >= 1; i--) {
    if (p.charCodeAt(i) === 47) {
      if (inName) {
        end = i;
        break;
      }
    } else inName = true;
  }
  if (end === -1) return absolute ? "/" : ".";
  if (absolute && end === 1) return "//";
  return p.slice(0, end);
}

/** path.posix.basename() without a suffix. */
export function basenamePath(p: string): string {
  let end = p.length;
  while (end > 0 && p.charCodeAt(end - 1) === 47) end--;
  if (end === 0) return "";
  return p.slice(p.lastIndexOf("/", end - 1) + 1, end);
}
