/**
 * Delivery status reports end to end, through the compiled binary on a running instance (Postfix's trace
 * service): a message submitted with DSN NOTIFY=SUCCESS (sendmail -N success) and delivered to a mailbox brings
 * the sender a `Successful Mail Delivery Report` (Action: delivered); through an alias, the alias is reported
 * `expanded` and the address it expands to is not reported; `sendmail -v` prints Postfix's promise and brings a
 * `Mail Delivery Status Report` about every recipient; mail without either gets no report. A `sendmail -v`
 * message with a deferred recipient gets its report after the first pass (`Action: delayed`), and no other.
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeInstance, readMaillog, runTool, startMailSystem, stopMailSystem, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { getpwuid } from "../internal/sys/passwd.ts";

setDefaultTimeout(30000);

const me = getpwuid(process.getuid!())?.name ?? "root";
let inst: Instance;

const log = () => readMaillog(inst);
const mailbox = () => (existsSync(join(inst.dir, "mail", me)) ? readFileSync(join(inst.dir, "mail", me), "latin1") : "");
/** The messages in my mailbox whose own Subject (not a returned message's) is `subject`, each as its text. */
const messages = (subject: string) => mailbox().split(/^From /m).filter((m) => `${m.split("\n\n")[0]}\n`.includes(`\nSubject: ${subject}\n`));

function sendmail(args: string[], subject: string): string {
  const r = runTool("sendmail", ["-f", me, ...args], { env: { MAIL_CONFIG: inst.config }, stdin: `Subject: ${subject}\n\nhello\n` });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  inst = makeInstance(["alias_maps = hash:$config_directory/aliases", "biff = no", "transport_maps = inline:{ { later.example = retry:4.4.1 not now } }", ""].join("\n"));
  writeFileSync(join(inst.config, "aliases"), `team: ${me}\n`);
  expect(runTool("postalias", [`hash:${inst.config}/aliases`]).status).toBe(0);
  await startMailSystem(inst, stockMasterCf(null), { services: ["local"] });
});

afterAll(() => {
  stopMailSystem(inst);
});

test("NOTIFY=SUCCESS: the sender gets a Successful Mail Delivery Report (Action: delivered)", async () => {
  sendmail(["-N", "success", me], "with success");
  await waitFor("the success notice", () => messages("Successful Mail Delivery Report").length === 1);
  const n = messages("Successful Mail Delivery Report")[0]!;
  expect(n).toMatch(new RegExp(`\\nTo: ${me}@[^\\n]+\\nAuto-Submitted: auto-replied\\n`));
  expect(n).toMatch(new RegExp(`\\nFinal-Recipient: rfc822; ${me}@[^\\n]+\\n(Original-Recipient: [^\\n]+\\n)?Action: delivered\\nStatus: 2\\.0\\.0\\nDiagnostic-Code: X-Postfix; delivery via local: delivered to mailbox\\n`));
  expect(n).toContain("Content-Description: Message Headers\nContent-Type: text/rfc822-headers\n");
  expect(n).toContain("\nSubject: with success\n");
  expect(log()).toMatch(/postfix\/bounce\[\d+\]: [0-9A-F]+: sender delivery status notification: [0-9A-F]+\n/);
  expect(messages("with success")).toHaveLength(1);
});

test("through an alias: the alias is reported expanded; the address it expands to is not reported", async () => {
  sendmail(["-N", "success", "team"], "to the team");
  await waitFor("the success notice", () => messages("Successful Mail Delivery Report").some((m) => m.includes("\nSubject: to the team\n")));
  const n = messages("Successful Mail Delivery Report").find((m) => m.includes("\nSubject: to the team\n"))!;
  expect(n).toMatch(/\nFinal-Recipient: rfc822; team@[^\n]+\n(Original-Recipient: [^\n]+\n)?Action: expanded\nStatus: 2\.0\.0\nDiagnostic-Code: X-Postfix; delivery via local: alias expanded\n/);
  expect(n.match(/^Final-Recipient:/gm)).toHaveLength(1);
});

test("sendmail -v: Postfix's promise, kept: a Mail Delivery Status Report; no report without -v or NOTIFY=SUCCESS", async () => {
  expect(sendmail(["-v", me], "verbose please")).toBe(`Mail Delivery Status Report will be mailed to <${me}>.\n`);
  await waitFor("the report", () => messages("Mail Delivery Status Report").length === 1);
  const n = messages("Mail Delivery Status Report")[0]!;
  expect(n).toContain("\nAction: delivered\nStatus: 2.0.0\n");
  expect(n).toContain("\nSubject: verbose please\n");
  sendmail([me], "no report");
  await waitFor("the plain message", () => messages("no report").length === 1);
  // a report, had one been made, is queued before the message is removed: wait for an empty queue
  await waitFor("an empty queue", () => runTool("mailq", [], { env: { MAIL_CONFIG: inst.config } }).stdout.startsWith("Mail queue is empty"));
  expect(messages("Successful Mail Delivery Report").filter((m) => m.includes("\nSubject: no report\n"))).toHaveLength(0);
  expect(messages("Mail Delivery Status Report").filter((m) => m.includes("\nSubject: no report\n"))).toHaveLength(0);
});

test("sendmail -v with a recipient deferred: the report comes after the first pass (Action: delayed), and only once", async () => {
  sendmail(["-v", me, "x@later.example"], "half now");
  await waitFor("the report", () => messages("Mail Delivery Status Report").some((m) => m.includes("\nSubject: half now\n")));
  const n = messages("Mail Delivery Status Report").find((m) => m.includes("\nSubject: half now\n"))!;
  expect(n).toContain("\n<x@later.example>: not now\n");
  expect(n).toMatch(/\nFinal-Recipient: rfc822; x@later\.example\n(Original-Recipient: [^\n]+\n)?Action: delayed\nStatus: 4\.4\.1\nDiagnostic-Code: X-Postfix; not now\n/);
  expect(n).toMatch(/\nAction: delivered\nStatus: 2\.0\.0\n/);
  const id = /^([0-9A-F]+)\s/m.exec(runTool("mailq", [], { env: { MAIL_CONFIG: inst.config } }).stdout)![1]!;
  // the next pass defers again and reports nothing
  expect(runTool("postqueue", ["-c", inst.config, "-i", id]).status).toBe(0);
  await waitFor("the second deferral", () => (log().match(new RegExp(`${id}: to=<x@later\\.example>, .*status=deferred`, "g")) ?? []).length === 2);
  await waitFor("the message back in deferred", () => runTool("postqueue", ["-c", inst.config, "-j"]).stdout.includes(`"queue_name": "deferred", "queue_id": "${id}"`));
  // a report would have been queued (and logged) before the message went back to deferred
  expect(log().match(new RegExp(`${id}: sender delivery status notification: `, "g"))).toHaveLength(1);
  expect(messages("Mail Delivery Status Report").filter((m) => m.includes("\nSubject: half now\n"))).toHaveLength(1);
  expect(runTool("postsuper", ["-c", inst.config, "-d", id]).status).toBe(0);
});

test("sendmail -v to an alias: the report names each final address, expanded from the alias, as Postfix's does", async () => {
  sendmail(["-v", "team"], "verbose team");
  await waitFor("the report", () => messages("Mail Delivery Status Report").some((m) => m.includes("\nSubject: verbose team\n")));
  const n = messages("Mail Delivery Status Report").find((m) => m.includes("\nSubject: verbose team\n"))!;
  expect(n).toMatch(new RegExp(`\\n<${me}@[^>]+> \\(expanded from <team[^>]*>\\): delivery via local: delivered\\s+to mailbox\\n`));
  expect(n).toMatch(new RegExp(`\\nFinal-Recipient: rfc822; ${me}@[^\\n]+\\nOriginal-Recipient: rfc822;team@[^\\n]+\\nAction: delivered\\nStatus: 2\\.0\\.0\\n`));
  expect(n.match(/^Final-Recipient:/gm)).toHaveLength(1);
});

test("sendmail -bv: nothing is delivered; the report says deliverable (delivers to mailbox) or undeliverable", async () => {
  expect(sendmail(["-bv", me], "probe")).toBe(`Mail Delivery Status Report will be mailed to <${me}>.\n`);
  await waitFor("the probe report", () => messages("Mail Delivery Status Report").some((m) => m.includes("\nSubject: probe\n")));
  const n = messages("Mail Delivery Status Report").find((m) => m.includes("\nSubject: probe\n"))!;
  expect(n).toMatch(new RegExp(`\\nFinal-Recipient: rfc822; ${me}@[^\\n]+\\n(Original-Recipient: [^\\n]+\\n)?Action: deliverable\\nStatus: 2\\.0\\.0\\nDiagnostic-Code: X-Postfix; delivery via local: delivers to mailbox\\n`));
  expect(messages("probe")).toHaveLength(0); // the probe itself was not delivered
  expect(log()).toMatch(new RegExp(`postfix/local\\[\\d+\\]: [0-9A-F]+: to=<${me}@[^>]+>, .*status=deliverable \\(delivers to mailbox\\)\\n`));
  sendmail(["-bv", "nosuchuser"], "probe two");
  await waitFor("the second report", () => messages("Mail Delivery Status Report").some((m) => m.includes("\nSubject: probe two\n")));
  const u = messages("Mail Delivery Status Report").find((m) => m.includes("\nSubject: probe two\n"))!;
  expect(u).toMatch(/\nAction: undeliverable\nStatus: 5\.1\.1\n/);
  expect(log()).toMatch(/status=undeliverable \(unknown user: "nosuchuser"\)/);
  expect(messages("Undelivered Mail Returned to Sender")).toHaveLength(0); // no bounce for a probe
});

test("sendmail -bv of an alias: the report names the address it expands to", async () => {
  sendmail(["-bv", "team"], "probe three");
  await waitFor("the third report", () => messages("Mail Delivery Status Report").some((m) => m.includes("\nSubject: probe three\n")));
  const n = messages("Mail Delivery Status Report").find((m) => m.includes("\nSubject: probe three\n"))!;
  expect(n).toMatch(new RegExp(`\\n<${me}@[^>]+> \\(expanded from <team[^>]*>\\): delivery via local: delivers\\n    to mailbox\\n`));
  expect(n).toMatch(new RegExp(`\\nFinal-Recipient: rfc822; ${me}@[^\\n]+\\nOriginal-Recipient: [^\\n]*team@[^\\n]+\\nAction: deliverable\\n`));
});
