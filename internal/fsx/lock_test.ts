/**
 * lock_test — mailbox locks against the real tools that share them: flock(1), python's fcntl.lockf (a classic POSIX
 * record lock, as Postfix and mutt take), and dotlockfile(1) from liblockfile. Holders are real processes; delays
 * are fractions of a second so the file stays fast.
 */
import { test, expect, describe, beforeEach, afterEach } from "bun:test";
import { chmodSync, closeSync, existsSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync, constants } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import {
  LockError, dotLockFile, dotUnlockFile, formatPidFile, isPidFileLocked, lockDescriptor, lockPidFile, openLockedFile,
  parseLockStyles, readPidFile, tryLockDescriptor, unlockDescriptor, type LockRetry, type LockStyle,
} from "./lock.ts";

const FAST: LockRetry = { attempts: 3, delay: 0.05, staleTime: 500 };
const ALL: LockStyle[] = ["flock", "fcntl", "dotlock"];

let dir: string;
let mbox: string;
const holders: Bun.Subprocess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "postkit-lock-"));
  mbox = join(dir, "mbox");
  writeFileSync(mbox, "");
});

afterEach(() => {
  for (const h of holders.splice(0)) h.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** Exit status of a command run to completion. */
function status(cmd: string[]): number {
  return Bun.spawnSync({ cmd, stdout: "ignore", stderr: "ignore" }).exitCode ?? -1;
}

/** Starts a process that prints one line once it holds its lock, and waits for that line. */
async function hold(cmd: string[]): Promise<Bun.Subprocess> {
  const p = Bun.spawn({ cmd, stdout: "pipe", stderr: "inherit" });
  holders.push(p);
  const reader = p.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  expect(new TextDecoder().decode(value)).toContain("locked");
  return p;
}

/** flock(1) holding `file` for `seconds`, in one process (killing it frees the lock; no child keeps it). */
const holdFlock = (file: string, seconds: number) =>
  hold(["sh", "-c", `exec 9>>"$0" && flock -x 9 && echo locked && exec sleep ${seconds}`, file]);

const LOCKF_PY = `
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
`;
/** python's fcntl.lockf (POSIX F_SETLKW) holding `file` for `seconds`. */
const holdLockf = (file: string, seconds: number) => hold(["python3", "-c", LOCKF_PY, file, String(seconds)]);

const TRY_LOCKF_PY = `
import fcntl, sys
f = open(sys.argv[1], "a")
try:
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError:
    sys.exit(1)
`;
/** 0 when python's lockf(LOCK_EX|LOCK_NB) gets the lock, 1 when it is held. */
const tryLockf = (file: string) => status(["python3", "-c", TRY_LOCKF_PY, file]);

/** The error a promise rejects with. */
async function rejection(p: Promise<unknown>): Promise<LockError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LockError) return e;
    throw e;
  }
  throw new Error("expected a LockError");
}

describe("parseLockStyles()", () => {
  const cases: [string, string, LockStyle[] | string][] = [
    ["Linux default", "fcntl, dotlock", ["fcntl", "dotlock"]],
    ["any order, result in postconf -l order", "dotlock flock\tfcntl", ["flock", "fcntl", "dotlock"]],
    ["empty items and duplicates", ",flock,,flock ,", ["flock"]],
    ["empty value takes no lock", "", []],
    ["unknown name", "flock,,bogus", 'unknown mailbox_delivery_lock value "bogus" in "flock,,bogus"'],
    ["names are case-sensitive", "FLOCK", 'unknown mailbox_delivery_lock value "FLOCK" in "FLOCK"'],
  ];
  for (const [label, value, want] of cases) {
    test(label, () => {
      if (typeof want === "string") {
        expect(() => parseLockStyles(value)).toThrow(want);
      } else {
        expect(parseLockStyles(value)).toEqual(want);
      }
    });
  }
});

describe("openLockedFile()", () => {
  test("takes dotlock, flock and fcntl in Postfix's order; other tools see all three until release()", async () => {
    const locked = await openLockedFile(mbox, { ...FAST, styles: ["fcntl", "flock", "dotlock"] });
    expect(locked.held).toEqual(["dotlock", "flock", "fcntl"]);
    expect(readFileSync(`${mbox}.lock`, "utf8")).toBe(`${process.pid}\n`);
    expect(status(["flock", "-n", mbox, "true"])).toBe(1);
    expect(tryLockf(mbox)).toBe(1);
    expect(status(["dotlockfile", "-l", "-r", "0", `${mbox}.lock`])).toBe(4); // L_EXIST: our pid is alive
    locked.release();
    locked.release(); // idempotent
    expect(existsSync(`${mbox}.lock`)).toBe(false);
    expect(status(["flock", "-n", mbox, "true"])).toBe(0);
    expect(tryLockf(mbox)).toBe(0);
  });

  test("an fcntl lock survives closing another descriptor of the same file (OFD, not classic POSIX)", async () => {
    const locked = await openLockedFile(mbox, { ...FAST, styles: ["fcntl"] });
    closeSync(openSync(mbox, "r"));
    readFileSync(mbox);
    expect(tryLockf(mbox)).toBe(1);
    locked.release();
  });

  test("creates a missing file with the given mode, appending", async () => {
    const path = join(dir, "new");
    const locked = await openLockedFile(path, { ...FAST, styles: ALL, mode: 0o600 });
    expect(locked.stat.mode & 0o777).toBe(0o600);
    expect(locked.stat.isFile()).toBe(true);
    locked.release();
    expect(existsSync(path)).toBe(true);
  });

  test("without O_CREAT a missing file is an error and leaves no dot lock behind", async () => {
    const path = join(dir, "missing");
    const e = await rejection(openLockedFile(path, { ...FAST, styles: ALL, flags: constants.O_WRONLY | constants.O_APPEND }));
    expect([e.message, e.code, e.errno]).toEqual(["cannot open file: No such file or directory", "error", "ENOENT"]);
    expect(existsSync(path) || existsSync(`${path}.lock`)).toBe(false);
  });

  test("a held fcntl lock fails busy after the attempts and releases the dot lock and flock already taken", async () => {
    await holdLockf(mbox, 5);
    const t0 = performance.now();
    const e = await rejection(openLockedFile(mbox, { ...FAST, styles: ALL }));
    expect(performance.now() - t0).toBeGreaterThan(70); // two waits of 37..63 ms
    expect(e.message).toBe("unable to lock for exclusive access: Resource temporarily unavailable");
    expect([e.code, e.errno, e.temporary]).toEqual(["busy", "EAGAIN", true]);
    expect(existsSync(`${mbox}.lock`)).toBe(false);
    expect(status(["flock", "-n", mbox, "true"])).toBe(0);
  });

  test("waits while flock(1) holds the file, then succeeds once it lets go; the event loop keeps running", async () => {
    await holdFlock(mbox, 0.3);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const t0 = performance.now();
    const locked = await openLockedFile(mbox, { attempts: 40, delay: 0.05, staleTime: 500, styles: ["flock"] });
    clearInterval(timer);
    expect(performance.now() - t0).toBeGreaterThan(150);
    expect(ticks).toBeGreaterThan(3);
    expect(locked.held).toEqual(["flock"]);
    locked.release();
  });

  test("waits while lockf holds the file, then succeeds", async () => {
    await holdLockf(mbox, 0.3);
    const locked = await openLockedFile(mbox, { attempts: 40, delay: 0.05, staleTime: 500, styles: ["fcntl"] });
    expect(locked.held).toEqual(["fcntl"]);
    locked.release();
  });

  test("waits while dotlockfile holds the dot lock, then succeeds when it is removed", async () => {
    expect(status(["dotlockfile", "-l", "-r", "0", `${mbox}.lock`])).toBe(0);
    setTimeout(() => status(["dotlockfile", "-u", `${mbox}.lock`]), 200);
    const locked = await openLockedFile(mbox, { attempts: 40, delay: 0.05, staleTime: 500, styles: ["dotlock"] });
    expect(readFileSync(`${mbox}.lock`, "utf8")).toBe(`${process.pid}\n`);
    locked.release();
    expect(existsSync(`${mbox}.lock`)).toBe(false);
  });

  test("a file with two hard links is refused", async () => {
    linkSync(mbox, join(dir, "other"));
    const e = await rejection(openLockedFile(mbox, { ...FAST, styles: ALL }));
    expect([e.message, e.code, e.errno, e.temporary]).toEqual(["file has 2 hard links", "error", "EPERM", false]);
    expect(existsSync(`${mbox}.lock`)).toBe(false);
  });

  test("a symlink is followed only when root owns it and its directory, which nobody else may write", async () => {
    const shared = join(dir, "shared");
    mkdirSync(shared, { mode: 0o777 });
    chmodSync(shared, 0o777);
    symlinkSync(mbox, join(shared, "link"));
    const e = await rejection(openLockedFile(join(shared, "link"), { ...FAST, styles: ["fcntl"] }));
    expect([e.message, e.errno]).toEqual(["file is a symbolic link", "EPERM"]);

    symlinkSync(mbox, join(dir, "link")); // dir: mode 0700, owned by us
    const open = openLockedFile(join(dir, "link"), { ...FAST, styles: ["fcntl"] });
    if (process.getuid?.() === 0) (await open).release();
    else expect((await rejection(open)).message).toBe("file is a symbolic link");
  });

  test("a directory is refused without a dot lock (only regular or missing files get one)", async () => {
    const e = await rejection(openLockedFile(dir, { ...FAST, styles: ALL }));
    expect(e.message).toBe("cannot open file: Is a directory");
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  test("a FIFO without reader fails at once instead of hanging, and gets no dot lock", async () => {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const e = await rejection(openLockedFile(fifo, { ...FAST, styles: ALL }));
    expect(e.message).toBe("cannot open file: No such device or address");
    expect(existsSync(`${fifo}.lock`)).toBe(false);
  });

  test("/dev/null opens without any lock", async () => {
    const locked = await openLockedFile("/dev/null", { ...FAST, styles: ALL });
    expect(locked.held).toEqual([]);
    locked.release();
    expect(existsSync("/dev/null.lock")).toBe(false);
  });

  test("a dot lock that cannot be created fails, or only warns with dotlockMayFail", async () => {
    const long = join(dir, "m".repeat(252)); // the file name fits in 255 bytes, the .lock name does not
    writeFileSync(long, "");
    const e = await rejection(openLockedFile(long, { ...FAST, styles: ALL }));
    expect(e.message).toBe(`unable to create lock file ${long}.lock: File name too long`);
    expect([e.code, e.errno, e.temporary]).toEqual(["error", "ENAMETOOLONG", false]);
    expect(status(["flock", "-n", long, "true"])).toBe(0);

    const warnings: string[] = [];
    const locked = await openLockedFile(long, { ...FAST, styles: ALL, dotlockMayFail: true, onWarning: (t) => warnings.push(t) });
    expect(locked.held).toEqual(["flock", "fcntl"]);
    expect(warnings).toEqual([e.message]);
    locked.release();
  });
});

describe("dotLockFile()", () => {
  test("fails busy with Postfix's text when the lock stays held", async () => {
    writeFileSync(`${mbox}.lock`, "1\n");
    const e = await rejection(dotLockFile(mbox, FAST));
    expect(e.message).toBe(`unable to create lock file ${mbox}.lock: File exists`);
    expect([e.code, e.errno, e.temporary]).toEqual(["busy", "EEXIST", true]);
  });

  test("honours a lock whose pid is dead until it is older than stale_lock_time, as Postfix does", async () => {
    const dead = Bun.spawnSync({ cmd: ["true"] }).pid; // exited and reaped
    writeFileSync(`${mbox}.lock`, `${dead}\n`);
    const e = await rejection(dotLockFile(mbox, { attempts: 2, delay: 0.02, staleTime: 60 }));
    expect(e.code).toBe("busy");
    expect(readFileSync(`${mbox}.lock`, "utf8")).toBe(`${dead}\n`);
  });

  test("removes a stale lock (ctime older than stale_lock_time) and takes it", async () => {
    writeFileSync(`${mbox}.lock`, "");
    utimesSync(`${mbox}.lock`, 0, 0); // mtime says 1970, but Postfix judges by ctime, which this just set
    await Bun.sleep(150);
    const t0 = performance.now();
    await dotLockFile(mbox, { attempts: 3, delay: 0.02, staleTime: 0.1 });
    expect(performance.now() - t0).toBeLessThan(500);
    expect(readFileSync(`${mbox}.lock`, "utf8")).toBe(`${process.pid}\n`);
    dotUnlockFile(mbox);
    expect(existsSync(`${mbox}.lock`)).toBe(false);
  });

  test("gives up at once on an error other than 'file exists'", async () => {
    const path = join(dir, "nodir", "mbox");
    const t0 = performance.now();
    const e = await rejection(dotLockFile(path, { attempts: 20, delay: 1, staleTime: 500 }));
    expect(performance.now() - t0).toBeLessThan(500);
    expect(e.message).toBe(`unable to create lock file ${path}.lock: No such file or directory`);
    expect([e.code, e.errno, e.temporary]).toEqual(["error", "ENOENT", false]);
  });

  test("a single attempt never checks staleness (Postfix breaks out before)", async () => {
    writeFileSync(`${mbox}.lock`, "");
    await Bun.sleep(20);
    const e = await rejection(dotLockFile(mbox, { attempts: 1, delay: 1, staleTime: 0.001 }));
    expect(e.code).toBe("busy");
  });
});

describe("lockDescriptor() and tryLockDescriptor()", () => {
  test("tryLockDescriptor() reports a lock held by flock(1) without waiting, then gets it after release", async () => {
    const holder = await holdFlock(mbox, 10);
    const fd = openSync(mbox, "r");
    try {
      expect(tryLockDescriptor(fd, "flock")).toBe(false);
      holder.kill();
      await holder.exited;
      expect(tryLockDescriptor(fd, "flock")).toBe(true);
      expect(status(["flock", "-n", mbox, "true"])).toBe(1);
      unlockDescriptor(fd, "flock");
      expect(status(["flock", "-n", mbox, "true"])).toBe(0);
    } finally {
      closeSync(fd);
    }
  });

  test("flock and fcntl locks are independent on Linux", async () => {
    await holdFlock(mbox, 5);
    const fd = openSync(mbox, "a");
    try {
      await lockDescriptor(fd, "fcntl", FAST);
      const e = await rejection(lockDescriptor(fd, "flock", { attempts: 1, delay: 0, staleTime: 0 }));
      expect(e.code).toBe("busy");
    } finally {
      closeSync(fd);
    }
  });

  test("an fcntl lock on a read-only descriptor is an error, not busy", async () => {
    const fd = openSync(mbox, "r");
    try {
      const e = await rejection(lockDescriptor(fd, "fcntl", { attempts: 2, delay: 0.01, staleTime: 0 }));
      expect(e.message).toBe("unable to lock for exclusive access: Bad file descriptor");
      expect([e.code, e.errno]).toEqual(["error", "EBADF"]);
    } finally {
      closeSync(fd);
    }
  });
});

describe("pid files", () => {
  test("lockPidFile() writes the pid right-aligned in 32 columns and holds an flock", () => {
    const path = join(dir, "master.pid");
    expect(isPidFileLocked(path)).toBe(false); // missing: not running
    const pf = lockPidFile(path, 4242);
    const text = readFileSync(path, "utf8");
    expect(text).toBe(`${" ".repeat(28)}4242\n`);
    expect(text.length).toBe(33);
    expect(readPidFile(text)).toBe(4242);
    expect(status(["flock", "-n", path, "true"])).toBe(1);
    expect(isPidFileLocked(path)).toBe(true);
    expect(() => lockPidFile(path)).toThrow("unable to set exclusive lock: Resource temporarily unavailable");
    pf.release();
    expect(isPidFileLocked(path)).toBe(false);
    expect(existsSync(path)).toBe(true);
  });

  test("lockPidFile() rewrites a longer old file completely", () => {
    const path = join(dir, "master.pid");
    writeFileSync(path, "x".repeat(100));
    lockPidFile(path, 7).release();
    expect(readFileSync(path, "utf8")).toBe(formatPidFile(7));
  });

  test("lockPidFile() fails busy while flock(1) holds the file", async () => {
    const path = join(dir, "master.pid");
    writeFileSync(path, "");
    await holdFlock(path, 5);
    let err: unknown;
    try {
      lockPidFile(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockError);
    expect([(err as LockError).code, (err as LockError).temporary]).toEqual(["busy", true]);
  });

  test("lockPidFile() reports a missing directory with safe_open's text", () => {
    expect(() => lockPidFile(join(dir, "nopid", "master.pid"))).toThrow("cannot create file exclusively: No such file or directory");
  });

  test("readPidFile() accepts only a number", () => {
    expect(readPidFile(formatPidFile(123))).toBe(123);
    expect(readPidFile("")).toBeUndefined();
    expect(readPidFile("12x\n")).toBeUndefined();
  });
});
