/* The direct 3x3 convolution (src/cpu_conv3x3.c) against the definition of a 3x3, pad-1
 * convolution evaluated in double: output, input delta and weight gradient, for shapes that
 * exercise every remainder (channels not a multiple of the register block, rows narrower than a
 * vector, a 1x1 image, odd sizes at stride 2), strides 1 and 2, with each kernel set this CPU
 * runs. Also checks that the convolutional layer, which picks this path for such layers, still
 * matches im2col + gemm. */
#include "testutil.h"
#include "darknet.h"
#include "convolutional_layer.h"
#include "cpu_conv3x3.h"

/* Tolerance: float accumulation error, relative to the sum of |terms| of each output. */
#define RTOL_SUM 2e-6

static unsigned rng = 12345;
static float frand(void)
{
    rng = rng*1103515245u + 12345u;
    return ((rng >> 8) & 0xffff)/32768.0f - 1.0f;
}

static float at(const float *im, int c, int h, int w, int i, int y, int x)
{
    (void)c;
    if(y < 0 || y >= h || x < 0 || x >= w) return 0;
    return im[((size_t)i*h + y)*w + x];
}

/* Compares got with the double value want, scaled by mag = sum of |terms|. */
static int close_to(double got, double want, double mag)
{
    return fabs(got - want) <= RTOL_SUM*mag + 1e-6;
}

static void check_shape(int c, int n, int h, int w, int st)
{
    int oh = st == 1 ? h : (h - 1)/2 + 1, ow = st == 1 ? w : (w - 1)/2 + 1;
    size_t nin = (size_t)c*h*w, nout = (size_t)n*oh*ow, nw = (size_t)n*c*9;
    size_t nscratch = cpu_conv3x3_thread_floats(c, n, h, w, st);
    float *im = malloc(nin*sizeof(float)), *wt = malloc(nw*sizeof(float));
    float *delta = malloc(nout*sizeof(float)), *out = malloc(nout*sizeof(float));
    float *dw = malloc(nw*sizeof(float)), *imd = malloc(nin*sizeof(float));
    float *dw0 = malloc(nw*sizeof(float)), *imd0 = malloc(nin*sizeof(float));
    float *packed = malloc(cpu_conv3x3_packed_floats(c, n)*sizeof(float));
    float *packed_b = malloc(cpu_conv3x3_packed_floats(c, n)*sizeof(float));
    float *scratch = malloc(nscratch*sizeof(float));
    double *ref = calloc(nin, sizeof(double)), *mag = calloc(nin, sizeof(double));
    size_t j;
    int o, i, y, x, ky, kx, bad = 0;

    for(j = 0; j < nin; ++j) im[j] = frand();
    for(j = 0; j < nw; ++j) wt[j] = frand();
    for(j = 0; j < nout; ++j){ delta[j] = frand(); out[j] = 1e30f; }
    for(j = 0; j < nw; ++j) dw[j] = dw0[j] = frand();
    for(j = 0; j < nin; ++j) imd[j] = imd0[j] = frand();
    /* stale scratch must not leak into results */
    for(j = 0; j < nscratch; ++j) scratch[j] = NAN;

    cpu_conv3x3_pack_forward(packed, wt, n, c);
    cpu_conv3x3_pack_backward(packed_b, wt, n, c, st);
    cpu_conv3x3_forward(out, im, packed, n, c, h, w, st, scratch);
    cpu_conv3x3_backward(dw, imd, delta, im, packed_b, n, c, h, w, st, scratch);

    /* output (y, x) reads input (st*y + ky - 1, st*x + kx - 1) */
    for(o = 0; o < n && bad < 5; ++o) for(y = 0; y < oh; ++y) for(x = 0; x < ow; ++x){
        double s = 0, m = 0;
        for(i = 0; i < c; ++i) for(ky = 0; ky < 3; ++ky) for(kx = 0; kx < 3; ++kx){
            double t = (double)wt[((size_t)o*c + i)*9 + ky*3 + kx]*at(im, c, h, w, i, st*y + ky - 1, st*x + kx - 1);
            s += t; m += fabs(t);
        }
        float g = out[((size_t)o*oh + y)*ow + x];
        if(!close_to(g, s, m)){
            CHECK(0, "c=%d n=%d h=%d w=%d stride %d: out[%d][%d][%d] = %.9g, want %.9g", c, n, h, w, st, o, y, x, g, s);
            ++bad;
        }
    }
    /* the input delta: every such product, scattered back */
    for(j = 0; j < nin; ++j){ ref[j] = imd0[j]; mag[j] = fabs(imd0[j]); }
    for(o = 0; o < n; ++o) for(y = 0; y < oh; ++y) for(x = 0; x < ow; ++x){
        for(i = 0; i < c; ++i) for(ky = 0; ky < 3; ++ky) for(kx = 0; kx < 3; ++kx){
            int yy = st*y + ky - 1, xx = st*x + kx - 1;
            if(yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            double t = (double)wt[((size_t)o*c + i)*9 + ky*3 + kx]*delta[((size_t)o*oh + y)*ow + x];
            ref[((size_t)i*h + yy)*w + xx] += t;
            mag[((size_t)i*h + yy)*w + xx] += fabs(t);
        }
    }
    for(j = 0; j < nin && bad < 5; ++j){
        if(!close_to(imd[j], ref[j], mag[j])){
            CHECK(0, "c=%d n=%d h=%d w=%d stride %d: imdelta[%zu] = %.9g, want %.9g", c, n, h, w, st, j, imd[j], ref[j]);
            ++bad;
        }
    }
    for(o = 0; o < n && bad < 5; ++o) for(i = 0; i < c; ++i) for(ky = 0; ky < 3; ++ky) for(kx = 0; kx < 3; ++kx){
        size_t k = ((size_t)o*c + i)*9 + ky*3 + kx;
        double s = dw0[k], m = fabs(s);
        for(y = 0; y < oh; ++y) for(x = 0; x < ow; ++x){
            double t = (double)delta[((size_t)o*oh + y)*ow + x]*at(im, c, h, w, i, st*y + ky - 1, st*x + kx - 1);
            s += t; m += fabs(t);
        }
        if(!close_to(dw[k], s, m)){
            CHECK(0, "c=%d n=%d h=%d w=%d stride %d: dweights[%zu] = %.9g, want %.9g", c, n, h, w, st, k, dw[k], s);
            ++bad;
        }
    }
    /* without an input delta only the weight gradient is produced */
    for(j = 0; j < nw; ++j) dw[j] = dw0[j];
    cpu_conv3x3_backward(dw, 0, delta, im, packed_b, n, c, h, w, st, scratch);
    double dmax = 0;
    for(j = 0; j < nw; ++j) if(fabs(dw[j] - dw0[j]) > dmax) dmax = fabs(dw[j] - dw0[j]);
    CHECK(dmax > 0, "c=%d n=%d h=%d w=%d stride %d: backward without input delta left dweights unchanged", c, n, h, w, st);

    free(im); free(wt); free(delta); free(out); free(dw); free(imd); free(dw0); free(imd0);
    free(packed); free(packed_b); free(scratch); free(ref); free(mag);
}

static const int shapes[][5] = {   /* c, n, h, w, stride */
    {16, 16, 32, 32, 1}, {3, 16, 32, 32, 1}, {32, 32, 16, 16, 1}, {64, 64, 8, 8, 1}, {5, 7, 9, 11, 1},
    {1, 1, 1, 1, 1}, {17, 9, 4, 3, 1}, {2, 3, 1, 7, 1}, {9, 33, 6, 2, 1}, {24, 12, 13, 13, 1}, {3, 8, 70, 5, 1},
    {16, 32, 32, 32, 2}, {32, 64, 16, 16, 2}, {3, 5, 7, 9, 2}, {4, 4, 1, 1, 2}, {5, 6, 2, 3, 2},
    {17, 9, 13, 6, 2}, {6, 10, 5, 40, 2},
};

/* Runs forward and backward of l on one path; out, din, dw: its output, input delta and
 * weight gradient. */
static void run_layer(layer l, const float *in, const float *dout, float *out, float *din, float *dw,
                      int direct)
{
    size_t nin = (size_t)l.batch*l.inputs, nout = (size_t)l.batch*l.outputs;
    network net = {0};
    if(direct) unsetenv("DARKNET_DIRECT_CONV");
    else setenv("DARKNET_DIRECT_CONV", "0", 1);
    net.workspace = calloc(1, l.workspace_size);
    net.input = (float *)in;
    net.train = 1;
    net.delta = din;
    memset(din, 0, nin*sizeof(float));
    memset(l.weight_updates, 0, l.nweights*sizeof(float));
    memset(l.bias_updates, 0, l.n*sizeof(float));
    forward_convolutional_layer(l, net);
    memcpy(out, l.output, nout*sizeof(float));
    memcpy(l.delta, dout, nout*sizeof(float));
    backward_convolutional_layer(l, net);
    memcpy(dw, l.weight_updates, l.nweights*sizeof(float));
    free(net.workspace);
    unsetenv("DARKNET_DIRECT_CONV");
}

/* A 3x3 [convolutional] layer (which takes the direct path) against the same layer on
 * im2col + gemm: output, input delta and weight gradient. */
static void check_layer(int batch, int c, int n, int h, int w, int stride, int bn)
{
    layer l = make_convolutional_layer(batch, h, w, c, n, 1, 3, stride, 1, LEAKY, bn, 0, 0, 0);
    size_t nin = (size_t)batch*c*h*w, nout = (size_t)batch*l.outputs, j;
    float *in = malloc(nin*sizeof(float)), *dout = malloc(nout*sizeof(float));
    float *out[2], *din[2], *dw[2];
    int k;
    for(k = 0; k < 2; ++k){
        out[k] = malloc(nout*sizeof(float));
        din[k] = malloc(nin*sizeof(float));
        dw[k] = malloc(l.nweights*sizeof(float));
    }
    for(j = 0; j < nin; ++j) in[j] = frand();
    for(j = 0; j < nout; ++j) dout[j] = frand();
    for(j = 0; j < (size_t)l.nweights; ++j) l.weights[j] = 0.3f*frand();
    run_layer(l, in, dout, out[0], din[0], dw[0], 1);
    run_layer(l, in, dout, out[1], din[1], dw[1], 0);
    CHECK_CLOSE("output", out[0], out[1], nout, 1e-4, 1e-4);
    CHECK_CLOSE("input delta", din[0], din[1], nin, 1e-4, 1e-4);
    CHECK_CLOSE("weight gradient", dw[0], dw[1], l.nweights, 1e-3, 1e-4);
    for(k = 0; k < 2; ++k){ free(out[k]); free(din[k]); free(dw[k]); }
    free(in); free(dout);
    free_layer(l);
}

int main(int argc, char **argv)
{
    const char *sets[] = {"avx512", "avx2"};
    int s, k, ran = 0;
    t_init(argc, argv);
    for(s = 0; s < 2; ++s){
        if(!cpu_conv3x3_force_isa(sets[s])){
            t_log("kernel set %s: not supported by this CPU, skipped\n", sets[s]);
            continue;
        }
        ++ran;
        t_log("kernel set %s\n", sets[s]);
        for(k = 0; k < (int)(sizeof shapes/sizeof shapes[0]); ++k){
            check_shape(shapes[k][0], shapes[k][1], shapes[k][2], shapes[k][3], shapes[k][4]);
        }
        check_layer(4, 16, 16, 10, 12, 1, 1);
        check_layer(3, 3, 8, 7, 5, 1, 0);
        check_layer(2, 32, 24, 6, 6, 1, 1);
        check_layer(3, 16, 32, 12, 10, 2, 1);
        check_layer(2, 5, 7, 9, 7, 2, 0);
    }
    if(!ran){
        printf("no direct-convolution kernel set runs on this CPU; nothing checked\n");
        return 77;
    }
    return t_finish();
}
