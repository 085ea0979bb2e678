/**
 * _test_smtp_server — a scriptable SMTP/LMTP server for tests of the smtp and lmtp delivery agents (TCP on a
 * 127.0.0.x address, or a UNIX socket), with STARTTLS when given a key and certificate. By default it behaves like
 * a well-mannered Postfix smtpd (PIPELINING, SIZE, 8BITMIME, DSN, ENHANCEDSTATUSCODES) and keeps every message;
 * `reply` overrides the answer to any command, to make faults: refusals, 4xx/5xx at any stage, silence (timeouts),
 * a dropped connection, a malformed reply. Tests only; never imported by the binary.
 *
 *   const srv = await startTestSmtpServer({ reply: (cmd) => cmd.startsWith("RCPT TO:<bad") ? "550 5.1.1 no such user" : undefined });
 *   srv.port, srv.messages[0].rcpts, srv.commands
 *
 * A reply is a string (sent as is; use "\r\n"-joined lines for a multi-line reply), `DROP` (close the connection
 * without a reply), `SILENT` (no answer to this or any later command) or undefined (the default answer). `greeting` works the same way for
 * the banner.
 */
import { createServer, type Server, type Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { chmodSync, unlinkSync } from "node:fs";

/** Close the connection instead of replying. */
export const DROP = "\0drop";
/** Never reply (the client must time out). */
export const SILENT = "\0silent";

/** One finished mail transaction. */
export interface TestMessage {
  helo: string;
  mailFrom: string;
  rcpts: string[];
  /** The DATA text as received, dot-unstuffed, with CRLF line ends, without the final ".". */
  data: string;
  tls: boolean;
  session: number;
}

/** What a test can set. */
export interface TestSmtpOptions {
  host?: string;
  port?: number;
  /** Listen on this UNIX socket instead of TCP. */
  unixPath?: string;
  lmtp?: boolean;
  hostname?: string;
  greeting?: string;
  /** EHLO keywords after the hostname line; default PIPELINING, SIZE 10240000, 8BITMIME, DSN, ENHANCEDSTATUSCODES. */
  ehloKeywords?: string[];
  /** Offer STARTTLS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  /** Overrides the reply to a command line (or to end of data: cmd is "."; in LMTP, once per accepted recipient, with `rcpt`). */
  reply?: (cmd: string, s: TestSession, rcpt?: string) => string | undefined;
}

/** What the server knows of one connection. */
export interface TestSession {
  id: number;
  helo: string;
  tls: boolean;
  mailFrom: string | undefined;
  rcpts: string[];
  /** The client's address. */
  remote: string;
}

/** A running test server. */
export interface TestSmtpServer {
  host: string;
  port: number;
  messages: TestMessage[];
  /** Every command line received, with the session number: `1 MAIL FROM:<a@b>`. */
  commands: string[];
  /** Sessions opened so far. */
  sessions(): number;
  /** The sessions themselves. */
  sessionList: TestSession[];
  close(): Promise<void>;
}

/** Starts the server. */
export async function startTestSmtpServer(opts: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const host = opts.host ?? "127.0.0.1";
  const name = opts.hostname ?? "sink.example.test";
  const messages: TestMessage[] = [];
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  let sessionCount = 0;
  const sessionList: TestSession[] = [];
  const keywords = opts.ehloKeywords ?? ["PIPELINING", "SIZE 10240000", "8BITMIME", "DSN", "ENHANCEDSTATUSCODES"];

  const server: Server = createServer((raw) => {
    sockets.add(raw);
    raw.on("close", () => sockets.delete(raw));
    raw.on("error", () => {});
    const s: TestSession = { id: ++sessionCount, helo: "", tls: false, mailFrom: undefined, rcpts: [], remote: raw.remoteAddress ?? "" };
    sessionList.push(s);
    let io: Socket = raw;
    let buf = "";
    let inData = false;
    let data: string[] = [];
    let closed = false;
    const send = (text: string | undefined, fallback: string): boolean => {
      const t = text ?? fallback;
      if (t === SILENT) {
        // The session goes quiet for good: later commands get no answer either.
        closed = true;
        return false;
      }
      if (t === DROP) {
        closed = true;
        io.destroy();
        raw.destroy();
        return false;
      }
      io.write(`${t}\r\n`);
      return true;
    };
    const onLine = (line: string): boolean => {
      if (inData) {
        if (line !== ".") {
          data.push(line.startsWith(".") ? line.slice(1) : line);
          return true;
        }
        inData = false;
        const text = data.length ? `${data.join("\r\n")}\r\n` : "";
        data = [];
        commands.push(`${s.id} .`);
        const msg: TestMessage = { helo: s.helo, mailFrom: s.mailFrom ?? "", rcpts: [...s.rcpts], data: text, tls: s.tls, session: s.id };
        let ok = true;
        if (opts.lmtp) {
          let any = false;
          for (const r of s.rcpts) {
            const t = opts.reply?.(".", s, r);
            if (t === undefined || t.startsWith("2")) any = true;
            if (!send(t, `250 2.0.0 <${r}> Ok`)) return false;
          }
          if (any) messages.push(msg);
        } else {
          const t = opts.reply?.(".", s);
          ok = send(t, "250 2.0.0 Ok: queued as TEST");
          if (ok && (t === undefined || t.startsWith("2"))) messages.push(msg);
        }
        s.mailFrom = undefined;
        s.rcpts = [];
        return ok;
      }
      commands.push(`${s.id} ${line}`);
      const over = opts.reply?.(line, s);
      const verb = line.split(" ")[0]!.toUpperCase();
      const arg = line.slice(verb.length).trim();
      switch (verb) {
        case "EHLO":
        case "LHLO": {
          s.helo = arg;
          const kw = [...keywords, ...(opts.tls && !s.tls ? ["STARTTLS"] : [])];
          const lines = [name, ...kw];
          return send(over, lines.map((l, i) => `250${i === lines.length - 1 ? " " : "-"}${l}`).join("\r\n"));
        }
        case "HELO":
          s.helo = arg;
          return send(over, `250 ${name}`);
        case "STARTTLS": {
          if (!opts.tls || s.tls) return send(over, "502 5.5.1 Error: command not implemented");
          if (!send(over, "220 2.0.0 Ready to start TLS")) return false;
          if (over !== undefined && !over.startsWith("220")) return true;
          buf = "";
          raw.removeListener("data", onData);
          const t = new TLSSocket(raw, { isServer: true, key: opts.tls.key, cert: opts.tls.cert });
          t.on("error", () => raw.destroy());
          s.tls = true;
          s.helo = "";
          io = t as unknown as Socket;
          t.on("data", onData);
          return false;
        }
        case "MAIL":
          if (over === undefined) s.mailFrom = /<([^>]*)>/.exec(arg)?.[1] ?? "";
          else if (over.startsWith("2")) s.mailFrom = /<([^>]*)>/.exec(arg)?.[1] ?? "";
          return send(over, "250 2.1.0 Ok");
        case "RCPT": {
          const r = /<([^>]*)>/.exec(arg)?.[1] ?? "";
          if (over === undefined || over.startsWith("2")) s.rcpts.push(r);
          return send(over, "250 2.1.5 Ok");
        }
        case "DATA":
          if (over !== undefined && !over.startsWith("3")) return send(over, "");
          if (s.rcpts.length === 0) return send(over, "554 5.5.1 Error: no valid recipients");
          inData = true;
          return send(over, "354 End data with <CR><LF>.<CR><LF>");
        case "RSET":
          s.mailFrom = undefined;
          s.rcpts = [];
          return send(over, "250 2.0.0 Ok");
        case "NOOP":
          return send(over, "250 2.0.0 Ok");
        case "QUIT":
          send(over, "221 2.0.0 Bye");
          closed = true;
          io.end();
          return false;
        default:
          return send(over, "502 5.5.2 Error: command not recognized");
      }
    };
    const onData = (chunk: Buffer) => {
      if (closed) return;
      buf += chunk.toString("latin1");
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, "");
        buf = buf.slice(nl + 1);
        if (!onLine(line)) return;
      }
    };
    raw.on("data", onData);
    const g = opts.greeting;
    if (g === SILENT) return;
    send(g, `220 ${name} ${opts.lmtp ? "LMTP" : "ESMTP"} Postfix`);
  });

  let port = 0;
  if (opts.unixPath) {
    try {
      unlinkSync(opts.unixPath);
    } catch {
      // none
    }
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.unixPath, () => resolve());
    });
    // agents of a root-run test instance run as mail_owner
    chmodSync(opts.unixPath, 0o666);
  } else {
    port = await new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, host, () => resolve((server.address() as { port: number }).port));
    });
  }
  return {
    host, port, messages, commands,
    sessions: () => sessionCount,
    sessionList,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
