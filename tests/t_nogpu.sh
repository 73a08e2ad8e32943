#!/bin/sh
# A GPU build of darknet, given -nogpu, trains and validates a small [ternary] network on the CPU
# (upstream aborted in cudaSetDevice(-1)). Run for GPU builds only (see tests/run.sh).
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
mkdir -p "$WORK"
"$VB/tools/genimages" "$WORK/set" 20 10 16 11
fail() { echo "FAIL t_nogpu: $*"; exit 1; }
"$DARKNET" -nogpu classifier train "$WORK/set/set.data" tests/e2e-ttq.cfg >"$WORK/train.log" 2>&1 || { tail "$WORK/train.log"; fail "-nogpu training exited non-zero"; }
[ -s "$WORK/set/backup/e2e-ttq.weights" ] || fail "-nogpu training wrote no weights"
"$DARKNET" -nogpu classifier valid "$WORK/set/set.data" tests/e2e-ttq.cfg "$WORK/set/backup/e2e-ttq.weights" >"$WORK/valid.log" 2>&1 || fail "-nogpu valid exited non-zero"
grep -q '^[0-9]*: top 1:' "$WORK/valid.log" || fail "no top-1 line from -nogpu valid"
