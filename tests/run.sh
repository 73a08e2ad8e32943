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
skipped=0
work=$(mktemp -d "${TMPDIR:-/tmp}/ttq-test.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

run() {
    name=$1; shift
    start=$(date +%s)
    "$@" >"$work/out.log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
    elif [ $rc -eq 77 ]; then
        skipped=$((skipped + 1))
        echo "--- skipped: $name: $(tail -n 1 "$work/out.log")"
    else
        failed=$((failed + 1))
        echo "--- FAIL: $name"
        tail -n 40 "$work/out.log"
    fi
    [ -n "${TTQ_TEST_TIMES:-}" ] && echo "  $name: $(( $(date +%s) - start )) s"
    return 0
}

# A GPU build (folder gpu*) runs the GPU tests only: the others would need a GPU for every layer.
wanted() {  # variant test-name
    case "$1" in
        gpu*) case "$2" in test_gpu_*|t_nogpu) return 0;; *) return 1;; esac;;
        *)    case "$2" in test_gpu_*|t_nogpu) return 1;; *) return 0;; esac;;
    esac
}

for vb in "$@"; do
    v=$(basename "$vb")
    [ -x "$vb/darknet/darknet" ] || { echo "--- FAIL: $vb/darknet/darknet is not built"; failed=$((failed + 1)); continue; }
    for t in "$vb"/tests/test_*; do
        [ -x "$t" ] || continue
        wanted "$v" "$(basename "$t")" || continue
        run "$v/$(basename "$t")" env TTQ_TREE="$vb/darknet" "$t"
    done
    for s in tests/t_*.sh; do
        [ -f "$s" ] || continue
        n=$(basename "$s" .sh)
        wanted "$v" "$n" || continue
        run "$v/$n" env WORK="$work/$v-$n" DARKNET="$vb/darknet/darknet" VB="$vb" sh "$s"
    done
done

if [ $((passed + failed)) -eq 0 ]; then
    echo "no test was run"
    exit 1
fi
if [ $skipped -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
