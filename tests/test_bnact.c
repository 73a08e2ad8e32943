/* Fused batch norm + activation (src/cpu_bnact.c) against Darknet's own separate passes
 * (forward_batchnorm_layer + activate_array; gradient_array + backward_batchnorm_layer) on the
 * same data: outputs, x_norm, batch and rolling statistics, scale/bias updates and the delta
 * passed back, for each activation the fused path supports, and for data with a large mean. */
#include "testutil.h"
#include "darknet.h"
#include "batchnorm_layer.h"
#include "activations.h"
#include "convolutional_layer.h"
#include "cpu_bnact.h"

static unsigned rng = 777;
static float frand(void)
{
    rng = rng*1103515245u + 12345u;
    return ((rng >> 8) & 0xffff)/32768.0f - 1.0f;
}

static void check(int batch, int c, int h, int w, ACTIVATION a, float offset)
{
    layer r = make_convolutional_layer(batch, h, w, c, c, 1, 3, 1, 1, a, 1, 0, 0, 0);
    layer f = make_convolutional_layer(batch, h, w, c, c, 1, 3, 1, 1, a, 1, 0, 0, 0);
    size_t n = (size_t)batch*r.outputs, j;
    int spatial = r.out_h*r.out_w, i;
    float *x = malloc(n*sizeof(float)), *dy = malloc(n*sizeof(float));
    network net = {0};
    net.train = 1;
    for(j = 0; j < n; ++j){ x[j] = 2*frand() + offset; dy[j] = frand(); }
    for(i = 0; i < c; ++i){
        r.scales[i] = f.scales[i] = 1 + 0.5f*frand();
        r.biases[i] = f.biases[i] = 0.2f*frand();
        r.rolling_mean[i] = f.rolling_mean[i] = 0.1f*frand();
        r.rolling_variance[i] = f.rolling_variance[i] = 1 + 0.1f*frand();
        r.scale_updates[i] = f.scale_updates[i] = frand();
        r.bias_updates[i] = f.bias_updates[i] = frand();
    }

    memcpy(r.output, x, n*sizeof(float));
    forward_batchnorm_layer(r, net);
    activate_array(r.output, n, a);
    memcpy(r.delta, dy, n*sizeof(float));
    gradient_array(r.output, n, a, r.delta);
    backward_batchnorm_layer(r, net);

    memcpy(f.output, x, n*sizeof(float));
    cpu_bnact_forward_train(f.output, f.x_norm, f.mean, f.variance, f.rolling_mean,
                            f.rolling_variance, f.scales, f.biases, batch, c, spatial, a);
    memcpy(f.delta, dy, n*sizeof(float));
    cpu_bnact_backward(f.delta, f.output, f.x_norm, f.variance, f.scales, f.scale_updates,
                       f.bias_updates, batch, c, spatial, a);

    /* batch statistics against double precision */
    for(i = 0; i < c; ++i){
        double m = 0, v = 0;
        int b, k;
        for(b = 0; b < batch; ++b) for(k = 0; k < spatial; ++k) m += x[((size_t)b*c + i)*spatial + k];
        m /= (double)batch*spatial;
        for(b = 0; b < batch; ++b) for(k = 0; k < spatial; ++k){
            double d = x[((size_t)b*c + i)*spatial + k] - m;
            v += d*d;
        }
        v /= (double)batch*spatial;
        /* float sums of a few thousand terms, in any order (unvectorised under the sanitizers):
         * ~1e-5 relative; an unshifted one-pass variance would be off by far more at offset 30 */
        CHECK(fabs(f.mean[i] - m) <= 1e-5*(1 + fabs(m)), "channel %d: mean %.9g, want %.9g", i, f.mean[i], m);
        CHECK(fabs(f.variance[i] - v) <= 1e-6 + 1e-4*v, "channel %d: variance %.9g, want %.9g", i, f.variance[i], v);
    }
    t_log("batch %d, %d channels of %dx%d, activation %d, mean offset %g\n", batch, c, h, w, (int)a, offset);
    /* Darknet's own float mean is off by ~1e-5 when the mean is far from zero */
    CHECK_CLOSE("output", f.output, r.output, n, 5e-5, 1e-4);
    CHECK_CLOSE("x_norm", f.x_norm, r.x_norm, n, 5e-5, 1e-4);
    CHECK_CLOSE("mean", f.mean, r.mean, c, 1e-6, 1e-4);
    CHECK_CLOSE("variance", f.variance, r.variance, c, 1e-6, 1e-4);
    CHECK_CLOSE("rolling mean", f.rolling_mean, r.rolling_mean, c, 1e-6, 1e-4);
    CHECK_CLOSE("rolling variance", f.rolling_variance, r.rolling_variance, c, 1e-6, 1e-4);
    CHECK_CLOSE("scale updates", f.scale_updates, r.scale_updates, c, 1e-4, 1e-4);
    CHECK_CLOSE("bias updates", f.bias_updates, r.bias_updates, c, 1e-4, 1e-4);
    CHECK_CLOSE("delta", f.delta, r.delta, n, 1e-5, 1e-3);
    free(x); free(dy);
    free_layer(r); free_layer(f);
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    CHECK(cpu_bnact_supports(LEAKY) && cpu_bnact_supports(RELU) && cpu_bnact_supports(LINEAR)
          && !cpu_bnact_supports(LOGISTIC), "supported activations");
    check(3, 5, 7, 6, LEAKY, 0.3f);
    check(3, 5, 7, 6, RELU, 0.3f);
    check(2, 4, 9, 9, LINEAR, 0.3f);
    check(16, 8, 16, 16, LEAKY, 0.3f);
    check(2, 3, 1, 1, LEAKY, 0.3f);
    check(8, 4, 16, 16, LEAKY, 30.f);     /* a mean far from zero: the one-pass variance must hold */
    return t_finish();
}
