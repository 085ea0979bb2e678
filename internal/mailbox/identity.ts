/**
 * identity — whose rights a delivery uses: Postfix's set_eugid(), for a delivery agent that serves many
 * deliveries at once in one process.
 *
 * A privileged agent (started as root) rests with the file-system rights of mail_owner, so that what it creates
 * at rest (queue files of forwarded mail, its socket) belongs to the mail system, and takes another identity only
 * for the synchronous file-system steps of one delivery: `runAs({uid, gid}, fn)` sets the file-system uid and
 * gid (setfsuid(2), setfsgid(2)) and the supplementary groups (just the gid, as Postfix does) of the calling
 * thread, runs `fn`, and switches back.
 *
 * Problem: the effective uid belongs to the whole process; glibc's seteuid() stops every thread to change it
 * (a few hundred microseconds in a Bun process), and several deliveries run concurrently on one event loop.
 * Solution: only the file-system identity of the JavaScript thread is changed, with plain system calls that
 * affect that thread alone (setfsuid, setfsgid, and setgroups without glibc's broadcast). All of postkit's
 * synchronous file operations run on that thread, and `fn` must be synchronous: no other JavaScript runs until
 * it returns, so no other delivery ever sees a foreign identity. A promise returned by `fn` is a programming
 * error and throws. Waiting (for a lock, for a command) always happens at rest. The effective uid stays 0, which
 * lets commands be started with any uid (pipe_command.ts); the kernel drops the file-system capabilities
 * (CAP_DAC_OVERRIDE, CAP_CHOWN …) whenever the file-system uid is not 0, so at rest and during a delivery file
 * access is checked exactly as for the user in question.
 *
 * An unprivileged agent (an instance run by an ordinary user) cannot switch: `runAs` just calls `fn`, and every
 * delivery uses the instance owner's rights. Callers treat the instance owner as the owner of every mailbox then.
 *
 * Contract: a switch that does not take effect throws (a broken installation; checked at the first switch, since
 * what decides it, the agent's capabilities, does not change); nothing here logs. Linux only
 * (x86_64 and arm64 system call numbers). Corresponds to Postfix's src/util/set_eugid.c.
 */
import { dlopen, FFIType, ptr } from "../sys/ffi.ts";

/** A uid and gid to act as. */
export interface Identity {
  uid: number;
  gid: number;
}

let privileged = false;
let rest: Identity = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
let current: Identity = rest;

const SYS_SETGROUPS: Record<string, number> = { x64: 116, arm64: 159 };

let libc: ReturnType<typeof openLibc> | undefined;
function openLibc() {
  return dlopen("libc.so.6", {
    setfsuid: { args: [FFIType.u32], returns: FFIType.i32 },
    setfsgid: { args: [FFIType.u32], returns: FFIType.i32 },
    syscall: { args: [FFIType.i64, FFIType.i64, FFIType.ptr], returns: FFIType.i64 },
  }).symbols;
}

const groups = new Uint32Array(1);
/** Whether a switch has been seen to take effect (the kernel's verdict does not change: it rests on capabilities). */
let verified = false;

/**
 * Sets the calling thread's file-system ids and groups; throws when the kernel refuses. setfsuid/setfsgid report
 * failure only by not changing anything, so the first switch asks afterwards with an impossible id (-1); later
 * ones need not (capabilities are not dropped while an agent runs), which saves a delivery four system calls.
 */
function setFsIds(id: Identity): void {
  libc ??= openLibc();
  groups[0] = id.gid;
  const nr = SYS_SETGROUPS[process.arch];
  if (nr === undefined) throw new Error(`identity: unsupported architecture ${process.arch}`);
  if (Number(libc.syscall(nr, 1, ptr(groups))) !== 0) throw new Error(`setgroups ${id.gid}: not permitted`);
  libc.setfsgid(id.gid);
  libc.setfsuid(id.uid);
  if (!verified) {
    if (libc.setfsuid(0xffffffff) !== id.uid || libc.setfsgid(0xffffffff) !== id.gid) {
      throw new Error(`setfsuid ${id.uid}/setfsgid ${id.gid}: not permitted`);
    }
    verified = true;
  }
  current = id;
}

/**
 * Decides whether switching is possible (real and effective uid 0) and, if so, takes `restAs` (mail_owner) as
 * the identity to rest with. Call once at agent start-up, before anything is created. Returns whether the agent
 * is privileged.
 */
export function initIdentity(restAs?: Identity): boolean {
  privileged = process.getuid?.() === 0 && process.geteuid?.() === 0;
  if (!privileged) {
    rest = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
    current = rest;
    return false;
  }
  rest = restAs ? { ...restAs } : { uid: 0, gid: 0 };
  setFsIds(rest);
  return true;
}

/** True when the agent can deliver with other users' rights. */
export function isPrivileged(): boolean {
  return privileged;
}

/** The identity the agent rests with: mail_owner when privileged, else the instance owner. */
export function restIdentity(): Identity {
  return { ...rest };
}

/** Runs the synchronous `fn` with the rights of `id` (see the module header); without privileges just runs it. */
export function runAs<T>(id: Identity | undefined, fn: () => T): T {
  if (!privileged || id === undefined || (id.uid === current.uid && id.gid === current.gid)) return checkSync(fn());
  const saved = current;
  setFsIds(id);
  try {
    return checkSync(fn());
  } finally {
    setFsIds(saved);
  }
}

/** Runs the synchronous `fn` with root's file-system rights (to start a command under another uid, to chown). */
export function runAsRoot<T>(fn: () => T): T {
  return runAs({ uid: 0, gid: 0 }, fn);
}

function checkSync<T>(v: T): T {
  if (v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function") {
    throw new Error("runAs: the function must be synchronous");
  }
  return v;
}
