#!/bin/sh
# `darknet ternary onnx` (issue 28; src/onnx/onnx_export.c) against Darknet, in ONNX Runtime 1.30
# (onnxruntime-node from the npm registry, run by node: tests/onnx/run.js) and OpenCV's DNN module:
#  - every export passes onnx.checker (full check; Debian's python3-onnx);
#  - float: a briefly trained [ternary] classifier (batch 1 and -batch 2), the shipped
#    ttq-resnet20, ttq-resnet8-fmnist (the demo's) with per_filter=1 too, ttq-yolo-fmnist (the demo
#    detector; each [yolo] head a graph output), and Darknet's own yolov3-tiny and darknet19
#    cfgs, random weights (netout randw) where not trained: the tensors `netout run` prints (the
#    input of each [yolo] head, the logits before a softmax) equal ONNX Runtime's within 1e-4 of the
#    tensor's largest magnitude (tests/onnx/check.py), and OpenCV's (readNetFromONNX) too;
#  - int8 (QDQ): the classifier packed with -calib: ONNX Runtime's logits equal the integer path's
#    (`netout run` on the packed file) within 1e-3 of the largest, on 8 inputs, with the same top-1;
#    ResNet-8 (random weights at the fan-in scale, calibrated on generated images), whose blocks'
#    first layers hand their outputs on quantised (3 of 6), within 1e-3 on 3 inputs;
#    -int8 -calib on the latent weights gives the same model as the packed file's scales;
#  - odd sizes (13 x 13 through [maxpool] 3/2, 2/2 and 2/1, whose padding Darknet splits its own
#    way) equal Darknet's;
#  - bad input: an activation without an ONNX operator (ramp) and a [local] layer are one error
#    naming the cfg section, -int8 without scales or -calib, a missing output folder, the output
#    equal to an input, a weights file and a packed file of another cfg: exit 1, nothing written.
# Skipped (77), saying why, where the build has no ONNX export or node, the npm package, or
# python3-onnx is missing; .ci/run installs them all.
set -eu
: "${WORK:?}" "${VB:?}" "${DARKNET:?}"
top=$(pwd)
tests="$top/tests"
tools="$(cd "$VB" && pwd)/tools"
dn="$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")"
fail() { echo "FAIL t_onnx: $*"; exit 1; }
skip() { echo "t_onnx: skipped: $*"; exit 77; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3
command -v node >/dev/null 2>&1 || skip "no node (Debian: nodejs)"
ortdir="${TTQ_ORT_NODE_PATH:-$top/build/npm/node_modules}"
[ -f "$ortdir/onnxruntime-node/package.json" ] || skip "no onnxruntime-node in $ortdir (make onnxruntime)"
"$py" -c 'import onnx, numpy' 2>/dev/null || skip "no python3-onnx and python3-numpy"
export NODE_PATH="$ortdir"
case "$VB" in *-local) STOCK=build/stock-local;; *) STOCK=build/stock;; esac
ocv=
[ -x "$top/$STOCK/tools/netout_opencv" ] && ocv="$top/$STOCK/tools/netout_opencv"
mkdir -p "$WORK"
cd "$WORK"
if "$dn" ternary onnx "$tests/e2e-ttq.cfg" none.weights x.onnx 2>&1 | grep -q "this build has no ONNX export"; then
    skip "this build has no ONNX export (protobuf-c or onnx.proto missing at build time)"
fi

# check NAME CFG WEIGHTS SEED TOL [ONNX-OPTIONS]: export, netout, ONNX Runtime (and OpenCV, float);
# sets name, ccfg, cw, seed, tol, tensors
check() {
    name=$1 ccfg=$2 cw=$3 seed=$4 tol=$5
    shift 5
    "$dn" ternary onnx "$ccfg" "$cw" "$name.onnx" "$@" >"$name.log" 2>&1 || { tail -n 3 "$name.log"; fail "$name: export failed"; }
    grep -q "^wrote $name.onnx: ONNX opset 13" "$name.log" || { tail -n 3 "$name.log"; fail "$name: no line saying what was written"; }
    "$tools/netout" run "$ccfg" "$cw" "$seed" >"$name.darknet" 2>/dev/null || fail "$name: netout run failed"
    "$tools/netout" heads "$ccfg" "$cw" "$seed" >"$name.heads" 2>/dev/null || fail "$name: netout heads failed"
    heads="$name.heads"
    [ -s "$heads" ] || heads=
    mkdir -p "w-$name"
    "$py" "$tests/onnx/check.py" "$name.onnx" "$name.darknet" "$seed" "w-$name" 1 "$tol" $heads >"$name.check" 2>&1 ||
        { cat "$name.check"; fail "$name: ONNX Runtime differs from Darknet"; }
    case " $* " in *" -int8 "*) return 0;; esac
    [ -n "$ocv" ] || return 0
    tensors=$(awk '$1 !~ /^(yolo|softmax)_/ { print $1 }' "$name.check")
    # shellcheck disable=SC2086
    "$ocv" onnx "$name.onnx" "$ccfg" "$seed" $tensors >"$name.opencv" 2>"$name.opencv.err" ||
        { cat "$name.opencv.err"; fail "$name: OpenCV could not run the export"; }
    paste "$name.opencv" "$name.darknet" | awk -v tol="$tol" -v n="$name" '
        { d = $1 - $2; if(d < 0) d = -d; if(d > md) md = d; a = $2 < 0 ? -$2 : $2; if(a > big) big = a; ++k }
        END { if(k == 0 || md > tol*big) { printf "FAIL t_onnx: %s: OpenCV differs from Darknet by %g (largest %g, %d values)\n", n, md, big, k; exit 1 } }' ||
        exit 1
    [ "$(wc -l <"$name.opencv")" -eq "$(wc -l <"$name.darknet")" ] || fail "$name: OpenCV printed $(wc -l <"$name.opencv") values, Darknet $(wc -l <"$name.darknet")"
}
batch1() { sed 's/^batch=.*/batch=1/; s/^subdivisions=.*/subdivisions=1/' "$1"; }

# ---- float ------------------------------------------------------------------------------------------
"$tools/genimages" set 4 2 16 5 >/dev/null
sed 's/^batch=.*/batch=8/; s/^max_batches=.*/max_batches=20/' "$tests/e2e-ttq.cfg" >t.cfg
"$dn" classifier train set/set.data t.cfg -seed 1 >train.log 2>&1 || { tail -n 5 train.log; fail "training the classifier failed"; }
w=set/backup/t.weights
check t t.cfg $w 7 1e-4
grep -q '^softmax_5 3 ' t.check || fail "the softmax output was not compared"
awk '{ print } /^\[softmax\]$/ { print "temperature=10" }' t.cfg >temp.cfg
check temp temp.cfg $w 7 1e-4
grep -q '^softmax_5 ' temp.check || fail "temperature=10: the softmax output was not compared"
check t-b2 t.cfg $w 7 1e-4 -batch 2
"$py" -c 'import onnx, sys; d = onnx.load(sys.argv[1]).graph.input[0].type.tensor_type.shape.dim; sys.exit(d[0].dim_value != 2)' t-b2.onnx ||
    fail "-batch 2: the input's first dimension is not 2"
for c in ttq-resnet20 ttq-resnet8-fmnist ttq-resnet8-fmnist-perfilter ttq-yolo-fmnist; do
    batch1 "$top/cfg/$c.cfg" >"$c.cfg"
    "$tools/netout" randw "$c.cfg" "$c.w" 3 >/dev/null 2>&1 || fail "netout randw $c failed"
    check "$c" "$c.cfg" "$c.w" 5 1e-4
done
for c in yolov3-tiny darknet19; do
    batch1 "$top/$VB/darknet/cfg/$c.cfg" >"$c.cfg"
    "$tools/netout" randw "$c.cfg" "$c.w" 3 >/dev/null 2>&1 || fail "netout randw $c failed"
    check "$c" "$c.cfg" "$c.w" 5 1e-4
done
# odd sizes, where Darknet's pooling padding and ONNX's default differ: 13 x 13 through [maxpool]
# size 3 stride 2 (pads 1 before, 1 after), size 2 stride 2 (0 before, 1 after) and size 2 stride 1
printf '[net]\nbatch=1\nwidth=13\nheight=13\nchannels=3\n\n[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n\n[maxpool]\nsize=3\nstride=2\n\n[ternary]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=relu\n\n[maxpool]\nsize=2\nstride=2\n\n[maxpool]\nsize=2\nstride=1\n\n[convolutional]\nfilters=4\nsize=1\nstride=1\nactivation=linear\n\n[avgpool]\n\n[softmax]\n' >odd.cfg
"$tools/netout" randw odd.cfg odd.w 6 fanin >/dev/null 2>&1 || fail "netout randw odd.cfg failed"
check odd odd.cfg odd.w 5 1e-4
for c in ttq-yolo-fmnist yolov3-tiny; do
    [ "$(grep -c '^yolo_' $c.check)" -eq "$(grep -c '^\[yolo\]' $c.cfg)" ] || fail "$c: not every [yolo] output was compared"
    "$py" - $c.onnx "$(grep -c '^\[yolo\]' $c.cfg)" <<'EOF' || fail "$c: the graph's outputs are not its [yolo] heads"
import onnx, sys
outs = [o.name for o in onnx.load(sys.argv[1]).graph.output]
sys.exit(not (len(outs) == int(sys.argv[2]) and all(o.startswith("yolo_") for o in outs)))
EOF
done

# ---- int8 (QDQ) -----------------------------------------------------------------------------------------
"$dn" ternary pack t.cfg $w p.weights -calib set/set.data -n 16 >pack.log 2>&1 || { tail -n 3 pack.log; fail "ternary pack -calib failed"; }
# the whole network on integers (the packed file's integer graph, int_graph.h): ONNX Runtime runs the
# same codes, but requantises an int32 sum with the bias rounded to int32 (Darknet adds it in float),
# so a value on a rounding tie now and then lands one code away, which the layers after carry on:
# within 5e-3 of the largest output, and the same top-1
for seed in 1 2 3 4 5 6 7 8; do
    check "q$seed" t.cfg p.weights $seed 5e-3 -int8
    "$py" - "q$seed.darknet" "w-q$seed/out" <<'EOF' || fail "int8, input $seed: ONNX Runtime's top-1 is not the integer path's"
import numpy as np, os, sys
ref = np.array([float(v) for v in open(sys.argv[1]).read().split()])
got = np.fromfile(os.path.join(sys.argv[2], "avgpool_4.f32"), dtype="<f4")
sys.exit(int(np.argmax(ref)) != int(np.argmax(got)))
EOF
done
# all-integer QDQ: every Conv and Add reads DequantizeLinear outputs only (ONNX Runtime's QLinearConv
# and QLinearAdd); the input and the outputs of layers 0-3 coded (5 QuantizeLinear); all 4
# convolutions with int8 weights
cat >allq.py <<'EOF'
import onnx, sys
m = onnx.load(sys.argv[1])
dq = {o for n in m.graph.node if n.op_type == "DequantizeLinear" for o in n.output}
bad = [n.name for n in m.graph.node if n.op_type in ("Conv", "Add") and not all(i in dq for i in n.input)]
ops = [n.op_type for n in m.graph.node]
i8 = [t for t in m.graph.initializer if t.data_type == onnx.TensorProto.INT8 and len(t.dims) == 4]
want_q, want_w, want_add = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ok = not bad and ops.count("QuantizeLinear") == want_q and len(i8) == want_w and ops.count("Add") == want_add
if not ok:
    print("float inputs:", bad, "QuantizeLinear", ops.count("QuantizeLinear"), "int8 weights", len(i8), "Add", ops.count("Add"))
sys.exit(not ok)
EOF
"$py" allq.py q1.onnx 5 4 0 || fail "the int8 export has not the all-integer QDQ form"
# ResNet-8 (relu, shortcuts): each block's first [ternary] layer hands its output on quantised at the
# next layer's scale (DequantizeLinear -> Conv -> Relu -> QuantizeLinear: ONNX Runtime's QLinearConv)
"$tools/genimages" cal32 12 1 32 11 >/dev/null
"$tools/netout" randw ttq-resnet8-fmnist.cfg r8f.w 4 fanin >/dev/null 2>&1 || fail "netout randw ... fanin failed"
"$dn" ternary pack ttq-resnet8-fmnist.cfg r8f.w r8p.weights -calib cal32/set.data -n 12 >pack8.log 2>&1 || { tail -n 3 pack8.log; fail "ternary pack -calib of ResNet-8 failed"; }
for seed in 1 2 3; do
    check "r8q$seed" ttq-resnet8-fmnist.cfg r8p.weights $seed 5e-3 -int8
done
# ResNet-8: its 7 convolutions and 3 shortcuts read codes only; 11 coded tensors (the input and each
# layer before the [avgpool])
"$py" allq.py r8q1.onnx 11 7 3 || fail "ResNet-8 int8: not the all-integer QDQ form"
# a file packed before the integer graph (its record cut off): each [ternary] layer's input coded,
# the hand-over between two [ternary] layers, the rest float, as before
head -c $(($(wc -c <r8p.weights) - 12 - 8*($(grep -c '^\[' ttq-resnet8-fmnist.cfg)))) r8p.weights >r8old.weights
check r8old ttq-resnet8-fmnist.cfg r8old.weights 1 1e-3 -int8
"$py" - r8old.onnx <<'EOF' || fail "ResNet-8 int8 without the graph: no [ternary] layer hands its output on quantised"
import onnx, sys
m = onnx.load(sys.argv[1])
names = [t.name for t in m.graph.initializer]
sys.exit(not (sum(n.endswith("_y_scale") for n in names) == 3 and sum(n.endswith("_x_scale") for n in names) == 3))
EOF
"$dn" ternary onnx t.cfg $w qc.onnx -int8 -calib set/set.data -n 16 >qc.log 2>&1 || { tail -n 3 qc.log; fail "-int8 -calib failed"; }
"$py" - qc.onnx q1.onnx <<'EOF' || fail "-int8 -calib on the latent weights differs from the packed file's export"
import onnx, sys
a, b = onnx.load(sys.argv[1]), onnx.load(sys.argv[2])
ta = {t.name: t.raw_data for t in a.graph.initializer}
tb = {t.name: t.raw_data for t in b.graph.initializer}
sys.exit(ta != tb)
EOF

# ---- bad input ---------------------------------------------------------------------------------------------
refused() {  # needle output command...: exit 1, the needle, the output not written
    needle=$1 out=$2
    shift 2
    set +e
    "$@" >bad.log 2>&1
    r=$?
    set -e
    [ "$r" = 1 ] || { tail -n 3 bad.log; fail "$*: exit $r, expected 1"; }
    grep -q -- "$needle" bad.log || { tail -n 3 bad.log; fail "$*: the message lacks '$needle'"; }
    [ ! -e "$out" ] || fail "$*: $out was written"
    ls | grep -q '\.tmp\.' && fail "$*: a temporary was left: $(ls | grep '\.tmp\.')"
    return 0
}
sed 's/^activation=leaky$/activation=ramp/' t.cfg >ramp.cfg
refused "ramp.cfg: layer 0 (convolutional): has no ONNX equivalent here (activation=ramp): nothing written" r.onnx \
    "$dn" ternary onnx ramp.cfg $w r.onnx
printf '[net]\nwidth=8\nheight=8\nchannels=3\n\n[local]\nfilters=2\nsize=3\nstride=1\npad=1\nactivation=linear\n' >local.cfg
"$tools/netout" randw local.cfg local.w 1 >/dev/null 2>&1 || fail "netout randw local.cfg failed"
refused "local.cfg: layer 0 (local): has no ONNX equivalent here" l.onnx "$dn" ternary onnx local.cfg local.w l.onnx
refused "-int8: no \[ternary\] layer has an activation scale" n.onnx "$dn" ternary onnx t.cfg $w n.onnx -int8
refused "no-such-folder/o.onnx: cannot create it" no-such-folder/o.onnx "$dn" ternary onnx t.cfg $w no-such-folder/o.onnx
cp t.cfg t.cfg.before
refused "is the input" nothing "$dn" ternary onnx t.cfg $w t.cfg
cmp -s t.cfg t.cfg.before || fail "the refused export changed its input t.cfg"
refused "set/backup/t.weights: layer 0 (convolutional): corrupt record" o.onnx "$dn" ternary onnx ttq-resnet20.cfg $w o.onnx
refused "-calib without -int8" o.onnx "$dn" ternary onnx t.cfg $w o.onnx -calib set/set.data
refused "r8p.weights: layer 1 (ternary)" o.onnx "$dn" ternary onnx t.cfg r8p.weights o.onnx -int8   # a packed file of another cfg
exit 0
