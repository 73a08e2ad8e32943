#!/bin/sh
# Images that cannot be read stop `classifier predict` and `classifier train` with exit 1 and a
# message naming the image, never a signal or an assertion: an empty file, a text file, a JPEG cut
# after 300 bytes, a PPM whose header asks for 100000 x 100000 pixels, a PPM and a PGM cut inside
# their pixels (whole ones load), a PGM of height 0, a file that does not exist, and
# tests/images/corrupt-huffman.jpg (tests/images/ok.jpg, written by stb_image_write, with 3 bytes
# changed and the end cut off: Darknet's bundled stb_image 2.19 fails an assertion on it).
# Where Debian's libstb is installed the build must use it (patch 0104; `pkg-config stb`), and
# then the corrupt JPEG is one of the cases; tests/images/ok.jpg must load.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
mkdir -p "$WORK"
"$VB/tools/genimages" "$WORK/set" 2 1 16 3 >/dev/null
data="$WORK/set/set.data"
fail() { echo "FAIL t_image_errors: $*"; tail -n 3 "$WORK/out"; exit 1; }
sed 's/^batch=.*/batch=4/; s/^max_batches=.*/max_batches=1/' tests/e2e-fp.cfg >"$WORK/n.cfg"
"$DARKNET" classifier train "$data" "$WORK/n.cfg" >"$WORK/out" 2>&1 || fail "training n.cfg"
w="$WORK/set/backup/n.weights"

corrupt_jpeg=0
if pkg-config --exists stb 2>/dev/null && [ -f /usr/include/stb/stb_image.h ]; then
    if command -v ldd >/dev/null 2>&1; then
        ldd "$DARKNET" | grep -q 'libstb\.so' || { ldd "$DARKNET" >"$WORK/out"; fail "libstb is installed but $DARKNET does not use it"; }
    fi
    corrupt_jpeg=1
fi

"$DARKNET" classifier predict "$data" "$WORK/n.cfg" "$w" tests/images/ok.jpg >"$WORK/out" 2>&1 ||
    fail "tests/images/ok.jpg did not load (exit $?)"

: >"$WORK/empty.ppm"
echo "not an image" >"$WORK/text.jpg"
head -c 300 tests/images/ok.jpg >"$WORK/short.jpg"
printf 'P6\n100000 100000\n255\n\001\002\003' >"$WORK/huge.ppm"
# binary PNM: whole files load; a file cut inside its pixels is an error (patch 0515; stb_image
# loaded it, the missing pixels uninitialised memory)
{ printf 'P6\n# a comment\n4 4\n255\n'; yes | head -c 48; } >"$WORK/ok.ppm"
{ printf 'P5 3\n2 255\n'; yes | head -c 6; } >"$WORK/ok.pgm"
{ printf 'P6\n# a comment\n4 4\n255\n'; yes | head -c 47; } >"$WORK/cut.ppm"
{ printf 'P5 3\n2 255\n'; yes | head -c 2; } >"$WORK/cut.pgm"
# a PGM of height 0: stb_image returns it, resize_image failed an assertion (patch 0428)
printf 'P5 2 0 255\n' >"$WORK/flat.pgm"
for img in "$WORK/ok.ppm" "$WORK/ok.pgm"; do
    "$DARKNET" classifier predict "$data" "$WORK/n.cfg" "$w" "$img" >"$WORK/out" 2>&1 || fail "$img did not load"
done
cases="$WORK/empty.ppm $WORK/text.jpg $WORK/short.jpg $WORK/huge.ppm $WORK/cut.ppm $WORK/cut.pgm $WORK/flat.pgm $WORK/missing.png"
[ "$corrupt_jpeg" -eq 1 ] && cases="$cases tests/images/corrupt-huffman.jpg"
for img in $cases; do
    set +e
    timeout 60 "$DARKNET" classifier predict "$data" "$WORK/n.cfg" "$w" "$img" >"$WORK/out" 2>&1; rc=$?
    set -e
    [ "$rc" -eq 1 ] || fail "predict $img exited $rc, expected 1"
    grep -q "Cannot load image \"$img\"" "$WORK/out" || fail "predict $img: message does not name the image"
done
"$DARKNET" classifier predict "$data" "$WORK/n.cfg" "$w" "$WORK/cut.pgm" >"$WORK/out" 2>&1 || true
grep -q "its header asks for 6 bytes of pixels, it holds 2" "$WORK/out" || fail "cut.pgm: message does not say what is missing"
"$DARKNET" classifier predict "$data" "$WORK/n.cfg" "$w" "$WORK/flat.pgm" >"$WORK/out" 2>&1 || true
grep -q "it has no pixels (2 x 0)" "$WORK/out" || fail "flat.pgm: message does not say it has no pixels"

# The size cap (patch 0523): a grey PNG whose header claims 20000 x 20000 pixels (400 MB for stb,
# 1.6 GB of floats; stb itself refuses an RGB one of that size) is refused before
# decoding, naming its size and the limit; DARKNET_MAX_IMAGE_PIXELS lowers or raises the limit (a
# bad value is an error naming it); an image whose floats cannot be allocated (a memory limit) ends
# in one "out of memory" line, not a segmentation fault.
printf '\211PNG\r\n\032\n\000\000\000\015IHDR\000\000\116\040\000\000\116\040\010\000\000\000\000\000\000\000\000\000\000\000\000IEND\256B`\202' >"$WORK/claims.png"
set +e
"$DARKNET" classifier predict "$data" "$WORK/n.cfg" "$w" "$WORK/claims.png" >"$WORK/out" 2>&1; rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "Reason: 20000 x 20000 pixels, more than the limit of 67108864 (DARKNET_MAX_IMAGE_PIXELS)" "$WORK/out" ||
    fail "a PNG claiming 20000 x 20000 pixels: exit $rc, not refused by the size cap"
set +e
DARKNET_MAX_IMAGE_PIXELS=100 "$DARKNET" classifier predict "$data" "$WORK/n.cfg" "$w" tests/images/ok.jpg >"$WORK/out" 2>&1; rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "more than the limit of 100 (DARKNET_MAX_IMAGE_PIXELS)" "$WORK/out" ||
    fail "DARKNET_MAX_IMAGE_PIXELS=100 did not refuse tests/images/ok.jpg (exit $rc)"
DARKNET_MAX_IMAGE_PIXELS=1000000 "$DARKNET" classifier predict "$data" "$WORK/n.cfg" "$w" tests/images/ok.jpg >"$WORK/out" 2>&1 ||
    fail "DARKNET_MAX_IMAGE_PIXELS=1000000 refused tests/images/ok.jpg"
set +e
DARKNET_MAX_IMAGE_PIXELS=lots "$DARKNET" classifier predict "$data" "$WORK/n.cfg" "$w" tests/images/ok.jpg >"$WORK/out" 2>&1; rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "DARKNET_MAX_IMAGE_PIXELS = 'lots': expected a whole number" "$WORK/out" ||
    fail "DARKNET_MAX_IMAGE_PIXELS=lots: exit $rc, not an error naming it"
case "$DARKNET" in
*/asan/*) ;;   # the sanitizer's shadow memory needs more address space than the limit leaves
*)
    # a whole 6000 x 6000 PGM: 36 MB of pixels for stb, 144 MB of floats for Darknet, under a 400 MB
    # address-space limit that leaves room for the first and not for the second with its copy
    { printf 'P5\n6000 6000\n255\n'; head -c 36000000 /dev/zero; } >"$WORK/big.pgm"
    set +e
    (ulimit -v 400000; exec "$DARKNET" classifier predict "$data" "$WORK/n.cfg" "$w" "$WORK/big.pgm") >"$WORK/out" 2>&1; rc=$?
    set -e
    if [ "$rc" -ne 0 ]; then
        [ "$rc" -eq 1 ] && grep -q "out of memory: [0-9]* bytes for " "$WORK/out" ||
            fail "a 6000 x 6000 image under a memory limit: exit $rc, not one 'out of memory' error"
    fi
    rm -f "$WORK/big.pgm";;
esac

# Files that Debian's stb_image 2.27 itself mishandles (found by fuzz_image; patch 0526) are refused
# before it reads them, naming the reason: a JPEG Huffman table of more than 256 codes, a 16-bit
# PGM, a PNM header number above INT_MAX, a JPEG scan using a Huffman table the file never defined
# (stb_image decodes it from uninitialised memory and, depending on what that holds, fails an
# assertion: an abort), a JPEG scan whose component's quantisation table was never defined (the
# same uninitialised memory; UBSan: signed overflow dequantising).
undefined_dht="a JPEG scan uses a Huffman table (DHT) that the file does not define before it"
for f in ubsan-stb-jpeg-dht-overflow.jpg:"a JPEG Huffman table (DHT) of more than 256 codes" \
         ubsan-stb-jpeg-scan-undefined-dqt.jpg:"a JPEG scan uses a quantisation table (DQT) that the file does not define before it" \
         abort-stb-jpeg-scan-undefined-ac-table-1.jpg:"$undefined_dht" \
         abort-stb-jpeg-scan-undefined-ac-table-0.jpg:"$undefined_dht" \
         asan-stb-pnm-16-bit.pgm:"a PNM with more than 8 bits per sample" \
         ubsan-stb-pnm-integer-overflow.pgm:"a PNM header number does not fit an int"; do
    img=tests/fuzz/corpus/image/${f%%:*}
    set +e
    "$DARKNET" classifier predict "$data" "$WORK/n.cfg" "$w" "$img" >"$WORK/out" 2>&1; rc=$?
    set -e
    [ "$rc" -eq 1 ] && grep -q "Reason: ${f#*:}" "$WORK/out" || fail "$img: exit $rc, not refused with '${f#*:}'"
done

# The same in a training list: stops before anything is saved.
rm -f "$WORK"/set/backup/*
cp tests/images/corrupt-huffman.jpg "$WORK/set/imgs/corrupt_vbars.jpg"
[ "$corrupt_jpeg" -eq 1 ] || cp "$WORK/short.jpg" "$WORK/set/imgs/corrupt_vbars.jpg"
yes "$WORK/set/imgs/corrupt_vbars.jpg" | head -n 16 >>"$WORK/set/train.list"
set +e
timeout 120 "$DARKNET" classifier train "$data" "$WORK/n.cfg" >"$WORK/out" 2>&1; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "training on a list with a corrupt image exited $rc, expected 1"
grep -q "Cannot load image \"$WORK/set/imgs/corrupt_vbars.jpg\"" "$WORK/out" || fail "train: message does not name the image"
# (but the training lock, n.lock, taken before the first image is loaded: it holds a pid only)
[ -z "$(ls "$WORK/set/backup" | grep -v '^n\.lock$')" ] || fail "train: something was written to the backup folder"
exit 0
