/**
 * smtpd_reject_footer, smtpd_command_filter and the anvil message and recipient rate limits end to end, through
 * the compiled binary on a running instance: a footer on a reject reply, a command rewritten by the filter (and
 * logged), and `450 4.7.1 Error: too much mail from ADDR` / `450 4.7.1 Error: too many recipients from ADDR`
 * with their warnings once a client goes over smtpd_client_message_rate_limit and
 * smtpd_client_recipient_rate_limit (the texts checked side by side against Postfix 3.7).
 */
import { test, expect, beforeAll, afterAll, setDefaultTimeout } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { appendMainCf, makeInstance, readMaillog, startMailSystem, stopMailSystem, waitFor, type Instance } from "./_testkit.ts";
import { stockMasterCf } from "../internal/config/stock_config.ts";
import { TestSmtpClient, freePort } from "../internal/smtpd/_test_client.ts";

setDefaultTimeout(30000);

let inst: Instance;
let port: number;
const log = () => readMaillog(inst);

beforeAll(async () => {
  port = await freePort();
  inst = makeInstance(
    [
      "compatibility_level = 3.6",
      "inet_protocols = ipv4",
      "myhostname = mx.example.test",
      "mydestination = example.test",
      "mynetworks = 127.0.0.0/8",
      "alias_maps =",
      "local_recipient_maps =",
      "smtpd_error_sleep_time = 0",
      "smtpd_relay_restrictions = reject_unauth_destination",
      "smtpd_client_event_limit_exceptions =",
      "smtpd_client_message_rate_limit = 2",
      "smtpd_client_recipient_rate_limit = 3",
      "smtpd_reject_footer = \\c <$client_address> [$helo_name]\\nSee https://$server_name/help",
      "",
    ].join("\n"),
  );
  const filter = join(inst.config, "command_filter");
  writeFileSync(filter, "/^HELO (.*)/ EHLO $1\n");
  appendMainCf(inst, `smtpd_command_filter = regexp:${filter}\n`);
  await startMailSystem(inst, stockMasterCf(`127.0.0.1:${port}`), { services: [], ports: [port] });
});

afterAll(() => stopMailSystem(inst));

test("footer, command filter, then the recipient and message rate limits", async () => {
  const c = await TestSmtpClient.connect(port);
  expect(await c.reply()).toMatch(/^220 /);
  // the filter turns HELO into EHLO: the reply is the EHLO list
  expect(await c.cmd("HELO client.test")).toMatch(/^250-mx\.example\.test\n250-PIPELINING\n/);
  expect(await c.cmd("MAIL FROM:<s@client.test>")).toBe("250 2.1.0 Ok");
  // a reject with the footer: \c joins the first piece to the reply line, \n starts another line
  expect(await c.cmd("RCPT TO:<x@remote.test>")).toBe(
    "554-5.7.1 <x@remote.test>: Relay access denied <127.0.0.1> [client.test]\n554 5.7.1 See https://mx.example.test/help",
  );
  expect(await c.cmd("RCPT TO:<a@example.test>")).toBe("250 2.1.5 Ok");
  expect(await c.cmd("RCPT TO:<b@example.test>")).toBe("250 2.1.5 Ok");
  // the fourth recipient in the time unit (the rejected one counted too) is over the limit of 3
  expect(await c.cmd("RCPT TO:<c@example.test>")).toBe(
    "450-4.7.1 Error: too many recipients from 127.0.0.1 <127.0.0.1> [client.test]\n450 4.7.1 See https://mx.example.test/help",
  );
  expect(await c.cmd("RSET")).toBe("250 2.0.0 Ok");
  expect(await c.cmd("MAIL FROM:<s@client.test>")).toBe("250 2.1.0 Ok");
  expect(await c.cmd("RSET")).toBe("250 2.0.0 Ok");
  expect(await c.cmd("MAIL FROM:<s@client.test>")).toBe(
    "450-4.7.1 Error: too much mail from 127.0.0.1 <127.0.0.1> [client.test]\n450 4.7.1 See https://mx.example.test/help",
  );
  expect(await c.cmd("QUIT")).toBe("221 2.0.0 Bye");
  c.close();
  await waitFor("the disconnect line", () => / quit=1 commands=/.test(log()));
  const l = log();
  expect(l).toMatch(/postfix\/smtpd\[\d+\]: \S+\[127\.0\.0\.1\]: replacing command "HELO client\.test" with "EHLO client\.test"\n/);
  expect(l).toMatch(/postfix\/smtpd\[\d+\]: warning: Recipient address rate limit exceeded: 4 from \S+\[127\.0\.0\.1\] for service 127\.0\.0\.1:\d+\n/);
  expect(l).toMatch(/postfix\/smtpd\[\d+\]: warning: Message delivery request rate limit exceeded: 3 from \S+\[127\.0\.0\.1\] for service 127\.0\.0\.1:\d+\n/);
  expect(l).toMatch(/disconnect from \S+\[127\.0\.0\.1\] ehlo=1 mail=2\/3 rcpt=2\/4 rset=2 quit=1 commands=8\/11\n/);
});
