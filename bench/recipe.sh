#!/bin/sh
# Repeated runs of the full recipe (FP training, TTQ fine-tuned from its weights, both validated
# on the 10 000 Fashion-MNIST test images), to compare cfgs by more than one run each.
#
#   sh bench/recipe.sh [-n RUNS] [-j JOBS] [-t SECONDS] [FP.cfg:TTQ.cfg ...]
#
#   -n RUNS   runs of each cfg pair (default 3)
#   -j JOBS   runs at once (default 1). On a GPU, runs at once share the card: whether that
#             trains more images per second in all is what the summary's last line measures.
#             On the CPU keep 1: each run already uses every core.
#   -t SECS   start no run after SECS seconds (a device session's time is short): the runs left
#             out are listed as "not started", and the summary covers the runs that finished
#   pairs     default: cfg/resnet20-fmnist.cfg:cfg/ttq-resnet20-fmnist.cfg (the committed recipe)
#
# GPU=1 takes the GPU build (cuDNN), as `make demo GPU=1` does; FASHION_MNIST=dir takes the idx
# files from elsewhere; RECIPE_OUT=dir (default build/recipe) receives one folder per run (data
# file, weights, logs) and summary.txt. The runs are ordered pair by pair within each round, so
# a drift of the machine's speed touches every pair alike. Darknet seeds its generator from the
# clock in seconds, so the runs start at least two seconds apart.
# Needs the Debian packages of `make demo` (it installs nothing).
set -eu
cd "$(dirname "$0")/.."
RUNS=3
JOBS=1
BUDGET=0
while getopts n:j:t: opt; do
    case $opt in
        n) RUNS=$OPTARG ;;
        j) JOBS=$OPTARG ;;
        t) BUDGET=$OPTARG ;;
        *) echo "usage: sh bench/recipe.sh [-n RUNS] [-j JOBS] [-t SECONDS] [FP.cfg:TTQ.cfg ...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
case "$RUNS$JOBS$BUDGET" in *[!0-9]*) echo "error: -n, -j and -t take positive integers" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$JOBS" -ge 1 ] || { echo "error: -n, -j and -t take positive integers" >&2; exit 2; }
[ $# -gt 0 ] || set -- cfg/resnet20-fmnist.cfg:cfg/ttq-resnet20-fmnist.cfg
for pair in "$@"; do
    case "$pair" in *:*) ;; *) echo "error: '$pair' is not FP.cfg:TTQ.cfg" >&2; exit 2 ;; esac
    for f in "${pair%%:*}" "${pair#*:}"; do
        [ -r "$f" ] || { echo "error: cannot read cfg '$f'" >&2; exit 2; }
    done
done

GPU=${GPU:-0}
if [ "$GPU" = 1 ]; then VB=build/gpu-cudnn; MAKEVARS="GPU=1 CUDNN=1"; else VB=build/cpu; MAKEVARS=""; fi
DARKNET=$VB/darknet/darknet
DATASET=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
SET=build/fashion-mnist
OUT=${RECIPE_OUT:-build/recipe}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
summary="$OUT/summary.txt"
now() { date +%s; }
. data/setup.sh   # setup_build, fmt, device_name

echo "== building (${MAKEVARS:-CPU}; log: $OUT/build.log)"
setup_build "$OUT/build.log"
if [ ! -s "$SET/train.list" ] || [ ! -s "$SET/test.list" ]; then
    echo "== converting Fashion-MNIST to Darknet's layout in $SET"
    "$VB/tools/convert" fashion-mnist "$DATASET" "$SET"
fi

# one run: folder, FP cfg, TTQ cfg -> folder/result: "fp_top1 ttq_top1 fp_seconds ttq_seconds"
run_one() {
    dir=$1; fp=$2; ttq=$3
    rm -rf "$dir"; mkdir -p "$dir/backup"
    sed "s|^backup=.*|backup=$dir/backup|" "$SET/fashion-mnist.data" >"$dir/run.data"
    fpb=$(basename "$fp" .cfg); ttqb=$(basename "$ttq" .cfg)
    t=$(now)
    "$DARKNET" classifier train "$dir/run.data" "$fp" >"$dir/fp-train.log" 2>&1 || true
    tf=$(( $(now) - t )); t=$(now)
    if [ -s "$dir/backup/$fpb.weights" ]; then
        "$DARKNET" classifier train "$dir/run.data" "$ttq" "$dir/backup/$fpb.weights" -clear \
            >"$dir/ttq-train.log" 2>&1 || true
    fi
    tt=$(( $(now) - t ))
    a=-1; b=-1
    if [ -s "$dir/backup/$fpb.weights" ]; then
        "$DARKNET" classifier valid "$dir/run.data" "$fp" "$dir/backup/$fpb.weights" >"$dir/fp-valid.log" 2>&1 || true
        a=$(sed -n 's/^[0-9]*: top 1: \([0-9.]*\),.*/\1/p' "$dir/fp-valid.log" | tail -n 1)
    fi
    if [ -s "$dir/backup/$ttqb.weights" ]; then
        "$DARKNET" classifier valid "$dir/run.data" "$ttq" "$dir/backup/$ttqb.weights" >"$dir/ttq-valid.log" 2>&1 || true
        b=$(sed -n 's/^[0-9]*: top 1: \([0-9.]*\),.*/\1/p' "$dir/ttq-valid.log" | tail -n 1)
    fi
    echo "${a:--1} ${b:--1} $tf $tt" >"$dir/result"
}

# the job list, round by round: "round pair-index fp ttq"
jobs_file="$OUT/jobs"
: >"$jobs_file"
r=1
while [ "$r" -le "$RUNS" ]; do
    i=1
    for pair in "$@"; do echo "$r $i ${pair%%:*} ${pair#*:}" >>"$jobs_file"; i=$((i + 1)); done
    r=$((r + 1))
done
njobs=$(wc -l <"$jobs_file")
echo "== $njobs runs ($RUNS of each of $# cfg pairs), $JOBS at once; logs under $OUT"

t_all=$(now)
w=0
while [ "$w" -lt "$JOBS" ]; do
    (
        k=0
        while read -r round idx fp ttq; do
            if [ $((k % JOBS)) -eq "$w" ]; then
                if [ "$BUDGET" -gt 0 ] && [ $(( $(now) - t_all )) -ge "$BUDGET" ]; then
                    rm -rf "$OUT/p$idx-r$round"; mkdir -p "$OUT/p$idx-r$round"
                    echo "-2 -2 0 0" >"$OUT/p$idx-r$round/result"
                else
                    run_one "$OUT/p$idx-r$round" "$fp" "$ttq"
                    echo "   done: pair $idx run $round: $(cat "$OUT/p$idx-r$round/result")"
                fi
            fi
            k=$((k + 1))
        done <"$jobs_file"
    ) &
    w=$((w + 1))
    [ "$w" -lt "$JOBS" ] && sleep 3
done
wait
t_all=$(( $(now) - t_all ))

{
    dev=$(device_name)
    echo "== recipe runs ($dev; $(date -u +%Y-%m-%dT%H:%MZ)); top-1 on the 10 000 test images"
    i=1
    for pair in "$@"; do
        echo "  pair $i: FP ${pair%%:*}, TTQ ${pair#*:}"
        i=$((i + 1))
    done
    echo "  | pair | run | FP top-1 | TTQ top-1 | TTQ - FP | FP time | TTQ time |"
    echo "  |---|---|---|---|---|---|---|"
    while read -r round idx fp ttq; do
        read -r a b tf tt <"$OUT/p$idx-r$round/result"
        awk -v p="$idx" -v r="$round" -v a="$a" -v b="$b" -v tf="$tf" -v tt="$tt" 'BEGIN {
            if (a == -2) { printf "  | %d | %d | not started (-t) | | | | |\n", p, r; exit }
            s = (a < 0 || b < 0) ? "failed" : sprintf("%+.2f pp", 100 * (b - a));
            printf "  | %d | %d | %s | %s | %s | %dm%02ds | %dm%02ds |\n", p, r,
                a < 0 ? "failed" : sprintf("%.2f %%", 100 * a),
                b < 0 ? "failed" : sprintf("%.2f %%", 100 * b), s,
                tf / 60, tf % 60, tt / 60, tt % 60 }'
    done <"$jobs_file"
    i=1
    for pair in "$@"; do
        awk -v p="$i" '$2 == p { print $1 }' "$jobs_file" | while read -r round; do
            cat "$OUT/p$i-r$round/result"
        done | awk -v p="$i" '
            $1 >= 0 && $2 >= 0 { n++; a[n] = 100 * $1; b[n] = 100 * $2 }
            function stat(x, u,   k, m, v) { m = 0; for (k = 1; k <= n; k++) m += x[k]; m /= n;
                v = 0; for (k = 1; k <= n; k++) v += (x[k] - m) ^ 2;
                return n > 1 ? sprintf("%.2f %s (sd %.2f)", m, u, sqrt(v / (n - 1))) : sprintf("%.2f %s", m, u) }
            END { if (n == 0) { printf "  pair %d: no run finished\n", p; exit }
                  for (k = 1; k <= n; k++) d[k] = b[k] - a[k]
                  printf "  pair %d, %d runs: FP mean %s, TTQ mean %s, TTQ - FP mean %s\n", p, n,
                      stat(a, "%"), stat(b, "%"), stat(d, "pp") }'
        i=$((i + 1))
    done
    nrun=$(while read -r round idx fp ttq; do cat "$OUT/p$idx-r$round/result"; done <"$jobs_file" | awk '$1 != -2' | wc -l)
    echo "  wall time: $(fmt "$t_all") for $nrun runs, $JOBS at once ($(awk -v t="$t_all" -v n="$nrun" 'BEGIN { printf "%.1f", n ? t / n / 60 : 0 }') min a run)"
} | tee "$summary"
