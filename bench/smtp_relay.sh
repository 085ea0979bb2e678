#!/bin/bash
# smtp_relay.sh [N] — the SMTP client's benchmark (the relay section of bench/smtp.sh; runs on its own too):
# N messages of 2 KB (default 5000) relayed through postkit's smtp client to smtp-sink on 127.0.0.1, side by side
# with Debian's Postfix 3.7, both with smtp_destination_concurrency_limit = 20.
#
#   postkit, queue → sink: the N messages are written into the hold queue of a private instance (bench/fill_queue.ts),
#     then moved into incoming at once and the queue manager is woken: the figure is qmgr + smtp client + queue
#     file updates, from the move to the last `status=sent` in the log.
#   postkit, smtp-source → smtpd → sink: the way postfix-smtp.sh measures Postfix (10 sessions), when postkit's
#     smtpd runs; from the first message submitted to the last `status=sent`.
#   Postfix: ../shared/bench/postfix-setup.sh + postfix-smtp.sh N (its relay_msgs_per_s line: smtp-source →
#     smtpd → qmgr → smtp → smtp-sink on 127.0.0.1:2626).
# Prints delivered messages per second for each, and postkit/Postfix ratios. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
[ "$(id -u)" = 0 ] || { echo "smtp_relay.sh: run as root" >&2; exit 1; }
command -v smtp-sink >/dev/null || { echo "smtp_relay.sh: smtp-sink missing (Debian's postfix package ships it)" >&2; exit 1; }
SHARED=${SHARED:-../shared/bench}
BUN=node_modules/.bin/bun
[ -x node_modules/@oven/bun-linux-x64/bin/bun ] && BUN=node_modules/@oven/bun-linux-x64/bin/bun
PK=${POSTKIT_BIN:-}
if [ -z "$PK" ]; then
  make -s build >/dev/null
  PK=$PWD/dist/postkit
fi
SINK_PORT=${SINK_PORT:-2727}
SMTPD_PORT=${RELAY_SMTPD_PORT:-2526}
W=$(mktemp -d /var/tmp/postkit-relaybench.XXXXXX)
chmod 755 "$W"
SINK=
cleanup() {
  "$PK" postfix -c "$W/etc" abort >/dev/null 2>&1 || true
  [ -n "$SINK" ] && kill "$SINK" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
now() { date +%s.%N; }
rate() { echo "$1 / ($3 - $2)" | bc -l | xargs printf '%.1f'; }
sent() { grep -c 'status=sent' "$W/log/maillog" 2>/dev/null || true; }
wait_sent() { # wait_sent COUNT: until COUNT sent lines (at most 10 minutes)
  for _ in $(seq 1 3000); do [ "$(sent)" -ge "$1" ] && return 0; sleep 0.2; done
  echo "smtp_relay.sh: only $(sent) of $1 delivered" >&2
  return 1
}

smtp-sink -u nobody "127.0.0.1:$SINK_PORT" 200 >/dev/null 2>&1 &
SINK=$!
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
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
alias_maps =
local_recipient_maps =
transport_maps = inline:{example.test=smtp:[127.0.0.1]:$SINK_PORT}
smtp_destination_concurrency_limit = 20
default_process_limit = 100
smtpd_recipient_restrictions = permit_mynetworks, reject
smtpd_client_connection_count_limit = 100
EOF
printf '127.0.0.1:%s inet n - n - - smtpd\npickup unix n - n 60 1 pickup\ncleanup unix n - n - 0 cleanup\nqmgr unix n - n 300 1 qmgr\nsmtp unix - - n - - smtp\nbounce unix - - n - 0 bounce\nerror unix - - n - - error\ndiscard unix - - n - - discard\n' "$SMTPD_PORT" >"$W/etc/master.cf"

# 1. queue -> sink
$BUN bench/fill_queue.ts "$W/queue" "$N" hold 2048 >/dev/null
"$PK" postfix -c "$W/etc" start >/dev/null || { echo "smtp_relay.sh: postkit did not start" >&2; tail -5 "$W/log/maillog" >&2; exit 1; }
for _ in $(seq 1 100); do [ -S "$W/queue/private/smtp" ] && break; sleep 0.1; done
chown -R postfix "$W/queue/hold"
t0=$(now)
find "$W/queue/hold" -type f -exec mv -t "$W/queue/incoming" {} +
"$PK" postkick -c "$W/etc" public qmgr I
wait_sent "$N"
t1=$(now)
PK_QUEUE=$(rate "$N" "$t0" "$t1")

# 2. smtp-source -> smtpd -> sink, when postkit's smtpd listens
PK_SMTP=
if (exec 3<>"/dev/tcp/127.0.0.1/$SMTPD_PORT") 2>/dev/null && command -v smtp-source >/dev/null; then
  before=$(sent)
  t0=$(now)
  smtp-source -s 10 -m "$N" -l 2048 -f bench@example.test -t x@example.test "127.0.0.1:$SMTPD_PORT" >/dev/null 2>&1 || true
  if wait_sent $((before + N)); then
    t1=$(now)
    PK_SMTP=$(rate "$N" "$t0" "$t1")
  fi
fi
"$PK" postfix -c "$W/etc" stop >/dev/null 2>&1 || true
kill "$SINK" 2>/dev/null || true
SINK=

# Postfix, right after (it starts its own smtp-sink on 127.0.0.1:2626)
PF=
if bash "$SHARED/postfix-setup.sh" >/dev/null 2>&1; then
  PF=$(bash "$SHARED/postfix-smtp.sh" "$N" 10 2>/dev/null | awk '/^relay_msgs_per_s/{print $2}')
fi
ratio() { [ -n "$2" ] && echo "$1 / $2" | bc -l | xargs printf ', ratio %.2f' || true; }
echo "relay N=$N queue->sink: postkit $PK_QUEUE msgs/s${PF:+, postfix $PF msgs/s}$(ratio "$PK_QUEUE" "$PF")"
if [ -n "$PK_SMTP" ]; then
  echo "relay N=$N smtp-source->smtpd->sink: postkit $PK_SMTP msgs/s${PF:+, postfix $PF msgs/s}$(ratio "$PK_SMTP" "$PF")"
else
  echo "relay N=$N smtp-source->smtpd->sink: postkit smtpd not available"
fi
[ -n "$PF" ] || echo "relay: postfix side unavailable (see $SHARED/postfix-setup.sh)"
