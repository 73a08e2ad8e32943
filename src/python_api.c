/* The entry points of python/darknet.py under an error trap (python_api.h): exit() in the library
 * returns to the entry point that is running on this thread, and what Darknet printed on stderr
 * during the call becomes the error message. The __wrap_ functions below take the place of exit
 * and of the stdio calls that write Darknet's messages in libdarknet.so (linked with
 * -Wl,--wrap=exit,--wrap=fprintf,..., patch 0609); in the darknet program, linked without the
 * wrap, they are never called. */
#include "python_api.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_cfg.h"
#include "check_error.h"
#include "option_list.h"
#include "utils.h"

#define TRAP_TEXT 4096

/* An armed trap: where exit() returns to, and the tail of what was written to stderr. */
typedef struct {
    jmp_buf env;
    int status;
    size_t n;
    char text[TRAP_TEXT];
} trap;

static __thread trap *armed;
/* the trap of this thread's entry point: not a local, which setjmp's rules would leave indeterminate
   after the longjmp (it is written through `armed` in between) */
static __thread trap this_trap;
static __thread char last_error[TRAP_TEXT];

void __real_exit(int status) __attribute__((noreturn));
int __real_vfprintf(FILE *f, const char *fmt, va_list ap);
int __real_fputc(int c, FILE *f);
int __real_fputs(const char *s, FILE *f);
size_t __real_fwrite(const void *p, size_t size, size_t n, FILE *f);
void __real_perror(const char *s);

void __wrap_exit(int status)
{
    trap *t = armed;
    if(!t) __real_exit(status);
    armed = 0;
    t->status = status;
    fflush(stderr);
    longjmp(t->env, 1);
}

/* Keeps the last TRAP_TEXT - 1 bytes written to stderr while a trap is armed. */
static void keep(const char *s, size_t k)
{
    trap *t = armed;
    if(!t || !k) return;
    if(k >= TRAP_TEXT - 1){
        s += k - (TRAP_TEXT - 1);
        k = TRAP_TEXT - 1;
    }
    if(t->n + k >= TRAP_TEXT){
        size_t drop = t->n + k - (TRAP_TEXT - 1);
        memmove(t->text, t->text + drop, t->n - drop);
        t->n -= drop;
    }
    memcpy(t->text + t->n, s, k);
    t->n += k;
    t->text[t->n] = 0;
}

int __wrap_vfprintf(FILE *f, const char *fmt, va_list ap)
{
    if(f != stderr || !armed) return __real_vfprintf(f, fmt, ap);
    va_list aq;
    va_copy(aq, ap);
    char buf[TRAP_TEXT];
    int k = vsnprintf(buf, sizeof buf, fmt, aq);
    va_end(aq);
    if(k > 0) keep(buf, (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
    return __real_vfprintf(f, fmt, ap);
}

int __wrap_fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = __wrap_vfprintf(f, fmt, ap);
    va_end(ap);
    return k;
}

int __wrap_fputc(int c, FILE *f)
{
    if(f == stderr && armed){
        char ch = (char)c;
        keep(&ch, 1);
    }
    return __real_fputc(c, f);
}

int __wrap_fputs(const char *s, FILE *f)
{
    if(f == stderr && armed) keep(s, strlen(s));
    return __real_fputs(s, f);
}

size_t __wrap_fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    if(f == stderr && armed && size && n) keep(p, size*n);
    return __real_fwrite(p, size, n, f);
}

void __wrap_perror(const char *s)
{
    if(armed){
        int e = errno;
        if(s && *s){
            keep(s, strlen(s));
            keep(": ", 2);
        }
        const char *m = strerror(e);
        keep(m, strlen(m));
        keep("\n", 1);
        errno = e;
    }
    __real_perror(s);
}

/* The message of a failed call: the last two lines that are not empty of what it wrote to stderr
 * (the module names the error with the last, or both where the last names no file of the call). */
static void failed(trap *t)
{
    char *end = t->text + t->n;
    int lines = 0;
    while(end > t->text && (end[-1] == '\n' || end[-1] == ' ')) --end;
    *end = 0;
    char *start = end;
    while(start > t->text && lines < 2){
        if(start[-1] == '\n'){
            ++lines;
            if(lines == 2) break;
            while(start > t->text && (start[-1] == '\n' || start[-1] == ' ')) --start;
            continue;
        }
        --start;
    }
    while(*start == '\n') ++start;
    if(start == end) snprintf(last_error, sizeof last_error, "darknet: the call failed (exit status %d)", t->status);
    else snprintf(last_error, sizeof last_error, "%s", start);
    check_alloc_context(0, 0, -1);      /* a parse cut short leaves its section as the context */
    check_error_returned();
}

/* Arms t on this thread; the entry point then calls setjmp(t.env) as the whole condition of an if
 * (where C allows it): 0 now, 1 when an exit() in the call returns there (the trap disarmed). */
static void arm(trap *t)
{
    t->n = 0;
    t->text[0] = 0;
    t->status = 0;
    last_error[0] = 0;
    armed = t;
}
#define UNTRAP() (armed = 0)

const char *ttq_py_error(void)
{
    return last_error;
}

network *ttq_py_load_network(const char *cfg, const char *weights, int clear)
{
    trap *t = &this_trap;
    arm(t);
    if(setjmp(t->env)){
        failed(t);
        return 0;
    }
    network *net = load_network((char *)cfg, (char *)weights, clear);
    UNTRAP();
    return net;
}

int ttq_py_get_metadata(const char *file, metadata *out)
{
    trap *t = &this_trap;
    arm(t);
    if(setjmp(t->env)){
        failed(t);
        return 0;
    }
    list *options = read_data_cfg((char *)file);
    char *s = option_find(options, "classes");
    char *key = option_find(options, "names") ? "names" : "labels";
    char *names = option_find(options, key);
    if(!s) check_cfg_error(file, 0, 0, "classes", 0, "the number of classes, an integer >= 1");
    if(!names) check_cfg_error(file, 0, 0, "names", 0, "a file of the class names, one per line");
    char *end;
    long classes = strtol(s, &end, 10);
    if(end == s || *end || classes < 1 || classes > 1000000) check_cfg_error(file, 0, 0, "classes", s, "an integer >= 1");
    list *lines = get_paths(names);
    if(lines->size != classes){
        char buf[600];
        snprintf(buf, sizeof buf, "one name per class: %s has %d lines, classes = %ld", names, lines->size, classes);
        check_cfg_error(file, 0, 0, key, names, buf);
    }
    free_list_contents(lines);
    free_list(lines);
    *out = get_metadata((char *)file);
    UNTRAP();
    return 1;
}

int ttq_py_load_image(const char *file, int w, int h, image *out)
{
    trap *t = &this_trap;
    arm(t);
    if(setjmp(t->env)){
        failed(t);
        return 0;
    }
    *out = load_image_color((char *)file, w, h);
    UNTRAP();
    return 1;
}

float *ttq_py_predict_image(network *net, image im, const char *cfg, const char *weights)
{
    trap *t = &this_trap;
    arm(t);
    if(setjmp(t->env)){
        failed(t);
        return 0;
    }
    float *p = network_predict_image(net, im);
    check_cfg_prediction(cfg ? cfg : "(cfg)", weights, p, net->outputs, "(the image given)");
    UNTRAP();
    return p;
}

detection *ttq_py_get_network_boxes(network *net, int w, int h, float thresh, float hier, int *map,
                                    int relative, int *num)
{
    trap *t = &this_trap;
    arm(t);
    if(setjmp(t->env)){
        failed(t);
        return 0;
    }
    detection *d = get_network_boxes(net, w, h, thresh, hier, map, relative, num);
    UNTRAP();
    return d;
}

int ttq_py_check_classifier(network *net, const char *datafile)
{
    trap *t = &this_trap;
    arm(t);
    if(setjmp(t->env)){
        failed(t);
        return 0;
    }
    list *options = read_data_cfg((char *)datafile);
    check_cfg_classifier_data(datafile, options, net, 0, 0);
    UNTRAP();
    return 1;
}

int ttq_py_check_detector(network *net, const char *datafile, const char *cfg)
{
    trap *t = &this_trap;
    arm(t);
    if(setjmp(t->env)){
        failed(t);
        return 0;
    }
    list *options = read_data_cfg((char *)datafile);
    check_cfg_detector_data(datafile, options, net, cfg ? cfg : "(cfg)", 0, 0, 0);
    UNTRAP();
    return 1;
}

int ttq_py_outputs(network *net)
{
    return net->outputs;
}

int ttq_py_detector_classes(network *net)
{
    layer l = net->layers[net->n - 1];
    return l.type == YOLO || l.type == REGION || l.type == DETECTION ? l.classes : -1;
}
