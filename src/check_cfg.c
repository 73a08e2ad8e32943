/* Strict checks of what a cfg and a .data file hold: [net] and every layer section Darknet knows
 * (classifier, detector and TTQ cfgs), a classifier's and a detector's .data file against the
 * network, and, while a network trains or predicts, a loss or an output that is NaN or Inf.
 * Upstream Darknet reads numbers with atoi/atof (text becomes 0), falls back to ReLU or a constant
 * learning rate for a name it does not know, and then divides by, allocates with or indexes with
 * what it read: batch=0 or subdivisions=0 ends in a floating-point exception, shortcut from=5
 * reads past the layer array, a typo in activation= trains another network. parse_network_cfg
 * calls these checks before it parses each section (patch 0505); every failure is one message
 * naming the cfg file, the section, the key and what was expected (check_cfg_error, check_error.c),
 * and exit status 1. */
#include "check_cfg.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activations.h"
#include "data.h"
#include "network.h"
#include "option_list.h"

#define INT_CAP 1000000000L

/* "NaN" or "infinite" for a value check_finite rejected: a NaN's mantissa is not zero. */
static const char *nonfinite_name(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return (bits & 0x007FFFFFu) ? "NaN" : "infinite";
}

/* Whole text one integer within the cap: 1 and *v set, else 0. */
static int parse_int(const char *s, long *v)
{
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    while(*end == ' ' || *end == '\t') ++end;
    return !(errno || end == s || *end || *v < -INT_CAP || *v > INT_CAP);
}

/* Whole text one float: 1 and *v set, else 0. A nonzero value below float's smallest normal
   number (FLT_MIN) is refused too: Darknet builds with -Ofast, which computes such a denormal as 0
   (1e-40 would fail "0 < t" there and pass it in an -O1 build). */
static int parse_float(const char *s, float *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    int underflow = errno == ERANGE && fabs(d) <= DBL_MIN;
    while(*end == ' ' || *end == '\t') ++end;
    *v = (float)d;
    if(end == s || *end) return 0;
    if(underflow || (d != 0 && fabs(d) < FLT_MIN)) return 0;
    return !errno && check_finite(*v);
}

/* a x b, saturated at LLONG_MAX (sizes are >= 0; a negative one, refused elsewhere, gives 0) */
static long long M(long long a, long long b)
{
    long long r;
    if(a <= 0 || b <= 0) return 0;
    return __builtin_mul_overflow(a, b, &r) ? LLONG_MAX : r;
}

/* The whole text a number that float cannot hold but as 0 (a denormal, or an underflow): the
   message then says so. */
static int is_tiny(const char *s)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    int underflow = errno == ERANGE && fabs(d) <= DBL_MIN;
    while(*end == ' ' || *end == '\t') ++end;
    return end != s && !*end && (underflow || (d != 0 && fabs(d) < FLT_MIN));
}

/* One line of the file, as Darknet's read_cfg sees it after strip(): spaces and tabs removed. A
   key given twice in one section (a .data file is one section) with two different values is an
   error naming both lines: Darknet's option_find takes the first and silently drops the second,
   which is rarely what the person who added it meant. The same value twice is harmless. */
typedef struct { char *key, *value; long line; } cfg_seen;

static void check_duplicate_keys(const char *filename, char *text, size_t n)
{
    cfg_seen *seen = 0;
    size_t nseen = 0, cap = 0, i = 0;
    long line = 0;
    char section[64] = "";
    int index = -1;
    while(i < n){
        size_t j = i, k = 0;
        while(j < n && text[j] != '\n') ++j;
        ++line;
        char *l = text + i;
        size_t m;
        for(m = i; m < j; ++m){              /* strip, in place: the line's bytes are ours now */
            char c = text[m];
            if(c != ' ' && c != '\t' && c != '\r') l[k++] = c;
        }
        l[k] = 0;
        i = j + 1;
        if(k == 0 || l[0] == '#' || l[0] == ';') continue;
        if(l[0] == '['){                    /* a new section: keys start afresh */
            snprintf(section, sizeof section, "%s", l);
            ++index;
            nseen = 0;
            continue;
        }
        char *eq = strchr(l, '=');
        if(!eq) continue;                   /* the reader reports a line without '=' */
        *eq = 0;
        size_t s;
        for(s = 0; s < nseen; ++s){
            if(strcmp(seen[s].key, l)) continue;
            if(strcmp(seen[s].value, eq + 1)){
                char what[512];
                snprintf(what, sizeof what, "line %ld: key '%s' = %.100s is given again%s%s (line %ld: %.100s); "
                         "Darknet would use the first: delete one of the two lines", line, l, eq + 1,
                         section[0] ? " in section " : "", section, seen[s].line, seen[s].value);
                free(seen);
                free(text);
                check_file_error(filename, -1, 0, "%s", what);
            }
            break;
        }
        if(s < nseen) continue;
        if(nseen == cap){
            cap = cap ? 2*cap : 32;
            seen = check_realloc(seen, cap, sizeof *seen, "the keys of a cfg section");
        }
        seen[nseen].key = l;
        seen[nseen].value = eq + 1;
        seen[nseen].line = line;
        ++nseen;
    }
    (void)index;
    free(seen);
}

void check_cfg_text(const char *filename)
{
    FILE *fp = fopen(filename, "rb");
    if(!fp) return;                     /* the reader's fopen reports it */
    size_t n = 0, cap = 0;
    char *text = 0;
    long line = 1, byte = 0;
    int c;
    while((c = fgetc(fp)) != EOF){
        if(c == '\0'){
            fclose(fp);
            free(text);
            check_file_error(filename, -1, 0, "line %ld: a NUL byte (byte %ld): not a text file", line, byte);
        }
        if(c == '\r'){
            int next = fgetc(fp);
            if(next != '\n'){
                fclose(fp);
                free(text);
                check_file_error(filename, -1, 0, "line %ld: a carriage return inside the line (byte %ld): "
                                 "CR line endings? save the file with LF (or CRLF) line endings", line, byte);
            }
            ++byte;
            c = next;
        }
        if(c == '\n') ++line;
        ++byte;
        if(n + 1 >= cap){
            cap = cap ? 2*cap : 4096;
            text = check_realloc(text, cap, 1, "the text of a cfg file");
        }
        text[n++] = (char)c;
    }
    fclose(fp);
    if(text){
        text[n] = 0;
        check_duplicate_keys(filename, text, n);
    }
    free(text);
}

float check_cfg_float(list *options, const char *cfgfile, const char *section, int index,
                    const char *key, float def, const char **raw)
{
    char *s = option_find(options, (char *)key);
    if(raw) *raw = s;
    if(!s) return def;
    float v;
    if(!parse_float(s, &v)){
        char expected[96];
        if(is_tiny(s)){
            snprintf(expected, sizeof expected, "0 or a number of magnitude %g to %g (float's normal range)",
                     FLT_MIN, FLT_MAX);
        }else{
            snprintf(expected, sizeof expected, "a finite number");
        }
        check_cfg_error(cfgfile, section, index, key, s, expected);
    }
    return v;
}

int check_cfg_int(list *options, const char *cfgfile, const char *section, int index,
                  const char *key, int def, int lo, int hi, const char *expected)
{
    char *s = option_find(options, (char *)key);
    if(!s) return def;
    long v;
    if(!parse_int(s, &v) || v < lo || v > hi) check_cfg_error(cfgfile, section, index, key, s, expected);
    return (int)v;
}

/* A float in [lo, hi] (lo excluded when lo_open, hi excluded when hi_open); def when absent. */
static float check_float(list *options, const char *cfgfile, const char *section, int index,
                         const char *key, float def, float lo, int lo_open, float hi, int hi_open,
                         const char *expected)
{
    const char *raw;
    float v = check_cfg_float(options, cfgfile, section, index, key, def, &raw);
    if(raw && (v < lo || v > hi || (lo_open && v == lo) || (hi_open && v == hi))){
        check_cfg_error(cfgfile, section, index, key, raw, expected);
    }
    return v;
}

ACTIVATION check_cfg_activation(list *options, const char *cfgfile, const char *section, int index,
                                ACTIVATION def)
{
    char *s = option_find(options, "activation");
    if(!s) return def;
    int a;
    for(a = LOGISTIC; a <= SELU; ++a){
        if(strcmp(s, get_activation_string((ACTIVATION)a)) == 0) return (ACTIVATION)a;
    }
    check_cfg_error(cfgfile, section, index, "activation", s,
                  "one of Darknet's activations (logistic, relu, leaky, linear, ...)");
    return LINEAR;
}

static void need_image(const char *cfgfile, const char *section, int index, int h, int w, int c)
{
    if(!(h > 0 && w > 0 && c > 0)){
        check_cfg_error(cfgfile, section, index, 0, 0,
                      "the layer before it must output an image (height, width and channels)");
    }
}

void check_cfg_conv(list *options, const char *cfgfile, const char *section, int index,
                    int h, int w, int c)
{
    char buf[64];
    int n = check_cfg_int(options, cfgfile, section, index, "filters", 1, 1, INT_CAP, "an integer >= 1");
    int size = check_cfg_int(options, cfgfile, section, index, "size", 1, 1, INT_CAP, "an integer >= 1");
    check_cfg_int(options, cfgfile, section, index, "stride", 1, 1, INT_CAP, "an integer >= 1");
    int pad = check_cfg_int(options, cfgfile, section, index, "pad", 0, 0, 1, "0 or 1");
    int padding = check_cfg_int(options, cfgfile, section, index, "padding", 0, 0, INT_CAP, "an integer >= 0");
    int groups = check_cfg_int(options, cfgfile, section, index, "groups", 1, 1, INT_CAP, "an integer >= 1");
    if(pad) padding = size/2;
    check_cfg_activation(options, cfgfile, section, index, LOGISTIC);
    check_cfg_int(options, cfgfile, section, index, "batch_normalize", 0, 0, 1, "0 or 1");
    check_cfg_int(options, cfgfile, section, index, "flipped", 0, 0, 1, "0 or 1");
    check_cfg_float(options, cfgfile, section, index, "dot", 0, 0);

    need_image(cfgfile, section, index, h, w, c);
    if(c % groups){
        snprintf(buf, sizeof buf, "%d", groups);
        check_cfg_error(cfgfile, section, index, "groups", buf, "a divisor of the input channels");
    }
    if(n % groups){
        snprintf(buf, sizeof buf, "%d", groups);
        check_cfg_error(cfgfile, section, index, "groups", buf, "a divisor of filters");
    }
    if(size > h + 2LL*padding || size > w + 2LL*padding){
        snprintf(buf, sizeof buf, "%d", size);
        check_cfg_error(cfgfile, section, index, "size", buf, "no larger than the padded input");
    }
}

/* steps=a,b,... with scales=x,y,...: the same count, integer iterations in non-decreasing order
   (Darknet walks them in order; a negative one, as in yolov2-tiny-voc.cfg, applies its factor from
   the start), finite scales. */
static void check_steps(list *options, const char *cfgfile)
{
    const char *S = "[net]";
    char *steps = option_find(options, "steps");
    char *scales = option_find(options, "scales");
    if(!steps) check_cfg_error(cfgfile, S, 0, "steps", 0, "a comma-separated list of iterations (policy=steps)");
    if(!scales) check_cfg_error(cfgfile, S, 0, "scales", 0, "a comma-separated list of factors, one per step (policy=steps)");
    int nsteps = 1, nscales = 1;
    const char *p;
    for(p = steps; *p; ++p) nsteps += (*p == ',');
    for(p = scales; *p; ++p) nscales += (*p == ',');
    if(nsteps != nscales){
        check_cfg_error(cfgfile, S, 0, "scales", scales, "as many factors as 'steps' has iterations");
    }
    char tok[64];
    long prev = -INT_CAP;
    const char *a = steps, *b = scales;
    int i;
    for(i = 0; i < nsteps; ++i){
        size_t len = strcspn(a, ",");
        long v;
        snprintf(tok, sizeof tok, "%.*s", (int)(len < sizeof tok ? len : sizeof tok - 1), a);
        if(len >= sizeof tok || !parse_int(tok, &v) || v < prev){
            check_cfg_error(cfgfile, S, 0, "steps", steps, "integer iterations in non-decreasing order, separated by commas");
        }
        prev = v;
        a += len + (a[len] == ',');
        len = strcspn(b, ",");
        float f;
        snprintf(tok, sizeof tok, "%.*s", (int)(len < sizeof tok ? len : sizeof tok - 1), b);
        if(len >= sizeof tok || !parse_float(tok, &f)){
            check_cfg_error(cfgfile, S, 0, "scales", scales, "finite factors separated by commas");
        }
        b += len + (b[len] == ',');
    }
}

void check_cfg_net(list *options, const char *cfgfile)
{
    const char *S = "[net]";
    char buf[256];
    int batch = check_cfg_int(options, cfgfile, S, 0, "batch", 1, 1, INT_CAP, "an integer >= 1");
    int subdivs = check_cfg_int(options, cfgfile, S, 0, "subdivisions", 1, 1, INT_CAP, "an integer >= 1");
    if(batch % subdivs){
        snprintf(buf, sizeof buf, "a divisor of batch (%d)", batch);
        check_cfg_error(cfgfile, S, 0, "subdivisions", option_find(options, "subdivisions"), buf);
    }
    check_cfg_int(options, cfgfile, S, 0, "time_steps", 1, 1, INT_CAP, "an integer >= 1");
    check_cfg_int(options, cfgfile, S, 0, "notruth", 0, 0, 1, "0 or 1");
    check_cfg_int(options, cfgfile, S, 0, "random", 0, 0, INT_CAP, "an integer >= 0");
    check_cfg_int(options, cfgfile, S, 0, "center", 0, 0, 1, "0 or 1");

    int inputs = check_cfg_int(options, cfgfile, S, 0, "inputs", 0, 0, INT_CAP, "an integer >= 0");
    const char *dims[3] = {"height", "width", "channels"};
    int d[3], i;
    for(i = 0; i < 3; ++i){
        d[i] = check_cfg_int(options, cfgfile, S, 0, dims[i], 0, 0, INT_CAP, "an integer >= 1");
    }
    for(i = 0; i < 3 && !inputs; ++i){
        if(d[i] < 1) check_cfg_error(cfgfile, S, 0, dims[i], option_find(options, (char *)dims[i]),
                                   "an integer >= 1 (or 'inputs' for a network without an image input)");
    }
    int w = d[1];
    /* the input buffer: height x width x channels (or inputs) values per image, batch/subdivisions
       x time_steps images per step, indexed with int */
    long long per_image = inputs ? inputs : M(M(d[0], d[1]), d[2]);
    long long per_step = M(batch/subdivs, check_cfg_int(options, cfgfile, S, 0, "time_steps", 1, 1, INT_CAP, "an integer >= 1"));
    if(per_image > INT_MAX){
        snprintf(buf, sizeof buf, "an input of at most %d values: height x width x channels = %lld", INT_MAX, per_image);
        check_cfg_error(cfgfile, S, 0, inputs ? "inputs" : "channels", option_find(options, inputs ? "inputs" : "channels"), buf);
    }
    if(M(per_image, per_step) > INT_MAX){
        snprintf(buf, sizeof buf, "at most %d input values per step: %lld per image x %lld images (batch/subdivisions x time_steps)",
                 INT_MAX, per_image, per_step);
        check_cfg_error(cfgfile, S, 0, "batch", option_find(options, "batch"), buf);
    }

    check_float(options, cfgfile, S, 0, "learning_rate", .001, 0, 0, 1e9, 0, "a rate, 0 <= learning_rate <= 1e9");
    check_float(options, cfgfile, S, 0, "momentum", .9, 0, 0, 1, 1, "0 <= momentum < 1");
    check_float(options, cfgfile, S, 0, "decay", .0001, 0, 0, 1e9, 0, "decay >= 0");
    if(check_cfg_int(options, cfgfile, S, 0, "adam", 0, 0, 1, "0 or 1")){
        check_float(options, cfgfile, S, 0, "B1", .9, 0, 0, 1, 1, "0 <= B1 < 1");
        check_float(options, cfgfile, S, 0, "B2", .999, 0, 0, 1, 1, "0 <= B2 < 1");
        check_float(options, cfgfile, S, 0, "eps", 1e-7, 0, 1, 1e9, 0, "eps > 0");
    }
    check_float(options, cfgfile, S, 0, "clip", 0, 0, 0, 1e30, 0, "clip >= 0");

    /* classifier augmentation: random resize to min_crop..max_crop, crop, rotate, recolour */
    int max_crop = check_cfg_int(options, cfgfile, S, 0, "max_crop", w*2, 1, INT_CAP, "an integer >= 1");
    int min_crop = check_cfg_int(options, cfgfile, S, 0, "min_crop", w, 1, INT_CAP, "an integer >= 1");
    if(min_crop > max_crop){
        snprintf(buf, sizeof buf, "%d", max_crop);
        check_cfg_error(cfgfile, S, 0, "max_crop", buf, "max_crop >= min_crop");
    }
    float max_ratio = check_float(options, cfgfile, S, 0, "max_ratio", 2, 0, 1, 1e9, 0, "max_ratio > 0");
    float min_ratio = check_float(options, cfgfile, S, 0, "min_ratio", 1, 0, 1, 1e9, 0, "min_ratio > 0");
    if(option_find(options, "min_ratio") && option_find(options, "max_ratio") && min_ratio > max_ratio){
        check_cfg_error(cfgfile, S, 0, "max_ratio", option_find(options, "max_ratio"), "max_ratio >= min_ratio");
    }
    check_cfg_float(options, cfgfile, S, 0, "angle", 0, 0);
    check_float(options, cfgfile, S, 0, "aspect", 1, 0, 1, 1e9, 0, "aspect > 0");
    check_float(options, cfgfile, S, 0, "saturation", 1, 0, 1, 1e9, 0, "saturation > 0");
    check_float(options, cfgfile, S, 0, "exposure", 1, 0, 1, 1e9, 0, "exposure > 0");
    check_float(options, cfgfile, S, 0, "hue", 0, 0, 0, 1, 0, "0 <= hue <= 1");

    /* learning-rate schedule */
    char *policy = option_find(options, "policy");
    static const char *policies[] = {"constant", "step", "steps", "exp", "poly", "sigmoid", "random"};
    int known = !policy;
    for(i = 0; policy && i < (int)(sizeof policies/sizeof *policies); ++i){
        known |= strcmp(policy, policies[i]) == 0;
    }
    if(!known){
        check_cfg_error(cfgfile, S, 0, "policy", policy,
                      "one of constant, step, steps, exp, poly, sigmoid, random");
    }
    check_cfg_int(options, cfgfile, S, 0, "burn_in", 0, 0, INT_CAP, "an integer >= 0");
    check_cfg_float(options, cfgfile, S, 0, "power", 4, 0);
    if(policy && (strcmp(policy, "step") == 0 || strcmp(policy, "sigmoid") == 0)){
        check_cfg_int(options, cfgfile, S, 0, "step", 1, 1, INT_CAP, "an integer >= 1");
    }
    if(policy && strcmp(policy, "step") == 0) check_cfg_float(options, cfgfile, S, 0, "scale", 1, 0);
    if(policy && (strcmp(policy, "exp") == 0 || strcmp(policy, "sigmoid") == 0)){
        check_cfg_float(options, cfgfile, S, 0, "gamma", 1, 0);
    }
    if(policy && strcmp(policy, "steps") == 0) check_steps(options, cfgfile);
    check_cfg_int(options, cfgfile, S, 0, "max_batches", 0, 0, INT_CAP, "an integer >= 0");
    check_cfg_int(options, cfgfile, S, 0, "ttq_log_every", 100, 0, INT_CAP, "an integer >= 0");
}

/* from=-3 or layers=-1,-4: each entry a layer before this one, relative (< 0) or absolute. */
static void check_layer_refs(list *options, const char *cfgfile, const char *section, int index,
                             const char *key, int many)
{
    char *s = option_find(options, (char *)key);
    char expected[128];
    snprintf(expected, sizeof expected, "%s of a layer before this one (-1 .. -%d, or 0 .. %d)",
             many ? "comma-separated indices" : "the index", index, index - 1);
    if(index == 0) check_cfg_error(cfgfile, section, index, key, s, "no reference: the first layer has no layer before it");
    if(!s) check_cfg_error(cfgfile, section, index, key, s, expected);
    const char *p = s;
    char tok[32];
    for(;;){
        size_t len = strcspn(p, ",");
        long v;
        snprintf(tok, sizeof tok, "%.*s", (int)(len < sizeof tok ? len : sizeof tok - 1), p);
        if(len >= sizeof tok || !parse_int(tok, &v)) check_cfg_error(cfgfile, section, index, key, s, expected);
        if(v < 0) v += index;
        if(v < 0 || v >= index) check_cfg_error(cfgfile, section, index, key, s, expected);
        if(p[len] != ',') break;
        if(!many) check_cfg_error(cfgfile, section, index, key, s, expected);
        p += len + 1;
    }
}

/* A comma-separated list of integers (ints, lo..hi) or finite floats (ints == 0): the count, or a
   fatal error naming the key. */
static int check_list(list *options, const char *cfgfile, const char *section, int index,
                      const char *key, int ints, long lo, long hi, const char *expected)
{
    char *s = option_find(options, (char *)key);
    if(!s) return 0;
    const char *p = s;
    char tok[64];
    int n = 0;
    for(;;){
        size_t len = strcspn(p, ",");
        snprintf(tok, sizeof tok, "%.*s", (int)(len < sizeof tok ? len : sizeof tok - 1), p);
        long v;
        float f;
        int ok = len < sizeof tok && (ints ? parse_int(tok, &v) && v >= lo && v <= hi : parse_float(tok, &f));
        if(!ok) check_cfg_error(cfgfile, section, index, key, s, expected);
        ++n;
        if(p[len] != ',') break;
        p += len + 1;
    }
    return n;
}

/* A detection head reads the previous layer's output as `per_cell` values per cell. */
static void need_outputs(const char *cfgfile, const char *section, int index, int inputs, int h, int w,
                         int c, long want, const char *formula)
{
    if(inputs == want) return;
    char what[512];
    if(h > 0 && w > 0 && c > 0 && want % ((long)h*w) == 0){
        snprintf(what, sizeof what, "the layer before it has %d filters; %s = %ld (set filters=%ld in "
                 "the [convolutional] or [ternary] before it)", c, formula, want/((long)h*w), want/((long)h*w));
    }else{
        snprintf(what, sizeof what, "the layer before it has %d outputs; %s needs %ld", inputs, formula, want);
    }
    check_cfg_error(cfgfile, section, index, 0, 0, what);
}

void check_cfg_layer(const char *type, list *options, const char *cfgfile, int index,
                     int h, int w, int c, int inputs)
{
    check_alloc_context(cfgfile, type, index);    /* this section, for the allocator (patch 0527) */
    static const char *known[] = {
        "[shortcut]", "[crop]", "[cost]", "[detection]", "[region]", "[yolo]", "[iseg]", "[local]",
        "[conv]", "[convolutional]", "[ternary]", "[deconv]", "[deconvolutional]", "[activation]",
        "[logistic]", "[l2norm]", "[crnn]", "[gru]", "[lstm]", "[rnn]", "[conn]", "[connected]",
        "[max]", "[maxpool]", "[reorg]", "[avg]", "[avgpool]", "[dropout]", "[lrn]",
        "[normalization]", "[batchnorm]", "[soft]", "[softmax]", "[route]", "[upsample]"};
    int i, found = 0;
    for(i = 0; i < (int)(sizeof known/sizeof *known); ++i) found |= strcmp(type, known[i]) == 0;
    if(!found){
        check_cfg_error(cfgfile, type, index, 0, 0, strcmp(type, "[net]") == 0 || strcmp(type, "[network]") == 0
                      ? "only the first section may be [net]"
                      : "not a section type Darknet knows (a typo? e.g. [convolutional], [ternary], [maxpool])");
    }
    /* what parse_network_cfg reads for every layer: the rate factor and the flags */
    check_float(options, cfgfile, type, index, "learning_rate", 1, 0, 0, 1e9, 0, "a rate factor >= 0");
    static const char *flags[] = {"truth", "onlyforward", "stopbackward", "dontsave", "dontload",
                                  "dontloadscales"};
    for(i = 0; i < (int)(sizeof flags/sizeof *flags); ++i){
        check_cfg_int(options, cfgfile, type, index, flags[i], 0, 0, 1, "0 or 1");
    }
    /* load_convolutional_weights reads numload filters into buffers made for `filters` */
    if(!strcmp(type, "[conv]") || !strcmp(type, "[convolutional]") || !strcmp(type, "[ternary]")
       || !strcmp(type, "[deconv]") || !strcmp(type, "[deconvolutional]")){
        long filters = 1;
        char *fs = option_find(options, "filters");
        if(fs && (!parse_int(fs, &filters) || filters < 1 || filters > INT_CAP)) filters = 1;  /* its own check follows */
        char buf[80];
        snprintf(buf, sizeof buf, "an integer from 0 to filters (%ld)", filters);
        check_cfg_int(options, cfgfile, type, index, "numload", 0, 0, (int)filters, buf);
    }else{
        check_cfg_int(options, cfgfile, type, index, "numload", 0, 0, INT_CAP, "an integer >= 0");
    }
    check_cfg_float(options, cfgfile, type, index, "smooth", 0, 0);

    if(!strcmp(type, "[conv]") || !strcmp(type, "[convolutional]")){
        check_cfg_conv(options, cfgfile, type, index, h, w, c);
        check_cfg_int(options, cfgfile, type, index, "binary", 0, 0, 1, "0 or 1");
        check_cfg_int(options, cfgfile, type, index, "xnor", 0, 0, 1, "0 or 1");
    }else if(!strcmp(type, "[conn]") || !strcmp(type, "[connected]")){
        check_cfg_int(options, cfgfile, type, index, "output", 1, 1, INT_CAP, "an integer >= 1");
        check_cfg_activation(options, cfgfile, type, index, LOGISTIC);
        check_cfg_int(options, cfgfile, type, index, "batch_normalize", 0, 0, 1, "0 or 1");
        if(inputs < 1) check_cfg_error(cfgfile, type, index, 0, 0, "the layer before it has no outputs");
    }else if(!strcmp(type, "[max]") || !strcmp(type, "[maxpool]")){
        int stride = check_cfg_int(options, cfgfile, type, index, "stride", 1, 1, INT_CAP, "an integer >= 1");
        int size = check_cfg_int(options, cfgfile, type, index, "size", stride, 1, INT_CAP, "an integer >= 1");
        check_cfg_int(options, cfgfile, type, index, "padding", size - 1, 0, INT_CAP, "an integer >= 0");
        need_image(cfgfile, type, index, h, w, c);
    }else if(!strcmp(type, "[reorg]")){
        /* space to depth (or back, with reverse=1) by stride: the sizes must divide */
        int stride = check_cfg_int(options, cfgfile, type, index, "stride", 1, 1, INT_CAP, "an integer >= 1");
        int reverse = check_cfg_int(options, cfgfile, type, index, "reverse", 0, 0, 1, "0 or 1");
        int flatten = check_cfg_int(options, cfgfile, type, index, "flatten", 0, 0, 1, "0 or 1");
        int extra = check_cfg_int(options, cfgfile, type, index, "extra", 0, 0, INT_CAP, "an integer >= 0");
        need_image(cfgfile, type, index, h, w, c);
        char buf[96];
        /* reorg_cpu moves channel k to channel k % (c/stride^2): c/stride^2 must be a whole
           number >= 1 (upstream divided by 0), and the output (w/stride x h/stride) must hold the
           input (it wrote past the output) */
        if(!flatten && !extra && c % (stride*stride)){
            snprintf(buf, sizeof buf, "stride^2 dividing the input's channels (%d)", c);
            check_cfg_error(cfgfile, type, index, "stride", option_find(options, "stride"), buf);
        }
        if(!flatten && !extra && !reverse && (w % stride || h % stride)){
            snprintf(buf, sizeof buf, "a divisor of the input's width and height (%d x %d)", w, h);
            check_cfg_error(cfgfile, type, index, "stride", option_find(options, "stride"), buf);
        }
    }else if(!strcmp(type, "[avg]") || !strcmp(type, "[avgpool]")){
        need_image(cfgfile, type, index, h, w, c);
    }else if(!strcmp(type, "[local]")){
        check_cfg_int(options, cfgfile, type, index, "filters", 1, 1, INT_CAP, "an integer >= 1");
        int size = check_cfg_int(options, cfgfile, type, index, "size", 1, 1, INT_CAP, "an integer >= 1");
        check_cfg_int(options, cfgfile, type, index, "stride", 1, 1, INT_CAP, "an integer >= 1");
        int pad = check_cfg_int(options, cfgfile, type, index, "pad", 0, 0, 1, "0 or 1");
        check_cfg_activation(options, cfgfile, type, index, LOGISTIC);
        need_image(cfgfile, type, index, h, w, c);
        /* parse_local pads size/2 with pad=1; a window larger than the padded input leaves no
           output (upstream: 0 or negative rows, then an out-of-bounds im2col) */
        long long padded = (long long)(h < w ? h : w) + (pad ? 2LL*(size/2) : 0);
        if(size > padded){
            char buf[64];
            snprintf(buf, sizeof buf, "no larger than the %s input (%lld)", pad ? "padded" : "unpadded", padded);
            check_cfg_error(cfgfile, type, index, "size", option_find(options, "size"), buf);
        }
    }else if(!strcmp(type, "[deconv]") || !strcmp(type, "[deconvolutional]")){
        check_cfg_int(options, cfgfile, type, index, "filters", 1, 1, INT_CAP, "an integer >= 1");
        int size = check_cfg_int(options, cfgfile, type, index, "size", 1, 1, INT_CAP, "an integer >= 1");
        int stride = check_cfg_int(options, cfgfile, type, index, "stride", 1, 1, INT_CAP, "an integer >= 1");
        int pad = check_cfg_int(options, cfgfile, type, index, "pad", 0, 0, 1, "0 or 1");
        int padding = check_cfg_int(options, cfgfile, type, index, "padding", 0, 0, INT_CAP, "an integer >= 0");
        check_cfg_int(options, cfgfile, type, index, "batch_normalize", 0, 0, 1, "0 or 1");
        check_cfg_activation(options, cfgfile, type, index, LOGISTIC);
        need_image(cfgfile, type, index, h, w, c);
        /* (in - 1) stride + size - 2 padding rows (padding = size/2 with pad=1): at least one */
        if(pad) padding = size/2;
        long long m = h < w ? h : w;
        if((m - 1)*stride + size - 2LL*padding < 1){
            check_cfg_error(cfgfile, type, index, pad ? "pad" : "padding",
                            option_find(options, pad ? "pad" : "padding"),
                            "a padding that leaves at least one output row and column");
        }
    }else if(!strcmp(type, "[crop]")){
        need_image(cfgfile, type, index, h, w, c);
        char buf[64];
        /* a crop inside the input: forward_crop_layer draws its offset modulo in - crop + 1 */
        snprintf(buf, sizeof buf, "an integer from 1 to the input's height (%d)", h);
        check_cfg_int(options, cfgfile, type, index, "crop_height", 1, 1, h, buf);
        snprintf(buf, sizeof buf, "an integer from 1 to the input's width (%d)", w);
        check_cfg_int(options, cfgfile, type, index, "crop_width", 1, 1, w, buf);
        check_cfg_int(options, cfgfile, type, index, "flip", 0, 0, 1, "0 or 1");
        check_cfg_int(options, cfgfile, type, index, "noadjust", 0, 0, 1, "0 or 1");
        check_cfg_float(options, cfgfile, type, index, "angle", 0, 0);
        check_cfg_float(options, cfgfile, type, index, "saturation", 1, 0);
        check_cfg_float(options, cfgfile, type, index, "exposure", 1, 0);
        check_cfg_float(options, cfgfile, type, index, "shift", 0, 0);
    }else if(!strcmp(type, "[lrn]") || !strcmp(type, "[normalization]")){
        need_image(cfgfile, type, index, h, w, c);
        check_cfg_int(options, cfgfile, type, index, "size", 5, 1, INT_CAP, "an integer >= 1");
        check_cfg_float(options, cfgfile, type, index, "alpha", .0001f, 0);
        check_cfg_float(options, cfgfile, type, index, "beta", .75f, 0);
        check_cfg_float(options, cfgfile, type, index, "kappa", 1, 0);
    }else if(!strcmp(type, "[upsample]")){
        need_image(cfgfile, type, index, h, w, c);
        /* stride < 0 downsamples by -stride (make_upsample_layer: out = in / -stride) */
        int stride = check_cfg_int(options, cfgfile, type, index, "stride", 2, -INT_CAP, INT_CAP,
                                   "a non-zero integer (negative: downsample)");
        if(stride == 0) check_cfg_error(cfgfile, type, index, "stride", option_find(options, "stride"),
                                        "a non-zero integer (negative: downsample)");
        if(stride < 0 && (w % -stride || h % -stride)){
            char buf[96];
            snprintf(buf, sizeof buf, "a negative divisor of the input's width and height (%d x %d)", w, h);
            check_cfg_error(cfgfile, type, index, "stride", option_find(options, "stride"), buf);
        }
        check_cfg_float(options, cfgfile, type, index, "scale", 1, 0);
    }else if(!strcmp(type, "[rnn]") || !strcmp(type, "[gru]") || !strcmp(type, "[lstm]")){
        check_cfg_int(options, cfgfile, type, index, "output", 1, 1, INT_CAP, "an integer >= 1");
        check_cfg_int(options, cfgfile, type, index, "batch_normalize", 0, 0, 1, "0 or 1");
        if(!strcmp(type, "[rnn]")){
            check_cfg_activation(options, cfgfile, type, index, LOGISTIC);
            check_cfg_int(options, cfgfile, type, index, "shortcut", 0, 0, 1, "0 or 1");
        }
        if(!strcmp(type, "[gru]")) check_cfg_int(options, cfgfile, type, index, "tanh", 0, 0, 1, "0 or 1");
        if(inputs < 1) check_cfg_error(cfgfile, type, index, 0, 0, "the layer before it has no outputs");
    }else if(!strcmp(type, "[crnn]")){
        check_cfg_int(options, cfgfile, type, index, "output_filters", 1, 1, INT_CAP, "an integer >= 1");
        check_cfg_int(options, cfgfile, type, index, "hidden_filters", 1, 1, INT_CAP, "an integer >= 1");
        check_cfg_int(options, cfgfile, type, index, "batch_normalize", 0, 0, 1, "0 or 1");
        check_cfg_int(options, cfgfile, type, index, "shortcut", 0, 0, 1, "0 or 1");
        check_cfg_activation(options, cfgfile, type, index, LOGISTIC);
        need_image(cfgfile, type, index, h, w, c);
    }else if(!strcmp(type, "[cost]")){
        /* get_network_output_layer walks back past [cost] layers: with one first it read layers[-1] */
        if(index == 0) check_cfg_error(cfgfile, type, index, 0, 0,
                                       "[cost] cannot be the first layer: it scores the output of a layer before it");
        char *t = option_find(options, "type");
        if(t && strcmp(t, "seg") && strcmp(t, "sse") && strcmp(t, "masked") && strcmp(t, "smooth")
           && strcmp(t, "L1") && strcmp(t, "wgan")){
            check_cfg_error(cfgfile, type, index, "type", t, "one of sse, masked, smooth, L1, seg, wgan");
        }
        check_cfg_float(options, cfgfile, type, index, "scale", 1, 0);
        check_cfg_float(options, cfgfile, type, index, "ratio", 0, 0);
        check_cfg_float(options, cfgfile, type, index, "noobj", 1, 0);
        check_cfg_float(options, cfgfile, type, index, "thresh", 0, 0);
        if(inputs < 1) check_cfg_error(cfgfile, type, index, 0, 0, "the layer before it has no outputs");
    }else if(!strcmp(type, "[activation]")){
        check_cfg_activation(options, cfgfile, type, index, LINEAR);
    }else if(!strcmp(type, "[soft]") || !strcmp(type, "[softmax]")){
        int groups = check_cfg_int(options, cfgfile, type, index, "groups", 1, 1, INT_CAP, "an integer >= 1");
        if(inputs < 1) check_cfg_error(cfgfile, type, index, 0, 0, "the layer before it has no outputs");
        if(inputs % groups){
            char buf[64];
            snprintf(buf, sizeof buf, "a divisor of the layer's inputs (%d)", inputs);
            check_cfg_error(cfgfile, type, index, "groups", option_find(options, "groups"), buf);
        }
        check_float(options, cfgfile, type, index, "temperature", 1, 0, 1, 1e9, 0, "temperature > 0");
        check_cfg_float(options, cfgfile, type, index, "spatial", 0, 0);
        check_cfg_int(options, cfgfile, type, index, "noloss", 0, 0, 1, "0 or 1");
    }else if(!strcmp(type, "[dropout]")){
        if(index == 0) check_cfg_error(cfgfile, type, index, 0, 0, "[dropout] cannot be the first layer");
        check_float(options, cfgfile, type, index, "probability", .5, 0, 0, 1, 1, "0 <= probability < 1");
    }else if(!strcmp(type, "[shortcut]")){
        check_layer_refs(options, cfgfile, type, index, "from", 0);
        check_cfg_activation(options, cfgfile, type, index, LINEAR);
        check_cfg_float(options, cfgfile, type, index, "alpha", 1, 0);
        check_cfg_float(options, cfgfile, type, index, "beta", 1, 0);
    }else if(!strcmp(type, "[route]")){
        check_layer_refs(options, cfgfile, type, index, "layers", 1);
    }else if(!strcmp(type, "[yolo]")){
        char f[160];
        int classes = check_cfg_int(options, cfgfile, type, index, "classes", 20, 1, 1000000, "an integer >= 1");
        int total = check_cfg_int(options, cfgfile, type, index, "num", 1, 1, 100000, "an integer >= 1");
        snprintf(f, sizeof f, "mask indices, each 0 .. num-1 (%d), separated by commas", total - 1);
        int n = check_list(options, cfgfile, type, index, "mask", 1, 0, total - 1, f);
        if(!n) n = total;
        snprintf(f, sizeof f, "2 x num = %d finite numbers (width,height pairs) separated by commas", 2*total);
        int na = check_list(options, cfgfile, type, index, "anchors", 0, 0, 0, f);
        if(na && na != 2*total) check_cfg_error(cfgfile, type, index, "anchors", option_find(options, "anchors"), f);
        snprintf(f, sizeof f, "[yolo] with %d masks and classes=%d needs %d x (%d + 5)", n, classes, n, classes);
        need_image(cfgfile, type, index, h, w, c);
        need_outputs(cfgfile, type, index, inputs, h, w, c, (long)h*w*n*(classes + 5), f);
    }else if(!strcmp(type, "[region]")){
        char f[160];
        int coords = check_cfg_int(options, cfgfile, type, index, "coords", 4, 1, 1000, "an integer >= 1");
        int classes = check_cfg_int(options, cfgfile, type, index, "classes", 20, 1, 1000000, "an integer >= 1");
        int num = check_cfg_int(options, cfgfile, type, index, "num", 1, 1, 100000, "an integer >= 1");
        snprintf(f, sizeof f, "at most 2 x num = %d finite numbers separated by commas", 2*num);
        if(check_list(options, cfgfile, type, index, "anchors", 0, 0, 0, f) > 2*num){
            check_cfg_error(cfgfile, type, index, "anchors", option_find(options, "anchors"), f);
        }
        snprintf(f, sizeof f, "[region] with num=%d, classes=%d, coords=%d needs %d x (%d + %d + 1)",
                 num, classes, coords, num, classes, coords);
        need_image(cfgfile, type, index, h, w, c);
        need_outputs(cfgfile, type, index, inputs, h, w, c, (long)h*w*num*(classes + coords + 1), f);
    }else if(!strcmp(type, "[detection]")){
        char f[160];
        int coords = check_cfg_int(options, cfgfile, type, index, "coords", 1, 1, 1000, "an integer >= 1");
        int classes = check_cfg_int(options, cfgfile, type, index, "classes", 1, 1, 1000000, "an integer >= 1");
        int num = check_cfg_int(options, cfgfile, type, index, "num", 1, 1, 100000, "an integer >= 1");
        int side = check_cfg_int(options, cfgfile, type, index, "side", 7, 1, 100000, "an integer >= 1");
        long want = (long)side*side*((1 + coords)*num + classes);
        snprintf(f, sizeof f, "[detection] with side=%d, num=%d, coords=%d, classes=%d", side, num, coords, classes);
        if(inputs != want){
            char what[400];
            snprintf(what, sizeof what, "the layer before it has %d outputs; %s needs side^2 x ((1 + coords) x num + classes) = %ld",
                     inputs, f, want);
            check_cfg_error(cfgfile, type, index, 0, 0, what);
        }
    }else if(!strcmp(type, "[iseg]")){
        char f[160];
        int classes = check_cfg_int(options, cfgfile, type, index, "classes", 20, 1, 1000000, "an integer >= 1");
        int ids = check_cfg_int(options, cfgfile, type, index, "ids", 32, 1, 1000000, "an integer >= 1");
        snprintf(f, sizeof f, "[iseg] with classes=%d and ids=%d needs %d + %d", classes, ids, classes, ids);
        need_image(cfgfile, type, index, h, w, c);
        need_outputs(cfgfile, type, index, inputs, h, w, c, (long)h*w*(classes + ids), f);
    }
}

/* ---- sizes ------------------------------------------------------------------------------------ */

/* One size product against INT_MAX: a cfg error naming key (its value as the cfg gives it, or
   `value` for a default) when it is larger. */
static void fits_int(list *options, const char *cfgfile, const char *type, int index, const char *key,
                     long long n, const char *what)
{
    if(n <= INT_MAX) return;
    char *v = option_find(options, (char *)key);
    char *expected = check_cfg_path("a layer whose %s fit Darknet's int indices: %lld values, above %d",
                                    what, n, INT_MAX);
    check_cfg_error(cfgfile, type, index, key, v, expected);
}

static long long opt_ll(list *options, const char *key, long long def)
{
    char *s = option_find(options, (char *)key);
    long v;
    return s && parse_int(s, &v) ? v : def;
}

void check_cfg_layer_size(const char *type, list *options, const char *cfgfile, int index,
                          const network *net, int batch, int h, int w, int c, int inputs)
{
    long long b = batch > 0 ? batch : 1;
    check_alloc_context(cfgfile, type, index);    /* the layer the parser makes next (patch 0527) */
    if(!strcmp(type, "[conv]") || !strcmp(type, "[convolutional]") || !strcmp(type, "[ternary]")
       || !strcmp(type, "[local]")){
        /* (h + 2 pad - size)/stride + 1 rows; [local]'s pad is size/2 when pad=1, as in parser.c */
        long long n = opt_ll(options, "filters", 1), size = opt_ll(options, "size", 1);
        long long stride = opt_ll(options, "stride", 1), groups = opt_ll(options, "groups", 1);
        long long pad = opt_ll(options, "padding", 0);
        if(opt_ll(options, "pad", 0)) pad = size/2;
        int local = !strcmp(type, "[local]");
        if(local) groups = 1;
        if(stride < 1 || size < 1 || groups < 1 || n < 1) return;      /* check_cfg_layer's */
        const char *padkey = option_find(options, "pad") && opt_ll(options, "pad", 0) ? "size" : "padding";
        long long oh = (h + 2*pad - size)/stride + 1, ow = (w + 2*pad - size)/stride + 1;
        fits_int(options, cfgfile, type, index, padkey, M(oh, ow), "output rows x columns");
        fits_int(options, cfgfile, type, index, "filters", M(M(oh, ow), n), "outputs (rows x columns x filters)");
        fits_int(options, cfgfile, type, index, "filters", M(M(M(oh, ow), n), b), "outputs x batch");
        fits_int(options, cfgfile, type, index, "size", M(M(M(c/groups, size), size), M(oh, ow)),
                 "im2col columns (channels/groups x size^2 x rows x columns)");
        fits_int(options, cfgfile, type, index, "filters", M(M(M(M(c/groups, n), size), size), local ? M(oh, ow) : 1),
                 local ? "weights (channels x filters x size^2 x locations)" : "weights (channels/groups x filters x size^2)");
    }else if(!strcmp(type, "[deconv]") || !strcmp(type, "[deconvolutional]")){
        long long n = opt_ll(options, "filters", 1), size = opt_ll(options, "size", 1);
        long long stride = opt_ll(options, "stride", 1);
        long long pad = opt_ll(options, "padding", 0);
        if(opt_ll(options, "pad", 0)) pad = size/2;
        if(stride < 1 || size < 1 || n < 1) return;
        long long oh = (h - 1)*stride + size - 2*pad, ow = (w - 1)*stride + size - 2*pad;
        fits_int(options, cfgfile, type, index, "stride", M(M(M(oh, ow), n), b), "outputs x batch");
        /* forward: a (size^2 filters) x (rows x columns) product in int; backward over channels */
        fits_int(options, cfgfile, type, index, "size", M(M(M(c > n ? c : n, size), size), M(h, w)),
                 "columns (max(channels, filters) x size^2 x rows x columns)");
        fits_int(options, cfgfile, type, index, "filters", M(M(M(c, n), size), size), "weights (channels x filters x size^2)");
    }else if(!strcmp(type, "[max]") || !strcmp(type, "[maxpool]")){
        long long stride = opt_ll(options, "stride", 1), size = opt_ll(options, "size", stride);
        long long pad = opt_ll(options, "padding", size - 1);
        if(stride < 1) return;
        long long oh = (h + pad - size)/stride + 1, ow = (w + pad - size)/stride + 1;
        fits_int(options, cfgfile, type, index, "padding", M(M(M(oh, ow), c), b), "outputs x batch");
    }else if(!strcmp(type, "[upsample]")){
        long long stride = opt_ll(options, "stride", 2);
        if(stride < 0) stride = -stride;
        fits_int(options, cfgfile, type, index, "stride", M(M(M(M(M(h, w), c), stride), stride), b), "outputs x batch");
    }else if(!strcmp(type, "[conn]") || !strcmp(type, "[connected]")){
        long long out = opt_ll(options, "output", 1);
        fits_int(options, cfgfile, type, index, "output", M(out, b), "outputs x batch");
        fits_int(options, cfgfile, type, index, "output", M(out, inputs), "weights (inputs x outputs)");
    }else if(!strcmp(type, "[route]") && net){
        /* the outputs of the layers it joins, added up (parse_route: in int); check_cfg_layer has
           checked each reference */
        const char *l = option_find(options, "layers");
        long long sum = 0;
        while(l && *l){
            char *end;
            long v = strtol(l, &end, 10);
            if(end == l) break;
            long k = v < 0 ? index + v : v;
            if(k >= 0 && k < index && k < net->n) sum += net->layers[k].outputs;
            l = strchr(end, ',');
            if(l) ++l;
        }
        fits_int(options, cfgfile, type, index, "layers", sum, "outputs (the sum of the layers it joins)");
        fits_int(options, cfgfile, type, index, "layers", M(sum, b), "outputs x batch");
    }else if(!strcmp(type, "[rnn]") || !strcmp(type, "[gru]") || !strcmp(type, "[lstm]")){
        /* [connected] layers inside: inputs -> outputs and outputs -> outputs, over batch x steps
           (b); the state holds outputs x (batch + one step), at most 2 b */
        long long out = opt_ll(options, "output", 1);
        fits_int(options, cfgfile, type, index, "output", M(out, M(2, b)), "outputs x batch (the layer's state)");
        fits_int(options, cfgfile, type, index, "output", M(out, inputs), "weights (inputs x outputs)");
        fits_int(options, cfgfile, type, index, "output", M(out, out), "weights (outputs x outputs, the recurrent connection)");
    }else if(!strcmp(type, "[crnn]")){
        /* 3x3 pad-1 [convolutional] layers inside: c -> hidden -> hidden -> output filters, on
           h x w over batch x steps (b); the state holds h x w x hidden x (batch + one step) */
        long long hid = opt_ll(options, "hidden_filters", 1), out = opt_ll(options, "output_filters", 1);
        long long cmax = c > hid ? c : hid;
        fits_int(options, cfgfile, type, index, "hidden_filters", M(M(M(h, w), hid), M(2, b)), "hidden outputs x batch (the layer's state)");
        fits_int(options, cfgfile, type, index, "output_filters", M(M(M(h, w), out), b), "outputs x batch");
        fits_int(options, cfgfile, type, index, "hidden_filters", M(M(cmax, hid), 9), "weights (channels x hidden filters x 3 x 3)");
        fits_int(options, cfgfile, type, index, "output_filters", M(M(hid, out), 9), "weights (hidden x output filters x 3 x 3)");
        fits_int(options, cfgfile, type, index, "hidden_filters", M(M(cmax, 9), M(h, w)), "im2col columns (channels x 3 x 3 x rows x columns)");
    }
}

/* ---- a classifier's .data file --------------------------------------------------------------- */

/* Lines in a list file (what get_paths/get_labels would return), -1 when it cannot be opened. */
static int count_lines(const char *path)
{
    FILE *fp = fopen(path, "r");
    if(!fp) return -1;
    int n = 0, c, last = '\n';
    while((c = fgetc(fp)) != EOF){
        if(c == '\n') ++n;
        last = c;
    }
    if(last != '\n') ++n;
    fclose(fp);
    return n;
}

/* The number of the first empty line of a list file (1-based; a last line without its newline
   counts), 0 when there is none. */
static int empty_line(const char *path)
{
    FILE *fp = fopen(path, "r");
    if(!fp) return 0;
    int n = 1, c, len = 0, found = 0;
    while(!found && (c = fgetc(fp)) != EOF){
        if(c == '\n'){
            if(len == 0) found = n;
            ++n;
            len = 0;
        }else{
            ++len;
        }
    }
    fclose(fp);
    return found;
}

static const char *data_file(list *options, const char *datacfg, const char *key, const char *def,
                             int *lines)
{
    char *s = option_find(options, (char *)key);
    const char *path = s ? s : def;
    char expected[600];
    *lines = count_lines(path);
    if(*lines < 0){
        snprintf(expected, sizeof expected, "a readable file (%s%s: %s)", s ? "" : "default ",
                 path, strerror(errno));
        check_cfg_error(datacfg, 0, 0, key, s, expected);
    }
    return path;
}

/* The folder a key names (def when unset) exists and this user can write to it. */
static void data_folder(const char *datacfg, list *options, const char *key, const char *def,
                        const char *what)
{
    char buf[700];
    char *dir = option_find(options, (char *)key);
    const char *path = dir ? dir : def;
    struct stat st;
    if(stat(path, &st) != 0 || !S_ISDIR(st.st_mode)){
        snprintf(buf, sizeof buf, "an existing folder for %s (%s%s: %s)", what, dir ? "" : "default ",
                 path, stat(path, &st) != 0 ? strerror(errno) : "not a folder");
        check_cfg_error(datacfg, 0, 0, key, dir, buf);
    }
    if(access(path, W_OK) != 0){
        snprintf(buf, sizeof buf, "a folder this user can write to (%s: %s)", path, strerror(errno));
        check_cfg_error(datacfg, 0, 0, key, dir, buf);
    }
}

void check_cfg_classifier_data(const char *datacfg, list *options, network *net,
                               const char *list_key, int training)
{
    char buf[700];
    char *s = option_find(options, "classes");
    long classes = 2;                                   /* upstream's default */
    if(s && (!parse_int(s, &classes) || classes < 1)) check_cfg_error(datacfg, 0, 0, "classes", s, "an integer >= 1");
    int hierarchical = option_find(options, "tree") || net->hierarchy;
    if(!hierarchical && net->outputs != classes){
        snprintf(buf, sizeof buf, "the network's %d outputs (its last layer)", net->outputs);
        check_cfg_error(datacfg, 0, 0, "classes", s ? s : "2 (default)", buf);
    }
    int tag = 0;
    char *t = option_find(options, "tag");
    if(t){
        long v;
        if(!parse_int(t, &v) || v < 0 || v > 1) check_cfg_error(datacfg, 0, 0, "tag", t, "0 or 1");
        tag = (int)v;
    }
    if(!(training && tag)){
        /* predict reads 'names' first; the others read 'labels' */
        const char *key = (!list_key && option_find(options, "names")) ? "names" : "labels";
        int n;
        const char *path = data_file(options, datacfg, key, "data/labels.list", &n);
        /* also with a tree: fill_truth reads `classes` labels, and a shorter file was read past */
        if(n != classes){
            snprintf(buf, sizeof buf, "one label per class: %s has %d lines, classes = %ld", path, n, classes);
            check_cfg_error(datacfg, 0, 0, key, option_find(options, (char *)key), buf);
        }
        int empty = empty_line(path);
        if(empty){
            snprintf(buf, sizeof buf, "one label per line, none empty: line %d of %s is empty (an empty "
                     "label is part of every image's path)", empty, path);
            check_cfg_error(datacfg, 0, 0, key, option_find(options, (char *)key), buf);
        }
    }
    if(option_find(options, "tree")){
        /* fill_hierarchy walks the tree's parents for each of the `classes` truths */
        int n;
        const char *path = data_file(options, datacfg, "tree", 0, &n);
        if(n != classes){
            snprintf(buf, sizeof buf, "one tree node per class: %s has %d lines, classes = %ld", path, n, classes);
            check_cfg_error(datacfg, 0, 0, "tree", option_find(options, "tree"), buf);
        }
    }
    if(list_key){
        int n;
        const char *path = data_file(options, datacfg, list_key,
                                     strcmp(list_key, "test") == 0 ? "data/test.list" : "data/train.list", &n);
        if(n < 1){
            snprintf(buf, sizeof buf, "a list of at least one image (%s is empty)", path);
            check_cfg_error(datacfg, 0, 0, list_key, option_find(options, (char *)list_key), buf);
        }
    }
    char *top = option_find(options, "top");
    long k;
    if(top && (!parse_int(top, &k) || k < 1 || k > classes)){
        snprintf(buf, sizeof buf, "an integer, 1 <= top <= classes (%ld)", classes);
        check_cfg_error(datacfg, 0, 0, "top", top, buf);
    }
    if(training) data_folder(datacfg, options, "backup", "/backup/", "the weights");
}

int check_cfg_truth_class(char *path, char **labels, int k)
{
    float *truth = check_calloc(k, sizeof(float), "an image's truth");
    fill_truth(path, labels, k, truth);
    int i, class = -1;
    for(i = 0; i < k && class < 0; ++i) if(truth[i]) class = i;
    free(truth);
    return class;
}

/* ---- layers that read the truth ---------------------------------------------------------------- */

void check_cfg_truth_readers(network *net, const char *cfgfile)
{
    int i;
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        int reads = l.type == COST || l.type == LOGXENT || (l.type == SOFTMAX && !l.noloss);
        if(!reads || l.inputs <= net->truths) continue;
        char what[400], section[64];
        snprintf(section, sizeof section, "[%s]", l.type == COST ? "cost" : l.type == LOGXENT ? "logistic" : "softmax");
        snprintf(what, sizeof what, "compares its %d values per image with the truth, which holds %d "
                 "per image in this network (the size its last layer sets): a loss layer goes last%s",
                 l.inputs, net->truths, l.type == SOFTMAX ? ", or set noloss=1" : "");
        check_cfg_error(cfgfile, section, i, 0, 0, what);
    }
}

/* ---- a detector's .data file ------------------------------------------------------------------- */

int check_cfg_detector_data(const char *datacfg, list *options, network *net, const char *cfgfile,
                            const char *list_key, int training, int results)
{
    char buf[700];
    layer l = net->layers[net->n - 1];
    if(l.type != YOLO && l.type != REGION && l.type != DETECTION){
        check_file_error(cfgfile, -1, 0, "the last layer (#%d) is a %s; detector commands need a "
                         "[yolo], [region] or [detection] layer last", net->n - 1,
                         get_layer_string(l.type));
    }
    char *s = option_find(options, "classes");
    long classes;
    if(s && (!parse_int(s, &classes) || classes != l.classes)){
        snprintf(buf, sizeof buf, "the classes of the network's last layer (%d, %s)", l.classes, cfgfile);
        check_cfg_error(datacfg, 0, 0, "classes", s, buf);
    }
    int n;
    const char *path;
    if(!training){                      /* training reads no names */
        path = data_file(options, datacfg, "names", "data/names.list", &n);
        if(n != l.classes){
            snprintf(buf, sizeof buf, "one name per class: %s has %d lines, the network has %d classes",
                     path, n, l.classes);
            check_cfg_error(datacfg, 0, 0, "names", option_find(options, "names"), buf);
        }
    }
    if(list_key){
        path = data_file(options, datacfg, list_key, "data/train.list", &n);
        if(n < 1){
            snprintf(buf, sizeof buf, "a list of at least one image (%s is empty)", path);
            check_cfg_error(datacfg, 0, 0, list_key, option_find(options, (char *)list_key), buf);
        }
    }
    if(training) data_folder(datacfg, options, "backup", "/backup/", "the weights");
    if(results) data_folder(datacfg, options, "results", "results", "the result files");
    return l.classes;
}

/* ---- paths ----------------------------------------------------------------------------------- */

char *check_cfg_path(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(0, 0, fmt, ap);
    va_end(ap);
    if(n < 0) check_file_error(fmt, -1, 0, "cannot format a path");
    char *s = check_malloc((size_t)n + 1, 1, "a file path");
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void check_cfg_backup_file_names(const char *datacfg, const char *backup, const char *base,
                                 const char *suffix, const char *kind)
{
    /* the longest name: an iteration or epoch of 10 digits, then the suffix */
    char *longest = check_cfg_path("%s/%s_%d%s", backup, base, INT_MAX, suffix);
    const char *slash = strrchr(longest, '/');
    const char *file = slash ? slash + 1 : longest;
    size_t len = strlen(longest), flen = strlen(file);
    char *what = 0;
    if(len >= PATH_MAX){
        what = check_cfg_path("a shorter folder: with the %s %s the path is %zu bytes, above "
                              "the system's limit of %d", kind, file, len, PATH_MAX - 1);
    }else if(flen > NAME_MAX){
        what = check_cfg_path("file names the system can open: %s, made from the cfg's name, is %zu "
                              "bytes, above the limit of %d (a shorter cfg name)", file, flen, NAME_MAX);
    }
    if(what) check_cfg_error(datacfg, 0, 0, "backup", backup, what);
    free(longest);
}

void check_cfg_backup_names(const char *datacfg, const char *backup, const char *base)
{
    check_cfg_backup_file_names(datacfg, backup, base, ".weights.tmp.XXXXXX", "file name");   /* the atomic save's */
}

/* ---- training that diverged ------------------------------------------------------------------ */

void check_cfg_loss(const char *cfgfile, float loss, long iteration)
{
    if(check_finite(loss)) return;
    check_file_error(cfgfile, -1, 0, "the training loss is %s at iteration %ld: training diverged "
                     "(lower learning_rate, or check the data); stopped without saving, the weights "
                     "saved before are kept", nonfinite_name(loss), iteration);
}

void check_cfg_prediction(const char *cfgfile, const char *weightfile, const float *p, int n,
                          const char *input)
{
    int i = (int)check_finite_array(p, n);
    if(i == n) return;
    check_file_error(weightfile ? weightfile : cfgfile, -1, 0, "the network's output for %s is %s "
                     "(output %d of %d): the weights are corrupt or come from a diverged training "
                     "(cfg %s)", input, nonfinite_name(p[i]), i, n, cfgfile);
}

/* Every key a section of a Darknet cfg can hold: what Darknet's parser, the checks above and
 * [ternary] read (test_cfg_keys checks that the parser's sources ask for no other), and two keys
 * that upstream's own cfgs hold but no parser reads ([rnn] hidden, [net] seen), which stay
 * warnings. Kept sorted. */
static const char *const known_keys[] = {
    "B1", "B2", "absolute", "activation", "adam", "alpha", "anchors", "angle", "aspect",
    "background", "batch", "batch_normalize", "beta", "bias_match", "binary", "burn_in", "center",
    "channels", "class_scale", "classes", "classfix", "clip", "coord_scale", "coords",
    "crop_height", "crop_width", "decay", "dontload", "dontloadscales", "dontsave", "dot", "eps",
    "erase", "erase_aspect", "erase_max", "erase_min", "exposure", "extra", "filters", "flatten",
    "flip", "flipped", "forced", "from", "gamma", "groups", "height", "hidden", "hidden_filters", "hue", "ids",
    "ignore_thresh", "inputs", "jitter", "kappa", "layers", "learning_rate", "log", "map", "mask",
    "mask_scale", "max", "max_batches", "max_crop", "max_ratio", "min_crop", "min_ratio", "momentum",
    "noadjust", "noloss", "noobj", "noobject_scale", "notruth", "num", "numload", "object_scale",
    "onlyforward", "output", "output_filters", "pad", "padding", "per_filter", "policy", "power",
    "probability", "random", "ratio", "reorg", "rescore", "reverse", "saturation", "scale",
    "scales", "seen", "shift", "shortcut", "side", "size", "smooth", "softmax", "sparsity", "spatial",
    "sqrt", "step", "steps", "stopbackward", "stride", "subdivisions", "tanh", "temperature",
    "thresh", "threshold", "time_steps", "tree", "truth", "truth_thresh", "ttq_log_every", "type",
    "width", "wn", "wp", "wpwn_decay", "xnor"};

int check_cfg_known_key(const char *key)
{
    size_t i;
    for(i = 0; i < sizeof known_keys/sizeof *known_keys; ++i) if(strcmp(key, known_keys[i]) == 0) return 1;
    return 0;
}

const char *const *check_cfg_known_keys(int *n)
{
    *n = (int)(sizeof known_keys/sizeof *known_keys);
    return known_keys;
}

/* The edit distance of a and b (insertions, deletions, substitutions and swaps of two neighbours,
 * each 1); keys are short: longer strings count as far apart. */
static int key_distance(const char *a, const char *b)
{
    enum { L = 40 };
    int n = (int)strlen(a), m = (int)strlen(b), i, j;
    if(n >= L || m >= L) return L;
    int d[L + 1][L + 1];
    for(i = 0; i <= n; ++i) d[i][0] = i;
    for(j = 0; j <= m; ++j) d[0][j] = j;
    for(i = 1; i <= n; ++i){
        for(j = 1; j <= m; ++j){
            int c = a[i-1] != b[j-1];
            int v = d[i-1][j-1] + c;
            if(d[i-1][j] + 1 < v) v = d[i-1][j] + 1;
            if(d[i][j-1] + 1 < v) v = d[i][j-1] + 1;
            if(i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] && d[i-2][j-2] + 1 < v) v = d[i-2][j-2] + 1;
            d[i][j] = v;
        }
    }
    return d[n][m];
}

void check_cfg_unused_keys(list *options, const char *cfgfile, const char *section, int index)
{
    node *n;
    for(n = options->front; n; n = n->next){
        kvp *p = (kvp *)n->val;
        if(p->used) continue;
        if(check_cfg_known_key(p->key)){
            fprintf(stderr, "%s: section %s #%d: key '%s' is not used by this section (ignored)\n",
                    cfgfile ? cfgfile : "(cfg)", section, index, p->key);
            continue;
        }
        const char *best = 0;
        int bestd = 3, len = (int)strlen(p->key);
        size_t i;
        for(i = 0; i < sizeof known_keys/sizeof *known_keys; ++i){
            int d = key_distance(p->key, known_keys[i]);
            if(d < bestd && d <= (len + 1)/2){ bestd = d; best = known_keys[i]; }
        }
        char what[300];
        if(best) snprintf(what, sizeof what, "unknown key '%.100s' (did you mean '%s'?)", p->key, best);
        else snprintf(what, sizeof what, "unknown key '%.100s' (no section of Darknet reads it)", p->key);
        check_cfg_error(cfgfile, section, index, 0, 0, what);
    }
}
