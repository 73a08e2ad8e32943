#!/bin/sh
# File names as an attacker would write them, and writes that fail, for every command that writes
# a file at a path the user gives: `ternary plot`, `ternary fold`, `ternary pack` and the converter
# (data/convert.c). Each case runs in a scratch folder of its own, whose entries are then counted.
#  - No name reaches a shell or gnuplot: the two known reproducers (a plot output or CSV name that
#    makes gnuplot run `touch PWNED`; a convert output with quotes whose stale NAME.tmp made
#    `rm -rf` delete ./victim) create and delete nothing; names with ' " ; $() ` \, a newline, a
#    space and a leading - work as the inputs and the outputs of plot, fold and pack, and are
#    written under exactly that name; a folded cfg holds an input's name only in comments.
#  - convert: hostile output names work (quotes, ;, $(), a leading -); one with white space or a
#    control character is refused (Darknet's .data reader strips white space, lists are lines); a
#    stale OUT.tmp is removed without following the symbolic links in it (or that it is).
#  - An output that is an input (the same name, ./name, a symbolic or hard link, fold's two
#    outputs one file) or that exists and is not a regular file
#    (a folder, a FIFO) is refused: exit 1, the inputs unchanged, nothing written.
#  - A write that fails (a file size limit, `ulimit -f`, stands in for a full disk: the write
#    fails with EFBIG where a full disk gives ENOSPC) ends with exit 1, a message naming the
#    output, no output and no temporary (NAME.tmp.XXXXXX); an output that existed before is unchanged.
set -eu
: "${WORK:?}" "${DARKNET:?}" "${VB:?}"
mkdir -p "$WORK"
top=$(pwd)
DARKNET=$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")
conv="$(cd "$VB" && pwd)/tools/convert"
netout="$(cd "$VB" && pwd)/tools/netout"
. "$top/tests/idx.sh"
fail() { echo "FAIL t_hostile_paths: $*"; exit 1; }
nl='
'

# the number of entries of a folder (any names, newlines included), and that the named ones exist
entries() {  # dir count name...
    d=$1 c=$2; shift 2
    got=$(find "$d" -mindepth 1 -maxdepth 1 -printf x | wc -c)
    [ "$got" -eq "$c" ] || { ls -lab "$d"; fail "$d holds $got entries, expected $c ($*)"; }
    for e in "$@"; do [ -e "$d/$e" ] || { ls -lab "$d"; fail "$d: '$e' is missing"; }; done
}
no_pwned() { [ -z "$(find "$WORK" -name PWNED)" ] || fail "a file name ran a command: $(find "$WORK" -name PWNED)"; }
ispng() { [ "$(head -c 4 <"$1" | od -An -c | tr -d ' ')" = "211PNG" ]; }
scratch() { rm -rf "$WORK/s"; mkdir -p "$WORK/s"; cd "$WORK/s"; }
# run a command, expecting exit 1 and a message holding NEEDLE
refused() {  # needle command...
    needle=$1; shift
    set +e; "$@" >"$WORK/log" 2>&1; r=$?; set -e
    [ "$r" -eq 1 ] || { tail -n 3 "$WORK/log"; fail "exit $r, expected 1: $*"; }
    grep -qF -- "$needle" "$WORK/log" || { tail -n 3 "$WORK/log"; fail "message lacks '$needle': $*"; }
}
# run a command under a file size limit of BLOCKS x 512 bytes, SIGXFSZ ignored (writes past the
# limit fail with EFBIG); its output through a pipe, which the limit does not cut. Sets $r.
limited() {  # blocks command...
    b=$1; shift
    { rc=0; ( trap '' XFSZ; ulimit -f "$b"; exec "$@" ) 2>&1 || rc=$?; echo "rc=$rc"; } | cat >"$WORK/log"
    r=$(sed -n 's/^rc=//p' "$WORK/log" | tail -n 1)
}

# --- the inputs: a telemetry CSV, a [ternary] cfg with random weights, Fashion-MNIST idx files ---
B="$WORK/base"
mkdir -p "$B"
{ echo "iteration,epoch,images,loss,avg_loss,L1_wp,L1_wn,L1_delta,L1_sparsity,L1_maxw,L2_wp,L2_wn,L2_delta,L2_sparsity,L2_maxw"
  for i in 1 2 3 4 5; do
      echo "$((i*20)),0.$i,$((i*640)),2.$((9-i)),2.$((9-i)),0.$((i+1)),0.$((i+2)),0.01,0.$((6-i)),0.9,0.$((i+3)),0.$i,0.02,0.$((8-i)),0.8"
  done; } >"$B/t.csv"
cp tests/e2e-ttq.cfg "$B/t.cfg"
"$netout" randw "$B/t.cfg" "$B/t.w" 5 >/dev/null 2>&1 || fail "netout randw"
mkdir -p "$B/fm"
idx_images "$B/fm/train-images-idx3-ubyte" 3
idx_labels "$B/fm/train-labels-idx1-ubyte" 0 1 9
idx_images "$B/fm/t10k-images-idx3-ubyte" 2
idx_labels "$B/fm/t10k-labels-idx1-ubyte" 4 5
have_gnuplot=
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1

# --- the reproducers of issue 19 -----------------------------------------------------------------
if [ -n "$have_gnuplot" ]; then
    scratch
    cp "$B/t.csv" x.csv
    out="o.png'; system 'touch PWNED'; print '"
    "$DARKNET" ternary plot x.csv "$out" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "plot to a name with quotes"; }
    no_pwned
    entries . 2 x.csv "$out"
    ispng "$out" || fail "plot: '$out' is not a PNG"
    scratch
    in="x'; system 'touch PWNED'; print '.csv"
    cp "$B/t.csv" "$in"
    "$DARKNET" ternary plot "$in" o.png >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "plot of a CSV name with quotes"; }
    no_pwned
    entries . 2 "$in" o.png
fi
scratch
echo precious >victim
# the name of issue 19 (with spaces: now refused, see below), and one without white space that a
# shell would have split all the same
set +e; "$conv" fashion-mnist "$B/fm" "q' victim 'x" >"$WORK/log" 2>&1; set -e
mkdir -p "q' victim 'x.tmp"
set +e; "$conv" fashion-mnist "$B/fm" "q' victim 'x" >"$WORK/log" 2>&1; set -e
[ "$(cat victim)" = precious ] || fail "convert deleted ./victim (the output name of issue 19)"
n='q'"'"';rm${IFS}-rf${IFS}victim;'"'"'x'
mkdir -p "$n.tmp"
touch "$n.tmp/stale"
"$conv" fashion-mnist "$B/fm" "$n" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "convert to a name with quotes"; }
[ "$(cat victim)" = precious ] || fail "convert deleted ./victim"
[ ! -e "$n/stale" ] || fail "convert kept the stale .tmp's file"
# a folder named <out>.tmp that this run did not create is left as it is (before: removed with all in it)
[ -f "$n.tmp/stale" ] || fail "convert deleted $n.tmp, which it did not create"
entries . 4 victim "$n" "q' victim 'x.tmp" "$n.tmp"
no_pwned

# --- hostile names as inputs and outputs of plot, fold and pack ---------------------------------
hostile() {  # name
    n=$1
    if [ -n "$have_gnuplot" ]; then
        scratch
        cp -- "$B/t.csv" "$n.csv"
        "$DARKNET" ternary plot "$n.csv" "$n.png" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "plot '$n'"; }
        entries . 2 "$n.csv" "$n.png"
        ispng "$n.png" || fail "plot '$n': no PNG"
    fi
    scratch
    cp -- "$B/t.cfg" "$n.cfg"
    cp -- "$B/t.w" "$n.w"
    "$DARKNET" ternary fold "$n.cfg" "$n.w" "$n.f.cfg" "$n.f.w" >"$WORK/log" 2>&1 || { tail -n 3 "$WORK/log"; fail "fold '$n'"; }
    entries . 4 "$n.cfg" "$n.w" "$n.f.cfg" "$n.f.w"
    # up to the first section, only comments
    awk '/^\[/ { exit } !/^#/ && NF { bad = 1 } END { exit bad }' "./$n.f.cfg" || fail "fold '$n': the name is outside a comment of the cfg"
    "$DARKNET" ternary pack "$n.cfg" "$n.w" "$n.p.w" >"$WORK/log" 2>&1 || { tail -n 3 "$WORK/log"; fail "pack '$n'"; }
    entries . 5 "$n.p.w"
    "$netout" run "./$n.cfg" "./$n.p.w" 1 >/dev/null 2>&1 || fail "pack '$n': the packed file does not load"
    no_pwned
}
hostile "q'uote"
hostile 'd"quote'
hostile 'semi;touch PWNED;x'
hostile '$(touch PWNED)'
hostile '`touch PWNED`'
hostile 'back\slash'
hostile "new${nl}line"
hostile 'sp ace'
hostile '-dash'

convert_ok() {  # output name
    scratch
    "$conv" fashion-mnist "$B/fm" "$1" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "convert to '$1'"; }
    entries . 1 "$1"
    [ -f "$1/fashion-mnist.data" ] && [ "$(wc -l <"$1/train.list")" -eq 3 ] || fail "convert to '$1': incomplete set"
    no_pwned
}
convert_ok "q'uote"
convert_ok 'semi;touch${IFS}PWNED;x'
convert_ok '$(touch${IFS}PWNED)'
convert_ok '`touch${IFS}PWNED`'
convert_ok '-dash'
for n in "new${nl}line" 'sp ace' "tab	x"; do
    scratch
    refused "white space" "$conv" fashion-mnist "$B/fm" "$n"
    entries . 0
done
# a hostile input folder
scratch
cp -r "$B/fm" "in'; touch PWNED;${nl}x"
"$conv" fashion-mnist "in'; touch PWNED;${nl}x" o >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "convert from a hostile folder"; }
no_pwned
# a stale OUT.tmp, or a link of that name: left as they are (the run writes in a fresh
# o.tmp.XXXXXX), nothing followed or removed
scratch
mkdir keep o.tmp && echo kept >keep/file
ln -s ../keep o.tmp/link
"$conv" fashion-mnist "$B/fm" o >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "convert over a stale o.tmp"; }
[ "$(cat keep/file)" = kept ] && [ -L o.tmp/link ] || fail "convert removed the stale o.tmp or a file through its link"
entries . 3 keep o o.tmp
scratch
mkdir keep && echo kept >keep/file
ln -s keep o.tmp
"$conv" fashion-mnist "$B/fm" o >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "convert over a stale o.tmp link"; }
[ "$(cat keep/file)" = kept ] && [ -L o.tmp ] || fail "convert removed the o.tmp link or a file through it"
entries . 3 keep o o.tmp
# a failed conversion removes its own temporary folder and nothing else
scratch
mkdir o.tmp && echo mine >o.tmp/user-data
mkdir bad-in
set +e; "$conv" fashion-mnist bad-in o >"$WORK/log" 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || fail "convert from an empty folder exited 0"
[ "$(cat o.tmp/user-data)" = mine ] || fail "a failed conversion removed o.tmp, which it did not create"
entries . 2 o.tmp bad-in

# --- outputs that are inputs, or not regular files --------------------------------------------------
scratch
cp "$B/t.csv" "$B/t.cfg" "$B/t.w" .
cksum t.csv t.cfg t.w >"$WORK/sums"
unchanged() { cksum t.csv t.cfg t.w | cmp -s - "$WORK/sums" || fail "an input was changed: $*"; }
ln -s t.csv l.png
ln t.w hard.w
ln -s t.w sym.w
mkdir dir.png dir.cfg dir.w
mkfifo fifo.png fifo.w
for o in t.csv ./t.csv l.png; do
    refused "$o" "$DARKNET" ternary plot t.csv "$o"
done
refused "dir.png" "$DARKNET" ternary plot t.csv dir.png
refused "fifo.png" "$DARKNET" ternary plot t.csv fifo.png
unchanged plot
for o in t.w ./t.w hard.w sym.w t.cfg; do
    refused "$o" "$DARKNET" ternary pack t.cfg t.w "$o"
done
refused "fifo.w" "$DARKNET" ternary pack t.cfg t.w fifo.w
refused "dir.w" "$DARKNET" ternary pack t.cfg t.w dir.w
unchanged pack
refused "sym.w" "$DARKNET" ternary fold t.cfg t.w o.cfg sym.w
refused "hard.w" "$DARKNET" ternary fold t.cfg t.w hard.w o.w
refused "./o.cfg" "$DARKNET" ternary fold t.cfg t.w o.cfg ./o.cfg
refused "dir.cfg" "$DARKNET" ternary fold t.cfg t.w dir.cfg o.w
refused "fifo.w" "$DARKNET" ternary fold t.cfg t.w o.cfg fifo.w
unchanged fold
[ -p fifo.w ] && [ -p fifo.png ] && [ -d dir.w ] && [ -z "$(ls dir.cfg)" ] || fail "a FIFO or a folder output was replaced"
entries . 11 t.csv t.cfg t.w l.png hard.w sym.w dir.png dir.cfg dir.w fifo.png fifo.w

# --- writes that fail ---------------------------------------------------------------------------------
# 2 blocks (1 KiB): less than the PNG, the weights, the packed weights; 1 block (512 bytes): less
# than an image of random pixels (convert)
if [ -n "$have_gnuplot" ]; then
    scratch
    cp "$B/t.csv" .
    limited 2 "$DARKNET" ternary plot t.csv p.png
    [ "$r" = 1 ] && grep -q 'p\.png' "$WORK/log" || { cat "$WORK/log"; fail "plot with a full disk: exit $r"; }
    entries . 1 t.csv
    echo old >p.png
    limited 2 "$DARKNET" ternary plot t.csv p.png
    [ "$r" = 1 ] && [ "$(cat p.png)" = old ] || fail "plot with a full disk changed the previous p.png"
    entries . 2 t.csv p.png
fi
scratch
cp "$B/t.cfg" "$B/t.w" .
limited 2 "$DARKNET" ternary pack t.cfg t.w p.w
[ "$r" = 1 ] && grep -q 'p\.w' "$WORK/log" || { tail -n 3 "$WORK/log"; fail "pack with a full disk: exit $r"; }
entries . 2 t.cfg t.w
echo old >p.w
limited 2 "$DARKNET" ternary pack t.cfg t.w p.w
[ "$r" = 1 ] && [ "$(cat p.w)" = old ] || fail "pack with a full disk changed the previous p.w"
entries . 3 t.cfg t.w p.w
rm p.w
limited 2 "$DARKNET" ternary fold t.cfg t.w f.cfg f.w
[ "$r" = 1 ] && grep -q 'f\.\(w\|cfg\)' "$WORK/log" || { tail -n 3 "$WORK/log"; fail "fold with a full disk: exit $r"; }
entries . 2 t.cfg t.w
scratch
limited 1 "$conv" fashion-mnist "$B/fm" o
[ "$r" = 1 ] && grep -q 'o\.tmp' "$WORK/log" || { cat "$WORK/log"; fail "convert with a full disk: exit $r"; }
entries . 0
limited 1 "$conv" fashion-mnist-det "$B/fm" o 4 2
[ "$r" = 1 ] || { cat "$WORK/log"; fail "convert fashion-mnist-det with a full disk: exit $r"; }
entries . 0
no_pwned
exit 0
