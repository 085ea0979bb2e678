import { test, expect } from "bun:test";
import { ConfigError } from "../config/config.ts";
import { expandPipeArgv, parsePipeAttributes, unescapeC, type PipeExpansion, type PipeIdentityRules } from "./pipe_attr.ts";

const USERS: Record<string, { uid: number; gid: number }> = {
  vmail: { uid: 5000, gid: 5000 }, root: { uid: 0, gid: 0 }, postfix: { uid: 100, gid: 101 }, wheelie: { uid: 6000, gid: 0 },
};
const GROUPS: Record<string, { gid: number }> = { mail: { gid: 8 }, postfix: { gid: 101 }, postdrop: { gid: 102 } };
const RULES: PipeIdentityRules = {
  getpwnam: (n) => USERS[n], getgrnam: (n) => GROUPS[n],
  mailOwner: "postfix", mailOwnerUid: 100, mailOwnerGid: 101, setgidGroup: "postdrop", setgidGid: 102,
};

test("parsePipeAttributes() reads flags, user, group and the command with everything after argv=", () => {
  const a = parsePipeAttributes(["flags=DRhu.>", "user=vmail:mail", "eol=\\r\\n", "size=1000", "null_sender=", "directory=/tmp", "argv=/usr/lib/dovecot/deliver", "-f", "${sender}", "user=x"], RULES);
  expect(a.flags).toMatchObject({ deliveredTo: true, returnPath: true, foldHost: true, foldUser: true, dotStuff: true, quoteFrom: true, fromLine: false, quoteLocal: false });
  expect([a.uid, a.gid]).toEqual([5000, 8]);
  expect(a.eol).toBe("\r\n");
  expect(a.sizeLimit).toBe(1000);
  expect(a.nullSender).toBe("");
  expect(a.directory).toBe("/tmp");
  expect(a.command).toEqual(["/usr/lib/dovecot/deliver", "-f", "${sender}", "user=x"]);
});

test("parsePipeAttributes() defaults: eol \\n, null sender MAILER-DAEMON, no size limit, the user's own group", () => {
  const a = parsePipeAttributes(["USER=vmail", "ARGV=/bin/cat"], RULES);
  expect([a.eol, a.nullSender, a.sizeLimit, a.gid]).toEqual(["\n", "MAILER-DAEMON", 0, 5000]);
});

const errors: [string, string[], string][] = [
  ["unknown flag", ["flags=Z", "user=vmail", "argv=/bin/cat"], "unknown flag: Z (ignored)"],
  ["unknown user", ["user=nosuch", "argv=/bin/cat"], "get_service_attr: unknown username: nosuch"],
  ["unknown group", ["user=vmail:nosuch", "argv=/bin/cat"], "get_service_attr: unknown group: nosuch"],
  ["bad size", ["user=vmail", "size=10k", "argv=/bin/cat"], "get_service_attr: bad size= value: 10k"],
  ["unknown attribute", ["user=vmail", "bogus=1", "argv=/bin/cat"], "unknown attribute name: bogus=1"],
  ["no user", ["argv=/bin/cat"], "missing user= command-line attribute"],
  ["no argv", ["user=vmail"], "missing argv= command-line attribute"],
  ["root", ["user=root", "argv=/bin/cat"], "user= command-line attribute specifies root privileges"],
  ["mail owner", ["user=postfix", "argv=/bin/cat"], "user= command-line attribute specifies mail system owner postfix"],
  ["group 0", ["user=wheelie", "argv=/bin/cat"], "user= command-line attribute specifies privileged group id 0"],
  ["owner's group", ["user=vmail:postfix", "argv=/bin/cat"], "user= command-line attribute specifies mail system owner postfix group id 101"],
  ["setgid group", ["user=vmail:postdrop", "argv=/bin/cat"], "user= command-line attribute specifies mail system postdrop group id 102"],
];
for (const [label, args, text] of errors) {
  test(`parsePipeAttributes() refuses: ${label}`, () => {
    expect(() => parsePipeAttributes(args, RULES)).toThrow(new ConfigError(text));
  });
}

test("unescapeC() turns C escapes into characters", () => {
  expect(unescapeC("\\r\\n")).toBe("\r\n");
  expect(unescapeC("\\101\\\\x")).toBe("A\\x");
});

function ctx(over: Partial<PipeExpansion> = {}): PipeExpansion {
  return {
    flags: { foldHost: false, foldUser: false, quoteLocal: false },
    values: new Map([["sender", "s@x.example"], ["nexthop", "Dest.Example"], ["size", "123"]]),
    recipients: [{ address: "Joe+Ext@Host.Example", origAddress: "alias@host.example" }, { address: "ann@other.example", origAddress: "" }],
    delimiter: "+",
    ...over,
  };
}

test("expandPipeArgv() repeats an argument with a per-recipient macro once per recipient", () => {
  expect(expandPipeArgv(["/bin/deliver", "-f", "$sender", "-d", "${recipient}", "$(nexthop)", "size=$size"], ctx())).toEqual({
    argv: ["/bin/deliver", "-f", "s@x.example", "-d", "Joe+Ext@Host.Example", "ann@other.example", "Dest.Example", "size=123"],
  });
});

test("expandPipeArgv() takes recipients apart: user, extension, mailbox, domain, original_recipient", () => {
  const one = ctx({ recipients: [ctx().recipients[0]!] });
  expect(expandPipeArgv(["${user}|${extension}|${mailbox}|${domain}|${original_recipient}"], one)).toEqual({
    argv: ["Joe|Ext|Joe+Ext|Host.Example|alias@host.example"],
  });
  expect(expandPipeArgv(["$user"], { ...one, delimiter: "" })).toEqual({ argv: ["Joe+Ext"] });
});

test("expandPipeArgv() folds with flags h and u and quotes with q", () => {
  const flags = { foldHost: true, foldUser: true, quoteLocal: true };
  const x = ctx({ flags, recipients: [{ address: "Mr Joe@Host.Example", origAddress: "" }] });
  expect(expandPipeArgv(["$recipient", "$mailbox", "$domain"], x)).toEqual({ argv: ['"mr joe"@host.example', "mr joe", "host.example"] });
});

test("expandPipeArgv() keeps $$ as $ and does not expand values again", () => {
  const x = ctx({ recipients: [{ address: "a$sender@b", origAddress: "" }] });
  expect(expandPipeArgv(["out.$$", "${recipient}"], x)).toEqual({ argv: ["out.$", "a$sender@b"] });
});

test("expandPipeArgv() reports an unknown macro, a conditional form and bad syntax", () => {
  expect(expandPipeArgv(["$bogus"], ctx())).toEqual({ unknown: "bogus" });
  expect(expandPipeArgv(["${recipient?x}"], ctx())).toEqual({ unknown: "recipient?x" });
  expect(expandPipeArgv(["${recipient"], ctx())).toEqual({ malformed: "${recipient" });
});

test("expandPipeArgv() gives an empty domain and warns for an address without @", () => {
  const warned: string[] = [];
  const x = ctx({ recipients: [{ address: "joe", origAddress: "" }], warnNoAt: (a) => warned.push(a) });
  expect(expandPipeArgv(["[$domain]"], x)).toEqual({ argv: ["[]"] });
  expect(warned).toEqual(["joe"]);
});
