/* The integer inference path of [ternary] layers in Darknet: see ternary_int8.h; the arithmetic
 * and the kernels are ttq_int8.c's. */
#include "ternary_int8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activations.h"
#include "check_cfg.h"
#include "check_error.h"
#include "network.h"
#include "ternary_layer.h"
#include "ttq_int8.h"

typedef struct {
    int have;             /* an activation scale: from the file, or set by calibration */
    float scale;
    int zero;
    float lo, hi;         /* calibration: the range of the input seen */
    long seen;
    int ready, stale;     /* cv prepared from the current weights */
    int refused;          /* the shape in `refused_shape` is not one the path runs: float */
    ttq_int8_shape refused_shape;
    int act;              /* the epilogue's activation; the rest is applied after it */
    float level_error;
    char *file;           /* the weights file of the layer's record, for messages */
    ttq_int8_conv cv;
} ternary_int;

int ternary_int_calibrating = 0;
int ternary_int_force_float = 0;

void *ternary_int_new(void)
{
    return check_calloc(1, sizeof(ternary_int), "a [ternary] layer's integer path");
}

void ternary_int_free(void *state)
{
    ternary_int *st = state;
    if(!st) return;
    ttq_int8_conv_free(&st->cv);
    free(st->file);
    free(st);
}

int ternary_int_mode(void)
{
    static int mode = -2;
    if(mode == -2){
        const char *e = getenv("DARKNET_TTQ_INT8");
        if(!e || !e[0]) mode = -1;
        else if(!strcmp(e, "0")) mode = 0;
        else if(!strcmp(e, "1")) mode = 1;
        else check_file_error("DARKNET_TTQ_INT8", -1, 0, "'%s' is not 0 (the float path), 1 (the integer path, "
                              "required) or empty (the integer path where a layer has scales)", e);
    }
    return mode;
}

static ttq_kset kernel_set(void)
{
    static int k = -1;
    if(k < 0){
        const char *e = getenv("DARKNET_TTQ_KERNELS");
        if(e && e[0]){
            k = ttq_int8_kset_parse(e);
            if(k < 0){
                check_file_error("DARKNET_TTQ_KERNELS", -1, 0, "'%s' is not a kernel set: scalar, avx2, avx512-vnni "
                                 "or neon-dotprod", e);
            }
            if(!ttq_int8_kset_available(k)){
                check_file_error("DARKNET_TTQ_KERNELS", -1, 0, "this CPU (or this build) does not run the %s kernels", e);
            }
        } else {
            k = ttq_int8_kset_best();
        }
    }
    return (ttq_kset)k;
}

const char *ternary_int_kernels(void)
{
    return ttq_int8_kset_name(kernel_set());
}

int ternary_int_get_scale(layer l, float *scale, int *zero)
{
    ternary_int *st = l.ttq_int;
    if(!st || !st->have) return 0;
    if(scale) *scale = st->scale;
    if(zero) *zero = st->zero;
    return 1;
}

void ternary_int_set_scale(layer l, float scale, int zero)
{
    ternary_int *st = l.ttq_int;
    st->have = 1;
    st->scale = scale;
    st->zero = zero;
    st->stale = 1;
}

void ternary_int_note_file(layer l, const char *file)
{
    ternary_int *st = l.ttq_int;
    if(!st) return;
    free(st->file);
    st->file = check_cfg_path("%s", file);
}

void ternary_int_clear_scale(layer l)
{
    ternary_int *st = l.ttq_int;
    if(st){
        st->have = 0;
        st->stale = 1;
    }
}

void ternary_int_stale(layer l)
{
    ternary_int *st = l.ttq_int;
    if(st) st->stale = 1;
}

int ternary_int_range(layer l, float *lo, float *hi, long *count)
{
    ternary_int *st = l.ttq_int;
    if(!st || !st->seen) return 0;
    *lo = st->lo;
    *hi = st->hi;
    if(count) *count = st->seen;
    return 1;
}

void ternary_int_reset_range(layer l)
{
    ternary_int *st = l.ttq_int;
    if(st) st->seen = 0;
}

/* calibration: the range of the finite values of the layer's input */
static void observe(layer l, network net, ternary_int *st)
{
    size_t i, n = (size_t)l.inputs*l.batch;
    float lo = st->seen ? st->lo : INFINITY, hi = st->seen ? st->hi : -INFINITY;
    for(i = 0; i < n; ++i){
        float v = net.input[i];
        if(!check_finite(v)) continue;
        if(v < lo) lo = v;
        if(v > hi) hi = v;
    }
    if(hi >= lo){
        st->lo = lo;
        st->hi = hi;
        st->seen += l.batch;
    }
}

static ttq_int8_shape shape_of(layer l)
{
    ttq_int8_shape s = {l.c, l.h, l.w, l.n, l.groups, l.size, l.stride, l.pad, l.out_h, l.out_w};
    return s;
}

int ternary_int_conv_prepare(layer l, int index, float in_scale, int in_zero, ttq_int8_conv *cv, int *act,
                             float *level_error)
{
    ttq_int8_shape s = shape_of(l);
    if(ttq_int8_shape_check(&s) || (l.type != TERNARY && l.type != CONVOLUTIONAL)) return -1;
    if(l.type == CONVOLUTIONAL && (l.binary || l.xnor)) return -1;
    int o, i;
    int8_t *w = check_malloc(l.nweights, 1, "a layer's integer weights");
    float *mul = check_malloc(l.n, sizeof(float), "a layer's output scales");
    float *add = check_malloc(l.n, sizeof(float), "a layer's output offsets");
    float *sg;
    int k, per = l.nweights/l.n, bad = 0;
    if(level_error) *level_error = 0;
    if(l.type == TERNARY){
        /* the ternary weights as integer levels, one scale per group */
        ternarize_ternary_layer(l);
        k = l.ttq_nscales;
        int gs = l.nweights/k, g;
        sg = check_malloc(k, sizeof(float), "a [ternary] layer's integer weight scales");
        for(g = 0; g < k; ++g){
            int p, n;
            float e = ttq_int8_levels(l.wp[g], l.wn[g], &p, &n, &sg[g]);
            if(level_error && e > *level_error) *level_error = e;
            const float *q = l.ternary_weights + (size_t)g*gs;
            for(i = 0; i < gs; ++i) w[(size_t)g*gs + i] = q[i] > 0 ? p : q[i] < 0 ? -n : 0;
        }
    } else {
        /* a full-precision convolution: one scale per output channel (W8A8's weights) */
        k = l.n;
        sg = check_malloc(k, sizeof(float), "a layer's integer weight scales");
        for(o = 0; o < l.n && !bad; ++o){
            sg[o] = ttq_int8_channel_levels(l.weights + (size_t)o*per, per, w + (size_t)o*per);
            bad = sg[o] < 0;
        }
    }
    for(o = 0; o < l.n && !bad; ++o){
        float m = in_scale*sg[k == 1 ? 0 : o];
        if(l.batch_normalize){
            /* Darknet's inference batch norm: (x - mean)/sqrt(var + .00001f)*scale + bias */
            float inv = 1.0f/sqrtf(l.rolling_variance[o] + .00001f);
            mul[o] = m*l.scales[o]*inv;
            add[o] = l.biases[o] - l.scales[o]*l.rolling_mean[o]*inv;
        } else {
            mul[o] = m;
            add[o] = l.biases[o];
        }
        bad = !check_finite(mul[o]) || !check_finite(add[o]);
    }
    *act = l.activation == RELU ? TTQ_INT8_RELU : l.activation == LEAKY ? TTQ_INT8_LEAKY : TTQ_INT8_LINEAR;
    int rc = bad ? -1 : ttq_int8_conv_init(cv, &s, w, mul, add, in_scale, in_zero, *act, kernel_set());
    free(w);
    free(sg);
    free(mul);
    free(add);
    if(rc && !bad) check_file_error(get_layer_string(l.type), index, get_layer_string(l.type),
                                    "out of memory preparing the integer path");
    return rc;
}

/* The layer's ternary weights as integer levels, batch norm and bias folded into the epilogue. */
static int prepare(layer l, ternary_int *st, int index)
{
    ttq_int8_conv_free(&st->cv);
    st->ready = 0;
    if(ternary_int_conv_prepare(l, index, st->scale, st->zero, &st->cv, &st->act, &st->level_error)) return -1;
    st->ready = 1;
    st->stale = 0;
    return 0;
}

static void announce(int integer)
{
    static int said;
    if(said) return;
    said = 1;
    if(integer){
        ttq_kset k = kernel_set();
        fprintf(stderr, "ternary: [ternary] layers run on the integer path (ternary weights, 8-bit activations), "
                "kernels %s%s; DARKNET_TTQ_INT8=0 runs them in float\n", ttq_int8_kset_name(k),
                k == TTQ_KSET_SCALAR && !getenv("DARKNET_TTQ_KERNELS") ? " (this CPU has no AVX2 or NEON dot product)" : "");
    } else {
        fprintf(stderr, "ternary: [ternary] layers run in float (DARKNET_TTQ_INT8=0), their activation scales unused\n");
    }
}

int ternary_int_forward(layer l, network net)
{
    ternary_int *st = l.ttq_int;
    if(!st) return 0;
    if(ternary_int_calibrating){
        observe(l, net, st);
        return 0;
    }
    if(ternary_int_force_float) return 0;
    if(!st->have){
        if(ternary_int_mode() == 1){
            check_file_error(st->file ? st->file : "DARKNET_TTQ_INT8", net.index, "ternary", "DARKNET_TTQ_INT8=1 asks "
                             "for the integer path, but this record holds no activation scales (write them with "
                             "`darknet ternary pack CFG WEIGHTS OUT -calib DATA`)");
        }
        return 0;
    }
    if(ternary_int_mode() == 0){
        announce(0);
        return 0;
    }
    ttq_int8_shape s = shape_of(l);
    if(st->refused && !memcmp(&s, &st->refused_shape, sizeof s)) return 0;
    if(!st->ready || st->stale || memcmp(&s, &st->cv.s, sizeof s)){
        if(prepare(l, st, net.index)){
            if(ternary_int_mode() == 1){
                check_file_error("DARKNET_TTQ_INT8", net.index, "ternary", "=1 asks for the integer path, but this "
                                 "layer's shape is not one it runs (%s)", ttq_int8_shape_check(&s));
            }
            fprintf(stderr, "ternary: layer %d runs in float: its shape is not one the integer path runs (%s)\n",
                    net.index, ttq_int8_shape_check(&s));
            st->refused = 1;
            st->refused_shape = s;
            return 0;
        }
        st->refused = 0;
    }
    /* a non-finite input (an overflow in a float layer before this one: corrupt weights) would be
       coded as 0 or 255 and give a finite, wrong answer: this forward runs in float instead, which
       carries the NaN or Inf to the output, where the command reports it as the float path does */
    size_t nin = (size_t)l.inputs*l.batch;
    if(check_finite_array(net.input, nin) < nin) return 0;
    announce(1);
    if(ttq_int8_conv_forward(&st->cv, net.input, l.output, l.batch)){
        check_file_error("ternary", net.index, "ternary", "out of memory for the integer path's workspace");
    }
    if(st->act == TTQ_INT8_LINEAR && l.activation != LINEAR) activate_array(l.output, l.outputs*l.batch, l.activation);
    return 1;
}

const char *ternary_int_path(layer l)
{
    ternary_int *st = l.ttq_int;
    if(!st || !st->have || ternary_int_mode() == 0) return "float";
    ttq_int8_shape s = shape_of(l);
    return ttq_int8_shape_check(&s) ? "float" : "int8";
}

float ternary_int_level_error(layer l)
{
    float worst = 0;
    int g, p, n;
    float s;
    for(g = 0; g < l.ttq_nscales; ++g){
        float e = ttq_int8_levels(l.wp[g], l.wn[g], &p, &n, &s);
        if(e > worst) worst = e;
    }
    return worst;
}
