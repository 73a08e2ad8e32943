/* The optimiser step of [ternary]: the scalar references of ttq.c (ttq_sgd_ref, ttq_adam_ref,
 * ttq_floor_ref) against values worked out here by hand from their rules, then the layer's CPU
 * update against those references: Wp and Wn follow the same SGD-with-momentum rule as the weights
 * (with their own decay), Adam updates everything on the CPU as Darknet's GPU Adam does, and Wp/Wn
 * never fall below TTQ_SCALE_FLOOR. (test_kernels_emu checks the GPU kernels against the same
 * references.) */
#include "testutil.h"

#include "darknet.h"
#include "ternary_layer.h"
#include "ttq.h"

static layer make(int adam, float decay)
{
    return make_ternary_layer(1, 4, 4, 2, 2, 1, 3, 1, 1, LINEAR, 1, adam, 0.05f, -1, 1.2f, 0.8f, decay, 0);
}

static int same_bits(float a, float b)
{
    return !memcmp(&a, &b, sizeof a);
}

/* ---- the references, by hand ----------------------------------------------------------------- */
static void test_refs(void)
{
    /* SGD: batch 4, rate 0.1, momentum 0.9, decay 0.01, Wp = 1.2 with update 2:
       g = 2 - 0.01*4*1.2 = 1.952; Wp = 1.2 + 0.1/4*1.952; the update becomes 0.9 g */
    float x[2] = {1.2f, 0.8f}, d[2] = {2.0f, -1.0f};
    ttq_sgd_ref(x, d, 2, 0.01f, 0.1f, 0.9f, 4);
    float g = 2.0f - 0.01f*4*1.2f, h = -1.0f - 0.01f*4*0.8f;
    CHECK(fabsf(x[0] - (1.2f + 0.025f*g)) < 1e-6f, "ttq_sgd_ref: wp %g want %g", x[0], 1.2f + 0.025f*g);
    CHECK(fabsf(d[0] - 0.9f*g) < 1e-6f, "ttq_sgd_ref: momentum %g want %g", d[0], 0.9f*g);
    CHECK(fabsf(x[1] - (0.8f + 0.025f*h)) < 1e-6f, "ttq_sgd_ref: wn %g want %g", x[1], 0.8f + 0.025f*h);

    /* Adam, first step: m = 0.1 g, v = 0.001 g^2, mhat = g, vhat = g^2: x += rate*g/(|g| + eps) */
    float y[2] = {1.2f, 0.8f}, e[2] = {3.0f, -0.5f}, m[2] = {0}, v[2] = {0};
    ttq_adam_ref(y, e, m, v, 2, 0.9f, 0.999f, 1e-7f, 0, 0.01f, 2, 1);
    CHECK(fabsf(y[0] - 1.21f) < 1e-6f && fabsf(y[1] - 0.79f) < 1e-6f, "ttq_adam_ref: %g, %g want 1.21, 0.79",
          y[0], y[1]);
    CHECK(e[0] == 0 && e[1] == 0, "ttq_adam_ref resets the accumulated updates");
    CHECK(fabsf(m[0] - 0.3f) < 1e-6f && fabsf(v[0] - 0.009f) < 1e-6f, "ttq_adam_ref: moments %g, %g want 0.3, 0.009",
          m[0], v[0]);

    /* the floor: below it, zero, negative, NaN and -Inf become the floor; +Inf and larger values stay */
    float s[7] = {2.f, 0.f, -1.f, NAN, 1e-7f, -INFINITY, INFINITY};
    float want[7] = {2.f, TTQ_SCALE_FLOOR, TTQ_SCALE_FLOOR, TTQ_SCALE_FLOOR, TTQ_SCALE_FLOOR, TTQ_SCALE_FLOOR, INFINITY};
    int i;
    ttq_floor_ref(s, 7);
    for(i = 0; i < 7; ++i) CHECK(same_bits(s[i], want[i]), "ttq_floor_ref: [%d] %g want %g", i, s[i], want[i]);
}

/* ---- the layer's CPU update against the references ------------------------------------------- */
static void test_sgd(void)
{
    layer l = make(0, 0.01f);
    update_args a = {0};
    a.batch = 4; a.learning_rate = 0.1f; a.momentum = 0.9f; a.decay = 0.001f;
    l.learning_rate_scale = 1;
    l.wp_updates[0] = 2.0f;
    l.wn_updates[0] = -1.0f;
    float w0 = l.weights[0];
    l.weight_updates[0] = 0.5f;
    float wp = l.wp[0], wpu = l.wp_updates[0], wn = l.wn[0], wnu = l.wn_updates[0];
    update_ternary_layer(l, a);
    ttq_sgd_ref(&wp, &wpu, 1, 0.01f, 0.1f, 0.9f, 4);     /* the layer's own decay */
    ttq_sgd_ref(&wn, &wnu, 1, 0.01f, 0.1f, 0.9f, 4);
    ttq_floor_ref(&wp, 1);
    ttq_floor_ref(&wn, 1);
    CHECK(same_bits(l.wp[0], wp) && same_bits(l.wp_updates[0], wpu), "sgd: wp %.9g (update %.9g), ttq_sgd_ref %.9g (%.9g)",
          l.wp[0], l.wp_updates[0], wp, wpu);
    CHECK(same_bits(l.wn[0], wn) && same_bits(l.wn_updates[0], wnu), "sgd: wn %.9g (update %.9g), ttq_sgd_ref %.9g (%.9g)",
          l.wn[0], l.wn_updates[0], wn, wnu);
    /* latent weights use the net's decay (Darknet's update_convolutional_layer) */
    float uw = 0.5f - 0.001f*4*w0;
    CHECK(fabsf(l.weights[0] - (w0 + 0.025f*uw)) < 1e-6f, "sgd latent weight %g want %g", l.weights[0], w0 + 0.025f*uw);

    /* a huge negative update cannot make Wn negative */
    l.wn_updates[0] = -1e6f;
    update_ternary_layer(l, a);
    CHECK(l.wn[0] == TTQ_SCALE_FLOOR, "floor: wn %g", l.wn[0]);
    free_layer(l);

    /* default decay (-1) follows the network's */
    layer m = make(0, -1);
    m.learning_rate_scale = 1;
    wp = m.wp[0];
    wpu = m.wp_updates[0];
    update_ternary_layer(m, a);
    ttq_sgd_ref(&wp, &wpu, 1, a.decay, 0.1f, 0.9f, 4);
    CHECK(same_bits(m.wp[0], wp), "default decay: wp %.9g, ttq_sgd_ref with the net's decay %.9g", m.wp[0], wp);
    free_layer(m);
}

static void test_adam(void)
{
    layer l = make(1, 0);
    update_args a = {0};
    a.batch = 2; a.learning_rate = 0.01f; a.adam = 1; a.B1 = 0.9f; a.B2 = 0.999f; a.eps = 1e-7f;
    a.t = 1; a.decay = 0;
    l.learning_rate_scale = 1;
    l.wp_updates[0] = 3.0f;
    l.wn_updates[0] = -0.5f;
    l.weight_updates[1] = -2.0f;
    float wp = l.wp[0], wpu = l.wp_updates[0], wpm = 0, wpv = 0;
    float wn = l.wn[0], wnu = l.wn_updates[0], wnm = 0, wnv = 0;
    float w1 = l.weights[1], w1u = l.weight_updates[1], w1m = 0, w1v = 0;
    update_ternary_layer(l, a);
    ttq_adam_ref(&wp, &wpu, &wpm, &wpv, 1, a.B1, a.B2, a.eps, 0, 0.01f, 2, 1);
    ttq_adam_ref(&wn, &wnu, &wnm, &wnv, 1, a.B1, a.B2, a.eps, 0, 0.01f, 2, 1);
    ttq_adam_ref(&w1, &w1u, &w1m, &w1v, 1, a.B1, a.B2, a.eps, 0, 0.01f, 2, 1);
    ttq_floor_ref(&wp, 1);
    ttq_floor_ref(&wn, 1);
    CHECK(same_bits(l.wp[0], wp) && same_bits(l.wp_m[0], wpm) && same_bits(l.wp_v[0], wpv),
          "adam wp %.9g, ttq_adam_ref %.9g", l.wp[0], wp);
    CHECK(same_bits(l.wn[0], wn) && same_bits(l.wn_m[0], wnm) && same_bits(l.wn_v[0], wnv),
          "adam wn %.9g, ttq_adam_ref %.9g", l.wn[0], wn);
    CHECK(same_bits(l.weights[1], w1), "adam latent %.9g, ttq_adam_ref %.9g", l.weights[1], w1);
    /* and the first step's closed form (test_refs): Wp up by the rate, Wn down by it */
    CHECK(fabsf(l.wp[0] - 1.21f) < 1e-6f && fabsf(l.wn[0] - 0.79f) < 1e-6f, "adam wp %g, wn %g want 1.21, 0.79",
          l.wp[0], l.wn[0]);
    CHECK(l.wp_updates[0] == 0 && l.weight_updates[1] == 0, "adam resets the accumulated updates");
    free_layer(l);
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    test_refs();
    test_sgd();
    test_adam();
    return t_finish();
}
