/* The integer inference path of [ternary] layers, as Darknet runs it: the state each layer keeps in
 * l.ttq_int (patch 0605), its preparation from the layer (ternary weights, batch norm, bias) for
 * the kernels of ttq_int8.c, calibration, and the run-time choices.
 *
 * A [ternary] layer runs on the integer path in inference (net.train == 0, the CPU forward) when
 * it holds an activation scale: from a packed file of record version 2 (`darknet ternary pack
 * ... -calib DATA`). The environment:
 *   DARKNET_TTQ_INT8=0       the float path for every layer, scales or not
 *   DARKNET_TTQ_INT8=1       the integer path is required: loading a [ternary] record without
 *                            scales is an error naming the file and the layer
 *   (unset or empty)         the integer path where a layer has scales
 *   DARKNET_TTQ_KERNELS=...  scalar, avx2, avx512-vnni or neon-dotprod instead of the best set this
 *                            CPU runs (an error if it does not run that one)
 * The first layer to run says once, on stderr, which path and which kernel set. */
#ifndef TERNARY_INT8_H
#define TERNARY_INT8_H

#include "darknet.h"
#include "ttq_int8.h"

/* The range of activation scales a packed record may hold: 8-bit codes times the scale cover
   inputs up to 255 x 1e12; calibration gives about max|x|/255, so any real input's scale is in it. */
#define TERNARY_INT_SCALE_MIN 1e-12f
#define TERNARY_INT_SCALE_MAX 1e12f
/* The number of activation scales of a packed record of version 2 (one per layer). */
#define TERNARY_INT_NSCALES 1

void *ternary_int_new(void);
void  ternary_int_free(void *state);

/* Runs the layer's inference forward on the integer path when it can: returns 1 when it did.
   Under DARKNET_TTQ_INT8=1 a layer without activation scales is an error naming the weights file
   it was loaded from (ternary_int_note_file) and the layer: the variable constrains inference only
   (training, calibration, `ternary fold`'s and `pack`'s checks run in float). */
int  ternary_int_forward(layer l, network net);
/* The weights file the layer's record came from, for that message (copied). */
void ternary_int_note_file(layer l, const char *file);
/* A training forward: the weights will change, the prepared copy is stale. */
void ternary_int_stale(layer l);

/* The activation scale of the layer's input: 1 and (scale, zero) when it has one. */
int  ternary_int_get_scale(layer l, float *scale, int *zero);
void ternary_int_set_scale(layer l, float scale, int zero);
void ternary_int_clear_scale(layer l);

/* -1: the integer path where there are scales; 0: DARKNET_TTQ_INT8=0; 1: DARKNET_TTQ_INT8=1. An
 * invalid value of the variable ends the program naming it. */
int  ternary_int_mode(void);
/* The kernel set the path runs (DARKNET_TTQ_KERNELS or the best), checked. */
const char *ternary_int_kernels(void);

/* The integer convolution of a [ternary] layer (its ternary weights as levels, ttq_int8_levels) or
 * of a [convolutional] one (per-channel levels, ttq_int8_channel_levels), batch norm and bias in
 * the epilogue, for an input coded with (in_scale, in_zero); *act: the activation the epilogue
 * applies (linear where the layer's is another: the caller applies it). Returns 0, or -1 when the
 * layer cannot run so (its shape, binary/xnor, weights or batch norm not finite): nothing to free.
 * level_error (may be NULL): ternary_int_level_error's value. */
int  ternary_int_conv_prepare(layer l, int index, float in_scale, int in_zero, ttq_int8_conv *cv, int *act,
                              float *level_error);

/* Calibration (`ternary pack -calib`): while set, every [ternary] inference forward runs in float
 * and records the range of its input. */
extern int ternary_int_calibrating;
/* While set, the float path runs whatever the scales and the environment (pack's own check). */
extern int ternary_int_force_float;
/* The range recorded; 0 when the layer saw no input. */
int  ternary_int_range(layer l, float *lo, float *hi, long *count);
void ternary_int_reset_range(layer l);

/* The layer's path as `ternary info` shows it ("int8" or "float"), and the relative error of its
 * weight levels (ttq_int8_levels; the largest over its scale groups). */
const char *ternary_int_path(layer l);
float ternary_int_level_error(layer l);

#endif
