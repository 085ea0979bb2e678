#!/bin/bash
# bench/startup.sh: start-up time of one-shot tools, postkit side by side with Debian's Postfix in one run.
#   postconf -h mail_version   and   postlog hello
# Both read the same configuration directory (a copy of a small main.cf; the log goes to a file in it).
# Needs hyperfine and Debian's postfix (installed with apt-get when missing and running as root).
# Prints one line per command: postkit and Postfix means (ms) and the ratio postkit/Postfix (goal: <= 1.5).
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
json="$T/h.json"
run() { # name, ours, theirs
  hyperfine -N --warmup 10 --runs ${RUNS:-200} --export-json "$json" "$2" "$3" >/dev/null 2>&1
  python3 - "$json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
a, b = r[0]["mean"] * 1000, r[1]["mean"] * 1000
print(f"startup {sys.argv[2]}: postkit {a:.2f} ms, postfix {b:.2f} ms, ratio {a / b:.2f}")
PY
}
run "postconf -h mail_version" "$T/bin/postconf -c $T/etc -h mail_version" "/usr/sbin/postconf -c $T/etc -h mail_version"
run "postlog hello" "$T/bin/postlog -c $T/etc hello" "/usr/sbin/postlog -c $T/etc hello"
