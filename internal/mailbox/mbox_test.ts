/**
 * mbox_test — appending to a mailbox the way local(8) does: locks that real tools hold make the delivery wait
 * and then succeed or fail with Postfix's text, a failed append leaves the file as it was, and the checks a
 * caller asks for refuse the file.
 */
import { test, expect, describe, beforeEach, afterEach } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { appendToMbox, type MboxAppend } from "./mbox.ts";
import { MailboxError } from "./mailbox_error.ts";
import type { LockStyle } from "../fsx/lock.ts";

let dir: string;
let mbox: string;
const holders: Bun.Subprocess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "postkit-mbox-"));
  mbox = join(dir, "user");
});

afterEach(() => {
  for (const h of holders.splice(0)) h.kill();
  rmSync(dir, { recursive: true, force: true });
});

const lock = (styles: LockStyle[], attempts = 3, delay = 0.05) => ({ styles, attempts, delay, staleTime: 500 });

function opts(data: string | string[], more: Partial<MboxAppend> = {}): MboxAppend {
  const parts = (Array.isArray(data) ? data : [data]).map((s) => Buffer.from(s));
  return { path: mbox, data: () => parts, lock: lock(["fcntl", "dotlock"]), defDsn: "5.2.0", ...more };
}

async function failure(p: Promise<unknown>): Promise<MailboxError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MailboxError) return e;
    throw e;
  }
  throw new Error("expected a MailboxError");
}

/** Starts a process that prints "locked" once it holds its lock; resolves then. */
async function hold(cmd: string[]): Promise<Bun.Subprocess> {
  const p = Bun.spawn({ cmd, stdout: "pipe", stderr: "inherit" });
  holders.push(p);
  const reader = p.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  expect(new TextDecoder().decode(value)).toContain("locked");
  return p;
}

const holdFlock = (file: string, seconds: number) => hold(["sh", "-c", `exec 9>>"$0" && flock -x 9 && echo locked && exec sleep ${seconds}`, file]);
const LOCKF_PY = `
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
`;
const holdLockf = (file: string, seconds: number) => hold(["python3", "-c", LOCKF_PY, file, String(seconds)]);
const holdDotlock = (file: string, seconds: number) =>
  hold(["sh", "-c", `dotlockfile -p -r 0 "$0.lock" && echo locked && sleep ${seconds}; dotlockfile -u "$0.lock"`, file]);

describe("appendToMbox()", () => {
  test("creates the mailbox (0600), appends, and reports the old size", async () => {
    const r1 = await appendToMbox(opts("From a  x\n\nbody\n\n"));
    expect(r1).toEqual({ offset: 0, written: 17 });
    expect(statSync(mbox).mode & 0o777).toBe(0o600);
    const r2 = await appendToMbox(opts(["From b  y\n", "\n", "two\n\n"]));
    expect(r2.offset).toBe(17);
    expect(readFileSync(mbox, "utf8")).toBe("From a  x\n\nbody\n\nFrom b  y\n\ntwo\n\n");
    expect(existsSync(`${mbox}.lock`)).toBe(false);
  });

  describe("while another program holds the mailbox, delivery waits and then succeeds", () => {
    test.each([
      ["flock(1)", ["flock"] as LockStyle[], holdFlock],
      ["python fcntl.lockf", ["fcntl"] as LockStyle[], holdLockf],
      ["dotlockfile", ["dotlock"] as LockStyle[], holdDotlock],
    ] as const)("%s", async (_label, styles, holder) => {
      writeFileSync(mbox, "old\n");
      await holder(mbox, 0.4);
      const t0 = Date.now();
      await appendToMbox(opts("new\n", { lock: lock(styles, 20, 0.1) }));
      expect(Date.now() - t0).toBeGreaterThan(250);
      expect(readFileSync(mbox, "utf8")).toBe("old\nnew\n");
    }, 10000);
  });

  describe("or gives up with Postfix's reason and a try-again status", () => {
    test.each([
      ["flock(1)", ["flock"] as LockStyle[], holdFlock, "unable to lock for exclusive access: Resource temporarily unavailable"],
      ["python fcntl.lockf", ["fcntl"] as LockStyle[], holdLockf, "unable to lock for exclusive access: Resource temporarily unavailable"],
      ["dotlockfile", ["dotlock"] as LockStyle[], holdDotlock, "unable to create lock file MBOX.lock: File exists"],
    ] as const)("%s", async (_label, styles, holder, reason) => {
      writeFileSync(mbox, "old\n");
      await holder(mbox, 5);
      const e = await failure(appendToMbox(opts("new\n", { lock: lock(styles, 2, 0.05) })));
      expect(e.dsn).toBe("4.2.0");
      expect(e.message).toBe(reason.replace("MBOX", mbox));
      expect(readFileSync(mbox, "utf8")).toBe("old\n");
    }, 10000);
  });

  test("a write beyond the size limit fails with EFBIG (5.2.2) and leaves the mailbox as it was", async () => {
    writeFileSync(mbox, "0123456789");
    const e = await failure(appendToMbox(opts(["abcde", "fghij", "klmno"], { sizeLimit: 20 })));
    expect([e.dsn, e.message]).toEqual(["5.2.2", "error writing message: File too large"]);
    expect(readFileSync(mbox, "utf8")).toBe("0123456789");
    expect(existsSync(`${mbox}.lock`)).toBe(false);
  });

  test("a queue file that cannot be read mid-way defers and undoes the partial append", async () => {
    writeFileSync(mbox, "keep\n");
    function* broken(): Generator<Uint8Array> {
      yield Buffer.from("partial\n");
      throw new Error("corrupt queue file");
    }
    const e = await failure(appendToMbox({ ...opts(""), data: broken }));
    expect([e.dsn, e.message]).toEqual(["4.3.0", "error reading message: corrupt queue file"]);
    expect(readFileSync(mbox, "utf8")).toBe("keep\n");
  });

  test("inspect() can refuse the file; nothing is written and the locks are gone", async () => {
    writeFileSync(mbox, "");
    const e = await failure(
      appendToMbox(opts("x", { inspect: () => { throw new MailboxError("4.2.0", "destination is not owned by recipient"); } })),
    );
    expect(e.message).toBe("destination is not owned by recipient");
    expect(readFileSync(mbox, "utf8")).toBe("");
    expect(existsSync(`${mbox}.lock`)).toBe(false);
  });

  test("open failures carry mbox_dsn() of the error, the default status otherwise", async () => {
    const e = await failure(appendToMbox(opts("x", { path: join(dir, "no", "such", "box") })));
    expect(e.dsn).toBe("5.2.0");
    expect(e.message).toMatch(/^unable to create lock file .*box\.lock: No such file or directory$/);
    const v = await failure(appendToMbox(opts("x", { path: join(dir, "no", "box"), defDsn: "4.2.0", lock: lock(["fcntl"]) })));
    expect([v.dsn, v.message]).toEqual(["4.2.0", "cannot create file exclusively: No such file or directory"]);
  });

  test("/dev/null: no dot lock, no kernel lock, no truncation", async () => {
    const r = await appendToMbox(opts("x\n", { path: "/dev/null" }));
    expect(r.offset).toBe(0);
    expect(existsSync("/dev/null.lock")).toBe(false);
  });
});

test("appendToMbox(): concurrent deliveries to one mailbox in one process take turns without waiting for the lock delay", async () => {
  const dir2 = mkdtempSync(join(tmpdir(), "postkit-mbox-"));
  try {
    const path = join(dir2, "box");
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        appendToMbox({ path, data: () => [Buffer.from(`m${i}\n`)], lock: { styles: ["fcntl", "dotlock"], attempts: 20, delay: 1, staleTime: 500 }, defDsn: "5.2.0" }),
      ),
    );
    expect(Date.now() - t0).toBeLessThan(500);
    expect(readFileSync(path, "utf8").split("\n").filter(Boolean).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
  } finally {
    rmSync(dir2, { recursive: true, force: true });
  }
});
