/**
 * mailq_format_test — the listing's shortcuts give what the plain definitions give: addresses that need no
 * quoting, arrival times in several zones across their DST changes, entries of neighbours that share a sender
 * and recipients (kept from one message to the next), JSON strings with nothing to escape. Each is compared with
 * the straightforward formula on generated cases.
 */
import { test, expect, describe, afterAll } from "bun:test";
import type { QueueRecipient, QueueSummary } from "../queue/index.ts";
import { ListedMessage } from "../queue/queue_listing.ts";
import { asctime, displayAddress, jsonLine, jsonQuote, MailqListing, markedQueueId, printable, quote822Local } from "./mailq_format.ts";

let seed = 7;
function rnd(n: number): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
}

function rcpt(index: number, address: string, status?: { kind: "deferred" | "delivered"; reason: string; offset: number }): QueueRecipient {
  return {
    index,
    offset: 100 + index * 40,
    address,
    origAddress: index % 2 ? `Orig.${address}` : address,
    notify: 0,
    orcpt: "",
    extracted: false,
    done: status?.kind === "delivered",
    status: status && { status: status.kind, time: 0, dsn: "4.0.0", reason: status.reason, offset: status.offset },
  };
}

function summary(id: string, sender: string, arrival: number, rcpts: QueueRecipient[], queueName: QueueSummary["queueName"] = "deferred"): QueueSummary {
  return {
    queueName,
    queueId: id,
    path: `/q/${queueName}/${id}`,
    arrivalTime: arrival,
    messageSize: 1000 + arrival % 5000,
    forcedExpire: arrival % 3 === 0,
    sender,
    recipients: [],
    envelope: { recipients: rcpts } as QueueSummary["envelope"],
  };
}

/** The recipients still to do by the plain definition of the listing order: deferred ones by deferral, then the rest. */
function listedRecipients(s: QueueSummary): { address: string; origAddress: string; reason: string }[] {
  const todo = s.envelope.recipients.filter((r) => !r.done);
  const deferred = todo.filter((r) => r.status?.status === "deferred").sort((a, b) => a.status!.offset - b.status!.offset);
  const plain = todo.filter((r) => r.status?.status !== "deferred");
  return [...deferred, ...plain].map((r) => ({ address: r.address, origAddress: r.origAddress, reason: r.status?.status === "deferred" ? r.status.reason : "" }));
}

/** The classic entry by its plain definition (what MailqListing did before its shortcuts). */
function plainEntry(s: QueueSummary, first: boolean, longIds: boolean, empty: string): string {
  const [idW, sizeW, timeW] = longIds ? [17, 8, 19] : [11, 7, 20];
  const indent = " ".repeat(idW + sizeW + timeW + 3);
  const show = (a: string) => printable(quote822Local(a === "" ? empty : a));
  const heading = longIds
    ? "----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------\n"
    : "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n";
  let out = first ? heading : "\n";
  out += `${markedQueueId(s).padEnd(idW)} ${String(s.messageSize).padStart(sizeW)} ${asctime(s.arrivalTime).padEnd(24).slice(0, timeW)} ${show(s.sender)}\n`;
  let saved = "";
  for (const r of listedRecipients(s)) {
    const why = printable(r.reason);
    if (why !== saved) {
      saved = why;
      const shown = why === "" ? "reason unavailable" : why;
      out += `${" ".repeat(Math.max(0, 76 - shown.length))}(${shown})\n`;
    }
    out += `${indent}${show(r.address)}\n`;
  }
  return out;
}

/** The JSON line by its plain definition. */
function plainJson(s: QueueSummary, empty: string): string {
  const rcpts = listedRecipients(s).map((r) => {
    const why = r.reason === "" ? "" : `, "delay_reason": "${jsonQuote(r.reason)}"`;
    const address = r.address === "" ? empty : r.address;
    const orig = r.origAddress === "" ? address : r.origAddress;
    return `{"orig_address": "${jsonQuote(quote822Local(orig))}", "address": "${jsonQuote(quote822Local(address))}"${why}}`;
  });
  return (
    `{"queue_name": "${s.queueName}", "queue_id": "${jsonQuote(s.queueId)}", "arrival_time": ${s.arrivalTime}, ` +
    `"message_size": ${s.messageSize}, "forced_expire": ${s.forcedExpire ? "true" : "false"}, ` +
    `"sender": "${jsonQuote(quote822Local(s.sender === "" ? empty : s.sender))}", "recipients": [${rcpts.join(", ")}]}\n`
  );
}

const PIECES = ["a", "b", "Z", "0", ".", "..", "@", "-", "_", "+", " ", '"', "\\", "(", ")", "<", ">", ",", ";", ":", "[", "]", "\t", "\u0001", "\u007f", "é", "日", "😀", "\ud800", "x.y", "@host:", "example.com"];
function randomAddress(): string {
  let a = "";
  for (let n = rnd(6); n >= 0; n--) a += PIECES[rnd(PIECES.length)];
  if (rnd(2)) a += `@${rnd(2) ? "example.org" : PIECES[rnd(PIECES.length)]}`;
  return a;
}

const savedTz = process.env.TZ;
afterAll(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

describe("shortcuts of the listing agree with the plain definitions", () => {
  test("displayAddress() on 20,000 generated addresses", () => {
    const fixed = ["", "a@b", ".a@b", "a.@b", "a..b@c", "a b@c", '"q"@x', "@r1,@r2:u@h", "@r:u", "u@", "@", "no-at-sign", "x@y@z", "é@x"];
    for (const a of [...fixed, ...Array.from({ length: 20000 }, randomAddress)]) {
      expect([a, displayAddress(a, "MAILER-DAEMON")]).toEqual([a, printable(quote822Local(a === "" ? "MAILER-DAEMON" : a))]);
    }
  });

  test("jsonQuote() on 20,000 generated strings", () => {
    const plain = (x: string) => {
      let out = "";
      for (const ch of x.split("")) {
        const c = ch.charCodeAt(0);
        if (c < 32 || c === 127) out += c === 8 ? "\\b" : c === 12 ? "\\f" : c === 10 ? "\\n" : c === 13 ? "\\r" : c === 9 ? "\\t" : `\\u${c.toString(16).toUpperCase().padStart(4, "0")}`;
        else if (ch === '"') out += '\\"';
        else if (ch === "\\") out += "\\\\";
        else out += ch;
      }
      return printable(out);
    };
    for (const x of ["", "plain", "\ud83d\ude00", "\ud800", "\udc00x", ...Array.from({ length: 20000 }, randomAddress)]) expect([x, jsonQuote(x)]).toEqual([x, plain(x)]);
  });

  // zones with DST changes of an hour, of half an hour (Lord Howe), at 45 minutes past (Chatham), without DST
  for (const tz of ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kolkata", "EST5EDT,M3.2.0,M11.1.0", "<+0330>-3:30"]) {
    test(`classic and JSON entries, TZ=${tz}, across two years of DST changes`, () => {
      process.env.TZ = tz;
      for (const longIds of [false, true]) {
        const listing = new MailqListing({ longIds, emptyAddress: "MAILER-DAEMON" });
        let first = true;
        let prev: QueueSummary | undefined;
        const start = 1774000000; // March 2026
        for (let i = 0; i < 3000; i++) {
          // times near each hour boundary, spread over two years, and some far away
          const t = i % 100 === 0 ? rnd(4102444800) : start + rnd(2 * 365 * 24) * 3600 + (rnd(2) ? rnd(120) : 3600 - rnd(120));
          const reasons = ["connect to x: refused", "other \u0001 reason", ""];
          const rs = Array.from({ length: 1 + rnd(3) }, (_, k) => {
            const kind = rnd(3);
            return rcpt(k, randomAddress(), kind === 0 ? undefined : { kind: kind === 1 ? "deferred" : "delivered", reason: reasons[rnd(3)]!, offset: 5000 - rnd(3000) });
          });
          // every other message shares its sender and recipients with the one before (the listings keep those)
          const same = prev !== undefined && rnd(2) === 0;
          // (or only the addresses, with other statuses)
          const again = same && rnd(2) === 0 ? prev!.envelope.recipients.map((r, k) => ({ ...rs[k % rs.length]!, index: k, address: r.address, origAddress: r.origAddress })) : undefined;
          const s = summary(`ID${i}`, same ? prev!.sender : rnd(4) === 0 ? "" : randomAddress(), t, again ?? (same ? prev!.envelope.recipients : rs), (["deferred", "hold", "active"] as const)[rnd(3)]);
          prev = s;
          const m = new ListedMessage().fromSummary(s);
          expect(listing.entry(m)).toBe(plainEntry(s, first, longIds, "MAILER-DAEMON"));
          expect(jsonLine(m, "MAILER-DAEMON")).toBe(plainJson(s, "MAILER-DAEMON"));
          first = false;
        }
      }
    });
  }
});

test("printable() changes exactly what its regular expression matches", () => {
  // eslint-disable-next-line no-control-regex
  const byRegex = (s: string) => s.replace(/[\x00-\x1f\x7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "?");
  for (const s of ["", "plain text", "tab\there", "del\x7f", "é 日 😀", "lone \ud800 high", "lone \udc00 low", "\u0001\u001f", "x".repeat(100)]) {
    expect(printable(s)).toBe(byRegex(s));
  }
});
