/**
 * stock_config — the configuration files postkit ships: the stock master.cf, and the main.cf of a new instance
 * directory (`postkit init DIR`, `make run`).
 *
 * The stock master.cf lists Postfix 3.7's default services (smtpd on port 25, pickup, cleanup, qmgr, the
 * delivery agents …) in master.cf syntax; services postkit runs inside its qmgr process or does not need are kept
 * so that scripts and `postconf -M` see what they expect. An instance's master.cf is the same except that its
 * SMTP server listens on an unprivileged loopback port.
 *
 * An instance's main.cf keeps every path inside the instance directory, so an ordinary user can run it:
 *   DIR/etc/main.cf, DIR/etc/master.cf   configuration
 *   DIR/queue                            queue_directory
 *   DIR/data                             data_directory
 *   DIR/mail                             mail_spool_directory (mbox files)
 *   DIR/log/maillog                      maillog_file
 */

/** The services of the stock master.cf (Postfix 3.7's defaults); `smtpListen` null leaves the SMTP server out. */
export function stockMasterCf(smtpListen: string | null = "smtp"): string {
  const rows = [
    ...(smtpListen === null ? [] : [[smtpListen, "inet", "n", "-", "n", "-", "-", "smtpd"]]),
    ["pickup", "unix", "n", "-", "n", "60", "1", "pickup"],
    ["cleanup", "unix", "n", "-", "n", "-", "0", "cleanup"],
    ["qmgr", "unix", "n", "-", "n", "300", "1", "qmgr"],
    ["tlsmgr", "unix", "-", "-", "n", "1000?", "1", "tlsmgr"],
    ["rewrite", "unix", "-", "-", "n", "-", "-", "trivial-rewrite"],
    ["bounce", "unix", "-", "-", "n", "-", "0", "bounce"],
    ["defer", "unix", "-", "-", "n", "-", "0", "bounce"],
    ["trace", "unix", "-", "-", "n", "-", "0", "bounce"],
    ["verify", "unix", "-", "-", "n", "-", "1", "verify"],
    ["flush", "unix", "n", "-", "n", "1000?", "0", "flush"],
    ["proxymap", "unix", "-", "-", "n", "-", "-", "proxymap"],
    ["proxywrite", "unix", "-", "-", "n", "-", "1", "proxymap"],
    ["smtp", "unix", "-", "-", "n", "-", "-", "smtp"],
    ["relay", "unix", "-", "-", "n", "-", "-", "smtp"],
    ["showq", "unix", "n", "-", "n", "-", "-", "showq"],
    ["error", "unix", "-", "-", "n", "-", "-", "error"],
    ["retry", "unix", "-", "-", "n", "-", "-", "error"],
    ["discard", "unix", "-", "-", "n", "-", "-", "discard"],
    ["local", "unix", "-", "n", "n", "-", "-", "local"],
    ["virtual", "unix", "-", "n", "n", "-", "-", "virtual"],
    ["lmtp", "unix", "-", "-", "n", "-", "-", "lmtp"],
    ["anvil", "unix", "-", "-", "n", "-", "1", "anvil"],
    ["scache", "unix", "-", "-", "n", "-", "1", "scache"],
    ["postlog", "unix-dgram", "n", "-", "n", "-", "1", "postlogd"],
  ];
  const goal = [0, 11, 17, 25, 33, 41, 49, 57];
  const lines = rows.map((r) => {
    let s = "";
    r.forEach((f, i) => {
      if (s.length > 0) {
        s += " ";
        while (s.length < goal[i]!) s += " ";
      }
      s += f;
    });
    return s;
  });
  return (
    "#\n# master.cf: the services of the mail system (see postconf -M). Columns:\n" +
    "# service type  private unpriv  chroot  wakeup  maxproc command + args\n" +
    "#               (yes)   (yes)   (no)    (never) (100)\n#\n" +
    `${lines.join("\n")}\n`
  );
}

/** main.cf of a new instance in `dir` (an absolute path). */
export function instanceMainCf(dir: string): string {
  return [
    "# main.cf of a postkit instance: every path stays inside this directory, so an ordinary user can run it.",
    "# See postconf(5) of Postfix for the parameters; `postconf -n` shows what is set here.",
    "",
    "compatibility_level = 3.6",
    `queue_directory = ${dir}/queue`,
    `data_directory = ${dir}/data`,
    `mail_spool_directory = ${dir}/mail`,
    `maillog_file_prefixes = ${dir}, /dev/stdout`,
    `maillog_file = ${dir}/log/maillog`,
    "inet_interfaces = loopback-only",
    "inet_protocols = ipv4",
    "mynetworks = 127.0.0.0/8",
    `alias_maps = hash:${dir}/etc/aliases`,
    `alias_database = hash:${dir}/etc/aliases`,
    "",
  ].join("\n");
}
