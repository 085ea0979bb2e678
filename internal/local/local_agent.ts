/**
 * local_agent — delivery for the domains in mydestination (Postfix's local(8)): aliases, .forward files,
 * mailboxes, maildirs, files and commands.
 *
 * FOR EACH QUEUE RECIPIENT (Postfix's deliver_recipient / deliver_switch), with the address folded to lower case:
 *   - a recipient already named in a `Delivered-To:` header bounces: `5.4.6 mail forwarding loop for ADDR`
 *   - `user+ext`: the local part splits at the first recipient_delimiter character (not owner-x / x-request with
 *     `-`, not postmaster or mailer-daemon); an extension with `/` is dropped with a warning; an empty user bounces
 *     `5.1.3 null username in "ADDR"`
 *   - alias_maps: the local part with extension, then without (aliases(5): addresses, `|command`, `/file`,
 *     `~/file`, `:include:/file`, `dir/` for a maildir). An alias that names itself delivers to the user.
 *     Commands and files of an alias run with the rights of the alias database owner, or of default_privs when
 *     root owns it. `owner-NAME` aliases become the envelope sender of the expansion, so they receive its
 *     errors (see OWNER- ALIASES).
 *     An alias expanding beyond 100 levels bounces `5.4.6 alias database loop for NAME`.
 *   - expanded addresses are rewritten to canonical form (@myorigin, .mydomain) and resolved: addresses that
 *     resolve to this transport are delivered here at once (the unmatched extension propagates when
 *     propagate_unmatched_extensions says so); others, addresses listed under an owner- alias, and addresses of
 *     :include: files are forwarded (forward.ts: a new message, `forwarded as QID`)
 *   - a local user (passwd entry): forward_path (`$home/.forward+$extension, $home/.forward` …; the first file
 *     that exists; owned by the user or root, not world-writable, read with the user's rights), then the mailbox
 *   - mailbox, first applicable of: mailbox_transport_maps, mailbox_transport (handed to that transport),
 *     mailbox_command_maps, mailbox_command (a command with the user's rights; root's mail uses default_privs),
 *     home_mailbox (`~/Mailbox`, or a maildir when it ends in `/`), mail_spool_directory/USER (a maildir when the
 *     directory ends in `/`)
 *   - an unknown user: fallback_transport_maps, fallback_transport, luser_relay ($name-expanded, delivered as an
 *     alias address), a discard with warning for postmaster and mailer-daemon (`required alias not found`), else
 *     `5.1.1 unknown user: "NAME"`.
 * A duplicate filter (duplicate_filter_limit) keeps one queue recipient from reaching the same alias, file,
 * command or mailbox twice; it lives as long as one recipient's delivery.
 *
 * STATUS TEXTS, as Postfix's: `delivered to mailbox`, `delivered to maildir`, `delivered to file: PATH`,
 * `delivered to command: CMD`, `forwarded as QID`, `cannot update mailbox PATH for user USER. REASON`,
 * `maildir delivery failed: REASON`, `cannot append message to file PATH: REASON`, `mail to command is
 * restricted`, `mail to file is restricted`, the command texts of pipe_command.ts, `alias database unavailable`,
 * `table lookup failure`, `mail system configuration error`.
 *
 * RIGHTS. A privileged agent (started by a root master) delivers with the recipient's uid and gid
 * (mailbox/identity.ts): mailboxes in a mail spool directory that is neither world- nor group-writable are
 * created and locked as root and given to the user (Postfix's rule); everything else — home mailboxes,
 * maildirs, .forward files, files, commands — as the user; commands and files of root-owned aliases and of root
 * itself as default_privs. An unprivileged agent (an instance run by an ordinary user) does everything as the
 * instance owner: local users are still the passwd users (their home directories, .forward files and names),
 * but their mailboxes are created by and belong to the instance owner, strict_mailbox_ownership compares with
 * the instance owner, and commands run as the instance owner with the recipient's HOME, USER … in the
 * environment.
 *
 * OWNER- ALIASES (Postfix's bounce_workaround). The errors of an alias `list` that has an `owner-list` alias go
 * to the owner. The addresses it expands to are forwarded in a new message whose sender is the owner, so their
 * errors reach the owner the ordinary way. Its files and commands are delivered from the message itself, whose
 * errors the queue manager reports to the message's sender; so when such a delivery fails for good (also a
 * mail forwarding loop, and `mail to file is restricted`) and the recipient address (`list`, else `list`
 * without its extension) has an owner- alias, the agent sends the owner a non-delivery notice of its own for
 * that one recipient (../dsn/bounce_notice.ts; To: `owner-list@$myorigin`, or the alias's value with
 * expand_owner_alias), logs `QID: sender non-delivery notification: NEWQID` and then the `status=bounced` line,
 * and reports the recipient done: the sender hears nothing. A notice that cannot be queued defers the recipient
 * (`4.3.0 bounce or trace service failure`). Temporary errors, maildir deliveries and `mail to command is
 * restricted` are reported as usual, as in Postfix.
 *
 * DSN NOTIFY=SUCCESS: the addresses an alias or .forward file expands to lose SUCCESS, and the recipient's
 * result says "expanded" (the queue manager then reports `alias expanded`), as Postfix's local(8) does.
 * Differences from Postfix, deliberate: a table that cannot be opened defers the lookups that
 * need it instead of stopping the agent; `nis:` tables are treated as empty (no NIS client), with a warning.
 *
 * Contract: deliver() never throws; every recipient of the request gets exactly one result.
 * Postfix: src/local/*.c.
 */
import { lstatSync, openSync, readSync, closeSync, fstatSync, statSync, type Stats } from "node:fs";
import { ConfigError, type Config } from "../config/config.ts";
import { msgWarn, msgVerbose } from "../log/msg.ts";
import { openMap, MapError, type LookupTable } from "../maps/index.ts";
import { parseAddressTree, addressTokens, addressInternal, quoteLocalPart, splitLocalPart, stripAddressExtension } from "../address/index.ts";
import { Resolver } from "../resolve/resolve.ts";
import { Cleanup } from "../cleanup/cleanup.ts";
import { BounceNotifier } from "../dsn/bounce_notice.ts";
import { queueLayout, type QueueLayout } from "../queue/index.ts";
import { requestQueueScan } from "../ipc/flush.ts";
import { AgentClient, verifyOnly, type AgentRecipient, type DeliveryReply, type DeliveryRequest } from "../daemon/agent_protocol.ts";
import { getpwnam, getpwuid, type PasswdEntry } from "../sys/passwd.ts";
import { errnoText } from "../sys/errno.ts";
import {
  DeliveryJob, RecipientOutcome, formatPreamble, copyMessage, appendToMbox, deliverToMaildir, pipeCommand, MailboxError, isPrivileged,
  restIdentity, runAs, type Identity,
} from "../mailbox/index.ts";
import { localExpand, type ExpandAttrs } from "./local_expand.ts";
import { ForwardBatch } from "./forward.ts";
import { biffNotify } from "./biff.ts";
import {
  readLocalSettings, EXP_ALIAS, EXP_FWD, EXP_INCL, HDR_CMD, HDR_FILE, HDR_FWD, PROP_ALIAS, PROP_FORWARD, PROP_INCLUDE,
  type LocalSettings,
} from "./local_settings.ts";

/** The rights and environment of the user a delivery acts for (Postfix's USER_ATTR). uid 0 = none chosen. */
interface UserAttr {
  uid: number;
  gid: number;
  home?: string;
  shell?: string;
  logname?: string;
}

const NO_USER: UserAttr = { uid: 0, gid: 0 };

/** The per-level delivery attributes (Postfix's DELIVER_ATTR), passed by value. */
interface Attr {
  level: number;
  sender: string;
  address: string;
  origAddress: string;
  offset: number;
  notify: number;
  orcpt: string;
  dsnEnvid: string;
  dsnRet: number;
  local: string;
  user: string;
  domain: string | undefined;
  extension: string | undefined;
  unmatched: string | undefined;
  owner: string | undefined;
  delivered: string | undefined;
  expType: number;
  expFrom: string | undefined;
}

/** One queue recipient's delivery: its outcome, duplicate filter and forwarding batch. */
interface Ctx {
  job: DeliveryJob;
  outcome: RecipientOutcome;
  seen: Set<string>;
  forward: ForwardBatch;
  /** A notice to an owner- alias was queued. */
  notified: boolean;
}

/** An alias table and whose rights its commands and files get. */
interface AliasTable {
  spec: string;
  table: LookupTable | undefined;
  /** Why it could not be opened; lookups then defer. */
  openError?: string;
  /** Owner uid of the file behind it (0 = trusted: default_privs apply). */
  owner: number;
}

const DSN_NOTIFY_NEVER = 1;
const DSN_NOTIFY_SUCCESS = 2;

/** Suffix of the file behind an indexed table type. */
const INDEXED_SUFFIX: Record<string, string> = { hash: ".db", btree: ".db", lmdb: ".lmdb", cdb: ".cdb" };

/** The file whose owner is a table's owner, or undefined for tables without a file. */
function tableFile(spec: string): string | undefined {
  let s = spec;
  if (s.startsWith("proxy:")) s = s.slice(6);
  const colon = s.indexOf(":");
  if (colon < 0) return undefined;
  const type = s.slice(0, colon);
  const name = s.slice(colon + 1);
  if (INDEXED_SUFFIX[type] !== undefined) return name + INDEXED_SUFFIX[type];
  if (["texthash", "regexp", "pcre", "cidr"].includes(type)) return name;
  return undefined;
}

/** Strips SUCCESS from DSN notify bits, as alias and .forward expansion do. */
function withoutSuccess(notify: number): number {
  return notify === DSN_NOTIFY_SUCCESS ? DSN_NOTIFY_NEVER : notify & ~DSN_NOTIFY_SUCCESS;
}

/** Dependencies a test may replace (the passwd database). */
export interface LocalAgentOptions {
  /** passwd(5) file for user lookups (default /etc/passwd). */
  passwdFile?: string;
}

/** The local delivery agent of one configuration and master.cf service. */
export class LocalAgent {
  private readonly clients = new Map<string, AgentClient>();
  private readonly layout: QueueLayout;
  private readonly defaultPrivs: Identity | undefined;
  private readonly notifier: BounceNotifier;

  private constructor(
    private readonly s: LocalSettings,
    /** The master.cf service name: `relay=` in logs, and the transport whose addresses are delivered here. */
    private readonly service: string,
    private readonly aliases: AliasTable[],
    private readonly mailboxCommandMaps: LookupTable[],
    private readonly mailboxTransportMaps: LookupTable[],
    private readonly fallbackTransportMaps: LookupTable[],
    private readonly resolver: Resolver,
    private readonly cleanup: Cleanup,
    private readonly opts: LocalAgentOptions,
    cfg: Config,
  ) {
    this.layout = queueLayout(s.queueDirectory, {
      hashQueues: cfg.getList("hash_queue_names"),
      hashDepth: cfg.getInt("hash_queue_depth"),
      longIds: cfg.getBool("enable_long_queue_ids"),
    });
    this.notifier = new BounceNotifier(cfg, cleanup);
    if (isPrivileged()) {
      const pw = this.getpwnam(s.defaultPrivs);
      if (!pw) throw new ConfigError(`unknown default_privs user: ${s.defaultPrivs}`);
      if (pw.uid === 0) throw new ConfigError(`default_privs: ${s.defaultPrivs}: privileged user`);
      this.defaultPrivs = { uid: pw.uid, gid: pw.gid };
    }
  }

  /** Reads the configuration and opens the tables (ConfigError for bad settings). */
  static async create(cfg: Config, service: string, opts: LocalAgentOptions = {}): Promise<LocalAgent> {
    const s = readLocalSettings(cfg);
    const aliases: AliasTable[] = [];
    for (const spec of s.aliasMaps) {
      if (spec.startsWith("nis:")) {
        msgWarn(`${spec}: NIS is not supported; the table is treated as empty`);
        continue;
      }
      let owner = 0;
      const file = tableFile(spec);
      if (file) {
        try {
          owner = statSync(file).uid;
        } catch {
          // the open below reports it
        }
      }
      try {
        aliases.push({ spec, table: await openMap(spec), owner });
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        msgWarn(`alias_maps: ${why}`);
        aliases.push({ spec, table: undefined, openError: why, owner });
      }
    }
    const open = async (specs: string[]) => {
      const out: LookupTable[] = [];
      for (const spec of specs) out.push(await openMap(spec));
      return out;
    };
    return new LocalAgent(
      s, service, aliases, await open(s.mailboxCommandMaps), await open(s.mailboxTransportMaps), await open(s.fallbackTransportMaps),
      await Resolver.create(cfg), await Cleanup.create(cfg), opts, cfg,
    );
  }

  private getpwnam(name: string): PasswdEntry | undefined {
    return getpwnam(name, this.opts.passwdFile);
  }

  private getpwuid(uid: number): PasswdEntry | undefined {
    return getpwuid(uid, this.opts.passwdFile);
  }

  /** Delivers one request; one result per recipient. */
  async deliver(req: DeliveryRequest): Promise<DeliveryReply> {
    const job = DeliveryJob.openOrDefer(this.layout, req, this.service);
    if (!(job instanceof DeliveryJob)) return job;
    let queued = false;
    try {
      const results = [];
      for (const rcpt of req.recipients) {
        const outcome = new RecipientOutcome(job, rcpt);
        const ctx: Ctx = { job, outcome, seen: new Set(), forward: new ForwardBatch(), notified: false };
        const attr = this.topAttr(job, rcpt);
        let status: number;
        try {
          status = await this.deliverRecipient(ctx, attr, NO_USER);
        } catch (e) {
          // an unexpected failure (a bug, a corrupt queue file): try again later
          msgWarn(`${req.queueId}: ${rcpt.address}: ${e instanceof Error ? e.message : String(e)}`);
          status = outcome.deferred(attr, "4.3.0", "mail system error");
        }
        if (ctx.notified) queued = true;
        if (ctx.forward.pending) {
          queued = true;
          await ctx.forward.finish(
            job, this.cleanup,
            { myhostname: this.s.myhostname, mailName: this.s.mailName, deliveredHeader: (this.s.deliverHeaders & HDR_FWD) !== 0 },
            outcome, attr, status !== 0,
          );
        }
        results.push(outcome.result());
      }
      return { results };
    } finally {
      job.close();
      if (queued) void requestQueueScan(this.s.queueDirectory, "I");
    }
  }

  private topAttr(job: DeliveryJob, rcpt: AgentRecipient): Attr {
    return {
      level: 0, sender: job.req.sender, address: rcpt.address, origAddress: rcpt.origAddress, offset: rcpt.offset,
      notify: rcpt.notify, orcpt: rcpt.orcpt, dsnEnvid: job.req.envid, dsnRet: job.req.ret, local: "", user: "",
      domain: undefined, extension: undefined, unmatched: undefined, owner: undefined, delivered: undefined,
      expType: 0, expFrom: undefined,
    };
  }

  /** been_here(): true when `key` was seen before in this recipient's delivery (case-insensitive, bounded). */
  private beenHere(ctx: Ctx, key: string): boolean {
    const k = key.toLowerCase();
    if (ctx.seen.has(k)) return true;
    if (this.s.duplicateFilterLimit <= 0 || ctx.seen.size < this.s.duplicateFilterLimit) ctx.seen.add(k);
    return false;
  }

  private setUser(pw: PasswdEntry): UserAttr {
    return { uid: pw.uid, gid: pw.gid, home: pw.home, shell: pw.shell, logname: pw.name };
  }

  /** The rights to act with; none when unprivileged (everything runs as the instance owner). */
  private identity(usr: UserAttr): Identity | undefined {
    return isPrivileged() ? { uid: usr.uid, gid: usr.gid } : undefined;
  }

  /** The uid a mailbox must belong to under strict_mailbox_ownership. */
  private ownerUid(usr: UserAttr): number {
    return isPrivileged() ? usr.uid : restIdentity().uid;
  }

  /** Rights for files and commands: the user's, or default_privs instead of root (Postfix's "privileged default"). */
  private fileRights(usr: UserAttr): UserAttr {
    if (!this.defaultPrivs) return usr;
    return { ...usr, uid: usr.uid === 0 ? this.defaultPrivs.uid : usr.uid, gid: usr.gid === 0 ? this.defaultPrivs.gid : usr.gid };
  }

  private expandAttrs(a: Attr, usr: UserAttr): ExpandAttrs {
    const delim = a.local.length > a.user.length ? a.local[a.user.length]! : this.s.recipientDelimiter[0];
    return {
      user: a.user, home: usr.home, shell: usr.shell, domain: a.domain, local: a.local, mailbox: a.local,
      recipient: a.address, extension: a.extension, recipient_delimiter: delim,
    };
  }

  /** Rewrites an address to canonical form: @$myorigin for a bare name, .$mydomain for a dotless domain. */
  private canonical(addr: string): string {
    if (addr === "") return addr;
    const at = addr.lastIndexOf("@");
    if (at < 0) return this.s.appendAtMyorigin ? `${addr}@${this.s.myorigin}` : addr;
    let domain = addr.slice(at + 1);
    if (domain.endsWith(".")) domain = domain.slice(0, -1);
    if (domain !== "" && !domain.includes(".") && !domain.startsWith("[") && this.s.appendDotMydomain && this.s.mydomain !== "") domain += `.${this.s.mydomain}`;
    return `${addr.slice(0, at)}@${domain}`;
  }

  // ---------------------------------------------------------------------------------------------------------
  // recipient.c

  private async deliverRecipient(ctx: Ctx, attr: Attr, usr: UserAttr): Promise<number> {
    const a: Attr = { ...attr, level: attr.level + 1 };
    // Postfix 3.12's safety net; at 200 levels, so that alias loops still end as in 3.7 (alias database loop)
    if (a.level > 200) {
      msgWarn(`recipient nesting limit exceeded for ${a.address}`);
      return ctx.outcome.bounced(a, "5.4.6", "recipient nesting limit exceeded");
    }
    if (this.beenHere(ctx, `recipient ${a.level} ${a.address}`)) return 0;
    if (ctx.job.deliveredTo().has(a.address)) {
      return this.bounceWorkaround(ctx, a, "5.4.6", `mail forwarding loop for ${a.address}`);
    }
    if (a.delivered === undefined) a.delivered = a.address;
    const folded = a.address.toLowerCase();
    const at = folded.lastIndexOf("@");
    if (at < 0) msgWarn(`no @ in recipient address: ${folded}`);
    a.local = at < 0 ? folded : folded.slice(0, at);
    a.domain = at < 0 ? undefined : folded.slice(at + 1);
    a.user = a.local;
    a.extension = undefined;
    if (this.s.recipientDelimiter !== "") {
      const split = splitLocalPart(a.local, this.s.recipientDelimiter, {
        ownerRequestSpecial: this.s.ownerRequestSpecial, doubleBounceSender: this.s.doubleBounceSender,
      });
      if (split) {
        a.user = split[0];
        a.extension = split[2];
        if (a.extension.includes("/")) {
          msgWarn(`${ctx.job.queueId}: address with illegal extension: ${a.local}`);
          a.extension = undefined;
          a.local = a.user;
        }
      }
    }
    a.unmatched = a.extension;
    if (a.user === "") return ctx.outcome.bounced(a, "5.1.3", `null username in "${a.address}"`);
    return this.deliverSwitch(ctx, a, usr);
  }

  private async deliverSwitch(ctx: Ctx, attr: Attr, usr: UserAttr): Promise<number> {
    const a: Attr = { ...attr, level: attr.level + 1 };
    // \user: no alias or .forward expansion
    if (a.address.startsWith("\\")) {
      a.address = a.address.slice(1);
      a.local = a.local.slice(1);
      a.user = a.user.slice(1);
      const mb = await this.deliverMailbox(ctx, a, usr);
      return mb.found ? mb.status : this.deliverUnknown(ctx, a, usr);
    }
    a.unmatched = undefined;
    let r = await this.deliverAlias(ctx, a, usr, a.local);
    if (r.found) return r.status;
    if (a.extension !== undefined) {
      if (this.s.propagateExtensions & PROP_ALIAS) a.unmatched = a.extension;
      r = await this.deliverAlias(ctx, a, usr, a.user);
      if (r.found) return r.status;
      a.unmatched = a.extension;
    }
    // Addresses reached through an owner- alias or a .forward file of someone else are resubmitted.
    if (a.owner !== undefined && a.owner.toLowerCase() !== a.user.toLowerCase()) return this.deliverIndirect(ctx, a);
    if (a.expType === EXP_INCL) return this.deliverIndirect(ctx, a);
    if (this.s.requireHomeDirectory) {
      const pw = this.getpwnam(a.user);
      if (pw) {
        const who = this.identity(this.setUser(pw));
        const err = runAs(who, () => {
          try {
            statSync(pw.home);
            return undefined;
          } catch (e) {
            return errnoText(e);
          }
        });
        if (err !== undefined) return ctx.outcome.deferred(a, "4.3.0", `cannot access home directory ${pw.home}: ${err}`);
      }
    }
    const fwd = await this.deliverDotforward(ctx, a, usr);
    if (fwd.found) return fwd.status;
    const mb = await this.deliverMailbox(ctx, a, usr);
    if (mb.found) return mb.status;
    return this.deliverUnknown(ctx, a, usr);
  }

  // ---------------------------------------------------------------------------------------------------------
  // alias.c

  /** Looks `name` up in one table: the quoted form first, then the name as is. */
  private aliasLookup(t: LookupTable, name: string): string | undefined {
    const quoted = quoteLocalPart(name, { bareLocalPart: true });
    const v = t.lookup(quoted);
    if (v !== undefined || quoted === name) return v;
    return t.lookup(name);
  }

  /** maps_find() over all alias tables for `key` as is; throws MapError. */
  private aliasFind(key: string): string | undefined {
    for (const t of this.aliases) {
      if (!t.table) throw new MapError("open", t.openError ?? "table unavailable");
      const v = t.table.lookup(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  private async deliverAlias(ctx: Ctx, attr: Attr, _usr: UserAttr, name: string): Promise<{ found: boolean; status: number }> {
    const a: Attr = { ...attr, level: attr.level + 1 };
    if (a.expFrom !== undefined && a.expFrom.toLowerCase() === name.toLowerCase()) return { found: false, status: 0 };
    if (a.level > 100) {
      msgWarn(`alias database loop for ${name}`);
      return { found: true, status: ctx.outcome.bounced(a, "5.4.6", `alias database loop for ${name}`) };
    }
    a.expFrom = name;
    for (const t of this.aliases) {
      let value: string | undefined;
      try {
        if (!t.table) throw new MapError("open", t.openError ?? "table unavailable");
        value = this.aliasLookup(t.table, name);
      } catch (e) {
        msgWarn(`${t.spec}: lookup of '${name}' failed${e instanceof Error ? `: ${e.message}` : ""}`);
        return { found: true, status: ctx.outcome.deferred(a, "4.3.0", "alias database unavailable") };
      }
      if (value === undefined) {
        msgVerbose(`deliver_alias: ${t.spec}: ${name} not found`);
        continue;
      }
      msgVerbose(`deliver_alias: ${t.spec}: ${name} = ${value}`);
      a.expType = EXP_ALIAS;
      // Delivery rights: the alias database owner's, or none (default_privs later) for a root-owned table.
      let who: UserAttr = NO_USER;
      if (t.owner !== 0) {
        const pw = this.getpwuid(t.owner);
        if (!pw) {
          msgWarn(`cannot find alias database owner for ${t.spec}`);
          return { found: true, status: ctx.outcome.deferred(a, "4.3.0", "cannot find alias database owner") };
        }
        who = this.setUser(pw);
      }
      // Where to report problems: an owner- alias becomes the sender of the expansion.
      let canonOwner: string | undefined;
      if (this.s.ownerRequestSpecial) {
        const ownerName = `owner-${name}`;
        let rhs: string | undefined;
        try {
          rhs = this.aliasFind(ownerName);
        } catch {
          return { found: true, status: ctx.outcome.deferred(a, "4.3.0", "alias database unavailable") };
        }
        if (rhs !== undefined) {
          canonOwner = this.canonical(this.s.expandOwnerAlias ? rhs.trim() : ownerName);
          a.owner = canonOwner;
          a.sender = canonOwner;
        } else if (this.s.resetOwnerAlias) a.owner = undefined;
      } else if (this.s.resetOwnerAlias) a.owner = undefined;
      if (!this.s.frozenDeliveredTo) a.delivered = a.address;
      // NOTIFY=SUCCESS: an alias is "expanded" (a mailing list with an owner- alias: "delivered", as Postfix)
      if (a.notify & DSN_NOTIFY_SUCCESS && canonOwner === undefined) ctx.outcome.expanded = true;
      a.notify = withoutSuccess(a.notify);
      if (canonOwner !== undefined) {
        a.dsnEnvid = "";
        a.dsnRet = 0;
        a.orcpt = "";
        a.origAddress = "";
      }
      const count = { n: 0 };
      let status = await this.deliverTokenString(ctx, a, who, value, count);
      if (count.n < 1) {
        msgWarn(`no recipient in alias lookup result for ${name}`);
        status = ctx.outcome.deferred(a, "4.3.0", "alias database unavailable");
      }
      return { found: true, status };
    }
    return { found: false, status: 0 };
  }

  // ---------------------------------------------------------------------------------------------------------
  // token.c

  private async deliverTokenString(ctx: Ctx, a: Attr, usr: UserAttr, text: string, count?: { n: number }): Promise<number> {
    let status = 0;
    for (const tok of addressTokens(parseAddressTree(text))) {
      if (count) count.n++;
      status |= await this.deliverToken(ctx, a, usr, addressInternal(tok));
    }
    return status;
  }

  /** Delivers each line of a .forward or :include: file (lines starting with # are comments). */
  private async deliverTokenStream(ctx: Ctx, a: Attr, usr: UserAttr, text: string, count?: { n: number }): Promise<number> {
    const limit = Math.max(1, this.s.lineLengthLimit);
    for (const whole of text.split("\n")) {
      for (let i = 0; i < Math.max(1, whole.length); i += limit) {
        const line = whole.slice(i, i + limit);
        if (line.startsWith("#")) continue;
        const status = await this.deliverTokenString(ctx, a, usr, line, count);
        if (status !== 0) return status;
      }
    }
    return 0;
  }

  private async deliverToken(ctx: Ctx, a: Attr, usr: UserAttr, addr: string): Promise<number> {
    msgVerbose(`deliver_token: ${addr}`);
    if (addr.startsWith("/")) return this.deliverFile(ctx, a, usr, addr);
    if (addr.startsWith("~")) return this.deliverTokenHome(ctx, a, usr, addr);
    if (addr.startsWith("|")) {
      if ((this.s.allowCommands & a.expType) === 0) return ctx.outcome.bounced(a, "5.7.1", "mail to command is restricted");
      return this.deliverCommand(ctx, a, usr, addr.slice(1));
    }
    if (addr.toLowerCase().startsWith(":include:")) return this.deliverInclude(ctx, a, usr, addr.slice(9));
    return this.deliverResolve(ctx, a, usr, addr);
  }

  private deliverTokenHome(ctx: Ctx, a: Attr, usr: UserAttr, addr: string): Promise<number> | number {
    if (addr[1] !== "/") {
      msgWarn(`bad home directory syntax for: ${addr}`);
      return ctx.outcome.bounced(a, "5.3.5", "mail system configuration error");
    }
    if (usr.home === undefined) {
      msgWarn(`unknown home directory for: ${addr}`);
      return ctx.outcome.bounced(a, "5.3.5", "mail system configuration error");
    }
    return this.deliverFile(ctx, a, usr, usr.home === "/" ? addr.slice(1) : usr.home + addr.slice(1));
  }

  // ---------------------------------------------------------------------------------------------------------
  // resolve.c, indirect.c

  private async deliverResolve(ctx: Ctx, attr: Attr, usr: UserAttr, address: string): Promise<number> {
    const a: Attr = { ...attr, level: attr.level + 1 };
    let rcpt = this.canonical(address);
    let transport: string;
    try {
      transport = this.resolver.resolve(rcpt).transport;
    } catch {
      return ctx.outcome.deferred(a, "4.3.0", "address resolver failure");
    }
    if (a.unmatched !== undefined) {
      const delim = a.local[a.user.length] ?? this.s.recipientDelimiter[0] ?? "+";
      const at = rcpt.lastIndexOf("@");
      rcpt = at < 0 ? `${rcpt}${delim}${a.unmatched}` : `${rcpt.slice(0, at)}${delim}${a.unmatched}${rcpt.slice(at)}`;
    }
    a.address = rcpt;
    if (transport === this.service) return this.deliverRecipient(ctx, a, usr);
    return this.deliverIndirect(ctx, a);
  }

  private deliverIndirect(ctx: Ctx, a: Attr): number {
    if (this.beenHere(ctx, `indirect ${a.address}`)) return 0;
    if (verifyOnly(ctx.job.req)) return ctx.outcome.sent(a, "2.0.0", `forwards to ${a.address}`);
    ctx.forward.append(
      { sender: a.sender, delivered: a.delivered ?? a.address, dsnEnvid: a.dsnEnvid, dsnRet: a.dsnRet },
      { address: a.address, origAddress: a.origAddress, notify: a.notify, orcpt: a.orcpt },
    );
    return 0;
  }

  // ---------------------------------------------------------------------------------------------------------
  // dotforward.c

  private async deliverDotforward(ctx: Ctx, attr: Attr, _usr: UserAttr): Promise<{ found: boolean; status: number }> {
    const a: Attr = { ...attr, level: attr.level + 1 };
    if (this.s.forwardPath.trim() === "") return { found: false, status: 0 };
    const pw = this.getpwnam(a.user);
    if (!pw) return { found: false, status: 0 };
    if (!this.s.frozenDeliveredTo) a.delivered = a.address;
    const usr = this.setUser(pw);
    a.expType = EXP_FWD;
    a.owner = a.user;
    const who = this.identity(usr);
    let path: string | undefined;
    let st: Stats | undefined;
    for (const entry of this.s.forwardPath.split(/[\s,]+/)) {
      if (entry === "") continue;
      const x = localExpand(entry, this.expandAttrs(a, usr), this.s.forwardExpansionFilter);
      if (x.error || x.undefined) continue;
      const found = runAs(who, () => {
        try {
          return lstatSync(x.text);
        } catch {
          return undefined;
        }
      });
      if (found) {
        path = x.text;
        st = found;
        if (x.extensionUsed || (this.s.propagateExtensions & PROP_FORWARD) === 0) a.unmatched = undefined;
        break;
      }
    }
    if (path === undefined || st === undefined) return { found: false, status: 0 };
    let found = false;
    let status = 0;
    if (!this.beenHere(ctx, `forward ${path}`)) {
      a.expFrom = a.local;
      let text: string | undefined;
      if (!st.isFile()) msgWarn(`file ${path} is not a regular file`);
      else if (st.uid !== 0 && st.uid !== usr.uid) msgWarn(`file ${path} has bad owner uid ${st.uid}`);
      else if (st.mode & 0o002) msgWarn(`file ${path} is world writable`);
      else {
        const p = path;
        const r = runAs(who, () => readSmallFile(p));
        if (typeof r === "string") text = r;
        else msgWarn(`cannot open file ${path}: ${r.error}`);
      }
      if (text !== undefined) {
        const saved = a.notify;
        a.notify = withoutSuccess(saved);
        const count = { n: 0 };
        status = await this.deliverTokenStream(ctx, a, usr, text, count);
        if (count.n > 0) {
          found = true;
          this.beenHere(ctx, `forward-done ${path}`);
          if (status === 0 && saved & DSN_NOTIFY_SUCCESS) ctx.outcome.expanded = true;
        }
      }
    } else if (ctx.seen.has(`forward-done ${path}`.toLowerCase())) {
      found = true;
    }
    return { found, status };
  }

  // ---------------------------------------------------------------------------------------------------------
  // include.c

  private async deliverInclude(ctx: Ctx, attr: Attr, usrIn: UserAttr, path: string): Promise<number> {
    const a: Attr = { ...attr, level: attr.level + 1 };
    let usr = usrIn;
    if (a.level > 100) {
      msgWarn(`:include: nesting limit exceeded for ${path}`);
      return ctx.outcome.bounced(a, "5.4.6", ":include: nesting limit exceeded");
    }
    if (this.beenHere(ctx, `include ${usr.uid} ${path}`)) return 0;
    a.expFrom = a.local;
    if (!path.startsWith("/")) {
      msgWarn(`:include:${path} uses a relative path`);
      return ctx.outcome.bounced(a, "5.3.5", "mail system configuration error");
    }
    const st = runAs(this.identity(usr), (): Stats | string => {
      try {
        return statSync(path);
      } catch (e) {
        return errnoText(e);
      }
    });
    if (typeof st === "string") {
      msgWarn(`unable to lookup :include: file ${path}: ${st}`);
      return ctx.outcome.bounced(a, "5.3.5", "mail system configuration error");
    }
    if (!st.isFile()) {
      msgWarn(`:include: file ${path} is not a regular file`);
      return ctx.outcome.bounced(a, "5.3.5", "mail system configuration error");
    }
    if (st.mode & 0o002) {
      msgWarn(`:include: file ${path} is world writable`);
      return ctx.outcome.bounced(a, "5.3.5", "mail system configuration error");
    }
    a.expType = EXP_INCL;
    // A non-root include file in a root-owned alias: its owner's rights, never the default account's.
    if (usr.uid === 0) {
      const pw = this.getpwuid(st.uid);
      if (!pw) {
        msgWarn(`cannot find username for uid ${st.uid}`);
        msgWarn(`${path}: cannot find :include: file owner username`);
        return ctx.outcome.deferred(a, "4.3.5", "mail system configuration error");
      }
      if (pw.uid !== 0) usr = this.setUser(pw);
    }
    if (a.owner === undefined) a.owner = a.address;
    const r = runAs(this.identity(usr), () => readSmallFile(path));
    if (typeof r !== "string") {
      msgWarn(`cannot open include file ${path}: ${r.error}`);
      return ctx.outcome.bounced(a, "5.3.5", "mail system configuration error");
    }
    if ((this.s.propagateExtensions & PROP_INCLUDE) === 0) a.unmatched = undefined;
    return this.deliverTokenStream(ctx, a, usr, r);
  }

  // ---------------------------------------------------------------------------------------------------------
  // mailbox.c

  private async deliverMailbox(ctx: Ctx, attr: Attr, _usr: UserAttr): Promise<{ found: boolean; status: number }> {
    const a: Attr = { ...attr, level: attr.level + 1 };
    if (this.beenHere(ctx, `mailbox ${a.local}`)) return { found: true, status: 0 };
    try {
      for (const t of this.mailboxTransportMaps) {
        const tr = t.lookup(a.user);
        if (tr !== undefined) return { found: true, status: await this.deliverPass(ctx, a, tr) };
      }
    } catch (e) {
      msgWarn(`mailbox_transport_maps: ${e instanceof Error ? e.message : String(e)}`);
      return { found: true, status: ctx.outcome.deferred(a, "4.3.0", "table lookup failure") };
    }
    if (this.s.mailboxTransport !== "") return { found: true, status: await this.deliverPass(ctx, a, this.s.mailboxTransport) };
    const pw = this.getpwnam(a.user);
    if (!pw) return { found: false, status: 0 };
    const usr = this.setUser(pw);
    let command: string | undefined;
    try {
      for (const t of this.mailboxCommandMaps) {
        command = t.lookup(a.user);
        if (command !== undefined) break;
      }
    } catch (e) {
      msgWarn(`mailbox_command_maps: ${e instanceof Error ? e.message : String(e)}`);
      return { found: true, status: ctx.outcome.deferred(a, "4.3.0", "table lookup failure") };
    }
    if (command === undefined && this.s.mailboxCommand !== "") command = this.s.mailboxCommand;
    let status: number;
    if (command !== undefined) status = await this.deliverCommand(ctx, a, usr, command);
    else if (this.s.homeMailbox.endsWith("/")) status = await this.deliverMaildir(ctx, a, usr, `${usr.home}/${this.s.homeMailbox}`);
    else if (this.s.homeMailbox === "" && this.s.mailSpoolDirectory.endsWith("/")) {
      status = await this.deliverMaildir(ctx, a, usr, `${this.s.mailSpoolDirectory}${a.user}/`);
    } else status = await this.deliverMailboxFile(ctx, a, usr);
    return { found: true, status };
  }

  private async deliverMailboxFile(ctx: Ctx, attr: Attr, usr: UserAttr): Promise<number> {
    const a: Attr = { ...attr, level: attr.level + 1 };
    if (!this.s.frozenDeliveredTo) a.delivered = a.address;
    if (verifyOnly(ctx.job.req)) return ctx.outcome.sent(a, "2.0.0", "delivers to mailbox");
    const spool = this.s.homeMailbox === "" ? this.s.mailSpoolDirectory : undefined;
    const mailbox = spool === undefined ? `${usr.home}/${this.s.homeMailbox}` : `${spool}/${a.user}`;
    // Least privilege: the user's rights, except in a spool directory the user cannot write to.
    let spoolId: Identity = { uid: usr.uid, gid: usr.gid };
    if (spool !== undefined) {
      let sst: Stats | undefined;
      try {
        sst = statSync(spool);
      } catch {
        sst = undefined;
      }
      if (sst && (sst.mode & 0o002) === 0) spoolId = (sst.mode & 0o020) !== 0 ? { uid: usr.uid, gid: sst.gid } : { uid: 0, gid: 0 };
    }
    const chown = isPrivileged() && spoolId.uid !== usr.uid ? { uid: usr.uid, gid: usr.gid } : undefined;
    const preamble = formatPreamble({
      sender: a.sender, fromLine: true, returnPath: true, origRcpt: this.s.enableOriginalRecipient ? a.origAddress : undefined,
      delivered: this.s.deliverHeaders & HDR_FILE ? a.delivered : undefined,
    });
    const ownerUid = this.ownerUid(usr);
    try {
      const r = await appendToMbox({
        path: mailbox,
        data: () => copyMessage(preamble, ctx.job.content(), { quoteFrom: true, blankLine: true }),
        lock: { styles: this.s.lockStyles, attempts: this.s.lockAttempts, delay: this.s.lockDelay, staleTime: this.s.staleLockTime },
        openAs: isPrivileged() ? spoolId : undefined,
        writeAs: this.identity(usr),
        chown,
        defDsn: "5.2.0",
        sizeLimit: this.s.mailboxSizeLimit,
        onWarning: msgWarn,
        inspect: (st) => {
          if (!st.isFile()) throw new MailboxError("5.2.0", `destination ${mailbox} is not a regular file`);
          if (this.s.strictMailboxOwnership && st.uid !== ownerUid) {
            msgWarn(`specify "strict_mailbox_ownership = no" to ignore mailbox ownership mismatch`);
            throw new MailboxError("4.2.0", `destination ${mailbox} is not owned by recipient`);
          }
        },
      });
      if (this.s.biff) biffNotify(`${usr.logname ?? a.user}@${r.offset}`);
    } catch (e) {
      if (!(e instanceof MailboxError)) throw e;
      return ctx.outcome.failed(a, e.dsn, `cannot update mailbox ${mailbox} for user ${a.user}. ${e.message}`);
    }
    return ctx.outcome.sent(a, "2.0.0", "delivered to mailbox");
  }

  // ---------------------------------------------------------------------------------------------------------
  // maildir.c

  private async deliverMaildir(ctx: Ctx, attr: Attr, usr: UserAttr, path: string): Promise<number> {
    const a: Attr = { ...attr, level: attr.level + 1 };
    if (!this.s.frozenDeliveredTo) a.delivered = a.address;
    if (verifyOnly(ctx.job.req)) return ctx.outcome.sent(a, "2.0.0", "delivers to maildir");
    const preamble = formatPreamble({
      sender: a.sender, returnPath: true, origRcpt: this.s.enableOriginalRecipient ? a.origAddress : undefined,
      delivered: this.s.deliverHeaders & HDR_FILE ? a.delivered : undefined,
    });
    try {
      await deliverToMaildir({
        dir: path,
        data: () => copyMessage(preamble, ctx.job.content()),
        as: this.identity(usr),
        hostname: this.s.myhostname,
        defDsn: "5.2.0",
        sizeLimit: this.s.mailboxSizeLimit,
        onWarning: msgWarn,
      });
    } catch (e) {
      if (!(e instanceof MailboxError)) throw e;
      if (e.errno === "EACCES") {
        msgWarn(`maildir access problem for UID/GID=${usr.uid}/${usr.gid}: ${e.message}`);
        msgWarn("perhaps you need to create the maildirs in advance");
      }
      return ctx.outcome.failed(a, e.dsn, `maildir delivery failed: ${e.message}`);
    }
    return ctx.outcome.sent(a, "2.0.0", "delivered to maildir");
  }

  // ---------------------------------------------------------------------------------------------------------
  // file.c

  private async deliverFile(ctx: Ctx, attr: Attr, usrIn: UserAttr, path: string): Promise<number> {
    const a: Attr = { ...attr, level: attr.level + 1 };
    if (this.beenHere(ctx, `file ${usrIn.uid} ${path}`)) return 0;
    if ((this.s.allowFiles & a.expType) === 0) return this.bounceWorkaround(ctx, a, "5.7.1", "mail to file is restricted");
    const usr = this.fileRights(usrIn);
    if (path.endsWith("/")) return this.deliverMaildir(ctx, a, usr, path);
    if (verifyOnly(ctx.job.req)) return ctx.outcome.sent(a, "2.0.0", `delivers to file: ${path}`);
    const preamble = formatPreamble({
      sender: a.sender, fromLine: true, returnPath: true, origRcpt: this.s.enableOriginalRecipient ? a.origAddress : undefined,
      delivered: this.s.deliverHeaders & HDR_FILE ? a.delivered : undefined,
    });
    const who = this.identity(usr);
    try {
      await appendToMbox({
        path,
        data: () => copyMessage(preamble, ctx.job.content(), { quoteFrom: true, blankLine: true }),
        lock: { styles: this.s.lockStyles, attempts: this.s.lockAttempts, delay: this.s.lockDelay, staleTime: this.s.staleLockTime },
        openAs: who,
        writeAs: who,
        dotlockMayFail: true,
        defDsn: "5.2.0",
        sizeLimit: this.s.mailboxSizeLimit,
        onWarning: msgWarn,
        inspect: (st) => {
          if (st.isFile() && st.mode & 0o111) throw new MailboxError("5.7.1", "file is executable");
        },
      });
    } catch (e) {
      if (!(e instanceof MailboxError)) throw e;
      return this.bounceWorkaround(ctx, a, e.dsn, `cannot append message to file ${path}: ${e.message}`);
    }
    return ctx.outcome.sent(a, "2.0.0", `delivered to file: ${path}`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // command.c

  private async deliverCommand(ctx: Ctx, attr: Attr, usrIn: UserAttr, command: string): Promise<number> {
    const a: Attr = { ...attr, level: attr.level + 1 };
    if (this.beenHere(ctx, `command ${a.user}:${usrIn.uid} ${command}`)) return 0;
    if (verifyOnly(ctx.job.req)) return ctx.outcome.sent(a, "2.0.0", `delivers to command: ${command}`);
    const usr = this.fileRights(usrIn);
    const env: Record<string, string> = {};
    if (usr.home !== undefined) env.HOME = usr.home;
    env.LOGNAME = a.user;
    env.USER = a.user;
    env.SENDER = a.sender;
    env.RECIPIENT = a.address;
    env.LOCAL = a.local;
    if (usr.shell !== undefined) env.SHELL = usr.shell;
    if (a.domain !== undefined) env.DOMAIN = a.domain;
    if (a.extension !== undefined) env.EXTENSION = a.extension;
    if (a.origAddress !== "") env.ORIGINAL_RECIPIENT = a.origAddress;
    if (ctx.job.req.envid !== "") env.ENVID = ctx.job.req.envid;
    for (const [name, attrName] of [
      ["CLIENT_HOSTNAME", "log_client_name"], ["CLIENT_ADDRESS", "log_client_address"], ["CLIENT_HELO", "log_helo_name"],
      ["CLIENT_PROTOCOL", "log_protocol_name"], ["SASL_METHOD", "sasl_method"], ["SASL_SENDER", "sasl_sender"],
      ["SASL_USERNAME", "sasl_username"],
    ] as const) {
      const v = ctx.job.attribute(attrName);
      if (v !== "") env[name] = v;
    }
    const filter = this.s.commandExpansionFilter;
    for (const k of Object.keys(env)) {
      let v = "";
      for (const c of env[k]!) v += filter.includes(c) ? c : "_";
      env[k] = v;
    }
    const dir = localExpand(this.s.execDirectory, this.expandAttrs(a, usr), this.s.execDirectoryFilter);
    if (dir.error) {
      msgWarn(`bad parameter value syntax for command_execution_directory: ${this.s.execDirectory}`);
      return ctx.outcome.deferred(a, "4.3.5", "mail system configuration error");
    }
    const preamble = formatPreamble({
      sender: a.sender, fromLine: true, returnPath: true, origRcpt: this.s.enableOriginalRecipient ? a.origAddress : undefined,
      delivered: this.s.deliverHeaders & HDR_CMD ? a.delivered : undefined,
    });
    const res = await pipeCommand({
      command,
      as: this.identity(usr),
      env,
      exportEnv: this.s.exportEnvironment,
      shell: this.s.localCommandShell || undefined,
      cwd: dir.text !== "" ? dir.text : this.s.queueDirectory,
      timeLimit: this.s.commandTimeLimit,
      data: () => copyMessage(preamble, ctx.job.content()),
    });
    if (res.status === "ok") return ctx.outcome.sent(a, "2.0.0", `delivered to command: ${command}`);
    return this.bounceWorkaround(ctx, a, res.dsn, res.reason);
  }

  // ---------------------------------------------------------------------------------------------------------
  // bounce_workaround.c

  /** Reports a failed file or command delivery or a forwarding loop: to an owner- alias when there is one (header). */
  private async bounceWorkaround(ctx: Ctx, a: Attr, dsn: string, reason: string): Promise<number> {
    if (verifyOnly(ctx.job.req)) return ctx.outcome.failed(a, dsn, reason); // a probe sends no notice: it reports
    let owner: string | undefined;
    if (this.s.ownerRequestSpecial) {
      try {
        owner = this.ownerOf(a.address);
        if (owner === undefined) {
          const opts = { ownerRequestSpecial: true, doubleBounceSender: this.s.doubleBounceSender };
          const stripped = stripAddressExtension(a.address, this.s.recipientDelimiter, opts);
          if (stripped) owner = this.ownerOf(stripped.address);
        }
      } catch {
        return ctx.outcome.deferred(a, "4.3.0", "alias database unavailable");
      }
    }
    if (owner === undefined || dsn.startsWith("4")) return ctx.outcome.failed(a, dsn, reason);
    const filtered = ctx.outcome.filterBounceOne(a, dsn, reason);
    if (filtered === undefined) return 1;
    ({ dsn, reason } = filtered);
    const env = ctx.job.env;
    try {
      await this.notifier.bounce(
        { id: ctx.job.queueId, content: () => ctx.job.content(), envelope: { sender: env.sender, arrivalTime: env.arrivalTime, dsnEnvid: a.dsnEnvid || undefined, dsnRet: a.dsnRet } },
        [{ recipient: { address: a.address, origAddress: a.origAddress, orcpt: a.orcpt, notify: a.notify }, dsn, reason }],
        { to: owner },
      );
    } catch (e) {
      msgWarn(`${ctx.job.queueId}: cannot send non-delivery notification to ${owner}: ${e instanceof Error ? e.message : String(e)}`);
      return ctx.outcome.deferred(a, "4.3.0", "bounce or trace service failure");
    }
    ctx.notified = true;
    return ctx.outcome.bouncedOne(a, dsn, reason);
  }

  /** The canonical owner of `address` from its `owner-LOCAL` alias, or undefined; throws MapError. */
  private ownerOf(address: string): string | undefined {
    const at = address.lastIndexOf("@");
    const alias = `owner-${(at < 0 ? address : address.slice(0, at)).toLowerCase()}`;
    const rhs = this.aliasFind(alias);
    if (rhs === undefined) return undefined;
    return this.canonical(this.s.expandOwnerAlias ? rhs.trim() : alias);
  }

  // ---------------------------------------------------------------------------------------------------------
  // unknown.c

  private async deliverUnknown(ctx: Ctx, attr: Attr, usr: UserAttr): Promise<number> {
    const a: Attr = { ...attr, level: attr.level + 1 };
    if (this.beenHere(ctx, `deliver_unknown ${a.local}`)) return 0;
    try {
      for (const t of this.fallbackTransportMaps) {
        const tr = t.lookup(a.user);
        if (tr !== undefined) return this.deliverPass(ctx, a, tr);
      }
    } catch (e) {
      msgWarn(`fallback_transport_maps: ${e instanceof Error ? e.message : String(e)}`);
      return ctx.outcome.deferred(a, "4.3.0", "table lookup failure");
    }
    if (this.s.fallbackTransport !== "") return this.deliverPass(ctx, a, this.s.fallbackTransport);
    if (this.s.luserRelay !== "") {
      a.unmatched = undefined;
      const x = localExpand(this.s.luserRelay, this.expandAttrs(a, usr));
      if (this.canonical(x.text).toLowerCase() === a.address.toLowerCase()) {
        return ctx.outcome.bounced(a, "5.1.1", `unknown user: "${a.user}"`);
      }
      return this.deliverResolve(ctx, a, usr, x.text);
    }
    const u = a.user.toLowerCase();
    if (u === "mailer-daemon" || u === "postmaster") {
      msgWarn(`required alias not found: ${a.user}`);
      return ctx.outcome.sent(a, "2.0.0", "discarded");
    }
    return ctx.outcome.bounced(a, "5.1.1", `unknown user: "${a.user}"`);
  }

  /** Hands the recipient to another transport (mailbox_transport, fallback_transport): deliver_pass(). */
  private async deliverPass(ctx: Ctx, a: Attr, spec: string): Promise<number> {
    const colon = spec.indexOf(":");
    const transport = (colon < 0 ? spec : spec.slice(0, colon)).trim();
    const nexthop = colon < 0 ? "" : spec.slice(colon + 1).trim();
    let client = this.clients.get(transport);
    if (!client) {
      client = new AgentClient(`${this.s.queueDirectory}/private/${transport}`);
      this.clients.set(transport, client);
    }
    const rcpt: AgentRecipient = { address: a.address, origAddress: a.origAddress, offset: a.offset, notify: a.notify, orcpt: a.orcpt };
    try {
      const reply = await client.deliver({ ...ctx.job.req, service: transport, nexthop: nexthop || ctx.job.req.nexthop, recipients: [rcpt] });
      const res = reply.results.find((r) => r.offset === a.offset);
      if (!res) return ctx.outcome.deferred(a, "4.3.0", "mail transport unavailable");
      return ctx.outcome.passed(res);
    } catch (e) {
      msgWarn(`${ctx.job.queueId}: ${transport}: ${e instanceof Error ? e.message : String(e)}`);
      return ctx.outcome.deferred(a, "4.3.0", "mail transport unavailable");
    }
  }
}

/** Reads a .forward or :include: file (at most 1 MB) as text, or the reason it cannot be read. */
function readSmallFile(path: string): string | { error: string } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    return { error: errnoText(e) };
  }
  try {
    const size = Math.min(fstatSync(fd).size, 1 << 20);
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n <= 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString("utf8");
  } catch (e) {
    return { error: errnoText(e) };
  } finally {
    closeSync(fd);
  }
}
