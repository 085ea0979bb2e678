#!/bin/bash
# bench/startup.sh: start-up time of one-shot tools, postkit side by side with Debian's Postfix in one run.
#   postconf -h mail_version   and   postlog hello
# Both read the same configuration directory (a copy of a small main.cf; the log goes to a file in it).
# Needs hyperfine and Debian's postfix (installed with apt-get when missing and running as root).
# Prints one line per command: postkit and Postfix means (ms) and the ratio postkit/Postfix (goal: <= 1.5).
# RUNS (default 200) runs of each command, in ROUNDS (default 5) rounds that alternate which side goes first.
set -eu
cd "$(dirname "$0")/.."
BIN=${POSTKIT_BIN:-$PWD/dist/postkit}
[ -x "$BIN" ] || make build >/dev/null
if ! command -v hyperfine >/dev/null || ! [ -x /usr/sbin/postconf ]; then
  [ "$(id -u)" = 0 ] || { echo "need hyperfine and postfix (run as root to install them)"; exit 1; }
  apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y hyperfine postfix >/dev/null
fi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir -p "$T/etc" "$T/bin"
printf 'myhostname = bench.example.test\nmaillog_file_prefixes = %s\nmaillog_file = %s/maillog\ncompatibility_level = 3.6\n' "$T" "$T" >"$T/etc/main.cf"
: >"$T/etc/master.cf"
ln -s "$BIN" "$T/bin/postconf"; ln -s "$BIN" "$T/bin/postlog"
# ROUNDS rounds (default 5) of RUNS/ROUNDS runs of each side, the sides taking turns: the machine's state drifts
# over seconds (one side measured entirely before the other would carry that drift); means of all runs.
run() { # name, ours, theirs
  local rounds=${ROUNDS:-5} i
  local per=$(( (${RUNS:-200} + rounds - 1) / rounds ))
  for ((i = 0; i < rounds; i++)); do
    if ((i % 2 == 0)); then
      hyperfine -N --warmup 5 --runs "$per" --export-json "$T/r$i.json" "$2" "$3" >/dev/null 2>&1
    else
      hyperfine -N --warmup 5 --runs "$per" --export-json "$T/r$i.json" "$3" "$2" >/dev/null 2>&1
    fi
  done
  python3 - "$1" "$2" "$T"/r*.json <<'PY'
import json, sys
name, ours = sys.argv[1], sys.argv[2]
a, b = [], []
for f in sys.argv[3:]:
    for r in json.load(open(f))["results"]:
        (a if r["command"] == ours else b).extend(r["times"])
ma, mb = sum(a) / len(a) * 1000, sum(b) / len(b) * 1000
print(f"startup {name}: postkit {ma:.2f} ms, postfix {mb:.2f} ms, ratio {ma / mb:.2f}")
PY
  rm -f "$T"/r*.json
}
run "postconf -h mail_version" "$T/bin/postconf -c $T/etc -h mail_version" "/usr/sbin/postconf -c $T/etc -h mail_version"
run "postlog hello" "$T/bin/postlog -c $T/etc hello" "/usr/sbin/postlog -c $T/etc hello"
