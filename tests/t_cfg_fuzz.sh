#!/bin/sh
# Mutated cfgs never crash Darknet: FUZZ_N (default 300; 150 in the sanitizer build) copies of the
# two end-to-end cfgs, each with 1 to 3 random edits (tests/cfgmutate.c; seed 1..N, the same on
# every machine), go through `darknet ops`. A rejected cfg must exit 1 with a message naming the
# cfg file; an accepted one trains 2 iterations of batch 4 and is validated, and each must exit 0
# or 1; one with [ternary] layers that validates must also fold (`ternary fold`) and pack (`ternary
# pack`), each of which checks its output against the network's. Anything else (a signal, an
# assertion, a sanitizer report, a hang, a fold or pack that fails) fails the test, and the cfg is
# kept in $WORK.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
mkdir -p "$WORK"
case "$DARKNET" in */asan/*) n=${FUZZ_N:-150} ;; *) n=${FUZZ_N:-300} ;; esac
"$VB/tools/genimages" "$WORK/set" 2 1 16 7 >/dev/null
data="$WORK/set/set.data"
for s in e2e-ttq e2e-fp; do
    sed 's/^batch=.*/batch=4/; s/^max_batches=.*/max_batches=2/' "tests/$s.cfg" >"$WORK/$s.cfg"
done
failures=0
crashed() {  # what seed rc
    echo "FAIL: $1 of mutated cfg (seed $2) exited $3; kept as $WORK/crash-$2.cfg:"
    grep -v "Using default" "$WORK/out" | tail -n 4
    cp "$WORK/m.cfg" "$WORK/crash-$2.cfg"
    failures=$((failures + 1))
}
seed=1
while [ "$seed" -le "$n" ]; do
    src=e2e-ttq; [ $((seed % 2)) -eq 0 ] && src=e2e-fp
    "$VB/tools/cfgmutate" "$WORK/$src.cfg" "$WORK/m.cfg" "$seed"
    set +e
    timeout 60 "$DARKNET" ops "$WORK/m.cfg" >"$WORK/out" 2>&1; rc=$?
    set -e
    if [ "$rc" -eq 1 ]; then
        grep -q "$WORK/m.cfg" "$WORK/out" || { echo "FAIL: seed $seed: rejected without naming the cfg:"; tail -n 2 "$WORK/out"; cp "$WORK/m.cfg" "$WORK/crash-$seed.cfg"; failures=$((failures + 1)); }
    elif [ "$rc" -ne 0 ]; then
        crashed "ops" "$seed" "$rc"
    else
        rm -f "$WORK"/set/backup/*
        set +e
        timeout 120 "$DARKNET" classifier train "$data" "$WORK/m.cfg" >"$WORK/out" 2>&1; rc=$?
        set -e
        if [ "$rc" -eq 0 ]; then
            set +e
            timeout 120 "$DARKNET" classifier valid "$data" "$WORK/m.cfg" "$WORK/set/backup/m.weights" >"$WORK/out" 2>&1; rc=$?
            set -e
            [ "$rc" -eq 0 ] || crashed "valid" "$seed" "$rc"
            # a network that validates folds and packs (each command checks its own output)
            if [ "$rc" -eq 0 ] && grep -q '^\[ternary\]' "$WORK/m.cfg"; then
                for cmd in fold pack; do
                    rm -f "$WORK/f.cfg" "$WORK/f.weights"
                    set -- "$WORK/f.cfg" "$WORK/f.weights"; [ "$cmd" = pack ] && set -- "$WORK/f.weights"
                    set +e
                    timeout 60 "$DARKNET" ternary "$cmd" "$WORK/m.cfg" "$WORK/set/backup/m.weights" "$@" >"$WORK/out" 2>&1; rc=$?
                    set -e
                    [ "$rc" -eq 0 ] || crashed "ternary $cmd" "$seed" "$rc"
                done
            fi
        elif [ "$rc" -ne 1 ]; then
            crashed "train" "$seed" "$rc"
        fi
    fi
    seed=$((seed + 1))
done
[ "$failures" -eq 0 ]
