/**
 * policy_client — check_policy_service: Postfix's SMTP access policy delegation protocol, so that postgrey,
 * policyd-spf, postfwd and the like work unchanged.
 *
 * PROTOCOL
 *   request:  `name=value` lines (request=smtpd_access_policy, protocol_state, protocol_name, helo_name,
 *             queue_id, sender, recipient, recipient_count, client_address, client_name, reverse_client_name,
 *             instance, sasl_*, ccert_*, size, etrn_domain, stress, encryption_*, client_port, policy_context,
 *             server_address, server_port, compatibility_level, mail_version), then an empty line
 *   reply:    `action=ACTION` (any access(5) action), optional other attributes, then an empty line
 * The sasl_method, sasl_username and sasl_sender attributes carry the session's SMTP AUTH login (or XCLIENT
 * LOGIN) and MAIL FROM's AUTH= value, empty when there are none.
 * The server is `unix:path` (relative paths are under queue_directory) or `inet:host:port`, optionally written
 * `{ server, timeout=…, default_action=…, max_idle=…, max_ttl=…, try_limit=…, retry_delay=…, policy_context=… }`
 * to override the smtpd_policy_service_* parameters for that server.
 *
 * Connections are kept open and reused (one per concurrent request; closed after max_idle, max_ttl, or
 * request_limit requests). A server that cannot be reached, times out or answers without `action=` is retried
 * try_limit times, retry_delay apart; then `warning: problem talking to server SERVER: REASON` is logged and
 * default_action is used (Postfix's `451 4.3.5 Server configuration problem`).
 *
 * Contract: query() never throws; it resolves to the action text.
 */
import { connect, type Socket } from "node:net";
import { isAbsolute, join } from "node:path";
import type { Config } from "../config/config.ts";
import { msgWarn } from "../log/msg.ts";
import { MAIL_VERSION } from "../config/version.ts";

/** The session facts a policy request carries. */
export interface PolicySession {
  where: string;
  protocol: string;
  heloName?: string;
  queueId?: string;
  sender?: string;
  recipient?: string;
  rcptCount: number;
  addr: string;
  name: string;
  reverseName: string;
  port: string;
  instance: string;
  msgSize: number;
  etrnName?: string;
  tls?: { protocol: string; cipher: string; bits: number };
  serverAddr?: string;
  serverPort?: string;
  saslMethod?: string;
  saslUsername?: string;
  saslSender?: string;
}

interface ServerOptions {
  target: string;
  timeoutMs: number;
  maxIdleMs: number;
  maxTtlMs: number;
  tryLimit: number;
  retryDelayMs: number;
  requestLimit: number;
  defaultAction: string;
  context: string;
}

interface Conn {
  sock: Socket;
  born: number;
  used: number;
  buf: string;
  idleTimer?: ReturnType<typeof setTimeout>;
  dead: boolean;
}

const TIME_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

function seconds(v: string, def: number): number {
  const m = /^(\d+)([smhdw]?)$/.exec(v.trim());
  return m ? Number(m[1]) * TIME_UNITS[m[2] || "s"]! : def;
}

/** The policy servers of one smtpd process. */
export class PolicyClients {
  private pools = new Map<string, Conn[]>();
  private opts = new Map<string, ServerOptions>();

  constructor(private readonly cfg: Config) {}

  private options(spec: string): ServerOptions {
    const hit = this.opts.get(spec);
    if (hit) return hit;
    const cfg = this.cfg;
    const parts = spec.split(/[\s,]+/).filter(Boolean);
    const o: ServerOptions = {
      target: parts[0] ?? spec,
      timeoutMs: cfg.getTime("smtpd_policy_service_timeout") * 1000,
      maxIdleMs: cfg.getTime("smtpd_policy_service_max_idle") * 1000,
      maxTtlMs: cfg.getTime("smtpd_policy_service_max_ttl") * 1000,
      tryLimit: cfg.getInt("smtpd_policy_service_try_limit"),
      retryDelayMs: cfg.getTime("smtpd_policy_service_retry_delay") * 1000,
      requestLimit: cfg.getInt("smtpd_policy_service_request_limit"),
      defaultAction: cfg.get("smtpd_policy_service_default_action"),
      context: cfg.get("smtpd_policy_service_policy_context"),
    };
    // `{ server, name=value … }`: the part after the server may contain spaces in default_action
    const rest = spec.slice(spec.indexOf(o.target) + o.target.length);
    for (const m of rest.matchAll(/(?:^|[\s,])([a-z_]+)\s*=\s*([^,]*)/g)) {
      const v = m[2]!.trim();
      switch (m[1]) {
        case "timeout":
          o.timeoutMs = seconds(v, 100) * 1000;
          break;
        case "max_idle":
          o.maxIdleMs = seconds(v, 300) * 1000;
          break;
        case "max_ttl":
          o.maxTtlMs = seconds(v, 1000) * 1000;
          break;
        case "try_limit":
          o.tryLimit = Number(v) || 2;
          break;
        case "retry_delay":
          o.retryDelayMs = seconds(v, 1) * 1000;
          break;
        case "request_limit":
          o.requestLimit = Number(v) || 0;
          break;
        case "default_action":
          o.defaultAction = v;
          break;
        case "policy_context":
          o.context = v;
          break;
      }
    }
    this.opts.set(spec, o);
    return o;
  }

  private request(s: PolicySession, o: ServerOptions): string {
    const tls = s.tls;
    const attrs: [string, string][] = [
      ["request", "smtpd_access_policy"],
      ["protocol_state", s.where],
      ["protocol_name", s.protocol],
      ["helo_name", s.heloName ?? ""],
      ["queue_id", s.queueId ?? ""],
      ["sender", s.sender ?? ""],
      ["recipient", s.recipient ?? ""],
      ["recipient_count", String(s.where === "DATA" || s.where === "END-OF-MESSAGE" ? s.rcptCount : 0)],
      ["client_address", s.addr],
      ["client_name", s.name],
      ["reverse_client_name", s.reverseName],
      ["instance", s.instance],
      ["sasl_method", s.saslMethod ?? ""],
      ["sasl_username", s.saslUsername ?? ""],
      ["sasl_sender", s.saslSender ?? ""],
      ["size", String(s.msgSize)],
      ["ccert_subject", ""],
      ["ccert_issuer", ""],
      ["ccert_fingerprint", ""],
      ["ccert_pubkey_fingerprint", ""],
      ["encryption_protocol", tls?.protocol ?? ""],
      ["encryption_cipher", tls?.cipher ?? ""],
      ["encryption_keysize", String(tls?.bits ?? 0)],
      ["etrn_domain", s.etrnName ?? ""],
      ["stress", ""],
      ["client_port", s.port],
      ["policy_context", o.context],
      ["server_address", s.serverAddr ?? ""],
      ["server_port", s.serverPort ?? ""],
      ["compatibility_level", this.cfg.get("compatibility_level")],
      ["mail_version", MAIL_VERSION],
    ];
    return `${attrs.map(([k, v]) => `${k}=${v.replace(/\n/g, " ")}`).join("\n")}\n\n`;
  }

  private open(o: ServerOptions): Promise<Conn> {
    return new Promise((resolve, reject) => {
      let sock: Socket;
      const t = o.target;
      if (t.startsWith("unix:")) {
        let path = t.slice(5);
        if (!isAbsolute(path)) path = join(this.cfg.get("queue_directory"), path);
        sock = connect(path);
      } else if (t.startsWith("inet:")) {
        const hp = t.slice(5);
        const colon = hp.lastIndexOf(":");
        const host = hp.slice(0, colon).replace(/^\[|\]$/g, "");
        sock = connect({ host: host || "localhost", port: Number(hp.slice(colon + 1)) });
      } else {
        reject(new Error(`unsupported transport type: ${t}`));
        return;
      }
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error("timeout"));
      }, o.timeoutMs);
      sock.once("connect", () => {
        clearTimeout(timer);
        const c: Conn = { sock, born: Date.now(), used: 0, buf: "", dead: false };
        sock.on("error", () => {
          c.dead = true;
        });
        sock.on("close", () => {
          c.dead = true;
        });
        resolve(c);
      });
      sock.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  private exchange(c: Conn, req: string, o: ServerOptions): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock = c.sock;
      const done = (err?: Error, v?: string) => {
        clearTimeout(timer);
        sock.off("data", onData);
        sock.off("close", onClose);
        if (err) reject(err);
        else resolve(v!);
      };
      const onData = (d: Buffer) => {
        c.buf += d.toString("latin1");
        if (c.buf.length > 100_000) {
          done(new Error("reply too long"));
          return;
        }
        const end = c.buf.indexOf("\n\n");
        if (end < 0) return;
        const reply = c.buf.slice(0, end);
        c.buf = c.buf.slice(end + 2);
        const action = reply.split("\n").find((l) => l.startsWith("action="));
        if (action === undefined) done(new Error("missing attribute action"));
        else done(undefined, action.slice(7));
      };
      const onClose = () => done(new Error("lost connection"));
      const timer = setTimeout(() => done(new Error("timeout")), o.timeoutMs);
      sock.on("data", onData);
      sock.on("close", onClose);
      sock.write(req);
    });
  }

  private release(key: string, c: Conn, o: ServerOptions): void {
    c.used++;
    if (c.dead || (o.requestLimit > 0 && c.used >= o.requestLimit) || Date.now() - c.born > o.maxTtlMs) {
      c.sock.destroy();
      return;
    }
    const pool = this.pools.get(key) ?? [];
    this.pools.set(key, pool);
    c.idleTimer = setTimeout(() => {
      const i = pool.indexOf(c);
      if (i >= 0) pool.splice(i, 1);
      c.sock.destroy();
    }, o.maxIdleMs);
    c.idleTimer.unref?.();
    pool.push(c);
  }

  /** Asks the policy server `spec`; resolves to its action, or the default action after failures. */
  async query(spec: string, s: PolicySession): Promise<string> {
    const o = this.options(spec);
    const req = this.request(s, o);
    let why = "";
    for (let attempt = 0; attempt < Math.max(1, o.tryLimit); attempt++) {
      if (attempt > 0) await Bun.sleep(o.retryDelayMs);
      const pool = this.pools.get(spec) ?? [];
      let c = pool.pop();
      while (c && c.dead) c = pool.pop();
      if (c?.idleTimer) clearTimeout(c.idleTimer);
      try {
        c ??= await this.open(o);
        const action = await this.exchange(c, req, o);
        this.release(spec, c, o);
        return action;
      } catch (e) {
        c?.sock.destroy();
        why = (e as { code?: string }).code === "ECONNREFUSED" ? "Connection refused" : (e as { code?: string }).code === "ENOENT" ? "No such file or directory" : (e as Error).message;
      }
    }
    msgWarn(`problem talking to server ${o.target}: ${why}`);
    return o.defaultAction;
  }
}
