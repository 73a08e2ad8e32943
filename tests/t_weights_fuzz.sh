#!/bin/sh
# Mutated .weights files never crash Darknet: FUZZ_N (default 1000; 500 in the sanitizer build)
# copies of a trained network's weights, each with 1 to 3 random edits (tests/weightsmutate.c; seed
# 1..N, the same on every machine), are loaded by `classifier valid`. The network has every kind
# of record the classifier cfgs use: [convolutional] with batch norm, [ternary] with and without,
# a standalone [batchnorm], [connected] with batch norm. One in three seeds mutates the [ternary]
# network's own weights, one in three the same weights packed (`ternary pack`), one in three the
# full-precision network's weights loaded into the [ternary] cfg (TTQ's fine-tuning flow). A rejected file must exit 1 with a message naming the
# weights file; an accepted one must validate (exit 0) with no NaN among the printed outputs.
# Anything else (a signal, an assertion, a sanitizer report, a hang) fails the test, and the file
# is kept in $WORK.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
mkdir -p "$WORK"
case "$DARKNET" in */asan/*) n=${FUZZ_N:-500} ;; *) n=${FUZZ_N:-1000} ;; esac
"$VB/tools/genimages" "$WORK/set" 2 1 16 7 >/dev/null
data="$WORK/set/set.data"
for t in ternary convolutional; do
    cat >"$WORK/$t.cfg" <<EOF
[net]
batch=4
height=16
width=16
channels=3
learning_rate=0.05
momentum=0.9
decay=0.0005
max_batches=2

[convolutional]
filters=8
size=3
stride=1
pad=1
batch_normalize=1
activation=leaky

[$t]
filters=8
size=3
stride=2
pad=1
batch_normalize=1
activation=leaky

[$t]
filters=8
size=3
stride=1
pad=1
activation=linear

[batchnorm]

[maxpool]
size=2
stride=2

[connected]
output=3
batch_normalize=1
activation=linear

[softmax]
EOF
    "$DARKNET" classifier train "$data" "$WORK/$t.cfg" >"$WORK/out" 2>&1 ||
        { echo "FAIL: training $t.cfg"; tail -n 4 "$WORK/out"; exit 1; }
done
cfg="$WORK/ternary.cfg"
"$DARKNET" classifier valid "$data" "$cfg" "$WORK/set/backup/ternary.weights" >"$WORK/out" 2>&1 ||
    { echo "FAIL: the unmutated weights do not validate"; tail -n 4 "$WORK/out"; exit 1; }
"$DARKNET" classifier valid "$data" "$cfg" "$WORK/set/backup/convolutional.weights" >"$WORK/out" 2>&1 ||
    { echo "FAIL: the unmutated FP weights do not load into the [ternary] cfg"; tail -n 4 "$WORK/out"; exit 1; }

# the packed file (`ternary pack`) of the same weights must validate to the same top-1
"$DARKNET" ternary pack "$cfg" "$WORK/set/backup/ternary.weights" "$WORK/set/backup/packed.weights" >"$WORK/out" 2>&1 ||
    { echo "FAIL: ternary pack"; tail -n 4 "$WORK/out"; exit 1; }
"$DARKNET" classifier valid "$data" "$cfg" "$WORK/set/backup/packed.weights" >"$WORK/out" 2>&1 ||
    { echo "FAIL: the unmutated packed weights do not validate"; tail -n 4 "$WORK/out"; exit 1; }

failures=0
seed=1
while [ "$seed" -le "$n" ]; do
    case $((seed % 3)) in 0) src=convolutional;; 1) src=ternary;; *) src=packed;; esac
    w="$WORK/m.weights"
    "$VB/tools/weightsmutate" "$WORK/set/backup/$src.weights" "$w" "$seed"
    set +e
    timeout 60 "$DARKNET" classifier valid "$data" "$cfg" "$w" >"$WORK/out" 2>&1; rc=$?
    set -e
    if [ "$rc" -eq 1 ] && grep -q "$w" "$WORK/out"; then
        :
    elif [ "$rc" -eq 0 ] && grep -qi "nan" "$WORK/out"; then
        echo "FAIL: mutated $src.weights (seed $seed) validated with NaN outputs; kept as $WORK/nan-$seed.weights"
        cp "$w" "$WORK/nan-$seed.weights"
        failures=$((failures + 1))
    elif [ "$rc" -ne 0 ]; then
        echo "FAIL: mutated $src.weights (seed $seed): exit $rc; kept as $WORK/crash-$seed.weights:"
        grep -v "Using default" "$WORK/out" | tail -n 4
        cp "$w" "$WORK/crash-$seed.weights"
        failures=$((failures + 1))
    fi
    seed=$((seed + 1))
done
[ "$failures" -eq 0 ]
