/**
 * virtual_agent — delivery for virtual_mailbox_domains (Postfix's virtual(8)): mailboxes of users who have no
 * account on the host, found by table lookups of the full recipient address.
 *
 * For each recipient (folded to lower case):
 *   1. virtual_mailbox_maps gives the mailbox path relative to virtual_mailbox_base (which must be absolute);
 *      not found: `5.1.1 unknown user: "ADDR"`. A path with `/../` is refused.
 *   2. virtual_uid_maps and virtual_gid_maps give the numeric uid and gid that own the mailbox; the uid must be
 *      at least virtual_minimum_uid, the gid not 0. Missing or bad values defer (`4.3.5 mail system configuration
 *      error`, with a warning naming the table).
 *   3. a path ending in `/` is a maildir (`delivered to maildir`), anything else an mbox file locked with
 *      virtual_mailbox_lock (`delivered to mailbox`), both with `Return-Path:`, `X-Original-To:` and
 *      `Delivered-To:` in front, the mbox with its `From ` line, `>From ` quoting and blank line;
 *      virtual_mailbox_limit bounds each file. Errors defer or bounce by their status, with Postfix's prefixes
 *      `delivery failed to mailbox PATH: ` and `maildir delivery failed: `.
 * Lookups use Postfix's mail_addr_find() order: the address, the address without its extension (with
 * recipient_delimiter), the local part (with and without extension) when the domain is in mydestination, and
 * `@domain`; pattern tables see the full address only.
 *
 * Rights: a privileged agent creates, locks and writes as the looked-up uid/gid; an unprivileged one as the
 * instance owner (the looked-up ids are still checked, and strict_mailbox_ownership compares with the instance
 * owner).
 *
 * Contract: deliver() never throws; one result per recipient. Postfix: src/virtual/*.c, src/global/mail_addr_find.c.
 */
import type { Config } from "../config/config.ts";
import { ConfigError } from "../config/config.ts";
import { msgWarn } from "../log/msg.ts";
import { openMap, type LookupTable } from "../maps/index.ts";
import { splitAddress } from "../address/index.ts";
import { compileDomainList, type DomainList } from "../resolve/match_list.ts";
import { queueLayout, type QueueLayout } from "../queue/index.ts";
import { verifyOnly, type AgentRecipient, type DeliveryReply, type DeliveryRequest } from "../daemon/agent_protocol.ts";
import { parseLockStyles, LockError, type LockStyle } from "../fsx/lock.ts";
import {
  DeliveryJob, RecipientOutcome, formatPreamble, copyMessage, appendToMbox, deliverToMaildir, MailboxError, isPrivileged, restIdentity,
  type Identity,
} from "../mailbox/index.ts";

/** virtual(8)'s parameters. */
export interface VirtualSettings {
  mailboxBase: string;
  minimumUid: number;
  mailboxLimit: number;
  lockStyles: LockStyle[];
  lockAttempts: number;
  lockDelay: number;
  staleLockTime: number;
  strictMailboxOwnership: boolean;
  enableOriginalRecipient: boolean;
  recipientDelimiter: string;
  myhostname: string;
}

/** Reads and checks virtual(8)'s parameters (ConfigError as Postfix's start-up errors). */
export function readVirtualSettings(cfg: Config): VirtualSettings {
  const mailboxLimit = cfg.getInt("virtual_mailbox_limit");
  const messageLimit = cfg.getInt("message_size_limit");
  if (mailboxLimit > 0) {
    if (messageLimit <= 0) throw new ConfigError("configuration error: virtual_mailbox_limit is limited but message_size_limit is unlimited");
    if (mailboxLimit < messageLimit) throw new ConfigError("configuration error: virtual_mailbox_limit is smaller than message_size_limit");
  }
  const minimumUid = cfg.getInt("virtual_minimum_uid");
  if (minimumUid < 1) throw new ConfigError(`invalid virtual_minimum_uid parameter value ${minimumUid} < 1`);
  let lockStyles: LockStyle[];
  try {
    lockStyles = parseLockStyles(cfg.get("virtual_mailbox_lock"), "virtual_mailbox_lock");
  } catch (e) {
    if (e instanceof LockError) throw new ConfigError(e.message);
    throw e;
  }
  return {
    mailboxBase: cfg.get("virtual_mailbox_base").trim(),
    minimumUid,
    mailboxLimit,
    lockStyles,
    lockAttempts: Math.max(1, cfg.getInt("deliver_lock_attempts")),
    lockDelay: cfg.getTime("deliver_lock_delay"),
    staleLockTime: cfg.getTime("stale_lock_time"),
    strictMailboxOwnership: cfg.getBool("strict_mailbox_ownership"),
    enableOriginalRecipient: cfg.getBool("enable_original_recipient"),
    recipientDelimiter: cfg.get("recipient_delimiter").trim(),
    myhostname: cfg.get("myhostname"),
  };
}

/** A named list of tables searched as mail_addr_find() does. */
export class AddressMaps {
  constructor(
    /** The parameter name, Postfix's maps title in messages. */
    readonly title: string,
    private readonly tables: LookupTable[],
    private readonly delimiter: string,
    private readonly localDomains: DomainList | undefined,
  ) {}

  /** The value for `address` (internal form, lower case), undefined when absent; throws MapError. */
  find(address: string): string | undefined {
    if (this.tables.length === 0) return undefined;
    const s = splitAddress(address, this.delimiter);
    const at = address.lastIndexOf("@");
    const domain = at < 0 ? "" : address.slice(at + 1);
    const local = at < 0 ? address : address.slice(0, at);
    const keys: string[] = [address];
    if (s.extension !== undefined) keys.push(at < 0 ? s.user : `${s.user}@${domain}`);
    if (at >= 0 && this.localDomains?.matches(domain)) {
      keys.push(local);
      if (s.extension !== undefined) keys.push(s.user);
    }
    if (at >= 0) keys.push(`@${domain}`);
    for (let i = 0; i < keys.length; i++) {
      for (const t of this.tables) {
        if (i > 0 && !t.fixed) continue;
        const v = t.lookup(keys[i]!);
        if (v !== undefined) return v;
      }
    }
    return undefined;
  }
}

/** The virtual delivery agent of one configuration and master.cf service. */
export class VirtualAgent {
  private readonly layout: QueueLayout;

  private constructor(
    private readonly s: VirtualSettings,
    private readonly service: string,
    private readonly mailboxMaps: AddressMaps,
    private readonly uidMaps: AddressMaps,
    private readonly gidMaps: AddressMaps,
    cfg: Config,
  ) {
    this.layout = queueLayout(cfg.get("queue_directory"), {
      hashQueues: cfg.getList("hash_queue_names"),
      hashDepth: cfg.getInt("hash_queue_depth"),
      longIds: cfg.getBool("enable_long_queue_ids"),
    });
  }

  /** Reads the configuration and opens the tables. */
  static async create(cfg: Config, service: string): Promise<VirtualAgent> {
    const s = readVirtualSettings(cfg);
    const local = await compileDomainList(cfg.get("mydestination"), "mydestination", cfg.get("parent_domain_matches_subdomains"));
    const maps = async (param: string) => {
      const tables: LookupTable[] = [];
      for (const spec of cfg.getList(param)) tables.push(await openMap(spec));
      return new AddressMaps(param, tables, s.recipientDelimiter, local);
    };
    return new VirtualAgent(s, service, await maps("virtual_mailbox_maps"), await maps("virtual_uid_maps"), await maps("virtual_gid_maps"), cfg);
  }

  /** Delivers one request; one result per recipient. */
  async deliver(req: DeliveryRequest): Promise<DeliveryReply> {
    const job = DeliveryJob.openOrDefer(this.layout, req, this.service);
    if (!(job instanceof DeliveryJob)) return job;
    try {
      const results = [];
      for (const rcpt of req.recipients) {
        const outcome = new RecipientOutcome(job, rcpt);
        try {
          await this.deliverRecipient(job, outcome, rcpt);
        } catch (e) {
          msgWarn(`${req.queueId}: ${rcpt.address}: ${e instanceof Error ? e.message : String(e)}`);
          outcome.deferred(rcpt, "4.3.0", "mail system error");
        }
        results.push(outcome.result());
      }
      return { results };
    } finally {
      job.close();
    }
  }

  private lookup(outcome: RecipientOutcome, rcpt: AgentRecipient, maps: AddressMaps, user: string): string | undefined | null {
    try {
      return maps.find(user);
    } catch (e) {
      msgWarn(`table ${maps.title}: lookup ${user}: ${e instanceof Error ? e.message : String(e)}`);
      outcome.deferred(rcpt, "4.3.5", "mail system configuration error");
      return null;
    }
  }

  private async deliverRecipient(job: DeliveryJob, outcome: RecipientOutcome, rcpt: AgentRecipient): Promise<void> {
    const user = rcpt.address.toLowerCase();
    const configError = () => outcome.deferred(rcpt, "4.3.5", "mail system configuration error");
    if (!this.s.mailboxBase.startsWith("/")) {
      msgWarn(`do not specify relative pathname: virtual_mailbox_base = ${this.s.mailboxBase}`);
      configError();
      return;
    }
    const res = this.lookup(outcome, rcpt, this.mailboxMaps, user);
    if (res === null) return;
    if (res === undefined) {
      outcome.bounced(rcpt, "5.1.1", `unknown user: "${user}"`);
      return;
    }
    const mailbox = `${this.s.mailboxBase}/${res.trim()}`;
    if (mailbox.slice(this.s.mailboxBase.length).includes("/../")) {
      msgWarn(`recipient ${user}: bad mailbox path ${res} in ${this.mailboxMaps.title}`);
      configError();
      return;
    }
    const ids: number[] = [];
    for (const [maps, what] of [[this.uidMaps, "uid"], [this.gidMaps, "gid"]] as const) {
      const v = this.lookup(outcome, rcpt, maps, user);
      if (v === null) return;
      if (v === undefined) {
        msgWarn(`recipient ${user}: not found in ${maps.title}`);
        configError();
        return;
      }
      const t = v.trim();
      const n = /^\d+$/.test(t) ? Number(t) : NaN;
      const bad = !Number.isSafeInteger(n) || n > 0xfffffffe || (what === "uid" ? n < this.s.minimumUid : n === 0);
      if (bad) {
        msgWarn(`recipient ${user}: bad ${what} ${v} in ${maps.title}`);
        configError();
        return;
      }
      ids.push(n);
    }
    const owner: Identity = { uid: ids[0]!, gid: ids[1]! };
    const as = isPrivileged() ? owner : undefined;
    const preamble = (fromLine: boolean) =>
      formatPreamble({
        sender: job.req.sender, fromLine, returnPath: true, origRcpt: this.s.enableOriginalRecipient ? rcpt.origAddress : undefined,
        delivered: rcpt.address,
      });
    if (verifyOnly(job.req)) {
      outcome.sent(rcpt, "2.0.0", mailbox.endsWith("/") ? "delivers to maildir" : "delivers to mailbox");
      return;
    }
    if (mailbox.endsWith("/")) {
      try {
        await deliverToMaildir({
          dir: mailbox, data: () => copyMessage(preamble(false), job.content()), as, hostname: this.s.myhostname,
          defDsn: "4.2.0", sizeLimit: this.s.mailboxLimit, onWarning: msgWarn,
        });
      } catch (e) {
        if (!(e instanceof MailboxError)) throw e;
        if (e.errno === "EACCES") {
          msgWarn(`maildir access problem for UID/GID=${owner.uid}/${owner.gid}: ${e.message}`);
          msgWarn("perhaps you need to create the maildirs in advance");
        }
        outcome.failed(rcpt, e.dsn, `maildir delivery failed: ${e.message}`);
        return;
      }
      outcome.sent(rcpt, "2.0.0", "delivered to maildir");
      return;
    }
    const ownerUid = isPrivileged() ? owner.uid : restIdentity().uid;
    try {
      await appendToMbox({
        path: mailbox,
        data: () => copyMessage(preamble(true), job.content(), { quoteFrom: true, blankLine: true }),
        lock: { styles: this.s.lockStyles, attempts: this.s.lockAttempts, delay: this.s.lockDelay, staleTime: this.s.staleLockTime },
        openAs: as,
        writeAs: as,
        defDsn: "4.2.0",
        sizeLimit: this.s.mailboxLimit,
        onWarning: msgWarn,
        inspect: (st) => {
          if (!st.isFile()) {
            msgWarn(`recipient ${rcpt.address}: destination ${mailbox} is not a regular file`);
            throw new MailboxError("5.3.5", "mail system configuration error");
          }
          if (this.s.strictMailboxOwnership && st.uid !== ownerUid) {
            msgWarn(`specify "strict_mailbox_ownership = no" to ignore mailbox ownership mismatch`);
            throw new MailboxError("4.2.0", `destination ${mailbox} is not owned by recipient`);
          }
        },
      });
    } catch (e) {
      if (!(e instanceof MailboxError)) throw e;
      outcome.failed(rcpt, e.dsn, `delivery failed to mailbox ${mailbox}: ${e.message}`);
      return;
    }
    outcome.sent(rcpt, "2.0.0", "delivered to mailbox");
  }
}
