/**
 * added_headers_test — the Received:, Message-Id:, Date: and From: headers of local submissions, in the forms
 * Postfix 3.7's pickup and cleanup write (pickup.c, cleanup_message.c; full-name tokenizing checked against
 * tok822_scan()/tok822_externalize() of Debian's libpostfix-global.so).
 */
import { test, expect, describe } from "bun:test";
import { makeDateHeader, makeFromHeader, makeMessageId, makeReceivedHeader } from "./added_headers.ts";

describe("makeMessageId()", () => {
  const created = new Date(Date.UTC(2026, 10, 25, 5, 26, 10, 999));
  test("short queue IDs: UTC time stamp, queue ID, host", () => {
    expect(makeMessageId("EF97820E3CD", "mail.example.com", created, false)).toBe("<20261125052610.EF97820E3CD@mail.example.com>");
  });
  test("long queue IDs: queue ID and host only", () => {
    expect(makeMessageId("4jZ7cZ4ps4zJDqZ", "mail.example.com", created, true)).toBe("<4jZ7cZ4ps4zJDqZ@mail.example.com>");
  });
  test("pads every field with zeros", () => {
    expect(makeMessageId("A", "h", new Date(Date.UTC(2001, 0, 2, 3, 4, 5)), false)).toBe("<20010102030405.A@h>");
  });
});

describe("makeReceivedHeader()", () => {
  test("gives pickup's two lines", () => {
    const lines = makeReceivedHeader({
      myhostname: "mail.example.com",
      mailName: "Postfix",
      uid: 1000,
      queueId: "EF97820E3CD",
      date: new Date(Date.UTC(2026, 10, 5, 5, 26, 10)),
      tz: "Europe/Paris",
    });
    expect(lines).toEqual(["Received: by mail.example.com (Postfix, from userid 1000)", "\tid EF97820E3CD; Thu,  5 Nov 2026 06:26:10 +0100 (CET)"]);
  });
  test("uses the mail_name it is given", () => {
    const [first] = makeReceivedHeader({ myhostname: "h", mailName: "postkit", uid: 0, queueId: "Q", date: new Date(0), tz: "UTC" });
    expect(first).toBe("Received: by h (postkit, from userid 0)");
  });
});

describe("makeDateHeader()", () => {
  test("Date: and Resent-Date:", () => {
    const d = new Date(Date.UTC(2026, 10, 25, 5, 26, 10));
    expect(makeDateHeader(d, { tz: "UTC" })).toBe("Date: Wed, 25 Nov 2026 05:26:10 +0000 (UTC)");
    expect(makeDateHeader(d, { tz: "UTC", resent: true })).toBe("Resent-Date: Wed, 25 Nov 2026 05:26:10 +0000 (UTC)");
  });
});

describe("makeFromHeader()", () => {
  const cases: [string, string, string | undefined, Parameters<typeof makeFromHeader>[2], string][] = [
    ["without a full name", "joe@example.com", undefined, {}, "From: joe@example.com"],
    ["with an empty full name", "joe@example.com", "", {}, "From: joe@example.com"],
    ["with a plain full name", "joe@example.com", "Joe Bloggs", {}, "From: Joe Bloggs <joe@example.com>"],
    ["white space in the name is reduced to single spaces", "joe@x", "  Joe \t Bloggs  ", {}, "From: Joe Bloggs <joe@x>"],
    ["CR and LF in the name become spaces", "joe@x", "Joe\r\nBloggs", {}, "From: Joe Bloggs <joe@x>"],
    ["a name of white space only gives a bare <address>", "joe@x", "   ", {}, "From: <joe@x>"],
    ["a name with a dot is quoted", "j@x", "Johnny B. Goode", {}, 'From: "Johnny B. Goode" <j@x>'],
    ["a name with % or ! is quoted", "j@x", "100% Joe!", {}, 'From: "100% Joe!" <j@x>'],
    ["quotes and backslashes in a quoted name are escaped", "j@x", 'Joe "The Man" \\o/', {}, 'From: "Joe \\"The Man\\" \\\\o/" <j@x>'],
    ["a control character makes that word quoted", "j@x", "Jo\u0001e X", {}, 'From: "Jo\u0001e" X <j@x>'],
    ["8-bit characters are kept", "j@x", "Zo\u00eb", {}, "From: Zo\u00eb <j@x>"],
    ["the sender is in external form", "joe smith@x", "Joe", {}, 'From: Joe <"joe smith"@x>'],
    ["the null sender is MAILER-DAEMON, with no full name", "", "Joe", {}, "From: MAILER-DAEMON"],
    ["Resent- mode", "j@x", "Joe", { resent: true }, "Resent-From: Joe <j@x>"],
    ["obsolete format", "j@x", "Joe Bloggs", { format: "obsolete" }, "From: j@x (Joe Bloggs)"],
    ["obsolete format with a dot", "j@x", "Johnny B. Goode", { format: "obsolete" }, "From: j@x (Johnny B. Goode)"],
    ["obsolete format with an unbalanced parenthesis", "j@x", "a) b@c (d", { format: "obsolete" }, "From: j@x b@c (a) (d)"],
    ["obsolete format, null sender", "", "Joe", { format: "obsolete" }, "From: MAILER-DAEMON"],
    ["a NUL ends the full name", "j@x", "Joe\u0000Bloggs", {}, "From: Joe <j@x>"],
  ];
  for (const [label, sender, name, opts, want] of cases) {
    test(label, () => {
      expect(makeFromHeader(sender, name, opts)).toBe(want);
    });
  }
});
