#!/bin/sh
# The whole network on integers (src/int_graph/, patch 0610) end to end: tests/int-graph.cfg, a
# small TTQ classifier whose graph mixes every layer the graph runs on codes ([convolutional] as
# W8A8, [ternary] strides 1 and 2, [shortcut] of the same shape and of a stride-2 `from` with
# other channels, [maxpool], [upsample], [route], [avgpool]) with float layers between them
# ([activation], a [route] of a float and an integer layer, a layer read by a float and an integer
# layer), trained on a generated set and packed with `ternary pack -calib`:
# - pack says how many layers run on integers, `ternary info` lists each layer's path and codings;
# - on 300 test images the whole-network integer path's top-1 equals the float path's on >= 99 %,
#   and its outputs are not the float path's (it ran);
# - every kernel set this CPU runs, and 1 or 2 threads, give the same outputs bit for bit;
# - DARKNET_TTQ_INT8=0 runs the same file in float, equal to a file packed without -calib;
#   DARKNET_TTQ_INT8=1 runs it; `classifier valid` runs on it;
# - bad graph records (cut short, another version, another layer count, a NaN, negative, too large
#   scale, a zero point other than 0 or 128): one error naming the file (and the layer), a
#   non-zero exit, and `ternary pack` of such a file writes nothing.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
mkdir -p "$WORK"
fail() { echo "FAIL t_int_graph: $*"; exit 1; }
"$VB/tools/genimages" "$WORK/set" 40 100 16 7
data="$WORK/set/set.data"
cfg="$WORK/int-graph.cfg"
# 160 iterations (the cfg's): after 120, 26 of the 300 test images are near ties (top probability
# < 0.6) and 8 of them flip on the per-layer integer path already (ternary_int8.c), graph or not
cp tests/int-graph.cfg "$cfg"
"$DARKNET" classifier train "$data" "$cfg" -seed 1 >"$WORK/train.log" 2>&1 || { tail "$WORK/train.log"; fail "training exited non-zero"; }
w="$WORK/set/backup/int-graph.weights"
[ -s "$w" ] || fail "training wrote no weights"

"$DARKNET" ternary pack "$cfg" "$w" "$WORK/g.weights" -calib "$data" -n 64 >"$WORK/pack.log" 2>&1 || { cat "$WORK/pack.log"; fail "pack -calib exited non-zero"; }
grep -q "the integer graph: 14 of the 17 layers on integers" "$WORK/pack.log" || { cat "$WORK/pack.log"; fail "pack did not report 14 of 17 layers on integers"; }
"$DARKNET" ternary pack "$cfg" "$w" "$WORK/f.weights" >"$WORK/pack1.log" 2>&1 || { cat "$WORK/pack1.log"; fail "pack exited non-zero"; }
sg=$(wc -c <"$WORK/g.weights"); sf=$(wc -c <"$WORK/f.weights")
# 5 [ternary] records 12 bytes longer (their input scales), then the graph record: 12 + 8 x 18
[ "$sg" -eq $((sf + 5*12 + 12 + 8*18)) ] || fail "sizes: $sg with the graph, $sf without, expected a difference of $((5*12 + 156))"
base=$((sg - 156))

"$DARKNET" ternary info "$cfg" "$WORK/g.weights" >"$WORK/info.log" 2>/dev/null || fail "ternary info failed"
[ "$(awk '/^the integer graph/ { on = 1 } on && $1 ~ /^[0-9]+$/ && $3 == "int8" && $4 > 0 && $6 > 0' "$WORK/info.log" | wc -l)" -eq 14 ] ||
    { cat "$WORK/info.log"; fail "ternary info: 14 layers on integers with their codings"; }
for i in 7 11 16; do
    awk -v i=$i '/^the integer graph/ { on = 1 } on && $1 == i && $3 == "float" { f = 1 } END { exit !f }' "$WORK/info.log" ||
        { cat "$WORK/info.log"; fail "ternary info: layer $i should be float"; }
done
# the first layer reads the image's 8-bit pixels: scale 1/255, zero 0
awk '/^the integer graph/ { on = 1 } on && $1 == 0 && $4 == 0.003922 && $5 == 0 { f = 1 } END { exit !f }' "$WORK/info.log" ||
    { cat "$WORK/info.log"; fail "the first layer's input coding is not the pixels' (1/255, 0)"; }

# --- integer against float -------------------------------------------------------------------------
list="$WORK/set/test.list"
n=$(wc -l <"$list")
"$VB/tools/netout" top "$cfg" "$WORK/g.weights" "$list" >"$WORK/int.txt" 2>"$WORK/int.err" || { cat "$WORK/int.err"; fail "netout on integers"; }
[ "$(grep -c "the network runs on integers (kernels .*): 14 of its 17 layers" "$WORK/int.err")" -eq 1 ] || { cat "$WORK/int.err"; fail "the graph is not said once"; }
DARKNET_TTQ_INT8=0 "$VB/tools/netout" top "$cfg" "$WORK/g.weights" "$list" >"$WORK/flt.txt" 2>/dev/null || fail "netout in float"
"$VB/tools/netout" top "$cfg" "$WORK/f.weights" "$list" >"$WORK/f.txt" 2>/dev/null || fail "netout on the file without -calib"
cmp -s "$WORK/flt.txt" "$WORK/f.txt" || fail "DARKNET_TTQ_INT8=0 differs from the file packed without -calib"
cmp -s "$WORK/int.txt" "$WORK/flt.txt" && fail "the integer graph gave exactly the float outputs: did it run?"
[ "$(wc -l <"$WORK/int.txt")" -eq "$n" ] || fail "netout printed $(wc -l <"$WORK/int.txt") lines for $n images"
same=$(paste -d' ' "$WORK/int.txt" "$WORK/flt.txt" | awk '{ k = NF/2; if ($1 == $(k+1)) s++ } END { print s+0 }')
awk -v s="$same" -v n="$n" 'BEGIN { exit !(s >= 0.99*n) }' || fail "top-1 on integers equals the float path's on $same of $n images (< 99 %)"
for k in scalar avx2 avx512-vnni; do
    if DARKNET_TTQ_KERNELS=$k "$VB/tools/netout" top "$cfg" "$WORK/g.weights" "$list" >"$WORK/k.txt" 2>"$WORK/k.err"; then
        cmp -s "$WORK/k.txt" "$WORK/int.txt" || fail "kernel set $k gives other outputs"
    else
        grep -q "does not run the $k kernels" "$WORK/k.err" || { cat "$WORK/k.err"; fail "kernel set $k failed"; }
    fi
done
for t in 1 2; do
    OMP_NUM_THREADS=$t "$VB/tools/netout" top "$cfg" "$WORK/g.weights" "$list" >"$WORK/t.txt" 2>/dev/null || fail "netout, $t threads"
    cmp -s "$WORK/t.txt" "$WORK/int.txt" || fail "$t threads give other outputs"
done
DARKNET_TTQ_INT8=1 "$VB/tools/netout" top "$cfg" "$WORK/g.weights" "$list" >"$WORK/req.txt" 2>/dev/null || fail "DARKNET_TTQ_INT8=1 failed"
cmp -s "$WORK/req.txt" "$WORK/int.txt" || fail "DARKNET_TTQ_INT8=1 gives other outputs"
"$DARKNET" classifier valid "$data" "$cfg" "$WORK/g.weights" >"$WORK/valid.log" 2>&1 || { tail "$WORK/valid.log"; fail "classifier valid on integers"; }
grep -q "the network runs on integers" "$WORK/valid.log" || { tail "$WORK/valid.log"; fail "classifier valid did not run on integers"; }

# --- bad records -------------------------------------------------------------------------------------
# put BYTES (printf escapes) at OFFSET of a copy of the good file
bad() {
    cp "$WORK/g.weights" "$WORK/bad.weights"
    printf "$2" | dd of="$WORK/bad.weights" bs=1 seek="$1" conv=notrunc 2>/dev/null
}
expect() {  # what message: the command on bad.weights fails with one error naming the file
    rm -f "$WORK/out.weights"
    if "$DARKNET" ternary pack "$cfg" "$WORK/bad.weights" "$WORK/out.weights" >"$WORK/bad.log" 2>&1; then
        fail "$1: pack accepted the file"
    fi
    grep -q "bad.weights.*$2" "$WORK/bad.log" || { cat "$WORK/bad.log"; fail "$1: no error naming the file and '$2'"; }
    [ ! -e "$WORK/out.weights" ] || fail "$1: pack wrote its output"
    ls "$WORK" | grep -q "out.weights.tmp" && fail "$1: a temporary was left"
    if "$VB/tools/netout" top "$cfg" "$WORK/bad.weights" "$list" >/dev/null 2>&1; then fail "$1: netout accepted the file"; fi
    return 0
}
bad $((base + 4)) '\002\000\000\000'; expect "version 2" "record has version 2"
bad $((base + 8)) '\020\000\000\000'; expect "16 layers" "record is for 16 layers, the cfg has 17"
bad $((base + 12 + 8*4)) '\000\000\300\177'; expect "a NaN scale" "layer 3 (shortcut): the integer graph record's output coding (scale nan"
bad $((base + 12 + 8*4)) '\000\000\200\277'; expect "a negative scale" "layer 3 (shortcut): the integer graph record's output coding (scale -1"
bad $((base + 12 + 8*10)) '\347\204\021\125'; expect "a scale of 1e13" "layer 9 (ternary): the integer graph record's output coding"
bad $((base + 12 + 8*2 + 4)) '\007\000\000\000'; expect "zero 7" "layer 1 (ternary): .*zero 7"
bad $((base + 12 + 4)) '\001\000\000\000'; expect "input zero 1" "input coding (scale .*, zero 1)"
head -c $((base + 12 + 8*6 + 2)) "$WORK/g.weights" >"$WORK/bad.weights"; expect "cut short at layer 5" "layer 5 (ternary): the integer graph record is cut short"
head -c $((base + 6)) "$WORK/g.weights" >"$WORK/bad.weights"; expect "cut short in the head" "record is cut short in its head"
# a record after the layers that is not the graph's: left over bytes, as before
cp "$WORK/f.weights" "$WORK/bad.weights"; printf 'junkjunk' >>"$WORK/bad.weights"; expect "junk after the layers" "bytes left over"
exit 0
