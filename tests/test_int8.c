/* The integer path's math and kernels (src/ttq_int8.c) against their definitions:
 * - the weight levels: exact for integer ratios, within the stated bound for every ratio;
 * - the activation coding: zero point, scale, rounding to even, clamping, NaN;
 * - every kernel set this CPU runs (scalar, AVX2, AVX-512 VNNI; NEON dot product on ARM64, which
 *   tests/t_int8_neon.sh runs under qemu) against ttq_int8_conv_ref, bit for bit, over random
 *   shapes: odd sizes, every remainder of the output blocking (8) and of the vectors, strides 1-3,
 *   kernel sizes 1, 3, 5, padding 0 .. 2, groups (depthwise too), sparsity 0 and 0.9, zero points
 *   0 and 128, different levels per filter, and the extreme sums (codes 255, weights +-64);
 * - the whole forward (float in, coded, convolved, epilogue with each activation, batch 3, threads)
 *   against the reference composed of the definitions.
 * This file uses only ttq_int8.h, so that it builds without Darknet for the ARM64 test. */
#include "testutil.h"

#include <stdint.h>

#include "ttq_int8.h"

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng*1664525u + 1013904223u;
    return rng >> 8;
}
static int rint_(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }
static float rfloat(float lo, float hi) { return lo + (hi - lo)*(rnd()/16777216.0f); }

static void test_levels(void)
{
    int p, n;
    float s, e;
    e = ttq_int8_levels(0.7f, 0.7f, &p, &n, &s);
    CHECK(p == n && e < 1e-6f && fabsf(s*p - 0.7f) < 1e-6f, "levels of wp = wn: p %d n %d s %g err %g", p, n, s, e);
    e = ttq_int8_levels(1.5f, 1.0f, &p, &n, &s);
    CHECK(p*2 == n*3 && e < 1e-6f, "levels of 3/2: p %d n %d err %g", p, n, e);
    e = ttq_int8_levels(0.02f, 1.28f, &p, &n, &s);   /* 1/64 */
    CHECK(p == 1 && n == 64 && e < 1e-5f, "levels of 1/64: p %d n %d err %g", p, n, e);
    /* a sweep of ratios 1/64 .. 64: the error stays within the bound of ttq_int8.h */
    float worst = 0;
    int i;
    for(i = 0; i <= 2000; ++i){
        float r = powf(64.0f, (i - 1000)/1000.0f), wp = 0.37f*r, wn = 0.37f;
        e = ttq_int8_levels(wp, wn, &p, &n, &s);
        CHECK(p >= 1 && n >= 1 && p <= TTQ_INT8_WMAX && n <= TTQ_INT8_WMAX, "levels out of range: %d %d", p, n);
        float ep = fabsf(s*p - wp)/wp, en = fabsf(s*n - wn)/wn;
        CHECK(fabsf(e - (ep > en ? ep : en)) < 1e-5f, "the error returned %g is not the error %g %g", e, ep, en);
        if(e > worst) worst = e;
    }
    t_log("levels: worst relative error over ratios 1/64 .. 64: %g\n", worst);
    CHECK(worst < 0.0155f, "levels: worst relative error %g, the bound stated is 1.54 %%", worst);
    for(worst = 0, i = 0; i <= 2000; ++i){
        float r = powf(2.0f, (i - 1000)/1000.0f);
        e = ttq_int8_levels(0.37f*r, 0.37f, &p, &n, &s);
        if(e > worst) worst = e;
    }
    CHECK(worst < 0.0064f, "levels: worst relative error %g over ratios 1/2 .. 2, the bound stated is 0.63 %%", worst);
}

static void test_act(void)
{
    float sc;
    int z;
    CHECK(ttq_int8_act_params(0, 2.55f, &sc, &z) == 0 && z == 0 && fabsf(sc - 0.01f) < 1e-7f, "relu range: %g %d", sc, z);
    CHECK(ttq_int8_act_params(-2.56f, 1.0f, &sc, &z) == 0 && z == 128 && fabsf(sc - 0.02f) < 1e-7f, "signed range: %g %d", sc, z);
    CHECK(ttq_int8_act_params(-0.1f, 2.54f, &sc, &z) == 0 && z == 128 && fabsf(sc - 0.02f) < 1e-7f, "signed range: %g %d", sc, z);
    CHECK(ttq_int8_act_params(0, 0, &sc, &z) < 0, "an empty range is refused");
    CHECK(ttq_int8_act_params(NAN, 1, &sc, &z) < 0, "NaN is refused");
    CHECK(ttq_int8_act_params(0, INFINITY, &sc, &z) < 0, "Inf is refused");
    CHECK(ttq_int8_act_params(1, 0, &sc, &z) < 0, "lo > hi is refused");
    CHECK(ttq_int8_quantize_ref(0.5f, 1, 0) == 0 && ttq_int8_quantize_ref(1.5f, 1, 0) == 2 &&
          ttq_int8_quantize_ref(2.5f, 1, 0) == 2, "rounding to even");
    CHECK(ttq_int8_quantize_ref(-1, 1, 0) == 0 && ttq_int8_quantize_ref(300, 1, 0) == 255 &&
          ttq_int8_quantize_ref(1e30f, 1, 0) == 255 && ttq_int8_quantize_ref(-1e30f, 1, 128) == 0,
          "clamping");
    CHECK(ttq_int8_quantize_ref(-3, 1, 128) == 125 && ttq_int8_quantize_ref(0, 1, 128) == 128, "zero point");
    CHECK(ttq_int8_quantize_ref(NAN, 1, 128) == 0 && ttq_int8_quantize_ref(-NAN, 1, 0) == 0,
          "NaN codes as the lowest value");
    CHECK(ttq_int8_quantize_ref(INFINITY, 1, 128) == 255 && ttq_int8_quantize_ref(-INFINITY, 1, 128) == 0 &&
          ttq_int8_quantize_ref(3e38f, 10, 0) == 255, "Inf, and a product that overflows to Inf, clamp");
}

typedef struct {
    ttq_int8_shape s;
    int8_t *w;
    float *mul, *add;
    int zero;
} conv_case;

/* weights: per filter its own levels (p, n), a fraction `sparse` of zeros; extreme: all +-64 */
static void make_case(conv_case *cc, ttq_int8_shape s, float sparse, int zero, int extreme)
{
    cc->s = s;
    cc->zero = zero;
    int cg = s.c/s.groups, o;
    size_t i, nw = (size_t)s.n*cg*s.size*s.size, per = nw/s.n;
    cc->w = malloc(nw);
    cc->mul = malloc(s.n*sizeof(float));
    cc->add = malloc(s.n*sizeof(float));
    for(o = 0; o < s.n; ++o){
        int p = rint_(1, TTQ_INT8_WMAX), n = rint_(1, TTQ_INT8_WMAX);
        if(extreme) p = n = TTQ_INT8_WMAX;
        for(i = 0; i < per; ++i){
            int8_t v;
            if(extreme) v = (i & 1) && extreme == 2 ? -n : p;
            else if(rfloat(0, 1) < sparse) v = 0;
            else v = rnd() & 1 ? p : -n;
            cc->w[o*per + i] = v;
        }
        cc->mul[o] = rfloat(0.001f, 0.01f);
        cc->add[o] = rfloat(-1, 1);
    }
}

static void free_case(conv_case *cc)
{
    free(cc->w);
    free(cc->mul);
    free(cc->add);
}

static int out_size(int x, int pad, int size, int stride) { return (x + 2*pad - size)/stride + 1; }

/* the kernels' integers against the definition, for one shape, every kernel set */
static void check_acc(const conv_case *cc, int extreme_codes, const char *what)
{
    const ttq_int8_shape *s = &cc->s;
    size_t nin = (size_t)s->c*s->h*s->w, nout = (size_t)s->n*s->out_h*s->out_w, i;
    uint8_t *u = malloc(nin);
    for(i = 0; i < nin; ++i) u[i] = extreme_codes ? 255 : (uint8_t)rnd();
    int32_t *want = malloc(nout*sizeof(int32_t)), *got = malloc(nout*sizeof(int32_t));
    ttq_int8_conv_ref(want, cc->w, u, cc->zero, s);
    int k;
    for(k = 0; k < TTQ_KSET_COUNT; ++k){
        if(!ttq_int8_kset_available(k)) continue;
        ttq_int8_conv cv;
        CHECK(ttq_int8_conv_init(&cv, s, cc->w, cc->mul, cc->add, 0.01f, cc->zero, TTQ_INT8_LINEAR, k) == 0,
              "%s: init failed for %s", what, ttq_int8_kset_name(k));
        memset(got, 0x55, nout*sizeof(int32_t));
        CHECK(ttq_int8_conv_acc(&cv, u, got) == 0, "%s: conv_acc failed", what);
        size_t bad = nout;
        for(i = 0; i < nout && bad == nout; ++i) if(got[i] != want[i]) bad = i;
        CHECK(bad == nout, "%s, %s: c %d h %d w %d n %d groups %d size %d stride %d pad %d zero %d: "
              "integer %zu is %d, the definition gives %d", what, ttq_int8_kset_name(k), s->c, s->h, s->w,
              s->n, s->groups, s->size, s->stride, s->pad, cc->zero, bad, bad < nout ? got[bad] : 0,
              bad < nout ? want[bad] : 0);
        ttq_int8_conv_free(&cv);
    }
    free(u);
    free(want);
    free(got);
}

static ttq_int8_shape shape(int c, int h, int w, int n, int groups, int size, int stride, int pad)
{
    ttq_int8_shape s = {c, h, w, n, groups, size, stride, pad, out_size(h, pad, size, stride),
                        out_size(w, pad, size, stride)};
    return s;
}

static void test_kernels(void)
{
    int i, k, navail = 0;
    for(k = 0; k < TTQ_KSET_COUNT; ++k){
        if(ttq_int8_kset_available(k)){
            ++navail;
            t_log("kernel set available: %s\n", ttq_int8_kset_name(k));
        }
    }
    CHECK(navail >= 1 && ttq_int8_kset_available(ttq_int8_kset_best()), "no kernel set");
    /* every remainder of the output block (8) and a range of widths (the vectors' remainders) */
    for(i = 1; i <= 17; ++i){
        conv_case cc;
        make_case(&cc, shape(3 + i % 5, 5 + i, 3 + 2*i, i, 1, 3, 1 + (i % 2), 1), i % 3 ? 0 : 0.9f, i % 2 ? 0 : 128, 0);
        check_acc(&cc, 0, "block remainders");
        free_case(&cc);
    }
    /* random shapes */
    for(i = 0; i < 120; ++i){
        int size = (int[]){1, 3, 3, 5}[rint_(0, 3)], stride = rint_(1, 3), pad = rint_(0, 2);
        int groups = (int[]){1, 1, 2, 0}[rint_(0, 3)];
        int c = rint_(1, 37), n = rint_(1, 40);
        if(groups == 0) groups = c, n = c*rint_(1, 2);        /* depthwise */
        if(groups == 2){ c += c % 2; n += n % 2; }
        int h = rint_(1, 21), w = rint_(1, 21);
        if(h + 2*pad < size) h = size;
        if(w + 2*pad < size) w = size;
        conv_case cc;
        make_case(&cc, shape(c, h, w, n, groups, size, stride, pad), rnd() & 1 ? 0.9f : 0, rnd() & 1 ? 128 : 0, 0);
        check_acc(&cc, 0, "random shape");
        free_case(&cc);
    }
    /* the largest sums: codes 255 with weights +64 everywhere (and alternating +-64), zero 0 */
    for(i = 1; i <= 2; ++i){
        conv_case cc;
        make_case(&cc, shape(64, 9, 9, 16, 1, 3, 1, 1), 0, 0, i);
        check_acc(&cc, 1, "extreme sums");
        free_case(&cc);
    }
    /* the ResNet-20 shapes */
    int rs[][5] = {{16, 32, 16, 1, 3}, {16, 32, 32, 2, 3}, {32, 16, 32, 1, 3}, {32, 16, 64, 2, 3}, {64, 8, 64, 1, 3}, {64, 8, 128, 1, 1}};
    for(i = 0; i < 6; ++i){
        conv_case cc;
        make_case(&cc, shape(rs[i][0], rs[i][1], rs[i][1], rs[i][2], 1, rs[i][4], rs[i][3], rs[i][4]/2), 0.5f, 0, 0);
        check_acc(&cc, 0, "resnet shape");
        free_case(&cc);
    }
}

/* the whole forward (float input, coded, kernels, epilogue) against the definitions composed */
static void test_forward(void)
{
    int i, k, act, b, batch = 3;
    for(i = 0; i < 24; ++i){
        ttq_int8_shape s = shape(rint_(1, 20), rint_(3, 19), rint_(3, 41), rint_(1, 24), 1, i % 3 ? 3 : 1, 1 + i % 2, i % 3 ? 1 : 0);
        conv_case cc;
        int zero = i % 2 ? 128 : 0;
        make_case(&cc, s, 0.3f, zero, 0);
        size_t nin = (size_t)s.c*s.h*s.w, nout = (size_t)s.n*s.out_h*s.out_w, j;
        float *x = malloc(nin*batch*sizeof(float)), *want = malloc(nout*batch*sizeof(float)),
              *got = malloc(nout*batch*sizeof(float));
        float scale = 0.02f;
        for(j = 0; j < nin*batch; ++j) x[j] = zero ? rfloat(-3, 3) : rfloat(0, 6);  /* some beyond the range */
        /* and values the coding must clamp the same way in every implementation: NaN, huge, ties */
        float odd[] = {NAN, 1e30f, -1e30f, INFINITY, -INFINITY, 0.5f*scale, 1.5f*scale, -2.5f*scale, 255.5f*scale};
        for(j = 0; j < 9 && j*7 < nin*batch; ++j) x[j*7] = odd[j];
        uint8_t *u = malloc(nin);
        int32_t *acc = malloc(nout*sizeof(int32_t));
        act = i % 3;
        for(b = 0; b < batch; ++b){
            for(j = 0; j < nin; ++j) u[j] = ttq_int8_quantize_ref(x[b*nin + j], 1.0f/scale, zero);
            ttq_int8_conv_ref(acc, cc.w, u, zero, &s);
            ttq_int8_epilogue_ref(want + b*nout, acc, cc.mul, cc.add, act, &s);
        }
        for(k = 0; k < TTQ_KSET_COUNT; ++k){
            if(!ttq_int8_kset_available(k)) continue;
            ttq_int8_conv cv;
            CHECK(ttq_int8_conv_init(&cv, &s, cc.w, cc.mul, cc.add, scale, zero, act, k) == 0, "init");
            CHECK(ttq_int8_conv_forward(&cv, x, got, batch) == 0, "forward");
            size_t bad = nout*batch;
            for(j = 0; j < nout*batch && bad == nout*batch; ++j){
                if(!(fabsf(got[j] - want[j]) <= 1e-6f*(1 + fabsf(want[j])))) bad = j;
            }
            CHECK(bad == nout*batch, "forward, %s, act %d, c %d h %d w %d n %d size %d stride %d: output %zu is %g, "
                  "the definition gives %g", ttq_int8_kset_name(k), act, s.c, s.h, s.w, s.n, s.size, s.stride, bad,
                  bad < nout*batch ? got[bad] : 0, bad < nout*batch ? want[bad] : 0);
            /* a second call with fewer images reuses the workspace */
            CHECK(ttq_int8_conv_forward(&cv, x, got, 1) == 0 && !memcmp(got, want, 0), "forward again");
            ttq_int8_conv_free(&cv);
        }
        free(x);
        free(want);
        free(got);
        free(u);
        free(acc);
        free_case(&cc);
    }
    /* shapes the path refuses */
    ttq_int8_shape bad = shape(3, 8, 8, 4, 2, 3, 1, 1);
    CHECK(ttq_int8_shape_check(&bad) != 0, "3 channels in 2 groups must be refused");
    bad = shape(4, 8, 8, 4, 1, 3, 1, 1);
    bad.out_h = 9;
    CHECK(ttq_int8_shape_check(&bad) != 0, "a wrong output size must be refused");
}

/* The coding of the input, exactly: a 1x1 convolution with the identity as weights, mul 1, add 0,
 * outputs u - zero of each input at the strided positions; every code must be quantize_ref's,
 * whichever row helpers (C, AVX2, AVX-512) the CPU runs. Widths 1 .. 40 cover every tail. */
/* The 8-bit hand-over (ttq_int8_conv_run): the input as codes gives what the same codes' floats
 * give; the output as codes is, byte for byte, the coding of the epilogue's value on the output's
 * coding (ttq_int8_epilogue_codes_ref), with floats written beside them or not; every kernel set,
 * batch 1 and 3 (threads over images and over blocks), each activation, both zero points. */
static void test_codes_io(void)
{
    int i, k, b, batch = 3;
    for(i = 0; i < 18; ++i){
        ttq_int8_shape s = shape(rint_(1, 20), rint_(3, 23), rint_(3, 37), rint_(1, 24), 1, i % 3 ? 3 : 1,
                                 1 + i % 2, i % 3 ? 1 : 0);
        conv_case cc;
        int zero = i % 2 ? 128 : 0, act = i % 3, ozero = i % 4 < 2 ? 0 : 128;
        make_case(&cc, s, 0.3f, zero, 0);
        size_t nin = (size_t)s.c*s.h*s.w, nout = (size_t)s.n*s.out_h*s.out_w, j;
        float scale = 0.02f, oscale = rfloat(0.002f, 0.05f);
        uint8_t *u = malloc(nin*batch), *want = malloc(nout*batch), *got = malloc(nout*batch);
        float *x = malloc(nin*batch*sizeof(float)), *yf = malloc(nout*batch*sizeof(float)),
              *wantf = malloc(nout*batch*sizeof(float));
        int32_t *acc = malloc(nout*sizeof(int32_t));
        for(j = 0; j < nin*batch; ++j){
            u[j] = (uint8_t)rnd();
            x[j] = scale*(float)((int)u[j] - zero);   /* codes back exactly to u */
        }
        for(b = 0; b < batch; ++b){
            ttq_int8_conv_ref(acc, cc.w, u + nin*b, zero, &s);
            ttq_int8_epilogue_codes_ref(want + nout*b, acc, cc.mul, cc.add, act, 1.0f/oscale, ozero, &s);
            ttq_int8_epilogue_ref(wantf + nout*b, acc, cc.mul, cc.add, act, &s);
        }
        for(k = 0; k < TTQ_KSET_COUNT; ++k){
            if(!ttq_int8_kset_available(k)) continue;
            ttq_int8_conv cv;
            CHECK(ttq_int8_conv_init(&cv, &s, cc.w, cc.mul, cc.add, scale, zero, act, k) == 0, "init");
            int n;
            for(n = 1; n <= batch; n += batch - 1){
                ttq_int8_io io = {0, u, 0, got, 1.0f/oscale, ozero};
                memset(got, 0xa5, nout*batch);
                CHECK(ttq_int8_conv_run(&cv, &io, n) == 0, "run from codes to codes");
                size_t bad = nout*n;
                for(j = 0; j < nout*n && bad == nout*n; ++j) if(got[j] != want[j]) bad = j;
                CHECK(bad == nout*n, "codes out, %s, act %d, zero %d/%d, c %d h %d w %d n %d size %d stride %d, "
                      "batch %d: code %zu is %d, the definition gives %d", ttq_int8_kset_name(k), act, zero, ozero,
                      s.c, s.h, s.w, s.n, s.size, s.stride, n, bad, bad < nout*n ? got[bad] : 0,
                      bad < nout*n ? want[bad] : 0);
                /* floats in, codes and floats out: the same codes, the floats of the epilogue */
                ttq_int8_io io2 = {x, 0, yf, got, 1.0f/oscale, ozero};
                memset(got, 0x5a, nout*batch);
                CHECK(ttq_int8_conv_run(&cv, &io2, n) == 0, "run from floats to both");
                CHECK(!memcmp(got, want, nout*n), "floats in, codes out differ from codes in (%s)", ttq_int8_kset_name(k));
                for(j = 0; j < nout*n; ++j) if(!(fabsf(yf[j] - wantf[j]) <= 1e-6f*(1 + fabsf(wantf[j])))) break;
                CHECK(j == nout*n, "the floats written beside the codes differ at %zu: %g, the definition %g",
                      j, j < nout*n ? yf[j] : 0, j < nout*n ? wantf[j] : 0);
            }
            ttq_int8_io none = {x, u, yf, 0, 1, 0};
            CHECK(ttq_int8_conv_run(&cv, &none, 1) == -1, "both inputs given must be refused");
            ttq_int8_conv_free(&cv);
        }
        free(u); free(want); free(got); free(x); free(yf); free(wantf); free(acc);
        free_case(&cc);
    }
}

/* Per-channel levels of a full-precision convolution (W8A8's weights): |q| <= 64, the largest
 * weight on 64, every weight within half a step; all-zero and non-finite channels. */
static void test_channel_levels(void)
{
    float w[300];
    int8_t q[300];
    int i, t;
    for(t = 0; t < 20; ++t){
        int n = rint_(1, 300);
        float mx = 0;
        for(i = 0; i < n; ++i){
            w[i] = rfloat(-1, 1)*(t + 1);
            if(fabsf(w[i]) > mx) mx = fabsf(w[i]);
        }
        float s = ttq_int8_channel_levels(w, n, q);
        CHECK(s > 0 && fabsf(s*TTQ_INT8_WMAX - mx) <= 1e-6f*mx, "channel scale %g for max %g", s, mx);
        for(i = 0; i < n; ++i){
            CHECK(q[i] >= -TTQ_INT8_WMAX && q[i] <= TTQ_INT8_WMAX && fabsf(q[i]*s - w[i]) <= 0.5001f*s,
                  "weight %g as %d x %g", w[i], q[i], s);
        }
    }
    for(i = 0; i < 10; ++i) w[i] = 0;
    CHECK(ttq_int8_channel_levels(w, 10, q) == 0 && !q[0] && !q[9], "an all-zero channel");
    w[3] = NAN;
    CHECK(ttq_int8_channel_levels(w, 10, q) < 0, "a NaN weight must be refused");
    w[3] = INFINITY;
    CHECK(ttq_int8_channel_levels(w, 10, q) < 0, "an infinite weight must be refused");
}

static void test_coding(void)
{
    int w, k, st, zi;
    for(st = 1; st <= 2; ++st) for(zi = 0; zi < 2; ++zi) for(w = 1; w <= 40; w += (w < 20 ? 1 : 7)){
        int zero = zi ? 128 : 0, c = 5, h = 3, i;
        ttq_int8_shape s = shape(c, h, w, c, 1, 1, st, 0);
        int8_t wt[25] = {0};
        float mul[5] = {1, 1, 1, 1, 1}, add[5] = {0}, scale = 0.05f;
        for(i = 0; i < c; ++i) wt[i*c + i] = 1;
        size_t nin = (size_t)c*h*w, nout = (size_t)c*s.out_h*s.out_w, j;
        float *x = malloc(nin*sizeof(float)), *y = malloc(nout*sizeof(float));
        float odd[] = {NAN, -NAN, INFINITY, -INFINITY, 1e30f, -1e30f, 0.5f*scale, 1.5f*scale, -2.5f*scale, 127.5f*scale,
                       -128.5f*scale, 255.5f*scale};
        for(j = 0; j < nin; ++j) x[j] = j % 5 == 3 ? odd[(j/5) % 12] : rfloat(-8, 14);
        for(k = 0; k < TTQ_KSET_COUNT; ++k){
            if(!ttq_int8_kset_available(k)) continue;
            ttq_int8_conv cv;
            CHECK(ttq_int8_conv_init(&cv, &s, wt, mul, add, scale, zero, TTQ_INT8_LINEAR, k) == 0, "coding: init");
            CHECK(ttq_int8_conv_forward(&cv, x, y, 1) == 0, "coding: forward");
            size_t bad = nout;
            int o, yy, xx;
            for(o = 0; o < c && bad == nout; ++o) for(yy = 0; yy < s.out_h; ++yy) for(xx = 0; xx < s.out_w; ++xx){
                size_t at = ((size_t)o*s.out_h + yy)*s.out_w + xx;
                float in = x[((size_t)o*h + yy*st)*w + xx*st];
                if(y[at] != (float)(ttq_int8_quantize_ref(in, 1.0f/scale, zero) - zero) && bad == nout) bad = at;
            }
            CHECK(bad == nout, "coding, %s, width %d, stride %d, zero %d: output %zu is %g", ttq_int8_kset_name(k), w, st,
                  zero, bad, bad < nout ? y[bad] : 0);
            ttq_int8_conv_free(&cv);
        }
        free(x);
        free(y);
    }
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    test_levels();
    test_act();
    test_kernels();
    test_forward();
    test_coding();
    test_codes_io();
    test_channel_levels();
    return t_finish();
}
