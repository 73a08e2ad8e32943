/* The records a .weights file holds for a [ternary] layer, and the checks that turn Darknet's silent
 * short reads of a .weights file into clear errors. */
#ifndef CHECK_WEIGHTS_H
#define CHECK_WEIGHTS_H

#include <stdint.h>
#include <stdio.h>
#include "darknet.h"

/* ---- the [ternary] records ------------------------------------------------------------------
 * Every number is stored in the host's byte order (little-endian on x86 and ARM), as Darknet stores
 * the rest of the file; n = filters, k = nscales (1 = one Wp/Wn pair per layer, the paper's
 * method; n with per_filter=1), N = nweights = n * c/groups * size * size. Both tags are quiet NaNs
 * as floats: no ordinary record holds a NaN (check_weights_layer rejects one), so a tag can never
 * be mistaken for a float of an ordinary record. */

/* The TTQ record: Darknet's [convolutional] record for the layer, then this trailer.
 *   bytes        type       field              meaning
 *   4n           float32    biases[n]          Darknet's record: biases,
 *   3 x 4n       float32    scales, rolling mean, rolling variance [n]  (batch_normalize=1 only),
 *   4N           float32    weights[N]         the latent weights (flipped=1: transposed),
 *   4            uint32     tag                TTQ_RECORD_TAG (0x7FC05154)
 *   4            int32      version            TTQ_RECORD_VERSION (1)
 *   4            int32      nscales            k
 *   4k           float32    wp[k]              Wp of each scale group, >= TTQ_SCALE_FLOOR
 *   4k           float32    wn[k]              Wn of each scale group, >= TTQ_SCALE_FLOOR
 * 32 bits per weight. A record without the trailer is a full-precision [convolutional] record:
 * it loads into a [ternary] layer with the cfg's Wp and Wn (fine-tuning from full precision). */
#define TTQ_RECORD_TAG     0x7FC05154u
#define TTQ_RECORD_VERSION 1
typedef struct {
    uint32_t tag;
    int32_t  version;
    int32_t  nscales;
} ttq_record_head;
_Static_assert(sizeof(ttq_record_head) == 12, "the TTQ record's trailer head is 12 bytes on disk");

/* The packed record (`darknet ternary pack`), in place of the whole record above.
 *   bytes        type       field              meaning
 *   4            uint32     tag                TTQ_PACKED_TAG (0x7FC0504B)
 *   4            int32      version            TTQ_PACKED_VERSION (1)
 *   4            int32      nscales            k
 *   4            int32      nweights           N, which must equal the cfg's layer's
 *   4k           float32    wp[k]              Wp of each scale group, >= TTQ_SCALE_FLOOR
 *   4k           float32    wn[k]              Wn of each scale group, >= TTQ_SCALE_FLOOR
 *   4n           float32    biases[n]          as in Darknet's record,
 *   3 x 4n       float32    scales, rolling mean, rolling variance [n]  (batch_normalize=1 only),
 *   (N + 4)/5    uint8      codes[]            the ternary weights q (flipped=1: transposed), five
 *                                              base-3 digits to a byte (3^5 = 243 <= 256), digit 0
 *                                              for 0, 1 for +Wp, 2 for -Wn, the first weight in the
 *                                              lowest digit; the last byte's unused digits are 0
 *                                              (ttq_pack_ref, ttq.c)
 * 8/5 = 1.6 bits per weight (the information limit of a ternary digit, log2 3, is 1.585). Loaded,
 * the codes become the latent weights +1, 0, -1, which ternarise to the saved q. */
#define TTQ_PACKED_TAG     0x7FC0504Bu
#define TTQ_PACKED_VERSION 1
typedef struct {
    uint32_t tag;
    int32_t  version;
    int32_t  nscales;
    int32_t  nweights;
} ttq_packed_head;
_Static_assert(sizeof(ttq_packed_head) == 16, "the packed record's head is 16 bytes on disk");

/* Version 2 of the packed record (`ternary pack -calib`): version 1's fields, then the activation
 * scale of the layer's input, for the integer path (ternary_int8.h):
 *   4            int32      nact               the number of scales: 1 (one per layer)
 *   4            int32      zero               the code of 0: 0 (an input never negative) or 128
 *   4            float32    scale              the value of one code step, finite and > 0
 * An input value x is coded as clamp(round(x/scale) + zero, 0, 255). Version 1 records still load
 * (the float path). */
#define TTQ_PACKED_VERSION_SCALES 2
typedef struct {
    int32_t nact;
    int32_t zero;
    float   scale;
} ttq_packed_act;
_Static_assert(sizeof(ttq_packed_act) == 12, "the packed record's activation scale is 12 bytes on disk");

/* 1 when the record starting at byte `start` is a packed [ternary] record; the stream's position
 * and end-of-file state are kept. */
int  check_weights_record_is_packed(FILE *fp, long start);
/* 1 when the next bytes of fp are a TTQ record's trailer; the stream's position is kept. */
int  check_weights_next_is_ternary(FILE *fp);

/* ---- checks of Darknet's loader and saver (check_weights.c) ---------------------------------- */
void check_weights_header(FILE *fp, const char *filename, size_t got, size_t want);
int  check_weights_layer(FILE *fp, const char *filename, int index, layer l, long start);
void check_weights_end(FILE *fp, const char *filename, int nlayers);
void check_weights_not_ternary(FILE *fp, const char *filename, int index);
/* After save_weights wrote every record of `filename` to fp (output_open's temporary): a write
   error (checked after a flush) removes the temporary and ends the program, so the previous weights
   file is kept. */
void check_weights_written(FILE *fp, const char *filename);
/* After layer `index` was written to fp (to become `filename`): a layer holding NaN or Inf removes
   the temporary and ends the program, so the previous `filename` is kept. */
void check_weights_saved_layer(FILE *fp, const char *filename, int index, layer l);

#endif
