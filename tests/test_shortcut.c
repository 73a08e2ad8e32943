/* The one-pass [shortcut] (patch 0307) against Darknet's own three-pass sequence, built here
 * from the same helpers upstream uses (copy_cpu, shortcut_cpu, activate_array; gradient_array,
 * axpy_cpu, shortcut_cpu): output and the deltas passed to the input and the added layer. */
#include "testutil.h"
#include "darknet.h"
#include "blas.h"
#include "activations.h"
#include "shortcut_layer.h"

static unsigned rng = 99;
static float frand(void)
{
    rng = rng*1103515245u + 12345u;
    return ((rng >> 8) & 0xffff)/32768.0f - 1.0f;
}

static void check(int batch, int w, int h, int c, ACTIVATION a, float alpha, float beta)
{
    layer from = {0};
    layer l = make_shortcut_layer(batch, 0, w, h, c, w, h, c);
    size_t n = (size_t)batch*l.outputs, j;
    float *in = malloc(n*sizeof(float)), *dout = malloc(n*sizeof(float));
    float *din = malloc(n*sizeof(float)), *dfrom = malloc(n*sizeof(float));
    float *ref_out = malloc(n*sizeof(float)), *ref_delta = malloc(n*sizeof(float));
    float *ref_din = malloc(n*sizeof(float)), *ref_dfrom = malloc(n*sizeof(float));
    network net = {0};
    l.activation = a;
    l.alpha = alpha;
    l.beta = beta;
    from.output = malloc(n*sizeof(float));
    from.delta = dfrom;
    for(j = 0; j < n; ++j){
        in[j] = frand(); from.output[j] = frand(); dout[j] = frand();
        din[j] = ref_din[j] = frand(); dfrom[j] = ref_dfrom[j] = frand();
    }
    net.layers = &from;
    net.input = in;
    net.delta = din;
    net.train = 1;

    copy_cpu(n, in, 1, ref_out, 1);
    shortcut_cpu(batch, w, h, c, from.output, w, h, c, alpha, beta, ref_out);
    activate_array(ref_out, n, a);
    copy_cpu(n, dout, 1, ref_delta, 1);
    gradient_array(ref_out, n, a, ref_delta);
    axpy_cpu(n, alpha, ref_delta, 1, ref_din, 1);
    shortcut_cpu(batch, w, h, c, ref_delta, w, h, c, 1, beta, ref_dfrom);

    forward_shortcut_layer(l, net);
    memcpy(l.delta, dout, n*sizeof(float));
    backward_shortcut_layer(l, net);

    t_log("batch %d, %dx%dx%d, activation %d, alpha %g, beta %g\n", batch, w, h, c, (int)a, alpha, beta);
    CHECK_CLOSE("output", l.output, ref_out, n, 1e-6, 1e-6);
    CHECK_CLOSE("delta", l.delta, ref_delta, n, 1e-6, 1e-6);
    CHECK_CLOSE("input delta", din, ref_din, n, 1e-6, 1e-6);
    CHECK_CLOSE("added layer delta", dfrom, ref_dfrom, n, 1e-6, 1e-6);
    free(in); free(dout); free(din); free(dfrom); free(from.output);
    free(ref_out); free(ref_delta); free(ref_din); free(ref_dfrom);
    free_layer(l);
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    check(2, 5, 4, 3, RELU, 1, 1);
    check(2, 5, 4, 3, LEAKY, 1, 1);
    check(3, 7, 7, 2, LINEAR, 0.5f, 2);
    check(128, 16, 16, 8, RELU, 1, 1);     /* large enough for the parallel loops */
    check(2, 3, 3, 2, LOGISTIC, 1, 1);     /* not one-pass: Darknet's own sequence */
    return t_finish();
}
