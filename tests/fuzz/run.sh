#!/bin/sh
# Runs libFuzzer harnesses from their seeds:
#   sh tests/fuzz/run.sh [-keep-going] BUILD_DIR SECONDS RUNS NAME...
# Each NAME runs BUILD_DIR/fuzz_NAME for SECONDS (or, when RUNS is set, for RUNS executions) on
# its seeds (tests/fuzz/corpus/NAME) and the corpus it grew before (BUILD_DIR/corpus/NAME); a
# crash, sanitizer report, timeout or out-of-memory is saved in BUILD_DIR/crashes/NAME/ and
# fails the run (files left there by an earlier run are not counted). Without -keep-going the
# first one stops the harness (the smoke); with it libFuzzer's fork mode runs on past crashes and collects them all (the campaign). One summary
# line per harness; exit status: the number of harnesses that failed.
# Fork mode keeps of each crashed job's log only the lines holding "ERROR:" or "runtime error:",
# and -close_fd_mask=3 sends the target's own stderr (an assert()'s message) nowhere: so that an
# abort is not a bare "deadly signal", ASan handles SIGABRT (handle_abort=1: an "ERROR:
# AddressSanitizer: ABRT" line, and the stack in the smoke's log), and after a fork-mode run each
# new crash file (the first 10) is replayed alone with stderr open, its output appended to the log
# (a crash that does not reproduce alone depends on what ran before it in the same process).
set -u
fork=
if [ "${1:-}" = -keep-going ]; then
    fork="-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1"
    shift
fi
dir=$1 secs=$2 runs=$3
shift 3
here=$(dirname "$0")
fails=0
# Leaks are expected: a rejected input's memory is freed by the harness (fuzz.c), not by Darknet.
# Allocations above 2 GiB return NULL, as they would on a machine without the memory.
ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:max_allocation_size_mb=2048:abort_on_error=1:handle_abort=1:symbolize=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS UBSAN_OPTIONS
for name in "$@"; do
    bin=$dir/fuzz_$name
    seeds=$here/corpus/$name
    corpus=$dir/corpus/$name
    crashes=$(cd "$dir" && pwd)/crashes/$name     # absolute: fuzz_data and fuzz_labels chdir
    log=$dir/log/$name.log
    mkdir -p "$corpus" "$dir/crashes/$name" "$dir/log"
    if [ -n "$runs" ]; then limit="-runs=$runs"; else limit="-max_total_time=$secs"; fi
    # cfg: a mutated cfg asks for layers of gigabytes, each taking seconds to initialise; there an
    # allocation above 256 MiB returns NULL, which Darknet reports as out of memory (patch 0527)
    asan=$ASAN_OPTIONS
    [ "$name" = cfg ] && asan="$asan:max_allocation_size_mb=256"
    start=$(date +%s)
    : >"$dir/log/$name.start"     # crash files older than this are an earlier run's
    # shellcheck disable=SC2086
    ASAN_OPTIONS=$asan "$bin" $fork -close_fd_mask=3 -timeout=10 -rss_limit_mb=3072 -malloc_limit_mb=4096 -detect_leaks=0 \
        -print_final_stats=1 -artifact_prefix="$crashes/" $limit "$corpus" "$seeds" >"$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    if [ -n "$fork" ]; then     # fork mode: "#EXECS: cov: .. exec/s: .. oom/timeout/crash: .."
        execs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -n 1)
        speed=$(grep -o 'exec/s: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    else
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    fi
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    corp=$(ls "$corpus" | wc -l)
    found=$(find "$crashes" -type f -newer "$dir/log/$name.start" | wc -l)
    replayed=
    if [ -n "$fork" ] && [ "$found" -ne 0 ]; then
        alone=0
        for f in $(find "$crashes" -type f -newer "$dir/log/$name.start" | sort | head -n 10); do
            printf '\n==== replay of %s alone (stderr open)\n' "$f" >>"$log"
            if ASAN_OPTIONS=$asan "$bin" -timeout=10 -rss_limit_mb=3072 -malloc_limit_mb=4096 -detect_leaks=0 \
                -artifact_prefix="$crashes/" "$f" >>"$log" 2>&1; then
                printf '==== %s: no failure when replayed alone\n' "$f" >>"$log"
            else
                alone=$((alone + 1))
            fi
        done
        replayed=" ($alone of the first $(( found < 10 ? found : 10 )) fail alone again)"
    fi
    if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
        status="FAIL (exit $rc; log $log)"
        fails=$((fails + 1))
    else
        status=ok
    fi
    printf 'fuzz %-8s %9s execs %6s/s %4ss  cov %5s  ft %6s  corpus %5s  crashes %s%s  %s\n' \
        "$name" "${execs:-?}" "${speed:-?}" "$took" "${cov:-?}" "${ft:-?}" "$corp" "$found" "$replayed" "$status"
    if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
        grep -E '^(==[0-9]+== ?ERROR|SUMMARY|    #[0-9]+ )|runtime error|Test unit written' "$log" | head -n 20 | sed 's/^/    /'
    fi
done
exit $fails
