/**
 * header_table_test — the known header names and classes (Postfix 3.7 header_opts.c, checked against
 * header_opts_find() of Debian's libpostfix-global.so), message_drop_headers, and is_header().
 * The driver that ran Postfix is ../address/testdata/postfix_oracle.c.
 */
import { test, expect, describe } from "bun:test";
import { DEFAULT_DROP_HEADERS, findHeaderInfo, headerNameLength, makeHeaderTable } from "./header_table.ts";

// name: classes (s sender, r recipient, x extract, R resent, m mime, d drop by default)
// prettier-ignore
const KNOWN: [string, string][] = [
  ["Apparently-To", "r"], ["Bcc", "rxd"], ["Cc", "rx"], ["Content-Description", "m"], ["Content-Disposition", "m"],
  ["Content-ID", "m"], ["Content-Length", "d"], ["Content-Transfer-Encoding", "m"], ["Content-Type", "m"],
  ["Delivered-To", ""], ["Disposition-Notification-To", "s"], ["Date", ""], ["Errors-To", "s"], ["From", "s"],
  ["Mail-Followup-To", "s"], ["Message-Id", ""], ["MIME-Version", "m"], ["Received", ""], ["Reply-To", "s"],
  ["Resent-Bcc", "rxRd"], ["Resent-Cc", "rxR"], ["Resent-Date", "R"], ["Resent-From", "sR"],
  ["Resent-Message-Id", "R"], ["Resent-Reply-To", "rR"], ["Resent-Sender", "sR"], ["Resent-To", "rxR"],
  ["Return-Path", "sd"], ["Return-Receipt-To", "s"], ["Sender", "s"], ["To", "rx"],
];

describe("findHeaderInfo()", () => {
  for (const [name, classes] of KNOWN) {
    test(`knows ${name} as ${classes || "no class"}`, () => {
      for (const spelling of [name, name.toLowerCase(), name.toUpperCase()]) {
        const info = findHeaderInfo(spelling)!;
        expect(info.name).toBe(name);
        expect(info.type).toBe(name.toLowerCase() as typeof info.type);
        expect([info.sender, info.recipient, info.extract, info.resent, info.mime, info.drop]).toEqual(
          ["s", "r", "x", "R", "m", "d"].map((c) => classes.includes(c)),
        );
      }
    });
  }

  // TLS-Required is known only from Postfix 3.10 on
  for (const name of ["Subject", "X-Mailer", "", "To:", "TLS-Required", "Resent-Subject", "Fr\u00f6m"]) {
    test(`does not know ${JSON.stringify(name)}`, () => {
      expect(findHeaderInfo(name)).toBeUndefined();
    });
  }

  test("ignores blanks after the name", () => {
    expect(findHeaderInfo("From \t")?.name).toBe("From");
  });
});

describe("makeHeaderTable()", () => {
  test("the default drops bcc, content-length, resent-bcc and return-path", () => {
    expect(DEFAULT_DROP_HEADERS).toBe("bcc, content-length, resent-bcc, return-path");
  });

  test("message_drop_headers adds the drop class, and unknown names as type other", () => {
    const t = makeHeaderTable("X-Secret,  received\tBCC");
    expect(t.find("x-secret")).toEqual({ name: "x-secret", type: "other", sender: false, recipient: false, extract: false, resent: false, mime: false, drop: true });
    expect(t.find("Received")?.drop).toBe(true);
    expect(t.find("Bcc")?.drop).toBe(true);
    expect(t.find("Return-Path")?.drop).toBe(false);
    expect(t.find("Subject")).toBeUndefined();
  });

  test("an empty message_drop_headers drops nothing", () => {
    const t = makeHeaderTable("");
    expect(t.find("Bcc")?.drop).toBe(false);
    expect(t.find("Bcc")?.extract).toBe(true);
  });
});

describe("headerNameLength() (is_header)", () => {
  const cases: [string, number][] = [
    ["Subject: x", 7],
    ["Subject:", 7],
    ["Subject :x", 7],
    ["Subject \t : x", 7],
    ["X-a.b_c!#$%&'*+/=?^`{|}~: v", 24],
    ["A:", 1],
    [":x", 0],
    [" Subject: x", 0],
    ["\tSubject: x", 0],
    ["Sub ject: x", 0],
    ["From someone", 0],
    ["Subject", 0],
    ["", 0],
    ["X\u00e9: v", 0],
    ["X\u0001: v", 0],
    ["X\u007f: v", 0],
    ["X\u0000: v", 0],
    ["X\u2603: v", 0],
    ["Received\r: x", 0],
  ];
  for (const [line, want] of cases) {
    test(JSON.stringify(line), () => {
      expect(headerNameLength(line)).toBe(want);
    });
  }

  test("is fast on a long name", () => {
    expect(headerNameLength(`${"X".repeat(1_000_000)}: v`)).toBe(1_000_000);
  });
});
