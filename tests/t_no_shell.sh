#!/bin/sh
# The class of issue 19's two command injections, audited over everything that is built: Darknet's
# patched tree (src/, examples/), our src/ and data/convert.c. No call of system() or popen(), and
# no "sh -c", may remain, except upstream's go.c, whose popen() runs a fixed command string with
# no user data ("./gnugo --mode gtp < game.txt"; `darknet go` is not a command of this project).
# Programs are started with posix_spawn and an argument vector (ternary plot: gnuplot).
set -eu
: "${DARKNET:?}"
tree=$(dirname "$DARKNET")
here=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$tree/src" ] && [ -d "$tree/examples" ] || { echo "FAIL t_no_shell: no Darknet tree beside $DARKNET"; exit 1; }
found=$(grep -n -E '(^|[^a-z_])(system|popen)[[:space:]]*\(|"sh",[[:space:]]*"-c"|/bin/sh' \
        "$tree"/src/*.c "$tree"/src/*.cpp "$tree"/src/*.cu "$tree"/examples/*.c \
        "$here"/src/*.c "$here"/src/*.cu "$here"/data/*.c 2>/dev/null |
    grep -v -E '/examples/go\.c:[0-9]+: +FILE \*p = popen\("\./gnugo --mode gtp < game\.txt", "r"\);$' |
    grep -v -E ':[0-9]+:[[:space:]]*(/?\*|//)' || true)
if [ -n "$found" ]; then
    echo "FAIL t_no_shell: a shell call in the built sources:"
    echo "$found"
    exit 1
fi
# the allowed one is still what this test says it is
n=$(grep -c 'popen("./gnugo --mode gtp < game.txt", "r")' "$tree/examples/go.c" || true)
[ "$n" -eq 3 ] || { echo "FAIL t_no_shell: go.c's popen calls changed ($n), review them"; exit 1; }
exit 0
