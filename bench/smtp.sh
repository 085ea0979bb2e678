#!/bin/bash
# smtp.sh [N] — postkit's SMTP server (and, in its own section, the SMTP client) side by side with Debian's
# Postfix 3.7 on this machine.
#
# accept: smtp-source (Debian's postfix package) sends N messages of 2 KB (default 5000) to the SMTP server over 1
#   and over 20 parallel sessions; recipients are delivered by the discard transport and the queue is fsynced on
#   both sides, so the figure is smtpd + cleanup + durable queue entry. postkit and Postfix (set up as
#   ../shared/bench/postfix-setup.sh and postfix-smtp.sh do) take turns ROUNDS times (default 3); prints the median
#   accepted messages per second of each and their ratio, then the memory one idle SMTP connection costs postkit's
#   smtpd (RSS growth from 50 to 550 idle connections; a Postfix smtpd is one process per connection).
# relay: see the relay section below (the SMTP client's benchmark).
# Run as root: the Postfix side is ../shared/bench/postfix-setup.sh + postfix-smtp.sh (Debian's Postfix on
# 127.0.0.1:25, loopback only). POSTKIT_BIN=path benchmarks that binary instead of building dist/postkit.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
[ "$(id -u)" = 0 ] || { echo "smtp.sh: run as root" >&2; exit 1; }
command -v smtp-source >/dev/null || { echo "smtp.sh: smtp-source missing (Debian's postfix package ships it)" >&2; exit 1; }
SHARED=${SHARED:-../shared/bench}
PK=${POSTKIT_BIN:-}
if [ -z "$PK" ]; then
  make -s build >/dev/null
  PK=$PWD/dist/postkit
fi
W=$(mktemp -d /var/tmp/postkit-smtpbench.XXXXXX)
chmod 755 "$W"
PORT=${SMTP_BENCH_PORT:-2525}
cleanup() {
  "$PK" postfix -c "$W/etc" abort >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
now() { date +%s.%N; }
rate() { echo "$1 / ($3 - $2)" | bc -l | xargs printf '%.1f'; }

# --- accept (smtpd) -------------------------------------------------------------------------------------------
mkdir -p "$W/etc" "$W/queue" "$W/log" "$W/mail" "$W/data"
cat >"$W/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $W/queue
data_directory = $W/data
mail_spool_directory = $W/mail
maillog_file_prefixes = $W, /dev/stdout
maillog_file = $W/log/maillog
myhostname = bench.example.test
mail_owner = postfix
inet_interfaces = loopback-only
mynetworks = 127.0.0.0/8
alias_maps =
local_recipient_maps =
transport_maps = inline:{discard.test=discard:}
smtpd_recipient_restrictions = permit_mynetworks, reject
smtpd_client_connection_count_limit = 1000
EOF
# the stock services, with the SMTP server on 127.0.0.1:$PORT
printf '127.0.0.1:%s inet n - n - - smtpd\npickup unix n - n 60 1 pickup\ncleanup unix n - n - 0 cleanup\nqmgr unix n - n 300 1 qmgr\ndiscard unix - - n - - discard\nerror unix - - n - - error\n' "$PORT" >"$W/etc/master.cf"
"$PK" postfix -c "$W/etc" start >/dev/null || { echo "smtp.sh: postkit did not start:" >&2; tail -5 "$W/log/maillog" >&2; exit 1; }
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done

# Postfix, configured as ../shared/bench/postfix-smtp.sh configures it for its accept figure
PF_OK=0
if bash "$SHARED/postfix-setup.sh" >/dev/null 2>&1; then
  postconf -e 'transport_maps = inline:{ discard.test=discard:, sink.test=smtp:[127.0.0.1]:2626 }' \
    'smtp_destination_concurrency_limit = 20' 'smtpd_client_connection_count_limit = 100'
  postsuper -d ALL >/dev/null 2>&1 || true
  postfix reload >/dev/null 2>&1 && sleep 1 && PF_OK=1
fi
# The machine is shared and noisy: the two servers take turns, ROUNDS times, and the median counts.
ROUNDS=${ROUNDS:-3}
declare -A PKR PFR
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for S in 1 20; do
  pk=(); pf=()
  for _ in $(seq 1 "$ROUNDS"); do
    t0=$(now); smtp-source -s "$S" -m "$N" -l 2048 -f bench@example.test -t x@discard.test "127.0.0.1:$PORT"; t1=$(now)
    pk+=("$(rate "$N" "$t0" "$t1")")
    if [ $PF_OK = 1 ]; then
      t0=$(now); smtp-source -s "$S" -m "$N" -l 2048 -f bench@example.test -t x@discard.test 127.0.0.1:25; t1=$(now)
      pf+=("$(rate "$N" "$t0" "$t1")")
    fi
  done
  PKR[$S]=$(median "${pk[@]}")
  [ $PF_OK = 1 ] && PFR[$S]=$(median "${pf[@]}")
done

# memory per idle connection: a fresh smtpd (reload restarts it: the accept rounds leave its heap full of
# garbage that a collection may free at any moment), then its RSS with 50 idle connections (each past its
# greeting) and with 550; each figure is the smallest of 10 samples 0.2 s apart, the heap's settled size
OLD_SMTPD=$(pgrep -f "^smtpd -S 127.0.0.1:$PORT " | head -1 || true)
"$PK" postfix -c "$W/etc" reload >/dev/null 2>&1
for _ in $(seq 1 100); do
  SMTPD=$(pgrep -f "^smtpd -S 127.0.0.1:$PORT " | head -1 || true)
  [ -n "$SMTPD" ] && [ "$SMTPD" != "$OLD_SMTPD" ] && break
  sleep 0.1
done
sleep 1
read -r before after < <("$PWD/node_modules/.bin/bun" -e "
const net = require('node:net'); const fs = require('node:fs');
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(fs.readFileSync('/proc/$SMTPD/status', 'utf8'))[1]);
const settled = async () => { let m = Infinity; for (let i = 0; i < 10; i++) { m = Math.min(m, rss()); await Bun.sleep(200); } return m; };
const open = (n) => Promise.all(Array.from({ length: n }, () => new Promise((res) => { const s = net.connect($PORT, '127.0.0.1'); s.once('data', () => res(s)); })));
const keep = [];
keep.push(...(await open(50))); await Bun.sleep(1000); const a = await settled();
keep.push(...(await open(500))); await Bun.sleep(1000); const b = await settled();
console.log(a, b); process.exit(0);")
PER_CONN=$(echo "($after - $before) / 500" | bc -l | xargs printf '%.1f')
"$PK" postfix -c "$W/etc" stop >/dev/null 2>&1 || true

for S in 1 20; do
  pf=${PFR[$S]:-}
  if [ -n "$pf" ]; then
    echo "accept sessions=$S N=$N (median of $ROUNDS, taking turns): postkit ${PKR[$S]} msgs/s, postfix $pf msgs/s, ratio $(echo "${PKR[$S]} / $pf" | bc -l | xargs printf '%.2f')"
  else
    echo "accept sessions=$S N=$N: postkit ${PKR[$S]} msgs/s (postfix side unavailable)"
  fi
done
echo "smtpd memory per idle connection: ${PER_CONN} KiB (RSS $before KiB with 50 idle connections, $after KiB with 550)"

# --- relay (smtp client) --------------------------------------------------------------------------------------
# Written by the SMTP client's work; kept in its own section.
# N messages of 2 KB relayed to smtp-sink through postkit's smtp client and through Postfix's: bench/smtp_relay.sh.
POSTKIT_BIN="$PK" bash bench/smtp_relay.sh "$N"
