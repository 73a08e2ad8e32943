/* Deterministic random networks and inputs for the tests that compare networks (test_fold,
 * test_pack, tools/netout): one 64-bit LCG, so the same seed gives the same weights and inputs on
 * every machine and in every build. Needs darknet.h; with STOCK_DARKNET (stock Darknet's headers)
 * it leaves out what knows [ternary]. */
#ifndef NETRAND_H
#define NETRAND_H

#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "darknet.h"

static unsigned long long netrand_state = 1;

static void netrand_seed(unsigned long long seed)
{
    netrand_state = seed;
}

/* 24 random bits as a float in [0, 1); tests/netout_opencv.cpp has the same sequence */
static float netrand_float(void)
{
    netrand_state = netrand_state*6364136223846793005ULL + 1442695040888963407ULL;
    return (float)(netrand_state >> 40)/16777216.0f;
}

__attribute__((unused)) static void netrand_fill(float *x, int n, float lo, float hi)
{
    int i;
    for(i = 0; i < n; ++i) x[i] = lo + (hi - lo)*netrand_float();
}

/* One input of the network's size, values netrand_float() from `seed`; free() it. */
__attribute__((unused)) static float *netrand_input(network *net, unsigned long long seed)
{
    float *x = calloc(net->inputs, sizeof(float));
    unsigned long long keep = netrand_state;
    int i;
    netrand_seed(seed);
    for(i = 0; i < net->inputs; ++i) x[i] = netrand_float();
    netrand_state = keep;
    return x;
}

/* Runs the network (batch 1) on netrand_input(seed) and returns a copy (free() it) of the output
 * of layer n-1-from_end: from_end 0 is the last layer, 1 the one before a final [softmax]. */
__attribute__((unused)) static float *netrand_output(network *net, unsigned long long seed,
                                                     int from_end, int *n)
{
    float *x = netrand_input(net, seed);
    set_batch_network(net, 1);
    network_predict(net, x);
    free(x);
    layer l = net->layers[net->n - 1 - from_end];
    float *y = calloc(l.outputs, sizeof(float));
    memcpy(y, l.output, l.outputs*sizeof(float));
    *n = l.outputs;
    return y;
}

#ifndef STOCK_DARKNET
/* Every weight (uniform, scaled by the fan-in), bias, batch-norm value and Wp/Wn of the
 * convolutional, [ternary] and connected layers, drawn from the current state. Wp and Wn are drawn
 * from 0.5 to 1.5, or with netrand_wp_fanin set from 0.5 to 1.5 times the fan-in scale of the latent
 * weights: then a [ternary] layer keeps the signal's size as a [convolutional] one does, and a deep
 * network's activations stay finite and within the integer path's scales (make bench-infer). */
static int netrand_wp_fanin;
__attribute__((unused)) static void netrand_weights(network *net)
{
    int i;
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        if(l.type != CONVOLUTIONAL && l.type != TERNARY && l.type != CONNECTED) continue;
        int nw = l.type == CONNECTED ? l.inputs*l.outputs : l.nweights;
        int fan_in = l.type == CONNECTED ? l.inputs : l.nweights/l.n;
        int nout = l.type == CONNECTED ? l.outputs : l.n;
        float a = sqrtf(3.0f/fan_in);
        netrand_fill(l.weights, nw, -a, a);
        netrand_fill(l.biases, nout, -0.1f, 0.1f);
        if(l.batch_normalize){
            netrand_fill(l.scales, nout, 0.5f, 1.2f);
            netrand_fill(l.rolling_mean, nout, -0.2f, 0.2f);
            netrand_fill(l.rolling_variance, nout, 0.5f, 2.0f);
        }
        if(l.type == TERNARY){
            float k = netrand_wp_fanin ? a : 1;
            netrand_fill(l.wp, l.ttq_nscales, 0.5f*k, 1.5f*k);
            netrand_fill(l.wn, l.ttq_nscales, 0.5f*k, 1.5f*k);
        }
    }
}
#endif

#endif
