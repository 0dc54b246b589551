#!/usr/bin/env bash
# Installs what livegw needs to build, run and test on Debian 12 (idempotent).
set -euo pipefail

pkgs=(build-essential cmake pkg-config clang clang-format
      libwebsockets-dev libwebsockets-evlib-ev libev-dev libhiredis-dev libjansson-dev
      libssl-dev libjemalloc-dev libcmocka-dev
      redis-server python3 python3-websockets openssl curl ca-certificates
      chromium)  # chromium: the clients' browser tests (clients/test/browser)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm for the clients' tests: Debian's only when the machine has no node
# (a newer node already installed is kept).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

# The clients' npm packages (ws, playwright-core, uPlot; never a browser download), and
# uPlot copied into clients/web/vendor/ by their postinstall. Skipped when the installed
# tree matches package-lock.json.
clients_npm() {
    local dir=clients stamp=clients/node_modules/.livegw-lock
    [ -f "$dir/package-lock.json" ] || return 0
    if cmp -s "$dir/package-lock.json" "$stamp" && [ -f "$dir/web/vendor/uPlot.iife.min.js" ]; then
        return 0
    fi
    echo "install-deps: npm ci in $dir"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
}

if [ ${#missing[@]} -eq 0 ]; then
    clients_npm
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packaged redis-server service is not needed: our scripts start their own.
clients_npm
