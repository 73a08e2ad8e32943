#!/bin/sh
# ./darknet at the top level stays the CPU build whatever `make check` builds beside it: with nvcc
# installed, check also builds the cuDNN variant (build/gpu-cudnn), which was copied over ./darknet
# before the Makefile's TOPLEVEL=0, so that on a machine without a GPU every command of the README
# aborted in cuda.c until a plain `make` ran again. `make check` sets
# TTQ_TOPLEVEL to the top-level binary after building every variant; run alone (no TTQ_TOPLEVEL)
# this test skips.
set -eu
: "${WORK:?}" "${VB:?}"
[ -n "${TTQ_TOPLEVEL:-}" ] || { echo "run by make check only (TTQ_TOPLEVEL names ./darknet after every variant is built)"; exit 77; }
cpu="$(dirname "$VB")/$(basename "$VB" | sed 's/^asan/cpu/')/darknet/darknet"
[ -x "$cpu" ] || { echo "FAIL t_toplevel: no CPU build at $cpu"; exit 1; }
cmp -s "$TTQ_TOPLEVEL" "$cpu" || { echo "FAIL t_toplevel: $TTQ_TOPLEVEL is not the CPU build $cpu (make check replaced it)"; exit 1; }
mkdir -p "$WORK"
"$TTQ_TOPLEVEL" ops tests/e2e-ttq.cfg >"$WORK/out" 2>&1 || { tail -n 3 "$WORK/out"; echo "FAIL t_toplevel: $TTQ_TOPLEVEL ops exited $?"; exit 1; }
