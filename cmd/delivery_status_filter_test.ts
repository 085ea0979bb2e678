/**
 * smtp_delivery_status_filter end to end, through the compiled binary: the relay rejects one recipient with
 * 550 5.1.1 User unknown, which the filter turns into a 4.1.1 deferral; a rule that would turn a 5.7.1 rejection
 * into a success is refused with Postfix's warning and the bounce stays; the success of the third recipient gets
 * a new text. The log lines show the filtered status, as Postfix's smtp logs them.
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, runTool, readMaillog, startMailSystem, stopMailSystem, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { startTestSmtpServer, type TestSmtpServer } from "../internal/smtp/_test_smtp_server.ts";

setDefaultTimeout(30000);

let inst: Instance;
let relay: TestSmtpServer;
const log = () => readMaillog(inst);

beforeAll(async () => {
  relay = await startTestSmtpServer({
    host: "127.0.0.1",
    reply: (cmd) => {
      if (/^RCPT TO:<nobody@/i.test(cmd)) return "550 5.1.1 <nobody@remote.example>: Recipient address rejected: User unknown";
      if (/^RCPT TO:<blocked@/i.test(cmd)) return "550 5.7.1 <blocked@remote.example>: Relay access denied";
      return undefined;
    },
  });
  inst = makeInstance(
    [
      "inet_protocols = ipv4",
      "myhostname = box.localdomain",
      "mydomain = localdomain",
      `relayhost = [127.0.0.1]:${relay.port}`,
      "smtp_delivery_status_filter = regexp:$config_directory/dsn_filter",
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(inst.config, "dsn_filter"),
    [
      "/^5\\.1\\.1 (.*User unknown.*)/ 4.1.1 $1",
      "/^5\\.7\\.1 / 2.0.0 not allowed to become a success",
      "/^2\\.0\\.0 (.*)/ 2.0.0 relayed: $1",
      "",
    ].join("\n"),
  );
  await startMailSystem(inst, stockMasterCf(null), { services: ["smtp"] });
});

afterAll(async () => {
  stopMailSystem(inst);
  await relay.close();
});

test("smtp_delivery_status_filter rewrites what the smtp client logs and reports", async () => {
  const r = runTool("sendmail", ["-f", "alice", "nobody@remote.example", "blocked@remote.example", "friend@remote.example"], {
    env: { MAIL_CONFIG: inst.config },
    stdin: "From: alice\nSubject: hello\n\nhi\n",
  });
  expect(r.status).toBe(0);
  await waitFor("three delivery lines", () => (log().match(/: to=</g) ?? []).length >= 3);
  const id = /(\w+): from=<alice@box\.localdomain>/.exec(log())![1]!;
  const relayName = `127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${relay.port}`;
  expect(log()).toMatch(new RegExp(
    `postfix/smtp\\[\\d+\\]: ${id}: to=<nobody@remote\\.example>, relay=${relayName}, .*dsn=4\\.1\\.1, status=deferred ` +
      `\\(host 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\] said: 550 5\\.1\\.1 <nobody@remote\\.example>: Recipient address rejected: User unknown \\(in reply to RCPT TO command\\)\\)`,
  ));
  expect(log()).toMatch(/postfix\/smtp\[\d+\]: warning: smtp_delivery_status_filter: bad status code: 2\.0\.0 not allowed to become a success/);
  expect(log()).toMatch(new RegExp(`${id}: to=<blocked@remote\\.example>, relay=${relayName}, .*dsn=5\\.7\\.1, status=bounced \\(host .* said: 550 5\\.7\\.1 `));
  expect(log()).toMatch(new RegExp(`${id}: to=<friend@remote\\.example>, relay=${relayName}, .*dsn=2\\.0\\.0, status=sent \\(relayed: 250 `));
  // the queue manager records the filtered result: the message stays queued for nobody@ with the 4.1.1 text
  await waitFor("mailq shows the deferral", () => /User unknown/.test(runTool("mailq", ["-c", inst.config]).stdout));
  const q = runTool("mailq", ["-c", inst.config]).stdout;
  expect(q).toContain("nobody@remote.example");
  expect(q).not.toContain("friend@remote.example");
});
