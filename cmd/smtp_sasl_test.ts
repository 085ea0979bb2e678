/**
 * SMTP AUTH end to end, through the compiled binary on a running instance: the smarthost setup of a small site
 * (relayhost = [127.0.0.1]:PORT, smtp_tls_security_level = encrypt, smtp_sasl_security_options = noanonymous, a
 * hash: password table built with the binary's postmap). A message from sendmail goes out with AUTH after STARTTLS;
 * a wrong password gives Postfix's deferral log line and mailq's reason (texts as Debian's Postfix 3.7.11 wrote them
 * against the same test server).
 */
import { test, expect, describe, beforeAll, afterAll } from "bun:test";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { appendMainCf, makeInstance, readMaillog, runTool, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { scanQueue } from "../internal/queue/index.ts";
import { startTestSmtpServer, type TestSmtpServer } from "../internal/smtp/_test_smtp_server.ts";

const TLS_DIR = resolve(import.meta.dir, "..", "testdata", "smtp");
const tls = { key: readFileSync(join(TLS_DIR, "server.key"), "utf8"), cert: readFileSync(join(TLS_DIR, "server.pem"), "utf8") };

describe("smtp with SASL authentication to a smarthost", () => {
  let inst: Instance;
  /** The smarthost: AUTH (PLAIN LOGIN CRAM-MD5) only after STARTTLS. */
  let isp: TestSmtpServer;
  /** Another server, for which the table holds a wrong password. */
  let other: TestSmtpServer;

  beforeAll(async () => {
    isp = await startTestSmtpServer({ host: "127.0.0.1", tls, auth: { users: { "user@isp.example": "se:cret" }, afterTls: true } });
    other = await startTestSmtpServer({ host: "127.0.0.1", tls, auth: { users: { "user@isp.example": "se:cret" }, afterTls: true } });
    inst = makeInstance();
    const passwd = join(inst.config, "sasl_passwd");
    writeFileSync(passwd, `# smarthost credentials\n[127.0.0.1]:${isp.port} user@isp.example:se:cret\n[127.0.0.1]:${other.port} user@isp.example:wrong\n`);
    const pm = runTool("postmap", ["-c", inst.config, `hash:${passwd}`]);
    expect(pm.stderr).toBe("");
    expect(existsSync(`${passwd}.db`)).toBe(true);
    appendMainCf(
      inst,
      [
        "inet_protocols = ipv4",
        "alias_maps =",
        "local_transport = discard:local",
        `relayhost = [127.0.0.1]:${isp.port}`,
        `transport_maps = inline:{ wrong.example=smtp:[127.0.0.1]:${other.port} }`,
        "smtp_sasl_auth_enable = yes",
        `smtp_sasl_password_maps = hash:${passwd}`,
        "smtp_sasl_security_options = noanonymous",
        "smtp_tls_security_level = encrypt",
        "",
      ].join("\n"),
    );
    writeFileSync(join(inst.config, "master.cf"), stockMasterCf(null));
    expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
    await waitFor("the smtp agent's socket", () => existsSync(join(inst.queue, "private", "smtp")));
  });

  afterAll(async () => {
    runTool("postfix", ["-c", inst.config, "abort"]);
    inst.cleanup();
    await isp.close();
    await other.close();
  });

  test("sendmail → relayhost: STARTTLS, AUTH with the table's credentials, status=sent, nothing else logged", async () => {
    const r = runTool("sendmail", ["-f", "alice@host.example.test", "bob@remote.example"], { env: { MAIL_CONFIG: inst.config }, stdin: "Subject: via the ISP\n\nhello\n" });
    expect(r.status).toBe(0);
    await waitFor("the delivery", () => /to=<bob@remote\.example>.*status=sent/.test(readMaillog(inst)));
    expect(readMaillog(inst)).toMatch(
      new RegExp(
        `postfix/smtp\\[\\d+\\]: \\w+: to=<bob@remote\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${isp.port}, delay=[\\d.]+, delays=[\\d.]+/[\\d.]+/[\\d.]+/[\\d.]+, dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 Ok: queued as TEST\\)`,
      ),
    );
    expect(readMaillog(inst)).not.toMatch(/SASL|warning/);
    const m = isp.messages[0]!;
    expect(m).toMatchObject({ mailFrom: "alice@host.example.test", rcpts: ["bob@remote.example"], tls: true });
    // Cyrus's strongest of the three offered
    expect(m.auth).toEqual({ mechanism: "CRAM-MD5", username: "user@isp.example", authzid: "" });
    expect(isp.commands.map((c) => c.split(" ")[1])).toEqual(["EHLO", "STARTTLS", "EHLO", "AUTH", expect.any(String), "MAIL", "RCPT", "DATA", ".", "QUIT"]);
  });

  test("a wrong password: deferred with Postfix's log line and mailq reason", async () => {
    runTool("sendmail", ["-f", "alice@host.example.test", "carol@wrong.example"], { env: { MAIL_CONFIG: inst.config }, stdin: "Subject: wrong password\n\nx\n" });
    const reason = "SASL authentication failed; server 127.0.0.1[127.0.0.1] said: 535 5.7.8 Error: authentication failed: authentication failure";
    await waitFor("the deferral", () => /to=<carol@wrong\.example>.*status=deferred/.test(readMaillog(inst)) && [...scanQueue(inst.queue, "deferred", { missingOk: true })].length === 1);
    expect(readMaillog(inst)).toMatch(
      new RegExp(
        `postfix/smtp\\[\\d+\\]: \\w+: to=<carol@wrong\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${other.port}, delay=[\\d.]+, delays=[\\d./]+, dsn=4\\.7\\.8, status=deferred \\(${reason.replace(/[.[\]()]/g, "\\$&")}\\)`,
      ),
    );
    expect(other.messages).toHaveLength(0);
    const q = runTool("mailq", ["-c", inst.config]);
    expect(q.stdout).toContain(`(${reason})\n`);
    expect(q.stdout).toMatch(/^ +carol@wrong\.example$/m);
  });
});
