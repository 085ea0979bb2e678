/**
 * strict_8bitmime and strict_mime_encoding_domain end to end, through the compiled binary on a running instance:
 * smtpd answers 8-bit data in a header, 8-bit data in a 7bit body and a base64 message/rfc822 part with cleanup's
 * refusal (`550 5.6.0 …`), cleanup logs Postfix's `reject: mime-error …` line, and declared 8-bit mail is accepted.
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { makeInstance, readMaillog, smtpTransaction, startMailSystem, stopMailSystem, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { freePort } from "../internal/smtpd/_test_client.ts";

setDefaultTimeout(30000);

let inst: Instance;
let port: number;

/** One SMTP transaction (the data as bytes, one character each); returns the reply to the end of the data. */
const send = (data: string) => smtpTransaction(port, "MAIL FROM:<sender@example.test> BODY=8BITMIME", ["nobody@example.test"], data);

beforeAll(async () => {
  port = await freePort();
  inst = makeInstance(
    [
      "compatibility_level = 3.6",
      "inet_protocols = ipv4",
      "alias_maps =",
      "mynetworks = 127.0.0.0/8",
      "smtpd_error_sleep_time = 0",
      "transport_maps = inline:{ example.test=discard: }",
      "strict_8bitmime = yes",
      "strict_mime_encoding_domain = yes",
      "",
    ].join("\n"),
  );
  await startMailSystem(inst, stockMasterCf(`127.0.0.1:${port}`), { services: ["local"], ports: [port] });
});

afterAll(() => {
  stopMailSystem(inst);
});

test("8-bit data in a header, in a 7bit body, or a base64 message/rfc822 part: 550 5.6.0, logged as mime-error", async () => {
  // (UTF-8 bytes, one character each: the log shows them as text)
  expect(await send("Subject: caf\u00c3\u00a9\n\nbody\n")).toBe("550 5.6.0 improper use of 8-bit data in message header");
  expect(await send("Subject: x\n\ncaf\u00e9\n")).toBe("550 5.6.0 improper use of 8-bit data in message body");
  expect(await send("Subject: x\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA==\n")).toBe(
    "550 5.6.0 invalid message/* or multipart/* encoding domain",
  );
  expect(readMaillog(inst)).toMatch(
    /postfix\/cleanup\[\d+\]: [0-9A-F]+: reject: mime-error improper use of 8-bit data in message header: Subject: café from localhost\[127\.0\.0\.1\]; from=<sender@example\.test> to=<nobody@example\.test>\n/,
  );
});

test("8-bit data declared 8bit is accepted", async () => {
  expect(await send("Subject: x\nContent-Transfer-Encoding: 8bit\n\ncaf\u00e9\n")).toMatch(/^250 2\.0\.0 Ok: queued as /);
});
