/**
 * _test_client — a small SMTP client for tests: connects from any 127.0.0.x address, sends command lines or raw
 * bytes, and reads whole (multi-line) replies. Tests only; never imported by the binary.
 */
import net, { type Socket } from "node:net";
import tls from "node:tls";

/** One test connection. */
export class TestSmtpClient {
  private buf = "";
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(public sock: Socket) {
    this.attach(sock);
  }

  private attach(sock: Socket): void {
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      this.buf += d;
      this.wake();
    });
    sock.on("close", () => {
      this.closed = true;
      this.wake();
    });
    sock.on("error", () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Connects to 127.0.0.1:`port` from `localAddress` (default 127.0.0.1). */
  static connect(port: number, localAddress = "127.0.0.1"): Promise<TestSmtpClient> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: "127.0.0.1", port, localAddress });
      sock.once("connect", () => resolve(new TestSmtpClient(sock)));
      sock.once("error", reject);
    });
  }

  /** Reads one reply (all its lines, joined with \n); "" when the connection closed first. */
  async reply(timeoutMs = 10000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.buf.split("\r\n");
      for (let i = 0; i < lines.length - 1; i++) {
        if (/^\d{3} /.test(lines[i]!) || /^\d{3}$/.test(lines[i]!)) {
          const out = lines.slice(0, i + 1).join("\n");
          this.buf = lines.slice(i + 1).join("\r\n");
          return out;
        }
      }
      if (this.closed) return "";
      if (Date.now() > end) throw new Error(`no reply within ${timeoutMs} ms (have ${JSON.stringify(this.buf.slice(0, 200))})`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  /** Sends raw bytes. */
  write(data: string | Uint8Array): void {
    this.sock.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /** Sends one command line and reads its reply. */
  async cmd(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** Upgrades to TLS after a `220 Ready to start TLS` (certificate not verified); `opts` adds e.g. a client cert. */
  async startTls(opts: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
    const raw = this.sock;
    raw.removeAllListeners("data");
    const t = tls.connect({ socket: raw, rejectUnauthorized: false, servername: "localhost", ...opts });
    await new Promise<void>((resolve, reject) => {
      t.once("secureConnect", () => resolve());
      t.once("error", reject);
    });
    this.buf = "";
    this.sock = t;
    this.attach(t);
    return t;
  }

  /** Closes the connection. */
  close(): void {
    this.sock.destroy();
  }

  /** Waits until the server closes the connection. */
  async waitClosed(timeoutMs = 10000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }
}

/** A free TCP port on 127.0.0.1 (bound and released; good enough for tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}
