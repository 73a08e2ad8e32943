/* A small emulation of CUDA's execution model on the CPU, enough to run the kernels of
 * src/ternary_kernels.cuh unchanged (tests/test_kernels_emu.c):
 *   - each CUDA thread of a block is a coroutine (ucontext) with its own stack; they run in turn,
 *     each until it reaches __syncthreads or returns, and a barrier completes when every live
 *     thread has reached it. The blocks of a grid run one after another;
 *   - __shared__ arrays become function statics: since one block runs at a time, they are shared
 *     by exactly the threads of one block, as on the device;
 *   - the threads between two barriers run in the order emu_order says (0: by thread index,
 *     1: reversed). Code whose result depends on that order has a race on the device; running a
 *     kernel both ways against a reference shows it;
 *   - a barrier that threads of one block reach at different call sites, or that completes after
 *     some threads have returned, is undefined behaviour on the device: it is counted in
 *     emu_divergent, which tests check;
 *   - atomics are plain read-modify-writes (one OS thread).
 * Not modelled: warps, the memory model beyond barriers, register and shared-memory limits. Launch
 * sizes are checked against the device limits (1024 threads per block, grid y <= 65535). */
#ifndef CUDA_EMU_H
#define CUDA_EMU_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

typedef struct { unsigned int x, y, z; } emu_dim3;

static emu_dim3 threadIdx, blockIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __launch_bounds__(n)
#define __shared__ static
#define __syncthreads() emu_syncthreads(__LINE__)

static int emu_order;         /* 0: threads in index order between barriers, 1: reversed */
static int emu_divergent;     /* barriers misused, summed over all launches */

static emu_dim3 emu_dim(unsigned x, unsigned y)
{
    emu_dim3 d = {x, y, 1};
    return d;
}

static unsigned int __float_as_uint(float x)
{
    unsigned int u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static float __uint_as_float(unsigned int u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static unsigned int atomicMax(unsigned int *p, unsigned int v)
{
    unsigned int old = *p;
    if(v > old) *p = v;
    return old;
}

static float atomicAdd(float *p, float v)
{
    float old = *p;
    *p = old + v;
    return old;
}

enum { EMU_READY, EMU_BARRIER, EMU_DONE };
typedef struct { ucontext_t ctx; int state, site; emu_dim3 idx; } emu_thread;

static ucontext_t emu_scheduler;
static emu_thread *emu_threads;
static unsigned emu_current;
static void (*emu_body)(void *);
static void *emu_args;

static void emu_syncthreads(int site)
{
    emu_thread *t = &emu_threads[emu_current];
    t->state = EMU_BARRIER;
    t->site = site;
    swapcontext(&t->ctx, &emu_scheduler);
}

static void emu_entry(void)
{
    emu_body(emu_args);
    emu_threads[emu_current].state = EMU_DONE;   /* returns to emu_scheduler (uc_link) */
}

#define EMU_STACK (1 << 17)

/* makes thread i ready to start the kernel (getcontext returns twice: kept out of emu_launch) */
__attribute__((noinline)) static void emu_start(unsigned i, char *stack)
{
    emu_thread *t = &emu_threads[i];
    t->state = EMU_READY;
    t->idx.x = i % blockDim.x;
    t->idx.y = (i / blockDim.x) % blockDim.y;
    t->idx.z = i / (blockDim.x*blockDim.y);
    getcontext(&t->ctx);
    t->ctx.uc_stack.ss_sp = stack;
    t->ctx.uc_stack.ss_size = EMU_STACK;
    t->ctx.uc_link = &emu_scheduler;
    makecontext(&t->ctx, emu_entry, 0);
}

/* runs thread i until its next barrier or its end (apart from emu_launch, whose locals then never
   live across the swap) */
__attribute__((noinline)) static void emu_resume(unsigned i)
{
    emu_current = i;
    threadIdx = emu_threads[i].idx;
    swapcontext(&emu_scheduler, &emu_threads[i].ctx);
}

/* kernel<<<grid, block>>>(...): body(args) calls the kernel with its arguments */
static void emu_launch(emu_dim3 grid, emu_dim3 block, void (*body)(void *), void *args)
{
    unsigned n = block.x*block.y*block.z, bx, by, i;
    if(n == 0 || n > 1024 || grid.x == 0 || grid.y == 0 || grid.y > 65535 || grid.z != 1){
        fprintf(stdout, "emu_launch: invalid launch <<<(%u,%u,%u), (%u,%u,%u)>>>\n",
                grid.x, grid.y, grid.z, block.x, block.y, block.z);
        exit(2);
    }
    char *stacks = (char *)malloc((size_t)n*EMU_STACK);
    emu_threads = (emu_thread *)calloc(n, sizeof(emu_thread));
    if(!stacks || !emu_threads){ fprintf(stdout, "emu_launch: out of memory\n"); exit(2); }
    gridDim = grid;
    blockDim = block;
    emu_body = body;
    emu_args = args;
    for(by = 0; by < grid.y; ++by) for(bx = 0; bx < grid.x; ++bx){
        blockIdx = emu_dim(bx, by);
        for(i = 0; i < n; ++i) emu_start(i, stacks + (size_t)i*EMU_STACK);
        for(;;){
            unsigned waiting = 0, done = 0, k;
            int site = 0, mixed = 0;
            for(k = 0; k < n; ++k){
                i = emu_order ? n - 1 - k : k;
                if(emu_threads[i].state == EMU_READY) emu_resume(i);
            }
            for(i = 0; i < n; ++i){
                emu_thread *t = &emu_threads[i];
                if(t->state == EMU_DONE){ ++done; continue; }
                if(waiting++ == 0) site = t->site;
                else if(t->site != site) mixed = 1;
            }
            if(!waiting) break;
            if(done || mixed) ++emu_divergent;
            for(i = 0; i < n; ++i) if(emu_threads[i].state == EMU_BARRIER) emu_threads[i].state = EMU_READY;
        }
    }
    free(emu_threads);
    emu_threads = 0;
    free(stacks);
}

#endif
