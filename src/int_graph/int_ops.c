/* The integer operations besides the convolutions: see int_ops.h. */
#include "int_ops.h"

#include <math.h>
#include <string.h>

#include "ttq_int8.h"

float int_ops_value(uint8_t u, int_coding c)
{
    return c.scale*(float)((int)u - c.zero);
}

static inline float act_of(float v, int act)
{
    if(act == INT_OPS_RELU) return v > 0 ? v : 0;
    if(act == INT_OPS_LEAKY) return v > 0 ? v : 0.1f*v;
    return v;
}

void int_ops_decode(float *y, const uint8_t *u, size_t n, int_coding c)
{
    float t[256];
    size_t i;
    for(i = 0; i < 256; ++i) t[i] = int_ops_value((uint8_t)i, c);
    #pragma omp parallel for schedule(static) if(n > 65536)
    for(i = 0; i < n; ++i) y[i] = t[u[i]];
}

void int_ops_encode(uint8_t *u, const float *x, size_t n, int_coding c)
{
    float inv = 1.0f/c.scale;
    size_t i;
    #pragma omp parallel for schedule(static) if(n > 65536)
    for(i = 0; i < n; ++i) u[i] = ttq_int8_quantize(x[i], inv, c.zero);
}

void int_ops_requant_table(uint8_t t[256], int_coding in, int_coding out)
{
    float inv = 1.0f/out.scale;
    int i;
    for(i = 0; i < 256; ++i) t[i] = ttq_int8_quantize(int_ops_value((uint8_t)i, in), inv, out.zero);
}

/* ---- [shortcut] ------------------------------------------------------------------------------ */

#if defined(__GNUC__) && defined(__x86_64__)
#define INT_OPS_X86 1
#include <immintrin.h>
#endif

/* Darknet's index arithmetic: the output's position of (i, j, k) and the one read from add */
static void shortcut_steps(const int_shortcut *p, int *stride, int *sample, int *minw, int *minh, int *minc)
{
    *stride = p->w1/p->w2;
    *sample = p->w2/p->w1;
    if(*stride < 1) *stride = 1;
    if(*sample < 1) *sample = 1;
    *minw = p->w1 < p->w2 ? p->w1 : p->w2;
    *minh = p->h1 < p->h2 ? p->h1 : p->h2;
    *minc = p->c1 < p->c2 ? p->c1 : p->c2;
}

/* The fixed-point multipliers (int_ops.h), computed in double, the same for every implementation. */
typedef struct {
    int32_t mp, ma, mn;
    int sh;
    int32_t rnd;
} shortcut_fx;

static int32_t fx_mult(double r, int sh)
{
    double m = nearbyint(r*(double)(1 << sh)), lim = (double)((1 << 22) - 1);
    if(!(m <= lim)) m = m != m ? 0 : lim;   /* NaN cannot come from checked codings; kept bounded */
    if(m < -lim) m = -lim;
    return (int32_t)m;
}

static shortcut_fx shortcut_fixed(const int_shortcut *p)
{
    double so = p->out.scale, rp = (double)p->alpha*p->prev.scale/so, ra = (double)p->beta*p->add.scale/so,
           rn = (double)p->prev.scale/so, mx = fabs(rp);
    if(fabs(ra) > mx) mx = fabs(ra);
    if(fabs(rn) > mx) mx = fabs(rn);
    shortcut_fx f;
    f.sh = 16;
    while(f.sh > 0 && mx*(double)(1 << f.sh) >= (double)(1 << 22)) --f.sh;
    f.mp = fx_mult(rp, f.sh);
    f.ma = fx_mult(ra, f.sh);
    f.mn = fx_mult(rn, f.sh);
    f.rnd = f.sh ? 1 << (f.sh - 1) : 0;
    return f;
}

/* v (int_ops.h's fixed point) to its code */
static inline uint8_t fx_code(int32_t v, const shortcut_fx *f, int act, int zo)
{
    if(act == INT_OPS_RELU && v < 0) v = 0;
    else if(act == INT_OPS_LEAKY && v < 0) v = -(int32_t)(((int64_t)(-(int64_t)v)*6554 + 32768) >> 16);
    int32_t q = ((v + f->rnd) >> f->sh) + zo;
    return (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
}

/* The per-code terms the floats add: tp[u] = alpha x value(u) (prev, covered), ta[u] = beta x
 * value(u) (add), tn[u] = value(u) (prev, not covered). One function for both implementations, so
 * that the floats are the same whatever -Ofast reassociates. */
static void shortcut_terms(const int_shortcut *p, float *tp, float *ta, float *tn)
{
    int u;
    for(u = 0; u < 256; ++u){
        tn[u] = int_ops_value((uint8_t)u, p->prev);
        tp[u] = p->alpha*tn[u];
        ta[u] = p->beta*int_ops_value((uint8_t)u, p->add);
    }
}

void int_ops_shortcut_ref(const int_shortcut *p, const uint8_t *prev, const uint8_t *add, uint8_t *outq,
                          float *outf, int batch)
{
    int stride, sample, minw, minh, minc, b;
    shortcut_steps(p, &stride, &sample, &minw, &minh, &minc);
    float tp[256], ta[256], tn[256];
    shortcut_terms(p, tp, ta, tn);
    shortcut_fx f = shortcut_fixed(p);
    size_t n2 = (size_t)p->w2*p->h2*p->c2, n1 = (size_t)p->w1*p->h1*p->c1, x;
    for(b = 0; b < batch; ++b){
        for(x = 0; x < n2; ++x){
            /* output position (ii, jj, kk) is covered when Darknet's loop writes it: (i sample, j sample,
               k) with i < minw, j < minh, k < minc, reading add at (i stride, j stride, k) */
            int kk = (int)(x/((size_t)p->w2*p->h2)), jj = (int)(x/p->w2 % p->h2), ii = (int)(x % p->w2);
            int u = prev[n2*b + x];
            float v;
            int32_t fv;
            if(kk < minc && jj % sample == 0 && ii % sample == 0 && jj/sample < minh && ii/sample < minw){
                size_t ai = (size_t)ii/sample*stride + (size_t)p->w1*((size_t)jj/sample*stride + (size_t)p->h1*kk);
                int a = add[n1*b + ai];
                v = tp[u] + ta[a];
                fv = f.mp*(u - p->prev.zero) + f.ma*(a - p->add.zero);
            } else {
                v = tn[u];
                fv = f.mn*(u - p->prev.zero);
            }
            if(outf) outf[n2*b + x] = act_of(v, p->act);
            if(outq) outq[n2*b + x] = fx_code(fv, &f, p->act, p->out.zero);
        }
    }
}

/* one row of codes: u1 with u2 (m1 = Mp, ma = Ma) or alone (u2 NULL, m1 = Mn), n positions */
static void fx_row(uint8_t *o, const uint8_t *u1, const uint8_t *u2, int n, int32_t m1, int32_t ma,
                   const shortcut_fx *f, int act, int z1, int z2, int zo)
{
    int i;
    for(i = 0; i < n; ++i){
        int32_t v = m1*(u1[i] - z1);
        if(u2) v += ma*(u2[i] - z2);
        o[i] = fx_code(v, f, act, zo);
    }
}

#ifdef INT_OPS_X86
static int ops_avx2(void)
{
    static int v = -1;
    if(v < 0){
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx2");
    }
    return v;
}

/* fx_row, 8 positions a vector (linear and relu; the same integers) */
__attribute__((target("avx2"))) static void fx_row_avx2(uint8_t *o, const uint8_t *u1, const uint8_t *u2, int n,
                                                       int32_t m1, int32_t ma, const shortcut_fx *f, int act,
                                                       int z1, int z2, int zo)
{
    const __m256i vm1 = _mm256_set1_epi32(m1), vma = _mm256_set1_epi32(ma), vz1 = _mm256_set1_epi32(z1),
                  vz2 = _mm256_set1_epi32(z2), vzo = _mm256_set1_epi32(zo), vr = _mm256_set1_epi32(f->rnd),
                  zero = _mm256_setzero_si256();
    const __m128i sh = _mm_cvtsi32_si128(f->sh);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    int i, k;
    /* 32 positions a step: 4 x 8 sums, packed to bytes, the packs' lanes put back in order */
    for(i = 0; i + 32 <= n; i += 32){
        __m256i c[4];
        for(k = 0; k < 4; ++k){
            __m256i a = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(u1 + i + 8*k))), vz1);
            __m256i v = _mm256_mullo_epi32(a, vm1);
            if(u2){
                __m256i b = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(u2 + i + 8*k))), vz2);
                v = _mm256_add_epi32(v, _mm256_mullo_epi32(b, vma));
            }
            if(act == INT_OPS_RELU) v = _mm256_max_epi32(v, zero);
            c[k] = _mm256_add_epi32(_mm256_sra_epi32(_mm256_add_epi32(v, vr), sh), vzo);
        }
        __m256i p = _mm256_packus_epi16(_mm256_packs_epi32(c[0], c[1]), _mm256_packs_epi32(c[2], c[3]));
        _mm256_storeu_si256((__m256i *)(o + i), _mm256_permutevar8x32_epi32(p, order));
    }
    for(; i + 8 <= n; i += 8){
        __m256i a = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(u1 + i))), vz1);
        __m256i v = _mm256_mullo_epi32(a, vm1);
        if(u2){
            __m256i b = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(u2 + i))), vz2);
            v = _mm256_add_epi32(v, _mm256_mullo_epi32(b, vma));
        }
        if(act == INT_OPS_RELU) v = _mm256_max_epi32(v, zero);
        v = _mm256_add_epi32(_mm256_sra_epi32(_mm256_add_epi32(v, vr), sh), vzo);
        __m256i p = _mm256_packus_epi16(_mm256_packs_epi32(v, v), _mm256_setzero_si256());
        _mm_storel_epi64((__m128i *)(o + i), _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(p, order)));
    }
    fx_row(o + i, u1 + i, u2 ? u2 + i : 0, n - i, m1, ma, f, act, z1, z2, zo);
}
#endif

static void code_row(uint8_t *o, const uint8_t *u1, const uint8_t *u2, int n, int32_t m1, int32_t ma,
                     const shortcut_fx *f, int act, int z1, int z2, int zo)
{
#ifdef INT_OPS_X86
    if(act != INT_OPS_LEAKY && ops_avx2()){
        fx_row_avx2(o, u1, u2, n, m1, ma, f, act, z1, z2, zo);
        return;
    }
#endif
    fx_row(o, u1, u2, n, m1, ma, f, act, z1, z2, zo);
}

void int_ops_shortcut(const int_shortcut *p, const uint8_t *prev, const uint8_t *add, uint8_t *outq, float *outf,
                      int batch)
{
    int stride, sample, minw, minh, minc;
    shortcut_steps(p, &stride, &sample, &minw, &minh, &minc);
    float tp[256], ta[256], tn[256];
    if(outf) shortcut_terms(p, tp, ta, tn);
    shortcut_fx f = shortcut_fixed(p);
    int zp = p->prev.zero, za = p->add.zero, zo = p->out.zero, act = p->act;
    size_t hw2 = (size_t)p->w2*p->h2, n2 = hw2*p->c2, n1 = (size_t)p->w1*p->h1*p->c1;
    int bk;
    #pragma omp parallel for schedule(static) if((size_t)batch*n2 > 32768)
    for(bk = 0; bk < batch*p->c2; ++bk){
        int b = bk/p->c2, k = bk % p->c2, i, j;
        const uint8_t *pr = prev + n2*b + hw2*k;
        uint8_t *oq = outq ? outq + n2*b + hw2*k : 0;
        float *of = outf ? outf + n2*b + hw2*k : 0;
        const uint8_t *ad = add + n1*b + (size_t)p->w1*p->h1*k;
        uint8_t row[1024];
        int whole = k < minc && sample == 1 && stride == 1 && p->w1 == p->w2 && p->h1 == p->h2;
        if(oq && whole){
            /* the same shape: the channel in one run */
            code_row(oq, pr, ad, (int)hw2, f.mp, f.ma, &f, act, zp, za, zo);
        } else if(oq && k >= minc){
            code_row(oq, pr, 0, (int)hw2, f.mn, 0, &f, act, zp, za, zo);
        } else if(oq && sample == 1 && minw == p->w2 && minh == p->h2 && hw2 <= sizeof row){
            /* every position covered by a source larger by the stride: the channel's samples
               gathered first, then one run */
            uint8_t *g = row;
            for(j = 0; j < p->h2; ++j){
                const uint8_t *aj = ad + (size_t)p->w1*((size_t)j*stride);
                for(i = 0; i < p->w2; ++i) *g++ = aj[(size_t)i*stride];
            }
            code_row(oq, pr, row, (int)hw2, f.mp, f.ma, &f, act, zp, za, zo);
        } else if(oq){
            for(j = 0; j < p->h2; ++j){
                const uint8_t *pj = pr + (size_t)j*p->w2;
                uint8_t *oj = oq + (size_t)j*p->w2;
                if(j % sample || j/sample >= minh){
                    code_row(oj, pj, 0, p->w2, f.mn, 0, &f, act, zp, za, zo);
                } else if(sample == 1 && minw == p->w2 && p->w2 <= (int)sizeof row){
                    /* every position covered: add's row, read every stride-th, gathered first */
                    const uint8_t *aj = ad + (size_t)p->w1*((size_t)j*stride);
                    for(i = 0; i < p->w2; ++i) row[i] = aj[(size_t)i*stride];
                    code_row(oj, pj, row, p->w2, f.mp, f.ma, &f, act, zp, za, zo);
                } else {
                    const uint8_t *aj = ad + (size_t)p->w1*((size_t)j/sample*stride);
                    for(i = 0; i < p->w2; ++i){
                        int32_t v = i % sample == 0 && i/sample < minw ?
                                    f.mp*(pj[i] - zp) + f.ma*(aj[(size_t)i/sample*stride] - za) : f.mn*(pj[i] - zp);
                        oj[i] = fx_code(v, &f, act, zo);
                    }
                }
            }
        }
        if(of){
            for(j = 0; j < p->h2; ++j){
                const uint8_t *pj = pr + (size_t)j*p->w2;
                int rowcov = k < minc && j % sample == 0 && j/sample < minh;
                const uint8_t *aj = rowcov ? ad + (size_t)p->w1*((size_t)j/sample*stride) : 0;
                for(i = 0; i < p->w2; ++i){
                    float t = rowcov && i % sample == 0 && i/sample < minw ? tp[pj[i]] + ta[aj[(size_t)i/sample*stride]]
                                                                           : tn[pj[i]];
                    of[(size_t)j*p->w2 + i] = act_of(t, act);
                }
            }
        }
    }
}

/* ---- [route] --------------------------------------------------------------------------------- */

static int same_coding(int_coding a, int_coding b)
{
    return a.scale == b.scale && a.zero == b.zero;
}

void int_ops_route_ref(uint8_t *out, const uint8_t *const *in, const int *n, const int_coding *in_c, int nin,
                       int_coding out_c, int batch)
{
    size_t total = 0, off = 0, x;
    int k, b;
    float inv = 1.0f/out_c.scale;
    for(k = 0; k < nin; ++k) total += n[k];
    for(k = 0; k < nin; ++k){
        for(b = 0; b < batch; ++b){
            for(x = 0; x < (size_t)n[k]; ++x){
                uint8_t u = in[k][(size_t)n[k]*b + x];
                out[total*b + off + x] = same_coding(in_c[k], out_c) ? u :
                                         ttq_int8_quantize(int_ops_value(u, in_c[k]), inv, out_c.zero);
            }
        }
        off += n[k];
    }
}

void int_ops_route(uint8_t *out, const uint8_t *const *in, const int *n, const int_coding *in_c, int nin,
                   int_coding out_c, int batch)
{
    size_t total = 0, off = 0, x;
    int k, b;
    for(k = 0; k < nin; ++k) total += n[k];
    for(k = 0; k < nin; ++k){
        int same = same_coding(in_c[k], out_c);
        uint8_t t[256];
        if(!same) int_ops_requant_table(t, in_c[k], out_c);
        for(b = 0; b < batch; ++b){
            const uint8_t *s = in[k] + (size_t)n[k]*b;
            uint8_t *d = out + total*b + off;
            if(same) memcpy(d, s, n[k]);
            else for(x = 0; x < (size_t)n[k]; ++x) d[x] = t[s[x]];
        }
        off += n[k];
    }
}

/* ---- [maxpool], [avgpool], [upsample] --------------------------------------------------------- */

void int_ops_maxpool(uint8_t *out, const uint8_t *in, int w, int h, int c, int size, int stride, int pad, int out_w,
                     int out_h, int batch)
{
    int off = -pad/2, bk;
    #pragma omp parallel for schedule(static) if((size_t)batch*c*out_w*out_h > 32768)
    for(bk = 0; bk < batch*c; ++bk){
        const uint8_t *src = in + (size_t)bk*w*h;
        uint8_t *dst = out + (size_t)bk*out_w*out_h;
        int i, j, n, m;
        for(i = 0; i < out_h; ++i){
            for(j = 0; j < out_w; ++j){
                int best = 0;
                for(n = 0; n < size; ++n){
                    int y = off + i*stride + n;
                    if(y < 0 || y >= h) continue;
                    for(m = 0; m < size; ++m){
                        int x = off + j*stride + m;
                        if(x < 0 || x >= w) continue;
                        int v = src[(size_t)y*w + x];
                        if(v > best) best = v;
                    }
                }
                dst[(size_t)i*out_w + j] = (uint8_t)best;
            }
        }
    }
}

void int_ops_avgpool(uint8_t *outq, float *outf, const uint8_t *in, int w, int h, int c, int_coding in_c,
                     int_coding out_c, int batch)
{
    size_t hw = (size_t)w*h;
    float inv = 1.0f/out_c.scale;
    int bk;
    for(bk = 0; bk < batch*c; ++bk){
        const uint8_t *s = in + hw*bk;
        int64_t sum = 0;
        size_t x;
        for(x = 0; x < hw; ++x) sum += s[x];
        float v = in_c.scale*((float)(sum - (int64_t)hw*in_c.zero)/(float)hw);
        if(outf) outf[bk] = v;
        if(outq) outq[bk] = ttq_int8_quantize(v, inv, out_c.zero);
    }
}

void int_ops_upsample(uint8_t *out, const uint8_t *in, int w, int h, int c, int stride, int batch)
{
    int bk;
    size_t ow = (size_t)w*stride;
    #pragma omp parallel for schedule(static) if((size_t)batch*c*w*h > 8192)
    for(bk = 0; bk < batch*c; ++bk){
        const uint8_t *s = in + (size_t)bk*w*h;
        uint8_t *d = out + (size_t)bk*ow*h*stride;
        int y, x, r;
        for(y = 0; y < h; ++y){
            uint8_t *row = d + (size_t)y*stride*ow;
            for(x = 0; x < w; ++x) memset(row + (size_t)x*stride, s[(size_t)y*w + x], stride);
            for(r = 1; r < stride; ++r) memcpy(row + r*ow, row, ow);
        }
    }
}
