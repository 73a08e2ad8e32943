#!/bin/sh
# Runs the test suite against one or more build variants and ends with one line
# "N passed, M failed".   usage: sh tests/run.sh build/cpu [build/asan ...]
# Each test is silent on success; a failing test's output is shown. TTQ_TEST_TIMES=1 prints times.
set -u
[ $# -ge 1 ] || { echo "usage: sh tests/run.sh BUILD_VARIANT_DIR..."; exit 2; }
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export OMP_WAIT_POLICY=passive
passed=0
failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/ttq-test.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

run() {
    name=$1; shift
    start=$(date +%s)
    if "$@" >"$work/out.log" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "--- FAIL: $name"
        tail -n 40 "$work/out.log"
    fi
    [ -n "${TTQ_TEST_TIMES:-}" ] && echo "  $name: $(( $(date +%s) - start )) s"
    return 0
}

for vb in "$@"; do
    v=$(basename "$vb")
    [ -x "$vb/darknet/darknet" ] || { echo "--- FAIL: $vb/darknet/darknet is not built"; failed=$((failed + 1)); continue; }
    for t in "$vb"/tests/test_*; do
        [ -x "$t" ] || continue
        run "$v/$(basename "$t")" env TTQ_TREE="$vb/darknet" "$t"
    done
    for s in tests/t_*.sh; do
        [ -f "$s" ] || continue
        n=$(basename "$s" .sh)
        run "$v/$n" env WORK="$work/$v-$n" DARKNET="$vb/darknet/darknet" VB="$vb" sh "$s"
    done
done

if [ $((passed + failed)) -eq 0 ]; then
    echo "no test was run"
    exit 1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
