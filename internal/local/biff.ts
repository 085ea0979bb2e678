/**
 * biff — the new-mail notice local(8) sends after each mailbox delivery when `biff = yes`: one UDP datagram
 * `USER@OFFSET` with a trailing NUL to the comsat service (biff, port 512) on 127.0.0.1, fire and forget.
 * Nothing listens on most hosts; the datagram is then simply lost, as with Postfix's biff_notify().
 */
import { createSocket, type Socket } from "node:dgram";

let sock: Socket | undefined;

/** Sends `text` (e.g. `alice@12345`) to comsat; never throws, never waits. */
export function biffNotify(text: string): void {
  try {
    if (!sock) {
      sock = createSocket("udp4");
      sock.on("error", () => {});
      sock.unref();
    }
    sock.send(Buffer.from(`${text}\0`), 512, "127.0.0.1", () => {});
  } catch {
    // a notice that cannot be sent is no delivery problem
  }
}
