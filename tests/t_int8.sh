#!/bin/sh
# The integer inference path end to end (ternary_int8.c): a small [ternary] classifier (leaky
# activations: inputs with negative values, zero point 128, and the first [ternary] layer with
# stride 2) trained on a generated set, packed with activation scales (`ternary pack -calib`):
# - the packed file is record version 2, `ternary info` shows the scales and the path;
# - on 300 test images the integer path's top-1 equals the float path's on >= 99 % (netout top);
# - every kernel set this CPU runs (DARKNET_TTQ_KERNELS) gives the same outputs, bit for bit;
# - DARKNET_TTQ_INT8=0 runs the same file in float, equal to a file packed without scales (old
#   version 1 records still load);
# - the program says once which path and which kernel set it runs; a CPU without AVX2 (a Nehalem
#   under qemu-x86_64, where installed) runs the scalar kernels and says so;
# - bad input: a file without scales under DARKNET_TTQ_INT8=1, NaN, zero or negative scales, a
#   count of scales that is not the cfg's, a corrupt zero point, a bad DARKNET_TTQ_INT8 or
#   DARKNET_TTQ_KERNELS; a calibration .data file that is missing, has no train list, an empty
#   or unreadable list, an image that cannot be read; bad -n: one error naming the file (and the
#   layer), a non-zero exit, nothing written.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
mkdir -p "$WORK"
fail() { echo "FAIL t_int8: $*"; exit 1; }
"$VB/tools/genimages" "$WORK/set" 40 100 16 7
data="$WORK/set/set.data"
cfg="$WORK/t.cfg"
sed 's/^max_batches=.*/max_batches=120/' tests/e2e-ttq.cfg >"$cfg"
"$DARKNET" classifier train "$data" "$cfg" -seed 1 >"$WORK/train.log" 2>&1 || { tail "$WORK/train.log"; fail "training exited non-zero"; }
w="$WORK/set/backup/t.weights"
[ -s "$w" ] || fail "training wrote no weights"

# --- packing with and without scales ------------------------------------------------------------
"$DARKNET" ternary pack "$cfg" "$w" "$WORK/p2.weights" -calib "$data" -n 64 >"$WORK/pack.log" 2>&1 || { cat "$WORK/pack.log"; fail "pack -calib exited non-zero"; }
grep -q "activation scales of 2 \[ternary\] layers from 64 images" "$WORK/pack.log" || { cat "$WORK/pack.log"; fail "pack -calib did not report the scales"; }
grep -q "integer path (kernels .*) on the 64 calibration images: top-1 equal" "$WORK/pack.log" || { cat "$WORK/pack.log"; fail "pack -calib did not report the integer path's agreement"; }
"$DARKNET" ternary pack "$cfg" "$w" "$WORK/p1.weights" >"$WORK/pack1.log" 2>&1 || { cat "$WORK/pack1.log"; fail "pack exited non-zero"; }
# record sizes (docs/formats.md): header 20, conv 8x3x3x3 + BN 992, packed 16->... see below
s1=$(wc -c <"$WORK/p1.weights"); s2=$(wc -c <"$WORK/p2.weights")
# and -calib's integer graph record after the layers (int_graph.h: 12 bytes, then 8 for the input and
# each of the 6 layers): tests/t_int_graph.sh tests the whole network on integers; this test tests
# each [ternary] layer on its own, as a file packed before the graph runs, so the record is cut off
[ "$s1" -eq 2468 ] && [ "$s2" -eq 2560 ] || fail "packed sizes $s1 and $s2, expected 2468 (version 1) and 2560 (version 2: 12 bytes more a layer, and the graph record, 68)"
[ "$(od -An -c -j 2492 -N 4 "$WORK/p2.weights" | tr -d ' ')" = TTQG ] || fail "no graph record after the layers"
head -c 2492 "$WORK/p2.weights" >"$WORK/p2g.weights"
mv "$WORK/p2g.weights" "$WORK/p2.weights"
ver() { od -An -t d4 -j "$2" -N 4 "$1" | tr -d ' '; }
[ "$(ver "$WORK/p2.weights" 1016)" = 2 ] && [ "$(ver "$WORK/p1.weights" 1016)" = 1 ] || fail "record versions: $(ver "$WORK/p2.weights" 1016), $(ver "$WORK/p1.weights" 1016)"

"$DARKNET" ternary info "$cfg" "$WORK/p2.weights" >"$WORK/info2.log" 2>/dev/null || fail "ternary info failed"
[ "$(awk '$2 == "ternary" && $10 > 0 && ($11 == 0 || $11 == 128) && $13 == "int8"' "$WORK/info2.log" | wc -l)" -eq 2 ] &&
    grep -q "2 of 2 \[ternary\] layers on the integer path" "$WORK/info2.log" || { cat "$WORK/info2.log"; fail "ternary info: scales or path"; }
"$DARKNET" ternary info "$cfg" "$WORK/p1.weights" >"$WORK/info1.log" 2>/dev/null || fail "ternary info (version 1) failed"
[ "$(awk '$2 == "ternary" && $10 == "-" && $13 == "float"' "$WORK/info1.log" | wc -l)" -eq 2 ] || { cat "$WORK/info1.log"; fail "ternary info: a file without scales"; }
DARKNET_TTQ_INT8=0 "$DARKNET" ternary info "$cfg" "$WORK/p2.weights" >"$WORK/info0.log" 2>/dev/null || fail "ternary info (INT8=0) failed"
[ "$(awk '$2 == "ternary" && $13 == "float"' "$WORK/info0.log" | wc -l)" -eq 2 ] || { cat "$WORK/info0.log"; fail "ternary info: DARKNET_TTQ_INT8=0"; }

# --- integer against float ------------------------------------------------------------------------
list="$WORK/set/test.list"
n=$(wc -l <"$list")
"$VB/tools/netout" top "$cfg" "$WORK/p2.weights" "$list" >"$WORK/int.txt" 2>"$WORK/int.err" || { cat "$WORK/int.err"; fail "netout on the integer path"; }
[ "$(grep -c "run on the integer path.*kernels" "$WORK/int.err")" -eq 1 ] || { cat "$WORK/int.err"; fail "the path and kernel set are not said once"; }
DARKNET_TTQ_INT8=0 "$VB/tools/netout" top "$cfg" "$WORK/p2.weights" "$list" >"$WORK/flt.txt" 2>"$WORK/flt.err" || { cat "$WORK/flt.err"; fail "netout on the float path"; }
grep -q "run in float (DARKNET_TTQ_INT8=0)" "$WORK/flt.err" || { cat "$WORK/flt.err"; fail "DARKNET_TTQ_INT8=0 is not said"; }
"$VB/tools/netout" top "$cfg" "$WORK/p1.weights" "$list" >"$WORK/v1.txt" 2>/dev/null || fail "netout on a version 1 file"
cmp -s "$WORK/v1.txt" "$WORK/flt.txt" || fail "DARKNET_TTQ_INT8=0 on the version 2 file differs from the version 1 file"
cmp -s "$WORK/int.txt" "$WORK/flt.txt" && fail "the integer path gave exactly the float outputs: did it run?"
[ "$(wc -l <"$WORK/int.txt")" -eq "$n" ] || fail "netout printed $(wc -l <"$WORK/int.txt") lines for $n images"
same=$(paste -d' ' "$WORK/int.txt" "$WORK/flt.txt" | awk '{ k = (NF)/2; if ($1 == $(k+1)) s++ } END { print s+0 }')
awk -v s="$same" -v n="$n" 'BEGIN { exit !(s >= 0.99*n) }' || fail "top-1 of the integer path equals the float path's on $same of $n images (< 99 %)"
# the probabilities stay close: no output further than 0.05 from the float path's
paste -d' ' "$WORK/int.txt" "$WORK/flt.txt" | awk '{ k = NF/2; for (i = 2; i <= k; i++) { d = $i - $(k+i); if (d < 0) d = -d; if (d > m) m = d } } END { exit !(m < 0.05) }' ||
    fail "a probability of the integer path differs by 0.05 or more from the float path's"
for k in scalar avx2 avx512-vnni neon-dotprod; do
    if DARKNET_TTQ_KERNELS=$k "$VB/tools/netout" top "$cfg" "$WORK/p2.weights" "$list" >"$WORK/k.txt" 2>"$WORK/k.err"; then
        grep -q "kernels $k" "$WORK/k.err" || { cat "$WORK/k.err"; fail "DARKNET_TTQ_KERNELS=$k: not said"; }
        cmp -s "$WORK/k.txt" "$WORK/int.txt" || fail "kernel set $k gives other outputs than the default set"
    else
        grep -q "DARKNET_TTQ_KERNELS: this CPU (or this build) does not run the $k kernels" "$WORK/k.err" || { cat "$WORK/k.err"; fail "DARKNET_TTQ_KERNELS=$k failed"; }
    fi
done
"$DARKNET" classifier valid "$data" "$cfg" "$WORK/p2.weights" >"$WORK/valid.log" 2>&1 || { tail "$WORK/valid.log"; fail "classifier valid on the integer path"; }
grep -q "run on the integer path" "$WORK/valid.log" || fail "classifier valid did not run the integer path"

# a CPU without AVX2 (qemu-user emulating a Nehalem, where qemu-x86_64 is installed) runs the
# scalar kernels and says so; its top-1 is the same
if command -v qemu-x86_64 >/dev/null 2>&1 && [ "$(basename "$VB")" = cpu ]; then
    head -n 20 "$list" >"$WORK/twenty.list"
    if qemu-x86_64 -cpu Nehalem "$VB/tools/netout" top "$cfg" "$WORK/p2.weights" "$WORK/twenty.list" >"$WORK/old.txt" 2>"$WORK/old.err"; then
        grep -q "kernels scalar (this CPU has no AVX2 or NEON dot product)" "$WORK/old.err" || { cat "$WORK/old.err"; fail "a CPU without AVX2: the scalar set is not said"; }
        head -n 20 "$WORK/int.txt" | cut -d' ' -f1 >"$WORK/top.new"
        cut -d' ' -f1 "$WORK/old.txt" | cmp -s - "$WORK/top.new" || fail "a CPU without AVX2 gives another top-1"
    fi
fi

# --- bad input --------------------------------------------------------------------------------------
# expect NAME PATTERN COMMAND...: exits non-zero and prints PATTERN
expect() {
    name=$1 pat=$2
    shift 2
    if "$@" >"$WORK/bad.log" 2>&1; then cat "$WORK/bad.log"; fail "$name: exit status 0"; fi
    grep -q -- "$pat" "$WORK/bad.log" || { cat "$WORK/bad.log"; fail "$name: no message matching '$pat'"; }
}
expect "INT8=1, no scales" "p1.weights: layer 1 (ternary): DARKNET_TTQ_INT8=1 asks for the integer path" \
    env DARKNET_TTQ_INT8=1 "$VB/tools/netout" top "$cfg" "$WORK/p1.weights" "$list"
expect "INT8=1, latent weights" "t.weights: layer 1 (ternary): DARKNET_TTQ_INT8=1" \
    env DARKNET_TTQ_INT8=1 "$DARKNET" classifier predict "$data" "$cfg" "$w" "$(head -n 1 "$list")"
# DARKNET_TTQ_INT8=1 constrains inference only (issue 27): the commands that make the packed file or
# work on latent weights run under it (before: each stopped, asking for the command that failed)
mkdir -p "$WORK/req"
DARKNET_TTQ_INT8=1 "$DARKNET" ternary pack "$cfg" "$w" "$WORK/req/p.weights" -calib "$data" -n 16 >"$WORK/req/pack.log" 2>&1 ||
    { tail -n 3 "$WORK/req/pack.log"; fail "DARKNET_TTQ_INT8=1: ternary pack -calib of latent weights failed"; }
DARKNET_TTQ_INT8=1 "$DARKNET" ternary fold "$cfg" "$w" "$WORK/req/f.cfg" "$WORK/req/f.weights" >"$WORK/req/fold.log" 2>&1 ||
    { tail -n 3 "$WORK/req/fold.log"; fail "DARKNET_TTQ_INT8=1: ternary fold failed"; }
DARKNET_TTQ_INT8=1 "$DARKNET" ternary info "$cfg" "$w" >"$WORK/req/info.log" 2>&1 || { tail -n 3 "$WORK/req/info.log"; fail "DARKNET_TTQ_INT8=1: ternary info failed"; }
sed 's/^max_batches=.*/max_batches=2/' "$cfg" >"$WORK/req/t2.cfg"
DARKNET_TTQ_INT8=1 "$DARKNET" classifier train "$data" "$WORK/req/t2.cfg" "$w" -clear >"$WORK/req/train.log" 2>&1 ||
    { tail -n 3 "$WORK/req/train.log"; fail "DARKNET_TTQ_INT8=1: training from latent weights failed"; }
DARKNET_TTQ_INT8=1 "$VB/tools/netout" top "$cfg" "$WORK/p2.weights" "$list" >"$WORK/req.txt" 2>/dev/null || fail "DARKNET_TTQ_INT8=1 with scales failed"
cmp -s "$WORK/req.txt" "$WORK/int.txt" || fail "DARKNET_TTQ_INT8=1 differs from the default"
expect "INT8=yes" "DARKNET_TTQ_INT8: 'yes' is not 0" env DARKNET_TTQ_INT8=yes "$VB/tools/netout" top "$cfg" "$WORK/p2.weights" "$list"
expect "KERNELS=fast" "DARKNET_TTQ_KERNELS: 'fast' is not a kernel set" env DARKNET_TTQ_KERNELS=fast "$VB/tools/netout" top "$cfg" "$WORK/p2.weights" "$list"
# the second [ternary] layer's activation scale: the last 12 bytes before the final layer's 204
at=$((2492 - 204 - 12))
corrupt() {  # corrupt NAME OFFSET BYTES(octal escapes) PATTERN
    cp "$WORK/p2.weights" "$WORK/bad.weights"
    printf "$3" | dd of="$WORK/bad.weights" bs=1 seek="$2" conv=notrunc 2>/dev/null
    expect "$1" "bad.weights: layer 2 (ternary): $4" "$VB/tools/netout" top "$cfg" "$WORK/bad.weights" "$list"
}
corrupt "two scales" "$at" '\002\000\000\000' "the packed record holds 2 activation scales; a layer takes 1"
corrupt "zero point 7" $((at + 4)) '\007\000\000\000' "corrupt activation scale: the code of 0 is 7"
corrupt "NaN scale" $((at + 8)) '\000\000\300\177' "corrupt activation scale nan"
corrupt "zero scale" $((at + 8)) '\000\000\000\000' "corrupt activation scale 0"
corrupt "negative scale" $((at + 8)) '\000\000\200\277' "corrupt activation scale -1"
corrupt "tiny scale" $((at + 8)) '\001\000\000\000' "corrupt activation scale"
# finite but implausible scales (every image would get the same codes, so the same answer)
corrupt "scale 3.4e38" $((at + 8)) '\377\377\177\177' "implausible activation scale 3.40282e+38: outside 1e-12 to 1e+12"
corrupt "scale 1e30" $((at + 8)) '\312\362\111\161' "implausible activation scale 1e+30"
corrupt "scale 1e-37" $((at + 8)) '\352\034\010\002' "implausible activation scale 1e-37"
# a float layer before the integer ones overflows (the first convolution's weights edited to 3e38,
# finite, so the loader takes them): the [ternary] layer's input holds Inf, which the integer path
# would code as 255 and answer; it runs that forward in float instead, and the command reports the
# non-finite output as the float path does (exit 1 naming the weights file)
cp "$WORK/p2.weights" "$WORK/big.weights"
for k in 0 1 2 3 4 5 6 7; do printf '\346\261\141\177' | dd of="$WORK/big.weights" bs=1 seek=$((20 + 4*8*4 + 4*k)) conv=notrunc 2>/dev/null; done
expect "Inf into the integer path" "big.weights: the network's output for .* is \(NaN\|infinite\)" \
    "$DARKNET" classifier predict "$data" "$cfg" "$WORK/big.weights" "$(head -n 1 "$list")"

head -c $((2492 - 204 - 6)) "$WORK/p2.weights" >"$WORK/bad.weights"
expect "cut scale" "bad.weights: layer 2 (ternary): file is truncated inside the packed record's activation scale" \
    "$VB/tools/netout" top "$cfg" "$WORK/bad.weights" "$list"

out="$WORK/o.weights"
nowrite() {  # NAME PATTERN pack-arguments...: an error, and no output
    name=$1 pat=$2
    shift 2
    expect "$name" "$pat" "$DARKNET" ternary pack "$cfg" "$w" "$out" "$@"
    [ ! -e "$out" ] && [ ! -e "$out.tmp" ] && [ ! -e "$out.tmp.tmp" ] || fail "$name: something was written"
}
nowrite "missing data" "$WORK/none.data" -calib "$WORK/none.data"
printf 'classes=3\nlabels=%s\n' "$WORK/set/labels.txt" >"$WORK/notrain.data"
nowrite "no train" "notrain.data: key 'train' is missing" -calib "$WORK/notrain.data"
: >"$WORK/empty.list"
printf 'classes=3\ntrain=%s\n' "$WORK/empty.list" >"$WORK/empty.data"
nowrite "empty list" "empty.list: the list is empty" -calib "$WORK/empty.data"
printf 'classes=3\ntrain=%s\n' "$WORK/nolist.list" >"$WORK/nolist.data"
nowrite "missing list" "nolist.list" -calib "$WORK/nolist.data"
printf '%s\n' "$WORK/set/nothere.ppm" >"$WORK/badimg.list"
printf 'classes=3\ntrain=%s\n' "$WORK/badimg.list" >"$WORK/badimg.data"
nowrite "missing image" "nothere.ppm" -calib "$WORK/badimg.data"
nowrite "-n 0" "-n 0: expected a whole number" -calib "$data" -n 0
nowrite "-n x" "-n x: expected a whole number" -calib "$data" -n x
nowrite "-n alone" "-n without -calib" -n 5
nowrite "unknown option" "unknown or incomplete option '-calibrate'" -calibrate "$data"
nowrite "-calib alone" "unknown or incomplete option '-calib'" -calib
exit 0
