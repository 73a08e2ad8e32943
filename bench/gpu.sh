#!/bin/sh
# The GPU checks of one prepared run on a lent GPU machine (no network there):
#   1. build with GPU=1 CUDNN=1 (Darknet's tarball must already be in build/dl/),
#   2. make test-gpu (CPU vs GPU for [ternary], a GPU training run, GPU weights on the CPU),
#   3. speed: ResNet-20 batch 128 training img/s, cfg/resnet20.cfg vs cfg/ttq-resnet20.cfg with the
#      fused TTQ kernels (the default) and with the unfused ones (DARKNET_TTQ_FUSED=0), steps
#      interleaved in one process, three runs of SPEED_STEPS steps (default 100),
#   4. accuracy: the full recipe (20 FP + 20 TTQ epochs of ResNet-20 on Fashion-MNIST), validated
#      on the 10 000 test images (skip with GPU_SKIP_ACCURACY=1),
#   5. only when RECIPE_RUNS is set: bench/recipe.sh, RECIPE_RUNS runs of each cfg pair in
#      RECIPE_PAIRS (default: the committed recipe), RECIPE_JOBS at once on the card (default 1),
#      no run started after RECIPE_BUDGET seconds (default: no limit).
# Results go to $OUT (default build/gpu-run): one log per step and summary.txt.
#   FASHION_MNIST=dir   the four idx files (.gz or plain; plain when the machine lacks zlib)
#   JOBS=n              parallel build jobs (default: all cores)
# With this workplace's device tool: copy Darknet's tarball into build/dl (make fetch) and the idx
# files into an ignored folder, e.g. .carry/fashion-mnist, then run
#   FASHION_MNIST=.carry/fashion-mnist sh bench/gpu.sh     carrying build/dl and .carry
# ($OUT, where the tool collects files, is where the results go).
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-build/gpu-run}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$OUT"
summary="$OUT/summary.txt"
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }
t0=$(date +%s)
stamp() { echo "$(( $(date +%s) - t0 )) s"; }

say "== gpu.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee -a "$summary"
nvcc --version 2>/dev/null | tail -n 1 | tee -a "$summary"

say "== 1. build (GPU=1 CUDNN=1, -j$JOBS) [$(stamp)]"
if ! make -j"$JOBS" GPU=1 CUDNN=1 darknet build/gpu-cudnn/tests/bench_step >"$OUT/build.log" 2>&1; then
    tail -n 30 "$OUT/build.log" | tee -a "$summary"
    say "build failed"; exit 1
fi

say "== 2. make test-gpu [$(stamp)]"
make -j"$JOBS" test-gpu >"$OUT/test-gpu.log" 2>&1
rc=$?
grep -E '^(--- |FAIL|[0-9]+ passed)' "$OUT/test-gpu.log" | tee -a "$summary"
say "test-gpu exit status $rc"
build/gpu-cudnn/tests/test_gpu_ternary -v >"$OUT/test-gpu-detail.log" 2>/dev/null

steps=${SPEED_STEPS:-100}
for run in 1 2 3; do
    say "== 3.$run speed: ResNet-20, batch 128, $steps interleaved steps [$(stamp)]"
    build/gpu-cudnn/tests/bench_step cfg/resnet20.cfg cfg/ttq-resnet20.cfg \
        DARKNET_TTQ_FUSED=0:cfg/ttq-resnet20.cfg "$steps" 2>>"$OUT/speed.err" | tee -a "$summary"
done

if [ -z "${GPU_SKIP_ACCURACY:-}" ]; then
    say "== 4. accuracy: full recipe, 20 FP + 20 TTQ epochs [$(stamp)]"
    if [ "$rc" -ne 0 ] && [ -z "${DARKNET_TTQ_FUSED:-}" ]; then
        # a failing GPU test says nothing certain of the fused kernels alone; the unfused ones
        # passed on an H100 before, so the accuracy run takes them and says so
        say "test-gpu failed: the recipe runs with DARKNET_TTQ_FUSED=0"
        export DARKNET_TTQ_FUSED=0
    fi
    DEMO_NO_INSTALL=1 GPU=1 sh data/demo.sh >"$OUT/demo.log" 2>&1
    say "demo exit status $?"
    sed -n '/== summary/,$p' "$OUT/demo.log" | tee -a "$summary"
    cp build/demo/*.log build/demo/ttq-telemetry.png "$OUT/" 2>/dev/null
fi
if [ -n "${RECIPE_RUNS:-}" ]; then
    say "== 5. recipe runs: $RECIPE_RUNS of each pair, ${RECIPE_JOBS:-1} at once [$(stamp)]"
    # shellcheck disable=SC2086
    GPU=1 RECIPE_OUT="$OUT/recipe" sh bench/recipe.sh -n "$RECIPE_RUNS" -j "${RECIPE_JOBS:-1}" -t "${RECIPE_BUDGET:-0}" \
        ${RECIPE_PAIRS:-} >"$OUT/recipe.log" 2>&1
    say "recipe.sh exit status $?"
    sed -n '/== recipe runs/,$p' "$OUT/recipe.log" | tee -a "$summary"
fi
say "== done [$(stamp)]"
