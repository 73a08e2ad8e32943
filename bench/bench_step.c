/* Training-step time of two networks measured in one process, steps interleaved (A, B, A, B, ...)
 * so that both see the same machine load. Prints each network's median, min and max step time,
 * images per second, and the ratio of the medians (B / A).
 *
 *   bench_step <cfg A> <cfg B> [steps]
 *
 * A step is Darknet's train_network() on one batch of random data (forward, backward, update). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "darknet.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec*1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

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

int main(int argc, char **argv)
{
    if(argc < 3){
        fprintf(stderr, "usage: %s <cfg A> <cfg B> [steps]\n", argv[0]);
        return 2;
    }
    int steps = argc > 3 ? atoi(argv[3]) : 5;
    if(steps < 1) steps = 1;
    srand(1);
    network *net[2];
    data d[2];
    double *t[2];
    int k, s;
    for(k = 0; k < 2; ++k){
        net[k] = parse_network_cfg(argv[1 + k]);
        d[k] = random_batch(net[k]);
        t[k] = calloc(steps, sizeof(double));
        train_network(net[k], d[k]);   /* warm-up */
    }
    for(s = 0; s < steps; ++s){
        for(k = 0; k < 2; ++k){
            double t0 = now();
            train_network(net[k], d[k]);
            t[k][s] = now() - t0;
        }
    }
    double med[2];
    for(k = 0; k < 2; ++k){
        qsort(t[k], steps, sizeof(double), cmp_double);
        med[k] = steps % 2 ? t[k][steps/2] : 0.5*(t[k][steps/2 - 1] + t[k][steps/2]);
        printf("%-24s batch %d: median step %.4f s (min %.4f, max %.4f, %d steps), %.1f img/s\n",
               argv[1 + k], net[k]->batch, med[k], t[k][0], t[k][steps - 1], steps,
               net[k]->batch/med[k]);
    }
    printf("ratio of medians (%s / %s): %.3f\n", argv[2], argv[1], med[1]/med[0]);
    for(k = 0; k < 2; ++k){
        free_data(d[k]);
        free(t[k]);
        free_network(net[k]);
    }
    return 0;
}
