/* Direct 3x3 convolution (stride 1 or 2, pad 1, one group) for Darknet's CPU path.
 *
 * Darknet convolves by im2col + gemm: every image is first copied into a 9x larger column matrix,
 * and the backward pass writes another one and folds it back with col2im. For the 3x3 layers that
 * make up almost all of a ResNet, these copies and the gemm's own packing cost more than the
 * arithmetic. This path computes the same sums directly from a zero-padded copy of the image (at
 * stride 2, four phase planes of it), with vector accumulators held in registers (see
 * cpu_conv3x3_impl.h for the method). tests/test_conv3x3.c checks it against the definition in
 * double and against im2col + gemm.
 *
 * Layouts are Darknet's: an image is c x h x w floats, weights n x c x 3 x 3, output n x oh x ow.
 * Scratch and packed buffers are the caller's (sizes below); their layout is private. */
#ifndef CPU_CONV3X3_H
#define CPU_CONV3X3_H

#include <stddef.h>

/* Whether the direct path serves a layer of this shape on this CPU: 3x3, pad 1, stride 1 or 2, one
 * group. 0 for other shapes, when the CPU lacks AVX2/FMA, or when the environment sets
 * DARKNET_DIRECT_CONV=0. */
int cpu_conv3x3_applies(int size, int stride, int pad, int groups, int c, int n, int h, int w);

/* Floats of scratch one thread needs for one image (forward and backward). */
size_t cpu_conv3x3_thread_floats(int c, int n, int h, int w, int stride);
/* Floats of the packed weights shared by all threads (forward or backward). */
size_t cpu_conv3x3_packed_floats(int c, int n);

/* Reorder weights [n][c][9] into the blocks the kernels read. Call once per layer call, before
 * the images. _forward packs for output = conv(input); _backward for the input delta. */
void cpu_conv3x3_pack_forward(float *packed, const float *weights, int n, int c);
void cpu_conv3x3_pack_backward(float *packed, const float *weights, int n, int c, int stride);

/* out[n][oh][ow] = conv(im[c][h][w], weights), oh = h and ow = w for stride 1, (h-1)/2 + 1 and
 * (w-1)/2 + 1 for stride 2 (Darknet's output size). packed: from cpu_conv3x3_pack_forward. */
void cpu_conv3x3_forward(float *out, const float *im, const float *packed,
                         int n, int c, int h, int w, int stride, float *scratch);

/* dweights[n][c][9] += dL/dW for one image; when imdelta is not NULL, imdelta[c][h][w] += the
 * input delta (packed_bwd from cpu_conv3x3_pack_backward). delta is dL/d(output), n x oh x ow. */
void cpu_conv3x3_backward(float *dweights, float *imdelta, const float *delta, const float *im,
                          const float *packed_bwd, int n, int c, int h, int w, int stride,
                          float *scratch);

/* Name of the kernel set in use ("avx512", "avx2", or "none"). */
const char *cpu_conv3x3_isa(void);
/* For tests: use kernel set "avx512" or "avx2" from now on; 0 when this CPU cannot run it. */
int cpu_conv3x3_force_isa(const char *name);

#endif
