/* The whole network on integers: see int_graph.h. */
#include "int_graph.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "activations.h"
#include "check_error.h"
#include "int_ops.h"
#include "network.h"
#include "ternary_int8.h"
#include "ttq_int8.h"

enum { IG_FLOAT = 0, IG_CONV, IG_SHORTCUT, IG_ROUTE, IG_MAXPOOL, IG_AVGPOOL, IG_UPSAMPLE };

typedef struct {
    int has;              /* the output's coding */
    int_coding q;
    float lo, hi;         /* calibration: the range of the output seen */
    long seen;
    int kind;
    int coded, floats;    /* what the layer writes: codes (into buf), floats (into l.output) */
    int code_copy;        /* a float output coded after the layer ran, for an integer reader */
    int act;              /* the activation applied on integers */
    uint8_t *buf;
    size_t cap;
    ttq_int8_conv cv;     /* IG_CONV: prepared from the weights */
    int conv_act;         /* the epilogue's activation (linear: the layer's own applied after) */
} ig_node;

typedef struct {
    int n;
    ig_node *node;
    int has_in;           /* the network input's coding */
    int_coding in;
    float in_lo, in_hi;
    long in_seen;
    uint8_t *inbuf;       /* the input coded, when a non-convolution integer layer reads it */
    size_t incap;
    int in_coded;
    int planned, nint;
} int_graph;

static void drop_plan(int_graph *g)
{
    int i;
    for(i = 0; i < g->n; ++i){
        ttq_int8_conv_free(&g->node[i].cv);
        g->node[i].kind = IG_FLOAT;
        g->node[i].coded = g->node[i].floats = g->node[i].code_copy = 0;
    }
    g->planned = 0;
    g->nint = 0;
    g->in_coded = 0;
}

void int_graph_free(void *graph)
{
    int_graph *g = graph;
    int i;
    if(!g) return;
    drop_plan(g);
    for(i = 0; i < g->n; ++i) free(g->node[i].buf);
    free(g->node);
    free(g->inbuf);
    free(g);
}

static int_graph *new_graph(int n)
{
    int_graph *g = check_calloc(1, sizeof(int_graph), "the integer graph");
    g->n = n;
    g->node = check_calloc(n, sizeof(ig_node), "the integer graph's layers");
    return g;
}

void int_graph_stale(network *net)
{
    if(net->int_graph) drop_plan(net->int_graph);
}

/* ---- the plan -------------------------------------------------------------------------------- */

/* the layers layer i reads (-1: the network's input); returns their count */
static int producers(network *net, int i, int *p, int max)
{
    layer l = net->layers[i];
    int k, n = 0;
    if(l.type == ROUTE){
        for(k = 0; k < l.n && n < max; ++k) p[n++] = l.input_layers[k];
        return n;
    }
    p[n++] = i - 1;
    if(l.type == SHORTCUT && n < max) p[n++] = l.index;
    return n;
}

static int tensor_has(const int_graph *g, int p)
{
    return p < 0 ? g->has_in : g->node[p].has;
}

static int_coding tensor_coding(const int_graph *g, int p)
{
    return p < 0 ? g->in : g->node[p].q;
}

static int act_code(ACTIVATION a)
{
    return a == RELU ? INT_OPS_RELU : a == LEAKY ? INT_OPS_LEAKY : a == LINEAR ? INT_OPS_LINEAR : -1;
}

/* a layer on the integer path that can write codes */
static int writes_codes(const ig_node *d)
{
    return d->kind != IG_FLOAT && !(d->kind == IG_CONV && d->act < 0);
}

static void plan(network *net, int_graph *g)
{
    int i, k, p[64];
    drop_plan(g);
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        ig_node *d = &g->node[i];
        int np = producers(net, i, p, 64), ok = 1;
        for(k = 0; k < np; ++k) ok &= p[k] < i && tensor_has(g, p[k]);
        if(l.type == ROUTE) ok &= np == l.n;
        d->act = act_code(l.activation);
        if(!ok) continue;
        switch(l.type){
        case TERNARY:
        case CONVOLUTIONAL: {
            /* a detector's head (the [convolutional] layer a [yolo] layer reads) stays float: its
               box coordinates on 7-bit weights and 8-bit inputs cost the demo detector 1.05 pp of
               mAP@[.50:.95] (and 0.07 of mAP@0.5) for under 1 % of its multiply-adds (2026-12-08) */
            if(l.type == CONVOLUTIONAL && i + 1 < net->n && (net->layers[i + 1].type == YOLO ||
               net->layers[i + 1].type == REGION || net->layers[i + 1].type == DETECTION)) break;
            int_coding c = tensor_coding(g, p[0]);
            if(ternary_int_conv_prepare(l, i, c.scale, c.zero, &d->cv, &d->conv_act, 0)) break;
            d->kind = IG_CONV;
            break;
        }
        case SHORTCUT:
            if(d->has && d->act >= 0) d->kind = IG_SHORTCUT;
            break;
        case ROUTE:
            if(d->has) d->kind = IG_ROUTE;
            break;
        case MAXPOOL:
            d->kind = IG_MAXPOOL;
            d->has = 1;
            d->q = tensor_coding(g, p[0]);
            break;
        case AVGPOOL:
            if(d->has) d->kind = IG_AVGPOOL;
            break;
        case UPSAMPLE:
            if(!l.reverse && l.stride >= 1 && l.scale > 0 && check_finite(tensor_coding(g, p[0]).scale*l.scale)){
                d->kind = IG_UPSAMPLE;
                d->has = 1;
                d->q = tensor_coding(g, p[0]);
                d->q.scale *= l.scale;
            }
            break;
        default:
            break;
        }
        if(d->kind == IG_CONV && !d->has) d->act = -1;   /* a coding-less conv writes floats */
        g->nint += d->kind != IG_FLOAT;
    }
    /* who writes what: codes for integer readers, floats for float readers */
    for(i = 0; i < net->n; ++i){
        ig_node *d = &g->node[i];
        int np = producers(net, i, p, 64);
        for(k = 0; k < np; ++k){
            if(p[k] < 0){
                if(d->kind != IG_FLOAT && d->kind != IG_CONV) g->in_coded = 1;
                continue;
            }
            ig_node *s = &g->node[p[k]];
            if(d->kind == IG_FLOAT){
                s->floats = 1;
            } else if(writes_codes(s)){
                s->coded = 1;
            } else {
                s->floats = 1;                            /* a float output ... */
                if(d->kind != IG_CONV) s->code_copy = 1;  /* ... coded for a reader of codes */
            }
        }
    }
    g->node[net->n - 1].floats = 1;
    for(i = 0; i < net->n; ++i){
        ig_node *d = &g->node[i];
        if(d->kind != IG_FLOAT && !d->coded && !d->floats) d->floats = 1;
    }
    g->planned = 1;
}

/* ---- the forward ----------------------------------------------------------------------------- */

static uint8_t *codes_buffer(uint8_t **buf, size_t *cap, size_t n)
{
    if(n > *cap){
        free(*buf);
        *buf = check_malloc(n, 1, "the integer graph's codes");
        *cap = n;
    }
    return *buf;
}

/* the codes of tensor p (the producer of a reader of codes) */
static const uint8_t *codes_of(int_graph *g, int p)
{
    return p < 0 ? g->inbuf : g->node[p].buf;
}

static void announce(network *net, int_graph *g)
{
    static int said;
    if(said) return;
    said = 1;
    int i, count[7] = {0};
    for(i = 0; i < net->n; ++i) count[g->node[i].kind]++;
    fprintf(stderr, "ternary: the network runs on integers (kernels %s): %d of its %d layers (conv %d, shortcut %d, "
            "route %d, maxpool %d, avgpool %d, upsample %d), the rest in float; DARKNET_TTQ_INT8=0 runs it all in "
            "float\n", ternary_int_kernels(), g->nint, net->n, count[IG_CONV], count[IG_SHORTCUT], count[IG_ROUTE],
            count[IG_MAXPOOL], count[IG_AVGPOOL], count[IG_UPSAMPLE]);
}

/* one integer layer; 0, or -1 when a float input is not finite */
static int run_layer(network *netp, network net, int_graph *g, int i)
{
    layer l = net.layers[i];
    ig_node *d = &g->node[i];
    int p[64], np = producers(netp, i, p, 64), b = l.batch;
    size_t nout = (size_t)l.outputs*b;
    uint8_t *oq = d->coded ? codes_buffer(&d->buf, &d->cap, nout) : 0;
    float *of = d->floats ? l.output : 0;
    switch(d->kind){
    case IG_CONV: {
        ttq_int8_io io = {0, 0, of, 0, 1.0f, 0};
        if(p[0] >= 0 && g->node[p[0]].coded) io.u = codes_of(g, p[0]);
        else {
            io.x = p[0] < 0 ? netp->input : net.layers[p[0]].output;
            size_t nin = (size_t)l.inputs*b;
            if(check_finite_array(io.x, nin) < nin) return -1;
        }
        if(d->act >= 0){
            io.yq = oq;
            io.out_inv = 1.0f/d->q.scale;
            io.out_zero = d->q.zero;
        }
        ttq_int8_shape s = {l.c, l.h, l.w, l.n, l.groups, l.size, l.stride, l.pad, l.out_h, l.out_w};
        if(memcmp(&s, &d->cv.s, sizeof s)) return -1;   /* resized since the plan: float */
        if(!io.y && !io.yq) io.y = l.output;
        if(ttq_int8_conv_run(&d->cv, &io, b)){
            check_file_error(get_layer_string(l.type), i, get_layer_string(l.type), "out of memory for the integer "
                             "path's workspace");
        }
        if(d->conv_act == TTQ_INT8_LINEAR && l.activation != LINEAR){
            activate_array(l.output, l.outputs*b, l.activation);
        }
        break;
    }
    case IG_SHORTCUT: {
        int_shortcut sp = {l.w, l.h, l.c, l.out_w, l.out_h, l.out_c, l.alpha, l.beta, d->act,
                           tensor_coding(g, p[0]), tensor_coding(g, l.index), d->q};
        int_ops_shortcut(&sp, codes_of(g, p[0]), codes_of(g, l.index), oq, of, b);
        break;
    }
    case IG_ROUTE: {
        const uint8_t *in[64];
        int n[64], k;
        int_coding c[64];
        for(k = 0; k < np; ++k){
            in[k] = codes_of(g, p[k]);
            n[k] = l.input_sizes[k];
            c[k] = tensor_coding(g, p[k]);
        }
        uint8_t *o = oq ? oq : codes_buffer(&d->buf, &d->cap, nout);
        int_ops_route(o, in, n, c, np, d->q, b);
        if(of) int_ops_decode(of, o, nout, d->q);
        break;
    }
    case IG_MAXPOOL: {
        uint8_t *o = oq ? oq : codes_buffer(&d->buf, &d->cap, nout);
        int_ops_maxpool(o, codes_of(g, p[0]), l.w, l.h, l.c, l.size, l.stride, l.pad, l.out_w, l.out_h, b);
        if(of) int_ops_decode(of, o, nout, d->q);
        break;
    }
    case IG_AVGPOOL:
        int_ops_avgpool(oq, of, codes_of(g, p[0]), l.w, l.h, l.c, tensor_coding(g, p[0]), d->q, b);
        break;
    case IG_UPSAMPLE: {
        uint8_t *o = oq ? oq : codes_buffer(&d->buf, &d->cap, nout);
        int_ops_upsample(o, codes_of(g, p[0]), l.w, l.h, l.c, l.stride, b);
        if(of) int_ops_decode(of, o, nout, d->q);
        break;
    }
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9*ts.tv_nsec;
}

int int_graph_forward(network *netp)
{
    return int_graph_forward_timed(netp, 0);
}

int int_graph_forward_timed(network *netp, double *t)
{
    int_graph *g = netp->int_graph;
    if(!g || netp->train || ternary_int_calibrating || ternary_int_force_float || ternary_int_mode() == 0) return 0;
    if(g->n != netp->n) return 0;
    if(!g->planned) plan(netp, g);
    if(!g->nint) return 0;
    network net = *netp;
    size_t nin = (size_t)netp->inputs*netp->batch;
    if(g->in_coded){
        if(check_finite_array(netp->input, nin) < nin) return 0;
        int_ops_encode(codes_buffer(&g->inbuf, &g->incap, nin), netp->input, nin, g->in);
    }
    announce(netp, g);
    int i;
    for(i = 0; i < net.n; ++i){
        net.index = i;
        layer l = net.layers[i];
        ig_node *d = &g->node[i];
        double t0 = t ? now_s() : 0;
        if(d->kind == IG_FLOAT){
            l.forward(l, net);
        } else if(run_layer(netp, net, g, i)){
            return 0;
        }
        if(d->code_copy){
            size_t n = (size_t)l.outputs*l.batch;
            if(check_finite_array(l.output, n) < n) return 0;
            int_ops_encode(codes_buffer(&d->buf, &d->cap, n), l.output, n, d->q);
        }
        net.input = l.output;
        if(l.truth) net.truth = l.output;
        if(t) t[i] = now_s() - t0;
    }
    return 1;
}

/* ---- the record ------------------------------------------------------------------------------ */

/* 1 for "no coding" (a scale of +0 or -0), read on the bits: under -Ofast a NaN compares equal to 0 */
static int no_coding(float scale)
{
    uint32_t b;
    memcpy(&b, &scale, sizeof b);
    return (b & 0x7fffffffu) == 0;
}

static int coding_ok(float scale, int zero)
{
    if(no_coding(scale)) return 1;
    return check_finite(scale) && scale >= TERNARY_INT_SCALE_MIN && scale <= TERNARY_INT_SCALE_MAX &&
           (zero == 0 || zero == 128);
}

void int_graph_read(network *net, FILE *fp, const char *filename)
{
    int_graph_free(net->int_graph);
    net->int_graph = 0;
    long at = ftell(fp);
    int32_t head[3];
    size_t got = fread(head, sizeof(int32_t), 1, fp);
    if(got != 1 || head[0] != INT_GRAPH_MAGIC){
        clearerr(fp);
        if(at >= 0) fseek(fp, at, SEEK_SET);
        return;
    }
    if(fread(head + 1, sizeof(int32_t), 2, fp) != 2){
        check_load_error(filename, -1, 0, "the integer graph record is cut short in its head");
    }
    if(head[1] != INT_GRAPH_VERSION){
        check_load_error(filename, -1, 0, "the integer graph record has version %d; this build reads version %d",
                         (int)head[1], INT_GRAPH_VERSION);
    }
    if(head[2] != net->n){
        check_load_error(filename, -1, 0, "the integer graph record is for %d layers, the cfg has %d: this file was "
                         "not packed from this cfg", (int)head[2], net->n);
    }
    int_graph *g = new_graph(net->n);
    int i;
    for(i = -1; i < net->n; ++i){
        float s;
        int32_t z;
        if(fread(&s, sizeof s, 1, fp) != 1 || fread(&z, sizeof z, 1, fp) != 1){
            int_graph_free(g);
            if(i < 0) check_load_error(filename, -1, 0, "the integer graph record is cut short at the input's coding");
            check_load_error(filename, i, get_layer_string(net->layers[i].type), "the integer graph record is cut "
                             "short at this layer's coding");
        }
        if(!coding_ok(s, z)){
            int_graph_free(g);
            if(i < 0){
                check_load_error(filename, -1, 0, "the integer graph record's input coding (scale %g, zero %d) is not "
                                 "one: a scale of 0 (none) or %g to %g, zero 0 or 128", s, (int)z,
                                 TERNARY_INT_SCALE_MIN, TERNARY_INT_SCALE_MAX);
            }
            check_load_error(filename, i, get_layer_string(net->layers[i].type), "the integer graph record's output "
                             "coding (scale %g, zero %d) is not one: a scale of 0 (none) or %g to %g, zero 0 or 128",
                             s, (int)z, TERNARY_INT_SCALE_MIN, TERNARY_INT_SCALE_MAX);
        }
        if(i < 0){
            g->has_in = !no_coding(s);
            g->in.scale = s;
            g->in.zero = z;
        } else {
            g->node[i].has = !no_coding(s);
            g->node[i].q.scale = s;
            g->node[i].q.zero = z;
        }
    }
    net->int_graph = g;
}

int int_graph_write(network *net, FILE *fp)
{
    int_graph *g = net->int_graph;
    if(!g) return 0;
    int32_t head[3] = {INT_GRAPH_MAGIC, INT_GRAPH_VERSION, net->n};
    int ok = fwrite(head, sizeof head, 1, fp) == 1, i;
    for(i = -1; i < net->n && ok; ++i){
        int has = i < 0 ? g->has_in : g->node[i].has;
        int_coding c = i < 0 ? g->in : g->node[i].q;
        float s = has ? c.scale : 0;
        int32_t z = has ? c.zero : 0;
        ok = fwrite(&s, sizeof s, 1, fp) == 1 && fwrite(&z, sizeof z, 1, fp) == 1;
    }
    return ok ? 0 : -1;
}

/* ---- calibration ----------------------------------------------------------------------------- */

void int_graph_calib_begin(network *net)
{
    int_graph_free(net->int_graph);
    net->int_graph = new_graph(net->n);
}

static void observe(const float *x, size_t n, float *lo, float *hi, long *seen)
{
    float a = *seen ? *lo : INFINITY, b = *seen ? *hi : -INFINITY;
    size_t i;
    int any = 0;
    for(i = 0; i < n; ++i){
        float v = x[i];
        if(!check_finite(v)) continue;
        any = 1;
        if(v < a) a = v;
        if(v > b) b = v;
    }
    if(any){
        *lo = a;
        *hi = b;
        *seen += 1;
    }
}

void int_graph_calib_observe(network *net)
{
    int_graph *g = net->int_graph;
    int i;
    if(!g) return;
    observe(net->input, (size_t)net->inputs*net->batch, &g->in_lo, &g->in_hi, &g->in_seen);
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        if(!l.output) continue;
        observe(l.output, (size_t)l.outputs*l.batch, &g->node[i].lo, &g->node[i].hi, &g->node[i].seen);
    }
}

static int coding_of(float lo, float hi, long seen, int_coding *c)
{
    if(!seen) return 0;
    if(lo == 0 && hi == 0){
        c->scale = 1.0f/255;   /* always 0: any scale codes it exactly */
        c->zero = 0;
        return 1;
    }
    if(ttq_int8_act_params(lo, hi, &c->scale, &c->zero)) return 0;
    return c->scale >= TERNARY_INT_SCALE_MIN && c->scale <= TERNARY_INT_SCALE_MAX;
}

void int_graph_calib_end(network *net)
{
    int_graph *g = net->int_graph;
    int i;
    if(!g) return;
    g->has_in = coding_of(g->in_lo, g->in_hi, g->in_seen, &g->in);
    for(i = 0; i < net->n; ++i){
        ig_node *d = &g->node[i];
        d->has = coding_of(d->lo, d->hi, d->seen, &d->q);
    }
    drop_plan(g);
}

/* ---- reports --------------------------------------------------------------------------------- */

int int_graph_layer(network *net, int i, const char **path, float *in_scale, int *in_zero, float *out_scale,
                    int *out_zero)
{
    int_graph *g = net->int_graph;
    if(!g || i < 0 || i >= g->n) return 0;
    if(!g->planned) plan(net, g);
    ig_node *d = &g->node[i];
    int p[64] = {-1};
    producers(net, i, p, 64);
    *path = d->kind == IG_FLOAT ? "float" : "int8";
    *in_scale = tensor_has(g, p[0]) ? tensor_coding(g, p[0]).scale : 0;
    *in_zero = tensor_coding(g, p[0]).zero;
    *out_scale = d->has ? d->q.scale : 0;
    *out_zero = d->q.zero;
    return 1;
}

int int_graph_tensor(network *net, int p, float *scale, int *zero)
{
    int_graph *g = net->int_graph;
    if(!g || p < -1 || p >= g->n) return 0;
    if(!g->planned) plan(net, g);
    if(!tensor_has(g, p)) return 0;
    *scale = tensor_coding(g, p).scale;
    *zero = tensor_coding(g, p).zero;
    return 1;
}

int int_graph_is_integer(network *net, int i)
{
    int_graph *g = net->int_graph;
    if(!g || i < 0 || i >= g->n) return 0;
    if(!g->planned) plan(net, g);
    return g->node[i].kind != IG_FLOAT;
}

int int_graph_integer_layers(network *net)
{
    int_graph *g = net->int_graph;
    if(!g) return 0;
    if(!g->planned) plan(net, g);
    return g->nint;
}
