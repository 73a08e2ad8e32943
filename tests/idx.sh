# Helpers for the tests that write Fashion-MNIST idx files (sourced by t_convert, t_detector,
# t_det_fuzz): big-endian 32-bit numbers, an idx3 file of random 28x28 images, idx1 label files.
be32() { printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"; }
idx_images() {  # file count
    { printf '\000\000\010\003'; be32 "$2"; be32 28; be32 28; head -c $(( $2 * 784 )) /dev/urandom; } >"$1"
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
