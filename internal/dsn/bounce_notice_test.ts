/**
 * bounce_notice_test — notices written through a real Cleanup into a temporary queue: the recipient a notice
 * goes to (the sender, or an owner- address), what the report names, the returned message (whole, or its
 * headers for RET=HDRS), and the cases that get no notice at all.
 */
import { test, expect, beforeAll, afterAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { ensureQueueDirs, openQueueFile, scanQueue, DSN_NOTIFY, DSN_RET } from "../queue/index.ts";
import { Cleanup } from "../cleanup/cleanup.ts";
import { BounceNotifier, type NoticeMessage, type NoticeRecipient } from "./bounce_notice.ts";

let dir = "";
let notifier: BounceNotifier;

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "bounce-notice-test-")));
  ensureQueueDirs(join(dir, "queue"));
  writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/queue\nmyhostname = host.example.test\nmyorigin = example.test\n`);
  const cfg = loadConfig({ configDir: dir, warn: false });
  notifier = new BounceNotifier(cfg, await Cleanup.create(cfg));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The notices in incoming, as [envelope recipient, content], removing them. */
function takeNotices(): [string, string][] {
  const out: [string, string][] = [];
  for (const e of scanQueue(join(dir, "queue"), "incoming", { missingOk: true })) {
    using f = openQueueFile(e.path);
    const content = Buffer.concat([...f.content()].map((b) => Buffer.from(b))).toString("latin1");
    out.push([f.envelope().recipients.map((r) => r.address).join(","), content]);
    rmSync(e.path);
  }
  return out;
}

const message = (sender: string, dsnRet = 0): NoticeMessage => ({
  id: "3F2A1B4C5D",
  content: () => [Buffer.from("Subject: original\n\noriginal body\n")],
  envelope: { sender, arrivalTime: { sec: 1795693070 }, dsnEnvid: undefined, dsnRet },
});
const failed = (notify = 0): NoticeRecipient[] => [
  { recipient: { address: "list@example.test", origAddress: "", orcpt: "", notify }, dsn: "5.1.1", reason: "user unknown" },
];

test("bounce() with `to` sends the notice to that address; the report still names the message's sender", async () => {
  expect(await notifier.bounce(message("alice@example.test"), failed(), { to: "owner-list@example.test" })).toBe(true);
  const [[rcpt, n]] = takeNotices() as [[string, string]];
  expect(rcpt).toBe("owner-list@example.test");
  expect(n).toContain("\nTo: owner-list@example.test\n");
  expect(n).toContain("X-Postfix-Queue-ID: 3F2A1B4C5D\nX-Postfix-Sender: rfc822; alice@example.test\n");
  expect(n).toContain("\n<list@example.test>: user unknown\n");
  expect(n).toContain("Final-Recipient: rfc822; list@example.test\nAction: failed\nStatus: 5.1.1\n");
  // no smtputf8_enable (compatibility_level 0) and no recorded encoding: no Content-Transfer-Encoding, as Postfix
  expect(n).toContain("Content-Type: message/rfc822\n\nReturn-Path: <alice@example.test>\nSubject: original\n\noriginal body\n");
});

test("bounce() returns the headers only for RET=HDRS, and sends nothing to the null sender or against NOTIFY", async () => {
  await notifier.bounce(message("alice@example.test", DSN_RET.HDRS), failed());
  const [[rcpt, n]] = takeNotices() as [[string, string]];
  expect(rcpt).toBe("alice@example.test");
  expect(n).toContain("Content-Type: text/rfc822-headers\n\nReturn-Path: <alice@example.test>\nSubject: original\n\n--3F2A1B4C5D.");
  expect(n).not.toContain("original body");
  const cases: [string, NoticeMessage, NoticeRecipient[]][] = [
    ["null sender", message(""), failed()],
    ["NOTIFY=DELAY", message("alice@example.test"), failed(DSN_NOTIFY.DELAY)],
  ];
  for (const [label, msg, rcpts] of cases) {
    expect({ label, ok: await notifier.bounce(msg, rcpts), notices: takeNotices().length }).toEqual({ label, ok: true, notices: 0 });
  }
});

test("a notice starts with Received: and Date: as Postfix's internal mail; its MIME labels follow smtputf8_enable and the recorded encoding", async () => {
  const labels = async (mainCf: string, encoding?: string) => {
    writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/queue\nmyhostname = host.example.test\nmyorigin = example.test\n${mainCf}`);
    const cfg = loadConfig({ configDir: dir, warn: false });
    const n = new BounceNotifier(cfg, await Cleanup.create(cfg));
    const m = message("alice@example.test");
    if (encoding) m.envelope.attributes = new Map([["encoding", encoding]]);
    await n.bounce(m, failed());
    const [[, text]] = takeNotices() as [[string, string]];
    expect(text).toMatch(/^Received: by host\.example\.test \(Postfix\)\n\tid \w+; [^\n]+\nDate: [^\n]+\nFrom: Mail Delivery System/);
    return text.split("\n").filter((l) => l.startsWith("Content-T")).join(" | ");
  };
  const eight = "Content-Type: multipart/report; report-type=delivery-status; | Content-Transfer-Encoding: 8bit | Content-Type: text/plain; charset=utf-8 | Content-Transfer-Encoding: 8bit | Content-Type: message/delivery-status | Content-Type: message/rfc822 | Content-Transfer-Encoding: 8bit";
  expect(await labels("compatibility_level = 3.6\n")).toBe(eight);
  expect(await labels("smtputf8_enable = no\n", "8bit")).toBe(eight);
  expect(await labels("smtputf8_enable = no\n", "7bit")).toBe("Content-Type: multipart/report; report-type=delivery-status; | Content-Transfer-Encoding: 7bit | Content-Type: text/plain; charset=us-ascii | Content-Type: message/delivery-status | Content-Type: message/rfc822");
  expect(await labels("smtputf8_enable = no\n")).toBe("Content-Type: multipart/report; report-type=delivery-status; | Content-Type: text/plain; charset=us-ascii | Content-Type: message/delivery-status | Content-Type: message/rfc822");
});

test("the delivery report has Postfix's field order, with ENVID, and addresses as stored", async () => {
  writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/queue\nmyhostname = host.example.test\nmyorigin = example.test\n`);
  const cfg = loadConfig({ configDir: dir, warn: false });
  const n = new BounceNotifier(cfg, await Cleanup.create(cfg));
  const m = message("alice@example.test");
  m.envelope.dsnEnvid = "env-1";
  const who: NoticeRecipient[] = [
    { recipient: { address: "john doe@example.test", origAddress: "", orcpt: "rfc822;jd@example.test", notify: 0 }, dsn: "5.1.1", reason: "user unknown" },
    { recipient: { address: "bob@example.test", origAddress: "Team@example.test", orcpt: "", notify: 0 }, dsn: "5.1.1", reason: "user unknown" },
    { recipient: { address: "carol@example.test", origAddress: "Carol@Example.test", orcpt: "", notify: 0 }, dsn: "5.1.1", reason: "user unknown" },
  ];
  await n.bounce(m, who);
  const [[, text]] = takeNotices() as [[string, string]];
  expect(text).toContain(
    "\nReporting-MTA: dns; host.example.test\nOriginal-Envelope-Id: env-1\nX-Postfix-Queue-ID: 3F2A1B4C5D\nX-Postfix-Sender: rfc822; alice@example.test\nArrival-Date: ",
  );
  expect(text).toContain("\nFinal-Recipient: rfc822; john doe@example.test\nOriginal-Recipient: rfc822;jd@example.test\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: X-Postfix; user unknown\n");
  // the human-readable part: an address that was rewritten says what it was expanded from
  expect(text).toContain("\n<john doe@example.test>: user unknown\n\n<bob@example.test> (expanded from <Team@example.test>): user unknown\n\n<carol@example.test>: user unknown\n");
});

test("long reasons are wrapped at 79 columns with 4-blank continuations, in both parts (as Postfix 3.7 wrapped this one)", async () => {
  writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/queue\nmyhostname = host.example.test\nmyorigin = example.test\n`);
  const cfg = loadConfig({ configDir: dir, warn: false });
  const n = new BounceNotifier(cfg, await Cleanup.create(cfg));
  const reason = "the quick brown fox jumps over the lazy dog and keeps running through the field until the sun goes down over the hills far away";
  await n.bounce(message("alice@example.test"), [{ recipient: { address: "longfail@discard.test", origAddress: "", orcpt: "", notify: 0 }, dsn: "5.1.1", reason }]);
  const [[, text]] = takeNotices() as [[string, string]];
  expect(text).toContain(
    "\n<longfail@discard.test>: the quick brown fox jumps over the lazy dog and keeps\n    running through the field until the sun goes down over the hills far away\n",
  );
  expect(text).toContain(
    "\nDiagnostic-Code: X-Postfix; the quick brown fox jumps over the lazy dog and\n    keeps running through the field until the sun goes down over the hills far\n    away\n",
  );
});

/** A notifier with its own configuration lines. */
async function notifierWith(extra: string): Promise<BounceNotifier> {
  writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/queue\nmyhostname = host.example.test\nmyorigin = example.test\n${extra}`);
  const cfg = loadConfig({ configDir: dir, warn: false });
  return new BounceNotifier(cfg, await Cleanup.create(cfg));
}

test("notify_classes = bounce: a headers-only postmaster copy of each notice, from the double-bounce address, with all recipients", async () => {
  const n = await notifierWith("notify_classes = bounce\nbounce_notice_recipient = hostmaster\n");
  expect(await n.bounce(message("alice@example.test"), failed(DSN_NOTIFY.NEVER))).toBe(true);
  const notices = takeNotices();
  // NOTIFY=NEVER: no sender notice, but the postmaster still hears of it
  expect(notices.map(([r]) => r)).toEqual(["hostmaster@example.test"]);
  const copy = notices[0]![1];
  expect(copy).toContain("\nSubject: Postmaster Copy: Undelivered Mail\nTo: hostmaster@example.test\nAuto-Submitted: auto-generated\n");
  expect(copy).toContain("Content-Type: text/plain; charset=us-ascii\n\n<list@example.test>: user unknown\n");
  expect(copy).not.toContain("This is the mail system");
  expect(copy).toContain("Content-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\nReturn-Path: <alice@example.test>\nSubject: original\n\n--");
  expect(copy).not.toContain("original body");
});

test("mail from the null sender that bounces goes to 2bounce_notice_recipient with 2bounce (or bounce), else nowhere", async () => {
  expect(await notifier.bounce(message(""), failed())).toBe(true);
  expect(takeNotices()).toEqual([]);
  const n = await notifierWith("notify_classes = resource, software, 2bounce\n");
  expect(await n.bounce(message(""), failed())).toBe(true);
  const [[rcpt, body]] = takeNotices() as [[string, string]];
  expect(rcpt).toBe("postmaster@example.test");
  expect(body).toContain("Content-Description: Undelivered Message\nContent-Type: message/rfc822\n\nReturn-Path: <>\nSubject: original\n\noriginal body\n");
});

test("a postmaster notice that bounces is discarded with a warning; delay copies go to delay_notice_recipient", async () => {
  const n = await notifierWith("notify_classes = 2bounce, delay\n");
  expect(await n.bounce(message("double-bounce@host.example.test"), failed())).toBe(true);
  expect(takeNotices()).toEqual([]);
  expect(await n.delayWarning(message("alice@example.test"), failed())).toBe(true);
  const notices = takeNotices().map(([r, c]) => [r, /^Subject: (.*)$/m.exec(c)![1]]);
  expect(notices.sort()).toEqual([
    ["alice@example.test", "Delayed Mail (still being retried)"],
    ["postmaster@example.test", "Postmaster Warning: Delayed Mail"],
  ]);
});

test("internal_mail_filter_classes = bounce puts sender notices through header_checks; postmaster notices need notify", async () => {
  writeFileSync(join(dir, "hc"), "/^Subject: Undelivered Mail/ REPLACE Subject: bounced\n/^Subject: Postmaster Copy/ REPLACE Subject: copy\n");
  const none = await notifierWith(`header_checks = regexp:${dir}/hc\nnotify_classes = bounce\n`);
  await none.bounce(message("alice@example.test"), failed());
  expect(takeNotices().map(([, c]) => /^Subject: (.*)$/m.exec(c)![1]).sort()).toEqual(["Postmaster Copy: Undelivered Mail", "Undelivered Mail Returned to Sender"]);
  const bounce = await notifierWith(`header_checks = regexp:${dir}/hc\nnotify_classes = bounce\ninternal_mail_filter_classes = bounce\n`);
  await bounce.bounce(message("alice@example.test"), failed());
  expect(takeNotices().map(([, c]) => /^Subject: (.*)$/m.exec(c)![1]).sort()).toEqual(["Postmaster Copy: Undelivered Mail", "bounced"]);
  const both = await notifierWith(`header_checks = regexp:${dir}/hc\nnotify_classes = bounce\ninternal_mail_filter_classes = bounce, notify\n`);
  await both.bounce(message("alice@example.test"), failed());
  expect(takeNotices().map(([, c]) => /^Subject: (.*)$/m.exec(c)![1]).sort()).toEqual(["bounced", "copy"]);
});

test("deliveryReport(): a success notice names each recipient's action, the SMTP server and its reply, and returns the headers", async () => {
  const rcpts: NoticeRecipient[] = [
    { recipient: { address: "bob@example.test", origAddress: "bob@example.test", orcpt: "rfc822;bob@example.test", notify: DSN_NOTIFY.SUCCESS }, dsn: "2.0.0", reason: "delivered to mailbox", action: "delivered", relay: "local" },
    { recipient: { address: "carol@remote.test", origAddress: "", orcpt: "", notify: DSN_NOTIFY.SUCCESS }, dsn: "2.0.0", reason: "250 2.0.0 Ok: queued as 4F2B", action: "relayed", relay: "mx.remote.test[192.0.2.7]:25" },
    { recipient: { address: "list@example.test", origAddress: "", orcpt: "", notify: DSN_NOTIFY.SUCCESS }, dsn: "2.0.0", reason: "alias expanded", action: "expanded", relay: "local" },
  ];
  expect(await notifier.deliveryReport(message("alice@example.test"), rcpts, false)).toBe(true);
  const [[to, n]] = takeNotices() as [[string, string]];
  expect(to).toBe("alice@example.test");
  expect(n).toContain("\nFrom: Mail Delivery System <MAILER-DAEMON@example.test>\nSubject: Successful Mail Delivery Report\nTo: alice@example.test\nAuto-Submitted: auto-replied\n");
  expect(n).toContain("Your message was delivered to the destinations listed below.");
  // the human-readable part names the agent, as Postfix's trace service does (`delivery via RELAY: `)
  expect(n).toContain("\n<bob@example.test>: delivery via local: delivered to mailbox\n");
  expect(n).toContain("\n<carol@remote.test>: delivery via mx.remote.test[192.0.2.7]:25: 250 2.0.0 Ok:\n    queued as 4F2B\n");
  expect(n).toContain("Final-Recipient: rfc822; bob@example.test\nOriginal-Recipient: rfc822;bob@example.test\nAction: delivered\nStatus: 2.0.0\nDiagnostic-Code: X-Postfix; delivery via local: delivered to mailbox\n");
  expect(n).toContain("Final-Recipient: rfc822; carol@remote.test\nAction: relayed\nStatus: 2.0.0\nRemote-MTA: dns; mx.remote.test\nDiagnostic-Code: smtp; 250 2.0.0 Ok: queued as 4F2B\n");
  expect(n).toContain("Final-Recipient: rfc822; list@example.test\nAction: expanded\nStatus: 2.0.0\nDiagnostic-Code: X-Postfix; delivery via local: alias expanded\n");
  expect(n).not.toContain("Will-Retry-Until");
  expect(n).toContain("Content-Description: Message Headers\nContent-Type: text/rfc822-headers\n\nReturn-Path: <alice@example.test>\nSubject: original\n\n--");
});

test("deliveryReport(): the sendmail -v report uses the verify template; mail from <> and from the double-bounce address gets none", async () => {
  const rcpts: NoticeRecipient[] = [{ recipient: { address: "x@example.test", origAddress: "", orcpt: "", notify: 0 }, dsn: "5.1.1", reason: "unknown user", action: "failed", relay: "local" }];
  expect(await notifier.deliveryReport(message("alice@example.test"), rcpts, true)).toBe(true);
  const [[, n]] = takeNotices() as [[string, string]];
  expect(n).toContain("\nSubject: Mail Delivery Status Report\n");
  expect(n).toContain("Below is the delivery report you asked for.");
  expect(n).toContain("Action: failed\nStatus: 5.1.1\nDiagnostic-Code: X-Postfix; delivery via local: unknown user\n");
  for (const sender of ["", "double-bounce@host.example.test"]) {
    expect(await notifier.deliveryReport(message(sender), rcpts, true)).toBe(true);
    expect(takeNotices()).toEqual([]);
  }
});
