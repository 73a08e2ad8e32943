/* Direct 3x3 convolution for Darknet's CPU path: padding, dispatch by instruction set, and the
 * copies in and out of the padded layout. The kernels are in ttq_conv3x3_impl.h. */
#include "ttq_conv3x3.h"

#include <stdlib.h>
#include <string.h>
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#endif

/* Where the kernels put a block's sums: rows of the flat output (flat, row stride os), or, with
 * vmap (AVX-512 only), straight into the unpadded output out[o][hw] (added to it when add):
 * vmap[2*i] is the mask of valid lanes of position vector i and vmap[2*i + 1] the output index
 * of its first valid lane. The valid lanes of a vector have consecutive output indices, so one
 * compress-store writes them. */
typedef struct {
    float *flat;
    size_t os;
    float *out;
    size_t hw;
    const int *vmap;
    int add;
} c3_sink;

/* Row stride of the padded layout: the row and one zero column (see ttq_conv3x3_impl.h). */
#define C3_PW(w) ((w) + 1)

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define TTQ_C3_X86 1

#define C3_ISA avx512
#define C3_TARGET __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma")))
#define C3_VL 16
#define C3_OCB 4
#define C3_PV 3
#define C3_WIB 2
#include "ttq_conv3x3_impl.h"
#undef C3_ISA
#undef C3_TARGET
#undef C3_VL
#undef C3_OCB
#undef C3_PV
#undef C3_WIB

#define C3_ISA avx2
#define C3_TARGET __attribute__((target("avx2,fma")))
#define C3_VL 8
#define C3_OCB 4
#define C3_PV 3
#define C3_WIB 1
#include "ttq_conv3x3_impl.h"
#undef C3_ISA
#undef C3_TARGET
#undef C3_VL
#undef C3_OCB
#undef C3_PV
#undef C3_WIB
#endif

/* Largest C3_OCB and C3_PV*C3_VL of the kernel sets above, and the widest vector. */
#define MAX_OCB 4
#define MAX_STEP 48
#define MAX_VL 16

typedef struct {
    const char *name;
    void (*pack)(float *packed, const float *weights, int n, int c, int flip);
    void (*conv)(const c3_sink *sk, const float *packed, int nout, int nred,
                 const float *inpad, size_t cs, int pw, int np);
    void (*wgrad)(float *dw, const float *dT, size_t ns, const float *inpad, size_t cs, int n,
                  int c, int pw, int np);
    void (*pad)(float *dst, const float *src, int ch, int h, int w, size_t cs);
    void (*unpad)(float *out, const float *outflat, size_t os, int ch, int h, int w, int add);
    void (*transpose)(float *dT, size_t ns, const float *delta, int n, int h, int w);
    void (*make_vmap)(int *vmap, int nvec, int h, int w);   /* 0: no direct stores */
} kernels;

#ifdef TTQ_C3_X86
static const kernels k512 = {"avx512", pack_avx512, conv_avx512, wgrad_avx512,
                              pad_avx512, unpad_avx512, transpose_avx512, make_vmap_avx512};
static const kernels k2 = {"avx2", pack_avx2, conv_avx2, wgrad_avx2,
                            pad_avx2, unpad_avx2, transpose_avx2, 0};
#endif

/* The best kernel set this CPU runs; DARKNET_DIRECT_CONV=avx2 asks for the AVX2 one. */
static const kernels *detect(void)
{
#ifdef TTQ_C3_X86
    const char *env = getenv("DARKNET_DIRECT_CONV");
    int avx2;
    __builtin_cpu_init();
    avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if(env && strcmp(env, "avx2") == 0) return avx2 ? &k2 : 0;
    if(avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
       && __builtin_cpu_supports("avx512vl")) return &k512;
    if(avx2) return &k2;
#endif
    return 0;
}

static const kernels *chosen;
static int detected;

static const kernels *isa(void)
{
    if(!detected){
        chosen = detect();
        detected = 1;
    }
    return chosen;
}

int ttq_conv3x3_force_isa(const char *name)
{
#ifdef TTQ_C3_X86
    const kernels *want = strcmp(name, "avx512") == 0 ? &k512 : strcmp(name, "avx2") == 0 ? &k2 : 0;
    const kernels *best = detect();
    if(!want || !best) return 0;
    if(want == &k512 && best != &k512) return 0;
    chosen = want;
    detected = 1;
    return 1;
#else
    (void)name;
    return 0;
#endif
}

const char *ttq_conv3x3_isa(void)
{
    const kernels *k = isa();
    return k ? k->name : "none";
}

int ttq_conv3x3_applies(int size, int stride, int pad, int groups, int c, int n, int h, int w)
{
    const char *env = getenv("DARKNET_DIRECT_CONV");
    if(env && strcmp(env, "0") == 0) return 0;
    if(size != 3 || stride != 1 || pad != 1 || groups != 1) return 0;
    if(c < 1 || n < 1 || h < 1 || w < 1) return 0;
    return isa() != 0;
}

static size_t channel_stride(int h, int w)
{
    size_t plen = (size_t)(h + 2)*C3_PW(w);
    return (plen + MAX_STEP + MAX_VL + 2 + 15)/16*16;
}

/* Floats per flat output row: the positions rounded up to whole register blocks, of any size. */
static size_t flat_room(int h, int w)
{
    return (size_t)h*C3_PW(w) + MAX_STEP;
}

/* Row stride of the transposed output delta. */
static size_t delta_stride(int n)
{
    return ((size_t)n + MAX_VL - 1)/MAX_VL*MAX_VL;
}

/* Scratch of one thread: padded input (c channels), padded output delta (n), flat output
 * (max(c, n) rows), transposed output delta (h*C3_PW(w) rows). */
size_t ttq_conv3x3_thread_floats(int c, int n, int h, int w)
{
    size_t cs = channel_stride(h, w);
    return (size_t)c*cs + (size_t)n*cs + (size_t)(c > n ? c : n)*flat_room(h, w)
           + (size_t)h*C3_PW(w)*delta_stride(n);
}

size_t ttq_conv3x3_packed_floats(int c, int n)
{
    size_t nout = (size_t)(c > n ? c : n);
    return (nout + MAX_OCB - 1)/MAX_OCB*MAX_OCB*(size_t)(c > n ? c : n)*9;
}

void ttq_conv3x3_pack_forward(float *packed, const float *weights, int n, int c)
{
    isa()->pack(packed, weights, n, c, 0);
}

void ttq_conv3x3_pack_backward(float *packed, const float *weights, int n, int c)
{
    isa()->pack(packed, weights, n, c, 1);
}

/* Runs the shifted sums of nout outputs into out[nout][h][w] (added when add), through the flat
 * buffer or with direct stores. */
static void conv_to(const kernels *k, float *out, int add, const float *packed, int nout, int nred,
                    const float *inpad, int h, int w, float *flat)
{
    size_t cs = channel_stride(h, w), os = flat_room(h, w);
    c3_sink sk = {0};
    if(k->make_vmap){
        int *vmap = (int *)flat;
        k->make_vmap(vmap, (int)((os + 15)/16), h, w);
        sk.out = out;
        sk.hw = (size_t)h*w;
        sk.vmap = vmap;
        sk.add = add;
        k->conv(&sk, packed, nout, nred, inpad, cs, C3_PW(w), h*C3_PW(w));
        return;
    }
    sk.flat = flat;
    sk.os = os;
    k->conv(&sk, packed, nout, nred, inpad, cs, C3_PW(w), h*C3_PW(w));
    k->unpad(out, flat, os, nout, h, w, add);
}

void ttq_conv3x3_forward(float *out, const float *im, const float *packed,
                         int n, int c, int h, int w, float *scratch)
{
    const kernels *k = isa();
    size_t cs = channel_stride(h, w);
    float *inpad = scratch;
    float *outflat = scratch + ((size_t)c + n)*cs;
    k->pad(inpad, im, c, h, w, cs);
    conv_to(k, out, 0, packed, n, c, inpad, h, w, outflat);
}

void ttq_conv3x3_backward(float *dweights, float *imdelta, const float *delta, const float *im,
                          const float *packed_bwd, int n, int c, int h, int w, float *scratch)
{
    const kernels *k = isa();
    size_t cs = channel_stride(h, w), ns = delta_stride(n);
    float *inpad = scratch;
    float *dpad = scratch + (size_t)c*cs;
    float *outflat = scratch + ((size_t)c + n)*cs;
    float *dT = outflat + (size_t)(c > n ? c : n)*flat_room(h, w);
    k->pad(inpad, im, c, h, w, cs);
    k->transpose(dT, ns, delta, n, h, w);
    k->wgrad(dweights, dT, ns, inpad, cs, n, c, C3_PW(w), h*C3_PW(w));
    if(!imdelta) return;
    k->pad(dpad, delta, n, h, w, cs);
    conv_to(k, imdelta, 1, packed_bwd, c, n, dpad, h, w, outflat);
}
