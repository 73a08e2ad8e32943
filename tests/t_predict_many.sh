#!/bin/sh
# `classifier predict` and `detector test` on a folder and on a list file (patch 0703): each output
# line names its image, the images come in name order, a list's CRLF line ends, trailing blanks and
# blank lines are read as a user means them, and one line gives the median time per image after the
# first; one image keeps upstream's output without the cold-start "Predicted in" line. An empty
# folder, a missing list and a list naming no image are one error naming them, exit 1.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
dn="$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")"
cfgdir="$(cd "$(dirname "$0")" && pwd)"
genimages="$(cd "$VB" && pwd)/tools/genimages"
. "$cfgdir/tinyyolo.sh"
mkdir -p "$WORK"
cd "$WORK"
fail() { echo "FAIL t_predict_many: $*"; exit 1; }
"$genimages" set 2 1 16 5 >/dev/null
data=set/set.data
sed 's/^batch=.*/batch=4/; s/^max_batches=.*/max_batches=2/' "$cfgdir/e2e-ttq.cfg" >t.cfg
"$dn" classifier train $data t.cfg >train.log 2>&1 || { tail -n 3 train.log; fail "training"; }
w=set/backup/t.weights
mkdir imgs
n=0
for f in $(head -n 3 set/test.list); do cp "$f" imgs/; n=$((n + 1)); done
touch imgs/notes.md
sorted=$(ls imgs/*.ppm imgs/*.png 2>/dev/null | sort)
[ "$(echo "$sorted" | wc -l)" -eq 3 ] || fail "expected 3 images in imgs/"

# one image: upstream's lines, no timing line
one=$(echo "$sorted" | head -n 1)
"$dn" classifier predict $data t.cfg $w "$one" >one.out 2>one.err || { tail -n 3 one.err; fail "predict on one image"; }
grep -q '^ *[0-9.]*%: ' one.out || fail "predict on one image: no '<pct>%: <label>' line"
grep -q "Predicted in\|ms per image" one.out one.err && fail "predict on one image printed a timing line"

# a folder, -t 1: one line per image, in name order, each naming its image
"$dn" classifier predict $data t.cfg $w imgs -t 1 >dir.out 2>dir.err || { tail -n 3 dir.err; fail "predict on a folder"; }
[ "$(sed 's/: *[0-9.]*%: .*//' dir.out)" = "$(echo "$sorted" | sed 's#^#imgs/#; s#imgs/imgs/#imgs/#')" ] ||
    { cat dir.out; fail "predict on a folder: not one line per image in name order, each naming it"; }
grep -q "^3 images: [0-9.]* ms per image (median wall-clock time of the 2 after the first)$" dir.err ||
    { tail -n 2 dir.err; fail "predict on a folder: no median time line"; }
# the answer for an image is the same alone and in the folder
alone=$(sed 's/^ *//' one.out | head -n 1)
infolder=$(grep -F "$one: " dir.out | sed 's/^[^:]*: *//')
[ "$alone" = "$infolder" ] || { cat one.out dir.out; fail "the folder's answer for $one differs from predict on it alone"; }

# a list with CRLF, trailing blanks and blank lines; -t 2: two lines an image
{ for f in $sorted; do printf '%s  \r\n\r\n' "$f"; done; } >imgs.list
"$dn" classifier predict $data t.cfg $w imgs.list -t 2 >list.out 2>list.err || { tail -n 3 list.err; fail "predict on a list"; }
[ "$(wc -l <list.out)" -eq 6 ] || { cat list.out; fail "predict on a list with -t 2: expected 6 lines"; }
for f in $sorted; do [ "$(grep -c "^$f: " list.out)" -eq 2 ] || fail "predict on a list: $f not named twice"; done

# errors: one line naming the folder or list, exit 1
mkdir empty
expect_error() {  # needle, command...
    needle=$1; shift
    set +e; "$@" >err.out 2>&1; rc=$?; set -e
    [ $rc -eq 1 ] && grep -qF "$needle" err.out || { tail -n 3 err.out; fail "'$*': exit $rc, expected 1 and '$needle'"; }
}
expect_error "empty: the folder holds no image" "$dn" classifier predict $data t.cfg $w empty
expect_error "missing.list: cannot read the list of images: No such file or directory" "$dn" classifier predict $data t.cfg $w missing.list
printf '\n  \r\n' >blank.txt
expect_error "blank.txt: the list names no image" "$dn" classifier predict $data t.cfg $w blank.txt

# detector test on a folder: a line naming each image before its detections, one drawn image each
mkdir det
for i in 0 1; do cp "$one" "det/scene$i.ppm"; done
printf 'classes=10\nnames=%s/names.txt\n' "$PWD" >det.data
for i in 0 1 2 3 4 5 6 7 8 9; do echo "c$i"; done >names.txt
tiny_yolo_cfg convolutional 0 >yolo.cfg
"$dn" detector test det.data yolo.cfg "" det -out drawn >dt.out 2>dt.err || { tail -n 3 dt.err; fail "detector test on a folder"; }
[ "$(grep -c '^det/scene[01].ppm:$' dt.out)" -eq 2 ] || { cat dt.out; fail "detector test on a folder: no line naming each image"; }
[ -s drawn-scene0.jpg ] && [ -s drawn-scene1.jpg ] || { ls; fail "detector test on a folder: drawn-scene0.jpg and drawn-scene1.jpg not written"; }
grep -q "^2 images: [0-9.]* ms per image" dt.err || { tail -n 2 dt.err; fail "detector test on a folder: no median time line"; }
expect_error "empty: the folder holds no image" "$dn" detector test det.data yolo.cfg "" empty
exit 0
