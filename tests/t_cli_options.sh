#!/bin/sh
# Numeric command-line options are read strictly, as cfg values are (patch 0517): upstream's
# find_int_arg/find_float_arg took atoi/atof of the text, so "-ttq_log_every abc" trained with 0,
# "-iou abc" scored at IoU 0 (then refused as 0, not as what was typed), "-t 2x" took 2. Each of
# these is one message naming the option and the text, exit 1, before anything is read or
# written; -ttq_log_every (classifier and detector train) must be >= 0; an option given last,
# without its value, is an error too. Well-formed values still work.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
genimages="$(cd "$VB" && pwd)/tools/genimages"
dn="$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")"
cfgdir="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$WORK"
cd "$WORK"
fail() { echo "FAIL t_cli_options: $*"; tail -n 5 out; exit 1; }

"$genimages" set 2 1 16 5 >/dev/null
sed 's/^batch=.*/batch=4/; s/^max_batches=.*/max_batches=2/' "$cfgdir/e2e-ttq.cfg" >t.cfg
data=set/set.data
img=set/imgs/test_vbars_0000.ppm

refused() {  # message, then the darknet arguments
    msg=$1; shift
    set +e
    "$dn" "$@" >out 2>&1; rc=$?
    set -e
    [ "$rc" -eq 1 ] || fail "darknet $* exited $rc, expected 1"
    [ "$(grep -cF -- "$msg" out)" -eq 1 ] || fail "darknet $*: no one message '$msg'"
    ! grep -q "^Loaded: \|^\[train\] starting\|^Loading weights" out || fail "darknet $*: started before refusing the option"
    [ -z "$(ls -A set/backup)" ] || fail "darknet $*: wrote into the backup folder"
}
refused "option -ttq_log_every = 'abc', expected an integer >= 0" classifier train $data t.cfg -ttq_log_every abc
refused "option -ttq_log_every = '-5', expected an integer >= 0" classifier train $data t.cfg -ttq_log_every -5
refused "option -ttq_log_every = '5x', expected an integer >= 0" classifier train $data t.cfg -ttq_log_every 5x
refused "option -ttq_log_every needs a value" classifier train $data t.cfg -ttq_log_every
refused "option -t = '2x', expected an integer" classifier predict $data t.cfg none.weights $img -t 2x
refused "option -t = '99999999999', expected an integer" classifier predict $data t.cfg none.weights $img -t 99999999999
refused "option -iou = 'abc', expected a finite number" detector map $data t.cfg none.weights -iou abc
refused "option -iou = 'nan', expected a finite number" detector map $data t.cfg none.weights -iou nan
refused "option -thresh = '0.5.5', expected a finite number" detector test $data t.cfg none.weights $img -thresh 0.5.5
refused "option -ttq_log_every = '-5', expected an integer >= 0" detector train $data t.cfg -ttq_log_every -5
refused "option -i = 'x', expected an integer" -i x classifier train $data t.cfg

# well-formed values
"$dn" classifier train $data t.cfg -ttq_log_every 1 >out 2>&1 || fail "-ttq_log_every 1 exited $?"
[ "$(wc -l <set/backup/t.ttq.csv)" -eq 3 ] || fail "-ttq_log_every 1: expected a header and 2 telemetry rows"
"$dn" classifier predict $data t.cfg set/backup/t.weights $img -t 2 >out 2>&1 || fail "predict -t 2 exited $?"
[ "$(grep -c '%: ' out)" -eq 2 ] || fail "predict -t 2 printed no 2 predictions"
