/**
 * connection — one client connection to an SMTP or LMTP server: connect (TCP with a time limit and an optional
 * source address, or a UNIX socket), read replies line by line with a time limit per reply, write commands and
 * message data with back-pressure and a time limit, and switch to TLS (STARTTLS).
 *
 * Contract: `openConnection()` rejects with ConnectError carrying Postfix's errno text (`Connection refused`,
 * `Connection timed out` …). Reads and writes reject with SmtpIoError, `kind` "eof" (the server closed the
 * connection, or a read/write error) or "timeout"; after either the connection is unusable (`broken`). Nothing
 * here logs or knows about recipients. Postfix: src/smtp/smtp_connect.c (socket part), src/global/smtp_stream.c.
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket, type ConnectionOptions } from "node:tls";
import { PostkitError } from "../sys/errors.ts";
import { errnoText } from "../sys/errno.ts";
import { ReplyAssembler, type SmtpReply } from "./reply.ts";

/** Where to connect. */
export type Endpoint = { kind: "inet"; address: string; port: number; family: 4 | 6; bindAddress?: string } | { kind: "unix"; path: string };

/** A connection attempt failed; `message` is the errno text. */
export class ConnectError extends PostkitError {
  constructor(message: string, readonly code: string | undefined) {
    super(message, { temporary: true });
  }
}

/** The connection broke or the server went quiet. */
export class SmtpIoError extends PostkitError {
  constructor(readonly kind: "eof" | "timeout", message: string) {
    super(message, { temporary: true });
  }
}

/** Opens a connection; `timeoutMs` 0 means no limit of our own. */
export function openConnection(ep: Endpoint, timeoutMs: number): Promise<SmtpConnection> {
  return new Promise((resolve, reject) => {
    let done = false;
    const sock: Socket =
      ep.kind === "unix"
        ? netConnect({ path: ep.path })
        : netConnect({ host: ep.address, port: ep.port, family: ep.family, ...(ep.bindAddress ? { localAddress: ep.bindAddress } : {}) });
    const timer = timeoutMs > 0 ? setTimeout(() => fail(new ConnectError("Connection timed out", "ETIMEDOUT")), timeoutMs) : undefined;
    const fail = (e: ConnectError) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      sock.destroy();
      reject(e);
    };
    sock.once("error", (e) => fail(new ConnectError(errnoText(e), (e as NodeJS.ErrnoException).code)));
    sock.once("connect", () => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      sock.setNoDelay(true);
      resolve(new SmtpConnection(sock));
    });
  });
}

/** An open connection. */
export class SmtpConnection {
  private socket: Socket | TLSSocket;
  private buf: Buffer | undefined;
  private lines: string[] = [];
  private waiter: { resolve: () => void } | undefined;
  private closed = false;
  private failure: SmtpIoError | undefined;
  private readonly assembler = new ReplyAssembler();
  /** True once a read or write failed, or the server closed the connection. */
  broken = false;
  /** Last time data was read or written (ms), for "no I/O for a while" decisions. */
  lastIo = Date.now();
  tls: TLSSocket | undefined;

  constructor(socket: Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  private attach(s: Socket | TLSSocket): void {
    s.on("data", this.onData);
    s.on("end", this.onEnd);
    s.on("close", this.onEnd);
    s.on("error", this.onError);
  }

  private detach(s: Socket | TLSSocket): void {
    s.off("data", this.onData);
    s.off("end", this.onEnd);
    s.off("close", this.onEnd);
    s.off("error", this.onError);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.lastIo = Date.now();
    let b = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    let start = 0;
    for (let nl = b.indexOf(10); nl >= 0; nl = b.indexOf(10, start)) {
      const end = nl > start && b[nl - 1] === 13 ? nl - 1 : nl;
      this.lines.push(b.toString("utf8", start, end));
      start = nl + 1;
    }
    b = b.subarray(start);
    this.buf = b.length > 0 ? Buffer.from(b) : undefined;
    // A server that sends an endless line is cut off at 64 KiB of it.
    if (this.buf && this.buf.length > 65536) {
      this.lines.push(this.buf.toString("utf8", 0, 65536));
      this.buf = undefined;
    }
    this.wake();
  };

  private readonly onEnd = (): void => {
    this.closed = true;
    this.wake();
  };

  private readonly onError = (): void => {
    this.closed = true;
    this.broken = true;
    this.wake();
  };

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve();
  }

  /** The next line from the server. */
  async readLine(timeoutMs: number): Promise<string> {
    if (this.failure) throw this.failure;
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.closed) {
        this.broken = true;
        throw (this.failure = new SmtpIoError("eof", "lost connection"));
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.broken = true;
        throw (this.failure = new SmtpIoError("timeout", "timed out"));
      }
      await new Promise<void>((resolve) => {
        const t = Number.isFinite(left) ? setTimeout(resolve, left) : undefined;
        this.waiter = {
          resolve: () => {
            if (t) clearTimeout(t);
            resolve();
          },
        };
      });
    }
  }

  /** The next complete reply (garbage lines included in its text, see reply.ts). */
  async readReply(timeoutMs: number): Promise<SmtpReply> {
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : 0;
    for (;;) {
      const line = await this.readLine(deadline > 0 ? Math.max(1, deadline - Date.now()) : 0);
      const r = this.assembler.push(line);
      if (r) return r;
    }
  }

  /** True when the server has sent something not yet read (a reply before we asked: pipelining misuse). */
  hasUnread(): boolean {
    return this.lines.length > 0 || (this.buf !== undefined && this.buf.length > 0);
  }

  /** Queues data for sending; resolves when it may be followed by more (waits for the socket to drain). */
  async write(data: string | Uint8Array, timeoutMs: number): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.closed || this.socket.destroyed) {
      this.broken = true;
      throw (this.failure = new SmtpIoError("eof", "lost connection"));
    }
    this.lastIo = Date.now();
    if (this.socket.write(data)) return;
    await new Promise<void>((resolve, reject) => {
      const s = this.socket;
      const t = timeoutMs > 0 ? setTimeout(() => finish(new SmtpIoError("timeout", "timed out")), timeoutMs) : undefined;
      const onDrain = () => finish();
      const onGone = () => finish(new SmtpIoError("eof", "lost connection"));
      const finish = (e?: SmtpIoError) => {
        if (t) clearTimeout(t);
        s.off("drain", onDrain);
        s.off("close", onGone);
        s.off("error", onGone);
        if (e) {
          this.broken = true;
          this.failure = e;
          reject(e);
        } else resolve();
      };
      s.on("drain", onDrain);
      s.on("close", onGone);
      s.on("error", onGone);
    });
  }

  /**
   * Switches to TLS over this connection (after the server's 220 to STARTTLS). Resolves with the TLS socket once
   * the handshake is done, whatever the verification result (the caller decides); rejects with SmtpIoError when
   * the handshake fails or times out.
   */
  startTls(opts: ConnectionOptions, timeoutMs: number): Promise<TLSSocket> {
    // Whatever the server sent after its 220 in plaintext must not be read as if it came through TLS.
    this.lines = [];
    this.buf = undefined;
    const raw = this.socket as Socket;
    this.detach(raw);
    return new Promise((resolve, reject) => {
      let done = false;
      const t = tlsConnect({ ...opts, socket: raw });
      const timer = timeoutMs > 0 ? setTimeout(() => finish(new SmtpIoError("timeout", "timed out")), timeoutMs) : undefined;
      const finish = (e?: Error) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        if (e) {
          this.broken = true;
          this.closed = true;
          t.destroy();
          raw.destroy();
          reject(e instanceof SmtpIoError ? e : new SmtpIoError("eof", e.message));
          return;
        }
        this.socket = t;
        this.tls = t;
        this.attach(t);
        resolve(t);
      };
      t.once("secureConnect", () => finish());
      t.once("error", (e) => finish(e));
      t.once("close", () => finish(new SmtpIoError("eof", "lost connection")));
    });
  }

  /** The local and remote addresses (for logs). */
  remote(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** Closes gracefully (after pending writes). */
  end(): void {
    this.closed = true;
    this.socket.end();
    const s = this.socket;
    setTimeout(() => s.destroy(), 1000).unref?.();
  }

  /** Closes at once. */
  destroy(): void {
    this.closed = true;
    this.broken = true;
    this.socket.destroy();
  }

  /** True when the server closed the connection or it broke. */
  isClosed(): boolean {
    return this.closed || this.broken || this.socket.destroyed;
  }
}
