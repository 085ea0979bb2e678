/**
 * local and virtual delivery end to end through a running instance: messages submitted with sendmail reach an
 * mbox (local, mail_spool_directory), a maildir (an alias to DIR/), a file and a command, and a virtual maildir;
 * real readers (Python's mailbox module, s-nail) read them back byte for byte apart from the headers delivery
 * adds; the mailbox lock held by other tools makes delivery wait; deliveries run with Postfix's rights.
 * Runs as root (CI: recipient uid/gid switching, default_privs) and as an ordinary user (everything as the
 * instance owner).
 */
import { test, expect, describe, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { makeInstance, runTool, haveProgram, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { getpwnam, getpwuid } from "../internal/sys/passwd.ts";

// a running mail system and 20 MB messages: more than bun's default 5 s per test on a busy machine
setDefaultTimeout(30000);

const uid = process.getuid!();
const isRoot = uid === 0;
const me = getpwuid(uid)?.name ?? "root";
const nobody = getpwnam("nobody");
/** Who default_privs deliveries (root-owned aliases) and the virtual mailboxes belong to. */
const otherUid = isRoot ? (nobody?.uid ?? 65534) : uid;
const otherGid = isRoot ? (nobody?.gid ?? 65534) : process.getgid!();

let inst: Instance;
const log = () => (existsSync(join(inst.dir, "log", "maillog")) ? readFileSync(join(inst.dir, "log", "maillog"), "utf8") : "");

async function waitFor(what: string, pred: () => boolean, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return;
    await Bun.sleep(25);
  }
  throw new Error(`timed out waiting for ${what}\n${log()}`);
}

/** Submits a message with sendmail; returns after it is queued. */
function sendmail(rcpts: string[], content: string | Uint8Array, sender = "alice@example.org"): void {
  const r = runTool("sendmail", ["-f", sender, ...rcpts], { env: { MAIL_CONFIG: inst.config }, stdin: content });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
}

/** Number of `to=<rcpt…>… status=STATUS` lines in the log. */
function count(rcpt: string, status = "sent"): number {
  const esc = rcpt.replace(/[.+]/g, "\\$&");
  return (log().match(new RegExp(`to=<${esc}>.*status=${status}`, "g")) ?? []).length;
}

beforeAll(async () => {
  inst = makeInstance();
  const d = inst.dir;
  chmodSync(d, 0o755); // default_privs (nobody) must reach the shared directories
  for (const sub of ["shared", "maildirs", "vmail", "forward"]) {
    mkdirSync(join(d, sub), { recursive: true });
    chmodSync(join(d, sub), 0o1777);
  }
  writeFileSync(
    join(inst.config, "aliases"),
    [
      `postmaster: ${me}`,
      `md: ${d}/maildirs/md/`,
      `tofile: ${d}/shared/filebox`,
      `cmd: "|id -u > ${d}/shared/cmd-uid; cat > ${d}/shared/cmd-in"`,
      "tovirtual: v@virt.example",
      "",
    ].join("\n"),
  );
  writeFileSync(join(d, "etc", "vmailbox"), "v@virt.example v/\nmb@virt.example mb/box\nvpass@host.example.test pass/\n");
  writeFileSync(join(d, "etc", "mbtransport"), "vpass virtual:\n");
  mkdirSync(join(d, "vmail", "mb"), { recursive: true });
  chmodSync(join(d, "vmail", "mb"), 0o1777);
  writeFileSync(join(d, "forward", `${me}+fwd`), `\\${me}, v@virt.example\n`);
  chmodSync(join(d, "forward", `${me}+fwd`), 0o644);
  writeFileSync(
    join(inst.config, "main.cf"),
    `${readFileSync(join(inst.config, "main.cf"), "utf8")}` +
      [
        `alias_maps = hash:${inst.config}/aliases`, `alias_database = hash:${inst.config}/aliases`, "recipient_delimiter = +", "biff = no",
        "message_size_limit = 40000000", "mailbox_size_limit = 200000000", "virtual_mailbox_limit = 200000000",
        `forward_path = ${d}/forward/` + "$user${recipient_delimiter}${extension}",
        "virtual_mailbox_domains = virt.example", `virtual_mailbox_base = ${d}/vmail`, `virtual_mailbox_maps = texthash:${d}/etc/vmailbox`,
        `virtual_uid_maps = static:${otherUid}`, `virtual_gid_maps = static:${otherGid}`, `virtual_minimum_uid = ${Math.min(100, otherUid)}`,
        "deliver_lock_delay = 1s", `mailbox_transport_maps = texthash:${d}/etc/mbtransport`, "",
      ].join("\n"),
  );
  // no SMTP server: this test is about delivery
  writeFileSync(join(inst.config, "master.cf"), stockMasterCf("127.0.0.1:0").split("\n").filter((l) => !/\sinet\s/.test(l)).join("\n"));
  const pa = runTool("postalias", [`hash:${inst.config}/aliases`]);
  expect(pa.stderr).toBe("");
  expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
  // the queue manager defers what it cannot hand over yet; wait for the agents' sockets before submitting
  await waitFor("the delivery agents", () => existsSync(join(inst.queue, "private", "local")) && existsSync(join(inst.queue, "private", "virtual")));
});

afterAll(() => {
  runTool("postfix", ["-c", inst.config, "abort"]);
  inst.cleanup();
});

/** Awkward messages; each has its own Message-Id, Date and From, so cleanup adds only pickup's Received:. */
function awkward(): { name: string; body: Buffer }[] {
  const head = (n: string) => `From: Alice <alice@example.org>\nTo: someone@example.net\nSubject: ${n}\nMessage-Id: <${n}@example.org>\nDate: Thu, 1 Jan 2026 00:00:00 +0000\n`;
  const att = randomBytes(20 * 1024 * 1024).toString("base64").replace(/.{76}/g, "$&\n");
  return [
    { name: "fromlines", body: Buffer.from(`${head("fromlines")}\nFrom the start of a line\n>From already quoted\nFrom\nFromage\n\nFrom \nlast\n`) },
    { name: "nonewline", body: Buffer.from(`${head("nonewline")}\nthe last line has no newline`) },
    { name: "eightbit", body: Buffer.concat([Buffer.from(`${head("eightbit")}MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n`), Buffer.from("gr\xfc\xdfe \xe4\xf6\xfc\n", "latin1"), Buffer.from("utf-8 bytes: \u00e9\u00e8\n"), Buffer.from(`${"long ".repeat(2000)}\n`), Buffer.from("tab\there\n")]) },
    {
      name: "attachment",
      body: Buffer.from(`${head("attachment")}MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=BB\n\n--BB\nContent-Type: text/plain\n\nsee attachment\nFrom here\n--BB\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${att}\n--BB--\n`),
    },
  ];
}

/** What a reader must see: the message with a final newline, From_-quoted for mbox. */
function expected(body: Buffer, mbox: boolean): Buffer {
  let s = body.toString("latin1");
  if (!s.endsWith("\n")) s += "\n";
  if (mbox) s = s.replace(/^From /gm, ">From ");
  return Buffer.from(s, "latin1");
}

/** Removes the headers delivery and pickup add: Return-Path, X-Original-To, Delivered-To, Received (2 lines). */
function stripAdded(msg: Buffer): { added: string[]; rest: Buffer } {
  const added: string[] = [];
  let off = 0;
  for (;;) {
    const nl = msg.indexOf(10, off);
    const line = msg.subarray(off, nl).toString("latin1");
    if (/^(Return-Path|X-Original-To|Delivered-To|Received):/.test(line) || (added.length > 0 && added[added.length - 1]!.startsWith("Received:") && line.startsWith("\t"))) {
      added.push(line);
      off = nl + 1;
      continue;
    }
    return { added, rest: msg.subarray(off) };
  }
}

const READER_PY = `
import mailbox, sys, os
kind, path, out = sys.argv[1:4]
box = mailbox.mbox(path, create=False) if kind == "mbox" else mailbox.Maildir(path, factory=None, create=False)
keys = sorted(box.keys(), key=lambda k: box.get_bytes(k).split(b"\\nSubject: ", 1)[1].split(b"\\n", 1)[0])
for k in keys:
    data = box.get_bytes(k)
    subj = data.split(b"\\nSubject: ", 1)[1].split(b"\\n", 1)[0].decode()
    with open(os.path.join(out, kind + "." + subj), "wb") as f:
        f.write(data)
print(len(keys))
`;

describe("awkward messages, read back by real readers", () => {
  const msgs = awkward();
  beforeAll(async () => {
    for (const m of msgs) sendmail([me, "md"], m.body);
    await waitFor("the deliveries", () => count(`${me}@host.example.test`) >= msgs.length && count("md@host.example.test") >= msgs.length, 60000);
  }, 70000);

  test("python's mailbox module reads each message from the mbox and the maildir byte for byte", () => {
    if (!Bun.which("python3")) {
      console.warn("skip: python3 reads the mailboxes: python3 is not installed");
      return;
    }
    const out = join(inst.dir, "py");
    mkdirSync(out, { recursive: true });
    for (const [kind, path] of [["mbox", join(inst.dir, "mail", me)], ["maildir", join(inst.dir, "maildirs", "md")]] as const) {
      const p = Bun.spawnSync({ cmd: ["python3", "-c", READER_PY, kind, path, out], stderr: "pipe" });
      expect(p.stderr.toString()).toBe("");
      expect(p.stdout.toString().trim()).toBe(String(msgs.length));
      for (const m of msgs) {
        const got = stripAdded(readFileSync(join(out, `${kind}.${m.name}`)));
        const rcpt = kind === "mbox" ? me : "md";
        expect(got.added.slice(0, 3)).toEqual(["Return-Path: <alice@example.org>", `X-Original-To: ${rcpt}`, `Delivered-To: ${rcpt}@host.example.test`]);
        expect(got.added[3]).toStartWith(`Received: by host.example.test (Postfix, from userid ${uid})`);
        const want = expected(m.body, kind === "mbox");
        if (!got.rest.equals(want)) expect(`${kind} ${m.name}: ${got.rest.toString("latin1").slice(0, 2000)}`).toBe(`${kind} ${m.name}: ${want.toString("latin1").slice(0, 2000)}`);
        expect(got.rest.length).toBe(want.length);
      }
    }
  }, 30000);

  test("s-nail lists the same messages and shows the same bodies", () => {
    if (!haveProgram("/usr/bin/s-nail", "s-nail reads the mailboxes")) return;
    const env = { HOME: inst.dir, LC_ALL: "C.UTF-8" };
    const body = (b: Buffer) => b.subarray(b.indexOf("\n\n") + 2).toString("latin1").replace(/\n+$/, "");
    // s-nail keeps a maildir as an mbox internally and shows some From_ lines quoted there: compare unquoted
    const unquote = (t: string) => t.replace(/^>From /gm, "From ");
    for (const [path, mbox] of [[join(inst.dir, "mail", me), true], [join(inst.dir, "maildirs", "md"), false]] as const) {
      const folder = mbox ? path : `maildir://${path}`;
      const out = join(inst.dir, `snail-${mbox ? "mbox" : "md"}`);
      const snail = (args: string[], commands = "") => {
        const sh = `s-nail -# -R -N -S ttycharset=utf-8 ${args.join(" ")} -f '${folder}' > '${out}'`;
        const p = Bun.spawnSync({ cmd: ["sh", "-c", sh], env, stdin: Buffer.from(commands), stderr: "pipe" });
        expect(p.exitCode).toBe(0);
        return readFileSync(out);
      };
      const subjects = snail(["-H"]).toString().trim().split("\n").map((l) => l.trim().split(/\s+/).pop()!);
      expect([...subjects].sort()).toEqual(msgs.map((m) => m.name).sort());
      subjects.forEach((name, i) => {
        const m = msgs.find((x) => x.name === name)!;
        const want = expected(m.body, mbox);
        let got: Buffer;
        let wanted = want;
        if (name === "eightbit") {
          // shown in the terminal's charset: converted from the iso-8859-1 the message declares
          snail([], `Pipe ${i + 1} "cat > ${out}.pipe"\n`);
          got = readFileSync(`${out}.pipe`);
          wanted = Buffer.from(want.toString("latin1"), "utf8");
        } else {
          got = snail([], `Show ${i + 1}\n`); // the raw message after a banner line
        }
        expect(mbox ? body(got) : unquote(body(got))).toBe(mbox ? body(wanted) : unquote(body(wanted)));
      });
    }
  }, 30000);
});

describe("files, commands and rights", () => {
  test("an alias to a file and to a command: Postfix's texts; root-owned aliases run as default_privs", async () => {
    sendmail(["tofile", "cmd"], "Subject: fc\n\nFrom x\n");
    await waitFor("file and command", () => count("tofile@host.example.test") === 1 && count("cmd@host.example.test") === 1);
    const l = log();
    expect(l).toContain(`to=<tofile@host.example.test>, orig_to=<tofile>, relay=local,`);
    expect(l).toContain(`status=sent (delivered to file: ${inst.dir}/shared/filebox)`);
    expect(l).toContain(`status=sent (delivered to command: id -u > ${inst.dir}/shared/cmd-uid; cat > ${inst.dir}/shared/cmd-in)`);
    expect(readFileSync(join(inst.dir, "shared", "cmd-uid"), "utf8").trim()).toBe(String(otherUid));
    expect(statSync(join(inst.dir, "shared", "filebox")).uid).toBe(otherUid);
    expect(readFileSync(join(inst.dir, "shared", "filebox"), "utf8")).toContain("\n\n>From x\n\n");
    expect(readFileSync(join(inst.dir, "shared", "cmd-in"), "utf8")).toMatch(/^From alice@example\.org {2}.*\nReturn-Path: <alice@example\.org>\nX-Original-To: cmd\nDelivered-To: cmd@host\.example\.test\n[^]*\n\nFrom x\n$/);
  });

  test.skipIf(!isRoot || !nobody)("as root, a user's mailbox is created for the user (spool not writable by users)", async () => {
    sendmail(["nobody"], "Subject: mine\n\nx\n");
    await waitFor("nobody's mailbox", () => count("nobody@host.example.test") === 1);
    const st = statSync(join(inst.dir, "mail", "nobody"));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([nobody!.uid, nobody!.gid, 0o600]);
  });

  test("unknown users bounce with Postfix's text; the bounce comes back to the sender's mailbox", async () => {
    sendmail(["no-such-user"], "Subject: lost\n\nx\n", me);
    await waitFor("the bounce", () => count("no-such-user@host.example.test", "bounced") === 1);
    expect(log()).toMatch(/to=<no-such-user@host\.example\.test>, orig_to=<no-such-user>, relay=local, .*dsn=5\.1\.1, status=bounced \(unknown user: "no-such-user"\)/);
  });
});

describe("virtual delivery, forwarding, .forward", () => {
  test("virtual maildir and mbox; an alias to a virtual address is forwarded as a new message", async () => {
    sendmail(["v@virt.example", "mb@virt.example", "tovirtual"], "Subject: virt\n\nFrom v\n");
    await waitFor("virtual deliveries", () => count("v@virt.example") === 2 && count("mb@virt.example") === 1);
    const l = log();
    expect(l).toMatch(/to=<v@virt\.example>, relay=virtual, .*dsn=2\.0\.0, status=sent \(delivered to maildir\)/);
    expect(l).toMatch(/to=<mb@virt\.example>, relay=virtual, .*status=sent \(delivered to mailbox\)/);
    expect(l).toMatch(/to=<tovirtual@host\.example\.test>, orig_to=<tovirtual>, relay=local, .*status=sent \(forwarded as \w+\)/);
    expect(readdirSync(join(inst.dir, "vmail", "v", "new")).length).toBe(2);
    expect(statSync(join(inst.dir, "vmail", "mb", "box")).uid).toBe(otherUid);
    expect(readFileSync(join(inst.dir, "vmail", "mb", "box"), "utf8")).toMatch(/^From alice@example\.org {2}.*\nReturn-Path: <alice@example\.org>\nX-Original-To: mb@virt\.example\nDelivered-To: mb@virt\.example\n[^]*\n>From v\n\n$/);
  });

  test("a .forward found through forward_path: \\user keeps a copy, the rest is forwarded", async () => {
    const before = count("v@virt.example");
    sendmail([`${me}+fwd`], "Subject: fwd\n\nx\n");
    await waitFor("the forward", () => count("v@virt.example") === before + 1 && /to=<\S+\+fwd@host\.example\.test>.*forwarded as/.test(log()));
    expect(log()).toMatch(new RegExp(`to=<${me}@host\\.example\\.test>, orig_to=<${me}\\+fwd>, relay=local, .*status=sent \\(delivered to mailbox\\)`));
  });
});

test("mailbox_transport_maps hands a local recipient to another delivery agent, which logs the delivery", async () => {
  sendmail(["vpass"], "Subject: pass\n\nx\n");
  await waitFor("the handed-over delivery", () => count("vpass@host.example.test") === 1);
  expect(log()).toMatch(/to=<vpass@host\.example\.test>, orig_to=<vpass>, relay=virtual, .*status=sent \(delivered to maildir\)/);
  expect(readdirSync(join(inst.dir, "vmail", "pass", "new")).length).toBe(1);
});

describe("locks held by other mail tools", () => {
  test("python fcntl.lockf and dotlockfile on the mailbox: delivery waits, then succeeds", async () => {
    const mbox = join(inst.dir, "mail", me);
    const holders: { cmd: string[]; name: string }[] = [
      { name: "lockf", cmd: ["python3", "-c", `import fcntl,time\nf=open(${JSON.stringify(mbox)},"a")\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint("locked",flush=True)\ntime.sleep(1.5)`] },
    ];
    if (existsSync("/usr/bin/dotlockfile")) {
      holders.push({ name: "dotlockfile", cmd: ["sh", "-c", `dotlockfile -p -r 0 "$0.lock" && echo locked && sleep 1.5; dotlockfile -u "$0.lock"`, mbox] });
    }
    for (const h of holders) {
      const p = Bun.spawn({ cmd: h.cmd, stdout: "pipe" });
      const reader = p.stdout.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toContain("locked");
      const before = count(`${me}@host.example.test`);
      const t0 = Date.now();
      sendmail([me], `Subject: ${h.name}\n\nx\n`);
      await waitFor(`delivery after ${h.name}`, () => count(`${me}@host.example.test`) === before + 1);
      expect(Date.now() - t0).toBeGreaterThan(700);
      await p.exited;
    }
    expect(readFileSync(mbox, "utf8")).toContain("Subject: lockf\n");
  }, 30000);
});
