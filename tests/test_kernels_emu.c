/* The GPU kernels of [ternary] (src/ternary_kernels.cuh), run on the CPU under tests/cuda_emu.h with
 * the launch sizes ternary_kernels.cu uses, against the scalar references of ttq.c:
 *   - the fused forward kernel (threshold and sparsity modes, one and several scale groups, with and
 *     without the gradient buffer to zero): delta and q equal bit for bit, the buffer zeroed;
 *   - the unfused ones: multi-block max + threshold, single-block sparsity, ternarise;
 *   - backward: the latent update bit for bit, the Wp/Wn updates to float rounding (block sums);
 *   - the Wp/Wn SGD step and the floor: bit for bit against ttq_sgd_ref and ttq_floor_ref (Darknet's
 *     axpy/axpy/scal sequence, which the unfused path runs);
 *   - no __syncthreads reached divergently, and the emulation does notice one that is;
 *   - the same results with the threads between two barriers run in reversed order (a race on the
 *     device would show as a difference; the unfused forward kernels run in index order only).
 * make test-gpu runs the same kernels on a GPU; this test runs their logic everywhere. */
#include "testutil.h"

#include <math.h>

#include "ttq.h"
#include "cuda_emu.h"
#include "ternary_kernels.cuh"

static float frand(unsigned *s)
{
    *s = *s*1103515245u + 12345u;
    return ((*s >> 8) & 0xFFFF)/65536.f*2 - 1;
}

/* weights with ties, exact zeros and negative zeros, as trained layers have them */
static void fill_weights(float *w, int n, unsigned seed, int coarse)
{
    int i;
    for(i = 0; i < n; ++i){
        float x = frand(&seed);
        if(coarse) x = roundf(x*8)/8;      /* many equal magnitudes */
        if(i % 97 == 3) x = 0.f;
        if(i % 89 == 5) x = -0.f;
        w[i] = x;
    }
}

static int same_bits(const float *a, const float *b, int n, int *at)
{
    int i;
    for(i = 0; i < n; ++i) if(__float_as_uint(a[i]) != __float_as_uint(b[i])){ *at = i; return 0; }
    return 1;
}

/* ---- kernel thunks: kernel<<<grid, block>>>(args) ------------------------------------------- */
typedef struct { const float *w; int gs; float t; int k; const float *wp, *wn; float *delta, *q, *u; } fused_args;
static void fused_body(void *p)
{
    fused_args *a = (fused_args *)p;
    ttq_forward_fused_kernel(a->w, a->gs, a->t, a->k, a->wp, a->wn, a->delta, a->q, a->u);
}

typedef struct { const float *w; int n; unsigned int *maxbits; } absmax_args;
static void absmax_body(void *p)
{
    absmax_args *a = (absmax_args *)p;
    ttq_absmax_kernel(a->w, a->n, a->maxbits);
}

typedef struct { const unsigned int *maxbits; float t; float *delta; } threshold_args;
static void threshold_body(void *p)
{
    threshold_args *a = (threshold_args *)p;
    ttq_threshold_kernel(a->maxbits, a->t, a->delta);
}

typedef struct { const float *w; int n, k; float *delta; } sparsity_args;
static void sparsity_body(void *p)
{
    sparsity_args *a = (sparsity_args *)p;
    ttq_sparsity_kernel(a->w, a->n, a->k, a->delta);
}

typedef struct { const float *w; int n; const float *delta, *wp, *wn; float *q; } ternarize_args;
static void ternarize_body(void *p)
{
    ternarize_args *a = (ternarize_args *)p;
    ttq_ternarize_kernel(a->w, a->n, a->delta, a->wp, a->wn, a->q);
}

typedef struct { const float *u, *w; int n; const float *delta, *wp, *wn; float *lu, *wpu, *wnu; } backward_args;
static void backward_body(void *p)
{
    backward_args *a = (backward_args *)p;
    ttq_backward_kernel(a->u, a->w, a->n, a->delta, a->wp, a->wn, a->lu, a->wpu, a->wnu);
}

typedef struct { float *wp, *wpu, *wn, *wnu; int k; float a, b, momentum; } sgd_args;
static void sgd_body(void *p)
{
    sgd_args *a = (sgd_args *)p;
    ttq_scales_sgd_kernel(a->wp, a->wpu, a->wn, a->wnu, a->k, a->a, a->b, a->momentum);
}

typedef struct { float *s; int n; } floor_args;
static void floor_body(void *p)
{
    floor_args *a = (floor_args *)p;
    ttq_floor_kernel(a->s, a->n);
}

static unsigned blocks_of(int n, int per) { return (unsigned)((n + per - 1)/per); }

/* ---- forward ------------------------------------------------------------------------------- */
/* nscales groups of gs weights; r < 0: threshold mode with t, else sparsity r */
static void check_forward(int nscales, int gs, float t, float r, int coarse, int with_u, int fused)
{
    fused = fused != 0;
    int n = nscales*gs, g, at;
    float *w = malloc(n*sizeof(float)), *q = malloc(n*sizeof(float)), *qr = malloc(n*sizeof(float));
    float *u = malloc(n*sizeof(float)), *delta = malloc(nscales*sizeof(float));
    float *wp = malloc(nscales*sizeof(float)), *wn = malloc(nscales*sizeof(float));
    unsigned int *maxbits = malloc(nscales*sizeof(unsigned int));
    char name[128];
    snprintf(name, sizeof name, "%s%s g%d x %d %s %g%s%s", fused ? "fused" : "unfused",
             emu_order ? " (reversed)" : "", nscales, gs,
             r < 0 ? "threshold" : "sparsity", r < 0 ? t : r, coarse ? " ties" : "", with_u ? "" : " u=NULL");
    t_log("%s\n", name);
    fill_weights(w, n, 1234u + n, coarse);
    for(g = 0; g < nscales; ++g){ wp[g] = 0.5f + 0.25f*g; wn[g] = 0.75f + 0.125f*g; }
    for(g = 0; g < n; ++g){ q[g] = NAN; u[g] = 42.f; }
    int k = (r >= 0) ? ttq_sparsity_rank(r, gs) : -1;
    if(fused){
        fused_args a = {w, gs, t, k, wp, wn, delta, q, with_u ? u : 0};
        emu_launch(emu_dim(nscales, 1), emu_dim(TTQ_BLOCK, 1), fused_body, &a);
    } else for(g = 0; g < nscales; ++g){
        /* as ttq_ternarize_gpu launches them */
        const float *wg = w + (size_t)g*gs;
        if(r >= 0){
            sparsity_args a = {wg, gs, k, delta + g};
            emu_launch(emu_dim(1, 1), emu_dim(TTQ_BLOCK, 1), sparsity_body, &a);
        } else {
            maxbits[g] = 0;
            absmax_args a = {wg, gs, maxbits + g};
            emu_launch(emu_dim(ttq_absmax_blocks(gs), 1), emu_dim(TTQ_THREADS, 1), absmax_body, &a);
            threshold_args b = {maxbits + g, t, delta + g};
            emu_launch(emu_dim(1, 1), emu_dim(1, 1), threshold_body, &b);
        }
        ternarize_args c = {wg, gs, delta + g, wp + g, wn + g, q + (size_t)g*gs};
        emu_launch(emu_dim(blocks_of(gs, TTQ_THREADS), 1), emu_dim(TTQ_THREADS, 1), ternarize_body, &c);
    }
    for(g = 0; g < nscales; ++g){
        const float *wg = w + (size_t)g*gs;
        float d = (r < 0) ? ttq_threshold_ref(wg, gs, t) : ttq_sparsity_threshold_ref(wg, gs, r);
        CHECK(__float_as_uint(delta[g]) == __float_as_uint(d), "%s: group %d delta %.9g, reference %.9g",
              name, g, delta[g], d);
        ttq_ternarize_ref(qr + (size_t)g*gs, wg, gs, d, wp[g], wn[g]);
    }
    CHECK(same_bits(q, qr, n, &at), "%s: q[%d] = %.9g, reference %.9g (w %.9g)", name, at, q[at], qr[at], w[at]);
    if(fused && with_u){
        for(at = 0; at < n && u[at] == 0.f; ++at);
        CHECK(at == n, "%s: gradient buffer not zeroed at %d (%g)", name, at, at < n ? u[at] : 0);
    } else {
        for(at = 0; at < n && u[at] == 42.f; ++at);
        CHECK(at == n, "%s: gradient buffer written at %d", name, at);
    }
    free(w); free(q); free(qr); free(u); free(delta); free(wp); free(wn); free(maxbits);
}

/* ---- backward ------------------------------------------------------------------------------ */
static void check_backward(int n, unsigned seed)
{
    int i, at;
    float *w = malloc(n*sizeof(float)), *u = malloc(n*sizeof(float));
    float *lu = malloc(n*sizeof(float)), *lr = malloc(n*sizeof(float));
    fill_weights(w, n, seed, 1);
    for(i = 0; i < n; ++i){ u[i] = frand(&seed); lu[i] = lr[i] = 0.25f*frand(&seed); }
    float delta = 0.3f, wp = 1.3f, wn = 0.7f, wpu = 0.5f, wnu = -0.25f, wpr = wpu, wnr = wnu;
    backward_args a = {u, w, n, &delta, &wp, &wn, lu, &wpu, &wnu};
    emu_launch(emu_dim(blocks_of(n, TTQ_THREADS), 1), emu_dim(TTQ_THREADS, 1), backward_body, &a);
    ttq_backward_ref(lr, &wpr, &wnr, u, w, n, delta, wp, wn);
    CHECK(same_bits(lu, lr, n, &at), "backward n=%d: latent update [%d] %.9g, reference %.9g", n, at, lu[at], lr[at]);
    double su = 0;
    for(i = 0; i < n; ++i) su += fabs(u[i]);
    double tol = 1e-6*(su + 1);
    CHECK(fabs(wpu - wpr) <= tol && fabs(wnu - wnr) <= tol,
          "backward n=%d: Wp update %.9g (reference %.9g), Wn update %.9g (reference %.9g), tolerance %.3g",
          n, wpu, wpr, wnu, wnr, tol);
    t_log("backward n=%d: |dWp| %.3g, |dWn| %.3g\n", n, fabs(wpu - wpr), fabs(wnu - wnr));
    free(w); free(u); free(lu); free(lr);
}

/* ---- Wp/Wn update ---------------------------------------------------------------------------- */
static void check_scales_sgd(int k, unsigned seed)
{
    int i, at;
    float *wp = malloc(k*sizeof(float)), *wn = malloc(k*sizeof(float)), *vp = malloc(k*sizeof(float)), *vn = malloc(k*sizeof(float));
    float *wp2 = malloc(k*sizeof(float)), *wn2 = malloc(k*sizeof(float)), *vp2 = malloc(k*sizeof(float)), *vn2 = malloc(k*sizeof(float));
    for(i = 0; i < k; ++i){
        wp[i] = 1 + frand(&seed); wn[i] = 1 + frand(&seed);
        vp[i] = 20*frand(&seed); vn[i] = 20*frand(&seed);    /* some steps cross the floor */
    }
    if(k > 2){ wp[1] = NAN; vn[2] = NAN; }
    memcpy(wp2, wp, k*sizeof(float)); memcpy(wn2, wn, k*sizeof(float));
    memcpy(vp2, vp, k*sizeof(float)); memcpy(vn2, vn, k*sizeof(float));
    /* update_ternary_layer_gpu's launch: a = -decay*batch, b = rate/batch */
    float decay = 0.0005f, rate = 0.1f, momentum = 0.9f;
    int batch = 128;
    sgd_args s = {wp, vp, wn, vn, k, -decay*batch, rate/batch, momentum};
    emu_launch(emu_dim(blocks_of(2*k, TTQ_THREADS), 1), emu_dim(TTQ_THREADS, 1), sgd_body, &s);
    ttq_sgd_ref(wp2, vp2, k, decay, rate, momentum, batch);
    ttq_sgd_ref(wn2, vn2, k, decay, rate, momentum, batch);
    ttq_floor_ref(wp2, k);
    ttq_floor_ref(wn2, k);
    CHECK(same_bits(wp, wp2, k, &at), "scales SGD k=%d: Wp[%d] %.9g, reference %.9g", k, at, wp[at], wp2[at]);
    CHECK(same_bits(wn, wn2, k, &at), "scales SGD k=%d: Wn[%d] %.9g, reference %.9g", k, at, wn[at], wn2[at]);
    CHECK(same_bits(vp, vp2, k, &at), "scales SGD k=%d: Wp momentum[%d] %.9g, reference %.9g", k, at, vp[at], vp2[at]);
    CHECK(same_bits(vn, vn2, k, &at), "scales SGD k=%d: Wn momentum[%d] %.9g, reference %.9g", k, at, vn[at], vn2[at]);
    for(i = 0; i < k; ++i) CHECK(wp[i] >= TTQ_SCALE_FLOOR && wn[i] >= TTQ_SCALE_FLOOR, "scales SGD k=%d: [%d] below the floor", k, i);

    /* the floor kernel alone, against ttq_floor_ref */
    float f[7] = {2.f, 0.f, -1.f, NAN, 1e-7f, -INFINITY, INFINITY}, fr[7];
    memcpy(fr, f, sizeof f);
    floor_args fa = {f, 7};
    emu_launch(emu_dim(1, 1), emu_dim(TTQ_THREADS, 1), floor_body, &fa);
    ttq_floor_ref(fr, 7);
    CHECK(same_bits(f, fr, 7, &at), "floor kernel: [%d] %.9g, ttq_floor_ref %.9g", at, f[at], fr[at]);
    free(wp); free(wn); free(vp); free(vn); free(wp2); free(wn2); free(vp2); free(vn2);
}

/* ---- the emulation itself notices a divergent barrier -------------------------------------- */
static void divergent_body(void *p)
{
    (void)p;
    if(threadIdx.x < 10) __syncthreads();
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    int fused;

    int before = emu_divergent;
    emu_launch(emu_dim(1, 1), emu_dim(64, 1), divergent_body, 0);
    CHECK(emu_divergent > before, "the emulation did not notice a __syncthreads reached by 10 of 64 threads");
    emu_divergent = 0;

    /* the fused kernels with the threads of each barrier phase in index order and reversed, the
       unfused ones (which make test-gpu ran on an H100) in index order */
    for(fused = 2; fused >= 0; --fused){
        emu_order = (fused == 2);
        /* threshold mode: the paper's t = 0.05 and a large one; ResNet-20's layer sizes (up to
           36 864), sizes around the block, a per-filter layout with 16 groups */
        check_forward(1, 1, 0.05f, -1, 0, 1, fused);
        check_forward(1, 1000, 0.05f, -1, 0, 1, fused);
        check_forward(1, 1024, 0.7f, -1, 1, 1, fused);
        check_forward(1, 1031, 0.05f, -1, 0, 0, fused);
        check_forward(1, 36864, 0.05f, -1, 0, 1, fused);
        check_forward(16, 144, 0.3f, -1, 1, 1, fused);
        /* sparsity mode: r at both ends and in between, ties, tiny groups */
        check_forward(1, 1, -1, 0.5f, 0, 1, fused);
        check_forward(1, 2, -1, 0.f, 0, 1, fused);
        check_forward(1, 7, -1, 1.f, 1, 1, fused);
        check_forward(1, 4608, -1, 0.5f, 1, 1, fused);
        check_forward(3, 1025, -1, 0.3f, 0, 0, fused);
    }
    /* a threshold-mode group above TTQ_FUSED_MAX takes the multi-block path (ttq_fused_layer) */
    check_forward(1, TTQ_FUSED_MAX + 8192, 0.05f, -1, 0, 1, 0);

    for(emu_order = 0; emu_order < 2; ++emu_order){
        check_backward(1, 7u);
        check_backward(300, 8u);
        check_backward(4608, 9u);
        check_scales_sgd(1, 10u);
        check_scales_sgd(3, 11u);
        check_scales_sgd(300, 12u);
    }
    emu_order = 0;

    CHECK(emu_divergent == 0, "%d __syncthreads were reached divergently", emu_divergent);
    return t_finish();
}
