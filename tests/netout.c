/* netout: a network's output on a fixed pseudo-random input, for comparing implementations.
 * Built against our Darknet and against stock Darknet (-DSTOCK_DARKNET, no [ternary]).
 *
 *   netout run CFG WEIGHTS SEED     runs network_predict on one input whose values are
 *                                   netout_input(SEED) and prints, one %.9g per line, the output
 *                                   of the layer before each [yolo]/[region]/[detection] head,
 *                                   then that of the last layer before a final [softmax] (the
 *                                   logits: a softmax saturates and would hide differences)
 *   netout randw CFG OUT SEED       (our build only) saves weights with every weight, bias, BN
 *                                   statistic and Wp/Wn drawn at random, deterministic in SEED
 *
 * tests/netout_opencv.cpp makes the same input for OpenCV's DNN module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "darknet.h"

static unsigned long long rng;

/* 24 random bits as a float in [0, 1); the same sequence in netout_opencv.cpp */
static float urand(void)
{
    rng = rng*6364136223846793005ULL + 1442695040888963407ULL;
    return (float)(rng >> 40)/16777216.0f;
}

static float *netout_input(network *net, unsigned long long seed)
{
    int i, n = net->inputs;
    float *x = calloc(n, sizeof(float));
    rng = seed;
    for(i = 0; i < n; ++i) x[i] = urand();
    return x;
}

static int is_head(LAYER_TYPE t)
{
    return t == SOFTMAX || t == COST || t == YOLO || t == REGION || t == DETECTION;
}

static void print_layer(layer l)
{
    int i;
    for(i = 0; i < l.outputs; ++i) printf("%.9g\n", l.output[i]);
}

#ifndef STOCK_DARKNET
static void fill(float *x, int n, float lo, float hi)
{
    int i;
    for(i = 0; i < n; ++i) x[i] = lo + (hi - lo)*urand();
}

static void randw(const char *cfg, const char *out, unsigned long long seed)
{
    network *net = parse_network_cfg((char *)cfg);
    int i;
    rng = seed;
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        if(l.type == CONVOLUTIONAL || l.type == TERNARY || l.type == CONNECTED){
            int nw = l.type == CONNECTED ? l.inputs*l.outputs : l.nweights;
            int fan_in = l.type == CONNECTED ? l.inputs : l.nweights/l.n;
            int nout = l.type == CONNECTED ? l.outputs : l.n;
            float a = sqrtf(3.0f/fan_in);
            fill(l.weights, nw, -a, a);
            fill(l.biases, nout, -0.1f, 0.1f);
            if(l.batch_normalize){
                fill(l.scales, nout, 0.5f, 1.2f);
                fill(l.rolling_mean, nout, -0.2f, 0.2f);
                fill(l.rolling_variance, nout, 0.5f, 2.0f);
            }
            if(l.type == TERNARY){
                fill(l.wp, l.ttq_nscales, 0.5f, 1.5f);
                fill(l.wn, l.ttq_nscales, 0.5f, 1.5f);
            }
        }
    }
    save_weights(net, (char *)out);
    free_network(net);
}
#endif

int main(int argc, char **argv)
{
    if(argc == 5 && !strcmp(argv[1], "run")){
        network *net = load_network(argv[2], argv[3], 0);
        set_batch_network(net, 1);
        float *x = netout_input(net, strtoull(argv[4], 0, 10));
        network_predict(net, x);
        int j, last = net->n - 1;
        for(j = 0; j < net->n; ++j){   /* detection heads: the output of the layer before each */
            LAYER_TYPE t = net->layers[j].type;
            if(j > 0 && (t == YOLO || t == REGION || t == DETECTION)) print_layer(net->layers[j - 1]);
        }
        while(last > 0 && is_head(net->layers[last].type)) --last;
        if(last == net->n - 1 || net->layers[last + 1].type == SOFTMAX || net->layers[last + 1].type == COST){
            print_layer(net->layers[last]);
        }
        free(x);
        free_network(net);
        return 0;
    }
#ifndef STOCK_DARKNET
    if(argc == 5 && !strcmp(argv[1], "randw")){
        randw(argv[2], argv[3], strtoull(argv[4], 0, 10));
        return 0;
    }
#endif
    fprintf(stderr, "usage: netout run CFG WEIGHTS SEED | netout randw CFG OUT SEED\n");
    return 2;
}
