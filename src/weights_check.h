/* Checks that turn Darknet's silent short reads of a .weights file into clear errors. */
#ifndef WEIGHTS_CHECK_H
#define WEIGHTS_CHECK_H

#include <stdio.h>
#include "darknet.h"

void weights_check_header(FILE *fp, const char *filename, size_t got, size_t want);
int  weights_check_layer(FILE *fp, const char *filename, int index, layer l, long start);
void weights_check_end(FILE *fp, const char *filename, int nlayers);
void weights_check_not_ternary(FILE *fp, const char *filename, int index);
void weights_check_written(FILE *fp, const char *filename);
/* After layer `index` was written to `tmpname` (to become `filename`): a layer holding NaN or Inf
   removes tmpname and ends the program, so the previous `filename` is kept. */
void weights_check_saved_layer(FILE *fp, const char *tmpname, const char *filename, int index, layer l);

#endif
