import { test, expect } from "bun:test";
import { bounceTemplates, expandTemplateText, formatTemplates, parseTemplateFile, TemplateError } from "./bounce_templates.ts";

test("formatTemplates() and parseTemplateFile() round-trip the built-in templates", () => {
  const ts = bounceTemplates();
  expect(parseTemplateFile(formatTemplates(ts), "x")).toEqual(ts);
  expect(ts.failure.subject).toBe("Undelivered Mail Returned to Sender");
  expect(ts.delay.subject).toBe("Delayed Mail (still being retried)");
});

test("a template file replaces only the templates it names", () => {
  const ts = bounceTemplates("# mine\n\nfailure_template = <<EOF\nSubject: Sorry\n\nNo luck at $myhostname.\nEOF\n", "t.cf");
  expect(ts.failure.subject).toBe("Sorry");
  expect(ts.failure.from).toBe("Mail Delivery System <MAILER-DAEMON>");
  expect(ts.failure.text).toBe("No luck at $myhostname.");
  expect(ts.delay).toEqual(bounceTemplates().delay);
});

test("parseTemplateFile() reports malformed files with file and line", () => {
  expect(() => parseTemplateFile("bogus line\n", "t.cf")).toThrow(TemplateError);
  expect(() => parseTemplateFile("bogus line\n", "t.cf")).toThrow('t.cf, line 1: expected "NAME_template = <<EOF"');
  expect(() => parseTemplateFile("delay_template = <<EOF\nSubject: x\n\ntext\n", "t.cf")).toThrow('t.cf, line 1: missing "EOF"');
  expect(() => parseTemplateFile("delay_template = <<EOF\nX-Bad: x\n\ntext\nEOF\n", "t.cf")).toThrow("unknown template header");
});

test("expandTemplateText() fills main.cf values and the derived time units", () => {
  const text = "host $myhostname, ${mydomain}; $delay_warning_time_hours h, $maximal_queue_lifetime_days d; $unknown";
  const vals: Record<string, string> = { myhostname: "mx.example", mydomain: "example" };
  const secs: Record<string, number> = { delay_warning_time: 4 * 3600, maximal_queue_lifetime: 5 * 86400 };
  expect(expandTemplateText(text, (n) => vals[n], (n) => secs[n])).toBe("host mx.example, example; 4 h, 5 d; $unknown");
});
