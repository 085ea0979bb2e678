/**
 * DNS block lists and policy delegation end to end: the compiled smtpd under a running master, asking a real DNS
 * server (dnsmasq) through postkit_resolv_conf, and a policy server speaking Postfix's delegation protocol.
 * Listed clients and senders are refused with Postfix's reply and log text (TXT reason included); a list that
 * does not answer, or answers with an error code, fails open with a warning, and all lists of a stage are asked
 * at once, so three dead lists cost one resolver timeout, not three.
 */
import { test, expect, describe, afterAll, beforeAll } from "bun:test";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { haveProgram, makeInstance, runTool, type Instance, waitFor } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { TestSmtpClient, freePort } from "../internal/smtpd/_test_client.ts";

const HAVE_DNSMASQ = haveProgram("/usr/sbin/dnsmasq", "DNSBL tests need dnsmasq");
let inst: Instance;
let port: number;
let policyPort: number;
let dnsmasq: ReturnType<typeof Bun.spawn> | undefined;
let blackhole: UdpSocket;
let policy: Server;
const policyRequests: Record<string, string>[] = [];

function log(): string {
  const p = join(inst.dir, "log", "maillog");
  return existsSync(p) ? readFileSync(p, "utf8") : "";
}


async function session(from: string, sender: string, rcpt: string): Promise<{ rcpt: string; ms: number }> {
  const c = await TestSmtpClient.connect(port, from);
  await c.reply();
  await c.cmd("EHLO client.test");
  await c.cmd(`MAIL FROM:<${sender}>`);
  const t0 = Date.now();
  const r = await c.cmd(`RCPT TO:<${rcpt}>`);
  const ms = Date.now() - t0;
  await c.cmd("QUIT");
  c.close();
  return { rcpt: r, ms };
}

beforeAll(async () => {
  if (!HAVE_DNSMASQ) return;
  port = await freePort();
  policyPort = await freePort();
  const dnsPort = await freePort();
  // a UDP port that swallows queries: the "down" lists forward there and never get an answer
  blackhole = createSocket("udp4");
  await new Promise<void>((r) => blackhole.bind(0, "127.0.0.1", () => r()));
  const deadPort = blackhole.address().port;
  dnsmasq = Bun.spawn(
    [
      "/usr/sbin/dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1",
      `--port=${dnsPort}`, "--user=root", "--pid-file=", "--local=/bl.test/", "--local=/dbl.test/", "--local=/err.test/",
      "--host-record=2.0.0.127.bl.test,127.0.0.2", "--txt-record=2.0.0.127.bl.test,listed for testing",
      "--host-record=4.0.0.127.err.test,127.255.255.254", "--host-record=spam.test.dbl.test,127.0.0.2",
      "--host-record=9.0.0.127.bl.test,127.0.0.9",
      `--server=/down1.test/127.0.0.1#${deadPort}`, `--server=/down2.test/127.0.0.1#${deadPort}`, `--server=/down3.test/127.0.0.1#${deadPort}`,
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  // a policy server: REJECT for sender policy@example.test, DUNNO otherwise
  policy = createServer((sock) => {
    let buf = "";
    sock.on("data", (d) => {
      buf += d.toString();
      for (let end = buf.indexOf("\n\n"); end >= 0; end = buf.indexOf("\n\n")) {
        const req: Record<string, string> = {};
        for (const l of buf.slice(0, end).split("\n")) {
          const eq = l.indexOf("=");
          req[l.slice(0, eq)] = l.slice(eq + 1);
        }
        buf = buf.slice(end + 2);
        policyRequests.push(req);
        sock.write(req.sender === "policy@example.test" ? "action=REJECT policy says no\n\n" : "action=DUNNO\n\n");
      }
    });
  });
  await new Promise<void>((r) => policy.listen(policyPort, "127.0.0.1", () => r()));
  inst = makeInstance(
    [
      "compatibility_level = 3.6",
      "mynetworks = 127.0.0.1/32",
      "alias_maps =",
      "local_recipient_maps =",
      "local_transport = discard:local",
      "default_transport = discard:remote",
      "smtpd_error_sleep_time = 0",
      "postkit_resolv_conf = $config_directory/resolv.conf",
      "smtpd_client_restrictions = reject_rbl_client down1.test, reject_rbl_client down2.test, reject_rbl_client down3.test, reject_rbl_client err.test, reject_rbl_client bl.test=127.0.0.[2..8]",
      "smtpd_sender_restrictions = reject_rhsbl_sender dbl.test",
      `smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:${policyPort}, check_policy_service { inet:127.0.0.1:1, default_action=DUNNO, try_limit=1 }, permit_mynetworks, reject_unauth_destination`,
      "",
    ].join("\n"),
  );
  writeFileSync(join(inst.config, "resolv.conf"), `nameserver [127.0.0.1]:${dnsPort}\noptions timeout:1 attempts:1\n`);
  writeFileSync(join(inst.config, "master.cf"), stockMasterCf(`127.0.0.1:${port}`));
  expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
  await waitFor("smtpd", () => Bun.spawnSync(["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`]).exitCode === 0);
});

afterAll(() => {
  if (!HAVE_DNSMASQ) return;
  runTool("postfix", ["-c", inst.config, "abort"]);
  inst.cleanup();
  dnsmasq?.kill();
  blackhole.close();
  policy.close();
});

describe.skipIf(!HAVE_DNSMASQ)("DNS block lists", () => {
  test("a listed client is refused with the TXT reason, as Postfix words it; dead lists fail open, asked at once", async () => {
    const r = await session("127.0.0.2", "s@example.test", "user@host.example.test");
    expect(r.rcpt).toBe("554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using bl.test; listed for testing");
    // three lists that never answer, each with a 1 s resolver timeout, asked concurrently
    expect(r.ms).toBeLessThan(2500);
    await waitFor("the reject line", () => log().includes("NOQUEUE: reject: RCPT from unknown[127.0.0.2]: 554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using bl.test; listed for testing; from=<s@example.test> to=<user@host.example.test> proto=ESMTP helo=<client.test>"));
    for (const d of ["down1", "down2", "down3"]) {
      expect(log()).toContain(`warning: 2.0.0.127.${d}.test: RBL lookup error: Host or domain name not found. Name service error for name=2.0.0.127.${d}.test type=A: Host not found, try again`);
    }
  });

  test("an unlisted client passes; an answer outside the =pattern is not a listing", async () => {
    expect((await session("127.0.0.3", "s@example.test", "user@host.example.test")).rcpt).toBe("250 2.1.5 Ok");
    expect((await session("127.0.0.9", "s@example.test", "user@host.example.test")).rcpt).toBe("250 2.1.5 Ok");
  });

  test("an error answer (127.255.255.254) fails open with a warning that names it", async () => {
    expect((await session("127.0.0.4", "s@example.test", "user@host.example.test")).rcpt).toBe("250 2.1.5 Ok");
    await waitFor("the warning", () => log().includes("warning: 4.0.0.127.err.test: RBL lookup error: err.test answered 127.255.255.254, which is an error code, not a listing"));
  });

  test("reject_rhsbl_sender without TXT", async () => {
    const r = await session("127.0.0.5", "s@spam.test", "user@host.example.test");
    expect(r.rcpt).toBe("554 5.7.1 Service unavailable; Sender address [s@spam.test] blocked using dbl.test");
  });
});

describe.skipIf(!HAVE_DNSMASQ)("policy delegation", () => {
  test("the policy server's REJECT is applied; an unreachable one uses its default_action", async () => {
    const r = await session("127.0.0.6", "policy@example.test", "user@host.example.test");
    expect(r.rcpt).toBe("554 5.7.1 <user@host.example.test>: Recipient address rejected: policy says no");
    const ok = await session("127.0.0.6", "fine@example.test", "user@host.example.test");
    expect(ok.rcpt).toBe("250 2.1.5 Ok");
    const req = policyRequests.find((q) => q.sender === "fine@example.test")!;
    expect(req.request).toBe("smtpd_access_policy");
    expect(req.protocol_state).toBe("RCPT");
    expect(req.protocol_name).toBe("ESMTP");
    expect(req.client_address).toBe("127.0.0.6");
    expect(req.helo_name).toBe("client.test");
    expect(req.recipient).toBe("user@host.example.test");
    await waitFor("the warning", () => log().includes("warning: problem talking to server inet:127.0.0.1:1: Connection refused"));
  });
});
