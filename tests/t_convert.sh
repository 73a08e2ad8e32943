#!/bin/sh
# The data converter (data/convert.c): Fashion-MNIST idx files (plain and .gz) and CIFAR-10
# binary batches written here, converted to Darknet's layout; re-running skips; every malformed or
# missing input fails with a message naming the file and leaves no output folder behind.
set -eu
: "${WORK:?}" "${VB:?}"
conv="$(cd "$VB" && pwd)/tools/convert"
. "$(cd "$(dirname "$0")" && pwd)/idx.sh"
mkdir -p "$WORK"
cd "$WORK"
fail() { echo "FAIL t_convert: $*"; exit 1; }

mkdir -p fm
idx_images fm/train-images-idx3-ubyte 5
idx_labels fm/train-labels-idx1-ubyte 0 1 2 9 3
idx_images fm/t10k-images-idx3-ubyte 3
idx_labels fm/t10k-labels-idx1-ubyte 4 5 6
gzip fm/train-images-idx3-ubyte            # one .gz, the rest plain: both are read

# the checks of absolute paths below need a working folder whose path holds no class name (mktemp's
# random letters could spell 'top' or 'bag'): work under one that does not
case "$PWD" in *top*|*trouser*|*pullover*|*dress*|*coat*|*sandal*|*shirt*|*sneaker*|*bag*|*boot*)
    mkdir -p /tmp/ttq-convert.$$ && cd /tmp/ttq-convert.$$ && trap 'rm -rf /tmp/ttq-convert.$$' EXIT && cp -r "$OLDPWD/fm" . ;;
esac
"$conv" fashion-mnist fm out >log 2>&1 || { cat log; fail "conversion failed"; }
[ "$(wc -l < out/train.list)" -eq 5 ] && [ "$(wc -l < out/test.list)" -eq 3 ] || fail "wrong list lengths"
[ "$(wc -l < out/labels.txt)" -eq 10 ] || fail "labels.txt should have 10 lines"
grep -q '^classes=10$' out/fashion-mnist.data || fail "no classes=10 in the .data file"
first=$(head -n 1 out/train.list)
case "$first" in "$PWD"/out/train/*_top.png) ;; *) fail "unexpected image path $first (expected $PWD/out/train/..._top.png)";; esac
# the .data file and the lists hold absolute paths: Darknet finds them from any folder
for k in train valid labels backup; do
    v=$(sed -n "s/^$k=//p" out/fashion-mnist.data)
    case "$v" in "$PWD"/out/*) ;; *) fail ".data: $k=$v is not an absolute path under $PWD/out";; esac
done
(cd / && [ -f "$(sed -n 's/^train=//p' "$OLDPWD/out/fashion-mnist.data")" ] && [ -f "$first" ]) || fail "the lists do not work from another folder"
# under a folder whose name holds a class name ('top' in Desktop) the lists stay relative, and say so
mkdir -p Desktop
(cd Desktop && "$conv" fashion-mnist ../fm dout >../log 2>&1) || { cat log; fail "conversion under Desktop/ failed"; }
grep -q "^note: $PWD/Desktop/dout holds 'top', which Darknet would read in an image's path" log || { cat log; fail "no note for Desktop/"; }
[ "$(head -n 1 Desktop/dout/train.list)" = dout/train/00000_top.png ] || fail "under Desktop/ the lists should be relative: $(head -n 1 Desktop/dout/train.list)"
grep -q "^train=$PWD/Desktop/dout/train.list$" Desktop/dout/fashion-mnist.data || fail "under Desktop/ the .data file should still be absolute"
[ "$(head -c 4 "$first" | od -An -c | tr -d ' ')" = "211PNG" ] || fail "$first is not a PNG"
grep -q '_boot.png$' out/train.list || fail "label 9 (boot) missing"
# no label is a substring of another
for a in $(cat out/labels.txt); do for b in $(cat out/labels.txt); do
    [ "$a" = "$b" ] || case "$b" in *"$a"*) fail "label $a is inside $b";; esac
done; done
"$conv" fashion-mnist fm out 2>&1 | grep -q "already converted" || fail "second run did not skip"

expect_fail() {  # needle, command...
    needle=$1; shift
    rm -rf bad bad.tmp
    if "$@" >log 2>&1; then fail "accepted: $*"; fi
    grep -q "$needle" log || { cat log; fail "message lacks '$needle' for: $*"; }
    [ ! -e bad ] || fail "an output folder was left behind after a failure: $*"
}
mkdir -p fm2
cp fm/t10k-* fm2/
expect_fail "fm2/train-images-idx3-ubyte" "$conv" fashion-mnist fm2 bad
idx_images fm2/train-images-idx3-ubyte 2
printf 'garbage!' >fm2/train-labels-idx1-ubyte
expect_fail "fm2/train-labels-idx1-ubyte: not an idx1" "$conv" fashion-mnist fm2 bad
idx_labels fm2/train-labels-idx1-ubyte 1 12
expect_fail "label 12" "$conv" fashion-mnist fm2 bad
idx_labels fm2/train-labels-idx1-ubyte 1 2
head -c 1000 fm2/train-images-idx3-ubyte >fm2/x && mv fm2/x fm2/train-images-idx3-ubyte
expect_fail "truncated" "$conv" fashion-mnist fm2 bad
idx_labels fm2/train-labels-idx1-ubyte 1 2 3
idx_images fm2/train-images-idx3-ubyte 2
expect_fail "3 labels for 2 images" "$conv" fashion-mnist fm2 bad
expect_fail "contains the class name 'dress'" "$conv" fashion-mnist fm dressed
# compressed inputs are inflated only as far as their header allows (issue 27, section 4): a valid
# header for 2 images followed by 256 MiB of zeros (a 256 KiB gzip file) is refused after 1 585 bytes
# inflated, within a 200 MiB address-space limit; a header claiming more images than the format
# allows is refused before the data is read
idx_labels fm2/train-labels-idx1-ubyte 1 2
{ printf '\000\000\010\003'; be32 2; be32 28; be32 28; head -c 268435456 /dev/zero; } | gzip -1 >fm2/train-images-idx3-ubyte.gz
rm -f fm2/train-images-idx3-ubyte
# (the sanitizer build cannot run under ulimit -v, its shadow memory needs more: there, ASan's limit
# of one allocation, 200 MiB, stands in for it: the old reader's buffer doubled to 256 MiB)
case "$(basename "$VB")" in
    asan*) if env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}max_allocation_size_mb=200" "$conv" fashion-mnist fm2 bad >log 2>&1; then
               fail "accepted an idx file with 256 MiB after its images"; fi;;
    *) if (ulimit -v 204800; exec "$conv" fashion-mnist fm2 bad) >log 2>&1; then fail "accepted an idx file with 256 MiB after its images"; fi;;
esac
grep -q "fm2/train-images-idx3-ubyte.gz: longer than its format allows (1584 bytes once decompressed)" log ||
    { cat log; fail "an idx file longer than its header: no message naming it and the size"; }
[ ! -e bad ] || fail "an output folder was left behind after a failure"
{ printf '\000\000\010\003'; be32 4000000000; be32 28; be32 28; } | gzip >fm2/train-images-idx3-ubyte.gz
expect_fail "fm2/train-images-idx3-ubyte.gz: claims 4000000000 images, more than 1000000" "$conv" fashion-mnist fm2 bad
rm fm2/train-images-idx3-ubyte.gz

# CIFAR-10 binary: 1 label byte + 3072 pixel bytes per record
mkdir -p cf
rec() { printf "\\$(printf %03o "$1")"; rand_bytes 3072 "$1"; }  # label: its pixels seeded by it
for i in 1 2 3 4 5; do { rec $((i - 1)); rec $((i + 4)); } >cf/data_batch_$i.bin; done
rec 7 >cf/test_batch.bin
"$conv" cifar10 cf cout >log 2>&1 || { cat log; fail "CIFAR conversion failed"; }
[ "$(wc -l < cout/train.list)" -eq 10 ] && [ "$(wc -l < cout/test.list)" -eq 1 ] || fail "CIFAR list lengths"
grep -q '_horse.png$' cout/test.list || fail "CIFAR label 7 (horse) missing"
head -c 100 cf/test_batch.bin >cf/x && mv cf/x cf/test_batch.bin
expect_fail "not a whole number of 3073-byte" "$conv" cifar10 cf bad
rm cf/data_batch_3.bin
expect_fail "cf/data_batch_3.bin" "$conv" cifar10 cf bad
exit 0
