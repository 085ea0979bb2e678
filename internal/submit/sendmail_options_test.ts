import { test, expect, describe } from "bun:test";
import {
  configDirOf,
  dsnEnvidProblem,
  fullNameOf,
  parseDsnNotify,
  parseDsnRet,
  parseSendmailArgs,
  sendmailConfigDir,
  type SendmailArgs,
} from "./sendmail_options.ts";
import { TRACE_FLAG } from "../queue/queue_file.ts";
import { FatalError } from "../sys/errors.ts";
import { GetoptError } from "../text/getopt.ts";

function parse(argv: string[], prog = "sendmail", verbose = 0): { args: SendmailArgs; warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  const args = parseSendmailArgs(argv, prog, { warn: (t) => warnings.push(t), info: (t) => infos.push(t) }, { verbose });
  return { args, warnings, infos };
}

function fatal(argv: string[], prog = "sendmail"): string {
  try {
    parse(argv, prog);
  } catch (e) {
    if (e instanceof GetoptError) return `getopt: ${e.detail} / usage: ${e.message}`;
    if (e instanceof FatalError) return e.message;
    throw e;
  }
  throw new Error(`no error for ${argv.join(" ")}`);
}

describe("parseSendmailArgs()", () => {
  const cases: [string, string[], Partial<SendmailArgs>, string[]?][] = [
    ["defaults", ["a@b"], { mode: "enqueue", extract: false, dotEndsInput: true, rewriteContext: "local", recipients: ["a@b"] }],
    ["-t -i", ["-t", "-i"], { extract: true, dotEndsInput: false, recipients: [] }],
    ["clustered -ti", ["-ti", "x"], { extract: true, dotEndsInput: false, recipients: ["x"] }],
    ["-oi", ["-oi", "x"], { dotEndsInput: false }],
    ["-o i separate", ["-o", "i", "x"], { dotEndsInput: false, recipients: ["x"] }],
    ["-f attached", ["-fjoe@x", "r"], { sender: "joe@x", recipients: ["r"] }],
    ["-f empty", ["-f", "", "r"], { sender: "" }],
    ["-r is -f", ["-r", "<>", "r"], { sender: "<>" }],
    ["-F", ["-F", "Joe Bloggs", "r"], { fullName: "Joe Bloggs" }],
    ["-G", ["-G", "r"], { rewriteContext: "remote" }],
    ["-B 8BITMIME", ["-B", "8BITMIME", "r"], { encoding: "8bit" }],
    ["-B 7BIT", ["-B7BIT", "r"], { encoding: "7bit" }],
    ["-N list", ["-N", "success,Delay", "r"], { dsnNotify: 2 | 8 }],
    ["-N never", ["-N", "NEVER", "r"], { dsnNotify: 1 }],
    ["-N bad", ["-N", "bogus", "r"], { dsnNotify: 0 }, ['unknown DSN NOTIFY command value "bogus" in "bogus"', "bad -N option value -- ignored"]],
    ["-N never+success", ["-N", "never,success", "r"], { dsnNotify: 0 }, ["bad -N option value -- ignored"]],
    ["-R hdrs", ["-R", "hdrs", "r"], { dsnRet: 2 }],
    ["-R bad", ["-R", "xx", "r"], { dsnRet: 0 }, ["bad -R option value -- ignored"]],
    ["-V ok", ["-V", "env-1", "r"], { dsnEnvid: "env-1" }],
    ["-V tab", ["-V", "a\tb", "r"], { dsnEnvid: undefined }, ["bad syntax in -V option value -- ignored"]],
    ["-V long", ["-V", "x".repeat(101), "r"], { dsnEnvid: undefined }, ["too long -V option value -- ignored"]],
    ["-V deprecated 2-char form", ["-V", "+=", "r"], { verp: "", recipients: ["+=", "r"] }, ["option -V is deprecated with Postfix 2.3; specify -XV instead"]],
    ["-V+= deprecated", ["-V+=", "r"], { verp: "+=" }, ["option -V+= is deprecated with Postfix 2.3; specify -XV+= instead"]],
    ["-XV", ["-XV", "r"], { verp: "" }],
    ["-XV+=", ["-XV+=", "r"], { verp: "+=" }],
    ["-bp", ["-bp"], { mode: "mailq" }],
    ["-bi", ["-bi"], { mode: "newaliases" }],
    ["-I", ["-I"], { mode: "newaliases" }],
    ["-bs", ["-bs"], { mode: "user" }],
    ["-bd", ["-bd"], { mode: "daemon" }],
    ["-bh", ["-bh"], { mode: "ignore" }],
    ["-bm after -bp", ["-bp", "-bm", "r"], { mode: "enqueue" }],
    ["-bv", ["-bv", "r"], { traceFlags: TRACE_FLAG.USR_VRFY }],
    ["bare -q", ["-q"], { mode: "flushq", recipients: [] }],
    ["-q interval", ["-q30m"], { queueInterval: "30m" }],
    ["-qR", ["-qRexample.com"], { flushSite: "example.com", mode: "enqueue" }],
    ["-qI", ["-qIABC123"], { flushId: "ABC123" }],
    ["-oA", ["-bi", "-oA/etc/aliases2"], { mode: "newaliases", aliasMap: "/etc/aliases2" }],
    ["ignored options", ["-om", "-o7", "-o8", "-U", "-m", "-c", "-x", "-h", "5", "-L", "lbl", "-e", "x", "-p", "y", "-Ax", "-Ofoo", "r"], { recipients: ["r"] }],
    ["one -v asks for a report", ["-v", "r"], { verbose: 0, traceFlags: TRACE_FLAG.RECORD }],
    ["-vv is verbose logging", ["-vv", "r"], { verbose: 2, traceFlags: 0 }],
    ["-C collected", ["-C", "/x/main.cf", "-C/y", "r"], { configPaths: ["/x/main.cf", "/y"] }],
    ["-- ends options", ["--", "-t"], { extract: false, recipients: ["-t"] }],
    ["first operand ends options", ["r", "-t"], { extract: false, recipients: ["r", "-t"] }],
    ["-q as an option value", ["-f", "-q", "r"], { sender: "-q", mode: "enqueue" }],
  ];
  for (const [label, argv, want, warnings] of cases) {
    test(label, () => {
      const r = parse(argv);
      expect(r.args).toMatchObject(want);
      expect(r.warnings).toEqual(warnings ?? []);
    });
  }

  test("the program name picks the default mode", () => {
    expect(parse([], "mailq").args.mode).toBe("mailq");
    expect(parse([], "newaliases").args.mode).toBe("newaliases");
    expect(parse([], "smtpd").args.mode).toBe("daemon");
    expect(parse([], "sendmail").args.mode).toBe("enqueue");
  });

  test("MAIL_VERBOSE makes a lone -v verbose logging and no -v a delivery report", () => {
    expect(parse(["r"], "sendmail", 1).args).toMatchObject({ verbose: 0, traceFlags: TRACE_FLAG.RECORD });
    expect(parse(["-v", "r"], "sendmail", 1).args).toMatchObject({ verbose: 2, traceFlags: 0 });
  });

  test("ignored options are reported only when verbose", () => {
    expect(parse(["-vv", "-U", "-ox", "r"]).infos).toEqual(["-U option ignored", "-ox option ignored"]);
    expect(parse(["-U", "r"]).infos).toEqual([]);
  });

  test("-q in daemon mode is ignored with a warning", () => {
    expect(parse(["-bd", "-q"])).toMatchObject({ args: { mode: "daemon" }, warnings: ["ignoring -q option in daemon mode"] });
    expect(parse(["-q", "-bd"])).toMatchObject({ args: { mode: "daemon" }, warnings: ["ignoring -q option in daemon mode"] });
  });

  const fatals: [string, string[], string][] = [
    ["-n", ["-n"], "-n option not supported"],
    ["-B bad", ["-B", "8bit"], "-B option needs 8BITMIME or 7BIT"],
    ["-X other", ["-Xfoo"], "unsupported: -Xf"],
    ["-b other", ["-bz"], "unsupported: -bz"],
    ["-oA empty", ["-oA"], "-oA requires pathname"],
    ["-qR empty", ["-qR"], "specify: -qRsitename"],
    ["-qI empty", ["-qI"], "specify: -qIqueueid"],
    ["-qX", ["-qX"], "-qX is not implemented"],
    ["-t with -bp", ["-t", "-bp"], "-t can be used only in delivery mode"],
    ["-qR with -bp", ["-qRx", "-bp"], "-qR can be used only in delivery mode"],
    ["-qI with -bi", ["-qIx", "-bi"], "-qI can be used only in delivery mode"],
    ["-bv -t", ["-bv", "-t"], "-t option cannot be used with -bv"],
    ["-bv -N", ["-bv", "-N", "success"], "-N option cannot be used with -bv"],
    ["-bv -R", ["-bv", "-R", "full"], "-R option cannot be used with -bv"],
    ["-bv -v", ["-bv", "-v"], "-v option cannot be used with -bv"],
    ["unknown option", ["-Z"], "getopt: invalid option -- 'Z' / usage: sendmail [options]"],
    ["missing value", ["-f"], "getopt: option requires an argument -- 'f' / usage: sendmail [options]"],
  ];
  for (const [label, argv, want] of fatals) test(`fatal: ${label}`, () => expect(fatal(argv)).toBe(want));

  test("the usage line names the program", () => expect(fatal(["-Z"], "mailq")).toBe("getopt: invalid option -- 'Z' / usage: mailq [options]"));
});

describe("sendmailConfigDir()", () => {
  test("takes the last -C and reports every getopt diagnostic", () => {
    const diags: string[] = [];
    const dir = sendmailConfigDir(["-q", "-Z", "-C", "/a/main.cf", "-Y", "-C/b", "r", "-C", "/c"], { warn: () => {}, getoptDiagnostic: (t) => diags.push(t) });
    expect(dir).toBe("/b");
    expect(diags).toEqual(["invalid option -- 'Z'", "invalid option -- 'Y'"]);
  });
  test("is undefined without -C", () => expect(sendmailConfigDir(["-t"], { warn: () => {} })).toBeUndefined());
});

test("configDirOf() turns a main.cf path into its directory", () => {
  expect(configDirOf("/etc/postfix/main.cf")).toBe("/etc/postfix");
  expect(configDirOf("main.cf")).toBe(".");
  expect(configDirOf("/main.cf")).toBe("/");
  expect(configDirOf("/etc/postfix")).toBe("/etc/postfix");
  expect(configDirOf("/etc/main.cf.d")).toBe("/etc/main.cf.d");
});

test("parseDsnNotify(), parseDsnRet(), dsnEnvidProblem()", () => {
  const w: string[] = [];
  expect(parseDsnNotify("success, failure delay", (t) => w.push(t))).toBe(14);
  expect(parseDsnNotify("", (t) => w.push(t))).toBe(0);
  expect(parseDsnNotify("never,never", (t) => w.push(t))).toBe(1);
  expect(w).toEqual([]);
  expect(parseDsnRet("FULL")).toBe(1);
  expect(parseDsnRet("Hdrs")).toBe(2);
  expect(parseDsnRet("")).toBe(0);
  expect(dsnEnvidProblem("")).toBe("bad syntax in -V option value -- ignored");
  expect(dsnEnvidProblem("é")).toBe("bad syntax in -V option value -- ignored");
  expect(dsnEnvidProblem("x".repeat(100))).toBeUndefined();
});

test("fullNameOf() is $NAME, else GECOS up to , ; or % with & as the capitalised login", () => {
  expect(fullNameOf("Env Name", { name: "joe", gecos: "Joe" })).toBe("Env Name");
  expect(fullNameOf("", { name: "joe", gecos: "Joe" })).toBe("");
  expect(fullNameOf(undefined, { name: "joe", gecos: "& Bloggs,Room 1" })).toBe("Joe Bloggs");
  expect(fullNameOf(undefined, { name: "joe", gecos: "A;B" })).toBe("A");
  expect(fullNameOf(undefined, { name: "joe", gecos: "A%B" })).toBe("A");
  expect(fullNameOf(undefined, { name: "joe", gecos: "" })).toBe("");
  expect(fullNameOf(undefined, undefined)).toBeUndefined();
});
