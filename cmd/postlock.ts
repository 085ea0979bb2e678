/**
 * NAME
 *   postlock — lock a mail folder and run a command
 *
 * SYNOPSIS
 *   postlock [-c config_dir] [-l lock_style] [-v] folder command...
 *   postlock [-c config_dir] [-l lock_style] [-v] folder
 *
 * DESCRIPTION
 *   Locks `folder` for exclusive access the way Postfix's local(8) delivery agent does, runs `command` (directly,
 *   found through $PATH, no shell) with the locks held, waits for it, releases the locks and exits with the
 *   command's status. The folder is opened for appending and created (mode 0600) when it does not exist.
 *
 *   The locks are those of `mailbox_delivery_lock` (Linux default "fcntl, dotlock"), taken in Postfix's order: the
 *   `folder.lock` dot lock, then flock(2), then an fcntl(2) lock. Each is tried up to `deliver_lock_attempts` times,
 *   `deliver_lock_delay` apart; a dot lock older than `stale_lock_time` is removed. They interoperate with
 *   Postfix, mutt, procmail, flock(1), lockf(3) and dotlockfile(1).
 *
 *   The command runs with the environment of postlock, plus MAIL_CONFIG when -c is given and the `name=value`
 *   entries of `import_environment` (LANG=C by default), as Postfix's postlock does.
 *
 *   Beyond Postfix: with no command, postlock only tests the lock. It takes the locks once without waiting for a
 *   holder (a stale dot lock is removed first, as any delivery would), releases them at once and exits 0 silently;
 *   when the folder is locked it prints the message a lock failure gets (`open file FOLDER: unable to lock for
 *   exclusive access: Resource temporarily unavailable`, or `...: unable to create lock file FOLDER.lock: File
 *   exists`) and exits 75. In this mode the folder must already exist; it is never created.
 *
 * OPTIONS
 *   -c config_dir   read main.cf from config_dir instead of $MAIL_CONFIG or /etc/postfix
 *   -l lock_style   override mailbox_delivery_lock: a comma or space separated list of flock, fcntl, dotlock
 *                   (an empty value takes no lock)
 *   -v              verbose logging (repeat for more)
 *
 * EXIT STATUS
 *   The command's exit status; 1 when it was killed by a signal or could not be executed
 *   (`postlock: fatal: execvp CMD: No such file or directory`); 75 (EX_TEMPFAIL) for every failure of postlock
 *   itself: usage, configuration, lock busy or not possible, as Postfix's postlock. In test mode: 0 when the
 *   folder could be locked, 75 otherwise.
 *
 * DIAGNOSTICS
 *   On stderr, as Postfix: `postlock: fatal: open file FOLDER: REASON` where REASON is
 *   `unable to create lock file FOLDER.lock: File exists`,
 *   `unable to lock for exclusive access: Resource temporarily unavailable`, `cannot open file: Is a directory`,
 *   `cannot create file exclusively: No such file or directory`, `file has 2 hard links` …;
 *   `postlock: fatal: unknown mailbox_delivery_lock value "bogus" in "bogus"`.
 *
 * CONFIGURATION PARAMETERS
 *   mailbox_delivery_lock (fcntl, dotlock), deliver_lock_attempts (20), deliver_lock_delay (1s),
 *   stale_lock_time (500s), import_environment.
 *
 * FILES
 *   $config_directory/main.cf; folder.lock beside the folder while a dot lock is held (it contains our pid).
 *
 * SEE ALSO
 *   internal/fsx/lock.ts (the locking itself), postconf -l (the lock styles), dotlockfile(1), flock(1).
 */
import { constants } from "node:fs";
import { getopt } from "../internal/text/getopt.ts";
import { FatalError, UsageError } from "../internal/sys/errors.ts";
import { errnoText } from "../internal/sys/errno.ts";
import { EX_TEMPFAIL } from "../internal/sys/sysexits.ts";
import { msgReport, msgVerbose, msgWarn, setMsgVerbose } from "../internal/log/msg.ts";
import { LockError, openLockedFile, parseLockStyles, type LockedFile, type LockRetry } from "../internal/fsx/lock.ts";
import { loadConfig, splitList } from "../internal/config/config.ts";

export const USAGE = "postlock [-c config_dir] [-l lock_style] [-v] folder command...";

export const HELP = `usage: ${USAGE}

Lock a mail folder the way Postfix delivers to it, run the command with the lock held, and exit with the
command's status (75 when the folder cannot be locked).
  -c config_dir   configuration directory (default: $MAIL_CONFIG or /etc/postfix)
  -l lock_style   lock methods instead of mailbox_delivery_lock: flock, fcntl, dotlock
  -v              verbose logging
Without a command (beyond Postfix), only test the lock: exit 0 silently when the folder could be locked,
75 with the lock failure message when it is held. The folder must exist in that mode.
`;

/** The parameters postlock reads. */
interface LockSettings {
  mailboxDeliveryLock: string;
  retry: LockRetry;
  /** name=value entries of import_environment, applied to the command's environment. */
  importEnv: Record<string, string>;
}

/** Reads what postlock needs from main.cf, with Postfix's lower bounds. */
function readSettings(configDir: string | undefined): LockSettings {
  const cfg = loadConfig({ configDir });
  const attempts = cfg.getInt("deliver_lock_attempts");
  if (attempts < 1) throw new FatalError(`invalid deliver_lock_attempts parameter value ${attempts} < 1`);
  const retry: LockRetry = { attempts, delay: cfg.getTime("deliver_lock_delay"), staleTime: cfg.getTime("stale_lock_time") };
  for (const [name, value] of [["deliver_lock_delay", retry.delay], ["stale_lock_time", retry.staleTime]] as const) {
    if (value < 1) throw new FatalError(`invalid ${name}: ${value} (min 1)`);
  }
  const importEnv: Record<string, string> = {};
  for (const item of splitList(cfg.get("import_environment"))) {
    const eq = item.indexOf("=");
    if (eq > 0) importEnv[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return { mailboxDeliveryLock: cfg.get("mailbox_delivery_lock"), retry, importEnv };
}

/** Runs `command` and resolves to the status postlock exits with. */
async function runCommand(command: string[], env: Record<string, string | undefined>): Promise<number> {
  let child;
  try {
    child = Bun.spawn(command, { stdio: ["inherit", "inherit", "inherit"], env });
  } catch (e) {
    // Postfix's child reports this with msg_fatal() after its exit hook is gone: status 1, not 75
    const code = (e as { code?: string }).code;
    msgReport("fatal", `execvp ${command[0]}: ${code ? errnoText(e) : String(e)}`);
    return 1;
  }
  const status = await child.exited;
  return child.signalCode ? 1 : status;
}

export async function run(argv: string[]): Promise<number> {
  // Parse JCL.
  const opts = getopt(argv, "+c:l:v", USAGE);
  setMsgVerbose(opts.count("v"));
  if (opts.args.length < 1) throw new UsageError(USAGE, { exitCode: EX_TEMPFAIL });
  const [folder, ...command] = opts.args as [string, ...string[]];
  const testOnly = command.length === 0;
  const configDir = opts.last("c");

  // Read the configuration; -l overrides the configured lock styles.
  const settings = readSettings(configDir);
  const lockStyle = opts.last("l") ?? settings.mailboxDeliveryLock;
  let styles;
  try {
    styles = parseLockStyles(lockStyle);
  } catch (e) {
    if (e instanceof LockError) throw new FatalError(e.message, { exitCode: EX_TEMPFAIL });
    throw e;
  }
  for (const s of styles) msgVerbose(`lock style: ${s}`);

  // Lock the folder for exclusive access. A test never waits for a holder (the second try only follows the
  // removal of a stale dot lock) and creates nothing.
  let locked: LockedFile;
  try {
    locked = await openLockedFile(folder, {
      ...(testOnly ? { attempts: 2, delay: 0, staleTime: settings.retry.staleTime } : settings.retry),
      styles,
      flags: constants.O_APPEND | constants.O_WRONLY | (testOnly ? 0 : constants.O_CREAT),
      mode: 0o600,
      onWarning: msgWarn,
    });
  } catch (e) {
    if (e instanceof LockError) throw new FatalError(`open file ${folder}: ${e.message}`, { exitCode: EX_TEMPFAIL });
    throw e;
  }
  msgVerbose(`${folder}: locked with ${locked.held.join(", ") || "no lock"}`);

  // Run the command with the locks held; release them after it ends, whatever happens.
  try {
    if (testOnly) return 0;
    const env: Record<string, string | undefined> = { ...process.env };
    if (configDir !== undefined) env.MAIL_CONFIG = configDir;
    Object.assign(env, settings.importEnv);
    return await runCommand(command, env);
  } finally {
    locked.release();
  }
}
