/**
 * file_cache — a small system file (/etc/passwd, /etc/hosts …) read and parsed once, and again only when it
 * changes: for daemons that consult it for every message or connection.
 *
 *   const hosts = new FileCache((text) => parseHosts(text ?? ""), 1000);
 *   hosts.get("/etc/hosts")      // parsed value; `text` is undefined when the file is absent or unreadable
 *
 * A file counts as unchanged while stat(2) shows the same inode, size and modification time (a replacement by
 * rename, an edit in place, a removal all change one of them). A file changed in the last two seconds is read
 * again at every get(), as git treats "racy" entries: the file system's clock may give a second change of the
 * same size the same modification time as the first. With `recheckMs`, the stat itself is made at most that often
 * (a change is then seen within that time). Never throws; `parse` gets the text or undefined.
 */
import { readFileText, statPath } from "./libc.ts";

interface Entry<T> {
  key: string;
  value: T;
  /** When the key was last compared with a stat (ms since the epoch). */
  checked: number;
}

/** Parsed contents of files, by path; see the header. */
export class FileCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly parse: (text: string | undefined) => T,
    private readonly recheckMs = 0,
  ) {}

  /** The parsed contents of `path` (parse(undefined) when it cannot be read). */
  get(path: string): T {
    const now = Date.now();
    const hit = this.entries.get(path);
    if (hit !== undefined && now - hit.checked < this.recheckMs) return hit.value;
    const key = statKey(path, now);
    if (key !== undefined && hit?.key === key) {
      hit.checked = now;
      return hit.value;
    }
    let text: string | undefined;
    try {
      text = readFileText(path);
    } catch {
      // absent or unreadable
    }
    const value = this.parse(text);
    // replaced between the stat and the read: the next get()'s stat differs from `key` and reads it again
    if (key !== undefined) this.entries.set(path, { key, value, checked: now });
    else this.entries.delete(path);
    return value;
  }
}

/** What identifies this version of `path`: inode, size, time; "absent"; undefined when changed just now. */
function statKey(path: string, now: number): string | undefined {
  try {
    const st = statPath(path);
    if (now / 1000 - 2 < st.mtimeSec) return undefined;
    return `${st.ino}:${st.size}:${st.mtimeSec}.${st.mtimeNsec}`;
  } catch {
    return "absent";
  }
}
