/* Fused batch normalisation + activation (training, CPU) for convolutional layers; see
 * cpu_bnact.c. Layout is Darknet's: batch x filters x spatial. */
#ifndef CPU_BNACT_H
#define CPU_BNACT_H

#include "darknet.h"

/* Whether the fused path handles activation a (others use Darknet's separate passes). */
int cpu_bnact_supports(ACTIVATION a);

/* out: the convolution's output on entry, act(scale*xn + bias) on return. x_norm: xn.
 * mean, variance: the batch's mean and biased variance; the rolling statistics are updated as
 * Darknet does (0.99/0.01, with the unbiased variance). */
void cpu_bnact_forward_train(float *out, float *x_norm, float *mean, float *variance,
                             float *rolling_mean, float *rolling_variance, const float *scales,
                             const float *biases, int batch, int filters, int spatial, ACTIVATION a);

/* delta: dL/d(activated output) on entry, dL/d(convolution output) on return.
 * out: the activated output; scale_updates and bias_updates are added to. */
void cpu_bnact_backward(float *delta, const float *out, const float *x_norm, const float *variance,
                        const float *scales, float *scale_updates, float *bias_updates,
                        int batch, int filters, int spatial, ACTIVATION a);

#endif
