/**
 * pipe_attr — the master.cf attributes of a pipe(8) service and the expansion of its command's `$name` macros.
 *
 * ATTRIBUTES (the master.cf arguments after the daemon options; names are case-insensitive):
 *   flags=LETTERS        B  a blank line after the message
 *                        D  a `Delivered-To: RECIPIENT` line in front (needs _destination_recipient_limit = 1)
 *                        F  a `From SENDER DATE` line in front
 *                        O  an `X-Original-To: RECIPIENT` line in front (needs _destination_recipient_limit = 1)
 *                        R  a `Return-Path: <SENDER>` line in front
 *                        X  the command is the final delivery (`dsn=2.0.0` action "delivered", not "relayed")
 *                        h  ${nexthop} and the domain of the recipient macros in lower case
 *                        q  ${sender} and ${recipient}, ${original_recipient} quoted as RFC 822 local parts
 *                        u  the local part of the recipient macros in lower case
 *                        .  a `.` in front of each line that starts with `.`
 *                        >  a `>` in front of each line that starts with `From `
 *   user=NAME[:GROUP]    whose rights the command runs with (required; not root, not mail_owner, no group 0,
 *                        not mail_owner's group, not setgid_group)
 *   directory=PATH       the command's working directory
 *   eol=STRING           the line end written to the command (C escapes: \n, \r\n …; default \n)
 *   null_sender=STRING   what ${sender} and the preamble say for the null sender (default MAILER-DAEMON)
 *   size=BYTES           messages larger than this bounce (`5.2.3 message too large`)
 *   chroot=PATH          accepted and ignored (postkit runs no daemon chrooted)
 *   argv=COMMAND ARGS…   the command (required, last: every later argument belongs to it)
 *
 * MACROS in the command's arguments: `$name`, `${name}` and `$(name)`; `$$` is a `$`. As in Postfix, the
 * conditional forms `${name?text}` and `${name:text}` are not available here (they count as unknown names). Known names: sender, nexthop, size, queue_id,
 * envid, client_address, client_hostname, client_port, client_protocol, client_helo, sasl_method, sasl_username,
 * sasl_sender, and the per-recipient ones recipient, original_recipient, user, extension, mailbox, domain. An
 * argument that names a per-recipient macro becomes one argument per recipient (as sendmail-style programs
 * expect); the others appear once. Values are not expanded again (an address may contain `$`). An unknown name
 * makes the whole expansion fail (the caller defers with `4.3.5 mail system configuration error`).
 *
 * Contract: parsePipeAttributes() throws ConfigError with Postfix's fatal texts; expandPipeArgv() never throws
 * (it reports an unknown name in its result). Postfix: src/pipe/pipe.c (get_service_attr, expand_argv),
 * src/util/mac_parse.c.
 */
import { ConfigError } from "../config/config.ts";
import { quoteLocalPart, splitLocalPart, asciiLowercase } from "../address/index.ts";

/** The flags= letters, as names. */
export interface PipeFlags {
  blankLine: boolean;
  deliveredTo: boolean;
  fromLine: boolean;
  origTo: boolean;
  returnPath: boolean;
  finalDelivery: boolean;
  foldHost: boolean;
  quoteLocal: boolean;
  foldUser: boolean;
  dotStuff: boolean;
  quoteFrom: boolean;
}

/** A pipe(8) service's attributes. */
export interface PipeAttributes {
  flags: PipeFlags;
  user: string;
  uid: number;
  gid: number;
  directory?: string;
  eol: string;
  nullSender: string;
  /** 0 = no limit. */
  sizeLimit: number;
  command: string[];
}

/** Who may not be named by user=: the ids Postfix refuses. */
export interface PipeIdentityRules {
  getpwnam: (name: string) => { uid: number; gid: number } | undefined;
  getgrnam: (name: string) => { gid: number } | undefined;
  mailOwner: string;
  mailOwnerUid: number;
  mailOwnerGid: number;
  setgidGroup: string;
  setgidGid: number;
}

const FLAG_LETTERS: Record<string, keyof PipeFlags> = {
  B: "blankLine", D: "deliveredTo", F: "fromLine", O: "origTo", R: "returnPath", X: "finalDelivery",
  h: "foldHost", q: "quoteLocal", u: "foldUser", ".": "dotStuff", ">": "quoteFrom",
};

function noFlags(): PipeFlags {
  return {
    blankLine: false, deliveredTo: false, fromLine: false, origTo: false, returnPath: false, finalDelivery: false,
    foldHost: false, quoteLocal: false, foldUser: false, dotStuff: false, quoteFrom: false,
  };
}

const ESCAPES: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", '"': '"', "'": "'", "?": "?" };

/** C-style backslash escapes (Postfix's unescape()): \n, \r, \t …, and octal \NNN. */
export function unescapeC(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== "\\" || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const n = s[++i]!;
    if (n in ESCAPES) out += ESCAPES[n];
    else if (n >= "0" && n <= "7") {
      let v = 0;
      let k = 0;
      for (; k < 3 && i < s.length && s[i]! >= "0" && s[i]! <= "7"; k++, i++) v = v * 8 + Number(s[i]);
      i--;
      out += String.fromCharCode(v);
    } else out += n;
  }
  return out;
}

function startsWithCi(arg: string, prefix: string): boolean {
  return arg.length >= prefix.length && arg.slice(0, prefix.length).toLowerCase() === prefix;
}

/** Reads a service's attributes; throws ConfigError with Postfix's texts. */
export function parsePipeAttributes(args: readonly string[], rules: PipeIdentityRules): PipeAttributes {
  const myname = "get_service_attr";
  const flags = noFlags();
  let user: string | undefined;
  let uid = -1;
  let gid = -1;
  let directory: string | undefined;
  let eol = "\n";
  let nullSender = "MAILER-DAEMON";
  let sizeLimit = 0;
  let command: string[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (startsWithCi(a, "flags=")) {
      for (const c of a.slice(6)) {
        const f = FLAG_LETTERS[c];
        if (!f) throw new ConfigError(`unknown flag: ${c} (ignored)`);
        flags[f] = true;
      }
    } else if (startsWithCi(a, "user=")) {
      const v = a.slice(5);
      const colon = v.indexOf(":");
      user = colon < 0 ? v : v.slice(0, colon);
      const group = colon < 0 || colon === v.length - 1 ? undefined : v.slice(colon + 1);
      const pw = rules.getpwnam(user);
      if (!pw) throw new ConfigError(`${myname}: unknown username: ${user}`);
      uid = pw.uid;
      if (group !== undefined) {
        const gr = rules.getgrnam(group);
        if (!gr) throw new ConfigError(`${myname}: unknown group: ${group}`);
        gid = gr.gid;
      } else gid = pw.gid;
    } else if (startsWithCi(a, "directory=")) {
      directory = a.slice(10);
    } else if (startsWithCi(a, "chroot=")) {
      // accepted for compatibility; see the header
    } else if (startsWithCi(a, "eol=")) {
      eol = unescapeC(a.slice(4));
    } else if (startsWithCi(a, "null_sender=")) {
      nullSender = a.slice(12);
    } else if (startsWithCi(a, "size=")) {
      const v = a.slice(5);
      if (!/^\d+$/.test(v)) throw new ConfigError(`${myname}: bad size= value: ${v}`);
      sizeLimit = Number(v);
    } else if (startsWithCi(a, "argv=")) {
      command = [a.slice(5), ...args.slice(i + 1)];
      break;
    } else throw new ConfigError(`unknown attribute name: ${a}`);
  }
  if (user === undefined) throw new ConfigError("missing user= command-line attribute");
  if (command === undefined) throw new ConfigError("missing argv= command-line attribute");
  if (uid === 0) throw new ConfigError("user= command-line attribute specifies root privileges");
  if (uid === rules.mailOwnerUid) throw new ConfigError(`user= command-line attribute specifies mail system owner ${rules.mailOwner}`);
  if (gid === 0) throw new ConfigError("user= command-line attribute specifies privileged group id 0");
  if (gid === rules.mailOwnerGid) throw new ConfigError(`user= command-line attribute specifies mail system owner ${rules.mailOwner} group id ${gid}`);
  if (gid === rules.setgidGid) throw new ConfigError(`user= command-line attribute specifies mail system ${rules.setgidGroup} group id ${gid}`);
  return { flags, user, uid, gid, ...(directory !== undefined ? { directory } : {}), eol, nullSender, sizeLimit, command };
}

/** The macros that depend on the recipient. */
const RCPT_MACROS = new Set(["recipient", "original_recipient", "user", "extension", "mailbox", "domain"]);
/** The macros with one value per request. */
const REQUEST_MACROS = new Set([
  "sender", "nexthop", "size", "queue_id", "envid", "client_address", "client_hostname", "client_port",
  "client_protocol", "client_helo", "sasl_method", "sasl_username", "sasl_sender",
]);

/** One piece of a parsed argument: literal text or a macro reference. */
type Piece = { text: string } | { name: string };

/** mac_parse(): splits an argument into text and `$name` references; undefined for a malformed one. */
function parseMacros(s: string): Piece[] | undefined {
  const out: Piece[] = [];
  let text = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c !== "$") {
      text += c;
      i++;
      continue;
    }
    if (s[i + 1] === "$") {
      text += "$";
      i += 2;
      continue;
    }
    if (text) out.push({ text }), (text = "");
    const open = s[i + 1];
    if (open === "{" || open === "(") {
      const close = open === "{" ? "}" : ")";
      let depth = 1;
      let j = i + 2;
      for (; j < s.length && depth > 0; j++) {
        if (s[j] === open) depth++;
        else if (s[j] === close) depth--;
      }
      if (depth > 0) return undefined;
      out.push({ name: s.slice(i + 2, j - 1) });
      i = j;
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(s.slice(i + 1));
      if (!m) return undefined;
      out.push({ name: m[0] });
      i += 1 + m[0].length;
    }
  }
  if (text) out.push({ text });
  return out;
}

function names(pieces: Piece[], into: Set<string>): Set<string> {
  for (const p of pieces) {
    if ("name" in p) into.add(p.name);
  }
  return into;
}

function evaluate(pieces: Piece[], values: ReadonlyMap<string, string>): string {
  let out = "";
  for (const p of pieces) {
    out += "text" in p ? p.text : (values.get(p.name) ?? "");
  }
  return out;
}

/** A recipient as the macros see it. */
export interface PipeRecipient {
  address: string;
  origAddress: string;
}

/** What expandPipeArgv() needs besides the command. */
export interface PipeExpansion {
  flags: Pick<PipeFlags, "foldHost" | "foldUser" | "quoteLocal">;
  /** Request-wide values (sender already replaced and quoted, nexthop already folded): see REQUEST_MACROS. */
  values: ReadonlyMap<string, string>;
  recipients: readonly PipeRecipient[];
  /** recipient_delimiter. */
  delimiter: string;
  /** Called for a recipient without `@` (Postfix warns). */
  warnNoAt?: (address: string) => void;
}

/** fold_addr(): the local part and/or the domain in lower case. */
function foldParts(address: string, user: boolean, host: boolean): string {
  if (!user && !host) return address;
  const at = address.lastIndexOf("@");
  if (at < 0) return user ? asciiLowercase(address) : address;
  const local = address.slice(0, at);
  const domain = address.slice(at);
  return (user ? asciiLowercase(local) : local) + (host ? asciiLowercase(domain) : domain);
}

function morph(address: string, f: PipeExpansion["flags"], quote: boolean): string {
  return foldParts(quote && f.quoteLocal ? quoteLocalPart(address) : address, f.foldUser, f.foldHost);
}

/** Sets the per-recipient values that `used` names. */
function recipientValues(r: PipeRecipient, used: Set<string>, x: PipeExpansion, into: Map<string, string>): void {
  if (used.has("recipient")) into.set("recipient", morph(r.address, x.flags, true));
  if (used.has("original_recipient")) into.set("original_recipient", morph(r.origAddress, x.flags, true));
  const needLocal = used.has("user") || used.has("extension") || used.has("mailbox") || used.has("domain");
  if (!needLocal) return;
  const folded = morph(r.address, x.flags, false);
  const at = folded.lastIndexOf("@");
  if (at < 0) x.warnNoAt?.(r.address);
  const local = at < 0 ? folded : folded.slice(0, at);
  const split = x.delimiter === "" ? undefined : splitLocalPart(local, x.delimiter);
  into.set("user", split ? split[0] : local);
  into.set("extension", split ? split[2] : "");
  into.set("mailbox", local);
  into.set("domain", at < 0 ? "" : folded.slice(at + 1));
}

/**
 * expand_argv(): the command's arguments with their macros replaced; `{unknown: NAME}` when an argument names a
 * macro pipe(8) does not know, `{malformed: ARG}` for a `$` reference that does not parse.
 */
export function expandPipeArgv(command: readonly string[], x: PipeExpansion): { argv: string[] } | { unknown: string } | { malformed: string } {
  const argv: string[] = [];
  for (const arg of command) {
    const pieces = parseMacros(arg);
    if (!pieces) return { malformed: arg };
    const used = names(pieces, new Set());
    for (const n of used) if (!RCPT_MACROS.has(n) && !REQUEST_MACROS.has(n)) return { unknown: n };
    const perRcpt = [...used].some((n) => RCPT_MACROS.has(n));
    if (!perRcpt) {
      argv.push(evaluate(pieces, x.values));
      continue;
    }
    for (const r of x.recipients) {
      const values = new Map(x.values);
      recipientValues(r, used, x, values);
      argv.push(evaluate(pieces, values));
    }
  }
  return { argv };
}
