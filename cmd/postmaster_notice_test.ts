/**
 * Postmaster notices (notify_classes) end to end, through the compiled binary on a running instance: with
 * `bounce`, each non-delivery notice has a headers-only copy for bounce_notice_recipient; with `2bounce`, mail
 * from the null sender that bounces goes to 2bounce_notice_recipient instead of nowhere. Both are logged as
 * Postfix's bounce daemon logs them.
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, runTool, readMaillog, startMailSystem, stopMailSystem, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { getpwuid } from "../internal/sys/passwd.ts";

setDefaultTimeout(30000);

const me = getpwuid(process.getuid!())?.name ?? "root";
let inst: Instance;

const log = () => readMaillog(inst);
const mailbox = () => (existsSync(join(inst.dir, "mail", me)) ? readFileSync(join(inst.dir, "mail", me), "latin1") : "");

function sendmail(sender: string, rcpt: string, subject: string): string {
  const r = runTool("sendmail", ["-f", sender, rcpt], { env: { MAIL_CONFIG: inst.config }, stdin: `Subject: ${subject}\n\nbody\n` });
  expect(r.status).toBe(0);
  return subject;
}

beforeAll(async () => {
  inst = makeInstance(
    [
      "alias_maps =",
      "biff = no",
      "default_transport = error:5.1.2 no remote delivery here",
      "notify_classes = resource, software, bounce, 2bounce",
      `bounce_notice_recipient = ${me}`,
      `2bounce_notice_recipient = ${me}`,
      "",
    ].join("\n"),
  );
  await startMailSystem(inst, stockMasterCf(null), { services: ["local"] });
});

afterAll(() => {
  stopMailSystem(inst);
});

/** The queue ID pickup gave the message with `subject` (from its message-id line's neighbour, the uid line). */
async function bouncedId(to: string): Promise<string> {
  const find = () => new RegExp(`(\\w+): to=<${to.replace(/[.+]/g, "\\$&")}>, relay=none, .*status=bounced`).exec(log())?.[1];
  await waitFor(`the bounce of mail to ${to}`, () => find() !== undefined);
  return find()!;
}

test("notify_classes = bounce: the postmaster gets a headers-only copy of the sender's notice", async () => {
  sendmail(`${me}@host.example.test`, "someone@remote.example", "first");
  const id = await bouncedId("someone@remote.example");
  // the error transport logs under its own program name, as Postfix's error(8)
  expect(log()).toMatch(new RegExp(`postfix/error\\[\\d+\\]: ${id}: to=<someone@remote\\.example>, relay=none`));
  await waitFor("both notices", () => log().includes(`${id}: sender non-delivery notification:`) && log().includes(`${id}: postmaster non-delivery notification:`));
  await waitFor("both in the mailbox", () => mailbox().includes("Subject: Postmaster Copy: Undelivered Mail") && mailbox().includes("Subject: Undelivered Mail Returned to Sender"));
  const copy = mailbox().split(/^From /m).find((m) => m.includes("Subject: Postmaster Copy: Undelivered Mail"))!;
  expect(copy).toMatch(/^MAILER-DAEMON|^double-bounce@host\.example\.test /);
  expect(copy).toContain("Return-Path: <double-bounce@host.example.test>\n");
  expect(copy).toContain("Content-Type: text/rfc822-headers\n");
  expect(copy).toContain("Subject: first\n");
});

test("notify_classes = 2bounce: mail from the null sender that bounces goes to the postmaster", async () => {
  sendmail("", "other@remote.example", "second");
  const id = await bouncedId("other@remote.example");
  await waitFor("the postmaster notice", () => log().includes(`${id}: postmaster non-delivery notification:`));
  expect(log()).not.toContain(`${id}: sender non-delivery notification:`);
  await waitFor("the notice in the mailbox", () => mailbox().includes("Subject: second\n"));
  const notice = mailbox().split(/^From /m).find((m) => m.includes("Subject: second\n"))!;
  expect(notice).toContain("Subject: Postmaster Copy: Undelivered Mail\n");
  // the whole message comes back
  expect(notice).toMatch(/Content-Type: message\/rfc822\n\nReturn-Path: <>\n[^]*Subject: second\n[^]*\n\nbody\n/);
});
