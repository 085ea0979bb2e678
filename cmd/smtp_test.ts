/**
 * The smtp and lmtp delivery agents end to end, through the compiled binary on a running instance: relaying to a
 * test SMTP server, MX routing with a test DNS server (postkit_resolv_conf), Postfix's log lines and mailq reasons,
 * the recipient limit, LMTP over a UNIX socket, and an agent killed in the middle of a delivery (the message is
 * deferred, then delivered exactly once).
 */
import { test, expect, describe, beforeAll, afterAll } from "bun:test";
import { readFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createServer } from "node:net";
import { makeInstance, runTool, type Instance } from "./_testkit.ts";
import { createQueueFile, scanQueue } from "../internal/queue/index.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { startTestSmtpServer, SILENT, type TestSmtpServer } from "../internal/smtp/_test_smtp_server.ts";
import { startTestDnsServer, type TestDnsServer } from "../internal/dns/_test_server.ts";

/** The stock services minus the SMTP server and the local/virtual agents, which these tests do not need. */
function masterCf(): string {
  return stockMasterCf("127.0.0.1:0")
    .split("\n")
    .filter((l) => !/^(127\.0\.0\.1:0|local|virtual)\s/.test(l))
    .join("\n");
}

function drop(inst: Instance, sender: string, rcpts: string[], content: string): void {
  const w = createQueueFile({ queueDir: inst.queue, queueName: "maildrop", mode: 0o744 });
  w.writeEnvelope({ sender, recipients: rcpts.map((address) => ({ address })), uid: process.getuid!(), attributes: [["rewrite_context", "local"]] });
  w.writeContent(content);
  w.finish();
  runTool("postkick", ["-c", inst.config, "public", "pickup", "W"]);
}

function log(inst: Instance): string {
  const p = join(inst.dir, "log", "maillog");
  return existsSync(p) ? readFileSync(p, "utf8") : "";
}

async function waitFor(what: string, pred: () => boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return;
    await Bun.sleep(25);
  }
  throw new Error(`timed out waiting for ${what}\n${what}`);
}

async function start(inst: Instance, agents: string[]): Promise<void> {
  expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
  await waitFor("the agents' sockets", () => agents.every((a) => existsSync(join(inst.queue, "private", a))));
}

function queued(inst: Instance, q: "deferred" | "active" | "incoming"): string[] {
  return [...scanQueue(inst.queue, q, { missingOk: true })].map((e) => e.id);
}

/** Process ids whose command name (comm) is `name` and whose parent is the instance's master. */
function agentPids(inst: Instance, name: string): number[] {
  const masterPid = Number(readFileSync(join(inst.queue, "pid", "master.pid"), "utf8").trim());
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const m = /^\d+ \((.*)\) \S (\d+)/.exec(stat);
      if (m && m[1] === name && Number(m[2]) === masterPid) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

describe("smtp through a running instance", () => {
  let inst: Instance;
  let srv: TestSmtpServer;
  let mx: TestSmtpServer;
  let dns: TestDnsServer;
  let hang = false;
  beforeAll(async () => {
    srv = await startTestSmtpServer({ host: "127.0.0.2", reply: (c) => (c === "." && hang ? SILENT : undefined) });
    mx = await startTestSmtpServer({ host: "127.0.0.4", port: srv.port });
    dns = await startTestDnsServer({ "mx.example": { MX: [[10, "mail.mx.example"]] }, "mail.mx.example": { A: ["127.0.0.4"] } });
    const closed = createServer();
    const closedPort = await new Promise<number>((r) => closed.listen(0, "127.0.0.3", () => r((closed.address() as { port: number }).port)));
    await new Promise((r) => closed.close(r));
    inst = makeInstance(
      `local_transport = discard:local\ninet_protocols = ipv4\nsmtp_tcp_port = ${srv.port}\npostkit_resolv_conf = ${join("RESOLV")}\n` +
        `transport_maps = texthash:TRANSPORT\nsmtp_destination_recipient_limit = 2\nsmtp_data_done_timeout = 60s\n`,
    );
    const conf = readFileSync(join(inst.config, "main.cf"), "utf8")
      .replace("RESOLV", join(inst.dir, "resolv.conf"))
      .replace("TRANSPORT", join(inst.config, "transport"));
    writeFileSync(join(inst.config, "main.cf"), conf);
    writeFileSync(join(inst.dir, "resolv.conf"), dns.resolvConf());
    writeFileSync(
      join(inst.config, "transport"),
      `relay.example smtp:[127.0.0.2]:${srv.port}\nclosed.example smtp:[127.0.0.3]:${closedPort}\nlmtp.example lmtp:unix:${join(inst.dir, "lmtp.sock")}\n`,
    );
    writeFileSync(join(inst.config, "master.cf"), masterCf());
    await start(inst, ["smtp", "relay", "lmtp"]);
  });
  afterAll(async () => {
    runTool("postfix", ["-c", inst.config, "abort"]);
    inst.cleanup();
    dns.close();
    await srv.close();
    await mx.close();
  });

  test("a relayed message: Postfix's log line, the content with its headers", async () => {
    drop(inst, "alice", ["bob@relay.example"], "Subject: relayed\n\nhello\n");
    await waitFor("the delivery", () => /to=<bob@relay\.example>.*status=sent/.test(log(inst)));
    expect(log(inst)).toMatch(
      new RegExp(
        `postfix/smtp\\[\\d+\\]: (\\w+): to=<bob@relay\\.example>, relay=127\\.0\\.0\\.2\\[127\\.0\\.0\\.2\\]:${srv.port}, delay=[\\d.]+, delays=[\\d.]+/[\\d.]+/[\\d.]+/[\\d.]+, dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 Ok: queued as TEST\\)`,
      ),
    );
    const m = srv.messages.find((x) => x.rcpts.includes("bob@relay.example"))!;
    expect(m.mailFrom).toBe("alice@host.example.test");
    expect(m.data).toContain("Subject: relayed\r\n");
    expect(m.data).toEndWith("\r\nhello\r\n");
  });

  test("MX routing through the test DNS server (postkit_resolv_conf)", async () => {
    drop(inst, "alice", ["carol@mx.example"], "Subject: mx\n\nx\n");
    await waitFor("the delivery", () => /to=<carol@mx\.example>.*status=sent/.test(log(inst)));
    expect(log(inst)).toMatch(new RegExp(`to=<carol@mx\\.example>, relay=mail\\.mx\\.example\\[127\\.0\\.0\\.4\\]:${srv.port}, `));
    expect(mx.messages[0]!.rcpts).toEqual(["carol@mx.example"]);
  });

  test("smtp_destination_recipient_limit splits the recipients into transactions", async () => {
    const before = srv.messages.length;
    drop(inst, "alice", ["r1@relay.example", "r2@relay.example", "r3@relay.example", "r4@relay.example", "r5@relay.example"], "Subject: many\n\nx\n");
    await waitFor("five deliveries", () => (log(inst).match(/to=<r\d@relay\.example>.*status=sent/g) ?? []).length === 5);
    const got = srv.messages.slice(before);
    expect(got.map((m) => m.rcpts.length).sort()).toEqual([1, 2, 2]);
  });

  test("connection refused: deferred, and mailq shows Postfix's reason", async () => {
    drop(inst, "alice", ["dave@closed.example"], "Subject: closed\n\nx\n");
    await waitFor("the deferral", () => /to=<dave@closed\.example>.*status=deferred/.test(log(inst)) && queued(inst, "deferred").length === 1);
    expect(log(inst)).toMatch(/postfix\/smtp\[\d+\]: connect to 127\.0\.0\.3\[127\.0\.0\.3\]:\d+: Connection refused/);
    expect(log(inst)).toMatch(/to=<dave@closed\.example>, relay=none, delay=[\d.]+, delays=[\d./]+, dsn=4\.4\.1, status=deferred \(connect to 127\.0\.0\.3\[127\.0\.0\.3\]:\d+: Connection refused\)/);
    const q = runTool("mailq", ["-c", inst.config]);
    expect(q.stdout).toMatch(/^ +\(connect to 127\.0\.0\.3\[127\.0\.0\.3\]:\d+: Connection refused\)$/m);
    expect(q.stdout).toMatch(/^ +dave@closed\.example$/m);
    runTool("postsuper", ["-c", inst.config, "-d", "ALL", "deferred"]);
  });

  test("LMTP over a UNIX socket", async () => {
    const lmtp = await startTestSmtpServer({ lmtp: true, unixPath: join(inst.dir, "lmtp.sock") });
    try {
      drop(inst, "alice", ["erin@lmtp.example"], "Subject: lmtp\n\nx\n");
      await waitFor("the delivery", () => /to=<erin@lmtp\.example>.*status=sent/.test(log(inst)));
      expect(log(inst)).toMatch(new RegExp(`postfix/lmtp\\[\\d+\\]: \\w+: to=<erin@lmtp\\.example>, relay=host\\.example\\.test\\[${join(inst.dir, "lmtp.sock").replace(/[.]/g, "\\.")}\\], .*status=sent \\(250 2\\.0\\.0 <erin@lmtp\\.example> Ok\\)`));
      expect(lmtp.commands[0]).toBe("1 LHLO host.example.test");
    } finally {
      await lmtp.close();
    }
  });

  test("an agent killed in the middle of a delivery: the message is deferred, then delivered once", async () => {
    hang = true;
    const before = srv.messages.length;
    const dots = () => srv.commands.filter((c) => c.endsWith(" .")).length;
    const dotsBefore = dots();
    drop(inst, "alice", ["frank@relay.example"], "Subject: killed\n\nx\n");
    await waitFor("the message data at the server", () => dots() > dotsBefore);
    const pids = agentPids(inst, "smtp");
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, "SIGKILL");
    await waitFor("the deferral", () => /to=<frank@relay\.example>, relay=none, .*status=deferred \(delivery temporarily suspended: /.test(log(inst)));
    await waitFor("the deferred queue", () => queued(inst, "deferred").length === 1);
    hang = false;
    await waitFor("the restarted agents", () => agentPids(inst, "smtp").length > 0 && existsSync(join(inst.queue, "private", "smtp")));
    expect(runTool("postqueue", ["-c", inst.config, "-f"]).status).toBe(0);
    await waitFor("the delivery", () => /to=<frank@relay\.example>.*status=sent/.test(log(inst)) && queued(inst, "deferred").length === 0, 20000);
    expect(srv.messages.slice(before).filter((m) => m.rcpts.includes("frank@relay.example"))).toHaveLength(1);
  });
});
