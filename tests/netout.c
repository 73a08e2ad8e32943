/* netout: a network's output on a fixed pseudo-random input, for comparing implementations.
 * Built against our Darknet and against stock Darknet (-DSTOCK_DARKNET, no [ternary]).
 *
 *   netout run CFG WEIGHTS SEED     runs network_predict on one input, netrand_input(SEED)
 *                                   (tests/netrand.h), and prints, one %.9g per line, the output
 *                                   of the layer before each [yolo]/[region]/[detection] head,
 *                                   then that of the last layer before a final [softmax] (the
 *                                   logits: a softmax saturates and would hide differences)
 *   netout randw CFG OUT SEED [fanin]  (our build only) saves weights with every weight, bias, BN
 *                                   statistic and Wp/Wn drawn at random, deterministic in SEED
 *                                   (fanin: Wp/Wn scaled as the latent weights, tests/netrand.h)
 *   netout heads CFG WEIGHTS SEED   the same input; the output of each [yolo] layer, then that of a
 *                                   final [softmax]
 *   netout inputs CFG LIST OUT      the letterboxed images of LIST, raw float32, one after another
 *   netout top CFG WEIGHTS LIST     for each image of LIST (one path a line), letterboxed to the
 *                                   network's size as `classifier predict` does: one line, the
 *                                   index of the largest output, then every output (%.9g)
 *
 * tests/netout_opencv.cpp makes the same input for OpenCV's DNN module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "darknet.h"

#include "netrand.h"

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
static void randw(const char *cfg, const char *out, unsigned long long seed)
{
    network *net = parse_network_cfg((char *)cfg);
    netrand_seed(seed);
    netrand_weights(net);
    save_weights(net, (char *)out);
    free_network(net);
}
#endif

int main(int argc, char **argv)
{
    if(argc == 5 && !strcmp(argv[1], "run")){
        network *net = load_network(argv[2], argv[3], 0);
        set_batch_network(net, 1);
        float *x = netrand_input(net, strtoull(argv[4], 0, 10));
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
    if(argc == 5 && !strcmp(argv[1], "heads")){
        /* the heads themselves on netrand_input(SEED): each [yolo] layer's output, then a final
           [softmax]'s (what an exported graph outputs: tests/onnx/check.py) */
        network *net = load_network(argv[2], argv[3], 0);
        set_batch_network(net, 1);
        float *x = netrand_input(net, strtoull(argv[4], 0, 10));
        network_predict(net, x);
        int j;
        for(j = 0; j < net->n; ++j) if(net->layers[j].type == YOLO) print_layer(net->layers[j]);
        if(net->layers[net->n - 1].type == SOFTMAX) print_layer(net->layers[net->n - 1]);
        free(x);
        free_network(net);
        return 0;
    }
    if(argc == 5 && !strcmp(argv[1], "top")){
        network *net = load_network(argv[2], argv[3], 0);
        set_batch_network(net, 1);
        FILE *f = fopen(argv[4], "r");
        char path[4096];
        if(!f){ perror(argv[4]); return 1; }
        while(fgets(path, sizeof path, f)){
            path[strcspn(path, "\r\n")] = 0;
            if(!path[0]) continue;
            image im = load_image_color(path, 0, 0);
            image r = letterbox_image(im, net->w, net->h);
            float *y = network_predict(net, r.data);
            int j, best = 0;
            for(j = 1; j < net->outputs; ++j) if(y[j] > y[best]) best = j;
            printf("%d", best);
            for(j = 0; j < net->outputs; ++j) printf(" %.9g", y[j]);
            printf("\n");
            free_image(im);
            free_image(r);
        }
        fclose(f);
        free_network(net);
        return 0;
    }
    if(argc == 5 && !strcmp(argv[1], "inputs")){
        /* netout inputs CFG LIST OUT.f32: each image of LIST letterboxed to the network's size, as
           `top` and `classifier predict` feed it, one after another as raw float32 (for another
           engine to run the same inputs: bench/onnx_agree.sh) */
        network *net = parse_network_cfg(argv[2]);
        FILE *f = fopen(argv[3], "r"), *o = fopen(argv[4], "wb");
        char path[4096];
        if(!f || !o){ perror(!f ? argv[3] : argv[4]); return 1; }
        while(fgets(path, sizeof path, f)){
            path[strcspn(path, "\r\n")] = 0;
            if(!path[0]) continue;
            image im = load_image_color(path, 0, 0);
            image r = letterbox_image(im, net->w, net->h);
            if(fwrite(r.data, sizeof(float), (size_t)r.w*r.h*r.c, o) != (size_t)r.w*r.h*r.c){ perror(argv[4]); return 1; }
            free_image(im);
            free_image(r);
        }
        fclose(f);
        if(fclose(o)){ perror(argv[4]); return 1; }
        free_network(net);
        return 0;
    }
#ifndef STOCK_DARKNET
    if((argc == 5 || (argc == 6 && !strcmp(argv[5], "fanin"))) && !strcmp(argv[1], "randw")){
        netrand_wp_fanin = argc == 6;
        randw(argv[2], argv[3], strtoull(argv[4], 0, 10));
        return 0;
    }
#endif
    fprintf(stderr, "usage: netout run CFG WEIGHTS SEED | netout randw CFG OUT SEED [fanin] | netout top CFG WEIGHTS LIST | netout inputs CFG LIST OUT | netout heads CFG WEIGHTS SEED\n");
    return 2;
}
