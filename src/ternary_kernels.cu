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
 * in threshold mode take the multi-block max instead, where one block would be the slower. */
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

#define TTQ_THREADS 256
#define TTQ_BLOCK 1024              /* threads of the one-block-per-group kernels */
#define TTQ_FUSED_MAX (1 << 16)     /* weights per group up to which threshold mode is fused */

/* the fused path unless DARKNET_TTQ_FUSED=0 (read at every call, a few per layer and iteration, so
   that make test-gpu can check both paths in one process) */
static int ttq_fused(void)
{
    const char *e = getenv("DARKNET_TTQ_FUSED");
    return !(e && e[0] == '0' && e[1] == 0);
}

/* the largest |w| bit pattern among w[first], w[first + stride], ... below n, reduced over the
   block (s holds blockDim.x values); every thread returns it */
__device__ unsigned int ttq_block_absmax(const float *w, int n, int first, int stride, unsigned int *s)
{
    unsigned int m = 0;
    int i;
    for(i = first; i < n; i += stride){
        unsigned int b = __float_as_uint(w[i]) & 0x7FFFFFFFu;
        if(b > m) m = b;
    }
    s[threadIdx.x] = m;
    __syncthreads();
    for(i = blockDim.x/2; i > 0; i >>= 1){
        if(threadIdx.x < i && s[threadIdx.x + i] > s[threadIdx.x]) s[threadIdx.x] = s[threadIdx.x + i];
        __syncthreads();
    }
    m = s[0];
    __syncthreads();
    return m;
}

__global__ void ttq_absmax_kernel(const float *w, int n, unsigned int *maxbits)
{
    __shared__ unsigned int s[TTQ_THREADS];
    unsigned int m = ttq_block_absmax(w, n, blockIdx.x*blockDim.x + threadIdx.x, blockDim.x*gridDim.x, s);
    if(threadIdx.x == 0) atomicMax(maxbits, m);
}

__global__ void ttq_threshold_kernel(const unsigned int *maxbits, float t, float *delta)
{
    *delta = t*__uint_as_float(*maxbits);
}

/* number of |w_i| whose bit pattern is <= v, summed by the whole (single) block */
__device__ int ttq_block_count_le(const float *w, int n, unsigned int v, int *s)
{
    int c = 0, i;
    for(i = threadIdx.x; i < n; i += blockDim.x) c += (__float_as_uint(w[i]) & 0x7FFFFFFFu) <= v;
    s[threadIdx.x] = c;
    __syncthreads();
    for(i = blockDim.x/2; i > 0; i >>= 1){
        if(threadIdx.x < i) s[threadIdx.x] += s[threadIdx.x + i];
        __syncthreads();
    }
    int total = s[0];
    __syncthreads();
    return total;
}

/* smallest bit pattern v with count(|w| <= v) >= rank (1-based) */
__device__ unsigned int ttq_block_select(const float *w, int n, int rank, int *s)
{
    unsigned int lo = 0, hi = 0x7F800000u;
    while(lo < hi){
        unsigned int mid = lo + (hi - lo)/2;
        if(ttq_block_count_le(w, n, mid, s) >= rank) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* the sparsity-mode threshold of n weights, computed by the whole (single) block; s holds
   blockDim.x ints */
__device__ float ttq_block_sparsity_delta(const float *w, int n, int k, int *s)
{
    if(k == 0) return 0.5f*__uint_as_float(ttq_block_select(w, n, 1, s));
    if(k >= n) return __uint_as_float(ttq_block_select(w, n, n, s));
    float a = __uint_as_float(ttq_block_select(w, n, k, s));
    float b = __uint_as_float(ttq_block_select(w, n, k + 1, s));
    return 0.5f*(a + b);
}

__global__ void ttq_sparsity_kernel(const float *w, int n, int k, float *delta)
{
    __shared__ int s[TTQ_BLOCK];
    float d = ttq_block_sparsity_delta(w, n, k, s);
    if(threadIdx.x == 0) *delta = d;
}

/* The fused forward step, one block per scale group g of gs weights: the threshold (t * max|w| when
   k < 0, else the sparsity threshold of rank k), q = +Wp, 0, -Wn, and u (the convolution's weight
   gradient buffer, which backward accumulates into; may be NULL) zeroed. The same arithmetic as the unfused
   kernels, so the same bits. */
__global__ void ttq_forward_fused_kernel(const float *w, int gs, float t, int k, const float *wp,
                                         const float *wn, float *delta, float *q, float *u)
{
    __shared__ unsigned int s[TTQ_BLOCK];
    int g = blockIdx.x, i;
    size_t o = (size_t)g*gs;
    float d = (k < 0) ? t*__uint_as_float(ttq_block_absmax(w + o, gs, threadIdx.x, blockDim.x, s))
                      : ttq_block_sparsity_delta(w + o, gs, k, (int *)s);
    float p = wp[g], m = -wn[g];
    for(i = threadIdx.x; i < gs; i += blockDim.x){
        float x = w[o + i];
        q[o + i] = (x > d) ? p : (x < -d) ? m : 0.f;
        if(u) u[o + i] = 0.f;
    }
    if(threadIdx.x == 0) delta[g] = d;
}

__global__ void ttq_ternarize_kernel(const float *w, int n, const float *delta, const float *wp,
                                     const float *wn, float *q)
{
    int i = (blockIdx.x + blockIdx.y*gridDim.x)*blockDim.x + threadIdx.x;
    if(i >= n) return;
    float d = *delta, x = w[i];
    q[i] = (x > d) ? *wp : (x < -d) ? -*wn : 0.f;
}

__global__ void ttq_backward_kernel(const float *u, const float *w, int n, const float *delta,
                                    const float *wp, const float *wn, float *latent_updates,
                                    float *wp_update, float *wn_update)
{
    __shared__ float sp[TTQ_THREADS], sn[TTQ_THREADS];
    int i = (blockIdx.x + blockIdx.y*gridDim.x)*blockDim.x + threadIdx.x;
    float p = 0, m = 0;
    if(i < n){
        float d = *delta, x = w[i], g = u[i];
        if(x > d){ latent_updates[i] += *wp*g; p = g; }
        else if(x < -d){ latent_updates[i] += *wn*g; m = g; }
        else latent_updates[i] += g;
    }
    sp[threadIdx.x] = p;
    sn[threadIdx.x] = m;
    __syncthreads();
    int s;
    for(s = blockDim.x/2; s > 0; s >>= 1){
        if(threadIdx.x < s){
            sp[threadIdx.x] += sp[threadIdx.x + s];
            sn[threadIdx.x] += sn[threadIdx.x + s];
        }
        __syncthreads();
    }
    if(threadIdx.x == 0){
        atomicAdd(wp_update, sp[0]);
        atomicAdd(wn_update, -sn[0]);
    }
}

__global__ void ttq_floor_kernel(float *s, int n)
{
    int i = blockIdx.x*blockDim.x + threadIdx.x;
    if(i < n && !(s[i] >= TTQ_SCALE_FLOOR)) s[i] = TTQ_SCALE_FLOOR;
}

/* Wp and Wn together, Darknet's momentum SGD step as update_ternary_layer_gpu's unfused
   axpy/axpy/scal sequence computes it (a = -decay*batch, b = rate/batch), then the floor */
__global__ void ttq_scales_sgd_kernel(float *wp, float *wpu, float *wn, float *wnu, int k, float a,
                                      float b, float momentum)
{
    int i = blockIdx.x*blockDim.x + threadIdx.x;
    float *w = wp, *v = wpu;
    if(i >= 2*k) return;
    if(i >= k){ i -= k; w = wn; v = wnu; }
    float g = v[i] + a*w[i];
    float x = w[i] + b*g;
    v[i] = momentum*g;
    w[i] = (x >= TTQ_SCALE_FLOOR) ? x : TTQ_SCALE_FLOOR;
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

/* k of the sparsity mode for a group of gs weights, as ttq_sparsity_threshold_ref rounds it */
static int ttq_sparsity_rank(float r, int gs)
{
    int k = (int)floor((double)r*(double)gs + 0.5);
    return (k > gs) ? gs : k;
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
            int blocks = (gs + TTQ_THREADS - 1)/TTQ_THREADS;
            if(blocks > 1024) blocks = 1024;
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
