/**
 * session_cache — idle SMTP/LMTP connections kept open inside one agent process for the next delivery to the same
 * place (Postfix's scache(8) service, here in-process): a session is filed under the request's next hop (its first
 * destination) and under its server address and port, and taken out by either.
 *
 * A session stays at most smtp_connection_cache_time_limit idle (then it gets QUIT and is closed), is used for at
 * most smtp_connection_reuse_time_limit after it was opened and smtp_connection_reuse_count_limit times (0: no
 * limit); the caller decides those limits when it puts a session back. Taking a session removes it from both
 * indexes, so one session serves one delivery at a time. The caller checks a taken session (RSET) before use.
 *
 * Contract: never throws; `closeAll()` sends QUIT to every idle session and closes it.
 */

/** What the cache needs to know of a session. */
export interface CachedSession {
  destLabel: string | undefined;
  endpointLabel: string;
  /** Sends QUIT (without waiting long) and closes. */
  quit(): void;
}

interface Entry<S extends CachedSession> {
  session: S;
  timer: ReturnType<typeof setTimeout>;
}

/** The idle sessions of one agent process. */
export class SessionCache<S extends CachedSession> {
  private byDest = new Map<string, Entry<S>[]>();
  private byEndpoint = new Map<string, Entry<S>[]>();

  /** Files an idle session for `idleMs` milliseconds. */
  put(session: S, idleMs: number): void {
    const entry: Entry<S> = {
      session,
      timer: setTimeout(() => {
        this.remove(entry);
        session.quit();
      }, idleMs),
    };
    entry.timer.unref?.();
    if (session.destLabel !== undefined) push(this.byDest, session.destLabel, entry);
    push(this.byEndpoint, session.endpointLabel, entry);
  }

  /** Takes the most recently filed session for a next hop. */
  takeByDest(label: string): S | undefined {
    const e = this.byDest.get(label)?.at(-1);
    if (!e) return undefined;
    this.remove(e);
    return e.session;
  }

  /** Takes the most recently filed session to a server address. */
  takeByEndpoint(label: string): S | undefined {
    const e = this.byEndpoint.get(label)?.at(-1);
    if (!e) return undefined;
    this.remove(e);
    return e.session;
  }

  /** Number of idle sessions. */
  size(): number {
    let n = 0;
    for (const l of this.byEndpoint.values()) n += l.length;
    return n;
  }

  private remove(e: Entry<S>): void {
    clearTimeout(e.timer);
    if (e.session.destLabel !== undefined) pull(this.byDest, e.session.destLabel, e);
    pull(this.byEndpoint, e.session.endpointLabel, e);
  }

  /** Closes every idle session. */
  closeAll(): void {
    for (const list of [...this.byEndpoint.values()]) {
      for (const e of [...list]) {
        this.remove(e);
        e.session.quit();
      }
    }
  }
}

function push<E>(m: Map<string, E[]>, k: string, e: E): void {
  const l = m.get(k);
  if (l) l.push(e);
  else m.set(k, [e]);
}

function pull<E>(m: Map<string, E[]>, k: string, e: E): void {
  const l = m.get(k);
  if (!l) return;
  const i = l.indexOf(e);
  if (i >= 0) l.splice(i, 1);
  if (l.length === 0) m.delete(k);
}
