#!/bin/bash
# bench/maps.sh [N] — postkit's postmap against Debian's postmap on an N-line table (default 1,000,000).
#
# Builds the table (key<N>@example.test value<N>, as ../shared/bench/postfix-maps.sh does) as hash, cdb and lmdb,
# then queries 100,000 random keys in bulk (`postmap -q -`), and times single `postmap -q KEY` processes (mean
# over 50 runs). Postfix's build and bulk figures come from ../shared/bench/postfix-maps.sh in the same run;
# its single-query time is measured here on a table built the same way. Prints both sides and the ratios
# (postkit time / fastest Postfix type; below 1 is faster). Run as root (postmap changes owner as root), after
# `make build`.
set -euo pipefail
N=${1:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${POSTKIT_BIN:-$ROOT/dist/postkit}
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
[ "$(id -u)" = 0 ] || { echo "bench/maps.sh: run as root" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench/maps.sh: $BIN missing; run make build" >&2; exit 1; }
command -v postmap >/dev/null || { echo "bench/maps.sh: Debian's postmap is not installed" >&2; exit 1; }

T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin" "$T/etc"
ln -s "$BIN" "$T/bin/postmap"
printf 'compatibility_level = 3.6\n' >"$T/etc/main.cf"
export MAIL_CONFIG=$T/etc
seq 1 "$N" | awk '{print "key" $1 "@example.test value" $1}' >"$T/big"
shuf -n 100000 -r "$T/big" | awk '{print $1}' >"$T/keys"
KEY="key$(( N / 2 ))@example.test"

ms() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", (b-a)/1e9}'; }
rss() { awk '/Maximum resident/ {print $6}' "$1"; }
single() { # mean seconds of one `postmap -q KEY type:table` process, over 50 runs
  local pm=$1 spec=$2 s e
  s=$(date +%s%N); for _ in $(seq 50); do "$pm" -q "$KEY" "$spec" >/dev/null; done; e=$(date +%s%N)
  awk -v a="$s" -v b="$e" 'BEGIN{printf "%.4f", (b-a)/50/1e9}'
}

echo "# table: $N lines, bulk query: 100000 keys, single query: mean of 50 processes"
echo "## postkit"
declare -A PK_BUILD PK_BULK PK_ONE PK_RSS
for type in hash cdb lmdb; do
  s=$(date +%s%N); /usr/bin/time -v "$T/bin/postmap" "$type:$T/big" 2>"$T/time.$type"; m=$(date +%s%N)
  "$T/bin/postmap" -q - "$type:$T/big" <"$T/keys" >"$T/out.$type"; e=$(date +%s%N)
  [ "$(wc -l <"$T/out.$type")" = 100000 ] || { echo "postkit $type: wrong bulk output" >&2; exit 1; }
  PK_BUILD[$type]=$(ms "$s" "$m"); PK_BULK[$type]=$(ms "$m" "$e"); PK_RSS[$type]=$(rss "$T/time.$type")
  PK_ONE[$type]=$(single "$T/bin/postmap" "$type:$T/big")
  echo "postkit maps type=$type build_s=${PK_BUILD[$type]} bulk_query_s=${PK_BULK[$type]} single_query_s=${PK_ONE[$type]} build_max_rss_kb=${PK_RSS[$type]}"
done

echo "## postfix"
bash "$SHARED/postfix-maps.sh" "$N" | tee "$T/postfix.txt"
mkdir -p "$T/pf"; cp "$T/big" "$T/pf/big"
declare -A PF_ONE
for type in hash cdb lmdb; do
  postmap "$type:$T/pf/big"
  PF_ONE[$type]=$(single /usr/sbin/postmap "$type:$T/pf/big")
  echo "postfix maps type=$type single_query_s=${PF_ONE[$type]}"
done

best() { # smallest value of field $1 over the postfix lines
  grep -o "$1=[0-9.]*" "$T/postfix.txt" | cut -d= -f2 | sort -g | head -1
}
PF_BUILD=$(best build_s); PF_BULK=$(best bulk_query_s)
PF_ONE_BEST=$(printf '%s\n' "${PF_ONE[@]}" | sort -g | head -1)
echo "## ratios (postkit / fastest Postfix type; < 1 means postkit is faster)"
for type in hash cdb lmdb; do
  awk -v t="$type" -v b="${PK_BUILD[$type]}" -v q="${PK_BULK[$type]}" -v o="${PK_ONE[$type]}" \
      -v pb="$PF_BUILD" -v pq="$PF_BULK" -v po="$PF_ONE_BEST" \
      'BEGIN{printf "ratio type=%s build=%.2f bulk_query=%.2f single_query=%.2f\n", t, b/pb, q/pq, o/po}'
done
