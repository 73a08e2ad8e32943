#!/bin/sh
# make bench-infer: inference time of the CIFAR-style ResNet-20 TTQ network (cfg/ttq-resnet20.cfg,
# 32x32x3, 10 classes) at batch 1 and 32 with 1 and 2 threads, and of the demo-det detector
# (cfg/ttq-yolo-fmnist.cfg, 96x96x3) at batch 1, for
#   int8-ternary  (a) our integer path: the packed file with activation scales (ternary pack -calib)
#   darknet-fp32  (b) our best float path: the folded network (ternary fold: plain [convolutional]
#                     with {+Wp, 0, -Wn}, batch norm fused: direct 3x3 / OpenBLAS)
#   opencv-fp32   (c) OpenCV's DNN module (Debian's libopencv-dnn-dev) reading the folded pair
#   torch-fp32    (d) PyTorch (Debian's python3-torch), the same ResNet-20 with the folded weights,
#                     batch norm fused, the fastest of eager / TorchScript (bench/infer_torch.py)
#   torch-int8    (e) PyTorch's own int8: FX graph mode static quantisation, the faster of its
#                     oneDNN and QNNPACK engines
#   ort-fp32      (f) ONNX Runtime 1.30 (CPU, onnxruntime-node: make onnxruntime) on the float export
#                     (`ternary onnx`: Conv with the ternary weights, batch norm folded)
#   ort-int8      (g) ONNX Runtime on the int8 export (`ternary onnx -int8` of the packed file: the
#                     whole network as our integer graph runs it, QDQ on every integer tensor, which
#                     ONNX Runtime fuses into QLinearConv / QLinearAdd: all int8)
#   xnnpack-fp32  (h) XNNPACK (Debian's libxnnpack-dev) through its subgraph C API: the network with
#                     its ternary weights {+Wp, 0, -Wn} in float, batch norm folded, as the folded
#                     network computes it (bench/infer_xnnpack.c)
#   xnnpack-qs8   (i) XNNPACK's signed 8-bit path: the packed file's weights and codings (the random
#                     network's codings, which die out with depth, are beyond what XNNPACK's
#                     requantisation accepts: it then runs with every scale 1/16, said in the table;
#                     its time does not depend on the scales)
# Every engine gets the same input size, batch and number of threads (OMP_NUM_THREADS,
# OPENBLAS_NUM_THREADS, cv::setNumThreads, torch.set_num_threads), and OMP_WAIT_POLICY=active
# (BENCH_WAIT_POLICY): waiting OpenMP threads spin rather than sleep, which every OpenMP engine
# here (Darknet, PyTorch) reads; on this virtual machine waking a sleeping thread costs about 25 us,
# several times a layer's work at batch 1. The machine is shared and
# drifts, so the whole set runs in rounds (BENCH_ROUNDS, default 3; BENCH_SECONDS per measurement,
# default 1); the table gives each engine's median over rounds of its median forward time, and the
# ratios are taken from those medians. Weights are random (netout randw; the speed of every engine
# here does not depend on the values), calibrated on generated images. Then a per-layer table of
# the integer path (time, GOP/s, share of the CPU's int8 peak). Output also in
# build/bench-infer/results.txt.
set -eu
VB=$1
tools=$VB/tools
dn=$VB/darknet/darknet
W=${BENCH_WORK:-build/bench-infer}
secs=${BENCH_SECONDS:-1}
rounds=${BENCH_ROUNDS:-3}
py=${PYTHON:-/usr/bin/python3}   # Debian's python3, where python3-torch installs
. bench/openblas-core.sh
export OMP_WAIT_POLICY=${BENCH_WAIT_POLICY:-active}
mkdir -p "$W"
raw=$W/raw.txt
: >"$raw"
main() {
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "OMP_WAIT_POLICY=$OMP_WAIT_POLICY; OpenBLAS kernels: ${OPENBLAS_CORETYPE:-$("$BLASCORE" 2>/dev/null || echo '?')}; integer path kernels: $(DARKNET_TTQ_INT8= "$dn" ternary info cfg/ttq-resnet8-fmnist.cfg 2>/dev/null | sed -n 's/.*kernels \([a-z0-9-]*\).*/\1/p')"

# --- the networks -------------------------------------------------------------------------------
"$tools/genimages" "$W/cal32" 20 1 32 11
"$tools/genimages" "$W/cal96" 8 1 96 12
prep() {  # name cfg data: random weights, packed with scales, folded
    "$tools/netout" randw "$2" "$W/$1.weights" 1 fanin >/dev/null 2>&1
    rm -f "$W/$1.packed.weights" "$W/$1-folded.cfg" "$W/$1-folded.weights"
    "$dn" ternary pack "$2" "$W/$1.weights" "$W/$1.packed.weights" -calib "$3" -n 60 >"$W/$1.pack.log" 2>&1 ||
        { cat "$W/$1.pack.log"; exit 1; }
    "$dn" ternary fold "$2" "$W/$1.weights" "$W/$1-folded.cfg" "$W/$1-folded.weights" >"$W/$1.fold.log" 2>&1 ||
        { cat "$W/$1.fold.log"; exit 1; }
}
prep r20 cfg/ttq-resnet20.cfg "$W/cal32/set.data"
prep det cfg/ttq-yolo-fmnist.cfg "$W/cal96/set.data"

torch=0
if [ -x "$py" ] && "$py" -c "import torch" 2>/dev/null; then
    torch=1
else
    echo "PyTorch skipped: python3-torch is not installed (apt-get install python3-torch)"
fi
opencv=0
[ -x "$tools/infer_opencv" ] && opencv=1 || echo "OpenCV skipped: libopencv-dnn-dev (and g++) not installed"
xnn=0
[ -x "$tools/infer_xnnpack" ] && xnn=1 || echo "XNNPACK skipped: libxnnpack-dev and libpthreadpool-dev not installed"
xnnq=qs8
if [ $xnn -eq 1 ] && ! "$tools/infer_xnnpack" qs8 cfg/ttq-resnet20.cfg "$W/r20.packed.weights" 1 1 0 >/dev/null 2>&1; then
    xnnq=qs8u
fi
ort=0
export NODE_PATH=${TTQ_ORT_NODE_PATH:-build/npm/node_modules}
if command -v node >/dev/null 2>&1 && [ -f "$NODE_PATH/onnxruntime-node/package.json" ] &&
   "$dn" ternary onnx cfg/ttq-resnet20.cfg "$W/r20.packed.weights" "$W/r20-b1.onnx" >/dev/null 2>&1; then
    ort=1
    for b in 1 32; do
        "$dn" ternary onnx cfg/ttq-resnet20.cfg "$W/r20.packed.weights" "$W/r20-b$b.onnx" -batch $b >/dev/null 2>&1
        "$dn" ternary onnx cfg/ttq-resnet20.cfg "$W/r20.packed.weights" "$W/r20-b$b-int8.onnx" -batch $b -int8 >/dev/null 2>&1
    done
    "$dn" ternary onnx cfg/ttq-yolo-fmnist.cfg "$W/det.packed.weights" "$W/det-b1.onnx" >/dev/null 2>&1
    "$dn" ternary onnx cfg/ttq-yolo-fmnist.cfg "$W/det.packed.weights" "$W/det-b1-int8.onnx" -int8 >/dev/null 2>&1
else
    echo "ONNX Runtime skipped: node, the onnxruntime-node package (make onnxruntime) or the ONNX export missing"
fi

# --- rounds ---------------------------------------------------------------------------------------
r=1
while [ $r -le "$rounds" ]; do
    for t in 1 2; do
        export OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t
        for b in 1 32; do
            "$tools/bench_infer" $b "$secs" int8-ternary cfg/ttq-resnet20.cfg "$W/r20.packed.weights" \
                darknet-fp32 "$W/r20-folded.cfg" "$W/r20-folded.weights" 2>/dev/null | sed "s/^/net=r20 round=$r /" >>"$raw"
            [ $opencv -eq 1 ] && "$tools/infer_opencv" "$W/r20-folded.cfg" "$W/r20-folded.weights" $b $t "$secs" 2>/dev/null |
                sed "s/engine=opencv/engine=opencv-fp32/; s/^/net=r20 round=$r /" >>"$raw"
            if [ $ort -eq 1 ]; then
                node bench/infer_ort.js "$W/r20-b$b.onnx" ort-fp32 $t "$secs" | sed "s/^/net=r20 round=$r /" >>"$raw"
                node bench/infer_ort.js "$W/r20-b$b-int8.onnx" ort-int8 $t "$secs" | sed "s/^/net=r20 round=$r /" >>"$raw"
            fi
            if [ $xnn -eq 1 ]; then
                "$tools/infer_xnnpack" fp32 cfg/ttq-resnet20.cfg "$W/r20.packed.weights" $b $t "$secs" 2>/dev/null |
                    sed "s/^/net=r20 round=$r /" >>"$raw"
                "$tools/infer_xnnpack" $xnnq cfg/ttq-resnet20.cfg "$W/r20.packed.weights" $b $t "$secs" 2>/dev/null |
                    sed "s/^/net=r20 round=$r /" >>"$raw"
            fi
        done
        [ $torch -eq 1 ] && "$py" bench/infer_torch.py --weights "$W/r20-folded.weights" --batches 1,32 --threads $t \
            --seconds "$secs" 2>/dev/null | tee "$W/torch.log" | grep '^engine=' | sed "s/^/net=r20 round=$r /" >>"$raw"
        "$tools/bench_infer" 1 "$secs" int8-ternary cfg/ttq-yolo-fmnist.cfg "$W/det.packed.weights" \
            darknet-fp32 "$W/det-folded.cfg" "$W/det-folded.weights" 2>/dev/null | sed "s/^/net=det round=$r /" >>"$raw"
        if [ $ort -eq 1 ]; then
            node bench/infer_ort.js "$W/det-b1.onnx" ort-fp32 $t "$secs" | sed "s/^/net=det round=$r /" >>"$raw"
            node bench/infer_ort.js "$W/det-b1-int8.onnx" ort-int8 $t "$secs" | sed "s/^/net=det round=$r /" >>"$raw"
        fi
    done
    echo "round $r of $rounds done"
    r=$((r + 1))
done

# --- the table ------------------------------------------------------------------------------------
# per round, engine, batch, threads: the fastest variant's median (PyTorch prints several), then
# the median over rounds
awk '
function val(k,   i) { for(i = 1; i <= NF; i++) if(index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
{ key = val("net") " " val("engine") " " val("batch") " " val("threads"); rk = val("round") " " key; m = val("median_ms") + 0
  if(!(rk in best) || m < best[rk]) { best[rk] = m; what[rk] = val("backend") (val("variant") != "" ? "/" val("variant") : "") } }
END { for(rk in best) { split(rk, p, " "); print p[2], p[3], p[4], p[5], best[rk], what[rk] } }' "$raw" | sort >"$W/best.txt"
awk -v rounds="$rounds" '
function median(s,   a, n, i, j, t) { n = split(s, a, " "); for(i = 2; i <= n; i++) for(j = i; j > 1 && a[j-1] + 0 > a[j] + 0; --j) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1])/2 }
{ k = $1 " " $3 " " $4; v[k, $2] = v[k, $2] " " $5; if($6 != "") how[$2] = $6; keys[k] = 1 }
END {
    split("int8-ternary darknet-fp32 opencv-fp32 torch-fp32 torch-int8 ort-fp32 ort-int8 xnnpack-fp32 xnnpack-qs8", e, " ")
    printf "\nResNet-20 (cfg/ttq-resnet20.cfg, 32x32x3): median forward time, ms (median over %d rounds; lower is better)\n", rounds
    printf "%5s %7s %12s %12s %11s %10s %10s %8s %8s %12s %11s   %-30s %s\n", "batch", "threads", e[1], e[2], e[3], e[4], e[5], e[6], e[7], e[8], e[9], "(a) vs fastest float", "(a) vs fastest int8"
    for(b = 1; b <= 32; b += 31) for(t = 1; t <= 2; t++) {
        k = "r20 " b " " t
        if(!(k in keys)) continue
        fast = ""; fname = ""; q = ""; qname = ""
        for(i = 1; i <= 9; i++) { m[i] = (k SUBSEP e[i]) in v ? median(v[k, e[i]]) : ""
            if((i >= 2 && i <= 4 || i == 6 || i == 8) && m[i] != "" && (fast == "" || m[i] < fast)) { fast = m[i]; fname = e[i] }
            if((i == 5 || i == 7 || i == 9) && m[i] != "" && (q == "" || m[i] < q)) { q = m[i]; qname = e[i] } }
        printf "%5d %7d", b, t
        for(i = 1; i <= 9; i++) printf(i <= 2 ? " %12s" : i == 3 ? " %11s" : i <= 5 ? " %10s" : i <= 7 ? " %8s" : i == 8 ? " %12s" : " %11s", m[i] == "" ? "-" : sprintf("%.3f", m[i]))
        printf "   %-30s %s\n", fast == "" ? "-" : sprintf("%.2fx (%s)", fast/m[1], fname), q == "" ? "-" : sprintf("%.2fx (%s)", q/m[1], qname)
    }
    printf "\ndetector (cfg/ttq-yolo-fmnist.cfg, 96x96x3), batch 1: median forward time, ms\n"
    printf "%7s %13s %13s %9s %9s   %-10s %-10s %s\n", "threads", e[1], e[2], e[6], e[7], "(a) vs (b)", "(a) vs (f)", "(a) vs (g)"
    for(t = 1; t <= 2; t++) { k = "det 1 " t; if(!(k in keys)) continue
        a = median(v[k, e[1]]); f = median(v[k, e[2]])
        of = (k SUBSEP e[6]) in v ? median(v[k, e[6]]) : ""; oq = (k SUBSEP e[7]) in v ? median(v[k, e[7]]) : ""
        printf "%7d %13.3f %13.3f %9s %9s   %-10s %-10s %s\n", t, a, f, of == "" ? "-" : sprintf("%.3f", of), oq == "" ? "-" : sprintf("%.3f", oq),
            sprintf("%.2fx", f/a), of == "" ? "-" : sprintf("%.2fx", of/a), oq == "" ? "-" : sprintf("%.2fx", oq/a) }
    if("xnnpack-qs8" in how) printf "\nXNNPACK qs8 ran as %s\n", how["xnnpack-qs8"]
    if("torch-fp32" in how) printf "\nPyTorch variants that were fastest: torch-fp32 %s, torch-int8 %s (backend/variant)\n", how["torch-fp32"], how["torch-int8"]
}' "$W/best.txt"

[ -s "$W/torch.log" ] && echo "PyTorch: $(grep -m1 '^# torch' "$W/torch.log" | sed 's/^# //')"

# --- per layer ------------------------------------------------------------------------------------
for b in 32 1; do
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$tools/bench_infer" $b "$secs" -layers int8-ternary cfg/ttq-resnet20.cfg \
        "$W/r20.packed.weights" 2>/dev/null | sed -n '/^per layer/,$p'
done
echo "bench-infer: done"
}
main 2>&1 | tee "$W/results.txt"
grep -q '^bench-infer: done$' "$W/results.txt" || { echo "bench-infer: failed (see above)" >&2; exit 1; }
