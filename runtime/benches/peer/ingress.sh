#!/usr/bin/env bash
# Single-event durable ingress (issue 17, item 4): the daemon's `POST /signals` (SQLite store,
# one subscription to a `noop` target) against an axum handler on the same runtime that only
# reads the body and answers 202 (`examples/bare_202.rs`), under the same `wrk` load from a
# separate process, alternating ROUNDS times. Not part of CI.
#
#   runtime/benches/peer/ingress.sh     # knobs: ROUNDS=5 DURATION=10 CONNECTIONS=32 WORK=...
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
WORK=${WORK:-$ROOT/target/peer-ingress}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
PIDS=()
trap 'for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT

source "$HERE/common.sh"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build -q --release -p jido-dispatch --bin jido-dispatch --example bare_202 --manifest-path "$ROOT/Cargo.toml"
rm -rf "$WORK" && mkdir -p "$WORK"
noop_config "$WORK/config.toml" 127.0.0.1:14000 "$WORK/store.sqlite"
JIDO_DISPATCH_CACHE_DIR=$WORK/cache "$ROOT/target/release/jido-dispatch" serve --config "$WORK/config.toml" \
    >"$WORK/daemon.log" 2>&1 &
PIDS+=($!)
"$ROOT/target/release/examples/bare_202" 127.0.0.1:14001 &
PIDS+=($!)
for port in 14000 14001; do
    for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

load() { # url -> requests/s (and refusals)
    local out
    out=$(KIND=jido wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$HERE/single_event.lua" "$1")
    local rps refused
    rps=$(awk '/Requests\/sec/ {print int($2)}' <<<"$out")
    refused=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    [ -z "$refused" ] || echo "warning: $refused responses from $1 were not 2xx" >&2
    echo "$rps"
}

load http://127.0.0.1:14000/signals >/dev/null # warm-up: components, SQLite pages
daemon=() bare=()
for round in $(seq 1 "$ROUNDS"); do
    daemon+=("$(load http://127.0.0.1:14000/signals)")
    bare+=("$(load http://127.0.0.1:14001/signals)")
    echo "round $round: daemon ${daemon[-1]}/s, bare axum ${bare[-1]}/s" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
d=$(median "${daemon[@]}") b=$(median "${bare[@]}")
echo "| single events, wrk -t1 -c$CONNECTIONS, ${DURATION} s × $ROUNDS rounds (medians) | requests/s |"
echo "|---|---:|"
echo "| jido-dispatch \`POST /signals\`, durable (SQLite), one noop subscription | $d |"
echo "| axum handler that reads the body and answers 202, same runtime | $b |"
echo "| ratio daemon / bare | $(python3 -c "print(f'{$d / $b:.2f}')") |"
echo "rounds: daemon ${daemon[*]}; bare ${bare[*]}" >&2
