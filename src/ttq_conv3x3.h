/* Direct 3x3 convolution (stride 1 or 2, pad 1, one group) for Darknet's CPU path.
 *
 * Darknet convolves by im2col + gemm: every image is first copied into a 9x larger column matrix,
 * and the backward pass writes another one and folds it back with col2im. For the 3x3 stride-1
 * layers that make up almost all of a ResNet, these copies and the gemm's own packing cost more
 * than the arithmetic. This path computes the same sums directly from a zero-padded copy of the
 * image, with vector accumulators held in registers (see ttq_conv3x3_impl.h for the method).
 * It is tested against im2col + gemm (tests/test_conv3x3.c).
 *
 * Layouts are Darknet's: an image is c x h x w floats, weights n x c x 3 x 3, output n x h x w.
 * The "padded" layout of a channel is (h+2) rows of (w+2) floats with zero borders, followed by a
 * zeroed tail; channel i starts at i*ttq_conv3x3_channel_stride(h, w). */
#ifndef TTQ_CONV3X3_H
#define TTQ_CONV3X3_H

#include <stddef.h>

/* Whether the direct path serves a layer of this shape on this CPU. 0 when the CPU lacks AVX2/FMA,
 * when the environment sets DARKNET_DIRECT_CONV=0, or when im2col + gemm is the faster choice. */
int ttq_conv3x3_applies(int size, int stride, int pad, int groups, int c, int n, int h, int w);

/* Floats of scratch one thread needs for one image (forward and backward). */
size_t ttq_conv3x3_thread_floats(int c, int n, int h, int w, int stride);
/* Floats of the packed weights shared by all threads (forward or backward). */
size_t ttq_conv3x3_packed_floats(int c, int n);

/* Reorder weights [n][c][9] into the blocks the kernels read. Call once per layer call, before
 * the images. _forward packs for output = conv(input); _backward for the input delta. */
void ttq_conv3x3_pack_forward(float *packed, const float *weights, int n, int c);
void ttq_conv3x3_pack_backward(float *packed, const float *weights, int n, int c, int stride);

/* out[n][oh][ow] = conv(im[c][h][w], weights), oh = h and ow = w for stride 1, (h-1)/2 + 1 and
 * (w-1)/2 + 1 for stride 2 (Darknet's output size). packed: from ttq_conv3x3_pack_forward. */
void ttq_conv3x3_forward(float *out, const float *im, const float *packed,
                         int n, int c, int h, int w, int stride, float *scratch);

/* dweights[n][c][9] += dL/dW for one image; when imdelta is not NULL, imdelta[c][h][w] += the
 * input delta (packed_bwd from ttq_conv3x3_pack_backward). delta is dL/d(output), n x oh x ow. */
void ttq_conv3x3_backward(float *dweights, float *imdelta, const float *delta, const float *im,
                          const float *packed_bwd, int n, int c, int h, int w, int stride,
                          float *scratch);

/* Name of the kernel set in use ("avx512", "avx2", or "none"). */
const char *ttq_conv3x3_isa(void);
/* For tests: use kernel set "avx512" or "avx2" from now on; 0 when this CPU cannot run it. */
int ttq_conv3x3_force_isa(const char *name);

#endif
