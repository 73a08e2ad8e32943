/* `darknet ternary ...`: inspection commands for networks with [ternary] (TTQ) layers.
 *
 *   darknet ternary info <cfg> [weights]
 *       one line per [ternary] layer: Wp, Wn, the threshold delta and the fraction of zero
 *       ternary weights that the next forward would use, max|w| of the latent weights; then the
 *       weight storage of the network as FP32 and packed (base-3 codes + scales, `ternary pack`).
 *
 *   darknet ternary plot <telemetry.csv> <out.png>
 *       with gnuplot, the paper's pictures of training: Wp and Wn of every [ternary] layer over
 *       the epochs (top), and each layer's sparsity, the fraction of zero ternary weights (bottom).
 *       The CSV is the one `classifier train` or `detector train` writes beside the backup weights.
 *
 *   darknet ternary fold <cfg> <weights> <out.cfg> <out.weights>
 *       the same network for readers that know no [ternary]: every [ternary] section becomes a
 *       [convolutional] holding the ternary weights {+Wp, 0, -Wn} that the layer's forward uses
 *       (stock Darknet, OpenCV's DNN module). See ternary_tool.h.
 *
 *   darknet ternary pack <cfg> <weights> <out.weights>
 *       the same weights file with each [ternary] layer's weights as base-3 codes, five to a byte
 *       (1.6 bits per weight) beside Wp/Wn; it loads wherever the original does (our build). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>
#include <errno.h>

#include "darknet.h"
#include "check_error.h"
#include "ternary_layer.h"
#include "ttq.h"
#include "ternary_tool.h"
#include "utils.h"

#include <sys/stat.h>

static void ternary_info(char *cfgfile, char *weightfile)
{
    network *net = load_network(cfgfile, weightfile, 0);
    int i, nt = 0, nf = 0;
    double fp_bytes = 0, tern_bytes = 0;
    printf("%5s %-8s %7s %9s %10s %10s %10s %9s %10s\n", "layer", "type", "filters", "weights",
           "Wp", "Wn", "delta", "zeros", "max|w|");
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        if(l.type == TERNARY){
            ternarize_ternary_layer(l);
            size_t z = ttq_count_zeros_ref(l.ternary_weights, l.nweights);
            float m = ttq_threshold_ref(l.weights, l.nweights, 1);
            int k = l.ttq_nscales;
            printf("%5d %-8s %7d %9d %10.5f %10.5f %10.6f %8.2f%% %10.6f\n", i,
                   k > 1 ? "ternaryF" : "ternary", l.n, l.nweights, ternary_mean(l.wp, k),
                   ternary_mean(l.wn, k), ternary_mean(l.ttq_delta, k), 100.0*z/l.nweights, m);
            ++nt;
            nf += k > 1;
            fp_bytes += 4.0*l.nweights;
            tern_bytes += ttq_packed_size(l.nweights) + 8.0*l.ttq_nscales;
        } else if(l.type == CONVOLUTIONAL || l.type == DECONVOLUTIONAL){
            fp_bytes += 4.0*l.nweights;
            tern_bytes += 4.0*l.nweights;
        } else if(l.type == CONNECTED){
            fp_bytes += 4.0*l.inputs*l.outputs;
            tern_bytes += 4.0*l.inputs*l.outputs;
        }
    }
    if(nf) printf("ternaryF: per_filter=1, a Wp, Wn and delta for each filter; the table shows their "
                  "means\n");
    printf("%d [ternary] layers; weights (biases and BN excluded): %.1f KiB as FP32, "
           "%.1f KiB with ternary layers packed as `ternary pack` writes them (base-3 codes, 1.6 "
           "bits per weight, + Wp/Wn) (%.1fx smaller)\n",
           nt, fp_bytes/1024, tern_bytes/1024, tern_bytes > 0 ? fp_bytes/tern_bytes : 0);
    free_network(net);
}

/* Layer numbers of the LN_wp columns in the CSV header, in order. */
static int csv_layers(const char *csv, int *layers, int max)
{
    FILE *f = fopen(csv, "r");
    if(!f) check_file_error(csv, -1, 0, "cannot open telemetry file");
    char line[65536];
    if(!fgets(line, sizeof line, f) || strncmp(line, "iteration,epoch,images,loss,avg_loss", 36)){
        check_file_error(csv, -1, 0, "not a TTQ telemetry CSV (unexpected header)");
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
    if(n == 0 || rows == 0) check_file_error(csv, -1, 0, "no [ternary] layer columns or no rows to plot");
    return n;
}

static void ternary_plot(const char *csv, const char *png)
{
    int layers[512];
    int n = csv_layers(csv, layers, 512), i;
    char script[] = "/tmp/ttq-plot-XXXXXX";
    int fd = mkstemp(script);
    FILE *g = fd >= 0 ? fdopen(fd, "w") : 0;
    if(!g) check_file_error(script, -1, 0, "cannot write the gnuplot script: %s", strerror(errno));
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
    if(fclose(g)) check_file_error(script, -1, 0, "cannot write the gnuplot script: %s", strerror(errno));
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "gnuplot '%s'", script);
    int rc = system(cmd);
    unlink(script);
    if(rc != 0){
        check_file_error(png, -1, 0, "gnuplot failed (exit %d): is gnuplot installed? (Debian: "
                         "gnuplot-nox)", rc);
    }
    fprintf(stderr, "wrote %s (%d [ternary] layers)\n", png, n);
}

/* ---- fold ------------------------------------------------------------------------------------ */

/* Keys that only [ternary] reads; a folded section keeps them as comments. */
static const char *const ttq_only_keys[] = {"threshold", "sparsity", "wp", "wn", "wpwn_decay",
                                            "per_filter", 0};

/* "key=" at the start of a stripped cfg line */
static int has_key(const char *stripped, const char *key)
{
    size_t n = strlen(key);
    return !strncmp(stripped, key, n) && stripped[n] == '=';
}

static int ttq_only_key(const char *stripped)
{
    int i;
    for(i = 0; ttq_only_keys[i]; ++i) if(has_key(stripped, ttq_only_keys[i])) return 1;
    return 0;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if(!strcmp(a, b)) return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static char fold_cfg_tmp[4096];

static void remove_fold_cfg_tmp(void)
{
    if(fold_cfg_tmp[0]) remove(fold_cfg_tmp);
}

/* Darknet's [shortcut] adds a larger layer by sampling every s-th pixel ("option A" of the CIFAR
 * ResNets: 32x32 into 16x16). Readers whose shortcut needs equal sizes (OpenCV's DNN module) get
 * the same computation spelt in layers they know: [route] to the larger layer, a 1x1 [maxpool]
 * with stride s (it picks pixel (s*i, s*j), as the shortcut does), [route] back to the layer before
 * the shortcut, and the shortcut from the maxpool. Returns s, or 0 when the shortcut needs no
 * rewriting (equal sizes, or a smaller layer added to a larger one, which is left as it is). */
static int strided_shortcut(layer l)
{
    if(l.type != SHORTCUT || (l.w == l.out_w && l.h == l.out_h)) return 0;
    if(l.out_w <= 0 || l.out_h <= 0 || l.w % l.out_w || l.h % l.out_h) return 0;
    int s = l.w/l.out_w;
    return s >= 2 && s == l.h/l.out_h ? s : 0;
}

/* A [route] layers= or [shortcut] from= list, each entry moved to the layer's new number. Entries
 * are read as Darknet reads them (atoi); a negative entry stays relative to the layer. */
static void write_renumbered(FILE *out, const char *key, const char *list, int old_i,
                             const int *newidx, int nlayers)
{
    const char *p = list;
    fprintf(out, "%s=", key);
    for(;;){
        int v = atoi(p);
        int t = v < 0 ? old_i + v : v;
        if(t < 0 || t >= nlayers){
            fprintf(out, "%d", v);  /* the parser has rejected this already */
        } else {
            fprintf(out, "%d", v < 0 ? newidx[t] - newidx[old_i] : newidx[t]);
        }
        p = strchr(p, ',');
        if(!p) break;
        ++p;
        fputc(',', out);
    }
    fputc('\n', out);
}

/* cfgfile's text for the folded network, into out_tmp: [ternary] sections renamed and their TTQ
 * keys commented out, strided shortcuts spelt out (above), layer references renumbered. Sections
 * and keys are found as Darknet's read_cfg finds them, on the line with all white space removed.
 * Returns the number of [ternary] sections; *added gets the number of layers inserted. */
static int write_folded_cfg(const char *cfgfile, const char *weightfile, const char *out_tmp,
                            network *net, int *added)
{
    FILE *in = fopen(cfgfile, "r");
    if(!in) check_file_error(cfgfile, -1, 0, "cannot open cfg: %s", strerror(errno));
    FILE *out = fopen(out_tmp, "w");
    if(!out) check_file_error(out_tmp, -1, 0, "cannot write folded cfg: %s", strerror(errno));
    int i, n = net->n, shift = 0;
    int *newidx = check_calloc(n, sizeof(int), "ternary fold: layer numbers");
    for(i = 0; i < n; ++i){
        if(strided_shortcut(net->layers[i])) shift += 3;
        newidx[i] = i + shift;
    }
    *added = shift;
    fprintf(out, "# Folded by `darknet ternary fold` from\n#   %s\n#   %s\n"
                 "# Each [ternary] section is a [convolutional] here, holding the ternary weights\n"
                 "# {+Wp, 0, -Wn}.%s\n", cfgfile, weightfile,
                 shift ? " Strided [shortcut]s are spelt as [route] + 1x1 [maxpool] + [route] +\n"
                         "# [shortcut] (the same computation, for readers such as OpenCV), so\n"
                         "# layer numbers differ from the original cfg's." : "");
    int layer_i = -2, in_ternary = 0, folded = 0, stride = 0;
    char *line;
    while((line = fgetl(in)) != 0){
        char *s = strcpy(check_malloc(strlen(line) + 1, 1, "ternary fold: a cfg line"), line);
        strip(s);
        if(s[0] == '['){
            ++layer_i;  /* the first section is [net] */
            in_ternary = !strcmp(s, "[ternary]");
            stride = layer_i >= 0 && layer_i < n ? strided_shortcut(net->layers[layer_i]) : 0;
            if(stride){
                layer l = net->layers[layer_i];
                fprintf(out, "# strided shortcut: %dx%dx%d (layer %d) sampled every %d pixels\n"
                             "[route]\nlayers=%d\n\n[maxpool]\nsize=1\nstride=%d\n\n"
                             "[route]\nlayers=%d\n\n",
                        l.w, l.h, l.c, newidx[l.index], stride, newidx[l.index], stride,
                        newidx[layer_i - 1]);
            }
            if(in_ternary){
                fprintf(out, "[convolutional]\n");
                ++folded;
            } else {
                fprintf(out, "%s\n", line);
            }
        } else if(in_ternary && ttq_only_key(s)){
            fprintf(out, "# [ternary] only: %s\n", line);
        } else if(stride && has_key(s, "from")){
            fprintf(out, "from=-2\n");
        } else if(layer_i >= 0 && layer_i < n && net->layers[layer_i].type == SHORTCUT &&
                  has_key(s, "from")){
            write_renumbered(out, "from", s + 5, layer_i, newidx, n);
        } else if(layer_i >= 0 && layer_i < n && net->layers[layer_i].type == ROUTE &&
                  has_key(s, "layers")){
            write_renumbered(out, "layers", s + 7, layer_i, newidx, n);
        } else {
            fprintf(out, "%s\n", line);
        }
        free(s);
        free(line);
    }
    fclose(in);
    free(newidx);
    if(ferror(out) | fclose(out)) check_file_error(out_tmp, -1, 0, "error writing folded cfg: %s", strerror(errno));
    return folded;
}

/* The output of the last layer before a final [softmax]/[cost] on a fixed pseudo-random input:
 * the logits, which a saturated softmax would hide. */
static float *fold_probe(network *net, int *n)
{
    int i, last = net->n - 1;
    float *x = check_malloc(net->inputs, sizeof(float), "ternary fold/pack: the probe input");
    unsigned int r = 12345;
    for(i = 0; i < net->inputs; ++i){
        r = r*1103515245u + 12345u;
        x[i] = (r >> 8)/16777216.0f;
    }
    set_batch_network(net, 1);
    network_predict(net, x);
    free(x);
    while(last > 0 && (net->layers[last].type == SOFTMAX || net->layers[last].type == COST)) --last;
    layer l = net->layers[last];
    *n = l.outputs;
    return memcpy(check_malloc(l.outputs, sizeof(float), "ternary fold/pack: the probe output"), l.output,
                  l.outputs*sizeof(float));
}

int ternary_fold(const char *cfgfile, const char *weightfile, const char *out_cfg,
                 const char *out_weights)
{
    if(!cfgfile || !weightfile || !out_cfg || !out_weights){
        check_file_error("ternary fold", -1, 0, "needs a cfg, its weights and two output files");
    }
    if(same_file(out_cfg, cfgfile) || same_file(out_cfg, weightfile) ||
       same_file(out_weights, cfgfile) || same_file(out_weights, weightfile) ||
       !strcmp(out_cfg, out_weights)){
        check_file_error("ternary fold", -1, 0, "the outputs (%s, %s) must be new files, not the inputs "
                         "(%s, %s) or one another", out_cfg, out_weights, cfgfile, weightfile);
    }
    /* on the CPU: the ternary weights are a pure function of the latent ones */
    int gpu = gpu_index;
    gpu_index = -1;
    network *net = parse_network_cfg((char *)cfgfile);
    int i, nt = 0, added = 0;
    for(i = 0; i < net->n; ++i) nt += net->layers[i].type == TERNARY;
    if(nt == 0) check_file_error(cfgfile, -1, 0, "no [ternary] layer, nothing to fold");
    load_weights(net, (char *)weightfile);

    snprintf(fold_cfg_tmp, sizeof fold_cfg_tmp, "%s.tmp", out_cfg);
    atexit(remove_fold_cfg_tmp);
    int ns = write_folded_cfg(cfgfile, weightfile, fold_cfg_tmp, net, &added);
    if(ns != nt){
        check_file_error(cfgfile, -1, 0, "found %d [ternary] sections but the network has %d [ternary] "
                         "layers", ns, nt);
    }

    /* each [ternary] layer saved as the [convolutional] layer it runs: q in place of w */
    float **latent = check_calloc(net->n, sizeof(float *), "ternary fold: the latent weights");
    for(i = 0; i < net->n; ++i){
        layer *l = &net->layers[i];
        if(l->type != TERNARY) continue;
        ternarize_ternary_layer(*l);
        latent[i] = l->weights;
        l->weights = l->ternary_weights;
        l->type = CONVOLUTIONAL;
    }
    save_weights(net, (char *)out_weights);
    for(i = 0; i < net->n; ++i){
        if(!latent[i]) continue;
        net->layers[i].weights = latent[i];
        net->layers[i].type = TERNARY;
    }

    /* check: the folded pair computes what the [ternary] network computes */
    int na, nb;
    float *ya = fold_probe(net, &na);
    network *fnet = load_network(fold_cfg_tmp, (char *)out_weights, 0);
    float *yb = fold_probe(fnet, &nb);
    double maxd = 0, maxy = 0;
    int finite = check_finite_array(ya, na) == (size_t)na && check_finite_array(yb, nb) == (size_t)nb;
    for(i = 0; i < na && na == nb; ++i){
        double d = fabs((double)ya[i] - yb[i]);
        if(d > maxd) maxd = d;
        if(fabs(ya[i]) > maxy) maxy = fabs(ya[i]);
    }
    free_network(fnet);
    if(na != nb || !finite || maxd > 1e-5*(1 + maxy)){
        remove(out_weights);
        check_file_error(cfgfile, -1, 0, "the folded network does not compute what the [ternary] network "
                         "does (outputs %d and %d, max difference %g%s); nothing written", na, nb, maxd,
                         finite ? "" : ", outputs that are NaN or Inf");
    }
    if(rename(fold_cfg_tmp, out_cfg) != 0){
        check_file_error(out_cfg, -1, 0, "cannot write folded cfg: %s", strerror(errno));
    }
    fold_cfg_tmp[0] = 0;

    fprintf(stderr, "%5s %10s %10s %9s\n", "layer", "Wp", "Wn", "zeros");
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        if(l.type != TERNARY) continue;
        size_t z = ttq_count_zeros_ref(l.ternary_weights, l.nweights);
        fprintf(stderr, "%5d %10.5f %10.5f %8.2f%%%s\n", i, ternary_mean(l.wp, l.ttq_nscales),
                ternary_mean(l.wn, l.ttq_nscales), 100.0*z/l.nweights,
                l.ttq_nscales > 1 ? "  (per filter: means)" : "");
    }
    fprintf(stderr, "folded %d [ternary] layers into [convolutional]%s: %s, %s; checked: the "
            "outputs differ by at most %g\n", nt,
            added ? " (and spelt out the strided shortcuts: layer numbers moved)" : "",
            out_cfg, out_weights, maxd);
    free(ya);
    free(yb);
    free(latent);
    free_network(net);
    gpu_index = gpu;
    return nt;
}

/* ---- pack ------------------------------------------------------------------------------------ */

static long size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

int ternary_pack(const char *cfgfile, const char *weightfile, const char *out)
{
    if(!cfgfile || !weightfile || !out){
        check_file_error("ternary pack", -1, 0, "needs a cfg, its weights and an output file");
    }
    if(same_file(out, cfgfile) || same_file(out, weightfile)){
        check_file_error("ternary pack", -1, 0, "the output (%s) must be a new file, not the inputs (%s, "
                         "%s)", out, cfgfile, weightfile);
    }
    int gpu = gpu_index;
    gpu_index = -1;
    network *net = parse_network_cfg((char *)cfgfile);
    int i, nt = 0;
    double tern = 0, all = 0, tern_bits = 0;
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        if(l.type == TERNARY){
            ++nt;
            tern += l.nweights;
            tern_bits += 8.0*ttq_packed_size(l.nweights) + 64.0*l.ttq_nscales;
        }
        if(l.type == TERNARY || l.type == CONVOLUTIONAL || l.type == DECONVOLUTIONAL) all += l.nweights;
        if(l.type == CONNECTED) all += (double)l.inputs*l.outputs;
    }
    if(nt == 0) check_file_error(cfgfile, -1, 0, "no [ternary] layer, nothing to pack");
    load_weights(net, (char *)weightfile);

    ttq_save_packed = 1;
    save_weights(net, (char *)out);
    ttq_save_packed = 0;

    /* check: the packed file gives the network the same ternary weights, so the same outputs */
    int na, nb;
    float *ya = fold_probe(net, &na);
    network *pnet = load_network((char *)cfgfile, (char *)out, 0);
    float *yb = fold_probe(pnet, &nb);
    int same = na == nb && !memcmp(ya, yb, na*sizeof(float));
    free_network(pnet);
    free(ya);
    free(yb);
    free_network(net);
    gpu_index = gpu;
    if(!same){
        remove(out);
        check_file_error(out, -1, 0, "the packed file does not give the network's outputs; nothing written");
    }
    long in_bytes = size_of(weightfile), out_bytes = size_of(out);
    fprintf(stderr, "packed %d [ternary] layers: %s, %ld bytes (was %ld: %.1fx smaller)\n"
            "  ternary weights: %.0f, %.3f bits each (base-3 codes + Wp/Wn)\n"
            "  whole file: %.3f bits per weight of the network (%.0f weights; full-precision layers, "
            "biases and batch norm included)\n",
            nt, out, out_bytes, in_bytes, out_bytes > 0 ? (double)in_bytes/out_bytes : 0,
            tern, tern_bits/tern, 8.0*out_bytes/all, all);
    return nt;
}

void run_ternary(int argc, char **argv)
{
    if(argc >= 4 && !strcmp(argv[2], "info")){
        ternary_info(argv[3], argc > 4 ? argv[4] : 0);
    } else if(argc == 5 && !strcmp(argv[2], "plot")){
        ternary_plot(argv[3], argv[4]);
    } else if(argc == 7 && !strcmp(argv[2], "fold")){
        ternary_fold(argv[3], argv[4], argv[5], argv[6]);
    } else if(argc == 6 && !strcmp(argv[2], "pack")){
        ternary_pack(argv[3], argv[4], argv[5]);
    } else {
        check_file_error("usage", -1, 0, "%s ternary info <cfg> [weights]\n"
                         "       %s ternary plot <telemetry.csv> <out.png>\n"
                         "       %s ternary fold <cfg> <weights> <out.cfg> <out.weights>\n"
                         "       %s ternary pack <cfg> <weights> <out.weights>",
                         argv[0], argv[0], argv[0], argv[0]);
    }
}
