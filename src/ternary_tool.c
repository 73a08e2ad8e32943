/* `darknet ternary ...`: inspection commands for networks with [ternary] (TTQ) layers.
 *
 *   darknet ternary info <cfg> [weights]
 *       one line per [ternary] layer: Wp, Wn, the threshold delta and the fraction of zero
 *       ternary weights that the next forward would use, max|w| of the latent weights; then the
 *       weight storage of the network as FP32 and as 2-bit ternary codes + scales. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "darknet.h"
#include "ternary_layer.h"
#include "ttq.h"

static void ternary_info(char *cfgfile, char *weightfile)
{
    network *net = load_network(cfgfile, weightfile, 0);
    int i, nt = 0;
    double fp_bytes = 0, tern_bytes = 0;
    printf("%5s %-8s %7s %9s %10s %10s %10s %9s %10s\n", "layer", "type", "filters", "weights",
           "Wp", "Wn", "delta", "zeros", "max|w|");
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        if(l.type == TERNARY){
            ternarize_ternary_layer(l);
            size_t z = ttq_count_zeros_ref(l.ternary_weights, l.nweights);
            float m = ttq_threshold_ref(l.weights, l.nweights, 1);
            printf("%5d %-8s %7d %9d %10.5f %10.5f %10.6f %8.2f%% %10.6f\n", i, "ternary", l.n,
                   l.nweights, l.wp[0], l.wn[0], l.ttq_delta[0], 100.0*z/l.nweights, m);
            ++nt;
            fp_bytes += 4.0*l.nweights;
            tern_bytes += l.nweights/4.0 + 8.0*l.ttq_nscales;
        } else if(l.type == CONVOLUTIONAL || l.type == DECONVOLUTIONAL){
            fp_bytes += 4.0*l.nweights;
            tern_bytes += 4.0*l.nweights;
        } else if(l.type == CONNECTED){
            fp_bytes += 4.0*l.inputs*l.outputs;
            tern_bytes += 4.0*l.inputs*l.outputs;
        }
    }
    printf("%d [ternary] layers; weights (biases and BN excluded): %.1f KiB as FP32, "
           "%.1f KiB with ternary layers as 2-bit codes + Wp/Wn (%.1fx smaller)\n",
           nt, fp_bytes/1024, tern_bytes/1024, tern_bytes > 0 ? fp_bytes/tern_bytes : 0);
    free_network(net);
}

void run_ternary(int argc, char **argv)
{
    if(argc < 4 || strcmp(argv[2], "info") != 0){
        fprintf(stderr, "usage: %s ternary info <cfg> [weights]\n", argv[0]);
        exit(EXIT_FAILURE);
    }
    ternary_info(argv[3], argc > 4 ? argv[4] : 0);
}
