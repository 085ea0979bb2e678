/**
 * smtp_tls_policy_maps end to end, through the compiled binary on a running instance: relayhost =
 * [127.0.0.1]:PORT of a test server without STARTTLS, with a texthash: policy table saying `encrypt` for it (and for
 * a second server that offers STARTTLS, reached through transport_maps); smtp_tls_security_level stays at its
 * default (none). The first message is deferred with Postfix's reason in the log and in mailq; the second goes
 * over TLS, with the TLS log line.
 */
import { test, expect, describe, beforeAll, afterAll } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { appendMainCf, makeInstance, readMaillog, runTool, startMailSystem, stopMailSystem, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { scanQueue } from "../internal/queue/index.ts";
import { startTestSmtpServer, type TestSmtpServer } from "../internal/smtp/_test_smtp_server.ts";

const TLS_DIR = resolve(import.meta.dir, "..", "testdata", "smtp");
const tls = { key: readFileSync(join(TLS_DIR, "server.key"), "utf8"), cert: readFileSync(join(TLS_DIR, "server.pem"), "utf8") };

const re = (s: string) => s.replace(/[.[\]()]/g, "\\$&");

describe("smtp_tls_policy_maps through a running instance", () => {
  let inst: Instance;
  /** The relayhost: no STARTTLS. */
  let plain: TestSmtpServer;
  /** Offers STARTTLS. */
  let secure: TestSmtpServer;

  beforeAll(async () => {
    plain = await startTestSmtpServer({ host: "127.0.0.1" });
    secure = await startTestSmtpServer({ host: "127.0.0.1", tls });
    inst = makeInstance();
    const policy = join(inst.config, "tls_policy");
    writeFileSync(policy, `# per-destination TLS\n[127.0.0.1]:${plain.port} encrypt\n[127.0.0.1]:${secure.port}   encrypt, protocols=>=TLSv1.2\n`);
    appendMainCf(
      inst,
      [
        "inet_protocols = ipv4",
        "alias_maps =",
        "local_transport = discard:local",
        `relayhost = [127.0.0.1]:${plain.port}`,
        `transport_maps = inline:{ tls.example=smtp:[127.0.0.1]:${secure.port} }`,
        `smtp_tls_policy_maps = texthash:${policy}`,
        "smtp_tls_loglevel = 1",
        "",
      ].join("\n"),
    );
    await startMailSystem(inst, stockMasterCf(null), { services: ["smtp"] });
  });

  afterAll(async () => {
    stopMailSystem(inst);
    await plain.close();
    await secure.close();
  });

  test("encrypt for a relayhost without STARTTLS: deferred, Postfix's reason in the log and in mailq", async () => {
    const r = runTool("sendmail", ["-f", "alice@host.example.test", "bob@remote.example"], { env: { MAIL_CONFIG: inst.config }, stdin: "Subject: must be encrypted\n\nx\n" });
    expect(r.status).toBe(0);
    const reason = "TLS is required, but was not offered by host 127.0.0.1[127.0.0.1]";
    await waitFor("the deferral", () => /to=<bob@remote\.example>.*status=deferred/.test(readMaillog(inst)) && [...scanQueue(inst.queue, "deferred", { missingOk: true })].length === 1);
    expect(readMaillog(inst)).toMatch(
      new RegExp(
        `postfix/smtp\\[\\d+\\]: \\w+: to=<bob@remote\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${plain.port}, delay=[\\d.]+, delays=[\\d./]+, dsn=4\\.7\\.4, status=deferred \\(${re(reason)}\\)`,
      ),
    );
    expect(plain.messages).toHaveLength(0);
    expect(plain.commands.some((c) => / (MAIL|STARTTLS)/.test(c))).toBe(false);
    const q = runTool("mailq", ["-c", inst.config]);
    expect(q.stdout).toMatch(new RegExp(`^ +\\(${re(reason)}\\)$`, "m"));
    expect(q.stdout).toMatch(/^ +bob@remote\.example$/m);
  });

  test("encrypt for a server that offers STARTTLS: delivered over TLS, with the TLS log line", async () => {
    runTool("sendmail", ["-f", "alice@host.example.test", "carol@tls.example"], { env: { MAIL_CONFIG: inst.config }, stdin: "Subject: encrypted\n\nx\n" });
    await waitFor("the delivery", () => /to=<carol@tls\.example>.*status=sent/.test(readMaillog(inst)));
    const log = readMaillog(inst);
    expect(log).toMatch(new RegExp(`postfix/smtp\\[\\d+\\]: Untrusted TLS connection established to 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${secure.port}: TLSv1\\.[23] with cipher \\S+ \\(\\d+/\\d+ bits\\)`));
    expect(log).toMatch(new RegExp(`to=<carol@tls\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${secure.port}, .*dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 Ok: queued as TEST\\)`));
    expect(secure.messages.map((m) => ({ rcpts: m.rcpts, tls: m.tls }))).toEqual([{ rcpts: ["carol@tls.example"], tls: true }]);
    expect(log).not.toMatch(/warning/);
  });
});
