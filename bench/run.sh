#!/bin/sh
# make bench: training-step time of CIFAR-style ResNet-20 (batch 128, 32x32x3) with [ternary]
# inner layers against the same network with [convolutional], measured in one process with steps
# interleaved; then, when Debian's python3-torch is installed, PyTorch training the same
# ResNet-20 on the same machine (bench/pytorch_resnet20.py).
#
# The machine is shared and its speed drifts, so the measurement runs in rounds (BENCH_ROUNDS,
# default 5), each one a Darknet run (FP and TTQ, BENCH_STEPS steps each, default 5) followed
# directly by a PyTorch run; every ratio is taken within a round, and the summary gives the
# median over rounds.
set -eu
bin=$1
steps=${BENCH_STEPS:-5}
rounds=${BENCH_ROUNDS:-5}
. bench/openblas-core.sh
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "OpenBLAS kernels: ${OPENBLAS_CORETYPE:-$("$BLASCORE" 2>/dev/null || echo '?')}, OpenMP threads: ${OMP_NUM_THREADS:-$(nproc)}"
py=${PYTHON:-/usr/bin/python3}   # Debian's python3, where python3-torch installs
torch=0
if [ -x "$py" ] && "$py" -c "import torch" 2>/dev/null; then
    torch=1
else
    echo "PyTorch comparison skipped: python3-torch is not installed (apt-get install python3-torch)"
fi
rate() { sed -n "s/^$1 .*, \([0-9.]*\) img\/s\$/\1/p" | tail -n 1; }
table=$(mktemp)
trap 'rm -f "$table"' EXIT
r=1
while [ $r -le "$rounds" ]; do
    out=$("$bin" cfg/resnet20.cfg cfg/ttq-resnet20.cfg "$steps" 2>/dev/null)
    fp=$(echo "$out" | rate 'cfg\/resnet20.cfg')
    tq=$(echo "$out" | rate 'cfg\/ttq-resnet20.cfg')
    pt=-
    [ $torch -eq 1 ] && pt=$("$py" bench/pytorch_resnet20.py "$steps" | rate 'pytorch')
    echo "$r $fp $tq $pt" >>"$table"
    echo "round $r: FP $fp img/s, TTQ $tq img/s, PyTorch $pt img/s"
    r=$((r + 1))
done
awk -v steps="$steps" '
function median(a, n,   i, j, t) {
    for(i = 2; i <= n; ++i) for(j = i; j > 1 && a[j-1] > a[j]; --j) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1])/2
}
{ n++; fp[n] = $2; tq[n] = $3; rt[n] = $2/$3; if($4 != "-"){ m++; pt[m] = $4; pf[m] = $2/$4; pq[m] = $3/$4 } }
END {
    printf "median of %d rounds (%d steps each, medians within a round):\n", n, steps
    printf "cfg/resnet20.cfg         batch 128: %.1f img/s\n", median(fp, n)
    printf "cfg/ttq-resnet20.cfg       batch 128: %.1f img/s\n", median(tq, n)
    printf "step-time ratio TTQ/FP: %.3f\n", median(rt, n)
    if(m) {
        printf "pytorch resnet20 (FP)    batch 128: %.1f img/s\n", median(pt, m)
        printf "img/s ratio ours/PyTorch (within rounds): FP %.2f, TTQ %.2f\n", median(pf, m), median(pq, m)
    }
}' "$table"
