/* [ternary]: a convolutional layer trained with Trained Ternary Quantization (TTQ). */
#ifndef TERNARY_LAYER_H
#define TERNARY_LAYER_H

#include <stdio.h>
#include "darknet.h"
#include "list.h"
#include "check_cfg.h"

/* Weights record trailer written after a [ternary] layer's convolutional record (see README):
 * int32 tag, int32 version, int32 nscales, float wp[nscales], float wn[nscales].
 * The tag's bit pattern is a quiet NaN as a float, so it can never be mistaken for the first float
 * of an ordinary record. */
#define TTQ_RECORD_TAG     0x7FC05154u
#define TTQ_RECORD_VERSION 1

/* The packed record (`darknet ternary pack`): tag, int32 version, int32 nscales, int32 nweights,
 * float wp[nscales], float wn[nscales], then the biases and batch-norm values as in an ordinary
 * record, then the ternary weights five to a byte (ttq_pack_ref). The tag is another quiet NaN,
 * first in the record: no ordinary record starts with a NaN. */
#define TTQ_PACKED_TAG     0x7FC0504Bu
#define TTQ_PACKED_VERSION 1

/* When set, save_weights writes [ternary] layers as packed records. */
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
int  check_weights_next_is_ternary(FILE *fp);
int  check_weights_record_is_packed(FILE *fp, long start);

#ifdef GPU
void forward_ternary_layer_gpu(layer l, network net);
void backward_ternary_layer_gpu(layer l, network net);
void update_ternary_layer_gpu(layer l, update_args a);
void ternarize_ternary_layer_gpu(layer l);
void push_ternary_layer(layer l);
void pull_ternary_layer(layer l);
#endif

#endif
