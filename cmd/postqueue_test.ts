/**
 * postqueue / mailq end-to-end tests: golden listings (-p, -j, long IDs, empty queue, selectors, --stats,
 * --shape), Postfix's usage and flush diagnostics with exit status 69, a FIFO-listening qmgr for -f/-i, the
 * classic delete-by-regexp pipelines, and the same queue contents listed side by side with Debian's postqueue.
 */
import { test, expect, afterAll, describe } from "bun:test";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { expectGolden, haveProgram, makeInstance, runTool, BIN } from "./_testkit.ts";
import { T0, writeMessages, writePostfixTwin, type FixtureMessage } from "./_queuekit.ts";
import { listenFifoTrigger } from "../internal/ipc/trigger.ts";
import { createQueueFile, ensureQueueDirs, queueLayout, layoutPath, readQueueSummary } from "../internal/queue/index.ts";
import { scanQueueListing } from "../internal/queue/queue_listing.ts";
import { jsonLine, MailqListing } from "../internal/showq/mailq_format.ts";

const REFUSED = "connect to 127.0.0.1[127.0.0.1]:9: Connection refused";
const SUSPENDED = "delivery temporarily suspended: connect to 127.0.0.1[127.0.0.1]:9: Connection refused";

const MSGS: FixtureMessage[] = [
  { queue: "active", id: "1A2B3C4D5E6", sender: "alice@example.org", rcpts: [{ address: "bob@remote.example" }], arrival: T0 },
  { queue: "incoming", id: "5F00120E4AA", sender: "very.long.sender.address.for.testing@subdomain.example.org", rcpts: [{ address: "x@y.example" }], arrival: T0 + 5 },
  { queue: "deferred", id: "2982D20E3D3", sender: "", rcpts: [{ address: "dave@remote.example", reason: REFUSED }], arrival: T0 + 3600 },
  {
    queue: "deferred",
    id: "4399B20E499",
    sender: "john doe@example.com",
    rcpts: [
      { address: "done@remote.example", done: true },
      { address: "erin@remote.example", reason: REFUSED },
      { address: "frank@other.example" },
    ],
    arrival: T0 - 86400 * 3,
    forcedExpire: true,
  },
  {
    queue: "hold",
    id: "14EEE20E497",
    sender: "alice@example.org",
    rcpts: [
      { address: "bob@remote.example", reason: SUSPENDED },
      { address: "carol@remote.example", reason: SUSPENDED },
    ],
    arrival: T0 + 7200,
  },
];

const inst = makeInstance();
writeMessages(inst.queue, MSGS);
const dropInst = makeInstance();
writeMessages(dropInst.queue, [{ queue: "maildrop", id: "ABCDEF12345", sender: "submitter", rcpts: [{ address: "root" }], arrival: T0 }]);
const empty = makeInstance();
afterAll(() => {
  inst.cleanup();
  dropInst.cleanup();
  empty.cleanup();
});

const pq = (args: string[], i = inst) => runTool("postqueue", ["-c", i.config, ...args]);

test("postqueue -p lists every queue in Postfix's layout (golden)", () => {
  expectGolden("postqueue", "list", "postqueue -p", pq(["-p"]));
});

test("mailq is postqueue -p", () => {
  expect(runTool("mailq", ["-c", inst.config])).toEqual(pq(["-p"]));
});

test("postqueue -j prints Postfix's JSON Lines (golden); every line parses", () => {
  const r = pq(["-j"]);
  expectGolden("postqueue", "json", "postqueue -j", r);
  const objs = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  expect(objs.map((o) => o.queue_id)).toEqual(["1A2B3C4D5E6", "5F00120E4AA", "2982D20E3D3", "4399B20E499", "14EEE20E497"]);
  expect(objs[3].forced_expire).toBe(true);
  expect(objs[3].recipients).toEqual([
    { orig_address: "erin@remote.example", address: "erin@remote.example", delay_reason: REFUSED },
    { orig_address: "frank@other.example", address: "frank@other.example" },
  ]);
});

test("an empty queue: 'Mail queue is empty', and nothing for -j", () => {
  expect(pq(["-p"], empty)).toEqual({ stdout: "Mail queue is empty\n", stderr: "", status: 0 });
  expect(pq(["-j"], empty)).toEqual({ stdout: "", stderr: "", status: 0 });
});

test("a maildrop entry shows the file size and no marker; a single message says 'Request.'", () => {
  const r = pq(["-p"], dropInst);
  expectGolden("postqueue", "maildrop", "postqueue -p (maildrop)", r);
  expect(r.stdout).toEndWith(" Kbytes in 1 Request.\n");
});

test("long queue IDs use the long layout (golden)", () => {
  const li = makeInstance("enable_long_queue_ids = yes\n");
  try {
    writeMessages(li.queue, [{ queue: "deferred", id: "4jZ7cZ4ps4zJDqZ", sender: "very.long.sender.address@example.org", rcpts: [{ address: "a@b.example", reason: REFUSED }], arrival: T0 }], { longIds: true });
    expectGolden("postqueue", "long_ids", "postqueue -p (long IDs)", pq(["-p"], li));
  } finally {
    li.cleanup();
  }
});

describe("selectors", () => {
  test("--queue, --sender, --rcpt, --reason, --older, --min-size restrict the listing and the trailer", () => {
    const ids = (args: string[]) =>
      pq(["-j", ...args])
        .stdout.trimEnd()
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l).queue_id);
    expect(ids(["--queue", "hold,active"])).toEqual(["1A2B3C4D5E6", "14EEE20E497"]);
    expect(ids(["--sender", "^alice@"])).toEqual(["1A2B3C4D5E6", "14EEE20E497"]);
    expect(ids(["--sender", "^$"])).toEqual(["2982D20E3D3"]);
    expect(ids(["--rcpt", "@other\\.example$"])).toEqual(["4399B20E499"]);
    expect(ids(["--rcpt", "^done@"])).toEqual([]); // delivered recipients do not count
    expect(ids(["--reason", "suspended"])).toEqual(["14EEE20E497"]);
    expect(ids(["--older", "2d"])).toEqual(["4399B20E499"]);
    expect(ids(["--younger", "1000000000", "--queue", "deferred"])).toEqual(["2982D20E3D3", "4399B20E499"]);
    expect(ids(["--min-size", "100000"])).toEqual([]);
    const p = pq(["-p", "--queue", "hold"]);
    expect(p.stdout).toEndWith("-- 0 Kbytes in 1 Request.\n");
  });

  test("bad selector values are fatal with exit 69", () => {
    for (const [args, text] of [
      [["--queue", "corrupt"], "--queue corrupt: not one of maildrop, active, incoming, deferred, hold"],
      [["--older", "soon"], "--older soon: bad duration"],
      [["--sender", "("], 'parse --sender pattern "("'],
    ] as const) {
      const r = pq(["-p", ...args]);
      expect(r.status).toBe(69);
      expect(r.stderr).toContain(`postqueue: fatal: ${text}`);
    }
  });
});

test("--stats and --shape (golden, ages against now are scrubbed)", () => {
  const stats = pq(["--stats"]);
  expect(stats.status).toBe(0);
  const lines = stats.stdout.trimEnd().split("\n");
  expect(lines[0]).toBe("QUEUE       MESSAGES        BYTES  OLDEST");
  expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(" "))).toEqual(["QUEUE MESSAGES", "maildrop 0", "active 1", "incoming 1", "deferred 2", "hold 1", "total 5"]);
  const shape = pq(["--shape", "--queue", "deferred,hold,active,incoming"]);
  expectGolden("postqueue", "shape", "postqueue --shape --queue deferred,hold,active,incoming", shape);
  const byReason = pq(["--shape", "--by", "reason", "--queue", "deferred,hold"]);
  expect(byReason.stdout).toContain("(no reason)");
  expect(byReason.stdout).toContain("+");
  expect(pq(["--shape", "--by", "colour"]).stderr).toBe("postqueue: fatal: --by colour: not one of rcpt-domain, sender-domain, reason\n");
});

describe("usage and flush diagnostics (all fatal errors exit 69)", () => {
  const USAGE = "postqueue: fatal: usage: postqueue -f | postqueue -i queueid | postqueue -j | postqueue -p | postqueue -s site\n";
  test.each([[[]], [["-p", "-j"]], [["-p", "extra"]], [["-x"]]])("usage %p", (args) => {
    const r = pq(args as string[]);
    expect(r.status).toBe(69);
    expect(r.stderr.endsWith(USAGE)).toBe(true);
  });
  test("-f, -i, -s with the mail system down", () => {
    expect(pq(["-f"])).toEqual({
      stdout: "",
      stderr: "postqueue: warning: unable to look up public/qmgr: No such file or directory\npostqueue: fatal: Cannot flush mail queue - mail system is down\n",
      status: 69,
    });
    expect(pq(["-i", "2982D20E3D3"]).stderr).toEndWith("postqueue: fatal: Cannot flush mail queue - mail system is down\n");
    expect(pq(["-i", "a/b"])).toEqual({ stdout: "", stderr: 'postqueue: fatal: Cannot flush queue ID - invalid name: "a/b"\n', status: 69 });
    expect(pq(["-s", "bad_site!"]).stderr).toBe('postqueue: fatal: Cannot flush mail queue - invalid destination: "bad_site!"\n');
    expect(pq(["-s", "example.com"]).stderr).toBe('postqueue: fatal: Flush service is not configured for destination "example.com"\n');
    expect(pq(["-s", "[1.2.3.4]"]).stderr).toBe('postqueue: fatal: Flush service is not configured for destination "[1.2.3.4]"\n');
  });
});

test("-f sends FADI to qmgr and W to pickup; -i moves the message to incoming and sends FI", async () => {
  const i2 = makeInstance("fast_flush_domains = remote.example\n");
  try {
    writeMessages(i2.queue, [MSGS[2]!, { ...MSGS[4]!, queue: "deferred", id: "14EEE20E498" }]);
    mkdirSync(join(i2.queue, "public"), { recursive: true });
    const got: Record<string, string> = { qmgr: "", pickup: "" };
    const ls = ["qmgr", "pickup"].map((s) => listenFifoTrigger(join(i2.queue, "public", s), (b) => (got[s] += Buffer.from(b).toString())));
    try {
      const wait = async (f: () => boolean) => {
        for (let k = 0; k < 200 && !f(); k++) await Bun.sleep(5);
      };
      expect(runTool("postqueue", ["-c", i2.config, "-f"])).toEqual({ stdout: "", stderr: "", status: 0 });
      await wait(() => got.qmgr === "FADI" && got.pickup === "W");
      expect(got).toEqual({ qmgr: "FADI", pickup: "W" });
      got.qmgr = "";
      expect(runTool("postqueue", ["-c", i2.config, "-i", "2982D20E3D3"]).status).toBe(0);
      await wait(() => got.qmgr === "FI");
      expect(got.qmgr).toBe("FI");
      const layout = queueLayout(i2.queue);
      expect(existsSync(layoutPath(layout, "incoming", "2982D20E3D3"))).toBe(true);
      got.qmgr = "";
      expect(runTool("postqueue", ["-c", i2.config, "-s", "remote.example"]).status).toBe(0);
      await wait(() => got.qmgr === "FI");
      expect(existsSync(layoutPath(layout, "incoming", "14EEE20E498"))).toBe(true);
    } finally {
      for (const l of ls) l.close();
    }
  } finally {
    i2.cleanup();
  }
});

test("mailq | head -1 ends quietly (EPIPE)", () => {
  const r = Bun.spawnSync({ cmd: ["bash", "-c", `exec -a mailq "${BIN}" -c "${inst.config}" | head -1`], env: { PATH: process.env.PATH!, TZ: "UTC" } });
  expect(r.stdout.toString()).toBe("-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n");
  expect(r.stderr.toString()).toBe("");
});

const havePython = haveProgram("/usr/bin/python3", "the non-blocking pipe test needs python3 to hand mailq such a pipe");
test.skipIf(!havePython)("a reader slower than mailq on a non-blocking pipe still gets the whole listing", () => {
  // python3 gives mailq the writing end of a pipe in O_NONBLOCK mode (as a parent may leave one; Bun.spawn clears
  // the flag) and reads slowly: write(2) says EAGAIN whenever the pipe is full
  const big = makeInstance();
  try {
    const many: FixtureMessage[] = [];
    for (let i = 0; i < 1500; i++) {
      many.push({ queue: "deferred", id: (0xa0000000000 + i).toString(16).toUpperCase(), sender: `sender${i}@example.org`, rcpts: [{ address: `rcpt${i}@remote.example`, reason: REFUSED }], arrival: T0 + i });
    }
    writeMessages(big.queue, many);
    const whole = runTool("mailq", ["-c", big.config]).stdout;
    expect(whole.length).toBeGreaterThan(3 * 65536);
    const script = [
      "import fcntl, os, subprocess, sys, time",
      "r, w = os.pipe()",
      "fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)",
      "p = subprocess.Popen(sys.argv[1:], stdout=w, executable=sys.argv[1])",
      "os.close(w)",
      "time.sleep(0.3)",
      "data = b''",
      "while True:",
      "    b = os.read(r, 65536)",
      "    if not b: break",
      "    data += b",
      "    time.sleep(0.002)",
      "sys.stdout.buffer.write(data)",
      "sys.exit(p.wait())",
    ].join("\n");
    const r = Bun.spawnSync({ cmd: ["/usr/bin/python3", "-c", script, BIN, "mailq", "-c", big.config], env: { PATH: process.env.PATH!, TZ: "UTC" } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe(whole);
  } finally {
    big.cleanup();
  }
});

test("a queue large enough for the second listing thread: the one-thread listing, byte for byte, without a warning", () => {
  // 13,000 messages: more than the blocks postqueue lists before it starts its worker (parallel_listing.ts)
  const big = makeInstance();
  try {
    ensureQueueDirs(big.queue);
    for (let i = 0; i < 13000; i++) {
      const w = createQueueFile({ queueDir: big.queue, queueName: i % 2 ? "hold" : "deferred" });
      w.writeEnvelope({ sender: `s${i % 9}@example.org`, recipients: [{ address: `r${i % 4}@remote.example` }], arrivalTime: { sec: T0 + i, usec: 0 } });
      w.writeContent(`Subject: ${i}\n`);
      w.markBodyStart();
      w.writeContent(`\n${"x".repeat(i % 100)}\n`);
      w.finish({ durable: false });
    }
    const layout = queueLayout(big.queue);
    for (const mode of ["p", "j"] as const) {
      const listing = mode === "p" ? new MailqListing({ longIds: false, emptyAddress: "MAILER-DAEMON" }) : undefined;
      let want = "";
      scanQueueListing(layout, (m) => ((want += listing ? listing.entry(m) : jsonLine(m, "MAILER-DAEMON")), true), () => {});
      if (listing) want += listing.end();
      const verbose = process.geteuid?.() === 0; // postqueue -v is for the super-user, as in Postfix
      const r = pq([`-${mode}`, ...(verbose ? ["-v"] : [])], big);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(want);
      if (verbose) expect(r.stderr).toMatch(/listed 13000 messages; [1-9]\d* blocks of them on a second thread/);
      expect(r.stderr).not.toContain("warning");
    }
  } finally {
    big.cleanup();
  }
});

describe("real scripts keep working", () => {
  test("the delete-by-regexp Perl script (reads postqueue -p, pipes IDs to postsuper -d -)", () => {
    const i3 = makeInstance();
    try {
      // (a force-expired message's `#` marker defeats the script's pattern, with Postfix too: not used here)
      writeMessages(i3.queue, MSGS.map((m) => ({ ...m, forcedExpire: false })));
      const script = `
my $REGEXP = shift || die "no email-adress given (regexp-style, e.g. bl.*\\@yahoo.com)!";
my @data = qx</usr/bin/env POSTQUEUE -c CONF -p>;
my $queue_id;
foreach my $line (@data) {
  if ($line =~ /^(\\w+)(\\*|\\!)?\\s/) { $queue_id = $1; }
  if ($line =~ /$REGEXP/) { print "$queue_id\\n"; }
}`;
      const env = { PATH: `${join(i3.dir, "bin")}:${process.env.PATH}`, TZ: "UTC" };
      mkdirSync(join(i3.dir, "bin"));
      for (const t of ["postqueue", "postsuper", "mailq"]) Bun.spawnSync({ cmd: ["ln", "-s", BIN, join(i3.dir, "bin", t)] });
      const perl = script.replace("POSTQUEUE", "postqueue").replace("CONF", i3.config);
      const r = Bun.spawnSync({ cmd: ["bash", "-c", `perl -e '${perl.replace(/'/g, "'\\''")}' 'remote\\.example' | sort -u | postsuper -c ${i3.config} -d -`], env });
      expect(r.stderr.toString().split("\n").filter((l) => l !== "").sort()).toEqual([
        "postsuper: 14EEE20E497: removed",
        "postsuper: 1A2B3C4D5E6: removed",
        "postsuper: 2982D20E3D3: removed",
        "postsuper: 4399B20E499: removed",
        "postsuper: Deleted: 4 messages",
      ]);
      // the postsuper(1) man page pipeline: delete everything from MAILER-DAEMON... here: from alice
      writeMessages(i3.queue, [MSGS[4]!]);
      const awk = `mailq -c ${i3.config} | tail -n +2 | grep -v '^ *(' | awk 'BEGIN { RS = "" } { if ($7 == "alice@example.org") print $1 }' | tr -d '*!' | postsuper -c ${i3.config} -d -`;
      const r2 = Bun.spawnSync({ cmd: ["bash", "-c", awk], env });
      expect(r2.stderr.toString()).toBe("postsuper: 14EEE20E497: removed\npostsuper: Deleted: 1 message\n");
      // a monitoring check that reads the trailer
      const r3 = Bun.spawnSync({ cmd: ["bash", "-c", `mailq -c ${i3.config} | tail -1 | awk '{print $5}'`], env });
      expect(r3.stdout.toString()).toBe("1\n");
    } finally {
      i3.cleanup();
    }
  });
});

describe("side by side with Debian's postqueue", () => {
  const root = process.getuid?.() === 0;
  const have = haveProgram("/usr/sbin/postqueue", "Debian's Postfix");
  test.skipIf(!root || !have)("-p and -j print the same for the same queue contents", () => {
    const pfDir = join(inst.dir, "postfix");
    const layout = queueLayout(inst.queue);
    const sizes = new Map(MSGS.map((m) => [m.id, readQueueSummary(m.queue, m.id, layoutPath(layout, m.queue, m.id))!.messageSize]));
    const etc = writePostfixTwin(pfDir, MSGS, sizes);
    try {
      const env = { PATH: "/usr/sbin:/usr/bin:/bin", TZ: "UTC", LANG: "C" };
      const theirs = Bun.spawnSync({ cmd: ["/usr/sbin/postqueue", "-c", etc, "-p"], env });
      const ours = pq(["-p"]);
      const blocks = (s: string) => s.split("\n\n").sort();
      expect(blocks(ours.stdout)).toEqual(blocks(theirs.stdout.toString()));
      const theirsJ = Bun.spawnSync({ cmd: ["/usr/sbin/postqueue", "-c", etc, "-j"], env }).stdout.toString();
      const oursJ = pq(["-j"]).stdout.replace(/"orig_address": "[^"]*", /g, "");
      expect(oursJ.split("\n").sort()).toEqual(theirsJ.split("\n").sort());
    } finally {
      rmSync(pfDir, { recursive: true, force: true });
    }
  });
});
