/**
 * The fingerprint TLS security level end to end, through the compiled binary on a running instance: two test
 * servers offer STARTTLS with the same self-signed certificate (no smtp_tls_CAfile). The relayhost
 * [127.0.0.1]:PORT has the policy entry `fingerprint match=<its sha256 fingerprint>` and gets the mail, logged as
 * Verified; the other (reached through transport_maps) has a policy entry with a fingerprint that does not match,
 * and the mail for it is deferred with 4.7.5 Server certificate not verified.
 */
import { test, expect, describe, beforeAll, afterAll } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { X509Certificate } from "node:crypto";
import { appendMainCf, makeInstance, readMaillog, runTool, startMailSystem, stopMailSystem, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { startTestSmtpServer, type TestSmtpServer } from "../internal/smtp/_test_smtp_server.ts";
import { certFingerprint } from "../internal/smtp/tls_client.ts";

const TLS_DIR = resolve(import.meta.dir, "..", "testdata", "smtp");
const tls = { key: readFileSync(join(TLS_DIR, "server.key"), "utf8"), cert: readFileSync(join(TLS_DIR, "server.pem"), "utf8") };
const FP = certFingerprint(new X509Certificate(tls.cert).raw, "sha256");

describe("smtp_tls_policy_maps fingerprint entries through a running instance", () => {
  let inst: Instance;
  let good: TestSmtpServer;
  let other: TestSmtpServer;

  beforeAll(async () => {
    good = await startTestSmtpServer({ host: "127.0.0.1", tls });
    other = await startTestSmtpServer({ host: "127.0.0.1", tls });
    inst = makeInstance();
    const policy = join(inst.config, "tls_policy");
    writeFileSync(policy, `[127.0.0.1]:${good.port} fingerprint match=${FP}\n[127.0.0.1]:${other.port} fingerprint match=${"00:".repeat(31)}00\n`);
    appendMainCf(
      inst,
      [
        "inet_protocols = ipv4",
        "alias_maps =",
        "local_transport = discard:local",
        `relayhost = [127.0.0.1]:${good.port}`,
        `transport_maps = inline:{ other.example=smtp:[127.0.0.1]:${other.port} }`,
        `smtp_tls_policy_maps = texthash:${policy}`,
        "smtp_tls_fingerprint_digest = sha256",
        "smtp_tls_loglevel = 1",
        "",
      ].join("\n"),
    );
    await startMailSystem(inst, stockMasterCf(null), { services: ["smtp"] });
  });

  afterAll(async () => {
    stopMailSystem(inst);
    await good.close();
    await other.close();
  });

  test("a matching certificate fingerprint: delivered over TLS, logged as Verified", async () => {
    const r = runTool("sendmail", ["-f", "alice@host.example.test", "bob@remote.example"], { env: { MAIL_CONFIG: inst.config }, stdin: "Subject: pinned\n\nx\n" });
    expect(r.status).toBe(0);
    await waitFor("the delivery", () => /to=<bob@remote\.example>.*status=sent/.test(readMaillog(inst)));
    const log = readMaillog(inst);
    expect(log).toMatch(new RegExp(`postfix/smtp\\[\\d+\\]: Verified TLS connection established to 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${good.port}: TLSv1\\.[23] with cipher \\S+ \\(\\d+/\\d+ bits\\)`));
    expect(good.messages.map((m) => ({ rcpts: m.rcpts, tls: m.tls }))).toEqual([{ rcpts: ["bob@remote.example"], tls: true }]);
    expect(log).not.toMatch(/warning/);
  });

  test("no matching fingerprint: deferred 4.7.5 Server certificate not verified", async () => {
    runTool("sendmail", ["-f", "alice@host.example.test", "carol@other.example"], { env: { MAIL_CONFIG: inst.config }, stdin: "Subject: wrong pin\n\nx\n" });
    await waitFor("the deferral", () => /to=<carol@other\.example>.*status=deferred/.test(readMaillog(inst)));
    const log = readMaillog(inst);
    expect(log).toContain(`server certificate verification failed for 127.0.0.1[127.0.0.1]:${other.port}: num=65:no matching DANE TLSA records`);
    expect(log).toMatch(new RegExp(`to=<carol@other\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${other.port}, .*dsn=4\\.7\\.5, status=deferred \\(Server certificate not verified\\)`));
    expect(other.messages).toHaveLength(0);
  });
});
