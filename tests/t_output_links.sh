#!/bin/sh
# Outputs never write through a link planted beside them (issue 27, section 2; patch 0529,
# src/output_file.c). Symbolic links to files outside the folder are planted at every name a
# command wrote through before (the old temporaries NAME.tmp and NAME.tmp.tmp, the telemetry CSV,
# detector valid's results files, detector test's predictions image) and at the outputs:
#  - classifier train (weights, optimiser state, telemetry CSV), ternary pack, fold and plot,
#    detector valid and detector test succeed; the files outside are unchanged; each output is a
#    regular file of its own; the links at the old temporary names are left as they were (never
#    delete what this program did not create); no temporary (NAME.tmp.XXXXXX) is left behind;
#  - a command killed by SIGXFSZ (past `ulimit -f`) leaves no temporary;
#  - resumed training appends to the telemetry CSV: a link planted there is refused, naming the file
#    and saying why, before the first step; a FIFO there is refused too (it would hang).
set -eu
: "${WORK:?}" "${VB:?}" "${DARKNET:?}"
tests="$(cd "$(dirname "$0")" && pwd)"
tools="$(cd "$VB" && pwd)/tools"
dn="$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")"
. "$tests/idx.sh"
. "$tests/tinyyolo.sh"
mkdir -p "$WORK"
cd "$WORK"
fail() { echo "FAIL t_output_links: $*"; exit 1; }

mkdir outside
victims=
plant() {  # link...: each a symbolic link to a file of its own in outside/
    for l in "$@"; do
        v="outside/$(echo "$l" | tr '/' '_')"
        echo "not yours: $l" >"$v"
        ln -s "$PWD/$v" "$l"
        victims="$victims $v"
    done
}
untouched() {  # after what
    for v in $victims; do
        [ "$(wc -l <"$v")" -eq 1 ] && grep -q '^not yours: ' "$v" || fail "$1 wrote through a link into $v"
    done
}
regular() {  # file...: regular files, not links
    for f in "$@"; do [ -f "$f" ] && [ ! -L "$f" ] || fail "$f is not a regular file of its own"; done
}
no_temporaries() {  # folder
    ls -a "$1" | grep -Eq '\.tmp\.[A-Za-z0-9]{6}$' && fail "a temporary was left in $1: $(ls -a "$1" | grep '\.tmp\.')"
    return 0
}

# ---- training: weights, optimiser state, telemetry -----------------------------------------------
"$tools/genimages" set 2 1 16 5 >/dev/null
sed 's/^batch=.*/batch=4/; s/^max_batches=.*/max_batches=2/' "$tests/e2e-ttq.cfg" >t.cfg
b=set/backup
plant $b/t.weights.tmp $b/t_1.weights.tmp $b/t_2.weights.tmp $b/t.weights.tmp.tmp $b/t.weights.state.tmp \
      $b/t_1.weights.state.tmp $b/t.ttq.csv.tmp $b/t.ttq.csv $b/t.weights
"$dn" classifier train set/set.data t.cfg -ttq_log_every 1 -seed 1 >log 2>&1 || { tail -n 5 log; fail "training beside planted links exited $?"; }
untouched "classifier train"
regular $b/t.weights $b/t.weights.state $b/t.ttq.csv
for l in $b/t.weights.tmp $b/t.weights.state.tmp $b/t.ttq.csv.tmp; do [ -L "$l" ] || fail "training removed $l, which it did not create"; done
[ "$(wc -l <$b/t.ttq.csv)" -eq 3 ] || fail "the telemetry CSV has not a header and 2 rows"
no_temporaries $b

# resuming appends to the CSV: a link or a FIFO there is refused before the first step
sed 's/^max_batches=.*/max_batches=4/' t.cfg >t4.cfg
cp t4.cfg t.cfg
mv $b/t.ttq.csv csv.kept
plant $b/t.ttq.csv
set +e
"$dn" classifier train set/set.data t.cfg $b/t.weights -ttq_log_every 1 >log 2>&1; r=$?
set -e
[ "$r" = 1 ] || { tail -n 5 log; fail "resume with a link at the CSV exited $r, expected 1"; }
grep -q "^$b/t.ttq.csv: is a symbolic link" log || { tail -n 5 log; fail "resume with a link at the CSV: no message naming it"; }
untouched "resumed training"
rm $b/t.ttq.csv
mkfifo $b/t.ttq.csv
set +e
"$dn" classifier train set/set.data t.cfg $b/t.weights -ttq_log_every 1 >log 2>&1; r=$?
set -e
[ "$r" = 1 ] && grep -q "^$b/t.ttq.csv: is not a regular file" log || { tail -n 5 log; fail "resume with a FIFO at the CSV: exit $r"; }
rm $b/t.ttq.csv
mv csv.kept $b/t.ttq.csv
"$dn" classifier train set/set.data t.cfg $b/t.weights -ttq_log_every 1 >log 2>&1 || { tail -n 5 log; fail "resume exited $?"; }
[ "$(wc -l <$b/t.ttq.csv)" -eq 5 ] || fail "the resumed run did not append 2 rows to the CSV"
no_temporaries $b

# ---- ternary pack, fold, plot ------------------------------------------------------------------------
plant p.w.tmp p.w.tmp.tmp p.w o.cfg.tmp o.w.tmp o.w.tmp.tmp o.cfg o.w
"$dn" ternary pack t.cfg $b/t.weights p.w >log 2>&1 || { tail -n 5 log; fail "pack beside planted links exited $?"; }
"$dn" ternary fold t.cfg $b/t.weights o.cfg o.w >log 2>&1 || { tail -n 5 log; fail "fold beside planted links exited $?"; }
untouched "pack and fold"
# killed by SIGXFSZ (a write past `ulimit -f`, the signal's default action): the temporary goes too
(ulimit -f 1; exec "$dn" ternary pack t.cfg $b/t.weights big.w) >/dev/null 2>&1 && fail "pack past the file-size limit succeeded"
[ ! -e big.w ] || fail "pack past the file-size limit left big.w"
no_temporaries .
regular p.w o.cfg o.w
grep -q '\.tmp' log && fail "fold's messages name a temporary: $(grep '\.tmp' log)"
if command -v gnuplot >/dev/null 2>&1; then
    plant p.png.tmp p.png
    "$dn" ternary plot $b/t.ttq.csv p.png >log 2>&1 || { tail -n 5 log; fail "plot beside planted links exited $?"; }
    untouched "ternary plot"
    regular p.png
fi
no_temporaries .

# ---- detector valid, detector test -------------------------------------------------------------------
mkdir fm
idx_images fm/t10k-images-idx3-ubyte 4
idx_cycle fm/t10k-labels-idx1-ubyte 4
idx_images fm/train-images-idx3-ubyte 4
idx_cycle fm/train-labels-idx1-ubyte 4
"$tools/convert" fashion-mnist-det fm det 4 4 >log 2>&1 || { cat log; fail "conversion failed"; }
tiny_yolo_cfg convolutional 1 | sed 's/^batch=8$/batch=1/' >d.cfg
"$tools/netout" randw d.cfg d.weights 1 >log 2>&1 || { tail -n 5 log; fail "netout randw failed"; }
sed 's#^results=.*#results=results#' det/fashion-mnist-det.data >d.data
mkdir results
names=$(cat det/names.txt)
for n in $names; do plant "results/comp4_det_test_$n.txt"; done
plant predictions.jpg
"$dn" detector valid d.data d.cfg d.weights >log 2>&1 || { tail -n 5 log; fail "detector valid beside planted links exited $?"; }
"$dn" detector test d.data d.cfg d.weights "$(head -n 1 det/test.list)" -thresh 0.5 >log 2>&1 ||
    { tail -n 5 log; fail "detector test beside planted links exited $?"; }
untouched "detector valid and test"
# eval=coco: one JSON file, written whole (its temporary closed and renamed: before, only the
# default per-class files were)
plant results/coco_results.json
sed "s/^eval=.*/eval=coco/" d.data >coco.data
grep -q "^eval=coco$" coco.data || fail "no eval= line to change in d.data"
"$dn" detector valid coco.data d.cfg d.weights >log 2>&1 || { tail -n 5 log; fail "detector valid (eval=coco) exited $?"; }
untouched "detector valid (eval=coco)"
regular results/coco_results.json
tail -c 3 results/coco_results.json | grep -q ']' || fail "results/coco_results.json does not end its JSON list"
for n in $names; do regular "results/comp4_det_test_$n.txt"; done
regular predictions.jpg
[ "$(head -c 3 predictions.jpg | od -An -tx1 | tr -d ' ')" = ffd8ff ] || fail "predictions.jpg is not a JPEG"
no_temporaries results
no_temporaries .
exit 0
