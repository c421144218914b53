#!/usr/bin/env bash
# Instructions per call of the wrapper, the generated client and raw reqwest + serde_json,
# counted by valgrind's callgrind in the client's process only (the fixed-bytes server runs
# in a process of its own). Instruction counts barely move with machine load, so the
# figures repeat on a noisy machine.
#
#   scripts/callgrind.sh [OPERATION...]
#
# OPERATION: get-payment, get-rampoff, list-payments (one 1,000-row page), build-client;
# all four by default. For each operation and client the `calls` binary runs under
# callgrind twice, with N and 2N calls after one uncounted call; (I(2N) - I(N)) / N is the
# cost of one call with every start-up, connection and token cost subtracted.
#
# Environment:
#   CALLS           N (default 200; 20 for list-payments, 10 for build-client)
#   CARGO_TARGET_DIR  where the release build goes (default target)
#   KEEP=1          keep the callgrind.out files (in $CARGO_TARGET_DIR/callgrind/), for
#                   `callgrind_annotate --inclusive=yes FILE`
set -euo pipefail

cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
out="$target/callgrind"
mkdir -p "$out"

command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }

cargo build --release --offline -q -p cryptopocket-bench --bins
bin="$target/release"

"$bin/fixed-server" 1000 >"$out/server.url" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  [ -s "$out/server.url" ] && break
  sleep 0.1
done
base="$(head -n1 "$out/server.url")"
[ -n "$base" ] || { echo "the fixed server did not start" >&2; exit 2; }

# Total instructions of one run.
count() {
  local client="$1" op="$2" n="$3" file="$out/callgrind.$2.$1.$3.out"
  valgrind --tool=callgrind --callgrind-out-file="$file" \
    "$bin/calls" "$client" "$op" "$n" "$base" >/dev/null 2>"$file.log" \
    || { echo "callgrind failed: see $file.log" >&2; exit 1; }
  local total
  total="$(grep -E '^(summary|totals):' "$file" | head -n1 | awk '{print $2}')"
  [ "${KEEP:-0}" = 1 ] || rm -f "$file" "$file.log"
  echo "$total"
}

ops=("$@")
[ ${#ops[@]} -gt 0 ] || ops=(get-payment get-rampoff list-payments build-client)

printf '%-14s %-10s %14s %9s\n' operation client "instr/call" "/ raw"
for op in "${ops[@]}"; do
  case "$op" in
    list-payments) n="${CALLS:-20}" ;;
    build-client) n="${CALLS:-10}" ;;
    *) n="${CALLS:-200}" ;;
  esac
  raw_per_call=""
  for client in raw generated wrapper; do
    one="$(count "$client" "$op" "$n")"
    two="$(count "$client" "$op" $((2 * n)))"
    per_call=$(( (two - one) / n ))
    [ -n "$raw_per_call" ] || raw_per_call="$per_call"
    ratio="$(awk -v a="$per_call" -v b="$raw_per_call" 'BEGIN { printf "%.3f", a / b }')"
    printf '%-14s %-10s %14d %9s\n' "$op" "$client" "$per_call" "$ratio"
  done
done
