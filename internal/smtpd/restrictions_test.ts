/**
 * The restriction evaluator in process: list parsing, DSN handling, the no-open-relay rule, access(5) actions
 * and stage semantics (delay_reject, warn_if_reject, defer_if_permit), with replies compared to Postfix's text.
 */
import { test, expect, beforeAll, afterAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { setMsgStderr } from "../log/msg.ts";
import { Restrictions, parseRestrictionList, smtpdDsnFix, type CheckSession } from "./restrictions.ts";
import type { SmtpdResolver } from "./smtpd_dns.ts";

let dir: string;
const noDns: SmtpdResolver = { query: async () => ({ status: "notfound", records: [] }) };

beforeAll(() => {
  setMsgStderr(false);
  dir = mkdtempSync(join(tmpdir(), "smtpd-restrictions-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function make(mainCf: string): Promise<Restrictions> {
  writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/q\nmyhostname = mx.example.test\nmaillog_file =\nalias_maps =\nlocal_recipient_maps =\n${mainCf}\n`);
  return Restrictions.create(loadConfig({ configDir: dir, warn: false }), noDns);
}

function session(addr = "192.0.2.9", over: Partial<CheckSession> = {}): CheckSession {
  return {
    name: "unknown", reverseName: "unknown", addr, port: "1234", namaddr: `unknown[${addr}]`, nameStatus: "perm", reverseNameStatus: "perm",
    heloName: "client.test", sender: "s@example.test", protocol: "ESMTP", where: "RCPT", rcptCount: 0, smtputf8: false,
    illPipelining: false, service: "smtp", msgSize: 0, instance: "", saved: { bcc: [], prepend: [] }, discard: false,
    deferIfPermitClient: false, deferIfPermitHelo: false, deferIfPermitSender: false, ...over,
  };
}

test("parseRestrictionList() keeps braces together and strips a word's outer braces", () => {
  expect(parseRestrictionList("permit_mynetworks,reject_unauth_destination  check_sender_access inline:{ { a = REJECT x } }")).toEqual([
    "permit_mynetworks", "reject_unauth_destination", "check_sender_access", "inline:{ { a = REJECT x } }",
  ]);
  expect(parseRestrictionList("check_policy_service { inet:127.0.0.1:9, default_action=DUNNO }")).toEqual(["check_policy_service", "inet:127.0.0.1:9, default_action=DUNNO"]);
});

test("smtpdDsnFix() as Postfix's smtpd_dsn_fix()", () => {
  expect(smtpdDsnFix("5.1.1", "Sender address")).toBe("4.1.0");
  expect(smtpdDsnFix("5.1.1", "Recipient address")).toBe("4.1.1");
  expect(smtpdDsnFix("5.1.1", "Client host")).toBe("4.0.0");
  expect(smtpdDsnFix("5.7.1", "Client host")).toBe("5.7.1");
});

test("no open relay by accident: restrictions without a relay-stopping word are a fatal configuration error", async () => {
  await expect(make("compatibility_level = 0")).rejects.toThrow(
    "in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, specify at least one working instance of: reject_unauth_destination, defer_unauth_destination, reject, defer, defer_if_permit or check_relay_domains",
  );
});

test("the default relay restrictions (compatibility_level 3.6) defer relaying for strangers, permit mynetworks", async () => {
  const r = await make("compatibility_level = 3.6\nmynetworks = 127.0.0.0/8");
  expect(await r.checkRcpt(session(), "x@elsewhere.test")).toBe("454 4.7.1 <x@elsewhere.test>: Relay access denied");
  expect(await r.checkRcpt(session(), "user@mx.example.test")).toBeUndefined();
  expect(await r.checkRcpt(session("127.0.0.3"), "x@elsewhere.test")).toBeUndefined();
});

test("access(5) actions give Postfix's replies", async () => {
  const table = [
    "r1@x.test REJECT", "r2@x.test REJECT 5.1.1 no such user here", "d1@x.test DEFER", "n@x.test 450 4.2.0 try later",
    "ok@x.test OK", "dunno@x.test DUNNO", "dip@x.test DEFER_IF_PERMIT wait", "num@x.test 42",
  ].map((l) => `${l.replace(" ", "\t")}`).join("\n");
  writeFileSync(join(dir, "access"), `${table}\n`);
  const r = await make(`compatibility_level = 3.6\nmydestination = x.test\nsmtpd_recipient_restrictions = check_recipient_access texthash:${dir}/access, reject`);
  const cases: [string, string | undefined][] = [
    ["r1@x.test", "554 5.7.1 <r1@x.test>: Recipient address rejected: Access denied"],
    ["r2@x.test", "554 5.1.1 <r2@x.test>: Recipient address rejected: no such user here"],
    ["d1@x.test", "450 4.7.1 <d1@x.test>: Recipient address rejected: Access denied"],
    ["n@x.test", "450 4.2.0 <n@x.test>: Recipient address rejected: try later"],
    ["ok@x.test", undefined],
    ["dunno@x.test", "554 5.7.1 <dunno@x.test>: Recipient address rejected: Access denied"],
    ["dip@x.test", "554 5.7.1 <dip@x.test>: Recipient address rejected: Access denied"], // a later reject wins
    ["num@x.test", undefined],
  ];
  for (const [rcpt, want] of cases) expect([rcpt, await r.checkRcpt(session(), rcpt)]).toEqual([rcpt, want]);
  const p = await make(`compatibility_level = 3.6\nmydestination = x.test\nsmtpd_recipient_restrictions = check_recipient_access texthash:${dir}/access, permit`);
  expect(await p.checkRcpt(session(), "dip@x.test")).toBe("450 4.7.1 <dip@x.test>: Recipient address rejected: wait");
});

test("warn_if_reject turns a reject into a logged warning; an unknown word is a 451 server error", async () => {
  const r = await make("compatibility_level = 3.6\nsmtpd_client_restrictions = warn_if_reject reject, no_such_word");
  expect(await r.checkClient(session())).toBe("451 4.3.5 Server configuration error");
});
