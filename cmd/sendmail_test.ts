/**
 * sendmail end-to-end tests: the compiled binary writes maildrop files on an instance whose queue was made by
 * prepareQueueDirectory() (maildrop 1733); each file is read back with the queue library and its envelope and
 * content checked per option. Also: Postfix's diagnostics and exit status 75, the re-executed modes (-bp, -q,
 * -bi), a stopped system, a 20 MB message with bounded memory, an interrupted submission, a submission by an
 * unprivileged user, and the same inputs side by side with Debian's sendmail on a private Postfix instance.
 */
import { test, expect, afterAll, describe } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, haveProgram, makeInstance, runTool, type Instance, type ToolRun } from "./_testkit.ts";
import { prepareQueueDirectory } from "../internal/master/master.ts";
import { openQueueFile } from "../internal/queue/index.ts";
import { getpwuid } from "../internal/sys/passwd.ts";

const inst = makeInstance();
prepareQueueDirectory(inst.queue);
afterAll(() => inst.cleanup());

const ME = getpwuid(process.getuid!())!;
const UID = process.getuid!();

/** What a maildrop file says, in a comparable form. */
interface Dropped {
  sender: string;
  fullName: string | undefined;
  uid: number | undefined;
  attrs: Record<string, string>;
  rcpts: [string, number][];
  extracted: [string, number][];
  content: string;
  mode: number;
  owner: number;
}

function readDropped(queue: string): Dropped[] {
  const dir = join(queue, "maildrop");
  const out: Dropped[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    const f = openQueueFile(path);
    const env = f.envelope();
    const content = Buffer.concat([...f.content()]).toString("latin1");
    f.close();
    const attrs = Object.fromEntries([...env.attributes].filter(([k]) => k !== "create_time"));
    out.push({
      sender: env.sender,
      fullName: env.fullName,
      uid: env.uid,
      attrs,
      rcpts: env.recipients.filter((r) => !r.extracted).map((r) => [r.address, r.notify]),
      extracted: env.recipients.filter((r) => r.extracted).map((r) => [r.address, r.notify]),
      content,
      mode: st.mode & 0o7777,
      owner: st.uid,
    });
    rmSync(path);
  }
  return out;
}

/** Runs sendmail on `inst` and returns the run and the one maildrop file it left (or none). */
function send(args: string[], stdin: string | Uint8Array, env: Record<string, string> = {}, i: Instance = inst): { r: ToolRun; d: Dropped | undefined } {
  const r = runTool("sendmail", args, { stdin, env: { MAIL_CONFIG: i.config, NAME: "Test User", ...env } });
  const all = readDropped(i.queue);
  expect(all.length).toBeLessThanOrEqual(1);
  return { r, d: all[0] };
}

const MSG = "From: me@example.test\nTo: a@example.test\nSubject: hi\n\nbody\n";

describe("enqueue", () => {
  test("a plain submission: envelope and content as read", () => {
    const { r, d } = send(["a@example.test"], MSG);
    expect(r).toEqual({ stdout: "", stderr: "", status: 0 });
    expect(d).toEqual({
      sender: ME.name,
      fullName: "Test User",
      uid: UID,
      attrs: { submit_uid: String(UID), rewrite_context: "local" },
      rcpts: [["a@example.test", 0]],
      extracted: [],
      content: MSG,
      mode: 0o700,
      owner: UID,
    });
  });

  test("-t takes To, Cc and Bcc into the extracted section; Bcc stays in the content for cleanup to remove", () => {
    const msg = 'To: a@x, "Joe" <b@y>\nCc: c@z\nBcc: secret@w\nSubject: s\n\nbody\n';
    const { r, d } = send(["-t", "cmd@line"], msg);
    expect(r.status).toBe(0);
    expect(d!.rcpts).toEqual([["cmd@line", 0]]);
    expect(d!.extracted).toEqual([
      ["a@x", 0],
      ["b@y", 0],
      ["c@z", 0],
      ["secret@w", 0],
    ]);
    expect(d!.content).toBe(msg);
  });

  test("-t with Resent- headers uses only those", () => {
    const { d } = send(["-t"], "To: a@x\nResent-To: r@x\nResent-Bcc: s@x\n\nb\n");
    expect(d!.extracted.map((x) => x[0])).toEqual(["r@x", "s@x"]);
  });

  test("without -i a lone dot ends the message; with -i or -oi it is text", () => {
    expect(send(["a@x"], "a\n.\nafter\n").d!.content).toBe("a\n");
    expect(send(["-i", "a@x"], "a\n.\nafter\n").d!.content).toBe("a\n.\nafter\n");
    expect(send(["-oi", "a@x"], "a\n.\nafter\n").d!.content).toBe("a\n.\nafter\n");
  });

  test("CRLF input is stored with LF; leading From_ lines are dropped", () => {
    expect(send(["a@x"], "From joe Mon Jan 1\r\n>From x\r\nSubject: s\r\n\r\nline\r\n").d!.content).toBe("Subject: s\n\nline\n");
  });

  test("sendmail_fix_line_endings = never keeps CRs", () => {
    expect(send(["-o", "x", "a@x"], "a\r\n", {}).d!.content).toBe("a\n");
    const i = makeInstance("sendmail_fix_line_endings = never\n");
    prepareQueueDirectory(i.queue);
    try {
      expect(send(["a@x"], "a\r\n", {}, i).d!.content).toBe("a\r\n");
    } finally {
      i.cleanup();
    }
  });

  const senders: [string, string, string][] = [
    ["<>", "", ""],
    ["", "", ""],
    ["Joe <j@x>", "j@x", ""],
    ['"a b"@x', "a b@x", ""],
    ["a@x, b@y", "a@x", "sendmail: warning: -f option specified malformed sender: a@x, b@y\n"],
  ];
  for (const [arg, want, stderr] of senders) {
    test(`-f ${JSON.stringify(arg)}`, () => {
      const { r, d } = send(["-f", arg, "r@x"], "x\n");
      expect(r.stderr).toBe(stderr);
      expect(d!.sender).toBe(want);
      expect(send(["-r", arg, "r@x"], "x\n").d!.sender).toBe(want);
    });
  }

  test("-F sets the full name; without it $NAME, then GECOS", () => {
    expect(send(["-F", "Joe Bloggs", "r@x"], "x\n").d!.fullName).toBe("Joe Bloggs");
    expect(send(["r@x"], "x\n", { NAME: "From Env" }).d!.fullName).toBe("From Env");
    expect(send(["r@x"], "x\n", { NAME: undefined as unknown as string }).d!.fullName).toBe(ME.gecos.split(/[,;%]/)[0]!.replace(/&/g, ME.name[0]!.toUpperCase() + ME.name.slice(1)));
  });

  test("command-line recipients are address lists; an argument without an address is an empty recipient", () => {
    expect(send(["a@x, Joe <b@y>", ""], "x\n").d!.rcpts).toEqual([
      ["a@x", 0],
      ["b@y", 0],
      ["", 0],
    ]);
  });

  test("-N, -R, -V, -B, -G are recorded", () => {
    const { r, d } = send(["-N", "success,delay", "-R", "hdrs", "-V", "env-1", "-B", "8BITMIME", "-G", "-t", "a@x", ""], "To: t@x\n\nb\n");
    expect(r).toEqual({ stdout: "", stderr: "", status: 0 });
    expect(d!.attrs).toEqual({ submit_uid: String(UID), envelope_id: "env-1", ret_flags: "2", rewrite_context: "remote", encoding: "8bit" });
    expect(d!.rcpts).toEqual([
      ["a@x", 10],
      ["", 0],
    ]);
    expect(d!.extracted).toEqual([["t@x", 10]]);
  });

  test("bad -N, -R, -V values are ignored with Postfix's warnings", () => {
    const { r, d } = send(["-N", "bogus", "-R", "xx", "-V", "a\tb", "a@x"], "x\n");
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      'sendmail: warning: unknown DSN NOTIFY command value "bogus" in "bogus"\n' +
        "sendmail: warning: bad -N option value -- ignored\n" +
        "sendmail: warning: bad -R option value -- ignored\n" +
        "sendmail: warning: bad syntax in -V option value -- ignored\n",
    );
    expect(d!.attrs).toEqual({ submit_uid: String(UID), rewrite_context: "local" });
    expect(d!.rcpts).toEqual([["a@x", 0]]);
  });

  test("one -v asks for a delivery report", () => {
    const { r, d } = send(["-v", "-f", "me@x", "a@x"], "x\n");
    expect(r.stdout).toBe("Mail Delivery Status Report will be mailed to <me@x>.\n");
    expect(d!.attrs.trace_flags).toBe("1024");
  });

  test("binary junk and NUL bytes are stored unchanged", () => {
    const junk = Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 131) % 256).filter((b) => b !== 10 && b !== 13));
    const input = Buffer.concat([Buffer.from("Subject: bin\n\n"), junk, Buffer.from("\n\0\0\n")]);
    expect(send(["-i", "a@x"], input).d!.content).toBe(input.toString("latin1"));
  });

  test("a line of 1 MB is kept whole", () => {
    const line = "x".repeat(1 << 20);
    expect(send(["a@x"], `Subject: long\n\n${line}\n`).d!.content).toBe(`Subject: long\n\n${line}\n`);
  });
});

describe("failures", () => {
  const fatals: [string, string[], string, string][] = [
    ["no recipients", [], "x\n", `sendmail: fatal: ${ME.name}(${UID}): Recipient addresses must be specified on the command line or via the -t option\n`],
    ["-t without recipient headers", ["-t"], "Subject: x\n\nb\n", `sendmail: fatal: ${ME.name}(${UID}): No recipient addresses found in message header\n`],
    ["-n", ["-n", "a@x"], "", "sendmail: fatal: -n option not supported\n"],
    ["unknown option (reported twice, as Postfix)", ["-Z", "a@x"], "", "sendmail: invalid option -- 'Z'\nsendmail: invalid option -- 'Z'\nsendmail: fatal: usage: sendmail [options]\n"],
    ["-bp with recipients", ["-bp", "a@x"], "", "sendmail: fatal: display queue mode requires no recipient\n"],
    ["unsupported -b", ["-bz"], "", "sendmail: fatal: unsupported: -bz\n"],
    ["-bs with recipients", ["-bs", "a@x"], "", "sendmail: fatal: stand-alone mode requires no recipient\n"],
    ["-bv with -t", ["-bv", "-t"], "x\n", "sendmail: fatal: -t option cannot be used with -bv\n"],
    ["-bv with -N", ["-bv", "-N", "success", "a@x"], "x\n", "sendmail: fatal: -N option cannot be used with -bv\n"],
    ["VERP with the null sender", ["-XV", "-f", "<>", "a@x"], "x\n", `sendmail: fatal: (${UID}): -V option requires non-null sender address\n`],
  ];
  for (const [label, args, stdin, stderr] of fatals) {
    test(`${label}: Postfix's message, exit 75, nothing queued`, () => {
      const { r, d } = send(args, stdin);
      expect(r).toEqual({ stdout: "", stderr, status: 75 });
      expect(d).toBeUndefined();
    });
  }

  test("a header longer than header_size_limit", () => {
    const to = `To: a@x,\n${Array.from({ length: 12000 }, (_, i) => ` r${i}@x,`).join("\n")}\n\nb\n`;
    const { r, d } = send(["-t"], to);
    expect(r).toEqual({ stdout: "", stderr: `sendmail: fatal: ${ME.name}(${UID}): unable to extract recipients: message header length exceeds safety limit\n`, status: 75 });
    expect(d).toBeUndefined();
  });

  test("message_size_limit", () => {
    const i = makeInstance("message_size_limit = 1000\n");
    prepareQueueDirectory(i.queue);
    try {
      const { r, d } = send(["a@x"], "x".repeat(2000), {}, i);
      expect(r).toEqual({ stdout: "", stderr: `sendmail: fatal: ${ME.name}(${UID}): message file too big\n`, status: 75 });
      expect(d).toBeUndefined();
    } finally {
      i.cleanup();
    }
  });

  test("authorized_submit_users", () => {
    const i = makeInstance(`authorized_submit_users = !${ME.name}, static:anyone\n`);
    prepareQueueDirectory(i.queue);
    try {
      const { r, d } = send(["a@x"], "x\n", {}, i);
      expect(r).toEqual({ stdout: "", stderr: `sendmail: fatal: User ${ME.name}(${UID}) is not allowed to submit mail\n`, status: 75 });
      expect(d).toBeUndefined();
    } finally {
      i.cleanup();
    }
  });

  test("a missing queue directory", () => {
    const i = makeInstance();
    try {
      const r = runTool("sendmail", ["a@x"], { stdin: "x\n", env: { MAIL_CONFIG: i.config } });
      expect(r.status).toBe(75);
      expect(r.stderr).toStartWith(`sendmail: fatal: ${ME.name}(${UID}): error writing queue file: create queue file ${i.queue}/maildrop/`);
      expect(r.stderr).toEndWith(": no such file or directory\n");
    } finally {
      i.cleanup();
    }
  });
});

describe("a stopped mail system", () => {
  test("no pickup FIFO: the message waits in maildrop; Postfix's postdrop warning; exit 0", () => {
    const i = makeInstance();
    prepareQueueDirectory(i.queue);
    rmSync(join(i.queue, "public", "pickup"));
    try {
      const { r, d } = send(["a@x"], "x\n", {}, i);
      expect(r).toEqual({ stdout: "", stderr: "postdrop: warning: unable to look up public/pickup: No such file or directory\n", status: 0 });
      expect(d!.content).toBe("x\n");
    } finally {
      i.cleanup();
    }
  });

  test("-bp runs postqueue -p; -q runs postqueue -f and reports its failure", () => {
    send(["a@x"], "x\n");
    const p = runTool("sendmail", ["-bp"], { env: { MAIL_CONFIG: inst.config } });
    expect(p.status).toBe(0);
    expect(p.stdout).toBe("Mail queue is empty\n");
    const q = runTool("sendmail", ["-q"], { env: { MAIL_CONFIG: inst.config } });
    expect(q).toEqual({ stdout: "", stderr: "postqueue: fatal: Cannot flush mail queue - mail system is down\n", status: 69 });
    expect(runTool("sendmail", ["-q30m"], { env: { MAIL_CONFIG: inst.config } })).toEqual({ stdout: "", stderr: "", status: 0 });
  });

  test("-bi with an empty alias_database does nothing", () => {
    expect(runTool("sendmail", ["-bi"], { env: { MAIL_CONFIG: inst.config } })).toEqual({ stdout: "", stderr: "", status: 0 });
  });

  test("-bi runs postalias on alias_database", () => {
    const i = makeInstance();
    const aliases = join(i.dir, "aliases");
    writeFileSync(aliases, "postmaster: root\n");
    writeFileSync(join(i.config, "main.cf"), `alias_database = cdb:${aliases}\n`, { flag: "a" });
    try {
      const r = runTool("sendmail", ["-bi"], { env: { MAIL_CONFIG: i.config } });
      expect(r).toEqual({ stdout: "", stderr: "", status: 0 });
      expect(existsSync(`${aliases}.cdb`)).toBe(true);
    } finally {
      i.cleanup();
    }
  });
});

test("a 60 MB message is streamed: memory stays bounded", () => {
  const i = makeInstance("message_size_limit = 0\n");
  prepareQueueDirectory(i.queue);
  afterAll(() => i.cleanup());
  const line = `${"0123456789".repeat(7)}abcde\n`;
  // peak RSS as the kernel reports it for a real pipe (/usr/bin/time); Bun.spawnSync's resourceUsage counts the
  // memory of its own stdin feeding, so it cannot tell
  const haveTime = existsSync("/usr/bin/time");
  if (!haveTime) console.warn("skip: peak memory check: /usr/bin/time is not installed");
  const submit = (mb: number) => {
    const file = join(i.dir, `body-${mb}`);
    const body = Buffer.from(line.repeat(Math.ceil((mb << 20) / line.length)));
    writeFileSync(file, body);
    const link = join(i.dir, "sendmail");
    if (!existsSync(link)) symlinkSync(BIN, link);
    const sh = haveTime ? `cat ${file} | /usr/bin/time -f %M ${link} -i a@x` : `cat ${file} | ${link} -i a@x`;
    const p = Bun.spawnSync({ cmd: ["bash", "-c", sh], env: { MAIL_CONFIG: i.config, PATH: process.env.PATH! }, stdout: "pipe", stderr: "pipe" });
    expect(p.exitCode).toBe(0);
    return { body, kb: haveTime ? Number(p.stderr.toString().trim().split("\n").pop()) : 0 };
  };
  const small = submit(2);
  const big = submit(60);
  // thirty times the message needs nowhere near thirty times the memory: growth far below the 58 MB added
  if (haveTime) expect((big.kb - small.kb) * 1024).toBeLessThan(30 * 1024 * 1024);
  const dropped = readDropped(i.queue).find((d) => d.content.length === big.body.length);
  expect(dropped).toBeDefined();
  expect(dropped!.content === big.body.toString("latin1")).toBe(true);
});

test("input that arrives in pieces, with pauses, is read to its end (the waiting path of read_input.ts)", async () => {
  const p = Bun.spawn({ cmd: [BIN, "-i", "a@x"], argv0: "sendmail", env: { MAIL_CONFIG: inst.config }, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const parts = ["Subject: slow\n\n", "first line\n", ".\nafter a dot (-i keeps it)\n"];
  for (const part of parts) {
    await Bun.sleep(120); // longer than one 50 ms poll slice
    p.stdin.write(part);
    p.stdin.flush();
  }
  p.stdin.end();
  expect(await p.exited).toBe(0);
  const [d] = readDropped(inst.queue);
  expect(d!.content).toBe(parts.join(""));
});

test("sendmail reads a regular file and an empty or closed standard input", () => {
  const file = join(inst.dir, "input.txt");
  writeFileSync(file, MSG);
  const fromFile = spawnSync("bash", ["-c", `exec -a sendmail "$0" a@x < "$1"`, BIN, file], { env: { MAIL_CONFIG: inst.config } });
  expect(fromFile.status).toBe(0);
  expect(readDropped(inst.queue).map((d) => d.content)).toEqual([MSG]);
  const closed = spawnSync("bash", ["-c", `exec -a sendmail "$0" a@x <&-`, BIN], { env: { MAIL_CONFIG: inst.config } });
  expect(closed.status).toBe(0);
  expect(readDropped(inst.queue).map((d) => d.content)).toEqual([""]);
});

test("an interrupted submission leaves nothing in maildrop", async () => {
  const p = Bun.spawn({ cmd: [BIN, "a@x"], argv0: "sendmail", env: { MAIL_CONFIG: inst.config }, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  p.stdin.write("Subject: half\n\nsome text\n");
  p.stdin.flush();
  for (let i = 0; i < 200 && readdirSync(join(inst.queue, "maildrop")).length === 0; i++) await Bun.sleep(10);
  expect(readdirSync(join(inst.queue, "maildrop")).length).toBe(1); // the temporary file
  p.kill("SIGTERM");
  await p.exited;
  expect(p.signalCode).toBe("SIGTERM");
  expect(readdirSync(join(inst.queue, "maildrop"))).toEqual([]);
});

test.skipIf(process.getuid!() !== 0)("an unprivileged user submits into the 1733 maildrop it cannot list", () => {
  const nobody = getpwuid(65534) ?? { uid: 65534, gid: 65534, name: "nobody" };
  for (const d of [inst.dir, inst.config, inst.queue]) chmodSync(d, 0o755);
  const r = spawnSync(BIN, ["-f", "n@x", "a@x"], {
    argv0: "sendmail",
    uid: nobody.uid,
    gid: (nobody as { gid: number }).gid,
    env: { MAIL_CONFIG: inst.config, PATH: process.env.PATH },
    input: "from nobody\n",
    encoding: "utf8",
  });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
  const [d] = readDropped(inst.queue);
  expect(d).toMatchObject({ owner: nobody.uid, uid: nobody.uid, mode: 0o700, sender: "n@x", content: "from nobody\n" });
});

describe.skipIf(process.getuid!() !== 0 || !haveProgram("/usr/sbin/sendmail", "side-by-side with Debian's sendmail"))("side by side with Debian's sendmail", () => {
  // A private, stopped Postfix instance: Debian's sendmail runs its set-gid postdrop into this maildrop.
  const pf = makeInstance();
  afterAll(() => pf.cleanup());
  for (const d of ["maildrop", "public", "pid"]) mkdirSync(join(pf.queue, d), { recursive: true });
  writeFileSync(join(pf.config, "main.cf"), `queue_directory = ${pf.queue}\nmaillog_file = ${pf.dir}/log/maillog\nmaillog_file_prefixes = ${pf.dir}\ncompatibility_level = 3.6\n`);
  const postcat = (args: string[]) => spawnSync("/usr/sbin/postcat", ["-c", pf.config, ...args], { encoding: "latin1" }).stdout;

  function debian(args: string[], stdin: string | Buffer): { status: number | null; stderr: string; d?: Omit<Dropped, "uid" | "mode" | "owner" | "attrs"> } {
    const r = spawnSync("/usr/sbin/sendmail", args, { env: { MAIL_CONFIG: pf.config, NAME: "Test User", PATH: process.env.PATH }, input: stdin, encoding: "latin1" });
    const files = readdirSync(join(pf.queue, "maildrop"));
    if (files.length === 0) return { status: r.status, stderr: r.stderr };
    const path = join(pf.queue, "maildrop", files[0]!);
    const env = postcat(["-e", path]).split("\n");
    const content = postcat(["-bh", path]);
    rmSync(path);
    const rcpts: [string, number][] = [];
    const extracted: [string, number][] = [];
    let notify = 0;
    let section = rcpts;
    let sender = "";
    let fullName: string | undefined;
    for (const l of env) {
      if (l.startsWith("*** HEADER EXTRACTED")) section = extracted;
      else if (l.startsWith("sender: ")) sender = l.slice(8);
      else if (l.startsWith("sender_fullname: ")) fullName = l.slice(17);
      else if (l.startsWith("named_attribute: notify_flags=")) notify = Number(l.slice(30));
      else if (l.startsWith("recipient: ")) {
        section.push([l.slice(11), notify]);
        notify = 0;
      }
    }
    return { status: r.status, stderr: r.stderr, d: { sender, fullName, rcpts, extracted, content } };
  }

  const inputs: [string, string[], string][] = [
    ["plain", ["a@x"], MSG],
    ["-t with Bcc and a group", ["-t"], "To: a@x, team: b@y, c@z;\nBcc: d@w\nSubject : odd\n\nbody"],
    ["-t with a non-header line ending the headers", ["-t"], "To: a@x\nnot a header\nbody\n"],
    ["-t with NUL in a header", ["-t"], "To: a@x\nX-A: a\0b\n\nbo\0dy\n"],
    ["CRLF and From_ lines", ["a@x"], "From joe\r\n>From x\r\nSubject: s\r\n\r\nl1\r\n.\r\nafter\r\n"],
    ["-i with a dot", ["-i", "a@x"], "a\n.\nb\n"],
    ["long lines", ["a@x"], `${"y".repeat(2047)}\r\n${"z".repeat(2048)}.\n${"w".repeat(5000)}\r\n`],
    ["-f and -F and -N", ["-f", "Joe <j@x>", "-F", "Joe B", "-N", "failure", "a@x, b@y", ""], "x\n"],
    ["-f null", ["-f", "<>", "a@x"], "x\n"],
  ];
  for (const [label, args, stdin] of inputs) {
    test(label, () => {
      const theirs = debian(args, stdin);
      const ours = send(args, stdin);
      expect(ours.r.status).toBe(theirs.status!);
      const { uid: _u, mode: _m, owner: _o, attrs: _a, ...mine } = ours.d!;
      expect(mine).toEqual(theirs.d!);
    });
  }
});

test("sendmail -bs speaks SMTP on stdin/stdout and drops the message into maildrop", () => {
  const i = makeInstance();
  prepareQueueDirectory(i.queue);
  try {
    const r = runTool("sendmail", ["-bs"], {
      env: { MAIL_CONFIG: i.config },
      stdin:
        "EHLO me\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nRSET\r\n" +
        "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nSubject: bs\r\n\r\nhello\r\n.\r\nQUIT\r\n",
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\r\n");
    expect(lines[0]).toBe("220 host.example.test ESMTP Postfix");
    const queued = /^250 2\.0\.0 Ok: queued as (\w+)$/m.exec(r.stdout.replace(/\r/g, ""));
    expect(queued).not.toBeNull();
    expect(r.stdout).toContain("221 2.0.0 Bye\r\n");
    const dropped = readDropped(i.queue); // the transaction given up by RSET left no file behind
    expect(dropped.length).toBe(1);
    expect(dropped[0]!.content).toContain("Subject: bs\nhello\n".replace("bs\n", "bs\n\n"));
    // as Postfix's stand-alone smtpd: each transaction's file, and ID, comes at its first RCPT
    const clients = [...readFileSync(join(i.dir, "log", "maillog"), "utf8").matchAll(/ postfix\/smtpd\[\d+\]: (\w+): client=localhost\[127\.0\.0\.1\]\n/g)].map((m) => m[1]);
    expect(clients.length).toBe(2);
    expect(clients[1]).toBe(queued![1]);
    expect(clients[0]).not.toBe(clients[1]);
  } finally {
    i.cleanup();
  }
});
