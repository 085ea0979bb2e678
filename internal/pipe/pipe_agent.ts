/**
 * pipe_agent — delivery to an external command named in master.cf (Postfix's pipe(8)): one command per delivery
 * request, its exit status deciding the fate of every recipient in the request.
 *
 * For each request (the queue manager puts up to $SERVICE_destination_recipient_limit recipients in one):
 *   1. flags D or O with more than one recipient: every recipient deferred `4.3.5 mail system configuration
 *      error`, with the warning `pipe flag `D' requires SERVICE_destination_recipient_limit = 1`
 *   2. size= smaller than the message: bounced `5.2.3 message too large`
 *   3. flag D and the recipient already in a Delivered-To header: bounced `5.4.6 mail forwarding loop for ADDR`
 *   4. the command's arguments expanded (pipe_attr.ts; an unknown macro warns
 *      `file CONFIG/master.cf: service SERVICE: unknown macro name: "NAME"` and defers 4.3.5 as in step 1)
 *   5. the command run without a shell, as user=, for at most $SERVICE_time_limit seconds (default
 *      $command_time_limit), with the message on its input: the preamble asked for by the flags (From_,
 *      Return-Path, X-Original-To, Delivered-To; the null sender written as null_sender=), the message with
 *      `>From ` and `..` quoting when asked for, eol= line ends, a blank line with flag B
 *   6. exit 0: every recipient `sent (delivered via SERVICE service)`, with the command's output appended as
 *      ` (OUTPUT)` (at most 100 characters) when there was any; any other ending as pipe_command.ts reads it:
 *      4.x.x defers, anything else bounces, e.g. `bounced (user unknown. Command output: …)` for exit 67,
 *      `deferred (temporary failure)` for exit 75, `bounced (Command time limit exceeded: "PROGRAM")`.
 * Each recipient gets its own `to=<…>, relay=SERVICE, …` log line, as Postfix's pipe(8) logs them.
 *
 * Rights: a privileged agent (root) runs the command with user='s uid and gid; an unprivileged instance runs it
 * with the instance owner's (the user= checks still apply).
 *
 * Not done (see README): chroot=, trace-only requests (`sendmail -bv`) are delivered normally.
 *
 * Contract: PipeAgent.create() throws ConfigError for bad attributes (Postfix's fatal texts); deliver() never
 * throws. Postfix: src/pipe/pipe.c (deliver_message, eval_command_status).
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/config.ts";
import { msgWarn } from "../log/msg.ts";
import { getgrnam, getpwnam } from "../sys/passwd.ts";
import { errnoText } from "../sys/errno.ts";
import { quoteLocalPart, asciiLowercase } from "../address/index.ts";
import { queueLayout, type QueueLayout } from "../queue/index.ts";
import { verifyOnly, type DeliveryReply, type DeliveryRequest } from "../daemon/agent_protocol.ts";
import { DeliveryJob, RecipientOutcome, formatPreamble, copyMessage, pipeCommand, isPrivileged } from "../mailbox/index.ts";
import { expandPipeArgv, parsePipeAttributes, type PipeAttributes } from "./pipe_attr.ts";

/** Line ends other than "\n" and `..` quoting, applied to the whole input of the command (mail_copy()'s eol and MAIL_COPY_DOT). */
export function* transformLines(chunks: Iterable<Uint8Array>, eol: string, dotStuff: boolean): Generator<Uint8Array> {
  const eolBuf = Buffer.from(eol, "latin1");
  const plain = eol === "\n" && !dotStuff;
  let bol = true;
  for (const c of chunks) {
    if (plain || c.length === 0) {
      yield c;
      continue;
    }
    const buf = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    const out: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i]!;
      if (bol && dotStuff && b === 0x2e) {
        out.push(buf.subarray(start, i), Buffer.from("."));
        start = i;
      }
      bol = false;
      if (b === 10) {
        out.push(buf.subarray(start, i), eolBuf);
        start = i + 1;
        bol = true;
      }
    }
    if (start < buf.length) out.push(buf.subarray(start));
    yield Buffer.concat(out);
  }
}

/** The pipe(8) delivery agent of one master.cf service. */
export class PipeAgent {
  private constructor(
    private readonly cfg: Config,
    private readonly service: string,
    private readonly layout: QueueLayout,
    readonly attr: PipeAttributes,
    private readonly timeLimit: number,
  ) {}

  /** Reads the service's attributes (ConfigError with Postfix's texts). */
  static create(cfg: Config, service: string, args: readonly string[]): PipeAgent {
    const owner = getpwnam(cfg.get("mail_owner"));
    const sgid = getgrnam(cfg.get("setgid_group"));
    const attr = parsePipeAttributes(args, {
      getpwnam: (n) => getpwnam(n),
      getgrnam: (n) => getgrnam(n),
      mailOwner: cfg.get("mail_owner"),
      mailOwnerUid: owner?.uid ?? -1,
      mailOwnerGid: owner?.gid ?? -1,
      setgidGroup: cfg.get("setgid_group"),
      setgidGid: sgid?.gid ?? -1,
    });
    let timeLimit: number;
    try {
      timeLimit = cfg.getTime(`${service}_time_limit`);
    } catch {
      timeLimit = cfg.getTime("command_time_limit");
    }
    return new PipeAgent(cfg, service, queueLayout(cfg.get("queue_directory")), attr, Math.max(1, timeLimit));
  }

  /** Delivers one request; see the module header. */
  async deliver(req: DeliveryRequest): Promise<DeliveryReply> {
    const job = DeliveryJob.openOrDefer(this.layout, req, this.service);
    if (!(job instanceof DeliveryJob)) return job;
    try {
      const outcomes = req.recipients.map((r) => new RecipientOutcome(job, r));
      const all = (fn: (o: RecipientOutcome) => void) => {
        for (const o of outcomes) fn(o);
        return { results: outcomes.map((o) => o.result()) };
      };
      try {
        return await this.deliverJob(job, all);
      } catch (e) {
        msgWarn(`${req.queueId}: ${e instanceof Error ? e.message : String(e)}`);
        return all((o) => o.deferred(o.rcpt, "4.3.0", "mail system error"));
      }
    } finally {
      job.close();
    }
  }

  private async deliverJob(job: DeliveryJob, all: (fn: (o: RecipientOutcome) => void) => DeliveryReply): Promise<DeliveryReply> {
    const { attr, service } = this;
    const req = job.req;
    const f = attr.flags;
    const configError = () => all((o) => o.deferred(o.rcpt, "4.3.5", "mail system configuration error"));
    for (const [flag, letter] of [[f.deliveredTo, "D"], [f.origTo, "O"]] as const) {
      if (flag && req.recipients.length > 1) {
        const reply = configError();
        msgWarn(`pipe flag \`${letter}' requires ${service}_destination_recipient_limit = 1`);
        return reply;
      }
    }
    if (attr.sizeLimit !== 0 && req.size > attr.sizeLimit) {
      return all((o) => o.bounced(o.rcpt, "5.2.3", "message too large"));
    }
    const first = req.recipients[0]!;
    if (f.deliveredTo && job.deliveredTo().has(first.address)) {
      return all((o) => o.bounced(o.rcpt, "5.4.6", `mail forwarding loop for ${first.address}`));
    }

    const sender = req.sender !== "" ? req.sender : attr.nullSender;
    const values = new Map<string, string>([
      ["sender", sender !== "" && f.quoteLocal ? quoteLocalPart(sender) : sender],
      ["nexthop", f.foldHost ? asciiLowercase(req.nexthop) : req.nexthop],
      ["size", String(req.size)],
      ["client_address", job.attribute("client_address")],
      ["client_helo", job.attribute("helo_name")],
      ["client_hostname", job.attribute("client_name")],
      ["client_port", job.attribute("client_port")],
      ["client_protocol", job.attribute("protocol_name")],
      ["sasl_method", job.attribute("sasl_method")],
      ["sasl_username", job.attribute("sasl_username")],
      ["sasl_sender", job.attribute("sasl_sender")],
      ["queue_id", req.queueId],
      ["envid", req.envid],
    ]);
    if (verifyOnly(req)) return all((o) => o.sent(o.rcpt, "2.0.0", `delivers to command: ${attr.command[0]}`));
    const expanded = expandPipeArgv(attr.command, {
      flags: f, values, recipients: req.recipients, delimiter: this.cfg.get("recipient_delimiter"),
      warnNoAt: (a) => msgWarn(`no @ in recipient address: ${a}`),
    });
    if (!("argv" in expanded)) {
      if ("unknown" in expanded) msgWarn(`file ${join(this.cfg.configDir, "master.cf")}: service ${service}: unknown macro name: "${expanded.unknown}"`);
      else msgWarn(`file ${join(this.cfg.configDir, "master.cf")}: service ${service}: bad macro syntax: "${expanded.malformed}"`);
      return configError();
    }
    const argv = expanded.argv;

    // The child reports a working directory it cannot use with a fatal error (exit 75): checked here instead.
    if (attr.directory !== undefined) {
      let problem: string | undefined;
      try {
        if (!statSync(attr.directory).isDirectory()) problem = errnoText({ code: "ENOTDIR" } as NodeJS.ErrnoException);
      } catch (e) {
        problem = errnoText(e as NodeJS.ErrnoException);
      }
      if (problem !== undefined) {
        const out = `pipe: fatal: cannot change directory to "${attr.directory}" for uid=${attr.uid} gid=${attr.gid}: ${problem} `;
        return all((o) => o.deferred(o.rcpt, "4.3.0", `temporary failure. Command output: ${out}`));
      }
    }

    const preamble = formatPreamble({
      sender, fromLine: f.fromLine, returnPath: f.returnPath,
      origRcpt: f.origTo ? first.origAddress : undefined,
      delivered: f.deliveredTo ? first.address : undefined,
    });
    const res = await pipeCommand({
      command: argv[0]!,
      argv,
      as: isPrivileged() ? { uid: attr.uid, gid: attr.gid } : undefined,
      env: {},
      exportEnv: this.cfg.getList("export_environment"),
      ...(attr.directory !== undefined ? { cwd: attr.directory } : {}),
      timeLimit: this.timeLimit,
      data: () => transformLines(copyMessage(preamble, job.content(), { quoteFrom: f.quoteFrom, blankLine: f.blankLine }), attr.eol, f.dotStuff),
      procName: "pipe",
    });
    if (res.status === "ok") {
      const out = res.output.trimEnd();
      const text = `delivered via ${service} service${out === "" ? "" : ` (${out.slice(0, 100)})`}`;
      return all((o) => o.sent(o.rcpt, "2.0.0", text));
    }
    return all((o) => o.failed(o.rcpt, res.dsn, res.reason));
  }
}
