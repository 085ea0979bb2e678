/**
 * sasl_mechanisms — the client side of SASL as Postfix's SMTP client gets it from Cyrus SASL 2.1.28 (the library
 * of Debian's Postfix 3.7): the security options, the choice of a mechanism among those a server offers, and the
 * PLAIN, LOGIN and CRAM-MD5 mechanisms, with Cyrus's error texts.
 *
 * Security options (smtp_sasl_security_options and its TLS variants): a list of noplaintext, noactive,
 * nodictionary, forward_secrecy, noanonymous, mutual_auth (exact case, separated by commas or white space). A
 * mechanism qualifies when it has every property asked for:
 *   CRAM-MD5  noplaintext noanonymous                 (server speaks first: no initial response)
 *   PLAIN     noanonymous, passes the password          (initial response: [authzid] NUL authid NUL password)
 *   LOGIN     noanonymous, passes the password          (server asks `Username:` then `Password:`)
 *   EXTERNAL  noplaintext noanonymous nodictionary     (built into Cyrus; without an external authentication
 *                                                       layer it ends in "no mechanism available")
 * so noplaintext leaves CRAM-MD5, noactive and mutual_auth leave nothing, nodictionary only EXTERNAL. Over TLS the
 * same rules hold: Postfix gives Cyrus no external security strength, so noplaintext still excludes PLAIN/LOGIN.
 *
 * Choice (Cyrus 2.1.28's sasl_client_start): the client's mechanisms are ranked by strength (noanonymous, then
 * noplaintext, mutual_auth, noactive, nodictionary …): EXTERNAL, CRAM-MD5, PLAIN, LOGIN; the first one the server
 * offers (names compared without case, any non-name character separates them) that meets the security options is
 * used, whatever the server's order. PLAIN and LOGIN rank equal in Cyrus, which then keeps its plugin load order;
 * Debian's Postfix 3.7 was seen choosing PLAIN, as here.
 *
 * User names are canonicalized as Cyrus does: leading and trailing white space is dropped, and an empty name fails
 * ("All-whitespace username.", "generic failure"; Cyrus's test also fails N blanks before N other characters, and
 * lets blanks only through as an empty name).
 *
 * Failures are thrown as SaslFailure: `reason` is Cyrus's sasl_errstring() text that Postfix puts in its reply
 * ("no mechanism available", "bad protocol / cancel", "generic failure", "another step is needed in
 * authentication"), `warning` the line Postfix logs through Cyrus's log callback, if any ("SASL authentication
 * failure: No worthy mechs found"). Nothing here logs or does I/O. Postfix: src/xsasl/xsasl_cyrus_client.c,
 * xsasl_cyrus_security.c, xsasl_cyrus_log.c; Cyrus SASL: lib/client.c, lib/saslutil.c, plugins/plain.c, login.c,
 * cram.c, lib/external.c, lib/canonusr.c.
 */
import { createHmac } from "node:crypto";
import { PostkitError } from "../sys/errors.ts";

/** Cyrus's security property bits. */
export const SASL_SEC = {
  NOPLAINTEXT: 0x0001,
  NOACTIVE: 0x0002,
  NODICTIONARY: 0x0004,
  FORWARD_SECRECY: 0x0008,
  NOANONYMOUS: 0x0010,
  PASS_CREDENTIALS: 0x0020,
  MUTUAL_AUTH: 0x0040,
} as const;

const OPTION_NAMES: Record<string, number> = {
  noplaintext: SASL_SEC.NOPLAINTEXT,
  noactive: SASL_SEC.NOACTIVE,
  nodictionary: SASL_SEC.NODICTIONARY,
  forward_secrecy: SASL_SEC.FORWARD_SECRECY,
  noanonymous: SASL_SEC.NOANONYMOUS,
  mutual_auth: SASL_SEC.MUTUAL_AUTH,
};

/**
 * Parses a security options value: the property bits, or the warnings Postfix logs before it gives up
 * (`unknown SASL security options value "x" in "…"`, `bad per-session SASL security properties`).
 */
export function parseSaslSecurityOptions(value: string): { flags: number } | { warnings: string[] } {
  if (value === "") return { flags: 0 };
  let flags = 0;
  for (const name of value.split(/[, \t\r\n]+/).filter(Boolean)) {
    const bit = Object.hasOwn(OPTION_NAMES, name) ? OPTION_NAMES[name] : undefined;
    if (bit === undefined) {
      return { warnings: [`unknown SASL security options value "${name}" in "${value}"`, "bad per-session SASL security properties"] };
    }
    flags |= bit;
  }
  if (flags === 0) return { warnings: ["bad per-session SASL security properties"] };
  return { flags };
}

/** A SASL step that failed; see the header. */
export class SaslFailure extends PostkitError {
  constructor(
    /** Cyrus's error string, as it ends Postfix's reason text. */
    readonly reason: string,
    /** What Postfix logs as a warning through Cyrus's log callback, if anything. */
    readonly warning?: string,
  ) {
    super(reason, { temporary: true });
  }
}

const NO_MECHANISM = "no mechanism available";
const BAD_PROTOCOL = "bad protocol / cancel";
const GENERIC = "generic failure";

interface Mechanism {
  name: string;
  flags: number;
  /** The server sends the first challenge (no initial response). */
  serverFirst: boolean;
}

/** The client's mechanisms, strongest first (Cyrus's mech_compare() order). */
export const CLIENT_MECHANISMS: readonly Mechanism[] = [
  { name: "EXTERNAL", flags: SASL_SEC.NOPLAINTEXT | SASL_SEC.NOANONYMOUS | SASL_SEC.NODICTIONARY, serverFirst: false },
  { name: "CRAM-MD5", flags: SASL_SEC.NOPLAINTEXT | SASL_SEC.NOANONYMOUS, serverFirst: true },
  { name: "PLAIN", flags: SASL_SEC.NOANONYMOUS | SASL_SEC.PASS_CREDENTIALS, serverFirst: false },
  { name: "LOGIN", flags: SASL_SEC.NOANONYMOUS | SASL_SEC.PASS_CREDENTIALS, serverFirst: true },
];

/** The mechanism Cyrus would choose from a server's list under `securityFlags`; undefined when none qualifies. */
export function chooseMechanism(serverList: string, securityFlags: number): string | undefined {
  const offered = new Set(serverList.split(/[^A-Za-z0-9_-]+/).filter(Boolean).map((n) => n.toUpperCase()));
  for (const m of CLIENT_MECHANISMS) {
    if (offered.has(m.name) && (securityFlags & ~m.flags) === 0) return m.name;
  }
  return undefined;
}

/** HMAC-MD5 of the challenge keyed with the password, in lower-case hex (RFC 2195). */
export function cramMd5Digest(password: string, challenge: Buffer | string): string {
  return createHmac("md5", Buffer.from(password, "utf8")).update(challenge).digest("hex");
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Cyrus's sasl_decode64(): groups of four, `=` only at the end; throws SaslFailure with Cyrus's text. */
export function decodeSaslBase64(text: string): Buffer {
  const out: number[] = [];
  let i = 0;
  let sawEqual = false;
  const val = (c: string) => B64.indexOf(c);
  while (text.length - i > 3) {
    if (sawEqual) throw new SaslFailure(BAD_PROTOCOL);
    const [c0, c1, c2, c3] = [text[i]!, text[i + 1]!, text[i + 2]!, text[i + 3]!];
    i += 4;
    if (val(c0) < 0 || val(c1) < 0) throw new SaslFailure(BAD_PROTOCOL);
    if (c2 !== "=" && val(c2) < 0) throw new SaslFailure(BAD_PROTOCOL);
    if (c3 !== "=" && val(c3) < 0) throw new SaslFailure(BAD_PROTOCOL);
    if (c2 === "=" && c3 !== "=") throw new SaslFailure(BAD_PROTOCOL);
    if (c2 === "=" || c3 === "=") sawEqual = true;
    out.push(((val(c0) << 2) | (val(c1) >> 4)) & 0xff);
    if (c2 !== "=") {
      out.push(((val(c1) << 4) & 0xf0) | (val(c2) >> 2));
      if (c3 !== "=") out.push(((val(c2) << 6) & 0xc0) | val(c3));
    }
  }
  if (i < text.length) throw new SaslFailure(sawEqual ? BAD_PROTOCOL : "another step is needed in authentication");
  return Buffer.from(out);
}

/** Cyrus's canonicalization of a user name (see the header); throws SaslFailure. */
export function canonicalUserName(name: string): string {
  const isSpace = (c: string) => c === " " || (c >= "\t" && c <= "\r");
  let start = 0;
  while (start < name.length && isSpace(name[start]!)) start++;
  let len = name.length - start;
  while (len > 0 && isSpace(name[start + len - 1]!)) len--;
  // Cyrus's test (begin == &user[len]) compares the start with the trimmed length; see the header.
  if (start === len) throw new SaslFailure(GENERIC, "SASL authentication failure: All-whitespace username.");
  return name.slice(start, start + len);
}

/** What first() returns: the mechanism and its initial response in base64 ("" when it has none). */
export interface SaslStart {
  mechanism: string;
  initialResponse: string;
}

/** One SASL client exchange (Postfix's XSASL_CLIENT over Cyrus); see the header. */
export class SaslClient {
  private mechanism = "";
  private step = 0;
  private done = false;

  constructor(
    private readonly securityFlags: number,
    private readonly username: string,
    private readonly password: string,
    /** send_cyrus_sasl_authzid: PLAIN also sends the user name as authorization identity. */
    private readonly sendAuthzid = false,
  ) {}

  /** xsasl_client_first(): chooses a mechanism from the server's list and makes the initial response. */
  first(serverList: string): SaslStart {
    const name = chooseMechanism(serverList, this.securityFlags);
    if (name === undefined) throw new SaslFailure(NO_MECHANISM, "SASL authentication failure: No worthy mechs found");
    // EXTERNAL needs an external authentication layer that Postfix never provides: Cyrus refuses to start it.
    if (name === "EXTERNAL") throw new SaslFailure(NO_MECHANISM);
    this.mechanism = name;
    if (name !== "PLAIN") return { mechanism: name, initialResponse: "" };
    return { mechanism: name, initialResponse: this.respond(Buffer.alloc(0)).toString("base64") };
  }

  /** xsasl_client_next(): the response (base64) to a server challenge (base64, as it followed the 334). */
  next(challenge: string): string {
    const decoded = decodeSaslBase64(challenge);
    return this.respond(decoded).toString("base64");
  }

  private respond(challenge: Buffer): Buffer {
    if (this.done) throw new SaslFailure(GENERIC, "SASL authentication problem: attempting client step after doneflag");
    const n = this.step++;
    switch (this.mechanism) {
      case "PLAIN": {
        const authid = canonicalUserName(this.username);
        const authzid = this.sendAuthzid && this.username !== "" ? canonicalUserName(this.username) : "";
        this.done = true;
        return Buffer.from(`${authzid}\0${authid}\0${this.password}`, "utf8");
      }
      case "LOGIN":
        if (n === 0) return Buffer.from(canonicalUserName(this.username), "utf8");
        this.done = true;
        return Buffer.from(this.password, "utf8");
      case "CRAM-MD5": {
        if (challenge.length > 1024) throw new SaslFailure(BAD_PROTOCOL, "SASL authentication failure: CRAM-MD5 input longer than 1024 bytes");
        const authid = canonicalUserName(this.username);
        this.done = true;
        return Buffer.from(`${authid} ${cramMd5Digest(this.password, challenge)}`, "utf8");
      }
      default:
        throw new SaslFailure(GENERIC);
    }
  }
}
