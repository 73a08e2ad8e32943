#!/bin/sh
# Layer arrangements that upstream Darknet crashed on in training or validation (found by
# t_cfg_fuzz's mutations) train two iterations and validate: a [maxpool] first layer (patch 0404:
# its backward wrote through the null input delta), a standalone [batchnorm] (0406: no CPU buffers,
# no update), a [deconvolutional] layer (0405: its weights did not load, division by zero). A
# classifier whose height differs from its width is refused before training (0506: the loader's
# square crops overflowed the input). Training whose loss turns NaN stops with a message (0507).
# A [local] layer wider than the rest of the network (0411: its workspace was sized in floats
# and allocated in bytes; the sanitizer build shows the overflow).
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
mkdir -p "$WORK"
"$VB/tools/genimages" "$WORK/set" 2 1 16 3 >/dev/null
data="$WORK/set/set.data"
failures=0
net='[net]\nbatch=4\nsubdivisions=1\nheight=16\nwidth=16\nchannels=3\nmin_crop=16\nmax_crop=16\nlearning_rate=0.05\nmomentum=0.9\ndecay=0.0005\nmax_batches=2\n'
conv() { printf '[convolutional]\nfilters=%s\nsize=3\npad=1\nstride=%s\nbatch_normalize=%s\nactivation=leaky\n' "$1" "$2" "$3"; }
head_='[convolutional]\nfilters=3\nsize=1\nactivation=linear\n[avgpool]\n[softmax]\n'
trains() {  # name  cfg-text
    printf '%b' "$2" >"$WORK/$1.cfg"
    rm -f "$WORK"/set/backup/*
    rc=0; "$DARKNET" classifier train "$data" "$WORK/$1.cfg" >"$WORK/out" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "FAIL: $1: training exited $rc:"; grep -v "Using default" "$WORK/out" | tail -n 3; failures=$((failures + 1)); return
    fi
    rc=0; "$DARKNET" classifier valid "$data" "$WORK/$1.cfg" "$WORK/set/backup/$1.weights" >"$WORK/out" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "FAIL: $1: validation exited $rc:"; grep -v "Using default" "$WORK/out" | tail -n 3; failures=$((failures + 1)); return
    fi
    grep -q '^[0-9]*: top 1:' "$WORK/out" || { echo "FAIL: $1: validation printed no accuracy"; failures=$((failures + 1)); }
}
trains maxpool-first "$net[maxpool]\nsize=2\nstride=2\n$(conv 8 1 1)\n$head_"
trains avgpool-first "$net[avgpool]\n[connected]\noutput=3\nactivation=linear\n[softmax]\n"
trains batchnorm "$net$(conv 8 2 0)\n[batchnorm]\n$(conv 8 1 1)\n$head_"
trains batchnorm-first "$net[batchnorm]\n$(conv 8 2 1)\n$head_"
trains deconv "$net$(conv 8 2 1)\n[deconvolutional]\nfilters=8\nsize=2\nstride=2\nactivation=leaky\n$head_"
trains local "$net[convolutional]\nfilters=8\nactivation=leaky\n[local]\nsize=3\nstride=1\npad=1\nfilters=4\nactivation=leaky\n$head_"

refused() {  # name  sed-expression-on-[net]  message-needle
    printf '%b' "$(echo "$net" | sed "$2")\n$(conv 8 2 1)\n$head_" >"$WORK/$1.cfg"
    rm -f "$WORK"/set/backup/*
    if "$DARKNET" classifier train "$data" "$WORK/$1.cfg" >"$WORK/out" 2>&1; then
        echo "FAIL: $1: training ended normally"; failures=$((failures + 1))
    elif ! grep -q "$WORK/$1.cfg: $3" "$WORK/out"; then
        echo "FAIL: $1: no message naming the cfg ('$3'):"; tail -n 2 "$WORK/out"; failures=$((failures + 1))
    fi
    [ ! -e "$WORK/set/backup/$1.weights" ] || { echo "FAIL: $1: the stopped training saved its final weights"; failures=$((failures + 1)); }
}
refused tall 's/height=16/height=12/' "section \[net\] #0: key 'height' = 12, expected height = width (16)"
# a loss that becomes NaN or infinite stops training with a message (0507)
refused wild 's/learning_rate=0.05/learning_rate=1e8/; s/max_batches=2/max_batches=50/' \
    "the training loss is .* at iteration [0-9]*: training diverged"
[ "$failures" -eq 0 ]
