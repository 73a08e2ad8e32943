#!/bin/sh
# make bench: training-step time of CIFAR-style ResNet-20 (batch 128, 32x32x3) with [ternary]
# inner layers against the same network with [convolutional], measured in one run, steps
# interleaved; then, when Debian's python3-torch is installed, PyTorch training the same
# ResNet-20 on the same machine (bench/pytorch_resnet20.py), and the ratio of throughputs.
set -eu
bin=$1
steps=${BENCH_STEPS:-5}
. bench/openblas-core.sh
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "OpenBLAS kernels: ${OPENBLAS_CORETYPE:-$("$BLASCORE" 2>/dev/null || echo '?')}, OpenMP threads: ${OMP_NUM_THREADS:-$(nproc)}"
out=$("$bin" cfg/resnet20.cfg cfg/ttq-resnet.cfg "$steps" 2>/dev/null)
echo "$out"
py=${PYTHON:-/usr/bin/python3}   # Debian's python3, where python3-torch installs
if [ -x "$py" ] && "$py" -c "import torch" 2>/dev/null; then
    pt=$("$py" bench/pytorch_resnet20.py "$steps")
    echo "$pt"
    ours=$(echo "$out" | sed -n 's/^cfg\/ttq-resnet.cfg .*, \([0-9.]*\) img\/s$/\1/p')
    fp=$(echo "$out" | sed -n 's/^cfg\/resnet20.cfg .*, \([0-9.]*\) img\/s$/\1/p')
    theirs=$(echo "$pt" | sed -n 's/.*, \([0-9.]*\) img\/s$/\1/p' | tail -n 1)
    awk -v a="$ours" -v f="$fp" -v b="$theirs" 'BEGIN { printf "img/s ratio ours/PyTorch: FP %.2f, TTQ %.2f\n", f/b, a/b }'
else
    echo "PyTorch comparison skipped: python3-torch is not installed (apt-get install python3-torch)"
fi
