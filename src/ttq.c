/* TTQ math (Zhu, Han, Mao, Dally, "Trained Ternary Quantization", ICLR 2017, section 3).
 *
 * Each function is the plain scalar definition of one rule; the [ternary] layer calls them and
 * any optimised path (the GPU kernels of ternary_kernels.cuh) must match them. Sign convention is
 * Darknet's: an "update" is the negative gradient, accumulated with +=.
 *
 * Shapes: w, q, u are the n latent weights of one scale group (the whole layer, as in the paper;
 * one filter with per_filter=1), in Darknet's weight order. */
#include "ttq.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_error.h"

/* Threshold variant 1 (paper eq. 9): delta = t * max_i |w_i|. */
float ttq_threshold_ref(const float *w, size_t n, float t)
{
    float m = 0;
    size_t i;
    for(i = 0; i < n; ++i){
        float a = fabsf(w[i]);
        if(a > m) m = a;
    }
    return t*m;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Threshold variant 2 (paper section 5.1, "sparsity"): delta such that a fraction r of the weights
 * has |w| <= delta. With k = round(r*n) and a = sorted |w|, delta is the midpoint between a[k-1]
 * and a[k], so exactly k weights are zero unless magnitudes tie at the boundary. */
float ttq_sparsity_threshold_ref(const float *w, size_t n, float r)
{
    if(n == 0) return 0;
    size_t k = (size_t)floor((double)r*(double)n + 0.5);
    if(k > n) k = n;
    float *a = check_malloc(n, sizeof(float), "the sorted magnitudes of the sparsity threshold");
    size_t i;
    for(i = 0; i < n; ++i) a[i] = fabsf(w[i]);
    qsort(a, n, sizeof(float), cmp_float);
    float delta;
    if(k == 0) delta = 0.5f*a[0];
    else if(k == n) delta = a[n-1];
    else delta = 0.5f*(a[k-1] + a[k]);
    free(a);
    return delta;
}

int ttq_region(float w, float delta)
{
    if(w > delta) return TTQ_POS;
    if(w < -delta) return TTQ_NEG;
    return TTQ_ZERO;
}

/* Forward (paper eq. 6): q_i = +Wp if w_i > delta, 0 if |w_i| <= delta, -Wn if w_i < -delta. */
void ttq_ternarize_ref(float *q, const float *w, size_t n, float delta, float wp, float wn)
{
    size_t i;
    for(i = 0; i < n; ++i){
        int r = ttq_region(w[i], delta);
        q[i] = (r == TTQ_POS) ? wp : (r == TTQ_NEG) ? -wn : 0;
    }
}

/* Backward. u_i is the update an ordinary convolution gives its weights q_i (u = -dL/dq).
 *   dL/dWp =  sum_{w_i >  delta} dL/dq_i          (paper eq. 7)
 *   dL/dWn = -sum_{w_i < -delta} dL/dq_i          (eq. 7 with the sign the paper's print drops:
 *                                                   q_i = -Wn, so dq_i/dWn = -1)
 *   dL/dw_i = Wp*dL/dq_i, 1*dL/dq_i, Wn*dL/dq_i   (eq. 8, straight-through scaled by region)
 * In update form: latent_updates[i] += s_i*u_i, *wp_update += sum_pos u_i,
 * *wn_update -= sum_neg u_i. */
void ttq_backward_ref(float *latent_updates, float *wp_update, float *wn_update,
                      const float *u, const float *w, size_t n, float delta, float wp, float wn)
{
    float sp = 0, sn = 0;
    size_t i;
    for(i = 0; i < n; ++i){
        int r = ttq_region(w[i], delta);
        if(r == TTQ_POS){
            latent_updates[i] += wp*u[i];
            sp += u[i];
        } else if(r == TTQ_NEG){
            latent_updates[i] += wn*u[i];
            sn += u[i];
        } else {
            latent_updates[i] += u[i];
        }
    }
    *wp_update += sp;
    *wn_update -= sn;
}

/* ---- the Wp/Wn step -------------------------------------------------------------------------
 * The paper (section 3) trains Wp and Wn by gradient descent on eq. 7 beside the latent weights.
 * The project's convention: Wp and Wn take the optimiser the [net] section chooses for the
 * weights, Darknet's SGD with momentum or its Adam, with their own decay (wpwn_decay, default the
 * network's: the authors' code decays them too), and then the floor. x is the array stepped, d its
 * update accumulated over the batch (the negative gradient, summed), n their length. */

/* SGD with momentum and weight decay, as Darknet's update_convolutional_layer steps the weights
 * (axpy, axpy, scal) and ttq_scales_sgd_kernel Wp and Wn:
 *   g_i = d_i - decay*batch*x_i;   x_i += (rate/batch)*g_i;   d_i = momentum*g_i. */
void ttq_sgd_ref(float *x, float *d, size_t n, float decay, float rate, float momentum, int batch)
{
    float a = -decay*batch, b = rate/batch;
    size_t i;
    for(i = 0; i < n; ++i){
        float g = d[i] + a*x[i];
        x[i] += b*g;
        d[i] = momentum*g;
    }
}

/* Adam (Kingma and Ba), as Darknet's adam_update_gpu computes it, at step t >= 1, with the
 * moments m and v:
 *   g_i = d_i - decay*batch*x_i;   m_i = b1*m_i + (1 - b1)*g_i;   v_i = b2*v_i + (1 - b2)*g_i^2;
 *   x_i += rate*(m_i/(1 - b1^t))/(sqrt(v_i/(1 - b2^t)) + eps);     d_i = 0.
 * Darknet's CPU update has no Adam; with adam=1 the [ternary] layer steps every one of its arrays
 * on the CPU so, as Darknet's GPU update does (which decays biases and BN scales too). */
void ttq_adam_ref(float *x, float *d, float *m, float *v, size_t n, float b1, float b2, float eps,
                  float decay, float rate, int batch, int t)
{
    float c1 = 1.f - powf(b1, t), c2 = 1.f - powf(b2, t);
    size_t i;
    for(i = 0; i < n; ++i){
        float g = d[i] - decay*batch*x[i];
        m[i] = b1*m[i] + (1 - b1)*g;
        v[i] = b2*v[i] + (1 - b2)*g*g;
        x[i] += rate*(m[i]/c1)/(sqrtf(v[i]/c2) + eps);
        d[i] = 0;
    }
}

/* The floor (the project's convention, ttq.h), after every step: s_i = max(s_i, TTQ_SCALE_FLOOR),
 * and a NaN becomes TTQ_SCALE_FLOOR as well, as ttq_floor_kernel's !(s >= floor) makes it (+Inf
 * stays). The NaN is found on the bits (exponent all ones, mantissa not zero), which -Ofast cannot
 * drop, as for check_finite. */
void ttq_floor_ref(float *s, size_t n)
{
    size_t i;
    for(i = 0; i < n; ++i){
        uint32_t bits;
        memcpy(&bits, s + i, sizeof bits);
        if(s[i] < TTQ_SCALE_FLOOR || (bits & 0x7FFFFFFFu) > 0x7F800000u) s[i] = TTQ_SCALE_FLOOR;
    }
}

size_t ttq_count_zeros_ref(const float *q, size_t n)
{
    size_t i, z = 0;
    for(i = 0; i < n; ++i) z += (q[i] == 0);
    return z;
}

/* Packing (the packed weights file, `darknet ternary pack`): each ternary weight as one base-3
 * digit, 0 for 0, 1 for +Wp, 2 for -Wn, five digits to a byte (3^5 = 243 <= 256), the first
 * weight in the lowest digit: byte = d0 + 3*d1 + 9*d2 + 27*d3 + 81*d4. 8/5 = 1.6 bits per weight.
 * The last byte's unused digits are 0. */
size_t ttq_packed_size(size_t n)
{
    return (n + 4)/5;
}

void ttq_pack_ref(unsigned char *out, const float *q, size_t n)
{
    size_t i;
    for(i = 0; i < ttq_packed_size(n); ++i){
        unsigned v = 0, p = 1, j;
        for(j = 0; j < 5 && 5*i + j < n; ++j, p *= 3){
            float x = q[5*i + j];
            v += p*(x > 0 ? 1u : x < 0 ? 2u : 0u);
        }
        out[i] = (unsigned char)v;
    }
}

/* The inverse, as codes: w_i = +1, 0 or -1. Returns the index of the first invalid byte (a value
 * above 242, or a non-zero unused digit in the last byte), or -1 when all are valid. */
long ttq_unpack_ref(float *w, const unsigned char *in, size_t n)
{
    size_t i;
    for(i = 0; i < ttq_packed_size(n); ++i){
        unsigned v = in[i], j;
        if(v > 242) return (long)i;
        for(j = 0; j < 5; ++j, v /= 3){
            unsigned d = v % 3;
            if(5*i + j < n) w[5*i + j] = d == 1 ? 1.f : d == 2 ? -1.f : 0.f;
            else if(d) return (long)i;
        }
    }
    return -1;
}
