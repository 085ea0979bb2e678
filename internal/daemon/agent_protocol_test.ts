import { test, expect } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { AgentClient, AgentError, serveAgent, type DeliveryRequest } from "./agent_protocol.ts";

function request(n: number): DeliveryRequest {
  return {
    queueName: "active", queueId: `Q${n}`, sender: "a@b", nexthop: "example.test", service: "local",
    recipients: [{ address: `r${n}@x`, origAddress: `r${n}@x`, offset: 100 + n, notify: 0, orcpt: "" }],
    arrival: 0, active: 0, size: 10, envid: "", ret: 0, flags: 0,
  };
}

test("AgentClient and serveAgent carry requests and replies, concurrently", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-"));
  const path = join(dir, "local");
  const server = serveAgent(path, async (req) => {
    await Bun.sleep(60);
    return { results: req.recipients.map((r) => ({ offset: r.offset, status: "sent" as const, dsn: "2.0.0", reason: `ok ${req.queueId}`, relay: "local" })) };
  });
  const client = new AgentClient(path);
  const t0 = performance.now();
  const replies = await Promise.all([1, 2, 3, 4, 5].map((n) => client.deliver(request(n))));
  expect(performance.now() - t0).toBeLessThan(250); // five 60 ms deliveries in parallel (in sequence: 300 ms)
  expect(replies.map((r) => r.results[0]!.reason)).toEqual(["ok Q1", "ok Q2", "ok Q3", "ok Q4", "ok Q5"]);
  expect((await client.deliver(request(6))).results[0]!.offset).toBe(106); // an idle connection is reused
  client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a throwing handler defers the recipients instead of killing the agent", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-"));
  const path = join(dir, "x");
  const server = serveAgent(path, async () => {
    throw new Error("boom");
  });
  const client = new AgentClient(path);
  const r = await client.deliver(request(1));
  expect(r.results).toEqual([{ offset: 101, status: "deferred", dsn: "4.3.0", reason: "delivery agent error: boom", relay: "none" }]);
  client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a missing agent or one that dies mid-request is an AgentError", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-"));
  const missing = new AgentClient(join(dir, "nobody"), 0);
  await expect(missing.deliver(request(1))).rejects.toBeInstanceOf(AgentError);
  const path = join(dir, "dies");
  const server = Bun.listen({ unix: path, socket: { data(s) { s.end(); } } });
  const client = new AgentClient(path, 0);
  await expect(client.deliver(request(2))).rejects.toBeInstanceOf(AgentError);
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

test("AgentClient waits for an agent that starts listening a moment later", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-"));
  const path = join(dir, "late");
  const client = new AgentClient(path);
  const pending = client.deliver(request(7));
  await Bun.sleep(300);
  const server = serveAgent(path, async (req) => ({ results: req.recipients.map((r) => ({ offset: r.offset, status: "sent" as const, dsn: "2.0.0", reason: "late ok", relay: "x" })) }));
  expect((await pending).results[0]!.reason).toBe("late ok");
  client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});
