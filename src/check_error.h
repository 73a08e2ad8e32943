/* The one error module of our src/ code: every error that ends the program is reported here, with
 * one line on stderr and exit status 1 (EXIT_FAILURE); NaN and Inf are found here, on the bits; and
 * allocations that must not fail are checked here. (Darknet's own check_error(cudaError_t), in
 * cuda.c, is unrelated: it checks CUDA calls.) */
#ifndef CHECK_ERROR_H
#define CHECK_ERROR_H

#include <stddef.h>

/* A cfg error, one line:
 *   "<file>: section <section> #<index>: key '<key>' = <value>, expected <expected>"
 * file NULL prints "(cfg)", value NULL "(unset)". section NULL leaves out "section <section>
 * #<index>: " (a .data file, which has no sections); key NULL leaves out "key '<key>' = <value>,
 * expected " (a fault of the section as a whole, which `expected` then states). */
void check_cfg_error(const char *file, const char *section, int index, const char *key,
                     const char *value, const char *expected) __attribute__((noreturn));

/* A file error, one line:
 *   "<file>: layer <index> (<type>): <what>"   index >= 0
 *   "<file>: <what>"                           index < 0 (type unused)
 * `what` is a printf format and its arguments. `file` is the file the error is about, or, for an
 * error of a command line, the command ("ternary fold"). */
void check_file_error(const char *file, int index, const char *type, const char *what, ...)
    __attribute__((noreturn, format(printf, 4, 5)));
/* The same for an error found while Darknet's load_weights reads `file`: the message then ends the
 * line "Loading weights from <file>..." that load_weights left open, and starts a line of its own. */
void check_load_error(const char *file, int index, const char *type, const char *what, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* 1 when x is a finite number, 0 for NaN and +-Inf. The test reads the IEEE-754 bits (exponent all
 * ones = not finite): Darknet builds with -Ofast, whose -ffinite-math-only lets the compiler drop
 * isfinite(x), isnan(x), x != x and !(x <= y). */
int check_finite(float x);
/* The index of the first value of x[0..n-1] that is not finite; n when all are. */
size_t check_finite_array(const float *x, size_t n);

/* calloc, malloc and realloc of n elements of `size` bytes (at least one byte, so that n = 0 is not
 * a failure); n*size is checked for overflow. A failure ends the program with
 *   "out of memory: <bytes> bytes for <what>"
 * (or "<n> x <size> bytes", when the product overflows). */
void *check_calloc(size_t n, size_t size, const char *what);
void *check_malloc(size_t n, size_t size, const char *what);
void *check_realloc(void *p, size_t n, size_t size, const char *what);

/* Darknet's own calloc, malloc and realloc (patch 0527: include/darknet.h maps the three to these
 * in Darknet's C files, `where` = "file.c:line" of the call). They return what the C library
 * returns, except that a failed request of at least one byte ends the program with one line:
 *   "<cfg>: section <type> #<index>: out of memory: could not allocate <bytes> bytes (<size>) at <where>"
 * while the parser builds that section (check_alloc_context), and without the "<cfg>: section"
 * part otherwise. Upstream Darknet dereferenced the NULL a few lines later (a segmentation fault
 * for a large but legal cfg on a machine without the memory). */
void *darknet_checked_calloc(size_t n, size_t size, const char *where);
void *darknet_checked_malloc(size_t bytes, const char *where);
void *darknet_checked_realloc(void *p, size_t bytes, const char *where);
/* What the parser is building, for those messages: file and section (`type` as "[convolutional]",
 * index as Darknet counts layers, -1 for the network's own buffers); file NULL: nothing. Copied;
 * per thread (a data-loading thread's allocations are not the parser's). */
void check_alloc_context(const char *file, const char *type, int index);
/* After an exit() that did not end the program (python_api.c's error trap returned to its caller):
 * the next out-of-memory error reports again instead of waiting for the first one's exit. */
void check_error_returned(void);

/* The largest image, in pixels (width x height), that Darknet decodes: 67 108 864 (8192 x 8192)
 * unless the environment sets DARKNET_MAX_IMAGE_PIXELS (a whole number from 1 to 536 870 911, so
 * that width x height x 4 channels stays within Darknet's int indexing); another value of the
 * variable ends the program naming it. A file's header is checked against it before decoding: a
 * small file can claim an image of gigabytes. */
#define CHECK_IMAGE_PIXELS_DEFAULT 67108864LL
long long check_image_pixel_cap(void);

#endif
