#!/bin/bash
# queue.sh [N...] — postkit's queue tools side by side with Debian's Postfix 3.7 on the same queue contents.
#
# For each N (default: 10000 100000): a postkit instance and a private Postfix instance, each holding N/2 deferred
# messages (with a delay reason) and N/2 held messages of about 1.3 KB (bench/fill_queue.ts writes postkit's with
# the queue writer; bench/fill_postfix_queue.ts writes Postfix's in Postfix's record format, with defer logfiles).
# Neither mail system runs: Postfix's postqueue then reads the queue through `showq -u -S` itself (as root).
# Timed, in this order, on both: `mailq | tail -1`, `postqueue -j | wc -l`, `postsuper -H ALL`, `postsuper -d ALL`.
# Prints one line per operation: seconds and peak RSS (KiB) of each side and the ratio postkit/postfix.
# Run as root (Postfix's postsuper and direct showq need it). POSTKIT_BIN=path benchmarks that binary instead of
# building dist/postkit. RUNS=k (default 1) times each operation k times on each side, alternately, and keeps the
# fastest (on a busy machine); a postsuper operation's runs each start from a copy of the filled queues (made and
# synced outside the timing), and with RUNS > 1 `postsuper -d ALL` also starts from them (with RUNS=1 it deletes
# what `postsuper -H ALL` left: the same messages, all in deferred).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "queue.sh: run as root" >&2; exit 1; }
[ -x /usr/sbin/postqueue ] || { echo "queue.sh: Debian's postfix is not installed (see ../shared/bench/postfix-setup.sh)" >&2; exit 1; }
BUN=node_modules/.bin/bun
[ -x node_modules/@oven/bun-linux-x64/bin/bun ] && BUN=node_modules/@oven/bun-linux-x64/bin/bun
PK=${POSTKIT_BIN:-}
if [ -z "$PK" ]; then
  make -s build >/dev/null 2>&1 || { [ -x dist/postkit ] && echo "queue.sh: warning: build failed; using the existing dist/postkit" >&2; } || exit 1
  PK=$PWD/dist/postkit
fi
W=$(mktemp -d /var/tmp/postkit-qbench.XXXXXX)
chmod 755 "$W"
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/bin"
for t in postqueue postsuper mailq; do ln -s "$PK" "$W/bin/$t"; done

# run SIDE OP CMD: time CMD (a shell pipeline); the first command's peak RSS comes from /usr/bin/time
run() {
  local side=$1 op=$2 cmd=$3 s e
  s=$(date +%s%N)
  env PATH="$PATHS" MAIL_CONFIG="$CONF" bash -c "$cmd" >/dev/null 2>"$W/err" || { echo "queue.sh: $side: $cmd failed:" >&2; cat "$W/err" >&2; exit 1; }
  e=$(date +%s%N)
  RSS=$(grep -Eo '^RSS [0-9]+' "$W/err" | awk '{print $2}' | sort -n | tail -1)
  SECS=$(awk -v d=$((e - s)) 'BEGIN{printf "%.3f", d/1e9}')
}

TIMED="/usr/bin/time -f 'RSS %M' -a -o /dev/stderr"
# restore: both queues as they were filled, synced and listed once (the same cache state on both sides)
restore() {
  rm -rf "$W/pk/queue" "$W/pf/queue"
  cp -a "$W/pk.snap" "$W/pk/queue"
  cp -a "$W/pf.snap" "$W/pf/queue"
  sync
  MAIL_CONFIG="$W/pf/etc" /usr/sbin/postqueue -p >/dev/null 2>&1
  MAIL_CONFIG="$W/pk/etc" "$W/bin/postqueue" -p >/dev/null 2>&1
}
OPS=("mailq | tail -1" "postqueue -j | wc -l" "postsuper -H ALL" "postsuper -d ALL")
CMDS=("$TIMED mailq | tail -1" "$TIMED postqueue -j | wc -l" "$TIMED postsuper -H ALL" "$TIMED postsuper -d ALL")

for n in ${@:-10000 100000}; do
  {
    half=$((n / 2))
    rm -rf "$W/pk" "$W/pf"
    mkdir -p "$W/pk/etc"
    printf 'queue_directory = %s\nmaillog_file_prefixes = %s\nmaillog_file = %s\nmyhostname = bench.example.test\n' \
      "$W/pk/queue" "$W/pk" "$W/pk/maillog" >"$W/pk/etc/main.cf"
    $BUN bench/fill_queue.ts "$W/pk/queue" "$half" deferred 1024 >/dev/null
    $BUN bench/fill_queue.ts "$W/pk/queue" "$((n - half))" hold 1024 >/dev/null
    $BUN bench/fill_postfix_queue.ts "$W/pf" "$half" "$((n - half))" >/dev/null
    sync
    # with RUNS > 1 the postsuper operations are repeated on copies of the filled queues (made outside the timing)
    if [ "${RUNS:-1}" -gt 1 ]; then
      rm -rf "$W/pk.snap" "$W/pf.snap"
      cp -a "$W/pk/queue" "$W/pk.snap"
      cp -a "$W/pf/queue" "$W/pf.snap"
    fi
    # warm the caches of both queues alike: one untimed listing each
    MAIL_CONFIG="$W/pf/etc" /usr/sbin/postqueue -p >/dev/null 2>&1
    MAIL_CONFIG="$W/pk/etc" "$W/bin/postqueue" -p >/dev/null 2>&1
    for i in "${!OPS[@]}"; do
      pf_s="" pk_s=""
      for ((k = 0; k < ${RUNS:-1}; k++)); do
        # a postsuper operation changes the queue: each run after the first starts from the filled queue again
        if [ "$i" -ge 2 ] && [ "$k" -gt 0 ]; then restore; fi
        PATHS="/usr/sbin:/usr/bin:/bin" CONF="$W/pf/etc" run postfix "${OPS[$i]}" "${CMDS[$i]}"
        if [ -z "$pf_s" ] || awk -v a="$SECS" -v b="$pf_s" 'BEGIN{exit !(a < b)}'; then pf_s=$SECS pf_rss=$RSS; fi
        PATHS="$W/bin:/usr/bin:/bin" CONF="$W/pk/etc" run postkit "${OPS[$i]}" "${CMDS[$i]}"
        if [ -z "$pk_s" ] || awk -v a="$SECS" -v b="$pk_s" 'BEGIN{exit !(a < b)}'; then pk_s=$SECS pk_rss=$RSS; fi
      done
      if [ "$i" -eq 2 ] && [ "${RUNS:-1}" -gt 1 ]; then restore; fi # -d ALL then starts from the filled queue too
      awk -v n="$n" -v op="${OPS[$i]}" -v a="$pk_s" -v b="$pf_s" -v ra="$pk_rss" -v rb="$pf_rss" \
        'BEGIN{printf "queue N=%d op=\"%s\" postkit_s=%.3f postfix_s=%.3f ratio=%.2f postkit_rss_kb=%s postfix_rss_kb=%s\n", n, op, a, b, (b > 0 ? a / b : 0), ra, rb}'
    done
  }
done
