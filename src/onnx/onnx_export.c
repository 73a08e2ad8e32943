/* `darknet ternary onnx` (onnx_export.h, docs/onnx.md): a Darknet network as an ONNX model, written
 * with protobuf-c from Debian's onnx.proto (libonnx-dev; the C code is generated at build time by
 * protoc-c). Opset 13, NCHW, a fixed batch. Each layer becomes the nodes that compute what Darknet's
 * forward computes, named after its cfg section ("conv_3", "shortcut_5"); the tensor a layer
 * outputs carries the same name, so the graph reads like the cfg.
 *
 * The float graph: [convolutional] and [ternary] as Conv (the ternary weights {+Wp, 0, -Wn} the
 * forward uses; batch norm folded: w' = w k, b' = b - mean k, k = scale / sqrt(var + 1e-5), as
 * Darknet normalises), their activation as its ONNX operator; [shortcut] Add (alpha/beta as Mul;
 * a source larger by an integer stride sampled with a strided Slice, other channel counts sliced or
 * zero-padded as Darknet adds only the channels both have); [route] Concat; [upsample] Resize
 * (nearest, asymmetric, floor: out[i] = in[floor(i / s)]) and its scale; [maxpool] MaxPool with
 * Darknet's padding (pad/2 before, the rest after, so the same output size); [avgpool]
 * GlobalAveragePool; [connected] Flatten + Gemm; [softmax] Softmax over the flattened outputs (with
 * its temperature); [dropout] nothing; [yolo] the raw tensor Darknet's layer outputs (logistic on
 * x, y, objectness and classes, w and h as they are) as a graph output of its own.
 *
 * The int8 graph (-int8): each [ternary] layer with an activation scale in the QDQ form ONNX
 * Runtime's quantiser writes: its input QuantizeLinear (uint8, the layer's scale and zero) then
 * DequantizeLinear; its weights int8 levels {+p, 0, -n} (ttq_int8_levels, the integer path's) with a
 * per-channel scale s k_c (axis 0; a channel whose batch norm multiplier is negative has its levels
 * negated), DequantizeLinear; its bias int32 at input scale x weight scale. So the convolution sums
 * the integer path's integers. The other layers stay float.
 *
 * With the integer graph (a file packed with `ternary pack -calib`, or -calib here: int_graph.h),
 * the int8 graph is the whole network as the integer graph runs it: every tensor that a layer on
 * integers reads is QuantizeLinear -> DequantizeLinear on its coding (uint8, the graph's scale and
 * zero; the network's input too), so that each integer layer reads exactly the codes it reads in
 * Darknet; the convolutions on integers ([ternary] with their levels, [convolutional] with the
 * per-channel levels of ttq_int8_channel_levels) have int8 weights and int32 biases as above; the
 * float layers read the float tensors. ONNX Runtime fuses these into QLinearConv, QLinearAdd,
 * QLinearConcat, QLinearGlobalAveragePool and int8 MaxPool / Resize. */
#include "onnx_export.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darknet.h"
#include "activations.h"
#include "check_error.h"
#include "output_file.h"
#include "parser.h"
#include "int_graph.h"
#include "ternary_int8.h"
#include "ternary_layer.h"
#include "ternary_tool.h"
#include "ttq_int8.h"

#ifdef TTQ_ONNX
#include "onnx.pb-c.h"

#define BN_EPS 1e-5f

/* ---- the graph being built ------------------------------------------------------------------- */
typedef struct {
    Onnx__GraphProto g;
    size_t cap_node, cap_init, cap_out;
    const char *cfg;
    network *net;
    int batch;
    char *coded;        /* coded[i]: layer i's input arrives already quantised at its own scale */
    char *code_out;     /* code_out[i]: layer i quantises its output at layer i+1's input scale */
    int gq;             /* the integer graph's form (int_graph.h) */
    char **fnames;      /* [i + 1]: the float tensor of layer i (-1: the input, "data") */
    char **qnames;      /* [i + 1]: its QuantizeLinear -> DequantizeLinear, made when first read */
} graph;

static void *ox_grow(void *p, size_t *cap, size_t n, size_t size)
{
    if(n < *cap) return p;
    *cap = *cap ? 2 * *cap : 16;
    return check_realloc(p, *cap, size, "the ONNX graph");
}

static char *ox_str(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t n = strlen(buf) + 1;
    return memcpy(check_malloc(n, 1, "a name in the ONNX graph"), buf, n);
}

/* A node: op_type, its name, inputs and one output (the names are copied). */
static Onnx__NodeProto *ox_node(graph *G, const char *op, const char *name, const char *out, int nin, ...)
{
    Onnx__NodeProto *n = check_calloc(1, sizeof *n, "an ONNX node");
    onnx__node_proto__init(n);
    n->op_type = ox_str("%s", op);
    n->name = ox_str("%s", name);
    n->n_input = nin;
    n->input = check_calloc(nin, sizeof(char *), "an ONNX node's inputs");
    va_list ap;
    va_start(ap, nin);
    int i;
    for(i = 0; i < nin; ++i){
        const char *s = va_arg(ap, const char *);
        n->input[i] = ox_str("%s", s ? s : "");
    }
    va_end(ap);
    n->n_output = 1;
    n->output = check_calloc(1, sizeof(char *), "an ONNX node's output");
    n->output[0] = ox_str("%s", out);
    G->g.node = ox_grow(G->g.node, &G->cap_node, G->g.n_node, sizeof(Onnx__NodeProto *));
    G->g.node[G->g.n_node++] = n;
    return n;
}

static Onnx__AttributeProto *ox_attr(Onnx__NodeProto *n, const char *name, Onnx__AttributeProto__AttributeType t)
{
    Onnx__AttributeProto *a = check_calloc(1, sizeof *a, "an ONNX attribute");
    onnx__attribute_proto__init(a);
    a->name = ox_str("%s", name);
    a->has_type = 1;
    a->type = t;
    n->attribute = check_realloc(n->attribute, n->n_attribute + 1, sizeof(Onnx__AttributeProto *), "ONNX attributes");
    n->attribute[n->n_attribute++] = a;
    return a;
}

static void ox_attr_i(Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = ox_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

static void ox_attr_f(Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = ox_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

static void ox_attr_s(Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = ox_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.data = (uint8_t *)ox_str("%s", v);
    a->s.len = strlen(v);
}

static void ox_attr_ints(Onnx__NodeProto *n, const char *name, int k, ...)
{
    Onnx__AttributeProto *a = ox_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = k;
    a->ints = check_calloc(k, sizeof(int64_t), "ONNX attribute values");
    va_list ap;
    va_start(ap, k);
    int i;
    for(i = 0; i < k; ++i) a->ints[i] = va_arg(ap, int);
    va_end(ap);
}

/* An initializer: `bytes` of raw little-endian data of ONNX type `type` and shape dims. */
static void ox_init(graph *G, const char *name, int type, const void *data, size_t bytes, int ndims, ...)
{
    Onnx__TensorProto *t = check_calloc(1, sizeof *t, "an ONNX tensor");
    onnx__tensor_proto__init(t);
    t->name = ox_str("%s", name);
    t->has_data_type = 1;
    t->data_type = type;
    t->n_dims = ndims;
    t->dims = check_calloc(ndims + 1, sizeof(int64_t), "an ONNX tensor's shape");
    va_list ap;
    va_start(ap, ndims);
    int i;
    for(i = 0; i < ndims; ++i) t->dims[i] = va_arg(ap, int);
    va_end(ap);
    t->has_raw_data = 1;
    t->raw_data.len = bytes;
    t->raw_data.data = memcpy(check_malloc(bytes + 1, 1, "an ONNX tensor's data"), data, bytes);
    G->g.initializer = ox_grow(G->g.initializer, &G->cap_init, G->g.n_initializer, sizeof(Onnx__TensorProto *));
    G->g.initializer[G->g.n_initializer++] = t;
}

static void ox_init_f(graph *G, const char *name, const float *v, int n, int ndims, int d0, int d1, int d2, int d3)
{
    ox_init(G, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, v, n*sizeof(float), ndims, d0, d1, d2, d3);
}

static void ox_init_scalar_f(graph *G, const char *name, float v)
{
    ox_init(G, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, &v, sizeof v, 0);
}

static void ox_init_i64(graph *G, const char *name, const int64_t *v, int n)
{
    ox_init(G, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, v, n*sizeof(int64_t), 1, n);
}

/* A graph input or output: a float tensor [batch][c][h][w] (h = w = 0: [batch][c]). */
static Onnx__ValueInfoProto *ox_value(graph *G, const char *name, int c, int h, int w)
{
    Onnx__ValueInfoProto *v = check_calloc(1, sizeof *v, "an ONNX value");
    onnx__value_info_proto__init(v);
    v->name = ox_str("%s", name);
    Onnx__TypeProto *t = check_calloc(1, sizeof *t, "an ONNX type");
    onnx__type_proto__init(t);
    Onnx__TypeProto__Tensor *tt = check_calloc(1, sizeof *tt, "an ONNX type");
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    Onnx__TensorShapeProto *sh = check_calloc(1, sizeof *sh, "an ONNX shape");
    onnx__tensor_shape_proto__init(sh);
    int dims[4] = {G->batch, c, h, w}, nd = h ? 4 : 2, i;
    sh->n_dim = nd;
    sh->dim = check_calloc(nd, sizeof(Onnx__TensorShapeProto__Dimension *), "an ONNX shape");
    for(i = 0; i < nd; ++i){
        Onnx__TensorShapeProto__Dimension *d = check_calloc(1, sizeof *d, "an ONNX shape");
        onnx__tensor_shape_proto__dimension__init(d);
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d->dim_value = dims[i];
        sh->dim[i] = d;
    }
    tt->shape = sh;
    t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->tensor_type = tt;
    v->type = t;
    return v;
}

static void ox_output(graph *G, const char *name, int c, int h, int w)
{
    G->g.output = ox_grow(G->g.output, &G->cap_out, G->g.n_output, sizeof(Onnx__ValueInfoProto *));
    G->g.output[G->g.n_output++] = ox_value(G, name, c, h, w);
}

/* ---- layers ---------------------------------------------------------------------------------- */
static const char *ox_section(LAYER_TYPE t)
{
    switch(t){
        case CONVOLUTIONAL: return "conv";
        case TERNARY: return "ternary";
        case SHORTCUT: return "shortcut";
        case ROUTE: return "route";
        case UPSAMPLE: return "upsample";
        case MAXPOOL: return "maxpool";
        case AVGPOOL: return "avgpool";
        case CONNECTED: return "connected";
        case SOFTMAX: return "softmax";
        case DROPOUT: return "dropout";
        case YOLO: return "yolo";
        case COST: return "cost";
        default: return "layer";
    }
}

static void ox_unsupported(graph *G, int i, layer l, const char *why)
{
    check_file_error(G->cfg, i, get_layer_string(l.type), "has no ONNX equivalent here (%s): nothing written", why);
}

/* Darknet's activation a on tensor in, as nodes ending in the tensor out (and the node of that name:
 * a layer's last node is named as its output, after the cfg section, for tools that address nodes). */
static void ox_activation(graph *G, int i, layer l, ACTIVATION a, const char *in, const char *out)
{
    char *nm = ox_str("%s_%d_act", ox_section(l.type), i);   /* a prefix for its constants */
    switch(a){
        case LINEAR: ox_node(G, "Identity", out, out, 1, in); break;
        case RELU: ox_node(G, "Relu", out, out, 1, in); break;
        case LOGISTIC: ox_node(G, "Sigmoid", out, out, 1, in); break;
        case TANH: ox_node(G, "Tanh", out, out, 1, in); break;
        case LEAKY: ox_attr_f(ox_node(G, "LeakyRelu", out, out, 1, in), "alpha", .1f); break;
        case RELIE: ox_attr_f(ox_node(G, "LeakyRelu", out, out, 1, in), "alpha", .01f); break;
        case ELU: ox_attr_f(ox_node(G, "Elu", out, out, 1, in), "alpha", 1.f); break;
        case SELU: {
            Onnx__NodeProto *n = ox_node(G, "Selu", out, out, 1, in);
            ox_attr_f(n, "alpha", 1.6732f);
            ox_attr_f(n, "gamma", 1.0507f);
            break;
        }
        case HARDTAN: {
            char *lo = ox_str("%s_lo", nm), *hi = ox_str("%s_hi", nm);
            ox_init_scalar_f(G, lo, -1);
            ox_init_scalar_f(G, hi, 1);
            ox_node(G, "Clip", out, out, 3, in, lo, hi);
            break;
        }
        case LOGGY: {   /* 2/(1 + e^-x) - 1 = tanh(x/2) */
            char *half = ox_str("%s_half", nm), *h = ox_str("%s_x2", nm);
            ox_init_scalar_f(G, half, .5f);
            ox_node(G, "Mul", h, h, 2, in, half);
            ox_node(G, "Tanh", out, out, 1, h);
            break;
        }
        default: {
            char why[80];
            snprintf(why, sizeof why, "activation=%s", get_activation_string(a));
            ox_unsupported(G, i, l, why);
        }
    }
}

/* The batch norm multiplier k and the folded bias of output f of a layer. */
static void ox_bn_fold(layer l, int f, float *k, float *b)
{
    if(l.batch_normalize){
        *k = l.scales[f]/sqrtf(l.rolling_variance[f] + BN_EPS);
        *b = l.biases[f] - l.rolling_mean[f] * *k;
    } else {
        *k = 1;
        *b = l.biases[f];
    }
}

/* [convolutional] and [ternary]: Conv (float, or QDQ for a [ternary] layer with a scale). */
static void ox_conv(graph *G, int i, layer l, const char *in, int int8)
{
    char *nm = ox_str("%s_%d", ox_section(l.type), i), *wn = ox_str("%s_w", nm), *bn = ox_str("%s_b", nm), *cv = ox_str("%s_conv", nm);
    int per = l.nweights/l.n, f, j;
    const float *w = l.weights;
    if(l.type == TERNARY){
        ternarize_ternary_layer(l);
        w = l.ternary_weights;
    }
    float scale = 0;
    int zero = 0;
    int q;
    if(G->gq){
        /* the integer graph: `in` is already the coded tensor (ox_qname) */
        q = int_graph_is_integer(G->net, i) && int_graph_tensor(G->net, i - 1, &scale, &zero);
    } else {
        q = int8 && l.type == TERNARY && ternary_int_get_scale(l, &scale, &zero);
    }
    float *bias = check_malloc(l.n, sizeof(float), "a layer's folded bias");
    Onnx__NodeProto *c;
    if(!q){
        float *wf = check_malloc(l.nweights, sizeof(float), "a layer's folded weights");
        for(f = 0; f < l.n; ++f){
            float k;
            ox_bn_fold(l, f, &k, &bias[f]);
            for(j = 0; j < per; ++j) wf[f*per + j] = w[f*per + j]*k;
        }
        ox_init_f(G, wn, wf, l.nweights, 4, l.n, l.c/l.groups, l.size, l.size);
        ox_init_f(G, bn, bias, l.n, 1, l.n, 0, 0, 0);
        free(wf);
        c = ox_node(G, "Conv", cv, cv, 3, in, wn, bn);
    } else {
        /* the input coded as the integer path codes it */
        char *xs = ox_str("%s_x_scale", nm), *xz = ox_str("%s_x_zero", nm), *xq = ox_str("%s_x_q", nm), *xd = ox_str("%s_x_dq", nm);
        uint8_t z8 = (uint8_t)zero;
        if(G->coded[i] || G->gq){
            xd = (char *)in;     /* the layer before quantised its output at this scale (ox_plan) */
        } else {
            ox_init_scalar_f(G, xs, scale);
            ox_init(G, xz, ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, &z8, 1, 0);
            ox_node(G, "QuantizeLinear", xq, xq, 3, in, xs, xz);
            ox_node(G, "DequantizeLinear", xd, xd, 3, xq, xs, xz);
        }
        /* the weights as the integer path's levels, one scale per output channel */
        int8_t *wi = check_malloc(l.nweights, 1, "a layer's integer weights");
        float *ws = check_malloc(l.n, sizeof(float), "a layer's weight scales");
        int32_t *bi = check_malloc(l.n, sizeof(int32_t), "a layer's integer bias");
        int8_t *wz = check_calloc(l.n, 1, "a layer's weight zeros");
        int32_t *bz = check_calloc(l.n, sizeof(int32_t), "a layer's bias zeros");
        float *bs = check_malloc(l.n, sizeof(float), "a layer's bias scales");
        for(f = 0; f < l.n; ++f){
            float s, k, b;
            ox_bn_fold(l, f, &k, &b);
            int sign = k < 0 ? -1 : 1;
            if(l.type == TERNARY){
                int g = (f*per)/(l.nweights/l.ttq_nscales), p, n;
                ttq_int8_levels(l.wp[g], l.wn[g], &p, &n, &s);
                for(j = 0; j < per; ++j){
                    float v = w[f*per + j];
                    wi[f*per + j] = (int8_t)(sign*(v > 0 ? p : v < 0 ? -n : 0));
                }
            } else {
                /* a full-precision convolution on integers: its per-channel levels (W8A8) */
                s = ttq_int8_channel_levels(w + (size_t)f*per, per, wi + (size_t)f*per);
                if(s < 0) check_file_error(G->cfg, i, "convolutional", "a weight is not finite: no int8 export");
                for(j = 0; j < per; ++j) wi[f*per + j] = (int8_t)(sign*wi[f*per + j]);
            }
            ws[f] = s*k*sign;
            if(ws[f] == 0){   /* batch norm scale 0 (or s k below FLT_MIN): the channel is its bias alone */
                ws[f] = 1;
                memset(wi + (size_t)f*per, 0, per);
            }
            bs[f] = scale*ws[f];
            double r = (double)b/bs[f];
            if(!(fabs(r) < 2147483647.0)){
                check_file_error(G->cfg, i, ox_section(l.type), "the folded bias %g of output %d is not representable in "
                                 "int32 at the scale %g: this layer cannot be exported in int8", b, f, bs[f]);
            }
            bi[f] = (int32_t)lrint(r);
        }
        char *wq = ox_str("%s_w_q", nm), *wsn = ox_str("%s_w_scale", nm), *wzn = ox_str("%s_w_zero", nm), *wd = ox_str("%s_w_dq", nm);
        char *bq = ox_str("%s_b_q", nm), *bsn = ox_str("%s_b_scale", nm), *bzn = ox_str("%s_b_zero", nm), *bd = ox_str("%s_b_dq", nm);
        ox_init(G, wq, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, wi, l.nweights, 4, l.n, l.c/l.groups, l.size, l.size);
        ox_init(G, wsn, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, ws, l.n*sizeof(float), 1, l.n);
        ox_init(G, wzn, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, wz, l.n, 1, l.n);
        ox_init(G, bq, ONNX__TENSOR_PROTO__DATA_TYPE__INT32, bi, l.n*sizeof(int32_t), 1, l.n);
        ox_init(G, bsn, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, bs, l.n*sizeof(float), 1, l.n);
        ox_init(G, bzn, ONNX__TENSOR_PROTO__DATA_TYPE__INT32, bz, l.n*sizeof(int32_t), 1, l.n);
        ox_attr_i(ox_node(G, "DequantizeLinear", wd, wd, 3, wq, wsn, wzn), "axis", 0);
        ox_attr_i(ox_node(G, "DequantizeLinear", bd, bd, 3, bq, bsn, bzn), "axis", 0);
        c = ox_node(G, "Conv", cv, cv, 3, xd, wd, bd);
        free(wi);
        free(ws);
        free(bi);
        free(wz);
        free(bz);
        free(bs);
    }
    ox_attr_ints(c, "kernel_shape", 2, l.size, l.size);
    ox_attr_ints(c, "strides", 2, l.stride, l.stride);
    ox_attr_ints(c, "pads", 4, l.pad, l.pad, l.pad, l.pad);
    ox_attr_ints(c, "dilations", 2, 1, 1);
    ox_attr_i(c, "group", l.groups);
    if(G->code_out[i]){
        /* the output quantised at the next layer's input scale: DequantizeLinear -> Conv (-> Relu) ->
           QuantizeLinear, which ONNX Runtime runs as one QLinearConv */
        layer nx = G->net->layers[i + 1];
        float ns;
        int nz;
        ternary_int_get_scale(nx, &ns, &nz);
        char *ac = ox_str("%s_out", nm), *ys = ox_str("%s_y_scale", nm), *yz = ox_str("%s_y_zero", nm), *yq = ox_str("%s_y_q", nm);
        uint8_t z8 = (uint8_t)nz;
        ox_activation(G, i, l, l.activation, cv, ac);
        ox_init_scalar_f(G, ys, ns);
        ox_init(G, yz, ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, &z8, 1, 0);
        ox_node(G, "QuantizeLinear", yq, yq, 3, ac, ys, yz);
        ox_node(G, "DequantizeLinear", nm, nm, 3, yq, ys, yz);
    } else {
        ox_activation(G, i, l, l.activation, cv, nm);
    }
    free(bias);
}

/* The integer graph's form: the tensor of layer p (-1: the input) as the codes an integer layer
 * reads, QuantizeLinear -> DequantizeLinear on its coding, made once, where first read. */
static const char *ox_qname(graph *G, int p)
{
    float sc;
    int z;
    if(G->qnames[p + 1]) return G->qnames[p + 1];
    if(!int_graph_tensor(G->net, p, &sc, &z)) return G->fnames[p + 1];
    const char *f = G->fnames[p + 1];
    char *ys = ox_str("%s_q_scale", f), *yz = ox_str("%s_q_zero", f), *yq = ox_str("%s_q", f), *yd = ox_str("%s_dq", f);
    uint8_t z8 = (uint8_t)z;
    ox_init_scalar_f(G, ys, sc);
    ox_init(G, yz, ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, &z8, 1, 0);
    ox_node(G, "QuantizeLinear", yq, yq, 3, f, ys, yz);
    ox_node(G, "DequantizeLinear", yd, yd, 3, yq, ys, yz);
    G->qnames[p + 1] = yd;
    return yd;
}

/* What layer i reads of layer p: the coded tensor when i runs on integers in the graph's form. */
static const char *ox_in(graph *G, int i, int p)
{
    if(G->gq && int_graph_is_integer(G->net, i)) return ox_qname(G, p);
    return G->fnames[p + 1];
}

/* Which [ternary] layers hand their output on quantised (int8 export): layer i quantises its output
 * at layer i+1's input scale when both have activation scales, layer i's activation is linear or
 * relu, and layer i+1 is the only reader of layer i's output (no [shortcut] or [route] reads it):
 * layer i+1 would code that very output at that scale, so the answers do not change, and the
 * convolution of layer i becomes DequantizeLinear -> Conv -> QuantizeLinear, an integer QLinearConv
 * in ONNX Runtime. */
static void ox_plan(graph *G, network *net, int int8)
{
    int i, k, *readers = check_calloc(net->n + 1, sizeof(int), "the layers' readers");
    G->coded = check_calloc(net->n + 1, 1, "the layers' coding");
    G->code_out = check_calloc(net->n + 1, 1, "the layers' coding");
    for(i = 1; i < net->n; ++i){
        layer l = net->layers[i];
        if(l.type == ROUTE){
            for(k = 0; k < l.n; ++k) ++readers[l.input_layers[k]];
        } else {
            ++readers[i - 1];
            if(l.type == SHORTCUT) ++readers[l.index];
        }
    }
    for(i = 0; int8 && i + 1 < net->n; ++i){
        layer a = net->layers[i], b = net->layers[i + 1];
        float s;
        int z;
        if(a.type == TERNARY && b.type == TERNARY && ternary_int_get_scale(a, &s, &z) && ternary_int_get_scale(b, &s, &z) &&
           (a.activation == LINEAR || a.activation == RELU) && readers[i] == 1){
            G->code_out[i] = 1;
            G->coded[i + 1] = 1;
        }
    }
    free(readers);
}

static void ox_connected(graph *G, int i, layer l, const char *in)
{
    char *nm = ox_str("connected_%d", i), *fl = ox_str("%s_flat", nm), *wn = ox_str("%s_w", nm), *bn = ox_str("%s_b", nm),
         *gm = ox_str("%s_gemm", nm);
    float *wf = check_malloc((size_t)l.outputs*l.inputs, sizeof(float), "a layer's folded weights");
    float *bias = check_malloc(l.outputs, sizeof(float), "a layer's folded bias");
    int f, j;
    for(f = 0; f < l.outputs; ++f){
        float k;
        ox_bn_fold(l, f, &k, &bias[f]);
        for(j = 0; j < l.inputs; ++j) wf[(size_t)f*l.inputs + j] = l.weights[(size_t)f*l.inputs + j]*k;
    }
    ox_init_f(G, wn, wf, l.outputs*l.inputs, 2, l.outputs, l.inputs, 0, 0);
    ox_init_f(G, bn, bias, l.outputs, 1, l.outputs, 0, 0, 0);
    ox_attr_i(ox_node(G, "Flatten", fl, fl, 1, in), "axis", 1);
    ox_attr_i(ox_node(G, "Gemm", gm, gm, 3, fl, wn, bn), "transB", 1);
    ox_activation(G, i, l, l.activation, gm, nm);
    free(wf);
    free(bias);
}

/* [shortcut]: out = alpha in + beta from where the two overlap, then the activation. */
static void ox_shortcut(graph *G, int i, layer l, network *net, const char *in, const char *from_t)
{
    char *nm = ox_str("shortcut_%d", i), *add = (char *)from_t, *sum = ox_str("%s_sum", nm);
    /* the integer graph's form: the source sliced and padded as codes (uint8, padded with its zero
       point, the code of 0), then DequantizeLinear, so that the Add reads codes alone */
    layer from = net->layers[l.index];
    int w1 = from.out_w, h1 = from.out_h, c1 = from.out_c, w2 = l.out_w, h2 = l.out_h, c2 = l.out_c;
    const char *fq = G->gq && (w1 != w2 || h1 != h2 || c1 != c2) && G->qnames[l.index + 1] &&
                     !strcmp(from_t, G->qnames[l.index + 1]) ? G->fnames[l.index + 1] : 0;
    if(fq) add = ox_str("%s_q", fq);
    if(w1 != w2 || h1 != h2 || c1 != c2){
        if(w1 < w2 || h1 < h2 || w1 % w2 || h1 % h2 || w1/w2 != h1/h2){
            ox_unsupported(G, i, l, "a source smaller than the output, or not larger by one integer stride");
        }
        if(l.alpha != 1) ox_unsupported(G, i, l, "alpha != 1 with sources of different shapes");
        int st = w1/w2;
        char *sl = ox_str("%s_from", nm), *s0 = ox_str("%s_starts", nm), *s1 = ox_str("%s_ends", nm), *sa = ox_str("%s_axes", nm),
             *ss = ox_str("%s_steps", nm);
        int cm = c1 < c2 ? c1 : c2;
        int64_t starts[3] = {0, 0, 0}, ends[3] = {cm, (int64_t)h2*st, (int64_t)w2*st}, axes[3] = {1, 2, 3},
                steps[3] = {1, st, st};
        ox_init_i64(G, s0, starts, 3);
        ox_init_i64(G, s1, ends, 3);
        ox_init_i64(G, sa, axes, 3);
        ox_init_i64(G, ss, steps, 3);
        ox_node(G, "Slice", sl, sl, 5, add, s0, s1, sa, ss);
        add = sl;
        if(c1 < c2){
            char *pd = ox_str("%s_pad", nm), *pp = ox_str("%s_pads", nm);
            int64_t pads[8] = {0, 0, 0, 0, 0, c2 - c1, 0, 0};
            ox_init_i64(G, pp, pads, 8);
            if(fq) ox_node(G, "Pad", pd, pd, 3, add, pp, ox_str("%s_q_zero", fq));
            else ox_node(G, "Pad", pd, pd, 2, add, pp);
            add = pd;
        }
    }
    if(fq){
        char *d = ox_str("%s_from_dq", nm);
        ox_node(G, "DequantizeLinear", d, d, 3, add, ox_str("%s_q_scale", fq), ox_str("%s_q_zero", fq));
        add = d;
    }
    const char *a = in, *b = add;
    if(l.alpha != 1){
        char *m = ox_str("%s_alpha", nm), *k = ox_str("%s_alpha_k", nm);
        ox_init_scalar_f(G, k, l.alpha);
        ox_node(G, "Mul", m, m, 2, in, k);
        a = m;
    }
    if(l.beta != 1){
        char *m = ox_str("%s_beta", nm), *k = ox_str("%s_beta_k", nm);
        ox_init_scalar_f(G, k, l.beta);
        ox_node(G, "Mul", m, m, 2, add, k);
        b = m;
    }
    ox_node(G, "Add", sum, sum, 2, a, b);
    ox_activation(G, i, l, l.activation, sum, nm);
}

/* [yolo]: logistic on every channel but each anchor's w and h (the mask below). */
static void ox_yolo(graph *G, int i, layer l, const char *in)
{
    char *nm = ox_str("yolo_%d", i), *sg = ox_str("%s_sigmoid", nm), *mk = ox_str("%s_mask", nm), *im = ox_str("%s_keep", nm),
         *a = ox_str("%s_a", nm), *b = ox_str("%s_b", nm);
    float *m = check_calloc(l.out_c, sizeof(float), "the yolo mask"), *k = check_calloc(l.out_c, sizeof(float), "the yolo mask");
    int c, per = 4 + 1 + l.classes;
    for(c = 0; c < l.out_c; ++c){
        int e = c % per;
        m[c] = (e == 2 || e == 3) ? 0 : 1;
        k[c] = 1 - m[c];
    }
    ox_init_f(G, mk, m, l.out_c, 4, 1, l.out_c, 1, 1);
    ox_init_f(G, im, k, l.out_c, 4, 1, l.out_c, 1, 1);
    ox_node(G, "Sigmoid", sg, sg, 1, in);
    ox_node(G, "Mul", a, a, 2, sg, mk);
    ox_node(G, "Mul", b, b, 2, in, im);
    ox_node(G, "Add", nm, nm, 2, a, b);
    free(m);
    free(k);
}

/* Checks every layer first (an unsupported one is the error, before anything is built). */
static void ox_check_layers(graph *G, network *net)
{
    int i;
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        switch(l.type){
            case CONVOLUTIONAL: case TERNARY:
                if(l.xnor || l.binary) ox_unsupported(G, i, l, "binary or xnor weights");
                break;
            case UPSAMPLE:
                if(l.reverse) ox_unsupported(G, i, l, "a negative stride (downsampling)");
                break;
            case SOFTMAX:
                if(l.groups != 1 || l.softmax_tree) ox_unsupported(G, i, l, "groups or a tree");
                break;
            case ROUTE: case SHORTCUT: case MAXPOOL: case AVGPOOL: case CONNECTED: case DROPOUT: case YOLO: case COST:
                break;
            default:
                ox_unsupported(G, i, l, "a layer type the exporter does not write");
        }
    }
}

int ternary_onnx_available(void)
{
    return 1;
}

int ternary_onnx(const char *cfgfile, const char *weightfile, const char *out, int int8,
                 const char *calib_data, int calib_n, int batch)
{
    if(!cfgfile || !weightfile || !out) check_file_error("ternary onnx", -1, 0, "needs a cfg, its weights and an output file");
    if(batch < 1) check_file_error("ternary onnx", -1, 0, "-batch %d: expected a whole number >= 1", batch);
    int gpu = gpu_index;
    gpu_index = -1;
    network *net = parse_network_cfg((char *)cfgfile);
    graph G;
    memset(&G, 0, sizeof G);
    onnx__graph_proto__init(&G.g);
    G.cfg = cfgfile;
    G.batch = batch;
    ox_check_layers(&G, net);
    load_weights(net, (char *)weightfile);
    int i, nt = 0, nq = 0;
    if(int8 && calib_data) ternary_calibrate(net, calib_data, calib_n);
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        if(l.type != TERNARY) continue;
        float s;
        int z;
        ++nt;
        nq += ternary_int_get_scale(l, &s, &z);
    }
    if(int8 && nt == 0) check_file_error(cfgfile, -1, 0, "-int8: the network has no [ternary] layer to quantise");
    if(int8 && nq == 0){
        check_file_error(weightfile, -1, 0, "-int8: no [ternary] layer has an activation scale: pack the weights with "
                         "`ternary pack -calib DATA`, or give -calib DATA here");
    }

    G.net = net;
    G.gq = int8 && net->int_graph && int_graph_integer_layers(net) > 0;
    G.fnames = check_calloc(net->n + 1, sizeof(char *), "the layers' tensor names");
    G.qnames = check_calloc(net->n + 1, sizeof(char *), "the layers' coded tensor names");
    G.fnames[0] = "data";
    ox_plan(&G, net, int8 && !G.gq);
    G.g.name = ox_str("darknet");
    G.g.n_input = 1;
    G.g.input = check_calloc(1, sizeof(Onnx__ValueInfoProto *), "the ONNX graph's input");
    G.g.input[0] = ox_value(&G, "data", net->c, net->h, net->w);
    char **names = G.fnames + 1;
    const char *prev = "data";
    int last = net->n - 1;
    while(last > 0 && net->layers[last].type == COST) --last;
    for(i = 0; i <= last; ++i){
        layer l = net->layers[i];
        char *nm = ox_str("%s_%d", ox_section(l.type), i);
        prev = l.type == ROUTE ? 0 : ox_in(&G, i, i - 1);
        switch(l.type){
            case CONVOLUTIONAL: case TERNARY:
                ox_conv(&G, i, l, prev, int8);
                break;
            case CONNECTED:
                ox_connected(&G, i, l, prev);
                break;
            case SHORTCUT:
                ox_shortcut(&G, i, l, net, prev, ox_in(&G, i, l.index));
                break;
            case ROUTE:
                if(l.n == 1){
                    ox_node(&G, "Identity", nm, nm, 1, ox_in(&G, i, l.input_layers[0]));
                } else {
                    Onnx__NodeProto *c = ox_node(&G, "Concat", nm, nm, 0);
                    int k;
                    c->n_input = l.n;
                    c->input = check_calloc(l.n, sizeof(char *), "a Concat's inputs");
                    for(k = 0; k < l.n; ++k) c->input[k] = ox_str("%s", ox_in(&G, i, l.input_layers[k]));
                    ox_attr_i(c, "axis", 1);
                }
                break;
            case UPSAMPLE: {
                char *rs = ox_str("%s_resize", nm), *sc = ox_str("%s_scales", nm);
                float scales[4] = {1, 1, l.stride, l.stride};
                ox_init_f(&G, sc, scales, 4, 1, 4, 0, 0, 0);
                Onnx__NodeProto *r = ox_node(&G, "Resize", l.scale != 1 ? rs : nm, l.scale != 1 ? rs : nm, 3, prev, "", sc);
                ox_attr_s(r, "mode", "nearest");
                ox_attr_s(r, "coordinate_transformation_mode", "asymmetric");
                ox_attr_s(r, "nearest_mode", "floor");
                if(l.scale != 1){
                    char *k = ox_str("%s_k", nm);
                    ox_init_scalar_f(&G, k, l.scale);
                    ox_node(&G, "Mul", nm, nm, 2, rs, k);
                }
                break;
            }
            case MAXPOOL: {
                Onnx__NodeProto *m = ox_node(&G, "MaxPool", nm, nm, 1, prev);
                int pb = l.pad/2, pe = l.pad - l.pad/2;
                ox_attr_ints(m, "kernel_shape", 2, l.size, l.size);
                ox_attr_ints(m, "strides", 2, l.stride, l.stride);
                ox_attr_ints(m, "pads", 4, pb, pb, pe, pe);
                break;
            }
            case AVGPOOL:
                ox_node(&G, "GlobalAveragePool", nm, nm, 1, prev);
                break;
            case SOFTMAX: {
                char *fl = ox_str("%s_flat", nm);
                const char *x = fl;
                ox_attr_i(ox_node(&G, "Flatten", fl, fl, 1, prev), "axis", 1);
                if(l.temperature != 1){
                    char *t = ox_str("%s_t", nm), *k = ox_str("%s_inv_t", nm);
                    ox_init_scalar_f(&G, k, 1/l.temperature);
                    ox_node(&G, "Mul", t, t, 2, fl, k);
                    x = t;
                }
                ox_attr_i(ox_node(&G, "Softmax", nm, nm, 1, x), "axis", 1);
                break;
            }
            case DROPOUT:
                ox_node(&G, "Identity", nm, nm, 1, prev);
                break;
            case YOLO:
                ox_yolo(&G, i, l, prev);
                ox_output(&G, nm, l.out_c, l.out_h, l.out_w);
                break;
            default:
                ox_unsupported(&G, i, l, "a layer type the exporter does not write");
        }
        names[i] = nm;
    }
    layer L = net->layers[last];
    if(L.type != YOLO){
        int flat = L.type == SOFTMAX || L.type == CONNECTED;
        ox_output(&G, names[last], flat ? L.outputs : L.out_c, flat ? 0 : L.out_h, flat ? 0 : L.out_w);
    }

    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT, *ops = &opset;
    opset.domain = "";
    opset.has_version = 1;
    opset.version = 13;
    Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
    model.has_ir_version = 1;
    model.ir_version = 7;
    model.producer_name = "darknet ternary onnx (TTQ for Darknet)";
    model.producer_version = "1";
    model.n_opset_import = 1;
    model.opset_import = &ops;
    model.graph = &G.g;
    size_t size = onnx__model_proto__get_packed_size(&model);
    uint8_t *buf = check_malloc(size, 1, "the ONNX model");
    onnx__model_proto__pack(&model, buf);
    FILE *fp = output_open(out);
    fwrite(buf, 1, size, fp);
    output_close(fp);
    free(buf);
    fprintf(stderr, "wrote %s: ONNX opset 13, %zu nodes, %zu initializers, batch %d, input 'data' %d x %d x %d%s\n",
            out, G.g.n_node, G.g.n_initializer, batch, net->c, net->h, net->w,
            G.gq ? "; int8 (QDQ): the integer graph, every layer that runs on integers in Darknet" :
            int8 ? "; int8 (QDQ) for the [ternary] layers with activation scales, the other layers float" : "");
    if(G.gq) fprintf(stderr, "  %d of the %d layers on integers (`darknet ternary info` lists them)\n",
                     int_graph_integer_layers(net), net->n);
    if(int8 && !G.gq && nq < nt) fprintf(stderr, "  %d of %d [ternary] layers have no activation scale: they stay float\n", nt - nq, nt);
    int nn = (int)G.g.n_node;
    free_network(net);
    gpu_index = gpu;
    return nn;
}

#else   /* built without protobuf-c or onnx.proto */

int ternary_onnx_available(void)
{
    return 0;
}

int ternary_onnx(const char *cfgfile, const char *weightfile, const char *out, int int8,
                 const char *calib_data, int calib_n, int batch)
{
    check_file_error("ternary onnx", -1, 0, "this build has no ONNX export: install protobuf-c-compiler, "
                     "libprotobuf-c-dev and libonnx-dev, then run make again");
    return 0;
}
#endif
