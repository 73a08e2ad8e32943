#!/bin/sh
# Every `classifier` validation command runs on a small test list, and weights that make the
# network's output NaN or infinite are an error naming the weights file:
#  - valid, valid10, validcrop, validfull, validmulti and predict exit 0 and print their results
#    (patch 0407/0408: validcrop divided by 0 below 1000 images; validfull freed an image twice when
#    it already had the network's size);
#  - validmulti on a 300 x 1 image (patch 0415: the image kept 0 rows);
#  - validmulti on a cfg with a layer that cannot change its input size exits 1 naming the layer;
#    validfull on the same cfg, whose sizes do not change, works (patch 0509; upstream: an
#    assertion either way);
#  - a weights file whose last layer's bias is 3e38 (finite, so it loads) makes the output
#    non-finite: valid and predict exit 1 naming the weights file (patch 0508; upstream printed
#    "-nan%" or an accuracy from NaN ranks);
#  - a negative rolling variance in a weights file is a load error naming the file and the layer.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
mkdir -p "$WORK"
"$VB/tools/genimages" "$WORK/set" 2 1 16 5 >/dev/null
data="$WORK/set/set.data"
img="$WORK/set/imgs/test_vbars_0000.ppm"
fail() { echo "FAIL t_classifier_cmds: $*"; tail -n 3 "$WORK/out"; exit 1; }
sed 's/^batch=.*/batch=4/; s/^max_batches=.*/max_batches=2/' tests/e2e-ttq.cfg >"$WORK/t.cfg"
"$DARKNET" classifier train "$data" "$WORK/t.cfg" >"$WORK/out" 2>&1 || fail "training t.cfg"
w="$WORK/set/backup/t.weights"

for c in valid valid10 validcrop validfull validmulti; do
    set +e
    timeout 120 "$DARKNET" classifier "$c" "$data" "$WORK/t.cfg" "$w" >"$WORK/out" 2>&1; rc=$?
    set -e
    [ "$rc" -eq 0 ] || fail "classifier $c exited $rc"
    grep -q "top 1: " "$WORK/out" || fail "classifier $c printed no accuracy"
done
"$DARKNET" classifier predict "$data" "$WORK/t.cfg" "$w" "$img" >"$WORK/out" 2>&1 || fail "predict exited $?"
grep -q '^100.00%\|^ *[0-9][0-9.]*%: ' "$WORK/out" || fail "predict printed no prediction"

# validmulti scales the long side to 224..320: a 300 x 1 image kept 0 rows (patch 0415; upstream
# averaged over 0 pixels, NaN).
printf 'P6\n300 1\n255\n' >"$WORK/flat_vbars.ppm"
# 900 bytes of pixels: the 16 x 16 image's 768 twice over, cut to 900 (head -c 900 of the image itself
# gave its 781 bytes, header included: a file cut short, which loads no more since patch 0515)
{ tail -c 768 "$img"; tail -c 768 "$img"; } | head -c 900 >>"$WORK/flat_vbars.ppm"
echo "$WORK/flat_vbars.ppm" >"$WORK/flat.list"
sed "s|^valid=.*|valid=$WORK/flat.list|" "$data" >"$WORK/flat.data"
"$DARKNET" classifier validmulti "$WORK/flat.data" "$WORK/t.cfg" "$w" >"$WORK/out" 2>&1 ||
    fail "validmulti on a 300 x 1 image exited $?"
grep -q "top 1: " "$WORK/out" || fail "validmulti on a 300 x 1 image printed no accuracy"

# A standalone [batchnorm] before the [avgpool] cannot be resized.
awk '{print} /^activation=leaky$/ && !done {print ""; print "[batchnorm]"; done=1}' "$WORK/t.cfg" >"$WORK/b.cfg"
"$DARKNET" classifier train "$data" "$WORK/b.cfg" >"$WORK/out" 2>&1 || fail "training b.cfg"
set +e
"$DARKNET" classifier validmulti "$data" "$WORK/b.cfg" "$WORK/set/backup/b.weights" >"$WORK/out" 2>&1; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "validmulti with a [batchnorm] layer exited $rc, expected 1"
grep -q "layer 1 (batchnorm) cannot take another input size" "$WORK/out" || fail "validmulti: message lacks the layer"
"$DARKNET" classifier validfull "$data" "$WORK/b.cfg" "$WORK/set/backup/b.weights" >"$WORK/out" 2>&1 ||
    fail "validfull with a [batchnorm] layer at the cfg's size exited $?"

# Overwrite 4 bytes of a copy of the weights at a byte offset.
poke() {  # out offset octal-bytes
    cp "$w" "$1"
    printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
size=$(wc -c <"$w")
# The last record is the 1x1 [convolutional]: 3 biases, then 3x16 weights.
poke "$WORK/big.weights" $((size - 204)) '\346\261\141\177'      # bias 0 = 3e38
for c in valid predict; do
    set +e
    if [ "$c" = predict ]; then
        "$DARKNET" classifier predict "$data" "$WORK/t.cfg" "$WORK/big.weights" "$img" >"$WORK/out" 2>&1; rc=$?
    else
        "$DARKNET" classifier valid "$data" "$WORK/t.cfg" "$WORK/big.weights" >"$WORK/out" 2>&1; rc=$?
    fi
    set -e
    [ "$rc" -eq 1 ] || fail "$c with weights giving a non-finite output exited $rc, expected 1"
    grep -q "$WORK/big.weights: the network's output for .* is \(NaN\|infinite\)" "$WORK/out" ||
        fail "$c: message lacks the weights file"
done

# Layer 0's rolling variance starts after the header (20 bytes) and 3 x 8 floats.
poke "$WORK/var.weights" $((20 + 24*4 + 4)) '\000\000\200\277'   # filter 1: -1.0
set +e
"$DARKNET" classifier valid "$data" "$WORK/t.cfg" "$WORK/var.weights" >"$WORK/out" 2>&1; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "a negative rolling variance was accepted (exit $rc)"
grep -q "$WORK/var.weights: layer 0 (convolutional): corrupt record: negative rolling variance (filter 1" "$WORK/out" ||
    fail "negative variance: message lacks file, layer or filter"
exit 0
