#!/bin/sh
# python/darknet.py (patch 0606) under Python 3, on networks with [ternary] layers packed by
# `ternary pack -calib` (the integer path, in Python as in the commands), against what the darknet
# commands print for the same files:
#  - classify(): a tiny classifier trained 40 steps, with a softmax temperature of 10 so that the
#    probabilities are not all 0 or 1; on each of 6 test images, classify()'s list printed as
#    `classifier predict -t 3` prints (%5.2f of the percentage, then the name) is its output line
#    for line: the same classes in the same order, each probability within the 5e-5 of that
#    rounding. Both letterbox the image to the network's size (network_predict_image; predict).
#  - detect(): a tiny YOLO with random weights (netout randw) on a generated scene: the class
#    names and percentages equal those `detector test -thresh 0.2` prints, and every box and
#    probability is one that `detector valid` writes (its corners to 1e-5 pixel, its probability
#    to 1e-6), none that valid writes above 0.2 missing. detect() suppresses overlaps with
#    do_nms_obj (any class), test and valid with do_nms_sort (per class); on this scene both
#    remove the same boxes.
#  - the library: found beside python/ (the tree's libdarknet.so) with DARKNET_LIB unset, and from
#    DARKNET_LIB for a copy of the module elsewhere; a DARKNET_LIB that cannot be loaded is one
#    ImportError naming it; paths given as str or bytes; names returned as str;
#  - errors raise DarknetError (a RuntimeError) with Darknet's message, in one interpreter that goes
#    on (finally runs; classify afterwards gives what it gave before): a missing cfg, weights, .data
#    or image, another network's weights, a .data whose classes do not fit the network (classify;
#    detect with classes=40 on a 10-class YOLO, which wrote past a heap buffer before), metadata
#    built by hand with the wrong classes; under the ASan build without a report (patch 0609);
#  - two threads classifying 150 times each with one network get the single-thread result every
#    time (the network's lock).
# The sanitizer build's library needs libasan loaded before the interpreter's libraries: it is
# preloaded (LD_PRELOAD) for the build variants named asan*.
set -eu
: "${WORK:?}" "${VB:?}" "${DARKNET:?}"
if [ -x /usr/bin/python3 ]; then
    py=/usr/bin/python3
elif command -v python3 >/dev/null 2>&1; then
    py=$(command -v python3)
else
    echo "no python3 (neither /usr/bin/python3 nor python3 on PATH)"
    exit 77
fi
tests="$(cd "$(dirname "$0")" && pwd)"
tree="$(cd "$VB/darknet" && pwd)"
tools="$(cd "$VB" && pwd)/tools"
dn="$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")"
mkdir -p "$WORK"
cd "$WORK"
fail() { echo "FAIL t_python: $*"; exit 1; }
unset DARKNET_LIB
asan=
case "$(basename "$VB")" in
    asan*) asan=$(ldd "$tree/libdarknet.so" | awk '/libasan/ { print $3 }')
           [ -n "$asan" ] || fail "the sanitizer build's libdarknet.so names no libasan";;
esac
py_run() {  # NAME=VALUE... "$py" -B ARGS: env, with libasan first for the sanitizer build (-B: no __pycache__ in Darknet's tree)
    if [ -n "$asan" ]; then   # the interpreter's own blocks, never freed at exit, are not reported
        env LD_PRELOAD="$asan" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@"
    else
        env "$@"
    fi
}

# The comparisons; "check.py FUNCTION ARGS" calls darknet.FUNCTION, numbers as ints.
cat >check.py <<'EOF'
import os, sys
from ctypes import c_float
import darknet as dn

def fail(msg):
    print("FAIL t_python: " + msg)
    sys.exit(1)

def classify(data, cfg, weights, pairs):
    if dn.lib._name != os.path.join(os.environ["TREE"], "libdarknet.so"):
        fail("loaded %s, not the tree's libdarknet.so" % dn.lib._name)
    net = dn.load_net(cfg, weights, 0)
    meta = dn.load_meta(data)
    for img, printed in zip(pairs[::2], pairs[1::2]):
        im = dn.load_image(img, 0, 0)
        r = dn.classify(net, meta, im)
        dn.free_image(im)
        c = open(printed).read().splitlines()
        if ["%5.2f%%: %s" % (c_float(p*100).value, name) for name, p in r] != c:
            fail("%s: classify %s, predict %s" % (img, r, c))
        if not all(isinstance(name, str) for name, p in r):
            fail("names %r are not str" % r)

def detect(data, cfg, weights, img, thresh, printed, results):
    net = dn.load_net(os.fsencode(cfg), os.fsencode(weights), 0)
    meta = dn.load_meta(os.fsencode(data))
    r = dn.detect(net, meta, img, thresh=thresh)
    if not r:
        fail("detect found nothing above %g" % thresh)
    c = sorted(line for line in open(printed).read().splitlines() if line.endswith("%"))
    py = sorted("%s: %.0f%%" % (name, c_float(p*100).value) for name, p, b in r)
    if py != c:
        fail("detect printed as detector test does:\n%s\ndetector test:\n%s" % (py, c))
    im = dn.load_image(img, 0, 0)
    w, h = im.w, im.h
    dn.free_image(im)
    valid = []
    for name in os.listdir(results):
        for line in open(os.path.join(results, name)):
            f = line.split()
            valid.append([name[len("comp4_det_test_"):-len(".txt")]] + [float(v) for v in f[1:]])
    for name, p, (x, y, bw, bh) in r:
        if not isinstance(name, str):
            fail("name %r is not a str" % name)
        corners = [max(c_float(x - bw/2. + 1).value, 1), max(c_float(y - bh/2. + 1).value, 1),
                   min(c_float(x + bw/2. + 1).value, w), min(c_float(y + bh/2. + 1).value, h)]
        for v in valid:
            if v[0] == name and abs(v[1] - p) <= 1e-6 and max(abs(a - b) for a, b in zip(v[2:], corners)) <= 1e-5:
                valid.remove(v)
                break
        else:
            fail("detect's %r (corners %s) is not among detector valid's boxes" % ((name, p), corners))
    left = [v for v in valid if v[1] > thresh + 1e-6]
    if left:
        fail("detector valid has boxes above %g that detect lacks: %s" % (thresh, left))
    print("%d detections equal" % len(r))

def raises(needles, fn, *args):
    # fn(*args) raises DarknetError whose message holds each needle; the interpreter goes on
    done = []
    try:
        try:
            fn(*args)
        finally:
            done.append(1)
    except dn.DarknetError as e:
        for n in needles:
            if n not in str(e):
                fail("%s%r: the message %r lacks %r" % (fn.__name__, args, str(e), n))
        if not isinstance(e, RuntimeError):
            fail("DarknetError is not a RuntimeError")
    else:
        fail("%s%r: no DarknetError" % (fn.__name__, args))
    if not done:
        fail("%s%r: finally did not run" % (fn.__name__, args))

def errors(cdata, ccfg, cweights, img, ddata, dcfg, dweights, dimg, bad40, bad40names):
    # every error the module can meet raises, in one interpreter, which then still classifies
    net = dn.load_net(ccfg, cweights, 0)
    meta = dn.load_meta(cdata)
    im = dn.load_image(img, 0, 0)
    before = dn.classify(net, meta, im)
    raises(["Couldn't open file: no-such.cfg"], dn.load_net, "no-such.cfg", cweights, 0)
    raises(["Couldn't open file: no-such.weights"], dn.load_net, ccfg, "no-such.weights", 0)
    raises([dweights], dn.load_net, ccfg, dweights, 0)                 # another network's weights
    raises(["Couldn't open file: no-such.data"], dn.load_meta, "no-such.data")
    raises(['Cannot load image "no-such.png"'], dn.load_image, "no-such.png", 0, 0)
    raises(["classes"], dn.classify, net, dn.load_meta(ddata), im)
    wrong = dn.METADATA()
    wrong.classes = 40
    wrong.names = meta.names
    raises(["classify: the metadata has classes = 40"], dn.classify, net, wrong, im)
    dnet = dn.load_net(dcfg, dweights, 0)
    raises([bad40, "classes"], dn.detect, dnet, dn.load_meta(bad40), dimg)
    raises([bad40names, "has 10 lines, classes = 40"], dn.load_meta, bad40names)
    raises(['Cannot load image "no-such.png"'], dn.detect, dnet, dn.load_meta(ddata), "no-such.png")
    if dn.classify(net, meta, im) != before:
        fail("classify after the errors differs from before them")
    # two threads on one network: the network's lock keeps each call whole
    import threading
    bad = []
    def run():
        for i in range(150):
            if dn.classify(net, meta, im) != before:
                bad.append(i)
    ts = [threading.Thread(target=run) for i in range(2)]
    for t in ts: t.start()
    for t in ts: t.join()
    if bad:
        fail("two threads classifying with one network: %d of 300 results differ" % len(bad))
    dn.free_image(im)
    print("errors raised; the interpreter went on")

if sys.argv[1] == "classify":
    classify(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
elif sys.argv[1] == "errors":
    errors(*sys.argv[2:])
elif sys.argv[1] == "detect":
    detect(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6]), sys.argv[7], sys.argv[8])
else:
    getattr(dn, sys.argv[1])(*[int(a) if a.isdigit() else a for a in sys.argv[2:]])
EOF

# ---- classify ------------------------------------------------------------------------------------
"$tools/genimages" set 4 2 16 5 >/dev/null
sed 's/^batch=.*/batch=16/; s/^max_batches=.*/max_batches=40/' "$tests/e2e-ttq.cfg" >t.cfg
"$dn" classifier train set/set.data t.cfg -seed 1 >log 2>&1 || { tail -n 5 log; fail "classifier training failed"; }
awk '{ print } /^\[softmax\]$/ { print "temperature=10" }' t.cfg >c.cfg
# packed with activation scales: Python and the commands both run the [ternary] layers on the
# integer path (ternary_int8.h), which each says
"$dn" ternary pack c.cfg set/backup/t.weights packed.weights -calib set/set.data -n 8 >log 2>&1 || { tail -n 5 log; fail "ternary pack (classifier) failed"; }
set --
for img in set/imgs/test_*.ppm; do
    "$dn" classifier predict set/set.data c.cfg packed.weights "$img" -t 3 >"$img.txt" 2>log ||
        { tail -n 5 log; fail "classifier predict $img failed"; }
    set -- "$@" "$img" "$img.txt"
done
[ $# -eq 12 ] || fail "expected 6 test images, got $(($# / 2))"
py_run PYTHONPATH="$tree/python" TREE="$tree" "$py" -B check.py classify set/set.data c.cfg packed.weights "$@" >out 2>&1 ||
    { cat out; fail "classify differs from classifier predict"; }
grep -Eq "run on the integer path|the network runs on integers" out || { cat out; fail "classify did not run the integer path"; }
grep -Eq "run on the integer path|the network runs on integers" log || { cat log; fail "classifier predict did not run the integer path"; }

# ---- detect --------------------------------------------------------------------------------------
. "$tests/idx.sh"
mkdir -p fm
idx_images fm/train-images-idx3-ubyte 10
idx_cycle fm/train-labels-idx1-ubyte 10
idx_images fm/t10k-images-idx3-ubyte 10
idx_cycle fm/t10k-labels-idx1-ubyte 10
"$tools/convert" fashion-mnist-det fm det 4 4 >log 2>&1 || { cat log; fail "conversion failed"; }
# the tiny YOLO of t_detector (tests/tinyyolo.sh) with [ternary] inner layers, at batch 1 (the
# module's load_net keeps the cfg's batch)
. "$tests/tinyyolo.sh"
tiny_yolo_cfg ternary 1 | sed 's/^batch=8$/batch=1/' >d.cfg
grep -q '^batch=1$' d.cfg || fail "d.cfg: no batch=1"
"$tools/netout" randw d.cfg random.weights 1 >log 2>&1 || { tail -n 5 log; fail "netout randw failed"; }
"$dn" ternary pack d.cfg random.weights det.weights -calib det/fashion-mnist-det.data -n 4 >log 2>&1 || { tail -n 5 log; fail "ternary pack (detector) failed"; }
img=det/images/test/000001.png
"$dn" detector test det/fashion-mnist-det.data d.cfg det.weights $img -thresh 0.2 >test.out 2>log ||
    { tail -n 5 log; fail "detector test failed"; }
echo $img >one.list
mkdir -p results
sed -e 's#^valid=.*#valid=one.list#' -e 's#^results=.*#results=results#' det/fashion-mnist-det.data >one.data
"$dn" detector valid one.data d.cfg det.weights >/dev/null 2>log || { tail -n 5 log; fail "detector valid failed"; }
# the module copied out of the tree finds the library through DARKNET_LIB
mkdir -p mod
cp "$tree/python/darknet.py" mod/
py_run DARKNET_LIB="$tree/libdarknet.so" PYTHONPATH=mod "$py" -B check.py detect det/fashion-mnist-det.data d.cfg det.weights \
    $img 0.2 test.out results >out 2>&1 || { cat out; fail "detect differs from detector test/valid"; }
grep -Eq "run on the integer path|the network runs on integers" out || { cat out; fail "detect did not run the integer path"; }

# ---- errors --------------------------------------------------------------------------------------
if py_run DARKNET_LIB="$WORK/no-such-lib.so" PYTHONPATH=mod "$py" -B -c 'import darknet' >out 2>&1; then fail "imported without a library"; fi
grep -q "^ImportError: darknet.py: cannot load libdarknet.so (DARKNET_LIB=$WORK/no-such-lib.so): " out ||
    { cat out; fail "no ImportError naming DARKNET_LIB"; }
seq 40 | sed 's/^/c/' >names40.txt
sed "s/^classes=.*/classes=40/; s#^names=.*#names=$PWD/names40.txt#" det/fashion-mnist-det.data >bad40.data
sed 's/^classes=.*/classes=40/' det/fashion-mnist-det.data >bad40names.data
py_run PYTHONPATH="$tree/python" "$py" -B check.py errors set/set.data c.cfg packed.weights "$(ls set/imgs/test_*.ppm | head -n 1)" \
    det/fashion-mnist-det.data d.cfg det.weights $img bad40.data bad40names.data >out 2>&1 || { cat out; fail "the errors from Python"; }
grep -q "errors raised; the interpreter went on" out || { cat out; fail "the error checks did not finish"; }
if grep -q "Sanitizer\|runtime error" out; then cat out; fail "a sanitizer report"; fi
exit 0
