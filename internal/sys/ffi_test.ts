import { expect, test } from "bun:test";
import * as BunFFI from "bun:ffi";
import { CString, dlopen, FFIType, ptr, read, toArrayBuffer } from "./ffi.ts";

test("FFIType codes are bun:ffi's", () => {
  for (const [name, code] of Object.entries(FFIType)) expect([name, code]).toEqual([name, BunFFI.FFIType[name as keyof typeof BunFFI.FFIType]]);
});

test("the native FFI is used, and it calls libc as bun:ffi would", () => {
  expect((Bun as unknown as { FFI?: { dlopen: unknown } }).FFI?.dlopen).toBe(dlopen);
  expect([read, CString, toArrayBuffer]).toEqual([BunFFI.read, BunFFI.CString, BunFFI.toArrayBuffer]);
  const l = dlopen("libc.so.6", {
    strlen: { args: [FFIType.ptr], returns: FFIType.u64 },
    getpid: { args: [], returns: FFIType.i32 },
    open: { args: [FFIType.cstring, FFIType.i32, FFIType.u32], returns: FFIType.i32 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
    strerror: { args: [FFIType.i32], returns: FFIType.cstring },
  }).symbols;
  const text = new TextEncoder().encode("hello\0");
  expect(l.strlen(ptr(text))).toBe(5n);
  expect(l.strlen(text)).toBe(5n); // a typed array is a pointer too
  expect(l.getpid()).toBe(process.pid);
  expect(new CString(ptr(text)).toString()).toBe("hello");
  expect(l.open(new TextEncoder().encode("/nonexistent/postkit\0"), 0, 0)).toBe(-1);
  expect(read.i32(l.__errno_location()!, 0)).toBe(2); // ENOENT
  expect(String(l.strerror(2))).toBe("No such file or directory");
  const fd = l.open(new TextEncoder().encode("/dev/null\0"), 0, 0);
  expect(fd).toBeGreaterThanOrEqual(0);
  expect(l.close(fd)).toBe(0);
});
