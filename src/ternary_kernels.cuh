/* The device code of [ternary] (ternary_kernels.cu): the TTQ kernels and the helpers they share.
 * Kept apart from the host code so that tests/test_kernels_emu.c can run these very functions on
 * the CPU, under a small emulation of CUDA's threads, blocks and __syncthreads (tests/cuda_emu.h),
 * against the scalar references of ttq.c: the logic of every kernel is then tested by make test on
 * machines without a GPU, and make test-gpu checks the same code on a real one.
 * Written in the common subset of CUDA C++ and C99; expects ttq.h (TTQ_SCALE_FLOOR), math.h, and
 * CUDA's (or the emulation's) definitions to be included first. */
#ifndef TERNARY_KERNELS_CUH
#define TERNARY_KERNELS_CUH

#define TTQ_THREADS 256
#define TTQ_BLOCK 1024              /* threads of the one-block-per-group kernels, which are declared
                                       __launch_bounds__(TTQ_BLOCK): the compiler then keeps them within
                                       64 registers a thread, so that a 1024-thread launch fits an SM
                                       on every architecture (sm_90: 32 and 18 registers) */
#define TTQ_FUSED_MAX (1 << 16)     /* weights per group up to which threshold mode is fused */

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

__global__ void __launch_bounds__(TTQ_BLOCK) ttq_sparsity_kernel(const float *w, int n, int k, float *delta)
{
    __shared__ int s[TTQ_BLOCK];
    float d = ttq_block_sparsity_delta(w, n, k, s);
    if(threadIdx.x == 0) *delta = d;
}

/* The fused forward step, one block per scale group g of gs weights: the threshold (t * max|w| when
   k < 0, else the sparsity threshold of rank k), q = +Wp, 0, -Wn, and u (the convolution's weight
   gradient buffer, which backward accumulates into; may be NULL) zeroed. The same arithmetic as the unfused
   kernels, so the same bits. */
__global__ void __launch_bounds__(TTQ_BLOCK)
ttq_forward_fused_kernel(const float *w, int gs, float t, int k, const float *wp, const float *wn,
                         float *delta, float *q, float *u)
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

/* k of the sparsity mode for a group of gs weights, as ttq_sparsity_threshold_ref rounds it */
static int ttq_sparsity_rank(float r, int gs)
{
    int k = (int)floor((double)r*(double)gs + 0.5);
    return (k > gs) ? gs : k;
}

/* blocks of TTQ_THREADS for the multi-block max over gs weights: one weight per thread, at most
   1024 blocks (each thread then strides over the rest) */
static int ttq_absmax_blocks(int gs)
{
    int blocks = (gs + TTQ_THREADS - 1)/TTQ_THREADS;
    return (blocks > 1024) ? 1024 : blocks;
}

#endif
