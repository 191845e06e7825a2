#!/usr/bin/env bash
# End-to-end latency of the daemon alone at a steady rate: a fresh daemon (SQLite store, one
# webhook subscription into nginx answering 204), `peer_load send` open-loop, then
# `peer_load latency` against nginx's log. Prints "LABEL rate R: p50 p99 arrived/sent, CPU".
# BIN picks the daemon binary, so two builds can be compared in alternation (A/B in one run):
#
#   BIN=/tmp/jido-before runtime/benches/peer/steady.sh before 1000 10
#   BIN=target/release/jido-dispatch runtime/benches/peer/steady.sh after 1000 10
#
# Needs nginx; builds the release binary and peer_load first. Not part of CI.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
LABEL=${1:?label} RATE=${2:?rate} SECONDS_TO_RUN=${3:-10}
WORK=${WORK:-$ROOT/target/peer-steady}
BIN=${BIN:-$ROOT/target/release/jido-dispatch}
source "$HERE/common.sh"
cargo build -q --release -p jido-dispatch --bin jido-dispatch --example peer_load --manifest-path "$ROOT/Cargo.toml"
rm -rf "$WORK/store" && mkdir -p "$WORK/store" "$WORK/nginx/logs"
nginx_config "$WORK/nginx/nginx.conf" "$WORK/nginx" "$WORK/nginx/logs" 18081
jido_config "$WORK/store/config.toml" 127.0.0.1:14010 "$WORK/store/store.sqlite" http://127.0.0.1:18081/jido
: > "$WORK/nginx/logs/access.log"
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
NGINX=$!
JIDO_DISPATCH_CACHE_DIR=$WORK/cache "$BIN" serve --config "$WORK/store/config.toml" >"$WORK/store/daemon.log" 2>&1 &
DAEMON=$!
trap 'kill $DAEMON $NGINX 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -s -o /dev/null http://127.0.0.1:14010/healthz && break; sleep 0.1; done
ticks() { awk '{print $14 + $15}' "/proc/$DAEMON/stat"; }
before=$(ticks)
"$ROOT/target/release/examples/peer_load" send jido http://127.0.0.1:14010/signals "$RATE" "$SECONDS_TO_RUN" "$WORK/sent.tsv" >/dev/null
sleep 2 # stragglers; the line reports how many of the sent arrived
cpu=$(python3 -c "print(round(($(ticks) - $before) / $(getconf CLK_TCK) * 1000 / ($RATE * $SECONDS_TO_RUN), 3))")
read -r p50 p99 got <<<"$("$ROOT/target/release/examples/peer_load" latency "$WORK/nginx/logs/access.log" /jido "$WORK/sent.tsv")"
echo "$LABEL rate $RATE: p50 $p50 ms, p99 $p99 ms, arrived $got, daemon CPU-s per 1,000: $cpu"
