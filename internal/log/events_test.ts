import { test, expect } from "bun:test";
import { formatDelays, formatRecipientEvent, formatTv } from "./events.ts";

// Values as Postfix's format_tv() prints them with 2 significant digits and 2 decimals at most.
const tv: [number, number, string][] = [
  [0, 0, "0"],
  [0, 4000, "0"],
  [0, 5000, "0.01"],
  [0, 51000, "0.05"],
  [0, 100000, "0.1"],
  [0, 154000, "0.15"],
  [0, 999000, "1"],
  [1, 230000, "1.2"],
  [9, 960000, "10"],
  [12, 345000, "12"],
  [307, 0, "307"],
  [3, 0, "3"],
];
for (const [sec, usec, want] of tv) {
  test(`formatTv(${sec}, ${usec}) is ${want}`, () => expect(formatTv(sec, usec)).toBe(want));
}

test("formatDelays() splits the time as Postfix's log_adhoc() does", () => {
  const t = { arrival: 1000, active: 1100, handoff: 1150, done: 1300 };
  expect(formatDelays(t)).toBe("delay=0.3, delays=0.1/0.05/0/0.15");
  expect(formatDelays({ arrival: 1000, active: 1100, handoff: 1150, connected: 1200, done: 1300 })).toBe("delay=0.3, delays=0.1/0.05/0.05/0.1");
  expect(formatDelays({ arrival: 1000, active: 1100, done: 1250 })).toBe("delay=0.25, delays=0.1/0.15/0/0");
  expect(formatDelays({ arrival: 1000, done: 1250 })).toBe("delay=0.25, delays=0.25/0/0/0");
});

test("formatRecipientEvent() writes the line pflogsumm parses", () => {
  const line = formatRecipientEvent({
    queueId: "3F2A1B", to: "bob@remote.example", origTo: "Bob@Remote.Example", relay: "none",
    times: { arrival: 0, active: 100, done: 150 }, dsn: "4.4.1", status: "deferred",
    reason: "connect to 127.0.0.1[127.0.0.1]:9: Connection refused",
  });
  expect(line).toBe("3F2A1B: to=<bob@remote.example>, relay=none, delay=0.15, delays=0.1/0.05/0/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:9: Connection refused)");
  const orig = formatRecipientEvent({ queueId: "Q", to: "a@b", origTo: "alias@b", relay: "local", connUse: 2, times: { arrival: 0, done: 0 }, dsn: "2.0.0", status: "sent", reason: "delivered to mailbox" });
  expect(orig).toBe("Q: to=<a@b>, orig_to=<alias@b>, relay=local, conn_use=2, delay=0, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)");
});
