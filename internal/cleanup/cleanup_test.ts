import { test, expect, beforeAll, afterAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { ensureQueueDirs, openQueueFile, queueLayout, layoutPath } from "../queue/index.ts";
import { Cleanup, CleanupError, type CleanupRequest } from "./cleanup.ts";

let dir = "";

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "cleanup-test-")));
  ensureQueueDirs(join(dir, "queue"));
  writeFileSync(join(dir, "virtual"), "group@example.test alice@example.test, bob@example.test\nloop@example.test loop@example.test, carol@example.test\n");
  writeFileSync(join(dir, "canonical"), "@old.example @new.example\nsender@example.test Sender.Name@example.test\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function clean(mainCf: string, req: Omit<Partial<CleanupRequest>, "content"> & { content: string }) {
  writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/queue\nmyhostname = host.example.test\nmydomain = example.test\nmyorigin = example.test\n${mainCf}`);
  const cfg = loadConfig({ configDir: dir, warn: false });
  const c = await Cleanup.create(cfg);
  const res = await c.process({
    sender: "alice", recipients: [{ address: "bob" }], context: "local", uid: 1000, date: new Date(Date.UTC(2026, 10, 25, 5, 26, 10)),
    ...req, content: [Buffer.from(req.content)],
  });
  using f = openQueueFile(layoutPath(queueLayout(join(dir, "queue")), "incoming", res.queueId));
  const env = f.envelope();
  const content = Buffer.concat([...f.content()].map((b) => Buffer.from(b))).toString();
  return { res, env, content };
}

test("Cleanup qualifies local addresses and adds Received, Message-Id, Date and From", async () => {
  const { res, env, content } = await clean("", { content: "Subject: hi\n\nbody\n" });
  expect(env.sender).toBe("alice@example.test");
  expect(env.recipients.map((r) => [r.address, r.origAddress])).toEqual([["bob@example.test", "bob"]]);
  const lines = content.split("\n");
  expect(lines[0]).toBe("Received: by host.example.test (Postfix, from userid 1000)");
  expect(lines[1]).toMatch(new RegExp(`^\\tid ${res.queueId}; \\w{3}, [ \\d]\\d \\w{3} 2026 \\d\\d:\\d\\d:\\d\\d [+-]\\d{4} \\(\\w+\\)$`));
  expect(lines[2]).toBe("Subject: hi");
  expect(lines[3]).toBe(`Message-Id: <20261125052610.${res.queueId}@host.example.test>`);
  expect(lines[4]).toMatch(/^Date: /);
  expect(lines[5]).toBe("From: alice@example.test");
  expect(lines.slice(6)).toEqual(["", "body", ""]);
});

test("Cleanup keeps existing headers byte for byte and drops Bcc, Return-Path and Content-Length", async () => {
  const msg = "From: Alice <alice@example.test>\nTo: Bob  <bob@example.test>,\n  carol@example.test\nBcc: secret@example.test\nReturn-Path: <x@y>\nContent-Length: 5\nMessage-Id: <m@x>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n";
  const { content } = await clean("", { content: msg, uid: undefined, context: "remote" });
  expect(content).toBe("From: Alice <alice@example.test>\nTo: Bob  <bob@example.test>,\n  carol@example.test\nMessage-Id: <m@x>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n");
});

test("Cleanup rewrites unqualified header addresses in the local context only", async () => {
  const local = await clean("", { content: "To: bob, carol@example.test\n\nx\n" });
  expect(local.content).toContain("To: bob@example.test, carol@example.test\n");
  const remote = await clean("", { content: "To: bob, carol@example.test\n\nx\n", context: "remote", uid: undefined });
  expect(remote.content).toContain("To: bob, carol@example.test\n");
});

test("Cleanup applies canonical maps to envelope and headers", async () => {
  const { env, content } = await clean(`canonical_maps = texthash:${dir}/canonical\n`, {
    sender: "sender@example.test", recipients: [{ address: "user@old.example" }], content: "From: sender@example.test\nTo: user@old.example\n\nx\n",
  });
  expect(env.sender).toBe("Sender.Name@example.test");
  expect(env.recipients[0]!.address).toBe("user@new.example");
  expect(env.recipients[0]!.origAddress).toBe("user@old.example");
  expect(content).toContain("From: Sender.Name@example.test\n");
  expect(content).toContain("To: user@new.example\n");
});

test("Cleanup expands virtual aliases recursively, keeps self-references, and removes duplicates", async () => {
  const { env } = await clean(`virtual_alias_maps = texthash:${dir}/virtual\n`, {
    recipients: [{ address: "group@example.test" }, { address: "alice@example.test" }, { address: "loop@example.test" }, { address: "Alice@example.test" }],
    content: "\nx\n",
  });
  // alice sent to directly is not a duplicate of alice through the group; Alice is one of alice
  expect(env.recipients.map((r) => r.address)).toEqual(["alice@example.test", "bob@example.test", "alice@example.test", "loop@example.test", "carol@example.test"]);
  expect(env.recipients[0]!.origAddress).toBe("group@example.test");
});

test("Cleanup refuses a message over message_size_limit and leaves no file behind", async () => {
  let err: unknown;
  try {
    await clean("message_size_limit = 100\n", { content: `Subject: big\n\n${"x".repeat(200)}\n` });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CleanupError);
  expect((err as CleanupError).dsn).toBe("5.3.4");
  expect((err as CleanupError).message).toBe("message file too big");
  const left = [...new Bun.Glob("**/*").scanSync({ cwd: join(dir, "queue", "incoming") })].filter((n) => n.includes("."));
  expect(left).toEqual([]);
});

test("Cleanup refuses too many hops and a message without recipients", async () => {
  const received = "Received: from a by b; x\n".repeat(51);
  await expect(clean("", { content: `${received}\nx\n` })).rejects.toThrow("too many hops");
  await expect(clean("", { recipients: [], content: "\nx\n" })).rejects.toThrow("no recipients specified");
});

test("a refusal carries Postfix's DSN, the queue ID and the rewritten envelope, for a caller that bounces it", async () => {
  const received = "Received: from a by b; x\n".repeat(51);
  const cases: { label: string; req: Omit<Partial<CleanupRequest>, "content"> & { content: string }; mainCf?: string; dsn: string; rcpts: string[] }[] = [
    { label: "too many hops", req: { content: `${received}\nx\n` }, dsn: "5.4.0", rcpts: ["bob@example.test"] },
    { label: "no recipients", req: { recipients: [], content: "\nx\n" }, dsn: "5.1.0", rcpts: [] },
    { label: "too big", req: { content: `Subject: s\n\n${"x".repeat(500)}\n` }, mainCf: "message_size_limit = 300\n", dsn: "5.3.4", rcpts: ["bob@example.test"] },
  ];
  for (const k of cases) {
    let queueId = "";
    const err = await clean(k.mainCf ?? "", { ...k.req, onQueueId: (id) => (queueId = id) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CleanupError);
    const e = err as CleanupError;
    expect({ label: k.label, dsn: e.dsn, temporary: e.temporary }).toEqual({ label: k.label, dsn: k.dsn, temporary: false });
    expect({ label: k.label, id: e.refused?.queueId, sender: e.refused?.sender, rcpts: e.refused?.recipients.map((r) => r.address) }).toEqual({
      label: k.label, id: queueId, sender: "alice@example.test", rcpts: k.rcpts,
    });
  }
});

/** The records of a queue file in order, as `A name=value` / `X` lines (the parts a content filter lives in). */
function attributeRecords(path: string): string[] {
  using f = openQueueFile(path);
  const out: string[] = [];
  for (const r of f.records()) {
    if (r.kind === "A" && r.name !== "create_time") out.push(`A ${r.name}=${r.value}`);
    if (r.kind === "X") out.push("X");
  }
  return out;
}

test("the service's content filter goes in the envelope, a FILTER action in the extracted section; submitted ones are dropped", async () => {
  writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/queue\nmyhostname = host.example.test\ncontent_filter = smtp:[127.0.0.1]:10025\n`);
  const cfg = loadConfig({ configDir: dir, warn: false });
  const plain = await Cleanup.create(cfg);
  const base = { sender: "a@example.test", recipients: [{ address: "b@example.test" }], context: "remote" as const };
  const forged = new Map([["content_filter", "pipe:evil"]]);
  const cases: { label: string; c: Cleanup; filter?: string; want: string[] }[] = [
    { label: "Cleanup.create(): none, even with main.cf's content_filter (bounces, forwarding)", c: plain, want: ["A rewrite_context=remote", "X"] },
    { label: "withContentFilter()", c: plain.withContentFilter(cfg.get("content_filter")), want: ["A content_filter=smtp:[127.0.0.1]:10025", "A rewrite_context=remote", "X"] },
    { label: "withContentFilter(\"\"): -o content_filter=", c: plain.withContentFilter(""), want: ["A rewrite_context=remote", "X"] },
    {
      label: "a FILTER action after the service's filter",
      c: plain.withContentFilter("smtp:[127.0.0.1]:10025"),
      filter: "lmtp:unix:/x",
      want: ["A content_filter=smtp:[127.0.0.1]:10025", "A rewrite_context=remote", "X", "A content_filter=lmtp:unix:/x"],
    },
  ];
  for (const k of cases) {
    const res = await k.c.process({ ...base, attributes: forged, ...(k.filter ? { filter: k.filter } : {}), content: [Buffer.from("Subject: f\n\nx\n")] });
    expect({ label: k.label, records: attributeRecords(res.path!) }).toEqual({ label: k.label, records: k.want });
    using f = openQueueFile(res.path!);
    expect(f.envelope().attributes.get("content_filter")).toBe(k.want.findLast((r) => r.startsWith("A content_filter="))?.slice(17));
  }
});

test("createQueueFile(): the ID exists before the message; process() fills that file, a hold still ends in hold; abort() leaves nothing", async () => {
  writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/queue\nmyhostname = host.example.test\n`);
  const c = await Cleanup.create(loadConfig({ configDir: dir, warn: false }));
  const req = { sender: "a@example.test", recipients: [{ address: "b@example.test" }], context: "remote" as const, content: [Buffer.from("Subject: o\n\nx\n")] };
  const temps = () => [...new Bun.Glob("*/*").scanSync({ cwd: join(dir, "queue") })].filter((n) => /^(incoming|hold)\/\d+\.\d+$/.test(n));
  const early = c.createQueueFile();
  expect(temps().length).toBe(1);
  const res = await c.process({ ...req, file: early });
  expect(res.queueId).toBe(early.queueId);
  expect(res.path).toBe(layoutPath(queueLayout(join(dir, "queue")), "incoming", early.queueId));
  const held = c.createQueueFile();
  const h = await c.process({ ...req, file: held, hold: true });
  expect(h.path).toBe(layoutPath(queueLayout(join(dir, "queue")), "hold", held.queueId));
  const gone = c.createQueueFile();
  gone.abort();
  const refused = c.createQueueFile();
  await expect(c.process({ ...req, recipients: [], file: refused })).rejects.toThrow("no recipients specified");
  expect(temps()).toEqual([]);
});

test("Cleanup records the arrival time it is given (smtpd's MAIL FROM time), else when it made the file", async () => {
  const mail = new Date(Date.UTC(2026, 10, 25, 5, 26, 10, 250));
  const given = await clean("", { content: "Subject: t\n\nx\n", arrival: mail });
  expect(given.env.arrivalTime).toEqual({ sec: Math.floor(mail.getTime() / 1000), usec: 250_000 });
  const before = Math.floor(Date.now() / 1000);
  const made = await clean("", { content: "Subject: t\n\nx\n" });
  expect(made.env.arrivalTime.sec).toBeGreaterThanOrEqual(before);
});

test("the hop count is Postfix's: Received headers only, our own included, refused when it reaches hopcount_limit", async () => {
  // a local submission gets our Received: by … header: with 3 of its own, 4 in all
  await expect(clean("hopcount_limit = 4\n", { content: `${"Received: from a by b; x\n".repeat(3)}\nx\n` })).rejects.toThrow("too many hops");
  const ok = await clean("hopcount_limit = 5\n", { content: `${"Received: from a by b; x\n".repeat(3)}${"Delivered-To: x@y\n".repeat(5)}\nx\n` });
  expect(ok.content.match(/^Received:/gm)?.length).toBe(4);
});

test("a recipient without a DSN ORCPT gets rfc822;ADDRESS after canonical rewriting and before virtual expansion; duplicates are (ORCPT, original, address) pairs", async () => {
  const { env } = await clean(`virtual_alias_maps = texthash:${dir}/virtual\ncanonical_maps = texthash:${dir}/canonical\n`, {
    content: "Subject: x\n\nx\n",
    recipients: [{ address: "bob" }, { address: "group@example.test" }, { address: "Bob" }, { address: "joe@old.example" }, { address: "ann@example.test", orcpt: "rfc822;Ann@Elsewhere.example" }, { address: "jürgen@example.test" }],
  });
  expect(env.recipients.map((r) => [r.address, r.orcpt])).toEqual([
    ["bob@example.test", "rfc822;bob@example.test"],
    ["alice@example.test", "rfc822;group@example.test"],
    ["bob@example.test", "rfc822;group@example.test"], // not a duplicate of the first: sent to another address
    ["joe@new.example", "rfc822;joe@new.example"],
    ["ann@example.test", "rfc822;Ann@Elsewhere.example"],
    ["jürgen@example.test", "utf-8;jürgen@example.test"],
  ]);
});

test("with enable_original_recipient = no, duplicates are the same address whatever it was sent to", async () => {
  const { env } = await clean(`virtual_alias_maps = texthash:${dir}/virtual\nenable_original_recipient = no\n`, {
    content: "Subject: x\n\nx\n",
    recipients: [{ address: "bob" }, { address: "group@example.test" }],
  });
  expect(env.recipients.map((r) => r.address)).toEqual(["bob@example.test", "alice@example.test"]);
});

test("pickup's content_filter comes before the arrival time, smtpd's after it, as Postfix writes them", async () => {
  writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/queue\nmyhostname = host.example.test\nmyorigin = example.test\n`);
  const cfg = loadConfig({ configDir: dir, warn: false });
  const kinds = async (beforeArrivalTime: boolean) => {
    const c = (await Cleanup.create(cfg)).withContentFilter("smtp:[127.0.0.1]:10025", { beforeArrivalTime });
    const res = await c.process({ sender: "a", recipients: [{ address: "b" }], context: "local", content: [Buffer.from("Subject: x\n\nx\n")] });
    using f = openQueueFile(layoutPath(queueLayout(join(dir, "queue")), "incoming", res.queueId));
    const out: string[] = [];
    for (const record of f.records()) {
      if (record.kind === "M") break;
      out.push(record.kind === "A" ? record.name : record.kind);
    }
    return out;
  };
  expect(await kinds(true)).toEqual(["C", "content_filter", "T", "create_time", "rewrite_context", "S", "R"]);
  expect(await kinds(false)).toEqual(["C", "T", "create_time", "content_filter", "rewrite_context", "S", "R"]);
});

test("an address extension that no key matched is propagated to the result (propagate_unmatched_extensions)", async () => {
  writeFileSync(join(dir, "virtual-ext"), "alice@example.test alice@internal.test\n@old.example @new.example\nteam@example.test a@x.test, b@y.test\n");
  const cf = `recipient_delimiter = +\nvirtual_alias_maps = texthash:${dir}/virtual-ext\ncanonical_maps = texthash:${dir}/canonical\n`;
  const rcpts = async (extra: string, list: string[]) =>
    (await clean(cf + extra, { content: "Subject: x\n\nx\n", recipients: list.map((address) => ({ address })) })).env.recipients.map((r) => r.address);
  expect(await rcpts("", ["alice+foo@example.test", "bob+x@old.example", "team+t@example.test"])).toEqual([
    "alice+foo@internal.test", "bob+x@new.example", "a+t@x.test", "b+t@y.test",
  ]);
  expect(await rcpts("propagate_unmatched_extensions = canonical\n", ["alice+foo@example.test", "team+t@example.test"])).toEqual(["alice@internal.test", "a@x.test", "b@y.test"]);
  // canonical: sender+tag@example.test → Sender.Name+tag@example.test
  const { env } = await clean(cf, { sender: "sender+tag@example.test", content: "Subject: x\n\nx\n" });
  expect(env.sender).toBe("Sender.Name+tag@example.test");
});

test("a rewritten address header is folded as Postfix's cleanup folds it (as Debian's Postfix wrote this one)", async () => {
  const { content } = await clean("myorigin = bench.example.test\n", {
    content: 'To: pfbench, alice, bob, carol, dave, erin, frank\nCc: "Joe Q. Public" <joe>, (comment) george\nSubject: fold\n\nx\n',
  });
  expect(content).toContain(
    "To: pfbench@bench.example.test, alice@bench.example.test,\n\tbob@bench.example.test, carol@bench.example.test,\n" +
      "\tdave@bench.example.test, erin@bench.example.test,\n\tfrank@bench.example.test\n" +
      'Cc: "Joe Q. Public" <joe@bench.example.test>,\n\tgeorge@bench.example.test (comment)\nSubject: fold\n',
  );
});

test("virtual alias expansion beyond its limits refuses the message for now: 4.6.0 Alias expansion error", async () => {
  writeFileSync(join(dir, "virtual-big"), "big@example.test a@x.test, b@x.test, c@x.test\nloop1@example.test loop2@example.test\nloop2@example.test loop3@example.test\nloop3@example.test loop4@example.test\nlong@example.test " + `${"l".repeat(60)}@x.test\n`);
  const cf = `virtual_alias_maps = texthash:${dir}/virtual-big\nvirtual_alias_expansion_limit = 2\nvirtual_alias_recursion_limit = 2\nvirtual_alias_address_length_limit = 50\n`;
  for (const rcpt of ["big@example.test", "loop1@example.test", "long@example.test"]) {
    const e = await clean(cf, { content: "Subject: x\n\nx\n", recipients: [{ address: rcpt }] }).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(CleanupError);
    expect([(e as CleanupError).dsn, (e as CleanupError).message, (e as CleanupError).temporary, (e as CleanupError).content]).toEqual(["4.6.0", "Alias expansion error", true, true]);
  }
  // within the limits it expands
  const ok = await clean(cf.replace("= 2\n", "= 10\n"), { content: "Subject: x\n\nx\n", recipients: [{ address: "big@example.test" }] });
  expect(ok.env.recipients.map((r) => r.address)).toEqual(["a@x.test", "b@x.test", "c@x.test"]);
});
