/* make bench-infer's XNNPACK engines: a Darknet network rebuilt layer by layer through XNNPACK's
 * subgraph C API (Debian's libxnnpack-dev), timed like the other engines.
 *
 *   infer_xnnpack fp32|qs8|qs8u CFG WEIGHTS BATCH THREADS SECONDS
 *
 * prints "engine=xnnpack-fp32|xnnpack-qs8 batch=B threads=T median_ms=X backend=xnnpack-subgraph".
 *
 * The network is loaded with libdarknet (a packed file with the integer graph's record, so the
 * same weights and the same codings as our integer path). XNNPACK works in NHWC; every layer
 * becomes the node that computes what Darknet computes:
 *   [convolutional] / [ternary]  Convolution 2D, batch norm folded (the ternary weights {+Wp, 0, -Wn});
 *                                relu fused as the output's clamp, linear unclamped
 *   [shortcut]                   Add; a source larger by a stride with fewer channels first goes
 *                                through a 1x1 convolution of that stride holding the identity (the
 *                                sampling and the zero channels of Darknet's shortcut: a little
 *                                more work than ours, stated)
 *   [avgpool] [connected] [softmax]   Global Average Pooling, Fully Connected, Softmax, in FP32
 * qs8: every tensor up to the [avgpool] as signed 8-bit with the integer graph's codings (a
 * code u with zero z becomes u - 128 with zero z - 128: the same values), weights int8 per output
 * channel (the [ternary] layers' levels and the [convolutional] layers' round(w/s), as our path and
 * the ONNX export use), int32 biases; the input converted from float, the last shortcut's output
 * converted back to float. qs8u: the same with every tensor's scale 1/16, for networks whose codings
 * XNNPACK refuses (the random-weight ResNet-20 of the bench: activations that die out give scale
 * ratios beyond what its requantisation accepts); its time does not depend on the scales.
 * XNNPACK picks its own kernels from the CPU (cpuinfo); Debian's 2022
 * build has no VNNI kernels for QS8.
 * Other layer types are refused (the bench uses ResNet-20). Exit status 2 when XNNPACK refuses a
 * node (the bench then reports the engine as unavailable). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthreadpool.h>
#include <xnnpack.h>

#include "darknet.h"
#include "int_graph.h"
#include "ternary_layer.h"
#include "ttq_int8.h"

static void die(int code, const char *what)
{
    fprintf(stderr, "infer_xnnpack: %s\n", what);
    exit(code);
}

static void ok(enum xnn_status s, const char *what)
{
    if(s != xnn_status_success){
        fprintf(stderr, "infer_xnnpack: XNNPACK refused %s (status %d)\n", what, (int)s);
        exit(2);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9*ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* batch norm folded: w' = w k, b' = b - mean k, k = scale / sqrt(var + 1e-5) */
static void bn_fold(layer l, int f, float *k, float *b)
{
    if(l.batch_normalize){
        *k = l.scales[f]/sqrtf(l.rolling_variance[f] + .00001f);
        *b = l.biases[f] - l.rolling_mean[f]*(*k);
    } else {
        *k = 1;
        *b = l.biases[f];
    }
}

typedef struct {
    xnn_subgraph_t sg;
    int qs8, uniform;
    network *net;
    size_t batch;
} builder;

/* a tensor [batch, h, w, c]: fp32, or qs8 on tensor p's coding */
static uint32_t tensor(builder *B, int p, int h, int w, int c, uint32_t ext, uint32_t flags)
{
    size_t dims[4] = {B->batch, (size_t)h, (size_t)w, (size_t)c};
    uint32_t id;
    float s;
    int z;
    if(B->qs8){
        if(!int_graph_tensor(B->net, p, &s, &z)) die(1, "a tensor without a coding: pack the weights with -calib");
        if(B->uniform){
            s = 1.0f/16;
            z = 0;
        }
        ok(xnn_define_quantized_tensor_value(B->sg, xnn_datatype_qint8, z - 128, s, 4, dims, 0, ext, flags, &id),
           "a quantised tensor");
    } else {
        ok(xnn_define_tensor_value(B->sg, xnn_datatype_fp32, 4, dims, 0, ext, flags, &id), "a tensor");
    }
    return id;
}

/* the convolution of layer i (weights OHWI), input x, output y */
static void conv(builder *B, int i, layer l, uint32_t x, uint32_t y)
{
    int per = l.nweights/l.n, cg = l.c/l.groups, f, j, ky, kx;
    const float *w = l.weights;
    if(l.type == TERNARY){
        ternarize_ternary_layer(l);
        w = l.ternary_weights;
    }
    size_t wd[4] = {(size_t)l.n, (size_t)l.size, (size_t)l.size, (size_t)cg}, bd[1] = {(size_t)l.n};
    uint32_t wid, bid;
    float lo = l.activation == RELU ? 0 : -INFINITY, hi = INFINITY;
    if(l.activation != RELU && l.activation != LINEAR) die(1, "an activation other than relu or linear");
    if(!B->qs8){
        float *wf = malloc(sizeof(float)*l.nweights), *bf = malloc(sizeof(float)*l.n);
        for(f = 0; f < l.n; ++f){
            float k;
            bn_fold(l, f, &k, &bf[f]);
            for(ky = 0; ky < l.size; ++ky) for(kx = 0; kx < l.size; ++kx) for(j = 0; j < cg; ++j){
                wf[((size_t)(f*l.size + ky)*l.size + kx)*cg + j] = w[(size_t)f*per + ((size_t)j*l.size + ky)*l.size + kx]*k;
            }
        }
        ok(xnn_define_tensor_value(B->sg, xnn_datatype_fp32, 4, wd, wf, XNN_INVALID_VALUE_ID, 0, &wid), "weights");
        ok(xnn_define_tensor_value(B->sg, xnn_datatype_fp32, 1, bd, bf, XNN_INVALID_VALUE_ID, 0, &bid), "a bias");
    } else {
        /* the integer path's weights: levels per output channel, the batch norm in the scale */
        float is;
        int iz;
        int_graph_tensor(B->net, i - 1, &is, &iz);
        if(B->uniform) is = 1.0f/16;
        int8_t *wq = malloc(l.nweights), *lv = malloc(per);
        float *ws = malloc(sizeof(float)*l.n);
        int32_t *bq = malloc(sizeof(int32_t)*l.n);
        float *bs = malloc(sizeof(float)*l.n);
        for(f = 0; f < l.n; ++f){
            float k, b, s;
            bn_fold(l, f, &k, &b);
            if(l.type == TERNARY){
                int g = (f*per)/(l.nweights/l.ttq_nscales), p, n;
                ttq_int8_levels(l.wp[g], l.wn[g], &p, &n, &s);
                for(j = 0; j < per; ++j) lv[j] = (int8_t)(w[(size_t)f*per + j] > 0 ? p : w[(size_t)f*per + j] < 0 ? -n : 0);
            } else {
                s = ttq_int8_channel_levels(w + (size_t)f*per, per, lv);
                if(s < 0) die(1, "a weight that is not finite");
            }
            int sign = k < 0 ? -1 : 1;
            ws[f] = s*k*sign;
            if(!(ws[f] > 0)){
                ws[f] = 1;
                memset(lv, 0, per);
            }
            for(ky = 0; ky < l.size; ++ky) for(kx = 0; kx < l.size; ++kx) for(j = 0; j < cg; ++j){
                wq[((size_t)(f*l.size + ky)*l.size + kx)*cg + j] = (int8_t)(sign*lv[((size_t)j*l.size + ky)*l.size + kx]);
            }
            bs[f] = is*ws[f];
            bq[f] = (int32_t)lrint(b/bs[f]);
        }
        ok(xnn_define_channelwise_quantized_tensor_value(B->sg, xnn_datatype_qcint8, ws, 4, 0, wd, wq,
                                                         XNN_INVALID_VALUE_ID, 0, &wid), "int8 weights");
        ok(xnn_define_channelwise_quantized_tensor_value(B->sg, xnn_datatype_qcint32, bs, 1, 0, bd, bq,
                                                         XNN_INVALID_VALUE_ID, 0, &bid), "int32 biases");
        free(lv);
    }
    ok(xnn_define_convolution_2d(B->sg, l.pad, l.pad, l.pad, l.pad, l.size, l.size, l.stride, l.stride, 1, 1, l.groups,
                                 cg, l.n/l.groups, lo, hi, x, wid, bid, y, 0), "a convolution");
}

int main(int argc, char **argv)
{
    if(argc != 7) die(1, "usage: infer_xnnpack fp32|qs8|qs8u CFG WEIGHTS BATCH THREADS SECONDS");
    int uniform = !strcmp(argv[1], "qs8u"), qs8 = uniform || !strcmp(argv[1], "qs8"), batch = atoi(argv[4]),
        threads = atoi(argv[5]), i;
    double secs = atof(argv[6]);
    if(!qs8 && strcmp(argv[1], "fp32")) die(1, "the first argument is fp32, qs8 or qs8u");
    network *net = load_network(argv[2], argv[3], 0);
    set_batch_network(net, batch);
    ok(xnn_initialize(0), "initialisation");
    builder B = {0, qs8, uniform, net, (size_t)batch};
    ok(xnn_create_subgraph(2, 0, &B.sg), "a subgraph");
    uint32_t *out = calloc(net->n + 1, sizeof(uint32_t)), in_f;
    size_t idims[4] = {(size_t)batch, (size_t)net->h, (size_t)net->w, (size_t)net->c};
    ok(xnn_define_tensor_value(B.sg, xnn_datatype_fp32, 4, idims, 0, 0, XNN_VALUE_FLAG_EXTERNAL_INPUT, &in_f), "the input");
    uint32_t prev = in_f;
    if(qs8){
        prev = tensor(&B, -1, net->h, net->w, net->c, XNN_INVALID_VALUE_ID, 0);
        ok(xnn_define_convert(B.sg, in_f, prev, 0), "the input's conversion to int8");
    }
    int last = net->n - 1, inq = qs8;   /* inq: prev is int8 */
    for(i = 0; i <= last; ++i){
        layer l = net->layers[i];
        uint32_t y, ext = i == last ? 1 : XNN_INVALID_VALUE_ID, fl = i == last ? XNN_VALUE_FLAG_EXTERNAL_OUTPUT : 0;
        switch(l.type){
        case CONVOLUTIONAL: case TERNARY:
            y = tensor(&B, i, l.out_h, l.out_w, l.out_c, ext, fl);
            conv(&B, i, l, prev, y);
            break;
        case SHORTCUT: {
            layer a = net->layers[l.index];
            uint32_t src = out[l.index + 1];
            float lo = l.activation == RELU ? 0 : -INFINITY;
            if(l.activation != RELU && l.activation != LINEAR) die(1, "a shortcut activation other than relu or linear");
            if(l.alpha != 1 || l.beta != 1) die(1, "a shortcut with alpha or beta");
            if(a.out_w != l.out_w || a.out_c != l.out_c){
                /* Darknet's strided, channel-padded source: a 1x1 convolution of the stride holding the identity */
                int st = a.out_w/l.out_w, cin = a.out_c, cout = l.out_c, f;
                if(st < 1 || a.out_w != st*l.out_w || cin > cout) die(1, "a shortcut shape the bench does not build");
                size_t wd[4] = {(size_t)cout, 1, 1, (size_t)cin}, bd[1] = {(size_t)cout};
                uint32_t wid, bid, t;
                if(!qs8){
                    float *w = calloc((size_t)cout*cin, sizeof(float)), *b = calloc(cout, sizeof(float));
                    for(f = 0; f < cin; ++f) w[(size_t)f*cin + f] = 1;
                    ok(xnn_define_tensor_value(B.sg, xnn_datatype_fp32, 4, wd, w, XNN_INVALID_VALUE_ID, 0, &wid), "identity");
                    ok(xnn_define_tensor_value(B.sg, xnn_datatype_fp32, 1, bd, b, XNN_INVALID_VALUE_ID, 0, &bid), "zero bias");
                    t = tensor(&B, l.index, l.out_h, l.out_w, cout, XNN_INVALID_VALUE_ID, 0);
                } else {
                    int8_t *w = calloc((size_t)cout*cin, 1);
                    int32_t *b = calloc(cout, sizeof(int32_t));
                    float *ws = malloc(sizeof(float)*cout), *bs = malloc(sizeof(float)*cout), s;
                    int z;
                    int_graph_tensor(net, l.index, &s, &z);
                    if(B.uniform) s = 1.0f/16;
                    for(f = 0; f < cout; ++f){
                        ws[f] = 1.0f/64;
                        bs[f] = s*ws[f];
                        if(f < cin) w[(size_t)f*cin + f] = 64;
                    }
                    ok(xnn_define_channelwise_quantized_tensor_value(B.sg, xnn_datatype_qcint8, ws, 4, 0, wd, w,
                                                                     XNN_INVALID_VALUE_ID, 0, &wid), "identity");
                    ok(xnn_define_channelwise_quantized_tensor_value(B.sg, xnn_datatype_qcint32, bs, 1, 0, bd, b,
                                                                     XNN_INVALID_VALUE_ID, 0, &bid), "zero bias");
                    t = tensor(&B, l.index, l.out_h, l.out_w, cout, XNN_INVALID_VALUE_ID, 0);
                }
                ok(xnn_define_convolution_2d(B.sg, 0, 0, 0, 0, 1, 1, st, st, 1, 1, 1, cin, cout, -INFINITY, INFINITY,
                                             src, wid, bid, t, 0), "the shortcut's sampling");
                src = t;
            }
            y = tensor(&B, i, l.out_h, l.out_w, l.out_c, ext, fl);
            ok(xnn_define_add2(B.sg, lo, INFINITY, prev, src, y, 0), "an add");
            break;
        }
        case AVGPOOL: {
            if(inq){
                uint32_t f32;
                size_t d[4] = {(size_t)batch, (size_t)l.h, (size_t)l.w, (size_t)l.c};
                ok(xnn_define_tensor_value(B.sg, xnn_datatype_fp32, 4, d, 0, XNN_INVALID_VALUE_ID, 0, &f32), "a tensor");
                ok(xnn_define_convert(B.sg, prev, f32, 0), "the conversion to float");
                prev = f32;
                inq = 0;
            }
            size_t d[4] = {(size_t)batch, 1, 1, (size_t)l.c};
            ok(xnn_define_tensor_value(B.sg, xnn_datatype_fp32, 4, d, 0, ext, fl, &y), "a tensor");
            ok(xnn_define_global_average_pooling_2d(B.sg, -INFINITY, INFINITY, prev, y, 0), "a global average pooling");
            break;
        }
        case CONNECTED: {
            float *w = malloc(sizeof(float)*l.inputs*l.outputs), *b = malloc(sizeof(float)*l.outputs);
            int f, j;
            for(f = 0; f < l.outputs; ++f){
                float k;
                bn_fold(l, f, &k, &b[f]);
                for(j = 0; j < l.inputs; ++j) w[(size_t)f*l.inputs + j] = l.weights[(size_t)f*l.inputs + j]*k;
            }
            size_t wd[2] = {(size_t)l.outputs, (size_t)l.inputs}, bd[1] = {(size_t)l.outputs}, d[2] = {(size_t)batch, (size_t)l.outputs};
            uint32_t wid, bid;
            ok(xnn_define_tensor_value(B.sg, xnn_datatype_fp32, 2, wd, w, XNN_INVALID_VALUE_ID, 0, &wid), "weights");
            ok(xnn_define_tensor_value(B.sg, xnn_datatype_fp32, 1, bd, b, XNN_INVALID_VALUE_ID, 0, &bid), "a bias");
            ok(xnn_define_tensor_value(B.sg, xnn_datatype_fp32, 2, d, 0, ext, fl, &y), "a tensor");
            ok(xnn_define_fully_connected(B.sg, -INFINITY, INFINITY, prev, wid, bid, y, 0), "a fully connected layer");
            break;
        }
        case SOFTMAX: {
            size_t d[2] = {(size_t)batch, (size_t)l.outputs};
            ok(xnn_define_tensor_value(B.sg, xnn_datatype_fp32, 2, d, 0, ext, fl, &y), "a tensor");
            ok(xnn_define_softmax(B.sg, prev, y, 0), "a softmax");
            break;
        }
        default:
            die(1, "a layer type the bench does not build in XNNPACK");
        }
        out[i + 1] = y;
        prev = y;
    }
    pthreadpool_t pool = threads > 1 ? pthreadpool_create(threads) : 0;
    xnn_runtime_t rt;
    ok(xnn_create_runtime_v2(B.sg, pool, 0, &rt), "the runtime");
    size_t nin = (size_t)batch*net->inputs, nout = (size_t)batch*net->outputs;
    float *x = malloc(sizeof(float)*nin), *yb = malloc(sizeof(float)*nout);
    for(i = 0; i < (int)nin; ++i) x[i] = (float)rand()/RAND_MAX;
    struct xnn_external_value ext[2] = {{0, x}, {1, yb}};
    ok(xnn_setup_runtime(rt, 2, ext), "the runtime's buffers");
    for(i = 0; i < 3; ++i) ok(xnn_invoke_runtime(rt), "a run");
    int cap = 1 << 16, n = 0;
    double *t = malloc(sizeof(double)*cap), end = now_s() + secs;
    while(n < cap && (n < 5 || now_s() < end)){
        double a = now_s();
        ok(xnn_invoke_runtime(rt), "a run");
        t[n++] = now_s() - a;
    }
    qsort(t, n, sizeof(double), cmp_d);
    double med = n % 2 ? t[n/2] : (t[n/2 - 1] + t[n/2])/2;
    printf("engine=xnnpack-%s batch=%d threads=%d median_ms=%.4f backend=xnnpack-subgraph%s runs=%d\n", qs8 ? "qs8" : "fp32",
           batch, threads, 1e3*med, uniform ? "/uniform-scales" : "", n);
    xnn_delete_runtime(rt);
    xnn_delete_subgraph(B.sg);
    if(pool) pthreadpool_destroy(pool);
    free_network(net);
    return 0;
}
