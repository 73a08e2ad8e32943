/* [ternary]: a convolutional layer trained with Trained Ternary Quantization (TTQ). */
#ifndef TERNARY_LAYER_H
#define TERNARY_LAYER_H

#include <stdio.h>
#include "darknet.h"
#include "list.h"
#include "check_cfg.h"

/* The layer's records in a .weights file, TTQ and packed, are laid out in check_weights.h.
 * When ttq_save_packed is set, save_weights writes [ternary] layers as packed records. */
extern int ttq_save_packed;

#define TTQ_DEFAULT_THRESHOLD 0.05f

/* per_filter = 0: one (Wp, Wn) pair for the layer, as in the paper; 1: one pair per filter (the
 * latent weights of filter f, and its threshold, form scale group f). */
layer make_ternary_layer(int batch, int h, int w, int c, int n, int groups, int size, int stride,
                         int padding, ACTIVATION activation, int batch_normalize, int adam,
                         float threshold, float sparsity, float wp, float wn, float decay,
                         int per_filter);
void forward_ternary_layer(layer l, network net);
void backward_ternary_layer(layer l, network net);
void update_ternary_layer(layer l, update_args a);
void resize_ternary_layer(layer *l, int w, int h);
void ternarize_ternary_layer(layer l);
void free_ternary_layer(layer l);
/* the mean of v[0..k-1]: what `ternary info` and the telemetry show of per-filter Wp, Wn, delta */
float ternary_mean(const float *v, int k);

layer parse_ternary(list *options, int batch, int h, int w, int c, int adam,
                    const char *cfgfile, int index);
void save_ternary_weights(layer l, FILE *fp, const char *filename);
void load_ternary_weights(layer l, FILE *fp, const char *filename, int index);

#ifdef GPU
void forward_ternary_layer_gpu(layer l, network net);
void backward_ternary_layer_gpu(layer l, network net);
void update_ternary_layer_gpu(layer l, update_args a);
void ternarize_ternary_layer_gpu(layer l);
void push_ternary_layer(layer l);
void pull_ternary_layer(layer l);
#endif

#endif
