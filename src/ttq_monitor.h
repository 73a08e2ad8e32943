/* Training monitor: progress lines a person can follow and, for networks with [ternary] layers,
 * a CSV of each layer's Wp, Wn, threshold, sparsity and max|w| over training. */
#ifndef TTQ_MONITOR_H
#define TTQ_MONITOR_H

#include "darknet.h"

typedef struct ttq_monitor ttq_monitor;

/* Opened right before training's first step: says where training starts ("[train] starting at
   iteration ..." on stderr, also the marker that training began) and, with [ternary] layers and
   log_every > 0, opens the telemetry CSV in backup_dir. */
ttq_monitor *ttq_monitor_open(network *net, const char *backup_dir, const char *base,
                              int log_every, int images_per_epoch);
void ttq_monitor_step(ttq_monitor *m, network *net, float loss, float avg_loss);
void ttq_monitor_close(ttq_monitor *m);
void ttq_csv_header(FILE *f, network *net);
void ttq_csv_row(FILE *f, network *net, int images_per_epoch, float loss, float avg_loss);

#endif
