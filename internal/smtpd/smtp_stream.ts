/**
 * smtp_stream — the line-oriented I/O of one SMTP session (Postfix's smtp_stream.c and the VSTREAM under it):
 * bounded line reads with a time limit, buffered replies flushed only when the server is about to wait for the
 * client (so pipelined commands get their replies in one write), and the switch to TLS.
 *
 * Input arrives as chunks, pushed by the transport (a TCP or TLS socket through attachSocket(), or any byte
 * source through push()/end(), as `sendmail -bs` does with stdin). Memory stays bounded: the transport is paused
 * while more than HIGH_WATER bytes wait unread, whatever the client sends.
 *
 * readLine(bound) is smtp_get(): it returns at most `bound` bytes of the next line without its terminator
 * (CRLF, or a bare LF, which is reported), `complete` false when the line was longer (the caller skips the rest
 * with skipLine() for commands, or reads on for message content). A CR right at the bound that is followed by LF
 * still ends the line. Trailing CRs are stripped as Postfix does.
 *
 * Contract: a read throws SmtpTimeoutError when nothing completes a line within the time limit, SmtpEofError
 * when the client is gone; writes never throw (a broken connection shows up as EOF on the next read).
 */
import type { Socket } from "node:net";
import { PostkitError } from "../sys/errors.ts";

/** The client did not send a complete line within the time limit. */
export class SmtpTimeoutError extends PostkitError {
  readonly code = "timeout";
  constructor() {
    super("timeout", { temporary: true });
  }
}

/** The client closed the connection (or it broke). */
export class SmtpEofError extends PostkitError {
  readonly code = "eof";
  constructor() {
    super("lost connection", { temporary: true });
  }
}

/** One line read by readLine(). */
export interface SmtpLine {
  /** The bytes of the line, terminator removed. */
  data: Buffer;
  /** True when the line ended within the bound (false: more of it follows). */
  complete: boolean;
  /** True when the line ended in a bare LF rather than CRLF. */
  bareLf: boolean;
}

const HIGH_WATER = 256 * 1024;
const EMPTY = Buffer.alloc(0);

/** Where replies go and how the transport is paused. */
export interface SmtpSink {
  write(data: Buffer): void;
  pause?(): void;
  resume?(): void;
  close?(): void;
}

/** The I/O of one session; see the header. */
export class SmtpStream {
  private buf: Buffer = EMPTY;
  private pos = 0;
  private eof = false;
  private waiter: (() => void) | undefined;
  private out: string[] = [];
  private paused = false;
  private sink: SmtpSink;
  private detach: (() => void) | undefined;
  /** Milliseconds a read may wait (smtpd_timeout). */
  timeoutMs: number;
  /** Bytes received so far (for `lost connection after DATA (N bytes)`). */
  bytesIn = 0;
  /** Set once the peer is gone or a write failed. */
  broken = false;
  /** The node:net socket input comes from, when attachSocket() was used. */
  socket: Socket | undefined;
  /** What the transport needs to switch to TLS (set by the server that created the stream). */
  transport: unknown;
  /** NAME[ADDR] of the peer, for log lines written below the session. */
  peer = "";

  constructor(sink: SmtpSink, timeoutMs: number) {
    this.sink = sink;
    this.timeoutMs = timeoutMs;
  }

  /** A stream on a connected socket. */
  static fromSocket(sock: Socket, timeoutMs: number): SmtpStream {
    const s = new SmtpStream(SmtpStream.socketSink(sock), timeoutMs);
    s.attachSocket(sock);
    return s;
  }

  private static socketSink(sock: Socket): SmtpSink {
    return {
      write: (d) => {
        if (!sock.destroyed) sock.write(d);
      },
      pause: () => sock.pause(),
      resume: () => sock.resume(),
      close: () => {
        sock.end();
        setTimeout(() => sock.destroy(), 1000).unref?.();
      },
    };
  }

  /** Takes input from `sock` (and replaces the output side with it); the previous source is detached. */
  attachSocket(sock: Socket): void {
    this.detach?.();
    const onData = (d: Buffer) => this.push(d);
    const onEnd = () => this.end();
    const onError = () => {
      this.broken = true;
      this.end();
    };
    sock.on("data", onData);
    sock.on("end", onEnd);
    sock.on("close", onEnd);
    sock.on("error", onError);
    this.socket = sock;
    this.detach = () => {
      sock.off("data", onData);
      sock.off("end", onEnd);
      sock.off("close", onEnd);
      sock.off("error", onError);
    };
    this.sink = SmtpStream.socketSink(sock);
    this.eof = false;
  }

  /** Replaces where replies go (after a transport switch such as STARTTLS). */
  setSink(sink: SmtpSink): void {
    this.sink = sink;
    this.eof = false;
  }

  /** Stops listening to the current socket (before it is wrapped in TLS). */
  detachSocket(): void {
    this.detach?.();
    this.detach = undefined;
  }

  /** Input from the transport. */
  push(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
      this.pos = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
      this.pos = 0;
    }
    if (!this.paused && this.buf.length - this.pos > HIGH_WATER) {
      this.paused = true;
      this.sink.pause?.();
    }
    this.wake();
  }

  /** End of input. */
  end(): void {
    this.eof = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Bytes received but not yet read (pipelined input). */
  pending(): number {
    return this.buf.length - this.pos;
  }

  /** The first `n` unread bytes (for logging pipelined input). */
  peek(n: number): Buffer {
    return this.buf.subarray(this.pos, Math.min(this.buf.length, this.pos + n));
  }

  /** Throws away unread input (after STARTTLS: CVE-2011-0411). */
  discardInput(): void {
    this.buf = EMPTY;
    this.pos = 0;
  }

  /** Queues one reply line (without CRLF). */
  reply(line: string): void {
    this.out.push(line, "\r\n");
  }

  /** Forgets the replies queued and not yet sent (a session that ends without a word). */
  discardOutput(): void {
    this.out = [];
  }

  /** Sends queued replies now. */
  flush(): void {
    if (this.out.length === 0) return;
    const data = Buffer.from(this.out.join(""), "latin1");
    this.out = [];
    try {
      this.sink.write(data);
    } catch {
      this.broken = true;
    }
  }

  /** Flushes and closes the output side. */
  close(): void {
    this.flush();
    this.detachSocket();
    try {
      this.sink.close?.();
    } catch {
      // already gone
    }
  }

  private consumed(): void {
    if (this.paused && this.buf.length - this.pos < HIGH_WATER / 2) {
      this.paused = false;
      this.sink.resume?.();
    }
  }

  /** Waits for more input (flushing replies first); throws on timeout or EOF. */
  private async more(): Promise<void> {
    if (this.eof) throw new SmtpEofError();
    this.flush();
    if (this.paused) {
      this.paused = false;
      this.sink.resume?.();
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timedOut = false;
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
      timer = setTimeout(() => {
        timedOut = true;
        this.wake();
      }, this.timeoutMs);
    });
    clearTimeout(timer);
    if (timedOut) throw new SmtpTimeoutError();
  }

  /** smtp_get(): the next line, at most `bound` bytes; see the header. */
  async readLine(bound: number): Promise<SmtpLine> {
    for (;;) {
      const avail = this.buf.length - this.pos;
      const scan = Math.min(avail, bound + 1);
      const nl = this.buf.indexOf(10, this.pos);
      if (nl >= 0 && nl - this.pos < scan) {
        const start = this.pos;
        this.pos = nl + 1;
        this.consumed();
        let end = nl;
        const bareLf = end === start || this.buf[end - 1] !== 13;
        while (end > start && this.buf[end - 1] === 13) end--;
        return { data: this.buf.subarray(start, end), complete: true, bareLf };
      }
      if (avail >= bound) {
        // the bound is reached; a CR exactly there that is followed by LF still ends the line
        const start = this.pos;
        if (this.buf[start + bound - 1] === 13) {
          if (avail === bound && !this.eof) {
            await this.more();
            continue;
          }
          if (this.buf[start + bound] === 10) {
            this.pos = start + bound + 1;
            this.consumed();
            let end = start + bound;
            while (end > start && this.buf[end - 1] === 13) end--;
            return { data: this.buf.subarray(start, end), complete: true, bareLf: false };
          }
        }
        this.pos = start + bound;
        this.consumed();
        return { data: this.buf.subarray(start, start + bound), complete: false, bareLf: false };
      }
      if (this.eof) {
        if (avail > 0) {
          // a last line without terminator is lost with the connection, as in Postfix
          this.pos = this.buf.length;
        }
        throw new SmtpEofError();
      }
      await this.more();
    }
  }

  /** Skips input up to and including the next LF (the rest of an over-long command line). */
  async skipLine(): Promise<void> {
    for (;;) {
      const nl = this.buf.indexOf(10, this.pos);
      if (nl >= 0) {
        this.pos = nl + 1;
        this.consumed();
        return;
      }
      this.pos = this.buf.length;
      this.consumed();
      await this.more();
    }
  }

  /** Reads exactly `n` bytes (BDAT chunks), handing them to `sink` as they arrive. */
  async readExact(n: number, sink: (b: Buffer) => void): Promise<void> {
    let left = n;
    while (left > 0) {
      const avail = this.buf.length - this.pos;
      if (avail === 0) {
        await this.more();
        continue;
      }
      const take = Math.min(avail, left);
      sink(this.buf.subarray(this.pos, this.pos + take));
      this.pos += take;
      left -= take;
      this.consumed();
    }
  }
}
