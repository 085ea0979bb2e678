/**
 * local_settings — the main.cf parameters local(8) reads, checked once when the agent starts, with Postfix's
 * start-up errors:
 *   `configuration error: mailbox_size_limit is smaller than message_size_limit` (and "is limited but
 *   message_size_limit is unlimited"), `parameter mailbox_delivery_lock specifies no applicable mailbox locking
 *   method`, `unknown mailbox_delivery_lock value "x" in "…"`, `bad allow_mail_to_commands value: x` …
 * These throw ConfigError, which the daemon entry turns into a fatal exit.
 *
 * Raw parameters (forward_path, luser_relay, mailbox_command, command_execution_directory) are kept unexpanded:
 * local(8) expands them per recipient (local_expand.ts).
 */
import { ConfigError, type Config } from "../config/config.ts";
import { parseLockStyles, LockError, type LockStyle } from "../fsx/lock.ts";

/** Bits of allow_mail_to_commands / allow_mail_to_files and of the expansion type. */
export const EXP_ALIAS = 1;
export const EXP_FWD = 2;
export const EXP_INCL = 4;

/** Bits of prepend_delivered_header. */
export const HDR_CMD = 1;
export const HDR_FILE = 2;
export const HDR_FWD = 4;

/** Bits of propagate_unmatched_extensions that local(8) uses. */
export const PROP_ALIAS = 1;
export const PROP_FORWARD = 2;
export const PROP_INCLUDE = 4;

/** Everything local(8) needs from main.cf. */
export interface LocalSettings {
  queueDirectory: string;
  myhostname: string;
  mailName: string;
  myorigin: string;
  mydomain: string;
  appendAtMyorigin: boolean;
  appendDotMydomain: boolean;
  aliasMaps: string[];
  forwardPath: string;
  allowCommands: number;
  allowFiles: number;
  mailboxCommand: string;
  mailboxCommandMaps: string[];
  mailboxTransport: string;
  mailboxTransportMaps: string[];
  fallbackTransport: string;
  fallbackTransportMaps: string[];
  mailSpoolDirectory: string;
  homeMailbox: string;
  mailboxSizeLimit: number;
  luserRelay: string;
  recipientDelimiter: string;
  defaultPrivs: string;
  commandTimeLimit: number;
  commandExpansionFilter: string;
  forwardExpansionFilter: string;
  execDirectory: string;
  execDirectoryFilter: string;
  exportEnvironment: string[];
  localCommandShell: string;
  deliverHeaders: number;
  lockStyles: LockStyle[];
  lockAttempts: number;
  lockDelay: number;
  staleLockTime: number;
  strictMailboxOwnership: boolean;
  enableOriginalRecipient: boolean;
  frozenDeliveredTo: boolean;
  expandOwnerAlias: boolean;
  resetOwnerAlias: boolean;
  ownerRequestSpecial: boolean;
  requireHomeDirectory: boolean;
  propagateExtensions: number;
  duplicateFilterLimit: number;
  lineLengthLimit: number;
  doubleBounceSender: string;
  biff: boolean;
  mailOwner: string;
}

/** Postfix's name_mask(): a list of names to bits; an unknown name is a configuration error. */
function nameMask(param: string, value: string, names: Record<string, number>, ignoreUnknown = false): number {
  let mask = 0;
  for (const n of value.split(/[\s,]+/)) {
    if (n === "") continue;
    const bit = names[n.toLowerCase()];
    if (bit === undefined) {
      if (ignoreUnknown) continue;
      throw new ConfigError(`unknown ${param} value "${n}" in "${value}"`);
    }
    mask |= bit;
  }
  return mask;
}

/** Reads and checks local(8)'s parameters. */
export function readLocalSettings(cfg: Config): LocalSettings {
  const mailboxSizeLimit = cfg.getInt("mailbox_size_limit");
  const messageSizeLimit = cfg.getInt("message_size_limit");
  if (mailboxSizeLimit > 0) {
    if (messageSizeLimit <= 0) throw new ConfigError("configuration error: mailbox_size_limit is limited but message_size_limit is unlimited");
    if (mailboxSizeLimit < messageSizeLimit) throw new ConfigError("configuration error: mailbox_size_limit is smaller than message_size_limit");
  }
  let lockStyles: LockStyle[];
  try {
    lockStyles = parseLockStyles(cfg.get("mailbox_delivery_lock"));
  } catch (e) {
    if (e instanceof LockError) throw new ConfigError(e.message);
    throw e;
  }
  if (lockStyles.length === 0) throw new ConfigError("parameter mailbox_delivery_lock specifies no applicable mailbox locking method");
  const attempts = cfg.getInt("deliver_lock_attempts");
  if (attempts < 1) throw new ConfigError(`invalid deliver_lock_attempts parameter value ${attempts} < 1`);
  const expNames = { alias: EXP_ALIAS, forward: EXP_FWD, include: EXP_INCL };
  return {
    queueDirectory: cfg.get("queue_directory"),
    myhostname: cfg.get("myhostname"),
    mailName: cfg.get("mail_name"),
    myorigin: cfg.get("myorigin"),
    mydomain: cfg.get("mydomain"),
    appendAtMyorigin: cfg.getBool("append_at_myorigin"),
    appendDotMydomain: cfg.getBool("append_dot_mydomain"),
    aliasMaps: cfg.getList("alias_maps"),
    forwardPath: cfg.get("forward_path"),
    allowCommands: nameMask("allow_mail_to_commands", cfg.get("allow_mail_to_commands"), expNames),
    allowFiles: nameMask("allow_mail_to_files", cfg.get("allow_mail_to_files"), expNames),
    mailboxCommand: cfg.get("mailbox_command"),
    mailboxCommandMaps: cfg.getList("mailbox_command_maps"),
    mailboxTransport: cfg.get("mailbox_transport").trim(),
    mailboxTransportMaps: cfg.getList("mailbox_transport_maps"),
    fallbackTransport: cfg.get("fallback_transport").trim(),
    fallbackTransportMaps: cfg.getList("fallback_transport_maps"),
    mailSpoolDirectory: cfg.get("mail_spool_directory").trim(),
    homeMailbox: cfg.get("home_mailbox").trim(),
    mailboxSizeLimit,
    luserRelay: cfg.get("luser_relay").trim(),
    recipientDelimiter: cfg.get("recipient_delimiter").trim(),
    defaultPrivs: cfg.get("default_privs").trim(),
    commandTimeLimit: cfg.getTime("command_time_limit"),
    commandExpansionFilter: cfg.get("command_expansion_filter"),
    forwardExpansionFilter: cfg.get("forward_expansion_filter"),
    execDirectory: cfg.get("command_execution_directory").trim(),
    execDirectoryFilter: cfg.get("execution_directory_expansion_filter"),
    exportEnvironment: cfg.getList("export_environment"),
    localCommandShell: cfg.get("local_command_shell").trim(),
    deliverHeaders: nameMask("prepend_delivered_header", cfg.get("prepend_delivered_header"), { command: HDR_CMD, file: HDR_FILE, forward: HDR_FWD }),
    lockStyles,
    lockAttempts: attempts,
    lockDelay: cfg.getTime("deliver_lock_delay"),
    staleLockTime: cfg.getTime("stale_lock_time"),
    strictMailboxOwnership: cfg.getBool("strict_mailbox_ownership"),
    enableOriginalRecipient: cfg.getBool("enable_original_recipient"),
    frozenDeliveredTo: cfg.getBool("frozen_delivered_to"),
    expandOwnerAlias: cfg.getBool("expand_owner_alias"),
    resetOwnerAlias: cfg.getBool("reset_owner_alias"),
    ownerRequestSpecial: cfg.getBool("owner_request_special"),
    requireHomeDirectory: cfg.getBool("require_home_directory"),
    propagateExtensions: nameMask(
      "propagate_unmatched_extensions",
      cfg.get("propagate_unmatched_extensions"),
      { alias: PROP_ALIAS, forward: PROP_FORWARD, include: PROP_INCLUDE, canonical: 0, virtual: 0, generic: 0 },
    ),
    duplicateFilterLimit: cfg.getInt("duplicate_filter_limit"),
    lineLengthLimit: cfg.getInt("line_length_limit"),
    doubleBounceSender: cfg.get("double_bounce_sender"),
    biff: cfg.getBool("biff"),
    mailOwner: cfg.get("mail_owner"),
  };
}
