/**
 * smtpd_proxy — the client side of a before-queue content filter (smtpd_proxy_filter), as Postfix's
 * smtpd_proxy.c behaves: one SMTP connection to the filter per mail transaction.
 *
 * openSmtpdProxy() connects to `host:port`, `inet:host:port` (a bare `port` or `:port` is the local machine) or
 * `unix:pathname` (relative to queue_directory) within smtpd_proxy_timeout, reads the greeting, sends
 * `EHLO smtpd_proxy_ehlo`, sends the client's facts with XFORWARD when the filter announces it (only the
 * attributes it lists, `[UNAVAILABLE]` for unknown values, xtext-encoded, split so that a command stays under
 * 512 bytes), then the client's own MAIL FROM command. Failures: `warning: connect to proxy filter SERVICE:
 * ERROR`; a greeting, EHLO or XFORWARD that is not 2XX gives the generic reply `451 4.3.0 Error: queue file write
 * error` (Postfix's CLEANUP_STAT_PROXY); a MAIL FROM rejection is passed back as the filter sent it.
 *
 * cmd() sends one command and reads the reply (multi-line replies joined with CRLF; non-printable characters
 * become `?`); a reply that does not start with the expected digit logs `warning: proxy SERVICE rejected "CMD":
 * "REPLY"`, and an unexpected 2XX or 3XX is replaced by the generic reply. A lost connection or a read that
 * takes longer than smtpd_proxy_timeout logs `warning: lost connection with proxy SERVICE` or `warning: timeout
 * talking to proxy SERVICE`; the proxy is then broken, and every later command gets the generic reply.
 * writeContent() sends message text (LF line ends) as SMTP DATA: CRLF line ends, lines starting with `.` doubled.
 * close() sends QUIT without waiting for the reply and closes the connection.
 *
 * smtpd_proxy_options = speed_adjust (Postfix's SMTPD_PROXY_FLAG_SPEED_ADJUST): SpeedAdjustProxy stands in for
 * the connection until the whole message is in. MAIL FROM, RCPT TO and DATA are recorded with the reply each
 * must get and succeed at once (the client gets this server's own replies); the content goes to a replay log, an
 * unlinked file in the incoming queue (no queue ID, mode 0; the queue needs room for one more message). At `.`
 * the filter is connected (greeting, EHLO, XFORWARD, MAIL FROM) and the recorded commands and the content are
 * replayed; the first reply that is not the expected one ends the replay and is the client's end-of-data reply,
 * so the filter must reject all recipients of a message or none (as Postfix documents). A replay log that
 * cannot be written gives `warning: proxy speed-adjust log I/O error: …` and the generic reply.
 *
 * Never throws: every failure ends in `reply`.
 */
import net from "node:net";
import { closeSync, constants, openSync, readSync, unlinkSync, writeSync } from "node:fs";
import { nameMask } from "../config/name_mask.ts";
import { isAbsolute, join } from "node:path";
import { msgVerbose, msgWarn } from "../log/msg.ts";
import { errnoText } from "../sys/errno.ts";
import { SmtpEofError, SmtpStream, SmtpTimeoutError } from "./smtp_stream.ts";

/** What the session needs of a filter connection: SmtpdProxy, or SpeedAdjustProxy standing in for one. */
export interface ProxyConnection {
  /** The last reply, or the generic one after a failure. */
  reply: string;
  /** The connection broke or timed out (CLEANUP_STAT_PROXY). */
  broken: boolean;
  cmd(command: string, expect: "2" | "3" | "any" | "none"): Promise<boolean>;
  writeContent(chunk: Uint8Array): Promise<boolean>;
  endContent(): Promise<boolean>;
  close(): void;
}

/** smtpd_proxy_options: the names it may list (Postfix: speed_adjust); an unknown name is a configuration error. */
export function proxyOptions(value: string): { speedAdjust: boolean } {
  return { speedAdjust: nameMask("smtpd_proxy_options", value, ["speed_adjust"], { anyCase: true }).has("speed_adjust") };
}

/** The reply a client gets when the filter cannot be used (cleanup_stat_detail(CLEANUP_STAT_PROXY)). */
export const PROXY_FAKE_REPLY = "451 4.3.0 Error: queue file write error";

/** What openSmtpdProxy() needs to know. */
export interface SmtpdProxyOptions {
  /** smtpd_proxy_filter. */
  service: string;
  /** smtpd_proxy_timeout, in milliseconds. */
  timeoutMs: number;
  /** smtpd_proxy_ehlo. */
  ehlo: string;
  /** The client's MAIL FROM command, as it sent it. */
  mailCmd: string;
  /** line_length_limit. */
  lineLimit: number;
  /** queue_directory, for a relative unix: path. */
  queueDir: string;
  /** XFORWARD values by attribute name (NAME ADDR PORT HELO IDENT PROTO SOURCE); undefined: unavailable. */
  xforward: Record<string, string | undefined>;
}

const XFORWARD_ORDER = ["NAME", "ADDR", "PORT", "HELO", "IDENT", "PROTO", "SOURCE"];
const PAYLOAD_LIMIT = 512 - "250 XFORWARD\r\n".length;

/** xtext_quote() with no extra specials. */
function xtextQuote(value: string): string {
  let out = "";
  for (const b of Buffer.from(value, "utf8")) {
    if (b > 32 && b < 127 && b !== 43 && b !== 61) out += String.fromCharCode(b);
    else out += `+${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Where smtpd_proxy_filter points. */
export function proxyEndpoint(service: string, queueDir: string): { path: string } | { host: string; port: number } | undefined {
  if (service.slice(0, 5).toLowerCase() === "unix:") {
    const p = service.slice(5);
    return { path: isAbsolute(p) ? p : join(queueDir, p) };
  }
  const ep = service.slice(0, 5).toLowerCase() === "inet:" ? service.slice(5) : service;
  const colon = ep.lastIndexOf(":");
  let host = colon >= 0 ? ep.slice(0, colon) : "";
  const portText = colon >= 0 ? ep.slice(colon + 1) : ep;
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host === "") host = "localhost";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port <= 0 || port > 65535) return undefined;
  return { host, port };
}

/** One connection to a before-queue filter; see the header. */
export class SmtpdProxy implements ProxyConnection {
  /** The last reply, or the generic one after a failure. */
  reply = "";
  /** The connection broke or timed out (CLEANUP_STAT_PROXY). */
  broken = false;
  private readonly stream: SmtpStream;

  private constructor(
    readonly service: string,
    private readonly sock: net.Socket,
    private readonly timeoutMs: number,
    private readonly lineLimit: number,
  ) {
    this.stream = SmtpStream.fromSocket(sock, timeoutMs);
  }

  /** smtpd_proxy_rdwr_error(). */
  private fail(e?: unknown): false {
    if (!this.broken) {
      if (e instanceof SmtpTimeoutError) msgWarn(`timeout talking to proxy ${this.service}`);
      else if (e !== undefined) msgWarn(`lost connection with proxy ${this.service}`);
    }
    if (e !== undefined) this.broken = true;
    this.reply = PROXY_FAKE_REPLY;
    return false;
  }

  /**
   * Sends `command` (nothing for the greeting) and reads the reply; true when it starts with `expect` ("2", "3")
   * or when `expect` is "any". "none": sends only.
   */
  async cmd(command: string, expect: "2" | "3" | "any" | "none"): Promise<boolean> {
    if (this.broken || this.sock.destroyed) return this.fail(this.broken ? undefined : new SmtpEofError());
    if (command !== "") {
      msgVerbose(`> ${this.service}: ${command}`);
      this.stream.reply(command);
      this.stream.flush();
    }
    if (expect === "none") return true;
    let reply = "";
    try {
      for (;;) {
        const line = await this.stream.readLine(this.lineLimit);
        const text = line.data.toString("latin1").replace(/[^\x20-\x7e]/g, "?");
        if (!line.complete) {
          msgWarn(`${this.service}: response longer than ${this.lineLimit}: ${text.slice(0, 30)}...`);
          await this.stream.skipLine();
        }
        msgVerbose(`< ${this.service}: ${text.slice(0, 100)}`);
        if (reply.length < this.lineLimit) reply = reply === "" ? text : `${reply}\r\n${text}`;
        const m = /^\d{3}(.?)/.exec(text);
        if (m && !/^\d/.test(text.slice(3))) {
          if (m[1] === "-") continue;
          if (m[1] === " " || m[1] === "") break;
        }
        msgWarn(`received garbage from proxy ${this.service}: ${text.slice(0, 100)}`);
      }
    } catch (e) {
      return this.fail(e);
    }
    this.reply = reply;
    if (expect !== "any" && reply[0] !== expect) {
      msgWarn(`proxy ${this.service} rejected "${command === "" ? "connection request" : command}": "${reply}"`);
      if (reply[0] === "2" || reply[0] === "3") this.fail();
      return false;
    }
    return true;
  }

  /** State of writeContent() across chunks: at the start of a line. */
  private lineStart = true;

  /** Sends message text (LF line ends) as DATA content; false when the connection broke or timed out. */
  async writeContent(chunk: Uint8Array): Promise<boolean> {
    if (this.broken) return false;
    const parts: Buffer[] = [];
    const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let from = 0;
    for (let i = 0; i < b.length; i++) {
      if (this.lineStart && b[i] === 46) {
        parts.push(b.subarray(from, i), DOT);
        from = i;
      }
      this.lineStart = b[i] === 10;
      if (b[i] === 10) {
        parts.push(b.subarray(from, i), CRLF);
        from = i + 1;
      }
    }
    parts.push(b.subarray(from));
    return this.write(Buffer.concat(parts));
  }

  /** Ends an unterminated last line before the final `.`. */
  async endContent(): Promise<boolean> {
    if (!this.lineStart) return this.write(CRLF);
    return !this.broken;
  }

  private write(data: Buffer): Promise<boolean> {
    const sock = this.sock;
    if (sock.destroyed) return Promise.resolve(this.fail(new SmtpEofError()));
    if (sock.write(data)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (e?: unknown) => {
        clearTimeout(timer);
        sock.off("drain", onDrain);
        sock.off("close", onClose);
        resolve(e === undefined ? true : this.fail(e));
      };
      const onDrain = () => done();
      const onClose = () => done(new SmtpEofError());
      const timer = setTimeout(() => done(new SmtpTimeoutError()), this.timeoutMs);
      sock.on("drain", onDrain);
      sock.on("close", onClose);
    });
  }

  /** smtpd_proxy_close(): QUIT without waiting, then the connection is closed. */
  close(): void {
    if (!this.broken && !this.sock.destroyed) void this.cmd("QUIT", "none");
    this.stream.close();
  }

  /** Connects; see the header. */
  static async open(o: SmtpdProxyOptions): Promise<{ proxy: SmtpdProxy } | { reply: string }> {
    const ep = proxyEndpoint(o.service, o.queueDir);
    let sock: net.Socket;
    try {
      if (ep === undefined) throw Object.assign(new Error("Invalid argument"), { code: "EINVAL" });
      sock = await new Promise<net.Socket>((resolve, reject) => {
        const s = "path" in ep ? net.connect({ path: ep.path }) : net.connect({ host: ep.host, port: ep.port });
        const timer = setTimeout(() => {
          s.destroy();
          reject(Object.assign(new Error("Connection timed out"), { code: "ETIMEDOUT" }));
        }, o.timeoutMs);
        s.once("connect", () => {
          clearTimeout(timer);
          s.removeAllListeners("error");
          resolve(s);
        });
        s.once("error", (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
    } catch (e) {
      msgWarn(`connect to proxy filter ${o.service}: ${errnoText(e)}`);
      return { reply: PROXY_FAKE_REPLY };
    }
    sock.setNoDelay(true);
    sock.on("error", () => {});
    const p = new SmtpdProxy(o.service, sock, o.timeoutMs, o.lineLimit);
    const giveUp = (fake: boolean) => {
      const reply = fake ? PROXY_FAKE_REPLY : p.reply;
      p.close();
      return { reply };
    };
    if (!(await p.cmd("", "2"))) return giveUp(true);
    if (!(await p.cmd(`EHLO ${o.ehlo}`, "2"))) return giveUp(true);
    const features = new Set<string>();
    for (const line of p.reply.split("\r\n")) {
      const words = line.slice(4).split(/[ \t]+/);
      if (words[0]?.toUpperCase() === "XFORWARD") for (const w of words.slice(1)) features.add(w.toUpperCase());
    }
    if (features.size > 0) {
      let buf = "";
      for (const name of XFORWARD_ORDER) {
        if (!features.has(name)) continue;
        const q = xtextQuote(o.xforward[name] ?? "[UNAVAILABLE]");
        const item = ` ${name}=${q}`;
        if (item.length > PAYLOAD_LIMIT) msgWarn(`XFORWARD command payload ${name}=${(o.xforward[name] ?? "[UNAVAILABLE]").slice(0, 10)}... exceeds SMTP protocol limit`);
        if (buf.length > 0 && buf.length + item.length > PAYLOAD_LIMIT) {
          if (!(await p.cmd(`XFORWARD${buf}`, "2"))) return giveUp(true);
          buf = "";
        }
        buf += item;
      }
      if (buf.length > 0 && !(await p.cmd(`XFORWARD${buf}`, "2"))) return giveUp(true);
    }
    if (!(await p.cmd(o.mailCmd, "2"))) return giveUp(false);
    return { proxy: p };
  }
}

const DOT = Buffer.from(".");
const CRLF = Buffer.from("\r\n");

/** Chunk size of the replay log's read-back. */
const REPLAY_CHUNK = 64 * 1024;

/** smtpd_proxy_options = speed_adjust: records the transaction and replays it to the filter at `.`; see the header. */
export class SpeedAdjustProxy implements ProxyConnection {
  reply = "";
  broken = false;
  /** Recorded commands with the reply digit each must get, in order (MAIL FROM is the open options'). */
  private readonly commands: { command: string; expect: "2" | "3" }[] = [];
  private fd = -1;
  private size = 0;
  /** The filter connection during the replay. */
  private real: SmtpdProxy | undefined;
  private static serial = 0;

  private constructor(private readonly opts: SmtpdProxyOptions) {}

  /** Opens the replay log (smtpd_proxy_replay_setup()); a log that cannot be made is the generic reply. */
  static create(o: SmtpdProxyOptions): { proxy: SpeedAdjustProxy } | { reply: string } {
    const p = new SpeedAdjustProxy(o);
    const path = join(o.queueDir, "incoming", `speed-adjust.${process.pid}.${++SpeedAdjustProxy.serial}`);
    try {
      p.fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0);
    } catch (e) {
      return { reply: p.logError(e) };
    }
    try {
      unlinkSync(path);
    } catch (e) {
      msgWarn(`remove before-queue filter speed-adjust log ${path}: ${errnoText(e)}`);
    }
    return { proxy: p };
  }

  private logError(e: unknown): string {
    msgWarn(`proxy speed-adjust log I/O error: ${errnoText(e)}`);
    this.broken = true;
    this.reply = PROXY_FAKE_REPLY;
    return PROXY_FAKE_REPLY;
  }

  async cmd(command: string, expect: "2" | "3" | "any" | "none"): Promise<boolean> {
    if (this.real) return this.real.cmd(command, expect);
    if (this.broken) return false;
    if (command === ".") return this.replay();
    if (expect === "2" || expect === "3") this.commands.push({ command, expect });
    return true;
  }

  async writeContent(chunk: Uint8Array): Promise<boolean> {
    if (this.broken) return false;
    try {
      for (let off = 0; off < chunk.length; ) off += writeSync(this.fd, chunk, off, chunk.length - off, this.size + off);
      this.size += chunk.length;
      return true;
    } catch (e) {
      this.logError(e);
      return false;
    }
  }

  async endContent(): Promise<boolean> {
    return !this.broken;
  }

  /** smtpd_proxy_replay_send(): connects, replays the commands and the content, sends `.`. */
  private async replay(): Promise<boolean> {
    const r = await SmtpdProxy.open(this.opts);
    if ("reply" in r) {
      this.reply = r.reply;
      this.broken = r.reply === PROXY_FAKE_REPLY;
      return false;
    }
    const real = (this.real = r.proxy);
    const done = (ok: boolean): boolean => {
      this.reply = real.reply;
      this.broken = real.broken;
      return ok;
    };
    for (const c of this.commands) if (!(await real.cmd(c.command, c.expect))) return done(false);
    const buf = Buffer.allocUnsafe(REPLAY_CHUNK);
    for (let pos = 0; pos < this.size; ) {
      let n: number;
      try {
        n = readSync(this.fd, buf, 0, Math.min(REPLAY_CHUNK, this.size - pos), pos);
      } catch (e) {
        this.logError(e);
        return false;
      }
      if (n <= 0) {
        this.logError(Object.assign(new Error("Input/output error"), { code: "EIO" }));
        return false;
      }
      if (!(await real.writeContent(buf.subarray(0, n)))) return done(false);
      pos += n;
    }
    if (!(await real.endContent())) return done(false);
    return done(await real.cmd(".", "any"));
  }

  close(): void {
    this.real?.close();
    this.real = undefined;
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // nothing to do
      }
      this.fd = -1;
    }
  }
}
