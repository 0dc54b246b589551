#!/usr/bin/env bash
# Installs what livegw needs to build, run and test on Debian 12 (idempotent).
set -euo pipefail

pkgs=(build-essential cmake pkg-config clang clang-format
      libwebsockets-dev libwebsockets-evlib-ev libev-dev libhiredis-dev libjansson-dev
      libssl-dev libjemalloc-dev libcmocka-dev
      redis-server python3 python3-websockets openssl curl ca-certificates)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packaged redis-server service is not needed: our scripts start their own.
