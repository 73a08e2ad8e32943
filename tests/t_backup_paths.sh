#!/bin/sh
# Long paths (patch 0516): `classifier train` and `detector train` joined their backup file names
# with sprintf into a 256-byte buffer, and `classifier predict` / `detector test` copied the image
# path into one with strncpy (no terminating NUL past 255 bytes):
#  - 254- and 4000-character backup folders: both trainings run and save their weights there
#    (upstream: a stack overflow at the first save, a segmentation fault even in the -Ofast build
#    for 4000 characters);
#  - a 4080-character backup folder, whose weights file names exceed the system's PATH_MAX: one
#    message naming the .data file, the key 'backup' and the limit, before the first step, exit 1,
#    nothing written;
#  - predict and detector test on an image whose path is 280 characters long.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
conv="$(cd "$VB" && pwd)/tools/convert"
genimages="$(cd "$VB" && pwd)/tools/genimages"
. "$(cd "$(dirname "$0")" && pwd)/idx.sh"
dn="$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")"
cfgdir="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$WORK"
cd "$WORK"
fail() { echo "FAIL t_backup_paths: $*"; tail -n 5 out; exit 1; }

d254=$(printf '%0254d' 0 | tr 0 b)
# 20 folders of 200 characters less the slashes: 4000 characters in all, each name within NAME_MAX
d4000=$(p=$(printf '%0200d' 0 | tr 0 c); i=1; while [ $i -lt 20 ]; do p="$p/$(printf '%0199d' $i | tr 0 c)"; i=$((i + 1)); done; echo "$p")
d4080="$d4000/$(printf '%079d' 0 | tr 0 e)"
[ ${#d254} -eq 254 ] && [ ${#d4000} -eq 4000 ] && [ ${#d4080} -eq 4080 ] ||
    fail "test setup: folder name lengths ${#d254}, ${#d4000}, ${#d4080}"
mkdir -p "$d254" "$d4080"

# ---- classifier ------------------------------------------------------------------------------------
"$genimages" set 2 1 16 5 >/dev/null
sed 's/^batch=.*/batch=4/; s/^max_batches=.*/max_batches=3/' "$cfgdir/e2e-ttq.cfg" >t.cfg
sed "s|^backup=.*|backup=$d254|" set/set.data >b254.data
sed "s|^backup=.*|backup=$d4000|" set/set.data >b4000.data
sed "s|^backup=.*|backup=$d4080|" set/set.data >b4080.data
for n in 254 4000; do
    eval "dir=\$d$n"
    "$dn" classifier train b$n.data t.cfg >out 2>&1 || fail "classifier train with a $n-character backup folder exited $?"
    [ -s "$dir/t.weights" ] && [ -s "$dir/t_1.weights" ] || fail "classifier train saved no weights in the $n-character folder"
done

set +e
"$dn" classifier train b4080.data t.cfg >out 2>&1; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "classifier train with a 4080-character backup folder exited $rc, expected 1"
[ "$(grep -c "^b4080.data: key 'backup' = c.*, expected a shorter folder: with the file name t_2147483647.weights.tmp.XXXXXX the path is 4112 bytes, above the system's limit of 4095$" out)" -eq 1 ] ||
    fail "classifier train: no one message naming the .data file, 'backup' and the limit"
! grep -q "^Loaded: \|^\[train\] starting" out || fail "classifier train started training before refusing the backup folder"
[ -z "$(ls -A "$d4080")" ] || fail "classifier train wrote into the 4080-character folder"

cp set/imgs/test_vbars_0000.ppm "$d254/img_0000.ppm"
"$dn" classifier predict set/set.data t.cfg "$d254/t.weights" "$d254/img_0000.ppm" >out 2>&1 ||
    fail "classifier predict on a 267-character image path exited $?"
grep -q '^ *[0-9][0-9.]*%: ' out || fail "classifier predict printed no prediction"

# ---- detector --------------------------------------------------------------------------------------
mkdir -p fm
idx_images fm/train-images-idx3-ubyte 12
idx_cycle fm/train-labels-idx1-ubyte 12
idx_images fm/t10k-images-idx3-ubyte 4
idx_cycle fm/t10k-labels-idx1-ubyte 4
"$conv" fashion-mnist-det fm det 8 2 >out 2>&1 || fail "conversion failed"
cat >d.cfg <<EOF
[net]
batch=4
subdivisions=1
width=64
height=64
channels=3
learning_rate=0.001
policy=constant
max_batches=2

[convolutional]
filters=8
size=3
stride=2
pad=1
activation=leaky

[maxpool]
size=4
stride=4

[convolutional]
filters=45
size=1
stride=1
pad=0
activation=linear

[yolo]
mask=0,1,2
anchors=13,28, 24,28, 34,38
classes=10
num=3
random=0
EOF
sed "s|^backup=.*|backup=$d254|" det/fashion-mnist-det.data >d254.data
sed "s|^backup=.*|backup=$d4000|" det/fashion-mnist-det.data >d4000.data
sed "s|^backup=.*|backup=$d4080|" det/fashion-mnist-det.data >d4080.data
for n in 254 4000; do
    eval "dir=\$d$n"
    "$dn" detector train d$n.data d.cfg >out 2>&1 || fail "detector train with a $n-character backup folder exited $?"
    [ -s "$dir/d_final.weights" ] || fail "detector train saved no weights in the $n-character folder"
done

set +e
"$dn" detector train d4080.data d.cfg >out 2>&1; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "detector train with a 4080-character backup folder exited $rc, expected 1"
[ "$(grep -c "^d4080.data: key 'backup' = c.*, expected a shorter folder: with the file name d_2147483647.weights.tmp.XXXXXX the path is 4112 bytes, above the system's limit of 4095$" out)" -eq 1 ] ||
    fail "detector train: no one message naming the .data file, 'backup' and the limit"
! grep -q "^Loaded: \|^\[train\] starting" out || fail "detector train started training before refusing the backup folder"
[ -z "$(ls -A "$d4080")" ] || fail "detector train wrote into the 4080-character folder"

cp "$(head -n 1 det/test.list)" "$d254/img_0000.png"
"$dn" detector test det/fashion-mnist-det.data d.cfg "$d254/d_final.weights" "$d254/img_0000.png" >out 2>&1 ||
    fail "detector test on a 267-character image path exited $?"
[ -s predictions.jpg ] || [ -s predictions.png ] || fail "detector test wrote no predictions image"
