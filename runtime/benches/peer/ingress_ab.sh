#!/usr/bin/env bash
# Single-event durable ingress of two or more daemon builds, alternating (A/B in one run):
# each round starts each binary on a fresh SQLite store with one `noop` subscription, warms
# up with `wrk` for 3 s, then reports req/s over 8 s, the daemon's CPU-seconds (utime +
# stime from /proc) per 1,000 requests and its peak RSS. Not part of CI.
#
#   runtime/benches/peer/ingress_ab.sh ROUNDS BIN...     # WORK=/dev/shm/x for a tmpfs store
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
W=${WORK:-$ROOT/target/peer-ingress-ab}
rounds=${1:?rounds}; shift
mkdir -p "$W"
source "$HERE/common.sh"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
for r in $(seq 1 "$rounds"); do
  for bin in "$@"; do
    rm -rf "$W"/store.sqlite*
    noop_config "$W/config.toml" 127.0.0.1:14100 "$W/store.sqlite"
    JIDO_DISPATCH_CACHE_DIR=$W/cache "$bin" serve --config "$W/config.toml" > "$W/daemon.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:14100/ && break; sleep 0.1; done
    wrk -t1 -c32 -d3s -s "$HERE/single_event.lua" http://127.0.0.1:14100/signals > /dev/null
    t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
    out=$(wrk -t1 -c32 -d8s -s "$HERE/single_event.lua" http://127.0.0.1:14100/signals)
    t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
    rps=$(awk '/Requests\/sec/ {print int($2)}' <<<"$out")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    cpu=$(awk -v t="$((t1 - t0))" -v n="$n" 'BEGIN {printf "%.3f", t / 100 * 1000 / n}')
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "round $r $(basename "$bin"): $rps req/s, daemon CPU-s per 1,000: $cpu, peak RSS ${rss} kB"
  done
done
