#!/bin/sh
# OpenCV's DNN module (Debian's libopencv-dnn-dev, 4.6) runs what `darknet ternary fold` writes:
# a trained [ternary] net, and random weights in ResNet-20 (`cfg/ttq-resnet20.cfg`, whose strided
# shortcuts OpenCV cannot read as Darknet writes them: the fold spells them out), the end-to-end
# cfg and yolov3-tiny with every other convolution [ternary]. OpenCV's outputs on the folded pair
# (tests/netout_opencv.cpp) equal our build's on the [ternary] pair within 1e-4 of the largest
# value (1e-3 for the trained net: see t_fold.sh), and OpenCV classifies the test images with our
# top-1 (within one image). Skipped where OpenCV's DNN module or g++ is not installed.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
case "$VB" in *-local) STOCK=build/stock-local;; *) STOCK=build/stock;; esac
mkdir -p "$WORK"
fail() { echo "FAIL t_fold_opencv: $*"; exit 1; }
if [ ! -x "$STOCK/tools/netout_opencv" ]; then
    echo "OpenCV's DNN module or g++ is not installed (Debian: libopencv-dnn-dev g++): skipped"
    exit 77
fi
ocv="$STOCK/tools/netout_opencv"

close() {  # a b what tol
    [ -s "$1" ] && [ "$(wc -l < "$1")" -eq "$(wc -l < "$2")" ] || fail "$3: output sizes differ ($(wc -l < "$1") vs $(wc -l < "$2"))"
    paste "$1" "$2" | awk -v what="$3" -v tol="$4" '
        { d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d; a = $1 < 0 ? -$1 : $1; if (a > M) M = a }
        END { if (M < 1) M = 1; if (!(m <= tol*M)) { printf "FAIL t_fold_opencv: %s: max difference %g, largest value %g\n", what, m, M; exit 1 } }'
}

"$VB/tools/genimages" "$WORK/set" 20 10 16 3 >/dev/null
sed 's/^max_batches=.*/max_batches=60/' tests/e2e-ttq.cfg >"$WORK/trained.cfg"
"$DARKNET" classifier train "$WORK/set/set.data" "$WORK/trained.cfg" >"$WORK/train.log" 2>&1 || fail "training: $(tail -n 3 "$WORK/train.log")"
cp "$WORK/set/backup/trained.weights" "$WORK/trained.w"

awk '/^\[convolutional\]/ { n++; if (n > 1 && n % 2 == 0) { print "[ternary]"; next } } { print }' \
    "$VB/darknet/cfg/yolov3-tiny.cfg" |
    sed 's/^width=.*/width=96/; s/^height=.*/height=96/; s/^batch=.*/batch=1/; s/^subdivisions=.*/subdivisions=1/' >"$WORK/yt.cfg"
for c in "$WORK/trained.cfg" cfg/ttq-resnet20.cfg tests/e2e-ttq.cfg "$WORK/yt.cfg"; do
    b=$(basename "$c" .cfg)
    tol=1e-4
    if [ "$b" = trained ]; then
        tol=1e-3
    else
        "$VB/tools/netout" randw "$c" "$WORK/$b.w" 7 >/dev/null 2>&1 || fail "$b: netout randw"
    fi
    "$DARKNET" ternary fold "$c" "$WORK/$b.w" "$WORK/$b.f.cfg" "$WORK/$b.f.w" >"$WORK/$b.fold.log" 2>&1 ||
        fail "$b: fold exited non-zero: $(tail -n 3 "$WORK/$b.fold.log")"
    "$VB/tools/netout" run "$c" "$WORK/$b.w" 1 >"$WORK/$b.t" 2>/dev/null || fail "$b: netout run"
    "$ocv" run "$WORK/$b.f.cfg" "$WORK/$b.f.w" 1 >"$WORK/$b.o" 2>"$WORK/$b.o.err" || fail "$b: OpenCV: $(tail -n 2 "$WORK/$b.o.err")"
    close "$WORK/$b.t" "$WORK/$b.o" "$b: OpenCV on the folded pair" "$tol"
    [ -n "${TTQ_VERBOSE:-}" ] && paste "$WORK/$b.t" "$WORK/$b.o" | awk -v b="$b" '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d } END { print b, "max difference", m, NR, "outputs" }'
done

# classifying the test images (netout_opencv valid: Debian's stb_image loads them): OpenCV's top-1
# on the folded pair is our `classifier valid` top-1 on the [ternary] pair
if "$ocv" valid 2>&1 | grep -q 'valid CFG'; then
    set -- "$WORK/set/test.list" "$WORK/set/labels.txt"
    "$ocv" valid "$WORK/trained.f.cfg" "$WORK/trained.f.w" "$1" "$2" >"$WORK/ocv.valid" 2>&1 || fail "OpenCV valid: $(tail -n 2 "$WORK/ocv.valid")"
    "$DARKNET" classifier valid "$WORK/set/set.data" "$WORK/trained.cfg" "$WORK/trained.w" >"$WORK/ours.valid" 2>/dev/null || fail "our valid"
    ours=$(tail -n 1 "$WORK/ours.valid" | sed -n 's/^[0-9]*: top 1: \([0-9.]*\),.*/\1/p')
    theirs=$(sed -n 's/^top-1 \([0-9.]*\) .*/\1/p' "$WORK/ocv.valid")
    # at most one image of 30 apart: the batch norm difference (t_fold.sh) may tip a near tie
    [ -n "$ours" ] && [ -n "$theirs" ] && awk -v a="$ours" -v b="$theirs" 'BEGIN { d = a - b; exit !(d < 0.034 && d > -0.034) }' ||
        fail "top-1: ours $ours, OpenCV $theirs ($(cat "$WORK/ocv.valid"))"
    [ -n "${TTQ_VERBOSE:-}" ] && echo "top-1: ours $ours, OpenCV $theirs"
fi
exit 0
