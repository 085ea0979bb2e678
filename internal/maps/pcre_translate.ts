/**
 * pcre_translate — Perl-compatible regular expressions (PCRE2 syntax, as Postfix's pcre: tables use them)
 * translated into JavaScript RegExp source with the same meaning.
 *
 * Postfix compiles pcre patterns without UTF mode: they match bytes. The translation therefore targets a
 * "binary string" subject (one character per byte, U+0000–U+00FF, see pcre_table.ts) and spells out everything
 * whose JavaScript meaning differs:
 *   - character classes, `\d \s \w \h \v \N`, POSIX `[:name:]` and negation become explicit byte sets;
 *   - case-insensitivity (flag i, `(?i)`) becomes explicit letter pairs (`[aA]`), because JavaScript's `i` would
 *     also fold bytes 0xC0–0xDE with 0xE0–0xFE, which in a UTF-8 subject are unrelated characters;
 *   - `.` `^` `$` `\A \z \Z \G` follow PCRE's dotall/multiline/dollar-end-only rules (PCRE's `$` also matches
 *     before a final newline);
 *   - inline options `(?imsxU-imsxU)` and `(?i:…)`, `\Q…\E`, octal and `\x{…}` escapes, `\cX`, `\R`;
 *   - atomic groups `(?>…)` and possessive quantifiers `*+ ++ ?+ {n,m}+` become `(?=(…))\k` (a lookahead is
 *     atomic in JavaScript), with capture numbers remapped so that `$n` still names PCRE's group n;
 *   - flag U swaps greedy and lazy quantifiers; flag A anchors the match at the start.
 * Refused with a clear error (the rule is skipped, as Postfix skips a pattern PCRE cannot compile): recursion
 * and subroutine calls, conditionals, backtracking verbs, callouts, branch reset, `\K`, Unicode properties
 * `\p \P \X`, and a back reference to a group that may not have taken part in the match (JavaScript would
 * match the empty string there, PCRE fails). Named groups are numbered captures like any other (`$n` names
 * them by number); `\k<name>`, `\k{name}`, `\g{name}` and `(?P=name)` are back references. A caseless back reference is `(?i:\n)`, which compares bytes 0xC0–0xDE with 0xE0–0xFE as equal:
 * the one place where the translation is knowingly loose, and only for text repeated inside one key.
 *
 * Contract: translatePcre() never throws; it returns the source and the group map, or an error with the pattern
 * offset where it was found.
 */

/** PCRE options, as the rule's flags set them. */
export interface PcreOptions {
  caseless: boolean;
  multiline: boolean;
  dotall: boolean;
  extended: boolean;
  anchored: boolean;
  dollarEndOnly: boolean;
  ungreedy: boolean;
}

/** A translated pattern. */
export interface TranslatedPcre {
  /** JavaScript RegExp source, to compile without flags. */
  source: string;
  /** Number of PCRE capture groups. */
  groups: number;
  /** JavaScript group number of PCRE group n (index n; index 0 is 0). */
  groupMap: number[];
}

/** A pattern the translation refuses or PCRE itself would reject. */
export interface PcreError {
  error: string;
  offset: number;
}

type Set256 = Uint8Array;

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  x: boolean;
  U: boolean;
}

type Tok =
  | string
  | { k: "cap"; n: number }
  | { k: "atom"; id: number }
  | { k: "atomEnd"; id: number }
  | { k: "ref"; n: number; ci: boolean };

interface Group {
  kind: "cap" | "plain" | "look" | "atomic";
  n: number; // capture number for "cap"
  atomId: number;
  saved: Flags;
  outStart: number;
  parent: number; // index into groupInfo of the enclosing capture-tracking node (-1 = top)
  node: number; // index into nodes
}

// A node per group (and the top level) to decide whether a back reference is certainly set.
interface Node {
  parent: number;
  altAtOpenInParent: number; // the parent's alternative count when this node was opened
  alts: number; // '|' seen directly in this node
  optional: boolean; // quantified with minimum 0
  closed: boolean;
}

class Fail {
  constructor(
    readonly error: string,
    readonly offset: number,
  ) {}
}

function newSet(): Set256 {
  return new Uint8Array(256);
}

function range(set: Set256, a: number, b: number): Set256 {
  for (let c = a; c <= b; c++) set[c] = 1;
  return set;
}

function setOf(...codes: number[]): Set256 {
  const s = newSet();
  for (const c of codes) s[c] = 1;
  return s;
}

function invert(s: Set256): Set256 {
  const r = newSet();
  for (let c = 0; c < 256; c++) r[c] = s[c] ? 0 : 1;
  return r;
}

function union(into: Set256, s: Set256): void {
  for (let c = 0; c < 256; c++) if (s[c]) into[c] = 1;
}

const DIGIT = range(newSet(), 0x30, 0x39);
const SPACE = setOf(9, 10, 11, 12, 13, 32);
const WORD = (() => {
  const s = range(range(range(newSet(), 0x30, 0x39), 0x41, 0x5a), 0x61, 0x7a);
  s[0x5f] = 1;
  return s;
})();
const HSPACE = setOf(9, 32, 0xa0);
const VSPACE = setOf(10, 11, 12, 13, 0x85);

const POSIX: Record<string, Set256> = {
  alpha: range(range(newSet(), 0x41, 0x5a), 0x61, 0x7a),
  digit: DIGIT,
  alnum: range(range(range(newSet(), 0x30, 0x39), 0x41, 0x5a), 0x61, 0x7a),
  upper: range(newSet(), 0x41, 0x5a),
  lower: range(newSet(), 0x61, 0x7a),
  space: SPACE,
  blank: setOf(9, 32),
  cntrl: (() => {
    const s = range(newSet(), 0, 31);
    s[127] = 1;
    return s;
  })(),
  print: range(newSet(), 32, 126),
  graph: range(newSet(), 33, 126),
  punct: (() => {
    const s = range(newSet(), 33, 126);
    for (let c = 0; c < 256; c++) if (s[c] && (DIGIT[c] || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) s[c] = 0;
    return s;
  })(),
  xdigit: range(range(range(newSet(), 0x30, 0x39), 0x41, 0x46), 0x61, 0x66),
  word: WORD,
  ascii: range(newSet(), 0, 127),
};

function hex2(c: number): string {
  return `\\x${c.toString(16).padStart(2, "0")}`;
}

function isAlnumCode(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function otherCase(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c + 32;
  if (c >= 0x61 && c <= 0x7a) return c - 32;
  return -1;
}

function renderSet(s: Set256): string {
  let count = 0;
  for (let c = 0; c < 256; c++) count += s[c]!;
  if (count === 256) return "[\\s\\S]";
  if (count === 0) return "[]";
  let out = "[";
  for (let c = 0; c < 256; c++) {
    if (!s[c]) continue;
    let e = c;
    while (e + 1 < 256 && s[e + 1]) e++;
    out += e === c ? hex2(c) : e === c + 1 ? hex2(c) + hex2(e) : `${hex2(c)}-${hex2(e)}`;
    c = e;
  }
  return `${out}]`;
}

function literal(c: number, caseless: boolean): string {
  const o = caseless ? otherCase(c) : -1;
  if (o >= 0) return `[${String.fromCharCode(c)}${String.fromCharCode(o)}]`;
  return isAlnumCode(c) ? String.fromCharCode(c) : hex2(c);
}

function isSpaceCode(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isOctal(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "7";
}

function isHex(ch: string | undefined): boolean {
  return ch !== undefined && /[0-9A-Fa-f]/.test(ch);
}

type Escape =
  | { t: "char"; c: number }
  | { t: "set"; s: Set256 }
  | { t: "text"; s: string; repeatable: boolean }
  | { t: "ref"; n: number }
  | { t: "quote" }
  | { t: "nothing" };

/** Translates PCRE pattern `p` (a binary string) with options `o`. */
export function translatePcre(p: string, o: PcreOptions): TranslatedPcre | PcreError {
  try {
    return new Translator(p, o).run();
  } catch (e) {
    if (e instanceof Fail) return { error: e.error, offset: e.offset };
    throw e;
  }
}

class Translator {
  private i = 0;
  private out: Tok[] = [];
  private flags: Flags;
  private groups: Group[] = [];
  private capCount = 0;
  private atomCount = 0;
  private nodes: Node[] = [{ parent: -1, altAtOpenInParent: 0, alts: 0, optional: false, closed: false }];
  private capNode: number[] = [0]; // node of capture group n
  private refs: { n: number; node: number; alt: number; at: number }[] = [];
  private names = new Map<string, number>();

  constructor(
    private readonly p: string,
    private readonly o: PcreOptions,
  ) {
    this.flags = { i: o.caseless, m: o.multiline, s: o.dotall, x: o.extended, U: o.ungreedy };
  }

  private fail(msg: string, at = this.i): never {
    throw new Fail(msg, at);
  }

  private unsupported(what: string, at = this.i): never {
    throw new Fail(`${what} is not supported (no JavaScript equivalent)`, at);
  }

  private currentNode(): number {
    return this.groups.length === 0 ? 0 : this.groups[this.groups.length - 1]!.node;
  }

  run(): TranslatedPcre {
    const p = this.p;
    if (p.startsWith("(*")) this.unsupported("a leading (*VERB) option setting", 0);
    while (this.i < p.length) this.step();
    if (this.groups.length > 0) this.fail("missing closing parenthesis");
    for (const r of this.refs) {
      if (r.n > this.capCount) this.fail("reference to non-existent subpattern", r.at);
      if (!this.certainlySet(r.n, r.node, r.alt)) {
        this.unsupported("a back reference to a group that may not have taken part in the match", r.at);
      }
    }
    // number the JavaScript captures in order of appearance
    const map: number[] = [0];
    const atomNum: number[] = [];
    let js = 0;
    for (const t of this.out) {
      if (typeof t === "string") continue;
      if (t.k === "cap") map[t.n] = ++js;
      else if (t.k === "atom") atomNum[t.id] = ++js;
    }
    let src = "";
    for (const t of this.out) {
      if (typeof t === "string") src += t;
      else if (t.k === "cap") src += "(";
      else if (t.k === "atom") src += "(?=(";
      else if (t.k === "atomEnd") src += `))\\${atomNum[t.id]}`;
      else src += t.ci ? `(?i:\\${map[t.n]})` : `(?:\\${map[t.n]})`;
    }
    if (this.o.anchored) src = `^(?:${src})`;
    return { source: src, groups: this.capCount, groupMap: map };
  }

  /** True when capture group n, seen from a reference in node `node` at alternative `alt`, must be set. */
  private certainlySet(n: number, refNode: number, refAlt: number): boolean {
    let g = this.capNode[n]!;
    if (!this.nodes[g]!.closed) return false;
    // ancestors of the reference
    const refChain = new Map<number, number>(); // node -> alternative count of it at the reference
    let r = refNode;
    let alt = refAlt;
    while (r >= 0) {
      refChain.set(r, alt);
      const nd = this.nodes[r]!;
      alt = nd.altAtOpenInParent;
      r = nd.parent;
    }
    // climb from the group to the common ancestor; nothing on the way may be optional or alternated
    for (;;) {
      const nd = this.nodes[g]!;
      if (nd.optional || nd.alts > 0) return false;
      const parent = nd.parent;
      if (refChain.has(parent)) return refChain.get(parent) === nd.altAtOpenInParent;
      g = parent;
    }
  }

  private skipExtended(): void {
    const p = this.p;
    while (this.flags.x && this.i < p.length) {
      const c = p.charCodeAt(this.i);
      if (isSpaceCode(c)) this.i++;
      else if (c === 0x23) {
        while (this.i < p.length && p[this.i] !== "\n") this.i++;
      } else break;
    }
  }

  private step(): void {
    const p = this.p;
    if (this.flags.x) {
      this.skipExtended();
      if (this.i >= p.length) return;
    }
    const at = this.i;
    const ch = p[this.i]!;
    switch (ch) {
      case "\\": {
        this.i++;
        const e = this.escape(false);
        if (e.t === "quote") return this.quoted();
        if (e.t === "nothing") return;
        if (e.t === "ref") {
          const start = this.out.length;
          this.refs.push({ n: e.n, node: this.currentNode(), alt: this.nodes[this.currentNode()]!.alts, at });
          this.out.push({ k: "ref", n: e.n, ci: this.flags.i });
          return this.afterAtom(start);
        }
        if (e.t === "text") {
          const start = this.out.length;
          this.out.push(e.s);
          if (e.repeatable) return this.afterAtom(start);
          return;
        }
        const start = this.out.length;
        this.out.push(e.t === "char" ? literal(e.c, this.flags.i) : renderSet(this.caseSet(e.s)));
        return this.afterAtom(start);
      }
      case "[": {
        const start = this.out.length;
        this.out.push(renderSet(this.charClass()));
        return this.afterAtom(start);
      }
      case "(":
        return this.openGroup();
      case ")": {
        const g = this.groups.pop();
        if (!g) this.fail("unmatched closing parenthesis");
        this.i++;
        this.nodes[g.node]!.closed = true;
        this.flags = g.saved;
        if (g.kind === "atomic") this.out.push({ k: "atomEnd", id: g.atomId });
        else this.out.push(")");
        if (g.kind === "look") {
          return;
        }
        return this.afterAtom(g.outStart, g.node);
      }
      case "|":
        this.i++;
        this.nodes[this.currentNode()]!.alts++;
        this.out.push("|");
        return;
      case ".": {
        this.i++;
        const start = this.out.length;
        this.out.push(this.flags.s ? "[\\s\\S]" : "[^\\n]");
        return this.afterAtom(start);
      }
      case "^":
        this.i++;
        this.out.push(this.flags.m ? "(?:^|(?<=\\n)(?=[\\s\\S]))" : "^");
        return;
      case "$":
        this.i++;
        this.out.push(this.flags.m ? "(?=\\n|$)" : this.o.dollarEndOnly ? "$" : "(?=\\n?$)");
        return;
      case "*":
      case "+":
      case "?":
        this.fail("quantifier does not follow a repeatable item");
      default: {
        if (ch === "{" && this.quantifierAt(this.i)) this.fail("quantifier does not follow a repeatable item");
        this.i++;
        const start = this.out.length;
        this.out.push(literal(ch.charCodeAt(0), this.flags.i));
        return this.afterAtom(start);
      }
    }
  }

  private caseSet(s: Set256): Set256 {
    if (!this.flags.i) return s;
    const r = newSet();
    for (let c = 0; c < 256; c++) {
      if (!s[c]) continue;
      r[c] = 1;
      const o = otherCase(c);
      if (o >= 0) r[o] = 1;
    }
    return r;
  }

  private quoted(): void {
    const p = this.p;
    let last = -1;
    while (this.i < p.length) {
      if (p[this.i] === "\\" && p[this.i + 1] === "E") {
        this.i += 2;
        break;
      }
      last = this.out.length;
      this.out.push(literal(p.charCodeAt(this.i), this.flags.i));
      this.i++;
    }
    // a quantifier after \E repeats the last quoted character
    if (last >= 0) this.afterAtom(last);
  }

  /** `{n}`, `{n,}` or `{n,m}` at position `at`: its length, or 0 when it is a literal brace. */
  private quantifierAt(at: number): number {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.p.slice(at, at + 24));
    return m ? m[0].length : 0;
  }

  /** After an atom that starts at out[start]: an optional quantifier. */
  private afterAtom(start: number, node = -1): void {
    if (this.flags.x) this.skipExtended();
    const p = this.p;
    const c = p[this.i];
    let q = "";
    let min = 1;
    if (c === "*" || c === "+" || c === "?") {
      q = c;
      min = c === "+" ? 1 : 0;
      this.i++;
    } else if (c === "{") {
      const len = this.quantifierAt(this.i);
      if (len === 0) return;
      const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(this.i, this.i + len))!;
      const lo = Number(m[1]);
      const hi = m[3] === undefined ? lo : m[3] === "" ? Infinity : Number(m[3]);
      if (lo > 65535 || (hi !== Infinity && hi > 65535)) this.fail("number too big in {} quantifier");
      if (hi < lo) this.fail("numbers out of order in {} quantifier");
      q = m[0];
      min = lo;
      this.i += len;
    } else return;
    if (min === 0 && node >= 0) this.nodes[node]!.optional = true;
    let lazy = this.flags.U;
    let possessive = false;
    if (p[this.i] === "?") {
      lazy = !lazy;
      this.i++;
    } else if (p[this.i] === "+") {
      possessive = true;
      this.i++;
    }
    if (possessive) {
      const id = this.atomCount++;
      this.out.splice(start, 0, { k: "atom", id });
      this.out.push(q, { k: "atomEnd", id });
    } else this.out.push(lazy ? `${q}?` : q);
    const next = p[this.i];
    if (next === "*" || next === "+" || next === "?" || (next === "{" && this.quantifierAt(this.i))) {
      this.fail("quantifier does not follow a repeatable item");
    }
  }

  private openNode(): number {
    const parent = this.currentNode();
    this.nodes.push({ parent, altAtOpenInParent: this.nodes[parent]!.alts, alts: 0, optional: false, closed: false });
    return this.nodes.length - 1;
  }

  private openGroup(): void {
    const p = this.p;
    const at = this.i;
    this.i++;
    const saved = { ...this.flags };
    const outStart = this.out.length;
    if (p[this.i] === "*") this.unsupported("a backtracking control verb", at);
    if (p[this.i] !== "?") {
      const n = ++this.capCount;
      const node = this.openNode();
      this.capNode[n] = node;
      this.groups.push({ kind: "cap", n, atomId: -1, saved, outStart, parent: -1, node });
      this.out.push({ k: "cap", n });
      return;
    }
    this.i++;
    const c = p[this.i];
    const push = (kind: Group["kind"], text: string | Tok, atomId = -1) => {
      const node = this.openNode();
      this.groups.push({ kind, n: 0, atomId, saved, outStart, parent: -1, node });
      this.out.push(text);
    };
    if (c === "#") {
      const close = p.indexOf(")", this.i);
      if (close < 0) this.fail("missing ) after (?# comment");
      this.i = close + 1;
      return;
    }
    if (c === ":") {
      this.i++;
      return push("plain", "(?:");
    }
    if (c === "=" || c === "!") {
      this.i++;
      push("look", `(?${c}`);
      // captures inside a negative assertion are never set
      if (c === "!") this.nodes[this.nodes.length - 1]!.optional = true;
      return;
    }
    if (c === "<" && (p[this.i + 1] === "=" || p[this.i + 1] === "!")) {
      const neg = p[this.i + 1] === "!";
      const text = `(?<${p[this.i + 1]}`;
      this.i += 2;
      push("look", text);
      if (neg) this.nodes[this.nodes.length - 1]!.optional = true;
      return;
    }
    if (c === ">") {
      this.i++;
      const id = this.atomCount++;
      return push("atomic", { k: "atom", id }, id);
    }
    if (c === "&" || (c === "P" && p[this.i + 1] === ">")) this.unsupported("a subroutine call", at);
    if (c === "P" && p[this.i + 1] === "=") {
      // (?P=name): a back reference by name
      const close = p.indexOf(")", this.i);
      const name = close < 0 ? "" : p.slice(this.i + 2, close);
      const n = this.names.get(name);
      if (n === undefined) this.fail("reference to non-existent subpattern", at);
      this.i = close + 1;
      const start = this.out.length;
      this.refs.push({ n, node: this.currentNode(), alt: this.nodes[this.currentNode()]!.alts, at });
      this.out.push({ k: "ref", n, ci: this.flags.i });
      return this.afterAtom(start);
    }
    if (c === "P" || c === "<" || c === "'") {
      // a named group is also numbered; $n and back references use the number
      const open = c === "P" ? this.i + 2 : this.i + 1;
      const closeCh = p[open - 1] === "'" ? "'" : ">";
      if (c === "P" && p[this.i + 1] !== "<") this.fail("unrecognized character after (?P", at);
      const close = p.indexOf(closeCh, open);
      const name = close < 0 ? "" : p.slice(open, close);
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(name)) this.fail("syntax error in subpattern name (missing terminator?)", at);
      if (this.names.has(name)) this.fail("two named subpatterns have the same name (PCRE2_DUPNAMES not set)", at);
      this.i = close + 1;
      const n = ++this.capCount;
      this.names.set(name, n);
      const node = this.openNode();
      this.capNode[n] = node;
      this.groups.push({ kind: "cap", n, atomId: -1, saved, outStart, parent: -1, node });
      this.out.push({ k: "cap", n });
      return;
    }
    if (c === "|") this.unsupported("a branch reset group (?|", at);
    if (c === "(") this.unsupported("a conditional group (?(", at);
    if (c === "C") this.unsupported("a callout (?C", at);
    if (c === "R" || (c !== undefined && /[0-9+-]/.test(c) && /^[+-]?\d/.test(p.slice(this.i)))) {
      this.unsupported("recursion or a subroutine call", at);
    }
    // option setting (?imsxU-imsxU) or (?imsxU-imsxU: ... )
    let on = true;
    const f = { ...this.flags };
    for (;;) {
      const ch = p[this.i];
      if (ch === undefined) this.fail("missing closing parenthesis");
      if (ch === ")" || ch === ":") break;
      if (ch === "-" && on) on = false;
      else if (ch === "i" || ch === "m" || ch === "s" || ch === "x" || ch === "U") f[ch] = on;
      else if (ch === "J" || ch === "X") {
        // duplicate names / extra: no effect without named groups
      } else if (ch === "^" || ch === "n") this.unsupported(`the (?${ch}) option`, at);
      else this.fail("unrecognized character after (? or (?-");
      this.i++;
    }
    if (p[this.i] === ")") {
      this.i++;
      this.flags = f; // to the end of the enclosing group
      return;
    }
    this.i++;
    push("plain", "(?:");
    this.flags = f;
  }

  /** Reads an escape after its backslash. */
  private escape(inClass: boolean): Escape {
    const p = this.p;
    const at = this.i - 1;
    const ch = p[this.i];
    if (ch === undefined) this.fail("\\ at end of pattern", at);
    this.i++;
    const code = ch.charCodeAt(0);
    if (!isAlnumCode(code)) return { t: "char", c: code };
    switch (ch) {
      case "a":
        return { t: "char", c: 7 };
      case "e":
        return { t: "char", c: 27 };
      case "f":
        return { t: "char", c: 12 };
      case "n":
        return { t: "char", c: 10 };
      case "r":
        return { t: "char", c: 13 };
      case "t":
        return { t: "char", c: 9 };
      case "d":
        return { t: "set", s: DIGIT };
      case "D":
        return { t: "set", s: invert(DIGIT) };
      case "s":
        return { t: "set", s: SPACE };
      case "S":
        return { t: "set", s: invert(SPACE) };
      case "w":
        return { t: "set", s: WORD };
      case "W":
        return { t: "set", s: invert(WORD) };
      case "h":
        return { t: "set", s: HSPACE };
      case "H":
        return { t: "set", s: invert(HSPACE) };
      case "v":
        return { t: "set", s: VSPACE };
      case "V":
        return { t: "set", s: invert(VSPACE) };
      case "N":
        if (p[this.i] === "{") this.fail("PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u", at);
        if (inClass) this.fail("escape sequence is invalid in character class", at);
        return { t: "set", s: invert(setOf(10)) };
      case "C":
        if (inClass) this.fail("escape sequence is invalid in character class", at);
        return { t: "text", s: "[\\s\\S]", repeatable: true };
      case "R":
        if (inClass) this.fail("escape sequence is invalid in character class", at);
        return { t: "text", s: "(?:\\r\\n|[\\n\\x0b\\f\\r\\x85])", repeatable: true };
      case "b":
        if (inClass) return { t: "char", c: 8 };
        return { t: "text", s: "\\b", repeatable: false };
      case "B":
        if (inClass) this.fail("escape sequence is invalid in character class", at);
        return { t: "text", s: "\\B", repeatable: false };
      case "A":
      case "G":
        if (inClass) this.fail("escape sequence is invalid in character class", at);
        return { t: "text", s: "^", repeatable: false };
      case "z":
        if (inClass) this.fail("escape sequence is invalid in character class", at);
        return { t: "text", s: "$", repeatable: false };
      case "Z":
        if (inClass) this.fail("escape sequence is invalid in character class", at);
        return { t: "text", s: "(?=\\n?$)", repeatable: false };
      case "Q":
        return { t: "quote" };
      case "E":
        return { t: "nothing" };
      case "K":
        this.unsupported("\\K (reset match start)", at);
      case "p":
      case "P":
      case "X":
        this.unsupported(`the Unicode property escape \\${ch}`, at);
      case "x": {
        if (p[this.i] === "{") {
          const close = p.indexOf("}", this.i);
          const digits = close < 0 ? "" : p.slice(this.i + 1, close);
          if (close < 0 || !/^[0-9A-Fa-f]+$/.test(digits)) this.fail("missing terminating } or invalid hexadecimal", at);
          const v = Number.parseInt(digits, 16);
          if (v > 255) this.fail("character code point value in \\x{} or \\o{} is too large", at);
          this.i = close + 1;
          return { t: "char", c: v };
        }
        let v = 0;
        for (let k = 0; k < 2 && isHex(p[this.i]); k++) v = v * 16 + Number.parseInt(p[this.i++]!, 16);
        return { t: "char", c: v };
      }
      case "o": {
        const close = p[this.i] === "{" ? p.indexOf("}", this.i) : -1;
        const digits = close < 0 ? "" : p.slice(this.i + 1, close);
        if (close < 0 || !/^[0-7]+$/.test(digits)) this.fail("missing opening brace after \\o", at);
        const v = Number.parseInt(digits, 8);
        if (v > 255) this.fail("character code point value in \\x{} or \\o{} is too large", at);
        this.i = close + 1;
        return { t: "char", c: v };
      }
      case "c": {
        const x = p[this.i];
        if (x === undefined) this.fail("\\c at end of pattern", at);
        const xc = x.toUpperCase().charCodeAt(0);
        if (xc < 32 || xc > 126) this.fail("\\c must be followed by a printable ASCII character", at);
        this.i++;
        return { t: "char", c: xc ^ 0x40 };
      }
      case "g": {
        if (inClass) this.fail("escape sequence is invalid in character class", at);
        const m = /^(?:\{(-?\d+)\}|(-?\d+))/.exec(p.slice(this.i));
        if (!m) {
          if (p[this.i] === "<" || p[this.i] === "'") this.unsupported("a subroutine call", at);
          return this.namedRef(at, "{", "}");
        }
        this.i += m[0].length;
        let n = Number(m[1] ?? m[2]);
        if (n === 0) this.fail("a numbered reference must not be zero", at);
        if (n < 0) {
          n = this.capCount + 1 + n;
          if (n < 1) this.fail("reference to non-existent subpattern", at);
        }
        return { t: "ref", n };
      }
      case "k": {
        if (inClass) this.fail("escape sequence is invalid in character class", at);
        const o = p[this.i];
        if (o !== "<" && o !== "'" && o !== "{") this.fail("\\k is not followed by a braced, angle-bracketed, or quoted name", at);
        return this.namedRef(at, o, o === "<" ? ">" : o === "{" ? "}" : "'");
      }
      case "0": {
        let v = 0;
        for (let k = 0; k < 2 && isOctal(p[this.i]); k++) v = v * 8 + Number(p[this.i++]);
        return { t: "char", c: v };
      }
      case "F":
      case "L":
      case "l":
      case "U":
      case "u":
        this.fail("PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u", at);
      default:
        break;
    }
    if (ch >= "1" && ch <= "9") {
      if (!inClass) {
        const m = /^\d*/.exec(p.slice(this.i))!;
        const n = Number(ch + m[0]);
        if (n < 10 || ch === "8" || ch === "9" || n <= this.capCount) {
          this.i += m[0].length;
          return { t: "ref", n };
        }
      }
      if (ch === "8" || ch === "9") return { t: "char", c: code };
      let v = Number(ch);
      for (let k = 0; k < 2 && isOctal(p[this.i]); k++) v = v * 8 + Number(p[this.i++]);
      if (v > 255) this.fail("octal value is greater than \\377 in 8-bit non-UTF-8 mode", at);
      return { t: "char", c: v };
    }
    this.fail("unrecognized character follows \\", at);
  }

  /** A back reference by name: \k<name>, \k'name', \k{name}, \g{name}. */
  private namedRef(at: number, open: string, close: string): Escape {
    const p = this.p;
    if (p[this.i] !== open) this.fail("reference to non-existent subpattern", at);
    const end = p.indexOf(close, this.i + 1);
    const n = end < 0 ? undefined : this.names.get(p.slice(this.i + 1, end));
    if (n === undefined) this.fail("reference to non-existent subpattern", at);
    this.i = end + 1;
    return { t: "ref", n };
  }

  /** Parses a bracket expression starting at `[`; returns its byte set (case-expanded under i). */
  private charClass(): Set256 {
    const p = this.p;
    const at = this.i;
    this.i++;
    let negate = false;
    if (p[this.i] === "^") {
      negate = true;
      this.i++;
    }
    const set = newSet();
    let first = true;
    let prev = -1; // last single character, for ranges
    for (;;) {
      if (this.i >= p.length) this.fail("missing terminating ] for character class", at);
      let ch = p[this.i]!;
      if (ch === "]" && !first) {
        this.i++;
        break;
      }
      first = false;
      if (ch === "[" && (p[this.i + 1] === ":" || p[this.i + 1] === "." || p[this.i + 1] === "=")) {
        const kind = p[this.i + 1]!;
        const close = p.indexOf(`${kind}]`, this.i + 2);
        if (close >= 0) {
          if (kind !== ":") this.fail("POSIX collating elements are not supported");
          let name = p.slice(this.i + 2, close);
          const neg = name.startsWith("^");
          if (neg) name = name.slice(1);
          const s = POSIX[name];
          if (!s) this.fail("unknown POSIX class name");
          union(set, neg ? invert(s) : s);
          this.i = close + 2;
          prev = -1;
          continue;
        }
      }
      let c: number;
      if (ch === "\\") {
        this.i++;
        if (p[this.i] === "Q") {
          this.i++;
          while (this.i < p.length && !(p[this.i] === "\\" && p[this.i + 1] === "E")) {
            c = p.charCodeAt(this.i++);
            set[c] = 1;
            prev = c;
          }
          if (this.i < p.length) this.i += 2;
          continue;
        }
        if (p[this.i] === "E") {
          this.i++;
          continue;
        }
        const e = this.escape(true);
        if (e.t === "set") {
          union(set, e.s);
          prev = -1;
          continue;
        }
        if (e.t !== "char") this.fail("escape sequence is invalid in character class");
        c = e.c;
      } else {
        c = ch.charCodeAt(0);
        this.i++;
      }
      // a range?
      if (p[this.i] === "-" && p[this.i + 1] !== "]" && this.i + 1 < p.length) {
        const save = this.i;
        this.i++;
        let hi: number;
        ch = p[this.i]!;
        if (ch === "[" && p[this.i + 1] === ":") {
          this.i = save; // `a-[:digit:]`: the hyphen is literal
          set[c] = 1;
          prev = c;
          continue;
        }
        if (ch === "\\") {
          this.i++;
          const e = this.escape(true);
          if (e.t !== "char") {
            // `a-\d`: PCRE2 rejects this
            this.fail("invalid range in character class");
          }
          hi = e.c;
        } else {
          hi = ch.charCodeAt(0);
          this.i++;
        }
        if (hi < c) this.fail("range out of order in character class");
        range(set, c, hi);
        prev = -1;
        continue;
      }
      set[c] = 1;
      prev = c;
    }
    void prev;
    const cased = this.caseSet(set);
    return negate ? invert(cased) : cased;
  }
}
