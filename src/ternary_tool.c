/* `darknet ternary ...`: inspection commands for networks with [ternary] (TTQ) layers.
 *
 *   darknet ternary info <cfg> [weights]
 *       one line per [ternary] layer: Wp, Wn, the threshold delta and the fraction of zero
 *       ternary weights that the next forward would use, max|w| of the latent weights; then the
 *       weight storage of the network as FP32 and as 2-bit ternary codes + scales.
 *
 *   darknet ternary plot <telemetry.csv> <out.png>
 *       with gnuplot, the paper's pictures of training: Wp and Wn of every [ternary] layer over
 *       the epochs (top), and each layer's sparsity, the fraction of zero ternary weights (bottom).
 *       The CSV is the one `classifier train` writes beside the backup weights. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>

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

/* Layer numbers of the LN_wp columns in the CSV header, in order. */
static int csv_layers(const char *csv, int *layers, int max)
{
    FILE *f = fopen(csv, "r");
    if(!f){
        fprintf(stderr, "%s: cannot open telemetry file\n", csv);
        exit(EXIT_FAILURE);
    }
    char line[65536];
    if(!fgets(line, sizeof line, f) || strncmp(line, "iteration,epoch,images,loss,avg_loss", 36)){
        fprintf(stderr, "%s: not a TTQ telemetry CSV (unexpected header)\n", csv);
        exit(EXIT_FAILURE);
    }
    int n = 0, rows = 0;
    char *p = line;
    while((p = strstr(p, ",L")) && n < max){
        int id, len = 0;
        if(sscanf(p, ",L%d_wp%n", &id, &len) == 1 && len > 0) layers[n++] = id;
        p += 2;
    }
    while(fgets(line, sizeof line, f)) ++rows;
    fclose(f);
    if(n == 0 || rows == 0){
        fprintf(stderr, "%s: no [ternary] layer columns or no rows to plot\n", csv);
        exit(EXIT_FAILURE);
    }
    return n;
}

static void ternary_plot(const char *csv, const char *png)
{
    int layers[512];
    int n = csv_layers(csv, layers, 512), i;
    char script[] = "/tmp/ttq-plot-XXXXXX";
    int fd = mkstemp(script);
    FILE *g = fd >= 0 ? fdopen(fd, "w") : 0;
    if(!g){
        perror("ttq plot script");
        exit(EXIT_FAILURE);
    }
    fprintf(g, "set terminal pngcairo size 1200,1000 font ',10'\n"
               "set output '%s'\n"
               "set datafile separator ','\n"
               "set key outside right top\n"
               "set grid\n"
               "set multiplot layout 2,1 title 'TTQ: %s'\n"
               "set title 'Scales per [ternary] layer: Wp (solid, above 0) and -Wn (dashed, below 0)'\n"
               "set xlabel 'epoch'\nset ylabel 'ternary value'\n"
               "plot ", png, csv);
    for(i = 0; i < n; ++i){
        int c = 6 + 5*i;
        fprintf(g, "%s'%s' using 2:%d with lines lw 2 lc %d title 'L%d Wp', "
                   "'' using 2:(-$%d) with lines lw 2 dt 2 lc %d notitle",
                i ? ", " : "", csv, c, i + 1, layers[i], c + 1, i + 1);
    }
    fprintf(g, "\nset title 'Sparsity per [ternary] layer (fraction of zero ternary weights)'\n"
               "set ylabel 'sparsity'\nset yrange [0:1]\nplot ");
    for(i = 0; i < n; ++i){
        fprintf(g, "%s'%s' using 2:%d with lines lw 2 lc %d title 'L%d'",
                i ? ", " : "", csv, 6 + 5*i + 3, i + 1, layers[i]);
    }
    fprintf(g, "\nunset multiplot\n");
    if(fclose(g)){
        perror("ttq plot script");
        exit(EXIT_FAILURE);
    }
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "gnuplot '%s'", script);
    int rc = system(cmd);
    unlink(script);
    if(rc != 0){
        fprintf(stderr, "gnuplot failed (exit %d): is gnuplot installed? (Debian: gnuplot-nox)\n", rc);
        exit(EXIT_FAILURE);
    }
    fprintf(stderr, "wrote %s (%d [ternary] layers)\n", png, n);
}

void run_ternary(int argc, char **argv)
{
    if(argc >= 4 && !strcmp(argv[2], "info")){
        ternary_info(argv[3], argc > 4 ? argv[4] : 0);
    } else if(argc == 5 && !strcmp(argv[2], "plot")){
        ternary_plot(argv[3], argv[4]);
    } else {
        fprintf(stderr, "usage: %s ternary info <cfg> [weights]\n"
                        "       %s ternary plot <telemetry.csv> <out.png>\n", argv[0], argv[0]);
        exit(EXIT_FAILURE);
    }
}
