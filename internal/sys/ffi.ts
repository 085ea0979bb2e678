/**
 * ffi — the Bun runtime's native FFI, reached without importing the bun:ffi module.
 *
 * Problem: `import … from "bun:ffi"` compiles that module's JavaScript at its first import in a process, and its
 * dlopen() compiles one JavaScript wrapper per symbol from source: about 0.17 ms of every one-shot tool's
 * start-up (Postfix's postlog runs in 3.2 ms), spent on argument conversions postkit never needs.
 * Solution: Bun.FFI, the native object that bun:ffi is built on. Its dlopen() gives the same trampolines without
 * the wrappers, and its read, CString, toArrayBuffer are the very objects bun:ffi exports. A runtime without it
 * gets bun:ffi itself, loaded synchronously on first use (same behaviour, slower start).
 *
 * Contract: the exports have bun:ffi's names and types. Symbols are declared with the codes of FFIType below
 * (bun:ffi's values; ffi_test.ts compares them). Arguments reach the trampolines unconverted: 32-bit integers as
 * numbers, 64-bit ones as numbers or bigints, pointers as numbers from ptr() or as typed arrays; 64-bit results
 * are bigints (numbers for the `_fast` types); a `cstring` result is a string, as through bun:ffi.
 */
import type * as BunFFI from "bun:ffi";

type Ffi = typeof BunFFI;
type Native = Pick<Ffi, "dlopen" | "ptr" | "read" | "CString" | "toArrayBuffer">;

const impl: Native = (Bun as unknown as { FFI?: Native }).FFI ?? (require("bun:ffi") as Ffi);

/** dlopen(3) of a library with the symbols described; see bun:ffi. */
export const dlopen: Ffi["dlopen"] = impl.dlopen;
/** The address of a typed array's bytes (plus `byteOffset`). */
export const ptr: Ffi["ptr"] = impl.ptr;
/** Reads a value of a given type at an address. */
export const read: Ffi["read"] = impl.read;
/** The NUL-terminated string at an address. */
export const CString: Ffi["CString"] = impl.CString;
/** An ArrayBuffer over memory at an address. */
export const toArrayBuffer: Ffi["toArrayBuffer"] = impl.toArrayBuffer;

type UsedTypes = "i32" | "u32" | "i64" | "u64" | "ptr" | "void" | "cstring" | "i64_fast" | "u64_fast";

/** The type codes postkit declares symbols with (bun:ffi's FFIType values). */
export const FFIType = {
  i32: 5,
  u32: 6,
  i64: 7,
  u64: 8,
  ptr: 12,
  void: 13,
  cstring: 14,
  i64_fast: 15,
  u64_fast: 16,
} as unknown as Pick<Ffi["FFIType"], UsedTypes>;
