/* Training-step time of two or more networks measured in one process, steps interleaved
 * (A, B, C, A, B, C, ...) so that all see the same machine load. Prints each network's median, min
 * and max step time, images per second, and the ratio of each median to A's.
 *
 *   bench_step <cfg A> <cfg B> [<cfg C> ...] [steps]
 *
 * A cfg written VAR=VALUE:path is run with the environment variable VAR set to VALUE during its
 * steps (and unset during the others'), e.g. DARKNET_TTQ_FUSED=0:cfg/ttq-resnet20.cfg for the
 * unfused TTQ kernels beside the fused ones. A step is Darknet's train_network() on one batch of
 * random data (forward, backward, update); on a GPU build the device is synchronised before a
 * step's clock stops, so that no step's queued kernels are counted in the next one's time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "darknet.h"
#include "benchutil.h"
#ifdef GPU
#include <cuda_runtime.h>
#endif

#define MAXNET 8


static data random_batch(network *net)
{
    data d = {0};
    d.X = make_matrix(net->batch, net->inputs);
    d.y = make_matrix(net->batch, net->outputs);
    int i, j;
    for(i = 0; i < net->batch; ++i){
        for(j = 0; j < net->inputs; ++j) d.X.vals[i][j] = (float)rand()/RAND_MAX;
        d.y.vals[i][rand() % net->outputs] = 1;
    }
    return d;
}

/* the cfg path of an argument, and its VAR=VALUE environment (var/val NULL when none) */
static char *split_env(char *arg, char **var, char **val)
{
    char *colon = strchr(arg, ':'), *eq = strchr(arg, '=');
    *var = *val = 0;
    if(!colon || !eq || eq > colon) return arg;
    *eq = 0;
    *colon = 0;
    *var = arg;
    *val = eq + 1;
    return colon + 1;
}

static void set_env(char *var, char *val)
{
    if(var) setenv(var, val, 1);
}

static void unset_env(char *var)
{
    if(var) unsetenv(var);
}

static double step(network *net, data d)
{
    double t0 = bench_now();
    train_network(net, d);
#ifdef GPU
    if(gpu_index >= 0) cudaDeviceSynchronize();
#endif
    return bench_now() - t0;
}

int main(int argc, char **argv)
{
    int nnet = argc - 1, steps = 5;
    if(nnet >= 3){
        char *end;
        long v = strtol(argv[argc - 1], &end, 10);
        if(*end == 0){ steps = v < 1 ? 1 : (int)v; --nnet; }
    }
    if(nnet < 2 || nnet > MAXNET){
        fprintf(stderr, "usage: %s <cfg A> <cfg B> [<cfg C> ...] [steps]   (2 to %d cfgs; VAR=VALUE:cfg sets VAR)\n",
                argv[0], MAXNET);
        return 2;
    }
    srand(1);
    network *net[MAXNET];
    data d[MAXNET];
    double *t[MAXNET], med[MAXNET];
    char *label[MAXNET], *cfg[MAXNET], *var[MAXNET], *val[MAXNET];
    int k, s;
    for(k = 0; k < nnet; ++k){
        label[k] = strdup(argv[1 + k]);
        cfg[k] = split_env(argv[1 + k], &var[k], &val[k]);
        set_env(var[k], val[k]);
        net[k] = parse_network_cfg(cfg[k]);
        d[k] = random_batch(net[k]);
        t[k] = calloc(steps, sizeof(double));
        step(net[k], d[k]);   /* warm-up */
        unset_env(var[k]);
    }
    for(s = 0; s < steps; ++s){
        for(k = 0; k < nnet; ++k){
            set_env(var[k], val[k]);
            t[k][s] = step(net[k], d[k]);
            unset_env(var[k]);
        }
    }
    for(k = 0; k < nnet; ++k){
        qsort(t[k], steps, sizeof(double), bench_cmp_double);
        med[k] = steps % 2 ? t[k][steps/2] : 0.5*(t[k][steps/2 - 1] + t[k][steps/2]);
        printf("%-24s batch %d: median step %.4f s (min %.4f, max %.4f, %d steps), %.1f img/s\n",
               label[k], net[k]->batch, med[k], t[k][0], t[k][steps - 1], steps,
               net[k]->batch/med[k]);
    }
    for(k = 1; k < nnet; ++k)
        printf("ratio of medians (%s / %s): %.3f\n", label[k], label[0], med[k]/med[0]);
    for(k = 0; k < nnet; ++k){
        free_data(d[k]);
        free(t[k]);
        free(label[k]);
        free_network(net[k]);
    }
    return 0;
}
