/* Kernels of the direct 3x3 convolution, compiled once per instruction set by ttq_conv3x3.c,
 * which defines before including this file:
 *   C3_ISA     suffix of the generated names (avx512, avx2)
 *   C3_TARGET  the function attribute selecting that instruction set
 *   C3_VL      floats per vector register
 *   C3_OCB     output channels per register block
 *   C3_PV      most vectors of positions per register block (the kernel picks 2..C3_PV per
 *              image size, wasting the fewest positions)
 *   C3_WIB     input channels per block of the weight-gradient kernel
 *
 * Method. Pad each channel of the input with zeros: a zero row above and below, and one zero
 * column between rows (it is the right border of one row and the left border of the next), giving
 * rows of pw = w+1 floats. Index the output by p = y*pw + x (x < w; the position x = w is computed
 * and discarded).
 * Then tap (ky,kx) of the kernel reads input position p + ky*pw + kx for every output position p,
 * so a 3x3 convolution is nine shifted, contiguous multiply-adds:
 *     out[o][p] = sum_i sum_t W[o][i][t] * in_pad[i][p + off(t)],   off(t) = (t/3)*pw + t%3.
 * A block of C3_OCB output channels x C3_PV vectors of positions is accumulated in registers over
 * all input channels and taps, then stored once.
 * The input delta is the same computation on the padded output delta, with input and output
 * channel roles swapped and the taps reversed (t -> 8-t); ttq_conv3x3_pack_* prepare both.
 * The weight gradient is dW[o][i][t] = sum_p dflat[o][p] * in_pad[i][p + off(t)], where dflat is
 * the output delta in the same p indexing with zeros at the discarded positions; it is summed with
 * vectors over output channels, from the delta transposed to positions x channels. */

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

/* out[ch][h][w] = (or +=, when add) the valid positions of outflat[ch][os]. */
static C3_TARGET void C3_FN(unpad)(float *out, const float *outflat, size_t os, int ch, int h, int w,
                                   int add)
{
    int pw = C3_PW(w), i, y, x;
    for(i = 0; i < ch; ++i){
        for(y = 0; y < h; ++y){
            float *d = out + ((size_t)i*h + y)*w;
            const float *s = outflat + (size_t)i*os + (size_t)y*pw;
            if(add) for(x = 0; x < w; ++x) d[x] += s[x];
            else for(x = 0; x < w; ++x) d[x] = s[x];
        }
    }
}

/* dT[p][o] = delta[o][y][x] at p = y*pw + x; zero at x >= w and o >= n (row stride ns). */
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

/* packed: for each block of C3_OCB outputs, [red][9][C3_OCB] (outputs past the end are zero).
 * flip = 0: outputs are the n filters, reduction over the c inputs, taps as stored.
 * flip = 1: outputs are the c input channels, reduction over the n filters, taps reversed. */
static C3_TARGET void C3_FN(pack)(float *packed, const float *weights, int n, int c, int flip)
{
    int nout = flip ? c : n, nred = flip ? n : c;
    int ob, r, t, o;
    for(ob = 0; ob < nout; ob += C3_OCB){
        float *blk = packed + (size_t)ob*nred*9;
        for(r = 0; r < nred; ++r){
            for(t = 0; t < 9; ++t){
                for(o = 0; o < C3_OCB; ++o){
                    int oo = ob + o;
                    float v = 0;
                    if(oo < nout){
                        v = flip ? weights[((size_t)r*c + oo)*9 + (8 - t)]
                                 : weights[((size_t)oo*c + r)*9 + t];
                    }
                    blk[((size_t)r*9 + t)*C3_OCB + o] = v;
                }
            }
        }
    }
}

/* Sums for outputs ob..ob+nstore-1 and positions [p0, p1) (p1 - p0 a multiple of pv*C3_VL):
 * sum over nred padded channels (stride cs) of blk * shifted input. pv (vectors of positions per
 * register block, at most C3_PV) is a constant in each caller, so the loops over it unroll. */
static inline __attribute__((always_inline)) C3_TARGET void C3_FN(block)(
    float *flat, size_t os, int ob, int nstore, const float *blk, const float *inpad, size_t cs,
    int nred, int pw, int p0, int p1, const int pv)
{
    int p, r, t, o, v;
    for(p = p0; p < p1; p += pv*C3_VL){
        C3_V acc[C3_OCB][C3_PV];
        for(o = 0; o < C3_OCB; ++o) for(v = 0; v < pv; ++v) acc[o][v] = (C3_V){0};
        for(r = 0; r < nred; ++r){
            const float *kp = blk + (size_t)r*9*C3_OCB;
            int ky, kx;
            #pragma GCC unroll 3
            for(ky = 0; ky < 3; ++ky){
                const float *ip = inpad + (size_t)r*cs + p + ky*pw;
                #pragma GCC unroll 3
                for(kx = 0; kx < 3; ++kx){
                    C3_V x[C3_PV];
                    t = ky*3 + kx;
                    for(v = 0; v < pv; ++v) x[v] = C3_FN(load)(ip + kx + v*C3_VL);
                    for(o = 0; o < C3_OCB; ++o){
                        C3_V k = C3_FN(bcast)(kp + t*C3_OCB + o);
                        for(v = 0; v < pv; ++v) acc[o][v] += k*x[v];
                    }
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
    const float *blk, const float *inpad, size_t cs, int nred, int pw, int p0, int p1) \
{ \
    C3_FN(block)(flat, os, ob, nstore, blk, inpad, cs, nred, pw, p0, p1, n); \
}
C3_BLOCK_PV(2)
C3_BLOCK_PV(3)
#if C3_PV >= 4
C3_BLOCK_PV(4)
C3_BLOCK_PV(5)
#endif
#undef C3_BLOCK_PV

/* The pv (vectors per register block) that wastes the fewest positions on nv vectors; the larger
 * on a tie. */
static int C3_FN(choose_pv)(int nv)
{
    int pv, best = 2, bestn = (nv + 1)/2*2;
    for(pv = 3; pv <= C3_PV; ++pv){
        int n = (nv + pv - 1)/pv*pv;
        if(n <= bestn){
            best = pv;
            bestn = n;
        }
    }
    return best;
}

/* flat[nout][os]: shifted sums over the padded input; positions in tiles so that a tile of every
 * input channel stays in cache while all output blocks use it. */
static C3_TARGET void C3_FN(conv)(float *flat, size_t os, const float *packed, int nout,
                                  int nred, const float *inpad, size_t cs, int pw, int np)
{
    const int pv = C3_FN(choose_pv)((np + C3_VL - 1)/C3_VL);
    const int step = pv*C3_VL;
    int tile = (int)(65536/(nred > 0 ? nred : 1));
    if(tile < 4*step) tile = 4*step;
    tile -= tile%step;
    int pend = (np + step - 1)/step*step;
    int t0, ob;
    for(t0 = 0; t0 < pend; t0 += tile){
        int t1 = t0 + tile < pend ? t0 + tile : pend;
        for(ob = 0; ob < nout; ob += C3_OCB){
            int nstore = nout - ob < C3_OCB ? nout - ob : C3_OCB;
            const float *blk = packed + (size_t)ob*nred*9;
            switch(pv){
            case 2: C3_CAT(C3_FN(block), 2)(flat, os, ob, nstore, blk, inpad, cs, nred, pw, t0, t1); break;
#if C3_PV >= 4
            case 4: C3_CAT(C3_FN(block), 4)(flat, os, ob, nstore, blk, inpad, cs, nred, pw, t0, t1); break;
            case 5: C3_CAT(C3_FN(block), 5)(flat, os, ob, nstore, blk, inpad, cs, nred, pw, t0, t1); break;
#endif
            default: C3_CAT(C3_FN(block), 3)(flat, os, ob, nstore, blk, inpad, cs, nred, pw, t0, t1); break;
            }
        }
    }
}

#if C3_VL == 16
/* The unpadded ("masked") form, AVX-512 only: positions are the output indices p = y*w + x
 * themselves, tap (ky,kx) reads input p + (ky-1)*w + (kx-1), and a load mask clears the lanes
 * whose neighbour lies outside the image (the zero padding); masked-off lanes are never read.
 * masks[i*9 + t] is that mask for position vector i (positions 16i..16i+15) and tap t. No padded
 * copy and no discarded positions; whole vectors are stored directly. */
static void C3_FN(make_masks)(unsigned short *masks, int nvec, int h, int w)
{
    int np = h*w, i, l, t;
    for(i = 0; i < nvec; ++i){
        for(t = 0; t < 9; ++t){
            int m = 0;
            for(l = 0; l < 16; ++l){
                int q = i*16 + l;
                if(q < np){
                    int yy = q/w + t/3 - 1, xx = q%w + t%3 - 1;
                    if(yy >= 0 && yy < h && xx >= 0 && xx < w) m |= 1 << l;
                }
            }
            masks[i*9 + t] = (unsigned short)m;
        }
    }
}

/* out[ob..ob+nstore-1][p] (= or +=) for p in [p0, p1), from nred unpadded channels of h*w. */
static inline __attribute__((always_inline)) C3_TARGET void C3_FN(mblock)(
    float *out, int add, int ob, int nstore, const float *blk, const float *in, int nred,
    int h, int w, const unsigned short *masks, int p0, int p1, const int pv)
{
    const int hw = h*w;
    int p, r, o, v;
    for(p = p0; p < p1; p += pv*16){
        __m512 acc[C3_OCB][C3_PV];
        const unsigned short *mk = masks + (size_t)(p/16)*9;
        for(o = 0; o < C3_OCB; ++o) for(v = 0; v < pv; ++v) acc[o][v] = _mm512_setzero_ps();
        #pragma GCC unroll 9
        for(int t = 0; t < 9; ++t){
            const int off = (t/3 - 1)*w + t%3 - 1;
            __mmask16 m[C3_PV];
            for(v = 0; v < pv; ++v) m[v] = mk[v*9 + t];
            const float *ip = in + p + off;
            const float *kp = blk + t*C3_OCB;
            for(r = 0; r < nred; ++r){
                __m512 x[C3_PV];
                for(v = 0; v < pv; ++v) x[v] = _mm512_maskz_loadu_ps(m[v], ip + (size_t)r*hw + v*16);
                for(o = 0; o < C3_OCB; ++o){
                    __m512 k = (__m512)C3_FN(bcast)(kp + (size_t)r*9*C3_OCB + o);
                    for(v = 0; v < pv; ++v) acc[o][v] = _mm512_fmadd_ps(k, x[v], acc[o][v]);
                }
            }
        }
        for(v = 0; v < pv; ++v){
            int q = p + v*16, left = hw - q;
            if(left <= 0) break;
            __mmask16 sm = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
            for(o = 0; o < C3_OCB; ++o){
                if(o >= nstore) break;
                float *d = out + (size_t)(ob + o)*hw + q;
                __m512 a = acc[o][v];
                if(add) a = _mm512_add_ps(a, _mm512_maskz_loadu_ps(sm, d));
                _mm512_mask_storeu_ps(d, sm, a);
            }
        }
    }
}

static C3_TARGET void C3_FN(mblock3)(float *out, int add, int ob, int nstore, const float *blk,
    const float *in, int nred, int h, int w, const unsigned short *masks, int p0, int p1)
{
    C3_FN(mblock)(out, add, ob, nstore, blk, in, nred, h, w, masks, p0, p1, 3);
}

/* out[nout][h][w] (= or +=) = conv of the nred unpadded channels of in; masks from make_masks
 * for at least (h*w + 47)/48*3 vectors. */
static C3_TARGET void C3_FN(mconv)(float *out, int add, const float *packed, int nout, int nred,
                                   const float *in, int h, int w, const unsigned short *masks)
{
    const int step = 3*16, np = h*w;
    int tile = (int)(65536/(nred > 0 ? nred : 1));
    if(tile < 4*step) tile = 4*step;
    tile -= tile%step;
    int pend = (np + step - 1)/step*step;
    int t0, ob;
    for(t0 = 0; t0 < pend; t0 += tile){
        int t1 = t0 + tile < pend ? t0 + tile : pend;
        for(ob = 0; ob < nout; ob += C3_OCB){
            int nstore = nout - ob < C3_OCB ? nout - ob : C3_OCB;
            C3_FN(mblock3)(out, add, ob, nstore, packed + (size_t)ob*nred*9, in, nred, h, w,
                           masks, t0, t1);
        }
    }
}
#endif


/* dw[n][c][9] += sum_p dT[p][o] * inpad[i][p + off(t)], with dT the output delta transposed to
 * positions x channels (row stride ns, a multiple of C3_VL; zero at discarded positions and past
 * channel n). A vector holds C3_VL output channels, so sums need no reduction across lanes:
 * C3_WIB input channels x 9 taps of accumulators run over all positions, then are added to dw. */
static C3_TARGET void C3_FN(wgrad)(float *dw, const float *dT, size_t ns, const float *inpad,
                                   size_t cs, int n, int c, int pw, int np)
{
    const int offs[9] = {0, 1, 2, pw, pw + 1, pw + 2, 2*pw, 2*pw + 1, 2*pw + 2};
    float tmp[C3_WIB][9][C3_VL];
    int ob, ib, p, t, o, b;
    for(ob = 0; ob < n; ob += C3_VL){
        int no = n - ob < C3_VL ? n - ob : C3_VL;
        for(ib = 0; ib < c; ib += C3_WIB){
            int ni = c - ib < C3_WIB ? c - ib : C3_WIB;
            C3_V acc[C3_WIB][9];
            for(b = 0; b < C3_WIB; ++b) for(t = 0; t < 9; ++t) acc[b][t] = (C3_V){0};
            /* a missing last input channel reads channel ib again; its sums are dropped */
            const float *ip[C3_WIB];
            for(b = 0; b < C3_WIB; ++b) ip[b] = inpad + (size_t)(ib + (b < ni ? b : 0))*cs;
            for(p = 0; p < np; ++p){
                C3_V d = C3_FN(load)(dT + (size_t)p*ns + ob);
                for(b = 0; b < C3_WIB; ++b){
                    for(t = 0; t < 9; ++t) acc[b][t] += d*C3_FN(bcast)(ip[b] + p + offs[t]);
                }
            }
            for(b = 0; b < C3_WIB; ++b) for(t = 0; t < 9; ++t) C3_FN(store)(tmp[b][t], acc[b][t]);
            for(o = 0; o < no; ++o){
                float *d = dw + ((size_t)(ob + o)*c + ib)*9;
                for(b = 0; b < ni; ++b) for(t = 0; t < 9; ++t) d[b*9 + t] += tmp[b][t][o];
            }
        }
    }
}

#undef C3_V
#undef C3_FN
#undef C3_CAT
#undef C3_CAT2
