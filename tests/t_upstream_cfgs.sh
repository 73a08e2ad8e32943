#!/bin/sh
# Upstream's own cfgs (the 45 in Darknet's cfg/) still parse under the strict cfg checks of patch
# 0505 and [ternary]: `darknet ops` builds each network and exits 0. The checks must reject typos,
# not the cfgs people use (e.g. yolov2-tiny-voc.cfg's negative first step). One upstream cfg gives
# batch and subdivisions twice in [net] with different values (yolov3-openimages.cfg: its "Testing"
# lines are indented, not commented out): Darknet took the first pair and dropped the second
# silently; it is refused now, naming both lines, and checked so below. yolo9000.cfg gives the same
# values twice, which stays accepted.
# Building every network takes about 45 s of CPU in the -Ofast build; the sanitizer build, where
# it takes minutes, builds the 12 smallest (the other cfgs are the same sections at larger sizes).
set -eu
: "${WORK:?}" "${DARKNET:?}"
mkdir -p "$WORK"
DARKNET=$(cd "$(dirname "$DARKNET")" && pwd)/$(basename "$DARKNET")
tree=$(dirname "$DARKNET")
ls "$tree"/cfg/*.cfg >"$WORK/all" 2>/dev/null || { echo "no cfgs in $tree/cfg"; exit 1; }
n=$(wc -l <"$WORK/all")
[ "$n" -ge 40 ] || { echo "expected upstream's 45 cfgs in $tree/cfg, found $n"; exit 1; }
case "$DARKNET" in
    */asan/*) ls -S -r "$tree"/cfg/*.cfg | head -n 12 >"$WORK/list" ;;
    *)        cp "$WORK/all" "$WORK/list" ;;
esac
# from the tree's folder: some cfgs name data files relative to it (yolo9000's tree)
cd "$tree"
dups="cfg/yolov3-openimages.cfg"
for f in $dups; do
    grep -v "/$(basename "$f")\$" "$WORK/list" >"$WORK/list.n" || true
    mv "$WORK/list.n" "$WORK/list"
    if "$DARKNET" ops "$f" >"$WORK/dup.log" 2>&1; then
        echo "FAIL: $f (batch and subdivisions given twice) was accepted"; exit 1
    fi
    grep -q "^$f: line [0-9]*: key 'batch' = 64 is given again in section \[net\] (line [0-9]*: 1); Darknet would use the first" "$WORK/dup.log" ||
        { echo "FAIL: $f: not the duplicate-key message:"; tail -n 2 "$WORK/dup.log"; exit 1; }
done
: >"$WORK/failed"
xargs -P "$(nproc)" -I{} sh -c '"$1" ops "$2" >"$3/$(basename "$2").log" 2>&1 || echo "$2" >>"$3/failed"' \
    sh "$DARKNET" {} "$WORK" <"$WORK/list"
if [ -s "$WORK/failed" ]; then
    while read -r f; do
        echo "FAIL: $f was rejected:"; tail -n 2 "$WORK/$(basename "$f").log"
    done <"$WORK/failed"
    exit 1
fi
