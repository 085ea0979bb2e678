/**
 * The restriction evaluator in process: list parsing, DSN handling, the no-open-relay rule, access(5) actions
 * and stage semantics (delay_reject, warn_if_reject, defer_if_permit), the unknown-address checks with
 * relocated_maps and receive_override_options = no_unknown_recipient_checks, with replies and log lines compared
 * to Postfix's text.
 */
import { test, expect, beforeAll, afterAll, describe } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { Restrictions, parseRestrictionList, type CheckSession } from "./restrictions.ts";
import { smtpdDsnFix } from "./smtpd_dsn_fix.ts";
import { receiveOverrideOptions } from "../config/input_transp.ts";
import type { SmtpdResolver } from "./smtpd_dns.ts";
import { addressesOfName } from "../dns/index.ts";

let dir: string;
let logLines: string[] = [];
const noDns: SmtpdResolver = { query: async () => ({ status: "notfound", records: [] }) };

beforeAll(() => {
  setMsgStderr(false);
  setMsgSink({ write: (level, text) => logLines.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
  dir = mkdtempSync(join(tmpdir(), "smtpd-restrictions-"));
});
afterAll(() => {
  setMsgSink(undefined);
  rmSync(dir, { recursive: true, force: true });
});

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
  expect(smtpdDsnFix("5.1.1", "Sender address")).toBe("4.1.7");
  expect(smtpdDsnFix("5.1.6", "Sender address")).toBe("4.1.7");
  expect(smtpdDsnFix("5.1.0", "Sender address")).toBe("4.1.0");
  expect(smtpdDsnFix("5.1.6", "Recipient address")).toBe("4.1.6");
  expect(smtpdDsnFix("5.1.8", "Recipient address")).toBe("4.1.2");
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

describe("unknown addresses and relocated_maps", () => {
  const base = (extra: string[] = []) =>
    make(
      [
        "compatibility_level = 3.6", "mynetworks = 127.0.0.0/8", "mydestination = $myhostname, example.test", "recipient_delimiter = +",
        "local_recipient_maps = inline:{ root=x, known=x }", `relocated_maps = texthash:${dir}/relocated`, ...extra,
      ].join("\n"),
    );

  beforeAll(() => {
    writeFileSync(join(dir, "relocated"), "moved@example.test\tnewuser@elsewhere.test\nolduser\tnew@other.test\n");
  });

  test("a relocated recipient gets Postfix's 550 5.1.6 reply and NOQUEUE log line", async () => {
    const r = await base();
    logLines = [];
    expect(await r.checkRcpt(session("127.0.0.1"), "moved@example.test")).toBe(
      "550 5.1.6 <moved@example.test>: Recipient address rejected: User has moved to newuser@elsewhere.test",
    );
    expect(await r.checkRcpt(session("127.0.0.1"), "olduser+ext@mx.example.test")).toBe(
      "550 5.1.6 <olduser+ext@mx.example.test>: Recipient address rejected: User has moved to new@other.test",
    );
    expect(logLines[0]).toBe(
      "NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 550 5.1.6 <moved@example.test>: Recipient address rejected: User has moved to newuser@elsewhere.test; from=<s@example.test> to=<moved@example.test> proto=ESMTP helo=<client.test>",
    );
    expect(await r.checkRcpt(session("127.0.0.1"), "known@example.test")).toBeUndefined();
    expect(await r.checkRcpt(session("127.0.0.1"), "nobody@example.test")).toBe("550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in local recipient table");
  });

  test("a relocated sender under reject_unlisted_sender: 550 5.1.7, with the DSN mapping record", async () => {
    const r = await base(["smtpd_reject_unlisted_sender = yes"]);
    logLines = [];
    expect(await r.checkRcpt(session("127.0.0.1", { sender: "moved@example.test" }), "known@example.test")).toBe(
      "550 5.1.7 <moved@example.test>: Sender address rejected: User has moved to newuser@elsewhere.test",
    );
    expect(logLines).toEqual([
      "mapping DSN status 5.1.6 into Sender address status 5.1.7",
      "NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 550 5.1.7 <moved@example.test>: Sender address rejected: User has moved to newuser@elsewhere.test; from=<moved@example.test> to=<known@example.test> proto=ESMTP helo=<client.test>",
    ]);
  });

  test("a relocated_maps lookup failure answers 451 4.3.0 Temporary lookup failure", async () => {
    const r = await base(["relocated_maps = fail:reloc"]);
    logLines = [];
    expect(await r.checkRcpt(session("127.0.0.1"), "known@example.test")).toBe("451 4.3.0 <known@example.test>: Temporary lookup failure");
    expect(logLines).toContain("warning: relocated_maps lookup failure");
  });

  test("the implied check runs even when the list names reject_unlisted_recipient after a permit", async () => {
    const r = await base(["smtpd_recipient_restrictions = permit_mynetworks, reject_unlisted_recipient, reject_unauth_destination"]);
    expect(await r.checkRcpt(session("127.0.0.1"), "nobody@example.test")).toBe("550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in local recipient table");
  });

  test("receive_override_options = no_unknown_recipient_checks turns off the explicit and the implied checks", async () => {
    const r = await base([
      "receive_override_options = no_header_body_checks, no_unknown_recipient_checks", "smtpd_reject_unlisted_sender = yes",
      "smtpd_sender_restrictions = reject_unlisted_sender", "smtpd_recipient_restrictions = reject_unlisted_recipient, permit_mynetworks, reject",
    ]);
    for (const rcpt of ["nobody@example.test", "moved@example.test", "olduser@mx.example.test"]) {
      expect([rcpt, await r.checkRcpt(session("127.0.0.1", { sender: "moved@example.test" }), rcpt)]).toEqual([rcpt, undefined]);
    }
  });

  test("receiveOverrideOptions(): Postfix's names only, with their case; anything else is fatal", async () => {
    expect([...receiveOverrideOptions("no_unknown_recipient_checks,no_milters  no_address_mappings")]).toEqual([
      "no_unknown_recipient_checks", "no_milters", "no_address_mappings",
    ]);
    expect(receiveOverrideOptions("").size).toBe(0);
    expect(() => receiveOverrideOptions("no_unknown_recipient_checks, No_Milters")).toThrow(
      'unknown receive_override_options value "No_Milters" in "no_unknown_recipient_checks, No_Milters"',
    );
    await expect(base(["receive_override_options = no_such_option"])).rejects.toThrow('unknown receive_override_options value "no_such_option" in "no_such_option"');
  });
});

describe("check_*_mx_access, check_*_ns_access, check_*_a_access (check_server_access)", () => {
  // a small DNS: names → records of each type; an "error" entry fails every lookup of its name
  const zone: Record<string, Partial<Record<"MX" | "NS" | "A" | "AAAA", string[]>> | "error"> = {
    "spam.test": { MX: ["mx1.bad.test"] },
    "mx1.bad.test": { A: ["192.0.2.66"] },
    "private.test": { MX: ["mx.private.test"] },
    "mx.private.test": { A: ["10.0.0.1"] },
    "nomx.test": { A: ["192.0.2.50"] },
    "nullmx.test": { MX: ["."] },
    "ns.test": { NS: ["ns1.evil.test"] },
    "ns1.evil.test": { A: ["192.0.2.70"] },
    "h.test": { A: ["10.1.1.1"] },
    "good.test": { MX: ["mx.good.test"] },
    "mx.good.test": { A: ["192.0.2.10"] },
    "broken.test": "error",
  };
  const dns: SmtpdResolver = {
    query: async (name, type) => {
      const e = zone[name.toLowerCase()];
      if (e === "error") return { status: "error", records: [], text: "Host not found, try again" };
      const rr = e?.[type as "MX"];
      return rr ? { status: "found", records: rr } : { status: "notfound", records: [] };
    },
  };
  const table = ["bad.test REJECT bad mail server", "10.0.0 REJECT private address", "192.0.2.50 REJECT no mx", "evil.test REJECT bad name server",
    "10.1.1.1 REJECT helo address", "h.test REJECT never by name", "192.0.2.5 REJECT literal", "good.test OK"].map((l) => l.replace(" ", "\t")).join("\n");
  async function checks(words: string): Promise<Restrictions> {
    writeFileSync(join(dir, "server_access"), `${table}\n`);
    writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/q\nmyhostname = mx.example.test\nmaillog_file =\nalias_maps =\nlocal_recipient_maps =\ninet_protocols = ipv4\ncompatibility_level = 3.6\n${words}\n`);
    return Restrictions.create(loadConfig({ configDir: dir, warn: false }), dns);
  }

  test("MX hosts by name (parent domains too) and by address; a domain without MX is its own; null MX and literals", async () => {
    const r = await checks(`smtpd_sender_restrictions = check_sender_mx_access texthash:${dir}/server_access`);
    expect(await r.checkMail(session(), "a@spam.test")).toBe("554 5.7.1 <a@spam.test>: Sender address rejected: bad mail server");
    expect(await r.checkMail(session(), "a@private.test")).toBe("554 5.7.1 <a@private.test>: Sender address rejected: private address");
    expect(await r.checkMail(session(), "a@nomx.test")).toBe("554 5.7.1 <a@nomx.test>: Sender address rejected: no mx");
    expect(await r.checkMail(session(), "a@nullmx.test")).toBeUndefined();
    expect(await r.checkMail(session(), "a@[192.0.2.5]")).toBe("554 5.7.1 <a@[192.0.2.5]>: Sender address rejected: literal");
  });

  test("NS hosts, from the nearest parent domain that has some; A/AAAA addresses only, never the name", async () => {
    const r = await checks(`smtpd_recipient_restrictions = check_recipient_ns_access texthash:${dir}/server_access, permit_mynetworks, reject_unauth_destination\nmynetworks = 192.0.2.0/24`);
    expect(await r.checkRcpt(session(), "b@sub.ns.test")).toBe("554 5.7.1 <b@sub.ns.test>: Recipient address rejected: bad name server");
    const h = await checks(`smtpd_helo_restrictions = check_helo_a_access texthash:${dir}/server_access`);
    expect(await h.checkHelo(session(), "h.test")).toBe("554 5.7.1 <h.test>: Helo command rejected: helo address");
  });

  test("OK is refused for security reasons; a failing lookup is DUNNO with Postfix's warning", async () => {
    logLines = [];
    const r = await checks(`smtpd_sender_restrictions = check_sender_mx_access texthash:${dir}/server_access`);
    expect(await r.checkMail(session(), "a@good.test")).toBe("451 4.3.5 Server configuration error");
    expect(logLines).toContain("warning: restriction check_sender_mx_access returns OK for a@good.test");
    expect(logLines).toContain("warning: this is not allowed for security reasons");
    expect(await r.checkMail(session(), "a@broken.test")).toBeUndefined();
    expect(logLines).toContain("warning: Unable to look up MX host for broken.test: Host not found, try again");
  });
});

describe("permit_mx_backup", () => {
  const zone: Record<string, { MX?: [number, string][]; A?: string[] } | "error"> = {
    "backup.test": { MX: [[10, "mx.primary.test"], [20, "mx.example.test"]] },
    "mx.primary.test": { A: ["10.9.9.9"] },
    "primary.test": { MX: [[10, "mx.example.test"], [20, "mx.primary.test"]] },
    "other.test": { MX: [[10, "a.other.test"], [20, "b.other.test"]] },
    "a.other.test": { A: ["192.0.2.98"] },
    "b.other.test": { A: ["192.0.2.99"] },
    "byaddr.test": { MX: [[10, "mx.trusted.test"], [20, "me.byaddr.test"]] },
    "mx.trusted.test": { A: ["192.0.2.5"] },
    "me.byaddr.test": { A: ["127.0.0.1"] },
    "fail.test": "error",
  };
  const dns: SmtpdResolver = {
    query: async (name, type) => {
      const e = zone[name.toLowerCase()];
      if (e === "error") return { status: "error", records: [], text: "Host not found, try again" };
      if (type === "MX" && e?.MX) return { status: "found", records: e.MX.map((m) => m[1]), mx: e.MX.map(([preference, exchange]) => ({ preference, exchange })) };
      if (type === "A" && e?.A) return { status: "found", records: e.A };
      return { status: "notfound", records: [] };
    },
  };
  async function checks(extra = ""): Promise<Restrictions> {
    writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/q\nmyhostname = mx.example.test\nmaillog_file =\nalias_maps =\nlocal_recipient_maps =\n` +
      `inet_protocols = ipv4\ninet_interfaces = loopback-only\ncompatibility_level = 3.6\nsmtpd_relay_restrictions = permit_mx_backup, reject\n${extra}\n`);
    return Restrictions.create(loadConfig({ configDir: dir, warn: false }), dns);
  }
  const denied = (rcpt: string) => `554 5.7.1 <${rcpt}>: Recipient address rejected: Access denied`;

  test("a backup MX (by name in mydestination, or by an address of inet_interfaces) is permitted; a primary or a stranger is not", async () => {
    const r = await checks();
    expect(await r.checkRcpt(session(), "u@backup.test")).toBeUndefined();
    expect(await r.checkRcpt(session(), "u@byaddr.test")).toBeUndefined();
    expect(await r.checkRcpt(session(), "u@primary.test")).toBe(denied("u@primary.test"));
    expect(await r.checkRcpt(session(), "u@other.test")).toBe(denied("u@other.test"));
    expect(await r.checkRcpt(session(), "u@mx.example.test")).toBeUndefined(); // a local domain
  });

  test("permit_mx_backup_networks: every primary MX address must match; a failed MX lookup defers instead of rejecting", async () => {
    const r = await checks("permit_mx_backup_networks = 192.0.2.0/24");
    expect(await r.checkRcpt(session(), "u@backup.test")).toBe(denied("u@backup.test"));
    expect(await r.checkRcpt(session(), "u@byaddr.test")).toBeUndefined();
    expect(await r.checkRcpt(session(), "u@fail.test")).toBe("450 4.4.4 <u@fail.test>: Recipient address rejected: Unable to look up mail exchanger information: Host not found, try again");
  });
});

test("permit_inet_interfaces permits a client at one of inet_interfaces' addresses", async () => {
  const r = await make("compatibility_level = 3.6\ninet_interfaces = 192.0.2.9, 127.0.0.1\nsmtpd_relay_restrictions = permit_inet_interfaces, reject");
  expect(await r.checkRcpt(session("192.0.2.9"), "u@remote.test")).toBeUndefined();
  expect(await r.checkRcpt(session("192.0.2.10"), "u@remote.test")).toBe("554 5.7.1 <u@remote.test>: Recipient address rejected: Access denied");
});

test("server access checks take an MX host's addresses from /etc/hosts first, as getaddrinfo does", async () => {
  const fromHosts = addressesOfName("localhost");
  if (fromHosts === undefined) {
    console.log("skipped: /etc/hosts does not name localhost, or nsswitch.conf does not read it first");
    return;
  }
  const dns: SmtpdResolver = {
    query: async (name, type) => (name === "loop.test" && type === "MX" ? { status: "found", records: ["localhost"] } : { status: "notfound", records: [] }),
  };
  writeFileSync(join(dir, "hosts_access"), `${fromHosts[0]}\tREJECT loopback mail server\n`);
  writeFileSync(join(dir, "main.cf"), `queue_directory = ${dir}/q\nmyhostname = mx.example.test\nmaillog_file =\nalias_maps =\nlocal_recipient_maps =\ninet_protocols = ipv4\ncompatibility_level = 3.6\nsmtpd_sender_restrictions = check_sender_mx_access texthash:${dir}/hosts_access\n`);
  const r = await Restrictions.create(loadConfig({ configDir: dir, warn: false }), dns);
  expect(await r.checkMail(session(), "a@loop.test")).toBe("554 5.7.1 <a@loop.test>: Sender address rejected: loopback mail server");
});
