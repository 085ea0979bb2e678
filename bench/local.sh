#!/bin/bash
# bench/local.sh [N] [P] — local delivery throughput, postkit side by side with Debian's Postfix 3.7 in one run.
#
# Workload (the same as ../shared/bench/postfix-local.sh): N messages of about 2 KB, each submitted by its own
# `sendmail` process, P submitters at a time, timed from the first submission until the N-th message is in the
# mailbox ("submit+deliver": sendmail's cost and the daemons' share the CPUs). Then the delivery side alone
# ("deliver"): the mail system is stopped, N messages are submitted, and the time from `postfix start` until the
# N-th is in the mailbox is measured (pickup, cleanup, queue manager and local delivery), and, as "steady", the
# rate from the first delivery to the last (the delivery agents at work, without start-up and the time pickup
# takes before the first message reaches the queue manager). Two destinations:
#   mbox     the local user `nobody`: mail_spool_directory/nobody (fcntl + dotlock, fsync per message)
#   maildir  the alias `mdbench: DIR/maildir/` (a file delivery to a maildir, as default_privs)
# Each side is a private instance in a temporary directory (no SMTP listener, biff = no, otherwise defaults):
# postkit through `postkit init`, Postfix through its own main.cf/master.cf and `postfix -c DIR start`, with its
# sendmail reached through MAIL_CONFIG. An already running Postfix on this machine is not touched.
# Prints one line per destination and phase: msgs/s of each side and the ratio postkit/postfix (goal: >= 1).
# Run as root (Postfix's local(8) needs it). Default N=500, P=4. KEEP=1 keeps the work directory (both logs).
# ROUNDS=k (default 1) runs each phase and destination k times, the two sides taking turns, and reports the median
# of each side (the machine is shared and noisy; one run swings by several per cent).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-500}
P=${2:-4}
[ "$(id -u)" = 0 ] || { echo "local.sh: run as root" >&2; exit 1; }
[ -x /usr/sbin/postfix ] || { echo "local.sh: Debian's postfix is not installed (see ../shared/bench/postfix-setup.sh)" >&2; exit 1; }
id nobody >/dev/null 2>&1 || { echo "local.sh: needs the user nobody" >&2; exit 1; }
make -s build >/dev/null 2>&1 || { [ -x dist/postkit ] && echo "local.sh: warning: build failed; using the existing dist/postkit" >&2; } || exit 1
BIN=$PWD/dist/postkit
W=$(mktemp -d /var/tmp/postkit-lbench.XXXXXX)
chmod 755 "$W"
PK=$W/pk PF=$W/pf
cleanup() {
  MAIL_CONFIG=$PK/etc "$BIN" postfix -c "$PK/etc" stop >/dev/null 2>&1 || true
  /usr/sbin/postfix -c "$PF/etc" stop >/dev/null 2>&1 || true
  if [ -n "${KEEP:-}" ]; then echo "local.sh: kept $W (logs: pk/log/maillog, pf/maillog)" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT

body=$(printf 'Subject: bench\n\n%s\n' "$(head -c 2000 /dev/zero | tr '\0' 'x' | fold -w 76)")

# --- postkit instance
"$BIN" init "$PK" >/dev/null
mkdir -p "$PK/bin" "$PK/maildir"
chmod 1777 "$PK/mail" "$PK/maildir"
ln -s "$BIN" "$PK/bin/sendmail"
cat >>"$PK/etc/main.cf" <<EOF
myhostname = bench.example.test
mydestination = \$myhostname, localhost, example.test
biff = no
EOF
printf 'mdbench: %s/maildir/\n' "$PK" >>"$PK/etc/aliases"
"$BIN" postalias "hash:$PK/etc/aliases"
sed -i '/\sinet\s/d' "$PK/etc/master.cf"

# --- Postfix instance
mkdir -p "$PF/etc" "$PF/spool" "$PF/data" "$PF/mail" "$PF/maildir"
chmod 1777 "$PF/mail" "$PF/maildir"
chown postfix "$PF/data"
sed '/^smtp[[:space:]]\+inet/s/^/#/; /^#*smtp[[:space:]]\+inet.*postscreen/d' /etc/postfix/master.cf >"$PF/etc/master.cf"
cp /etc/postfix/dynamicmaps.cf "$PF/etc/" 2>/dev/null || true
cat >"$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.example.test
mydestination = \$myhostname, localhost, example.test
inet_interfaces = loopback-only
inet_protocols = ipv4
mail_spool_directory = $PF/mail
alias_maps = hash:$PF/etc/aliases
alias_database = hash:$PF/etc/aliases
maillog_file_prefixes = $PF
maillog_file = $PF/maillog
biff = no
EOF
printf 'postmaster: root\nmdbench: %s/maildir/\n' "$PF" >"$PF/etc/aliases"
/usr/sbin/postalias "$PF/etc/aliases"

MAIL_CONFIG=$PK/etc "$BIN" postfix -c "$PK/etc" start >/dev/null
/usr/sbin/postfix -c "$PF/etc" start >/dev/null 2>&1
for _ in $(seq 1 100); do
  [ -S "$PK/queue/private/local" ] && /usr/sbin/postfix -c "$PF/etc" status >/dev/null 2>&1 && break
  sleep 0.1
done

# submit SENDMAIL CONF RCPT: N messages, P at a time
submit() {
  seq 1 "$N" | MAIL_CONFIG=$2 xargs -P "$P" -I{} sh -c 'printf "%s\n" "$2" | "$0" -f bench@example.test "$1"' "$1" "$3" "$body"
}
# wait_for BEFORE COUNT_CMD [K]: until COUNT_CMD reaches BEFORE + K (default N)
wait_for() {
  local want=${3:-$N}
  for _ in $(seq 1 12000); do
    [ $(($(eval "$2") - $1)) -ge "$want" ] && return 0
    sleep 0.02
  done
  echo "local.sh: timed out" >&2
  return 1
}
elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN{printf "%.3f", e - s}'; }
# run SIDE RCPT COUNT_CMD PHASE: prints "TOTAL_SECONDS STEADY_SECONDS" (steady: first to last delivery)
run() {
  local side=$1 rcpt=$2 count=$3 phase=$4 before start first sendmail conf
  if [ "$side" = pk ]; then sendmail=$PK/bin/sendmail conf=$PK/etc; else sendmail=/usr/sbin/sendmail conf=$PF/etc; fi
  before=$(eval "$count")
  if [ "$phase" = submit ]; then
    start=$(date +%s.%N)
    submit "$sendmail" "$conf" "$rcpt"
  else
    stop_side "$side"
    submit "$sendmail" "$conf" "$rcpt" 2>/dev/null
    start=$(date +%s.%N)
    start_side "$side"
  fi
  wait_for "$before" "$count" 1
  first=$(date +%s.%N)
  wait_for "$before" "$count"
  echo "$(elapsed "$start") $(elapsed "$first")"
}
start_side() { if [ "$1" = pk ]; then MAIL_CONFIG=$PK/etc "$BIN" postfix -c "$PK/etc" start >/dev/null; else /usr/sbin/postfix -c "$PF/etc" start >/dev/null 2>&1; fi; }
stop_side() { if [ "$1" = pk ]; then MAIL_CONFIG=$PK/etc "$BIN" postfix -c "$PK/etc" stop >/dev/null; else /usr/sbin/postfix -c "$PF/etc" stop >/dev/null 2>&1; fi; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mbox_count() { if [ -f "$1/mail/nobody" ]; then grep -c '^From ' "$1/mail/nobody" || true; else echo 0; fi; }
md_count() { if [ -d "$1/maildir/new" ]; then find "$1/maildir/new" -type f | wc -l; else echo 0; fi; }

for phase in submit deliver; do
  for dest in mbox maildir; do
    if [ "$dest" = mbox ]; then rcpt=nobody@example.test cnt=mbox_count; else rcpt=mdbench@example.test cnt=md_count; fi
    # ROUNDS turns each (default 1), Postfix and postkit alternately: the median of each side counts
    pfs=() pfst=() pks=() pkst=()
    for _ in $(seq 1 "${ROUNDS:-1}"); do
      read -r a b < <(run pf "$rcpt" "$cnt $PF" "$phase")
      pfs+=("$a") pfst+=("$b")
      read -r a b < <(run pk "$rcpt" "$cnt $PK" "$phase")
      pks+=("$a") pkst+=("$b")
    done
    pf_s=$(median "${pfs[@]}") pf_steady=$(median "${pfst[@]}") pk_s=$(median "${pks[@]}") pk_steady=$(median "${pkst[@]}")
    awk -v ph="$phase" -v d="$dest" -v n="$N" -v p="$P" -v a="$pk_s" -v b="$pf_s" -v sa="$pk_steady" -v sb="$pf_steady" 'BEGIN{
      ra = n / a; rb = n / b
      printf "local %s %s N=%d parallel=%d postkit_msgs_per_s=%.1f postfix_msgs_per_s=%.1f ratio=%.2f", (ph == "submit" ? "submit+deliver" : "deliver"), d, n, p, ra, rb, ra / rb
      if (ph != "submit" && sa > 0 && sb > 0) printf " steady_postkit=%.1f steady_postfix=%.1f steady_ratio=%.2f", (n - 1) / sa, (n - 1) / sb, ((n - 1) / sa) / ((n - 1) / sb)
      printf "\n" }'
  done
done
