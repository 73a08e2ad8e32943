/* The integer operations of a whole network on 8-bit codes, besides the convolutions (which are
 * ttq_int8.c's): [shortcut], [route], [maxpool], [avgpool], [upsample], and the coding and decoding
 * of whole tensors. A tensor is [batch][c][h][w] of codes u standing for (u - zero) x scale (the
 * coding of ttq_int8.h). Each operation is defined as Darknet's float layer computes it on the
 * decoded values, then coded on its output's coding: so the integer network gives what the float
 * layers would give on the same codes, up to the output's rounding.
 *
 * The *_ref functions are the definitions, plain loops; the others are the fast paths (tables of
 * the per-code terms, threads over images and channels) and must give the same bytes (tests/
 * test_int_ops.c). [maxpool], [avgpool] and [upsample] move bytes or sum them: their definition is
 * their implementation. This file depends on the C library and ttq_int8.h only (the ARM64 test
 * under qemu builds it too). */
#ifndef INT_OPS_H
#define INT_OPS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    float scale;
    int zero;
} int_coding;

/* the activations an integer op applies before coding its output (ttq_int8.h's) */
#define INT_OPS_LINEAR 0
#define INT_OPS_RELU   1
#define INT_OPS_LEAKY  2

float int_ops_value(uint8_t u, int_coding c);           /* (u - zero) x scale */
void  int_ops_decode(float *y, const uint8_t *u, size_t n, int_coding c);
void  int_ops_encode(uint8_t *u, const float *x, size_t n, int_coding c);
/* t[u] = the code on `out` of u's value on `in`: one input of a [route] whose coding differs */
void  int_ops_requant_table(uint8_t t[256], int_coding in, int_coding out);

/* [shortcut]: Darknet's shortcut_cpu and its activation. out (the layer's output, shaped like its
 * first input `prev`: w2 x h2 x c2) = act(alpha x prev + beta x add) where add (w1 x h1 x c1, the
 * layer `from`) covers it, read every w1/w2-th position or written every w2/w1-th; act(prev)
 * elsewhere.
 *   The codes are computed in fixed point, the same in every implementation: with the ratios
 * rp = alpha sp/so, ra = beta sa/so, rn = sp/so (s: the codings' scales) as integers
 * M = round(r 2^SH), SH = 16 (less where a ratio is 64 or more, so that |M| < 2^22),
 *   v = Mp (u1 - zp) + Ma (u2 - za) where covered, Mn (u1 - zp) elsewhere   (exact in int32)
 * relu: v = max(v, 0); leaky: v = -round(0.1 |v|) for v < 0 (0.1 as 6554/65536); then
 *   code = clamp(floor((v + 2^(SH-1)) / 2^SH) + zo, 0, 255)
 * which is the float definition's code but for ratios rounded to 16 bits (a relative error below
 * 2^-17 at the ratios of real networks) and ties rounded up. The floats (for a float reader) are
 * the decoded values' alpha x prev + beta x add, activated, in float. */
typedef struct {
    int w1, h1, c1, w2, h2, c2;
    float alpha, beta;
    int act;
    int_coding prev, add, out;
} int_shortcut;
/* outq (codes on p->out) and/or outf (floats, the value before coding); NULL for either skips it */
void int_ops_shortcut_ref(const int_shortcut *p, const uint8_t *prev, const uint8_t *add, uint8_t *outq,
                          float *outf, int batch);
void int_ops_shortcut(const int_shortcut *p, const uint8_t *prev, const uint8_t *add, uint8_t *outq, float *outf,
                      int batch);

/* [route]: the inputs' channels one after the other; input k (n[k] values an image) copied where
 * its coding is the output's, else through int_ops_requant_table. */
void int_ops_route_ref(uint8_t *out, const uint8_t *const *in, const int *n, const int_coding *in_c, int nin,
                       int_coding out_c, int batch);
void int_ops_route(uint8_t *out, const uint8_t *const *in, const int *n, const int_coding *in_c, int nin,
                   int_coding out_c, int batch);

/* [maxpool] (Darknet's: size x size windows every stride, offset -pad/2, positions outside the
 * image ignored) on the codes: the coding is monotonic, so the code of the largest value is the
 * largest code; the output's coding is the input's. A window with no position inside codes 0. */
void int_ops_maxpool(uint8_t *out, const uint8_t *in, int w, int h, int c, int size, int stride, int pad, int out_w,
                     int out_h, int batch);
/* [avgpool] (Darknet's: one mean per channel): the integer sum of the codes, then
 * v = in.scale x (sum - h w in.zero) / (h w), to codes on `out` (outq) and/or floats (outf). */
void int_ops_avgpool(uint8_t *outq, float *outf, const uint8_t *in, int w, int h, int c, int_coding in_c,
                     int_coding out_c, int batch);
/* [upsample] (Darknet's, forward, stride >= 1): every code repeated stride x stride times; the
 * output's coding is the input's with its scale times the layer's `scale`. */
void int_ops_upsample(uint8_t *out, const uint8_t *in, int w, int h, int c, int stride, int batch);

#endif
