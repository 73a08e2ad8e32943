#!/bin/sh
# make demo: the main job on the embedded default data set, Fashion-MNIST from Debian's
# dataset-fashion-mnist package. Installs what is missing, builds, converts the data, trains the
# full-precision network, fine-tunes the TTQ network from its weights (the paper's flow),
# validates both on the 10 000 test images, folds the TTQ network into plain [convolutional]
# layers and validates that in stock Darknet, packs it (1.6-bit codes and activation scales) and
# validates that on the float and on the integer path (timing the latter against the float
# path), and prints a summary; the TTQ telemetry is plotted.
#
#   sh data/demo.sh [FP cfg] [TTQ cfg]      (make demo; DEMO_FP=... DEMO_TTQ=... to choose cfgs)
#
# Everything it writes goes under build/: build/fashion-mnist (images, lists, backup weights)
# and build/demo (logs, summary, plot).
#
# GPU=1 (make demo GPU=1): the full recipe on the GPU build (cuDNN), ResNet-20 with 20 FP epochs
# and 20 TTQ epochs. FASHION_MNIST=dir takes the idx files from elsewhere; DEMO_NO_INSTALL=1 skips
# the package step (a machine without network that has what it needs).
set -eu
cd "$(dirname "$0")/.."
GPU=${GPU:-0}
if [ "$GPU" = 1 ]; then
    FP_CFG=${1:-cfg/resnet20-fmnist.cfg}
    TTQ_CFG=${2:-cfg/ttq-resnet20-fmnist.cfg}
    VB=build/gpu-cudnn
    MAKEVARS="GPU=1 CUDNN=1"
else
    FP_CFG=${1:-cfg/resnet8-fmnist.cfg}
    TTQ_CFG=${2:-cfg/ttq-resnet8-fmnist.cfg}
    VB=build/cpu
    MAKEVARS=""
fi
DARKNET=$VB/darknet/darknet
DATASET=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
OUT=build/demo
SET=build/fashion-mnist
mkdir -p "$OUT"
now() { date +%s; }
t_all=$(now)

. data/setup.sh

# ---- 1. Debian packages ------------------------------------------------------------------------
setup_packages gcc make libc6-dev patch xz-utils ca-certificates pkg-config libopenblas-dev \
    libstb-dev zlib1g-dev gnuplot-nox dataset-fashion-mnist
t_setup=$(( $(now) - t_all ))

# ---- 2. Build ----------------------------------------------------------------------------------
t0=$(now)
echo "== building (log: $OUT/build.log)"
setup_build "$OUT/build.log"
t_build=$(( $(now) - t0 ))

# ---- 3. Data -----------------------------------------------------------------------------------
t0=$(now)
echo "== converting Fashion-MNIST to Darknet's layout in $SET"
"$VB/tools/convert" fashion-mnist "$DATASET" "$SET"
DATA="$SET/fashion-mnist.data"
t_data=$(( $(now) - t0 ))

fp_base=$(basename "$FP_CFG" .cfg)
ttq_base=$(basename "$TTQ_CFG" .cfg)
train() {  # log cfg [weights -clear]
    log=$1; shift
    # progress lines on the terminal, Darknet's per-batch lines in the log
    "$DARKNET" classifier train "$DATA" "$@" 2>&1 | tee "$log" | grep --line-buffered '^\[train\]' || true
}
valid_top1() {  # log cfg weights
    "$DARKNET" classifier valid "$DATA" "$2" "$3" >"$1" 2>&1
    sed -n 's/^[0-9]*: top 1: \([0-9.]*\),.*/\1/p' "$1" | tail -n 1
}

# ---- 4. Full precision -------------------------------------------------------------------------
t0=$(now)
echo "== training the full-precision network $FP_CFG"
rm -f "$SET/backup/$fp_base.weights"
train "$OUT/fp-train.log" "$FP_CFG"
[ -s "$SET/backup/$fp_base.weights" ] || { echo "error: FP training wrote no weights (log: $OUT/fp-train.log)" >&2; exit 1; }
t_fp=$(( $(now) - t0 ))

# ---- 5. TTQ, fine-tuned from the FP weights ----------------------------------------------------
t0=$(now)
echo "== fine-tuning the TTQ network $TTQ_CFG from the full-precision weights"
rm -f "$SET/backup/$ttq_base.weights"
train "$OUT/ttq-train.log" "$TTQ_CFG" "$SET/backup/$fp_base.weights" -clear
[ -s "$SET/backup/$ttq_base.weights" ] || { echo "error: TTQ training wrote no weights (log: $OUT/ttq-train.log)" >&2; exit 1; }
t_ttq=$(( $(now) - t0 ))

# ---- 6. Validation on the 10 000 test images ---------------------------------------------------
t0=$(now)
ntest=$(wc -l < "$(sed -n 's/^valid=//p' "$DATA")")
echo "== validating both on the $ntest test images (classifier valid)"
echo "   full precision"
fp_top1=$(valid_top1 "$OUT/fp-valid.log" "$FP_CFG" "$SET/backup/$fp_base.weights")
echo "   TTQ"
ttq_top1=$(valid_top1 "$OUT/ttq-valid.log" "$TTQ_CFG" "$SET/backup/$ttq_base.weights")
t_valid=$(( $(now) - t0 ))

"$DARKNET" ternary info "$TTQ_CFG" "$SET/backup/$ttq_base.weights" >"$OUT/ttq-info.txt" 2>/dev/null
plot=""
if [ -s "$SET/backup/$ttq_base.ttq.csv" ] && command -v gnuplot >/dev/null 2>&1; then
    "$DARKNET" ternary plot "$SET/backup/$ttq_base.ttq.csv" "$OUT/ttq-telemetry.png" 2>/dev/null && plot="$OUT/ttq-telemetry.png"
fi
# ---- 7. Folded for stock Darknet ---------------------------------------------------------------
# `ternary fold`: the TTQ network as plain [convolutional] layers holding {+Wp, 0, -Wn}; validated
# by stock Darknet (Debian's source without our patches), which knows no [ternary]
t0=$(now)
echo "== folding the TTQ network for stock Darknet, validating it there"
fold_cfg="$OUT/$ttq_base-folded.cfg"
fold_w="$OUT/$ttq_base-folded.weights"
rm -f "$fold_cfg" "$fold_w"
# a failure here is reported in the summary and in the exit status, after the results above
step7_error=""
"$DARKNET" ternary fold "$TTQ_CFG" "$SET/backup/$ttq_base.weights" "$fold_cfg" "$fold_w" >"$OUT/fold.log" 2>&1 ||
    step7_error="ternary fold failed (log: $OUT/fold.log)"
stock_top1=""
# on a GPU machine the stock CPU build would spend minutes of device time: DEMO_STOCK=1 asks for it
if [ -z "$step7_error" ] && { [ "$GPU" != 1 ] || [ -n "${DEMO_STOCK:-}" ]; }; then
    echo "   building stock Darknet (Debian's source, no patches; about a minute)"
    if make build/stock/darknet/libdarknet.a >"$OUT/stock-build.log" 2>&1; then
        echo "   validating the folded pair in stock Darknet"
        build/stock/darknet/darknet classifier valid "$DATA" "$fold_cfg" "$fold_w" >"$OUT/stock-valid.log" 2>&1 || true
        stock_top1=$(sed -n 's/^[0-9]*: top 1: \([0-9.]*\),.*/\1/p' "$OUT/stock-valid.log" | tail -n 1)
    fi
fi
# `ternary pack -calib`: the same weights with the ternary layers as 1.6-bit codes and each layer's
# activation scale from DEMO_CALIB_N (512) training images; validated by our build on the float
# path (DARKNET_TTQ_INT8=0) and on the integer path (8-bit activations; the CPU build), whose
# forward time is measured against the folded network's float path (bench_infer, batch 1 and 32)
packed_w="$OUT/$ttq_base.packed.weights"
rm -f "$packed_w"
packed_top1=""
int_top1=""
int_speed=""
echo "== packing the TTQ network with activation scales from ${DEMO_CALIB_N:-512} training images (ternary pack -calib)"
if "$DARKNET" ternary pack "$TTQ_CFG" "$SET/backup/$ttq_base.weights" "$packed_w" -calib "$DATA" \
       -n "${DEMO_CALIB_N:-512}" >"$OUT/pack.log" 2>&1; then
    echo "   validating the packed file on the float path"
    packed_top1=$(export DARKNET_TTQ_INT8=0; valid_top1 "$OUT/packed-valid.log" "$TTQ_CFG" "$packed_w")
    if [ "$GPU" != 1 ]; then
        echo "   validating it on the integer path"
        int_top1=$(valid_top1 "$OUT/int8-valid.log" "$TTQ_CFG" "$packed_w")
        if [ -s "$fold_w" ] && [ -x "$VB/tools/bench_infer" ]; then
            echo "   timing the integer path against the folded float network (bench_infer, batch 1 and 32)"
            for b in 1 32; do
                OMP_WAIT_POLICY=active "$VB/tools/bench_infer" $b 2 int8 "$TTQ_CFG" "$packed_w" fp32 "$fold_cfg" "$fold_w" \
                    >"$OUT/int8-speed-b$b.log" 2>/dev/null || true
            done
            int_speed=$(cat "$OUT/int8-speed-b1.log" "$OUT/int8-speed-b32.log" 2>/dev/null | awk '
                { for(i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                  t[v["engine"], v["batch"]] = v["median_ms"]; th = v["threads"] }
                END { if(t["int8", 1] == "" || t["int8", 32] == "") exit
                      printf "batch 1: %.3f ms (float, folded: %.3f ms, %.2fx); batch 32: %.2f ms (float: %.2f ms, %.2fx); %d threads",
                             t["int8", 1], t["fp32", 1], t["fp32", 1]/t["int8", 1], t["int8", 32], t["fp32", 32], t["fp32", 32]/t["int8", 32], th }')
        fi
    fi
else
    step7_error="$step7_error${step7_error:+; }ternary pack failed (log: $OUT/pack.log)"
fi
t_fold=$(( $(now) - t0 ))
t_total=$(( $(now) - t_all ))

{
    echo
    dev=$(device_name)
    echo "== summary (Fashion-MNIST, $ntest test images; $dev; $(date -u +%Y-%m-%dT%H:%MZ))"
    awk -v a="$fp_top1" -v b="$ttq_top1" -v f="$FP_CFG" -v t="$TTQ_CFG" 'BEGIN {
        printf "  %-34s top-1 %6.2f %%\n", "full precision (" f ")", 100*a;
        printf "  %-34s top-1 %6.2f %%   (%+.2f pp)\n", "TTQ (" t ")", 100*b, 100*(b - a) }'
    echo
    [ -n "$step7_error" ] && echo "  error: $step7_error"
    if [ -n "$stock_top1" ]; then
        awk -v a="$stock_top1" -v b="$ttq_top1" -v f="$fold_cfg" 'BEGIN {
            printf "  %-34s top-1 %6.2f %%   (%s the TTQ network%s)\n", "TTQ folded, in stock Darknet", 100*a,
                   a == b ? "equal to" : "differs from", a == b ? "" : sprintf(": %+.2f pp", 100*(a - b)) }'
        echo "    ($fold_cfg and its .weights: plain [convolutional] layers; logs: $OUT/fold.log, $OUT/stock-valid.log)"
    elif [ -s "$fold_w" ] && { [ "$GPU" != 1 ] || [ -n "${DEMO_STOCK:-}" ]; }; then
        echo "  TTQ folded into $fold_cfg; stock Darknet did not build or validate (logs: $OUT/stock-build.log, $OUT/stock-valid.log)"
    elif [ -s "$fold_w" ]; then
        echo "  TTQ folded into $fold_cfg (DEMO_STOCK=1 validates it in stock Darknet too)"
    fi
    [ -n "$packed_top1" ] && awk -v a="$packed_top1" -v b="$ttq_top1" -v x="$(stat -c %s "$packed_w")" -v y="$(stat -c %s "$SET/backup/$ttq_base.weights")" 'BEGIN {
        printf "  %-34s top-1 %6.2f %%   (%s the TTQ network; file size ratio %.1fx: %d bytes, its .weights %d)\n",
               "TTQ packed (ternary pack)", 100*a, a == b ? "equal to" : "differs from", y/x, x, y }'
    { grep -E '^  (ternary weights|whole file)' "$OUT/pack.log" || true; } | sed 's/^/  /'
    [ -n "$int_top1" ] && awk -v a="$int_top1" -v b="$packed_top1" -v k="$(sed -n 's/.*kernels \([a-z0-9-]*\).*/\1/p' "$OUT/int8-valid.log" | head -n 1)" 'BEGIN {
        printf "  %-34s top-1 %6.2f %%   (%+.2f pp against the same file on the float path; kernels %s)\n",
               "TTQ packed, on integers (W2A8/W8A8)", 100*a, 100*(a - b), k }'
    [ -n "$int_speed" ] && echo "    forward time, integer path: $int_speed"
    [ "$GPU" = 1 ] && echo "  (the integer path runs on the CPU build: make demo without GPU=1, or make bench-infer)"
    if [ -n "$int_top1" ]; then
        echo "    the whole network on integers (ternary info of the packed file): layer, type, path, input scale and zero, output scale and zero"
        "$DARKNET" ternary info "$TTQ_CFG" "$packed_w" 2>/dev/null | awk '/^the integer graph/ { on = 1; next }
            on && $1 ~ /^[0-9]+$/ { printf "      %5s %-13s %5s %10s %4s %10s %4s\n", $1, $2, $3, $4, $5, $6, $7 }
            on && / layers on integers/ { print "      " $1 " " $2 " " $3 " " $4 " on integers" }'
    fi
    echo
    echo "  per-layer scales and sparsity of the TTQ network:"
    sed 's/^/    /' "$OUT/ttq-info.txt"
    echo
    summary_files "$DATA" "$TTQ_CFG" "$SET/backup/$ttq_base.weights" "$packed_w" "$fold_cfg" "$fold_w"
    echo "  next:"
    w="$SET/backup/$ttq_base.weights"; [ -s "$packed_w" ] && w=$packed_w
    echo "    ./darknet classifier predict $DATA $TTQ_CFG $w $(head -n 1 "$(sed -n 's/^valid=//p' "$DATA")")"
    echo "    ./darknet classifier predict $DATA $TTQ_CFG $w LIST-OR-FOLDER   # each image named, median time per image"
    echo "    ./darknet classifier valid $DATA $TTQ_CFG $w"
    echo "    ./darknet ternary info $TTQ_CFG $w"
    echo
    echo "  wall time: setup $(fmt $t_setup), build $(fmt $t_build), data $(fmt $t_data), FP training $(fmt $t_fp),"
    echo "             TTQ training $(fmt $t_ttq), validation $(fmt $t_valid), fold/stock/pack $(fmt $t_fold);"
    echo "             total $(fmt $t_total)"
    [ -n "$plot" ] && echo "  telemetry plot: $plot (CSV: $SET/backup/$ttq_base.ttq.csv)"
    echo "  logs: $OUT/"
} | tee "$OUT/summary.txt"
[ -z "$step7_error" ] || { echo "error: $step7_error" >&2; exit 1; }
