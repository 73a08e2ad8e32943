/* The optimiser step of [ternary]: Wp and Wn follow the same SGD-with-momentum rule as the weights
 * (with their own decay), Adam updates everything on the CPU as Darknet's GPU Adam does, and Wp/Wn
 * never fall below TTQ_SCALE_FLOOR. Expected values are worked out here independently. */
#include "testutil.h"

#include "darknet.h"
#include "ternary_layer.h"
#include "ttq.h"

static layer make(int adam, float decay)
{
    return make_ternary_layer(1, 4, 4, 2, 2, 1, 3, 1, 1, LINEAR, 1, adam, 0.05f, -1, 1.2f, 0.8f, decay, 0);
}

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
    update_ternary_layer(l, a);
    /* Wp: u = 2 - 0.01*4*1.2 = 1.952; wp = 1.2 + 0.1/4*1.952; u *= 0.9 */
    float u = 2.0f - 0.01f*4*1.2f;
    CHECK(fabsf(l.wp[0] - (1.2f + 0.025f*u)) < 1e-6f, "sgd wp %g want %g", l.wp[0], 1.2f + 0.025f*u);
    CHECK(fabsf(l.wp_updates[0] - 0.9f*u) < 1e-6f, "sgd wp momentum %g", l.wp_updates[0]);
    float v = -1.0f - 0.01f*4*0.8f;
    CHECK(fabsf(l.wn[0] - (0.8f + 0.025f*v)) < 1e-6f, "sgd wn %g want %g", l.wn[0], 0.8f + 0.025f*v);
    /* latent weights use the net's decay */
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
    update_ternary_layer(m, a);
    float want = 1.2f + 0.025f*(-0.001f*4*1.2f);
    CHECK(fabsf(m.wp[0] - want) < 1e-7f, "default decay: wp %.8g want %.8g", m.wp[0], want);
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
    float w0 = l.weights[1];
    l.weight_updates[1] = -2.0f;
    update_ternary_layer(l, a);
    /* first step: m = 0.1 g, v = 0.001 g^2, mhat = g, vhat = g^2: x += lr * g/(|g| + eps) */
    CHECK(fabsf(l.wp[0] - (1.2f + 0.01f)) < 1e-6f, "adam wp %g want %g", l.wp[0], 1.21f);
    CHECK(fabsf(l.wn[0] - (0.8f - 0.01f)) < 1e-6f, "adam wn %g want %g", l.wn[0], 0.79f);
    CHECK(fabsf(l.weights[1] - (w0 - 0.01f)) < 1e-6f, "adam latent %g want %g", l.weights[1], w0 - 0.01f);
    CHECK(l.wp_updates[0] == 0 && l.weight_updates[1] == 0, "adam resets the accumulated updates");
    free_layer(l);
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    test_sgd();
    test_adam();
    return t_finish();
}
