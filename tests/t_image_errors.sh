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
[ -z "$(ls "$WORK/set/backup")" ] || fail "train: something was written to the backup folder"
exit 0
