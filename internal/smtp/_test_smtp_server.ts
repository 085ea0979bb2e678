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
 *
 * With `auth`, the server offers SMTP AUTH (RFC 4954) as Postfix's smtpd with Cyrus SASL does: `AUTH PLAIN LOGIN
 * CRAM-MD5` in the EHLO reply (`mechanisms` changes the list; `afterTls` offers it only after STARTTLS; `oldStyle`
 * adds the `AUTH=` line of old clients), PLAIN (with or without an initial response), LOGIN (`334 VXNlcm5hbWU6`,
 * `334 UGFzc3dvcmQ6`) and CRAM-MD5 (RFC 2195) against `users` (name → password), `235 2.7.0 Authentication
 * successful` or `535 5.7.8 Error: authentication failed: authentication failure`. Client responses are kept in
 * `commands` like commands; the session's `auth` and each message's `auth` tell who logged in with what. Without
 * `auth` the server does not know AUTH at all (502), as before.
 */
import { createServer, type Server, type Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { createHmac } from "node:crypto";
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
  /** Who had logged in (SMTP AUTH) when the message was sent. */
  auth?: TestAuth;
}

/** A successful SMTP AUTH. */
export interface TestAuth {
  mechanism: string;
  username: string;
  /** The PLAIN authorization identity ("" when none was sent). */
  authzid: string;
}

/** SMTP AUTH settings of the test server. */
export interface TestAuthOptions {
  /** Accepted credentials: user name → password. */
  users: Record<string, string>;
  /** Advertised mechanisms, in this order; default PLAIN, LOGIN, CRAM-MD5. Unknown names are offered but refused (504). */
  mechanisms?: string[];
  /** Offer AUTH only in a TLS session. */
  afterTls?: boolean;
  /** Also send the old-style `AUTH=…` EHLO line ("only": send just that one). */
  oldStyle?: boolean | "only";
  /** The CRAM-MD5 challenge; default `<1896.697170952@HOSTNAME>` (RFC 2195's form). */
  challenge?: string;
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
  /** Offer SMTP AUTH (see the header). */
  auth?: TestAuthOptions;
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
  /** Set by a successful AUTH. */
  auth?: TestAuth;
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
    // An AUTH dialog in progress: the mechanism, and what the next client response is.
    let authStep: { mech: string; expect: "plain" | "login-user" | "login-pass" | "cram"; user?: string; challenge?: string } | undefined;
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
        if (s.auth) msg.auth = { ...s.auth };
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
      if (authStep) return authResponse(line);
      const over = opts.reply?.(line, s);
      const verb = line.split(" ")[0]!.toUpperCase();
      const arg = line.slice(verb.length).trim();
      switch (verb) {
        case "EHLO":
        case "LHLO": {
          s.helo = arg;
          const kw = [...keywords, ...(opts.tls && !s.tls ? ["STARTTLS"] : []), ...authKeywords()];
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
          s.auth = undefined;
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
        case "AUTH":
          if (over !== undefined || !authOffered()) return send(over, "502 5.5.2 Error: command not recognized");
          return authStart(arg);
        case "QUIT":
          send(over, "221 2.0.0 Bye");
          closed = true;
          io.end();
          return false;
        default:
          return send(over, "502 5.5.2 Error: command not recognized");
      }
    };
    const authOffered = () => opts.auth !== undefined && (!opts.auth.afterTls || s.tls);
    const authKeywords = (): string[] => {
      if (!authOffered()) return [];
      const list = (opts.auth!.mechanisms ?? ["PLAIN", "LOGIN", "CRAM-MD5"]).join(" ");
      const old = opts.auth!.oldStyle;
      return old === "only" ? [`AUTH=${list}`] : old ? [`AUTH ${list}`, `AUTH=${list}`] : [`AUTH ${list}`];
    };
    const b64 = (t: string) => Buffer.from(t, "latin1").toString("base64");
    const unb64 = (t: string) => Buffer.from(t, "base64").toString("latin1");
    const authDone = (mech: string, user: string, pass: string, authzid = ""): boolean => {
      authStep = undefined;
      if (opts.auth!.users[user] === pass && (authzid === "" || authzid === user)) {
        s.auth = { mechanism: mech, username: user, authzid };
        return send(undefined, "235 2.7.0 Authentication successful");
      }
      return send(undefined, "535 5.7.8 Error: authentication failed: authentication failure");
    };
    const authStart = (arg: string): boolean => {
      if (s.auth) return send(undefined, "503 5.5.1 Error: already authenticated");
      if (s.mailFrom !== undefined) return send(undefined, "503 5.5.1 Error: MAIL transaction in progress");
      const [mechArg = "", initial] = arg.split(/ +/);
      const mech = mechArg.toUpperCase();
      if (!(opts.auth!.mechanisms ?? ["PLAIN", "LOGIN", "CRAM-MD5"]).some((m) => m.toUpperCase() === mech) || !["PLAIN", "LOGIN", "CRAM-MD5"].includes(mech)) {
        return send(undefined, "504 5.5.4 Unrecognized authentication type");
      }
      if (mech === "PLAIN") {
        authStep = { mech, expect: "plain" };
        return initial === undefined ? send(undefined, "334 ") : authResponse(initial);
      }
      if (mech === "LOGIN") {
        authStep = { mech, expect: "login-user" };
        return initial === undefined ? send(undefined, `334 ${b64("Username:")}`) : authResponse(initial);
      }
      const challenge = opts.auth!.challenge ?? `<1896.697170952@${name}>`;
      authStep = { mech, expect: "cram", challenge };
      return send(undefined, `334 ${b64(challenge)}`);
    };
    const authResponse = (line: string): boolean => {
      const st = authStep!;
      if (line === "*") {
        authStep = undefined;
        return send(undefined, "501 5.7.0 Authentication aborted");
      }
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(line)) {
        authStep = undefined;
        return send(undefined, "501 5.5.2 Cannot decode response");
      }
      const text = unb64(line);
      if (st.expect === "plain") {
        const [authzid = "", user = "", pass = ""] = text.split("\0");
        return authDone(st.mech, user, pass, authzid);
      }
      if (st.expect === "login-user") {
        authStep = { ...st, expect: "login-pass", user: text };
        return send(undefined, `334 ${b64("Password:")}`);
      }
      if (st.expect === "login-pass") return authDone(st.mech, st.user!, text);
      const sp = text.lastIndexOf(" ");
      const user = text.slice(0, sp);
      const pass = opts.auth!.users[user];
      const want = pass === undefined ? undefined : createHmac("md5", pass).update(st.challenge!).digest("hex");
      return authDone(st.mech, user, want !== undefined && text.slice(sp + 1) === want ? pass! : "\0wrong");
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
