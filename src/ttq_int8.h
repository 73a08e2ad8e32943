/* The integer inference path of a [ternary] layer (W2A8): ternary weights as small integers,
 * activations as 8-bit codes, int32 accumulation, one float multiply-add per output. The math and
 * its scalar reference definitions are in ttq_int8.c, with the kernels (AVX-512 VNNI, AVX2, ARM64
 * NEON dot product, and plain C) that are tested against them bit for bit (tests/test_int8.c).
 * This file depends on the C library only (and check_error.c), so that the same code runs in the
 * ARM64 test under qemu. The glue to Darknet's layer is ternary_int8.c. */
#ifndef TTQ_INT8_H
#define TTQ_INT8_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The largest integer weight level. AVX2's vpmaddubsw adds two products u8 x s8 into a saturating
 * int16: 2 x 255 x 64 = 32640 <= 32767, so no sum saturates and every kernel set gives the same
 * integers. */
#define TTQ_INT8_WMAX 64
/* Output channels per register block, the same for every kernel set (the weights' layout). */
#define TTQ_INT8_OB 8
/* Flattened output positions are computed in multiples of this (the widest vector, 16 int32). */
#define TTQ_INT8_FQ 16

typedef enum {
    TTQ_KSET_SCALAR = 0,  /* plain C on the kernels' layout: any CPU */
    TTQ_KSET_AVX2,        /* vpmaddubsw + vpmaddwd, 8 positions a vector */
    TTQ_KSET_VNNI,        /* AVX-512 VNNI vpdpbusd, 16 positions a vector */
    TTQ_KSET_NEON,        /* ARM64 sdot (ARMv8.2 dot product), 4 positions a vector */
    TTQ_KSET_COUNT
} ttq_kset;

const char *ttq_int8_kset_name(ttq_kset k);   /* "scalar", "avx2", "avx512-vnni", "neon-dotprod" */
int ttq_int8_kset_available(ttq_kset k);      /* 1 when this build and this CPU run it */
ttq_kset ttq_int8_kset_best(void);
int ttq_int8_kset_parse(const char *name);    /* the set of that name, -1 for none */

/* ---- the weights ---------------------------------------------------------------------------- */
/* One scale group's ternary values {+wp, 0, -wn} as integers {+p, 0, -n} times one float s, with
 * 1 <= p, n <= TTQ_INT8_WMAX chosen so that p/n is closest to wp/wn and s by least squares. Returns
 * the relative error of the represented values: max(|s p - wp|/wp, |s n - wn|/wn). Zero when wp/wn
 * is a ratio of two integers up to 64 (wp = wn among them); otherwise at most (measured over a fine
 * sweep, tests/test_int8.c) 0.63 % for ratios within [1/2, 2], 0.94 % within [1/16, 16], 1.54 %
 * within [1/64, 64]. `ternary info` prints each layer's. */
float ttq_int8_levels(float wp, float wn, int *p, int *n, float *s);

/* ---- the activations ------------------------------------------------------------------------ */
/* An activation x is coded as u = clamp(round(x / scale) + zero, 0, 255), and u stands for
 * (u - zero) x scale. zero is 0 for inputs that are never negative (after a ReLU), 128 otherwise.
 * From the range [lo, hi] seen in calibration: zero = 0, scale = hi/255 when lo >= 0; zero = 128,
 * scale = max(-lo/128, hi/127) otherwise. Returns -1 (and sets nothing) when the range is not
 * finite or holds no positive magnitude. */
int ttq_int8_act_params(float lo, float hi, float *scale, int *zero);
uint8_t ttq_int8_quantize_ref(float x, float inv_scale, int zero);

/* The coding's definition, inline for the other integer ops (src/int_graph/): x/scale rounded to
 * the nearest integer (ties to even), plus zero, clamped to 0 .. 255. +Inf codes as 255, -Inf and
 * NaN as 0, found on the bits (Darknet builds with -Ofast, whose -ffinite-math-only lets the
 * compiler drop a comparison that is meant to see NaN); a finite value is bounded before it
 * converts, so that the conversion is defined. */
static inline uint8_t ttq_int8_quantize(float x, float inv_scale, int zero)
{
    float v = x*inv_scale;
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    if((bits & 0x7f800000u) == 0x7f800000u) return bits == 0x7f800000u ? 255 : 0;
    if(v < -256.0f) v = -256.0f;
    if(v > 256.0f) v = 256.0f;
    int u = (int)lrintf(v) + zero;
    return (uint8_t)(u < 0 ? 0 : u > 255 ? 255 : u);
}

/* ---- one convolution ------------------------------------------------------------------------ */
typedef struct {
    int c, h, w;            /* input channels (all groups), height, width */
    int n;                  /* output channels (all groups) */
    int groups, size, stride, pad;
    int out_h, out_w;
} ttq_int8_shape;

/* NULL when the shape is one the path runs, else why not. */
const char *ttq_int8_shape_check(const ttq_int8_shape *s);

/* Activation of the epilogue; other activations are applied by the caller on the output. */
#define TTQ_INT8_LINEAR 0
#define TTQ_INT8_RELU   1
#define TTQ_INT8_LEAKY  2   /* Darknet's leaky: x > 0 ? x : 0.1 x */

/* The reference (the definition), for one image:
 *   acc[o][y][x] = sum over c of group(o), ky, kx of w[o][c][ky][kx] x (u[c][y s + ky - pad][x s + kx - pad] - zero)
 * with positions outside the image contributing 0 (padding codes the value 0). w is in Darknet's
 * order [n][c/groups][size][size]; u is the coded input [c][h][w]. */
void ttq_int8_conv_ref(int32_t *acc, const int8_t *w, const uint8_t *u, int zero, const ttq_int8_shape *s);
/* y = mul[o] x acc + add[o], then the activation: the epilogue's definition, [n][out_h][out_w]. */
void ttq_int8_epilogue_ref(float *y, const int32_t *acc, const float *mul, const float *add, int act,
                           const ttq_int8_shape *s);

/* The same with the output coded on (1/out_inv, out_zero): the 8-bit hand-over to a consumer on the
 * integer path. Leaky: quantize(y, out_inv, out_zero) of each y the epilogue above defines. Linear
 * and relu, in one fused multiply-add on the output's code scale:
 *   v = fma(acc, mq, cq), mq = mul/scale, cq = add/scale + zero (computed in double, rounded once)
 *   relu: v = max(v, zero); code = round-to-even(clamp(v, 0, 255))
 * the same value as quantize(y) but for the rounding of mq and cq (so a value at a rounding tie
 * may land one code away). */
void ttq_int8_epilogue_codes_ref(uint8_t *yq, const int32_t *acc, const float *mul, const float *add, int act,
                                 float out_inv, int out_zero, const ttq_int8_shape *s);

/* The weights of a full-precision convolution (W8A8's weights, on the same kernels): count weights
 * of one output channel as integers q = round(w/s) with s = max|w|/TTQ_INT8_WMAX, so |q| <= 64
 * (7 bits and a sign: the bound that keeps AVX2's int16 sums exact). Returns s; 0 when every
 * weight is 0 (q all 0), -1 when a weight is not finite (q unset). */
float ttq_int8_channel_levels(const float *w, size_t count, int8_t *q);

/* A convolution prepared for the kernels: the weights in the kernels' layout and the workspace. */
typedef struct {
    ttq_int8_shape s;
    ttq_kset kset;
    int zero, act;
    float scale, inv_scale;
    int cg, c4, ng, nob, phases, hq, wq;  /* channels per group, in groups of 4; outputs per group,
                                             in blocks of OB; stride^2 phases of hq x wq */
    size_t plane, fr;   /* a phase plane's positions (4 bytes each); flattened outputs computed */
    int32_t *wk;        /* [groups][nob][size][size][c4][OB], each word 4 int8 weights of 4 channels */
    uint32_t *aoff;     /* per (tap, quad), in the weights' order: its bytes from the group's planes */
    int nsteps;         /* size x size x c4 */
    int32_t *wsum;      /* the sum of each filter's integer weights */
    int32_t *zw;        /* zero x wsum */
    float *mul, *add;
    uint8_t *xq;        /* per image: [groups][phases][c4][plane][4] */
    int32_t *acc;       /* per image: [n][fr] */
    int ws_batch;
} ttq_int8_conv;

/* Prepares cv (which it zeroes first). w: integer weights in Darknet's order, |w| <= WMAX; mul,
 * add: the epilogue per output; the input coding (scale, zero). Returns 0, or -1 when memory runs
 * out or the shape is not supported (ttq_int8_shape_check). */
int  ttq_int8_conv_init(ttq_int8_conv *cv, const ttq_int8_shape *s, const int8_t *w, const float *mul,
                        const float *add, float scale, int zero, int act, ttq_kset kset);
void ttq_int8_conv_free(ttq_int8_conv *cv);
/* batch images: float input [batch][c][h][w] to float output [batch][n][out_h][out_w], the input
 * coded, convolved by the kernel set, the epilogue applied; threads (OpenMP) over images, output
 * blocks and position chunks. Returns 0, or -1 when memory for the workspace runs out. */
int  ttq_int8_conv_forward(ttq_int8_conv *cv, const float *x, float *y, int batch);
/* One run: the input as floats x (coded here on the input's coding) or as codes u, both
 * [batch][c][h][w] (exactly one given); the output as floats y and/or codes yq on the output's
 * coding (out_inv = 1/scale, out_zero), [batch][n][out_h][out_w]. The codes are exactly
 * ttq_int8_epilogue_codes_ref's. Returns 0, or -1 for memory or a bad request. */
typedef struct {
    const float *x;
    const uint8_t *u;
    float *y;
    uint8_t *yq;
    float out_inv;
    int out_zero;
} ttq_int8_io;
int  ttq_int8_conv_run(ttq_int8_conv *cv, const ttq_int8_io *io, int batch);
/* For tests: the coded input u of one image ([c][h][w]) through the layout and the kernels, the
 * integer result as ttq_int8_conv_ref defines it. Returns 0 or -1 as above. */
int  ttq_int8_conv_acc(ttq_int8_conv *cv, const uint8_t *u, int32_t *acc);

#endif
