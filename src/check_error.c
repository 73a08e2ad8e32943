/* The one error module (check_error.h): how our code reports a cfg error or a file error and stops,
 * its NaN/Inf test, and its checked allocator. Every exit() of src/ is in this file. */
#include "check_error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <unistd.h>

/* this file implements the checked allocator with the C library's own calloc, malloc and realloc:
   never the macros of include/darknet.h (patch 0527), whichever header brings them */
#undef calloc
#undef malloc
#undef realloc

void check_cfg_error(const char *file, const char *section, int index, const char *key,
                     const char *value, const char *expected)
{
    fprintf(stderr, "%s: ", file ? file : "(cfg)");
    if(section) fprintf(stderr, "section %s #%d: ", section, index);
    if(key) fprintf(stderr, "key '%s' = %s, expected ", key, value ? value : "(unset)");
    fprintf(stderr, "%s\n", expected);
    exit(EXIT_FAILURE);
}

static void file_error(const char *file, int index, const char *type, const char *what, va_list ap)
    __attribute__((noreturn));

static void file_error(const char *file, int index, const char *type, const char *what, va_list ap)
{
    if(index >= 0) fprintf(stderr, "%s: layer %d (%s): ", file, index, type);
    else fprintf(stderr, "%s: ", file);
    vfprintf(stderr, what, ap);
    fprintf(stderr, "\n");
    exit(EXIT_FAILURE);
}

void check_file_error(const char *file, int index, const char *type, const char *what, ...)
{
    va_list ap;
    va_start(ap, what);
    file_error(file, index, type, what, ap);
}

void check_load_error(const char *file, int index, const char *type, const char *what, ...)
{
    va_list ap;
    va_start(ap, what);
    fprintf(stderr, "\n");
    file_error(file, index, type, what, ap);
}

int check_finite(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (bits & 0x7F800000u) != 0x7F800000u;
}

size_t check_finite_array(const float *x, size_t n)
{
    size_t i;
    for(i = 0; i < n; ++i) if(!check_finite(x[i])) return i;
    return n;
}

/* n*size in *bytes (at least 1), or 0 when the product overflows size_t. */
static int bytes_of(size_t n, size_t size, size_t *bytes)
{
    if(size && n > SIZE_MAX/size) return 0;
    *bytes = (n && size) ? n*size : 1;
    return 1;
}

static void out_of_memory(size_t n, size_t size, size_t bytes, int overflow, const char *what)
    __attribute__((noreturn));

static void out_of_memory(size_t n, size_t size, size_t bytes, int overflow, const char *what)
{
    if(overflow) fprintf(stderr, "out of memory: %zu x %zu bytes for %s\n", n, size, what);
    else fprintf(stderr, "out of memory: %zu bytes for %s\n", bytes, what);
    exit(EXIT_FAILURE);
}

void *check_calloc(size_t n, size_t size, const char *what)
{
    size_t bytes = 0;
    if(!bytes_of(n, size, &bytes)) out_of_memory(n, size, 0, 1, what);
    void *p = (n && size) ? calloc(n, size) : calloc(1, 1);
    if(!p) out_of_memory(n, size, bytes, 0, what);
    return p;
}

void *check_malloc(size_t n, size_t size, const char *what)
{
    size_t bytes = 0;
    if(!bytes_of(n, size, &bytes)) out_of_memory(n, size, 0, 1, what);
    void *p = malloc(bytes);
    if(!p) out_of_memory(n, size, bytes, 0, what);
    return p;
}

void *check_realloc(void *p, size_t n, size_t size, const char *what)
{
    size_t bytes = 0;
    if(!bytes_of(n, size, &bytes)) out_of_memory(n, size, 0, 1, what);
    void *q = realloc(p, bytes);
    if(!q) out_of_memory(n, size, bytes, 0, what);
    return q;
}

static _Thread_local char ctx_file[1024], ctx_type[64];
static _Thread_local int ctx_index, ctx_set;

void check_alloc_context(const char *file, const char *type, int index)
{
    ctx_set = file != NULL;
    if(!file) return;
    snprintf(ctx_file, sizeof ctx_file, "%s", file);
    snprintf(ctx_type, sizeof ctx_type, "%s", type ? type : "");
    ctx_index = index;
}

static void darknet_out_of_memory(size_t n, size_t size, const char *where) __attribute__((noreturn));

/* one message and one exit, also when data-loading threads fail at once: the others wait for the
   exit (the thread that exits may come back here: the fuzz harnesses catch exit) */
static atomic_int dying;
static _Thread_local int this_thread_exits;

void check_error_returned(void)
{
    this_thread_exits = 0;
    atomic_store(&dying, 0);
}

static void darknet_out_of_memory(size_t n, size_t size, const char *where)
{
    if(atomic_exchange(&dying, 1) && !this_thread_exits) for(;;) pause();
    this_thread_exits = 1;
    char amount[96];
    if(size && n > SIZE_MAX/size){
        snprintf(amount, sizeof amount, "%zu x %zu bytes (more than the address space)", n, size);
    }else{
        double b = (double)n*(double)size;
        const char *unit = "bytes";
        double v = b;
        if(b >= 1024.0*1024*1024){ v = b/(1024.0*1024*1024); unit = "GiB"; }
        else if(b >= 1024.0*1024){ v = b/(1024.0*1024); unit = "MiB"; }
        else if(b >= 1024.0){ v = b/1024.0; unit = "KiB"; }
        if(unit[0] == 'b') snprintf(amount, sizeof amount, "%zu bytes", n*size);
        else snprintf(amount, sizeof amount, "%zu bytes (%.1f %s)", n*size, v, unit);
    }
    /* in a layer's context the parser's "%5d " of that layer is open on stderr: end it first */
    if(ctx_set && ctx_index >= 0) fprintf(stderr, "\n%s: section %s #%d: ", ctx_file, ctx_type, ctx_index);
    else if(ctx_set) fprintf(stderr, "%s: %s: ", ctx_file, ctx_type);
    fprintf(stderr, "out of memory: could not allocate %s at %s\n", amount, where ? where : "?");
    exit(EXIT_FAILURE);
}

void *darknet_checked_calloc(size_t n, size_t size, const char *where)
{
    void *p = calloc(n, size);
    if(!p && n && size) darknet_out_of_memory(n, size, where);
    return p;
}

void *darknet_checked_malloc(size_t bytes, const char *where)
{
    void *p = malloc(bytes);
    if(!p && bytes) darknet_out_of_memory(bytes, 1, where);
    return p;
}

void *darknet_checked_realloc(void *p, size_t bytes, const char *where)
{
    void *q = realloc(p, bytes);
    if(!q && bytes) darknet_out_of_memory(bytes, 1, where);
    return q;
}

long long check_image_pixel_cap(void)
{
    const char *s = getenv("DARKNET_MAX_IMAGE_PIXELS");
    if(!s) return CHECK_IMAGE_PIXELS_DEFAULT;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if(end == s || *end || errno || v < 1 || v > 536870911LL){
        fprintf(stderr, "DARKNET_MAX_IMAGE_PIXELS = '%s': expected a whole number from 1 to 536870911 "
                "(the largest image to decode, in pixels)\n", s);
        exit(EXIT_FAILURE);
    }
    return v;
}
