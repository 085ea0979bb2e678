/**
 * restrictions — the SMTP server's access policy: smtpd_{client,helo,sender,relay,recipient,data,end_of_data,
 * etrn}_restrictions, restriction classes, access(5) tables, policy servers and DNS lists (Postfix's
 * smtpd_check.c).
 *
 * Each stage function (checkClient, checkHelo, checkMail, checkRcpt, checkEtrn, checkData, checkEod) evaluates
 * its list left to right, as generic_checks() does: a word answers DUNNO (go on), OK (stop, accept) or REJECT
 * (stop, the reply text is returned); `warn_if_reject` turns the next rejection into a `reject_warning:` log
 * line; `defer_if_permit`/`defer_if_reject` remember a 450 to give later in the stage. With smtpd_delay_reject
 * (the default) the client, helo and sender stages are re-run at each RCPT, as in Postfix. Every reject is
 * logged by log_whatsup(): `QID|NOQUEUE: reject: STAGE from NAME[ADDR]: REPLY; from=<S> to=<R> proto=P helo=<H>`.
 *
 * Unknown addresses (check_rcpt_maps()): reject_unlisted_recipient (alias check_recipient_maps) and
 * reject_unlisted_sender, and the same checks implied at the end of the RCPT and MAIL stages by
 * smtpd_reject_unlisted_recipient and smtpd_reject_unlisted_sender, run at most once per RCPT or MAIL check.
 * An address that matches a canonical or virtual alias table is known; else it is resolved (resolve.ts): one that
 * resolves to the error transport is rejected with that transport's text, so a relocated_maps entry gives
 * `550 5.1.6 <ADDR>: Recipient address rejected: User has moved to NEWADDR` (for a sender the code is 5.1.7, with
 * the info record `mapping DSN status 5.1.6 into Sender address status 5.1.7`); then local_recipient_maps,
 * virtual_mailbox_maps or relay_recipient_maps must list it (`User unknown in … table`). A resolver table that
 * fails gives `451 4.3.0 <ADDR>: Temporary lookup failure`. With receive_override_options =
 * no_unknown_recipient_checks (a content filter's re-injection service) none of these checks run, explicit or
 * implied; an unknown name in receive_override_options is a fatal configuration error, as in Postfix.
 *
 * A word that is not a restriction, a table or a restriction class is a configuration error: Postfix's
 * `warning: unknown smtpd restriction: "WORD"` and `451 4.3.5 Server configuration error`. A table lookup failure
 * gives `451 4.3.5 Server configuration error` (access tables) or `451 4.3.0 <ADDR>: Temporary lookup failure`.
 * The lists must contain one of reject_unauth_destination, defer_unauth_destination, reject, defer,
 * defer_if_permit or check_relay_domains (relay or recipient restrictions), or create() throws Postfix's fatal
 * error: there is no open relay by accident.
 *
 * SMTP AUTH (Postfix's smtpd_check.c with smtpd_sasl_proto.c): permit_sasl_authenticated permits a client that
 * logged in (AUTH or XCLIENT LOGIN, not ANONYMOUS) while SASL is active in its session. With smtpd_sender_login_maps
 * (sender address → owners, looked up as mail_addr_find() does, by the address qualified with $myorigin):
 * reject_authenticated_sender_login_mismatch (a logged-in client must own the sender address: `553 5.7.1
 * <SENDER>: Sender address rejected: not owned by user USER`), reject_unauthenticated_sender_login_mismatch (an
 * owned address needs a login: `553 5.7.1 <SENDER>: Sender address rejected: not logged in`),
 * reject_known_sender_login_mismatch (the first for a logged-in client, but only for an address that has owners;
 * else the second), reject_sender_login_mismatch (Postfix's built-in class of the first and the second);
 * check_sasl_access type:table looks the login name up whole (`<USER>: SASL login name rejected: …`). Without
 * smtpd_sasl_auth_enable these log `restriction `NAME' ignored: no SASL support` and do nothing.
 *
 * TLS client certificates (Postfix 3.7's smtpd_check.c): permit_tls_clientcerts permits a client whose
 * certificate, verified or not, has its fingerprint or else its public-key fingerprint in relay_clientcerts;
 * permit_tls_all_clientcerts permits any verified certificate (and then does the same lookup). check_ccert_access
 * type:table looks the certificate fingerprint up, then the public-key fingerprint, each as a whole key; a
 * rejection names the certificate's CN (`<CN>: Client certificate rejected: …`). Without a certificate these do
 * nothing, and with smtpd_tls_ask_ccert = no they warn `NAME is requested, but "smtpd_tls_ask_ccert = no"`. With
 * the md5 default of smtpd_tls_fingerprint_digest (compatibility_level below 3.6) each use logs `using
 * backwards-compatible default setting smtpd_tls_fingerprint_digest=md5 to compute certificate fingerprints`. A
 * relay_clientcerts lookup failure logs `warning: relay_clientcerts: lookup error for fingerprint '…', pkey
 * fingerprint …` and defers with `451 4.3.0 <NAME>: Temporary lookup failure`.
 *
 * Server access checks (check_{client,reverse_client_hostname,helo,sender,recipient}_{mx,ns,a}_access
 * type:table): the MX hosts, NS hosts or addresses of the client name, HELO name or address domain are looked up
 * in the table, host names with their parent domains, then their addresses (checkServerAccess()); an OK result is
 * refused as Postfix refuses it (`restriction NAME returns OK for …`, 451 4.3.5). permit_mx_backup (with
 * permit_mx_backup_networks) relays for domains this host is a backup MX host for (permitMxBackup()).
 * reject_unverified_sender and reject_unverified_recipient are not implemented (no verify(8) service):
 * `restriction `NAME' is not supported by this server; ignored`.
 *
 * Beyond Postfix: before a stage runs, every DNS list lookup it may need is started at once, so N lists cost
 * one round trip, not N (the evaluation order and the results stay Postfix's).
 */
import type { Config } from "../config/config.ts";
import { splitList } from "../config/config.ts";
import { ConfigError } from "../config/main_cf.ts";
import { enabledProtocols, interfaceAddressList } from "../config/host_defaults.ts";
import { addressesOfName } from "../dns/index.ts";
import { msgInfo, msgWarn } from "../log/msg.ts";
import { dsnValid, dsnSplit } from "../dsn/dsn_status.ts";
import { openMap, accessLookup, MapError, type LookupTable, type AccessKind } from "../maps/index.ts";
import { Resolver } from "../resolve/resolve.ts";
import { compileHostList, type HostList } from "./host_list.ts";
import { isValidHostname, isValidHostAddress } from "../address/valid_hostname.ts";
import { isValidUtf8Hostname } from "../address/valid_address.ts";
import { getpwnam } from "../sys/passwd.ts";
import { dnsDomain, type SmtpdResolver } from "./smtpd_dns.ts";
import { Dnsbl } from "./dnsbl.ts";
import { smtpdDsnFix } from "./smtpd_dsn_fix.ts";
import { receiveOverrideOptions } from "../config/input_transp.ts";
import { PolicyClients } from "./policy_client.ts";
import { mailAddrFind, mailAddrFindOptions, type TableList } from "../resolve/mail_addr_find.ts";
import type { PeerCert } from "./ccert.ts";

/** How a client name was found (Postfix's SMTPD_PEER_CODE_*). */
export type PeerStatus = "ok" | "temp" | "perm" | "forged";

/** Access table actions smtpd hands to cleanup with the message. */
export interface SavedActions {
  hold?: string;
  filter?: string;
  redirect?: string;
  bcc: string[];
  prepend: string[];
}

/** The session facts the restrictions read, and the actions they save. */
export interface CheckSession {
  name: string;
  reverseName: string;
  addr: string;
  port: string;
  namaddr: string;
  nameStatus: PeerStatus;
  reverseNameStatus: PeerStatus;
  heloName?: string;
  sender?: string;
  recipient?: string;
  etrnName?: string;
  protocol: string;
  where: string;
  queueId?: string;
  rcptCount: number;
  smtputf8: boolean;
  illPipelining: boolean;
  /** The TLS session; `peer` is the client certificate, when one was asked for and presented. */
  tls?: { protocol: string; cipher: string; bits: number; peer?: PeerCert; digestCompat?: boolean };
  service: string;
  serverAddr?: string;
  serverPort?: string;
  msgSize: number;
  instance: string;
  saved: SavedActions;
  discard: boolean;
  deferIfPermitClient: boolean;
  deferIfPermitHelo: boolean;
  deferIfPermitSender: boolean;
  /** SASL is active in this session (smtpd_sasl_is_active(): AUTH enabled and offered to it). */
  saslActive?: boolean;
  /** The mechanism of a successful AUTH, or `XCLIENT` for an XCLIENT LOGIN. */
  saslMethod?: string;
  /** The authenticated user. */
  saslUsername?: string;
  /** The MAIL FROM AUTH= parameter, as the client sent it. */
  saslSender?: string;
  /** The sender/recipient was validated by reject_unlisted_sender/recipient in this MAIL/RCPT check. */
  senderRcptmapChecked?: boolean;
  recipientRcptmapChecked?: boolean;
}

/** Names of what is being checked, as they appear in replies. */
export const NAME = {
  CLIENT: "Client host",
  REV_CLIENT: "Unverified Client host",
  HELO: "Helo command",
  SENDER: "Sender address",
  RECIPIENT: "Recipient address",
  ETRN: "Etrn command",
  SASL_USER: "SASL login name",
  CCERT: "Client certificate",
  DATA: "Data command",
  EOD: "End-of-data",
} as const;

const DUNNO = 0;
const OK = 1;
const REJECT = 2;
type Status = typeof DUNNO | typeof OK | typeof REJECT;

interface Defer {
  active: boolean;
  code: number;
  dsn: string;
  reason: string;
  cls: string;
}

/** Per-evaluation state (Postfix keeps it in SMTPD_STATE). */
interface Ctx {
  s: CheckSession;
  warnIfReject: number;
  recursion: number;
  deferIfPermit: Defer;
  deferIfReject: Defer;
  errorText: string;
}

/** A stage aborted with a server error (Postfix's longjmp out of generic_checks). */
class CheckAbort extends Error {}

const newDefer = (): Defer => ({ active: false, code: 0, dsn: "", reason: "", cls: "" });

/** Restriction words that make the relay/recipient lists safe (Postfix's rcpt_required). */
const RCPT_REQUIRED = ["reject_unauth_destination", "defer_unauth_destination", "reject", "defer", "defer_if_permit", "check_relay_domains"];

const MAP_COMMANDS = new Set([
  "check_client_access", "check_reverse_client_hostname_access", "check_helo_access", "check_sender_access",
  "check_recipient_access", "check_etrn_access", "check_client_mx_access", "check_client_ns_access",
  "check_client_a_access", "check_reverse_client_hostname_mx_access", "check_reverse_client_hostname_ns_access",
  "check_reverse_client_hostname_a_access", "check_helo_mx_access", "check_helo_ns_access", "check_helo_a_access",
  "check_sender_mx_access", "check_sender_ns_access", "check_sender_a_access", "check_recipient_mx_access",
  "check_recipient_ns_access", "check_recipient_a_access", "check_ccert_access", "check_sasl_access",
]);

/** Postfix's var_dns_rr_list_limit (a constant of its DNS library in 3.7, not a parameter). */
const DNS_RR_LIST_LIMIT = 100;

/** check_{client,reverse_client_hostname,helo,sender,recipient}_{mx,ns,a}_access: what is checked, and which servers. */
const SERVER_ACCESS = /^check_(client|reverse_client_hostname|helo|sender|recipient)_(mx|ns|a)_access$/;

const DNSXL_WORDS = new Set([
  "reject_rbl_client", "reject_rbl", "permit_dnswl_client", "reject_rhsbl_client", "permit_rhswl_client",
  "reject_rhsbl_reverse_client", "reject_rhsbl_helo", "reject_rhsbl_sender", "reject_rhsbl_recipient",
]);

/**
 * Splits a restriction list (Postfix's mystrtokq with braces): commas and white space separate words, except
 * inside `{ … }`, so `inline:{ { a = REJECT text } }` is one word; a word that is wholly `{ … }` loses its outer
 * braces (`{ inet:host:port, timeout=10s }`).
 */
export function parseRestrictionList(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  const sep = (c: string) => c === "," || c === " " || c === "\t" || c === "\n" || c === "\r";
  while (i < value.length) {
    if (sep(value[i]!)) {
      i++;
      continue;
    }
    let j = i;
    let depth = 0;
    for (; j < value.length; j++) {
      const c = value[j]!;
      if (c === "{") depth++;
      else if (c === "}") depth = Math.max(0, depth - 1);
      else if (depth === 0 && sep(c)) break;
    }
    let w = value.slice(i, j);
    if (w.startsWith("{") && w.endsWith("}")) w = w.slice(1, -1).trim();
    out.push(w);
    i = j;
  }
  return out;
}

/** Postfix's printable(…, ' '): control characters become spaces. */
function printableSpace(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, " ");
}

/** The `from=<…> to=<…> proto=… helo=<…>` tail of a log_whatsup() line. */
export function whatsupTail(s: CheckSession): string {
  let t = "";
  if (s.sender !== undefined) t += ` from=<${s.sender}>`;
  if (s.recipient !== undefined) t += ` to=<${s.recipient}>`;
  if (s.protocol) t += ` proto=${s.protocol}`;
  if (s.heloName !== undefined) t += ` helo=<${s.heloName}>`;
  return t;
}

/** log_whatsup(): `QID: WHAT: STAGE from CLIENT: TEXT; from=<…> …`. */
export function logWhatsup(s: CheckSession, what: string, text: string): void {
  msgInfo(`${s.queueId ?? "NOQUEUE"}: ${what}: ${s.where} from ${s.namaddr}: ${text};${whatsupTail(s)}`);
}

/** A table that fails every lookup (a table that could not be opened, as Postfix's surrogate dictionary). */
class FailedTable implements LookupTable {
  readonly fixed = true;
  constructor(
    readonly type: string,
    readonly name: string,
    private readonly why: string,
  ) {}
  lookup(): string | undefined {
    throw new MapError("open", this.why);
  }
  entries(): Iterable<[string, string]> {
    return [];
  }
  changed(): boolean {
    return false;
  }
  close(): void {}
}

/** `unix:passwd.byname`: the system's users. */
class PasswdTable implements LookupTable {
  readonly type = "unix";
  readonly name = "passwd.byname";
  readonly fixed = true;
  lookup(key: string): string | undefined {
    const pw = getpwnam(key);
    return pw ? `${pw.name}:x:${pw.uid}:${pw.gid}::${pw.home}:${pw.shell}` : undefined;
  }
  entries(): Iterable<[string, string]> {
    return [];
  }
  changed(): boolean {
    return false;
  }
  close(): void {}
}

async function openTableSafely(spec: string): Promise<LookupTable> {
  let s = spec;
  while (s.startsWith("proxy:")) s = s.slice(6);
  if (s === "unix:passwd.byname") return new PasswdTable();
  try {
    return await openMap(s);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    msgWarn(`${spec}: ${why}`);
    const colon = s.indexOf(":");
    return new FailedTable(s.slice(0, colon), s.slice(colon + 1), `${spec}: table lookup problem`);
  }
}

/** The tables and lists a set of restrictions uses; built once per process. */
export class Restrictions {
  private tables = new Map<string, LookupTable[]>();
  private classes = new Map<string, string[]>();
  private lists: Record<string, string[]> = {};
  private mynetworks!: HostList;
  /** permit_mx_backup_networks, when set. */
  private mxBackupNetworks: HostList | undefined;
  private relayBeforeRcpt = false;
  private fakeRelay = false;
  private rcptMaps: Record<string, LookupTable[]> = {};
  private resolver!: Resolver;
  private permLog: string[] = [];
  /** receive_override_options has no_unknown_recipient_checks. */
  private noUnknownRcptChecks = false;
  /** smtpd_sender_login_maps: sender address → owners (SASL login names). */
  private senderLoginMaps: TableList = { title: "smtpd_sender_login_maps", tables: [] };
  /** relay_clientcerts: fingerprints for permit_tls_clientcerts. */
  private relayCcerts: LookupTable[] = [];
  readonly dnsbl: Dnsbl;
  readonly policy: PolicyClients;

  private constructor(
    private readonly cfg: Config,
    readonly dns: SmtpdResolver,
  ) {
    this.dnsbl = new Dnsbl(cfg, dns);
    this.policy = new PolicyClients(cfg);
  }

  /** Parses every restriction list of `cfg`, opens the tables, and enforces the no-open-relay rule. */
  static async create(cfg: Config, dns: SmtpdResolver): Promise<Restrictions> {
    const r = new Restrictions(cfg, dns);
    await r.init();
    return r;
  }

  private async init(): Promise<void> {
    const cfg = this.cfg;
    const stages: Record<string, string> = {
      client: "smtpd_client_restrictions",
      helo: "smtpd_helo_restrictions",
      mail: "smtpd_sender_restrictions",
      relay: "smtpd_relay_restrictions",
      rcpt: "smtpd_recipient_restrictions",
      etrn: "smtpd_etrn_restrictions",
      data: "smtpd_data_restrictions",
      eod: "smtpd_end_of_data_restrictions",
    };
    for (const [k, p] of Object.entries(stages)) this.lists[k] = parseRestrictionList(cfg.get(p));
    const level = Number.parseFloat(cfg.get("compatibility_level")) || 0;
    if (level < 1 && cfg.setValue("smtpd_relay_restrictions") === undefined) {
      this.fakeRelay = true;
      this.lists.fakeRelay = ["permit_mynetworks", "permit_sasl_authenticated", "permit_auth_destination"];
    }
    this.relayBeforeRcpt = cfg.getBool("smtpd_relay_before_recipient_restrictions");
    for (const name of splitList(cfg.get("smtpd_restriction_classes"))) {
      const v = cfg.get(name);
      if (v.trim() === "") throw new ConfigError(`restriction class \`${name}' needs a definition`);
      this.classes.set(name, parseRestrictionList(v));
    }
    const has = (l: string[] | undefined) => (l ?? []).some((w) => RCPT_REQUIRED.includes(w.toLowerCase()));
    if (!has(this.lists.rcpt) && !has(this.lists.relay)) {
      const req = RCPT_REQUIRED.map((w, i) => `${w}${i === RCPT_REQUIRED.length - 1 ? "" : i === RCPT_REQUIRED.length - 2 ? " or " : ", "}`).join("");
      throw new ConfigError(`in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, specify at least one working instance of: ${req}`);
    }
    // open every table named after a check_*_access word (or a bare type:name)
    const all = [...Object.values(this.lists), ...this.classes.values()];
    for (const list of all) {
      for (let i = 0; i < list.length; i++) {
        const w = list[i]!;
        const lw = w.toLowerCase();
        let spec: string | undefined;
        if (MAP_COMMANDS.has(lw)) spec = list[i + 1];
        else if (w.includes(":") && !this.classes.has(w)) spec = w;
        if (spec === undefined || !spec.includes(":") || this.tables.has(spec)) continue;
        this.tables.set(spec, [await openTableSafely(spec)]);
      }
    }
    this.mynetworks = await compileHostList(cfg.get("mynetworks"), "mynetworks", cfg.get("parent_domain_matches_subdomains"));
    const mxNetworks = cfg.get("permit_mx_backup_networks");
    if (mxNetworks.trim() !== "") this.mxBackupNetworks = await compileHostList(mxNetworks, "permit_mx_backup_networks", cfg.get("parent_domain_matches_subdomains"));
    this.resolver = await Resolver.create(cfg);
    const maps = async (p: string) => {
      const out: LookupTable[] = [];
      for (const spec of cfg.getList(p)) out.push(await openTableSafely(spec));
      return out;
    };
    for (const p of ["local_recipient_maps", "virtual_mailbox_maps", "relay_recipient_maps", "virtual_alias_maps", "canonical_maps", "recipient_canonical_maps", "sender_canonical_maps"]) {
      this.rcptMaps[p] = await maps(p);
    }
    this.senderLoginMaps = { title: "smtpd_sender_login_maps", tables: await maps("smtpd_sender_login_maps") };
    this.relayCcerts = await maps("relay_clientcerts");
    this.permLog = cfg.getList("smtpd_log_access_permit_actions");
    this.noUnknownRcptChecks = receiveOverrideOptions(cfg.get("receive_override_options")).has("no_unknown_recipient_checks");
  }

  /** True when the client is in mynetworks. */
  inMynetworks(name: string, addr: string): boolean {
    return this.mynetworks.matches(name, addr);
  }

  // --- replies -----------------------------------------------------------------------------------------------

  private newCtx(s: CheckSession): Ctx {
    return { s, warnIfReject: 0, recursion: 0, deferIfPermit: newDefer(), deferIfReject: newDefer(), errorText: "" };
  }

  /** smtpd_check_reject(): formats, validates and logs a rejection; REJECT, or DUNNO under warn_if_reject. */
  private reject(c: Ctx, cls: string, code: number, dsn: string, text: string): Status {
    const hard = cls === "software" || cls === "resource" || cls === "data";
    const warn = c.warnIfReject > 0 && !hard;
    let t = `${code} ${dsn} ${text}`;
    if (code < 400 || code > 599) {
      msgWarn(`SMTP reply code configuration error: ${t}`);
      t = "450 4.7.1 Service unavailable";
    }
    if (dsnValid(t.slice(4)) === 0) {
      msgWarn(`DSN detail code configuration error: ${t}`);
      t = "450 4.7.1 Service unavailable";
    }
    t = printableSpace(t.slice(0, 510));
    if (!warn && c.deferIfReject.active && t[0] === "5") {
      const d = c.deferIfReject;
      c.warnIfReject = 0;
      d.active = false;
      return this.reject(c, d.cls, d.code, d.dsn, d.reason);
    }
    if (this.cfg.getBool("soft_bounce") && t[0] === "5") t = `4${t.slice(1)}`;
    t = `${t.slice(0, 4)}${t[0]}${t.slice(5)}`;
    c.errorText = t;
    logWhatsup(c.s, warn ? "reject_warning" : "reject", t);
    return warn ? DUNNO : REJECT;
  }

  private deferIf(d: Defer, cls: string, code: number, dsn: string, reason: string): Status {
    if (!d.active) Object.assign(d, { active: true, cls, code, dsn, reason });
    return DUNNO;
  }

  /** DEFER_IF_PERMIT2(): defer_if_permit unless warn_if_reject is on (then a plain reject). */
  private deferIfPermit2(c: Ctx, asPermit: boolean, code: number, dsn: string, text: string): Status {
    if (c.warnIfReject === 0 && asPermit) return this.deferIf(c.deferIfPermit, "policy", code, dsn, text);
    return this.reject(c, "policy", code, dsn, text);
  }

  private serverError(c: Ctx): never {
    this.reject(c, "software", 451, "4.3.5", "Server configuration error");
    throw new CheckAbort();
  }

  private dictRetry(c: Ctx, replyName: string): never {
    this.reject(c, "data", 451, "4.3.0", `<${replyName}>: Temporary lookup failure`);
    throw new CheckAbort();
  }

  /** smtpd_acl_permit(): logs a permit action when smtpd_log_access_permit_actions names it. */
  private permit(c: Ctx, action: string, replyClass: string, replyName: string, extra = ""): Status {
    if (!c.deferIfPermit.active && this.permLog.includes(action.toLowerCase())) {
      logWhatsup(c.s, "permit", `action=${action} for ${replyClass}=${replyName}${extra ? ` ${extra}` : ""}`);
    }
    return OK;
  }

  // --- access tables -----------------------------------------------------------------------------------------

  private parentStyle(): boolean {
    return splitList(this.cfg.get("parent_domain_matches_subdomains")).includes("smtpd_access_maps");
  }

  private lookup(_c: Ctx, spec: string, query: string, kind: AccessKind): string | undefined {
    const tables = this.tables.get(spec);
    if (!tables) {
      msgWarn(`check_access: unexpected dictionary: ${spec}`);
      return "451 4.3.5 Server configuration error";
    }
    try {
      return accessLookup(tables, query, kind, {
        parentMatchesSubdomains: this.parentStyle(),
        recipientDelimiter: this.cfg.get("recipient_delimiter"),
      }).value;
    } catch (e) {
      if (e instanceof MapError) {
        msgWarn(`${spec} lookup error for "${query}"`);
        return "451 4.3.5 Server configuration error";
      }
      throw e;
    }
  }

  /** check_namadr_access(): the client name (and parent domains), then its address (and parent networks). */
  private async checkNamadr(c: Ctx, spec: string, name: string, addr: string, replyName: string, replyClass: string, defAcl: string): Promise<Status> {
    if (name !== "") {
      const v = this.lookup(c, spec, name.toLowerCase(), isValidHostAddress(name) ? "ip" : "domain");
      if (v !== undefined) return this.tableResult(c, spec, v, name, replyName, replyClass, defAcl);
    }
    const v = this.lookup(c, spec, addr, "ip");
    if (v !== undefined) return this.tableResult(c, spec, v, addr, replyName, replyClass, defAcl);
    return DUNNO;
  }

  /**
   * check_server_access(): the MX hosts (a domain without MX: itself), the NS hosts (a name without NS: the
   * nearest parent domain with some) or, for A, the domain itself, of the domain of `name` (an address's domain,
   * or a host name) against access table `spec`: each host name with its parent domains (not for A), then each
   * of its addresses (hostAddresses(): /etc/hosts, then A and AAAA as inet_protocols asks); the first entry
   * found decides, DUNNO included. An address literal is its own MX host. A null MX, or a domain the lookup
   * fails for (`Unable to look up MX host for DOMAIN: …`), is DUNNO.
   */
  private async checkServerAccess(c: Ctx, spec: string, name: string, type: "MX" | "NS" | "A", replyName: string, replyClass: string, defAcl: string): Promise<Status> {
    let domain = name.slice(name.lastIndexOf("@") + 1);
    const byAddress = async (addr: string): Promise<Status | undefined> => {
      const v = this.lookup(c, spec, addr, "ip");
      return v === undefined ? undefined : this.tableResult(c, spec, v, addr, replyName, replyClass, defAcl);
    };
    if (domain.startsWith("[")) {
      if (type === "NS" || !domain.endsWith("]")) return DUNNO;
      const bare = domain.slice(1, -1).replace(/^ipv6:/i, "");
      return isValidHostAddress(bare) ? ((await byAddress(bare)) ?? DUNNO) : DUNNO;
    }
    domain = dnsDomain(domain);
    let servers = [domain];
    if (type !== "A") {
      let r = await this.dns.query(domain, type);
      if (r.status === "found" && type === "MX" && r.records.length === 1 && (r.records[0] === "" || r.records[0] === ".")) return DUNNO;
      if (r.status === "notfound" && type === "MX") r = { status: "found", records: [domain] };
      for (let d = domain; r.status === "notfound" && type === "NS"; ) {
        const dot = d.indexOf(".");
        if (dot < 0 || dot === d.length - 1) break;
        d = d.slice(dot + 1);
        domain = d;
        r = await this.dns.query(d, "NS");
      }
      if (r.status !== "found") {
        msgWarn(`Unable to look up ${type} host for ${domain}: ${r.status === "notfound" ? "Host not found" : "Host not found, try again"}`);
        return DUNNO;
      }
      servers = r.records;
    }
    let count = 0;
    for (const server of servers) {
      if (isValidHostAddress(server)) {
        const st = await byAddress(server);
        if (st !== undefined) return st;
        continue;
      }
      if (type !== "A") {
        const v = this.lookup(c, spec, server.toLowerCase(), "domain");
        if (v !== undefined) return this.tableResult(c, spec, v, server, replyName, replyClass, defAcl);
      }
      const { addresses, failed } = await this.hostAddresses(server);
      if (addresses.length === 0) {
        if (type !== "A") msgWarn(`Unable to look up ${type} host ${server} for ${replyClass} ${replyName}: ${failed ?? "Name or service not known"}`);
        continue;
      }
      for (const addr of addresses) {
        if (++count > DNS_RR_LIST_LIMIT) {
          msgWarn(`check_server_access: ${type} server address count limit (${DNS_RR_LIST_LIMIT}) exceeded for ${replyClass} ${replyName} -- ignoring the remainder`);
          return DUNNO;
        }
        const st = await byAddress(addr);
        if (st !== undefined) return st;
      }
    }
    return DUNNO;
  }

  private async checkDomain(c: Ctx, spec: string, domain: string, replyName: string, replyClass: string, defAcl: string): Promise<Status> {
    const v = this.lookup(c, spec, domain.toLowerCase(), "domain");
    return v === undefined ? DUNNO : this.tableResult(c, spec, v, domain, replyName, replyClass, defAcl);
  }

  private qualify(addr: string): string {
    if (addr === "" || addr.includes("@")) return addr;
    return `${addr}@${this.cfg.get("myorigin")}`;
  }

  /** check_mail_access(): the access(5) address search on the resolved address. */
  private async checkMailAccess(c: Ctx, spec: string, addr: string, replyName: string, replyClass: string, defAcl: string): Promise<Status> {
    const q = this.qualify(addr);
    const v = this.lookup(c, spec, q, "address");
    return v === undefined ? DUNNO : this.tableResult(c, spec, v, q, replyName, replyClass, defAcl);
  }

  private canDelegate(c: Ctx, table: string, action: string): boolean {
    if (c.s.where === "ETRN") {
      msgWarn(`access table ${table}: action ${action} is unavailable in smtpd_etrn_restrictions`);
      return false;
    }
    return this.notInClientHelo(c, table, action);
  }

  private notInClientHelo(c: Ctx, table: string, action: string): boolean {
    if (c.s.sender === undefined) {
      msgWarn(`access table ${table}: with smtpd_delay_reject=no, action ${action} is always skipped in ${NAME.CLIENT} or ${NAME.HELO} restrictions`);
      return false;
    }
    return true;
  }

  /** check_table_result(): what an access table value means. */
  private async tableResult(c: Ctx, table: string, value: string, datum: string, replyName: string, replyClass: string, defAcl: string): Promise<Status> {
    const m = /^(\S*)\s*([\s\S]*)$/.exec(value)!;
    const word = m[1]!;
    const rest = m[2]!;
    const W = word.toUpperCase();
    const s = c.s;
    switch (W) {
      case "DUNNO":
        return DUNNO;
      case "REJECT": {
        const d = dsnSplit("5.7.1", rest);
        return this.reject(c, "policy", this.cfg.getInt("access_map_reject_code"), smtpdDsnFix(d.dsn, replyClass), `<${replyName}>: ${replyClass} rejected: ${d.text || "Access denied"}`);
      }
      case "DEFER": {
        const d = dsnSplit("4.7.1", rest);
        return this.reject(c, "policy", this.cfg.getInt("access_map_defer_code"), smtpdDsnFix(d.dsn, replyClass), `<${replyName}>: ${replyClass} rejected: ${d.text || "Access denied"}`);
      }
      case "INFO":
        logWhatsup(s, "info", rest);
        return DUNNO;
      case "WARN":
        logWhatsup(s, "warn", rest);
        return DUNNO;
      case "FILTER":
        if (!this.canDelegate(c, table, "FILTER")) return DUNNO;
        if (rest === "") {
          msgWarn(`access table ${table} entry "${datum}" has FILTER entry without value`);
          return DUNNO;
        }
        if (!rest.includes(":")) {
          msgWarn(`access table ${table} entry "${datum}" requires transport:destination`);
          return DUNNO;
        }
        logWhatsup(s, "filter", `<${replyName}>: ${replyClass} triggers FILTER ${rest}`);
        s.saved.filter = rest;
        return DUNNO;
      case "HOLD":
        if (!this.canDelegate(c, table, "HOLD") || s.saved.hold !== undefined) return DUNNO;
        logWhatsup(s, "hold", `<${replyName}>: ${replyClass} ${rest || "triggers HOLD action"}`);
        s.saved.hold = rest || "triggers HOLD action";
        return DUNNO;
      case "DISCARD":
        if (!this.canDelegate(c, table, "DISCARD")) return DUNNO;
        logWhatsup(s, "discard", `<${replyName}>: ${replyClass} ${rest || "triggers DISCARD action"}`);
        s.discard = true;
        return this.permit(c, word, replyClass, replyName, `from ${table}`);
      case "REDIRECT":
        if (!this.canDelegate(c, table, "REDIRECT")) return DUNNO;
        if (!rest.includes("@")) {
          msgWarn(`access table ${table} entry "${datum}" requires user@domain target`);
          return DUNNO;
        }
        logWhatsup(s, "redirect", `<${replyName}>: ${replyClass} triggers REDIRECT ${rest}`);
        s.saved.redirect = rest;
        return DUNNO;
      case "BCC":
        if (!this.canDelegate(c, table, "BCC")) return DUNNO;
        if (!rest.includes("@")) {
          msgWarn(`access table ${table} entry "${datum}" requires user@domain target`);
          return DUNNO;
        }
        logWhatsup(s, "bcc", `<${replyName}>: ${replyClass} triggers BCC ${rest}`);
        s.saved.bcc.push(rest);
        return DUNNO;
      case "DEFER_IF_PERMIT": {
        const d = dsnSplit("4.7.1", rest);
        return this.deferIfPermit2(c, true, this.cfg.getInt("access_map_defer_code"), smtpdDsnFix(d.dsn, replyClass), `<${replyName}>: ${replyClass} rejected: ${d.text || "Service unavailable"}`);
      }
      case "DEFER_IF_REJECT": {
        const d = dsnSplit("4.7.1", rest);
        this.deferIf(c.deferIfReject, "policy", this.cfg.getInt("access_map_defer_code"), smtpdDsnFix(d.dsn, replyClass), `<${replyName}>: ${replyClass} rejected: ${d.text || "Service unavailable"}`);
        return DUNNO;
      }
      case "PREPEND":
        if (!this.notInClientHelo(c, table, "PREPEND")) return DUNNO;
        if (s.where === "END-OF-MESSAGE") {
          msgWarn(`access table ${table}: action PREPEND must be used before smtpd_end_of_data_restrictions`);
          return DUNNO;
        }
        if (!/^[\x21-\x39\x3b-\x7e]+:/.test(rest)) {
          msgWarn(`access table ${table} entry "${datum}" requires header: text`);
          return DUNNO;
        }
        s.saved.prepend.push(rest);
        return DUNNO;
    }
    if (/^\d+$/.test(value)) return this.permit(c, word, replyClass, replyName, `from ${table}`);
    if (word.length === 3 && rest !== "" && /^[45]\d\d$/.test(word)) {
      const d = dsnSplit(`${word[0]}.7.1`, rest);
      return this.reject(c, "policy", Number(word), smtpdDsnFix(d.dsn, replyClass), `<${replyName}>: ${replyClass} rejected: ${d.text || "Access denied"}`);
    }
    if (W === "OK" || W === "RELAY") return this.permit(c, word, replyClass, replyName, `from ${table}`);
    if (value.includes(":")) {
      msgWarn(`access table ${table} has entry with lookup table: ${value}`);
      msgWarn("do not specify lookup tables inside SMTPD access maps");
      msgWarn("define a restriction class and specify its name instead.");
      this.serverError(c);
    }
    if (c.recursion > 100) {
      msgWarn(`access table ${table} entry ${value} causes unreasonable recursion`);
      this.serverError(c);
    }
    const list = parseRestrictionList(value);
    if (list.length === 0) {
      msgWarn(`access table ${table} entry ${value} has empty value`);
      return OK;
    }
    return this.generic(c, list, replyName, replyClass, defAcl);
  }

  // --- individual restrictions -------------------------------------------------------------------------------

  private resolveClass(addr: string): "local" | "alias" | "virtual" | "relay" | "default" {
    const r = this.resolver.resolve(this.qualify(addr));
    return r.cls;
  }

  /** resolveClass(), with a table that fails answered as Postfix's reject_dict_retry() (451 4.3.0). */
  private resolveOrRetry(c: Ctx, addr: string): ReturnType<Restrictions["resolveClass"]> {
    try {
      return this.resolveClass(addr);
    } catch (e) {
      if (e instanceof MapError) this.dictRetry(c, addr);
      throw e;
    }
  }

  private permitAuthDestination(c: Ctx, recipient: string): Status {
    const cls = this.resolveOrRetry(c, recipient);
    const q = this.qualify(recipient);
    const local = q.slice(0, q.lastIndexOf("@"));
    if (!this.cfg.getBool("allow_untrusted_routing") && /[@!%]/.test(local)) return DUNNO;
    if (cls === "local" || cls === "alias" || cls === "virtual" || cls === "relay") return OK;
    return DUNNO;
  }

  /**
   * permit_mx_backup: OK for a recipient in a local, virtual or relay domain, and for one whose domain lists this
   * host as a backup MX host but not as a primary one (the lowest preference): an MX host name in mydestination,
   * or one of whose addresses is in inet_interfaces or proxy_interfaces. With permit_mx_backup_networks, every
   * address of every primary MX host must match it too. A failed MX lookup defers if the mail would be rejected
   * (`450 4.4.4 <R>: Recipient address rejected: Unable to look up mail exchanger information: …`).
   */
  private async permitMxBackup(c: Ctx, recipient: string, replyName: string, replyClass: string): Promise<Status> {
    const cls = this.resolveOrRetry(c, recipient);
    const q = this.qualify(recipient);
    const at = q.lastIndexOf("@");
    if (at < 0) return OK;
    if (!this.cfg.getBool("allow_untrusted_routing") && /[@!%]/.test(q.slice(0, at))) return DUNNO;
    if (cls !== "default") return OK;
    const literal = q.slice(at + 1);
    if (literal.startsWith("[") && literal.endsWith("]")) return DUNNO;
    const domain = dnsDomain(literal);
    const r = await this.dns.query(domain, "MX");
    if (r.status !== "found") {
      if (r.status === "error") {
        this.deferIf(c.deferIfReject, "policy", 450, "4.4.4", `<${replyName}>: ${replyClass} rejected: Unable to look up mail exchanger information: Host not found, try again`);
      }
      return DUNNO;
    }
    const mx = [...(r.mx ?? r.records.map((exchange) => ({ preference: 0, exchange })))].sort((a, b) => a.preference - b.preference);
    const primaries = mx.filter((m) => m.preference === mx[0]!.preference).map((m) => m.exchange);
    const backups = mx.filter((m) => m.preference !== mx[0]!.preference).map((m) => m.exchange);
    if (await this.iAmMx(c, primaries, replyName, replyClass)) return DUNNO;
    if (backups.length === 0 || !(await this.iAmMx(c, backups, replyName, replyClass))) return DUNNO;
    if (this.mxBackupNetworks !== undefined) {
      for (const host of primaries) if (!(await this.allAuthMxAddr(c, host, replyName, replyClass))) return DUNNO;
    }
    return OK;
  }

  /** i_am_mx(): one of `hosts` is in mydestination, or has an address of this host (inet/proxy_interfaces). */
  private async iAmMx(c: Ctx, hosts: string[], replyName: string, replyClass: string): Promise<boolean> {
    if (hosts.some((h) => this.resolver.isLocalDomain(h))) return true;
    const own = this.ownAddresses();
    for (const host of hosts) {
      const a = await this.hostAddresses(host);
      if (a.failed !== undefined && a.addresses.length === 0) {
        this.deferIf(c.deferIfReject, "policy", 450, "4.4.4", `<${replyName}>: ${replyClass} rejected: Unable to look up mail exchanger host ${host}: ${a.failed}`);
        continue;
      }
      if (a.addresses.some((x) => own.has(x.toLowerCase()))) return true;
    }
    return false;
  }

  /** all_auth_mx_addr(): every address of MX host `host` matches permit_mx_backup_networks. */
  private async allAuthMxAddr(c: Ctx, host: string, replyName: string, replyClass: string): Promise<boolean> {
    const a = await this.hostAddresses(host);
    if (a.addresses.length === 0) {
      this.deferIf(c.deferIfReject, "policy", 450, "4.4.4", `<${replyName}>: ${replyClass} rejected: Unable to look up host ${host} as mail exchanger: ${a.failed === "Temporary failure in name resolution" ? "Host not found, try again" : "Host not found"}`);
      return false;
    }
    return a.addresses.every((addr) => this.mxBackupNetworks!.matches(host, addr));
  }

  /**
   * The addresses of `host` that inet_protocols asks for, as getaddrinfo would find them: IPv4 from /etc/hosts
   * when nsswitch.conf reads it first (dns/hosts_file.ts), else the A and AAAA records; `failed` says, in
   * getaddrinfo's words, why a lookup gave none.
   */
  private async hostAddresses(host: string): Promise<{ addresses: string[]; failed?: string }> {
    const { v4, v6 } = enabledProtocols(this.cfg.get("inet_protocols"));
    const known = v4 ? addressesOfName(host) : undefined;
    if (known !== undefined) return { addresses: known };
    const types = [...(v4 ? ["A" as const] : []), ...(v6 ? ["AAAA" as const] : [])];
    const addresses: string[] = [];
    let failed: string | undefined;
    for (const t of types) {
      const r = await this.dns.query(host, t);
      if (r.status === "found") addresses.push(...r.records);
      else if (failed === undefined || r.status === "error") failed = r.status === "error" ? "Temporary failure in name resolution" : "Name or service not known";
    }
    return { addresses, ...(failed !== undefined ? { failed } : {}) };
  }

  /** This host's own addresses: those of inet_interfaces and proxy_interfaces (config/host_defaults.ts). */
  private ownAddresses(): Set<string> {
    return new Set([...interfaceAddressList(this.cfg.get("inet_interfaces")), ...interfaceAddressList(this.cfg.get("proxy_interfaces"))]);
  }

  private async unknownMailhost(c: Ctx, name: string, replyName: string, replyClass: string): Promise<Status> {
    const sender = replyClass === NAME.SENDER;
    let mx = await this.dns.query(name, "MX");
    let status = mx.status;
    if (mx.status === "found" && mx.records.length === 1 && (mx.records[0] === "" || mx.records[0] === ".")) {
      return this.reject(c, "policy", sender ? 550 : 556, sender ? "4.7.27" : "4.1.10", `<${replyName}>: ${replyClass} rejected: Domain ${name} does not accept mail (nullMX)`);
    }
    if (status === "notfound") {
      mx = await this.dns.query(name, "A");
      status = mx.status;
      if (status === "notfound") status = (await this.dns.query(name, "AAAA")).status;
    }
    if (status === "found") return DUNNO;
    if (status === "notfound") {
      return this.reject(c, "policy", this.cfg.getInt("unknown_address_reject_code"), sender ? "4.1.8" : "4.1.2", `<${replyName}>: ${replyClass} rejected: Domain not found`);
    }
    const asPermit = this.cfg.get("unknown_address_tempfail_action") !== "defer";
    return this.deferIfPermit2(c, asPermit, 450, sender ? "4.1.8" : "4.1.2", `<${replyName}>: ${replyClass} rejected: Domain not found`);
  }

  private async unknownAddress(c: Ctx, addr: string, replyName: string, replyClass: string): Promise<Status> {
    const q = this.qualify(addr);
    const at = q.lastIndexOf("@");
    if (at < 0) return DUNNO;
    const domain = q.slice(at + 1);
    const cls = this.resolveOrRetry(c, addr);
    if (cls === "local" || cls === "alias" || cls === "virtual") return DUNNO;
    if (domain.startsWith("[") && domain.endsWith("]")) return DUNNO;
    return this.unknownMailhost(c, domain, replyName, replyClass);
  }

  private async unknownHostname(c: Ctx, name: string, replyName: string, replyClass: string): Promise<Status> {
    let st = (await this.dns.query(name, "A")).status;
    if (st === "notfound") st = (await this.dns.query(name, "AAAA")).status;
    if (st === "notfound") st = (await this.dns.query(name, "MX")).status;
    if (st === "found") return DUNNO;
    if (st === "notfound") return this.reject(c, "policy", this.cfg.getInt("unknown_hostname_reject_code"), "4.7.1", `<${replyName}>: ${replyClass} rejected: Host not found`);
    const asPermit = this.cfg.get("unknown_helo_hostname_tempfail_action") !== "defer";
    return this.deferIfPermit2(c, asPermit, 450, "4.7.1", `<${replyName}>: ${replyClass} rejected: Host not found`);
  }

  private invalidHostaddr(c: Ctx, addr: string, replyName: string, replyClass: string): Status {
    const inner = addr.startsWith("[") && addr.length > 2 && addr.endsWith("]") ? addr.slice(1, -1) : addr;
    const ok = /^ipv6:/i.test(inner) ? isValidHostAddress(inner.slice(5)) && inner.slice(5).includes(":") : isValidHostAddress(inner) && !inner.includes(":");
    if (ok) return DUNNO;
    return this.reject(c, "policy", this.cfg.getInt("invalid_hostname_reject_code"), "5.5.2", `<${replyName}>: ${replyClass} rejected: invalid ip address`);
  }

  private invalidHostname(c: Ctx, name: string, replyName: string, replyClass: string): Status {
    const t = name.endsWith(".") ? name.slice(0, -1) : name;
    if (isValidHostname(t) || isValidHostAddress(t)) return DUNNO;
    return this.reject(c, "policy", this.cfg.getInt("invalid_hostname_reject_code"), "5.5.2", `<${replyName}>: ${replyClass} rejected: Invalid name`);
  }

  private nonFqdnHostname(c: Ctx, name: string, replyName: string, replyClass: string): Status {
    const t = name.endsWith(".") ? name.slice(0, -1) : name;
    if (isValidUtf8Hostname(t, c.s.smtputf8) && t.includes(".")) return DUNNO;
    return this.reject(c, "policy", this.cfg.getInt("non_fqdn_reject_code"), "5.5.2", `<${replyName}>: ${replyClass} rejected: need fully-qualified hostname`);
  }

  private nonFqdnAddress(c: Ctx, addr: string, replyName: string, replyClass: string): Status {
    const at = addr.lastIndexOf("@");
    const domain = at < 0 ? "" : addr.slice(at + 1);
    if (domain.startsWith("[") && domain.endsWith("]")) return DUNNO;
    const t = domain.endsWith(".") ? domain.slice(0, -1) : domain;
    if (t !== "" && isValidUtf8Hostname(t, c.s.smtputf8) && t.includes(".")) return DUNNO;
    return this.reject(c, "policy", this.cfg.getInt("non_fqdn_reject_code"), "4.5.2", `<${replyName}>: ${replyClass} rejected: need fully-qualified address`);
  }

  private mapsMatch(c: Ctx, replyName: string, maps: LookupTable[], addr: string): boolean {
    if (maps.length === 0) return false;
    try {
      return accessLookup(maps, addr, "address", { parentMatchesSubdomains: false, recipientDelimiter: this.cfg.get("recipient_delimiter") }).value !== undefined;
    } catch (e) {
      if (e instanceof MapError) this.dictRetry(c, replyName);
      throw e;
    }
  }

  /**
   * check_sender_rcpt_maps(): reject_unlisted_sender, explicit or implied by smtpd_reject_unlisted_sender, at most
   * once per MAIL check (a check under warn_if_reject does not count), and never with receive_override_options =
   * no_unknown_recipient_checks.
   */
  private senderRcptMaps(c: Ctx, sender: string): Status {
    if (this.noUnknownRcptChecks || c.s.senderRcptmapChecked) return DUNNO;
    if (c.warnIfReject === 0) c.s.senderRcptmapChecked = true;
    return this.rcptMapsCheck(c, sender, NAME.SENDER);
  }

  /** check_recipient_rcpt_maps(): the same for reject_unlisted_recipient and smtpd_reject_unlisted_recipient. */
  private recipientRcptMaps(c: Ctx, recipient: string): Status {
    if (this.noUnknownRcptChecks || c.s.recipientRcptmapChecked) return DUNNO;
    if (c.warnIfReject === 0) c.s.recipientRcptmapChecked = true;
    return this.rcptMapsCheck(c, recipient, NAME.RECIPIENT);
  }

  /** check_rcpt_maps(): is the address a known one (what reject_unlisted_sender/recipient check)? */
  private rcptMapsCheck(c: Ctx, addr: string, replyClass: string): Status {
    const q = this.qualify(addr);
    const m = this.rcptMaps;
    const lookupAddr = (maps: LookupTable[]) => this.mapsMatchSimple(c, addr, maps, q);
    if (lookupAddr(m.recipient_canonical_maps!) || (replyClass === NAME.SENDER && lookupAddr(m.sender_canonical_maps!)) || lookupAddr(m.canonical_maps!) || lookupAddr(m.virtual_alias_maps!)) {
      return DUNNO;
    }
    let r;
    try {
      r = this.resolver.resolve(q);
    } catch (e) {
      if (e instanceof MapError) this.dictRetry(c, addr);
      throw e;
    }
    const sender = replyClass === NAME.SENDER;
    if (r.transport === "error") {
      const d = dsnSplit(sender ? "5.1.0" : "5.1.1", r.nexthop);
      return this.reject(c, "bounce", r.cls === "alias" ? this.cfg.getInt("unknown_virtual_alias_reject_code") : 550, smtpdDsnFix(d.dsn, replyClass), `<${addr}>: ${replyClass} rejected: ${d.text}`);
    }
    const local = q.slice(0, q.lastIndexOf("@")).toLowerCase();
    const show = this.cfg.getBool("show_user_unknown_table_name");
    const unknown = (code: string, table: string) =>
      this.reject(c, "bounce", this.cfg.getInt(code), sender ? "5.1.0" : "5.1.1", `<${addr}>: ${replyClass} rejected: User unknown${show ? ` in ${table} table` : ""}`);
    if (r.cls === "local") {
      if (this.cfg.get("local_recipient_maps").trim() !== "" && local !== this.cfg.get("double_bounce_sender").toLowerCase() && local !== "postmaster" && local !== "mailer-daemon") {
        if (!this.mapsMatchLocal(c, addr, m.local_recipient_maps!, q)) return unknown("unknown_local_recipient_reject_code", "local recipient");
      }
    } else if (r.cls === "virtual") {
      if (m.virtual_mailbox_maps!.length > 0 && !lookupAddr(m.virtual_mailbox_maps!)) return unknown("unknown_virtual_mailbox_reject_code", "virtual mailbox");
    } else if (r.cls === "relay") {
      if (m.relay_recipient_maps!.length > 0 && !lookupAddr(m.relay_recipient_maps!)) return unknown("unknown_relay_recipient_reject_code", "relay recipient");
    }
    return DUNNO;
  }

  private mapsMatchSimple(c: Ctx, replyName: string, maps: LookupTable[], addr: string): boolean {
    return this.mapsMatch(c, replyName, maps, addr);
  }

  /** Local recipients are looked up by local part (passwd, aliases) as well as by address. */
  private mapsMatchLocal(c: Ctx, replyName: string, maps: LookupTable[], addr: string): boolean {
    if (maps.length === 0) return false;
    const local = addr.slice(0, addr.lastIndexOf("@"));
    const delim = this.cfg.get("recipient_delimiter");
    const keys = [addr.toLowerCase(), local.toLowerCase()];
    if (delim !== "") {
      for (let i = 1; i < local.length; i++) {
        if (delim.includes(local[i]!)) {
          keys.push(local.slice(0, i).toLowerCase());
          break;
        }
      }
    }
    try {
      for (const t of maps) for (const k of keys) if (t.lookup(k) !== undefined) return true;
    } catch (e) {
      if (e instanceof MapError) this.dictRetry(c, replyName);
      throw e;
    }
    return false;
  }

  // --- the evaluator -----------------------------------------------------------------------------------------

  /** generic_checks(). */
  private async generic(c: Ctx, list: string[], replyName: string, replyClass: string, defAcl: string | undefined): Promise<Status> {
    const s = c.s;
    const saved = c.recursion++;
    let status: Status = DUNNO;
    try {
      for (let i = 0; i < list.length; i++) {
        if (s.discard) break;
        let name = list[i]!;
        let lname = name.toLowerCase();
        if (lname === "warn_if_reject") {
          if (c.warnIfReject === 0) c.warnIfReject = c.recursion;
          continue;
        }
        let arg: string | undefined;
        if (name.includes(":") && !this.classes.has(name)) {
          if (defAcl === undefined) {
            msgWarn(`specify one of (check_client_access, check_reverse_client_hostname_access, check_helo_access, check_sender_access, check_recipient_access, check_etrn_access) before ${replyClass} restriction "${name}"`);
            this.serverError(c);
          }
          arg = name;
          name = defAcl;
          lname = defAcl;
        }
        const takeArg = (): string | undefined => {
          if (arg !== undefined) return arg;
          const next = list[i + 1];
          if (next === undefined) return undefined;
          i++;
          return next;
        };
        const next = list[i + 1];
        switch (lname) {
          case "permit":
            status = this.permit(c, name, replyClass, replyName);
            if (next !== undefined) msgWarn(`restriction \`${next}' after \`${name}' is ignored`);
            break;
          case "defer":
            status = this.reject(c, "policy", this.cfg.getInt("defer_code"), "4.3.2", `<${replyName}>: ${replyClass} rejected: Try again later`);
            if (next !== undefined && c.warnIfReject === 0) msgWarn(`restriction \`${next}' after \`${name}' is ignored`);
            break;
          case "reject":
            status = this.reject(c, "policy", this.cfg.getInt("reject_code"), "5.7.1", `<${replyName}>: ${replyClass} rejected: Access denied`);
            if (next !== undefined && c.warnIfReject === 0) msgWarn(`restriction \`${next}' after \`${name}' is ignored`);
            break;
          case "reject_unauth_pipelining":
            if (s.illPipelining) status = this.reject(c, "protocol", 503, "5.5.0", `<${replyName}>: ${replyClass} rejected: Improper use of SMTP command pipelining`);
            break;
          case "check_policy_service": {
            const server = takeArg();
            if (server === undefined || !server.includes(":")) {
              msgWarn("restriction check_policy_service must be followed by transport:server");
              this.serverError(c);
            }
            const action = await this.policy.query(server, s);
            if (action === undefined) this.serverError(c);
            status = await this.policyResult(c, server, action, replyName, replyClass, defAcl);
            break;
          }
          case "defer_if_permit":
            status = this.deferIfPermit2(c, true, 450, "4.7.0", `<${replyName}>: ${replyClass} rejected: defer_if_permit requested`);
            break;
          case "defer_if_reject":
            this.deferIf(c.deferIfReject, "policy", 450, "4.7.0", `<${replyName}>: ${replyClass} rejected: defer_if_reject requested`);
            break;
          case "sleep": {
            const n = takeArg();
            if (n === undefined || !/^\d+$/.test(n)) {
              msgWarn("restriction sleep must be followed by number");
              this.serverError(c);
            }
            await Bun.sleep(Number(n) * 1000);
            break;
          }
          case "reject_plaintext_session":
            if (!s.tls) status = this.reject(c, "policy", this.cfg.getInt("plaintext_reject_code"), "4.7.1", "Session encryption is required");
            break;
          case "reject_unknown_client_hostname":
          case "reject_unknown_client":
            if (s.nameStatus !== "ok") {
              status = this.reject(c, "policy", s.nameStatus === "perm" || s.nameStatus === "forged" ? this.cfg.getInt("unknown_client_reject_code") : 450, "4.7.25", `Client host rejected: cannot find your hostname, [${s.addr}]`);
            }
            break;
          case "reject_unknown_reverse_client_hostname":
            if (s.reverseNameStatus !== "ok") {
              status = this.reject(c, "policy", s.reverseNameStatus === "perm" ? this.cfg.getInt("unknown_client_reject_code") : 450, "4.7.1", `Client host rejected: cannot find your reverse hostname, [${s.addr}]`);
            }
            break;
          case "permit_inet_interfaces":
            if (interfaceAddressList(this.cfg.get("inet_interfaces")).includes(s.addr.toLowerCase())) status = this.permit(c, name, NAME.CLIENT, s.namaddr);
            break;
          case "permit_mynetworks":
            if (this.mynetworks.matches(s.name, s.addr)) status = this.permit(c, name, NAME.CLIENT, s.namaddr);
            break;
          case "permit_sasl_authenticated":
            // permit_sasl_auth(): only while SASL is active in the session, and never for ANONYMOUS
            if (s.saslActive && s.saslMethod !== undefined && s.saslMethod.toLowerCase() !== "anonymous") {
              status = this.permit(c, name, NAME.CLIENT, s.namaddr);
            }
            break;
          case "permit_tls_clientcerts":
          case "permit_tls_all_clientcerts": {
            const r = this.permitTlsClientcerts(c, lname === "permit_tls_all_clientcerts");
            if (r === "error") this.dictRetry(c, replyName);
            if (r === OK) status = this.permit(c, name, NAME.CLIENT, s.namaddr);
            break;
          }
          case "check_ccert_access": {
            const t = takeArg();
            if (t === undefined) break;
            status = await this.checkCcertAccess(c, t, defAcl ?? "");
            break;
          }
          case "check_sasl_access": {
            const t = takeArg();
            if (t === undefined) break;
            if (!this.cfg.getBool("smtpd_sasl_auth_enable")) msgWarn(`restriction \`${name}' ignored: no SASL support`);
            else if (s.saslUsername) status = await this.checkSaslAccess(c, t, s.saslUsername, defAcl ?? "");
            break;
          }
          case "reject_sender_login_mismatch":
            // Postfix's built-in restriction class
            status = await this.generic(c, ["reject_authenticated_sender_login_mismatch", "reject_unauthenticated_sender_login_mismatch"], replyName, replyClass, defAcl);
            break;
          case "reject_authenticated_sender_login_mismatch":
          case "reject_known_sender_login_mismatch":
          case "reject_unauthenticated_sender_login_mismatch":
            if (!this.cfg.getBool("smtpd_sasl_auth_enable")) msgWarn(`restriction \`${name}' ignored: no SASL support`);
            else if (s.sender) {
              if (lname === "reject_authenticated_sender_login_mismatch") status = this.authSenderLoginMismatch(c, s.sender, false);
              else if (lname === "reject_unauthenticated_sender_login_mismatch") status = this.unauthSenderLoginMismatch(c, s.sender);
              else status = s.saslUsername !== undefined ? this.authSenderLoginMismatch(c, s.sender, true) : this.unauthSenderLoginMismatch(c, s.sender);
            }
            break;
          case "check_client_access": {
            const t = takeArg();
            if (t !== undefined) status = await this.checkNamadr(c, t, s.name, s.addr, s.namaddr, NAME.CLIENT, defAcl ?? "");
            break;
          }
          case "check_reverse_client_hostname_access": {
            const t = takeArg();
            if (t !== undefined) {
              status = await this.checkNamadr(c, t, s.reverseName, s.addr, s.reverseName, NAME.REV_CLIENT, defAcl ?? "");
              status = this.forbidAllowlist(c, name, status, s.reverseName);
            }
            break;
          }
          case "check_helo_access": {
            const t = takeArg();
            if (t !== undefined && s.heloName !== undefined) status = await this.checkDomain(c, t, s.heloName, s.heloName, NAME.HELO, defAcl ?? "");
            break;
          }
          case "check_sender_access": {
            const t = takeArg();
            if (t !== undefined && s.sender !== undefined) {
              if (s.sender !== "") status = await this.checkMailAccess(c, t, s.sender, s.sender, NAME.SENDER, defAcl ?? "");
              else {
                const key = this.cfg.get("smtpd_null_access_lookup_key");
                const v = this.lookup(c, t, key, "domain");
                if (v !== undefined) status = await this.tableResult(c, t, v, key, s.sender, NAME.SENDER, defAcl ?? "");
              }
            }
            break;
          }
          case "check_recipient_access": {
            const t = takeArg();
            if (t !== undefined && s.recipient !== undefined) status = await this.checkMailAccess(c, t, s.recipient, s.recipient, NAME.RECIPIENT, defAcl ?? "");
            break;
          }
          case "check_etrn_access": {
            const t = takeArg();
            if (t !== undefined && s.etrnName !== undefined) status = await this.checkDomain(c, t, s.etrnName, s.etrnName, NAME.ETRN, defAcl ?? "");
            break;
          }
          case "reject_invalid_helo_hostname":
          case "reject_invalid_hostname":
            if (s.heloName !== undefined) {
              status = s.heloName.startsWith("[") ? this.invalidHostaddr(c, s.heloName, s.heloName, NAME.HELO) : this.invalidHostname(c, s.heloName, s.heloName, NAME.HELO);
            }
            break;
          case "reject_unknown_helo_hostname":
          case "reject_unknown_hostname":
            if (s.heloName !== undefined) {
              status = s.heloName.startsWith("[") ? this.invalidHostaddr(c, s.heloName, s.heloName, NAME.HELO) : await this.unknownHostname(c, s.heloName, s.heloName, NAME.HELO);
            }
            break;
          case "reject_non_fqdn_helo_hostname":
          case "reject_non_fqdn_hostname":
            if (s.heloName !== undefined) {
              status = s.heloName.startsWith("[") ? this.invalidHostaddr(c, s.heloName, s.heloName, NAME.HELO) : this.nonFqdnHostname(c, s.heloName, s.heloName, NAME.HELO);
            }
            break;
          case "reject_unknown_sender_domain":
          case "reject_unknown_address":
            if (s.sender) status = await this.unknownAddress(c, s.sender, s.sender, NAME.SENDER);
            break;
          case "reject_non_fqdn_sender":
            if (s.sender) status = this.nonFqdnAddress(c, s.sender, s.sender, NAME.SENDER);
            break;
          case "reject_unlisted_sender":
            if (s.sender) status = this.senderRcptMaps(c, s.sender);
            break;
          case "permit_auth_destination":
            if (s.recipient !== undefined && this.permitAuthDestination(c, s.recipient) === OK) status = this.permit(c, name, NAME.RECIPIENT, s.recipient);
            break;
          case "reject_unauth_destination":
          case "defer_unauth_destination":
            if (s.recipient !== undefined && this.permitAuthDestination(c, s.recipient) !== OK) {
              const relay = this.cfg.getInt("relay_domains_reject_code");
              status = lname === "reject_unauth_destination"
                ? this.reject(c, "policy", relay, "5.7.1", `<${s.recipient}>: Relay access denied`)
                : this.reject(c, "policy", relay - 100, "4.7.1", `<${s.recipient}>: Relay access denied`);
            }
            break;
          case "check_relay_domains":
            if (s.recipient !== undefined) {
              if (this.permitAuthDestination(c, s.recipient) === OK) status = this.permit(c, name, NAME.RECIPIENT, s.recipient);
              else status = this.reject(c, "policy", this.cfg.getInt("relay_domains_reject_code"), "5.7.1", `<${s.recipient}>: ${NAME.RECIPIENT} rejected: Relay access denied`);
            }
            break;
          case "reject_unknown_recipient_domain":
            if (s.recipient !== undefined) status = await this.unknownAddress(c, s.recipient, s.recipient, NAME.RECIPIENT);
            break;
          case "reject_non_fqdn_recipient":
            if (s.recipient !== undefined) status = this.nonFqdnAddress(c, s.recipient, s.recipient, NAME.RECIPIENT);
            break;
          case "reject_unlisted_recipient":
          case "check_recipient_maps":
            if (s.recipient) status = this.recipientRcptMaps(c, s.recipient);
            break;
          case "reject_multi_recipient_bounce":
            if (s.sender === "" && s.rcptCount > (s.where !== "RCPT" ? 1 : 0)) {
              status = this.reject(c, "policy", this.cfg.getInt("multi_recipient_bounce_reject_code"), "5.5.3", `<${replyName}>: ${replyClass} rejected: Multi-recipient bounce`);
            }
            break;
          case "reject_rbl_client":
          case "reject_rbl":
          case "permit_dnswl_client":
          case "reject_rhsbl_client":
          case "permit_rhswl_client":
          case "reject_rhsbl_reverse_client":
          case "reject_rhsbl_helo":
          case "reject_rhsbl_sender":
          case "reject_rhsbl_recipient": {
            if (next === undefined) {
              msgWarn(`restriction ${name} requires domain name argument`);
              break;
            }
            i++;
            status = await this.dnsxl(c, lname, next, name);
            break;
          }
          case "permit_mx_backup":
            if (s.recipient !== undefined && (await this.permitMxBackup(c, s.recipient, s.recipient, NAME.RECIPIENT)) === OK) {
              status = this.permit(c, name, NAME.RECIPIENT, s.recipient);
            }
            break;
          case "reject_unverified_sender":
          case "reject_unverified_recipient":
            msgWarn(`restriction \`${name}' is not supported by this server; ignored`);
            break;
          default:
            if (MAP_COMMANDS.has(lname)) {
              // the server access checks: check_{client,reverse_client_hostname,helo,sender,recipient}_{mx,ns,a}_access
              const server = SERVER_ACCESS.exec(lname);
              const t = takeArg();
              if (server === null || t === undefined) {
                msgWarn(`restriction \`${name}' is not supported by this server; ignored`);
                break;
              }
              const type = server[2]!.toUpperCase() as "MX" | "NS" | "A";
              const target = {
                client: s.name !== "unknown" ? [s.name, s.namaddr, NAME.CLIENT] : undefined,
                reverse_client_hostname: s.reverseName !== "unknown" ? [s.reverseName, s.reverseName, NAME.REV_CLIENT] : undefined,
                helo: s.heloName !== undefined ? [s.heloName, s.heloName, NAME.HELO] : undefined,
                sender: s.sender ? [s.sender, s.sender, NAME.SENDER] : undefined,
                recipient: s.recipient ? [s.recipient, s.recipient, NAME.RECIPIENT] : undefined,
              }[server[1] as "client" | "reverse_client_hostname" | "helo" | "sender" | "recipient"];
              if (target !== undefined) {
                const [what, replyName, replyClass] = target as [string, string, string];
                status = this.forbidAllowlist(c, name, await this.checkServerAccess(c, t, what, type, replyName, replyClass, defAcl ?? ""), what);
              }
              break;
            }
            {
              const cls = this.classes.get(name);
              if (cls) {
                status = await this.generic(c, cls, replyName, replyClass, defAcl);
                break;
              }
            }
            msgWarn(`unknown smtpd restriction: "${name}"`);
            this.serverError(c);
        }
        if (c.warnIfReject >= c.recursion) c.warnIfReject = 0;
        if (status !== DUNNO) break;
        if (c.deferIfPermit.active && c.deferIfReject.active) break;
      }
    } finally {
      c.recursion = saved;
      if (c.warnIfReject >= c.recursion) c.warnIfReject = 0;
    }
    return status;
  }

  /** check_access(): `key` as a whole in an access table; undefined when not found. */
  private wholeKeyLookup(spec: string, key: string): string | undefined {
    const tables = this.tables.get(spec);
    if (!tables) {
      msgWarn(`check_access: unexpected dictionary: ${spec}`);
      return "451 4.3.5 Server configuration error";
    }
    try {
      let v: string | undefined;
      for (const t of tables) if ((v = t.lookup(key)) !== undefined) break;
      return v;
    } catch (e) {
      if (!(e instanceof MapError)) throw e;
      msgWarn(`${spec} lookup error for "${key}"`);
      return "451 4.3.5 Server configuration error";
    }
  }

  /** check_sasl_access(): the login name, as a whole, in an access table. */
  private async checkSaslAccess(c: Ctx, spec: string, username: string, defAcl: string): Promise<Status> {
    const v = this.wholeKeyLookup(spec, username);
    if (v === undefined) return DUNNO;
    return this.tableResult(c, spec, v, username, username.replace(/[\x00-\x1f\x7f]/g, "_"), NAME.SASL_USER, defAcl);
  }

  /**
   * permit_tls_clientcerts(): a presented certificate (verified or not) whose fingerprint, else public-key
   * fingerprint, is in relay_clientcerts; with `all`, any verified certificate. "error" after a lookup failure.
   */
  private permitTlsClientcerts(c: Ctx, all: boolean): Status | "error" {
    const tls = c.s.tls;
    if (!tls) return DUNNO;
    const p = tls.peer;
    if (p && p.trusted && all) return OK;
    if (p) {
      if (tls.digestCompat) msgInfo("using backwards-compatible default setting smtpd_tls_fingerprint_digest=md5 to compute certificate fingerprints");
      for (const fp of [p.certFprint, p.pkeyFprint]) {
        try {
          for (const t of this.relayCcerts) if (t.lookup(fp) !== undefined) return OK;
        } catch (e) {
          if (!(e instanceof MapError)) throw e;
          msgWarn(`relay_clientcerts: lookup error for fingerprint '${p.certFprint}', pkey fingerprint ${p.pkeyFprint}`);
          return "error";
        }
      }
    } else if (!this.cfg.getBool("smtpd_tls_ask_ccert")) {
      msgWarn(`${all ? "permit_tls_all_clientcerts" : "permit_tls_clientcerts"} is requested, but "smtpd_tls_ask_ccert = no"`);
    }
    return DUNNO;
  }

  /**
   * check_ccert_access(): the certificate fingerprint, then the public-key fingerprint, each as a whole key; a
   * rejection names the certificate's CommonName (`<CN>: Client certificate rejected: …`).
   */
  private async checkCcertAccess(c: Ctx, spec: string, defAcl: string): Promise<Status> {
    const p = c.s.tls?.peer;
    if (!p) {
      if (!this.cfg.getBool("smtpd_tls_ask_ccert")) msgWarn(`check_ccert_access is requested, but "smtpd_tls_ask_ccert = no"`);
      return DUNNO;
    }
    for (const fp of [p.certFprint, p.pkeyFprint]) {
      if (c.s.tls?.digestCompat) msgInfo("using backwards-compatible default setting smtpd_tls_fingerprint_digest=md5 to compute certificate fingerprints");
      const v = this.wholeKeyLookup(spec, fp);
      if (v === undefined) continue;
      const r = await this.tableResult(c, spec, v, fp, p.cn, NAME.CCERT, defAcl);
      if (r !== DUNNO) return r;
    }
    return DUNNO;
  }

  /**
   * The owners of `sender` in smtpd_sender_login_maps (looked up by its resolved form, as mail_addr_find()
   * does), undefined when it has none; a table failure rejects with 451 (check_mail_addr_find()).
   */
  private senderOwners(c: Ctx, sender: string): string | undefined {
    try {
      return mailAddrFind(this.senderLoginMaps, this.qualify(sender), mailAddrFindOptions(this.cfg, (domain) => this.resolveClass(`postmaster@${domain}`) === "local"));
    } catch (e) {
      if (e instanceof MapError) this.dictRetry(c, sender);
      throw e;
    }
  }

  /** reject_auth_sender_login_mismatch(): a logged-in client must own the sender address (if it has owners). */
  private authSenderLoginMismatch(c: Ctx, sender: string, allowUnknownSender: boolean): Status {
    const s = c.s;
    if (this.senderLoginMaps.tables.length === 0 || s.saslUsername === undefined) return DUNNO;
    const owners = this.senderOwners(c, sender);
    if (owners === undefined && allowUnknownSender) return DUNNO;
    const user = s.saslUsername.toLowerCase();
    const found = owners !== undefined && owners.split(/[\s,]+/).some((o) => o !== "" && o.toLowerCase() === user);
    if (found) return DUNNO;
    return this.reject(c, "policy", 553, "5.7.1", `<${sender}>: Sender address rejected: not owned by user ${s.saslUsername}`);
  }

  /** reject_unauth_sender_login_mismatch(): a sender address that has owners needs a logged-in client. */
  private unauthSenderLoginMismatch(c: Ctx, sender: string): Status {
    const s = c.s;
    if (this.senderLoginMaps.tables.length === 0 || s.saslUsername !== undefined) return DUNNO;
    if (this.senderOwners(c, sender) === undefined) return DUNNO;
    return this.reject(c, "policy", 553, "5.7.1", `<${sender}>: Sender address rejected: not logged in`);
  }

  private forbidAllowlist(c: Ctx, name: string, status: Status, target: string): Status {
    if (status === OK) {
      msgWarn(`restriction ${name} returns OK for ${target}`);
      msgWarn(`this is not allowed for security reasons`);
      msgWarn(`use DUNNO instead of OK if you want to make an exception`);
      this.serverError(c);
    }
    return status;
  }

  private async policyResult(c: Ctx, server: string, action: string, replyName: string, replyClass: string, defAcl: string | undefined): Promise<Status> {
    return this.tableResult(c, server, action, "policy query", replyName, replyClass, defAcl ?? "");
  }

  /** The DNS list words; see dnsbl.ts. */
  private async dnsxl(c: Ctx, word: string, arg: string, name: string): Promise<Status> {
    const s = c.s;
    let r;
    switch (word) {
      case "reject_rbl_client":
      case "reject_rbl":
        r = await this.dnsbl.rejectAddr(s, arg, s.addr, NAME.CLIENT);
        break;
      case "permit_dnswl_client": {
        const p = await this.dnsbl.permitAddr(s, arg, s.addr);
        if (p === "defer") {
          this.deferIf(c.deferIfReject, "policy", 450, "4.7.1", `<${s.addr}>: ${NAME.CLIENT} rejected: Service unavailable`);
          return DUNNO;
        }
        if (p === "permit") {
          if (s.where === "RCPT" && s.recipient !== undefined && this.permitAuthDestination(c, s.recipient) !== OK) return DUNNO;
          return this.permit(c, name, NAME.CLIENT, s.namaddr);
        }
        return DUNNO;
      }
      case "reject_rhsbl_client":
        if (s.name.toLowerCase() === "unknown") return DUNNO;
        r = await this.dnsbl.rejectDomain(s, arg, s.name, NAME.CLIENT);
        break;
      case "permit_rhswl_client": {
        if (s.name.toLowerCase() === "unknown") return DUNNO;
        const p = await this.dnsbl.permitDomain(s, arg, s.name);
        if (p === "defer") {
          this.deferIf(c.deferIfReject, "policy", 450, "4.7.1", `<${s.name}>: ${NAME.CLIENT} rejected: Service unavailable`);
          return DUNNO;
        }
        if (p === "permit") {
          if (s.where === "RCPT" && s.recipient !== undefined && this.permitAuthDestination(c, s.recipient) !== OK) return DUNNO;
          return this.permit(c, name, NAME.CLIENT, s.namaddr);
        }
        return DUNNO;
      }
      case "reject_rhsbl_reverse_client":
        if (s.reverseName.toLowerCase() === "unknown") return DUNNO;
        r = await this.dnsbl.rejectDomain(s, arg, s.reverseName, NAME.REV_CLIENT);
        break;
      case "reject_rhsbl_helo":
        if (s.heloName === undefined) return DUNNO;
        r = await this.dnsbl.rejectDomain(s, arg, s.heloName, NAME.HELO);
        break;
      case "reject_rhsbl_sender":
        if (!s.sender) return DUNNO;
        r = await this.dnsbl.rejectDomain(s, arg, s.sender, NAME.SENDER);
        break;
      case "reject_rhsbl_recipient":
        if (!s.recipient) return DUNNO;
        r = await this.dnsbl.rejectDomain(s, arg, s.recipient, NAME.RECIPIENT);
        break;
    }
    if (!r) return DUNNO;
    if ("serverError" in r) this.serverError(c);
    return this.reject(c, "policy", r.code, r.dsn, r.text);
  }

  /** Starts every DNS list lookup of `lists` at once (the stage's facts are known). */
  private prefetch(s: CheckSession, lists: (string[] | undefined)[]): void {
    for (const list of lists) {
      if (!list) continue;
      for (let i = 0; i < list.length - 1; i++) {
        const w = list[i]!.toLowerCase();
        if (!DNSXL_WORDS.has(w)) continue;
        this.dnsbl.prefetch(s, w, list[i + 1]!);
      }
    }
  }

  // --- the stages --------------------------------------------------------------------------------------------

  private async stage(s: CheckSession, list: string[] | undefined, replyName: string, replyClass: string, defAcl: string | undefined, c = this.newCtx(s)): Promise<{ status: Status; ctx: Ctx }> {
    let status: Status = DUNNO;
    if (list && list.length > 0) {
      try {
        status = await this.generic(c, list, replyName, replyClass, defAcl);
      } catch (e) {
        if (!(e instanceof CheckAbort)) throw e;
        status = REJECT;
      }
    }
    return { status, ctx: c };
  }

  /** smtpd_check_client(). */
  async checkClient(s: CheckSession): Promise<string | undefined> {
    this.prefetch(s, [this.lists.client]);
    const { status, ctx } = await this.stage(s, this.lists.client, s.namaddr, NAME.CLIENT, "check_client_access");
    s.deferIfPermitClient = ctx.deferIfPermit.active;
    if (ctx.deferIfPermit.active) s.deferIfPermitClient = true;
    return status === REJECT ? ctx.errorText : undefined;
  }

  /** smtpd_check_helo(). */
  async checkHelo(s: CheckSession, helo: string): Promise<string | undefined> {
    const saved = s.heloName;
    s.heloName = helo;
    try {
      this.prefetch(s, [this.lists.helo]);
      const c = this.newCtx(s);
      c.deferIfPermit.active = s.deferIfPermitClient;
      const { status, ctx } = await this.stage(s, this.lists.helo, helo, NAME.HELO, "check_helo_access", c);
      s.deferIfPermitHelo = ctx.deferIfPermit.active;
      return status === REJECT ? ctx.errorText : undefined;
    } finally {
      s.heloName = saved;
    }
  }

  /** smtpd_check_mail(). */
  async checkMail(s: CheckSession, sender: string): Promise<string | undefined> {
    const saved = s.sender;
    s.sender = sender;
    s.senderRcptmapChecked = false;
    try {
      this.prefetch(s, [this.lists.mail]);
      const c = this.newCtx(s);
      c.deferIfPermit.active = s.deferIfPermitClient || s.deferIfPermitHelo;
      let { status, ctx } = await this.stage(s, this.lists.mail, sender, NAME.SENDER, "check_sender_access", c);
      s.deferIfPermitSender = ctx.deferIfPermit.active;
      if (this.cfg.getBool("smtpd_reject_unlisted_sender") && status !== REJECT && !s.senderRcptmapChecked && !s.discard && sender !== "") {
        try {
          status = this.senderRcptMaps(ctx, sender);
        } catch (e) {
          if (!(e instanceof CheckAbort)) throw e;
          status = REJECT;
        }
      }
      return status === REJECT ? ctx.errorText : undefined;
    } finally {
      s.sender = saved;
    }
  }

  /** smtpd_check_rcpt(): with smtpd_delay_reject, the client/helo/sender stages first. */
  async checkRcpt(s: CheckSession, recipient: string): Promise<string | undefined> {
    if (recipient.toLowerCase() === "postmaster") return undefined;
    const saved = s.recipient;
    s.recipient = recipient;
    s.recipientRcptmapChecked = false;
    try {
      const lists = this.relayBeforeRcpt ? [this.relayList(), this.lists.rcpt] : [this.lists.rcpt, this.relayList()];
      if (this.cfg.getBool("smtpd_delay_reject")) {
        this.prefetch(s, [this.lists.client, this.lists.helo, this.lists.mail, ...lists]);
        let err = await this.checkClient(s);
        if (err === undefined && s.heloName !== undefined) err = await this.checkHelo(s, s.heloName);
        if (err === undefined && s.sender !== undefined) err = await this.checkMail(s, s.sender);
        if (err !== undefined) return err;
      } else this.prefetch(s, lists);
      const c = this.newCtx(s);
      c.deferIfPermit.active = s.deferIfPermitSender;
      let status: Status = DUNNO;
      for (let n = 0; n < 2; n++) {
        c.recursion = 0;
        c.warnIfReject = 0;
        c.deferIfReject.active = false;
        const isRelay = lists[n] === this.relayList();
        const r = await this.stage(s, lists[n], recipient, NAME.RECIPIENT, "check_recipient_access", c);
        status = r.status;
        if (isRelay && this.fakeRelay && status === DUNNO) {
          msgInfo(`using backwards-compatible default setting "smtpd_relay_restrictions = (empty)" to avoid "Relay access denied" error for recipient "${recipient}" from client "${s.namaddr}"`);
        }
        if (status === REJECT) break;
      }
      if (status !== REJECT && c.deferIfPermit.active) {
        const d = c.deferIfPermit;
        status = this.reject(c, d.cls, d.code, d.dsn, d.reason);
      }
      if (this.cfg.getBool("smtpd_reject_unlisted_recipient") && status !== REJECT && !s.recipientRcptmapChecked && !s.discard) {
        try {
          status = this.recipientRcptMaps(c, recipient);
        } catch (e) {
          if (!(e instanceof CheckAbort)) throw e;
          status = REJECT;
        }
      }
      return status === REJECT ? c.errorText : undefined;
    } finally {
      s.recipient = saved;
    }
  }

  private relayList(): string[] | undefined {
    return this.fakeRelay ? this.lists.fakeRelay : this.lists.relay;
  }

  /** smtpd_check_etrn(). */
  async checkEtrn(s: CheckSession, domain: string): Promise<string | undefined> {
    const saved = s.etrnName;
    s.etrnName = domain;
    try {
      if (this.cfg.getBool("smtpd_delay_reject")) {
        let err = await this.checkClient(s);
        if (err === undefined && s.heloName !== undefined) err = await this.checkHelo(s, s.heloName);
        if (err !== undefined) return err;
      }
      const c = this.newCtx(s);
      c.deferIfPermit.active = s.deferIfPermitClient || s.deferIfPermitHelo;
      let { status } = await this.stage(s, this.lists.etrn, domain, NAME.ETRN, "check_etrn_access", c);
      if (status !== REJECT && c.deferIfPermit.active) {
        const d = c.deferIfPermit;
        status = this.reject(c, d.cls, d.code, d.dsn, d.reason);
      }
      return status === REJECT ? c.errorText : undefined;
    } finally {
      s.etrnName = saved;
    }
  }

  private async dataLike(s: CheckSession, list: string[] | undefined, name: string, cls: string): Promise<string | undefined> {
    const saved = s.recipient;
    if (s.rcptCount > 1) s.recipient = undefined;
    try {
      this.prefetch(s, [list]);
      const c = this.newCtx(s);
      let { status } = await this.stage(s, list, name, cls, undefined, c);
      if (status !== REJECT && c.deferIfPermit.active) {
        const d = c.deferIfPermit;
        status = this.reject(c, d.cls, d.code, d.dsn, d.reason);
      }
      return status === REJECT ? c.errorText : undefined;
    } finally {
      s.recipient = saved;
    }
  }

  /** smtpd_check_data(). */
  checkData(s: CheckSession): Promise<string | undefined> {
    return this.dataLike(s, this.lists.data, "DATA", NAME.DATA);
  }

  /** smtpd_check_eod(). */
  checkEod(s: CheckSession): Promise<string | undefined> {
    return this.dataLike(s, this.lists.eod, "END-OF-MESSAGE", NAME.EOD);
  }

  /** smtpd_check_size(): the SIZE= announcement against message_size_limit. */
  checkSize(s: CheckSession, size: number): string | undefined {
    const limit = this.cfg.getInt("message_size_limit");
    if (limit > 0 && size > limit) {
      const c = this.newCtx(s);
      this.reject(c, "policy", 552, "5.3.4", "Message size exceeds fixed limit");
      return c.errorText;
    }
    return undefined;
  }

  /** True when smtpd_delay_reject is off and restrictions exist for `stage` (client checks at connect). */
  hasList(stage: "client" | "helo" | "mail"): boolean {
    return (this.lists[stage] ?? []).length > 0;
  }
}
