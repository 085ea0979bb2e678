/**
 * smtp_content_test — smtp_generic_maps and the SMTP client's header/body checks on outgoing content: which
 * addresses are mapped, which actions exist, what is logged, and that nothing changes without a rule.
 */
import { test, expect, beforeAll, afterAll, beforeEach } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig } from "../config/config.ts";
import { setMsgSink, setMsgStderr } from "../log/msg.ts";
import { OutgoingContent, ContentLookupError } from "./smtp_content.ts";

let dir = "";
let log: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "smtp-content-test-"));
  setMsgStderr(false);
  setMsgSink({ write: (level, text) => log.push(level === "info" ? text : `${level}: ${text}`), close: () => {} });
  writeFileSync(join(dir, "generic"), "alice@box.localdomain alice.smith@isp.example\n@box.localdomain nobody@isp.example\n");
});
afterAll(() => {
  setMsgSink(undefined);
  setMsgStderr(true);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  log = [];
});

async function outgoing(lines: string[]): Promise<OutgoingContent> {
  writeFileSync(join(dir, "main.cf"), ["myhostname = box.localdomain", "mydomain = localdomain", "recipient_delimiter = +", ...lines, ""].join("\n"));
  return OutgoingContent.open(loadConfig({ configDir: dir, warn: false }), "smtp");
}

const run = (o: OutgoingContent, content: string) => Buffer.concat(o.rewrite("ABC123", [Buffer.from(content, "latin1")])).toString("latin1");

test("nothing configured: no rewriting at all, and a downgrade changes only 8-bit MIME parts", async () => {
  const o = await outgoing([]);
  expect(o.rewrites).toBe(false);
  expect(o.envelopeAddress("a@b.test")).toBe("a@b.test");
  const plain = "Subject: x\n\nbody \xe9\n";
  expect(Buffer.concat(o.rewrite("ABC123", [Buffer.from(plain, "latin1")], true)).toString("latin1")).toBe(plain);
  const eight = "Subject: x\nContent-Transfer-Encoding: 8bit\n\nbody \xe9\n";
  expect(Buffer.concat(o.rewrite("ABC123", [Buffer.from(eight, "latin1")], true)).toString("latin1")).toBe(
    "Subject: x\nContent-Transfer-Encoding: quoted-printable\n\nbody =E9\n",
  );
});

test("a downgrade goes through the content checks: they see the converted text and the new header", async () => {
  writeFileSync(join(dir, "hc"), "/^Content-Transfer-Encoding: quoted-printable/ PREPEND X-Seen: cte\n");
  writeFileSync(join(dir, "bc"), "/=E9/ REPLACE replaced\n");
  const o = await outgoing([`smtp_header_checks = regexp:${join(dir, "hc")}`, `smtp_body_checks = regexp:${join(dir, "bc")}`]);
  const eight = "Subject: x\nContent-Transfer-Encoding: 8bit\n\nbody \xe9\n";
  expect(Buffer.concat(o.rewrite("ABC123", [Buffer.from(eight, "latin1")], true)).toString("latin1")).toBe(
    "Subject: x\nX-Seen: cte\nContent-Transfer-Encoding: quoted-printable\n\nreplaced\n",
  );
});

test("smtp_generic_maps: envelope addresses and the primary sender/recipient headers, not the empty sender or MIME parts", async () => {
  const o = (await outgoing([`smtp_generic_maps = texthash:${dir}/generic`]))!;
  expect(o.envelopeAddress("alice@box.localdomain")).toBe("alice.smith@isp.example");
  expect(o.envelopeAddress("bob@box.localdomain")).toBe("nobody@isp.example");
  expect(o.envelopeAddress("carol@elsewhere.example")).toBe("carol@elsewhere.example");
  expect(o.envelopeAddress("")).toBe("");
  const msg = [
    "From: Alice <alice@box.localdomain>",
    "To: carol@elsewhere.example, bob@box.localdomain",
    "Subject: alice@box.localdomain",
    "Message-Id: <1@box.localdomain>",
    "MIME-Version: 1.0",
    "Content-Type: message/rfc822",
    "",
    "From: alice@box.localdomain",
    "",
    "body alice@box.localdomain",
    "",
  ].join("\n");
  expect(run(o, msg)).toBe(msg.replace("From: Alice <alice@box.localdomain>", "From: Alice <alice.smith@isp.example>").replace("bob@box.localdomain", "nobody@isp.example"));
});

test("the extension is kept only with propagate_unmatched_extensions = generic", async () => {
  const plain = (await outgoing([`smtp_generic_maps = texthash:${dir}/generic`]))!;
  expect(plain.envelopeAddress("alice+list@box.localdomain")).toBe("alice.smith@isp.example");
  const prop = (await outgoing([`smtp_generic_maps = texthash:${dir}/generic`, "propagate_unmatched_extensions = canonical, virtual, generic"]))!;
  expect(prop.envelopeAddress("alice+list@box.localdomain")).toBe("alice.smith+list@isp.example");
});

test("smtp_header_checks and smtp_body_checks: the SMTP client's actions and log lines; others are unsupported", async () => {
  writeFileSync(join(dir, "hc"), "/^X-Internal:/ IGNORE\n/^Received: from internal/ STRIP\n/^Subject: (.*)/ REPLACE Subject: [out] $1\n/^X-Spam:/ REJECT\n/^To:/ PREPEND X-Relayed: yes\n/^X-Look:/ WARN seen\n");
  writeFileSync(join(dir, "bc"), "/^secret/ REPLACE [redacted]\n");
  const o = (await outgoing([`smtp_header_checks = regexp:${dir}/hc`, `smtp_body_checks = regexp:${dir}/bc`]))!;
  const out = run(o, "Received: from internal.host\nX-Internal: 1\nTo: a@b.example\nSubject: hi\nX-Spam: yes\nX-Look: 1\n\nsecret stuff\nplain\n");
  expect(out).toBe("X-Relayed: yes\nTo: a@b.example\nSubject: [out] hi\nX-Spam: yes\nX-Look: 1\n\n[redacted]\nplain\n");
  expect(log).toEqual([
    "ABC123: strip: header Received: from internal.host",
    "ABC123: prepend: header To: a@b.example: X-Relayed: yes",
    "ABC123: replace: header Subject: hi: Subject: [out] hi",
    "warning: unsupported command in smtp_header_checks map: REJECT",
    "ABC123: warning: header X-Look: 1: seen",
    "ABC123: replace: body secret stuff: [redacted]",
  ]);
});

test("MIME part headers go to smtp_mime_header_checks (default: none)", async () => {
  writeFileSync(join(dir, "mh"), '/name="x\\.exe"/ REPLACE Content-Type: application/octet-stream\n');
  const msg = 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: application/x-msdownload; name="x.exe"\n\nTVqQ\n--b--\n';
  const none = (await outgoing([`smtp_header_checks = regexp:${dir}/mh`]))!;
  expect(run(none, msg)).toBe(msg);
  const mime = (await outgoing([`smtp_mime_header_checks = regexp:${dir}/mh`]))!;
  expect(run(mime, msg)).toContain("--b\nContent-Type: application/octet-stream\n\nTVqQ\n");
});

test("a table that fails defers: Postfix's warning, then ContentLookupError", async () => {
  const o = (await outgoing(["smtp_header_checks = fail:broken"]))!;
  expect(() => run(o, "Subject: x\n\nbody\n")).toThrow(ContentLookupError);
  expect(log).toContain("warning: ABC123: smtp header checks lookup error");
});
