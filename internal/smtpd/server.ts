/**
 * server — the SMTP server process of one master.cf `inet … smtpd` service: accepts connections on the socket the
 * master passes in (or on an address of its own, for tests), looks up client names, enforces the per-client
 * connection count and rate limits (Postfix's anvil, done in-process), offers STARTTLS, queues messages through
 * cleanup with group commit, wakes the queue manager, and stops cleanly.
 *
 * Process model: one event-driven process serves every connection of its service (Postfix forks one smtpd per
 * connection, up to maxproc); per-connection memory is bounded by the stream's high-water mark and the 64 KiB
 * queue-file chunk.
 *
 * Client names (smtpd_peername_lookup): the address's name from getnameinfo() (PTR or /etc/hosts), kept only if
 * getaddrinfo() of that name gives the address back (else `warning: hostname N does not resolve to address A`
 * and the client is `unknown`); the reverse name stays for reject_unknown_reverse_client_hostname.
 *
 * SMTP AUTH (smtpd_sasl_auth_enable): the process has one SmtpdSasl (smtpd_sasl.ts), whose connection to the
 * Dovecot auth server all sessions share; the in-process anvil also counts AUTH commands per client address for
 * smtpd_client_auth_rate_limit (not for smtpd_client_event_limit_exceptions).
 *
 * TLS (smtpd_tls_security_level): STARTTLS with smtpd_tls_cert_file/key_file or smtpd_tls_chain_files. With
 * smtpd_tls_ask_ccert (or smtpd_tls_req_ccert and TLS required) the handshake asks for a client certificate,
 * verified against smtpd_tls_CAfile and smtpd_tls_CApath (no CAs: nothing is trusted) and, where the TLS library
 * hands over the chain, smtpd_tls_ccert_verifydepth. At smtpd_tls_loglevel 1 and up: `Anonymous|Trusted|Untrusted
 * TLS connection established from CLIENT: PROTO with cipher C (N/N bits) …`; at 2 and up also `CLIENT:
 * subject_CN=CN, issuer=ISSUER, fingerprint=FP, pkey_fingerprint=FP`; when a certificate is required and fails
 * verification, `certificate verification failed for CLIENT: self-signed certificate` (or `untrusted issuer
 * /CN=…`, `certificate has expired`, …). smtpd_tls_req_ccert without TLS required logs Postfix's `warning: Can't
 * require client certs unless TLS is required` and is ignored.
 *
 * Content filter: every message records this service's content_filter (so `-o content_filter=` on a re-injection
 * service turns it off), or the value of a FILTER action (cleanup.ts).
 *
 * Group commit: a finished queue file is renamed into incoming without its own fsync; the files finished within
 * one turn of the event loop are fsynced together on the thread pool, and only then does each session send its
 * `250 … queued as ID` (CleanupSink; ../shared/reference/bun.md §4).
 *
 * Stop (SIGTERM/SIGHUP from the master): the listener closes at once; sessions in the middle of a mail
 * transaction get up to STOP_GRACE_MS to finish, idle sessions are closed; then the process exits.
 */
import tls from "node:tls";
import type { Socket, SocketHandler, SocketListener } from "bun";
import { createPrivateKey, type X509Certificate } from "node:crypto";
import { close, closeSync, fsync, fsyncSync, openSync, readFileSync, readdirSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Config } from "../config/config.ts";
import { msgInfo, msgWarn } from "../log/msg.ts";
import { Cleanup, CleanupError } from "../cleanup/cleanup.ts";
import { requestQueueScan } from "../ipc/flush.ts";
import { QueueFileWriter, syncQueueFileSystem } from "../queue/index.ts";
import { SmtpStream, type SmtpSink } from "./smtp_stream.ts";
import { SmtpSession, openSessionTables, type ClientInfo, type MessageSink, type SinkRefusal, type MessageRequest, type OpenedMessage, type SessionEnv, type TlsInfo, type TlsSupport } from "./session.ts";
import { Restrictions } from "./restrictions.ts";
import { compileHostList, type HostList } from "./host_list.ts";
import { StubSmtpdResolver, systemPeerLookup, type PeerNameLookup, type SmtpdResolver } from "./smtpd_dns.ts";
import { SmtpdSasl } from "./smtpd_sasl.ts";
import { ccertDigest, loadClientCas, peerCert, type PeerCert } from "./ccert.ts";
import { proxyOptions } from "./smtpd_proxy.ts";

const STOP_GRACE_MS = 10_000;

/** Cleanup refusals as Postfix's cleanup_stat_detail() words them. */
export function cleanupRefusal(e: CleanupError): SinkRefusal {
  // a header/body check's REJECT: its own status and text, 550, or 451 for a 4.x.x status (Postfix's smtpd)
  if (e.content) return { code: e.temporary ? 451 : 550, dsn: e.dsn, text: e.message, verbatim: true };
  if (e.dsn === "5.3.4") return { code: 552, dsn: "5.3.4", text: "message file too big" };
  if (e.dsn.startsWith("5.4.")) return { code: 554, dsn: "5.4.0", text: "too many hops" };
  if (e.temporary || e.dsn.startsWith("4.")) return { code: 451, dsn: "4.3.0", text: "queue file write error" };
  return { code: 550, dsn: e.dsn, text: e.message };
}

/**
 * The message sink of a server process: cleanup, then group commit. Problem: one fsync of the file and one of its
 * directory per message bounds a single writer at a few hundred messages per second, and a synchronous syncfs(2)
 * stops every other session while it runs. Solution: files are finished without fsync; all files finished in one
 * turn of the event loop are fsynced together on the thread pool (the file system commits them in one journal
 * transaction) while the event loop goes on reading (a turn's only file is fsynced at once, see sync()); each
 * session answers `250` only after its batch is durable.
 * The incoming directory is not fsynced: a file's fsync after its rename makes its new name durable
 * (queue_writer.ts, "WHY ONE FSYNC, AFTER THE RENAME"), as Postfix's cleanup relies on too. A directory fsync
 * also holds the directory while the disk flushes, so the next queue file's create in incoming waited for it:
 * without it, 20 sessions are accepted ~10 % faster (bench/smtp.sh).
 */
export class CleanupSink implements MessageSink {
  private batch: { fd: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly cleanup: Cleanup,
    private readonly groupCommit = true,
  ) {}

  private sync(fd: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.batch.push({ fd, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        const batch = this.batch;
        this.batch = [];
        this.scheduled = false;
        if (batch.length === 1) {
          // one file: fsynced right here. Handing it to the pool costs two thread wake-ups and a wake-up of this
          // thread (one SMTP session: ~7 % of the accept rate); blocking the loop for one fsync instead changed
          // nothing measurable with 20 sessions
          const b = batch[0]!;
          let failure: unknown;
          try {
            fsyncSync(b.fd);
          } catch (e) {
            failure = e;
          }
          try {
            closeSync(b.fd); // (freeing a file the queue manager removed already: one small file, not worth a hand-off)
          } catch {
            // nothing to do
          }
          if (failure === undefined) b.resolve();
          else b.reject(failure);
          return;
        }
        // the close goes to the thread pool too: the queue manager may have taken the message and removed its file
        // already, and the last close of a removed file is where the kernel frees it
        const fsyncFd = (fd: number) =>
          new Promise<void>((res, rej) =>
            fsync(fd, (e) => {
              close(fd, () => {});
              if (e) rej(e);
              else res();
            }),
          );
        const work = batch.map((b) => fsyncFd(b.fd));
        Promise.all(work).then(
          () => {
            for (const b of batch) b.resolve();
          },
          (e) => {
            for (const b of batch) b.reject(e);
          },
        );
      });
    });
  }

  /** Starts the transaction's queue file in incoming (the queue ID exists from now on). */
  open(): OpenedMessage {
    return this.cleanup.createQueueFile();
  }

  async deliver(req: MessageRequest): Promise<{ queueId: string } | { refused: { code: number; dsn: string; text: string } }> {
    let r;
    try {
      r = await this.cleanup.process({
        ...(req.opened instanceof QueueFileWriter ? { file: req.opened } : {}),
        sender: req.sender,
        recipients: req.recipients,
        attributes: req.attributes,
        ...(req.senderAttributes ? { senderAttributes: req.senderAttributes } : {}),
        context: req.context,
        ...(req.arrival ? { arrival: req.arrival } : {}),
        content: req.content,
        prepend: req.prepend,
        onQueueId: req.onQueueId,
        durable: !this.groupCommit,
        // read by cleanup as it needs them: FILTER, HOLD and DISCARD of the end-of-data stage count too
        get filter() {
          return req.filter;
        },
        get hold() {
          return req.hold !== undefined;
        },
        get discard() {
          return req.discard;
        },
      });
    } catch (e) {
      if (e instanceof CleanupError) return { refused: cleanupRefusal(e) };
      throw e;
    }
    if (this.groupCommit && r.path !== undefined) {
      // open the file before anything else runs: the queue manager may move it out of incoming at any time
      let fd: number | undefined;
      try {
        fd = openSync(r.path, "r");
      } catch {
        // already moved on by the queue manager: commit the whole file system instead (rare)
        syncQueueFileSystem(dirname(dirname(r.path)));
      }
      try {
        if (fd !== undefined) await this.sync(fd);
      } catch (e) {
        // not durable: take the file back out of the queue rather than acknowledge it
        try {
          unlinkSync(r.path);
        } catch {
          // the queue manager may already have it; it is then delivered, possibly twice
        }
        msgWarn(`${r.queueId}: fsync queue file: ${(e as Error).message}`);
        return { refused: { code: 451, dsn: "4.3.0", text: "queue file write error" } };
      }
    }
    return { queueId: r.queueId };
  }
}

/**
 * Removes the half-written queue files (`incoming/USEC.PID`, queue_writer.ts) of processes that no longer exist:
 * what a killed smtpd (or any other writer) leaves behind. Such a file was never acknowledged and is never
 * scanned as a queue file; this only gives its space back.
 */
export function removeStaleTempFiles(queueDir: string): number {
  let n = 0;
  for (const q of ["incoming", "hold"]) {
    let names: string[];
    try {
      names = readdirSync(join(queueDir, q));
    } catch {
      continue;
    }
    for (const name of names) {
      const m = /^\d+\.(\d+)$/.exec(name);
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid === process.pid) continue;
      try {
        process.kill(pid, 0);
        continue; // still running
      } catch (e) {
        if ((e as { code?: string }).code === "EPERM") continue;
      }
      try {
        unlinkSync(join(queueDir, q, name));
        n++;
      } catch {
        // gone already
      }
    }
  }
  return n;
}

/** In-process anvil: concurrent connections and connection rate per client address and service. */
export class Anvil {
  private counts = new Map<string, number>();
  private rates = new Map<string, { start: number; n: number }>();
  private authRates = new Map<string, { start: number; n: number }>();
  private eventRates = new Map<string, { start: number; n: number }>();
  constructor(private readonly unitMs: number) {}

  connect(addr: string): { count: number; rate: number } {
    const count = (this.counts.get(addr) ?? 0) + 1;
    this.counts.set(addr, count);
    const now = Date.now();
    let r = this.rates.get(addr);
    if (!r || now - r.start >= this.unitMs) this.rates.set(addr, (r = { start: now, n: 0 }));
    r.n++;
    if (this.rates.size > 10_000) {
      for (const [k, v] of this.rates) if (now - v.start >= this.unitMs) this.rates.delete(k);
    }
    return { count, rate: r.n };
  }

  /** Counts an AUTH command of `addr`; its AUTH rate in the current time unit (smtpd_client_auth_rate_limit). */
  auth(addr: string): number {
    const now = Date.now();
    let r = this.authRates.get(addr);
    if (!r || now - r.start >= this.unitMs) this.authRates.set(addr, (r = { start: now, n: 0 }));
    r.n++;
    if (this.authRates.size > 10_000) {
      for (const [k, v] of this.authRates) if (now - v.start >= this.unitMs) this.authRates.delete(k);
    }
    return r.n;
  }

  /**
   * Counts a message ("mail"), recipient ("rcpt") or new TLS session ("newtls") of `addr` (with `count` false,
   * only looks); its rate in the current time unit.
   */
  event(kind: "mail" | "rcpt" | "newtls", addr: string, count = true): number {
    const now = Date.now();
    const key = `${kind} ${addr}`;
    let r = this.eventRates.get(key);
    if (!r || now - r.start >= this.unitMs) {
      r = { start: now, n: 0 };
      if (!count) return 0;
      this.eventRates.set(key, r);
    }
    if (count) r.n++;
    if (this.eventRates.size > 30_000) {
      for (const [k, v] of this.eventRates) if (now - v.start >= this.unitMs) this.eventRates.delete(k);
    }
    return r.n;
  }

  disconnect(addr: string): void {
    const n = (this.counts.get(addr) ?? 1) - 1;
    if (n <= 0) this.counts.delete(addr);
    else this.counts.set(addr, n);
  }
}

/** Finds the client's names (see the header). */
export async function lookupClient(addr: string, lookup: PeerNameLookup, enabled: boolean): Promise<Pick<ClientInfo, "name" | "reverseName" | "nameStatus" | "reverseNameStatus">> {
  if (!enabled) return { name: "unknown", reverseName: "unknown", nameStatus: "perm", reverseNameStatus: "perm" };
  const rev = await lookup.reverse(addr);
  if (rev.status !== "ok" || !rev.name) {
    return { name: "unknown", reverseName: "unknown", nameStatus: rev.status === "temp" ? "temp" : "perm", reverseNameStatus: rev.status === "temp" ? "temp" : "perm" };
  }
  const name = rev.name;
  const fwd = await lookup.forward(name);
  if (fwd.status !== "ok") {
    msgWarn(`hostname ${name} does not resolve to address ${addr}: ${fwd.status === "temp" ? "Temporary failure in name resolution" : "Name or service not known"}`);
    return { name: "unknown", reverseName: name, nameStatus: fwd.status === "temp" ? "temp" : "forged", reverseNameStatus: "ok" };
  }
  if (!fwd.addresses.includes(addr)) {
    msgWarn(`hostname ${name} does not resolve to address ${addr}`);
    return { name: "unknown", reverseName: name, nameStatus: "forged", reverseNameStatus: "ok" };
  }
  return { name, reverseName: name, nameStatus: "ok", reverseNameStatus: "ok" };
}

/** One connection on a Bun socket: the stream it feeds, and writes waiting for the socket to drain. */
interface Conn {
  sock: Socket<Conn>;
  stream?: SmtpStream;
  pending: Buffer[];
  closing: boolean;
  closed: boolean;
  /** The raw socket after STARTTLS: its data handler still sees the ciphertext and must ignore it (bun.md §7). */
  upgraded: boolean;
  tlsDone?: (r: true | string) => void;
  entry?: { close(): void; session?: SmtpSession };
}

function flushPending(c: Conn): void {
  while (c.pending.length > 0) {
    const b = c.pending[0]!;
    const n = c.sock.write(b);
    if (n < 0) {
      c.pending = [];
      break;
    }
    if (n < b.length) {
      c.pending[0] = b.subarray(n);
      return;
    }
    c.pending.shift();
  }
  if (c.closing && !c.closed) c.sock.end();
}

/** Replies to a Bun socket, with back-pressure (the rest is written on `drain`). */
function bunSink(c: Conn): SmtpSink {
  return {
    write: (d) => {
      if (c.closed) return;
      if (c.pending.length > 0) {
        c.pending.push(d);
        return;
      }
      const n = c.sock.write(d);
      if (n >= 0 && n < d.length) c.pending.push(d.subarray(n));
    },
    pause: () => c.sock.pause(),
    resume: () => c.sock.resume(),
    close: () => {
      c.closing = true;
      if (c.pending.length === 0 && !c.closed) c.sock.end();
      setTimeout(() => {
        if (!c.closed) c.sock.terminate();
      }, 1000).unref?.();
    },
  };
}

/** The server-side TLS of a service, from smtpd_tls_* (undefined when smtpd_tls_security_level is none/empty). */
export function makeTlsSupport(cfg: Config): TlsSupport | undefined {
  let level = cfg.get("smtpd_tls_security_level").trim();
  if (level === "") level = cfg.getBool("smtpd_enforce_tls") ? "encrypt" : cfg.getBool("smtpd_use_tls") ? "may" : "none";
  if (level === "none") return undefined;
  let cert: string;
  let key: string;
  const chain = cfg.getList("smtpd_tls_chain_files");
  try {
    if (chain.length > 0) {
      // each file holds a key and its certificate chain (Postfix's chain files)
      const pem = chain.map((f) => readFileSync(f, "utf8")).join("\n");
      key = pem.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/)?.[0] ?? "";
      cert = (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).join("\n");
    } else {
      const cf = cfg.get("smtpd_tls_cert_file");
      const kf = cfg.get("smtpd_tls_key_file") || cf;
      if (cf === "") {
        msgWarn("TLS library problem: no certificate file configured (smtpd_tls_cert_file); TLS disabled");
        return undefined;
      }
      cert = readFileSync(cf, "utf8");
      key = readFileSync(kf, "utf8");
    }
  } catch (e) {
    msgWarn(`cannot load certificate and private key: ${(e as Error).message}; TLS disabled`);
    return undefined;
  }
  let sigDetail = "";
  try {
    tls.createSecureContext({ cert, key }); // refuse a key that does not fit its certificate now, not per client
    const k = createPrivateKey(key);
    if (k.asymmetricKeyType === "rsa") sigDetail = `RSA-PSS (${k.asymmetricKeyDetails?.modulusLength ?? 2048} bits)`;
    else if (k.asymmetricKeyType === "ec") sigDetail = `ECDSA (${k.asymmetricKeyDetails?.namedCurve ?? "P-256"})`;
    else if (k.asymmetricKeyType) sigDetail = k.asymmetricKeyType.toUpperCase();
  } catch (e) {
    msgWarn(`cannot load certificate and private key: ${(e as Error).message}; TLS disabled`);
    return undefined;
  }
  const loglevel = cfg.getInt("smtpd_tls_loglevel");
  const timeoutMs = cfg.getTime("smtpd_starttls_timeout") * 1000;
  // client certificates: asked for with smtpd_tls_ask_ccert, or required (only with TLS required, as in Postfix)
  if (level !== "encrypt" && cfg.getBool("smtpd_tls_req_ccert")) msgWarn("Can't require client certs unless TLS is required");
  const requireCert = level === "encrypt" && cfg.getBool("smtpd_tls_req_ccert");
  const askCert = requireCert || cfg.getBool("smtpd_tls_ask_ccert");
  const digest = ccertDigest(cfg.get("smtpd_tls_fingerprint_digest"));
  const digestCompat = digest === "md5" && cfg.setValue("smtpd_tls_fingerprint_digest") === undefined;
  const verifyDepth = cfg.getInt("smtpd_tls_ccert_verifydepth");
  const cas = askCert ? loadClientCas(cfg.get("smtpd_tls_CAfile"), cfg.get("smtpd_tls_CApath")) : [];
  // an empty `ca` would mean Bun's default roots: an impossible CA keeps "no CAs configured" trusting nothing
  const tlsOpts = askCert ? { key, cert, requestCert: true, rejectUnauthorized: false, ...(cas.length > 0 ? { ca: cas } : { ca: [cert] }) } : { key, cert };
  return {
    required: level === "encrypt",
    requireCert,
    digestCompat,
    async start(stream: SmtpStream): Promise<TlsInfo | { error: string }> {
      const c = stream.transport as Conn | undefined;
      if (!c || c.closed) return { error: "lost connection" };
      const ok = await new Promise<true | string>((resolve) => {
        const timer = setTimeout(() => resolve("timeout"), timeoutMs);
        c.tlsDone = (r) => {
          clearTimeout(timer);
          c.tlsDone = undefined;
          resolve(r);
        };
        c.upgraded = true;
        const [, t] = c.sock.upgradeTLS({ data: c, tls: tlsOpts, socket: TLS_HANDLERS, isServer: true } as never) as [Socket<Conn>, Socket<Conn>];
        c.sock = t;
      });
      if (ok !== true) return { error: ok };
      stream.setSink(bunSink(c));
      const t = c.sock;
      const ci = t.getCipher() as { name: string; standardName?: string; version: string };
      const proto = t.getTLSVersion() || ci.version;
      const bits = /256|CHACHA20/.test(ci.name) ? 256 : 128;
      const eph = t.getEphemeralKeyInfo() as { name?: string } | null;
      let details = "";
      if (eph && eph.name) details = `key-exchange ${eph.name}`;
      if (sigDetail) details += `${details ? " " : ""}server-signature ${sigDetail} server-digest SHA256`;
      const info: TlsInfo = { protocol: proto, cipher: ci.standardName ?? ci.name, bits, algBits: bits, details: details || undefined };
      if (askCert) info.peer = clientCert(t, stream.peer, digest, cas.length > 0, verifyDepth, loglevel, requireCert);
      if (info.peer) info.clientDetails = clientSignature(t);
      if (loglevel >= 1) {
        const how = !info.peer ? "Anonymous" : info.peer.trusted ? "Trusted" : "Untrusted";
        const more = `${details ? ` ${details}` : ""}${info.clientDetails ? ` ${info.clientDetails}` : ""}`;
        msgInfo(`${how} TLS connection established from ${stream.peer}: ${info.protocol} with cipher ${info.cipher} (${bits}/${bits} bits)${more}`);
      }
      return info;
    },
  };
}

/**
 * The client certificate of a finished handshake (undefined when none was presented), with Postfix's log lines:
 * the certificate at smtpd_tls_loglevel 2 and up, why it failed verification when one is required.
 */
function clientCert(t: Socket<Conn>, namaddr: string, digest: string, haveCas: boolean, verifyDepth: number, loglevel: number, requireCert: boolean): PeerCert | undefined {
  let x: X509Certificate | undefined;
  try {
    x = t.getPeerX509Certificate() ?? undefined;
  } catch {
    x = undefined;
  }
  if (!x) return undefined;
  let trusted = haveCas && t.authorized;
  let why = "";
  if (!trusted) {
    const code = (t.getAuthorizationError() as { code?: string } | null)?.code ?? "";
    const oneline = (dn: string) => `/${dn.split("\n").join("/")}`;
    if (code === "DEPTH_ZERO_SELF_SIGNED_CERT") why = "self-signed certificate";
    else if (code === "CERT_HAS_EXPIRED") why = "certificate has expired";
    else if (code === "CERT_NOT_YET_VALID") why = "certificate not yet valid";
    else why = `untrusted issuer ${oneline(x.issuer)}`;
  } else {
    // smtpd_tls_ccert_verifydepth: the CA certificates above the client's, trust anchor excluded
    let n = 0;
    for (let c = x.issuerCertificate; c && c.raw && !c.checkIssued(c); c = c.issuerCertificate) n++;
    if (n > verifyDepth) {
      trusted = false;
      why = `certificate chain longer than limit(${verifyDepth})`;
    }
  }
  const p = peerCert(x, digest, trusted);
  if (loglevel >= 2) {
    msgInfo(`${namaddr}: subject_CN=${p.cn}, issuer=${p.issuerCn}, fingerprint=${p.certFprint}, pkey_fingerprint=${p.pkeyFprint}`);
  }
  if (!trusted && requireCert) msgInfo(`certificate verification failed for ${namaddr}: ${why}`);
  return p;
}

/** `client-signature RSA-PSS (2048 bits) client-digest SHA256`, inferred from the client's key as the server's is. */
function clientSignature(t: Socket<Conn>): string | undefined {
  try {
    const k = t.getPeerX509Certificate()?.publicKey;
    if (k?.asymmetricKeyType === "rsa") return `client-signature RSA-PSS (${k.asymmetricKeyDetails?.modulusLength ?? 2048} bits) client-digest SHA256`;
    if (k?.asymmetricKeyType === "ec") return `client-signature ECDSA (${k.asymmetricKeyDetails?.namedCurve ?? "P-256"}) client-digest SHA256`;
    if (k?.asymmetricKeyType) return `client-signature ${k.asymmetricKeyType.toUpperCase()}`;
  } catch {
    // no certificate after all
  }
  return undefined;
}

/** Socket handlers for the TLS side of an upgraded connection. */
const TLS_HANDLERS: SocketHandler<Conn> = {
  data(sock, d) {
    sock.data.stream?.push(Buffer.from(d));
  },
  handshake(sock, success, err) {
    sock.data.tlsDone?.(success ? true : (err?.message ?? "handshake failed"));
  },
  drain(sock) {
    flushPending(sock.data);
  },
  close(sock) {
    sock.data.closed = true;
    sock.data.tlsDone?.("lost connection");
    sock.data.stream?.end();
  },
  error(sock) {
    sock.data.tlsDone?.("lost connection");
    sock.data.stream?.end();
  },
  end(sock) {
    sock.data.stream?.end();
  },
};

/** Options for SmtpServer.create(). */
export interface ServerOptions {
  cfg: Config;
  service: string;
  /** A DNS resolver for the restrictions (default: the system's). */
  dns?: SmtpdResolver;
  /** The time limit of the SASL auth server (default AUTH_TIMEOUT_MS; tests). */
  saslTimeoutMs?: number;
  peerLookup?: PeerNameLookup;
}

/** One service's SMTP server; see the header. */
export class SmtpServer {
  private listeners: SocketListener<Conn>[] = [];
  private sessions = new Set<{ close(): void; session?: SmtpSession }>();
  private anvil: Anvil;
  private wakePending = false;
  private stopping = false;
  private readonly hogs: HostList;

  private constructor(
    private readonly cfg: Config,
    private readonly env: SessionEnv,
    hogs: HostList,
    private readonly peerLookup: PeerNameLookup,
  ) {
    this.anvil = new Anvil(cfg.getTime("anvil_rate_time_unit") * 1000);
    this.hogs = hogs;
  }

  /** Reads the configuration, opens tables, loads TLS keys. Throws ConfigError for a fatal configuration error. */
  static async create(opts: ServerOptions): Promise<SmtpServer> {
    const cfg = opts.cfg;
    const dns = opts.dns ?? StubSmtpdResolver.fromConfig(cfg);
    const restrictions = await Restrictions.create(cfg, dns);
    const sasl = await SmtpdSasl.create(cfg, { timeoutMs: opts.saslTimeoutMs });
    // the service's content_filter (a master.cf `-o content_filter=` overrides main.cf's; empty: none)
    const cleanup = (await Cleanup.create(cfg)).withContentFilter(cfg.get("content_filter"));
    const queueDir = cfg.get("queue_directory");
    removeStaleTempFiles(queueDir);
    if (cfg.get("smtpd_proxy_filter").trim() !== "") proxyOptions(cfg.get("smtpd_proxy_options")); // an unknown name is fatal
    const pdms = cfg.get("parent_domain_matches_subdomains");
    const list = (p: string) => compileHostList(cfg.get(p), p, pdms);
    const env: SessionEnv = {
      cfg,
      restrictions,
      sink: new CleanupSink(cleanup),
      tls: makeTlsSupport(cfg),
      xclientHosts: await list("smtpd_authorized_xclient_hosts"),
      xforwardHosts: await list("smtpd_authorized_xforward_hosts"),
      verpClients: await list("smtpd_authorized_verp_clients"),
      bareLfExclusions: await list("smtpd_forbid_bare_newline_exclusions"),
      service: opts.service,
      standalone: false,
      ...(await openSessionTables(cfg)),
      ...(sasl ? { sasl } : {}),
    };
    const server = new SmtpServer(cfg, env, await list("smtpd_client_event_limit_exceptions"), opts.peerLookup ?? systemPeerLookup);
    env.onQueued = () => server.wakeQmgr(queueDir);
    env.authRate = (name, addr) => (server.hogs.matches(name, addr) ? undefined : server.anvil.auth(addr));
    env.eventRate = (kind, name, addr, count) => (server.hogs.matches(name, addr) ? undefined : server.anvil.event(kind, addr, count));
    return server;
  }

  private wakeQmgr(queueDir: string): void {
    if (this.wakePending) return;
    this.wakePending = true;
    setImmediate(() => {
      this.wakePending = false;
      void requestQueueScan(queueDir, "I");
    });
  }

  /** Starts accepting on an inherited listening descriptor, or on host/port. */
  listen(where: { fd: number } | { host: string; port: number }): { port: number } {
    const self = this;
    const handlers: SocketHandler<Conn> = {
      open(sock) {
        const c: Conn = { sock, pending: [], closing: false, closed: false, upgraded: false };
        sock.data = c;
        void self.handle(c);
      },
      data(sock, d) {
        const c = sock.data;
        if (c.upgraded && sock !== c.sock) return; // ciphertext seen by the raw side after STARTTLS
        c.stream?.push(Buffer.from(d));
      },
      drain(sock) {
        if (sock === sock.data.sock) flushPending(sock.data);
      },
      close(sock) {
        const c = sock.data;
        if (c.upgraded && sock !== c.sock) return;
        c.closed = true;
        c.stream?.end();
      },
      end(sock) {
        const c = sock.data;
        if (c.upgraded && sock !== c.sock) return;
        c.stream?.end();
      },
      error(sock) {
        const c = sock.data;
        if (c.upgraded && sock !== c.sock) return;
        c.stream?.end();
      },
    };
    const listener = "fd" in where
      ? Bun.listen<Conn>({ fd: where.fd, socket: handlers } as never)
      : Bun.listen<Conn>({ hostname: where.host, port: where.port, socket: handlers });
    this.listeners.push(listener as SocketListener<Conn>);
    return { port: (listener as { port?: number }).port ?? 0 };
  }

  /** Serves one connection. */
  private async handle(c: Conn): Promise<void> {
    const sock = c.sock;
    const entry: { close(): void; session?: SmtpSession } = { close: () => sock.terminate() };
    c.entry = entry;
    this.sessions.add(entry);
    sock.setNoDelay(true);
    const cfg = this.cfg;
    let addr = sock.remoteAddress ?? "unknown";
    if (addr.startsWith("::ffff:") && addr.includes(".")) addr = addr.slice(7);
    const port = String(sock.remotePort ?? "unknown");
    const stream = new SmtpStream(bunSink(c), cfg.getTime("smtpd_timeout") * 1000);
    stream.transport = c;
    c.stream = stream;
    let counted = false;
    try {
      const names = await lookupClient(addr, this.peerLookup, cfg.getBool("smtpd_peername_lookup"));
      const client: ClientInfo = { ...names, addr, port, serverAddr: sock.localAddress, serverPort: String(sock.localPort ?? "") };
      stream.peer = `${client.name}[${addr}]`;
      const session = new SmtpSession(this.env, stream, client);
      entry.session = session;
      let refuse: string | undefined;
      if (!this.hogs.matches(client.name, addr)) {
        const { count, rate } = this.anvil.connect(addr);
        counted = true;
        const cl = cfg.getInt("smtpd_client_connection_count_limit");
        const rl = cfg.getInt("smtpd_client_connection_rate_limit");
        const host = cfg.get("myhostname");
        if (cl > 0 && count > cl) {
          msgWarn(`Connection concurrency limit exceeded: ${count} from ${client.name}[${addr}] for service ${this.env.service}`);
          refuse = `421 4.7.0 ${host} Error: too many connections from ${addr}`;
        } else if (rl > 0 && rate > rl) {
          msgWarn(`Connection rate limit exceeded: ${rate} from ${client.name}[${addr}] for service ${this.env.service}`);
          refuse = `421 4.7.0 ${host} Error: too many connections from ${addr}`;
        }
      }
      await session.run({ refuse });
    } catch (e) {
      msgWarn(`${addr}: ${(e as Error).message}`);
      c.sock.terminate();
    } finally {
      if (counted) this.anvil.disconnect(addr);
      this.sessions.delete(entry);
      if (this.stopping && this.sessions.size === 0) this.allDone?.();
    }
  }

  private allDone: (() => void) | undefined;

  /** Number of open sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Stops accepting; lets transactions in progress finish (up to STOP_GRACE_MS), closes the rest. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const l of this.listeners) l.stop(false);
    for (const e of this.sessions) {
      const s = e.session?.s;
      if (!s || s.sender === undefined) e.close();
    }
    if (this.sessions.size > 0) {
      await new Promise<void>((resolve) => {
        this.allDone = resolve;
        setTimeout(resolve, STOP_GRACE_MS).unref?.();
      });
      for (const e of this.sessions) e.close();
    }
    this.env.sasl?.close();
  }
}
