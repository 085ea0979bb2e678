/**
 * standalone — the SMTP protocol engine on a byte stream other than a network connection: `sendmail -bs`
 * (Postfix runs smtpd in "stand-alone mode" on stdin/stdout for it).
 *
 * As in Postfix's stand-alone mode: the client is `localhost[127.0.0.1]`, no restrictions are applied, no
 * XCLIENT/XFORWARD/STARTTLS, no connection limits; the replies and the log lines are the server's. Messages go
 * to the MessageSink the caller supplies (sendmail gives one that writes a maildrop file, since a local user
 * cannot write the incoming queue), so this module never decides where mail lands.
 *
 *   await runSmtpSession(cfg, stdinChunks, (b) => writeAll(1, b), { sink, timeoutMs });
 *
 * Contract: resolves when the session ends (QUIT, EOF, timeout); never throws for anything the peer sends.
 */
import type { Config } from "../config/config.ts";
import { SmtpStream } from "./smtp_stream.ts";
import { SmtpSession, openSessionTables, type ClientInfo, type MessageSink } from "./session.ts";

export type { MessageSink, MessageRequest, SinkRefusal } from "./session.ts";

/** Options of runSmtpSession(). */
export interface StandaloneOptions {
  /** Where accepted messages go. */
  sink: MessageSink;
  /** Overrides of the client identity (default localhost[127.0.0.1]). */
  client?: Partial<ClientInfo>;
  /** Read time limit; default smtpd_timeout. */
  timeoutMs?: number;
  /** Called after each accepted message. */
  onQueued?: (queueId: string) => void;
}

/** Runs one SMTP session over `input`/`output`; see the header. */
export async function runSmtpSession(cfg: Config, input: AsyncIterable<Uint8Array>, output: (data: Uint8Array) => void, opts: StandaloneOptions): Promise<void> {
  const stream = new SmtpStream({ write: output }, opts.timeoutMs ?? cfg.getTime("smtpd_timeout") * 1000);
  const client: ClientInfo = {
    name: "localhost",
    reverseName: "localhost",
    addr: "127.0.0.1",
    port: "0",
    nameStatus: "ok",
    reverseNameStatus: "ok",
    ...opts.client,
  };
  const session = new SmtpSession({ cfg, sink: opts.sink, service: "sendmail", standalone: true, onQueued: opts.onQueued, ...(await openSessionTables(cfg)) }, stream, client);
  let done = false;
  const pump = (async () => {
    try {
      for await (const chunk of input) {
        if (done) break;
        stream.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      }
    } finally {
      stream.end();
    }
  })();
  await session.run();
  done = true;
  void pump.catch(() => {});
}
