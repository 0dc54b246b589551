#!/usr/bin/env bash
# Builds livegw into build/<kind>: release (default), asan (ASan+UBSan), tsan, fuzz (clang).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
jobs=$(nproc)
case "$kind" in
  release) cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DLIVEGW_WERROR=ON >/dev/null ;;
  debug)   cmake -S . -B build/debug -DCMAKE_BUILD_TYPE=Debug -DLIVEGW_WERROR=ON >/dev/null ;;
  asan)    cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DLIVEGW_WERROR=ON -DLIVEGW_SANITIZE=address >/dev/null ;;
  tsan)    cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIVEGW_WERROR=ON -DLIVEGW_SANITIZE=thread >/dev/null ;;
  fuzz)    CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIVEGW_WERROR=ON -DLIVEGW_FUZZ=ON -DLIVEGW_SANITIZE=address >/dev/null ;;
  *) echo "usage: $0 [release|debug|asan|tsan|fuzz]" >&2; exit 2 ;;
esac
cmake --build "build/$kind" -j"$jobs"
