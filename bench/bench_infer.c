/* Inference (forward) time of Darknet networks measured in one process, the networks' forwards
 * interleaved (A, B, A, B, ...) so that all see the same machine load; and, with -layers, where the
 * time of each goes, layer by layer.
 *
 *   bench_infer BATCH SECONDS [-layers] NAME CFG WEIGHTS [NAME CFG WEIGHTS ...]
 *   bench_infer -peak SECONDS
 *
 * A forward is Darknet's network_predict on BATCH images of random input (the same for every
 * network). Each network runs at least 5 times, and repeats until each has run SECONDS seconds.
 * Printed per network: "engine=NAME batch=B threads=T median_ms=... min_ms=... reps=N". The
 * threads are OpenMP's (OMP_NUM_THREADS), which both Darknet's float convolution and the integer
 * path use; OpenBLAS takes OPENBLAS_NUM_THREADS (bench/infer.sh sets both to the same number).
 *
 * -layers: a table per network of every layer's median time (its forward alone, as
 * forward_network runs it), its shape, its arithmetic rate (2 x multiply-adds / time, for the
 * convolutions) and that rate as a share of the CPU's int8 peak, which -peak measures: the
 * multiply-adds per second of a loop of independent vpdpbusd (AVX-512 VNNI; vpmaddubsw + vpmaddwd
 * on AVX2) on as many threads as OpenMP runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "darknet.h"
#include "int_graph.h"
#include "benchutil.h"
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define MAXNET 8


static int threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* ---- the int8 peak ---------------------------------------------------------------------------- */
#if defined(__x86_64__)
/* 12 independent vpdpbusd a step, on registers (in assembly: the compiler keeps an array of
 * accumulators on the stack, or folds a loop of constant operands away) */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static double peak_vnni(long iters)
{
    long k;
    for(k = 0; k < iters; ++k){
        __asm__ volatile(
            "vpdpbusd %%zmm16, %%zmm17, %%zmm0\n\t" "vpdpbusd %%zmm16, %%zmm17, %%zmm1\n\t"
            "vpdpbusd %%zmm16, %%zmm17, %%zmm2\n\t" "vpdpbusd %%zmm16, %%zmm17, %%zmm3\n\t"
            "vpdpbusd %%zmm16, %%zmm17, %%zmm4\n\t" "vpdpbusd %%zmm16, %%zmm17, %%zmm5\n\t"
            "vpdpbusd %%zmm16, %%zmm17, %%zmm6\n\t" "vpdpbusd %%zmm16, %%zmm17, %%zmm7\n\t"
            "vpdpbusd %%zmm16, %%zmm17, %%zmm8\n\t" "vpdpbusd %%zmm16, %%zmm17, %%zmm9\n\t"
            "vpdpbusd %%zmm16, %%zmm17, %%zmm10\n\t" "vpdpbusd %%zmm16, %%zmm17, %%zmm11\n\t"
            ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11");
    }
    return 0;
}

/* 8 independent vpmaddubsw + vpmaddwd + vpaddd a step */
__attribute__((target("avx2")))
static double peak_avx2(long iters)
{
    long k;
    for(k = 0; k < iters; ++k){
        __asm__ volatile(
#define ONE(t, a) "vpmaddubsw %%ymm14, %%ymm15, %%ymm" #t "\n\t" "vpmaddwd %%ymm13, %%ymm" #t ", %%ymm" #t "\n\t" \
                  "vpaddd %%ymm" #t ", %%ymm" #a ", %%ymm" #a "\n\t"
            ONE(8, 0) ONE(9, 1) ONE(10, 2) ONE(11, 3) ONE(12, 4) ONE(8, 5) ONE(9, 6) ONE(10, 7)
#undef ONE
            ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12");
    }
    return 0;
}
#endif

/* int8 multiply-adds per second of this CPU on threads() threads; *what names the instruction */
static double int8_peak(double seconds, const char **what)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    int vnni = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
    int avx2 = __builtin_cpu_supports("avx2");
    if(!vnni && !avx2){ *what = "none"; return 0; }
    *what = vnni ? "avx512-vnni vpdpbusd" : "avx2 vpmaddubsw+vpmaddwd";
    long iters = 1000000;
    double macs_per_iter = vnni ? 12.0*64 : 8.0*32, best = 0, t0 = bench_now();
    volatile double sink = 0;
    while(bench_now() - t0 < seconds){
        double t = bench_now();
        #pragma omp parallel reduction(+:sink)
        sink += vnni ? peak_vnni(iters) : peak_avx2(iters);
        double r = macs_per_iter*iters*threads()/(bench_now() - t);
        if(r > best) best = r;
    }
    return best;
#else
    (void)seconds;
    *what = "none";
    return 0;
#endif
}

/* ---- networks --------------------------------------------------------------------------------- */

static double conv_macs(layer l)
{
    if(l.type == CONVOLUTIONAL || l.type == TERNARY){
        return (double)l.n*(l.c/l.groups)*l.size*l.size*l.out_h*l.out_w*l.batch;
    }
    if(l.type == CONNECTED) return (double)l.inputs*l.outputs*l.batch;
    return 0;
}

static const char *type_name(layer l)
{
    switch(l.type){
    case CONVOLUTIONAL: return "conv";
    case TERNARY: return "ternary";
    case SHORTCUT: return "shortcut";
    case ROUTE: return "route";
    case MAXPOOL: return "maxpool";
    case AVGPOOL: return "avgpool";
    case CONNECTED: return "connected";
    case SOFTMAX: return "softmax";
    case YOLO: return "yolo";
    case UPSAMPLE: return "upsample";
    default: return "other";
    }
}

/* One forward as forward_network runs it, each layer timed into t[i]. */
static void timed_forward(network *net, float *x, double *t)
{
    network orig = *net;
    net->input = x;
    net->truth = 0;
    net->train = 0;
    net->delta = 0;
    int i;
    /* a network on the integer graph: its forward, timed per layer */
    if(int_graph_forward_timed(net, t)){
        *net = orig;
        return;
    }
    for(i = 0; i < net->n; ++i){
        net->index = i;
        layer l = net->layers[i];
        double t0 = bench_now();
        if(l.delta && (net->train || net->delta)) fill_cpu(l.outputs*l.batch, 0, l.delta, 1);   /* as 0308 */
        l.forward(l, *net);
        net->input = l.output;
        t[i] = bench_now() - t0;
    }
    *net = orig;
}

int main(int argc, char **argv)
{
    if(argc == 3 && !strcmp(argv[1], "-peak")){
        const char *what;
        double p = int8_peak(atof(argv[2]), &what);
        printf("int8 peak: %.1f GMAC/s (%.1f GOP/s) on %d threads, %s\n", p*1e-9, 2e-9*p, threads(), what);
        return 0;
    }
    int layers = 0, a = 3;
    if(argc > 3 && !strcmp(argv[3], "-layers")){
        layers = 1;
        a = 4;
    }
    if(argc < a + 3 || (argc - a) % 3){
        fprintf(stderr, "usage: bench_infer BATCH SECONDS [-layers] NAME CFG WEIGHTS [NAME CFG WEIGHTS ...]\n"
                        "       bench_infer -peak SECONDS\n");
        return 2;
    }
    int batch = atoi(argv[1]), nn = (argc - a)/3, i, j, k;
    double seconds = atof(argv[2]);
    if(batch < 1 || nn > MAXNET || !(seconds > 0)){
        fprintf(stderr, "bench_infer: bad batch, seconds or too many networks\n");
        return 2;
    }
    network *net[MAXNET];
    const char *name[MAXNET];
    for(k = 0; k < nn; ++k){
        name[k] = argv[a + 3*k];
        net[k] = load_network(argv[a + 3*k + 1], argv[a + 3*k + 2], 0);
        set_batch_network(net[k], batch);
    }
    size_t nin = (size_t)net[0]->inputs*batch;
    float *x = malloc(nin*sizeof(float));
    unsigned r = 7;
    for(i = 0; i < (int)nin; ++i){
        r = r*1103515245u + 12345u;
        x[i] = (r >> 8)/16777216.0f;
    }
    for(k = 0; k < nn; ++k){
        if((size_t)net[k]->inputs*batch != nin){
            fprintf(stderr, "bench_infer: %s takes another input size than %s\n", name[k], name[0]);
            return 2;
        }
        for(i = 0; i < 3; ++i) network_predict(net[k], x);   /* warm-up: preparation, caches */
    }
    int cap = 100000, reps = 0;
    double *t = malloc(sizeof(double)*cap*nn), spent[MAXNET] = {0};
    int done = 0;
    while(!done && reps < cap){
        for(k = 0; k < nn; ++k){
            double t0 = bench_now();
            network_predict(net[k], x);
            t[(size_t)k*cap + reps] = bench_now() - t0;
            spent[k] += t[(size_t)k*cap + reps];
        }
        ++reps;
        done = reps >= 5;
        for(k = 0; k < nn; ++k) if(spent[k] < seconds) done = 0;
    }
    for(k = 0; k < nn; ++k){
        double *v = t + (size_t)k*cap, mn = v[0];
        for(i = 1; i < reps; ++i) if(v[i] < mn) mn = v[i];
        printf("engine=%s batch=%d threads=%d median_ms=%.4f min_ms=%.4f reps=%d\n", name[k], batch, threads(),
               1e3*bench_median(v, reps), 1e3*mn, reps);
    }
    if(layers){
        const char *what;
        double peak = int8_peak(0.3, &what);
        for(k = 0; k < nn; ++k){
            int nl = net[k]->n, lr = reps < 200 ? reps : 200;
            double *lt = malloc(sizeof(double)*nl*lr), *col = malloc(sizeof(double)*lr), total = 0;
            for(j = 0; j < lr; ++j){
                double tl[4096];
                timed_forward(net[k], x, tl);
                for(i = 0; i < nl; ++i) lt[(size_t)i*lr + j] = tl[i];
            }
            printf("\nper layer: %s, batch %d, %d threads (medians of %d forwards); int8 peak %.1f GOP/s (%s)\n",
                   name[k], batch, threads(), lr, 2e-9*peak, what);
            printf("%5s %-9s %-22s %10s %9s %9s\n", "layer", "type", "shape (in -> out)", "ms", "GOP/s", "% peak");
            for(i = 0; i < nl; ++i){
                layer l = net[k]->layers[i];
                for(j = 0; j < lr; ++j) col[j] = lt[(size_t)i*lr + j];
                double m = bench_median(col, lr), macs = conv_macs(l);
                total += m;
                char shape[64];
                if(l.type == CONVOLUTIONAL || l.type == TERNARY){
                    snprintf(shape, sizeof shape, "%dx%dx%d %dx%d/%d -> %d", l.c, l.h, l.w, l.size, l.size, l.stride, l.n);
                } else {
                    snprintf(shape, sizeof shape, "%dx%dx%d -> %dx%dx%d", l.c, l.h, l.w, l.out_c, l.out_h, l.out_w);
                }
                if(macs > 0){
                    printf("%5d %-9s %-22s %10.4f %9.1f %8.1f%%\n", i, type_name(l), shape, 1e3*m, 2e-9*macs/m,
                           peak > 0 ? 100*macs/m/peak : 0);
                } else {
                    printf("%5d %-9s %-22s %10.4f %9s %9s\n", i, type_name(l), shape, 1e3*m, "", "");
                }
            }
            printf("%5s %-9s %-22s %10.4f\n", "", "total", "", 1e3*total);
            free(lt);
            free(col);
        }
    }
    for(k = 0; k < nn; ++k) free_network(net[k]);
    free(x);
    free(t);
    return 0;
}
