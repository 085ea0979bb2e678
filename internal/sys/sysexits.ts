/**
 * sysexits — the one table of BSD sysexits(3) codes, with the DSN status and short text that Postfix pairs with each.
 *
 * Used for command exit statuses (sendmail, postqueue, postlock …) and for mapping the exit status of a command
 * delivery (local(8) `|command`) to delivered / deferred / bounced, as Postfix's sys_exits module does.
 * Pure data: never throws, knows nothing of mail.
 */

export const EX_OK = 0;
export const EX_USAGE = 64;
export const EX_DATAERR = 65;
export const EX_NOINPUT = 66;
export const EX_NOUSER = 67;
export const EX_NOHOST = 68;
export const EX_UNAVAILABLE = 69;
export const EX_SOFTWARE = 70;
export const EX_OSERR = 71;
export const EX_OSFILE = 72;
export const EX_CANTCREAT = 73;
export const EX_IOERR = 74;
export const EX_TEMPFAIL = 75;
export const EX_PROTOCOL = 76;
export const EX_NOPERM = 77;
export const EX_CONFIG = 78;

/** What a sysexits code means for mail: its enhanced status code and short text. */
export interface SysExit {
  code: number;
  name: string;
  dsn: string;
  text: string;
}

const TABLE: readonly SysExit[] = [
  { code: EX_USAGE, name: "EX_USAGE", dsn: "5.3.0", text: "command line usage error" },
  { code: EX_DATAERR, name: "EX_DATAERR", dsn: "5.6.0", text: "data format error" },
  { code: EX_NOINPUT, name: "EX_NOINPUT", dsn: "5.3.0", text: "cannot open input" },
  { code: EX_NOUSER, name: "EX_NOUSER", dsn: "5.1.1", text: "user unknown" },
  { code: EX_NOHOST, name: "EX_NOHOST", dsn: "5.1.2", text: "host name unknown" },
  { code: EX_UNAVAILABLE, name: "EX_UNAVAILABLE", dsn: "5.3.0", text: "service unavailable" },
  { code: EX_SOFTWARE, name: "EX_SOFTWARE", dsn: "5.3.0", text: "internal software error" },
  { code: EX_OSERR, name: "EX_OSERR", dsn: "4.3.0", text: "system resource problem" },
  { code: EX_OSFILE, name: "EX_OSFILE", dsn: "5.3.0", text: "critical OS file missing" },
  { code: EX_CANTCREAT, name: "EX_CANTCREAT", dsn: "5.2.0", text: "can't create user output file" },
  { code: EX_IOERR, name: "EX_IOERR", dsn: "5.3.0", text: "input/output error" },
  { code: EX_TEMPFAIL, name: "EX_TEMPFAIL", dsn: "4.3.0", text: "temporary failure" },
  { code: EX_PROTOCOL, name: "EX_PROTOCOL", dsn: "5.5.0", text: "remote error in protocol" },
  { code: EX_NOPERM, name: "EX_NOPERM", dsn: "5.7.0", text: "permission denied" },
  { code: EX_CONFIG, name: "EX_CONFIG", dsn: "5.3.5", text: "local configuration error" },
];

/** The table entry for a sysexits code, or undefined for codes outside 64..78. */
export function sysExit(code: number): SysExit | undefined {
  return code >= EX_USAGE && code <= EX_CONFIG ? TABLE[code - EX_USAGE] : undefined;
}

/** True when a command that exited with this code should be retried later rather than bounced. */
export function isSysExitTemporary(code: number): boolean {
  return code === EX_TEMPFAIL || code === EX_OSERR;
}
