#!/bin/sh
# Runs every test of the suite and ends with one line "N passed, M failed".
# Environment: VB (the build variant folder, e.g. build/cpu), DARKNET (its darknet binary).
# Each test is silent on success; a failing test's output is shown.
set -u
: "${VB:?}" "${DARKNET:?}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
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
}

for t in "$VB"/tests/test_*; do
    [ -x "$t" ] || continue
    n=$(basename "$t")
    run "$n" "$t"
done
for s in tests/t_*.sh; do
    [ -f "$s" ] || continue
    n=$(basename "$s" .sh)
    run "$n" env WORK="$work/$n" DARKNET="$DARKNET" VB="$VB" sh "$s"
done

if [ $((passed + failed)) -eq 0 ]; then
    echo "no test was run"
    exit 1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
