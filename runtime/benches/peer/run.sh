# The measuring half of the peer run; sourced by svix.sh (which sets ROOT, WORK, SVIX_BIN).
#
# One nginx answers 204 on 127.0.0.1:18080 and logs `$msec $uri $http_webhook_id $http_svix_id`
# for every request; Svix (on a private PostgreSQL cluster) delivers to /svix, jido-dispatch
# to /jido. Each product in turn, alone on the machine:
#   - burst: single events from `wrk` for BURST_SECONDS (1 thread, 32 connections, unique
#     ids): accepted/s; delivered/s = accepted in the burst / (last delivery at nginx - start
#     of the burst); CPU-seconds of the server (Svix: plus PostgreSQL) from the start of the
#     burst until its last delivery, per 10,000 messages; the server's peak RSS;
#   - steady: `peer_load send` sends open-loop at each rate of RATES for SECONDS_PER_RATE; the
#     latency of a message is nginx's arrival time minus its send time (nginx's `$msec` has
#     millisecond resolution, so latencies read up to 1 ms low); `peer_load cdf` draws each
#     rate's latency distribution into docs/charts/peer-latency-RATE.svg.
# Prints a Markdown table on stdout; logs go to $WORK/logs.

BURST_SECONDS=${BURST_SECONDS:-10}
RATES=${RATES:-"1000 5000"}
SECONDS_PER_RATE=${SECONDS_PER_RATE:-10}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
LOGS=$WORK/logs
source "$HERE/common.sh"
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -n "${PG_BIN:-}" ] && [ -d "$WORK/pg" ] && su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $WORK/pg -m fast stop" >/dev/null 2>&1 || true
}
trap cleanup EXIT

wait_http() { # url
    for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
    echo "nothing answers at $1" >&2; return 1
}

cpu_ticks() { # pids... -> utime+stime in clock ticks, summed
    local total=0
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo "$total"
}

delivered() { # path -> lines in the nginx log for it
    grep -c " $1 " "$LOGS/access.log" || true
}

wait_delivered() { # path count
    for _ in $(seq 1 1200); do [ "$(delivered "$1")" -ge "$2" ] && return 0; sleep 0.1; done
    echo "only $(delivered "$1") of $2 deliveries reached nginx at $1" >&2
}

start_nginx() {
    mkdir -p "$WORK/nginx" "$LOGS"
    nginx_config "$WORK/nginx/nginx.conf" "$WORK/nginx" "$LOGS" 18080
    : > "$LOGS/access.log"
    nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
    PIDS+=($!)
}

start_postgres() {
    rm -rf "$WORK/pg" && mkdir -p "$WORK/pg" "$WORK/pg-sock"
    chown postgres "$WORK/pg" "$WORK/pg-sock"
    su postgres -s /bin/sh -c "$PG_BIN/initdb -D $WORK/pg -A trust -U postgres" >"$LOGS/pg-init.log"
    su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $WORK/pg -l $WORK/pg-sock/pg.log -w \
        -o '-p 55432 -k $WORK/pg-sock -c listen_addresses=127.0.0.1 -c max_connections=120' start" >/dev/null
}

start_svix() {
    mkdir -p "$WORK/svix-run"
    cat > "$WORK/svix-run/config.toml" <<CONF
listen_address = "127.0.0.1:18071"
db_dsn = "postgresql://postgres@127.0.0.1:55432/postgres"
db_pool_max_size = 80
queue_type = "memory"
cache_type = "memory"
jwt_secret = "peer-run-jwt-secret-0123456789abcdef"
main_secret = "peer-run-main-secret-0123456789abcdef"
whitelist_subnets = ["127.0.0.0/8"]
CONF
    (cd "$WORK/svix-run" && RUST_LOG=warn "$SVIX_BIN" migrate >"$LOGS/svix-migrate.log" 2>&1)
    SVIX_TOKEN=$(cd "$WORK/svix-run" && "$SVIX_BIN" jwt generate | sed -n 's/^Token (Bearer): //p')
    (cd "$WORK/svix-run" && RUST_LOG=warn exec "$SVIX_BIN" >"$LOGS/svix.log" 2>&1) &
    SVIX_PID=$!
    PIDS+=($SVIX_PID)
    wait_http http://127.0.0.1:18071/api/v1/health/
    local auth=(-H "authorization: Bearer $SVIX_TOKEN" -H 'content-type: application/json')
    curl -sf "${auth[@]}" http://127.0.0.1:18071/api/v1/app/ -d '{"name":"peer","uid":"peer"}' >/dev/null
    curl -sf "${auth[@]}" http://127.0.0.1:18071/api/v1/app/peer/endpoint/ \
        -d '{"url":"http://127.0.0.1:18080/svix","version":1}' >/dev/null
}

start_jido() {
    mkdir -p "$WORK/jido-run"
    rm -f "$WORK/jido-run/store.sqlite"*
    jido_config "$WORK/jido-run/config.toml" 127.0.0.1:14000 "$WORK/jido-run/store.sqlite" http://127.0.0.1:18080/jido
    JIDO_DISPATCH_CACHE_DIR=$WORK/jido-cache "$ROOT/target/release/jido-dispatch" serve \
        --config "$WORK/jido-run/config.toml" >"$LOGS/jido.log" 2>&1 &
    JIDO_PID=$!
    PIDS+=($JIDO_PID)
    wait_http http://127.0.0.1:14000/healthz
}

# wrk: single events over 32 connections for BURST_SECONDS, each with a unique id. Sets
# SENT (requests answered) and prints requests/s (and the refusals, if any).
burst() { # url body-kind [token]
    KIND=$2 TOKEN=${3:-} wrk -t1 -c32 -d"${BURST_SECONDS}s" -s "$HERE/single_event.lua" "$1" >"$LOGS/wrk-$2.log" 2>&1
    local rps refused
    rps=$(awk '/Requests\/sec/ {print int($2)}' "$LOGS/wrk-$2.log")
    refused=$(awk '/Non-2xx/ {print $5}' "$LOGS/wrk-$2.log")
    echo "$rps${refused:+ ($refused not 2xx)}"
}

measure() { # product url path server-pids...
    local product=$1 url=$2 path=$3
    shift 3
    local before_ticks before_lines start accepted end_ms delivered_per_s ticks
    "$LOAD" send "$product" "$url" 200 1 "$WORK/warm.tsv" ${TOKEN:+$TOKEN} >/dev/null
    wait_delivered "$path" 200
    before_lines=$(delivered "$path")
    before_ticks=$(cpu_ticks "$@" $(pgrep -u postgres 2>/dev/null || true))
    start=$(date +%s.%N)
    accepted=$(burst "$url" "$product" "${TOKEN:-}")
    local sent refused
    sent=$(awk '/requests in/ {print $1}' "$LOGS/wrk-$product.log")
    refused=$(awk '/Non-2xx/ {print $5}' "$LOGS/wrk-$product.log")
    sent=$((sent - ${refused:-0}))
    wait_delivered "$path" $((before_lines + sent))
    ticks=$(( $(cpu_ticks "$@" $(pgrep -u postgres 2>/dev/null || true)) - before_ticks ))
    end_ms=$(grep " $path " "$LOGS/access.log" | tail -1 | cut -d' ' -f1)
    delivered_per_s=$(python3 -c "print(int($sent / ($end_ms - $start)))")
    local cpu_per_10k
    cpu_per_10k=$(python3 -c "print(round($ticks / $(getconf CLK_TCK) * 10000 / $sent, 2))")
    ROW_SENT[$product]=$sent
    ROW_ACCEPTED[$product]=$accepted
    ROW_DELIVERED[$product]=$delivered_per_s
    ROW_CPU[$product]=$cpu_per_10k
    for rate in $RATES; do
        "$LOAD" send "$product" "$url" "$rate" "$SECONDS_PER_RATE" \
            "$WORK/steady-$product-$rate.tsv" ${TOKEN:+$TOKEN} >"$LOGS/steady-$product-$rate.log"
        sleep 5 # stragglers; the table reports how many of the sent arrived
        ROW_LAT[$product-$rate]=$("$LOAD" latency "$LOGS/access.log" "$path" "$WORK/steady-$product-$rate.tsv")
    done
}

LOAD=$ROOT/target/release/examples/peer_load
declare -A ROW_ACCEPTED ROW_DELIVERED ROW_CPU ROW_RSS ROW_LAT ROW_SENT
mkdir -p "$LOGS"
say "building jido-dispatch and the load tool (release)"
cargo build -q --release -p jido-dispatch --bin jido-dispatch --example peer_load --manifest-path "$ROOT/Cargo.toml"
for tool in nginx wrk; do command -v $tool >/dev/null || need_packages $tool; done
[ -n "$PG_BIN" ] || { need_packages postgresql; PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); }
start_nginx
wait_http http://127.0.0.1:18080/

say "Svix"
start_postgres
start_svix
TOKEN=$SVIX_TOKEN measure svix http://127.0.0.1:18071/api/v1/app/peer/msg/ /svix "$SVIX_PID"
ROW_RSS[svix]=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$SVIX_PID/status")
kill "$SVIX_PID"; su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $WORK/pg -m fast stop" >/dev/null

say "jido-dispatch"
start_jido
TOKEN= measure jido http://127.0.0.1:14000/signals /jido "$JIDO_PID"
ROW_RSS[jido]=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$JIDO_PID/status")

mkdir -p "$ROOT/docs/charts"
for rate in $RATES; do
    "$LOAD" cdf "$ROOT/docs/charts/peer-latency-$rate.svg" \
        "Latency at a steady $rate messages/s: Svix and jido-dispatch into one nginx" "$LOGS/access.log" \
        "Svix 1.100 + PostgreSQL=/svix=$WORK/steady-svix-$rate.tsv" \
        "jido-dispatch (webhook, defaults)=/jido=$WORK/steady-jido-$rate.tsv"
done
echo "charts: docs/charts/peer-latency-{${RATES// /,}}.svg" >&2

echo "| $(date -u +%F), $(nproc) cores, ${BURST_SECONDS} s bursts | Svix $("$SVIX_BIN" --version 2>/dev/null | head -1) | jido-dispatch $(git -C "$ROOT" rev-parse --short HEAD) | jido / Svix |"
echo "|---|---|---|---|"
ratio() { python3 -c "a, b = '$1', '$2'; print(f'{float(b) / float(a):.1f}x' if a not in ('', '-', '0') and b not in ('', '-') else '-')"; }
echo "| messages in the burst | ${ROW_SENT[svix]} | ${ROW_SENT[jido]} | |"
echo "| accepted/s, burst (wrk, 32 connections) | ${ROW_ACCEPTED[svix]} | ${ROW_ACCEPTED[jido]} | $(ratio "${ROW_ACCEPTED[svix]%% *}" "${ROW_ACCEPTED[jido]%% *}") |"
echo "| delivered/s, burst end to end | ${ROW_DELIVERED[svix]} | ${ROW_DELIVERED[jido]} | $(ratio "${ROW_DELIVERED[svix]}" "${ROW_DELIVERED[jido]}") |"
for rate in $RATES; do
    read -r s50 s99 sgot <<<"${ROW_LAT[svix-$rate]}"
    read -r j50 j99 jgot <<<"${ROW_LAT[jido-$rate]}"
    echo "| p50 / p99 ms at a steady $rate/s (arrived/sent) | $s50 / $s99 ($sgot) | $j50 / $j99 ($jgot) | |"
done
echo "| CPU-seconds per 10,000 messages (Svix: + PostgreSQL) | ${ROW_CPU[svix]} | ${ROW_CPU[jido]} | $(ratio "${ROW_CPU[jido]}" "${ROW_CPU[svix]}") less |"
echo "| peak RSS of the server, MiB | ${ROW_RSS[svix]} | ${ROW_RSS[jido]} | |"
