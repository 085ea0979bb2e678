/**
 * local_expand — `$name` expansion of forward_path, luser_relay and command_execution_directory with the
 * attributes of the recipient being delivered (Postfix's local_expand() on top of mac_expand()).
 *
 * Names: user (the recipient user name), home, shell (from the passwd entry in effect), domain, local (the whole
 * local part, with extension), mailbox (the same), recipient (the whole address), extension, recipient_delimiter
 * (the delimiter that split this address, else the first of recipient_delimiter). A name without a value is
 * undefined.
 *
 * Forms: `$name`, `${name}`, `$(name)` (the value); `${name?text}` `${name?{text}}` (text when defined);
 * `${name:text}` `${name:{text}}` (text when undefined); `${name?{t1}:{t2}}`; `$$` (a dollar). The text of a
 * conditional is expanded in turn. Characters of a substituted VALUE that are not in `filter` become `_`
 * (forward_expansion_filter, execution_directory_expansion_filter); literal text is never filtered.
 *
 * The result reports, as Postfix's status bits do: `undefined` when a plain reference named an undefined name
 * (forward_path then skips that entry), `error` for bad syntax, and `extensionUsed` when $extension was
 * substituted (the extension then counts as matched and is not propagated to the forward file's addresses).
 *
 * Pure; never throws. Postfix: src/local/local_expand.c, src/util/mac_expand.c.
 */

/** The attribute values expansion can see; undefined = not defined. */
export type ExpandAttrs = Readonly<Record<string, string | undefined>>;

/** The outcome of one expansion. */
export interface Expansion {
  text: string;
  /** A plain reference to an undefined name occurred. */
  undefined: boolean;
  /** The pattern has a syntax error (the text is then unreliable). */
  error: boolean;
  /** $extension was substituted. */
  extensionUsed: boolean;
}

/** Expands `pattern`; see the module header. */
export function localExpand(pattern: string, attrs: ExpandAttrs, filter?: string): Expansion {
  const st: Expansion = { text: "", undefined: false, error: false, extensionUsed: false };
  st.text = expand(pattern, attrs, filter, st, 0);
  return st;
}

function clean(value: string, filter: string | undefined): string {
  if (filter === undefined) return value;
  let out = "";
  for (const c of value) out += filter.includes(c) ? c : "_";
  return out;
}

/** Index of the bracket that closes the one at `open`, or -1. */
function closing(s: string, open: number): number {
  const o = s[open]!;
  const c = o === "{" ? "}" : ")";
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === o) depth++;
    else if (s[i] === c && --depth === 0) return i;
  }
  return -1;
}

/** Text between one optional level of braces, trimmed. */
function unbrace(t: string): string {
  const s = t.trim();
  if (s.startsWith("{") && closing(s, 0) === s.length - 1) return s.slice(1, -1);
  return s;
}

function expand(s: string, attrs: ExpandAttrs, filter: string | undefined, st: Expansion, depth: number): string {
  if (depth > 100) {
    st.error = true;
    return "";
  }
  let out = "";
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const n = s[i + 1];
    if (n === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (n === "{" || n === "(") {
      const end = closing(s, i + 1);
      if (end < 0) {
        st.error = true;
        return out;
      }
      const inner = s.slice(i + 2, end);
      i = end + 1;
      const m = /^([A-Za-z0-9_]+)\s*(.*)$/s.exec(inner);
      if (!m) {
        st.error = true;
        continue;
      }
      const name = m[1]!;
      const rest = m[2]!;
      const value = attrs[name];
      if (rest === "") {
        out += use(name, value, filter, st);
      } else if (rest[0] === "?") {
        // ${name?text}, ${name?{t1}:{t2}}
        const body = rest.slice(1).trim();
        let whenSet = body;
        let whenUnset = "";
        if (body.startsWith("{")) {
          const e = closing(body, 0);
          if (e < 0) {
            st.error = true;
            continue;
          }
          whenSet = body.slice(1, e);
          const after = body.slice(e + 1).trim();
          if (after.startsWith(":")) whenUnset = unbrace(after.slice(1));
          else if (after !== "") {
            st.error = true;
            continue;
          }
        }
        out += expand(value !== undefined && value !== "" ? whenSet : whenUnset, attrs, filter, st, depth + 1);
      } else if (rest[0] === ":") {
        out += value === undefined || value === "" ? expand(unbrace(rest.slice(1)), attrs, filter, st, depth + 1) : "";
      } else {
        st.error = true;
      }
      continue;
    }
    const m = /^[A-Za-z0-9_]+/.exec(s.slice(i + 1));
    if (!m) {
      st.error = true;
      out += c;
      i++;
      continue;
    }
    out += use(m[0], attrs[m[0]], filter, st);
    i += 1 + m[0].length;
  }
  return out;
}

function use(name: string, value: string | undefined, filter: string | undefined, st: Expansion): string {
  if (value === undefined) {
    st.undefined = true;
    return "";
  }
  if (name === "extension") st.extensionUsed = true;
  return clean(value, filter);
}
