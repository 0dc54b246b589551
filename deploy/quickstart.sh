#!/usr/bin/env bash
# Quick start on a fresh Debian 12 machine: installs the dependencies, builds, starts a
# local Redis and the gateway with a demo room, and prints how to connect.
#   deploy/quickstart.sh            (Ctrl-C stops the gateway and the Redis it started)
# Environment: PORT (default 8080), REDIS_PORT (default 6390), SECRET (default: random,
# kept in run/demo-secret).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8080}
REDIS_PORT=${REDIS_PORT:-6390}
ROOM=demo

deploy/install-deps.sh
deploy/build.sh release
mkdir -p run
if [ -z "${SECRET:-}" ]; then
    [ -s run/demo-secret ] || openssl rand -hex 24 > run/demo-secret
    SECRET=$(cat run/demo-secret)
fi

if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$PWD/run" --appendonly yes \
        --appendfsync always --save '' --daemonize yes --pidfile "$PWD/run/redis.pid" \
        --logfile "$PWD/run/redis.log"
    started_redis=1
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
cleanup() {
    if [ "${started_redis:-0}" = 1 ] && [ -s run/redis.pid ]; then
        kill "$(cat run/redis.pid)" 2>/dev/null || true
    fi
}
trap cleanup EXIT

BIN=build/release/gateway/livegw
viewer=$($BIN token --secret "$SECRET" --uid viewer1 --role viewer --room "$ROOM" --ttl 86400)
host=$($BIN token --secret "$SECRET" --uid host1 --role host --room "$ROOM" --ttl 86400)
admin=$($BIN token --secret "$SECRET" --uid ops --role admin --room '*' --ttl 86400)
cat <<MSG

livegw demo: room '$ROOM' on port $PORT, Redis on 127.0.0.1:$REDIS_PORT
  viewer WebSocket: ws://127.0.0.1:$PORT/ws?room=$ROOM&token=$viewer
  host WebSocket:   ws://127.0.0.1:$PORT/ws?room=$ROOM&token=$host
  room figures:     curl -H 'Authorization: Bearer $admin' http://127.0.0.1:$PORT/api/rooms/$ROOM
  push a notice:    curl -H 'Authorization: Bearer $admin' -d '{"t":"notice","text":"hello"}' http://127.0.0.1:$PORT/api/rooms/$ROOM/events
  health, metrics:  http://127.0.0.1:$PORT/healthz  http://127.0.0.1:$PORT/metrics
  more tokens:      $BIN token --secret \$(cat run/demo-secret) --uid U --role viewer --room $ROOM
  viewer page:      http://127.0.0.1:$PORT/live?room=$ROOM&token=$viewer
  host console:     http://127.0.0.1:$PORT/console?room=$ROOM&token=$host
Ctrl-C (SIGINT) or SIGTERM drains and stops.

MSG
$BIN --config deploy/livegw.conf.example --listen "0.0.0.0:$PORT" --secret "$SECRET" \
    --redis "127.0.0.1:$REDIS_PORT" --room "$ROOM" --static-dir "$PWD/clients/web"
