# Sourced by bench/run.sh and the demo. Debian 12's OpenBLAS (0.3.21) does not recognise some
# recent virtualised Intel CPUs and falls back to its SSE3 "Prescott" kernels, about 2x slower
# here. When that happens and the user has not chosen a core type, select the kernels the CPU's
# flags allow: SkylakeX (AVX-512) or Haswell (AVX2/FMA); say so. Needs $BLASCORE (the blascore
# tool).
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -x "${BLASCORE:-}" ]; then
    core=$("$BLASCORE" 2>/dev/null || true)
    case "$core" in
        Prescott|Core2|Penryn|Dunnington|Nehalem|Atom|Katmai|Coppermine|Northwood|Banias)
            flags=$(grep -m1 '^flags' /proc/cpuinfo)
            has() { for f in "$@"; do case " $flags " in *" $f "*) ;; *) return 1;; esac; done; }
            if has avx512f avx512cd avx512bw avx512dq avx512vl; then
                export OPENBLAS_CORETYPE=SkylakeX
            elif has avx2 fma; then
                export OPENBLAS_CORETYPE=Haswell
            fi
            [ -n "${OPENBLAS_CORETYPE:-}" ] && echo "note: OpenBLAS chose its '$core' kernels on a CPU with $( [ "$OPENBLAS_CORETYPE" = SkylakeX ] && echo AVX-512 || echo AVX2/FMA); using OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE (set OPENBLAS_CORETYPE to override)";;
    esac
fi
