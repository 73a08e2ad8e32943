# Sourced by bench/run.sh and the demo. Debian 12's OpenBLAS (0.3.21) does not recognise some
# recent virtualised Intel CPUs and falls back to its SSE3 "Prescott" kernels, about 1.6x slower
# here. When that happens on a CPU that has AVX2 and FMA, and the user has not chosen a core
# type, select OpenBLAS's Haswell (AVX2/FMA) kernels; say so. Needs $BLASCORE (the blascore tool).
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -x "${BLASCORE:-}" ]; then
    core=$("$BLASCORE" 2>/dev/null || true)
    case "$core" in
        Prescott|Core2|Penryn|Dunnington|Nehalem|Atom|Katmai|Coppermine|Northwood|Banias)
            if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
                export OPENBLAS_CORETYPE=Haswell
                echo "note: OpenBLAS chose its '$core' kernels on a CPU with AVX2/FMA; using OPENBLAS_CORETYPE=Haswell (set OPENBLAS_CORETYPE to override)"
            fi;;
    esac
fi
