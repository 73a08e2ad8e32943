/* [ternary] on the GPU: the TTQ rules of ttq.c (Zhu et al., ICLR 2017, section 3) as CUDA kernels,
 * run around Darknet's own GPU convolution (cuDNN or im2col + cuBLAS) with no host round trip per
 * iteration. Each kernel computes exactly what its scalar reference in ttq.c computes:
 *   threshold mode  delta = t * max|w|: max over the float bit patterns of |w| (atomicMax: for
 *                   non-negative floats the bit patterns order like the values);
 *   sparsity mode   delta = midpoint of the k-th and (k+1)-th smallest |w|, k = round(r*n), found
 *                   exactly by bisection over the bit patterns in one block;
 *   ternarise       q = +Wp, 0, -Wn;
 *   backward        latent update += s*U by region, Wp update += sum_pos U, Wn update -= sum_neg U
 *                   (block sums, then one atomicAdd per block: the summation order differs from
 *                   the CPU's, so the scale updates agree to float rounding).
 *
 * Launches, not arithmetic, are what this costs on a fast GPU: a ResNet-20 layer holds at most
 * 36 864 weights, so each of these kernels runs for a few microseconds, about as long as its launch.
 * The fused path therefore does a layer's whole forward step (threshold, q, and zeroing the buffer
 * the convolution's weight gradient accumulates into) in one launch with one block per scale group,
 * and the Wp/Wn momentum step and floor in one more: three launches per layer and iteration beside
 * Darknet's own, where the unfused path (DARKNET_TTQ_FUSED=0, kept for comparison and as the
 * reference of make test-gpu) makes fourteen. Layers with more than TTQ_FUSED_MAX weights per group
 * in threshold mode take the multi-block max instead, where one block would be the slower.
 * The kernels themselves are in ternary_kernels.cuh (make test also runs them on the CPU); this file
 * holds the host side: which kernels run, with which launch sizes. */
#include <stdlib.h>

#include "cuda_runtime.h"
#include "curand.h"
#include "cublas_v2.h"
#ifdef CUDNN
#include "cudnn.h"
#endif

extern "C" {
#include "ternary_layer.h"
#include "convolutional_layer.h"
#include "blas.h"
#include "cuda.h"
#include "ttq.h"
}

#include "ternary_kernels.cuh"

/* the fused path unless DARKNET_TTQ_FUSED=0 (read at every call, a few per layer and iteration, so
   that make test-gpu can check both paths in one process) */
static int ttq_fused(void)
{
    const char *e = getenv("DARKNET_TTQ_FUSED");
    return !(e && e[0] == '0' && e[1] == 0);
}

static dim3 ttq_grid(int n)
{
    int blocks = (n + TTQ_THREADS - 1)/TTQ_THREADS;
    dim3 d(blocks, 1, 1);
    if(blocks > 65535){
        d.x = 65535;
        d.y = (blocks + 65534)/65535;
    }
    return d;
}

/* whether the fused forward kernel serves this layer */
static int ttq_fused_layer(layer l)
{
    return ttq_fused() && (l.ttq_sparsity >= 0 || l.nweights/l.ttq_nscales <= TTQ_FUSED_MAX);
}

/* q from the latent weights; u, when not NULL and the fused kernel serves the layer, is zeroed on
   the way */
static void ttq_ternarize_gpu(layer l, float *u)
{
    int g, gs = l.nweights/l.ttq_nscales;
    int sparsity = l.ttq_sparsity >= 0;
    if(ttq_fused_layer(l)){
        int k = sparsity ? ttq_sparsity_rank(l.ttq_sparsity, gs) : -1;
        ttq_forward_fused_kernel<<<l.ttq_nscales, TTQ_BLOCK>>>(
            l.weights_gpu, gs, l.ttq_threshold, k, l.wp_gpu, l.wn_gpu, l.ttq_delta_gpu,
            l.ternary_weights_gpu, u);
        check_error(cudaPeekAtLastError());
        return;
    }
    for(g = 0; g < l.ttq_nscales; ++g){
        const float *w = l.weights_gpu + (size_t)g*gs;
        float *delta = l.ttq_delta_gpu + g;
        if(sparsity){
            ttq_sparsity_kernel<<<1, TTQ_BLOCK>>>(w, gs, ttq_sparsity_rank(l.ttq_sparsity, gs), delta);
        } else {
            int blocks = ttq_absmax_blocks(gs);
            check_error(cudaMemset(l.ttq_scratch_gpu + g, 0, sizeof(unsigned int)));
            ttq_absmax_kernel<<<blocks, TTQ_THREADS>>>(w, gs, l.ttq_scratch_gpu + g);
            ttq_threshold_kernel<<<1, 1>>>(l.ttq_scratch_gpu + g, l.ttq_threshold, delta);
        }
        ttq_ternarize_kernel<<<ttq_grid(gs), TTQ_THREADS>>>(
            w, gs, delta, l.wp_gpu + g, l.wn_gpu + g, l.ternary_weights_gpu + (size_t)g*gs);
        check_error(cudaPeekAtLastError());
    }
}

extern "C" void ternarize_ternary_layer_gpu(layer l)
{
    ttq_ternarize_gpu(l, 0);
}

extern "C" void forward_ternary_layer_gpu(layer l, network net)
{
    /* backward accumulates the convolution's gradient for q into ternary_updates: zero it here,
       in the same pass, when the fused kernel runs, else at the start of backward */
    ttq_ternarize_gpu(l, l.ternary_updates_gpu);
    layer c = l;
    c.weights_gpu = l.ternary_weights_gpu;
    forward_convolutional_layer_gpu(c, net);
}

extern "C" void backward_ternary_layer_gpu(layer l, network net)
{
    layer c = l;
    c.weights_gpu = l.ternary_weights_gpu;
    c.weight_updates_gpu = l.ternary_updates_gpu;
    if(!ttq_fused_layer(l)) fill_gpu(l.nweights, 0, l.ternary_updates_gpu, 1);
    backward_convolutional_layer_gpu(c, net);
    int g, gs = l.nweights/l.ttq_nscales;
    for(g = 0; g < l.ttq_nscales; ++g){
        size_t o = (size_t)g*gs;
        ttq_backward_kernel<<<ttq_grid(gs), TTQ_THREADS>>>(
            l.ternary_updates_gpu + o, l.weights_gpu + o, gs, l.ttq_delta_gpu + g, l.wp_gpu + g,
            l.wn_gpu + g, l.weight_updates_gpu + o, l.wp_updates_gpu + g, l.wn_updates_gpu + g);
        check_error(cudaPeekAtLastError());
    }
}

/* Same optimiser as the CPU path (update_ternary_layer): Darknet's convolutional update for the
 * latent weights, biases and BN scales; the same rule for Wp and Wn with their own decay. */
extern "C" void update_ternary_layer_gpu(layer l, update_args a)
{
    float rate = a.learning_rate*l.learning_rate_scale;
    float decay = (l.ttq_decay >= 0) ? l.ttq_decay : a.decay;
    int k = l.ttq_nscales;
    update_convolutional_layer_gpu(l, a);
    if(!a.adam && ttq_fused()){
        ttq_scales_sgd_kernel<<<(2*k + TTQ_THREADS - 1)/TTQ_THREADS, TTQ_THREADS>>>(
            l.wp_gpu, l.wp_updates_gpu, l.wn_gpu, l.wn_updates_gpu, k, -decay*a.batch,
            rate/a.batch, a.momentum);
        check_error(cudaPeekAtLastError());
        return;
    }
    if(a.adam){
        adam_update_gpu(l.wp_gpu, l.wp_updates_gpu, l.wp_m_gpu, l.wp_v_gpu, a.B1, a.B2, a.eps, decay, rate, k, a.batch, a.t);
        adam_update_gpu(l.wn_gpu, l.wn_updates_gpu, l.wn_m_gpu, l.wn_v_gpu, a.B1, a.B2, a.eps, decay, rate, k, a.batch, a.t);
    } else {
        axpy_gpu(k, -decay*a.batch, l.wp_gpu, 1, l.wp_updates_gpu, 1);
        axpy_gpu(k, rate/a.batch, l.wp_updates_gpu, 1, l.wp_gpu, 1);
        scal_gpu(k, a.momentum, l.wp_updates_gpu, 1);
        axpy_gpu(k, -decay*a.batch, l.wn_gpu, 1, l.wn_updates_gpu, 1);
        axpy_gpu(k, rate/a.batch, l.wn_updates_gpu, 1, l.wn_gpu, 1);
        scal_gpu(k, a.momentum, l.wn_updates_gpu, 1);
    }
    ttq_floor_kernel<<<(k + TTQ_THREADS - 1)/TTQ_THREADS, TTQ_THREADS>>>(l.wp_gpu, k);
    ttq_floor_kernel<<<(k + TTQ_THREADS - 1)/TTQ_THREADS, TTQ_THREADS>>>(l.wn_gpu, k);
    check_error(cudaPeekAtLastError());
}

extern "C" void push_ternary_layer(layer l)
{
    push_convolutional_layer(l);
    cuda_push_array(l.wp_gpu, l.wp, l.ttq_nscales);
    cuda_push_array(l.wn_gpu, l.wn, l.ttq_nscales);
    cuda_push_array(l.wp_updates_gpu, l.wp_updates, l.ttq_nscales);
    cuda_push_array(l.wn_updates_gpu, l.wn_updates, l.ttq_nscales);
}

extern "C" void pull_ternary_layer(layer l)
{
    pull_convolutional_layer(l);
    cuda_pull_array(l.wp_gpu, l.wp, l.ttq_nscales);
    cuda_pull_array(l.wn_gpu, l.wn, l.ttq_nscales);
    cuda_pull_array(l.wp_updates_gpu, l.wp_updates, l.ttq_nscales);
    cuda_pull_array(l.wn_updates_gpu, l.wn_updates, l.ttq_nscales);
    cuda_pull_array(l.ternary_weights_gpu, l.ternary_weights, l.nweights);
    cuda_pull_array(l.ternary_updates_gpu, l.ternary_updates, l.nweights);
    cuda_pull_array(l.ttq_delta_gpu, l.ttq_delta, l.ttq_nscales);
}
