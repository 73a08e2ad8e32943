#!/bin/sh
# Mutated detector cfgs never crash Darknet: FUZZ_N (default 200; 100 in the sanitizer build)
# copies of a tiny YOLO with [ternary] layers and of its [convolutional] twin, each with 1 to 3
# random edits (tests/cfgmutate.c, seeds 1..N), go through `darknet ops`. A rejected cfg must exit 1
# naming the cfg file; an accepted one trains 2 iterations on generated detection scenes
# (`convert fashion-mnist-det`) and is scored by `detector map`, each of which must exit 0 or 1;
# one with [ternary] layers that scores also folds and packs (each command checks its output).
# Anything else (a signal, an assertion, a sanitizer report, a hang) fails the test, and the cfg
# is kept in $WORK.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
conv="$(cd "$VB" && pwd)/tools/convert"
dn="$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")"
mut="$(cd "$VB" && pwd)/tools/cfgmutate"
. "$(cd "$(dirname "$0")" && pwd)/idx.sh"
mkdir -p "$WORK"
cd "$WORK"
case "$DARKNET" in */asan/*) n=${FUZZ_N:-100} ;; *) n=${FUZZ_N:-200} ;; esac

idx() {  # dir split count
    mkdir -p "$1"
    idx_images "$1/$2-images-idx3-ubyte" "$3"
    idx_cycle "$1/$2-labels-idx1-ubyte" "$3"
}
idx fm train 20
idx fm t10k 10
"$conv" fashion-mnist-det fm det 16 4 >/dev/null
data=det/fashion-mnist-det.data

net() {  # type of the inner layers
    printf '[net]\nbatch=4\nsubdivisions=1\nwidth=96\nheight=96\nchannels=3\nmomentum=0.9\ndecay=0.0005\n'
    printf 'learning_rate=0.001\npolicy=constant\nmax_batches=2\n'
    printf '\n[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n'
    printf '\n[maxpool]\nsize=2\nstride=2\n'
    printf '\n[%s]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\nactivation=leaky\n' "$1"
    printf '\n[maxpool]\nsize=4\nstride=4\n'
    printf '\n[%s]\nbatch_normalize=1\nfilters=16\nsize=1\nstride=1\npad=0\nactivation=leaky\n' "$1"
    printf '\n[maxpool]\nsize=2\nstride=2\n'
    printf '\n[convolutional]\nfilters=45\nsize=1\nstride=1\npad=0\nactivation=linear\n'
    printf '\n[yolo]\nmask=0,1,2\nanchors=13,28, 24,28, 34,38\nclasses=10\nnum=3\njitter=.2\n'
    printf 'ignore_thresh=.7\ntruth_thresh=1\nrandom=0\n'
}
net ternary >ttq.cfg
net convolutional >fp.cfg

failures=0
rejected=0; trained=0; scored=0; folded=0
crashed() {  # what seed rc
    echo "FAIL: $1 of mutated detector cfg (seed $2) exited $3; kept as $WORK/crash-$2.cfg:"
    grep -v "Using default" out | tail -n 4
    cp m.cfg "crash-$2.cfg"
    failures=$((failures + 1))
}
run() {  # seconds command...: sets rc
    t=$1; shift
    set +e
    timeout "$t" "$@" >out 2>&1; rc=$?
    set -e
}
seed=1
while [ "$seed" -le "$n" ]; do
    src=ttq; [ $((seed % 2)) -eq 0 ] && src=fp
    "$mut" $src.cfg m.cfg "$seed"
    run 60 "$dn" ops m.cfg
    if [ "$rc" -eq 1 ]; then
        rejected=$((rejected + 1))
        grep -q "m.cfg" out || { echo "FAIL: seed $seed: rejected without naming the cfg:"; tail -n 2 out; cp m.cfg "crash-$seed.cfg"; failures=$((failures + 1)); }
    elif [ "$rc" -ne 0 ]; then
        crashed ops "$seed" "$rc"
    else
        rm -f det/backup/*
        run 120 "$dn" detector train $data m.cfg
        if [ "$rc" -eq 0 ]; then
            trained=$((trained + 1))
            run 120 "$dn" detector map $data m.cfg det/backup/m_final.weights
            [ "$rc" -le 1 ] || crashed map "$seed" "$rc"
            [ "$rc" -eq 0 ] && scored=$((scored + 1))
            if [ "$rc" -eq 0 ] && grep -q '^\[ternary\]' m.cfg; then
                rm -f f.cfg f.weights p.weights
                run 60 "$dn" ternary fold m.cfg det/backup/m_final.weights f.cfg f.weights
                [ "$rc" -eq 0 ] || crashed "ternary fold" "$seed" "$rc"
                run 60 "$dn" ternary pack m.cfg det/backup/m_final.weights p.weights
                [ "$rc" -eq 0 ] || crashed "ternary pack" "$seed" "$rc"
                folded=$((folded + 1))
            fi
        elif [ "$rc" -ne 1 ]; then
            crashed train "$seed" "$rc"
        fi
    fi
    seed=$((seed + 1))
done
[ -n "${FUZZ_STATS:-}" ] && echo "$n cfgs: $rejected rejected, $trained trained, $scored scored, $folded folded and packed"
[ "$failures" -eq 0 ]
