#!/usr/bin/env bash
# Runs every test: format check, Release build with unit + integration + fuzz-corpus
# tests, the same under ASan+UBSan and under TSan, and the fuzzers for a bounded time.
#   deploy/test.sh          everything (what CI runs)
#   deploy/test.sh quick    Release build only
# Each test starts its own redis-server and gateway on free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
deploy/install-deps.sh

step() { printf '\n==== %s ====\n' "$*"; }

step "format (clang-format)"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find gateway sale proto bench test -name '*.[ch]')
if ! clang-format --dry-run --Werror $files; then
    echo "clang-format: run 'clang-format -i' on the files above" >&2
    exit 1
fi

run_suite() {
    local kind=$1; shift
    step "build $kind"
    deploy/build.sh "$kind"
    step "test $kind"
    (cd "build/$kind" && ctest --output-on-failure -j2 "$@")
}

run_suite release
[ "$mode" = quick ] && exit 0
# Sanitizer runs: halt on the first report so a finding fails the test.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
run_suite asan -LE bench
run_suite tsan -LE bench
step "fuzz (bounded time)"
deploy/build.sh fuzz
(cd build/fuzz && ctest --output-on-failure -L fuzz)
echo "all tests passed"
