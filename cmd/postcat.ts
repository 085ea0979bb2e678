/**
 * NAME
 *   postcat — show the contents of queue files
 *
 * SYNOPSIS
 *   postcat [-bdehoqrv] [-c config_dir] [-s offset] [files...]
 *
 * DESCRIPTION
 *   Prints postkit queue files (internal/queue/queue_file.ts) with Postfix's section markers and record names:
 *     *** ENVELOPE RECORDS path ***      message_size: (Postfix's six 15-wide fields), message_arrival_time:,
 *                                        create_time:, content_filter:, named_attribute: name=value,
 *                                        sender_fullname:, sender:,
 *                                        per recipient named_attribute: notify_flags=N / dsn_orig_rcpt=X,
 *                                        original_recipient:, then recipient: (done_recipient: once it was
 *                                        delivered or bounced, as Postfix marks it), warning_message_time:
 *     *** MESSAGE CONTENTS path ***      the message text, line by line
 *     *** HEADER EXTRACTED path ***      recipients and attributes found after the content (content_filter: for
 *                                        a FILTER action)
 *     *** MESSAGE FILE END path ***
 *   Times print as C asctime() in local time. With no file arguments the standard input is read and labelled
 *   `stdin`; with -q the arguments are queue IDs, looked for in maildrop, incoming, active, deferred, hold and
 *   saved (twice over) and labelled with their queue-relative path (`deferred/E/EF97820E3CD`).
 *
 *   A file that does not start with a queue file's first record gets `warning: PATH: input is not a valid queue
 *   file` and the next file is shown; a damaged or truncated file is shown up to the damage, then postcat stops
 *   with `fatal: PATH: corrupt queue file: REASON at offset N`.
 *
 * OPTIONS
 *   -b  body (from the first line that is not a header line)     -h  headers        -e  envelope and markers
 *       (none of -b -h -e: all three)
 *   -c config_dir   configuration directory           -d  prefix each line with its record type in decimal
 *   -o  prefix each line with its record's byte offset (a content line: the record holding its first byte)
 *   -q  arguments are queue IDs                       -r  raw: also show the status records appended after the end
 *   -s offset       start at this byte offset          -v  verbose: label text lines `regular_text:`
 *
 * EXIT STATUS
 *   0 when every file was shown (invalid ones warned about); 1 on a fatal error: usage, a bad offset, an invalid
 *   or missing queue ID, a file that cannot be opened, a damaged file.
 *
 * SEE ALSO
 *   postqueue(1), postsuper(1), internal/queue/queue_file.ts
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { getopt } from "../internal/text/getopt.ts";
import { FatalError } from "../internal/sys/errors.ts";
import { msgWarn, setMsgVerbose } from "../internal/log/msg.ts";
import { writeOut, writeOutBytes } from "../internal/sys/stdout.ts";
import { readSome } from "../internal/sys/libc.ts";
import { loadConfig, type Config } from "../internal/config/config.ts";
import {
  ATTR,
  findMessage,
  isValidQueueId,
  openQueueFile,
  postfixSizeFields,
  queueLayout,
  QueueError,
  RECORD_NAMES,
  relativeQueuePath,
  type LocatedRecord,
  type QueueEnvelope,
  type QueueFile,
} from "../internal/queue/index.ts";
import { asctime } from "../internal/showq/mailq_format.ts";

export const USAGE =
  "postcat [-b (body text)] [-c config_dir] [-d (decimal record type)] [-e (envelope records)] [-h (header text)] [-q (access queue)] [-v] [file(s)...]";

export const HELP = `usage: ${USAGE}

Show queue files: envelope (-e), headers (-h), body (-b); all three by default.
  -q       arguments are queue IDs        -o  show record offsets     -d  show decimal record types
  -r       also show appended status records      -s offset  start at a byte offset
  -c config_dir, -v
`;

interface Flags {
  env: boolean;
  header: boolean;
  body: boolean;
  offsets: boolean;
  decimal: boolean;
  raw: boolean;
  verbose: boolean;
  start: number;
}

const TYPE = { A: 65, O: 79, R: 82, D: 68, N: 78, L: 76, K: 75, RDR: 62 } as const;
const NEWLINE = new Uint8Array([10]);

/** A Postfix header line: a field name of printable characters but colon, optional blanks, a colon. */
function isHeaderLine(line: string): boolean {
  return /^[\x21-\x39\x3b-\x7e]+[ \t]*:/.test(line);
}

class Printer {
  private state: "env" | "header" | "body" | "extracted" | "end" = "env";
  /** The start of a content line whose end is in a later record. */
  private partial: Uint8Array[] = [];
  private partialOffset = 0;
  /** Content lines are printed byte for byte, as Postfix's postcat does: text when they are UTF-8, else raw. */
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });

  constructor(
    private readonly label: string,
    private readonly f: Flags,
    private readonly env: QueueEnvelope | undefined,
  ) {}

  private prefix(offset: number, type: number): string {
    return (this.f.offsets ? `${String(offset).padStart(9)} ` : "") + (this.f.decimal ? `${String(type).padStart(3)} ` : "");
  }

  private envLine(offset: number, type: number, text: string): void {
    if (this.f.env) writeOut(`${this.prefix(offset, type)}${text}\n`);
  }

  private marker(offset: number, type: string, text: string): void {
    if (this.f.env) writeOut(`${this.prefix(offset, type.charCodeAt(0))}*** ${text} ${this.label} ***\n`);
  }

  start(): void {
    if (this.f.start === 0 && this.f.env) writeOut(`*** ENVELOPE RECORDS ${this.label} ***\n`);
  }

  private textLine(bytes: Uint8Array, offset: number): void {
    let text: string | undefined;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      // not UTF-8: the bytes as they are (header names are ASCII either way)
    }
    const line = text ?? Buffer.from(bytes).toString("latin1");
    if (this.state === "header" && !(isHeaderLine(line) || line.startsWith(" ") || line.startsWith("\t"))) this.state = "body";
    const show = this.state === "header" ? this.f.header : this.f.body;
    if (!show) return;
    const lead = `${this.prefix(offset, TYPE.N)}${this.f.verbose ? "regular_text: " : ""}`;
    if (text !== undefined) writeOut(`${lead}${text}\n`);
    else writeOutBytes(Buffer.concat([Buffer.from(lead), bytes, NEWLINE]));
  }

  private endText(): void {
    if (this.partial.length > 0) {
      this.textLine(Buffer.concat(this.partial), this.partialOffset);
      this.partial = [];
    }
  }

  /** Prints one record; returns false once the end record has been shown (unless raw). */
  record(r: LocatedRecord): boolean {
    const o = r.offset;
    const code = r.kind.charCodeAt(0);
    switch (r.kind) {
      case "C":
        this.envLine(o, code, `message_size: ${postfixSizeFields(r).map((n) => String(n).padStart(15)).join(" ")}`);
        break;
      case "T":
        this.envLine(o, code, `message_arrival_time: ${asctime(r.sec)}`);
        break;
      case "W":
        this.envLine(o, code, `warning_message_time: ${asctime(r.sec)}`);
        break;
      case "A":
        if (r.name === "create_time" && /^\d+$/.test(r.value)) this.envLine(o, code, `create_time: ${asctime(Number(r.value))}`);
        else if (r.name === ATTR.CONTENT_FILTER) this.envLine(o, TYPE.L, `content_filter: ${r.value}`); // Postfix's L record
        else if (r.name === ATTR.REDIRECT) this.envLine(o, TYPE.RDR, `redirect_to: ${r.value}`); // Postfix's > record
        // superseded by an appended record: what Postfix's postcat shows of a record its queue manager killed
        else if (this.state === "env" && this.env?.appendedAttributes.has(r.name)) this.envLine(o, TYPE.K, `killed_record: ${r.name}=${r.value}`);
        else this.envLine(o, code, `named_attribute: ${r.name}=${r.value}`);
        break;
      case "F":
        this.envLine(o, code, `sender_fullname: ${r.fullName}`);
        break;
      case "S":
        this.envLine(o, code, `sender: ${r.sender}`);
        break;
      case "R": {
        if (r.notify > 0) this.envLine(o, TYPE.A, `named_attribute: notify_flags=${r.notify}`);
        if (r.orcpt !== "") this.envLine(o, TYPE.A, `named_attribute: dsn_orig_rcpt=${r.orcpt}`);
        this.envLine(o, TYPE.O, `original_recipient: ${r.origAddress}`);
        const done = this.env?.recipients.find((x) => x.offset === o)?.done === true;
        this.envLine(o, done ? TYPE.D : TYPE.R, `${done ? "done_recipient" : "recipient"}: ${r.address}`);
        break;
      }
      case "M":
        this.marker(o, "M", "MESSAGE CONTENTS");
        this.state = "header";
        break;
      case "N": {
        if (!this.f.header && !this.f.body) break;
        const data = r.data;
        let from = 0;
        for (;;) {
          const nl = data.indexOf(10, from);
          if (nl < 0) break;
          const piece = data.subarray(from, nl);
          const at = this.partial.length > 0 ? this.partialOffset : o;
          const line = this.partial.length > 0 ? Buffer.concat([...this.partial, piece]) : piece;
          this.partial = [];
          this.textLine(line, at);
          from = nl + 1;
        }
        if (from < data.length) {
          if (this.partial.length === 0) this.partialOffset = o;
          this.partial.push(data.slice(from));
        }
        break;
      }
      case "X":
        this.endText();
        this.marker(o, "X", "HEADER EXTRACTED");
        this.state = "extracted";
        break;
      case "E":
        this.endText();
        this.marker(o, "E", "MESSAGE FILE END");
        this.state = "end";
        return this.f.raw;
      case "D":
      case "b":
      case "d":
        this.envLine(o, code, `${RECORD_NAMES[r.kind]}: offset=${r.rcptOffset} time=${r.time} dsn=${r.dsn} reason=${r.reason}`);
        break;
    }
    return true;
  }

  /** True once the end record was seen. */
  get ended(): boolean {
    return this.state === "end";
  }
}

function showFile(f: QueueFile, label: string, flags: Flags): void {
  // Is it a queue file at all? Its first record must be a size record.
  if (flags.start === 0) {
    let first: LocatedRecord | undefined;
    try {
      first = f.records(0).next().value as LocatedRecord | undefined;
    } catch {
      first = undefined;
    }
    if (first === undefined || first.kind !== "C") {
      msgWarn(`${label}: input is not a valid queue file`);
      return;
    }
  }
  let env: QueueEnvelope | undefined;
  try {
    env = f.envelope();
  } catch {
    env = undefined; // damaged: shown up to the damage below
  }
  const p = new Printer(label, flags, env);
  p.start();
  try {
    for (const r of f.records(flags.start)) if (!p.record(r)) return;
  } catch (e) {
    if (e instanceof QueueError) throw new FatalError(e.message.replace(f.path, label));
    throw e;
  }
  if (!p.ended && flags.start === 0) throw new FatalError(`${label}: corrupt queue file: no end record (truncated file)`);
}

function openOrDie(path: string, shown: string): QueueFile {
  try {
    return openQueueFile(path);
  } catch (e) {
    if (e instanceof QueueError && e.code === "notfound") throw new FatalError(`open ${shown}: No such file or directory`);
    throw new FatalError(e instanceof Error ? e.message : String(e));
  }
}

function stdinToTemp(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "postcat-"));
  const path = join(dir, "stdin");
  const fd = openSync(path, "w", 0o600);
  try {
    const buf = Buffer.allocUnsafe(65536);
    for (;;) {
      const n = readSome(0, buf);
      if (n <= 0) break;
      writeSync(fd, buf, 0, n);
    }
  } finally {
    closeSync(fd);
  }
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** postcat's entry point. */
export function run(argv: string[]): number {
  const opts = getopt(argv, "bc:dehoqrs:v", USAGE);
  const startText = opts.last("s");
  let start = 0;
  if (startText !== undefined) {
    if (!/^\d+$/.test(startText)) throw new FatalError(`bad offset: ${startText}`);
    start = Number(startText);
  }
  setMsgVerbose(opts.count("v"));
  const any = opts.has("e") || opts.has("h") || opts.has("b");
  const flags: Flags = {
    env: !any || opts.has("e"),
    header: !any || opts.has("h"),
    body: !any || opts.has("b"),
    offsets: opts.has("o"),
    decimal: opts.has("d"),
    raw: opts.has("r"),
    verbose: opts.count("v") > 0,
    start,
  };
  let cfg: Config | undefined;
  const config = (): Config => (cfg ??= loadConfig({ configDir: opts.last("c") }));

  if (opts.args.length === 0) {
    const tmp = stdinToTemp();
    try {
      const f = openOrDie(tmp.path, "stdin");
      try {
        showFile(f, "stdin", flags);
      } finally {
        f.close();
      }
    } finally {
      tmp.cleanup();
    }
    return 0;
  }
  if (opts.has("q")) {
    const c = config();
    const layout = queueLayout(c.get("queue_directory"), { hashQueues: c.getList("hash_queue_names"), hashDepth: c.getInt("hash_queue_depth") });
    for (const id of opts.args) {
      if (!isValidQueueId(id)) throw new FatalError(`bad mail queue ID: ${id}`);
      const found = findMessage(layout, id);
      if (!found) throw new FatalError(`open queue file ${id}: No such file or directory`);
      const label = relativeQueuePath(found.queueName, id, layout.hashQueues, layout.hashDepth);
      const f = openOrDie(found.path, label);
      try {
        showFile(f, label, flags);
      } finally {
        f.close();
      }
    }
    return 0;
  }
  for (const path of opts.args) {
    const f = openOrDie(path, path);
    try {
      showFile(f, path, flags);
    } finally {
      f.close();
    }
  }
  return 0;
}
