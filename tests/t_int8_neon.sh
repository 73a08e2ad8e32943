#!/bin/sh
# The integer path's ARM64 kernels (NEON dot product, src/ttq_int8.c) against the definitions:
# tests/test_int8.c (and tests/test_int_ops.c, the whole network's other integer ops) cross-compiled with Debian's aarch64 compiler (gcc-aarch64-linux-gnu), static,
# and run under qemu-user (qemu-aarch64), built with -Ofast as Darknet builds. Correctness only: qemu
# says nothing about ARM speed.
# Skipped (77) where the cross compiler or qemu is not installed.
set -eu
: "${WORK:?}"
CROSS=${CROSS_CC:-aarch64-linux-gnu-gcc}
QEMU=${QEMU_AARCH64:-qemu-aarch64}
command -v "$CROSS" >/dev/null 2>&1 || { echo "no $CROSS (Debian: gcc-aarch64-linux-gnu)"; exit 77; }
command -v "$QEMU" >/dev/null 2>&1 || { echo "no $QEMU (Debian: qemu-user)"; exit 77; }
mkdir -p "$WORK"
"$CROSS" -Ofast -static -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-unknown-pragmas -Isrc -Itests \
    tests/test_int8.c src/ttq_int8.c src/check_error.c -o "$WORK/test_int8_arm64" -lm
# the NEON set must be the one the test ran, besides the scalar one
"$QEMU" "$WORK/test_int8_arm64" -v >"$WORK/out" 2>&1 || { cat "$WORK/out"; exit 1; }
grep -q "kernel set available: neon-dotprod" "$WORK/out" || { cat "$WORK/out"; echo "FAIL: the NEON kernels did not run"; exit 1; }
# the whole network's other integer ops (src/int_graph/int_ops.c) on ARM64 against their definitions
"$CROSS" -Ofast -static -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-unknown-pragmas -Isrc -Isrc/int_graph \
    -Itests tests/test_int_ops.c src/int_graph/int_ops.c src/ttq_int8.c src/check_error.c -o "$WORK/test_int_ops_arm64" -lm
"$QEMU" "$WORK/test_int_ops_arm64" >"$WORK/out_ops" 2>&1 || { cat "$WORK/out_ops"; exit 1; }
# and with the CPU qemu emulates stripped of the dot product (an ARMv8.0 CPU), the scalar set alone runs
if "$QEMU" -cpu cortex-a53 "$WORK/test_int8_arm64" -v >"$WORK/out53" 2>&1; then
    grep -q "kernel set available: neon-dotprod" "$WORK/out53" && { echo "FAIL: NEON dot product reported on a Cortex-A53"; exit 1; }
else
    cat "$WORK/out53"; exit 1
fi
exit 0
