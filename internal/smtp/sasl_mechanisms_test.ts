/**
 * The client mechanisms and Cyrus's choice among them, checked against RFC 2195's example and against what
 * Debian's Postfix 3.7.11 with Cyrus SASL 2.1.28 did with the same server offers.
 */
import { test, expect, describe } from "bun:test";
import { SASL_SEC, SaslClient, SaslFailure, canonicalUserName, chooseMechanism, cramMd5Digest, decodeSaslBase64, parseSaslSecurityOptions } from "./sasl_mechanisms.ts";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const { NOPLAINTEXT, NOANONYMOUS, NOACTIVE, NODICTIONARY, MUTUAL_AUTH } = SASL_SEC;

function failure(f: () => unknown): SaslFailure {
  try {
    f();
  } catch (e) {
    if (e instanceof SaslFailure) return e;
    throw e;
  }
  throw new Error("no SaslFailure");
}

test("cramMd5Digest() gives RFC 2195's example response", () => {
  expect(cramMd5Digest("tanstaaftanstaaf", "<1896.697170952@postoffice.reston.mci.net>")).toBe("b913a602c7eda7a495b4e6e7334d3890");
});

describe("parseSaslSecurityOptions()", () => {
  const cases: { label: string; value: string; want: { flags: number } | { warnings: string[] } }[] = [
    { label: "empty: no properties", value: "", want: { flags: 0 } },
    { label: "Postfix's default", value: "noplaintext, noanonymous", want: { flags: NOPLAINTEXT | NOANONYMOUS } },
    { label: "white space separates too", value: "noactive\tnodictionary mutual_auth", want: { flags: NOACTIVE | NODICTIONARY | MUTUAL_AUTH } },
    { label: "forward_secrecy", value: "forward_secrecy", want: { flags: SASL_SEC.FORWARD_SECRECY } },
    {
      label: "an unknown name spoils the value",
      value: "noanonymous, bogus",
      want: { warnings: ['unknown SASL security options value "bogus" in "noanonymous, bogus"', "bad per-session SASL security properties"] },
    },
    {
      label: "names are case-sensitive",
      value: "NoAnonymous",
      want: { warnings: ['unknown SASL security options value "NoAnonymous" in "NoAnonymous"', "bad per-session SASL security properties"] },
    },
    { label: "separators only", value: ", ,", want: { warnings: ["bad per-session SASL security properties"] } },
  ];
  for (const c of cases) test(c.label, () => expect(parseSaslSecurityOptions(c.value)).toEqual(c.want));
});

describe("chooseMechanism() as Cyrus 2.1.28: strongest first, whatever the server's order", () => {
  const cases: { label: string; offer: string; flags: number; want: string | undefined }[] = [
    { label: "all three: CRAM-MD5", offer: "PLAIN LOGIN CRAM-MD5", flags: NOANONYMOUS, want: "CRAM-MD5" },
    { label: "LOGIN before PLAIN in the offer: PLAIN", offer: "LOGIN PLAIN", flags: NOANONYMOUS, want: "PLAIN" },
    { label: "lower case, commas", offer: "login,plain", flags: NOANONYMOUS, want: "PLAIN" },
    { label: "LOGIN alone", offer: "LOGIN XOAUTH2", flags: NOANONYMOUS, want: "LOGIN" },
    { label: "noplaintext excludes PLAIN and LOGIN", offer: "PLAIN LOGIN", flags: NOPLAINTEXT | NOANONYMOUS, want: undefined },
    { label: "noplaintext keeps CRAM-MD5", offer: "PLAIN LOGIN CRAM-MD5", flags: NOPLAINTEXT | NOANONYMOUS, want: "CRAM-MD5" },
    { label: "unknown mechanisms only", offer: "XOAUTH2 SCRAM-SHA-256 DIGEST-MD5", flags: NOANONYMOUS, want: undefined },
    { label: "noactive: none of them", offer: "PLAIN LOGIN CRAM-MD5", flags: NOACTIVE, want: undefined },
    { label: "mutual_auth: none of them", offer: "PLAIN LOGIN CRAM-MD5", flags: MUTUAL_AUTH, want: undefined },
    { label: "nodictionary: only EXTERNAL", offer: "PLAIN CRAM-MD5 EXTERNAL", flags: NODICTIONARY, want: "EXTERNAL" },
    { label: "EXTERNAL ranks first", offer: "CRAM-MD5 EXTERNAL", flags: NOANONYMOUS, want: "EXTERNAL" },
    { label: "no options: still by strength", offer: "LOGIN CRAM-MD5", flags: 0, want: "CRAM-MD5" },
    { label: "an empty offer", offer: "", flags: 0, want: undefined },
  ];
  for (const c of cases) test(c.label, () => expect(chooseMechanism(c.offer, c.flags)).toBe(c.want));
});

describe("decodeSaslBase64() as Cyrus's sasl_decode64()", () => {
  test("valid input, with and without padding", () => {
    expect(decodeSaslBase64("VXNlcm5hbWU6").toString()).toBe("Username:");
    expect(decodeSaslBase64("QQ==").toString()).toBe("A");
    expect(decodeSaslBase64("").length).toBe(0);
  });
  const bad: [string, string][] = [
    ["!!!!", "bad protocol / cancel"],
    ["QQ==QQ==", "bad protocol / cancel"],
    ["Q=Q=", "bad protocol / cancel"],
    ["VXNlcm5hbWU6a", "another step is needed in authentication"],
    ["QQ==a", "bad protocol / cancel"],
  ];
  for (const [text, reason] of bad) test(`"${text}": ${reason}`, () => expect(failure(() => decodeSaslBase64(text)).reason).toBe(reason));
});

describe("canonicalUserName() as Cyrus's", () => {
  test("surrounding white space goes", () => expect(canonicalUserName(" \tuser@isp ")).toBe("user@isp"));
  // Cyrus compares the start of the name with its trimmed length: "" and "  ab" fail, "   " passes as "".
  test("blanks only: an empty name, as Cyrus's test lets it through", () => expect(canonicalUserName("   ")).toBe(""));
  for (const name of ["", "  ab"]) {
    test(`"${name}" is refused as all-whitespace`, () => {
      const f = failure(() => canonicalUserName(name));
      expect([f.reason, f.warning]).toEqual(["generic failure", "SASL authentication failure: All-whitespace username."]);
    });
  }
});

describe("SaslClient", () => {
  test("PLAIN: the initial response is NUL user NUL password; the password may hold colons", () => {
    const c = new SaslClient(NOANONYMOUS, "user@isp", "se:cret");
    expect(c.first("PLAIN")).toEqual({ mechanism: "PLAIN", initialResponse: "AHVzZXJAaXNwAHNlOmNyZXQ=" });
  });
  test("PLAIN with send_cyrus_sasl_authzid: the user name is also the authorization identity", () => {
    const c = new SaslClient(NOANONYMOUS, "user@isp", "se:cret", true);
    expect(c.first("PLAIN").initialResponse).toBe("dXNlckBpc3AAdXNlckBpc3AAc2U6Y3JldA==");
  });
  test("PLAIN: a further challenge fails as Cyrus does after its last step", () => {
    const c = new SaslClient(NOANONYMOUS, "u", "p");
    c.first("PLAIN");
    const f = failure(() => c.next("YWJjZA=="));
    expect([f.reason, f.warning]).toEqual(["generic failure", "SASL authentication problem: attempting client step after doneflag"]);
  });
  test("PLAIN with an empty user name fails before AUTH is sent", () => {
    expect(failure(() => new SaslClient(NOANONYMOUS, "", "pw").first("PLAIN")).reason).toBe("generic failure");
  });
  test("LOGIN: no initial response; user name, then password, whatever the challenges say", () => {
    const c = new SaslClient(NOANONYMOUS, " user@isp", "se:cret");
    expect(c.first("LOGIN")).toEqual({ mechanism: "LOGIN", initialResponse: "" });
    expect(c.next(b64("Username:"))).toBe(b64("user@isp"));
    expect(c.next(b64("anything"))).toBe(b64("se:cret"));
    expect(failure(() => c.next(b64("more?"))).reason).toBe("generic failure");
  });
  test("CRAM-MD5: user name, space, digest of the decoded challenge (RFC 2195)", () => {
    const c = new SaslClient(NOANONYMOUS, "tim", "tanstaaftanstaaf");
    expect(c.first("PLAIN LOGIN CRAM-MD5")).toEqual({ mechanism: "CRAM-MD5", initialResponse: "" });
    const r = c.next(b64("<1896.697170952@postoffice.reston.mci.net>"));
    expect(Buffer.from(r, "base64").toString()).toBe("tim b913a602c7eda7a495b4e6e7334d3890");
  });
  test("CRAM-MD5: a challenge over 1024 bytes is a protocol error", () => {
    const c = new SaslClient(NOANONYMOUS, "tim", "pw");
    c.first("CRAM-MD5");
    const f = failure(() => c.next(b64("x".repeat(1025))));
    expect([f.reason, f.warning]).toEqual(["bad protocol / cancel", "SASL authentication failure: CRAM-MD5 input longer than 1024 bytes"]);
  });
  test("no mechanism qualifies: Cyrus's warning and text", () => {
    const f = failure(() => new SaslClient(NOPLAINTEXT | NOANONYMOUS, "u", "p").first("PLAIN LOGIN"));
    expect([f.reason, f.warning]).toEqual(["no mechanism available", "SASL authentication failure: No worthy mechs found"]);
  });
  test("EXTERNAL is chosen but cannot start: no mechanism available, without a warning", () => {
    const f = failure(() => new SaslClient(NOANONYMOUS, "u", "p").first("EXTERNAL PLAIN"));
    expect([f.reason, f.warning]).toEqual(["no mechanism available", undefined]);
  });
});
