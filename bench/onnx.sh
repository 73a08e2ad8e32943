#!/bin/sh
# make bench-onnx: the ONNX export of the main job's TTQ network (after `make demo`: ResNet-8 on
# Fashion-MNIST, cfg/ttq-resnet8-fmnist.cfg, its packed file with activation scales) run by ONNX
# Runtime (onnxruntime-node, CPU, BENCH_THREADS threads, default 2) on every test image, against
# Darknet on the same letterboxed inputs (netout inputs/top):
#   float export (ternary onnx)         vs Darknet's float path (DARKNET_TTQ_INT8=0)
#   int8 export  (ternary onnx -int8)   vs Darknet's integer path
# For each pair: the share of images whose top-1 class is the same, the largest difference of a
# probability, and each engine's top-1 accuracy against the labels. Then, after `make demo-det`,
# the demo detector (cfg/ttq-yolo-fmnist.cfg, its packed file) the same way by mAP: `detector map`
# on Darknet's float and integer paths, and on ONNX Runtime's [yolo] outputs of the float and int8
# exports (bench/ortmap.c: the same boxes, NMS and AP). Output also in build/bench-onnx/results.txt.
set -eu
VB=$1
tools=$VB/tools
dn=$VB/darknet/darknet
W=${BENCH_WORK:-build/bench-onnx}
DEMO=${DEMO_OUT:-build/demo}
SET=${DEMO_SET:-build/fashion-mnist}
CFG=${DEMO_TTQ_CFG:-cfg/ttq-resnet8-fmnist.cfg}
threads=${BENCH_THREADS:-2}
py=${PYTHON:-/usr/bin/python3}
base=$(basename "$CFG" .cfg)
packed=$DEMO/$base.packed.weights
list=$SET/test.list
[ -s "$packed" ] && [ -s "$list" ] || { echo "bench-onnx: no $packed or $list: run make demo first" >&2; exit 1; }
export NODE_PATH=${TTQ_ORT_NODE_PATH:-build/npm/node_modules}
[ -f "$NODE_PATH/onnxruntime-node/package.json" ] || { echo "bench-onnx: no ONNX Runtime in $NODE_PATH: make onnxruntime" >&2; exit 1; }
mkdir -p "$W"
main() {
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "network: $CFG, $packed; images: $(wc -l <"$list") of $list; ONNX Runtime $(node -e "console.log(require('onnxruntime-node').env.versions.common)"), $threads threads"
"$dn" ternary onnx "$CFG" "$packed" "$W/float.onnx" 2>"$W/export-float.log" || { cat "$W/export-float.log"; exit 1; }
"$dn" ternary onnx "$CFG" "$packed" "$W/int8.onnx" -int8 2>"$W/export-int8.log" || { cat "$W/export-int8.log"; exit 1; }
"$tools/netout" inputs "$CFG" "$list" "$W/inputs.f32" 2>/dev/null
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads
DARKNET_TTQ_INT8=0 "$tools/netout" top "$CFG" "$packed" "$list" >"$W/darknet-float.txt" 2>/dev/null
"$tools/netout" top "$CFG" "$packed" "$list" >"$W/darknet-int8.txt" 2>/dev/null
node bench/onnx_top.js "$W/float.onnx" "$W/inputs.f32" "$threads" >"$W/ort-float.txt"
node bench/onnx_top.js "$W/int8.onnx" "$W/inputs.f32" "$threads" >"$W/ort-int8.txt"
"$py" - "$W" "$list" "$SET/labels.txt" <<'EOF'
import sys, os
w, lst, labels = sys.argv[1], sys.argv[2], sys.argv[3]
names = [l.strip() for l in open(labels) if l.strip()]
paths = [l.strip() for l in open(lst) if l.strip()]
truth = []
for p in paths:
    hit = [i for i, n in enumerate(names) if n in os.path.basename(p)]
    truth.append(hit[0] if len(hit) == 1 else -1)
def read(f):
    rows = [l.split() for l in open(os.path.join(w, f))]
    return [int(r[0]) for r in rows], [[float(v) for v in r[1:]] for r in rows]
def acc(top):
    return 100.0 * sum(t == g for t, g in zip(top, truth)) / len(truth)
print("%-34s %9s %12s %16s %16s" % ("pair", "images", "same top-1", "max |dp|", "top-1 (a) / (b)"))
for a, b, what in [("ort-float.txt", "darknet-float.txt", "ONNX float vs Darknet float"),
                   ("ort-int8.txt", "darknet-int8.txt", "ONNX int8 vs Darknet integer path"),
                   ("ort-int8.txt", "darknet-float.txt", "ONNX int8 vs Darknet float")]:
    ta, pa = read(a)
    tb, pb = read(b)
    if len(ta) != len(paths) or len(tb) != len(paths):
        sys.exit("bench-onnx: %s has %d lines, %s %d, the list %d" % (a, len(ta), b, len(tb), len(paths)))
    same = sum(x == y for x, y in zip(ta, tb))
    md = max(abs(x - y) for ra, rb in zip(pa, pb) for x, y in zip(ra, rb))
    print("%-34s %9d %11.2f%% %16.3g %8.2f%% / %.2f%%" % (what, len(paths), 100.0 * same / len(paths), md, acc(ta), acc(tb)))
EOF

# --- the detector ------------------------------------------------------------------------------
DDEMO=${DEMO_DET_OUT:-build/demo-det}
DSET=${DEMO_DET_SET:-build/fmnist-det}
DCFG=${DEMO_DET_CFG:-cfg/ttq-yolo-fmnist.cfg}
dpacked=$DDEMO/$(basename "$DCFG" .cfg).packed.weights
ddata=$DSET/fashion-mnist-det.data
if [ -s "$dpacked" ] && [ -s "$ddata" ]; then
    "$dn" ternary onnx "$DCFG" "$dpacked" "$W/det-float.onnx" 2>"$W/export-det-float.log" || { cat "$W/export-det-float.log"; exit 1; }
    "$dn" ternary onnx "$DCFG" "$dpacked" "$W/det-int8.onnx" -int8 2>"$W/export-det-int8.log" || { cat "$W/export-det-int8.log"; exit 1; }
    dlist=$(sed -n 's/^valid *= *//p' "$ddata")
    "$tools/netout" inputs "$DCFG" "$dlist" "$W/det-inputs.f32" 2>/dev/null
    mkdir -p "$W/det-float" "$W/det-int8"
    node bench/onnx_outs.js "$W/det-float.onnx" "$W/det-inputs.f32" "$W/det-float" "$threads"
    node bench/onnx_outs.js "$W/det-int8.onnx" "$W/det-inputs.f32" "$W/det-int8" "$threads"
    m() { grep '^mAP@0.50 = ' "$1" | sed 's/^mAP@0.50 = \([0-9.]*\) %.*/\1/'; }
    DARKNET_TTQ_INT8=0 "$dn" detector map "$ddata" "$DCFG" "$dpacked" >"$W/det-darknet-float.txt" 2>/dev/null
    "$dn" detector map "$ddata" "$DCFG" "$dpacked" >"$W/det-darknet-int8.txt" 2>/dev/null
    DARKNET_TTQ_INT8=0 "$tools/ortmap" "$ddata" "$DCFG" "$dpacked" "$W/det-float" >"$W/det-ort-float.txt" 2>/dev/null
    "$tools/ortmap" "$ddata" "$DCFG" "$dpacked" "$W/det-int8" >"$W/det-ort-int8.txt" 2>/dev/null
    echo
    echo "detector: $DCFG, $dpacked; $(wc -l <"$dlist") scenes of $dlist; mAP@0.50 (detector map's boxes, NMS and AP)"
    printf "%-22s %10s %10s %s\n" "" "Darknet" "ONNX RT" "difference (pp)"
    for k in float int8; do
        a=$(m "$W/det-darknet-$k.txt"); b=$(m "$W/det-ort-$k.txt")
        printf "%-22s %9s%% %9s%% %s\n" "$k$( [ $k = int8 ] && echo ' (integer path)')" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.2f", b - a }')"
    done
else
    echo
    echo "detector: skipped (no $dpacked or $ddata: make demo-det first)"
fi
echo "bench-onnx: done"
}
main 2>&1 | tee "$W/results.txt"
grep -q '^bench-onnx: done$' "$W/results.txt" || { echo "bench-onnx: failed (see above)" >&2; exit 1; }
