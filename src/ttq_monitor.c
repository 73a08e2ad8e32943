/* Training monitor for `darknet classifier train` and `darknet detector train`.
 *
 * Progress: one line on stderr every 15 s of wall time and at the end of each epoch,
 *   [train] epoch 1.50/20  iter 700/9380  loss 0.4120 (avg 0.4550)  512 img/s  2m10s  ETA 14m05s
 * Telemetry (networks with [ternary] layers): every `log_every` iterations one row is appended to
 * <backup>/<cfg base>.ttq.csv (header: iteration, epoch, images, loss, avg_loss, then for each
 * [ternary] layer N: LN_wp, LN_wn, LN_delta, LN_sparsity, LN_maxw), read by `darknet ternary plot`.
 * A run that starts from zero images truncates the file; a resumed run appends to it. */
#include "ttq_monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "check_error.h"
#include "output_file.h"
#include "ternary_layer.h"
#include "ttq.h"

struct ttq_monitor {
    FILE *csv;             /* opened at the first row, so a run that fails early leaves no file */
    int want_csv, fresh;
    char path[4096];
    int log_every;
    int images_per_epoch;
    double start, last_print;
    size_t start_seen;
};

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec*1e-9;
}

static int has_ternary(network *net)
{
    int i;
    for(i = 0; i < net->n; ++i) if(net->layers[i].type == TERNARY) return 1;
    return 0;
}

void ttq_csv_header(FILE *f, network *net)
{
    int i;
    fprintf(f, "iteration,epoch,images,loss,avg_loss");
    for(i = 0; i < net->n; ++i){
        if(net->layers[i].type != TERNARY) continue;
        fprintf(f, ",L%d_wp,L%d_wn,L%d_delta,L%d_sparsity,L%d_maxw", i, i, i, i, i);
    }
    fprintf(f, "\n");
}

/* Sparsity is that of the ternary weights of the last forward pass. */
void ttq_csv_row(FILE *f, network *net, int images_per_epoch, float loss, float avg_loss)
{
    int i;
    fprintf(f, "%zu,%.4f,%zu,%.6f,%.6f", get_current_batch(net),
            images_per_epoch > 0 ? (double)*net->seen/images_per_epoch : 0.0, *net->seen, loss, avg_loss);
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        if(l.type != TERNARY) continue;
        size_t z = ttq_count_zeros_ref(l.ternary_weights, l.nweights);
        float maxw = ttq_threshold_ref(l.weights, l.nweights, 1);
        int k = l.ttq_nscales;   /* per_filter=1: the means over the filters */
        fprintf(f, ",%.6g,%.6g,%.6g,%.6f,%.6g", ternary_mean(l.wp, k), ternary_mean(l.wn, k),
                ternary_mean(l.ttq_delta, k),
                (double)z/l.nweights, maxw);
    }
    fprintf(f, "\n");
}

static void open_csv(ttq_monitor *m, network *net)
{
    m->csv = output_open_append(m->path, m->fresh);
    struct stat st;
    if(m->fresh || (fstat(fileno(m->csv), &st) == 0 && st.st_size == 0)) ttq_csv_header(m->csv, net);
}

ttq_monitor *ttq_monitor_open(network *net, const char *backup_dir, const char *base,
                              int log_every, int images_per_epoch)
{
    ttq_monitor *m = check_calloc(1, sizeof(*m), "the training monitor");
    m->log_every = log_every;
    m->images_per_epoch = images_per_epoch;
    m->start = m->last_print = wall();
    m->start_seen = *net->seen;
    if(log_every > 0 && has_ternary(net)){
        snprintf(m->path, sizeof m->path, "%s/%s.ttq.csv", backup_dir, base);
        m->want_csv = 1;
        m->fresh = (*net->seen == 0);
        fprintf(stderr, "TTQ telemetry every %d iterations: %s\n", log_every, m->path);
        if(!m->fresh) output_check_append(m->path);   /* before the first step; created at the first row */
    }
    fflush(stdout);
    fprintf(stderr, "[train] starting at iteration %zu of %d, %d images an iteration; a progress line every 15 s "
            "and at each epoch (-verbose: Darknet's line per iteration too)\n", get_current_batch(net),
            net->max_batches, net->batch*net->subdivisions);
    return m;
}


static void fmt_time(char *buf, size_t n, double s)
{
    long t = (long)(s + 0.5);
    if(t >= 3600) snprintf(buf, n, "%ldh%02ldm", t/3600, (t/60) % 60);
    else snprintf(buf, n, "%ldm%02lds", t/60, t % 60);
}

void ttq_monitor_step(ttq_monitor *m, network *net, float loss, float avg_loss)
{
    size_t it = get_current_batch(net);
    if(m->want_csv && it % m->log_every == 0){
        if(!m->csv) open_csv(m, net);
#ifdef GPU
        int i;
        if(net->gpu_index >= 0){
            for(i = 0; i < net->n; ++i) if(net->layers[i].type == TERNARY) pull_ternary_layer(net->layers[i]);
        }
#endif
        ttq_csv_row(m->csv, net, m->images_per_epoch, loss, avg_loss);
        fflush(m->csv);
    }
    double now = wall();
    size_t per_batch = (size_t)net->batch*net->subdivisions;
    int epoch_end = m->images_per_epoch > 0 &&
                    (*net->seen/m->images_per_epoch) != ((*net->seen - per_batch)/m->images_per_epoch);
    int last = net->max_batches > 0 && it >= (size_t)net->max_batches;
    if(now - m->last_print < 15 && !epoch_end && !last) return;
    m->last_print = now;
    double elapsed = now - m->start;
    double rate = elapsed > 0 ? (double)(*net->seen - m->start_seen)/elapsed : 0;
    double epochs = m->images_per_epoch > 0 ? (double)*net->seen/m->images_per_epoch : 0;
    double total_epochs = m->images_per_epoch > 0
                          ? (double)net->max_batches*per_batch/m->images_per_epoch : 0;
    double left = (rate > 0 && net->max_batches > 0)
                  ? ((double)net->max_batches - it)*per_batch/rate : 0;
    char e[32], eta[32];
    fmt_time(e, sizeof e, elapsed);
    fmt_time(eta, sizeof eta, left > 0 ? left : 0);
    fflush(stdout);   /* so that the line starts a line when both streams share a pipe */
    fprintf(stderr, "[train] epoch %.2f/%.0f  iter %zu/%d  loss %.4f (avg %.4f)  %.0f img/s  %s  ETA %s\n",
            epochs, total_epochs, it, net->max_batches, loss, avg_loss, rate, e, eta);
}

void ttq_monitor_close(ttq_monitor *m)
{
    if(!m) return;
    if(m->csv && fclose(m->csv)) check_file_error(m->path, -1, 0, "error writing the TTQ telemetry file");
    free(m);
}
