/**
 * The queue manager in process, with a recording deliverer: a message that records a content filter is sent to
 * the filter's transport and next hop, whatever the recipients resolve to (Postfix's qmgr_message_resolve());
 * many messages to one recipient are delivered at most <transport>_destination_concurrency_limit at a time;
 * a relocated_maps recipient bounces through the error transport with `User has moved to NEWADDR`, and a failing
 * relocated_maps defers with Postfix's `address resolver failure`.
 */
import { test, expect, beforeAll, afterAll } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync, realpathSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { createQueueFile, ensureQueueDirs, openQueueFile, queueLayout } from "../queue/index.ts";
import { Resolver } from "../resolve/resolve.ts";
import type { DeliveryRequest } from "../daemon/agent_protocol.ts";
import { QueueManager, type BouncedRecipient } from "./qmgr.ts";
import { inProcessTransport } from "./local_transports.ts";

let dir = "";

beforeAll(() => {
  setMsgStderr(false);
  dir = realpathSync(mkdtempSync(join(tmpdir(), "qmgr-test-")));
  writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/queue\nmyhostname = host.example.test\nmydestination = $myhostname\nmaillog_file =\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Queues one message with `attributes` and runs a queue manager until it is done; returns the requests made. */
async function route(overrides: string[], attributes: [string, string][]): Promise<string[]> {
  const queueDir = join(dir, "queue");
  rmSync(queueDir, { recursive: true, force: true });
  ensureQueueDirs(queueDir);
  const cfg = loadConfig({ configDir: dir, overrides, warn: false });
  const w = createQueueFile({ queueDir, queueName: "incoming" });
  w.writeEnvelope({ sender: "s@example.test", recipients: ["a@remote.example", "bob", "c@host.example.test"].map((address) => ({ address })), attributes });
  w.writeContent("Subject: x\n\nbody\n");
  w.finish({ durable: false });
  const got: string[] = [];
  const deliverer = {
    async deliver(req: DeliveryRequest) {
      got.push(`${req.service} ${req.nexthop}: ${req.recipients.map((r) => r.address).join(" ")}`);
      return { results: req.recipients.map((r) => ({ offset: r.offset, status: "sent" as const, dsn: "2.0.0", reason: "ok", relay: "test" })) };
    },
  };
  const q = new QueueManager(cfg, queueLayout(queueDir), await Resolver.create(cfg), () => ({ deliverer, processLimit: 10 }), {
    bounce: async () => true,
    delayWarning: async () => true,
    deliveryReport: async () => true,
  });
  q.start();
  const end = Date.now() + 5000;
  while ((got.length === 0 || q.activeCount() > 0) && Date.now() < end) await Bun.sleep(5);
  await q.drain();
  return got.sort();
}

test("a content filter overrides resolution: its next hop, else default_filter_nexthop, else the recipient's domain", async () => {
  const cases: { label: string; overrides: string[]; filter?: string; want: string[] }[] = [
    { label: "no filter: resolved", overrides: [], want: ["local host.example.test: c@host.example.test", "local host.example.test: bob", "smtp remote.example: a@remote.example"].sort() },
    { label: "transport:nexthop", overrides: [], filter: "smtp:[127.0.0.1]:10025", want: ["smtp [127.0.0.1]:10025: c@host.example.test a@remote.example bob"] },
    { label: "default_filter_nexthop", overrides: ["default_filter_nexthop=[10.0.0.1]:25"], filter: "scan:", want: ["scan [10.0.0.1]:25: c@host.example.test a@remote.example bob"] },
    {
      label: "the recipient's domain, $myhostname for a bare name",
      overrides: [],
      filter: "scan",
      want: ["scan host.example.test: c@host.example.test bob", "scan remote.example: a@remote.example"],
    },
  ];
  for (const k of cases) {
    const got = await route(["smtp_destination_recipient_limit=10", "scan_destination_recipient_limit=10", "local_destination_recipient_limit=1", ...k.overrides], k.filter ? [["content_filter", k.filter]] : []);
    expect({ label: k.label, got }).toEqual({ label: k.label, got: k.want });
  }
});

test("deliveries to one recipient never exceed its concurrency limit; every message is delivered and removed", async () => {
  const queueDir = join(dir, "queue");
  rmSync(queueDir, { recursive: true, force: true });
  ensureQueueDirs(queueDir);
  const cfg = loadConfig({ configDir: dir, overrides: ["local_destination_concurrency_limit=2", "local_destination_recipient_limit=1"], warn: false });
  const N = 40;
  for (let i = 0; i < N; i++) {
    const w = createQueueFile({ queueDir, queueName: "incoming" });
    w.writeEnvelope({ sender: "s@example.test", recipients: [{ address: i % 4 === 0 ? "other@host.example.test" : "bob@host.example.test" }], attributes: [] });
    w.writeContent(`Subject: ${i}\n\nbody\n`);
    w.finish({ durable: false });
  }
  const inFlight = new Map<string, number>();
  const most = new Map<string, number>();
  let done = 0;
  const deliverer = {
    async deliver(req: DeliveryRequest) {
      const who = req.recipients[0]!.address;
      const n = (inFlight.get(who) ?? 0) + 1;
      inFlight.set(who, n);
      most.set(who, Math.max(most.get(who) ?? 0, n));
      await Bun.sleep(5);
      inFlight.set(who, inFlight.get(who)! - 1);
      done++;
      return { results: req.recipients.map((r) => ({ offset: r.offset, status: "sent" as const, dsn: "2.0.0", reason: "ok", relay: "test" })) };
    },
  };
  const q = new QueueManager(cfg, queueLayout(queueDir), await Resolver.create(cfg), () => ({ deliverer, processLimit: 10 }), {
    bounce: async () => true,
    delayWarning: async () => true,
    deliveryReport: async () => true,
  });
  q.start();
  const end = Date.now() + 10000;
  while ((done < N || q.activeCount() > 0) && Date.now() < end) await Bun.sleep(5);
  await q.drain();
  expect({ done, most: Object.fromEntries(most) }).toEqual({ done: N, most: { "bob@host.example.test": 2, "other@host.example.test": 2 } });
  expect(readdirSync(join(queueDir, "active"))).toEqual([]);
  expect(readdirSync(join(queueDir, "incoming"))).toEqual([]);
});

/** Queues one message to `rcpts`, runs a queue manager with the real error transport; returns what happened. */
async function relocated(relocatedMaps: string, rcpts: string[]) {
  const queueDir = join(dir, "queue");
  rmSync(queueDir, { recursive: true, force: true });
  ensureQueueDirs(queueDir);
  const cfg = loadConfig({ configDir: dir, overrides: [`relocated_maps = ${relocatedMaps}`, "recipient_delimiter = +"], warn: false });
  const w = createQueueFile({ queueDir, queueName: "incoming" });
  w.writeEnvelope({ sender: "s@example.test", recipients: rcpts.map((address) => ({ address })), attributes: [] });
  w.writeContent("Subject: x\n\nbody\n");
  w.finish({ durable: false });
  const delivered: string[] = [];
  const bounced: BouncedRecipient[] = [];
  const log: string[] = [];
  setMsgSink({ write: (level, text) => log.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
  const other = {
    async deliver(req: DeliveryRequest) {
      delivered.push(...req.recipients.map((r) => r.address));
      return { results: req.recipients.map((r) => ({ offset: r.offset, status: "sent" as const, dsn: "2.0.0", reason: "ok", relay: "test" })) };
    },
  };
  const error = inProcessTransport("error", "error")!;
  const q = new QueueManager(cfg, queueLayout(queueDir), await Resolver.create(cfg), (name) => ({ deliverer: name === "error" ? error : other, processLimit: 10 }), {
    bounce: async (_m, b) => {
      bounced.push(...b);
      return true;
    },
    delayWarning: async () => true,
    deliveryReport: async () => true,
  });
  q.start();
  const end = Date.now() + 5000;
  while (!log.some((l) => / removed$/.test(l) || /status=deferred/.test(l)) && Date.now() < end) await Bun.sleep(5);
  await q.drain();
  setMsgSink(undefined);
  return { delivered, bounced, log, deferred: readdirSync(join(queueDir, "deferred")).length };
}

test("a relocated recipient bounces through the error transport: dsn 5.1.6, `User has moved to NEWADDR`", async () => {
  const r = await relocated("inline:{ bob=bob@new.example }", ["bob+x@host.example.test", "ann@host.example.test"]);
  expect(r.delivered).toEqual(["ann@host.example.test"]);
  expect(r.bounced.map((b) => [b.recipient.address, b.dsn, b.reason])).toEqual([["bob+x@host.example.test", "5.1.6", "User has moved to bob@new.example"]]);
  expect(r.log.some((l) => /: to=<bob\+x@host\.example\.test>, relay=none, delay=[\d.]+, delays=[\d./]+, dsn=5\.1\.6, status=bounced \(User has moved to bob@new\.example\)$/.test(l))).toBe(true);
});

test("a relocated_maps lookup failure defers the recipient: dsn 4.3.0, `address resolver failure`", async () => {
  const r = await relocated("fail:reloc", ["bob@host.example.test"]);
  expect(r.delivered).toEqual([]);
  expect(r.bounced).toEqual([]);
  expect(r.deferred).toBe(1);
  expect(r.log).toContain("warning: relocated_maps lookup failure");
  expect(r.log.some((l) => /: to=<bob@host\.example\.test>, relay=none, delay=[\d.]+, delays=[\d./]+, dsn=4\.3\.0, status=deferred \(address resolver failure\)$/.test(l))).toBe(true);
});

/** Queues one message to `rcpts` (DSN `notify` for each) with `traceFlags`; returns its path. */
function queueOne(queueDir: string, rcpts: string[], notify: number, traceFlags = 0): string {
  rmSync(queueDir, { recursive: true, force: true });
  ensureQueueDirs(queueDir);
  const w = createQueueFile({ queueDir, queueName: "incoming" });
  w.writeEnvelope({ sender: "s@example.test", recipients: rcpts.map((address) => ({ address, notify })), attributes: traceFlags ? [["trace_flags", String(traceFlags)]] : [] });
  w.writeContent("Subject: x\n\nbody\n");
  return w.finish({ durable: false }).path;
}

/** Runs the queue manager over the queue with `deliver` until `until()` holds; returns the reports it asked for. */
async function reportsOf(queueDir: string, deliver: (req: DeliveryRequest) => unknown[], until: (log: string[], reports: unknown[]) => boolean, overrides: string[] = []) {
  const cfg = loadConfig({ configDir: dir, overrides, warn: false });
  const reports: { rcpts: string[]; report: boolean }[] = [];
  const log: string[] = [];
  setMsgSink({ write: (level, text) => log.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
  const deliverer = { deliver: async (req: DeliveryRequest) => ({ results: deliver(req) }) } as never;
  const q = new QueueManager(cfg, queueLayout(queueDir), await Resolver.create(cfg), () => ({ deliverer, processLimit: 10 }), {
    bounce: async () => true,
    delayWarning: async () => true,
    deliveryReport: async (_m, rcpts: BouncedRecipient[], report) => {
      reports.push({ rcpts: rcpts.map((b) => `${b.recipient.address} ${b.action} ${b.reason}`), report });
      return true;
    },
  });
  q.start();
  const end = Date.now() + 5000;
  while (!until(log, reports) && Date.now() < end) await Bun.sleep(5);
  await q.drain();
  setMsgSink(undefined);
  return { reports, log };
}

test("success reports are per delivery pass, as Postfix flushes its trace logfile: an earlier pass's delivery is not reported again", async () => {
  const queueDir = join(dir, "queue");
  const SUCCESS = 2;
  const path = queueOne(queueDir, ["a@remote.example", "bob", "c@host.example.test"], SUCCESS);
  // an earlier pass relayed a@remote.example (to a server without DSN) and reported it then
  {
    using f = openQueueFile(path, { write: true });
    const first = f.envelope().recipients[0]!;
    f.appendRecipientStatus({ recipient: first, status: "delivered", dsn: "2.0.0", reason: "250 2.0.0 Ok: queued as X1", action: "relayed" });
  }
  // bob's next hop announced DSN (it reports success itself); c is delivered here
  const { reports } = await reportsOf(
    queueDir,
    (req) => req.recipients.map((r) => ({ offset: r.offset, status: "sent", dsn: "2.0.0", reason: "delivered to mailbox", relay: "local", ...(r.address === "bob" ? { notifyPassed: true } : {}) })),
    (log) => log.some((l) => / removed$/.test(l)),
  );
  expect(reports).toEqual([{ rcpts: ["c@host.example.test delivered delivered to mailbox"], report: false }]);
});

test("sendmail -v: the first pass reports every recipient, a deferred one as delayed; the trace flags are then cleared, so a later pass reports nothing", async () => {
  const queueDir = join(dir, "queue");
  const path = queueOne(queueDir, ["a@host.example.test", "b@host.example.test"], 0, 1024);
  const tried: string[] = [];
  const first = await reportsOf(
    queueDir,
    (req) => {
      tried.push(...req.recipients.map((r) => r.address));
      return req.recipients.map((r) =>
        r.address.startsWith("a") ? { offset: r.offset, status: "sent", dsn: "2.0.0", reason: "delivered to mailbox", relay: "local" } : { offset: r.offset, status: "deferred", dsn: "4.4.1", reason: "connect to x[192.0.2.1]:25: Connection refused", relay: "none" },
      );
    },
    () => readdirSync(join(queueDir, "deferred"), { recursive: true }).some((n) => String(n).includes("/")),
  );
  expect(first.reports).toEqual([{ rcpts: ["a@host.example.test delivered delivered to mailbox", "b@host.example.test delayed connect to x[192.0.2.1]:25: Connection refused"], report: true }]);
  const deferredPath = join(queueDir, "deferred", path.split("/").pop()!.slice(0, 1), path.split("/").pop()!);
  {
    using f = openQueueFile(deferredPath);
    expect(f.envelope().attributes.get("trace_flags")).toBe("0");
  }
  // the next pass (the message made due again) delivers b and reports nothing
  utimesSync(deferredPath, new Date(0), new Date(0));
  const later: string[] = [];
  const second = await reportsOf(
    queueDir,
    (req) => {
      later.push(...req.recipients.map((r) => r.address));
      return req.recipients.map((r) => ({ offset: r.offset, status: "sent", dsn: "2.0.0", reason: "delivered to mailbox", relay: "local" }));
    },
    (log) => log.some((l) => / removed$/.test(l)),
  );
  expect(tried.sort()).toEqual(["a@host.example.test", "b@host.example.test"]);
  expect(later).toEqual(["b@host.example.test"]);
  expect(second.log.some((l) => / removed$/.test(l))).toBe(true);
  expect(second.reports).toEqual([]);
});

test("a deferred message whose retry time is less than a second away is taken at the scan, as Postfix's qmgr does", async () => {
  const queueDir = join(dir, "queue");
  rmSync(queueDir, { recursive: true, force: true });
  ensureQueueDirs(queueDir);
  const w = createQueueFile({ queueDir, queueName: "deferred" });
  w.writeEnvelope({ sender: "s@example.test", recipients: [{ address: "soon@host.example.test" }] });
  w.writeContent("Subject: x\n\nbody\n");
  const soon = w.finish({ durable: false }).path;
  const later = createQueueFile({ queueDir, queueName: "deferred" });
  later.writeEnvelope({ sender: "s@example.test", recipients: [{ address: "later@host.example.test" }] });
  later.writeContent("Subject: x\n\nbody\n");
  const notYet = later.finish({ durable: false }).path;
  const t = Date.now() / 1000;
  utimesSync(soon, t + 0.6, t + 0.6);
  utimesSync(notYet, t + 3, t + 3);
  const tried: string[] = [];
  await reportsOf(
    queueDir,
    (req) => {
      tried.push(...req.recipients.map((r) => r.address));
      return req.recipients.map((r) => ({ offset: r.offset, status: "sent", dsn: "2.0.0", reason: "ok", relay: "local" }));
    },
    (log) => log.some((l) => / removed$/.test(l)),
  );
  expect(tried).toEqual(["soon@host.example.test"]);
});

test("the delay warning goes out at the first pass that ends at most a second before delay_warning_time, as Postfix's", async () => {
  const queueDir = join(dir, "queue");
  rmSync(queueDir, { recursive: true, force: true });
  ensureQueueDirs(queueDir);
  const cfg = loadConfig({ configDir: dir, overrides: ["delay_warning_time = 1h"], warn: false });
  const w = createQueueFile({ queueDir, queueName: "incoming" });
  // arrived 3599.5 s ago: the warning is due in half a second
  const sec = Math.floor(Date.now() / 1000 - 3599.5);
  w.writeEnvelope({ sender: "s@example.test", recipients: [{ address: "slow@host.example.test" }], arrivalTime: { sec, usec: 0 }, createTime: sec });
  w.writeContent("Subject: x\n\nbody\n");
  w.finish({ durable: false });
  const warned: string[] = [];
  const deliverer = { deliver: async (req: DeliveryRequest) => ({ results: req.recipients.map((r) => ({ offset: r.offset, status: "deferred" as const, dsn: "4.4.1", reason: "not now", relay: "none" })) }) };
  const q = new QueueManager(cfg, queueLayout(queueDir), await Resolver.create(cfg), () => ({ deliverer, processLimit: 10 }), {
    bounce: async () => true,
    delayWarning: async (_m, rcpts: BouncedRecipient[]) => {
      warned.push(...rcpts.map((b) => b.recipient.address));
      return true;
    },
    deliveryReport: async () => true,
  });
  q.start();
  const end = Date.now() + 3000;
  while (readdirSync(join(queueDir, "deferred"), { recursive: true }).every((n) => !String(n).includes("/")) && Date.now() < end) await Bun.sleep(5);
  await q.drain();
  expect(warned).toEqual(["slow@host.example.test"]);
});

test("a destination that fails as a whole is declared dead: its next recipients are deferred at once, delivery temporarily suspended, until postqueue -f", async () => {
  const queueDir = join(dir, "queue");
  rmSync(queueDir, { recursive: true, force: true });
  ensureQueueDirs(queueDir);
  const cfg = loadConfig({ configDir: dir, overrides: ["default_transport = smtp", "smtp_destination_concurrency_limit = 1"], warn: false });
  for (let i = 0; i < 5; i++) {
    const w = createQueueFile({ queueDir, queueName: "incoming" });
    w.writeEnvelope({ sender: "s@example.test", recipients: [{ address: `r${i}@dead.example` }] });
    w.writeContent("Subject: x\n\nbody\n");
    w.finish({ durable: false });
  }
  const tried: string[] = [];
  const WHY = "connect to mx.dead.example[192.0.2.1]:25: Connection refused";
  const deliverer = {
    async deliver(req: DeliveryRequest) {
      tried.push(...req.recipients.map((r) => r.address));
      return { results: req.recipients.map((r) => ({ offset: r.offset, status: "deferred" as const, dsn: "4.4.1", reason: WHY, relay: "none" })), siteFailure: { dsn: "4.4.1", reason: WHY } };
    },
  };
  const log: string[] = [];
  setMsgSink({ write: (level, text) => log.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
  const q = new QueueManager(cfg, queueLayout(queueDir), await Resolver.create(cfg), () => ({ deliverer, processLimit: 10 }), {
    bounce: async () => true,
    delayWarning: async () => true,
    deliveryReport: async () => true,
  });
  q.start();
  const deferredCount = () => readdirSync(join(queueDir, "deferred"), { recursive: true }).filter((n) => String(n).includes("/")).length;
  let end = Date.now() + 5000;
  while (deferredCount() < 5 && Date.now() < end) await Bun.sleep(5);
  // three site failures kill the destination (Postfix's defaults); the other two are not tried
  expect(tried).toHaveLength(3);
  const suspended = log.filter((l) => l.includes("status=deferred (delivery temporarily suspended: connect to mx.dead.example[192.0.2.1]:25: Connection refused)"));
  expect(suspended).toHaveLength(2);
  expect(suspended.every((l) => /: to=<r\d@dead\.example>, relay=none, delay=[\d.]+, delays=[\d./]+, dsn=4\.4\.1, status=deferred/.test(l))).toBe(true);
  // postqueue -f: forget dead destinations, ignore the retry times
  q.onTrigger(Buffer.from("FADI"));
  end = Date.now() + 5000;
  while (tried.length < 4 && Date.now() < end) await Bun.sleep(5);
  await q.drain();
  setMsgSink(undefined);
  expect(tried.length).toBeGreaterThanOrEqual(4);
});

test("recipients go out in Postfix's order: by transport and next hop, then domain (case-insensitive), then address", async () => {
  const queueDir = join(dir, "queue");
  queueOne(queueDir, ["zed@b.example", "amy@c.example", "bob@b.example", "Al@B.example"], 0);
  const requests: string[][] = [];
  await reportsOf(
    queueDir,
    (req) => {
      requests.push(req.recipients.map((r) => r.address));
      return req.recipients.map((r) => ({ offset: r.offset, status: "sent", dsn: "2.0.0", reason: "ok", relay: "test" }));
    },
    (log) => log.some((l) => / removed$/.test(l)),
    ["default_transport = smtp"],
  );
  expect(requests).toEqual([["Al@B.example", "bob@b.example", "zed@b.example"], ["amy@c.example"]]);
});
