#!/bin/sh
# `darknet ternary fold` end to end, and stock Darknet running what it writes:
#  - a [ternary] net trained by `classifier train`, folded: stock Darknet (Debian's source, no
#    patch of ours, built by `make test-programs` under build/stock) validates the folded pair
#    with the same per-image probabilities (within 1e-3: see below) and the same top-1 and top-2
#    (within one image) as our build on the [ternary] pair, and `predict` names the same class;
#  - random weights in ResNet-20 (`cfg/ttq-resnet20.cfg`: strided shortcuts), the end-to-end cfg and
#    upstream yolov3-tiny with every other convolution [ternary] (routes, upsample, two [yolo]
#    heads): our build gives bit-identical outputs for the [ternary] and the folded pair, and stock
#    Darknet's outputs on the folded pair are within 1e-4 of the largest (tests/netout.c: the layer
#    before each head, or the logits); packed by `ternary pack`, their outputs are bit-identical;
#  - the command's errors: wrong arguments, outputs that are the inputs, exit 1 and nothing written.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
case "$VB" in *-local) STOCK=build/stock-local;; *) STOCK=build/stock;; esac
mkdir -p "$WORK"
fail() { echo "FAIL t_fold: $*"; exit 1; }
[ -x "$STOCK/darknet/darknet" ] && [ -x "$STOCK/tools/netout" ] && [ -x "$VB/tools/netout" ] ||
    fail "stock Darknet or netout not built ($STOCK, $VB/tools): run make test-programs"

# the largest difference between two output files, relative to max(1, the largest |value|), at
# most TOL (default 1e-4)
close() {  # a b what [TOL]
    [ -s "$1" ] && [ "$(wc -l < "$1")" -eq "$(wc -l < "$2")" ] || fail "$3: output sizes differ"
    paste "$1" "$2" | awk -v what="$3" -v tol="${4:-1e-4}" '
        { d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d; a = $1 < 0 ? -$1 : $1; if (a > M) M = a }
        END { if (M < 1) M = 1; if (!(m <= tol*M)) { printf "FAIL t_fold: %s: max difference %g, largest value %g\n", what, m, M; exit 1 } }'
}

# --- a trained [ternary] net, folded, validated by stock Darknet ---------------------------------
"$VB/tools/genimages" "$WORK/set" 20 10 16 3 >/dev/null
data="$WORK/set/set.data"
sed 's/^max_batches=.*/max_batches=60/' tests/e2e-ttq.cfg >"$WORK/t.cfg"
"$DARKNET" classifier train "$data" "$WORK/t.cfg" >"$WORK/train.log" 2>&1 || fail "training: $(tail -n 3 "$WORK/train.log")"
w="$WORK/set/backup/t.weights"
"$DARKNET" ternary fold "$WORK/t.cfg" "$w" "$WORK/f.cfg" "$WORK/f.weights" >"$WORK/fold.log" 2>&1 ||
    fail "fold exited non-zero: $(tail -n 3 "$WORK/fold.log")"
grep -q "^folded 2 \[ternary\] layers into \[convolutional\]: .*checked: the outputs differ by at most 0$" "$WORK/fold.log" ||
    fail "fold summary: $(tail -n 1 "$WORK/fold.log")"
grep -q '^\[ternary\]' "$WORK/f.cfg" && fail "folded cfg has a [ternary] section"
"$DARKNET" classifier valid "$data" "$WORK/t.cfg" "$w" -verbose >"$WORK/ours.log" 2>/dev/null || fail "our valid exited non-zero"
"$STOCK/darknet/darknet" classifier valid "$data" "$WORK/f.cfg" "$WORK/f.weights" >"$WORK/stock.log" 2>/dev/null ||
    fail "stock Darknet's valid of the folded pair exited non-zero"
# per image: "path, class, p0, p1," in both
grep '\.ppm, ' "$WORK/ours.log" | tr -d ' ' | awk -F, '{print $3; print $4}' >"$WORK/ours.p"
grep '\.ppm, ' "$WORK/stock.log" | tr -d ' ' | awk -F, '{print $3; print $4}' >"$WORK/stock.p"
[ "$(wc -l < "$WORK/ours.p")" -eq 60 ] || fail "expected 30 validated images, got $(($(wc -l < "$WORK/ours.p") / 2))"
# 1e-3: batch norm at inference divides by sqrt(var + 1e-5) in our build (patch 0401, as cuDNN
# does) and by sqrt(var) + 1e-6 in stock Darknet's CPU path; this net's variances are small
close "$WORK/ours.p" "$WORK/stock.p" "classifier valid, stock Darknet on the folded pair" 1e-3
# top-1 and top-2 at most one image of 30 apart (the batch norm difference may tip a near tie)
t1() { tail -n 1 "$1" | sed -n 's/^[0-9]*: top 1: \([0-9.]*\), top 2: \([0-9.]*\)$/\1 \2/p'; }
echo "$(t1 "$WORK/ours.log") $(t1 "$WORK/stock.log")" | awk 'NF == 4 { d1 = $1 - $3; d2 = $2 - $4; ok = d1 < 0.034 && d1 > -0.034 && d2 < 0.034 && d2 > -0.034 } END { exit !ok }' ||
    fail "top-1/top-2 differ: ours '$(tail -n 1 "$WORK/ours.log")', stock '$(tail -n 1 "$WORK/stock.log")'"
img="$WORK/set/imgs/test_checker_0001.ppm"
"$DARKNET" classifier predict "$data" "$WORK/t.cfg" "$w" "$img" 2>/dev/null | grep '%: ' | head -n 1 | sed 's/.*: //' >"$WORK/ours.top"
"$STOCK/darknet/darknet" classifier predict "$data" "$WORK/f.cfg" "$WORK/f.weights" "$img" 2>/dev/null | grep '%: ' | head -n 1 | sed 's/.*: //' >"$WORK/stock.top"
[ -s "$WORK/ours.top" ] && cmp -s "$WORK/ours.top" "$WORK/stock.top" || fail "predict: ours '$(cat "$WORK/ours.top")', stock '$(cat "$WORK/stock.top")'"

# --- random weights in larger nets -------------------------------------------------------------
awk '/^\[convolutional\]/ { n++; if (n > 1 && n % 2 == 0) { print "[ternary]"; next } } { print }' \
    "$VB/darknet/cfg/yolov3-tiny.cfg" |
    sed 's/^width=.*/width=96/; s/^height=.*/height=96/; s/^batch=.*/batch=1/; s/^subdivisions=.*/subdivisions=1/' >"$WORK/yt.cfg"
[ "$(grep -c '^\[ternary\]' "$WORK/yt.cfg")" -eq 6 ] || fail "yolov3-tiny: expected 6 [ternary] sections"
for c in cfg/ttq-resnet20.cfg tests/e2e-ttq.cfg "$WORK/yt.cfg"; do
    b=$(basename "$c" .cfg)
    "$VB/tools/netout" randw "$c" "$WORK/$b.w" 5 >/dev/null 2>&1 || fail "$b: netout randw"
    "$DARKNET" ternary fold "$c" "$WORK/$b.w" "$WORK/$b.f.cfg" "$WORK/$b.f.w" >"$WORK/$b.fold.log" 2>&1 ||
        fail "$b: fold exited non-zero: $(tail -n 3 "$WORK/$b.fold.log")"
    "$VB/tools/netout" run "$c" "$WORK/$b.w" 1 >"$WORK/$b.t" 2>/dev/null || fail "$b: netout run ([ternary])"
    "$VB/tools/netout" run "$WORK/$b.f.cfg" "$WORK/$b.f.w" 1 >"$WORK/$b.f" 2>/dev/null || fail "$b: netout run (folded)"
    "$STOCK/tools/netout" run "$WORK/$b.f.cfg" "$WORK/$b.f.w" 1 >"$WORK/$b.s" 2>/dev/null || fail "$b: stock netout run (folded)"
    [ -s "$WORK/$b.t" ] && cmp -s "$WORK/$b.t" "$WORK/$b.f" || fail "$b: folded outputs are not bit-identical in our build"
    close "$WORK/$b.t" "$WORK/$b.s" "$b: stock Darknet on the folded pair"
    # the packed file (`ternary pack`) of the same weights: bit-identical outputs too
    "$DARKNET" ternary pack "$c" "$WORK/$b.w" "$WORK/$b.p.w" >"$WORK/$b.pack.log" 2>&1 ||
        fail "$b: pack exited non-zero: $(tail -n 3 "$WORK/$b.pack.log")"
    grep -q '^  ternary weights: [0-9]*, 1\.6[0-9]* bits each' "$WORK/$b.pack.log" || fail "$b: pack summary: $(tail -n 3 "$WORK/$b.pack.log")"
    # one size ratio, labelled and defined: the .weights file's bytes over the packed file's
    ratio=$(awk -v a="$(wc -c <"$WORK/$b.w")" -v b="$(wc -c <"$WORK/$b.p.w")" 'BEGIN { printf "%.1f", a/b }')
    grep -q "^packed [0-9]* \[ternary\] layers: $WORK/$b.p.w, $(wc -c <"$WORK/$b.p.w") bytes; file size ratio ${ratio}x ($WORK/$b.w: $(wc -c <"$WORK/$b.w") bytes; whole files" "$WORK/$b.pack.log" ||
        fail "$b: pack: not the file size ratio ${ratio}x: $(grep '^packed' "$WORK/$b.pack.log")"
    "$DARKNET" ternary info "$c" "$WORK/$b.w" >"$WORK/$b.info" 2>/dev/null || fail "$b: ternary info"
    ! grep -q 'x smaller' "$WORK/$b.info" || fail "$b: ternary info prints a second kind of ratio: $(grep 'x smaller' "$WORK/$b.info")"
    "$VB/tools/netout" run "$c" "$WORK/$b.p.w" 1 >"$WORK/$b.p" 2>/dev/null || fail "$b: netout run (packed)"
    cmp -s "$WORK/$b.t" "$WORK/$b.p" || fail "$b: packed outputs are not bit-identical"
done
[ "$(wc -l < "$WORK/yt.t")" -eq $((255*3*3 + 255*6*6)) ] || fail "yolov3-tiny: $(wc -l < "$WORK/yt.t") outputs, expected both heads"
grep -q '^layers=-1,8$' "$WORK/yt.f.cfg" || fail "yolov3-tiny: the route (-1, 8) was not kept"

# --- errors -----------------------------------------------------------------------------------
set +e
"$DARKNET" ternary fold "$WORK/t.cfg" "$w" >"$WORK/e1" 2>&1; r1=$?
"$DARKNET" ternary fold "$WORK/t.cfg" "$w" "$WORK/t.cfg" "$WORK/x.weights" >"$WORK/e2" 2>&1; r2=$?
set -e
[ "$r1" -eq 1 ] && grep -q 'ternary fold <cfg> <weights> <out.cfg> <out.weights>' "$WORK/e1" || fail "fold without outputs: exit $r1, $(cat "$WORK/e1")"
[ "$r2" -eq 1 ] && grep -q 'must be new files' "$WORK/e2" || fail "fold onto its cfg: exit $r2, $(cat "$WORK/e2")"
[ ! -e "$WORK/x.weights" ] || fail "fold onto its cfg wrote weights"
grep -q '^\[ternary\]' "$WORK/t.cfg" || fail "fold onto its cfg changed the cfg"
