/* libFuzzer harness: a .weights file loaded and run. The input is loaded (load_weights) into a
 * fixed small network (CFG below: a [convolutional] layer, [ternary] layers per-layer, grouped +
 * flipped + stride 2, per_filter=1 and per_filter=1 + sparsity, batch norm, [shortcut], [route],
 * [avgpool], [connected], [softmax]), rebuilt for each input, which then runs a forward pass on a
 * fixed 8x8x3 input twice: on the float path (ternary_int_force_float = 1) and on the integer
 * path, which each [ternary] layer whose record carried an activation scale (packed record of
 * version 2, src/ternary_int8.h) takes (ternary_int_force_float = 0, DARKNET_TTQ_INT8 unset).
 * Each output is checked as the commands check theirs (check_cfg_prediction: a NaN or Inf output
 * is an orderly error, an exit). So the values a corrupted file leaves in the layers (weights,
 * Wp/Wn, batch norm, activation scales) meet the forward code: the float convolution and batch
 * norm, the integer path's preparation (ttq_int8_levels, the folded epilogue) and its kernels
 * (the best set of this CPU), the shortcut, route, pooling and softmax.
 *
 * TTQ_FUZZ_MAKE_SEEDS=DIR ./fuzz_forward writes the seeds into DIR and exits: the network's own
 * weights after 200 training steps (ttq.weights), the same packed without activation scales
 * (packed.weights, record version 1, `ternary pack`) and packed with them (calibrated.weights,
 * record version 2, `ternary pack -calib` on three PPM images written here); it checks that the
 * last one puts every [ternary] layer on the integer path and that its logits differ from the float
 * path's, by less than the largest logit (else it aborts: the seed would not reach the path). */
#include "fuzz.h"
#include "darknet.h"
#include "check_cfg.h"
#include "ternary_int8.h"
#include "ternary_tool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char CFG[] =
    "[net]\nbatch=1\nsubdivisions=1\nwidth=8\nheight=8\nchannels=3\nlearning_rate=0.01\nmomentum=0.9\n\n"
    /* 0 */ "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=1\npad=1\nactivation=leaky\n\n"
    /* 1 */ "[ternary]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=1\npad=1\nactivation=leaky\n\n"
    /* 2 */ "[shortcut]\nfrom=-2\nactivation=linear\n\n"
    /* 3 */ "[ternary]\nfilters=4\nsize=3\nstride=2\npad=1\ngroups=2\nflipped=1\nbatch_normalize=1\nactivation=leaky\n\n"
    /* 4 */ "[ternary]\nfilters=4\nsize=1\nstride=1\nper_filter=1\nbatch_normalize=1\nactivation=relu\n\n"
    /* 5 */ "[route]\nlayers=-1,-2\n\n"
    /* 6 */ "[ternary]\nfilters=3\nsize=1\nstride=1\nper_filter=1\nsparsity=0.3\nactivation=linear\n\n"
    /* 7 */ "[avgpool]\n\n"
    /* 8 */ "[connected]\noutput=3\nactivation=linear\n\n"
    /* 9 */ "[softmax]\n";

#define IN_W 8
#define IN_H 8
#define IN_C 3
static float input[IN_W*IN_H*IN_C];

static void fill_input(float *x, int k)
{
    int i;
    for(i = 0; i < IN_W*IN_H*IN_C; ++i) x[i] = (float)((i*37 + k*11) % 256)/255.0f;
}

static void forward(void *path)
{
    const char *cfg = fuzz_path("net.cfg");
    network *net = parse_network_cfg((char *)cfg);
    load_weights(net, (char *)path);
    set_batch_network(net, 1);
    ternary_int_force_float = 1;
    float *y = network_predict(net, input);
    check_cfg_prediction(cfg, path, y, net->outputs, "the fixed input (float path)");
    ternary_int_force_float = 0;
    y = network_predict(net, input);
    check_cfg_prediction(cfg, path, y, net->outputs, "the fixed input (integer path)");
    free_network(net);
}

/* ---- seeds ----------------------------------------------------------------------------------- */
static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if(!f || fputs(text, f) < 0 || fclose(f)){
        perror(path);
        abort();
    }
}

/* An 8x8 binary PPM, a pattern that depends on k. */
static void write_ppm(const char *path, int k)
{
    unsigned char px[IN_W*IN_H*3];
    int i;
    for(i = 0; i < (int)sizeof px; ++i) px[i] = (unsigned char)((i*29 + k*83) % 256);
    FILE *f = fopen(path, "wb");
    if(!f || fprintf(f, "P6\n%d %d\n255\n", IN_W, IN_H) < 0 || fwrite(px, 1, sizeof px, f) != sizeof px || fclose(f)){
        perror(path);
        abort();
    }
}

/* The calibrated seed: every [ternary] layer holds a scale and runs on the integer path, whose
 * output is close to the float one and not the same bits (the float path would give those). */
static void check_calibrated(const char *cfg, const char *weights)
{
    network *net = load_network((char *)cfg, (char *)weights, 0);
    int i, nt = 0, nint = 0;
    for(i = 0; i < net->n; ++i){
        if(net->layers[i].type != TERNARY) continue;
        ++nt;
        nint += ternary_int_get_scale(net->layers[i], 0, 0) && !strcmp(ternary_int_path(net->layers[i]), "int8");
    }
    /* the logits ([connected], before the softmax) */
    layer fc = net->layers[net->n - 2];
    float yf[16], *yi = fc.output;
    set_batch_network(net, 1);
    ternary_int_force_float = 1;
    network_predict(net, input);
    memcpy(yf, yi, fc.outputs*sizeof(float));
    ternary_int_force_float = 0;
    network_predict(net, input);
    double d = 0, m = 0;
    for(i = 0; i < fc.outputs; ++i){
        if(fabs((double)yi[i] - yf[i]) > d) d = fabs((double)yi[i] - yf[i]);
        if(fabs(yf[i]) > m) m = fabs(yf[i]);
    }
    fprintf(stderr, "fuzz_forward: %s: %d of %d [ternary] layers on the integer path; largest difference of a "
            "logit from the float path %.3g (largest logit %.3g)\n", weights, nint, nt, d, m);
    if(nint != nt || nt == 0 || d == 0 || d > m){
        fprintf(stderr, "fuzz_forward: the calibrated seed does not run the integer path as expected\n");
        abort();
    }
    free_network(net);
}

static void make_seeds(const char *dir)
{
    char cfg[4096], ttq[4096], out[4096], data[4096], list[4096], text[4 * 4096];
    int i, k;
    snprintf(cfg, sizeof cfg, "%s", fuzz_path("net.cfg"));
    srand(1);
    network *net = parse_network_cfg(cfg);
    /* a few training steps: batch-norm statistics and weights as a trained file has them */
    for(k = 0; k < 200; ++k){
        fill_input(net->input, k);
        for(i = 0; i < net->truths; ++i) net->truth[i] = i == k % net->truths;
        train_network_datum(net);
    }
    snprintf(ttq, sizeof ttq, "%s/ttq.weights", dir);
    save_weights(net, ttq);
    free_network(net);

    snprintf(out, sizeof out, "%s/packed.weights", dir);
    ternary_pack(cfg, ttq, out);

    /* calibration images and the .data file naming them (absolute paths) */
    snprintf(list, sizeof list, "%s", fuzz_path("calib.list"));
    text[0] = 0;
    for(k = 0; k < 3; ++k){
        char name[32];
        snprintf(name, sizeof name, "calib%d.ppm", k);
        write_ppm(fuzz_path(name), k);
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s\n", fuzz_path(name));
    }
    write_text(list, text);
    snprintf(data, sizeof data, "%s", fuzz_path("calib.data"));
    snprintf(text, sizeof text, "classes=3\ntrain=%s\nvalid=%s\n", list, list);
    write_text(data, text);
    snprintf(out, sizeof out, "%s/calibrated.weights", dir);
    ternary_pack_calibrated(cfg, ttq, out, data, 3);
    check_calibrated(cfg, out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_write("net.cfg", (const uint8_t *)CFG, sizeof CFG - 1);
    fill_input(input, 0);
    const char *seeds = getenv("TTQ_FUZZ_MAKE_SEEDS");
    if(seeds){
        make_seeds(seeds);
        exit(0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write("in.weights", data, size);
    fuzz_guard(forward, (void *)fuzz_path("in.weights"));
    ternary_int_force_float = 0;
    return 0;
}
