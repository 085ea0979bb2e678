/**
 * dovecot_auth — the client side of Dovecot's authentication protocol, as Postfix 3.7's smtpd speaks it through
 * its Dovecot SASL plug-in (xsasl_dovecot_server.c): one connection to the auth server's client socket per
 * process, reused by every session, and one SASL "server" per session on top of it.
 *
 * PROTOCOL (lines end with LF, fields are separated by TAB)
 *   client:  VERSION 1 0, CPID <pid>                 on connecting
 *   server:  VERSION <major> <minor>, MECH <name> [<property>...], SPID, CUID, COOKIE …, DONE
 *   client:  AUTH <id> <mech> service=<smtpd_sasl_service> nologin lip=<server addr> rip=<client addr>
 *            [secured] [resp=<initial response, base64>]
 *   server:  CONT <id> <challenge, base64>   |   OK <id> user=<name> …   |   FAIL <id> [user=<name>] [reason=<text>] …
 *   client:  CONT <id> <response, base64>     (after a CONT)
 * The handshake fails on a major version other than 1 (`SASL: Protocol version mismatch (N vs. 1)`), on a
 * malformed VERSION (`SASL: Protocol version error`), on SPID before any MECH (`SASL: Connected to wrong auth
 * socket (auth-master instead of auth-client)`), and silently on EOF or timeout; an unreachable socket logs
 * `SASL: Connect to Dovecot auth socket 'PATH' failed: REASON`. Mechanisms with the `private` property are never
 * offered; the others are offered to a session when their properties pass its security options
 * (parseSaslSecurityOptions(): noplaintext drops mechanisms marked `plaintext`, noanonymous `anonymous`,
 * noactive `active`, nodictionary `dictionary`; forward_secrecy and mutual_auth require those properties).
 *
 * The path is a UNIX-domain socket (`unix:` prefix optional; a relative path is taken from queue_directory, where
 * Postfix's smtpd runs), or `inet:host:port`. It is connected late, at the first session that needs it (so with
 * the privileges the process has then, as Postfix's "late binding"), and again after the server went away.
 *
 * Problem: Postfix's smtpd serves one client at a time, so its one connection carries one request at a time;
 * postkit's smtpd serves many sessions in one process. Solution: requests of different sessions share the
 * connection, told apart by their request IDs (the protocol's own multiplexing, as Dovecot's login processes
 * use it); a reply is routed to the session that waits for its ID, and a reply to no waiting ID is ignored, as
 * Postfix ignores one. Each wait is limited to AUTH_TIMEOUT_MS (Postfix's AUTH_TIMEOUT, 10 s); a wait that times
 * out gives `Connection lost to authentication server`, and the connection is dropped (failing the other waits
 * too) only when nothing at all came from the server in that time.
 *
 * Per-session results (DovecotSaslServer.first()/next()): "done" (username set), "more" (reply = the base64
 * challenge), "fail" (reply = the server's reason or Postfix's own text: `Invalid authentication mechanism`,
 * `Invalid base64 data in initial response`, `Invalid base64 data in continued response`, `Authentication
 * backend error`; "" when the server gave none) and "temp" (`Connection lost to authentication server`, `Can't
 * connect to authentication server`). Like Postfix's reply buffer, `reply` keeps its last value where Postfix
 * leaves it unchanged (a failed connect).
 *
 * Contract: nothing here throws for what the auth server or the network does; warnings go to the mail log.
 * Postfix: src/xsasl/xsasl_dovecot_server.c.
 */
import { connect, type Socket } from "node:net";
import { isAbsolute, join } from "node:path";
import { ConfigError } from "../config/main_cf.ts";
import { msgVerbose, msgWarn } from "../log/msg.ts";
import { errnoText } from "../sys/errno.ts";

/** Postfix's AUTH_TIMEOUT: connect, handshake and each reply. */
export const AUTH_TIMEOUT_MS = 10_000;

const MAJOR_VERSION = 1;
const MINOR_VERSION = 0;

/** Security property bits (Postfix's SEC_PROPS_*). */
export const SEC = {
  NOPLAINTEXT: 1 << 0,
  NOACTIVE: 1 << 1,
  NODICTIONARY: 1 << 2,
  NOANONYMOUS: 1 << 3,
  FWD_SECRECY: 1 << 4,
  MUTUAL_AUTH: 1 << 5,
  PRIVATE: 1 << 6,
} as const;
const POS_MASK = SEC.MUTUAL_AUTH | SEC.FWD_SECRECY;
const NEG_MASK = SEC.NOPLAINTEXT | SEC.NOACTIVE | SEC.NODICTIONARY | SEC.NOANONYMOUS;

/** main.cf names of the security options. */
const CONF_PROPS: Record<string, number> = {
  noplaintext: SEC.NOPLAINTEXT,
  noactive: SEC.NOACTIVE,
  nodictionary: SEC.NODICTIONARY,
  noanonymous: SEC.NOANONYMOUS,
  forward_secrecy: SEC.FWD_SECRECY,
  mutual_auth: SEC.MUTUAL_AUTH,
};

/** Dovecot's names of the mechanism properties. */
const SERVER_PROPS: Record<string, number> = {
  plaintext: SEC.NOPLAINTEXT,
  active: SEC.NOACTIVE,
  dictionary: SEC.NODICTIONARY,
  anonymous: SEC.NOANONYMOUS,
  "forward-secrecy": SEC.FWD_SECRECY,
  "mutual-auth": SEC.MUTUAL_AUTH,
  private: SEC.PRIVATE,
};

/**
 * smtpd_sasl_security_options / smtpd_sasl_tls_security_options as property bits. Throws ConfigError, with
 * Postfix's text, for an unknown word.
 */
export function parseSaslSecurityOptions(value: string): number {
  let mask = 0;
  for (const w of value.split(/[\s,]+/).filter(Boolean)) {
    const bit = CONF_PROPS[w.toLowerCase()];
    if (bit === undefined) throw new ConfigError(`unknown xsasl_dovecot_server_create value "${w}" in "${value}"`);
    mask |= bit;
  }
  return mask;
}

/** One mechanism of the auth server. */
export interface DovecotMech {
  name: string;
  props: number;
}

/** Where the auth server listens. */
type Target = { path: string } | { host: string; port: number };

/** What one DovecotSaslServer step ended with; see the header. */
export type SaslStatus = "done" | "more" | "fail" | "temp";

interface Waiter {
  resolve(fields: string[] | null): void;
}

/** Postfix's is_valid_base64(): only the base64 alphabet and `=`. */
export function isValidBase64(s: string): boolean {
  return /^[A-Za-z0-9+/=]*$/.test(s);
}

/** Postfix's printable(…, '?'). */
function printable(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, "?");
}

/** The process's connection to the auth server; see the header. */
export class DovecotAuth {
  private sock: Socket | undefined;
  private connecting: Promise<boolean> | undefined;
  private mechs: DovecotMech[] | undefined;
  private requestIdCounter = 0;
  private waiters = new Map<number, Waiter>();
  private buf = "";
  private lastInput = 0;
  private readonly target: Target;

  /**
   * `path` is smtpd_sasl_path as configured (warnings show it so); relative UNIX paths are taken from `queueDir`.
   * `timeoutMs` replaces AUTH_TIMEOUT_MS (tests).
   */
  constructor(
    readonly path: string,
    queueDir: string,
    private readonly timeoutMs = AUTH_TIMEOUT_MS,
  ) {
    if (path.startsWith("inet:")) {
      const hp = path.slice(5);
      const colon = hp.lastIndexOf(":");
      this.target = { host: hp.slice(0, colon).replace(/^\[|\]$/g, "") || "localhost", port: Number(hp.slice(colon + 1)) };
    } else {
      const p = path.startsWith("unix:") ? path.slice(5) : path;
      this.target = { path: isAbsolute(p) ? p : join(queueDir, p) };
    }
  }

  /** True while a connection with a finished handshake is open. */
  get connected(): boolean {
    return this.sock !== undefined;
  }

  /** The next request ID of this process. */
  nextId(): number {
    this.requestIdCounter = (this.requestIdCounter + 1) >>> 0 || 1;
    return this.requestIdCounter;
  }

  /** The server's mechanisms, connecting first when needed; undefined when that failed (a warning says why). */
  async mechanisms(): Promise<DovecotMech[] | undefined> {
    if (!this.sock && !(await this.connect())) return undefined;
    return this.mechs;
  }

  /** xsasl_dovecot_server_connect(): connects and does the handshake; one attempt shared by concurrent callers. */
  connect(): Promise<boolean> {
    if (this.sock) return Promise.resolve(true);
    this.connecting ??= this.doConnect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private doConnect(): Promise<boolean> {
    msgVerbose("xsasl_dovecot_server_connect: Connecting");
    return new Promise<boolean>((resolve) => {
      const sock = "path" in this.target ? connect(this.target.path) : connect({ host: this.target.host, port: this.target.port });
      let done = false;
      let phase: "connect" | "handshake" = "connect";
      let buf = "";
      const mechs: DovecotMech[] = [];
      let haveMech = false;
      const finish = (ok: boolean, why?: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.removeListener("data", onData);
        if (why !== undefined) msgWarn(why);
        if (!ok) {
          sock.destroy();
          resolve(false);
          return;
        }
        this.attach(sock, mechs, buf);
        resolve(true);
      };
      const timer = setTimeout(() => {
        if (phase === "connect") finish(false, `SASL: Connect to Dovecot auth socket '${this.path}' failed: Connection timed out`);
        else finish(false);
      }, this.timeoutMs);
      const onLine = (line: string): boolean => {
        msgVerbose(`xsasl_dovecot_server_connect: auth reply: ${line}`);
        const tab = line.indexOf("\t");
        const cmd = tab < 0 ? line : line.slice(0, tab);
        const rest = tab < 0 ? undefined : line.slice(tab + 1);
        if (cmd === "VERSION" && rest !== undefined) {
          const m = /^(\d+)\t(\d+)/.exec(rest);
          if (!m) {
            finish(false, "SASL: Protocol version error");
            return false;
          }
          if (Number(m[1]) !== MAJOR_VERSION) {
            finish(false, `SASL: Protocol version mismatch (${Number(m[1])} vs. ${MAJOR_VERSION})`);
            return false;
          }
        } else if (cmd === "MECH" && rest !== undefined) {
          haveMech = true;
          const f = rest.split("\t");
          let props = 0;
          for (const p of f.slice(1)) props |= SERVER_PROPS[p.toLowerCase()] ?? 0;
          if ((props & SEC.PRIVATE) === 0) mechs.push({ name: f[0]!, props });
        } else if (cmd === "SPID") {
          if (!haveMech) {
            finish(false, "SASL: Connected to wrong auth socket (auth-master instead of auth-client)");
            return false;
          }
        } else if (cmd === "DONE") {
          finish(true);
          return false;
        }
        return true;
      };
      const onData = (d: string) => {
        buf += d;
        for (;;) {
          const nl = buf.indexOf("\n");
          if (nl < 0 || done) break;
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!onLine(line)) break;
        }
      };
      sock.setEncoding("utf8");
      sock.on("data", onData);
      sock.once("connect", () => {
        phase = "handshake";
        sock.write(`VERSION\t${MAJOR_VERSION}\t${MINOR_VERSION}\nCPID\t${process.pid}\n`);
      });
      sock.on("error", (e) => {
        if (phase === "connect") finish(false, `SASL: Connect to Dovecot auth socket '${this.path}' failed: ${errnoText(e)}`);
        else finish(false);
      });
      sock.on("close", () => finish(false));
    });
  }

  /** Takes a handshaken connection into use; `rest` is what came after DONE. */
  private attach(sock: Socket, mechs: DovecotMech[], rest: string): void {
    this.sock = sock;
    this.mechs = mechs;
    this.buf = "";
    this.lastInput = Date.now();
    sock.on("data", (d: string) => {
      if (this.sock !== sock) return;
      this.lastInput = Date.now();
      this.input(d);
    });
    sock.on("error", () => {
      if (this.sock === sock) this.disconnect();
    });
    sock.on("close", () => {
      if (this.sock === sock) this.disconnect();
    });
    if (rest !== "") this.input(rest);
  }

  private input(text: string): void {
    this.buf += text;
    for (;;) {
      const nl = this.buf.indexOf("\n");
      if (nl < 0) break;
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      msgVerbose(`xsasl_dovecot_handle_reply: auth reply: ${line}`);
      const f = line.split("\t");
      const cmd = f[0]!;
      if (cmd !== "OK" && cmd !== "CONT" && cmd !== "FAIL") continue; // unknown commands are ignored
      if (f.length < 2) {
        msgWarn("SASL: Protocol error");
        continue;
      }
      const id = Number.parseInt(f[1]!, 10);
      const w = this.waiters.get(id);
      if (!w) continue; // a reply to another request (one given up on): ignored, as Postfix does
      this.waiters.delete(id);
      w.resolve(f);
    }
  }

  /** xsasl_dovecot_server_disconnect(): closes the connection; waiting requests see it lost. */
  disconnect(): void {
    const sock = this.sock;
    this.sock = undefined;
    this.mechs = undefined;
    this.buf = "";
    sock?.destroy();
    const ws = [...this.waiters.values()];
    this.waiters.clear();
    for (const w of ws) w.resolve(null);
  }

  /**
   * Sends one request line and waits for the reply to `id`: its fields, or null when the connection was lost
   * or the reply timed out. False instead of a promise when the line could not be written.
   */
  request(id: number, line: string): Promise<string[] | null> | false {
    const sock = this.sock;
    if (!sock || sock.destroyed || !sock.writable) return false;
    const started = Date.now();
    const reply = new Promise<string[] | null>((resolve) => {
      const timer = setTimeout(() => {
        if (this.waiters.get(id) !== w) return;
        this.waiters.delete(id);
        // a server that sent nothing at all in that time is gone: start afresh with the next request
        if (this.sock === sock && this.lastInput < started) this.disconnect();
        resolve(null);
      }, this.timeoutMs);
      const w: Waiter = {
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      this.waiters.set(id, w);
    });
    try {
      sock.write(`${line}\n`);
    } catch {
      this.waiters.delete(id);
      return false;
    }
    return reply;
  }

  /** Closes the connection (process end, tests). */
  close(): void {
    this.disconnect();
  }
}

/** What a session's SASL server needs to know (XSASL_SERVER_CREATE_ARGS). */
export interface SaslServerArgs {
  service: string;
  clientAddr: string;
  serverAddr: string;
  tls: boolean;
  /** Security option bits (parseSaslSecurityOptions()). */
  secProps: number;
}

/** One session's SASL server (XSASL_DOVECOT_SERVER); see the header. */
export class DovecotSaslServer {
  /** The user the server named in its last OK or FAIL, if any. */
  username: string | undefined;
  /** The text of the last step: a challenge, a reason, or "". */
  reply = "";
  private lastRequestId = 0;
  private mechNames: string[] | undefined;
  private mechText: string | undefined;

  constructor(
    private readonly auth: DovecotAuth,
    private readonly args: SaslServerArgs,
  ) {}

  /** The mechanisms this session may use, space-separated; undefined when none (or the server is unreachable). */
  async mechanismList(): Promise<string | undefined> {
    if (!this.auth.connected) {
      if (!(await this.auth.connect())) return undefined;
    }
    if (this.mechText === undefined) {
      const all = (await this.auth.mechanisms()) ?? [];
      const pos = this.args.secProps & POS_MASK;
      const neg = this.args.secProps & NEG_MASK;
      this.mechNames = all.filter((m) => (m.props & pos) === pos && (m.props & neg) === 0).map((m) => m.name);
      this.mechText = this.mechNames.join(" ");
    }
    return this.mechText === "" ? undefined : this.mechText;
  }

  /** xsasl_dovecot_server_first(): starts an authentication. */
  async first(mech: string, initResponse: string | undefined): Promise<SaslStatus> {
    if (this.mechNames === undefined) throw new Error("xsasl_dovecot_server_first: no mechanism list");
    if (!this.mechNames.some((m) => m.toLowerCase() === mech.toLowerCase())) {
      this.reply = "Invalid authentication mechanism";
      return "fail";
    }
    if (initResponse !== undefined && !isValidBase64(initResponse)) {
      this.reply = "Invalid base64 data in initial response";
      return "fail";
    }
    const a = this.args;
    for (let i = 0; i < 2; i++) {
      if (!this.auth.connected && !(await this.auth.connect())) return "temp";
      this.lastRequestId = this.auth.nextId();
      let line = `AUTH\t${this.lastRequestId}\t${mech}\tservice=${a.service}\tnologin\tlip=${a.serverAddr}\trip=${a.clientAddr}`;
      if (a.tls) line += "\tsecured";
      if (initResponse !== undefined) line += `\tresp=${initResponse}`;
      const r = this.auth.request(this.lastRequestId, line);
      if (r !== false) return this.handleReply(await r);
      if (i === 1) {
        this.reply = "Can't connect to authentication server";
        this.auth.disconnect();
        return "temp";
      }
      this.auth.disconnect(); // reconnect and try again
    }
    return "temp";
  }

  /** xsasl_dovecot_server_next(): the client's answer to a challenge. */
  async next(response: string): Promise<SaslStatus> {
    if (!isValidBase64(response)) {
      this.reply = "Invalid base64 data in continued response";
      return "fail";
    }
    const r = this.auth.request(this.lastRequestId, `CONT\t${this.lastRequestId}\t${response}`);
    if (r === false) {
      this.reply = "Connection lost to authentication server";
      this.auth.disconnect();
      return "temp";
    }
    return this.handleReply(await r);
  }

  /** xsasl_dovecot_handle_reply(). */
  private handleReply(f: string[] | null): SaslStatus {
    if (f === null) {
      this.reply = "Connection lost to authentication server";
      return "temp";
    }
    const cmd = f[0]!;
    if (cmd === "OK") {
      this.parseArgs(f.slice(2), true);
      if (this.username === undefined) {
        msgWarn("missing Dovecot server OK username field");
        this.reply = "Authentication backend error";
        return "fail";
      }
      return "done";
    }
    if (cmd === "CONT") {
      if (f.length < 3) {
        msgWarn("missing Dovecot server CONT reply field");
        this.reply = "Authentication backend error";
        return "fail";
      }
      this.reply = f.slice(2).join("\t");
      return "more";
    }
    this.parseArgs(f.slice(2), false);
    return "fail";
  }

  /** xsasl_dovecot_parse_reply_args(): user= always, reason= of a failure. */
  private parseArgs(args: string[], success: boolean): void {
    this.username = undefined;
    this.reply = "";
    for (const a of args) {
      if (a.startsWith("user=")) this.username = printable(a.slice(5));
      else if (a.startsWith("reason=") && !success) this.reply = printable(a.slice(7));
    }
  }
}
