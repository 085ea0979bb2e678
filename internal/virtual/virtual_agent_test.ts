/**
 * virtual_agent_test — virtual(8)'s decisions, in process: mailbox lookup with Postfix's key order, uid/gid
 * checks, mbox and maildir formats, and the texts of each failure.
 */
import { test, expect, describe, beforeAll, afterAll } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { createQueueFile, ensureQueueDirs, openQueueFile, queueLayout, layoutPath } from "../queue/index.ts";
import type { DeliveryRequest } from "../daemon/agent_protocol.ts";
import { AddressMaps, VirtualAgent } from "./virtual_agent.ts";
import { openMap } from "../maps/index.ts";

let dir: string;
let logLines: string[] = [];
const uid = Math.max(process.getuid!(), 1000);
const gid = Math.max(process.getgid!(), 1000);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "postkit-virtual-"));
  mkdirSync(join(dir, "etc"));
  mkdirSync(join(dir, "vmail", "b"), { recursive: true }); // mbox parents must exist, as with Postfix
  ensureQueueDirs(join(dir, "queue"));
  setMsgStderr(false);
  setMsgSink({ write: (level, text) => logLines.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
});
afterAll(() => {
  setMsgSink(undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function agent(extra: string[] = []): Promise<VirtualAgent> {
  writeFileSync(
    join(dir, "etc", "vmailbox"),
    "a@v.example a/\nb@v.example b/mbox\n@catch.example catchall/\nevil@v.example ../x/../../etc/passwd\nnoids@v.example n/\n",
  );
  writeFileSync(join(dir, "etc", "vuid"), `a@v.example ${uid}\nb@v.example ${uid}\n@catch.example ${uid}\nlow@v.example 5\nevil@v.example ${uid}\n`);
  writeFileSync(
    join(dir, "etc", "main.cf"),
    [
      `queue_directory = ${dir}/queue`, "myhostname = host.example.test", "virtual_mailbox_domains = v.example, catch.example",
      `virtual_mailbox_base = ${dir}/vmail`, `virtual_mailbox_maps = texthash:${dir}/etc/vmailbox`,
      `virtual_uid_maps = texthash:${dir}/etc/vuid`, `virtual_gid_maps = static:${gid}`, "recipient_delimiter = +",
      "virtual_minimum_uid = 100", ...extra, "",
    ].join("\n"),
  );
  return VirtualAgent.create(loadConfig({ configDir: join(dir, "etc") }), "virtual");
}

async function deliver(a: VirtualAgent, rcpts: string[], content: string, flags = 0) {
  const w = createQueueFile({ queueDir: join(dir, "queue"), queueName: "active" });
  w.writeEnvelope({ sender: "s@example.org", recipients: rcpts.map((address) => ({ address })) });
  w.writeContent(content);
  const { queueId } = w.finish();
  using f = openQueueFile(layoutPath(queueLayout(join(dir, "queue")), "active", queueId));
  const req: DeliveryRequest = {
    queueName: "active", queueId, sender: "s@example.org", nexthop: "v.example", service: "virtual",
    recipients: f.envelope().recipients.map((r) => ({ address: r.address, origAddress: r.origAddress, offset: r.offset, notify: 0, orcpt: "" })),
    arrival: Date.now(), active: Date.now(), size: 0, envid: "", ret: 0, flags,
  };
  logLines = [];
  const reply = await a.deliver(req);
  return { results: reply.results.map((x) => `${x.status} ${x.dsn} ${x.reason}`), log: logLines };
}

const MSG = "Subject: v\n\nFrom x\nbody\n";

describe("VirtualAgent", () => {
  test("a sendmail -bv probe delivers nothing: delivers to maildir / mailbox, logged deliverable", async () => {
    const a = await agent();
    const files = () => (existsSync(join(dir, "vmail")) ? readdirSync(join(dir, "vmail"), { recursive: true }).map(String).sort() : []);
    const before = files();
    const r = await deliver(a, ["a@v.example", "b@v.example", "nobody@v.example"], MSG, 512);
    expect(r.results).toEqual(["sent 2.0.0 delivers to maildir", "sent 2.0.0 delivers to mailbox", 'bounced 5.1.1 unknown user: "nobody@v.example"']);
    expect(r.log[0]).toMatch(/to=<a@v\.example>, relay=virtual, .*status=deliverable \(delivers to maildir\)$/);
    expect(r.log[2]).toMatch(/status=undeliverable \(unknown user: "nobody@v\.example"\)$/);
    expect(files()).toEqual(before);
  });

  test("maildir for a path ending in /, mbox otherwise, @domain catch-all, extension stripped for the lookup", async () => {
    const a = await agent();
    const r = await deliver(a, ["a@v.example", "B+tag@V.example", "b@v.example", "anyone@catch.example"], MSG);
    expect(r.results).toEqual(["sent 2.0.0 delivered to maildir", "sent 2.0.0 delivered to mailbox", "sent 2.0.0 delivered to mailbox", "sent 2.0.0 delivered to maildir"]);
    expect(r.log[1]).toMatch(/to=<B\+tag@V\.example>, relay=virtual, .*status=sent \(delivered to mailbox\)$/);
    const f = readdirSync(join(dir, "vmail", "a", "new"));
    expect(readFileSync(join(dir, "vmail", "a", "new", f[0]!), "utf8")).toBe(
      "Return-Path: <s@example.org>\nX-Original-To: a@v.example\nDelivered-To: a@v.example\nSubject: v\n\nFrom x\nbody\n",
    );
    const mbox = readFileSync(join(dir, "vmail", "b", "mbox"), "utf8");
    expect(mbox.match(/^From s@example\.org {2}/gm)?.length).toBe(2);
    expect(mbox).toContain("Delivered-To: B+tag@V.example\nSubject: v\n\n>From x\nbody\n\n");
    expect(readdirSync(join(dir, "vmail", "catchall", "new")).length).toBe(1);
  });

  test("failures: unknown user bounces; table and id problems defer with a warning naming the table", async () => {
    const a = await agent();
    const r = await deliver(a, ["nobody@v.example", "noids@v.example", "evil@v.example"], MSG);
    expect(r.results).toEqual([
      'bounced 5.1.1 unknown user: "nobody@v.example"',
      "deferred 4.3.5 mail system configuration error",
      "deferred 4.3.5 mail system configuration error",
    ]);
    expect(r.log).toContain("warning: recipient noids@v.example: not found in virtual_uid_maps");
    expect(r.log).toContain("warning: recipient evil@v.example: bad mailbox path ../x/../../etc/passwd in virtual_mailbox_maps");
  });

  test("a uid below virtual_minimum_uid defers", async () => {
    writeFileSync(join(dir, "etc", "vmailbox2"), "low@v.example low/\n");
    const a = await agent([`virtual_mailbox_maps = texthash:${dir}/etc/vmailbox2`]);
    const r = await deliver(a, ["low@v.example"], MSG);
    expect(r.results).toEqual(["deferred 4.3.5 mail system configuration error"]);
    expect(r.log).toContain("warning: recipient low@v.example: bad uid 5 in virtual_uid_maps");
  });

  test("a relative virtual_mailbox_base defers every recipient", async () => {
    const a = await agent(["virtual_mailbox_base = vmail"]);
    const r = await deliver(a, ["a@v.example"], MSG);
    expect(r.results).toEqual(["deferred 4.3.5 mail system configuration error"]);
    expect(r.log[0]).toBe("warning: do not specify relative pathname: virtual_mailbox_base = vmail");
  });

  test("virtual_mailbox_limit smaller than message_size_limit is a configuration error", async () => {
    await expect(agent(["virtual_mailbox_limit = 1000"])).rejects.toThrow("configuration error: virtual_mailbox_limit is smaller than message_size_limit");
  });
});

test("AddressMaps.find() searches address, address without extension, local part for local domains, @domain", async () => {
  const t = await openMap("inline:{ a@x=full, b@x=noext, c=local, @x=domain }");
  const maps = new AddressMaps("test_maps", [t], "+", { matches: (d: string) => d === "x" } as never);
  expect(maps.find("a@x")).toBe("full");
  expect(maps.find("b+y@x")).toBe("noext");
  expect(maps.find("c+z@x")).toBe("local");
  expect(maps.find("q@x")).toBe("domain");
  expect(maps.find("q@y")).toBeUndefined();
});
