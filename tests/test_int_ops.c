/* The integer operations of the whole-network path (src/int_graph/int_ops.c) against their
 * definitions:
 * - [shortcut]: the fast path (tables of the per-code terms, threads) against int_ops_shortcut_ref,
 *   byte for byte and float for float, over random shapes: the same size, a stride-2 `from` read
 *   every other position (w1 = 2 w2), an upsampled one (w2 = 2 w1), channel counts that differ
 *   either way, alpha and beta, each activation, both zero points, different codings of the two
 *   inputs; and the reference itself against Darknet's float shortcut on the decoded values;
 * - [route]: 1 to 4 inputs of different sizes and codings (some equal to the output's, copied)
 *   against int_ops_route_ref, and the requantisation table against decode-then-code;
 * - [maxpool], [avgpool], [upsample]: against Darknet's float layers on the decoded values, then
 *   coded (maxpool with pad 0 .. size, odd sizes; avgpool; upsample strides 1 .. 3);
 * - decode and encode: the values and the coding's definition.
 * Uses int_ops.h and ttq_int8.h only, so that it builds for the ARM64 test (tests/t_int8_neon.sh). */
#include "testutil.h"

#include <float.h>
#include <stdint.h>

#include "int_ops.h"
#include "ttq_int8.h"

static uint32_t rng = 777;
static uint32_t rnd(void)
{
    rng = rng*1664525u + 1013904223u;
    return rng >> 8;
}
static int rint_(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }
static float rfloat(float lo, float hi) { return lo + (hi - lo)*(rnd()/16777216.0f); }

static int_coding coding(void)
{
    int_coding c = {rfloat(0.001f, 0.1f), rnd() & 1 ? 128 : 0};
    return c;
}

static uint8_t *codes(size_t n)
{
    uint8_t *u = malloc(n ? n : 1);
    size_t i;
    for(i = 0; i < n; ++i) u[i] = (uint8_t)rnd();
    return u;
}

static float act_f(float v, int act)
{
    return act == INT_OPS_RELU ? (v > 0 ? v : 0) : act == INT_OPS_LEAKY ? (v > 0 ? v : 0.1f*v) : v;
}

static void test_shortcut(void)
{
    int t;
    size_t total_off = 0, total = 0;
    for(t = 0; t < 60; ++t){
        int_shortcut p;
        int mode = t % 3, b, batch = 1 + t % 3;
        p.w2 = rint_(1, 19);
        p.h2 = rint_(1, 13);
        p.c2 = rint_(1, 9);
        p.w1 = mode == 1 ? 2*p.w2 : mode == 2 ? (p.w2 + 1)/2 : p.w2;
        p.h1 = mode == 1 ? 2*p.h2 : mode == 2 ? (p.h2 + 1)/2 : p.h2;
        if(mode == 2){   /* an upsampled `from`: w2 a multiple of w1 */
            p.w2 = 2*p.w1;
            p.h2 = 2*p.h1;
        }
        p.c1 = t % 4 == 0 ? p.c2 : rint_(1, 12);
        p.alpha = t % 5 ? 1 : rfloat(0.5f, 2);
        p.beta = t % 7 ? 1 : rfloat(0.5f, 2);
        p.act = t % 3;
        p.prev = coding();
        p.add = t % 6 ? coding() : p.prev;
        p.out = coding();
        size_t n2 = (size_t)p.w2*p.h2*p.c2, n1 = (size_t)p.w1*p.h1*p.c1, i;
        uint8_t *prev = codes(n2*batch), *add = codes(n1*batch), *q1 = malloc(n2*batch), *q2 = malloc(n2*batch);
        float *f1 = malloc(n2*batch*sizeof(float)), *f2 = malloc(n2*batch*sizeof(float));
        int_ops_shortcut_ref(&p, prev, add, q1, f1, batch);
        int_ops_shortcut(&p, prev, add, q2, f2, batch);
        CHECK(!memcmp(q1, q2, n2*batch), "shortcut codes: fast path differs from the reference (w %d/%d h %d/%d c %d/%d)",
              p.w1, p.w2, p.h1, p.h2, p.c1, p.c2);
        CHECK(!memcmp(f1, f2, n2*batch*sizeof(float)), "shortcut floats: fast path differs from the reference");
        /* only one of the two outputs */
        memset(q2, 0, n2*batch);
        int_ops_shortcut(&p, prev, add, q2, 0, batch);
        CHECK(!memcmp(q1, q2, n2*batch), "shortcut codes alone differ");
        /* the reference against Darknet's float shortcut on the decoded values (shortcut_cpu) */
        float *out = malloc(n2*batch*sizeof(float));
        for(i = 0; i < n2*batch; ++i) out[i] = int_ops_value(prev[i], p.prev);
        int stride = p.w1/p.w2, sample = p.w2/p.w1, k, j, ii;
        if(stride < 1) stride = 1;
        if(sample < 1) sample = 1;
        int minw = p.w1 < p.w2 ? p.w1 : p.w2, minh = p.h1 < p.h2 ? p.h1 : p.h2, minc = p.c1 < p.c2 ? p.c1 : p.c2;
        for(b = 0; b < batch; ++b) for(k = 0; k < minc; ++k) for(j = 0; j < minh; ++j) for(ii = 0; ii < minw; ++ii){
            int oi = ii*sample + p.w2*(j*sample + p.h2*(k + p.c2*b));
            int ai = ii*stride + p.w1*(j*stride + p.h1*(k + p.c1*b));
            out[oi] = p.alpha*out[oi] + p.beta*int_ops_value(add[ai], p.add);
        }
        size_t off = 0;
        for(i = 0; i < n2*batch; ++i){
            float v = act_f(out[i], p.act);
            if(fabsf(v - f1[i]) > 1e-6f*(1 + fabsf(v))) break;
            /* the fixed-point codes: the float value's code, or one away (ratios in 16 bits, ties up) */
            int want = ttq_int8_quantize(f1[i], 1.0f/p.out.scale, p.out.zero), d = q1[i] - want;
            if(d < -1 || d > 1) break;
            off += d != 0;
        }
        CHECK(i == n2*batch, "shortcut reference against Darknet's float shortcut: position %zu (w %d/%d c %d/%d)", i,
              p.w1, p.w2, p.c1, p.c2);
        CHECK(off*50 <= n2*batch, "shortcut: %zu of %zu codes one away from the float value's (more than 2 %%)", off,
              n2*batch);
        total_off += off;
        total += n2*batch;
        free(prev); free(add); free(q1); free(q2); free(f1); free(f2); free(out);
    }
    t_log("shortcut: %zu of %zu codes one away from the float value's code\n", total_off, total);
    /* the fixed point where a ratio is 64 or more (fewer fraction bits), and exact ties */
    int_shortcut p = {4, 3, 2, 4, 3, 2, 1, 1, INT_OPS_LINEAR, {1.0f, 0}, {1.0f, 0}, {0.01f, 0}};
    uint8_t a[24], b[24], q[24], r[24];
    int i;
    for(i = 0; i < 24; ++i){
        a[i] = (uint8_t)(i % 3);
        b[i] = (uint8_t)(i % 2);
    }
    int_ops_shortcut_ref(&p, a, b, r, 0, 1);
    int_ops_shortcut(&p, a, b, q, 0, 1);
    CHECK(!memcmp(q, r, 24), "shortcut with a ratio of 100: fast path differs");
    for(i = 0; i < 24; ++i) CHECK(r[i] == (100*(a[i] + b[i]) > 255 ? 255 : 100*(a[i] + b[i])), "ratio 100: code %d for %d + %d", r[i], a[i], b[i]);
    int_shortcut h = {4, 3, 2, 4, 3, 2, 1, 1, INT_OPS_LINEAR, {0.5f, 0}, {0.5f, 0}, {1.0f, 0}};
    int_ops_shortcut_ref(&h, a, b, r, 0, 1);
    for(i = 0; i < 24; ++i){
        int s2 = a[i] + b[i];   /* (a + b)/2 with ties up */
        CHECK(r[i] == (s2 + 1)/2, "ties: %d + %d at 0.5 codes to %d", a[i], b[i], r[i]);
    }
}

static void test_route(void)
{
    int t;
    for(t = 0; t < 40; ++t){
        int nin = 1 + t % 4, k, batch = 1 + t % 2, n[4];
        const uint8_t *in[4];
        uint8_t *own[4];
        int_coding c[4], oc = coding();
        size_t total = 0;
        for(k = 0; k < nin; ++k){
            n[k] = rint_(1, 200);
            own[k] = codes((size_t)n[k]*batch);
            in[k] = own[k];
            c[k] = (t + k) % 3 == 0 ? oc : coding();
            total += n[k];
        }
        uint8_t *a = malloc(total*batch), *b = malloc(total*batch);
        int_ops_route_ref(a, in, n, c, nin, oc, batch);
        int_ops_route(b, in, n, c, nin, oc, batch);
        CHECK(!memcmp(a, b, total*batch), "route of %d inputs: fast path differs from the reference", nin);
        /* an input whose coding is the output's is copied */
        size_t off = 0, i;
        for(k = 0; k < nin; ++k){
            if(c[k].scale == oc.scale && c[k].zero == oc.zero){
                CHECK(!memcmp(a + off, in[k], n[k]), "route: input %d with the output's coding was not copied", k);
            }
            off += n[k];
        }
        for(k = 0; k < nin; ++k) free(own[k]);
        free(a);
        free(b);
        (void)i;
    }
    /* the table: decode then code */
    int i;
    for(i = 0; i < 20; ++i){
        int_coding a = coding(), o = coding();
        uint8_t tb[256];
        int_ops_requant_table(tb, a, o);
        int u;
        for(u = 0; u < 256; ++u) if(tb[u] != ttq_int8_quantize(a.scale*(float)(u - a.zero), 1.0f/o.scale, o.zero)) break;
        CHECK(u == 256, "requantisation table at code %d", u);
    }
}

static void test_pools(void)
{
    int t;
    for(t = 0; t < 40; ++t){
        int w = rint_(1, 17), h = rint_(1, 15), c = rint_(1, 6), batch = 1 + t % 2, size = rint_(1, 4),
            stride = rint_(1, 3), pad = rint_(0, size);
        int ow = (w + pad - size)/stride + 1, oh = (h + pad - size)/stride + 1, b, k, i, j, n, m;
        if(ow < 1 || oh < 1) continue;
        int_coding cd = coding();
        uint8_t *u = codes((size_t)w*h*c*batch), *o = malloc((size_t)ow*oh*c*batch);
        int_ops_maxpool(o, u, w, h, c, size, stride, pad, ow, oh, batch);
        int bad = 0;
        /* Darknet's forward_maxpool_layer on the decoded values, coded on the same coding */
        for(b = 0; b < batch; ++b) for(k = 0; k < c; ++k) for(i = 0; i < oh; ++i) for(j = 0; j < ow; ++j){
            float mx = -FLT_MAX;
            for(n = 0; n < size; ++n) for(m = 0; m < size; ++m){
                int y = -pad/2 + i*stride + n, x = -pad/2 + j*stride + m;
                float v = (y >= 0 && y < h && x >= 0 && x < w) ? int_ops_value(u[x + w*(y + h*(k + b*c))], cd) : -FLT_MAX;
                if(v > mx) mx = v;
            }
            bad += o[j + ow*(i + oh*(k + c*b))] != ttq_int8_quantize(mx, 1.0f/cd.scale, cd.zero);
        }
        CHECK(!bad, "maxpool w %d h %d size %d stride %d pad %d: %d outputs differ from the float layer's coded", w, h,
              size, stride, pad, bad);
        free(o);
        /* avgpool: Darknet's sum then divide, on the decoded values */
        int_coding oc = coding();
        uint8_t *aq = malloc((size_t)c*batch);
        float *af = malloc((size_t)c*batch*sizeof(float));
        int_ops_avgpool(aq, af, u, w, h, c, cd, oc, batch);
        for(b = 0; b < batch*c; ++b){
            float s = 0;
            for(i = 0; i < w*h; ++i) s += int_ops_value(u[(size_t)b*w*h + i], cd);
            s /= w*h;
            CHECK(fabsf(s - af[b]) <= 1e-5f*(1 + fabsf(s)), "avgpool %g, the float layer %g", af[b], s);
            CHECK(aq[b] == ttq_int8_quantize(af[b], 1.0f/oc.scale, oc.zero), "avgpool's code is not its value's");
        }
        free(aq);
        free(af);
        /* upsample: every code repeated stride x stride */
        int st = 1 + t % 3;
        uint8_t *up = malloc((size_t)w*h*c*batch*st*st);
        int_ops_upsample(up, u, w, h, c, st, batch);
        for(b = 0, bad = 0; b < batch*c; ++b) for(i = 0; i < h*st; ++i) for(j = 0; j < w*st; ++j){
            bad += up[(size_t)b*w*h*st*st + (size_t)i*w*st + j] != u[(size_t)b*w*h + (i/st)*w + j/st];
        }
        CHECK(!bad, "upsample stride %d: %d codes wrong", st, bad);
        free(up);
        free(u);
    }
}

static void test_decode_encode(void)
{
    int_coding c = {0.05f, 128};
    uint8_t u[256], v[256];
    float y[256];
    int i;
    for(i = 0; i < 256; ++i) u[i] = (uint8_t)i;
    int_ops_decode(y, u, 256, c);
    for(i = 0; i < 256; ++i) CHECK(y[i] == 0.05f*(float)(i - 128), "decode %d: %g", i, y[i]);
    int_ops_encode(v, y, 256, c);
    CHECK(!memcmp(u, v, 256), "encode(decode(u)) != u");
    float odd[4] = {NAN, INFINITY, -INFINITY, 1e30f};
    int_ops_encode(v, odd, 4, c);
    CHECK(v[0] == 0 && v[1] == 255 && v[2] == 0 && v[3] == 255, "encode of NaN, +-Inf, huge: %d %d %d %d", v[0], v[1],
          v[2], v[3]);
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    test_shortcut();
    test_route();
    test_pools();
    test_decode_encode();
    return t_finish();
}
