#!/bin/sh
# Detection with [ternary]: `convert fashion-mnist-det` (synthetic idx files written here) makes a
# small scene set; a tiny YOLO trains a few steps, and its [ternary] twin fine-tunes from those
# weights (-clear); `detector map` scores it, checked against `detector valid`: labels made of the
# network's own detections must give mAP 100 %, and the same labels moved out of the image 0 %. Bad .data keys, labels and arguments are errors naming the file and key.
set -eu
: "${WORK:?}" "${VB:?}" "${DARKNET:?}"
conv="$(cd "$VB" && pwd)/tools/convert"
. "$(cd "$(dirname "$0")" && pwd)/idx.sh"
. "$(cd "$(dirname "$0")" && pwd)/tinyyolo.sh"
dn="$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")"
mkdir -p "$WORK"
cd "$WORK"
fail() { echo "FAIL t_detector: $*"; exit 1; }

mkdir -p fm
idx_images fm/train-images-idx3-ubyte 30
idx_cycle fm/train-labels-idx1-ubyte 30
idx_images fm/t10k-images-idx3-ubyte 20
idx_cycle fm/t10k-labels-idx1-ubyte 20

# ---- the converter ---------------------------------------------------------------------------------
"$conv" fashion-mnist-det fm det 24 6 >log 2>&1 || { cat log; fail "conversion failed"; }
"$conv" fashion-mnist-det fm det2 24 6 >/dev/null 2>&1 || fail "second conversion failed"
[ "$(wc -l < det/train.list)" -eq 24 ] && [ "$(wc -l < det/test.list)" -eq 6 ] || fail "list lengths"
[ "$(wc -l < det/names.txt)" -eq 10 ] || fail "names.txt should have 10 lines"
[ -d det/backup ] && [ -d det/results ] || fail "no backup or results folder"
# the .data file holds absolute paths, and so do the lists unless a folder above would trip Darknet's
# label-path rule ('images', 'JPEGImages', 'raw' in the working folder's path: mktemp's letters)
grep -q "^results=$PWD/det/results$" det/fashion-mnist-det.data || fail "no absolute results= in the .data file"
grep -q "^names=$PWD/det/names.txt$" det/fashion-mnist-det.data || fail "no absolute names= in the .data file"
case "$PWD" in *images*|*JPEGImages*|*raw*) pre=det;; *) pre="$PWD/det";; esac
first=$(head -n 1 det/test.list)
[ "$first" = "$pre/images/test/000000.png" ] || fail "unexpected image path $first (expected $pre/images/test/000000.png)"
[ "$(head -c 4 "$first" | od -An -c | tr -d ' ')" = "211PNG" ] || fail "$first is not a PNG"
for f in det/labels/train/*.txt det/labels/test/*.txt; do
    awk -v f="$f" 'NF != 5 || $1 !~ /^[0-9]$/ || $4 <= 0 || $5 <= 0 || $2 - $4/2 < -1e-6 || $2 + $4/2 > 1 + 1e-6 ||
                   $3 - $5/2 < -1e-6 || $3 + $5/2 > 1 + 1e-6 { print "bad label line in " f ": " $0; bad = 1 }
                   END { if(NR < 1 || NR > 3) { print f ": " NR " boxes, expected 1..3"; bad = 1 } exit bad }' "$f" ||
        fail "label files"
done
for f in det/images/train/000005.png det/labels/train/000005.txt det/labels/test/000003.txt; do
    cmp -s "$f" "det2/${f#det/}" || fail "two conversions differ in $f (the scenes should be the same on every run)"
done
"$conv" fashion-mnist-det fm det 2>&1 | grep -q "already converted" || fail "second run did not skip"
expect_conv_fail() {  # needle, out
    rm -rf "$2" "$2.tmp"
    if "$conv" fashion-mnist-det fm "$2" 4 2 >log 2>&1; then fail "accepted: $2"; fi
    grep -q "$1" log || { cat log; fail "message lacks '$1' for $2"; }
    [ ! -e "$2" ] || fail "an output folder was left behind: $2"
}
expect_conv_fail "Darknet would look for the labels" raw-scenes
expect_conv_fail "Darknet would look for the labels" my-images
if "$conv" fashion-mnist-det fm bad 0 >log 2>&1; then fail "accepted 0 scenes"; fi
grep -q "train scenes: '0'" log || { cat log; fail "0 scenes: message"; }

# ---- training, FP then TTQ ---------------------------------------------------------------------------
tiny_yolo_cfg convolutional 1 >fp.cfg
tiny_yolo_cfg ternary 1 >ttq.cfg
tiny_yolo_cfg convolutional 0 >plain.cfg
data=det/fashion-mnist-det.data
"$dn" detector train $data fp.cfg >log 2>&1 || { tail -n 20 log; fail "FP detector training failed"; }
[ -s det/backup/fp_final.weights ] || fail "no det/backup/fp_final.weights"
"$dn" detector train $data ttq.cfg det/backup/fp_final.weights -clear -ttq_log_every 1 -verbose >log 2>&1 ||
    { tail -n 20 log; fail "TTQ detector training failed"; }
[ -s det/backup/ttq_final.weights ] || fail "no det/backup/ttq_final.weights"
grep -q "^3: " log || { tail -n 20 log; fail "TTQ training did not run its 3 steps from 0 (-clear)"; }
# -ttq_log_every overrides the cfg (default 100): a telemetry row for each of the 3 iterations
[ "$(wc -l <det/backup/ttq.ttq.csv)" -eq 4 ] || { cat det/backup/ttq.ttq.csv; fail "-ttq_log_every 1: expected a header and 3 telemetry rows"; }

# random=1 resizes relative to the cfg's 96 pixels (upstream: 320..608); [ternary] layers resize
sed -e 's/^random=0/random=1/' -e 's/^max_batches=3/max_batches=11/' ttq.cfg >rnd.cfg
"$dn" detector train $data rnd.cfg det/backup/fp_final.weights -clear >log 2>&1 || { tail -n 20 log; fail "training with random=1 failed"; }
[ "$(grep -c '^Resizing to 128 x 128$' log)" -eq 2 ] || { grep Resizing log; fail "random=1: expected two resizes to 128 x 128 (19/13 of 96)"; }

# ---- detector map ----------------------------------------------------------------------------------------
"$dn" detector map $data ttq.cfg det/backup/ttq_final.weights >map.out 2>log || { cat log; fail "detector map failed"; }
[ "$(grep -c '%\|(no objects)' map.out)" -eq 12 ] || { cat map.out; fail "map: expected 10 class lines and two mAP lines"; }
grep -q '^mAP@0.50 = [0-9.]* %' map.out || { cat map.out; fail "map: no mAP line"; }
grep -q '^mAP@\[.50:.95\] = [0-9.]* %' map.out || { cat map.out; fail "map: no mAP@[.50:.95] line"; }
objects=$(cat det/labels/test/*.txt | wc -l)
grep -q "(6 images, $objects objects)" map.out || { cat map.out; fail "map: expected 6 images, $objects objects"; }

# A few steps leave batch norm's running statistics near their start, and such a network puts
# full-image boxes everywhere; the checks of map against valid use the network without batch norm,
# trained with -seed: the same network on every run (an unseeded one differs each time).
"$dn" detector train $data plain.cfg -seed 5 >log 2>&1 || { tail -n 20 log; fail "detector training without batch norm failed"; }
w=det/backup/plain_final.weights
# valid writes the detections (1-based pixel corners, VOC's convention) that map scores; labels made
# of them, per image and class, are all found: every class with detections gets AP 100 %
"$dn" detector valid $data plain.cfg $w >/dev/null 2>log || { cat log; fail "detector valid failed"; }
mkdir -p own/images own/labels
: >own/test.list
for f in det/images/test/*.png; do
    b=$(basename "$f" .png)
    cp "$f" own/images/
    echo "own/images/$b.png" >>own/test.list
    : >"own/labels/$b.txt"
done
k=0
for name in $(cat det/names.txt); do
    awk -v k=$k -v dir=own/labels '{
        x0 = ($3 - 1)/96; y0 = ($4 - 1)/96; x1 = ($5 - 1)/96; y1 = ($6 - 1)/96
        if($5 >= 96) x1 = 1    # valid clips the right and bottom edges at pixel 96 (1-based),
        if($6 >= 96) y1 = 1    # one short of the image edge that map clips at
        printf "%d %.6f %.6f %.6f %.6f\n", k, (x0 + x1)/2, (y0 + y1)/2, x1 - x0, y1 - y0 >> (dir "/" $1 ".txt")
    }' "det/results/comp4_det_test_$name.txt"
    k=$((k + 1))
done
sed 's#det/test.list#own/test.list#' $data >own.data
n=$(cat own/labels/*.txt | wc -l)
[ "$n" -gt 0 ] || fail "detector valid wrote no detection"
# A label differs from the box map scores by the printed rounding and, where valid clipped it at
# pixel 96, by less than a pixel at the right or bottom edge: a Jaccard distance (1 - IoU, a
# metric) of at most e. A label farther than 2e from every other label of its class in its image
# (and e < 0.5) is then the one label its detection matches, at IoU 0.5 or 0.4. Images where that
# holds for every label are the check's (VOC's matching cannot find both of two detections with the
# same box, e.g. two boxes larger than the image clipped to it); at least 2 of the 6 must be.
for f in own/labels/*.txt; do
    awk 'function e(i,   ex, ey) {
             ex = 1e-5 + (x[i] + w[i]/2 > 1 - 1e-5 ? 1/96 : 0); ey = 1e-5 + (y[i] + h[i]/2 > 1 - 1e-5 ? 1/96 : 0)
             return w[i] > ex && h[i] > ey ? 1 - (1 - ex/w[i])*(1 - ey/h[i]) : 1 }
         function min(a, b) { return a < b ? a : b }
         function max(a, b) { return a > b ? a : b }
         { c[NR] = $1; x[NR] = $2; y[NR] = $3; w[NR] = $4; h[NR] = $5 }
         END { for(i = 1; i <= NR; i++){
                   if(e(i) >= .5) exit 1
                   for(j = i + 1; j <= NR; j++){
                       if(c[i] != c[j]) continue
                       iw = min(x[i] + w[i]/2, x[j] + w[j]/2) - max(x[i] - w[i]/2, x[j] - w[j]/2)
                       ih = min(y[i] + h[i]/2, y[j] + h[j]/2) - max(y[i] - h[i]/2, y[j] - h[j]/2)
                       iou = iw > 0 && ih > 0 ? iw*ih/(w[i]*h[i] + w[j]*h[j] - iw*ih) : 0
                       if(1 - iou <= 2*max(e(i), e(j)) + 1e-4) exit 1 } } }' "$f" &&
        echo "own/images/$(basename "$f" .txt).png"
done >exact.list
[ "$(wc -l <exact.list)" -ge 2 ] || fail "fewer than 2 of 6 images have their detections apart (exact.list): the check needs another -seed"
sed 's#det/test.list#exact.list#' $data >exact.data
"$dn" detector map exact.data plain.cfg $w >own.out 2>log || { cat log; fail "map on own detections failed"; }
# map scores the detections valid wrote, no more, no fewer (same threshold, and the same NMS, which
# runs on boxes in pixels in both: in relative coordinates an IoU can round to the other side of
# 0.45), and finds each one's label: per class, objects = detections = found
awk '$2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ && !($2 == $3 && ($4 == $2 || ($4 == "-" && $2 == 0))) { bad = 1 }
     END { exit bad }' own.out ||
    { cat own.out; fail "map should score exactly the detections valid wrote (detections = objects) and find each (found = objects)"; }
grep -q '^mAP@0.50 = 100.00 %' own.out || { cat own.out; fail "labels made of the network's detections should give mAP 100 %"; }
# mAP@[.50:.95] is the mean of the mAPs at IoU 0.50, 0.55, ..., 0.95 (within their printed rounding).
# (Not 100 % here: valid clips the right and bottom edges a pixel short, so the labels above can
# differ from map's boxes by up to a pixel there, which matters at the high thresholds.)
coco=$(sed -n 's/^mAP@\[.50:.95\] = \([0-9.]*\) %.*/\1/p' own.out)
[ -n "$coco" ] || { cat own.out; fail "map: no mAP@[.50:.95] line"; }
sum=0
for t in 0.50 0.55 0.60 0.65 0.70 0.75 0.80 0.85 0.90 0.95; do
    "$dn" detector map exact.data plain.cfg $w -iou $t >iou.out 2>log || { cat log; fail "map -iou $t failed"; }
    v=$(sed -n "s/^mAP@$t = \([0-9.]*\) %.*/\1/p" iou.out)
    [ -n "$v" ] || { cat iou.out; fail "map -iou $t: no mAP@$t line"; }
    sum=$(awk -v s=$sum -v v=$v 'BEGIN { print s + v }')
done
# (each printed figure is rounded to 0.01 %, an error of up to 0.005 %: the mean of the ten printed
# mAPs and the printed mAP@[.50:.95] can differ by up to 0.01 %)
awk -v s=$sum -v c=$coco 'BEGIN { d = s/10 - c; exit !(d < .0101 && d > -.0101) }' ||
    fail "mAP@[.50:.95] = $coco %, but the mean of the ten thresholds' mAPs is $(awk -v s=$sum 'BEGIN { print s/10 }') %"
# the same boxes moved below the image: nothing is found
mkdir -p moved/images moved/labels
cp own/images/* moved/images/
sed 's#own/#moved/#' own/test.list >moved/test.list
for f in own/labels/*.txt; do awk '{ printf "%d %.6f %.6f %.6f %.6f\n", $1, $2, $3 + 2, $4, $5 }' "$f" >moved/labels/$(basename "$f"); done
sed 's#det/test.list#moved/test.list#' $data >moved.data
"$dn" detector map moved.data plain.cfg $w >moved.out 2>log || { cat log; fail "map on moved labels failed"; }
grep -q '^mAP@0.50 = 0.00 %' moved.out || { cat moved.out; fail "labels away from every detection should give mAP 0 %"; }
grep -q '^mAP@\[.50:.95\] = 0.00 %' moved.out || { cat moved.out; fail "labels away from every detection should give mAP@[.50:.95] 0 %"; }
"$dn" detector map exact.data plain.cfg $w -iou 0.4 >own.out 2>log || { cat log; fail "map -iou 0.4 failed"; }
grep -q '^mAP@0.40 = 100.00 %' own.out || { cat own.out; fail "-iou 0.4: expected mAP@0.40 = 100.00 %"; }

# recall reads the .data file's list and finds every label (upstream read a fixed COCO list)
"$dn" detector recall own.data plain.cfg $w >/dev/null 2>log || { tail -n 5 log; fail "detector recall failed"; }
last=$(grep 'Recall:' log | tail -n 1)
[ "$(echo "$last" | awk '{ print $1 + 1, $3 }')" = "6 $n" ] || { echo "$last"; fail "recall: expected 6 images and $n truths"; }

# test on one image, outside Darknet's tree (no data/labels glyphs): boxes drawn without names
rm -f predictions.jpg
"$dn" detector test $data plain.cfg $w det/images/test/000001.png -thresh 0.2 >test.out 2>log ||
    { tail -n 5 log; fail "detector test failed"; }
grep -q "boxes are drawn without their names" log || { tail -n 5 log; fail "detector test: no notice about the glyphs"; }
[ "$(head -c 2 predictions.jpg | od -An -tx1 | tr -d ' ')" = "ffd8" ] || fail "detector test wrote no predictions.jpg"
# from another folder: the .data file's absolute paths (names=) are found (before: "Couldn't open
# file: det/names.txt")
here=$PWD
(cd / && "$dn" detector test "$here/$data" "$here/plain.cfg" "$here/$w" "$here/det/images/test/000001.png" -thresh 0.2 \
    -out "$here/fromroot" >"$here/test.out" 2>"$here/log") || { tail -n 3 log; fail "detector test from / failed"; }
[ -s fromroot.jpg ] || fail "detector test from / wrote no fromroot.jpg"

# ---- errors ------------------------------------------------------------------------------------------
expect_fail() {  # needle, command...
    needle=$1; shift
    if "$@" >log 2>&1; then fail "accepted: $*"; fi
    grep -q -- "$needle" log || { cat log; fail "message lacks '$needle' for: $*"; }
}
w=det/backup/ttq_final.weights
sed 's/^classes=10/classes=9/' $data >bad.data
expect_fail "bad.data: key 'classes' = 9" "$dn" detector map bad.data ttq.cfg $w
head -n 9 det/names.txt >names9.txt
sed 's#^names=.*#names=names9.txt#' $data >bad.data
expect_fail "bad.data: key 'names'" "$dn" detector map bad.data ttq.cfg $w
"$dn" detector train bad.data fp.cfg >log 2>&1 || { tail -n 3 log; fail "training needs no names, but refused a short names file"; }
: >empty.list
sed 's#^valid=.*#valid=empty.list#' $data >bad.data
expect_fail "bad.data: key 'valid'" "$dn" detector map bad.data ttq.cfg $w
sed 's#^results=.*#results=no-such-folder#' $data >bad.data
expect_fail "bad.data: key 'results'" "$dn" detector valid bad.data ttq.cfg $w
[ ! -e no-such-folder ] || fail "valid created the results folder"
sed 's#^backup=.*#backup=no-such-folder#' $data >bad.data
expect_fail "bad.data: key 'backup'" "$dn" detector train bad.data ttq.cfg
sed '/^\[yolo\]/,$d' ttq.cfg >noyolo.cfg
expect_fail "noyolo.cfg: the last layer" "$dn" detector map $data noyolo.cfg
expect_fail "\-iou 0: expected" "$dn" detector map $data ttq.cfg $w -iou 0
cp own/labels/000001.txt keep.txt
echo "12 0.5 0.5 0.2 0.2" >>own/labels/000001.txt
expect_fail "own/labels/000001.txt: box .* has class 12" "$dn" detector map own.data ttq.cfg $w
rm own/labels/000001.txt
expect_fail "no label file own/labels/000001.txt" "$dn" detector map own.data ttq.cfg $w
cp keep.txt own/labels/000001.txt

# label files: one box per line, five numbers, a class the network has
mkdir -p badset/images badset/labels
cp det/images/train/000000.png badset/images/a.png
echo badset/images/a.png >badset/train.list
sed 's#^train=.*#train=badset/train.list#' $data >badtrain.data
printf '0 0.5 0.5 0.2 0.2\r\n\n1 0.3 0.3 0.1 0.1\n' >badset/labels/a.txt      # CRLF and a blank line are fine
"$dn" detector train badtrain.data fp.cfg >log 2>&1 || { tail -n 5 log; fail "training on a CRLF label file failed"; }
for bad in '0 0.5 0.5 0.2' '0 0.5 0.5 0.2 0.2 7' '-1 0.5 0.5 0.2 0.2' '0.5 0.5 0.5 0.2 0.2' '0 0.5, 0.5 0.2 0.2' '0 nan 0.5 0.2 0.2' 'x y'; do
    printf '0 0.5 0.5 0.2 0.2\n%s\n1 0.3 0.3 0.1 0.1\n' "$bad" >badset/labels/a.txt
    expect_fail "badset/labels/a.txt: line 2: expected a box" "$dn" detector train badtrain.data fp.cfg
done
printf '0 0.5 0.5 0.2 0.2\n12 0.3 0.3 0.1 0.1\n' >badset/labels/a.txt
expect_fail "badset/labels/a.txt: box 2 has class 12; the network has 10 classes" "$dn" detector train badtrain.data fp.cfg
printf '0 0.5 0.5 0.2\n' >own/labels/000002.txt
expect_fail "own/labels/000002.txt: line 1: expected a box" "$dn" detector map own.data ttq.cfg $w

cp det/images/test/000000.png own/scene.bmp
echo own/scene.bmp >bmp.list
sed 's#^valid=.*#valid=bmp.list#' $data >bmp.data
expect_fail "own/scene.bmp (list bmp.list, key 'valid' of bmp.data): no label file" "$dn" detector map bmp.data ttq.cfg $w

# command lines: unknown functions and commands, a data file without a cfg (patch 0513)
expect_fail "unknown command 'mAP' (train, test, valid, valid2, map, recall, demo)" "$dn" detector mAP $data plain.cfg $w
expect_fail "usage: .* detector \[train" "$dn" detector map $data
expect_fail "usage: .* detector train \[data\] \[cfg\]" "$dn" detector train $data -clear
expect_fail "unknown command 'vaild'" "$dn" classifier vaild $data plain.cfg
expect_fail "usage: .* classifier \[train" "$dn" classifier valid $data
expect_fail "Not an option: detecter" "$dn" detecter map $data plain.cfg

# valid2 (each image and its mirror image in one batch of 2)
rm -f det/results/comp4_det_test_*.txt
"$dn" detector valid2 $data ttq.cfg $w >/dev/null 2>log || { tail -n 5 log; fail "detector valid2 failed"; }
[ "$(cat det/results/comp4_det_test_*.txt | wc -l)" -gt 0 ] || fail "valid2 wrote no detection"

# odd but well-formed labels: boxes outside the image, of zero, negative or huge size, 150 in one
# image (more than [yolo]'s 90), and in every file a box centred at exactly 0, 0 (Darknet's "no
# box", which correct_boxes marks 999999; it crashed [yolo] training before patch 0429): training
# and map run through them
for seed in 1 2 3 4 5; do
    for f in det/labels/train/*.txt det/labels/test/*.txt; do
        awk -v seed=$((seed * 1000 + $(cksum <"$f" | cut -c1-6) % 997)) 'BEGIN { srand(seed)
            n = int(rand()*6); if(rand() < .1) n = 150
            printf "%d 0 0 0.2 0.3\n", int(rand()*10)
            for(i = 0; i < n; i++){
                x = rand(); y = rand(); w = rand(); h = rand(); r = rand()
                if(r < .15){ x = 3*x - 1; y = 3*y - 1 } else if(r < .25){ w = -w } else if(r < .35){ w = 0; h = 0 }
                else if(r < .45){ w = 5*w; h = 5*h } else if(r < .5){ w = 1e30; h = 1e-30 }
                printf "%d %.9g %.9g %.9g %.9g\n", int(rand()*10), x, y, w, h } }' >"$f.new"
        mv "$f.new" "$f"
    done
    rm -f det/backup/fp_final.weights
    "$dn" detector train $data fp.cfg >log 2>&1 || { tail -n 5 log; fail "training on odd labels (round $seed) failed"; }
    "$dn" detector map $data fp.cfg det/backup/fp_final.weights >map.out 2>log ||
        { tail -n 5 log; fail "map on odd labels (round $seed) failed"; }
done

# valid with fewer images than its four loader threads
head -n 2 own/test.list >two.list
sed 's#^valid=.*#valid=two.list#' $data >two.data
"$dn" detector valid two.data ttq.cfg $w >/dev/null 2>log || { cat log; fail "valid on 2 images failed"; }
exit 0
