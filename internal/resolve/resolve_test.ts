/**
 * Resolver and relocated_maps: a relocated address goes to the error transport with Postfix's `5.1.6 User has
 * moved to NEWADDR`, whatever its class and transport_maps say; a bare local part is looked up with
 * @$myhostname; a failing table throws after Postfix's warnings; a table that cannot be opened is a surrogate.
 */
import { test, expect, beforeAll, afterAll, beforeEach } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { MapError } from "../maps/index.ts";
import { Resolver } from "./resolve.ts";

let dir: string;
let logLines: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "resolve-test-"));
  setMsgStderr(false);
  setMsgSink({ write: (level, text) => logLines.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
  writeFileSync(
    join(dir, "relocated"),
    "moved@example.test\tnewuser@elsewhere.test\nolduser\tnew@other.test\n@olddomain.test\tcontact@newdomain.test\n" +
      "bob@host.example.test\tbob@new.test\nrouted@remote.test\trouted@new.test\n",
  );
});
afterAll(() => {
  setMsgSink(undefined);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  logLines = [];
});

async function resolver(extra: string[] = []): Promise<Resolver> {
  writeFileSync(
    join(dir, "main.cf"),
    [
      `queue_directory = ${dir}/q`, "maillog_file =", "myhostname = host.example.test", "mydestination = $myhostname, example.test",
      "recipient_delimiter = +", `relocated_maps = texthash:${dir}/relocated`, ...extra, "",
    ].join("\n"),
  );
  return Resolver.create(loadConfig({ configDir: dir, warn: false }));
}

test("resolve(): relocated addresses go to the error transport with `5.1.6 User has moved to NEWADDR`", async () => {
  const r = await resolver([`transport_maps = inline:{ routed@remote.test=smtp:[192.0.2.1] }`]);
  const cases: [string, string, string, string][] = [
    ["moved@example.test", "local", "error", "5.1.6 User has moved to newuser@elsewhere.test"],
    ["MOVED@Example.TEST", "local", "error", "5.1.6 User has moved to newuser@elsewhere.test"],
    ["olduser@example.test", "local", "error", "5.1.6 User has moved to new@other.test"],
    ["olduser+ext@host.example.test", "local", "error", "5.1.6 User has moved to new@other.test"],
    ["olduser", "local", "error", "5.1.6 User has moved to new@other.test"], // looked up as olduser@$myhostname
    ["olduser@remote.test", "default", "smtp", "remote.test"], // a bare local part matches local domains only
    ["bob+foo@host.example.test", "local", "error", "5.1.6 User has moved to bob@new.test"],
    ["x@olddomain.test", "default", "error", "5.1.6 User has moved to contact@newdomain.test"],
    ["routed@remote.test", "default", "error", "5.1.6 User has moved to routed@new.test"], // after transport_maps
    ["stays@example.test", "local", "local", "host.example.test"],
  ];
  for (const [addr, cls, transport, nexthop] of cases) {
    const got = r.resolve(addr);
    expect([addr, got.cls, got.transport, got.nexthop]).toEqual([addr, cls, transport, nexthop]);
  }
  expect(r.resolve("moved@example.test").relocated).toBe("newuser@elsewhere.test");
  expect(logLines).toEqual([]);
});

test("resolve(): a relocated_maps lookup that fails throws MapError after Postfix's warnings", async () => {
  const r = await resolver(["relocated_maps = fail:reloc"]);
  expect(() => r.resolve("user@example.test")).toThrow(MapError);
  expect(logLines).toEqual(['warning: fail:reloc lookup error for "user@example.test"', "warning: relocated_maps lookup failure"]);
});

test("resolve(): a relocated_maps table that cannot be opened is logged once, then fails every lookup", async () => {
  const r = await resolver([`relocated_maps = hash:${dir}/missing`]);
  expect(logLines).toEqual([`error: open database ${dir}/missing.db: No such file or directory`]);
  logLines = [];
  expect(() => r.resolve("user@example.test")).toThrow(MapError);
  expect(logLines).toEqual([
    `warning: hash:${dir}/missing is unavailable. open database ${dir}/missing.db: No such file or directory`,
    `warning: hash:${dir}/missing lookup error for "user@example.test"`,
    "warning: relocated_maps lookup failure",
  ]);
});

test("resolve(): without relocated_maps nothing is looked up", async () => {
  const r = await resolver(["relocated_maps ="]);
  expect(r.resolve("moved@example.test")).toEqual({ cls: "local", transport: "local", nexthop: "host.example.test", address: "moved@example.test" });
});

test("sender_dependent_relayhost_maps and sender_dependent_default_transport_maps follow the sender", async () => {
  const r = await resolver([
    "relayhost = [smarthost.example]:587",
    "relay_domains = partner.test",
    "sender_dependent_relayhost_maps = inline:{ { alice@example.test = [alice-relay.example]:587 }, { @corp.test = [corp-relay.example] }, { <> = [bounce-relay.example] }, { dunno@example.test = DUNNO } }",
    "sender_dependent_default_transport_maps = inline:{ { @corp.test = corpsmtp }, { carol@example.test = relay:[carol.example] } }",
  ]);
  const where = (rcpt: string, sender?: string) => {
    const x = r.resolve(rcpt, sender);
    return `${x.transport} ${x.nexthop}`;
  };
  expect(where("x@remote.test")).toBe("smtp [smarthost.example]:587");
  expect(where("x@remote.test", "bob@example.test")).toBe("smtp [smarthost.example]:587");
  expect(where("x@remote.test", "alice@example.test")).toBe("smtp [alice-relay.example]:587");
  expect(where("x@remote.test", "alice+list@example.test")).toBe("smtp [alice-relay.example]:587");
  expect(where("x@remote.test", "anyone@corp.test")).toBe("corpsmtp [corp-relay.example]");
  expect(where("x@remote.test", "")).toBe("smtp [bounce-relay.example]");
  expect(where("x@remote.test", "dunno@example.test")).toBe("smtp [smarthost.example]:587");
  // a transport with its own next hop keeps it; the relay class gets the sender's relayhost but not its transport
  expect(where("x@remote.test", "carol@example.test")).toBe("relay [carol.example]");
  expect(where("x@partner.test", "anyone@corp.test")).toBe("relay [corp-relay.example]");
  // local mail is not affected
  expect(where("bob@example.test", "alice@example.test")).toBe("local host.example.test");
});
