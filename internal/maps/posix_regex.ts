/**
 * posix_regex — POSIX extended regular expressions through the C library's regcomp(3)/regexec(3).
 *
 * Problem: Postfix's `regexp:` tables are POSIX regular expressions, compiled by the C library in the C locale.
 * Their semantics differ from JavaScript's in ways a translation cannot hide: leftmost-longest matching decides
 * what `$1` captures, a backslash inside a bracket expression is an ordinary character, `[[:alpha:]]`,
 * `[[=a=]]` and `[[.-.]]` exist, and without REG_NEWLINE `.` and `$` treat a newline like any other byte.
 * Solution: use the same engine Postfix uses. glibc's regcomp is reached through Bun's FFI (sys/ffi.ts); Bun never
 * calls setlocale(), so the engine runs in the C locale and compares bytes, exactly as Postfix's does. Error texts
 * come from regerror(), so warnings read as Postfix's (`Unmatched ( or \(`).
 *
 * Contract: compile() returns a PosixRegex or an error text; exec() takes NUL-terminated bytes and returns
 * true/false, or the regerror() text of an execution error. Offsets of matched groups are byte offsets.
 */
import { dlopen, FFIType, ptr, CString } from "../sys/ffi.ts";

let lib: ReturnType<typeof openLib> | undefined;

function openLib() {
  return dlopen("libc.so.6", {
    regcomp: { args: [FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    regexec: { args: [FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    regerror: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.u64 },
    regfree: { args: [FFIType.ptr], returns: FFIType.void },
  }).symbols;
}

export const REG_EXTENDED = 1;
export const REG_ICASE = 2;
export const REG_NEWLINE = 4;
export const REG_NOSUB = 8;
const REG_NOMATCH = 1;
/** sizeof(regex_t) on glibc x86-64 and aarch64 is 64; leave room. */
const REGEX_T_SIZE = 128;

/** A compiled POSIX regular expression. */
export class PosixRegex {
  /** regmatch_t pairs (start, end) of the last successful exec(). */
  readonly groups: Int32Array;
  private freed = false;

  private constructor(
    private readonly re: Uint8Array,
    /** Number of parenthesised subexpressions (re_nsub). */
    readonly nsub: number,
  ) {
    this.groups = new Int32Array(2 * (nsub + 1));
  }

  /** Compiles `pattern` (bytes, no NUL) with regcomp flags; an error returns regerror()'s text. */
  static compile(pattern: Uint8Array, cflags: number): PosixRegex | { error: string } {
    const l = (lib ??= openLib());
    const re = new Uint8Array(REGEX_T_SIZE);
    const src = new Uint8Array(pattern.length + 1);
    src.set(pattern);
    const rc = l.regcomp(ptr(re), ptr(src), cflags);
    if (rc !== 0) {
      const buf = new Uint8Array(256);
      l.regerror(rc, ptr(re), ptr(buf), 256n);
      return { error: new CString(ptr(buf)).toString() };
    }
    // re_nsub is the size_t that follows the two pointers/sizes of glibc's struct re_pattern_buffer
    const nsub = Number(new DataView(re.buffer).getBigUint64(48, true));
    return new PosixRegex(re, nsub);
  }

  /** Runs the expression on NUL-terminated `subject`; fills `groups` for the first `want` subexpressions. */
  exec(subject: Uint8Array, want: number): boolean | { error: string } {
    const l = lib!;
    const n = Math.min(want, this.nsub) + 1;
    const rc = l.regexec(ptr(this.re), ptr(subject), want > 0 ? BigInt(n) : 0n, want > 0 ? ptr(this.groups) : null, 0);
    if (rc === 0) return true;
    if (rc === REG_NOMATCH) return false;
    const buf = new Uint8Array(256);
    l.regerror(rc, ptr(this.re), ptr(buf), 256n);
    return { error: new CString(ptr(buf)).toString() };
  }

  /** Releases the C library's memory. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    lib?.regfree(ptr(this.re));
  }
}
