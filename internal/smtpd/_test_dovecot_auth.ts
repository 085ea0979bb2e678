/**
 * _test_dovecot_auth — a fake Dovecot auth server for tests: the client side of Dovecot's auth protocol on a
 * UNIX socket, answering as Dovecot 2.3's auth process does (checked line by line against dovecot 2.3.19's
 * auth-client socket): on connect `VERSION 1 2`, one `MECH` line per mechanism with its properties, `SPID`,
 * `CUID`, `COOKIE`, `DONE`; PLAIN (with `resp=` or after an empty `CONT id` challenge) and LOGIN (`CONT id
 * VXNlcm5hbWU6`, `CONT id UGFzc3dvcmQ6`) checked against `users`, ANONYMOUS (always `user=anonymous`); then `OK id
 * user=NAME`, or `FAIL id user=NAME` for a wrong password (Dovecot gives no reason; `failReason` adds one), `FAIL
 * id` for a malformed PLAIN response, `FAIL id code=invalid_base64 reason=Invalid base64 data in continued
 * response`, `FAIL id reason=Unexpected continuation`. A mechanism it does not offer ends the connection, as
 * Dovecot does ("BUG: … requested unsupported authentication mechanism"). Tests only; never imported by the binary.
 *
 *   const auth = await startTestDovecotAuth({ users: { alice: "secret" } });
 *   auth.path, auth.lines (what clients sent), auth.connections
 *
 * Faults: `handshake` "version2" (major version 2), "badversion" (`VERSION x`), "master" (VERSION and SPID only,
 * as an auth-master socket), "eof" (closes at once), "silent" (never answers); `tempFail` users get `FAIL id
 * user=NAME temp reason=…`; `behave(user, mech)` may make the server drop the connection ("drop") or never answer
 * ("silent") instead of answering a request.
 */
import { createServer, type Server, type Socket } from "node:net";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One mechanism the fake server offers. */
export interface TestMech {
  name: string;
  props: string[];
}

/** Options of startTestDovecotAuth(). */
export interface TestDovecotOptions {
  /** The socket path; default a new one in a temporary directory. */
  path?: string;
  /** Accepted credentials: user name → password. */
  users?: Record<string, string>;
  /** Offered mechanisms; default PLAIN and LOGIN (plaintext). */
  mechanisms?: TestMech[];
  /** A reason= for a wrong password (Dovecot sends none). */
  failReason?: string;
  /** Users whose authentication fails temporarily. */
  tempFail?: string[];
  /** A broken handshake; see the header. */
  handshake?: "normal" | "version2" | "badversion" | "master" | "eof" | "silent";
  /** Answer a request otherwise; see the header. */
  behave?: (user: string | undefined, mech: string) => "drop" | "silent" | undefined;
  /** Delay before a FAIL, as Dovecot's auth_failure_delay (default 0). */
  failDelayMs?: number;
}

/** A running fake server. */
export interface TestDovecotAuth {
  path: string;
  /** Every line clients sent, in order (TABs kept). */
  lines: string[];
  /** Connections accepted so far. */
  connections: number;
  /** Closes every connection (the clients see the server go away), keeping the listener. */
  dropAll(): void;
  close(): Promise<void>;
}

export const DEFAULT_MECHS: TestMech[] = [
  { name: "PLAIN", props: ["plaintext"] },
  { name: "LOGIN", props: ["plaintext"] },
];

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** Starts a fake Dovecot auth server; see the header. */
export async function startTestDovecotAuth(opts: TestDovecotOptions = {}): Promise<TestDovecotAuth> {
  let dir: string | undefined;
  let path = opts.path;
  if (path === undefined) {
    dir = mkdtempSync(join(tmpdir(), "dovecot-auth-"));
    chmodSync(dir, 0o755);
    path = join(dir, "auth-client");
  }
  const mechs = opts.mechanisms ?? DEFAULT_MECHS;
  const users = opts.users ?? {};
  const socks = new Set<Socket>();
  const state: TestDovecotAuth = {
    path,
    lines: [],
    connections: 0,
    dropAll: () => {
      for (const s of socks) s.destroy();
    },
    close: async () => {
      state.dropAll();
      await new Promise<void>((r) => server.close(() => r()));
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  let cuid = 0;
  const server: Server = createServer((sock) => {
    socks.add(sock);
    sock.on("close", () => socks.delete(sock));
    sock.on("error", () => {});
    state.connections++;
    cuid++;
    const hs = opts.handshake ?? "normal";
    if (hs === "eof") {
      sock.destroy();
      return;
    }
    if (hs === "version2") sock.write("VERSION\t2\t0\n");
    else if (hs === "badversion") sock.write("VERSION\tx\n");
    else if (hs === "master") sock.write(`VERSION\t1\t2\nSPID\t${process.pid}\n`);
    else if (hs === "normal") {
      let t = "VERSION\t1\t2\n";
      for (const m of mechs) t += `MECH\t${[m.name, ...m.props].join("\t")}\n`;
      t += `SPID\t${process.pid}\nCUID\t${cuid}\nCOOKIE\t${"0123456789abcdef".repeat(2)}\nDONE\n`;
      sock.write(t);
    }
    // requests waiting for a CONT: id → what comes next
    const pending = new Map<string, { mech: string; step: "plain" | "login-user" | "login-pass"; user?: string }>();
    let buf = "";
    const send = (line: string, fail = false) => {
      if (fail && opts.failDelayMs) setTimeout(() => sock.write(`${line}\n`), opts.failDelayMs);
      else sock.write(`${line}\n`);
    };
    const check = (id: string, mech: string, user: string, password: string | undefined) => {
      const b = opts.behave?.(user, mech);
      if (b === "drop") {
        sock.destroy();
        return;
      }
      if (b === "silent") return;
      if (opts.tempFail?.includes(user)) return send(`FAIL\t${id}\tuser=${user}\ttemp\treason=Temporary authentication failure.`, true);
      if (password !== undefined && users[user] === password) return send(`OK\t${id}\tuser=${user}`);
      send(`FAIL\t${id}\tuser=${user}${opts.failReason ? `\treason=${opts.failReason}` : ""}`, true);
    };
    const plain = (id: string, data: string) => {
      const parts = Buffer.from(data, "base64").toString("utf8").split("\0");
      if (parts.length !== 3 || parts[1] === "" || (parts[0] !== "" && parts[0] !== parts[1])) return send(`FAIL\t${id}`, true);
      check(id, "PLAIN", parts[1]!, parts[2]!);
    };
    const onLine = (line: string) => {
      state.lines.push(line);
      if (hs === "silent") return;
      const f = line.split("\t");
      if (f[0] === "AUTH") {
        const id = f[1]!;
        const mech = (f[2] ?? "").toUpperCase();
        const resp = f.slice(3).find((p) => p.startsWith("resp="))?.slice(5);
        if (!mechs.some((m) => m.name.toUpperCase() === mech)) {
          sock.destroy(); // Dovecot: "BUG: Authentication client … requested unsupported authentication mechanism"
          return;
        }
        if (resp !== undefined && !/^[A-Za-z0-9+/=]*$/.test(resp)) return send(`FAIL\t${id}\tcode=invalid_base64\treason=Invalid base64 data in initial response`, true);
        if (mech === "ANONYMOUS") {
          const b = opts.behave?.(undefined, mech);
          if (b === "drop") return void sock.destroy();
          if (b !== "silent") send(`OK\t${id}\tuser=anonymous`);
          return;
        }
        if (mech === "PLAIN") {
          if (resp !== undefined && resp !== "") return plain(id, resp);
          pending.set(id, { mech, step: "plain" });
          return send(`CONT\t${id}\t`);
        }
        if (mech === "LOGIN") {
          if (resp !== undefined && resp !== "") {
            pending.set(id, { mech, step: "login-pass", user: Buffer.from(resp, "base64").toString("utf8") });
            return send(`CONT\t${id}\t${b64("Password:")}`);
          }
          pending.set(id, { mech, step: "login-user" });
          return send(`CONT\t${id}\t${b64("Username:")}`);
        }
        return send(`FAIL\t${id}`, true); // offered, but not implemented here
      }
      if (f[0] === "CONT") {
        const id = f[1]!;
        const data = f[2] ?? "";
        const p = pending.get(id);
        if (!p) return send(`FAIL\t${id}\treason=Unexpected continuation`);
        if (!/^[A-Za-z0-9+/=]*$/.test(data)) {
          pending.delete(id);
          return send(`FAIL\t${id}\tcode=invalid_base64\treason=Invalid base64 data in continued response`, true);
        }
        if (p.step === "plain") {
          pending.delete(id);
          return plain(id, data);
        }
        if (p.step === "login-user") {
          p.user = Buffer.from(data, "base64").toString("utf8");
          p.step = "login-pass";
          return send(`CONT\t${id}\t${b64("Password:")}`);
        }
        pending.delete(id);
        return check(id, "LOGIN", p.user ?? "", Buffer.from(data, "base64").toString("utf8"));
      }
    };
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      buf += d;
      for (;;) {
        const nl = buf.indexOf("\n");
        if (nl < 0) break;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        onLine(line);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o666); // as Dovecot's `mode = 0666` listener: smtpd may run as mail_owner
  return state;
}
