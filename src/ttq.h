/* TTQ math: the scalar reference functions of Trained Ternary Quantization (Zhu, Han, Mao, Dally,
 * ICLR 2017, section 3). The [ternary] layer and every faster path are tested against these. */
#ifndef TTQ_H
#define TTQ_H

#include <stddef.h>

/* Wp and Wn are kept at or above this value after every update, so that a layer can never flip
 * the sign of its ternary weights. */
#define TTQ_SCALE_FLOOR 1e-6f

/* Region codes of a latent weight: w > delta, |w| <= delta, w < -delta. */
#define TTQ_POS  1
#define TTQ_ZERO 0
#define TTQ_NEG -1

float ttq_threshold_ref(const float *w, size_t n, float t);
float ttq_sparsity_threshold_ref(const float *w, size_t n, float r);
int   ttq_region(float w, float delta);
void  ttq_ternarize_ref(float *q, const float *w, size_t n, float delta, float wp, float wn);
void  ttq_backward_ref(float *latent_updates, float *wp_update, float *wn_update,
                       const float *u, const float *w, size_t n, float delta, float wp, float wn);
size_t ttq_count_zeros_ref(const float *q, size_t n);

/* The optimiser step of Wp and Wn (and, with Adam, of every array of the layer on the CPU), then
 * the floor; see ttq.c. x: the n values stepped; d: their accumulated updates. */
void ttq_sgd_ref(float *x, float *d, size_t n, float decay, float rate, float momentum, int batch);
void ttq_adam_ref(float *x, float *d, float *m, float *v, size_t n, float b1, float b2, float eps,
                  float decay, float rate, int batch, int t);
void ttq_floor_ref(float *s, size_t n);

/* five ternary weights to a byte (base 3); see ttq.c */
size_t ttq_packed_size(size_t n);
void   ttq_pack_ref(unsigned char *out, const float *q, size_t n);
long   ttq_unpack_ref(float *w, const unsigned char *in, size_t n);

#endif
