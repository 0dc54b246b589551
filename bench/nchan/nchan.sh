#!/bin/sh
# nchan.sh: install, start (foreground) and stop nginx + Nchan on loopback for livegw-bench.
#   nchan.sh install                 apt-get install nginx-light libnginx-mod-nchan (Debian 12)
#   nchan.sh start PORT [PREFIX]     render nginx.conf.in into PREFIX (/tmp/livegw-nchan-PORT)
#                                    and run nginx in the foreground until stopped
#   nchan.sh stop [PORT|PREFIX]      graceful stop (SIGQUIT, then SIGTERM after 5 s)
# Subscribers: ws://127.0.0.1:PORT/sub?id=CHANNEL; publisher: POST http://127.0.0.1:PORT/pub?id=CHANNEL
set -eu
here=$(cd "$(dirname "$0")" && pwd)

prefix_of() {
    case "${1:-}" in
    /*) echo "$1" ;;
    "") echo /tmp/livegw-nchan-8090 ;;
    *) echo "/tmp/livegw-nchan-$1" ;;
    esac
}

case "${1:-}" in
install)
    if [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] && command -v nginx >/dev/null; then
        echo "nginx + nchan already installed: $(nginx -v 2>&1)"
        exit 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends nginx-light libnginx-mod-nchan || {
        apt-get update && apt-get install -y --no-install-recommends nginx-light libnginx-mod-nchan
    }
    ;;
start)
    port=${2:?usage: nchan.sh start PORT [PREFIX]}
    prefix=$(prefix_of "${3:-$port}")
    command -v nginx >/dev/null || { echo "nginx missing: run $0 install" >&2; exit 2; }
    mkdir -p "$prefix"
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g" "$here/nginx.conf.in" >"$prefix/nginx.conf"
    nginx -t -q -p "$prefix" -c "$prefix/nginx.conf"
    # Workers run as the invoking user's default (nobody when started as root): the prefix
    # must be theirs to write temp files into.
    chmod 777 "$prefix"
    exec nginx -p "$prefix" -c "$prefix/nginx.conf"
    ;;
stop)
    prefix=$(prefix_of "${2:-}")
    [ -f "$prefix/nginx.pid" ] || { echo "not running ($prefix/nginx.pid missing)"; exit 0; }
    pid=$(cat "$prefix/nginx.pid")
    kill -QUIT "$pid" 2>/dev/null || exit 0
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -TERM "$pid" 2>/dev/null || true
    ;;
*)
    sed -n '2,7p' "$0" >&2
    exit 2
    ;;
esac
