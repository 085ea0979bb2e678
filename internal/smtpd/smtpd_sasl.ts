/**
 * smtpd_sasl — SMTP AUTH in the SMTP server: the per-process set-up and the per-session activation of Postfix's
 * smtpd_sasl_glue.c, for smtpd_sasl_type = dovecot (dovecot_auth.ts speaks the protocol). The AUTH command
 * itself is in session.ts.
 *
 * Parameters: smtpd_sasl_auth_enable (nothing here is used when it is off), smtpd_sasl_type (only `dovecot`:
 * anything else is Postfix's `warning: unsupported SASL server implementation: TYPE` and the fatal `SASL
 * per-process initialization failed` at start-up), smtpd_sasl_path, smtpd_sasl_service,
 * smtpd_sasl_security_options (plaintext sessions) and smtpd_sasl_tls_security_options (after STARTTLS),
 * smtpd_sasl_mechanism_filter (a string list over the mechanism names: words, `!word`, `/file`, `type:table`;
 * without case; the default `!external, static:rest`), smtpd_sasl_exceptions_networks (clients to which EHLO
 * does not announce AUTH; they may still use it), smtpd_sasl_response_limit (at least 12288, else the fatal
 * `invalid smtpd_sasl_response_limit parameter value N < 12288`, checked whether SASL is on or not).
 *
 * activate() is smtpd_sasl_activate(): a session's SASL server and the mechanism list EHLO announces: the auth
 * server's mechanisms that pass the security options, then those that pass the mechanism filter. Where Postfix's
 * smtpd exits with a fatal error (the auth server cannot be reached or its handshake fails: `no SASL
 * authentication mechanisms`; the filter leaves nothing: `smtpd_sasl_mechanism_filter discards all mechanisms in
 * 'LIST'`), activate() throws SaslFatalError with that text: postkit's smtpd serves other sessions in the same
 * process, so the session logs it and closes the connection without a word, which is what the client of a
 * Postfix smtpd sees, and the others go on. Note: the mechanism filter only shapes the announcement; a filtered-out
 * mechanism that passes the security options can still be used, as in Postfix.
 */
import type { Config } from "../config/config.ts";
import { ConfigError } from "../config/main_cf.ts";
import { msgWarn } from "../log/msg.ts";
import { PostkitError, FatalError } from "../sys/errors.ts";
import { openMap, type LookupTable } from "../maps/index.ts";
import { forEachListItem } from "../resolve/match_list.ts";
import { compileHostList, type HostList } from "./host_list.ts";
import { DovecotAuth, DovecotSaslServer, parseSaslSecurityOptions } from "./dovecot_auth.ts";

/** RFC 4954's minimum for a client response, Postfix's least smtpd_sasl_response_limit. */
const MIN_RESPONSE_LIMIT = 12288;

/** What makes a Postfix smtpd exit; see the header. */
export class SaslFatalError extends PostkitError {}

/** A session's active SASL server and the mechanisms EHLO announces. */
export interface SaslActivation {
  server: DovecotSaslServer;
  mechanismList: string;
}

type FilterPattern = { word: string; negate: boolean } | { table: LookupTable; negate: boolean };

/** smtpd_sasl_mechanism_filter as a string list (Postfix's string_list_match(), case-folded). */
export class MechanismFilter {
  constructor(private readonly patterns: FilterPattern[]) {}

  static async compile(value: string, paramName: string): Promise<MechanismFilter> {
    const patterns: FilterPattern[] = [];
    await forEachListItem(value, paramName, async (item, negate) => {
      if (/^[a-z][a-z0-9_-]*:/i.test(item)) patterns.push({ table: await openMap(item), negate });
      else patterns.push({ word: item.toLowerCase(), negate });
    });
    return new MechanismFilter(patterns);
  }

  /** True when `mech` passes. */
  matches(mech: string): boolean {
    const m = mech.toLowerCase();
    for (const p of this.patterns) {
      const hit = "word" in p ? p.word === m : p.table.lookup(m) !== undefined;
      if (hit) return !p.negate;
    }
    return false;
  }

  /** sasl_mech_filter(): the words of `list` that pass, in order. */
  filter(list: string): string {
    if (list === "") return list;
    return list.split(/[ \t]+/).filter((w) => w !== "" && this.matches(w)).join(" ");
  }
}

/** Checks smtpd_sasl_response_limit (Postfix checks it whether SASL is on or not); throws ConfigError. */
export function checkSaslResponseLimit(cfg: Config): number {
  const n = cfg.getInt("smtpd_sasl_response_limit");
  if (n < MIN_RESPONSE_LIMIT) throw new ConfigError(`invalid smtpd_sasl_response_limit parameter value ${n} < ${MIN_RESPONSE_LIMIT}`);
  return n;
}

/** The SMTP server's SASL support of one process; see the header. */
export class SmtpdSasl {
  private constructor(
    readonly auth: DovecotAuth,
    private readonly filter: MechanismFilter,
    private readonly exceptions: HostList | undefined,
    private readonly service: string,
    private readonly plainProps: number,
    private readonly tlsProps: number,
    /** smtpd_sasl_response_limit. */
    readonly responseLimit: number,
  ) {}

  /**
   * Reads the parameters; undefined when smtpd_sasl_auth_enable is off. Throws ConfigError or FatalError for a
   * configuration Postfix's smtpd refuses (see the header). `timeoutMs` replaces the auth server time limit (tests).
   */
  static async create(cfg: Config, opts: { timeoutMs?: number } = {}): Promise<SmtpdSasl | undefined> {
    const limit = checkSaslResponseLimit(cfg);
    if (!cfg.getBool("smtpd_sasl_auth_enable")) return undefined;
    const type = cfg.get("smtpd_sasl_type");
    if (type !== "dovecot") {
      msgWarn(`unsupported SASL server implementation: ${type}`);
      throw new FatalError("SASL per-process initialization failed");
    }
    const plain = parseSaslSecurityOptions(cfg.get("smtpd_sasl_security_options"));
    const tls = parseSaslSecurityOptions(cfg.get("smtpd_sasl_tls_security_options"));
    const filter = await MechanismFilter.compile(cfg.get("smtpd_sasl_mechanism_filter"), "smtpd_sasl_mechanism_filter");
    const exv = cfg.get("smtpd_sasl_exceptions_networks");
    const exceptions = exv.trim() === "" ? undefined : await compileHostList(exv, "smtpd_sasl_exceptions_networks", cfg.get("parent_domain_matches_subdomains"));
    const auth = new DovecotAuth(cfg.get("smtpd_sasl_path"), cfg.get("queue_directory"), opts.timeoutMs);
    return new SmtpdSasl(auth, filter, exceptions, cfg.get("smtpd_sasl_service"), plain, tls, limit);
  }

  /** smtpd_sasl_activate(); throws SaslFatalError (see the header). */
  async activate(a: { clientAddr: string; serverAddr: string; tls: boolean }): Promise<SaslActivation> {
    const server = new DovecotSaslServer(this.auth, {
      service: this.service,
      clientAddr: a.clientAddr,
      serverAddr: a.serverAddr,
      tls: a.tls,
      secProps: a.tls ? this.tlsProps : this.plainProps,
    });
    const list = await server.mechanismList();
    if (list === undefined) throw new SaslFatalError("no SASL authentication mechanisms");
    const filtered = this.filter.filter(list);
    if (filtered === "") throw new SaslFatalError(`smtpd_sasl_mechanism_filter discards all mechanisms in '${list}'`);
    return { server, mechanismList: filtered };
  }

  /** sasl_client_exception(): true when EHLO must not announce AUTH to this client. */
  isException(name: string, addr: string): boolean {
    return this.exceptions?.matches(name, addr) ?? false;
  }

  /** Closes the auth server connection. */
  close(): void {
    this.auth.close();
  }
}
