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
 *                   the CPU's, so the scale updates agree to float rounding). */
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

__global__ void ttq_absmax_kernel(const float *w, int n, unsigned int *maxbits)
{
    __shared__ unsigned int s[TTQ_THREADS];
    unsigned int m = 0;
    int i;
    for(i = blockIdx.x*blockDim.x + threadIdx.x; i < n; i += blockDim.x*gridDim.x){
        unsigned int b = __float_as_uint(w[i]) & 0x7FFFFFFFu;
        if(b > m) m = b;
    }
    s[threadIdx.x] = m;
    __syncthreads();
    for(i = blockDim.x/2; i > 0; i >>= 1){
        if(threadIdx.x < i && s[threadIdx.x + i] > s[threadIdx.x]) s[threadIdx.x] = s[threadIdx.x + i];
        __syncthreads();
    }
    if(threadIdx.x == 0) atomicMax(maxbits, s[0]);
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

__global__ void ttq_sparsity_kernel(const float *w, int n, int k, float *delta)
{
    __shared__ int s[1024];
    float d;
    if(k == 0){
        d = 0.5f*__uint_as_float(ttq_block_select(w, n, 1, s));
    } else if(k >= n){
        d = __uint_as_float(ttq_block_select(w, n, n, s));
    } else {
        float a = __uint_as_float(ttq_block_select(w, n, k, s));
        float b = __uint_as_float(ttq_block_select(w, n, k + 1, s));
        d = 0.5f*(a + b);
    }
    if(threadIdx.x == 0) *delta = d;
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

extern "C" void ternarize_ternary_layer_gpu(layer l)
{
    int g, gs = l.nweights/l.ttq_nscales;
    for(g = 0; g < l.ttq_nscales; ++g){
        const float *w = l.weights_gpu + (size_t)g*gs;
        float *delta = l.ttq_delta_gpu + g;
        if(l.ttq_sparsity >= 0){
            int k = (int)floor((double)l.ttq_sparsity*(double)gs + 0.5);
            if(k > gs) k = gs;
            ttq_sparsity_kernel<<<1, 1024>>>(w, gs, k, delta);
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

extern "C" void forward_ternary_layer_gpu(layer l, network net)
{
    ternarize_ternary_layer_gpu(l);
    layer c = l;
    c.weights_gpu = l.ternary_weights_gpu;
    forward_convolutional_layer_gpu(c, net);
}

extern "C" void backward_ternary_layer_gpu(layer l, network net)
{
    layer c = l;
    c.weights_gpu = l.ternary_weights_gpu;
    c.weight_updates_gpu = l.ternary_updates_gpu;
    fill_gpu(l.nweights, 0, l.ternary_updates_gpu, 1);
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
