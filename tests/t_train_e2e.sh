#!/bin/sh
# End to end with the darknet binary on a small generated image set: `classifier train` a [ternary]
# net from scratch (the loss must fall), then the paper's flow: train a full-precision net and
# fine-tune the [ternary] net from its weights (Wp/Wn must move), then `classifier valid` both.
# All trainings run with -seed 1 (patch 0522): the data order no longer depends on the clock, so
# the accuracies checked below are the same in every run (before, about 1 run in 8 failed).
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
mkdir -p "$WORK"
"$VB/tools/genimages" "$WORK/set" 40 20 16 7
data="$WORK/set/set.data"
fail() { echo "FAIL t_train_e2e: $*"; exit 1; }

first_loss() { sed -n 's/^[0-9]*, [0-9.]*: \([0-9.]*\), .*/\1/p' "$1" | head -n 1; }
last_avg()   { sed -n 's/^[0-9]*, [0-9.]*: [0-9.]*, \([0-9.]*\) avg.*/\1/p' "$1" | tail -n 1; }
top1()       { sed -n 's/^[0-9]*: top 1: \([0-9.]*\),.*/\1/p' "$1" | tail -n 1; }

"$DARKNET" classifier train "$data" tests/e2e-ttq.cfg -ttq_log_every 20 -seed 1 -verbose >"$WORK/scratch.log" 2>&1 || { tail "$WORK/scratch.log"; fail "TTQ training from scratch exited non-zero"; }
# progress lines and telemetry: 240 iterations, a row every 20, two [ternary] layers (1 and 2)
grep -q '^\[train\] epoch .* img/s .* ETA' "$WORK/scratch.log" || fail "no progress line"
csv="$WORK/set/backup/e2e-ttq.ttq.csv"
[ -s "$csv" ] || fail "no telemetry CSV"
head -n 1 "$csv" | grep -q '^iteration,epoch,images,loss,avg_loss,L1_wp,L1_wn,L1_delta,L1_sparsity,L1_maxw,L2_wp,' || fail "telemetry header: $(head -n 1 "$csv")"
[ "$(wc -l < "$csv")" -eq 13 ] || fail "telemetry: expected 12 rows, got $(($(wc -l < "$csv") - 1))"
awk -F, 'NR > 1 && !($6 > 0 && $7 > 0 && $9 > 0 && $9 < 1) { bad = 1 } END { exit bad }' "$csv" || fail "telemetry values out of range"
if command -v gnuplot >/dev/null 2>&1; then
    "$DARKNET" ternary plot "$csv" "$WORK/ttq.png" >"$WORK/plot.log" 2>&1 || { cat "$WORK/plot.log"; fail "ternary plot failed"; }
    [ "$(head -c 4 "$WORK/ttq.png" | od -An -c | tr -d ' ')" = "211PNG" ] || fail "ternary plot wrote no PNG"
fi
l0=$(first_loss "$WORK/scratch.log"); l1=$(last_avg "$WORK/scratch.log")
[ -n "$l0" ] && [ -n "$l1" ] || fail "no loss lines in the TTQ training log"
awk -v a="$l0" -v b="$l1" 'BEGIN { exit !(b < 0.5*a) }' || fail "TTQ loss did not fall: first $l0, last avg $l1"
rm -f "$WORK/set/backup/e2e-ttq.weights"

"$DARKNET" classifier train "$data" tests/e2e-fp.cfg -seed 1 >"$WORK/fp.log" 2>"$WORK/fp.err" || { tail "$WORK/fp.err"; fail "FP training exited non-zero"; }
# without -verbose (patch 0704): no Darknet line per iteration on stdout; on stderr the line saying
# where training starts and the progress lines
! grep -q '^Loaded: \|^[0-9]*, [0-9.]*: ' "$WORK/fp.log" || { head -n 3 "$WORK/fp.log"; fail "training printed Darknet's per-iteration lines without -verbose"; }
[ "$(wc -l <"$WORK/fp.log")" -le 5 ] || { head "$WORK/fp.log"; fail "training printed $(wc -l <"$WORK/fp.log") lines on stdout without -verbose"; }
grep -q '^\[train\] starting at iteration 0 of 240, 32 images an iteration' "$WORK/fp.err" || { head -n 3 "$WORK/fp.err"; fail "no line saying where training starts"; }
grep -q '^\[train\] epoch .* iter 240/240 ' "$WORK/fp.err" || fail "no progress line for the last iteration"
[ "$(grep -c '^[0-9]*, [0-9.]*: ' "$WORK/scratch.log")" -eq 240 ] || fail "-verbose: expected Darknet's 240 per-iteration lines"
[ -s "$WORK/set/backup/e2e-fp.weights" ] || fail "FP training wrote no weights"

"$DARKNET" classifier train "$data" tests/e2e-ttq.cfg "$WORK/set/backup/e2e-fp.weights" -clear -seed 1 \
    >"$WORK/ttq.log" 2>&1 || { tail "$WORK/ttq.log"; fail "TTQ training exited non-zero"; }
w="$WORK/set/backup/e2e-ttq.weights"
[ -s "$w" ] || fail "TTQ training wrote no weights"


"$DARKNET" ternary info tests/e2e-ttq.cfg "$w" >"$WORK/info.log" 2>/dev/null || fail "ternary info failed"
n=$(awk '$2 == "ternary" && ($5 != "1.00000" || $6 != "1.00000")' "$WORK/info.log" | wc -l)
[ "$n" -eq 2 ] || { cat "$WORK/info.log"; fail "Wp/Wn did not move in both [ternary] layers"; }
awk '$2 == "ternary" && !($5 > 0 && $6 > 0)' "$WORK/info.log" | grep -q . && fail "Wp/Wn not positive"

# per_filter=1: fine-tunes from the same FP weights, learns a Wp/Wn per filter, and `ternary info`
# shows the layers as ternaryF with their means
sed 's/^\[ternary\]$/[ternary]\nper_filter=1/; s/^max_batches=.*/max_batches=60/' tests/e2e-ttq.cfg >"$WORK/pf.cfg"
"$DARKNET" classifier train "$data" "$WORK/pf.cfg" "$WORK/set/backup/e2e-fp.weights" -clear -seed 1 \
    >"$WORK/pf.log" 2>&1 || { tail "$WORK/pf.log"; fail "per-filter TTQ training exited non-zero"; }
"$DARKNET" ternary info "$WORK/pf.cfg" "$WORK/set/backup/pf.weights" >"$WORK/pfinfo.log" 2>/dev/null || fail "ternary info (per filter) failed"
[ "$(awk '$2 == "ternaryF" && $5 > 0 && $6 > 0 && ($5 != "1.00000" || $6 != "1.00000")' "$WORK/pfinfo.log" | wc -l)" -eq 2 ] &&
    grep -q '^ternaryF: per_filter=1' "$WORK/pfinfo.log" || { cat "$WORK/pfinfo.log"; fail "ternary info: per-filter layers not shown as ternaryF with moved Wp/Wn"; }
"$DARKNET" classifier valid "$data" "$WORK/pf.cfg" "$WORK/set/backup/pf.weights" >"$WORK/vpf.log" 2>&1 || fail "per-filter valid exited non-zero"
[ -n "$(top1 "$WORK/vpf.log")" ] || fail "per-filter valid printed no top-1"

"$DARKNET" classifier valid "$data" tests/e2e-fp.cfg "$WORK/set/backup/e2e-fp.weights" >"$WORK/vfp.log" 2>&1 || fail "FP valid exited non-zero"
"$DARKNET" classifier valid "$data" tests/e2e-ttq.cfg "$w" >"$WORK/vttq.log" 2>&1 || fail "TTQ valid exited non-zero"
a_fp=$(top1 "$WORK/vfp.log"); a_t=$(top1 "$WORK/vttq.log")
[ -n "$a_t" ] || fail "no top-1 line from classifier valid"
awk -v a="$a_t" 'BEGIN { exit !(a >= 0.85) }' || fail "TTQ top-1 $a_t < 0.85 (FP: $a_fp)"
# random erasing reaches classifier training (patch 0601): with every training image replaced by
# noise (erase=1 over the whole image) nothing can be learnt but the classes' prior, so the loss
# stays near ln 3 = 1.099 (3 balanced classes), where the same net's loss above fell far below it.
# (The test compared with 0.7 x the first loss before: a first loss of 1.66 then passed below ln 3
# with nothing learnt, once in 2026-12-08's CI run.)
sed 's/^\[net\]$/[net]\nerase=1\nerase_min=1\nerase_max=1\nerase_aspect=1/; s/^max_batches=240$/max_batches=60/' \
    tests/e2e-fp.cfg >"$WORK/erase-all.cfg"
"$DARKNET" classifier train "$data" "$WORK/erase-all.cfg" -verbose >"$WORK/erase.log" 2>&1 || { tail "$WORK/erase.log"; fail "training with erase exited non-zero"; }
e0=$(first_loss "$WORK/erase.log"); e1=$(last_avg "$WORK/erase.log")
[ -n "$e0" ] && [ -n "$e1" ] || fail "no loss lines in the erase training log"
awk -v b="$e1" 'BEGIN { exit !(b > 1.0) }' || fail "loss fell below ln 3 with every image erased ($e0 -> $e1): erase did not reach the loader"
[ -n "${TTQ_VERBOSE:-}" ] && { echo "FP top-1 $a_fp, TTQ top-1 $a_t, TTQ loss $l0 -> $l1"; cat "$WORK/info.log"; }
exit 0
