#!/bin/sh
# Bad training data stops `classifier train` with a non-zero exit and a message naming the file:
# a missing data list, an image that cannot be loaded, an image path that matches no label, and
# labels that are substrings of one another. Nothing is written to the backup folder.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
mkdir -p "$WORK"
"$VB/tools/genimages" "$WORK/set" 4 2 16 3
data="$WORK/set/set.data"
fail() { echo "FAIL t_data_errors: $*"; exit 1; }
expect_error() {  # needle
    if "$DARKNET" classifier train "$data" tests/e2e-ttq.cfg >"$WORK/out" 2>&1; then
        fail "accepted: $(cat "$WORK/what")"
    fi
    grep -q "$1" "$WORK/out" || { tail -n 3 "$WORK/out"; fail "$(cat "$WORK/what"): message lacks '$1'"; }
    [ -z "$(ls "$WORK/set/backup")" ] || fail "$(cat "$WORK/what"): something was written to the backup folder"
}
cp "$WORK/set/train.list" "$WORK/good.list"

echo "missing image" >"$WORK/what"
sed 's/_0001\.ppm$/_9999.ppm/' "$WORK/good.list" >"$WORK/set/train.list"
expect_error "Cannot load image \".*_9999.ppm\""

echo "unlabelled image" >"$WORK/what"
cp "$WORK/set/imgs/train_vbars_0000.ppm" "$WORK/set/imgs/train_stripes_0000.ppm"
{ cat "$WORK/good.list"; echo "$WORK/set/imgs/train_stripes_0000.ppm"; } >"$WORK/set/train.list"
yes "$WORK/set/imgs/train_stripes_0000.ppm" | head -n 64 >>"$WORK/set/train.list"
expect_error "train_stripes_0000.ppm: the path matches 0 of the 3 labels"

echo "label inside another label" >"$WORK/what"
grep -v checker "$WORK/good.list" >"$WORK/set/train.list"   # every path then matches two labels
printf 'vbars\nhbars\nbars\n' >"$WORK/set/labels.txt"
expect_error "matches 2 of the 3 labels"

echo "missing train list" >"$WORK/what"
rm "$WORK/set/train.list"
expect_error "Couldn't open file: .*train.list"
