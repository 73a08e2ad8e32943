#!/bin/sh
# The build follows its flags (issue 27 §5): a variant records the configuration it was built with
# in VB/.config (compiler, GPU, cuDNN, OpenMP, OpenBLAS, Debian's stb_image, ARCH), and a make with
# another configuration makes the tree anew instead of saying "Nothing to be done" (before:
# `make OPENBLAS=0 SYSTEM_STB=0`, then `make`, kept the bundled stb_image and no BLAS, as did
# installing libopenblas-dev after a first build). Checked with `make -n` on the built variant: the
# same configuration plans no new tree, a changed one plans one and says why.
set -eu
: "${WORK:?}" "${VB:?}"
case "$(basename "$VB")" in
    cpu) vars="";;
    asan) vars="SANITIZE=1";;
    *) echo "checked on the cpu and asan variants only"; exit 77;;
esac
fail() { echo "FAIL t_build_config: $*"; exit 1; }
[ -f "$VB/.config" ] || fail "$VB/.config: no recorded build configuration"
grep -q "^CC=.* OPENMP=[01] OPENBLAS=[01] SYSTEM_STB=[01]" "$VB/.config" || fail "$VB/.config: $(cat "$VB/.config")"
blas=$(sed -n 's/.* OPENBLAS=\([01]\).*/\1/p' "$VB/.config")
mkdir -p "$WORK"
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -n --no-print-directory BUILD="$(dirname "$VB")" $vars "$@" darknet >"$WORK/n.out" 2>&1 || { tail -n 5 "$WORK/n.out"; fail "make -n $vars $* failed"; }; }
mk
! grep -q "building it anew\|tar -xf" "$WORK/n.out" || { grep "anew\|tar -xf" "$WORK/n.out"; fail "the same configuration plans a new tree"; }
mk OPENBLAS=$((1 - blas))
# (make -n prints the message's command: the old configuration is its $(cat VB/.config))
grep -q "build configuration of $VB changed: was '.*', now '.*OPENBLAS=$((1 - blas)).*'; building it anew" "$WORK/n.out" ||
    { head -n 3 "$WORK/n.out"; fail "OPENBLAS=$((1 - blas)): no message saying the configuration changed"; }
grep -q "tar -xf .* -C $VB/darknet.tmp" "$WORK/n.out" || fail "OPENBLAS=$((1 - blas)): no new tree planned"
mk OPENMP=0
grep -q "building it anew" "$WORK/n.out" || fail "OPENMP=0: no new tree planned"
