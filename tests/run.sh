#!/bin/sh
# Runs the test suite, or the tests named, against one or more build variants and ends with one
# line "N passed, M failed" (", K skipped" when a test skipped itself); exits 1 when one failed.
#
#   usage: sh tests/run.sh BUILD_DIR... [NAME...]
#
# BUILD_DIR: a build variant folder (build/cpu, build/asan, build/gpu-cudnn: it holds darknet/ or
# tests/). NAME: a test, as t_fold, test_weights, t_fold.sh, tests/t_fold.sh or cpu/t_fold (the
# last on build variant cpu only); with names only those run, without every test does. An unknown
# name exits 2 and lists the known ones.
# Each test is silent on success; a failing test's output is shown, then the commands that rerun
# it alone (the second verbosely: sh -x, or a C test's -v), and a failing script's WORK folder is
# kept. TTQ_TEST_TIMES=1 prints each test's time. Before each test a progress line "[k/N] name" goes
# to stderr (rewritten in place on a terminal; TTQ_TEST_QUIET=1: none).
set -u
usage() { echo "usage: sh tests/run.sh BUILD_DIR... [NAME...]   (e.g. sh tests/run.sh build/cpu t_fold test_weights)" >&2; exit 2; }
[ $# -ge 1 ] || usage
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export OMP_WAIT_POLICY=passive

# --- the arguments: build variants, then test names ---------------------------------------------
variants=
names=
for a in "$@"; do
    if [ -d "$a" ] && { [ -d "$a/darknet" ] || [ -d "$a/tests" ]; }; then
        variants="$variants ${a%/}"
    else
        names="$names $a"
    fi
done
[ -n "$variants" ] || { echo "run.sh: no build variant folder (one holding darknet/ or tests/) among: $*" >&2; usage; }

# every test there is: the C tests' sources and binaries, and the scripts
known=$(
    for f in tests/test_*.c tests/gpu/test_*.c tests/t_*.sh; do [ -f "$f" ] && basename "${f%.*}"; done
    for vb in $variants; do for f in "$vb"/tests/test_*; do [ -x "$f" ] && basename "$f"; done; done
)
known=$(echo "$known" | sort -u)

# each name as VARIANT:TEST, or *:TEST for every variant
sel=
for a in $names; do
    n=${a%.sh}; n=${n%.c}
    v='*'
    case "$n" in
        */*) pre=${n%/*}; n=${n##*/}
             case "$pre" in
                 tests|tests/gpu|./tests|./tests/gpu) ;;
                 *) v=${pre##*/}
                    found=
                    for vb in $variants; do [ "$(basename "$vb")" = "$v" ] && found=1; done
                    [ -n "$found" ] || { echo "run.sh: '$a': no build variant '$v' among the folders given:$variants" >&2; exit 2; };;
             esac;;
    esac
    if ! echo "$known" | grep -qx -- "$n"; then
        echo "run.sh: unknown test '$a'; the known tests are:" >&2
        echo "$known" | sed 's/^/  /' >&2
        exit 2
    fi
    sel="$sel $v:$n"
done

selected() {  # variant test: named, or no name given
    [ -z "$sel" ] && return 0
    set -f
    for sl in $sel; do
        case "$sl" in "*:$2"|"$1:$2") set +f; return 0;; esac
    done
    set +f
    return 1
}

# A GPU build (folder gpu*) runs the GPU tests only: the others would need a GPU for every layer.
wanted() {  # variant test-name
    case "$1" in
        gpu*) case "$2" in test_gpu_*|t_nogpu) return 0;; *) return 1;; esac;;
        *)    case "$2" in test_gpu_*|t_nogpu) return 1;; *) return 0;; esac;;
    esac
}

# --- running --------------------------------------------------------------------------------------
passed=0
failed=0
skipped=0
work=$(mktemp -d "${TMPDIR:-/tmp}/ttq-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# Progress: before each test, "[k/N] variant/test" on stderr (rewritten in place on a terminal);
# TTQ_TEST_QUIET=1 leaves it out. N is counted by a first pass over the same loops (plan=1).
plan=1
total=0
done_n=0
progress() {
    [ -n "${TTQ_TEST_QUIET:-}" ] && return 0
    if [ -t 2 ]; then printf '\r\033[K[%d/%d] %s' "$done_n" "$total" "$1" >&2
    else printf '[%d/%d] %s\n' "$done_n" "$total" "$1" >&2; fi
}
progress_end() {
    [ -z "${TTQ_TEST_QUIET:-}" ] && [ -t 2 ] && printf '\r\033[K' >&2
    return 0
}

# run NAME RERUN DIRECT SCRATCH COMMAND...: RERUN and DIRECT are the commands printed on failure;
# SCRATCH, when not empty, is the test's WORK folder, kept on failure
run() {
    name=$1 rerun=$2 direct=$3 scratch=$4
    shift 4
    if [ $plan -eq 1 ]; then total=$((total + 1)); return 0; fi
    done_n=$((done_n + 1))
    progress "$name"
    start=$(date +%s)
    "$@" >"$work/out.log" 2>&1
    rc=$?
    progress_end
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
    elif [ $rc -eq 77 ]; then
        skipped=$((skipped + 1))
        echo "--- skipped: $name: $(tail -n 1 "$work/out.log")"
    else
        failed=$((failed + 1))
        echo "--- FAIL: $name (exit status $rc)"
        tail -n 40 "$work/out.log"
        if [ -n "$scratch" ] && [ -d "$scratch" ]; then
            kept=$(mktemp -d "${TMPDIR:-/tmp}/ttq-$(echo "$name" | tr / -).XXXXXX") &&
                mv "$scratch" "$kept/WORK" && echo "its WORK folder is kept in $kept/WORK"
        fi
        echo "rerun: $rerun"
        echo "   or: $direct"
    fi
    [ -n "${TTQ_TEST_TIMES:-}" ] && echo "  $name: $(( $(date +%s) - start )) s"
    return 0
}

for plan in 1 0; do
for vb in $variants; do
    v=$(basename "$vb")
    [ -x "$vb/darknet/darknet" ] || { [ $plan -eq 1 ] || { echo "--- FAIL: $vb/darknet/darknet is not built"; failed=$((failed + 1)); }; continue; }
    san=
    case "$v" in asan*) san="ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS ";; esac
    for n in $known; do
        case "$n" in test_*) ;; *) continue;; esac
        selected "$v" "$n" || continue
        t="$vb/tests/$n"
        if ! wanted "$v" "$n"; then
            [ -n "$sel" ] && [ $plan -eq 0 ] && echo "--- not run: $v/$n: a GPU build (gpu*) runs the GPU tests only, a CPU build the others"
            continue
        fi
        if [ ! -x "$t" ]; then
            [ -n "$sel" ] && [ $plan -eq 0 ] && { echo "--- FAIL: $v/$n: $t is not built (make test-programs)"; failed=$((failed + 1)); }
            continue
        fi
        run "$v/$n" "sh tests/run.sh $vb $n" "env ${san}TTQ_TREE=$vb/darknet $t -v" "" \
            env TTQ_TREE="$vb/darknet" "$t"
    done
    for s in tests/t_*.sh; do
        [ -f "$s" ] || continue
        n=$(basename "$s" .sh)
        selected "$v" "$n" || continue
        if ! wanted "$v" "$n"; then
            [ -n "$sel" ] && [ $plan -eq 0 ] && echo "--- not run: $v/$n: a GPU build (gpu*) runs the GPU tests only, a CPU build the others"
            continue
        fi
        run "$v/$n" "sh tests/run.sh $vb $n" \
            "env ${san}WORK=\$(mktemp -d) DARKNET=$vb/darknet/darknet VB=$vb sh -x $s" "$work/$v-$n" \
            env WORK="$work/$v-$n" DARKNET="$vb/darknet/darknet" VB="$vb" sh "$s"
    done
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
