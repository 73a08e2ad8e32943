#!/bin/sh
# Exact resume (patches 0521, 0522): `classifier train -seed 7` for N = 6 steps in one go writes the
# same weights file, byte for byte, as k = 3 steps, a save, and a resume from those weights and their
# optimiser state (<weights>.state) for the N - k others: with momentum (SGD) and with adam=1, with
# per_filter=0 and 1, on a net of [convolutional] and [ternary] layers with batch norm. Without the
# state file the resume is not exact (the check that the comparison can fail). Two seeded runs are
# equal; `detector train -seed` resumes exactly too. A resume under another -seed, none, or another
# thread count (the state records both, patch 0530) says so; the same seed and count say nothing. A state file that is corrupt, truncated, not
# a state file, stale (another save's) or of another cfg is an error naming it: exit 1, before any
# step, the weights untouched; -clear ignores it; a missing one is an error unless -resume (then a
# notice) or -clear says where training starts, and so is a start at or past max_batches.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
dn="$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")"
cfgdir="$(cd "$(dirname "$0")" && pwd)"
genimages="$(cd "$VB" && pwd)/tools/genimages"
mkdir -p "$WORK"
cd "$WORK"
fail() { echo "FAIL t_resume: $*"; exit 1; }
"$genimages" set 12 4 16 7 >/dev/null
data=set/set.data
B=set/backup

# make_cfgs NAME SED: NAME-N.cfg (6 steps), NAME-k.cfg (3 steps), NAME-r.cfg (the resume, 6 steps)
make_cfgs() {
    sed "s/^batch=.*/batch=8/; s/^max_batches=.*/max_batches=6/; $2" "$cfgdir/e2e-ttq.cfg" >"$1-N.cfg"
    sed 's/^max_batches=.*/max_batches=3/' "$1-N.cfg" >"$1-k.cfg"
    cp "$1-N.cfg" "$1-r.cfg"
}
train() {   # train LOG ARGS...: classifier train, exit status checked
    log=$1; shift
    "$dn" classifier train "$data" "$@" >"$log" 2>&1 || { tail -n 5 "$log"; fail "classifier train $* exited non-zero"; }
}

for v in sgd adam sgd-pf adam-pf; do
    case $v in
        sgd)     make_cfgs $v '';;
        adam)    make_cfgs $v 's/^\[net\]$/[net]\nadam=1/; s/^learning_rate=.*/learning_rate=0.002/';;
        sgd-pf)  make_cfgs $v 's/^\[ternary\]$/[ternary]\nper_filter=1/';;
        adam-pf) make_cfgs $v 's/^\[net\]$/[net]\nadam=1/; s/^learning_rate=.*/learning_rate=0.002/; s/^\[ternary\]$/[ternary]\nper_filter=1/';;
    esac
    train N.log $v-N.cfg -seed 7
    train k.log $v-k.cfg -seed 7
    [ -s $B/$v-k.weights.state ] || fail "$v: no optimiser state saved beside $B/$v-k.weights"
    ls $B | grep -q '\.tmp\.' && fail "$v: a temporary was left behind: $(ls $B | grep '\.tmp\.')"
    train r.log $v-r.cfg $B/$v-k.weights -seed 7
    grep -q "^Loaded optimiser state from $B/$v-k.weights.state" r.log || { tail -n 3 r.log; fail "$v: the resume did not read the state"; }
    cmp -s $B/$v-N.weights $B/$v-r.weights || fail "$v: 6 steps and 3 + resume + 3 steps differ (cmp $B/$v-N.weights $B/$v-r.weights)"
    cmp -s $B/$v-N.weights.state $B/$v-r.weights.state || fail "$v: the final optimiser states differ"
    # without the state the resume restarts the momentum / moments: the weights must differ
    mv $B/$v-k.weights.state nostate
    train r.log $v-r.cfg $B/$v-k.weights -seed 7 -resume
    grep -q "$B/$v-k.weights.state: no optimiser state beside the weights" r.log || fail "$v: no notice of the missing state"
    cmp -s $B/$v-N.weights $B/$v-r.weights && fail "$v: the resume without the state equals the run: the test cannot see the state"
    mv nostate $B/$v-k.weights.state
done
cp $B/sgd-N.weights first.weights
train N.log sgd-N.cfg -seed 7
cmp -s first.weights $B/sgd-N.weights || fail "two runs with -seed 7 differ"

# the state records -seed and the thread count (version 3, patch 0530): the exact resume above said
# nothing; another seed, none, or another thread count is said in one line naming the state file
grep -q 'saved by a run' r.log && fail "the exact resume said that its run differs: $(grep 'saved by a run' r.log)"
st=$B/sgd-k.weights.state
train r.log sgd-r.cfg $B/sgd-k.weights -seed 8
grep -q "^$st: saved by a run with -seed 7, this one with -seed 8: the data order from here on is not the uninterrupted run's" r.log ||
    { tail -n 5 r.log; fail "a resume with another -seed was not said"; }
train r.log sgd-r.cfg $B/sgd-k.weights
grep -q "^$st: saved by a run with -seed 7, this one without: " r.log || { tail -n 5 r.log; fail "a resume without -seed was not said"; }
if grep -q 'OPENMP=1' "$VB/.config" 2>/dev/null; then
    OMP_NUM_THREADS=2 train k.log sgd-k.cfg -seed 7
    OMP_NUM_THREADS=1 train r.log sgd-r.cfg $B/sgd-k.weights -seed 7
    grep -q "^$st: saved by a run with 2 CPU threads, this one has 1: .*OMP_NUM_THREADS=2" r.log ||
        { tail -n 5 r.log; fail "a resume with another thread count was not said"; }
    OMP_NUM_THREADS=2 train N.log sgd-N.cfg -seed 7
    OMP_NUM_THREADS=2 train k.log sgd-k.cfg -seed 7
    OMP_NUM_THREADS=2 train r.log sgd-r.cfg $B/sgd-k.weights -seed 7
    grep -q 'saved by a run' r.log && fail "a resume at the same thread count said: $(grep 'saved by a run' r.log)"
    cmp -s $B/sgd-N.weights $B/sgd-r.weights || fail "2 threads: 6 steps and 3 + resume + 3 steps differ"
fi
train k.log sgd-k.cfg -seed 7

# ---- bad state files: one message naming the file, exit 1, nothing trained or written -------------
w=$B/sgd-k.weights
st=$w.state
cp "$st" good.state
before=$(cksum <$B/sgd-r.weights; cksum <$w)
expect_bad() {   # expect_bad WHAT PATTERN CFG: the resume from $w fails naming $st and PATTERN
    set +e; "$dn" classifier train "$data" "$3" "$w" -seed 7 >bad.log 2>&1; rc=$?; set -e
    [ $rc -eq 1 ] || { tail -n 3 bad.log; fail "$1: exit $rc, expected 1"; }
    grep -q "^$st: .*$2" bad.log || { tail -n 3 bad.log; fail "$1: no message naming $st and '$2'"; }
    ! grep -q '^Loaded: \|^\[train\] starting' bad.log || fail "$1: training started"
    [ "$before" = "$(cksum <$B/sgd-r.weights; cksum <$w)" ] || fail "$1: a weights file changed"
    cp good.state "$st"
}
size=$(wc -c <good.state)
printf '\001' | dd of="$st" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
expect_bad "a changed byte" "checksum does not match" sgd-r.cfg
head -c $((size - 9)) good.state >"$st"
expect_bad "a truncated file" "checksum does not match" sgd-r.cfg
head -c 12 good.state >"$st"
expect_bad "a file cut in the header" "truncated inside the header" sgd-r.cfg
head -c 100 /dev/zero >"$st"
expect_bad "not a state file" "not an optimiser state file" sgd-r.cfg
# a FIFO (it would block the reader), a link to /dev/zero and a huge sparse file (read whole, they
# exhausted the memory) are refused before anything is read
bad_kind() {  # what, pattern: the resume from $w fails within 60 s naming $st and the pattern
    set +e; timeout 60 "$dn" classifier train "$data" sgd-r.cfg "$w" -seed 7 >bad.log 2>&1; rc=$?; set -e
    [ $rc -eq 1 ] && grep -q "^$st: .*$2" bad.log || { tail -n 3 bad.log; fail "$1: exit $rc, expected 1 and '$2'"; }
    rm -f "$st"
}
rm -f "$st"; mkfifo "$st"
bad_kind "a FIFO" "not a regular file"
ln -s /dev/zero "$st"
bad_kind "a link to /dev/zero" "not a regular file"
truncate -s 4G "$st"
bad_kind "a 4 GiB sparse file" "4294967296 bytes, more than an optimiser state of this cfg can hold"
cp good.state "$st"
# another run's state at the same iteration (same schedule, -seed 8): bound to its own weights file
# by their digest, it is refused (before: a silent resume with run 8's momentum)
sed 's/^max_batches=.*/max_batches=3/' sgd-N.cfg >sgd-k8.cfg
train k8.log sgd-k8.cfg -seed 8
cp $B/sgd-k8.weights.state "$st"
expect_bad "another run's state at the same iteration" "was saved beside other weights than $w (their digests differ)" sgd-r.cfg
cp $B/sgd-N.weights.state "$st"
expect_bad "another save's state" "saved at 48 images seen, $w at 24" sgd-r.cfg
# a state with its own weights, loaded into a cfg of another optimiser or of per-filter Wp/Wn: the
# digest matches, the arrays do not (the message names the layer)
other_cfg() {  # what, weights, cfg[, pattern of the state's message]
    set +e; "$dn" classifier train "$data" "$3" "$2" -seed 7 >bad.log 2>&1; rc=$?; set -e
    [ $rc -eq 1 ] || { tail -n 3 bad.log; fail "$1: exit $rc, expected 1"; }
    [ -z "${4:-}" ] || grep -q "^$2.state: .*$4" bad.log || { tail -n 3 bad.log; fail "$1: no message '$4'"; }
}
other_cfg "an Adam state for a momentum cfg" $B/adam-k.weights sgd-r.cfg "layer 0 (convolutional): the state file holds 9 optimiser arrays for this layer, the cfg.s layer keeps 3"
# (a per-filter state, with its weights, cannot reach a per-layer cfg: the weights loader refuses them)
other_cfg "per-filter weights and state for a per-layer cfg" $B/sgd-pf-k.weights sgd-r.cfg
cp $B/sgd-pf-k.weights.state "$st"
expect_bad "a per-filter state beside per-layer weights" "was saved beside other weights than $w" sgd-r.cfg
sed '/^\[avgpool\]$/i [maxpool]\nsize=1\nstride=1\n' sgd-r.cfg >more.cfg
expect_bad "a state of fewer layers" "holds 6 layers, the cfg's network has 7" more.cfg
head -c 100 /dev/zero >"$st"
"$dn" classifier train "$data" sgd-r.cfg "$w" -clear -seed 7 >clear.log 2>&1 || { tail -n 3 clear.log; fail "-clear did not ignore a bad state file"; }
cp good.state "$st"
set +e; "$dn" classifier train "$data" sgd-r.cfg "$w" -seed -1 >bad.log 2>&1; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "option -seed = '-1', expected an integer >= 0" bad.log || fail "-seed -1: exit $rc"

# ---- where training starts (patch 0702): weights past iteration 0 without their state are refused
# unless -clear or -resume says which schedule to follow (upstream continued the weights' counter:
# FP weights fine-tuned without -clear trained the tail of the TTQ schedule and exited 0)
mv "$st" nostate
before=$(cksum <$w; ls $B | cksum)
set +e; "$dn" classifier train "$data" sgd-r.cfg "$w" -seed 7 >bad.log 2>&1; rc=$?; set -e
[ $rc -eq 1 ] || { tail -n 3 bad.log; fail "weights without a state, no -clear or -resume: exit $rc, expected 1"; }
grep -q "^$w: saved at iteration 3 (24 images seen) with no optimiser state beside it: add -clear to train sgd-r.cfg's schedule from iteration 0 .*, or -resume to continue at iteration 3 with the optimiser state at zero" bad.log ||
    { tail -n 3 bad.log; fail "weights without a state: not the message naming -clear and -resume"; }
[ "$before" = "$(cksum <$w; ls $B | cksum)" ] || fail "the refused start changed the backup folder"
train r.log sgd-r.cfg "$w" -seed 7 -resume
grep -q "^$w: resuming at iteration 3 of 6 (-resume: the optimiser state starts at zero)" r.log || { tail -n 3 r.log; fail "-resume: no line saying where training starts"; }
train r.log sgd-r.cfg "$w" -seed 7 -clear
grep -q "resuming" r.log && fail "-clear: training said it resumes"
mv nostate "$st"
# a run at or past its cfg's max_batches: nothing to train, an error (upstream: exit 0)
set +e; "$dn" classifier train "$data" sgd-N.cfg $B/sgd-N.weights -seed 7 >bad.log 2>&1; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "^$B/sgd-N.weights: saved at iteration 6, at or past sgd-N.cfg's max_batches = 6: nothing is left to train" bad.log ||
    { tail -n 3 bad.log; fail "weights at max_batches: exit $rc, expected 1 and the message"; }
set +e; "$dn" classifier train "$data" sgd-r.cfg "$w" -clear -resume >bad.log 2>&1; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "^sgd-r.cfg: -clear and -resume: choose one" bad.log || { tail -n 3 bad.log; fail "-clear -resume: exit $rc"; }
set +e; "$dn" classifier train "$data" sgd-r.cfg -resume >bad.log 2>&1; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "^sgd-r.cfg: -resume needs a weights file" bad.log || { tail -n 3 bad.log; fail "-resume without weights: exit $rc"; }
# weights saved at iteration 0 (Darknet's partial, converted weights) start at 0 without a word
cp "$w" zero.weights
printf '\000\000\000\000\000\000\000\000' | dd of=zero.weights bs=1 seek=12 conv=notrunc 2>/dev/null   # seen = 0
train r.log sgd-k.cfg zero.weights -seed 7
grep -q "resuming\|no optimiser state" r.log && { tail -n 3 r.log; fail "weights at iteration 0: training did not start at 0 quietly"; }

# ---- one training of a cfg at a time in a backup folder (patch 0705): a second is refused naming the
# pid, another cfg is not; a link planted at the lock's name is refused, not followed
sed 's/^max_batches=.*/max_batches=100000/' sgd-N.cfg >long.cfg
"$dn" classifier train "$data" long.cfg >long.log 2>&1 &
long=$!
i=0
while ! grep -q '^\[train\] starting' long.log && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
grep -q '^\[train\] starting' long.log || { kill $long; tail -n 3 long.log; fail "the long training did not start"; }
set +e; "$dn" classifier train "$data" long.cfg >bad.log 2>&1; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "^$B/long.lock: another training of long is writing into $B (pid $long)" bad.log ||
    { kill $long; tail -n 3 bad.log; fail "a second training of the same cfg: exit $rc, expected 1 and the message naming pid $long"; }
"$dn" classifier train "$data" sgd-k.cfg -clear >other.log 2>&1 || { kill $long; tail -n 3 other.log; fail "another cfg was refused beside the long training"; }
kill $long; wait $long 2>/dev/null || true
"$dn" classifier train "$data" sgd-k.cfg -clear >/dev/null 2>&1 || fail "training after the long one ended was refused"
echo x >elsewhere
rm -f $B/sgd-k.lock; ln -s "$PWD/elsewhere" $B/sgd-k.lock
set +e; "$dn" classifier train "$data" sgd-k.cfg -clear >bad.log 2>&1; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "^$B/sgd-k.lock: cannot create the training lock" bad.log && [ "$(cat elsewhere)" = x ] ||
    { tail -n 3 bad.log; fail "a link at the lock's name: exit $rc, expected 1 and the file it points to untouched"; }
rm -f $B/sgd-k.lock

# ---- detector train -seed: 4 steps = 2 + resume + 2, and a stale state named -------------------------
mkdir -p det/backup
i=0
while [ $i -lt 8 ]; do
    f=$(sed -n "$((i + 1))p" set/train.list)
    cp "$f" det/$i.png
    echo "$((i % 2)) 0.5 0.5 0.6 0.6" >det/$i.txt
    echo "$PWD/det/$i.png" >>det/train.list
    i=$((i + 1))
done
printf 'classes=2\ntrain=%s/det/train.list\nbackup=%s/det/backup\n' "$PWD" "$PWD" >det.data
cat >detN.cfg <<'EOF'
[net]
batch=4
subdivisions=1
height=32
width=32
channels=3
momentum=0.9
decay=0.0005
learning_rate=0.01
policy=constant
max_batches=4

[convolutional]
filters=8
size=3
stride=2
pad=1
batch_normalize=1
activation=leaky

[ternary]
filters=16
size=3
stride=2
pad=1
batch_normalize=1
activation=leaky

[convolutional]
filters=14
size=1
stride=1
pad=0
activation=linear

[region]
anchors=1,1
classes=2
coords=4
num=2
softmax=1
jitter=.2
rescore=1
object_scale=5
noobject_scale=1
class_scale=1
coord_scale=1
random=0
EOF
sed 's/^max_batches=.*/max_batches=2/' detN.cfg >detk.cfg
cp detN.cfg detr.cfg
dtrain() { log=$1; shift; "$dn" detector train det.data "$@" >"$log" 2>&1 || { tail -n 5 "$log"; fail "detector train $* exited non-zero"; }; }
dtrain dN.log detN.cfg -seed 3
dtrain dk.log detk.cfg -seed 3
dtrain dr.log detr.cfg det/backup/detk_final.weights -seed 3
cmp -s det/backup/detN_final.weights det/backup/detr_final.weights || fail "detector: 4 steps and 2 + resume + 2 differ"
cp det/backup/detN_final.weights.state det/backup/detk_final.weights.state
set +e; "$dn" detector train det.data detr.cfg det/backup/detk_final.weights -seed 3 >bad.log 2>&1; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "^det/backup/detk_final.weights.state: saved at 16 images seen" bad.log ||
    { tail -n 3 bad.log; fail "detector: a stale state file: exit $rc, expected 1 and a message naming it"; }
rm det/backup/detk_final.weights.state
set +e; "$dn" detector train det.data detr.cfg det/backup/detk_final.weights >bad.log 2>&1; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "^det/backup/detk_final.weights: saved at iteration 2 (8 images seen) with no optimiser state beside it: add -clear" bad.log ||
    { tail -n 3 bad.log; fail "detector: weights without a state: exit $rc, expected 1 and the message naming -clear and -resume"; }
dtrain dr.log detr.cfg det/backup/detk_final.weights -resume
exit 0
