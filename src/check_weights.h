/* Checks that turn Darknet's silent short reads of a .weights file into clear errors. */
#ifndef CHECK_WEIGHTS_H
#define CHECK_WEIGHTS_H

#include <stdio.h>
#include "darknet.h"

void check_weights_header(FILE *fp, const char *filename, size_t got, size_t want);
int  check_weights_layer(FILE *fp, const char *filename, int index, layer l, long start);
void check_weights_end(FILE *fp, const char *filename, int nlayers);
void check_weights_not_ternary(FILE *fp, const char *filename, int index);
void check_weights_written(FILE *fp, const char *filename);
/* After layer `index` was written to `tmpname` (to become `filename`): a layer holding NaN or Inf
   removes tmpname and ends the program, so the previous `filename` is kept. */
void check_weights_saved_layer(FILE *fp, const char *tmpname, const char *filename, int index, layer l);

#endif
