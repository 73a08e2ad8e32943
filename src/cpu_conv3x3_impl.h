/* Kernels of the direct 3x3 convolution, compiled once per instruction set by cpu_conv3x3.c,
 * which defines before including this file:
 *   C3_ISA     suffix of the generated names (avx512, avx2)
 *   C3_TARGET  the function attribute selecting that instruction set
 *   C3_VL      floats per vector register
 *   C3_OCB     output channels per register block
 *   C3_PV      vectors of positions per register block (3; the last block of an image takes
 *              the 1 or 2 vectors left)
 *   C3_WIB     input channels per block of the weight-gradient kernel
 * (this file undefines them at its end).
 *
 * Method. Pad each channel of the input with zeros: a zero row above and below, and one zero
 * column between rows (it is the right border of one row and the left border of the next), giving
 * rows of pw = w+1 floats. Index the output by p = y*pw + x (x < w; the position x = w is computed
 * and discarded). Then tap (ky,kx) reads input position p + ky*pw + kx for every output position
 * p, so a 3x3 convolution is nine shifted, contiguous multiply-adds:
 *     out[o][p] = sum_i sum_j W[o][i][t_j] * in_pad[i][p + off_j]
 * over a list of taps j (weight index t_j, offset off_j; here t_j = j, off_j = (j/3)*pw + j%3).
 * A block of C3_OCB output channels x C3_PV vectors of positions is accumulated in registers over
 * all input channels and taps, then stored once.
 * The input delta is the same computation on the padded output delta, with input and output
 * channel roles swapped and the taps reversed (t_j = 8 - j).
 * Stride 2: the padded input is split into four phase planes Q_ab[u][v] = P[2u+a][2v+b] with rows
 * of ow+1 floats, and tap (ky,kx) reads plane (ky%2, kx%2) at offset (ky/2)*(ow+1) + kx/2: again
 * nine shifted sums, over the output's positions. Its input delta splits the same way: each input
 * phase (even/odd row, even/odd column) is a sum over the padded output delta with the 1, 2, 2 or
 * 4 taps that reach it (phase_taps() in cpu_conv3x3.c).
 * The weight gradient is dW[o][i][t] = sum_p dflat[o][p] * in[i][p + off(t)], where dflat is the
 * output delta in the p indexing with zeros at the discarded positions; it is summed with vectors
 * over output channels, from the delta transposed to positions x channels. */

#define C3_CAT2(a, b) a##_##b
#define C3_CAT(a, b) C3_CAT2(a, b)
#define C3_FN(name) C3_CAT(name, C3_ISA)

typedef float C3_FN(vec) __attribute__((vector_size(C3_VL*sizeof(float))));
#define C3_V C3_FN(vec)

static inline __attribute__((always_inline)) C3_TARGET C3_V C3_FN(load)(const float *p)
{
    C3_V v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Every lane = *p, as one broadcast load (a broadcast from a register would take the port that
 * the second FMA unit uses, and the compiler's own combination of neighbouring loads is slower). */
static inline __attribute__((always_inline)) C3_TARGET C3_V C3_FN(bcast)(const float *p)
{
    C3_V v;
#if C3_VL == 16
    __asm__("vbroadcastss %1, %0" : "=v"(v) : "m"(*p));
#elif C3_VL == 8
    __asm__("vbroadcastss %1, %0" : "=x"(v) : "m"(*p));
#else
#error "C3_VL must be 8 or 16"
#endif
    return v;
}

static inline __attribute__((always_inline)) C3_TARGET void C3_FN(store)(float *p, C3_V v)
{
    memcpy(p, &v, sizeof v);
}

/* dst: ch channels in the padded layout (zero rows, zero column, zero tail; channel stride cs) of
 * src[ch][h][w]. */
static C3_TARGET void C3_FN(pad)(float *dst, const float *src, int ch, int h, int w, size_t cs)
{
    int pw = C3_PW(w), i, y, x;
    for(i = 0; i < ch; ++i){
        float *d = dst + (size_t)i*cs;
        const float *s = src + (size_t)i*h*w;
        for(x = 0; x < pw; ++x) d[x] = 0;
        for(y = 0; y < h; ++y){
            float *row = d + (size_t)(y + 1)*pw;
            const float *in = s + (size_t)y*w;
            row[0] = 0;
            for(x = 0; x < w; ++x) row[x + 1] = in[x];
        }
        for(x = (h + 1)*pw; x < (int)cs; ++x) d[x] = 0;
    }
}

/* dst: ch channels (stride cs) of four phase planes each (plane (a,b) at (2a+b)*pl): plane
 * Q_ab[u][v] = in[2u+a-1][2v+b-1] (zero outside the image), u <= oh, v <= ow, rows of ow+1,
 * zero tail. */
static C3_TARGET void C3_FN(pad2)(float *dst, const float *src, int ch, int h, int w, int oh,
                                  int ow, size_t pl, size_t cs)
{
    int pq = ow + 1, i, a, b, u, v;
    for(i = 0; i < ch; ++i){
        const float *s = src + (size_t)i*h*w;
        for(a = 0; a < 2; ++a) for(b = 0; b < 2; ++b){
            float *q = dst + (size_t)i*cs + (size_t)(2*a + b)*pl;
            size_t k;
            for(u = 0; u <= oh; ++u){
                int y = 2*u + a - 1;
                float *row = q + (size_t)u*pq;
                if(y < 0 || y >= h){
                    for(v = 0; v <= ow; ++v) row[v] = 0;
                    continue;
                }
                /* column v holds x = 2v + b - 1: zero at x = -1 (v = 0, b = 0) and x >= w */
                const float *in = s + (size_t)y*w;
                int v0 = b == 0 ? 1 : 0, v1 = (w - b)/2 + 1;
                if(v1 > ow + 1) v1 = ow + 1;
                for(v = 0; v < v0; ++v) row[v] = 0;
                for(v = v0; v < v1; ++v) row[v] = in[2*v + b - 1];
                for(v = v1; v <= ow; ++v) row[v] = 0;
            }
            for(k = (size_t)(oh + 1)*pq; k < pl; ++k) q[k] = 0;
        }
    }
}

/* out[ch][h][w] = (or +=, when add) the valid positions of flat[ch][os]. */
static C3_TARGET void C3_FN(unpad)(float *out, const float *flat, size_t os, int ch, int h, int w,
                                   int add)
{
    int pw = C3_PW(w), i, y, x;
    for(i = 0; i < ch; ++i){
        for(y = 0; y < h; ++y){
            float *d = out + ((size_t)i*h + y)*w;
            const float *s = flat + (size_t)i*os + (size_t)y*pw;
            if(add) for(x = 0; x < w; ++x) d[x] += s[x];
            else for(x = 0; x < w; ++x) d[x] = s[x];
        }
    }
}

/* out[ch][h][w] at (2u+a, 2v+b) += flat[ch][u*pq + v]: one phase of a stride-2 input delta. */
static C3_TARGET void C3_FN(unpad2)(float *out, const float *flat, size_t os, int ch, int h, int w,
                                    int a, int b, int pq)
{
    int hu = (h - a + 1)/2, wv = (w - b + 1)/2, i, u, v;
    for(i = 0; i < ch; ++i){
        for(u = 0; u < hu; ++u){
            float *d = out + ((size_t)i*h + 2*u + a)*w + b;
            const float *s = flat + (size_t)i*os + (size_t)u*pq;
            for(v = 0; v < wv; ++v) d[2*v] += s[v];
        }
    }
}

/* dT[p][o] = delta[o][y][x] at p = y*pw + x; zero at x >= w and o >= n (row stride ns). */
#if C3_VL == 16
/* 16 channels x 16 positions at a time, transposed in registers. */
static C3_TARGET void C3_FN(transpose)(float *dT, size_t ns, const float *delta, int n, int h, int w)
{
    int pw = C3_PW(w), y, x0, ob, k, o;
    size_t hw = (size_t)h*w;
    for(y = 0; y < h; ++y){
        for(x0 = 0; x0 < w; x0 += 16){
            int cnt = w - x0 < 16 ? w - x0 : 16;
            __mmask16 m = cnt == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cnt) - 1);
            for(ob = 0; ob < (int)ns; ob += 16){
                __m512 r[16], t[16], u[16];
                const float *s = delta + (size_t)y*w + x0;
                for(o = 0; o < 16; ++o){
                    r[o] = ob + o < n ? _mm512_maskz_loadu_ps(m, s + (size_t)(ob + o)*hw)
                                      : _mm512_setzero_ps();
                }
                for(k = 0; k < 8; ++k){
                    t[2*k] = _mm512_unpacklo_ps(r[2*k], r[2*k + 1]);
                    t[2*k + 1] = _mm512_unpackhi_ps(r[2*k], r[2*k + 1]);
                }
                for(k = 0; k < 4; ++k){
                    u[4*k] = _mm512_shuffle_ps(t[4*k], t[4*k + 2], 0x44);
                    u[4*k + 1] = _mm512_shuffle_ps(t[4*k], t[4*k + 2], 0xEE);
                    u[4*k + 2] = _mm512_shuffle_ps(t[4*k + 1], t[4*k + 3], 0x44);
                    u[4*k + 3] = _mm512_shuffle_ps(t[4*k + 1], t[4*k + 3], 0xEE);
                }
                /* u[4g + j] lane l: position 4l + j of channels 4g..4g+3 */
                for(k = 0; k < 4; ++k){
                    t[k] = _mm512_shuffle_f32x4(u[k], u[k + 4], 0x88);
                    t[k + 4] = _mm512_shuffle_f32x4(u[k], u[k + 4], 0xDD);
                    t[k + 8] = _mm512_shuffle_f32x4(u[k + 8], u[k + 12], 0x88);
                    t[k + 12] = _mm512_shuffle_f32x4(u[k + 8], u[k + 12], 0xDD);
                }
                /* t[j] (j < 8): positions j and j+8 of channels 0..7; t[j+8]: of channels 8..15 */
                for(k = 0; k < 8; ++k){
                    __m512 lo = _mm512_shuffle_f32x4(t[k], t[k + 8], 0x88);
                    __m512 hi = _mm512_shuffle_f32x4(t[k], t[k + 8], 0xDD);
                    if(k < cnt) _mm512_storeu_ps(dT + ((size_t)y*pw + x0 + k)*ns + ob, lo);
                    if(k + 8 < cnt) _mm512_storeu_ps(dT + ((size_t)y*pw + x0 + k + 8)*ns + ob, hi);
                }
            }
        }
        for(x0 = w; x0 < pw; ++x0){
            float *d = dT + ((size_t)y*pw + x0)*ns;
            for(o = 0; o < (int)ns; ++o) d[o] = 0;
        }
    }
}
#else
static C3_TARGET void C3_FN(transpose)(float *dT, size_t ns, const float *delta, int n, int h, int w)
{
    int pw = C3_PW(w), y, x, o;
    size_t hw = (size_t)h*w;
    for(y = 0; y < h; ++y){
        for(x = 0; x < w; ++x){
            float *d = dT + ((size_t)y*pw + x)*ns;
            const float *s = delta + (size_t)y*w + x;
            for(o = 0; o < n; ++o) d[o] = s[o*hw];
            for(; o < (int)ns; ++o) d[o] = 0;
        }
        for(x = w; x < pw; ++x){
            float *d = dT + ((size_t)y*pw + x)*ns;
            for(o = 0; o < (int)ns; ++o) d[o] = 0;
        }
    }
}
#endif

/* packed: for each block of C3_OCB outputs, [red][ntaps][C3_OCB] (outputs past the end are zero),
 * tap j taking weight index wi[j].
 * flip = 0: outputs are the n filters, reduction over the c inputs.
 * flip = 1: outputs are the c input channels, reduction over the n filters. */
static C3_TARGET void C3_FN(pack)(float *packed, const float *weights, int n, int c, int flip,
                                  int ntaps, const int *wi)
{
    int nout = flip ? c : n, nred = flip ? n : c;
    int ob, r, j, o;
    for(ob = 0; ob < nout; ob += C3_OCB){
        float *blk = packed + (size_t)ob*nred*ntaps;
        for(r = 0; r < nred; ++r){
            for(j = 0; j < ntaps; ++j){
                for(o = 0; o < C3_OCB; ++o){
                    int oo = ob + o;
                    float v = 0;
                    if(oo < nout){
                        v = flip ? weights[((size_t)r*c + oo)*9 + wi[j]]
                                 : weights[((size_t)oo*c + r)*9 + wi[j]];
                    }
                    blk[((size_t)r*ntaps + j)*C3_OCB + o] = v;
                }
            }
        }
    }
}

/* flat[ob..ob+nstore-1][p] for p in [p0, p1) (p1 - p0 a multiple of pv*C3_VL): sum over nred
 * channels (stride cs) of the input and the taps (offsets offs) of blk * shifted input. pv
 * (vectors of positions per register block, at most C3_PV) is a constant in each caller, so the
 * loops over it unroll. */
static inline __attribute__((always_inline)) C3_TARGET void C3_FN(block)(
    float *flat, size_t os, int ob, int nstore, const float *blk, const float *in, size_t cs,
    int nred, int ntaps, const int *offs, int p0, int p1, const int pv)
{
    int p, r, j, o, v;
    for(p = p0; p < p1; p += pv*C3_VL){
        C3_V acc[C3_OCB][C3_PV];
        for(o = 0; o < C3_OCB; ++o) for(v = 0; v < pv; ++v) acc[o][v] = (C3_V){0};
        for(r = 0; r < nred; ++r){
            const float *kp = blk + (size_t)r*ntaps*C3_OCB;
            const float *ip = in + (size_t)r*cs + p;
            for(j = 0; j < ntaps; ++j){
                C3_V x[C3_PV];
                for(v = 0; v < pv; ++v) x[v] = C3_FN(load)(ip + offs[j] + v*C3_VL);
                for(o = 0; o < C3_OCB; ++o){
                    C3_V k = C3_FN(bcast)(kp + j*C3_OCB + o);
                    for(v = 0; v < pv; ++v) acc[o][v] += k*x[v];
                }
            }
        }
        for(o = 0; o < C3_OCB; ++o){   /* a constant bound keeps acc in registers */
            if(o >= nstore) break;
            float *d = flat + (size_t)(ob + o)*os + p;
            for(v = 0; v < pv; ++v) C3_FN(store)(d + v*C3_VL, acc[o][v]);
        }
    }
}

#define C3_BLOCK_PV(n) \
static C3_TARGET void C3_CAT(C3_FN(block), n)(float *flat, size_t os, int ob, int nstore, \
    const float *blk, const float *in, size_t cs, int nred, int ntaps, const int *offs, \
    int p0, int p1) \
{ \
    C3_FN(block)(flat, os, ob, nstore, blk, in, cs, nred, ntaps, offs, p0, p1, n); \
}
C3_BLOCK_PV(1)
C3_BLOCK_PV(2)
C3_BLOCK_PV(3)
#undef C3_BLOCK_PV

/* flat[nout][os]: shifted sums over the input (ntaps taps at offsets offs) for positions
 * [0, np) rounded up to whole vectors: blocks of 3 vectors, then one block of the 1 or 2 left.
 * Positions run in tiles so that a tile of every input channel stays in cache while all output
 * blocks use it. */
static C3_TARGET void C3_FN(conv)(float *flat, size_t os, const float *packed, int nout, int nred,
                                  const float *in, size_t cs, int ntaps, const int *offs, int np)
{
    const int step = 3*C3_VL;
    int nv = (np + C3_VL - 1)/C3_VL;
    int pfull = nv/3*step, rem = nv%3;
    int tile = (int)(65536/(nred > 0 ? nred : 1));
    if(tile < 4*step) tile = 4*step;
    tile -= tile%step;
    int t0, ob;
    for(t0 = 0; t0 < pfull; t0 += tile){
        int t1 = t0 + tile < pfull ? t0 + tile : pfull;
        for(ob = 0; ob < nout; ob += C3_OCB){
            int nstore = nout - ob < C3_OCB ? nout - ob : C3_OCB;
            const float *blk = packed + (size_t)ob*nred*ntaps;
            C3_CAT(C3_FN(block), 3)(flat, os, ob, nstore, blk, in, cs, nred, ntaps, offs, t0, t1);
        }
    }
    for(ob = 0; rem && ob < nout; ob += C3_OCB){
        int nstore = nout - ob < C3_OCB ? nout - ob : C3_OCB;
        const float *blk = packed + (size_t)ob*nred*ntaps;
        if(rem == 1) C3_CAT(C3_FN(block), 1)(flat, os, ob, nstore, blk, in, cs, nred, ntaps, offs, pfull, pfull + C3_VL);
        else C3_CAT(C3_FN(block), 2)(flat, os, ob, nstore, blk, in, cs, nred, ntaps, offs, pfull, pfull + 2*C3_VL);
    }
}

/* dw[n][c][9] += sum_p dT[p][o] * in[i][p + offs[t]], with dT the output delta transposed to
 * positions x channels (row stride ns, a multiple of C3_VL; zero at discarded positions and past
 * channel n). A vector holds C3_VL output channels, so sums need no reduction across lanes.
 * A block of accumulators, nov vectors of output channels x nib input channels x 9 taps, runs over
 * all positions, then is added to dw: 2 x 1 where 2*C3_VL output channels remain (two loads of
 * dT per 18 broadcasts), else 1 x C3_WIB. */
static inline __attribute__((always_inline)) C3_TARGET void C3_FN(wgrad_block)(
    float *dw, const float *dT, size_t ns, const float *in, size_t cs, int n, int c,
    const int *offs, int np, int ob, int ib, const int nov, const int nib)
{
    float tmp[2][C3_WIB][9][C3_VL];
    C3_V acc[2][C3_WIB][9];
    const float *ip[C3_WIB];
    int no = n - ob < nov*C3_VL ? n - ob : nov*C3_VL;
    int ni = c - ib < nib ? c - ib : nib;
    int p, t, o, b, u;
    for(u = 0; u < nov; ++u) for(b = 0; b < nib; ++b) for(t = 0; t < 9; ++t) acc[u][b][t] = (C3_V){0};
    /* a missing last input channel reads channel ib again; its sums are dropped */
    for(b = 0; b < nib; ++b) ip[b] = in + (size_t)(ib + (b < ni ? b : 0))*cs;
    for(p = 0; p < np; ++p){
        C3_V d[2];
        for(u = 0; u < nov; ++u) d[u] = C3_FN(load)(dT + (size_t)p*ns + ob + u*C3_VL);
        for(b = 0; b < nib; ++b){
            for(t = 0; t < 9; ++t){
                C3_V x = C3_FN(bcast)(ip[b] + p + offs[t]);
                for(u = 0; u < nov; ++u) acc[u][b][t] += d[u]*x;
            }
        }
    }
    for(u = 0; u < nov; ++u) for(b = 0; b < nib; ++b) for(t = 0; t < 9; ++t) C3_FN(store)(tmp[u][b][t], acc[u][b][t]);
    for(o = 0; o < no; ++o){
        float *d = dw + ((size_t)(ob + o)*c + ib)*9;
        for(b = 0; b < ni; ++b) for(t = 0; t < 9; ++t) d[b*9 + t] += tmp[o/C3_VL][b][t][o%C3_VL];
    }
}

static C3_TARGET void C3_FN(wgrad)(float *dw, const float *dT, size_t ns, const float *in,
                                   size_t cs, int n, int c, const int *offs, int np)
{
    int ob, ib;
    for(ob = 0; ob < n; ){
        if(n - ob >= 2*C3_VL){
            for(ib = 0; ib < c; ++ib) C3_FN(wgrad_block)(dw, dT, ns, in, cs, n, c, offs, np, ob, ib, 2, 1);
            ob += 2*C3_VL;
        } else {
            for(ib = 0; ib < c; ib += C3_WIB) C3_FN(wgrad_block)(dw, dT, ns, in, cs, n, c, offs, np, ob, ib, 1, C3_WIB);
            ob += C3_VL;
        }
    }
}

#undef C3_V
#undef C3_FN
#undef C3_CAT
#undef C3_CAT2
/* the parameters, so that the next kernel set defines its own */
#undef C3_ISA
#undef C3_TARGET
#undef C3_VL
#undef C3_OCB
#undef C3_PV
#undef C3_WIB
