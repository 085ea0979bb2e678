/**
 * smtpd_expand — `$name` expansion in SMTP server reply templates (default_rbl_reply, rbl_reply_maps,
 * smtpd_reject_footer): Postfix's smtpd_expand.c over mac_expand(3).
 *
 * Syntax: `$name`, `${name}`, `$(name)`, `${name?text}` (text when name is non-empty), `${name:text}` (text when
 * name is empty), `$$` for a dollar. The names are the template's own (rbl_code …) and the session's:
 *   server_name (myhostname), client (NAME[ADDR]), client_address, client_name, client_port,
 *   reverse_client_name, helo_name, sender, sender_name, sender_domain, recipient, recipient_name,
 *   recipient_domain, localtime.
 * expandTemplate() returns undefined for a malformed template or an unknown name (Postfix logs `unknown macro
 * name` and refuses the template).
 */
import type { Config } from "../config/config.ts";
import { msgWarn } from "../log/msg.ts";

/** The session facts a template may name. */
export interface CheckSessionLike {
  name: string;
  reverseName: string;
  addr: string;
  port: string;
  namaddr: string;
  heloName?: string;
  sender?: string;
  recipient?: string;
}

function addrPart(addr: string | undefined, suffix: string): string {
  const a = addr ?? "";
  const at = a.lastIndexOf("@");
  if (suffix === "_name") return at < 0 ? a : a.slice(0, at);
  if (suffix === "_domain") return at < 0 ? "" : a.slice(at + 1);
  return a;
}

/** smtpd_expand_lookup(): the value of a session name, undefined when the name is unknown. */
export function sessionMacro(s: CheckSessionLike, name: string, cfg: Config): string | undefined {
  switch (name) {
    case "server_name":
      return cfg.get("myhostname");
    case "client":
      return s.namaddr;
    case "client_port":
      return s.port;
    case "client_address":
      return s.addr;
    case "client_name":
      return s.name;
    case "reverse_client_name":
      return s.reverseName;
    case "helo_name":
      return s.heloName ?? "";
    case "localtime": {
      const d = new Date();
      const mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getMonth()];
      const p = (n: number) => String(n).padStart(2, "0");
      return `${mon} ${String(d.getDate()).padStart(2, " ")} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    }
  }
  for (const base of ["sender", "recipient"] as const) {
    if (name === base || name === `${base}_name` || name === `${base}_domain`) {
      return addrPart(base === "sender" ? s.sender : s.recipient, name.slice(base.length));
    }
  }
  return undefined;
}

/** mac_expand() of `template`; see the header. */
export function expandTemplate(template: string, lookup: (name: string) => string | undefined): string | undefined {
  let out = "";
  let i = 0;
  let bad = false;
  const value = (name: string): string => {
    const v = lookup(name);
    if (v === undefined) {
      msgWarn(`unknown macro name "${name}" in expansion request`);
      bad = true;
      return "";
    }
    return v;
  };
  while (i < template.length) {
    const c = template[i]!;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const n = template[i + 1];
    if (n === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (n === "{" || n === "(") {
      const close = n === "{" ? "}" : ")";
      let depth = 1;
      let j = i + 2;
      for (; j < template.length && depth > 0; j++) {
        if (template[j] === n) depth++;
        else if (template[j] === close) depth--;
      }
      if (depth !== 0) return undefined;
      const inner = template.slice(i + 2, j - 1);
      const m = /^([A-Za-z0-9_]+)(?:([?:])([\s\S]*))?$/.exec(inner);
      if (!m) return undefined;
      if (m[2] === undefined) out += value(m[1]!);
      else {
        const v = lookup(m[1]!) ?? "";
        const take = m[2] === "?" ? v !== "" : v === "";
        if (take) {
          const sub = expandTemplate(m[3]!, lookup);
          if (sub === undefined) return undefined;
          out += sub;
        }
      }
      i = j;
      continue;
    }
    const m = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
    if (!m) return undefined;
    out += value(m[0]);
    i += 1 + m[0].length;
  }
  return bad ? undefined : out;
}
