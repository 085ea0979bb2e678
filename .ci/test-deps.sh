#!/bin/bash
# .ci/test-deps.sh: installs the real programs the tests compare postkit with or talk to (Debian's Postfix and its
# map modules, tinycdb, dotlockfile, Python's aiosmtpd for the SMTP client's interoperability test, the mail readers
# python3 and s-nail for the delivery tests, swaks, openssl, dnsmasq and pflogsumm for the SMTP server's tests), when they are missing and we are root with apt. `make test` runs it first.
# Debian's Postfix is installed with service start-up disabled (policy-rc.d), so it never listens on port 25.
# Without root or apt nothing is installed; the tests that need a missing program print why they skip.
set -u
need=()
[ -x /usr/sbin/postconf ] || need+=(postfix)
[ -e /usr/lib/postfix/postfix-cdb.so ] || need+=(postfix-cdb)
[ -e /usr/lib/postfix/postfix-lmdb.so ] || need+=(postfix-lmdb)
[ -e /usr/lib/postfix/postfix-pcre.so ] || need+=(postfix-pcre)
command -v cdb >/dev/null || need+=(tinycdb)
command -v dotlockfile >/dev/null || need+=(liblockfile-bin)
command -v flock >/dev/null || need+=(util-linux)
[ -x /usr/bin/time ] || need+=(time)
command -v python3 >/dev/null || need+=(python3)
command -v s-nail >/dev/null || need+=(s-nail)
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || need+=(python3-aiosmtpd)
command -v swaks >/dev/null || need+=(swaks)
command -v openssl >/dev/null || need+=(openssl)
[ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
[ -x /usr/sbin/pflogsumm ] || need+=(pflogsumm)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "test-deps: not installing ${need[*]} (needs root and apt-get); tests that use them will skip"
  exit 0
fi
echo "test-deps: installing ${need[*]}"
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e $policy ]; then printf '#!/bin/sh\nexit 101\n' >$policy && chmod +x $policy && made_policy=1; fi
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
{ apt-get update -q && apt-get install -y -q --no-install-recommends "${need[@]}"; } >/tmp/postkit-test-deps.log 2>&1 ||
  echo "test-deps: apt-get failed (see /tmp/postkit-test-deps.log); tests that need ${need[*]} will skip"
[ $made_policy = 1 ] && rm -f $policy
exit 0
