/**
 * bounce_templates — the texts of delivery status notices, in Postfix's bounce template format, so that
 * `postconf -t` prints them, `postconf -b` prints them expanded, and `bounce_template_file` can replace them.
 *
 * File format (Postfix's bounce(5)): one or more `name = <<EOF` … `EOF` blocks, name one of failure_template,
 * delay_template, success_template, verify_template; lines before the text are headers of the notice (Charset,
 * From, Subject, Postmaster-Subject), then an empty line, then the human-readable text. `$name` and `${name}` in
 * the text are replaced with main.cf values, plus Postfix's derived time variables
 * (`$delay_warning_time_hours`, `$maximal_queue_lifetime_days` …, in s/m/h/d/w units). Blank lines and `#`
 * comments between blocks are ignored.
 *
 * The built-in texts are postkit's own wording; the Subject lines are Postfix's, since filters match them.
 * Contract: parseTemplateFile() throws TemplateError naming the file and line for a malformed file; nothing here
 * reads files or main.cf itself.
 */
import { PostkitError } from "../sys/errors.ts";

/** A malformed template file. */
export class TemplateError extends PostkitError {}

/** One notice template. */
export interface BounceTemplate {
  charset: string;
  from: string;
  subject: string;
  postmasterSubject: string;
  /** The text, lines joined with "\n", variables not yet expanded. */
  text: string;
}

export type TemplateName = "failure" | "delay" | "success" | "verify";

const FOOTER = ["If you ask the postmaster for help, please include this report.", "", "                   The mail system"];

const DEFAULTS: Record<TemplateName, BounceTemplate> = {
  failure: {
    charset: "us-ascii",
    from: "Mail Delivery System <MAILER-DAEMON>",
    subject: "Undelivered Mail Returned to Sender",
    postmasterSubject: "Postmaster Copy: Undelivered Mail",
    text: [
      "This is the mail system at host $myhostname.",
      "",
      "Your message could not be delivered to one or more of its recipients.",
      "The reasons are listed below; the message itself is attached.",
      "",
      ...FOOTER,
    ].join("\n"),
  },
  delay: {
    charset: "us-ascii",
    from: "Mail Delivery System <MAILER-DAEMON>",
    subject: "Delayed Mail (still being retried)",
    postmasterSubject: "Postmaster Warning: Delayed Mail",
    text: [
      "This is the mail system at host $myhostname.",
      "",
      "This is only a warning: you do not need to send your message again.",
      "",
      "Your message has not been delivered for more than $delay_warning_time_hours hour(s).",
      "The mail system keeps trying until it is $maximal_queue_lifetime_days day(s) old.",
      "",
      ...FOOTER,
    ].join("\n"),
  },
  success: {
    charset: "us-ascii",
    from: "Mail Delivery System <MAILER-DAEMON>",
    subject: "Successful Mail Delivery Report",
    postmasterSubject: "Postmaster Copy: Successful Mail Delivery Report",
    text: [
      "This is the mail system at host $myhostname.",
      "",
      "Your message was delivered to the destinations listed below. If a destination",
      "is another mail system, you may still receive a notice from it.",
      ...FOOTER.slice(1),
    ].join("\n"),
  },
  verify: {
    charset: "us-ascii",
    from: "Mail Delivery System <MAILER-DAEMON>",
    subject: "Mail Delivery Status Report",
    postmasterSubject: "Postmaster Copy: Mail Delivery Status Report",
    text: [
      "This is the mail system at host $myhostname.",
      "",
      "Below is the delivery report you asked for.",
      ...FOOTER.slice(1),
    ].join("\n"),
  },
};

const ORDER: TemplateName[] = ["failure", "delay", "success", "verify"];

/** The templates: built-in, with those of a template file (its text) taking their place. */
export function bounceTemplates(fileText?: string, fileName = "bounce_template_file"): Record<TemplateName, BounceTemplate> {
  const out = { ...DEFAULTS };
  if (fileText !== undefined) Object.assign(out, parseTemplateFile(fileText, fileName));
  return out;
}

/** Parses a bounce_template_file. */
export function parseTemplateFile(text: string, fileName: string): Partial<Record<TemplateName, BounceTemplate>> {
  const out: Partial<Record<TemplateName, BounceTemplate>> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === "" || l.trimStart().startsWith("#")) continue;
    const m = /^\s*(failure|delay|success|verify)_template\s*=\s*<<\s*(\S+)\s*$/.exec(l);
    if (!m) throw new TemplateError(`${fileName}, line ${i + 1}: expected "NAME_template = <<EOF": "${l}"`);
    const end = m[2]!;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j] !== end) body.push(lines[j++]!);
    if (j >= lines.length) throw new TemplateError(`${fileName}, line ${i + 1}: missing "${end}" after ${m[1]}_template`);
    const t: BounceTemplate = { ...DEFAULTS[m[1] as TemplateName], text: "" };
    let k = 0;
    for (; k < body.length && body[k] !== ""; k++) {
      const h = /^([A-Za-z-]+):\s*(.*)$/.exec(body[k]!);
      if (!h) throw new TemplateError(`${fileName}, line ${i + 2 + k}: bad template header: "${body[k]}"`);
      const name = h[1]!.toLowerCase();
      if (name === "charset") t.charset = h[2]!;
      else if (name === "from") t.from = h[2]!;
      else if (name === "subject") t.subject = h[2]!;
      else if (name === "postmaster-subject") t.postmasterSubject = h[2]!;
      else throw new TemplateError(`${fileName}, line ${i + 2 + k}: unknown template header: "${h[1]}"`);
    }
    t.text = body.slice(k + 1).join("\n");
    out[m[1] as TemplateName] = t;
    i = j;
  }
  return out;
}

/** A template in the file format, as `postconf -t` prints it. */
export function formatTemplate(name: TemplateName, t: BounceTemplate): string {
  return `${name}_template = <<EOF\nCharset: ${t.charset}\nFrom: ${t.from}\nSubject: ${t.subject}\nPostmaster-Subject: ${t.postmasterSubject}\n\n${t.text}\nEOF\n`;
}

/** All templates in the file format, separated by empty lines (postconf -t). */
export function formatTemplates(ts: Record<TemplateName, BounceTemplate>): string {
  return ORDER.map((n) => formatTemplate(n, ts[n])).join("\n");
}

const UNITS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400, weeks: 604800 };

/** Expands `$name` in a template text; `lookup` gives main.cf values, `seconds` the time parameters in seconds. */
export function expandTemplateText(text: string, lookup: (name: string) => string | undefined, seconds: (name: string) => number | undefined): string {
  return text.replace(/\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (whole, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    const m = /^(.*)_(seconds|minutes|hours|days|weeks)$/.exec(name);
    if (m) {
      const s = seconds(m[1]!);
      if (s !== undefined) return String(Math.floor(s / UNITS[m[2]!]!));
    }
    const v = lookup(name);
    return v === undefined ? whole : v;
  });
}

/** The expanded texts as `postconf -b` prints them. */
export function formatExpandedTexts(ts: Record<TemplateName, BounceTemplate>, expand: (text: string) => string): string {
  return ORDER.map((n) => `expanded_${n}_text = <<EOF\n${expand(ts[n].text)}\nEOF\n`).join("\n");
}
