/**
 * dns — postkit's DNS stub resolver (Postfix's src/dns over the libc resolver): A, AAAA, MX, TXT and PTR lookups
 * whose results tell NOERROR-with-answers, NODATA, NXDOMAIN, SERVFAIL, REFUSED and timeouts apart, with
 * /etc/resolv.conf's servers and `options timeout: attempts: rotate` as glibc reads them.
 *
 *   const dns = StubResolver.fromResolvConf(resolverConfigPath(cfg.get(RESOLV_CONF_PARAMETER)));
 *   const mx = await dns.lookupMx("example.com");
 *   if (mx.status === "ok") … mx.records …
 *   else if (mx.status === "nodata" || mx.status === "nxdomain") … (no MX: try the A records) …
 *   else if (isTemporaryDnsStatus(mx.status)) defer(dnsLookupErrorText(mx));   // Postfix's reason text
 *
 * Which servers: /etc/resolv.conf, unless main.cf (or a master.cf `-o`) sets `postkit_resolv_conf = /path`: a file
 * in the same format, which may name servers on other ports as `nameserver [127.0.0.1]:5353`. That parameter is
 * postkit's own (Postfix has none: it follows libc), meant for tests and for instances that need a resolver of
 * their own; `postconf` reports it as an unused parameter, as it does any name it does not know.
 *
 * hosts_file.ts answers IPv4 names and addresses from /etc/hosts the way glibc's files source does (for smtpd's
 * client names), when nsswitch.conf puts files first.
 *
 * Contract: lookups never throw or reject (see stub_resolver.ts for the outcomes); nothing here logs.
 */
export * from "./resolv_conf.ts";
export * from "./stub_resolver.ts";
export { addressesOfName, nameOfAddress } from "./hosts_file.ts";

/** The main.cf parameter that names another resolv.conf (see the header). */
export const RESOLV_CONF_PARAMETER = "postkit_resolv_conf";

/** The resolv.conf to use, given the value of `postkit_resolv_conf` ("" = the system's). */
export function resolverConfigPath(setting: string): string {
  return setting.trim() === "" ? "/etc/resolv.conf" : setting.trim();
}
