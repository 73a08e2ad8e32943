/* `darknet ternary ...` commands that other code (tests) calls directly. */
#ifndef TERNARY_TOOL_H
#define TERNARY_TOOL_H

#include "darknet.h"

/* Writes a copy of the network without [ternary] layers: out_cfg is cfgfile with every [ternary]
 * section renamed [convolutional] (its TTQ-only keys commented out), out_weights holds each such
 * layer's ternary weights q in {+Wp, 0, -Wn} as an ordinary [convolutional] record. Stock Darknet
 * and other Darknet readers run the pair; its outputs equal the [ternary] network's. Exits with a
 * message naming the file on any error; never overwrites cfgfile or weightfile. Returns the number
 * of layers folded. */
int ternary_fold(const char *cfgfile, const char *weightfile, const char *out_cfg,
                 const char *out_weights);

/* Writes out: weightfile with every [ternary] record packed (ternary_layer.h: base-3 codes of the
 * ternary weights, five to a byte, and Wp/Wn); loading it gives the network the same ternary
 * weights, so the same outputs (checked before it returns; the latent weights become +1, 0, -1).
 * Exits with a message naming the file on any error. Returns the number of layers packed. */
int ternary_pack(const char *cfgfile, const char *weightfile, const char *out);
/* The same, and with calib_data (a classifier or detector .data file) the activation scales of the
 * integer path: calib_n images of its `train` list (spread over the list), letterboxed to the
 * network's size, run through the float network; each [ternary] layer's input range gives its
 * scale (ttq_int8_act_params), stored in version 2 packed records. Reports how the integer path
 * agrees with the float path on those images. */
int ternary_pack_calibrated(const char *cfgfile, const char *weightfile, const char *out,
                            const char *calib_data, int calib_n);

/* The activation scales of every [ternary] layer of net (loaded, on the CPU), from calib_n images of
 * calib_data's `train` list as ternary_pack_calibrated finds them. */
void ternary_calibrate(network *net, const char *calib_data, int calib_n);

#endif
