/* make test-gpu: the [ternary] GPU path against the CPU path (GPU builds only).
 *
 * For several shapes (1x1 with stride 2 and with padding among them) and both threshold modes,
 * with and without batch_normalize: forward output, the input delta (which starts non-zero, as
 * after a shortcut: backward must add to it), the latent/Wp/Wn/bias updates after backward, and the parameters after one SGD
 * and one Adam update must agree within the tolerances below (cuDNN and cuBLAS sum in other
 * orders than the CPU, so not bit for bit; TF32 is switched off). The threshold and the ternary
 * weights must be equal bit for bit. Then a short training run on the GPU (loss falls, Wp
 * and Wn move), and weights saved from it load into a CPU network with the same predictions.
 * All of it twice: with the fused TTQ kernels (the default) and the unfused ones
 * (DARKNET_TTQ_FUSED=0); two shapes are large enough for the multi-block threshold path.
 * Without a GPU it prints "skipped" and exits 77. */
#include "testutil.h"

#include <cuda_runtime.h>

#include "darknet.h"
#include "blas.h"
#include "cuda.h"
#include "ternary_layer.h"

#define FWD_TOL 1e-4     /* relative, forward outputs */
#define GRAD_TOL 2e-3    /* relative to the largest magnitude, gradients and updates */

typedef struct { int batch, c, hw, n, groups, size, stride, pad, bn; float t, r; int per_filter; } shape;

static float frand(unsigned *s)
{
    *s = *s*1103515245u + 12345u;
    return ((*s >> 8) & 0xFFFF)/65536.f*2 - 1;
}

static double maxabs(const float *x, int n)
{
    double m = 0;
    int i;
    for(i = 0; i < n; ++i) if(fabs(x[i]) > m) m = fabs(x[i]);
    return m;
}

static void pull(float *dst, float *src_gpu, int n)
{
    cuda_pull_array(src_gpu, dst, n);
}

static void compare(const char *what, const float *gpu, const float *cpu, int n, double rtol)
{
    double scale = maxabs(cpu, n) + 1e-6;
    CHECK_CLOSE(what, gpu, cpu, n, rtol*scale, 0);
}

static void check_shape(shape s, int adam, unsigned seed)
{
    int i;
    char name[160];
    const char *e = getenv("DARKNET_TTQ_FUSED");
    snprintf(name, sizeof name, "b%d c%d %dx%d n%d g%d k%d s%d bn%d %s%s%s%s", s.batch, s.c, s.hw, s.hw,
             s.n, s.groups, s.size, s.stride, s.bn, s.r >= 0 ? "sparsity" : "threshold",
             s.per_filter ? " per-filter" : "", adam ? " adam" : "", (e && !strcmp(e, "0")) ? " unfused" : "");
    t_log("%s\n", name);
    gpu_index = -1;
    layer c = make_ternary_layer(s.batch, s.hw, s.hw, s.c, s.n, s.groups, s.size, s.stride, s.pad,
                                 LEAKY, s.bn, adam, s.t, s.r, 1.1f, 0.9f, -1, s.per_filter);
    gpu_index = 0;
    layer g = make_ternary_layer(s.batch, s.hw, s.hw, s.c, s.n, s.groups, s.size, s.stride, s.pad,
                                 LEAKY, s.bn, adam, s.t, s.r, 1.1f, 0.9f, -1, s.per_filter);
    int k = c.ttq_nscales;
    /* per filter: different starting scales, so that a mixed-up group shows */
    for(i = 0; i < k; ++i){ c.wp[i] = g.wp[i] = 1.1f + 0.01f*i; c.wn[i] = g.wn[i] = 0.9f - 0.005f*i; }
    int ni = c.inputs*s.batch, no = c.outputs*s.batch;
    for(i = 0; i < c.nweights; ++i) c.weights[i] = g.weights[i] = frand(&seed);
    for(i = 0; i < c.n; ++i){ c.biases[i] = g.biases[i] = 0.1f*frand(&seed); if(s.bn) c.scales[i] = g.scales[i] = 1 + 0.1f*frand(&seed); }
    push_ternary_layer(g);

    float *x = malloc(ni*sizeof(float)), *r = malloc(no*sizeof(float)), *buf = malloc((ni > no ? ni : no)*sizeof(float));
    float *big = malloc((c.nweights > ni ? c.nweights : ni)*sizeof(float));
    for(i = 0; i < ni; ++i) x[i] = frand(&seed);
    for(i = 0; i < no; ++i) r[i] = frand(&seed);

    /* the input delta starts with what a shortcut would have put there: backward must add to it
       (patches 0402, 0413) */
    float *d0 = malloc(ni*sizeof(float));
    for(i = 0; i < ni; ++i) d0[i] = 0.5f*frand(&seed);
    network nc = {0}, ng = {0};
    nc.input = x; nc.delta = malloc(ni*sizeof(float)); nc.train = 1;
    memcpy(nc.delta, d0, ni*sizeof(float));
    nc.workspace = calloc(c.workspace_size/sizeof(float) + 1, sizeof(float));
    ng.input_gpu = cuda_make_array(x, ni); ng.delta_gpu = cuda_make_array(d0, ni); ng.train = 1;
    ng.workspace = cuda_make_array(0, g.workspace_size/sizeof(float) + 1);
    free(d0);

    forward_ternary_layer(c, nc);
    forward_ternary_layer_gpu(g, ng);
    pull(buf, g.output_gpu, no);
    compare("forward output", buf, c.output, no, FWD_TOL);
    pull(big, g.ttq_delta_gpu, k);
    for(i = 0; i < k; ++i){
        CHECK(big[i] == c.ttq_delta[i], "%s: threshold %d GPU %.9g CPU %.9g", name, i, big[i], c.ttq_delta[i]);
    }
    pull(big, g.ternary_weights_gpu, c.nweights);
    CHECK_CLOSE("ternary weights", big, c.ternary_weights, c.nweights, 0, 0);

    memcpy(c.delta, r, no*sizeof(float));
    cuda_push_array(g.delta_gpu, r, no);
    backward_ternary_layer(c, nc);
    backward_ternary_layer_gpu(g, ng);
    pull(big, ng.delta_gpu, ni);
    compare("input delta", big, nc.delta, ni, GRAD_TOL);
    pull_ternary_layer(g);
    compare("latent weight updates", g.weight_updates, c.weight_updates, c.nweights, GRAD_TOL);
    compare("conv update for q", g.ternary_updates, c.ternary_updates, c.nweights, GRAD_TOL);
    compare("bias updates", g.bias_updates, c.bias_updates, c.n, GRAD_TOL);
    for(i = 0; i < k; ++i){
        double sc = fabs(c.wp_updates[i]) + fabs(c.wn_updates[i]) + 1e-6;
        CHECK(fabs(g.wp_updates[i] - c.wp_updates[i]) < GRAD_TOL*sc && fabs(g.wn_updates[i] - c.wn_updates[i]) < GRAD_TOL*sc,
              "%s: Wp/Wn updates %d GPU %g/%g CPU %g/%g", name, i, g.wp_updates[i], g.wn_updates[i], c.wp_updates[i], c.wn_updates[i]);
    }

    update_args a = {0};
    a.batch = s.batch; a.learning_rate = 0.05f; a.momentum = 0.9f; a.decay = 0.0005f;
    a.adam = adam; a.B1 = 0.9f; a.B2 = 0.999f; a.eps = 1e-7f; a.t = 1;
    c.learning_rate_scale = g.learning_rate_scale = 1;
    update_ternary_layer(c, a);
    update_ternary_layer_gpu(g, a);
    pull_ternary_layer(g);
    compare("latent weights after update", g.weights, c.weights, c.nweights, GRAD_TOL);
    for(i = 0; i < k; ++i){
        CHECK(fabs(g.wp[i] - c.wp[i]) < 1e-4 && fabs(g.wn[i] - c.wn[i]) < 1e-4,
              "%s: Wp/Wn %d after update GPU %g/%g CPU %g/%g", name, i, g.wp[i], g.wn[i], c.wp[i], c.wn[i]);
    }

    cuda_free(ng.input_gpu); cuda_free(ng.delta_gpu); cuda_free(ng.workspace);
    free(nc.delta); free(nc.workspace); free(x); free(r); free(buf); free(big);
    free_layer(c);
    free_layer(g);
}

static void train_on_gpu(void)
{
    const char *cfg = "/tmp/ttq-gpu-test.cfg";
    t_write_file(cfg, "[net]\nbatch=16\nheight=12\nwidth=12\nchannels=3\nlearning_rate=0.05\nmomentum=0.9\ndecay=0.0005\nmax_batches=100\n\n"
                      "[convolutional]\nfilters=8\nsize=3\npad=1\nbatch_normalize=1\nactivation=leaky\n\n"
                      "[ternary]\nfilters=8\nsize=3\nstride=2\npad=1\nbatch_normalize=1\nactivation=leaky\n\n"
                      "[ternary]\nfilters=8\nsize=3\npad=1\nbatch_normalize=1\nactivation=leaky\nsparsity=0.3\n\n"
                      "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n\n[avgpool]\n\n[softmax]\n");
    gpu_index = 0;
    srand(5);
    network *net = parse_network_cfg((char *)cfg);
    data d = {0};
    d.X = make_matrix(net->batch, net->inputs);
    d.y = make_matrix(net->batch, net->outputs);
    int i, j, it;
    for(i = 0; i < net->batch; ++i){
        int cls = i % 2;
        for(j = 0; j < net->inputs; ++j) d.X.vals[i][j] = (float)((j % 12) < 6) == cls ? 0.9f : 0.1f;
        d.y.vals[i][cls] = 1;
    }
    float first = 0, last = 0;
    for(it = 0; it < 60; ++it){
        last = train_network(net, d);
        if(it == 0) first = last;
    }
    CHECK(last < 0.5f*first, "GPU training: loss %g -> %g did not fall", first, last);
    pull_ternary_layer(net->layers[1]);
    CHECK(net->layers[1].wp[0] != 1.f && net->layers[1].wn[0] != 1.f, "GPU training: Wp/Wn did not move");

    /* weights saved from the GPU run give the same predictions in a CPU network */
    save_weights(net, "/tmp/ttq-gpu-test.weights");
    float *pg = malloc(net->outputs*net->batch*sizeof(float));
    memcpy(pg, network_predict(net, d.X.vals[0]), net->outputs*sizeof(float));
    gpu_index = -1;
    network *cpu = parse_network_cfg((char *)cfg);
    load_weights(cpu, "/tmp/ttq-gpu-test.weights");
    float *pc = network_predict(cpu, d.X.vals[0]);
    compare("CPU predictions from GPU weights", pg, pc, net->outputs, 1e-3);
    free(pg);
    free_data(d);
    free_network(cpu);
    gpu_index = 0;
    free_network(net);
    unlink(cfg);
    unlink("/tmp/ttq-gpu-test.weights");
}

int main(int argc, char **argv)
{
    /* FP32 convolutions in FP32: cuDNN may otherwise use TF32 tensor cores on Ampere and later
       (about 1e-3 relative error), which the tolerances below are not meant to absorb */
    setenv("NVIDIA_TF32_OVERRIDE", "0", 1);
    int n = 0;
    if(cudaGetDeviceCount(&n) != cudaSuccess || n == 0){
        printf("test_gpu_ternary: skipped (no GPU)\n");
        return 77;
    }
    t_init(argc, argv);
    cuda_set_device(0);
    shape shapes[] = {
        {4, 3, 10, 8, 1, 3, 1, 1, 0, 0.05f, -1, 0},
        {4, 8, 9, 16, 1, 3, 2, 1, 1, 0.05f, -1, 0},
        {2, 8, 8, 8, 2, 3, 1, 1, 1, 0.2f, -1, 0},
        {3, 6, 7, 12, 1, 1, 1, 0, 1, -1, 0.4f, 0},
        /* 1x1 with stride 2, and with padding: through im2col (patch 0410) */
        {2, 6, 7, 8, 1, 1, 2, 0, 1, 0.05f, -1, 0},
        {2, 6, 7, 8, 1, 1, 1, 1, 0, 0.05f, -1, 0},
        {2, 16, 6, 32, 1, 3, 1, 1, 0, -1, 0.0f, 0},
        /* more weights (73 728) than the fused threshold kernel takes: the multi-block path */
        {1, 64, 4, 128, 1, 3, 1, 1, 1, 0.05f, -1, 0},
        {1, 64, 4, 128, 1, 3, 1, 1, 0, -1, 0.5f, 0},
        /* per_filter=1: a Wp, Wn and threshold per filter (scale groups of 72, 144 and 576) */
        {4, 8, 9, 16, 1, 3, 2, 1, 1, 0.05f, -1, 1},
        {2, 16, 6, 32, 1, 3, 1, 1, 0, -1, 0.3f, 1},
        {1, 64, 4, 128, 1, 3, 1, 1, 1, 0.05f, -1, 1},
    };
    int i, fused;
    /* the fused kernels (the default) and the unfused ones (DARKNET_TTQ_FUSED=0) */
    for(fused = 1; fused >= 0; --fused){
        if(fused) unsetenv("DARKNET_TTQ_FUSED");
        else setenv("DARKNET_TTQ_FUSED", "0", 1);
        for(i = 0; i < (int)(sizeof shapes/sizeof shapes[0]); ++i){
            check_shape(shapes[i], 0, 10 + i);
            check_shape(shapes[i], 1, 20 + i);
        }
        train_on_gpu();
    }
    return t_finish();
}
