/**
 * master_cf_edit — rewrites master.cf text for `postconf -Me/-MX/-M#`, `-Fe` and `-Pe/-PX` (Postfix's
 * pcf_edit_master(); behaviour matched against Postfix 3.7, no code taken from it).
 *
 * Requests (one per command-line argument):
 *   entry   `service/type=whole entry` (set), `service/type` (delete, comment)
 *   field   `service/type/field=value`; field is service, type, private, unprivileged, chroot, wakeup,
 *           process_limit or command (set only)
 *   param   `service/type/name=value` (set: replace `-o name=…` or add `-o name=value` after the last daemon
 *           option), `service/type/name` (delete)
 * A service or type pattern `*` matches any; `service/type` is split at `/` with empty parts dropped.
 *
 * Output, as Postfix writes it: lines outside the edited entries are kept byte for byte, including a last line
 * without a newline (which gets one only when text follows it: Postfix 3.7 would glue that text on). An edited entry is printed as `postconf -Mf` prints it: fields at fixed columns, each
 * `-o name=value` on a continuation line indented by 4. Comment and blank lines that sit among or right after
 * the continuation lines of an entry edited with -F or -P come out before the new entry. `set` on an entry
 * replaces the first entry that matches `service/type` or the new entry's own name and type, removes later ones,
 * and appends the entry when nothing matched. Comment-out prefixes each physical line of the entry with `#`;
 * delete drops them; comment lines inside the entry are kept either way.
 *
 * Contract: `editMasterCf()` touches no file: it returns the new text, reports warnings through its callback as
 * they arise (`unmatched service_name/type: "arg"` for -F/-P requests that match nothing) and throws ConfigError
 * with Postfix's text for a bad request or a bad entry it has to rewrite. The caller replaces the file atomically.
 */
import { ConfigError, splitNameValue } from "./main_cf.ts";
import { checkMasterFields, formatMasterEntry, normalizeMasterArgs, parseMasterEntry, splitQuoted, type MasterEntry } from "./master_cf.ts";

/** What is being edited (-M, -F or -P) and how (-e, -X or -#). */
export interface MasterCfEdit {
  target: "entry" | "field" | "param";
  mode: "set" | "delete" | "comment";
  args: string[];
}

export const MASTER_FIELD_NAMES = ["service", "type", "private", "unprivileged", "chroot", "wakeup", "process_limit", "command"];

const EDIT_OPTS = "-Me, -Fe, -Pe, -X, or -#";
const BLANKS = " \t\r\n";

interface Request {
  raw: string;
  pattern: string[];
  field: number;
  value: string | undefined;
  matches: number;
}

/** C's isspace(). */
function isSpace(c: string | undefined): boolean {
  if (c === undefined || c === "") return false;
  const n = c.charCodeAt(0);
  return n === 32 || (n >= 9 && n <= 13);
}

function isBlankOrComment(line: string): boolean {
  let i = 0;
  while (i < line.length && isSpace(line[i])) i++;
  return i === line.length || line[i] === "#";
}

/** pcf_parse_service_pattern(): `a/b[/c]` with exactly `parts` parts; `*` only on its own; else undefined. */
function parseServicePattern(pattern: string, parts: number): string[] | undefined {
  if (pattern.startsWith("/")) return undefined;
  const p = pattern.split("/").filter((s) => s !== "");
  if (p.length !== parts) return undefined;
  for (const s of p) if (s !== "*" && s.includes("*")) return undefined;
  return p;
}

const matchOne = (pat: string, s: string) => pat === "*" || pat === s;

function parseRequests(edit: MasterCfEdit): Request[] {
  const out: Request[] = [];
  for (const raw of edit.args) {
    if (raw.includes("\n")) throw new ConfigError(`${EDIT_OPTS} accept no multi-line input`);
    let cp = raw;
    while (isSpace(cp[0])) cp = cp.slice(1);
    if (cp.startsWith("#")) throw new ConfigError(`${EDIT_OPTS} accept no comment input`);
    let pattern: string;
    let value: string | undefined;
    if (edit.mode === "set") {
      const nv = splitNameValue(cp);
      if ("error" in nv) throw new ConfigError(`${nv.error}: "${raw}"`);
      pattern = nv.name;
      value = nv.value;
    } else {
      if (cp.includes("=")) throw new ConfigError("-X or -# requires names without value");
      pattern = cp.replace(/[ \t\r\n\v\f]+$/, "");
    }
    const req: Request = { raw, pattern: [], field: -1, value, matches: 0 };
    const hasBlank = (v: string) => [...v].some((c) => BLANKS.includes(c));
    if (edit.target === "entry") {
      const p = parseServicePattern(pattern, 2);
      if (!p) throw new ConfigError("-Me, -MX or -M# requires service_name/type");
      req.pattern = p;
    } else if (edit.target === "field") {
      const p = parseServicePattern(pattern, 3);
      if (!p) throw new ConfigError("-Fe or -FX requires service_name/type/field_name");
      req.pattern = p;
      if (p[2] === "*") throw new ConfigError("-Fe does not accept wild-card field name");
      req.field = MASTER_FIELD_NAMES.indexOf(p[2]!);
      if (req.field < 0) throw new ConfigError(`invalid service attribute name: "${p[2]}"`);
      if (value !== undefined && req.field < 7 && hasBlank(value)) throw new ConfigError("-Fe does not accept whitespace in non-command field");
    } else {
      const p = parseServicePattern(pattern, 3);
      if (!p) throw new ConfigError("-Pe or -PX requires service_name/type/parameter");
      req.pattern = p;
      if (p[2] === "*") throw new ConfigError("-Pe does not accept wild-card parameter name");
      if (value !== undefined && hasBlank(value)) throw new ConfigError("-Pe does not accept whitespace in parameter value");
    }
    out.push(req);
  }
  return out;
}

/** Replaces one field of an entry, as `postconf -Fe` does; the command field takes the command and its arguments. */
export function editMasterField(e: MasterEntry, field: number, value: string, warn: (m: string) => void): void {
  if (field === 7) {
    const words = splitQuoted(value);
    // Postfix 3.7 crashes on an empty command; refuse it instead
    if (words.length === 0) throw new ConfigError(`edit master.cf: empty command field for ${e.service}/${e.type}`);
    e.command = words[0]!;
    e.args = normalizeMasterArgs(words.slice(1), "master.cf", warn);
  } else {
    const keys = ["service", "type", "private", "unpriv", "chroot", "wakeup", "maxproc"] as const;
    e[keys[field]!] = value;
  }
  checkMasterFields([e.service, e.type, e.private, e.unpriv, e.chroot, e.wakeup, e.maxproc], value);
}

/**
 * Sets (`value` given) or removes (`value` undefined) `-o name=value` among an entry's daemon options: every
 * `-o name=…` is replaced or removed; a new one goes after the last daemon option.
 */
export function editMasterParam(e: MasterEntry, name: string, value: string | undefined): void {
  const a = e.args;
  let matched = false;
  let i = 0;
  for (; i < a.length; i++) {
    const arg = a[i]!;
    if (arg[0] !== "-" || arg === "--") break;
    if (arg[1] !== "o" || i + 1 >= a.length) continue;
    if (arg === "-o" && a[i + 1]!.startsWith(`${name}=`)) {
      matched = true;
      if (value !== undefined) a[i + 1] = `${name}=${value}`;
      else {
        a.splice(i, 2);
        i -= 2;
      }
    }
    i++;
  }
  if (value !== undefined && !matched) a.splice(i, 0, "-o", `${name}=${value}`);
}

function parseOrThrow(text: string, raw: string, where: (err: string) => string, warn: (m: string) => void): MasterEntry {
  const e = parseMasterEntry(text, raw, "master.cf", warn);
  if ("error" in e) throw new ConfigError(where(e.error));
  return e;
}

/** Rewrites master.cf text (`file` names it in messages) for one postconf -M, -F or -P edit. */
export function editMasterCf(text: string, file: string, edit: MasterCfEdit, warn: (m: string) => void): string {
  const reqs = parseRequests(edit);
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const out: string[] = [];
  // Postfix 3.7 copies a last line that has no newline as it is, and would glue appended text to it
  const unterminated = text !== "" && !text.endsWith("\n") ? lines.length - 1 : -1;
  let unterminatedOut = -1;
  const copy = (n: number, s: string) => {
    if (n === unterminated) unterminatedOut = out.length;
    out.push(s);
  };
  const wholeSet = edit.target === "entry" && edit.mode === "set";
  const newEntry = (r: Request) => parseOrThrow(r.value!, r.value!, (err) => `${err}: "${r.raw}"`, warn);
  let matched = false;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (isBlankOrComment(line)) {
      copy(n, line);
      continue;
    }
    if (isSpace(line[0])) {
      if (!matched) copy(n, line);
      else if (edit.mode === "comment") copy(n, `#${line}`);
      continue;
    }
    const lineno = n + 1;
    matched = false;
    const words = line.split(/[ \t\r\n]+/).filter((w) => w !== "");
    const [service, type] = words;
    if (service === undefined || type === undefined) {
      throw new ConfigError(`file ${file}: line ${lineno}: specify service name and type on the same line`);
    }
    if (service.includes("=")) {
      throw new ConfigError(`file ${file}: line ${lineno}: service name syntax "${service}" is unsupported with ${EDIT_OPTS}`);
    }
    if (/[=/]/.test(type)) {
      throw new ConfigError(`file ${file}: line ${lineno}: service type syntax "${type}" is unsupported with ${EDIT_OPTS}`);
    }
    let replacement: MasterEntry | undefined;
    for (const r of reqs) {
      const tentative = wholeSet ? newEntry(r) : undefined;
      if (matchOne(r.pattern[0]!, service) && matchOne(r.pattern[1]!, type)) {
        matched = true;
        r.matches++;
        if (edit.mode === "set" || (edit.target === "param" && edit.mode === "delete")) {
          if (edit.target === "entry") {
            if (r.matches === 1) replacement = tentative;
          } else {
            if (!replacement) {
              // the entry's continuation lines; comments and blank lines among them go out first
              let full = `${line}\n`;
              while (n + 1 < lines.length && (lines[n + 1]!.startsWith("#") || isSpace(lines[n + 1]![0]) || lines[n + 1] === "")) {
                const next = lines[++n]!;
                if (isBlankOrComment(next)) copy(n, next);
                else full += `${next}\n`;
              }
              replacement = parseOrThrow(full, full, (err) => `file ${file}: line ${lineno}: ${err}`, warn);
            }
            if (edit.target === "field") editMasterField(replacement, r.field, r.value!, warn);
            else editMasterParam(replacement, r.pattern[2]!, r.value);
          }
        }
      } else if (tentative && matchOne(tentative.service, service) && matchOne(tentative.type, type)) {
        matched = true;
        r.matches++;
        if (r.matches === 1) replacement = tentative;
      }
    }
    if (replacement) out.push(formatMasterEntry(replacement, true).slice(0, -1));
    else if (!matched) copy(n, line);
    else if (edit.mode === "comment") copy(n, `#${line}`);
  }
  for (const r of reqs) {
    if (r.matches > 0) continue;
    if (wholeSet) out.push(formatMasterEntry(newEntry(r), true).slice(0, -1));
    else if (edit.target !== "entry") warn(`unmatched service_name/type: "${r.raw}"`);
  }
  if (out.length === 0) return "";
  return unterminatedOut === out.length - 1 ? out.join("\n") : `${out.join("\n")}\n`;
}
