#!/bin/sh
# make demo-det: [ternary] in a detector, on detection scenes made from Debian's Fashion-MNIST
# (`convert fashion-mnist-det`: 12 000 training and 2 000 test scenes, 96x96, 1-3 items each).
# Installs what is missing, builds, makes the scenes, trains the full-precision YOLO
# (cfg/yolo-fmnist.cfg), fine-tunes its TTQ twin from those weights (cfg/ttq-yolo-fmnist.cfg,
# -clear), scores both with `detector map` (VOC mAP at IoU 0.5 on the test scenes), then folds
# the TTQ network into plain [convolutional] layers and packs it (with activation scales), and
# scores those too, the packed file on the float and on the integer path.
#
#   sh data/demo-det.sh [FP cfg] [TTQ cfg]    (make demo-det; GPU=1 for the cuDNN build)
#
# Everything it writes goes under build/: build/fmnist-det (scenes, lists, backup weights) and
# build/demo-det (logs, summary). FASHION_MNIST=dir takes the idx files from elsewhere;
# DEMO_NO_INSTALL=1 skips the package step.
set -eu
cd "$(dirname "$0")/.."
GPU=${GPU:-0}
FP_CFG=${1:-cfg/yolo-fmnist.cfg}
TTQ_CFG=${2:-cfg/ttq-yolo-fmnist.cfg}
if [ "$GPU" = 1 ]; then VB=build/gpu-cudnn; MAKEVARS="GPU=1 CUDNN=1"; else VB=build/cpu; MAKEVARS=""; fi
DARKNET=$VB/darknet/darknet
DATASET=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
OUT=build/demo-det
SET=build/fmnist-det
mkdir -p "$OUT"
now() { date +%s; }
t_all=$(now)

. data/setup.sh
setup_packages gcc make libc6-dev patch xz-utils ca-certificates pkg-config libopenblas-dev \
    libstb-dev zlib1g-dev dataset-fashion-mnist

echo "== building (log: $OUT/build.log)"
setup_build "$OUT/build.log"

echo "== making detection scenes from Fashion-MNIST in $SET"
"$VB/tools/convert" fashion-mnist-det "$DATASET" "$SET"
DATA="$SET/fashion-mnist-det.data"
t_setup=$(( $(now) - t_all ))

fp_base=$(basename "$FP_CFG" .cfg)
ttq_base=$(basename "$TTQ_CFG" .cfg)
train() {  # log cfg [weights -clear]
    log=$1; shift
    "$DARKNET" detector train "$DATA" "$@" 2>&1 | tee "$log" | grep --line-buffered '^\[train\]' || true
}
map() {  # log cfg weights: prints the mAP in per cent
    "$DARKNET" detector map "$DATA" "$2" "$3" >"$1" 2>"$1.err" || { cat "$1.err" >&2; return 0; }
    sed -n 's/^mAP@0.50 = \([0-9.]*\) %.*/\1/p' "$1"
}
coco() {  # log of map: the mAP over IoU 0.50:0.95 in per cent
    sed -n 's/^mAP@\[.50:.95\] = \([0-9.]*\) %.*/\1/p' "$1" 2>/dev/null
}

t0=$(now)
echo "== training the full-precision detector $FP_CFG"
rm -f "$SET/backup/${fp_base}_final.weights"
train "$OUT/fp-train.log" "$FP_CFG"
fp_w="$SET/backup/${fp_base}_final.weights"
[ -s "$fp_w" ] || { echo "error: FP training wrote no weights (log: $OUT/fp-train.log)" >&2; exit 1; }
t_fp=$(( $(now) - t0 ))

t0=$(now)
echo "== fine-tuning the TTQ detector $TTQ_CFG from the full-precision weights"
rm -f "$SET/backup/${ttq_base}_final.weights"
train "$OUT/ttq-train.log" "$TTQ_CFG" "$fp_w" -clear
ttq_w="$SET/backup/${ttq_base}_final.weights"
[ -s "$ttq_w" ] || { echo "error: TTQ training wrote no weights (log: $OUT/ttq-train.log)" >&2; exit 1; }
t_ttq=$(( $(now) - t0 ))

t0=$(now)
ntest=$(wc -l < "$SET/test.list")
echo "== scoring both on the $ntest test scenes (detector map; about a minute each on 2 cores)"
echo "   full precision"
fp_map=$(map "$OUT/fp-map.txt" "$FP_CFG" "$fp_w")
echo "   TTQ"
ttq_map=$(map "$OUT/ttq-map.txt" "$TTQ_CFG" "$ttq_w")
"$DARKNET" ternary info "$TTQ_CFG" "$ttq_w" >"$OUT/ttq-info.txt" 2>/dev/null || true
errors=""
fold_cfg="$OUT/$ttq_base-folded.cfg"
fold_w="$OUT/$ttq_base-folded.weights"
packed_w="$OUT/$ttq_base.packed.weights"
rm -f "$fold_cfg" "$fold_w" "$packed_w"
fold_map=""
echo "== folding the TTQ network into [convolutional] layers, scoring the folded pair"
if "$DARKNET" ternary fold "$TTQ_CFG" "$ttq_w" "$fold_cfg" "$fold_w" >"$OUT/fold.log" 2>&1; then
    fold_map=$(map "$OUT/folded-map.txt" "$fold_cfg" "$fold_w")
else
    errors="ternary fold failed (log: $OUT/fold.log)"
fi
# packed with activation scales (-calib: DEMO_CALIB_N training scenes): scored on the float path
# (DARKNET_TTQ_INT8=0) and, in the CPU build, on the integer path, whose forward time at batch 1
# is measured against the folded network's float path
packed_map=""
int_map=""
int_speed=""
echo "== packing it with activation scales from ${DEMO_CALIB_N:-512} training scenes (ternary pack -calib)"
if "$DARKNET" ternary pack "$TTQ_CFG" "$ttq_w" "$packed_w" -calib "$DATA" -n "${DEMO_CALIB_N:-512}" >"$OUT/pack.log" 2>&1; then
    echo "   scoring the packed file on the float path"
    packed_map=$(export DARKNET_TTQ_INT8=0; map "$OUT/packed-map.txt" "$TTQ_CFG" "$packed_w")
    if [ "$GPU" != 1 ]; then
        echo "   scoring it on the integer path"
        int_map=$(map "$OUT/int8-map.txt" "$TTQ_CFG" "$packed_w")
        if [ -s "$fold_w" ] && [ -x "$VB/tools/bench_infer" ]; then
            echo "   timing the integer path against the folded float network (bench_infer, batch 1)"
            int_speed=$(OMP_WAIT_POLICY=active "$VB/tools/bench_infer" 1 2 int8 "$TTQ_CFG" "$packed_w" fp32 "$fold_cfg" "$fold_w" 2>/dev/null | awk '
                { for(i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }; t[v["engine"]] = v["median_ms"]; th = v["threads"] }
                END { if(t["int8"] != "") printf "batch 1: %.3f ms (float, folded: %.3f ms, %.2fx); %d threads", t["int8"], t["fp32"], t["fp32"]/t["int8"], th }')
        fi
    fi
else
    errors="$errors${errors:+; }ternary pack failed (log: $OUT/pack.log)"
fi
t_map=$(( $(now) - t0 ))
t_total=$(( $(now) - t_all ))

{
    echo
    dev=$(device_name)
    echo "== summary (Fashion-MNIST detection scenes, $ntest test images; $dev; $(date -u +%Y-%m-%dT%H:%MZ))"
    awk -v a="${fp_map:-nan}" -v b="${ttq_map:-nan}" -v f="$FP_CFG" -v t="$TTQ_CFG" \
        -v c="$(coco "$OUT/fp-map.txt")" -v d="$(coco "$OUT/ttq-map.txt")" 'BEGIN {
        if(c == "") c = "nan"; if(d == "") d = "nan";
        printf "  %-38s mAP@0.5 %6.2f %%                mAP@[.5:.95] %6.2f %%\n", "full precision (" f ")", a, c;
        printf "  %-38s mAP@0.5 %6.2f %%   (%+.2f pp)   mAP@[.5:.95] %6.2f %%   (%+.2f pp)\n", "TTQ (" t ")", b, b - a, d, d - c }'
    [ -n "$fold_map" ] && awk -v a="$fold_map" -v b="$ttq_map" 'BEGIN {
        printf "  %-38s mAP@0.5 %6.2f %%   (%s the TTQ network)\n", "TTQ folded to [convolutional]", a, a == b ? "equal to" : "differs from" }'
    [ -n "$packed_map" ] && awk -v a="$packed_map" -v b="$ttq_map" -v x="$(stat -c %s "$packed_w")" -v y="$(stat -c %s "$ttq_w")" 'BEGIN {
        printf "  %-38s mAP@0.5 %6.2f %%   (%s the TTQ network; file size ratio %.1fx: %d bytes, its .weights %d)\n",
               "TTQ packed (ternary pack)", a, a == b ? "equal to" : "differs from", y/x, x, y }'
    [ -n "$int_map" ] && awk -v a="$int_map" -v b="$packed_map" -v c="$(coco "$OUT/int8-map.txt")" -v d="$(coco "$OUT/packed-map.txt")" 'BEGIN {
        if(c == "") c = "nan"; if(d == "") d = "nan";
        printf "  %-38s mAP@0.5 %6.2f %%   (%+.2f pp)   mAP@[.5:.95] %6.2f %%   (%+.2f pp; both against the same file on the float path)\n",
               "TTQ packed, on integers (W2A8/W8A8)", a, a - b, c, c - d }'
    [ -n "$int_speed" ] && echo "    forward time, integer path: $int_speed"
    [ -n "$errors" ] && echo "  error: $errors"
    echo
    echo "  per-class AP, full precision and TTQ:"
    paste "$OUT/fp-map.txt" "$OUT/ttq-map.txt" | awk -F'\t' 'NR > 2 && $1 ~ /%$/ {
        split($1, a, " "); split($2, b, " "); printf "    %-10s %7s %%  %7s %%\n", a[1], a[5], b[5] }'
    echo
    echo "  per-layer scales and sparsity of the TTQ network:"
    sed 's/^/    /' "$OUT/ttq-info.txt"
    echo
    summary_files "$DATA" "$TTQ_CFG" "$ttq_w" "$packed_w" "$fold_cfg" "$fold_w"
    echo "  next:"
    w=$ttq_w; [ -s "$packed_w" ] && w=$packed_w
    echo "    ./darknet detector test $DATA $TTQ_CFG $w $(head -n 1 "$SET/test.list") -thresh 0.25   # predictions.jpg"
    echo "    ./darknet detector map $DATA $TTQ_CFG $w"
    echo "    ./darknet ternary info $TTQ_CFG $w"
    echo
    echo "  wall time: setup+build+data $(fmt $t_setup), FP training $(fmt $t_fp), TTQ training $(fmt $t_ttq),"
    echo "             scoring/fold/pack $(fmt $t_map); total $(fmt $t_total)"
    echo "  logs: $OUT/"
} | tee "$OUT/summary.txt"
[ -z "$errors" ] && [ -n "$fp_map" ] && [ -n "$ttq_map" ] || exit 1
