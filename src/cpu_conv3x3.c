/* Direct 3x3 convolution (stride 1 or 2, pad 1) for Darknet's CPU path: padding, dispatch by
 * instruction set, the tap lists of each case, and the copies in and out of the padded layout.
 * The kernels are in cpu_conv3x3_impl.h. */
#include "cpu_conv3x3.h"

#include <stdlib.h>
#include <string.h>
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#endif

/* Row stride of the padded layout: the row and one zero column (see cpu_conv3x3_impl.h). */
#define C3_PW(w) ((w) + 1)

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define TTQ_C3_X86 1

#define C3_ISA avx512
#define C3_TARGET __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma")))
#define C3_VL 16
#define C3_OCB 8
#define C3_PV 3
#define C3_WIB 2
#include "cpu_conv3x3_impl.h"

#define C3_ISA avx2
#define C3_TARGET __attribute__((target("avx2,fma")))
#define C3_VL 8
#define C3_OCB 4
#define C3_PV 3
#define C3_WIB 1
#include "cpu_conv3x3_impl.h"
#endif

/* Largest C3_OCB and C3_PV*C3_VL of the kernel sets above, and the widest vector. */
#define MAX_OCB 8
#define MAX_STEP 48
#define MAX_VL 16

typedef struct {
    const char *name;
    int ocb;    /* C3_OCB */
    void (*pack)(float *packed, const float *weights, int n, int c, int flip, int ntaps,
                 const int *wi);
    void (*conv)(float *flat, size_t os, const float *packed, int nout, int nred, const float *in,
                 size_t cs, int ntaps, const int *offs, int np);
    void (*wgrad)(float *dw, const float *dT, size_t ns, const float *in, size_t cs, int n, int c,
                  const int *offs, int np);
    void (*pad)(float *dst, const float *src, int ch, int h, int w, size_t cs);
    void (*pad2)(float *dst, const float *src, int ch, int h, int w, int oh, int ow, size_t pl,
                 size_t cs);
    void (*unpad)(float *out, const float *flat, size_t os, int ch, int h, int w, int add);
    void (*unpad2)(float *out, const float *flat, size_t os, int ch, int h, int w, int a, int b,
                   int pq);
    void (*transpose)(float *dT, size_t ns, const float *delta, int n, int h, int w);
} kernels;

#ifdef TTQ_C3_X86
static const kernels k512 = {"avx512", 8, pack_avx512, conv_avx512, wgrad_avx512, pad_avx512,
                             pad2_avx512, unpad_avx512, unpad2_avx512, transpose_avx512};
static const kernels k2 = {"avx2", 4, pack_avx2, conv_avx2, wgrad_avx2, pad_avx2, pad2_avx2,
                           unpad_avx2, unpad2_avx2, transpose_avx2};
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

int cpu_conv3x3_force_isa(const char *name)
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

const char *cpu_conv3x3_isa(void)
{
    const kernels *k = isa();
    return k ? k->name : "none";
}

int cpu_conv3x3_applies(int size, int stride, int pad, int groups, int c, int n, int h, int w)
{
    const char *env = getenv("DARKNET_DIRECT_CONV");
    if(env && strcmp(env, "0") == 0) return 0;
    if(size != 3 || (stride != 1 && stride != 2) || pad != 1 || groups != 1) return 0;
    if(c < 1 || n < 1 || h < 1 || w < 1) return 0;
    return isa() != 0;
}

static size_t round16(size_t n)
{
    return (n + 15)/16*16;
}

/* Channel stride of the stride-1 padded layout of an h x w image: rows of w+1, a zero row above
 * and below, and a zero tail covering the reads of the last register block. */
static size_t channel_stride(int h, int w)
{
    return round16((size_t)(h + 2)*C3_PW(w) + MAX_STEP + MAX_VL + 2);
}

/* Floats per flat output row: an h x w output's positions rounded up to whole register blocks. */
static size_t flat_room(int h, int w)
{
    return (size_t)h*C3_PW(w) + MAX_STEP;
}

/* Row stride of the transposed output delta. */
static size_t delta_stride(int n)
{
    return ((size_t)n + MAX_VL - 1)/MAX_VL*MAX_VL;
}

/* Sizes and places of one thread's scratch for a layer: the padded input (c channels, stride
 * cs: the stride-1 layout, or four phase planes of pl floats for stride 2), the padded output
 * delta (n channels of the stride-1 layout of oh x ow), the flat output (max(c, n) rows of os),
 * and the transposed output delta (oh*(ow+1) rows of ns). */
typedef struct {
    int oh, ow;
    size_t cs, pl, cso, os, ns;
    size_t dpad, flat, dT, total;
} geometry;

static geometry geom(int c, int n, int h, int w, int stride)
{
    geometry g;
    g.oh = stride == 1 ? h : (h - 1)/2 + 1;
    g.ow = stride == 1 ? w : (w - 1)/2 + 1;
    g.pl = stride == 1 ? 0 : round16((size_t)(g.oh + 1)*(g.ow + 1) + MAX_STEP + MAX_VL + 2);
    g.cs = stride == 1 ? channel_stride(h, w) : 4*g.pl;
    g.cso = channel_stride(g.oh, g.ow);
    g.os = flat_room(g.oh, g.ow);
    g.ns = delta_stride(n);
    g.dpad = (size_t)c*g.cs;
    g.flat = g.dpad + (size_t)n*g.cso;
    g.dT = g.flat + (size_t)(c > n ? c : n)*g.os;
    g.total = g.dT + (size_t)g.oh*C3_PW(g.ow)*g.ns;
    return g;
}

size_t cpu_conv3x3_thread_floats(int c, int n, int h, int w, int stride)
{
    return geom(c, n, h, w, stride).total;
}

size_t cpu_conv3x3_packed_floats(int c, int n)
{
    size_t nout = (size_t)(c > n ? c : n);
    return (nout + MAX_OCB - 1)/MAX_OCB*MAX_OCB*(size_t)(c > n ? c : n)*9;
}

/* Offsets of the nine taps (by weight index t = 3*ky + kx) in the padded input: stride 1, rows of
 * pw; stride 2, plane (ky%2, kx%2) of pl floats with rows of pq, at (ky/2, kx/2). */
static void tap_offsets(int *offs, int stride, int pw, size_t pl)
{
    int t;
    for(t = 0; t < 9; ++t){
        int ky = t/3, kx = t%3;
        offs[t] = stride == 1 ? ky*pw + kx
                              : (int)((2*(ky%2) + kx%2)*pl) + (ky/2)*pw + kx/2;
    }
}

/* The input delta of a stride-2 layer, phase (a,b) = input pixels (2u+a, 2v+b): pixel 2u+a is
 * reached from output row y by tap ky = 2u+a+1-2y, so phase a = 0 takes ky = 1 (y = u) and
 * phase a = 1 takes ky = 0 (y = u+1) and ky = 2 (y = u); columns likewise. In the padded output
 * delta (rows of pq = ow+1, data from (1,1)) row y = u + e is at offset (e+1)*pq. */
static int phase_taps(int a, int b, int pq, int *wi, int *offs)
{
    static const int ks[2][2] = {{1, -1}, {0, 2}}, es[2][2] = {{0, 0}, {1, 0}};
    int nt = 0, i, j;
    for(i = 0; i < 2; ++i){
        if(ks[a][i] < 0) continue;
        for(j = 0; j < 2; ++j){
            if(ks[b][j] < 0) continue;
            wi[nt] = ks[a][i]*3 + ks[b][j];
            offs[nt] = (es[a][i] + 1)*pq + es[b][j] + 1;
            ++nt;
        }
    }
    return nt;
}

/* Floats of one phase's packed weights for a stride-2 input delta (c outputs in blocks of the
 * kernel set's ocb, n filters reduced, nt taps). */
static size_t phase_pack_floats(const kernels *k, int c, int n, int nt)
{
    return (size_t)(c + k->ocb - 1)/k->ocb*k->ocb*n*nt;
}

void cpu_conv3x3_pack_forward(float *packed, const float *weights, int n, int c)
{
    static const int wi[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    isa()->pack(packed, weights, n, c, 0, 9, wi);
}

void cpu_conv3x3_pack_backward(float *packed, const float *weights, int n, int c, int stride)
{
    const kernels *k = isa();
    int wi[9], offs[9], a, b;
    if(stride == 1){
        int j;
        for(j = 0; j < 9; ++j) wi[j] = 8 - j;
        k->pack(packed, weights, n, c, 1, 9, wi);
        return;
    }
    for(a = 0; a < 2; ++a) for(b = 0; b < 2; ++b){
        int nt = phase_taps(a, b, 1, wi, offs);
        k->pack(packed, weights, n, c, 1, nt, wi);
        packed += phase_pack_floats(k, c, n, nt);
    }
}

void cpu_conv3x3_forward(float *out, const float *im, const float *packed,
                         int n, int c, int h, int w, int stride, float *scratch)
{
    const kernels *k = isa();
    geometry g = geom(c, n, h, w, stride);
    int offs[9];
    tap_offsets(offs, stride, C3_PW(g.ow), g.pl);
    if(stride == 1) k->pad(scratch, im, c, h, w, g.cs);
    else k->pad2(scratch, im, c, h, w, g.oh, g.ow, g.pl, g.cs);
    k->conv(scratch + g.flat, g.os, packed, n, c, scratch, g.cs, 9, offs, g.oh*C3_PW(g.ow));
    k->unpad(out, scratch + g.flat, g.os, n, g.oh, g.ow, 0);
}

void cpu_conv3x3_backward(float *dweights, float *imdelta, const float *delta, const float *im,
                          const float *packed_bwd, int n, int c, int h, int w, int stride,
                          float *scratch)
{
    const kernels *k = isa();
    geometry g = geom(c, n, h, w, stride);
    int pq = C3_PW(g.ow), offs[9], wi[9], a, b;
    float *in = scratch, *dpad = scratch + g.dpad, *flat = scratch + g.flat, *dT = scratch + g.dT;
    tap_offsets(offs, stride, pq, g.pl);
    if(stride == 1) k->pad(in, im, c, h, w, g.cs);
    else k->pad2(in, im, c, h, w, g.oh, g.ow, g.pl, g.cs);
    k->transpose(dT, g.ns, delta, n, g.oh, g.ow);
    k->wgrad(dweights, dT, g.ns, in, g.cs, n, c, offs, g.oh*pq);
    if(!imdelta) return;
    k->pad(dpad, delta, n, g.oh, g.ow, g.cso);
    if(stride == 1){
        k->conv(flat, g.os, packed_bwd, c, n, dpad, g.cso, 9, offs, h*pq);
        k->unpad(imdelta, flat, g.os, c, h, w, 1);
        return;
    }
    for(a = 0; a < 2; ++a) for(b = 0; b < 2; ++b){
        int nt = phase_taps(a, b, pq, wi, offs);
        k->conv(flat, g.os, packed_bwd, c, n, dpad, g.cso, nt, offs, (h - a + 1)/2*pq);
        k->unpad2(imdelta, flat, g.os, c, h, w, a, b, pq);
        packed_bwd += phase_pack_floats(k, c, n, nt);
    }
}
