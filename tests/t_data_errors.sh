#!/bin/sh
# Bad training data stops `classifier train` with a non-zero exit and a message naming the file:
# a missing data list, an image that cannot be loaded, an image path that matches no label, and
# labels that are substrings of one another; and (patch 0506) a .data file that does not fit the
# network: classes, labels, an empty list, top, the backup folder, checked before the first step.
# Nothing is written to the backup folder (but the training lock).
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
    # (the training lock, e2e-ttq.lock, is taken before the first image is loaded: it holds a pid only)
    [ -z "$(ls "$WORK/set/backup" | grep -v '^e2e-ttq\.lock$')" ] || fail "$(cat "$WORK/what"): something was written to the backup folder"
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
expect_error "set.data: key 'train' = .*train.list, expected a readable file (.*train.list: No such file"

# the .data file against the network (patch 0506); the cfg's softmax has 3 outputs
cp "$WORK/good.list" "$WORK/set/train.list"
printf 'vbars\nhbars\nchecker\n' >"$WORK/set/labels.txt"
cp "$data" "$WORK/good.data"
with() {  # what  sed-expression on the .data file
    echo "$1" >"$WORK/what"; sed "$2" "$WORK/good.data" >"$data"
}
with "classes above the network's outputs" 's/^classes=.*/classes=4/'
expect_error "set.data: key 'classes' = 4, expected the network's 3 outputs"
with "classes not a number" 's/^classes=.*/classes=three/'
expect_error "set.data: key 'classes' = three, expected an integer >= 1"
with "more labels than classes" "s|^labels=.*|labels=$WORK/four.txt|"
printf 'vbars\nhbars\nchecker\nstripes\n' >"$WORK/four.txt"
expect_error "set.data: key 'labels' = .*four.txt, expected one label per class: .*four.txt has 4 lines, classes = 3"
# with a tree (a hierarchical classifier) the labels were not compared with classes: fill_truth
# read past a shorter labels file (heap overflow, found by fuzz_data); the tree must have a node per
# class too (fill_hierarchy walks it for each)
printf 'vbars -1\nhbars -1\nchecker -1\n' >"$WORK/tree3.txt"
printf 'vbars -1\nhbars -1\n' >"$WORK/tree2.txt"
printf 'vbars\nhbars\n' >"$WORK/two.txt"
with "a tree and fewer labels than classes" "s|^labels=.*|labels=$WORK/two.txt\ntree=$WORK/tree3.txt|"
expect_error "set.data: key 'labels' = .*two.txt, expected one label per class: .*two.txt has 2 lines, classes = 3"
with "a tree of fewer nodes than classes" "s|^labels=.*|&\ntree=$WORK/tree2.txt|"
expect_error "set.data: key 'tree' = .*tree2.txt, expected one tree node per class: .*tree2.txt has 2 lines, classes = 3"
with "empty train list" "s|^train=.*|train=$WORK/empty.list|"
: >"$WORK/empty.list"
expect_error "set.data: key 'train' = .*empty.list, expected a list of at least one image"
with "top above classes" 's/^top=.*/top=5/'
expect_error "set.data: key 'top' = 5, expected an integer, 1 <= top <= classes (3)"
with "backup folder missing" "s|^backup=.*|backup=$WORK/set/backup/none|"
expect_error "set.data: key 'backup' = .*backup/none, expected an existing folder for the weights"
cp "$WORK/good.data" "$data"

# validation and prediction check the same file
"$DARKNET" classifier train "$data" tests/e2e-ttq.cfg >"$WORK/out" 2>&1 || { tail -n 3 "$WORK/out"; fail "the good .data file was rejected"; }
w=$(ls "$WORK"/set/backup/*.weights | head -n 1)
sed "s|^valid=.*|valid=$WORK/empty.list|" "$WORK/good.data" >"$data"
if "$DARKNET" classifier valid "$data" tests/e2e-ttq.cfg "$w" >"$WORK/out" 2>&1; then fail "valid accepted an empty list"; fi
grep -q "set.data: key 'valid' = .*empty.list, expected a list of at least one image" "$WORK/out" || { tail -n 3 "$WORK/out"; fail "valid: no message naming the file and key"; }
sed 's/^classes=.*/classes=2/' "$WORK/good.data" >"$data"
if "$DARKNET" classifier predict "$data" tests/e2e-ttq.cfg "$w" "$(head -n 1 "$WORK/good.list")" >"$WORK/out" 2>&1; then fail "predict accepted classes=2 for 3 outputs"; fi
grep -q "set.data: key 'classes' = 2, expected the network's 3 outputs" "$WORK/out" || { tail -n 3 "$WORK/out"; fail "predict: no message naming the file and key"; }
cp "$WORK/good.data" "$data"
if "$DARKNET" classifier predict "$data" tests/e2e-ttq.cfg "$w" "$(head -n 1 "$WORK/good.list")" -t 4 >"$WORK/out" 2>&1; then fail "predict accepted -t 4 for 3 outputs"; fi
grep -q "classifier predict: -t 4: expected 1 <= top <= the network's 3 outputs" "$WORK/out" || { tail -n 3 "$WORK/out"; fail "predict -t 4: no clear message"; }
"$DARKNET" classifier predict "$data" tests/e2e-ttq.cfg "$w" "$(head -n 1 "$WORK/good.list")" -t 3 >"$WORK/out" 2>&1 || { tail -n 3 "$WORK/out"; fail "predict -t 3 was rejected"; }

# validation finds each image's class as training does (patch 0518): a labels file that matches no
# path, an empty label (part of every path) and labels inside one another are errors naming the
# image (or the file, key and line), not an accuracy of 0 and exit 0; an empty label is refused by
# training too
cp "$WORK/good.data" "$data"
cp "$w" "$WORK/valid.weights"       # training's check below wants an empty backup folder
w="$WORK/valid.weights"
expect_valid_error() {  # what  needle  labels (printf format)
    printf "$3" >"$WORK/set/labels.txt"
    if "$DARKNET" classifier valid "$data" tests/e2e-ttq.cfg "$w" >"$WORK/out" 2>&1; then
        fail "valid accepted $1"
    fi
    [ "$(grep -c "$2" "$WORK/out")" -eq 1 ] || { tail -n 3 "$WORK/out"; fail "valid with $1: no one message '$2'"; }
    ! grep -q "top 1: " "$WORK/out" || fail "valid with $1 printed an accuracy"
}
expect_valid_error "labels matching no path" "test_vbars_0000.ppm: the path matches 0 of the 3 labels" 'dog\ncat\nbird\n'
expect_valid_error "labels inside one another" "test_vbars_0000.ppm: the path matches 2 of the 3 labels" 'vbars\nhbars\nbars\n'
expect_valid_error "an empty label" "set.data: key 'labels' = .*labels.txt, expected one label per line, none empty: line 2 of .*labels.txt is empty" 'vbars\n\nchecker\n'
echo "an empty label" >"$WORK/what"
printf 'vbars\n\nchecker\n' >"$WORK/set/labels.txt"
rm -f "$WORK"/set/backup/*
expect_error "set.data: key 'labels' = .*labels.txt, expected one label per line, none empty: line 2 of .*labels.txt is empty"
printf 'vbars\nhbars\nchecker\n' >"$WORK/set/labels.txt"

# a .data file with CRLF line endings is read (patch 0519; upstream kept the CR in each value:
# "labels.txt\r" could not be opened)
sed 's/$/\r/' "$WORK/good.data" >"$data"
"$DARKNET" classifier valid "$data" tests/e2e-ttq.cfg "$w" >"$WORK/out" 2>&1 || { tail -n 3 "$WORK/out"; fail "valid with a CRLF .data file was rejected"; }
grep -q "top 1: " "$WORK/out" || fail "valid with a CRLF .data file printed no accuracy"
cp "$WORK/good.data" "$data"

# lists written on other systems (patch 0706): a CRLF valid list, one with trailing blanks and a CRLF
# labels file give valid's answer on the plain files (upstream looked for "a.ppm\r", "a.ppm  ")
"$DARKNET" classifier valid "$data" tests/e2e-ttq.cfg "$w" >"$WORK/plain.out" 2>&1 || fail "valid on the plain lists"
vlist=$(sed -n 's/^valid=//p' "$data")
sed 's/$/\r/' "$vlist" >"$WORK/crlf.list"
sed 's/$/ \t /' "$vlist" >"$WORK/blanks.list"
cp "$WORK/set/labels.txt" "$WORK/labels.plain"
for l in crlf blanks; do
    sed "s|^valid=.*|valid=$WORK/$l.list|" "$data" >"$WORK/$l.data"
    [ $l = crlf ] && sed 's/$/\r/' "$WORK/labels.plain" >"$WORK/set/labels.txt"
    "$DARKNET" classifier valid "$WORK/$l.data" tests/e2e-ttq.cfg "$w" >"$WORK/$l.out" 2>&1 || { tail -n 3 "$WORK/$l.out"; fail "valid on a $l list was rejected"; }
    [ "$(grep 'top 1: ' "$WORK/$l.out")" = "$(grep 'top 1: ' "$WORK/plain.out")" ] || fail "valid on a $l list: $(grep 'top 1: ' "$WORK/$l.out"), plain: $(grep 'top 1: ' "$WORK/plain.out")"
    cp "$WORK/labels.plain" "$WORK/set/labels.txt"
done
