#!/usr/bin/env bash
# `[store] kind = "jetstream"` against the SQLite store, in one run on one machine: a
# three-node `nats-server -js` cluster on loopback (replicas 3), 1, 2 and 3 daemons sharing
# it, and one daemon on SQLite, each with the same webhook subscription into nginx (204).
#
#   runtime/benches/peer/jetstream.sh            # BURST_SECONDS=10 RATE=1000
#
# Per mode: accepted/s from `wrk` (single events, 32 connections split over the daemons),
# delivered/s end to end (all accepted / time to the last delivery at nginx), and p50/p99
# at a steady RATE/s into the first daemon (`peer_load`). Needs nats-server, nginx, wrk;
# builds the release binary and peer_load first. Not part of CI.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
WORK=${WORK:-$ROOT/target/peer-jetstream}
BURST_SECONDS=${BURST_SECONDS:-10}
RATE=${RATE:-1000}
BIN=$ROOT/target/release/jido-dispatch
LOAD=$ROOT/target/release/examples/peer_load
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)
source "$HERE/common.sh"
cargo build -q --release -p jido-dispatch --bin jido-dispatch --example peer_load --manifest-path "$ROOT/Cargo.toml"
rm -rf "$WORK" && mkdir -p "$WORK/nginx/logs"
LOGS=$WORK/nginx/logs
PIDS=() NATS_PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT

nginx_config "$WORK/nginx/nginx.conf" "$WORK/nginx" "$LOGS" 18082
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" & PIDS+=($!)
ROUTES=nats://127.0.0.1:16222,nats://127.0.0.1:16223,nats://127.0.0.1:16224
for i in 0 1 2; do
    "$NATS" -a 127.0.0.1 -p $((14222 + i)) -n "n$i" -js -sd "$WORK/nats/n$i" \
        --cluster_name bench --cluster "nats://127.0.0.1:$((16222 + i))" --routes "$ROUTES" \
        >"$WORK/nats-$i.log" 2>&1 & PIDS+=($!) NATS_PIDS+=($!)
done
URLS=nats://127.0.0.1:14222,nats://127.0.0.1:14223,nats://127.0.0.1:14224

delivered() { grep -c " $1 " "$LOGS/access.log" || true; }
wait_delivered() { # path count
    for _ in $(seq 1 3000); do [ "$(delivered "$1")" -ge "$2" ] && return 0; sleep 0.1; done
    echo "only $(delivered "$1") of $2 deliveries reached nginx at $1" >&2
}

DAEMONS=0
start_daemon() { # mode index; sets PORT
    DAEMONS=$((DAEMONS + 1))
    local mode=$1 dir=$WORK/$1-$2 port=$((14100 + DAEMONS))
    mkdir -p "$dir"
    jido_config "$dir/config.toml" "127.0.0.1:$port" "$dir/store.sqlite" "http://127.0.0.1:18082/$mode"
    if [ "$mode" != sqlite ]; then
        sed -i "s|^path = \"$dir/store.sqlite\"|&\nkind = \"jetstream\"\nreplicas = 3\nprefix = \"$mode\"|" "$dir/config.toml"
        printf '\n[cluster]\nnats_url = "%s"\n' "$URLS" >>"$dir/config.toml"
    fi
    JIDO_DISPATCH_CACHE_DIR=$WORK/cache "$BIN" serve --config "$dir/config.toml" >"$dir/daemon.log" 2>&1 &
    PIDS+=($!) MODE_PIDS+=($!)
    for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
    PORT=$port
}

# CPU ticks (user + system) of the given processes.
ticks() { local sum=0 pid; for pid in "$@"; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo $sum; }
per_1000() { python3 -c "print(round($1 / $(getconf CLK_TCK) * 1000 / $2, 3))"; } # ticks signals

declare -A ACCEPTED DELIVERED LATENCY DAEMON_CPU NATS_CPU
run_mode() { # mode daemons
    local mode=$1 n=$2 ports=() i
    MODE_PIDS=()
    for i in $(seq 1 "$n"); do start_daemon "$mode" "$i"; ports+=("$PORT"); done
    # Warm-up: every daemon's lane is open and delivering.
    for port in "${ports[@]}"; do
        curl -s -o /dev/null -H 'content-type: application/cloudevents+json' \
            -d "{\"specversion\":\"1.0\",\"id\":\"warm-$mode-$port\",\"type\":\"bench.warm\",\"source\":\"/w\"}" \
            "http://127.0.0.1:$port/signals"
    done
    wait_delivered "/$mode" "$n"
    local before start sent=0 rps=0 loaders=()
    before=$(delivered "/$mode")
    local daemon_ticks nats_ticks
    daemon_ticks=$(ticks "${MODE_PIDS[@]}") nats_ticks=$(ticks "${NATS_PIDS[@]}")
    start=$(python3 -c 'import time; print(time.time())')
    for port in "${ports[@]}"; do
        RUN=$port KIND=jido wrk -t1 -c$((32 / n)) -d"${BURST_SECONDS}s" -s "$HERE/single_event.lua" \
            "http://127.0.0.1:$port/signals" >"$WORK/wrk-$mode-$port.log" 2>&1 & loaders+=($!)
    done
    wait "${loaders[@]}"
    for port in "${ports[@]}"; do
        rps=$((rps + $(awk '/Requests\/sec/ {print int($2)}' "$WORK/wrk-$mode-$port.log")))
        sent=$((sent + $(awk '/requests in/ {print $1}' "$WORK/wrk-$mode-$port.log")))
    done
    wait_delivered "/$mode" $((before + sent))
    DAEMON_CPU[$mode]=$(per_1000 $(($(ticks "${MODE_PIDS[@]}") - daemon_ticks)) "$sent")
    NATS_CPU[$mode]=$(per_1000 $(($(ticks "${NATS_PIDS[@]}") - nats_ticks)) "$sent")
    local end_ms
    end_ms=$(grep " /$mode " "$LOGS/access.log" | tail -1 | cut -d' ' -f1)
    ACCEPTED[$mode]=$rps
    DELIVERED[$mode]=$(python3 -c "print(int($sent / ($end_ms - $start)))")
    "$LOAD" send jido "http://127.0.0.1:${ports[0]}/signals" "$RATE" 10 "$WORK/steady-$mode.tsv" >/dev/null
    sleep 2
    LATENCY[$mode]=$("$LOAD" latency "$LOGS/access.log" "/$mode" "$WORK/steady-$mode.tsv")
    # The next mode runs alone on the machine.
    kill "${MODE_PIDS[@]}" 2>/dev/null || true
    wait "${MODE_PIDS[@]}" 2>/dev/null || true
}

run_mode sqlite 1
for n in 1 2 3; do run_mode "js$n" "$n"; done

ratio() { python3 -c "print(f'{$2 / $1:.2f}x')"; }
echo "| mode | accepted/s | delivered/s | p50 / p99 ms at $RATE/s (arrived) | CPU-s per 1,000: daemons / nats-servers |"
echo "|---|---:|---:|---|---|"
for mode in sqlite js1 js2 js3; do
    read -r p50 p99 got <<<"${LATENCY[$mode]}"
    echo "| $mode | ${ACCEPTED[$mode]} ($(ratio "${ACCEPTED[sqlite]}" "${ACCEPTED[$mode]}")) | ${DELIVERED[$mode]} ($(ratio "${DELIVERED[sqlite]}" "${DELIVERED[$mode]}")) | $p50 / $p99 ($got) | ${DAEMON_CPU[$mode]} / ${NATS_CPU[$mode]} |"
done
