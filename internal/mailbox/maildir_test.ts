/**
 * maildir_test — delivery into a maildir: the file appears complete in new/ under a unique name, tmp/ is left
 * empty, missing directories are made, and failures carry Postfix's text.
 */
import { test, expect, describe, beforeEach, afterEach } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { deliverToMaildir, maildirHostname, type MaildirDelivery } from "./maildir.ts";
import { MailboxError } from "./mailbox_error.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "postkit-maildir-"));
});
afterEach(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

const opts = (md: string, data: string, more: Partial<MaildirDelivery> = {}): MaildirDelivery => ({
  dir: md, data: () => [Buffer.from(data)], hostname: "host.example", defDsn: "5.2.0", ...more,
});

describe("deliverToMaildir()", () => {
  test("creates tmp, new and cur, and leaves one complete file in new/ named TIME.VdevIinoMusec.HOST", async () => {
    const md = join(dir, "Maildir/");
    const r = await deliverToMaildir(opts(md, "Return-Path: <a@b>\n\nhi\n"));
    expect(readdirSync(join(md, "tmp"))).toEqual([]);
    expect(readdirSync(join(md, "cur"))).toEqual([]);
    const files = readdirSync(join(md, "new"));
    expect(files.length).toBe(1);
    expect(files[0]).toMatch(/^\d{10}\.V[0-9a-f]+I[0-9a-f]+M\d{1,6}\.host\.example$/);
    expect(r.path).toBe(join(md, "new", files[0]!));
    expect(readFileSync(r.path, "utf8")).toBe("Return-Path: <a@b>\n\nhi\n");
    expect(statSync(r.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(md, "new")).mode & 0o777).toBe(0o700);
  });

  test("many deliveries in one process, running at once, get distinct names and leave tmp/ empty", async () => {
    const md = join(dir, "m");
    await deliverToMaildir(opts(md, "first\n"));
    await Promise.all(Array.from({ length: 50 }, (_, i) => deliverToMaildir(opts(md, `n ${i}\n`))));
    expect(readdirSync(join(md, "new")).length).toBe(51);
    expect(readdirSync(join(md, "tmp"))).toEqual([]);
  });

  test("host names with / and : are written as \\057 and \\072", () => {
    expect(maildirHostname("a/b:c")).toBe("a\\057b\\072c");
  });

  test("a file over the size limit is refused with 5.2.2 and not left behind", async () => {
    const md = join(dir, "m");
    let e: unknown;
    try {
      await deliverToMaildir(opts(md, "x".repeat(100), { sizeLimit: 50 }));
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(MailboxError);
    expect([(e as MailboxError).dsn, (e as MailboxError).message]).toEqual(["5.2.2", "error writing message: File too large"]);
    expect(readdirSync(join(md, "tmp"))).toEqual([]);
  });

  // as root, the delivery is made as nobody, with a privileged agent's identity switch (identity.ts), in a process
  // of its own (the switch is process state): root itself is not stopped by file permissions
  test("a maildir the user cannot write to fails with the default status and Postfix's text", async () => {
    const asRoot = process.getuid?.() === 0;
    const md = join(dir, "ro");
    mkdirSync(join(md, "tmp"), { recursive: true });
    mkdirSync(join(md, "new"));
    mkdirSync(join(md, "cur"));
    chmodSync(join(md, "tmp"), asRoot ? 0o555 : 0o500);
    let e: { dsn?: string; errno?: string; message?: string } | undefined;
    if (asRoot) {
      chmodSync(dir, 0o755);
      const script = [
        `import { deliverToMaildir } from ${JSON.stringify(join(import.meta.dir, "maildir.ts"))};`,
        `import { initIdentity } from ${JSON.stringify(join(import.meta.dir, "identity.ts"))};`,
        "if (!initIdentity()) throw new Error('not privileged');",
        `try { await deliverToMaildir({ dir: ${JSON.stringify(md)}, data: () => [Buffer.from("x\\n")], hostname: "host.example", defDsn: "5.2.0", as: { uid: 65534, gid: 65534 } }); console.log("{}"); }`,
        "catch (err) { console.log(JSON.stringify({ dsn: err.dsn, errno: err.errno, message: err.message })); }",
      ].join("\n");
      const r = Bun.spawnSync([process.execPath, "-e", script], { stderr: "pipe" });
      expect(r.stderr.toString()).toBe("");
      e = JSON.parse(r.stdout.toString());
    } else {
      try {
        await deliverToMaildir(opts(md, "x\n"));
      } catch (err) {
        e = err as MailboxError;
      }
    }
    chmodSync(join(md, "tmp"), 0o700);
    expect(e?.dsn).toBe("5.2.0");
    expect(e?.errno).toBe("EACCES");
    expect(e?.message).toMatch(/^create maildir file .*\/ro\/tmp\/\d+\.P\d+Q\d+\.host\.example: Permission denied$/);
  });
});
