import { test, expect, describe } from "bun:test";
import { SendmailInput, type SendmailInputOptions } from "./sendmail_input.ts";
import { SubmitError } from "./submit_error.ts";

/** Runs `input` through a SendmailInput in chunks of `chunk` bytes; returns the stored content and recipients. */
function run(input: string | Uint8Array, opts: Partial<SendmailInputOptions> = {}, chunk = 7): { content: string; rcpts: string[]; stopped: boolean } {
  const out: Buffer[] = [];
  const r = new SendmailInput((b) => out.push(Buffer.from(b)), { dotEndsInput: true, ...opts });
  const bytes = typeof input === "string" ? Buffer.from(input, "latin1") : Buffer.from(input);
  let stopped = false;
  for (let i = 0; i < bytes.length; i += chunk) {
    if (!r.push(bytes.subarray(i, i + chunk))) {
      stopped = true;
      break;
    }
  }
  const rcpts = r.finish();
  return { content: Buffer.concat(out).toString("latin1"), rcpts, stopped };
}

describe("SendmailInput content", () => {
  const cases: [string, string, Partial<SendmailInputOptions>, string][] = [
    ["plain message kept as is", "Subject: x\n\nbody\n", {}, "Subject: x\n\nbody\n"],
    ["no newline at the end stays so", "Subject: x\n\nbody", {}, "Subject: x\n\nbody"],
    ["lone dot ends the input", "a\n.\nafter dot\n", {}, "a\n"],
    ["lone dot at the end without newline", "a\n.", {}, "a\n"],
    ["dot with CRLF ends the input (always)", "a\r\n.\r\nb\r\n", {}, "a\n"],
    ["-i keeps the dot", "a\n.\nb\n", { dotEndsInput: false }, "a\n.\nb\n"],
    ["two dots are text", "a\n..\nb\n", {}, "a\n..\nb\n"],
    ["dot with a space is text", "a\n. \nb\n", {}, "a\n. \nb\n"],
    ["CRLF stripped (always)", "a\r\nb\r\r\n\r\n", {}, "a\nb\n\n"],
    ["lone CR inside a line is kept", "a\rb\n", {}, "a\rb\n"],
    ["CR without newline at the end is kept", "a\r", {}, "a\r"],
    ["never keeps CRs", "a\r\n.\r\nb\r\n", { fixLineEndings: "never" }, "a\r\n.\r\nb\r\n"],
    ["strict: first line CRLF strips all", "a\r\nb\r\nc\n", { fixLineEndings: "strict" }, "a\nb\nc\n"],
    ["strict: first line LF keeps later CRs", "a\nb\r\n", { fixLineEndings: "strict" }, "a\nb\r\n"],
    ["leading From_ lines dropped", "From joe Mon\n>From x\n>>From y\nSubject: s\n\nFrom inside\n", {}, "Subject: s\n\nFrom inside\n"],
    ["From_ only at the start", "Subject: s\nFrom joe\n", {}, "Subject: s\nFrom joe\n"],
    ["From without space is kept", "Fromage\n", {}, "Fromage\n"],
    ["NUL and 8-bit bytes pass", "a\0b\xff\xfe\n\0\n", {}, "a\0b\xff\xfe\n\0\n"],
    ["empty input", "", {}, ""],
  ];
  for (const [label, input, opts, want] of cases) {
    test(label, () => {
      for (const chunk of [1, 3, 7, 4096]) expect(run(input, opts, chunk).content).toBe(want);
    });
  }

  test("a lone dot stops reading", () => {
    expect(run("a\n.\nrest\n", {}, 1).stopped).toBe(true);
    expect(run("a\n.\nrest\n", { dotEndsInput: false }, 1).stopped).toBe(false);
  });

  test("long lines stay whole; the line_length_limit pieces decide CR and dot handling as in Postfix", () => {
    const long = "x".repeat(5000);
    expect(run(`${long}\r\n`, { lineLimit: 2048 }).content).toBe(`${long}\n`);
    // a CR that ends a full piece is not at the end of a complete record: Postfix keeps it
    const piece = `${"y".repeat(2047)}\r`;
    expect(run(`${piece}\n`, { lineLimit: 2048 }, 100).content).toBe(`${piece}\n`);
    // a "." continuing a full piece does not end the input
    expect(run(`${"z".repeat(2048)}.\nnext\n`, { lineLimit: 2048 }, 100).content).toBe(`${"z".repeat(2048)}.\nnext\n`);
    // a line of exactly the limit followed by "." on the next line: the dot does end it
    expect(run(`${"z".repeat(2048)}\n.\nnext\n`, { lineLimit: 2048 }, 100).content).toBe(`${"z".repeat(2048)}\n`);
  });

  test("a From_ line longer than the limit is kept (only complete records are checked)", () => {
    const line = `From ${"x".repeat(3000)}`;
    expect(run(`${line}\nb\n`, { lineLimit: 2048 }, 512).content).toBe(`${line}\nb\n`);
  });

  test("a 1 MB line and a large binary input pass unchanged", () => {
    const big = Buffer.alloc(1 << 20, 0x61);
    expect(run(Buffer.concat([big, Buffer.from("\n")]), {}, 65536).content.length).toBe((1 << 20) + 1);
    const junk = Buffer.from(Array.from({ length: 200000 }, (_, i) => (i * 7919) % 256).filter((b) => b !== 10 && b !== 13));
    expect(run(junk, { dotEndsInput: false }, 65536).content).toBe(junk.toString("latin1"));
  });
});

describe("SendmailInput -t", () => {
  const t = (input: string, opts: Partial<SendmailInputOptions> = {}) => run(input, { extract: true, ...opts });

  test("recipients from To, Cc and Bcc; Bcc stays in the content", () => {
    const r = t('To: a@x, "Joe B" <b@y>\nCc: c@z\nBcc: d@w\nSubject: s\n\nbody\n');
    expect(r.rcpts).toEqual(["a@x", "b@y", "c@z", "d@w"]);
    expect(r.content).toBe('To: a@x, "Joe B" <b@y>\nCc: c@z\nBcc: d@w\nSubject: s\n\nbody\n');
  });

  test("folded headers and groups", () => {
    expect(t("To: a@x,\n\tb@y\nCc: team: c@z, d@w;\n\nbody\n").rcpts).toEqual(["a@x", "b@y", "c@z", "d@w"]);
  });

  test("a Resent- header makes only Resent- recipients count, wherever it is", () => {
    expect(t("To: a@x\nResent-To: r@x\nTo: late@x\nResent-Cc: s@x\n\nb\n").rcpts).toEqual(["r@x", "s@x"]);
  });

  test("no recipient headers: empty list", () => expect(t("Subject: x\n\nTo: body@x\n").rcpts).toEqual([]));

  test("headers in the body are not read", () => expect(t("Subject: x\n\nTo: body@x\n").content).toBe("Subject: x\n\nTo: body@x\n"));

  test("white space before the colon is removed, as Postfix's sendmail -t does", () => {
    expect(t("Subject : hi\nTo : a@x\n\nb\n")).toMatchObject({ content: "Subject: hi\nTo: a@x\n\nb\n", rcpts: ["a@x"] });
  });

  test("an empty line is inserted when the headers end with a non-header line", () => {
    expect(t("To: a@x\nnot a header\nbody\n").content).toBe("To: a@x\n\nnot a header\nbody\n");
  });

  test("a NUL ends a header line's text; body NULs stay", () => {
    expect(t("To: a@x\nX-A: a\0b\n more\0z\n\nbo\0dy\n").content).toBe("To: a@x\nX-A: a\n more\n\nbo\0dy\n");
  });

  test("a last line without newline gets one", () => {
    expect(t("To: a@x\n\nb").content).toBe("To: a@x\n\nb\n");
    expect(t("To: a@x").content).toBe("To: a@x\n");
  });

  test("the lone dot and From_ rules apply before header parsing", () => {
    expect(t("From x\nTo: a@x\r\n\r\nb\r\n.\r\nafter\n")).toMatchObject({ content: "To: a@x\n\nb\n", rcpts: ["a@x"] });
  });

  test("a header longer than header_size_limit fails the submission", () => {
    const long = `To: a@x,\n${Array.from({ length: 100 }, (_, i) => ` r${i}@x,`).join("\n")}\n\nb\n`;
    expect(() => t(long, { headerSizeLimit: 200 })).toThrow(SubmitError);
    expect(() => t(long, { headerSizeLimit: 200 })).toThrow("unable to extract recipients: message header length exceeds safety limit");
    expect(t(long).rcpts.length).toBe(101);
  });

  test("8-bit addresses come back as UTF-8 strings", () => {
    expect(run(Buffer.from("To: jörg@x\n\nb\n"), { extract: true }).rcpts).toEqual(["jörg@x"]);
  });
});
