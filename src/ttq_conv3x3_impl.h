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
    const c3_sink *sk, int ob, int nstore, const float *blk, const float *inpad, size_t cs,
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
#if C3_VL == 16
        if(sk->vmap){
            for(v = 0; v < pv; ++v){
                int vi = p/C3_VL + v;
                __mmask16 m = (__mmask16)sk->vmap[2*vi];
                if(!m) continue;
                for(o = 0; o < C3_OCB; ++o){   /* a constant bound keeps acc in registers */
                    if(o >= nstore) break;
                    float *d = sk->out + (size_t)(ob + o)*sk->hw + sk->vmap[2*vi + 1];
                    __m512 a = (__m512)acc[o][v];
                    if(sk->add) a = _mm512_add_ps(a, _mm512_maskz_expandloadu_ps(m, d));
                    _mm512_mask_compressstoreu_ps(d, m, a);
                }
            }
            continue;
        }
#endif
        for(o = 0; o < C3_OCB; ++o){
            if(o >= nstore) break;
            float *d = sk->flat + (size_t)(ob + o)*sk->os + p;
            for(v = 0; v < pv; ++v) C3_FN(store)(d + v*C3_VL, acc[o][v]);
        }
    }
}

#define C3_BLOCK_PV(n) \
static C3_TARGET void C3_CAT(C3_FN(block), n)(const c3_sink *sk, int ob, int nstore, \
    const float *blk, const float *inpad, size_t cs, int nred, int pw, int p0, int p1) \
{ \
    C3_FN(block)(sk, ob, nstore, blk, inpad, cs, nred, pw, p0, p1, n); \
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

/* All outputs: shifted sums over the padded input; positions in tiles so that a tile of every
 * input channel stays in cache while all output blocks use it. */
static C3_TARGET void C3_FN(conv)(const c3_sink *sk, const float *packed, int nout,
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
            case 2: C3_CAT(C3_FN(block), 2)(sk, ob, nstore, blk, inpad, cs, nred, pw, t0, t1); break;
#if C3_PV >= 4
            case 4: C3_CAT(C3_FN(block), 4)(sk, ob, nstore, blk, inpad, cs, nred, pw, t0, t1); break;
            case 5: C3_CAT(C3_FN(block), 5)(sk, ob, nstore, blk, inpad, cs, nred, pw, t0, t1); break;
#endif
            default: C3_CAT(C3_FN(block), 3)(sk, ob, nstore, blk, inpad, cs, nred, pw, t0, t1); break;
            }
        }
    }
}

#if C3_VL == 16
/* The vmap of a sink for h x w images, for positions [0, nvec*16). */
static void C3_FN(make_vmap)(int *vmap, int nvec, int h, int w)
{
    int pw = C3_PW(w), np = h*pw, i, l;
    for(i = 0; i < nvec; ++i){
        int m = 0, first = -1;
        for(l = 0; l < 16; ++l){
            int q = i*16 + l;
            if(q < np && q%pw < w){
                m |= 1 << l;
                if(first < 0) first = (q/pw)*w + q%pw;
            }
        }
        vmap[2*i] = m;
        vmap[2*i + 1] = first < 0 ? 0 : first;
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
