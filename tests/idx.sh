# Helpers for the tests that write Fashion-MNIST idx files (sourced by t_convert, t_detector,
# t_det_fuzz): big-endian 32-bit numbers, an idx3 file of random 28x28 images, idx1 label files,
# and the pseudo-random bytes they hold: the same bytes on every run (no /dev/urandom).
be32() { printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"; }
rand_bytes() {  # count seed: Park-Miller's minimal standard generator (exact in awk's doubles)
    awk -v n="$1" -v seed="$2" 'BEGIN {
        x = seed % 2147483646 + 1
        for(i = 0; i < n; ++i){
            x = (x * 16807) % 2147483647
            printf "\\%03o", int(x / 8388608)
            if(i % 1024 == 1023 || i == n - 1) printf "\n"
        } }' | while IFS= read -r line; do printf "$line"; done
}
idx_images() {  # file count [seed]: the seed defaults to one taken from the file's name
    { printf '\000\000\010\003'; be32 "$2"; be32 28; be32 28
      rand_bytes $(( $2 * 784 )) "${3:-$(basename "$1" | cksum | cut -d' ' -f1)}"; } >"$1"
}
idx_labels() {  # file label...
    f=$1; shift
    { printf '\000\000\010\001'; be32 $#; for l in "$@"; do printf "\\$(printf %03o "$l")"; done; } >"$f"
}
idx_cycle() {  # file count: labels 0..9 in turn
    f=$1; c=$2; set --
    i=0; while [ $i -lt "$c" ]; do set -- "$@" $((i % 10)); i=$((i + 1)); done
    idx_labels "$f" "$@"
}
