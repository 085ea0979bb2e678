/**
 * maildir — delivering one message into a qmail-style maildir (DIR/tmp, DIR/new, DIR/cur), as Postfix's local(8)
 * and virtual(8) do it.
 *
 *   1. create DIR/tmp/TIME.PpidQn.HOST exclusively (mode 0600) with the recipient's rights; when DIR/tmp is missing,
 *      create it (and its parents, mode 0700) and try again
 *   2. write the bytes, fsync (see below)
 *   3. link it as DIR/new/TIME.VdevIinoMusec.HOST (creating DIR/cur and DIR/new when missing), then remove the tmp
 *      name. A link never replaces an existing file, and a reader sees the message in new/ complete or not at all.
 * TIME is the delivery start in seconds, dev and ino (hexadecimal) those of the tmp file, usec the microseconds of
 * the start; `/` and `:` in HOST are written `\057` and `\072`, as the maildir specification asks. The tmp name
 * carries the process id and a per-process counter, because one agent process runs several deliveries at once.
 * `sizeLimit` refuses a file larger than the limit with EFBIG (5.2.2).
 *
 * Problem: the fsync waits for the disk (0.6–2 ms per message in bench/local.sh, while other processes write),
 * and an agent process serves several deliveries on one JavaScript thread; a synchronous fsync would stop them
 * all, where Postfix runs one local(8) process per concurrent delivery.
 * Solution: steps 1–2 up to the write, and step 3, run synchronously inside runAs() switches; the fsync in between
 * runs on Bun's I/O thread pool while the agent rests (an fsync on an open descriptor checks no rights), so other
 * deliveries proceed meanwhile. The order and the durability are the same: nothing is linked into new/ before
 * its fsync has returned.
 *
 * Contract: failures reject with MailboxError with Postfix's text, without the caller's `maildir delivery failed: `
 * prefix: `create maildir file PATH: Permission denied` (mbox_dsn(errno, defDsn)) or `error writing message: …`;
 * the tmp file is removed.
 */
import { closeSync, constants, fstatSync, fsync, linkSync, mkdirSync, openSync, unlinkSync } from "node:fs";
import { errnoCode, errnoText } from "../sys/errno.ts";
import { runAs, type Identity } from "./identity.ts";
import { MailboxError, mboxDsn } from "./mailbox_error.ts";
import { writeAll } from "./mbox.ts";

/** How to deliver into a maildir. */
export interface MaildirDelivery {
  /** The maildir, with or without its trailing slash. */
  dir: string;
  /** The bytes of the file (preamble and message), produced synchronously; called once. */
  data: () => Iterable<Uint8Array>;
  /** Rights for every step (default: the agent's own). */
  as?: Identity;
  /** Host name for the file names (gethostname()). */
  hostname: string;
  /** Status for create failures that mbox_dsn() does not classify ("5.2.0" local, "4.2.0" virtual). */
  defDsn: string;
  /** Largest allowed file in bytes; 0 = no limit. */
  sizeLimit?: number;
  /** Receives warnings (a tmp file that cannot be removed). */
  onWarning?: (text: string) => void;
}

/** Where the message went. */
export interface MaildirResult {
  path: string;
  written: number;
}

let counter = 0;

/** The host name as a maildir file name part. */
export function maildirHostname(host: string): string {
  return host.replace(/\//g, "\\057").replace(/:/g, "\\072");
}

/** Delivers into a maildir; see the module header. */
export async function deliverToMaildir(opts: MaildirDelivery): Promise<MaildirResult> {
  const base = opts.dir.endsWith("/") ? opts.dir : `${opts.dir}/`;
  const nowMs = performance.timeOrigin + performance.now();
  const sec = Math.floor(nowMs / 1000);
  const usec = Math.floor((nowMs * 1000) % 1_000_000);
  const host = maildirHostname(opts.hostname);
  const tmpfile = `${base}tmp/${sec}.P${process.pid}Q${++counter}.${host}`;
  // 1-2: create and write with the recipient's rights
  const { fd, newfile, written } = runAs(opts.as, () => {
    let fd: number;
    try {
      fd = createExclusive(tmpfile, `${base}tmp`);
    } catch (e) {
      const code = errnoCode(e);
      throw new MailboxError(mboxDsn(code, opts.defDsn), `create maildir file ${tmpfile}: ${errnoText(e)}`, code);
    }
    try {
      const st = fstatSync(fd, { bigint: true });
      const newfile = `${base}new/${sec}.V${st.dev.toString(16)}I${st.ino.toString(16)}M${usec}.${host}`;
      return { fd, newfile, written: writeFile(fd, opts) };
    } catch (e) {
      discard(fd, tmpfile, opts);
      throw e;
    }
  });
  // the fsync, at rest and off the JavaScript thread
  let failure: unknown;
  try {
    await fsyncAsync(fd);
  } catch (e) {
    const code = errnoCode(e);
    failure = new MailboxError(mboxDsn(code, "5.3.0"), `error writing message: ${errnoText(e)}`, code);
  }
  // 3: into new/, with the recipient's rights again
  runAs(opts.as, () => {
    try {
      if (failure === undefined) link(tmpfile, newfile, base, opts.defDsn);
    } catch (e) {
      failure = e;
    } finally {
      discard(fd, tmpfile, opts);
    }
  });
  if (failure !== undefined) throw failure;
  return { path: newfile, written };
}

/** link(2) into new/, creating cur/ and new/ when new/ is missing; throws MailboxError. */
function link(tmpfile: string, newfile: string, base: string, defDsn: string): void {
  try {
    linkSync(tmpfile, newfile);
  } catch (e) {
    if (errnoCode(e) !== "ENOENT") throw linkFailure(newfile, e, defDsn);
    try {
      mkdirSync(`${base}cur`, { recursive: true, mode: 0o700 });
      mkdirSync(`${base}new`, { recursive: true, mode: 0o700 });
      linkSync(tmpfile, newfile);
    } catch (e2) {
      throw linkFailure(newfile, e2, defDsn);
    }
  }
}

/** Closes the tmp file and removes its name (the new/ link, if made, keeps the file). */
function discard(fd: number, tmpfile: string, opts: MaildirDelivery): void {
  closeSync(fd);
  try {
    unlinkSync(tmpfile);
  } catch (e) {
    opts.onWarning?.(`remove ${tmpfile}: ${errnoText(e)}`);
  }
}

/** fsync(2) on Bun's I/O thread pool. */
function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}

function linkFailure(newfile: string, e: unknown, defDsn: string): MailboxError {
  const code = errnoCode(e);
  return new MailboxError(mboxDsn(code, defDsn), `create maildir file ${newfile}: ${errnoText(e)}`, code);
}

/** open(O_CREAT|O_EXCL) that creates the directory first when it is missing. */
function createExclusive(path: string, dir: string): number {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  try {
    return openSync(path, flags, 0o600);
  } catch (e) {
    if (errnoCode(e) !== "ENOENT") throw e;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return openSync(path, flags, 0o600);
}

/** Writes the data; throws MailboxError. */
function writeFile(fd: number, opts: MaildirDelivery): number {
  const limit = opts.sizeLimit && opts.sizeLimit > 0 ? opts.sizeLimit : 0;
  let written = 0;
  const it = opts.data()[Symbol.iterator]();
  for (;;) {
    let step: IteratorResult<Uint8Array>;
    try {
      step = it.next();
    } catch (e) {
      throw new MailboxError("4.3.0", `error reading message: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (step.done) break;
    try {
      if (limit && written + step.value.length > limit) throw Object.assign(new Error("file size limit"), { code: "EFBIG" });
      writeAll(fd, step.value);
      written += step.value.length;
    } catch (e) {
      it.return?.();
      const code = errnoCode(e);
      throw new MailboxError(mboxDsn(code, "5.3.0"), `error writing message: ${errnoText(e)}`, code);
    }
  }
  return written;
}
