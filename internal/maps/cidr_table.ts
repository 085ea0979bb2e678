/**
 * cidr_table — `cidr:FILE`: network/prefix patterns matched against an IP address, first match wins (Postfix's
 * cidr_table(5)).
 *
 * FORMAT (logical lines as in logical_lines.ts)
 *   [!]pattern  result      pattern: `1.2.3.0/24`, `2001:db8::/32`, a bare address (all bits), and either in
 *                           brackets (`[1.2.3.4]/32`, `[::1]`); `!` negates
 *   if [!]pattern  …  endif blocks, as in regexp tables
 * Rules are tried in file order; an IPv4 key only meets IPv4 rules and an IPv6 key IPv6 rules (a negated rule of
 * the other family does not match either). A key that is not an address matches nothing. Problems skip the line
 * with Postfix's warnings, e.g. `cidr map FILE, line N: non-null host address bits in "1.2.3.4/24", perhaps you
 * should use "1.2.3.0/24" instead: skipping this rule`. Not listable.
 *
 * Addresses are parsed as glibc's inet_pton() does (dotted quads without leading zeros; IPv6 with `::` and an
 * optional trailing IPv4 part).
 */
import { closeSync, fstatSync, openSync, type Stats } from "node:fs";
import { LogicalLineReader, isSpaceByte } from "./logical_lines.ts";
import { MapError, fileChangedSince, sequenceNotSupported } from "./map_error.ts";
import type { LookupTable } from "./table.ts";
import { errnoText } from "../sys/errno.ts";
import { msgWarn } from "../log/msg.ts";

/** inet_pton(AF_INET): four decimal octets 0–255, no leading zeros. */
export function parseIPv4(s: string): Uint8Array | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

/** inet_pton(AF_INET6). */
export function parseIPv6(s: string): Uint8Array | undefined {
  if (s.length === 0 || s.length > 45) return undefined;
  let words: number[] = [];
  let v4: Uint8Array | undefined;
  const dbl = s.indexOf("::");
  if (dbl >= 0 && s.indexOf("::", dbl + 1) >= 0) return undefined;
  const parseSide = (side: string, allowV4: boolean): number[] | undefined => {
    if (side === "") return [];
    const groups = side.split(":");
    const out: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (allowV4 && i === groups.length - 1 && g.includes(".")) {
        v4 = parseIPv4(g);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  if (dbl >= 0) {
    const left = parseSide(s.slice(0, dbl), false);
    const right = parseSide(s.slice(dbl + 2), true);
    if (!left || !right || left.length + right.length > 7) return undefined;
    words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  } else {
    const all = parseSide(s, true);
    if (!all || all.length !== 8) return undefined;
    words = all;
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 255;
  });
  return out;
}

/** inet_ntop() of 4 or 16 bytes, glibc style (longest zero run compressed, IPv4-mapped in dotted form). */
export function formatIP(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join(".");
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) best = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (best >= 0 && i >= best && i < best + bestLen) {
      if (i === best) out += "::";
      continue;
    }
    if (out !== "" && !out.endsWith(":")) out += ":";
    if (i === 6 && best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    out += w[i]!.toString(16);
  }
  return out;
}

interface CidrRule {
  op: "match" | "if" | "endif";
  lineno: number;
  v6: boolean;
  net: Uint8Array;
  mask: Uint8Array;
  match: boolean;
  value: string;
  end: number;
}

function maskBytes(count: number, bits: number): Uint8Array {
  const m = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const b = Math.max(0, Math.min(8, bits - i * 8));
    m[i] = b === 0 ? 0 : (0xff << (8 - b)) & 0xff;
  }
  return m;
}

/** Parses a cidr pattern; returns the rule parts or Postfix's reason text. */
export function parseCidrPattern(pattern: string): { v6: boolean; net: Uint8Array; mask: Uint8Array } | { error: string } {
  let pat = pattern;
  let maskSearch: string;
  let maskText: string | undefined;
  if (pat.startsWith("[")) {
    pat = pat.slice(1);
    const close = pat.indexOf("]");
    if (close < 0) return { error: `missing ']' character after "[${pat}"` };
    const after = pat.slice(close + 1);
    pat = pat.slice(0, close);
    if (after.startsWith("/")) maskText = after.slice(1);
    else if (after !== "") return { error: `garbage after "[${pat}]"` };
    else {
      const slash = pat.indexOf("/");
      if (slash >= 0) {
        maskText = pat.slice(slash + 1);
        pat = pat.slice(0, slash);
      }
    }
    maskSearch = pat;
  } else {
    maskSearch = pat;
    const slash = maskSearch.indexOf("/");
    if (slash >= 0) {
      maskText = maskSearch.slice(slash + 1);
      pat = maskSearch.slice(0, slash);
    }
  }
  const v6 = pat.includes(":");
  const count = v6 ? 16 : 4;
  if (maskText !== undefined) {
    const net = v6 ? parseIPv6(pat) : parseIPv4(pat);
    let err: string | undefined;
    if (!/^[0-9]*$/.test(maskText)) err = "bad mask value";
    else if (Number(maskText || "0") > count * 8) err = "bad mask length";
    else if (!net) err = "bad network value";
    if (err) return { error: `${err} in "${pat}/${maskText}"` };
    const bits = Number(maskText || "0");
    const mask = maskBytes(count, bits);
    for (let i = 0; i < count; i++) {
      if (net![i]! & ~mask[i]!) {
        const fixed = net!.map((b, k) => b & mask[k]!);
        return {
          error: `non-null host address bits in "${pat}/${maskText}", perhaps you should use "${formatIP(fixed)}/${bits}" instead`,
        };
      }
    }
    return { v6, net: net!, mask };
  }
  const net = v6 ? parseIPv6(pat) : parseIPv4(pat);
  if (!net) return { error: `bad address pattern: "${pat}"` };
  return { v6, net, mask: maskBytes(count, count * 8) };
}

function isSpaceChar(c: string | undefined): boolean {
  return c !== undefined && isSpaceByte(c.charCodeAt(0));
}

/** An open cidr table. */
export class CidrTable implements LookupTable {
  readonly type = "cidr";
  readonly fixed = false;
  private rules: CidrRule[] = [];
  private st: Stats;

  constructor(readonly name: string) {
    let fd: number;
    try {
      fd = openSync(name, "r");
    } catch (e) {
      throw new MapError("open", `open ${name}: ${errnoText(e)}`, { cause: e });
    }
    try {
      this.st = fstatSync(fd);
      const reader = new LogicalLineReader(fd, name, msgWarn);
      const stack: number[] = [];
      while (reader.next()) {
        const text = reader.text();
        const nul = text.indexOf("\0");
        const r = this.parseRule(nul >= 0 ? text.slice(0, nul) : text, reader.lineno, stack.length);
        if ("error" in r) {
          msgWarn(`cidr map ${name}, line ${reader.lineno}: ${r.error}: skipping this rule`);
          continue;
        }
        if (r.op === "if") stack.push(this.rules.length);
        else if (r.op === "endif") this.rules[stack.pop()!]!.end = this.rules.length;
        this.rules.push(r);
      }
      while (stack.length > 0) {
        msgWarn(`cidr map ${name}, line ${this.rules[stack.pop()!]!.lineno}: IF has no matching ENDIF`);
      }
    } catch (e) {
      if (e instanceof MapError) throw e;
      throw new MapError("open", `cidr map ${name}: read error: ${errnoText(e)}`, { cause: e });
    } finally {
      closeSync(fd);
    }
  }

  private parseRule(line: string, lineno: number, nesting: number): CidrRule | { error: string } {
    const trimEnd = (s: string) => {
      let e = s.length;
      while (e > 0 && isSpaceChar(s[e - 1])) e--;
      return s.slice(0, e);
    };
    const base = { lineno, v6: false, net: new Uint8Array(0), mask: new Uint8Array(0), match: true, value: "", end: -1 };
    let p = 0;
    if (/^if/i.test(line) && !/^[A-Za-z0-9]/.test(line[2] ?? "")) {
      p = 2;
      let match = true;
      for (;;) {
        if (line[p] === "!") match = !match;
        else if (!isSpaceChar(line[p])) break;
        p++;
      }
      if (p >= line.length) return { error: "no address pattern" };
      const r = parseCidrPattern(trimEnd(line.slice(p)));
      if ("error" in r) return r;
      return { ...base, ...r, op: "if", match };
    }
    if (/^endif/i.test(line) && !/^[A-Za-z0-9]/.test(line[5] ?? "")) {
      if (line.slice(5).trim() !== "") return { error: "garbage after ENDIF" };
      if (nesting === 0) return { error: "ENDIF without IF" };
      return { ...base, op: "endif" };
    }
    let match = true;
    for (;;) {
      if (line[p] === "!") match = !match;
      else if (!isSpaceChar(line[p])) break;
      p++;
    }
    const ps = p;
    while (p < line.length && !isSpaceChar(line[p])) p++;
    const pattern = line.slice(ps, p);
    while (p < line.length && isSpaceChar(line[p])) p++;
    const value = trimEnd(line.slice(p));
    if (pattern === "") return { error: "no address pattern" };
    const r = parseCidrPattern(pattern);
    if ("error" in r) return r;
    if (value === "") return { error: "no lookup result" };
    return { ...base, ...r, op: "match", match, value };
  }

  private hit(rule: CidrRule, addr: Uint8Array): boolean {
    for (let i = 0; i < addr.length; i++) if ((addr[i]! & rule.mask[i]!) !== rule.net[i]) return !rule.match;
    return rule.match;
  }

  lookup(key: string): string | undefined {
    const v6 = key.includes(":");
    const addr = v6 ? parseIPv6(key) : parseIPv4(key);
    if (!addr) return undefined;
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (r.op === "match") {
        if (r.v6 === v6 && this.hit(r, addr)) return r.value;
      } else if (r.op === "if") {
        if (r.v6 === v6 && this.hit(r, addr)) continue;
        if (r.end < 0) return undefined;
        i = r.end;
      }
    }
    return undefined;
  }

  entries(): Iterable<[string, string]> {
    sequenceNotSupported("cidr", this.name);
  }

  changed(): boolean {
    return fileChangedSince(this.name, this.st);
  }

  close(): void {
    this.rules = [];
  }
}
