# Shared steps of data/demo.sh, data/demo-det.sh and bench/recipe.sh (sourced, POSIX sh).

# setup_packages PKG...: installs the Debian packages that are missing (with sudo when not root),
# unless DEMO_NO_INSTALL is set (a machine without network that has what it needs).
setup_packages() {
    missing=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ] && [ -z "${DEMO_NO_INSTALL:-}" ]; then
        echo "== installing Debian packages:$missing"
        if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
            echo "error: missing packages:$missing; install them as root (apt-get install$missing)" >&2; exit 1
        fi
        $SUDO apt-get update -q
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
    fi
}

# fmt SECONDS: "12m05s"
fmt() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# device_name: what a summary names as the machine ("2 cores", or "GPU: <name>" when GPU=1)
device_name() {
    if [ "${GPU:-0}" = 1 ]; then echo "GPU: $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)"
    else echo "$(nproc) cores"; fi
}

# setup_build LOG: builds Darknet and the convert tool (and blascore, with OpenBLAS) in $VB with
# $MAKEVARS, the output in LOG (its tail shown on failure), then chooses OpenBLAS's kernels as
# bench/openblas-core.sh does.
setup_build() {
    tools="$VB/tools/convert $VB/tools/bench_infer"
    pkg-config --exists openblas 2>/dev/null && tools="$tools $VB/tools/blascore"
    # shellcheck disable=SC2086
    make $MAKEVARS darknet $tools >"$1" 2>&1 || { tail -n 30 "$1"; exit 1; }
    BLASCORE=$VB/tools/blascore
    . bench/openblas-core.sh
}

# summary_files DATA CFG WEIGHTS PACKED FOLDED_CFG FOLDED_WEIGHTS: the summary's list of the files a
# user goes on with (PACKED and the folded pair only where they were written)
summary_files() {
    echo "  your files (absolute paths in the .data file: the commands run from any folder):"
    echo "    data           $1"
    echo "    TTQ cfg        $2"
    echo "    TTQ weights    $3"
    [ -s "$4" ] && echo "    packed         $4   (ternary weights as base-3 codes, activation scales: the integer path)"
    [ -s "$6" ] && echo "    folded         $5 + $6   (plain [convolutional]: stock Darknet, OpenCV)"
    return 0
}
