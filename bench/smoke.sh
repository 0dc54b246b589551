#!/bin/sh
# smoke.sh: a small run of every livegw-bench scenario, so the harness cannot rot.
#   smoke.sh [LIVEGW_BENCH [LIVEGW]]
# Starts its own gateway on a free loopback port with a private redis-server (and nginx+nchan
# when installed), runs each scenario with a few hundred viewers for a few seconds, tears
# everything down whatever happens, and exits non-zero when a scenario fails. `rush` and its
# Redis Lua baseline are skipped when redis-server is not installed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bench=${1:-$here/../build/bench/livegw-bench}
livegw=${2:-$here/../build/gateway/livegw}
[ -x "$bench" ] || { echo "smoke: $bench not built" >&2; exit 1; }
[ -x "$livegw" ] || { echo "smoke: $livegw not built" >&2; exit 1; }

work=$(mktemp -d /tmp/livegw-smoke.XXXXXX)
gw_pid=
nchan_port=
redis_pid=
cleanup() {
    [ -n "$gw_pid" ] && kill -TERM "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
    [ -n "$redis_pid" ] && kill -TERM "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
    [ -n "$nchan_port" ] && "$here/nchan/nchan.sh" stop "$work/nchan" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# True when something listens on 127.0.0.1/0.0.0.0:$1. The gateway binds with SO_REUSEPORT,
# so a second gateway on a busy port would silently share it: check before starting.
port_busy() {
    awk -v p="$(printf '%04X' "$1")" '$4 == "0A" && substr($2, index($2, ":") + 1) == p { f = 1 }
        END { exit !f }' /proc/net/tcp
}

# A private redis-server (no persistence) on a free port, for the gateway's sales and the
# rush baseline; the gateway waits for it before a rush (/healthz "redis":"up").
redis_port=
start_redis() {
    command -v redis-server >/dev/null 2>&1 || return 1
    for attempt in 1 2 3 4 5; do
        redis_port=$(( (($$ * 17 + attempt * 4099 + $(date +%N | sed 's/^0*//;s/^$/0/')) % 20000) + 30000 ))
        port_busy "$redis_port" && continue
        redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
            >"$work/redis.log" 2>&1 &
        redis_pid=$!
        i=0
        while [ $i -lt 50 ]; do
            if ! kill -0 "$redis_pid" 2>/dev/null; then break; fi
            if redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG; then return 0; fi
            sleep 0.1
            i=$((i + 1))
        done
        kill -TERM "$redis_pid" 2>/dev/null
        wait "$redis_pid" 2>/dev/null
        redis_pid=
    done
    redis_port=
    return 1
}

secret=smoke-$$
start_gateway() {
    for attempt in 1 2 3 4 5; do
        port=$(( (($$ * 31 + attempt * 7919 + $(date +%N | sed 's/^0*//;s/^$/0/')) % 20000) + 30000 ))
        port_busy "$port" && continue
        "$livegw" --listen "127.0.0.1:$port" --secret "$secret" --threads 2 \
            ${redis_port:+--redis 127.0.0.1:$redis_port} >"$work/gateway.log" 2>&1 &
        gw_pid=$!
        i=0
        while [ $i -lt 50 ]; do
            if ! kill -0 "$gw_pid" 2>/dev/null; then break; fi
            if curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then return 0; fi
            sleep 0.1
            i=$((i + 1))
        done
        kill -TERM "$gw_pid" 2>/dev/null
        wait "$gw_pid" 2>/dev/null
        gw_pid=
    done
    echo "smoke: the gateway did not start:" >&2
    cat "$work/gateway.log" >&2
    return 1
}

fails=0
run() {
    name=$1
    shift
    echo "--- smoke: $name"
    "$bench" "$@" >"$work/out" 2>"$work/err"
    rc=$?
    grep -v '^{' "$work/out" | grep -E "FAILED|result|deliveries per|publish -> delivery|viewers ready|order -> reply" || true
    if [ $rc -ne 0 ]; then
        echo "smoke: $name FAILED (exit $rc)" >&2
        cat "$work/out" "$work/err" >&2
        fails=$((fails + 1))
    fi
}

start_redis || echo "--- smoke: no redis-server: the gateway runs without sales, rush skipped"
start_gateway || exit 1
gw="--url ws://127.0.0.1:$port --secret $secret --server-pid $gw_pid --src-addrs 4"
run idle idle $gw --viewers 300 --duration 1
run fanout fanout $gw --viewers 300 --rate 20 --duration 2 --drain 2
run fanout-rooms fanout $gw --viewers 300 --rooms 10 --rate 5 --duration 2 --drain 2 --procs 2
run fanout-max fanout $gw --viewers 300 --rate max --duration 2 --drain 2
run fanout-http fanout $gw --viewers 200 --rate 20 --pub http --duration 2 --drain 2
run fanout-low fanout $gw --viewers 200 --rate 10 --priority low --duration 2 --drain 2
run likes likes $gw --viewers 300 --duration 2 --drain 2
run churn churn $gw --viewers 300 --churn-rate 100 --duration 2 --drain 2
if [ -n "$redis_port" ]; then
    i=0
    while [ $i -lt 100 ] && ! curl -fs "http://127.0.0.1:$port/healthz" 2>/dev/null | grep -q '"redis":"up"'; do
        sleep 0.1
        i=$((i + 1))
    done
    run rush rush $gw --viewers 200 --stock 50 --spread-ms 500 --drain 2 \
        --redis "127.0.0.1:$redis_port"
    run rush-redis rush --target redis --redis "127.0.0.1:$redis_port" --viewers 200 --procs 2 \
        --stock 50 --spread-ms 500 --drain 1
fi

if command -v nginx >/dev/null 2>&1 && [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ]; then
    nchan_port=$(( port + 1 ))
    while port_busy "$nchan_port"; do nchan_port=$(( nchan_port + 1 )); done
    "$here/nchan/nchan.sh" start "$nchan_port" "$work/nchan" >"$work/nchan.log" 2>&1 &
    i=0
    while [ $i -lt 50 ] && ! curl -fs -X POST -d x "http://127.0.0.1:$nchan_port/pub?id=probe" >/dev/null 2>&1; do
        sleep 0.1
        i=$((i + 1))
    done
    run fanout-nchan fanout --target nchan --pub-url "http://127.0.0.1:$nchan_port/pub?id=smoke$$" \
        --viewers 300 --rate 20 --duration 2 --drain 2 --src-addrs 4
else
    echo "--- smoke: fanout-nchan skipped (nginx + libnginx-mod-nchan not installed)"
fi

if [ $fails -ne 0 ]; then
    echo "smoke: $fails scenario(s) failed" >&2
    exit 1
fi
echo "smoke: all scenarios passed"
