/**
 * trigger — Postfix's wake-up requests: one or more request bytes sent to a service's FIFO or UNIX socket under
 * `$queue_directory/{public,private}/`, as postkick(1), postdrop and the master send them.
 *
 * Client (`sendTrigger`): a FIFO gets the bytes written with O_NONBLOCK (no reader: ENXIO, "nobody listens"); a
 * UNIX stream socket gets the bytes plus one NUL, as Postfix's stream trigger does. Server (`listenFifoTrigger`):
 * creates the FIFO (mode 0622, so any local user may wake the service) when it is missing and reads it through a
 * descriptor opened read-write, which never sees end-of-file and is driven by epoll (bun.md §2); bytes from
 * several writers may arrive together, so the handler gets each chunk as a set of requests.
 *
 * Contract: `sendTrigger` never throws for a missing or deaf service; it returns a `TriggerFailure` with Postfix's
 * wording so callers print it. Listening throws `SysError` when the FIFO cannot be made or opened.
 */
import { closeFd, mkfifo, openFile, statPath, writeAll, O_NONBLOCK, O_WRONLY, type FileInfo } from "../sys/libc.ts";
import { nodeFs } from "../sys/node_fs.ts";
import { errnoText } from "../sys/errno.ts";

/** Why a trigger could not be delivered: `lookup` is Postfix's first warning, if any. */
export interface TriggerFailure {
  lookup?: string;
  contact: string;
}

const S_IFMT = 0o170000;
const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;

/**
 * Sends `request` to `$queueDir/cls/service`; undefined on success. A FIFO is written at once and the outcome
 * returned as is (no promise: sendmail's wake-up of pickup is on the path of every submission); a socket needs
 * the event loop, and its outcome is a promise.
 */
export function sendTrigger(
  queueDir: string,
  cls: string,
  service: string,
  request: Uint8Array,
  timeoutMs = 10000,
): TriggerFailure | undefined | Promise<TriggerFailure | undefined> {
  const rel = `${cls}/${service}`;
  const path = `${queueDir}/${rel}`;
  const contact = `Cannot contact class ${cls} service ${service} - perhaps the mail system is down`;
  let st: FileInfo;
  try {
    st = statPath(path, false);
  } catch (e) {
    return { lookup: `unable to look up ${rel}: ${errnoText(e)}`, contact };
  }
  const type = st.mode & S_IFMT;
  if (type === S_IFIFO) {
    let fd: number;
    try {
      fd = openFile(path, O_WRONLY | O_NONBLOCK);
    } catch {
      return { contact };
    }
    try {
      if (request.length > 0) writeAll(fd, request);
    } catch {
      return { contact };
    } finally {
      closeFd(fd);
    }
    return undefined;
  }
  if (type === S_IFSOCK) {
    // loaded here: node:net costs ~1.4 ms of start-up, and FIFO triggers (sendmail's pickup wake-up) never need it
    return import("node:net").then(({ createConnection }) => new Promise((resolve) => {
      const sock = createConnection(path);
      const timer = setTimeout(() => {
        sock.destroy();
        resolve({ contact });
      }, timeoutMs);
      sock.on("connect", () => {
        sock.end(Buffer.concat([request, Buffer.from([0])]));
      });
      sock.on("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // the server may close before our NUL arrives: the request was delivered all the same
        resolve(e.code === "EPIPE" || e.code === "ECONNRESET" ? undefined : { contact });
      });
      sock.on("close", () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    }));
  }
  return { lookup: `unable to look up ${rel}: not a FIFO or socket`, contact };
}

/** A listening FIFO trigger; `close()` stops reading. */
export interface TriggerListener {
  close(): void;
}

/** Creates `path` as a FIFO (0622) if needed and calls `onRequest` with every chunk of request bytes. */
export function listenFifoTrigger(path: string, onRequest: (bytes: Uint8Array) => void): TriggerListener {
  let st;
  try {
    st = nodeFs().lstatSync(path);
  } catch {
    st = undefined;
  }
  if (!st) {
    mkfifo(path, 0o622);
    nodeFs().chmodSync(path, 0o622);
  } else if (!st.isFIFO()) {
    throw new Error(`open ${path}: not a FIFO`);
  }
  // read-write: we are our own writer, so the FIFO never reports end-of-file between wake-ups
  const fd = nodeFs().openSync(path, nodeFs().constants.O_RDWR | nodeFs().constants.O_NONBLOCK);
  let closed = false;
  const reader = Bun.file(fd).stream().getReader();
  (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || closed) break;
        if (value && value.length > 0) onRequest(value);
      }
    } catch {
      // closed under us
    }
  })();
  return {
    close() {
      if (closed) return;
      closed = true;
      reader.cancel().catch(() => {});
      try {
        nodeFs().closeSync(fd);
      } catch {
        // already closed
      }
    },
  };
}
