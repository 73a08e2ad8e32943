/* Batch normalisation + activation of a convolutional layer in training, fused for the CPU.
 *
 * Darknet runs a batch-normalised layer's training step as a dozen separate passes over the
 * output (copies to x and x_norm, mean, variance, normalise, scale, bias, activation; and in
 * backward the activation gradient, bias and scale sums, scaling, mean and variance deltas,
 * normalise delta). Here each channel is done in two passes forward and two backward, in
 * parallel over channels, with the same mathematics (tests/test_bnact.c compares with
 * Darknet's own functions):
 *   forward:  mu = mean(x), var = mean((x - mu)^2)  (biased; the rolling variance gets the
 *             unbiased one; both from one pass of shifted sums), xn = (x - mu)/sqrt(var + eps),
 *             y = act(scale*xn + bias);
 *   backward: d = dy*act'(y), dbias += sum d, dscale += sum d*xn,
 *             dx = scale/sqrt(var + eps) * (d - sum(d)/N - xn*sum(d*xn)/N),
 * which is Darknet's mean_delta/variance_delta/normalize_delta with x - mu = xn*sqrt(var + eps),
 * so the backward needs x_norm only (l.x is not written on this path). */
#include "cpu_bnact.h"

#include <math.h>

#define BN_EPS .00001f

int cpu_bnact_supports(ACTIVATION a)
{
    return a == LINEAR || a == LEAKY || a == RELU;
}

void cpu_bnact_forward_train(float *out, float *x_norm, float *mean, float *variance,
                             float *rolling_mean, float *rolling_variance, const float *scales,
                             const float *biases, int batch, int filters, int spatial, ACTIVATION a)
{
    const float n = (float)batch*spatial;
    int f;
    #pragma omp parallel for schedule(static)
    for(f = 0; f < filters; ++f){
        int b, k;
        /* one pass: sums of x - K and (x - K)^2, shifted by a sample K of the channel so that the
         * variance does not come from the difference of two large numbers */
        const float K = out[(size_t)f*spatial];
        float s = 0, ss = 0;
        for(b = 0; b < batch; ++b){
            const float *x = out + ((size_t)b*filters + f)*spatial;
            for(k = 0; k < spatial; ++k){
                float d = x[k] - K;
                s += d;
                ss += d*d;
            }
        }
        float mu = K + s/n;
        float var = ss/n - (s/n)*(s/n);
        if(var < 0) var = 0;
        ss = var*n;
        mean[f] = mu;
        variance[f] = var;
        rolling_mean[f] = .99f*rolling_mean[f] + .01f*mu;
        rolling_variance[f] = .99f*rolling_variance[f] + .01f*(n > 1 ? ss/(n - 1) : 0);
        float inv = 1.f/sqrtf(var + BN_EPS), sc = scales[f], bi = biases[f];
        for(b = 0; b < batch; ++b){
            float *x = out + ((size_t)b*filters + f)*spatial;
            float *xn = x_norm + ((size_t)b*filters + f)*spatial;
            for(k = 0; k < spatial; ++k){
                float v = (x[k] - mu)*inv;
                float y = sc*v + bi;
                xn[k] = v;
                if(a == LEAKY) y = y > 0 ? y : .1f*y;
                else if(a == RELU) y = y > 0 ? y : 0;
                x[k] = y;
            }
        }
    }
}

void cpu_bnact_backward(float *delta, const float *out, const float *x_norm, const float *variance,
                        const float *scales, float *scale_updates, float *bias_updates,
                        int batch, int filters, int spatial, ACTIVATION a)
{
    const float n = (float)batch*spatial;
    int f;
    #pragma omp parallel for schedule(static)
    for(f = 0; f < filters; ++f){
        int b, k;
        float sd = 0, sdx = 0;
        for(b = 0; b < batch; ++b){
            float *d = delta + ((size_t)b*filters + f)*spatial;
            const float *y = out + ((size_t)b*filters + f)*spatial;
            const float *xn = x_norm + ((size_t)b*filters + f)*spatial;
            for(k = 0; k < spatial; ++k){
                float g = d[k];
                if(a == LEAKY) g *= y[k] > 0 ? 1.f : .1f;
                else if(a == RELU) g *= y[k] > 0 ? 1.f : 0.f;
                d[k] = g;
                sd += g;
                sdx += g*xn[k];
            }
        }
        bias_updates[f] += sd;
        scale_updates[f] += sdx;
        float c = scales[f]/sqrtf(variance[f] + BN_EPS), md = sd/n, mdx = sdx/n;
        for(b = 0; b < batch; ++b){
            float *d = delta + ((size_t)b*filters + f)*spatial;
            const float *xn = x_norm + ((size_t)b*filters + f)*spatial;
            for(k = 0; k < spatial; ++k) d[k] = c*(d[k] - md - xn[k]*mdx);
        }
    }
}
