#!/bin/sh
# Allocations that fail (patch 0527): a cfg whose sizes are legal (they fit Darknet's int
# indices) but whose buffers do not fit the memory the process may use ends with exit 1 and one
# line naming the cfg, the section and the bytes, never a signal. The shipped build runs under a
# 2 GB address-space limit (ulimit -v); the sanitizer build, whose shadow memory needs a large
# address space, under ASan's allocation cap (allocations above 1 GiB return NULL). The same
# network made smaller parses under the same limit, so the limit is not what fails.
set -eu
: "${WORK:?}" "${DARKNET:?}"
mkdir -p "$WORK"
failures=0

# the sanitizer build: its ASan runtime, linked dynamically (gcc) or statically (clang)
asan=0
if grep -aq __asan_init "$DARKNET"; then asan=1; fi

# one thread: `ops` computes nothing, and OpenBLAS's and OpenMP's threads would each reserve a
# stack of the address space (many cores x `ulimit -s` could exceed the limit by themselves)
run_limited() {   # cfg: `darknet ops cfg` under the memory limit, output in $WORK/out
    if [ "$asan" = 1 ]; then
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:allocator_may_return_null=1:max_allocation_size_mb=1024" \
            OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$DARKNET" ops "$1" >"$WORK/out" 2>&1
    else
        ( ulimit -v 2000000 && OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 exec "$DARKNET" ops "$1" ) >"$WORK/out" 2>&1
    fi
}

expect_oom() {   # name  cfg-text  expected-context (a grep -E pattern after "<cfg>: ")
    cfg="$WORK/$1.cfg"
    printf '%s\n' "$2" >"$cfg"
    set +e
    run_limited "$cfg"
    rc=$?
    set -e
    if [ "$rc" -ne 1 ]; then
        echo "FAIL t_alloc_errors $1: exit $rc, expected 1"; tail -n 3 "$WORK/out"; failures=$((failures + 1)); return
    fi
    if ! grep -Eq "^$cfg: $3: out of memory: could not allocate [0-9]+ bytes \([0-9.]+ GiB\) at [^ ]+\.c:[0-9]+$" "$WORK/out"; then
        echo "FAIL t_alloc_errors $1: no one-line out-of-memory message naming the cfg and '$3':"
        tail -n 3 "$WORK/out"; failures=$((failures + 1))
    fi
}

expect_ok() {   # name  cfg-text
    cfg="$WORK/$1.cfg"
    printf '%s\n' "$2" >"$cfg"
    run_limited "$cfg" || { echo "FAIL t_alloc_errors $1: rejected under the limit:"; tail -n 3 "$WORK/out"; failures=$((failures + 1)); }
}

net='[net]
batch=1
height=64
width=64
channels=3
'
# [connected]: 12288 x 100000 weights, 4.6 GiB (upstream: SIGSEGV initialising them)
expect_oom connected "$net
[connected]
output=100000
activation=linear" 'section \[connected\] #0'
expect_ok connected-small "$net
[connected]
output=1000
activation=linear"
# a [convolutional] whose output is 2 GiB (8192 filters at 256 x 256), after a layer that fits
expect_oom conv "[net]
batch=1
height=256
width=256
channels=3

[convolutional]
filters=8
size=3
pad=1
activation=leaky

[convolutional]
filters=8192
size=1
activation=leaky" 'section \[convolutional\] #1'
# the same through [ternary]
expect_oom ternary "[net]
batch=1
height=256
width=256
channels=3

[ternary]
filters=8192
size=1
activation=leaky" 'section \[ternary\] #0'
# the network's own input buffer: 16384 x 16384 x 3 values (3 GiB), after a small [avgpool]
expect_oom input "[net]
batch=1
height=16384
width=16384
channels=3

[avgpool]" "the network's input, truth and workspace"
expect_ok input-small "[net]
batch=1
height=1024
width=1024
channels=3

[avgpool]"

[ "$failures" -eq 0 ]
