/* The library's entry points for python/darknet.py (python_api.c): each runs one Darknet call
 * under an error trap. Darknet ends the program on an error (exit() after its message: a missing
 * file, a cfg or weights fault, an image it cannot read); a library must report the error to its
 * caller instead, and an interpreter must survive it. libdarknet.so is linked with
 * -Wl,--wrap=exit (patch 0609), so that every exit() in the library comes here first: while a
 * trap is armed on the calling thread, it returns to the entry point instead, which returns a
 * failure (NULL or 0); ttq_py_error() then gives the message Darknet printed (the last line it
 * wrote to stderr during the call, which it still writes there). Without an armed trap (the
 * darknet program, which links libdarknet.a without the wrap, and any other caller) exit() is
 * exit().
 * What a failed call had allocated is not freed (a cfg half parsed, a weights file left open):
 * the interpreter goes on, a few such errors cost what those calls held. */
#ifndef PYTHON_API_H
#define PYTHON_API_H

#include "darknet.h"

/* The message of the last failed call on this thread ("" when none has failed). */
const char *ttq_py_error(void);

network *ttq_py_load_network(const char *cfg, const char *weights, int clear);
/* get_metadata of `file`, checked: 'classes' an integer >= 1 and 'names' (or 'labels') a file of
 * one name per class. 0 on an error. */
int ttq_py_get_metadata(const char *file, metadata *out);
/* load_image_color(file, w, h); 0 on an error. */
int ttq_py_load_image(const char *file, int w, int h, image *out);
/* network_predict_image; NULL on an error: NaN or Inf in the outputs is one (the weights are
 * corrupt or diverged, as `classifier predict` says naming `weights`, or `cfg` when NULL). */
float *ttq_py_predict_image(network *net, image im, const char *cfg, const char *weights);
detection *ttq_py_get_network_boxes(network *net, int w, int h, float thresh, float hier, int *map,
                                    int relative, int *num);
/* The .data file `datafile` against net, as `classifier predict` (classes = the network's
 * outputs, one name per class) or `detector test` (the last layer a detection layer of `classes`
 * classes) check it; 1 when it fits, 0 (and a message) when it does not. cfg names the network's
 * cfg in the messages. */
int ttq_py_check_classifier(network *net, const char *datafile);
int ttq_py_check_detector(network *net, const char *datafile, const char *cfg);
/* The number of values the network outputs (its last layer's), and the classes of its last
 * layer if that is a [yolo], [region] or [detection] layer (else -1). */
int ttq_py_outputs(network *net);
int ttq_py_detector_classes(network *net);

#endif
