/* The whole network on integers: the plan that decides, layer by layer, what runs on 8-bit codes
 * and what stays float, the codings (scale, zero) of every tensor from `ternary pack -calib`, their
 * record in the weights file, and the forward that runs the plan.
 *
 * A network gets a graph (net->int_graph, patch 0610) when its weights file ends with the graph
 * record below (written by `ternary pack -calib`). Its inference forward on the CPU then runs:
 *   [ternary]        ternary weights as integer levels (ttq_int8.c), as the per-layer path does
 *   [convolutional]  per-output-channel 7-bit weights on the same kernels (ttq_int8_channel_levels)
 *   [shortcut] [route] [maxpool] [avgpool] [upsample]   on the codes (int_ops.c)
 * when every tensor it reads has a coding; everything else ([connected], [softmax], [yolo], ...)
 * runs in float. A layer writes codes, coded in its epilogue on its output's coding, when a layer
 * on the integer path reads it, and floats when a float layer reads it, or it is the network's
 * output; both when both. The activations fused are linear, relu and leaky; a [convolutional] or
 * [ternary] layer with another one runs its convolution on integers and writes floats.
 *
 * DARKNET_TTQ_INT8=0 runs the network in float, as before; without the record a file runs as it
 * did before (each [ternary] layer with activation scales on its own, ternary_int8.h). An input
 * that is not finite runs the whole forward in float (which carries the NaN to the output).
 *
 * The record, after the last layer's (little-endian):
 *   4            int32      magic              INT_GRAPH_MAGIC ("TTQG")
 *   4            int32      version            INT_GRAPH_VERSION (1)
 *   4            int32      layers             the network's layer count
 *   4 + 4        f32, i32   scale, zero        of the network's input
 *   (4 + 4) x layers        scale, zero        of each layer's output
 * A scale of 0 is "no coding" (that tensor stays float); otherwise it is within the integer path's
 * bounds (TERNARY_INT_SCALE_MIN .. MAX) and zero is 0 or 128. */
#ifndef INT_GRAPH_H
#define INT_GRAPH_H

#include <stdio.h>
#include "darknet.h"

#define INT_GRAPH_MAGIC 0x47515454   /* "TTQG" */
#define INT_GRAPH_VERSION 1

void int_graph_free(void *graph);
/* The inference forward on the graph: 1 when it ran the network, 0 when the float forward must
 * (no graph, training, DARKNET_TTQ_INT8=0, calibration, an input that is not finite). */
int  int_graph_forward(network *net);
/* The same, each layer's wall time into t[i] (bench/bench_infer.c's per-layer table). */
int  int_graph_forward_timed(network *net, double *t);
/* A training forward: the weights will change, what was prepared from them is stale. */
void int_graph_stale(network *net);
/* load_weights, after the last layer's record: the graph record if the file holds one (any graph
 * the network had is dropped first). A bad record is an error naming the file and the layer. */
void int_graph_read(network *net, FILE *fp, const char *filename);
/* `ternary pack`: appends the network's graph record, if it has one; 0, or -1 on a write error. */
int  int_graph_write(network *net, FILE *fp);

/* Calibration (`ternary pack -calib`): begin drops any graph and starts the ranges; observe, after
 * each float forward of one image, takes the range of the input and of every layer's output; end
 * turns the ranges into codings (a tensor whose range gives none stays float). */
void int_graph_calib_begin(network *net);
void int_graph_calib_observe(network *net);
void int_graph_calib_end(network *net);

/* For `ternary info` and the tests: layer i's path ("int8", "float") and the codings of what it
 * reads and writes; 0 when the network has no graph. in_scale is 0 when what it reads has none
 * (a [route] reports its first input). */
int  int_graph_layer(network *net, int i, const char **path, float *in_scale, int *in_zero, float *out_scale,
                     int *out_zero);
/* The coding of tensor p (the output of layer p; -1: the network's input) as the plan uses it: 1
 * and (scale, zero) when it has one. */
int  int_graph_tensor(network *net, int p, float *scale, int *zero);
/* 1 when layer i runs on integers in the plan. */
int  int_graph_is_integer(network *net, int i);
/* The number of layers that run on integers (the plan made now). */
int  int_graph_integer_layers(network *net);

#endif
