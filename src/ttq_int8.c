/* The integer inference path of [ternary] layers (W2A8), see ttq_int8.h.
 *
 * The arithmetic. A [ternary] layer's weights are q in {+Wp, 0, -Wn} per scale group. Here each
 * group's values become integers {+p, 0, -n} times one float s (ttq_int8_levels), and the input x
 * of the layer becomes 8-bit codes u with x ~ (u - zero) * scale (ttq_int8_act_params). Then
 *   conv(x, q)[o] ~ scale * s * sum w[o][k] (u_k - zero) = scale * s * (sum w u - zero * sum w)
 * where the sums are exact in int32 (|w| <= 64, u <= 255: one product is < 2^14, a layer of up to
 * 2^17 weights per filter stays < 2^31). Batch norm, bias and the scales fold into one multiply-add
 * per output (mul, add); the activation follows in the same pass (the epilogue).
 *
 * Error. The integers are exact; what differs from the float path is (1) the input coding, at most
 * scale/2 per activation inside the calibrated range (and clipping outside it) and (2) the levels,
 * a relative error of the weights of at most the value ttq_int8_levels returns (0 when Wp/Wn is a
 * ratio of integers up to 64).
 *
 * The layout the kernels read. The coded input of one image is, per group, per phase of the
 * stride (stride^2 phases: the padded input's rows and columns taken every stride-th, starting at
 * 0 .. stride-1), per quad of channels, a plane of positions, each 4 bytes (4 channels):
 * xq[group][phase][quad][position][4]. A plane is the phase's rows one after the other, hq rows of
 * wq positions, filled with `zero` (the code of 0) outside the image. Output (y, x) is computed at
 * the flattened position f = y wq + x, and tap (ky, kx) reads phase (ky % s, kx % s) at f + (ky/s)
 * wq + kx/s: consecutive outputs read consecutive positions, so a vector of outputs is one load.
 * The wq - out_w positions of each row past the output are computed and dropped (padding, 2 of 34
 * columns for a 32x32 map with a 3x3 kernel). The weights are [group][block of OB outputs][ky][kx]
 * [quad][OB] words of 4 int8 weights, so that one block's taps are read in order, one word per
 * output broadcast to every position of a vector.
 *
 * The kernels compute, for a block of OB outputs and a run of flattened positions, the sums
 * sum w u (not yet centred); the epilogue subtracts zero * sum w and applies mul, add and the
 * activation while copying the valid positions to Darknet's [n][out_h][out_w]. */
#include "ttq_int8.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_error.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define TTQ_INT8_X86 1
#include <immintrin.h>
#endif
#if defined(__GNUC__) && defined(__aarch64__)
#define TTQ_INT8_ARM64 1
#include <arm_neon.h>
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#endif

#define OB TTQ_INT8_OB

/* ---- kernel sets -------------------------------------------------------------------------------- */

static const char *const kset_names[TTQ_KSET_COUNT] = {"scalar", "avx2", "avx512-vnni", "neon-dotprod"};

const char *ttq_int8_kset_name(ttq_kset k)
{
    return (unsigned)k < TTQ_KSET_COUNT ? kset_names[k] : "?";
}

int ttq_int8_kset_parse(const char *name)
{
    int k;
    for(k = 0; k < TTQ_KSET_COUNT; ++k) if(name && !strcmp(name, kset_names[k])) return k;
    return -1;
}

int ttq_int8_kset_available(ttq_kset k)
{
    switch(k){
    case TTQ_KSET_SCALAR: return 1;
#ifdef TTQ_INT8_X86
    case TTQ_KSET_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
    case TTQ_KSET_VNNI:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vnni");
#endif
#ifdef TTQ_INT8_ARM64
    case TTQ_KSET_NEON:
        return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#endif
    default: return 0;
    }
}

ttq_kset ttq_int8_kset_best(void)
{
    if(ttq_int8_kset_available(TTQ_KSET_VNNI)) return TTQ_KSET_VNNI;
    if(ttq_int8_kset_available(TTQ_KSET_AVX2)) return TTQ_KSET_AVX2;
    if(ttq_int8_kset_available(TTQ_KSET_NEON)) return TTQ_KSET_NEON;
    return TTQ_KSET_SCALAR;
}

/* ---- the weights ---------------------------------------------------------------------------- */

/* The error of representing (wp, wn) by s (p, n) with the least-squares s. */
static double levels_error(double wp, double wn, int p, int n, double *s)
{
    *s = (wp*p + wn*n)/((double)p*p + (double)n*n);
    double ep = fabs(*s*p - wp)/wp, en = fabs(*s*n - wn)/wn;
    return ep > en ? ep : en;
}

float ttq_int8_levels(float wp, float wn, int *p, int *n, float *s)
{
    int bp = 1, bn = 1, i, j;
    double bs, best = levels_error(wp, wn, 1, 1, &bs);
    /* every pair: 64 x 64, once per scale group when a layer is prepared; ties keep the pair
     * found first (smallest n, then smallest p), so the choice is the same on every machine */
    for(j = 1; j <= TTQ_INT8_WMAX; ++j){
        for(i = 1; i <= TTQ_INT8_WMAX; ++i){
            double si, e = levels_error(wp, wn, i, j, &si);
            if(e < best - 1e-12){
                best = e;
                bp = i;
                bn = j;
                bs = si;
            }
        }
    }
    *p = bp;
    *n = bn;
    *s = (float)bs;
    return (float)best;
}

/* ---- the activations ------------------------------------------------------------------------ */

int ttq_int8_act_params(float lo, float hi, float *scale, int *zero)
{
    if(!check_finite(lo) || !check_finite(hi) || lo > hi) return -1;
    float sc;
    int z;
    if(lo >= 0){
        z = 0;
        sc = hi/255.0f;
    } else {
        z = 128;
        float a = -lo/128.0f, b = hi/127.0f;
        sc = a > b ? a : b;
    }
    if(!(sc > 0) || !check_finite(sc) || !check_finite(1.0f/sc)) return -1;
    *scale = sc;
    *zero = z;
    return 0;
}

/* The coding (ttq_int8.h's ttq_int8_quantize). The AVX2 coding gives the same codes (its min/max
 * take the bound for NaN). */
static inline uint8_t quantize(float x, float inv_scale, int zero)
{
    return ttq_int8_quantize(x, inv_scale, zero);
}

uint8_t ttq_int8_quantize_ref(float x, float inv_scale, int zero)
{
    return quantize(x, inv_scale, zero);
}

/* ---- the reference --------------------------------------------------------------------------- */

const char *ttq_int8_shape_check(const ttq_int8_shape *s)
{
    if(s->c < 1 || s->h < 1 || s->w < 1 || s->n < 1 || s->groups < 1 || s->size < 1 || s->stride < 1 ||
       s->pad < 0) return "a size below 1";
    if(s->c % s->groups || s->n % s->groups) return "channels not divisible by groups";
    if(s->out_h != (s->h + 2*s->pad - s->size)/s->stride + 1 || s->out_w != (s->w + 2*s->pad - s->size)/s->stride + 1 ||
       s->out_h < 1 || s->out_w < 1) return "an output size other than the convolution's";
    if((double)(s->c/s->groups)*s->size*s->size*255.0*TTQ_INT8_WMAX > 2147483647.0) return "too many weights per filter for int32 sums";
    if((double)(s->h + 2*s->pad + s->stride)*(s->w + 2*s->pad + s->stride)*4 > 1e9) return "an input too large";
    return 0;
}

void ttq_int8_conv_ref(int32_t *acc, const int8_t *w, const uint8_t *u, int zero, const ttq_int8_shape *s)
{
    int cg = s->c/s->groups, ng = s->n/s->groups, o, c, ky, kx, y, x;
    for(o = 0; o < s->n; ++o){
        int g = o/ng;
        for(y = 0; y < s->out_h; ++y){
            for(x = 0; x < s->out_w; ++x){
                int32_t sum = 0;
                for(c = 0; c < cg; ++c){
                    for(ky = 0; ky < s->size; ++ky){
                        int iy = y*s->stride + ky - s->pad;
                        if(iy < 0 || iy >= s->h) continue;
                        for(kx = 0; kx < s->size; ++kx){
                            int ix = x*s->stride + kx - s->pad;
                            if(ix < 0 || ix >= s->w) continue;
                            int uv = u[((size_t)(g*cg + c)*s->h + iy)*s->w + ix];
                            sum += w[(((size_t)o*cg + c)*s->size + ky)*s->size + kx]*(uv - zero);
                        }
                    }
                }
                acc[((size_t)o*s->out_h + y)*s->out_w + x] = sum;
            }
        }
    }
}

static inline float activate(float v, int act)
{
    if(act == TTQ_INT8_RELU) return v > 0 ? v : 0;
    if(act == TTQ_INT8_LEAKY) return v > 0 ? v : 0.1f*v;
    return v;
}

void ttq_int8_epilogue_ref(float *y, const int32_t *acc, const float *mul, const float *add, int act,
                           const ttq_int8_shape *s)
{
    size_t i, m = (size_t)s->out_h*s->out_w;
    int o;
    for(o = 0; o < s->n; ++o){
        for(i = 0; i < m; ++i) y[o*m + i] = activate(mul[o]*(float)acc[o*m + i] + add[o], act);
    }
}

/* The coded epilogue's constants for one output: mq = mul/scale, cq = add/scale + zero (ttq_int8.h) */
static void code_consts(float mul, float add, float out_inv, int out_zero, float *mq, float *cq)
{
    *mq = (float)((double)mul*out_inv);
    *cq = (float)((double)add*out_inv + out_zero);
}

/* One code of a linear or relu epilogue: fma(acc, mq, cq), relu as a floor at the zero point,
   clamped to 0 .. 255, rounded to even */
static inline uint8_t code_fma(int32_t acc, float mq, float cq, int act, int zero)
{
    float v = fmaf((float)acc, mq, cq);
    if(act == TTQ_INT8_RELU && v < (float)zero) v = (float)zero;
    if(v < 0) v = 0;
    if(v > 255) v = 255;
    return (uint8_t)lrintf(v);
}

void ttq_int8_epilogue_codes_ref(uint8_t *yq, const int32_t *acc, const float *mul, const float *add, int act,
                                 float out_inv, int out_zero, const ttq_int8_shape *s)
{
    size_t i, m = (size_t)s->out_h*s->out_w;
    int o;
    for(o = 0; o < s->n; ++o){
        if(act == TTQ_INT8_LEAKY){
            for(i = 0; i < m; ++i) yq[o*m + i] = quantize(activate(mul[o]*(float)acc[o*m + i] + add[o], act), out_inv, out_zero);
        } else {
            float mq, cq;
            code_consts(mul[o], add[o], out_inv, out_zero, &mq, &cq);
            for(i = 0; i < m; ++i) yq[o*m + i] = code_fma(acc[o*m + i], mq, cq, act, out_zero);
        }
    }
}

float ttq_int8_channel_levels(const float *w, size_t count, int8_t *q)
{
    size_t i;
    float mx = 0;
    for(i = 0; i < count; ++i){
        if(!check_finite(w[i])) return -1;
        float a = fabsf(w[i]);
        if(a > mx) mx = a;
    }
    if(mx == 0){
        memset(q, 0, count);
        return 0;
    }
    float s = mx/TTQ_INT8_WMAX, inv = TTQ_INT8_WMAX/mx;
    for(i = 0; i < count; ++i){
        long v = lrintf(w[i]*inv);
        q[i] = (int8_t)(v > TTQ_INT8_WMAX ? TTQ_INT8_WMAX : v < -TTQ_INT8_WMAX ? -TTQ_INT8_WMAX : v);
    }
    return s;
}

/* ---- the kernels ------------------------------------------------------------------------------
 * kern(cv, pl, wk, acc, nout, f0, f1): for the OB outputs of one block (nout of them real), the
 * sums sum w u at the flattened positions f0 .. f1-1 (multiples of TTQ_INT8_FQ), into acc[o*fr + f].
 * pl: the group's planes; wk: the block's weights. */
typedef void (*kern_fn)(const ttq_int8_conv *cv, const uint8_t *pl, const int32_t *wk, int32_t *acc,
                        int nout, size_t f0, size_t f1);

/* The tap's phase plane and offset. */
static inline size_t tap_offset(const ttq_int8_conv *cv, int ky, int kx)
{
    int s = cv->s.stride, ph = (ky % s)*s + kx % s;
    return (size_t)ph*cv->c4*cv->plane + (size_t)(ky/s)*cv->wq + (size_t)(kx/s);
}

static void kern_scalar(const ttq_int8_conv *cv, const uint8_t *pl, const int32_t *wk, int32_t *acc,
                        int nout, size_t f0, size_t f1)
{
    int t, o, n = cv->nsteps;
    size_t f, fr = cv->fr;
    for(f = f0; f < f1; ++f){
        int32_t sum[OB] = {0};
        const int8_t *wb = (const int8_t *)wk;
        for(t = 0; t < n; ++t, wb += OB*4){
            const uint8_t *a = pl + cv->aoff[t] + f*4;
            for(o = 0; o < OB; ++o){
                const int8_t *b = wb + 4*o;
                sum[o] += a[0]*b[0] + a[1]*b[1] + a[2]*b[2] + a[3]*b[3];
            }
        }
        for(o = 0; o < nout; ++o) acc[(size_t)o*fr + f] = sum[o];
    }
}

#ifdef TTQ_INT8_X86
#define TGT_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define TGT_AVX2 __attribute__((target("avx2")))
#define TGT_AVX2_FMA __attribute__((target("avx2,fma")))

/* 8 outputs x NV vectors of 16 positions: vpdpbusd adds, in each int32 lane, the 4 products of a
 * position's 4 channel codes (unsigned) with the output's 4 weights (signed, broadcast). The
 * accumulators are named variables, not an array: gcc keeps an array of vectors partly on the
 * stack, which halved the speed. */
#define VZ _mm512_setzero_si512()
#define VDP(acc, x, b) acc = _mm512_dpbusd_epi32(acc, x, b)
#define VSTORE(o, v, acc) if((o) < nout) _mm512_storeu_si512((void *)(acc_out + (size_t)(o)*fr + 16*(v)), acc)

static TGT_VNNI void vnni_block3(const ttq_int8_conv *cv, const uint8_t *pl, const int32_t *wk, int32_t *acc,
                                 int nout, size_t f)
{
    __m512i a00 = VZ, a01 = VZ, a02 = VZ, a10 = VZ, a11 = VZ, a12 = VZ, a20 = VZ, a21 = VZ, a22 = VZ,
            a30 = VZ, a31 = VZ, a32 = VZ, a40 = VZ, a41 = VZ, a42 = VZ, a50 = VZ, a51 = VZ, a52 = VZ,
            a60 = VZ, a61 = VZ, a62 = VZ, a70 = VZ, a71 = VZ, a72 = VZ;
    const uint32_t *off = cv->aoff;
    const uint8_t *base = pl + f*4;
    const int32_t *wp = wk;
    int t, n = cv->nsteps;
    for(t = 0; t < n; ++t, wp += OB){
        const uint8_t *a = base + off[t];
        __m512i x0 = _mm512_loadu_si512((const void *)a), x1 = _mm512_loadu_si512((const void *)(a + 64)),
                x2 = _mm512_loadu_si512((const void *)(a + 128)), b;
#define STEP3(o) b = _mm512_set1_epi32(wp[o]); VDP(a##o##0, x0, b); VDP(a##o##1, x1, b); VDP(a##o##2, x2, b)
        STEP3(0); STEP3(1); STEP3(2); STEP3(3); STEP3(4); STEP3(5); STEP3(6); STEP3(7);
#undef STEP3
    }
    int32_t *acc_out = acc + f;
    size_t fr = cv->fr;
#define STORE3(o) VSTORE(o, 0, a##o##0); VSTORE(o, 1, a##o##1); VSTORE(o, 2, a##o##2)
    STORE3(0); STORE3(1); STORE3(2); STORE3(3); STORE3(4); STORE3(5); STORE3(6); STORE3(7);
#undef STORE3
}

static TGT_VNNI void vnni_block1(const ttq_int8_conv *cv, const uint8_t *pl, const int32_t *wk, int32_t *acc,
                                 int nout, size_t f)
{
    __m512i a00 = VZ, a10 = VZ, a20 = VZ, a30 = VZ, a40 = VZ, a50 = VZ, a60 = VZ, a70 = VZ;
    const uint32_t *off = cv->aoff;
    const uint8_t *base = pl + f*4;
    const int32_t *wp = wk;
    int t, n = cv->nsteps;
    for(t = 0; t < n; ++t, wp += OB){
        __m512i x0 = _mm512_loadu_si512((const void *)(base + off[t]));
#define STEP1(o) VDP(a##o##0, x0, _mm512_set1_epi32(wp[o]))
        STEP1(0); STEP1(1); STEP1(2); STEP1(3); STEP1(4); STEP1(5); STEP1(6); STEP1(7);
#undef STEP1
    }
    int32_t *acc_out = acc + f;
    size_t fr = cv->fr;
    VSTORE(0, 0, a00); VSTORE(1, 0, a10); VSTORE(2, 0, a20); VSTORE(3, 0, a30);
    VSTORE(4, 0, a40); VSTORE(5, 0, a50); VSTORE(6, 0, a60); VSTORE(7, 0, a70);
}
#undef VZ
#undef VDP
#undef VSTORE

/* blocks of 48 positions (24 accumulators: a broadcast weight serves 3 vectors), then of 16 */
static TGT_VNNI void kern_vnni(const ttq_int8_conv *cv, const uint8_t *pl, const int32_t *wk, int32_t *acc,
                               int nout, size_t f0, size_t f1)
{
    size_t f = f0;
    for(; f + 48 <= f1; f += 48) vnni_block3(cv, pl, wk, acc, nout, f);
    for(; f < f1; f += 16) vnni_block1(cv, pl, wk, acc, nout, f);
}

/* 8 outputs x 8 positions: vpmaddubsw multiplies the codes (unsigned) by the weights (signed) and
 * adds pairs into int16, which cannot saturate (|w| <= 64: 2 x 255 x 64 < 32768); vpmaddwd by 1
 * adds those pairs into int32. */
static TGT_AVX2 void kern_avx2(const ttq_int8_conv *cv, const uint8_t *pl, const int32_t *wk, int32_t *acc,
                               int nout, size_t f0, size_t f1)
{
    int t, o, n = cv->nsteps;
    size_t f;
    const __m256i ones = _mm256_set1_epi16(1);
    for(f = f0; f < f1; f += 8){
        __m256i s[OB];
        for(o = 0; o < OB; ++o) s[o] = _mm256_setzero_si256();
        const int32_t *wp = wk;
        for(t = 0; t < n; ++t, wp += OB){
            __m256i x = _mm256_loadu_si256((const __m256i *)(pl + cv->aoff[t] + f*4));
            for(o = 0; o < OB; ++o){
                __m256i p = _mm256_maddubs_epi16(x, _mm256_set1_epi32(wp[o]));
                s[o] = _mm256_add_epi32(s[o], _mm256_madd_epi16(p, ones));
            }
        }
        for(o = 0; o < nout; ++o) _mm256_storeu_si256((__m256i *)(acc + (size_t)o*cv->fr + f), s[o]);
    }
}
#endif

#ifdef TTQ_INT8_ARM64
/* 8 outputs x 2 vectors of 4 positions: sdot adds, in each int32 lane, the 4 products of a
 * position's 4 channel codes with the output's 4 weights, both signed: the codes are shifted to
 * u - 128 (an exclusive or of the top bit) and 128 x sum w is added back at the end. */
#define SDOT(o, v) s[o][v] = vdotq_laneq_s32(s[o][v], x[v], (o) < 4 ? w0 : w1, (o) & 3)
static __attribute__((target("arch=armv8.2-a+dotprod"))) void
kern_neon(const ttq_int8_conv *cv, const uint8_t *pl, const int32_t *wk, int32_t *acc, int nout, size_t f0,
          size_t f1)
{
    int t, o, v, n = cv->nsteps;
    size_t f;
    const uint8x16_t top = vdupq_n_u8(0x80);
    int32_t bias[OB];
    for(o = 0; o < OB; ++o){
        /* 128 x the block's filter sums, from the weights themselves */
        const int8_t *wb = (const int8_t *)wk;
        int32_t sum = 0;
        int j;
        for(t = 0; t < n; ++t) for(j = 0; j < 4; ++j) sum += wb[(t*OB + o)*4 + j];
        bias[o] = 128*sum;
    }
    for(f = f0; f < f1; f += 8){
        int32x4_t s[OB][2];
        for(o = 0; o < OB; ++o) for(v = 0; v < 2; ++v) s[o][v] = vdupq_n_s32(bias[o]);
        const int32_t *wp = wk;
        {
            {
                for(t = 0; t < n; ++t, wp += OB){
                    const uint8_t *a = pl + cv->aoff[t] + f*4;
                    int8x16_t x[2];
                    x[0] = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(a), top));
                    x[1] = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(a + 16), top));
                    int8x16_t w0 = vld1q_s8((const int8_t *)wp), w1 = vld1q_s8((const int8_t *)(wp + 4));
                    SDOT(0, 0); SDOT(0, 1); SDOT(1, 0); SDOT(1, 1);
                    SDOT(2, 0); SDOT(2, 1); SDOT(3, 0); SDOT(3, 1);
                    SDOT(4, 0); SDOT(4, 1); SDOT(5, 0); SDOT(5, 1);
                    SDOT(6, 0); SDOT(6, 1); SDOT(7, 0); SDOT(7, 1);
                }
            }
        }
        for(o = 0; o < nout; ++o){
            vst1q_s32(acc + (size_t)o*cv->fr + f, s[o][0]);
            vst1q_s32(acc + (size_t)o*cv->fr + f + 4, s[o][1]);
        }
    }
}
#undef SDOT
#endif

static kern_fn kernel_of(ttq_kset k)
{
    switch(k){
#ifdef TTQ_INT8_X86
    case TTQ_KSET_VNNI: return kern_vnni;
    case TTQ_KSET_AVX2: return kern_avx2;
#endif
#ifdef TTQ_INT8_ARM64
    case TTQ_KSET_NEON: return kern_neon;
#endif
    default: return kern_scalar;
    }
}

/* ---- preparing a convolution ---------------------------------------------------------------- */

void ttq_int8_conv_free(ttq_int8_conv *cv)
{
    free(cv->wk);
    free(cv->aoff);
    free(cv->wsum);
    free(cv->zw);
    free(cv->mul);
    free(cv->add);
    free(cv->xq);
    free(cv->acc);
    memset(cv, 0, sizeof *cv);
}

int ttq_int8_conv_init(ttq_int8_conv *cv, const ttq_int8_shape *s, const int8_t *w, const float *mul,
                       const float *add, float scale, int zero, int act, ttq_kset kset)
{
    memset(cv, 0, sizeof *cv);
    if(ttq_int8_shape_check(s) || !ttq_int8_kset_available(kset) || !(scale > 0)) return -1;
    cv->s = *s;
    cv->kset = kset;
    cv->zero = zero;
    cv->act = act;
    cv->scale = scale;
    cv->inv_scale = 1.0f/scale;
    int st = s->stride, k = s->size;
    cv->cg = s->c/s->groups;
    cv->c4 = (cv->cg + 3)/4;
    cv->ng = s->n/s->groups;
    cv->nob = (cv->ng + OB - 1)/OB;
    cv->phases = st*st;
    cv->hq = (s->h + 2*s->pad + st - 1)/st;
    cv->wq = (s->w + 2*s->pad + st - 1)/st;
    size_t f = (size_t)s->out_h*cv->wq;
    cv->fr = (f + TTQ_INT8_FQ - 1)/TTQ_INT8_FQ*TTQ_INT8_FQ;
    size_t reach = cv->fr + (size_t)((k - 1)/st)*cv->wq + (size_t)((k - 1)/st);
    size_t plane = (size_t)cv->hq*cv->wq;
    if(plane < reach) plane = reach;
    cv->plane = (plane + TTQ_INT8_FQ - 1)/TTQ_INT8_FQ*TTQ_INT8_FQ;

    size_t nwk = (size_t)s->groups*cv->nob*k*k*cv->c4*OB;
    cv->nsteps = k*k*cv->c4;
    cv->aoff = malloc(cv->nsteps*sizeof(uint32_t));
    if(!cv->aoff || (double)s->groups*cv->phases*cv->c4*cv->plane*4 > 4e9){
        ttq_int8_conv_free(cv);
        return -1;
    }
    {
        int ky, kx, q;
        for(ky = 0; ky < k; ++ky) for(kx = 0; kx < k; ++kx) for(q = 0; q < cv->c4; ++q){
            cv->aoff[(ky*k + kx)*cv->c4 + q] = (uint32_t)((tap_offset(cv, ky, kx) + (size_t)q*cv->plane)*4);
        }
    }
    cv->wk = calloc(nwk, sizeof(int32_t));
    cv->wsum = calloc(s->n, sizeof(int32_t));
    cv->zw = calloc(s->n, sizeof(int32_t));
    cv->mul = malloc(s->n*sizeof(float));
    cv->add = malloc(s->n*sizeof(float));
    if(!cv->wk || !cv->wsum || !cv->zw || !cv->mul || !cv->add){
        ttq_int8_conv_free(cv);
        return -1;
    }
    memcpy(cv->mul, mul, s->n*sizeof(float));
    memcpy(cv->add, add, s->n*sizeof(float));
    int8_t *wb = (int8_t *)cv->wk;   /* bytes: char-typed access to the words */
    int g, b, o, c, ky, kx;
    for(g = 0; g < s->groups; ++g){
        for(b = 0; b < cv->nob; ++b){
            for(ky = 0; ky < k; ++ky){
                for(kx = 0; kx < k; ++kx){
                    for(c = 0; c < cv->c4*4; ++c){
                        for(o = 0; o < OB; ++o){
                            int oo = b*OB + o;
                            if(oo >= cv->ng || c >= cv->cg) continue;
                            int og = g*cv->ng + oo;
                            int8_t v = w[(((size_t)og*cv->cg + c)*k + ky)*k + kx];
                            size_t at = (((((size_t)g*cv->nob + b)*k + ky)*k + kx)*cv->c4 + c/4)*OB + o;
                            wb[at*4 + c % 4] = v;
                            cv->wsum[og] += v;
                        }
                    }
                }
            }
        }
    }
    for(o = 0; o < s->n; ++o) cv->zw[o] = zero*cv->wsum[o];
    return 0;
}

static int workspace(ttq_int8_conv *cv, int batch)
{
    if(batch <= cv->ws_batch) return 0;
    size_t nx = (size_t)cv->s.groups*cv->phases*cv->c4*cv->plane*4, na = (size_t)cv->s.n*cv->fr;
    uint8_t *xq = realloc(cv->xq, nx*batch);
    if(!xq) return -1;
    cv->xq = xq;
    int32_t *acc = realloc(cv->acc, na*batch*sizeof(int32_t));
    if(!acc) return -1;
    cv->acc = acc;
    cv->ws_batch = batch;
    return 0;
}

/* The row helpers below have an AVX2 version, chosen by the CPU alone (never by the kernel set),
 * so that every kernel set gives the same floats on a machine: the vector code computes exactly
 * what the scalar code does (the same rounding, clamping and NaN handling; multiply then add, no
 * fused multiply-add). */
#ifdef TTQ_INT8_X86
static int use_avx2_rows(void)
{
    static int v = -1;
    if(v < 0){
        __builtin_cpu_init();
        v = ttq_int8_kset_available(TTQ_KSET_AVX2) && __builtin_cpu_supports("fma");
    }
    return v;
}

/* 4 channel rows r[0..3] (NULL: a channel past the group's, coded `zero`), n positions from each
 * (stride 1) coded and interleaved into d (4 bytes a position). Per 8 positions: x/scale bounded,
 * rounded to even (cvtps2dq), plus zero, saturated to 0 .. 255 by the two packs; the packs leave,
 * in each 128-bit half, 4 positions of channel 0, then of 1, 2, 3, which one byte shuffle turns
 * into 4 positions of 4 channels. */
/* 8 floats from every st-th: stride 1 is one load; stride 2 takes the even lanes of two loads */
static TGT_AVX2 inline __m256 load_strided(const float *p, int st)
{
    if(st == 1) return _mm256_loadu_ps(p);
    __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));   /* a0 a2 b0 b2 | a4 a6 b4 b6 */
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
}

static TGT_AVX2 void code_rows_avx2(uint8_t *d, const float *const *r, int n, int st, float inv, int zero)
{
    const __m256 vi = _mm256_set1_ps(inv), lo = _mm256_set1_ps(-256.0f), hi = _mm256_set1_ps(256.0f);
    const __m256i z = _mm256_set1_epi32(zero);
    const __m256i tr = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
                                        0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    int x, j;
    /* a stride-2 load reads 16 floats: the last vector must end within the row (x*st + 15 < n*st
     * only for x + 8 < n); the rest goes the scalar way */
    int nv = st == 1 ? n : n - 1;
    for(x = 0; x + 8 <= nv; x += 8){
        __m256i c[4];
        for(j = 0; j < 4; ++j){
            if(!r[j]){
                c[j] = z;
                continue;
            }
            __m256 v = _mm256_mul_ps(load_strided(r[j] + (size_t)x*st, st), vi);
            v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);   /* max(NaN, lo) is lo */
            c[j] = _mm256_add_epi32(_mm256_cvtps_epi32(v), z);
        }
        __m256i b = _mm256_packus_epi16(_mm256_packs_epi32(c[0], c[1]), _mm256_packs_epi32(c[2], c[3]));
        _mm256_storeu_si256((__m256i *)(d + 4*x), _mm256_shuffle_epi8(b, tr));
    }
    for(; x < n; ++x){
        for(j = 0; j < 4; ++j) d[4*x + j] = r[j] ? quantize(r[j][(size_t)x*st], inv, zero) : (uint8_t)zero;
    }
}

/* the epilogue of one output channel: y = m (acc - z) + a, then the activation, 8 at a time, row
 * by row (the sums' rows are wq apart, the output's ow); d: the floats (or NULL), dq: the codes
 * of y on the output's coding (or NULL), coded as quantize() does */
/* 8 codes of code_fma from 8 sums (before packing) */
static TGT_AVX2_FMA inline __m256i codes8(const int32_t *r, __m256i vz, __m256 vmq, __m256 vcq, int relu, __m256 vzf,
                                         __m256 v255)
{
    __m256 c = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)r), vz)), vmq, vcq);
    if(relu) c = _mm256_max_ps(c, vzf);
    return _mm256_cvtps_epi32(_mm256_min_ps(c, v255));
}

static TGT_AVX2_FMA void epilogue_avx2(float *d, uint8_t *dq, const int32_t *r, int oh, int ow, size_t wq, float m,
                                       int32_t z, float a, int act, float oinv, int ozero)
{
    const __m256 vm = _mm256_set1_ps(m), va = _mm256_set1_ps(a), zero = _mm256_setzero_ps(),
                 tenth = _mm256_set1_ps(0.1f), vi = _mm256_set1_ps(oinv), lo = _mm256_set1_ps(-256.0f),
                 hi = _mm256_set1_ps(256.0f), vzf = _mm256_set1_ps((float)ozero), v255 = _mm256_set1_ps(255.0f);
    const __m256i vz = _mm256_set1_epi32(z), voz = _mm256_set1_epi32(ozero);
    float mq, cq;
    code_consts(m, a, oinv, ozero, &mq, &cq);
    const __m256 vmq = _mm256_set1_ps(mq), vcq = _mm256_set1_ps(cq);
    int x, y;
    if(dq && !d && act != TTQ_INT8_LEAKY){
        /* codes alone (the hand-over): code_fma, 32 and 8 positions a step, the packs' lanes put back
           in order by one permute, one store a step */
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        const int relu = act == TTQ_INT8_RELU;
#define CODES8(i) codes8(r + x + (i), vz, vmq, vcq, relu, vzf, v255)
        for(y = 0; y < oh; ++y, r += wq){
            uint8_t *o = dq + (size_t)y*ow;
            for(x = 0; x + 32 <= ow; x += 32){
                __m256i c0 = CODES8(0), c1 = CODES8(8), c2 = CODES8(16), c3 = CODES8(24);
                __m256i p = _mm256_packus_epi16(_mm256_packs_epi32(c0, c1), _mm256_packs_epi32(c2, c3));
                _mm256_storeu_si256((__m256i *)(o + x), _mm256_permutevar8x32_epi32(p, order));
            }
            for(; x + 8 <= ow; x += 8){
                __m256i c0 = CODES8(0);
                __m256i p = _mm256_packus_epi16(_mm256_packs_epi32(c0, c0), _mm256_setzero_si256());
                _mm_storel_epi64((__m128i *)(o + x), _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(p, order)));
            }
            for(; x < ow; ++x) o[x] = code_fma(r[x] - z, mq, cq, act, ozero);
        }
#undef CODES8
        return;
    }
    for(y = 0; y < oh; ++y, r += wq){
        for(x = 0; x + 8 <= ow; x += 8){
            __m256i q = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(r + x)), vz);
            __m256 v = zero;
            if(d || act == TTQ_INT8_LEAKY){
                v = _mm256_add_ps(_mm256_mul_ps(vm, _mm256_cvtepi32_ps(q)), va);
                if(act == TTQ_INT8_RELU) v = _mm256_max_ps(v, zero);
                else if(act == TTQ_INT8_LEAKY) v = _mm256_blendv_ps(_mm256_mul_ps(tenth, v), v, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
            }
            if(d) _mm256_storeu_ps(d + (size_t)y*ow + x, v);
            if(dq){
                __m256i ci;
                if(act == TTQ_INT8_LEAKY){
                    __m256 c = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v, vi), lo), hi);
                    ci = _mm256_add_epi32(_mm256_cvtps_epi32(c), voz);
                } else {
                    /* code_fma: the packs below clamp below 0 */
                    __m256 c = _mm256_fmadd_ps(_mm256_cvtepi32_ps(q), vmq, vcq);
                    if(act == TTQ_INT8_RELU) c = _mm256_max_ps(c, vzf);
                    ci = _mm256_cvtps_epi32(_mm256_min_ps(c, v255));
                }
                __m256i p16 = _mm256_packs_epi32(ci, ci);
                __m256i p8 = _mm256_packus_epi16(p16, p16);
                uint32_t w0 = (uint32_t)_mm_cvtsi128_si32(_mm256_castsi256_si128(p8));
                uint32_t w1 = (uint32_t)_mm_cvtsi128_si32(_mm256_extracti128_si256(p8, 1));
                memcpy(dq + (size_t)y*ow + x, &w0, 4);
                memcpy(dq + (size_t)y*ow + x + 4, &w1, 4);
            }
        }
        for(; x < ow; ++x){
            float v = activate(m*(float)(r[x] - z) + a, act);
            if(d) d[(size_t)y*ow + x] = v;
            if(dq) dq[(size_t)y*ow + x] = act == TTQ_INT8_LEAKY ? quantize(v, oinv, ozero) : code_fma(r[x] - z, mq, cq, act, ozero);
        }
    }
}

#endif

/* 4 rows of codes r[0..3] (NULL: a channel past the group's, `zero`), n positions from each, every
 * st-th (1 or 2), interleaved into d (4 bytes a position): the hand-over's copy into the phase
 * planes. Plain byte moves, so every implementation writes the same bytes: SSE2 (every x86-64)
 * unpacks 16 positions at a time, NEON stores them with vst4; stride 2 keeps the even bytes first. */
static void interleave_rows(uint8_t *d, const uint8_t *const *r, int n, int st, int zero, size_t avail)
{
    int x = 0, j;
#if defined(__x86_64__) && defined(__SSE2__)
    {
        const __m128i z = _mm_set1_epi8((char)zero), even = _mm_set1_epi16(0x00ff);
        /* a stride-2 load reads 32 bytes, up to one past the row's last position: it must end
           within the avail bytes of the channel (the next row's bytes are read and dropped) */
        for(; x + 16 <= n && (st == 1 || (size_t)2*x + 32 <= avail); x += 16){
            __m128i v[4];
            for(j = 0; j < 4; ++j){
                if(!r[j]){
                    v[j] = z;
                } else if(st == 1){
                    v[j] = _mm_loadu_si128((const __m128i *)(r[j] + x));
                } else {
                    __m128i a = _mm_loadu_si128((const __m128i *)(r[j] + 2*x)), b = _mm_loadu_si128((const __m128i *)(r[j] + 2*x + 16));
                    v[j] = _mm_packus_epi16(_mm_and_si128(a, even), _mm_and_si128(b, even));
                }
            }
            __m128i ab0 = _mm_unpacklo_epi8(v[0], v[1]), ab1 = _mm_unpackhi_epi8(v[0], v[1]);
            __m128i cd0 = _mm_unpacklo_epi8(v[2], v[3]), cd1 = _mm_unpackhi_epi8(v[2], v[3]);
            _mm_storeu_si128((__m128i *)(d + 4*x), _mm_unpacklo_epi16(ab0, cd0));
            _mm_storeu_si128((__m128i *)(d + 4*x + 16), _mm_unpackhi_epi16(ab0, cd0));
            _mm_storeu_si128((__m128i *)(d + 4*x + 32), _mm_unpacklo_epi16(ab1, cd1));
            _mm_storeu_si128((__m128i *)(d + 4*x + 48), _mm_unpackhi_epi16(ab1, cd1));
        }
        /* then 8 positions (the rows of an 8-wide map) */
        for(; x + 8 <= n && (st == 1 || (size_t)2*x + 16 <= avail); x += 8){
            __m128i v[4];
            for(j = 0; j < 4; ++j){
                if(!r[j]){
                    v[j] = z;
                } else if(st == 1){
                    v[j] = _mm_loadl_epi64((const __m128i *)(r[j] + x));
                } else {
                    __m128i a = _mm_loadu_si128((const __m128i *)(r[j] + 2*x));
                    v[j] = _mm_packus_epi16(_mm_and_si128(a, even), _mm_setzero_si128());
                }
            }
            __m128i ab0 = _mm_unpacklo_epi8(v[0], v[1]), cd0 = _mm_unpacklo_epi8(v[2], v[3]);
            _mm_storeu_si128((__m128i *)(d + 4*x), _mm_unpacklo_epi16(ab0, cd0));
            _mm_storeu_si128((__m128i *)(d + 4*x + 16), _mm_unpackhi_epi16(ab0, cd0));
        }
    }
#elif defined(TTQ_INT8_ARM64)
    {
        const uint8x16_t z = vdupq_n_u8((uint8_t)zero);
        for(; x + 16 <= n && (st == 1 || (size_t)2*x + 32 <= avail); x += 16){
            uint8x16x4_t v;
            for(j = 0; j < 4; ++j){
                if(!r[j]) v.val[j] = z;
                else if(st == 1) v.val[j] = vld1q_u8(r[j] + x);
                else v.val[j] = vld2q_u8(r[j] + 2*x).val[0];
            }
            vst4q_u8(d + 4*x, v);
        }
    }
#endif
    for(; x < n; ++x){
        for(j = 0; j < 4; ++j) d[4*x + j] = r[j] ? r[j][(size_t)x*st] : (uint8_t)zero;
    }
}

/* One image's quad q of group g into its phase planes: the codes of 4 channels (or fewer: the rest
 * coded as `zero`, their weights are 0), `zero` outside the image. Either from floats (x, coded
 * here) or from codes (u: the hand-over from an integer layer, and the tests); x or u is the
 * image. */
static void fill_quad(const ttq_int8_conv *cv, uint8_t *img, const float *x, const uint8_t *u, int g, int q)
{
    const ttq_int8_shape *s = &cv->s;
    int st = s->stride, py, px, j, yq, xq;
    size_t hw = (size_t)s->h*s->w;
    for(py = 0; py < st; ++py){
        for(px = 0; px < st; ++px){
            uint8_t *pl = img + (((size_t)g*cv->phases + py*st + px)*cv->c4 + q)*cv->plane*4;
            /* the phase's columns inside the image: xq*st + px - pad in [0, w) */
            int x0 = s->pad > px ? (s->pad - px + st - 1)/st : 0;
            int last = s->w - 1 + s->pad - px, x1 = last < 0 ? 0 : last/st + 1;
            if(x1 > cv->wq) x1 = cv->wq;
            /* `zero` (the code of 0) everywhere the image is not: whole rows outside it, the columns
               before x0 and from x1 in the others, and the plane past its hq rows; every position is
               written (the inside below) */
            {
                /* the interior too where the per-channel loop below writes only the group's channels */
                int whole = u && st <= 2;
#ifdef TTQ_INT8_X86
                whole |= x && st <= 2 && use_avx2_rows();
#endif
                size_t rb = (size_t)cv->wq*4;
                for(yq = 0; yq < cv->hq; ++yq){
                    int iy = yq*st + py - s->pad;
                    uint8_t *row = pl + (size_t)yq*rb;
                    if(iy < 0 || iy >= s->h || x1 <= x0){
                        memset(row, cv->zero, rb);
                    } else if(!whole){
                        memset(row, cv->zero, rb);
                    } else {
                        /* the padding columns: a few positions, 4 bytes each */
                        uint32_t zz = 0x01010101u*(uint8_t)cv->zero;
                        int xx;
                        for(xx = 0; xx < x0; ++xx) memcpy(row + 4*xx, &zz, 4);
                        for(xx = x1; xx < cv->wq; ++xx) memcpy(row + 4*xx, &zz, 4);
                    }
                }
                memset(pl + (size_t)cv->hq*rb, cv->zero, (cv->plane - (size_t)cv->hq*cv->wq)*4);
            }
#ifdef TTQ_INT8_X86
            if(x && st <= 2 && use_avx2_rows()){
                /* strides 1 and 2: the 4 channels' rows coded and interleaved together */
                for(yq = 0; yq < cv->hq; ++yq){
                    int iy = yq*st + py - s->pad;
                    if(iy < 0 || iy >= s->h || x1 <= x0) continue;
                    const float *r[4];
                    for(j = 0; j < 4; ++j){
                        int c = q*4 + j;
                        r[j] = c < cv->cg ? x + ((size_t)(g*cv->cg + c)*s->h + iy)*s->w + ((size_t)x0*st + px - s->pad) : 0;
                    }
                    code_rows_avx2(pl + ((size_t)yq*cv->wq + x0)*4, r, x1 - x0, st, cv->inv_scale, cv->zero);
                }
                continue;
            }
#endif
            if(u && st <= 2){
                /* codes: the 4 channels' rows interleaved together, the phase's rows inside the image
                   (iy = yq st + py - pad in [0, h)) one after the other: st rows of the input apart */
                int ya = s->pad > py ? (s->pad - py + st - 1)/st : 0, yl = s->h - 1 + s->pad - py;
                int yb = yl < 0 ? 0 : yl/st + 1;
                if(yb > cv->hq) yb = cv->hq;
                if(yb <= ya || x1 <= x0) continue;
                const uint8_t *r[4];
                size_t step = (size_t)st*s->w;
                for(j = 0; j < 4; ++j){
                    int c = q*4 + j;
                    r[j] = c < cv->cg ? u + ((size_t)(g*cv->cg + c)*s->h + (ya*st + py - s->pad))*s->w +
                                        ((size_t)x0*st + px - s->pad) : 0;
                }
                uint8_t *dr = pl + ((size_t)ya*cv->wq + x0)*4;
                for(yq = ya; yq < yb; ++yq, dr += (size_t)cv->wq*4){
                    /* the bytes of the channel from the row's first position on */
                    int iy = yq*st + py - s->pad;
                    size_t avail = (size_t)(s->h - iy)*s->w - ((size_t)x0*st + px - s->pad);
                    interleave_rows(dr, r, x1 - x0, st, cv->zero, avail);
                    for(j = 0; j < 4; ++j) if(r[j]) r[j] += step;
                }
                continue;
            }
            for(j = 0; j < 4; ++j){
                int c = q*4 + j;
                if(c >= cv->cg) break;
                size_t ch = (size_t)(g*cv->cg + c)*hw;
                for(yq = 0; yq < cv->hq; ++yq){
                    int iy = yq*st + py - s->pad;
                    if(iy < 0 || iy >= s->h) continue;
                    uint8_t *d = pl + ((size_t)yq*cv->wq)*4 + j;
                    size_t row = ch + (size_t)iy*s->w;
                    if(x){
                        const float *r = x + row - s->pad + px;
                        float inv = cv->inv_scale;
                        int z = cv->zero;
                        for(xq = x0; xq < x1; ++xq) d[4*xq] = quantize(r[(size_t)xq*st], inv, z);
                    } else {
                        const uint8_t *r = u + row - s->pad + px;
                        for(xq = x0; xq < x1; ++xq) d[4*xq] = r[(size_t)xq*st];
                    }
                }
            }
        }
    }
}

/* One output channel of one image: the valid positions of acc, centred, through mul, add and the
 * activation, to Darknet's layout: floats into y (unless NULL), codes on the output's coding into
 * yq (unless NULL). */
static void epilogue_seg(const ttq_int8_conv *cv, const ttq_int8_io *io, float *y, uint8_t *yq, const int32_t *r,
                         int o, int n)
{
    float m = cv->mul[o], a = cv->add[o];
    int32_t z = cv->zw[o];
    int xx;
    if(y && !yq){
        if(cv->act == TTQ_INT8_RELU){
            for(xx = 0; xx < n; ++xx){ float v = m*(float)(r[xx] - z) + a; y[xx] = v > 0 ? v : 0; }
        } else if(cv->act == TTQ_INT8_LEAKY){
            for(xx = 0; xx < n; ++xx){ float v = m*(float)(r[xx] - z) + a; y[xx] = v > 0 ? v : 0.1f*v; }
        } else {
            for(xx = 0; xx < n; ++xx) y[xx] = m*(float)(r[xx] - z) + a;
        }
        return;
    }
    float mq, cq;
    code_consts(m, a, io->out_inv, io->out_zero, &mq, &cq);
    for(xx = 0; xx < n; ++xx){
        float v = activate(m*(float)(r[xx] - z) + a, cv->act);
        if(y) y[xx] = v;
        yq[xx] = cv->act == TTQ_INT8_LEAKY ? quantize(v, io->out_inv, io->out_zero) :
                 code_fma(r[xx] - z, mq, cq, cv->act, io->out_zero);
    }
}

/* Output channel o's valid positions of acc, centred, through mul, add and the activation, to
 * Darknet's layout: floats into y (unless NULL), codes on the output's coding into yq (unless
 * NULL). Row by row: a row's wq - out_w positions past the output are dropped. */
static void epilogue(const ttq_int8_conv *cv, const ttq_int8_io *io, float *y, uint8_t *yq, const int32_t *acc, int o,
                     int y0, int y1)
{
    const ttq_int8_shape *s = &cv->s;
    int ow = s->out_w, yy;
    size_t at = (size_t)o*s->out_h*ow;
    const int32_t *r = acc + (size_t)o*cv->fr;
#ifdef TTQ_INT8_X86
    if(use_avx2_rows()){
        size_t d = at + (size_t)y0*ow;
        epilogue_avx2(y ? y + d : 0, yq ? yq + d : 0, r + (size_t)y0*cv->wq, y1 - y0, ow, cv->wq, cv->mul[o], cv->zw[o],
                      cv->add[o], cv->act, io->out_inv, io->out_zero);
        return;
    }
#endif
    for(yy = y0; yy < y1; ++yy){
        size_t d = at + (size_t)yy*ow;
        epilogue_seg(cv, io, y ? y + d : 0, yq ? yq + d : 0, r + (size_t)yy*cv->wq, o, ow);
    }
}

/* Of one image coded in slot `slot`, the output blocks b0 .. b1-1 (block = group x nob + block
 * of the group): the kernel, then the block's epilogue while its sums are in the cache. */
static void image_blocks(const ttq_int8_conv *cv, const ttq_int8_io *io, float *y, uint8_t *yq, int slot, int b0,
                         int b1)
{
    const ttq_int8_shape *s = &cv->s;
    size_t nx = (size_t)s->groups*cv->phases*cv->c4*cv->plane*4, na = (size_t)s->n*cv->fr;
    const uint8_t *xq = cv->xq + nx*slot;
    int32_t *acc = cv->acc + na*slot;
    kern_fn kern = kernel_of(cv->kset);
    int b, o;
    for(b = b0; b < b1; ++b){
        int g = b/cv->nob, ob = b % cv->nob;
        int nout = cv->ng - ob*OB < OB ? cv->ng - ob*OB : OB;
        const uint8_t *pl = xq + (size_t)g*cv->phases*cv->c4*cv->plane*4;
        const int32_t *wk = cv->wk + ((size_t)g*cv->nob + ob)*s->size*s->size*cv->c4*OB;
        int first = g*cv->ng + ob*OB;
        /* the block's sums in chunks of 384 positions (8 outputs: 12 KiB, in the L1 cache), the
           epilogue of the rows each chunk completes right after it */
        size_t f0, f1;
        int done = 0, oh = s->out_h, ow = s->out_w;
        for(f0 = 0; f0 < cv->fr; f0 = f1){
            f1 = f0 + 384 < cv->fr ? f0 + 384 : cv->fr;
            kern(cv, pl, wk, acc + (size_t)first*cv->fr, nout, f0, f1);
            int rows = f1 >= cv->fr ? oh : f1 < (size_t)ow ? 0 : (int)((f1 - ow)/cv->wq) + 1;
            if(rows > oh) rows = oh;
            if(rows <= done) continue;
            for(o = first; o < first + nout; ++o) epilogue(cv, io, y, yq, acc, o, done, rows);
            done = rows;
        }
    }
}

/* image b of io into workspace slot `slot`: coded from floats or copied from codes */
static void fill_image(const ttq_int8_conv *cv, const ttq_int8_io *io, int b, int slot)
{
    const ttq_int8_shape *s = &cv->s;
    size_t nx = (size_t)s->groups*cv->phases*cv->c4*cv->plane*4, in = (size_t)s->c*s->h*s->w;
    int g, q;
    for(g = 0; g < s->groups; ++g){
        for(q = 0; q < cv->c4; ++q){
            fill_quad(cv, cv->xq + nx*slot, io->x ? io->x + in*b : 0, io->x ? 0 : io->u + in*b, g, q);
        }
    }
}

int ttq_int8_conv_run(ttq_int8_conv *cv, const ttq_int8_io *io, int batch)
{
    const ttq_int8_shape *s = &cv->s;
    size_t out = (size_t)s->n*s->out_h*s->out_w;
    if((!io->x) == (!io->u) || (!io->y && !io->yq)) return -1;
    int nthreads = 1;
#ifdef _OPENMP
    nthreads = omp_get_max_threads();
#endif
    double macs = (double)s->n*(s->c/s->groups)*s->size*s->size*s->out_h*s->out_w*batch;
    if(nthreads > 1 && batch < nthreads){
        /* fewer images than threads: every thread codes each image into its own slot (a small
         * cost, the coding is about a tenth of a layer) and computes its share of the output
         * blocks, so that the threads meet only at the end of the layer; one thread alone where
         * the layer is too small to pay for waking another and meeting it at the end (about 4e6
         * multiply-adds, 15 us at batch 1: ResNet-20's layers, 2.4e6 each, measured faster alone) */
        int team = macs < 4e6 ? 1 : nthreads;
        if(workspace(cv, team)) return -1;
        #pragma omp parallel num_threads(team)
        {
            int tid = 0, nth = 1, b;
#ifdef _OPENMP
            tid = omp_get_thread_num();
            nth = omp_get_num_threads();
#endif
            int nb = s->groups*cv->nob;
            for(b = 0; b < batch; ++b){
                fill_image(cv, io, b, tid);
                image_blocks(cv, io, io->y ? io->y + out*b : 0, io->yq ? io->yq + out*b : 0, tid,
                             (int)((long)nb*tid/nth), (int)((long)nb*(tid + 1)/nth));
            }
        }
        return 0;
    }
    /* an image for every thread: each thread takes whole images, one workspace slot each; its
       planes and sums stay in the core's caches throughout */
    if(workspace(cv, nthreads)) return -1;
    int b;
    #pragma omp parallel for schedule(static)
    for(b = 0; b < batch; ++b){
        int slot = 0;
#ifdef _OPENMP
        slot = omp_get_thread_num();
#endif
        fill_image(cv, io, b, slot);
        image_blocks(cv, io, io->y ? io->y + out*b : 0, io->yq ? io->yq + out*b : 0, slot, 0, s->groups*cv->nob);
    }
    return 0;
}

int ttq_int8_conv_forward(ttq_int8_conv *cv, const float *x, float *y, int batch)
{
    ttq_int8_io io = {x, 0, y, 0, 1.0f, 0};
    return ttq_int8_conv_run(cv, &io, batch);
}

int ttq_int8_conv_acc(ttq_int8_conv *cv, const uint8_t *u, int32_t *acc)
{
    if(workspace(cv, 1)) return -1;
    const ttq_int8_shape *s = &cv->s;
    int g, q, o, yy, xx;
    for(g = 0; g < s->groups; ++g) for(q = 0; q < cv->c4; ++q) fill_quad(cv, cv->xq, 0, u, g, q);
    /* the kernels over every block, in two runs of positions (so a run that does not start at 0
     * is tested too) */
    kern_fn kern = kernel_of(cv->kset);
    int ob;
    size_t half = cv->fr/2/TTQ_INT8_FQ*TTQ_INT8_FQ;
    for(g = 0; g < s->groups; ++g){
        for(ob = 0; ob < cv->nob; ++ob){
            int nout = cv->ng - ob*OB < OB ? cv->ng - ob*OB : OB;
            const uint8_t *pl = cv->xq + (size_t)g*cv->phases*cv->c4*cv->plane*4;
            const int32_t *wk = cv->wk + ((size_t)g*cv->nob + ob)*s->size*s->size*cv->c4*OB;
            int32_t *a = cv->acc + ((size_t)g*cv->ng + (size_t)ob*OB)*cv->fr;
            kern(cv, pl, wk, a, nout, 0, half);
            kern(cv, pl, wk, a, nout, half, cv->fr);
        }
    }
    for(o = 0; o < s->n; ++o){
        for(yy = 0; yy < s->out_h; ++yy){
            for(xx = 0; xx < s->out_w; ++xx){
                acc[((size_t)o*s->out_h + yy)*s->out_w + xx] =
                    cv->acc[(size_t)o*cv->fr + (size_t)yy*cv->wq + xx] - cv->zw[o];
            }
        }
    }
    return 0;
}
