/**
 * content_checks_test — header_checks, mime_header_checks, nested_header_checks and body_checks as cleanup applies
 * them: what each action does to the queue file, the refusal it makes, and the log lines (Postfix 3.7's wording).
 */
import { test, expect, beforeAll, afterAll, beforeEach, afterEach, describe } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync, realpathSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { oracleUnescape } from "../message/_test_oracle.ts";
import { loadConfig } from "../config/config.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { ensureQueueDirs, openQueueFile, queueLayout, layoutPath, DSN_NOTIFY } from "../queue/index.ts";
import { Cleanup, CleanupError, type CleanupRequest } from "./cleanup.ts";

let dir = "";
let log: string[] = [];

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "checks-test-")));
  ensureQueueDirs(join(dir, "queue"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  log = [];
  setMsgStderr(false);
  setMsgSink({ write: (level, text) => log.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
});
afterEach(() => {
  setMsgSink(undefined);
  setMsgStderr(true);
});

const MIME_MESSAGE = [
  "Subject: report",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="XX"',
  "",
  "preamble",
  "--XX",
  "Content-Type: text/plain",
  "",
  "hello there",
  "--XX",
  'Content-Type: application/octet-stream; name="evil.exe"',
  "Content-Disposition: attachment",
  "",
  "TVqQAAMAAAAEAAAA",
  "--XX",
  "Content-Type: message/rfc822",
  "",
  "Subject: forwarded",
  "From: someone@else.test",
  "",
  "inner body",
  "--XX--",
  "",
].join("\n");

/** Runs one message through cleanup with `checks` as a regexp table for each named parameter. */
async function run(
  tables: Record<string, string>,
  content: string | Buffer,
  opts: { mainCf?: string; internal?: boolean; req?: Partial<CleanupRequest> } = {},
) {
  let cf = `queue_directory = ${dir}/queue\nmyhostname = host.example.test\nmydomain = example.test\nmyorigin = example.test\n`;
  for (const [param, rules] of Object.entries(tables)) {
    if (/^\w+:\S+$/.test(rules)) {
      cf += `${param} = ${rules}\n`;
      continue;
    }
    writeFileSync(join(dir, param), rules);
    cf += `${param} = regexp:${dir}/${param}\n`;
  }
  writeFileSync(join(dir, "main.cf"), cf + (opts.mainCf ?? ""));
  const cfg = loadConfig({ configDir: dir, warn: false });
  const base = await Cleanup.create(cfg);
  const c = opts.internal ? base : base.withContentFilter(cfg.get("content_filter"));
  const res = await c.process({
    sender: "alice", recipients: [{ address: "bob" }], context: "local", date: new Date(Date.UTC(2026, 10, 25, 5, 26, 10)),
    ...opts.req, content: [typeof content === "string" ? Buffer.from(content) : content],
  });
  if (res.path === undefined) return { res, content: undefined, env: undefined };
  using f = openQueueFile(res.path);
  const env = f.envelope();
  const text = Buffer.concat([...f.content()].map((b) => Buffer.from(b))).toString();
  return { res, env, content: text };
}

async function refusal(tables: Record<string, string>, content: string, opts: Parameters<typeof run>[2] = {}): Promise<CleanupError> {
  try {
    await run(tables, content, opts);
  } catch (e) {
    if (e instanceof CleanupError) return e;
    throw e;
  }
  throw new Error("not refused");
}

test("REJECT refuses the message with 5.7.1 and its text, logs Postfix's line, and leaves no file", async () => {
  const e = await refusal({ header_checks: "/^Subject: .*viagra/ REJECT no spam here\n" }, "Subject: buy viagra now\n\nx\n");
  expect([e.dsn, e.message, e.temporary, e.content]).toEqual(["5.7.1", "no spam here", false, true]);
  const qid = e.refused!.queueId;
  expect(log).toContain(`${qid}: reject: header Subject: buy viagra now from local; from=<alice@example.test> to=<bob@example.test>: 5.7.1 no spam here`);
  expect(existsSync(layoutPath(queueLayout(join(dir, "queue")), "incoming", qid))).toBe(false);
});

test("REJECT without text is `5.7.1 message content rejected`; a 4.x.x status is temporary; 2.x.x becomes 4.x.x with a warning", async () => {
  const plain = await refusal({ header_checks: "/^Subject:/ REJECT\n" }, "Subject: a\n\nx\n");
  expect([plain.dsn, plain.message, plain.temporary]).toEqual(["5.7.1", "message content rejected", false]);
  const later = await refusal({ header_checks: "/^Subject:/ REJECT 4.7.0 try again later\n" }, "Subject: a\n\nx\n");
  expect([later.dsn, later.message, later.temporary]).toEqual(["4.7.0", "try again later", true]);
  log = [];
  const bad = await refusal({ header_checks: "/^Subject:/ REJECT 2.0.0 fine\n" }, "Subject: a\n\nx\n");
  expect([bad.dsn, bad.message, bad.temporary]).toEqual(["4.0.0", "fine", true]);
  expect(log).toContain("warning: bad DSN action in 2.0.0 fine -- need 4.x.x or 5.x.x");
});

test("the log line names the SMTP client, protocol and HELO name that submitted the message", async () => {
  const attrs = new Map([["log_message_origin", "mx.example[192.0.2.1]"], ["log_protocol_name", "ESMTP"], ["log_helo_name", "mx.example"]]);
  const e = await refusal({ body_checks: "/^bad/ REJECT\n" }, "Subject: a\n\nok\nbad line\n", { req: { context: "remote", uid: undefined, senderAttributes: attrs, sender: "a@x.test", recipients: [{ address: "b@y.test" }] } });
  expect(log).toContain(`${e.refused!.queueId}: reject: body bad line from mx.example[192.0.2.1]; from=<a@x.test> to=<b@y.test> proto=ESMTP helo=<mx.example>: 5.7.1 message content rejected`);
});

test("WARN and INFO only log; DUNNO and OK do nothing; an unknown action is a warning", async () => {
  const { res, content } = await run(
    { header_checks: "/^Subject:/ WARN look at this\n/^X-A:/ INFO\n/^X-B:/ DUNNO\n/^X-C:/ OK\n/^X-D:/ FROB it\n" },
    "Subject: s\nX-A: 1\nX-B: 2\nX-C: 3\nX-D: 4\n\nx\n",
  );
  expect(content).toContain("Subject: s\nX-A: 1\nX-B: 2\nX-C: 3\nX-D: 4\n");
  expect(log).toContain(`${res.queueId}: warning: header Subject: s from local; from=<alice@example.test> to=<bob@example.test>: look at this`);
  expect(log).toContain(`${res.queueId}: info: header X-A: 1 from local; from=<alice@example.test> to=<bob@example.test>`);
  expect(log).toContain(`warning: unknown command in header_checks map: FROB it`);
});

test("PREPEND, REPLACE, STRIP and IGNORE change the headers; a PREPEND that is not a header is refused with a warning", async () => {
  const { content } = await run(
    { header_checks: "/^Subject: (.*)/ REPLACE Subject: [ext] $1\n/^X-Mailer:/ STRIP\n/^X-Spam:/ IGNORE\n/^To:/ PREPEND X-Seen: yes\n/^From:/ PREPEND not a header\n" },
    "From: a@example.test\nTo: b@example.test\nSubject: hello\nX-Mailer: m\nX-Spam: yes\n\nbody\n",
  );
  expect(content).toContain("From: a@example.test\nX-Seen: yes\nTo: b@example.test\nSubject: [ext] hello\n");
  expect(content).not.toContain("X-Mailer");
  expect(content).not.toContain("X-Spam");
  expect(log).toContain('warning: bad PREPEND header text "not a header" in header_checks map -- need "headername: headervalue"');
  expect(log.some((l) => l.includes(": strip: header X-Mailer: m from local;"))).toBe(true);
  expect(log.some((l) => l.includes("X-Spam"))).toBe(false);
});

test("a REPLACEd header is what cleanup then sees: a replaced Message-Id counts, a header replaced by Bcc is dropped", async () => {
  const { content } = await run({ header_checks: "/^X-Id:/ REPLACE Message-Id: <fixed@example.test>\n/^X-Hidden:/ REPLACE Bcc: c@example.test\n" }, "X-Id: 1\nX-Hidden: 1\n\nx\n");
  expect(content).toContain("Message-Id: <fixed@example.test>\n");
  expect(content!.match(/^Message-Id:/gim)?.length).toBe(1);
  expect(content).not.toContain("Bcc:");
});

test("DISCARD accepts and throws the message away; HOLD puts it in the hold queue", async () => {
  const d = await run({ header_checks: "/^Subject: drop/ DISCARD\n" }, "Subject: drop me\n\nx\n");
  expect(d.res.path).toBeUndefined();
  expect(existsSync(layoutPath(queueLayout(join(dir, "queue")), "incoming", d.res.queueId))).toBe(false);
  expect(log).toContain(`${d.res.queueId}: discard: header Subject: drop me from local; from=<alice@example.test> to=<bob@example.test>`);
  const h = await run({ body_checks: "/suspicious/ HOLD quarantine\n" }, "Subject: a\n\nvery suspicious\n");
  expect(h.res.path).toBe(layoutPath(queueLayout(join(dir, "queue")), "hold", h.res.queueId));
  expect(log).toContain(`${h.res.queueId}: hold: body very suspicious from local; from=<alice@example.test> to=<bob@example.test>: quarantine`);
});

test("FILTER records a content filter, REDIRECT a redirect address, BCC a recipient without notices", async () => {
  const { env } = await run(
    { header_checks: "/^X-Scan:/ FILTER scan:[127.0.0.1]:10025\n/^X-Copy:/ BCC archive@example.test\n/^X-Bad:/ FILTER noColon\n" },
    "X-Scan: 1\nX-Copy: 1\nX-Bad: 1\n\nx\n",
  );
  expect(env!.attributes.get("content_filter")).toBe("scan:[127.0.0.1]:10025");
  expect(env!.recipients.map((r) => [r.address, r.notify])).toEqual([["bob@example.test", 0], ["archive@example.test", DSN_NOTIFY.NEVER]]);
  expect(log).toContain("warning: bad FILTER command noColon in header_checks -- need transport:destination");
  const r = await run({ body_checks: "/^quarantine/ REDIRECT jail@example.test\n/^x/ REJECT\n" }, "Subject: a\n\nquarantine\nx\n");
  expect(r.env!.attributes.get("redirect_to")).toBe("jail@example.test");
});

test("PASS, REJECT, DISCARD and REDIRECT end the checks for the message", async () => {
  const { content } = await run({ header_checks: "/^X-Trusted:/ PASS\n/^Subject:/ REJECT\n", body_checks: "/./ REJECT\n" }, "X-Trusted: 1\nSubject: a\n\nbody\n");
  expect(content).toContain("Subject: a\n");
  const d = await run({ header_checks: "/^Subject:/ DISCARD\n/^X-A:/ HOLD\n" }, "Subject: a\nX-A: 1\n\nx\n");
  expect(d.res.path).toBeUndefined();
  expect(log.some((l) => l.includes(": hold: "))).toBe(false);
});

test("body_checks: REPLACE and PREPEND lines, and only lines that start within body_checks_size_limit", async () => {
  const { content } = await run({ body_checks: "/^secret (.*)/ REPLACE [removed]\n/^sign/ PREPEND --\n/^late/ REJECT\n" }, `Subject: a\n\nsecret 42\nsign here\n${"y".repeat(40)}\nlate\n`, { mainCf: "body_checks_size_limit = 40\n" });
  expect(content).toContain("\n\n[removed]\n--\nsign here\n");
  expect(content).toContain("\nlate\n");
});

test("MIME part headers go to mime_header_checks, attached message headers to nested_header_checks, part bodies to body_checks", async () => {
  const e = await refusal({ mime_header_checks: '/^Content-Type:.*name="[^"]*\\.exe"/ REJECT executable attachment\n' }, MIME_MESSAGE);
  expect([e.dsn, e.message]).toEqual(["5.7.1", "executable attachment"]);
  const n = await refusal({ header_checks: "/^Subject: report/ DUNNO\n", nested_header_checks: "/^Subject: forwarded/ REJECT nested\n" }, MIME_MESSAGE);
  expect(n.message).toBe("nested");
  // header_checks sees only the primary non-MIME headers
  const { content } = await run({ header_checks: "/^Subject: forwarded/ REJECT\n/^Content-Type/ REJECT\n", mime_header_checks: "/^Nothing/ DUNNO\n" }, MIME_MESSAGE, { mainCf: "nested_header_checks =\n" });
  expect(content!).toContain("Subject: forwarded\n");
  const b = await refusal({ body_checks: "/^TVqQ/ REJECT binary\n" }, MIME_MESSAGE);
  expect(b.message).toBe("binary");
});

test("mime_header_checks and nested_header_checks default to header_checks; MIME headers never go to header_checks alone", async () => {
  const e = await refusal({ header_checks: "/^Subject: forwarded/ REJECT nested by default\n" }, MIME_MESSAGE);
  expect(e.message).toBe("nested by default");
  const m = await refusal({ header_checks: "/^Content-Type: multipart/ REJECT mime by default\n" }, MIME_MESSAGE);
  expect(m.message).toBe("mime by default");
  const none = await run({ header_checks: "/^Content-Type: multipart/ REJECT\n" }, MIME_MESSAGE, { mainCf: "mime_header_checks =\n" });
  expect(none.content).toContain("Content-Type: multipart/mixed");
});

test("with disable_mime_input_processing = yes, part headers are body lines", async () => {
  const e = await refusal({ body_checks: "/^Content-Disposition: attachment/ REJECT seen as body\n" }, MIME_MESSAGE, { mainCf: "disable_mime_input_processing = yes\n" });
  expect(e.message).toBe("seen as body");
  const { content } = await run({ body_checks: "/^Content-Disposition: attachment/ REJECT\n" }, MIME_MESSAGE);
  expect(content).toContain("Content-Disposition: attachment\n");
});

test("pickup's and smtpd's own Received headers are checked as the message's", async () => {
  const e = await refusal({ header_checks: "/^Received: by host\\.example\\.test \\(Postfix, from userid 1000\\)/ REJECT local mail\n" }, "Subject: a\n\nx\n", { req: { uid: 1000 } });
  expect(e.message).toBe("local mail");
  const s = await refusal({ header_checks: "/^Received: from client/ REJECT via smtpd\n" }, "Subject: a\n\nx\n", { req: { context: "remote", prepend: ["Received: from client (client [192.0.2.9])", "\tby host; date"] } });
  expect(s.message).toBe("via smtpd");
});

test("checks do not apply to mail the system makes itself, nor with receive_override_options = no_header_body_checks", async () => {
  const internal = await run({ header_checks: "/^Subject:/ REJECT\n" }, "Subject: a\n\nx\n", { internal: true });
  expect(internal.content).toContain("Subject: a\n");
  const off = await run({ header_checks: "/^Subject:/ REJECT\n" }, "Subject: a\n\nx\n", { mainCf: "receive_override_options = no_unknown_recipient_checks, no_header_body_checks\n" });
  expect(off.content).toContain("Subject: a\n");
});

test("a table that fails at lookup time makes the message a temporary failure", async () => {
  const e = await refusal({ header_checks: "fail:broken" }, "Subject: a\n\nx\n");
  expect(e.temporary).toBe(true);
  expect(e.content).toBe(false);
  expect(log.some((l) => /^warning: [0-9A-F]+: header_checks map lookup problem -- message not accepted, try again later$/.test(l))).toBe(true);
});

test("8-bit header text is matched as UTF-8 and replacement text written as UTF-8", async () => {
  const { content } = await run({ header_checks: "/^Subject: caf\u00e9/ REPLACE Subject: th\u00e9\n" }, "Subject: caf\u00e9\n\nx\n");
  expect(content).toContain("Subject: th\u00e9\n");
});

test("with header tables, MIME nesting deeper than mime_nesting_limit refuses the message (5.6.0)", async () => {
  const nest = (depth: number) => {
    let head = "Subject: deep\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b0\n\n";
    for (let i = 1; i <= depth; i++) head += `--b${i - 1}\nContent-Type: multipart/mixed; boundary=b${i}\n\n`;
    return `${head}--b${depth}\nContent-Type: text/plain\n\nx\n`;
  };
  const e = await refusal({ header_checks: "/^X-None:/ DUNNO\n" }, nest(6), { mainCf: "mime_nesting_limit = 3\n" });
  expect([e.dsn, e.message, e.content]).toEqual(["5.6.0", "MIME nesting exceeds safety limit", true]);
  expect(log.some((l) => /^[0-9A-F]+: reject: mime-error MIME nesting exceeds safety limit: Content-Type: multipart\/mixed; boundary=b\d from local; from=<alice@example.test> to=<bob@example.test>$/.test(l))).toBe(true);
  // within the limit, or with body_checks only, it is accepted
  expect((await run({ header_checks: "/^X-None:/ DUNNO\n" }, nest(2), { mainCf: "mime_nesting_limit = 3\n" })).content).toContain("Subject: deep");
  expect((await run({ body_checks: "/^X-None:/ DUNNO\n" }, nest(6), { mainCf: "mime_nesting_limit = 3\n" })).content).toContain("Subject: deep");
});

test("message_reject_characters refuses a message with such a character; message_strip_characters removes them", async () => {
  const e = await refusal({}, "Subject: a\n\nnul\u0000here\n", { mainCf: "message_reject_characters = \\0\n" });
  expect([e.dsn, e.message, e.content]).toEqual(["5.7.1", "disallowed character", true]);
  expect(log.some((l) => l.startsWith(`${e.refused!.queueId}: reject: content nul`) && l.endsWith(": 5.7.1 disallowed character"))).toBe(true);
  const { content } = await run({}, "Subject: a\u0007b\n\nx\u0007y\n", { mainCf: "message_strip_characters = \\007\n" });
  expect(content).toContain("Subject: ab\n");
  expect(content).toContain("\nxy\n");
});

test("a stray carriage return becomes a space, for every message (cleanup_replace_stray_cr_lf)", async () => {
  const { content } = await run({}, "Subject: a\rb\n\nline\r\nend\r\r\n", { internal: true });
  expect(content).toContain("Subject: a b\n");
  expect(content).toContain("\nline \nend  \n");
  const off = await run({}, "Subject: a\rb\n\nx\n", { internal: true, mainCf: "cleanup_replace_stray_cr_lf = no\n" });
  expect(off.content).toContain("Subject: a\rb\n");
});

test("a table that cannot be opened is logged once and defers every message, as Postfix's surrogate tables do", async () => {
  const e = await refusal({ header_checks: `regexp:${dir}/no-such-file` }, "Subject: a\n\nx\n");
  expect([e.temporary, e.content]).toEqual([true, false]);
  expect(log.some((l) => l.startsWith("error: ") && l.includes("no-such-file"))).toBe(true);
  expect(log.some((l) => /^warning: regexp:.*no-such-file is unavailable\./.test(l))).toBe(true);
  expect(log.some((l) => /^warning: [0-9A-F]+: header_checks map lookup problem -- message not accepted, try again later$/.test(l))).toBe(true);
});

describe("strict_8bitmime and strict_mime_encoding_domain, as Postfix 3.7's mime_state reports", () => {
  // the golden file was printed by Postfix's own mime_state (internal/address/testdata/postfix_oracle.c, mimestrict)
  const golden = JSON.parse(readFileSync(new URL("../../testdata/mime_downgrade/strict_postfix37.json", import.meta.url), "utf8")) as {
    cases: { name: string; records: string[]; errors: [string, string][] }[];
  };
  // the log shows the text as UTF-8 (as the checks' lines do)
  const asLogged = (bin: string) => Buffer.from(bin, "latin1").toString("utf8");
  const TEXT = {
    nesting: "MIME nesting exceeds safety limit",
    header8bit: "improper use of 8-bit data in message header",
    body8bit: "improper use of 8-bit data in message body",
    encodingDomain: "invalid message/* or multipart/* encoding domain",
  } as const;
  type Kind = keyof typeof TEXT;
  const strict = "strict_8bitmime = yes\nstrict_mime_encoding_domain = yes\n";
  for (const c of golden.cases) {
    test(c.name, async () => {
      const content = Buffer.from(`${c.records.map(oracleUnescape).join("\n")}\n`, "latin1");
      let refused: CleanupError | undefined;
      try {
        await run({}, content, { mainCf: strict });
      } catch (e) {
        if (!(e instanceof CleanupError)) throw e;
        refused = e;
      }
      const found = log.flatMap((l) => {
        const m = /^[0-9A-F]+: reject: mime-error (.*?): ([^]*) from local; from=<alice@example\.test> to=<bob@example\.test>$/.exec(l);
        return m ? [[(Object.keys(TEXT) as Kind[]).find((k) => TEXT[k] === m[1])!, m[2]!]] : [];
      });
      expect(found).toEqual(c.errors.map(([kind, text]) => [kind, asLogged(oracleUnescape(text))]));
      // refused with the first kind in Postfix's order (nesting, header, body, encoding domain)
      const first = (["nesting", "header8bit", "body8bit", "encodingDomain"] as const).find((k) => c.errors.some(([kind]) => kind === k));
      expect(refused === undefined ? "accepted" : `${refused.dsn} ${refused.message} ${refused.content}`).toBe(first === undefined ? "accepted" : `5.6.0 ${TEXT[first]} true`);
    });
  }

  test("each check alone; none with disable_mime_input_processing = yes or by default", async () => {
    const eight = "Subject: caf\u00e9\n\ncaf\u00e9\n";
    expect((await refusal({}, eight, { mainCf: "strict_7bit_headers = yes\n" })).message).toBe(TEXT.header8bit);
    expect((await refusal({}, eight, { mainCf: "strict_8bitmime_body = yes\n" })).message).toBe(TEXT.body8bit);
    expect((await refusal({}, "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nx\n", { mainCf: "strict_mime_encoding_domain = yes\n" })).message).toBe(TEXT.encodingDomain);
    expect((await run({}, eight)).content).toContain("caf\u00e9");
    expect((await run({}, eight, { mainCf: "strict_8bitmime = yes\ndisable_mime_input_processing = yes\n" })).content).toContain("caf\u00e9");
  });
});
