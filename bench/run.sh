#!/bin/sh
# make bench: training-step time of CIFAR-style ResNet-20 (batch 128, 32x32x3) with [ternary]
# inner layers against the same network with [convolutional], measured in one run, interleaved.
set -eu
bin=$1
steps=${BENCH_STEPS:-5}
echo "machine: $(nproc) cores, $(uname -m); $(date -u +%Y-%m-%dT%H:%MZ)"
"$bin" cfg/resnet20.cfg cfg/ttq-resnet.cfg "$steps" 2>/dev/null
