/**
 * TLS client certificates end to end, through the compiled binary under a running master: smtpd asks for a
 * certificate (smtpd_tls_ask_ccert, verified with smtpd_tls_CAfile); a client whose certificate fingerprint is
 * in relay_clientcerts relays (the relayed message's Received: header names the certificate, smtpd logs a
 * `Trusted TLS connection`), a client without a certificate, or with an unlisted self-signed one, gets
 * `554 5.7.1 … Relay access denied`; a service with smtpd_tls_req_ccert ends the session of a client without a
 * certificate with `421 4.7.1 … Error: No client certificate presented`.
 */
import { test, expect, afterAll, beforeAll } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, runTool, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { TestSmtpClient, freePort } from "../internal/smtpd/_test_client.ts";
import { makeTestPki, opensslFingerprint, opensslPkeyFingerprint, type TestPki } from "../internal/smtpd/_test_certs.ts";
import { startTestSmtpServer, type TestSmtpServer } from "../internal/smtp/_test_smtp_server.ts";

let inst: Instance;
let port: number;
let reqPort: number;
let sink: TestSmtpServer;
let pki: TestPki;

function log(): string {
  const p = join(inst.dir, "log", "maillog");
  return existsSync(p) ? readFileSync(p, "utf8") : "";
}

const listening = (p: number) => Bun.spawnSync(["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${p}`]).exitCode === 0;

beforeAll(async () => {
  sink = await startTestSmtpServer({ host: "127.0.0.1" });
  port = await freePort();
  reqPort = await freePort();
  inst = makeInstance(
    [
      "compatibility_level = 3.6",
      "inet_protocols = ipv4",
      "mynetworks = 10.0.0.0/8",
      "alias_maps =",
      "local_recipient_maps =",
      "local_transport = discard:local",
      `relayhost = [127.0.0.1]:${sink.port}`,
      "smtp_connect_timeout = 5s",
      "smtpd_error_sleep_time = 0",
      "smtpd_tls_security_level = may",
      `smtpd_tls_cert_file = ${"$config_directory"}/server.pem`,
      `smtpd_tls_key_file = ${"$config_directory"}/server.key`,
      `smtpd_tls_CAfile = ${"$config_directory"}/ca.pem`,
      "smtpd_tls_ask_ccert = yes",
      "smtpd_tls_loglevel = 1",
      "smtpd_tls_received_header = yes",
      `relay_clientcerts = texthash:${"$config_directory"}/relay_clientcerts`,
      "smtpd_relay_restrictions = permit_mynetworks, permit_tls_clientcerts, reject_unauth_destination",
      "",
    ].join("\n"),
  );
  pki = makeTestPki(inst.config);
  writeFileSync(join(inst.config, "relay_clientcerts"), `${opensslFingerprint(pki.clientCert, "sha256")} client.example.test\n${opensslPkeyFingerprint(pki.caCert, "sha256")} not-a-client\n`);
  writeFileSync(
    join(inst.config, "master.cf"),
    stockMasterCf(`127.0.0.1:${port}`) +
      `127.0.0.1:${reqPort} inet n - n - - smtpd\n  -o smtpd_tls_security_level=encrypt\n  -o smtpd_tls_req_ccert=yes\n  -o syslog_name=postfix/req\n`,
  );
  expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
  await waitFor(`ports ${port} and ${reqPort}`, () => listening(port) && listening(reqPort));
});

afterAll(async () => {
  runTool("postfix", ["-c", inst.config, "abort"]);
  await sink?.close();
  if (process.env.KEEP_INSTANCE) console.log(`instance kept: ${inst.dir}`);
  else inst.cleanup();
});

/** Connects, says EHLO, STARTTLS with `cert`/`key` (none: no certificate), and EHLO again. */
async function tlsClient(p: number, cert?: string, key?: string): Promise<TestSmtpClient> {
  const c = await TestSmtpClient.connect(p);
  expect(await c.reply()).toMatch(/^220 host\.example\.test ESMTP/);
  expect(await c.cmd("EHLO client.example.test")).toContain("\n250-STARTTLS\n");
  expect(await c.cmd("STARTTLS")).toBe("220 2.0.0 Ready to start TLS");
  await c.startTls(cert ? { cert: readFileSync(cert), key: readFileSync(key!) } : {});
  return c;
}

test("a client with a listed certificate relays; the Received: header and the log line name it", async () => {
  const c = await tlsClient(port, pki.clientCert, pki.clientKey);
  expect(await c.cmd("EHLO client.example.test")).toMatch(/^250-host\.example\.test\n/);
  expect(await c.cmd("MAIL FROM:<alice@example.test>")).toBe("250 2.1.0 Ok");
  expect(await c.cmd("RCPT TO:<bob@remote.test>")).toBe("250 2.1.5 Ok");
  expect(await c.cmd("DATA")).toMatch(/^354 /);
  const id = /^250 2\.0\.0 Ok: queued as ([0-9A-F]+)$/.exec(await c.cmd("Subject: relayed\r\n\r\nhello\r\n."))![1]!;
  expect(await c.cmd("QUIT")).toBe("221 2.0.0 Bye");
  c.close();

  await waitFor("the relayed message", () => sink.messages.some((m) => m.rcpts.includes("bob@remote.test")));
  const m = sink.messages.find((x) => x.rcpts.includes("bob@remote.test"))!;
  expect(m.data).toMatch(
    new RegExp(`^Received: from client\\.example\\.test \\(localhost \\[127\\.0\\.0\\.1\\]\\)\\r\\n\\t\\(using TLSv1\\.3 with cipher \\S+ \\(\\d+/\\d+ bits\\)\\r\\n\\t [^\\r]*server-digest SHA256\\r\\n\\t client-signature RSA-PSS \\(2048 bits\\) client-digest SHA256\\)\\r\\n\\t\\(Client CN "client\\.example\\.test", Issuer "Test CA" \\(verified OK\\)\\)\\r\\n\\tby host\\.example\\.test \\(Postfix\\) with ESMTPS id ${id}\\r\\n`),
  );
  expect(log()).toMatch(/postfix\/smtpd\[\d+\]: Trusted TLS connection established from localhost\[127\.0\.0\.1\]: TLSv1\.3 with cipher \S+ \(\d+\/\d+ bits\) .* client-signature RSA-PSS \(2048 bits\) client-digest SHA256\n/);
});

test("without a certificate, or with an unlisted self-signed one, relaying is refused", async () => {
  for (const [cert, key, how] of [[undefined, undefined, "Anonymous"], [pki.selfCert, pki.selfKey, "Untrusted"]] as const) {
    const c = await tlsClient(port, cert, key);
    expect(await c.cmd("EHLO client.example.test")).toMatch(/^250-/);
    expect(await c.cmd("MAIL FROM:<alice@example.test>")).toBe("250 2.1.0 Ok");
    expect(await c.cmd("RCPT TO:<bob@remote.test>")).toBe("554 5.7.1 <bob@remote.test>: Relay access denied");
    expect(await c.cmd("QUIT")).toBe("221 2.0.0 Bye");
    c.close();
    await waitFor(`the ${how} log line`, () => new RegExp(`${how} TLS connection established from localhost\\[127\\.0\\.0\\.1\\]`).test(log()));
  }
  expect(log()).toMatch(/NOQUEUE: reject: RCPT from localhost\[127\.0\.0\.1\]: 554 5\.7\.1 <bob@remote\.test>: Relay access denied; from=<alice@example\.test> to=<bob@remote\.test> proto=ESMTP helo=<client\.example\.test>/);
});

test("smtpd_tls_req_ccert: no certificate gets 421 at the next command; a verified one goes on", async () => {
  const c = await tlsClient(reqPort);
  expect(await c.cmd("EHLO client.example.test")).toBe("421 4.7.1 host.example.test Error: No client certificate presented");
  expect(await c.waitClosed()).toBe(true);
  await waitFor("the abort log line", () => /postfix\/req\/smtpd\[\d+\]: NOQUEUE: abort: TLS from localhost\[127\.0\.0\.1\]: No client certificate presented/.test(log()));

  const u = await tlsClient(reqPort, pki.selfCert, pki.selfKey);
  expect(await u.cmd("EHLO client.example.test")).toBe("421 4.7.1 host.example.test Error: Client certificate not trusted");
  await waitFor("the untrusted log lines", () => /certificate verification failed for localhost\[127\.0\.0\.1\]: self-signed certificate\n[^]*NOQUEUE: abort: TLS from localhost\[127\.0\.0\.1\]: Client certificate not trusted/.test(log()));

  const v = await tlsClient(reqPort, pki.clientCert, pki.clientKey);
  expect(await v.cmd("EHLO client.example.test")).toMatch(/^250-host\.example\.test\n/);
  expect(await v.cmd("QUIT")).toBe("221 2.0.0 Bye");
  v.close();
});
