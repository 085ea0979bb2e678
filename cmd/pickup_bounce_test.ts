/**
 * Refused local submissions bounce, end to end through the compiled binary: a message that sendmail accepts but
 * cleanup refuses when pickup hands it over (pickup's Received: header takes it past message_size_limit, too
 * many Received: headers, a maildrop file without recipients) is logged as bounced under the queue ID cleanup
 * gave it and comes back to the sender's mailbox as a non-delivery notice, as Postfix's cleanup does for mail
 * from pickup; the null sender gets nothing; a notice that cannot be queued keeps the maildrop file until a
 * later scan can take the message.
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, runTool, readMaillog, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { createQueueFile } from "../internal/queue/index.ts";
import { getpwuid } from "../internal/sys/passwd.ts";

const me = getpwuid(process.getuid!())?.name ?? "root";
const LIMIT = 4000;
// a running mail system: more than bun's default 5 s per test on a busy machine
setDefaultTimeout(30000);

let inst: Instance;

const log = () => readMaillog(inst);
const mailbox = () => (existsSync(join(inst.dir, "mail", me)) ? readFileSync(join(inst.dir, "mail", me), "latin1") : "");
const maildrop = () => readdirSync(join(inst.queue, "maildrop"));

function sendmail(args: string[], content: string): void {
  const r = runTool("sendmail", args, { env: { MAIL_CONFIG: inst.config }, stdin: content });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
}

/** The notice in the sender's mailbox that reports on queue ID `id`. */
async function notice(id: string): Promise<string> {
  await waitFor(`the notice about ${id}`, () => mailbox().includes(`X-Postfix-Queue-ID: ${id}\n`), 15000);
  return mailbox()
    .split(/^From MAILER-DAEMON /m)
    .find((m) => m.includes(`X-Postfix-Queue-ID: ${id}\n`))!;
}

/** The queue IDs pickup gave the messages from `sender`. */
function pickedUp(sender: string): string[] {
  return [...log().matchAll(new RegExp(`(\\w+): uid=\\d+ from=<${sender.replace(/[.+]/g, "\\$&")}>`, "g"))].map((m) => m[1]!);
}

beforeAll(async () => {
  inst = makeInstance();
  writeFileSync(
    join(inst.config, "main.cf"),
    `${readFileSync(join(inst.config, "main.cf"), "utf8")}message_size_limit = ${LIMIT}\nhopcount_limit = 5\nbiff = no\n` +
      "alias_maps =\nrecipient_delimiter = +\n",
  );
  writeFileSync(join(inst.config, "master.cf"), stockMasterCf(null));
  expect(runTool("postfix", ["-c", inst.config, "start"]).status).toBe(0);
  await waitFor("the local agent", () => existsSync(join(inst.queue, "private", "local")));
});

afterAll(() => {
  runTool("postfix", ["-c", inst.config, "abort"]);
  inst.cleanup();
});

test("a message that pickup's Received: header takes past message_size_limit is bounced with its headers", async () => {
  const body = `${"x".repeat(70)}\n`.repeat(Math.floor((LIMIT - 60) / 71));
  const content = `Subject: too big\nFrom: ${me}\n\n${body}`;
  expect(content.length).toBeLessThan(LIMIT); // sendmail takes it
  sendmail(["-f", me, "bob"], content);
  await waitFor("the bounce", () => /status=bounced \(message file too big\)/.test(log()));
  const [id] = pickedUp(me);
  await waitFor("the notice", () => log().includes(`${id}: sender non-delivery notification: `));
  const lines = log().split("\n").filter((l) => l.includes(`${id}: `));
  // Postfix's cleanup: the pickup line, the message-id, the size warning, one bounced line per recipient, the notice
  expect(lines[0]).toMatch(new RegExp(`postfix/\\w+\\[\\d+\\]: ${id}: uid=\\d+ from=<${me}>$`));
  expect(lines[1]).toMatch(new RegExp(`: ${id}: message-id=<\\d+\\.${id}@host\\.example\\.test>$`));
  expect(lines[2]).toMatch(new RegExp(`: warning: ${id}: queue file size limit exceeded$`));
  expect(lines[3]).toMatch(
    new RegExp(`: ${id}: to=<bob@host\\.example\\.test>, orig_to=<bob>, relay=none, delay=[\\d.]+, delays=[\\d.]+/0/0/0, dsn=5\\.3\\.4, status=bounced \\(message file too big\\)$`),
  );
  expect(lines[4]).toMatch(new RegExp(`: ${id}: sender non-delivery notification: \\w+$`));
  const n = await notice(id!);
  expect(n).toContain(`To: ${me}@host.example.test\n`);
  expect(n).toContain(`X-Postfix-Sender: rfc822; ${me}@host.example.test\n`);
  expect(n).toContain("<bob@host.example.test> (expanded from <bob>): message file too big\n");
  // Postfix 3.x cleanup gives every recipient that came without a DSN ORCPT one: its rewritten address
  expect(n).toContain("\nFinal-Recipient: rfc822; bob@host.example.test\nOriginal-Recipient: rfc822;bob@host.example.test\nAction: failed\nStatus: 5.3.4\n");
  // no unfiltered content: the headers only
  expect(n).toContain("Content-Type: text/rfc822-headers\n");
  expect(n).toContain("Subject: too big\n");
  expect(n).not.toContain("xxxxxxxxxx");
  expect(maildrop()).toEqual([]);
});

test("too many hops and a maildrop file without recipients bounce with the whole message; the null sender gets no notice", async () => {
  const hops = "Received: from a by b; Thu, 1 Jan 2026 00:00:00 +0000\n".repeat(6);
  sendmail(["-f", `${me}+hops`, "carol"], `${hops}Subject: looping\n\nloop body\n`);
  // a maildrop file without recipients: sendmail never writes one, anybody can
  const w = createQueueFile({ queueDir: inst.queue, queueName: "maildrop", mode: 0o744 });
  w.writeEnvelope({ sender: `${me}+none`, recipients: [], uid: process.getuid!(), attributes: [["rewrite_context", "local"]] });
  w.writeContent("Subject: nobody\n\nnobody body\n");
  w.finish();
  runTool("postkick", ["-c", inst.config, "public", "pickup", "W"]);
  sendmail(["-f", "", "dave"], `${hops}Subject: from nobody\n\nnull body\n`);
  await waitFor("three refusals", () => (log().match(/status=bounced/g) ?? []).length >= 4);
  await waitFor("two notices", () => (log().match(/sender non-delivery notification/g) ?? []).length >= 3);

  const [hopsId] = pickedUp(`${me}+hops`);
  expect(log()).toContain(`warning: ${hopsId}: message rejected: hopcount exceeded`);
  expect(log()).toMatch(new RegExp(`${hopsId}: to=<carol@host\\.example\\.test>, orig_to=<carol>, relay=none, .*dsn=5\\.4\\.0, status=bounced \\(too many hops\\)`));
  const h = await notice(hopsId!);
  expect(h).toContain(`To: ${me}+hops@host.example.test\n`);
  expect(h).toContain("Content-Type: message/rfc822\n");
  expect(h).toContain("loop body\n");

  const [noneId] = pickedUp(`${me}+none`);
  expect(log()).toMatch(new RegExp(`${noneId}: to=<unknown>, relay=none, .*dsn=5\\.1\\.0, status=bounced \\(no recipients specified\\)`));
  const g = await notice(noneId!);
  expect(g).toContain("<unknown>: no recipients specified\n");
  expect(g).toContain("nobody body\n");

  const [nullId] = pickedUp("");
  expect(log()).toMatch(new RegExp(`${nullId}: to=<dave@host\\.example\\.test>, orig_to=<dave>, relay=none, .*status=bounced \\(too many hops\\)`));
  expect(log()).not.toContain(`${nullId}: sender non-delivery notification`);
  await waitFor("an empty maildrop", () => maildrop().length === 0);
});

test("a notice that cannot be queued keeps the maildrop file; the message is taken once it can be", async () => {
  // headers that fit at submission, not with pickup's Received:, and come back whole in the notice: too big too
  const filler = Array.from({ length: 55 }, (_, i) => `X-Filler-${i}: ${"y".repeat(56)}\n`).join("");
  sendmail(["-f", `${me}+keep`, me], `${filler}Subject: keep me\n\nkept body\n`);
  await waitFor("the failed notice", () => /warning: \w+: bounce message failure/.test(log()));
  const [id] = pickedUp(`${me}+keep`);
  expect(log()).toMatch(new RegExp(`warning: maildrop/\\w+: error writing ${id}: queue file write error$`, "m"));
  expect(maildrop().length).toBe(1);
  expect(mailbox()).not.toContain("kept body");
  // with a larger limit the next scan takes the message itself
  expect(runTool("postconf", ["-c", inst.config, "-e", "message_size_limit = 40000"]).status).toBe(0);
  expect(runTool("postfix", ["-c", inst.config, "reload"]).status).toBe(0);
  await Bun.sleep(300);
  runTool("postkick", ["-c", inst.config, "public", "pickup", "W"]);
  await waitFor("delivery", () => mailbox().includes("kept body"), 15000);
  expect(maildrop()).toEqual([]);
}, 30000);
