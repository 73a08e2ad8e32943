#!/bin/sh
# A training save that fails (a full disk, stood in for by a file-size limit: writes fail with
# EFBIG once the limit is reached; SIGXFSZ ignored) exits non-zero, naming the weights file (not
# its temporary) and the system's reason, and leaves no temporary (NAME.tmp.XXXXXX) behind; the
# weights saved before are kept as they were.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
genimages="$(cd "$VB" && pwd)/tools/genimages"
dn="$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")"
cfgdir="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$WORK"
cd "$WORK"
fail() { echo "FAIL t_save_full: $*"; tail -n 5 out; exit 1; }

"$genimages" set 2 1 16 5 >/dev/null
sed 's/^batch=.*/batch=4/; s/^max_batches=.*/max_batches=2/' "$cfgdir/e2e-ttq.cfg" >t.cfg
"$dn" classifier train set/set.data t.cfg >out 2>&1 || fail "training without a limit exited $?"
w=set/backup/t.weights
[ -s "$w" ] || fail "no weights saved"
cp "$w" before.weights
size=$(wc -c <"$w")
# a limit of half the file, in 512-byte blocks (ulimit -f's unit in dash and bash)
blocks=$((size / 1024))
[ "$blocks" -ge 1 ] || fail "test setup: weights of $size bytes are too small for the limit"
if (trap '' XFSZ; ulimit -f "$blocks"; exec "$dn" classifier train set/set.data t.cfg "$w" -clear) >out 2>&1; then
    fail "a save beyond the file-size limit exited 0"
fi
grep -Eq "^set/backup/t(_1)?\.weights: error writing weights: File too large" out ||
    fail "the message does not name the weights file and the reason"
grep -q '\.tmp' out && fail "a message names a temporary file"
ls set/backup | grep -q '\.tmp' && fail "a temporary was left in the backup folder: $(ls set/backup)"
cmp -s "$w" before.weights || fail "the weights saved before were changed"
exit 0
