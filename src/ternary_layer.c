/* [ternary]: Darknet's convolutional layer with Trained Ternary Quantization (Zhu et al., ICLR
 * 2017, section 3). The latent full-precision weights stay in l.weights and are what the optimiser
 * updates; every forward ternarises them to {+Wp, 0, -Wn} (l.ternary_weights) and convolves with
 * those. Wp and Wn (l.wp, l.wn; l.ttq_nscales of each: 1 = one pair per layer, the paper's
 * method, or l.n with per_filter=1, one pair and one threshold per filter) are learned by the
 * paper's rules, which live in ttq.c. Everything else (im2col + gemm, groups, batch_normalize,
 * activation) is Darknet's own convolutional code, run with the ternary weights swapped in. The GPU
 * twins of forward/backward/update are in ternary_kernels.cu. */
#include "ternary_layer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "activations.h"
#include "blas.h"
#include "check_cfg.h"
#include "check_error.h"
#include "check_weights.h"
#include "convolutional_layer.h"
#include "cuda.h"
#include "option_list.h"
#include "ternary_int8.h"
#include "ttq.h"
#include "parser.h"
#include "utils.h"

/* Number of latent weights that share one (Wp, Wn) pair. */
static int scale_group_size(layer l)
{
    return l.nweights/l.ttq_nscales;
}

layer make_ternary_layer(int batch, int h, int w, int c, int n, int groups, int size, int stride,
                         int padding, ACTIVATION activation, int batch_normalize, int adam,
                         float threshold, float sparsity, float wp, float wn, float decay,
                         int per_filter)
{
    layer l = make_convolutional_layer_named("tern", batch, h, w, c, n, groups, size, stride,
                                             padding, activation, batch_normalize, 0, 0, adam);
    l.type = TERNARY;
    l.ttq_threshold = threshold;
    l.ttq_sparsity = sparsity;
    l.ttq_decay = decay;
    l.ttq_nscales = per_filter ? n : 1;   /* Darknet stores the weights filter by filter */
    const char *what = "a [ternary] layer's Wp, Wn and thresholds";
    l.wp = check_calloc(l.ttq_nscales, sizeof(float), what);
    l.wn = check_calloc(l.ttq_nscales, sizeof(float), what);
    l.wp_updates = check_calloc(l.ttq_nscales, sizeof(float), what);
    l.wn_updates = check_calloc(l.ttq_nscales, sizeof(float), what);
    l.ttq_delta = check_calloc(l.ttq_nscales, sizeof(float), what);
    fill_cpu(l.ttq_nscales, wp, l.wp, 1);
    fill_cpu(l.ttq_nscales, wn, l.wn, 1);
    if(adam){
        l.wp_m = check_calloc(l.ttq_nscales, sizeof(float), what);
        l.wp_v = check_calloc(l.ttq_nscales, sizeof(float), what);
        l.wn_m = check_calloc(l.ttq_nscales, sizeof(float), what);
        l.wn_v = check_calloc(l.ttq_nscales, sizeof(float), what);
    }
    l.ternary_weights = check_calloc(l.nweights, sizeof(float), "a [ternary] layer's ternary weights");
    l.ternary_updates = check_calloc(l.nweights, sizeof(float), "a [ternary] layer's ternary weights");
    l.ttq_int = ternary_int_new();

    l.forward = forward_ternary_layer;
    l.backward = backward_ternary_layer;
    l.update = update_ternary_layer;
#ifdef GPU
    l.forward_gpu = forward_ternary_layer_gpu;
    l.backward_gpu = backward_ternary_layer_gpu;
    l.update_gpu = update_ternary_layer_gpu;
    if(gpu_index >= 0){
        int k = l.ttq_nscales;
        l.wp_gpu = cuda_make_array(l.wp, k);
        l.wn_gpu = cuda_make_array(l.wn, k);
        l.wp_updates_gpu = cuda_make_array(l.wp_updates, k);
        l.wn_updates_gpu = cuda_make_array(l.wn_updates, k);
        if(adam){
            l.wp_m_gpu = cuda_make_array(l.wp_m, k);
            l.wp_v_gpu = cuda_make_array(l.wp_v, k);
            l.wn_m_gpu = cuda_make_array(l.wn_m, k);
            l.wn_v_gpu = cuda_make_array(l.wn_v, k);
        }
        l.ternary_weights_gpu = cuda_make_array(l.ternary_weights, l.nweights);
        l.ternary_updates_gpu = cuda_make_array(l.ternary_updates, l.nweights);
        l.ttq_delta_gpu = cuda_make_array(l.ttq_delta, k);
        l.ttq_scratch_gpu = (unsigned int *)cuda_make_int_array(0, k);
    }
#endif
    return l;
}

void free_ternary_layer(layer l)
{
    free(l.wp);
    free(l.wn);
    free(l.wp_updates);
    free(l.wn_updates);
    free(l.wp_m);
    free(l.wp_v);
    free(l.wn_m);
    free(l.wn_v);
    free(l.ttq_delta);
    free(l.ternary_weights);
    free(l.ternary_updates);
    ternary_int_free(l.ttq_int);
#ifdef GPU
    float *dev[] = {l.wp_gpu, l.wn_gpu, l.wp_updates_gpu, l.wn_updates_gpu, l.wp_m_gpu, l.wp_v_gpu,
                    l.wn_m_gpu, l.wn_v_gpu, l.ternary_weights_gpu, l.ternary_updates_gpu,
                    l.ttq_delta_gpu, (float *)l.ttq_scratch_gpu};
    size_t i;
    for(i = 0; i < sizeof(dev)/sizeof(dev[0]); ++i) if(dev[i]) cuda_free(dev[i]);
#endif
}

float ternary_mean(const float *v, int k)
{
    double s = 0;
    int i;
    for(i = 0; i < k; ++i) s += v[i];
    return k > 0 ? (float)(s/k) : 0;
}

/* Chooses delta for each scale group and writes q = ternarize(w) into l.ternary_weights. */
void ternarize_ternary_layer(layer l)
{
    int g, gs = scale_group_size(l);
    for(g = 0; g < l.ttq_nscales; ++g){
        const float *w = l.weights + g*gs;
        float delta = (l.ttq_sparsity >= 0) ? ttq_sparsity_threshold_ref(w, gs, l.ttq_sparsity)
                                            : ttq_threshold_ref(w, gs, l.ttq_threshold);
        l.ttq_delta[g] = delta;
        ttq_ternarize_ref(l.ternary_weights + g*gs, w, gs, delta, l.wp[g], l.wn[g]);
    }
}

/* In inference, a layer with activation scales runs on the integer path (ternary_int8.h); in
 * training, the prepared integer weights become stale. */
void forward_ternary_layer(layer l, network net)
{
    if(net.train) ternary_int_stale(l);
    else if(ternary_int_forward(l, net)) return;
    ternarize_ternary_layer(l);
    layer c = l;
    c.weights = l.ternary_weights;
    forward_convolutional_layer(c, net);
}

/* The convolution's own backward runs with q in place of w, writing its weight update U into
 * l.ternary_updates (zeroed first) and propagating delta through q. The TTQ rules then turn U into
 * the latent, Wp and Wn updates. */
void backward_ternary_layer(layer l, network net)
{
    layer c = l;
    c.weights = l.ternary_weights;
    c.weight_updates = l.ternary_updates;
    fill_cpu(l.nweights, 0, l.ternary_updates, 1);
    backward_convolutional_layer(c, net);

    int g, gs = scale_group_size(l);
    for(g = 0; g < l.ttq_nscales; ++g){
        ttq_backward_ref(l.weight_updates + g*gs, l.wp_updates + g, l.wn_updates + g,
                         l.ternary_updates + g*gs, l.weights + g*gs, gs,
                         l.ttq_delta[g], l.wp[g], l.wn[g]);
    }
}

/* [net] clip=c keeps the latent weights in [-c, c], as Darknet's GPU update does. */
static void constrain_cpu(int n, float c, float *x)
{
    int i;
    for(i = 0; i < n; ++i) x[i] = x[i] > c ? c : (x[i] < -c ? -c : x[i]);
}

/* Wp and Wn are trained by the same optimiser as the weights, with their own decay (default: the
 * network's), then kept >= TTQ_SCALE_FLOOR: ttq_sgd_ref or ttq_adam_ref, then ttq_floor_ref. With
 * Adam (which Darknet's CPU update lacks) every array takes ttq_adam_ref, as on the GPU. */
void update_ternary_layer(layer l, update_args a)
{
    float rate = a.learning_rate*l.learning_rate_scale;
    float decay = (l.ttq_decay >= 0) ? l.ttq_decay : a.decay;
    int k = l.ttq_nscales;
    if(a.adam){
        ttq_adam_ref(l.weights, l.weight_updates, l.m, l.v, l.nweights, a.B1, a.B2, a.eps, a.decay,
                     rate, a.batch, a.t);
        ttq_adam_ref(l.biases, l.bias_updates, l.bias_m, l.bias_v, l.n, a.B1, a.B2, a.eps, a.decay,
                     rate, a.batch, a.t);
        if(l.scales){
            ttq_adam_ref(l.scales, l.scale_updates, l.scale_m, l.scale_v, l.n, a.B1, a.B2, a.eps,
                         a.decay, rate, a.batch, a.t);
        }
        ttq_adam_ref(l.wp, l.wp_updates, l.wp_m, l.wp_v, k, a.B1, a.B2, a.eps, decay, rate, a.batch, a.t);
        ttq_adam_ref(l.wn, l.wn_updates, l.wn_m, l.wn_v, k, a.B1, a.B2, a.eps, decay, rate, a.batch, a.t);
    } else {
        update_convolutional_layer(l, a);
        ttq_sgd_ref(l.wp, l.wp_updates, k, decay, rate, a.momentum, a.batch);
        ttq_sgd_ref(l.wn, l.wn_updates, k, decay, rate, a.momentum, a.batch);
    }
    if(l.clip) constrain_cpu(l.nweights, l.clip, l.weights);
    ttq_floor_ref(l.wp, k);
    ttq_floor_ref(l.wn, k);
}

void resize_ternary_layer(layer *l, int w, int h)
{
    resize_convolutional_layer(l, w, h);
}

/* ---- cfg parsing: every [convolutional] option, strictly checked, plus the TTQ options ------ */

typedef struct {
    list *options;
    const char *cfgfile;
    int index;
} cfg_ctx;

static const char *SECTION = "[ternary]";

static int cfg_int(cfg_ctx *x, const char *key, int def, int lo, int hi, const char *expected)
{
    return check_cfg_int(x->options, x->cfgfile, SECTION, x->index, key, def, lo, hi, expected);
}

/* Returns the value, or def when the key is absent; *given says which. */
static float cfg_float(cfg_ctx *x, const char *key, float def, int *given, const char **raw)
{
    const char *s;
    float v = check_cfg_float(x->options, x->cfgfile, SECTION, x->index, key, def, &s);
    if(given) *given = (s != 0);
    if(raw) *raw = s;
    return v;
}

layer parse_ternary(list *options, int batch, int h, int w, int c, int adam,
                    const char *cfgfile, int index)
{
    cfg_ctx x = {options, cfgfile, index};

    /* the keys [convolutional] has, checked as for [convolutional] (check_cfg.c), then read */
    check_cfg_conv(options, cfgfile, SECTION, index, h, w, c);
    int n = cfg_int(&x, "filters", 1, 1, 1000000000, "an integer >= 1");
    int size = cfg_int(&x, "size", 1, 1, 1000000000, "an integer >= 1");
    int stride = cfg_int(&x, "stride", 1, 1, 1000000000, "an integer >= 1");
    int pad = cfg_int(&x, "pad", 0, 0, 1, "0 or 1");
    int padding = cfg_int(&x, "padding", 0, 0, 1000000000, "an integer >= 0");
    int groups = cfg_int(&x, "groups", 1, 1, 1000000000, "an integer >= 1");
    if(pad) padding = size/2;
    ACTIVATION activation = check_cfg_activation(options, cfgfile, SECTION, index, LOGISTIC);
    int batch_normalize = cfg_int(&x, "batch_normalize", 0, 0, 1, "0 or 1");
    int flipped = cfg_int(&x, "flipped", 0, 0, 1, "0 or 1");
    int dot_given;
    float dot = cfg_float(&x, "dot", 0, &dot_given, 0);

    if(cfg_int(&x, "binary", 0, 0, 1, "0 or 1")){
        check_cfg_error(cfgfile, SECTION, index, "binary", option_find(options, "binary"),
                      "0 ([ternary] cannot also be binary)");
    }
    if(cfg_int(&x, "xnor", 0, 0, 1, "0 or 1")){
        check_cfg_error(cfgfile, SECTION, index, "xnor", option_find(options, "xnor"),
                      "0 ([ternary] cannot also be xnor)");
    }

    int t_given, r_given, wp_given, wn_given, d_given;
    const char *t_raw, *r_raw, *wp_raw, *wn_raw, *d_raw;
    float threshold = cfg_float(&x, "threshold", TTQ_DEFAULT_THRESHOLD, &t_given, &t_raw);
    float sparsity = cfg_float(&x, "sparsity", -1, &r_given, &r_raw);
    float wp = cfg_float(&x, "wp", 1, &wp_given, &wp_raw);
    float wn = cfg_float(&x, "wn", 1, &wn_given, &wn_raw);
    float decay = cfg_float(&x, "wpwn_decay", -1, &d_given, &d_raw);
    int per_filter = cfg_int(&x, "per_filter", 0, 0, 1, "0 or 1");
    if(t_given && r_given){
        check_cfg_error(cfgfile, SECTION, index, "sparsity", r_raw,
                      "no 'sparsity' when 'threshold' is set (they are exclusive)");
    }
    /* check_cfg_float has rejected NaN and Inf: plain comparisons suffice */
    if(t_given && (threshold <= 0 || threshold >= 1)){
        check_cfg_error(cfgfile, SECTION, index, "threshold", t_raw, "0 < t < 1");
    }
    if(r_given && (sparsity < 0 || sparsity >= 1)){
        check_cfg_error(cfgfile, SECTION, index, "sparsity", r_raw, "0 <= r < 1");
    }
    if(wp_given && wp < TTQ_SCALE_FLOOR){
        check_cfg_error(cfgfile, SECTION, index, "wp", wp_raw, "wp >= 1e-6");
    }
    if(wn_given && wn < TTQ_SCALE_FLOOR){
        check_cfg_error(cfgfile, SECTION, index, "wn", wn_raw, "wn >= 1e-6");
    }
    if(d_given && decay < 0){
        check_cfg_error(cfgfile, SECTION, index, "wpwn_decay", d_raw, "wpwn_decay >= 0");
    }

    layer l = make_ternary_layer(batch, h, w, c, n, groups, size, stride, padding, activation,
                                 batch_normalize, adam, r_given ? -1 : threshold,
                                 r_given ? sparsity : -1, wp, wn, d_given ? decay : -1, per_filter);
    l.flipped = flipped;
    if(dot_given) l.dot = dot;
    return l;
}

/* ---- weights record ------------------------------------------------------------------------ */

/* A failed write sets the stream's error flag; save_weights_upto then reports it through
   check_weights_written, which also removes the temporary file (the previous weights are kept).
   Ending the program here would leave the temporary behind. */
static void record_write(const void *p, size_t size, size_t n, FILE *fp)
{
    if(!ferror(fp)) fwrite(p, size, n, fp);
}

int ttq_save_packed = 0;

/* With flipped=1 a file holds the weights transposed (the loader transposes them on reading,
 * patch 0416): a copy of w in the file's order, to free(). */
static float *file_order(layer l, const float *w)
{
    float *t = check_malloc(l.nweights, sizeof(float), "a [ternary] layer's weights in file order");
    memcpy(t, w, l.nweights*sizeof(float));
    transpose_matrix(t, l.n, l.nweights/l.n);
    return t;
}

/* the packed record (check_weights.h): the ternary weights the forward uses, as base-3 codes */
static void save_ternary_weights_packed(layer l, FILE *fp, const char *filename)
{
    ttq_packed_act act = {TERNARY_INT_NSCALES, 0, 0};
    int scaled = ternary_int_get_scale(l, &act.scale, &act.zero);
    ttq_packed_head head = {TTQ_PACKED_TAG, scaled ? TTQ_PACKED_VERSION_SCALES : TTQ_PACKED_VERSION, l.ttq_nscales,
                            l.nweights};
    ternarize_ternary_layer(l);
    float *t = l.flipped ? file_order(l, l.ternary_weights) : 0;
    const float *q = t ? t : l.ternary_weights;
    unsigned char *codes = check_calloc(ttq_packed_size(l.nweights), 1, "a [ternary] layer's packed codes");
    ttq_pack_ref(codes, q, l.nweights);
    record_write(&head, sizeof head, 1, fp);
    record_write(l.wp, sizeof(float), l.ttq_nscales, fp);
    record_write(l.wn, sizeof(float), l.ttq_nscales, fp);
    record_write(l.biases, sizeof(float), l.n, fp);
    if(l.batch_normalize){
        record_write(l.scales, sizeof(float), l.n, fp);
        record_write(l.rolling_mean, sizeof(float), l.n, fp);
        record_write(l.rolling_variance, sizeof(float), l.n, fp);
    }
    record_write(codes, 1, ttq_packed_size(l.nweights), fp);
    if(scaled) record_write(&act, sizeof act, 1, fp);
    free(codes);
    free(t);
}

void save_ternary_weights(layer l, FILE *fp, const char *filename)
{
    ttq_record_head head = {TTQ_RECORD_TAG, TTQ_RECORD_VERSION, l.ttq_nscales};
#ifdef GPU
    if(gpu_index >= 0) pull_ternary_layer(l);
#endif
    if(ttq_save_packed){
        save_ternary_weights_packed(l, fp, filename);
        return;
    }
    record_write(l.biases, sizeof(float), l.n, fp);
    if(l.batch_normalize){
        record_write(l.scales, sizeof(float), l.n, fp);
        record_write(l.rolling_mean, sizeof(float), l.n, fp);
        record_write(l.rolling_variance, sizeof(float), l.n, fp);
    }
    float *t = l.flipped ? file_order(l, l.weights) : 0;
    record_write(t ? t : l.weights, sizeof(float), l.nweights, fp);
    free(t);
    record_write(&head, sizeof head, 1, fp);
    record_write(l.wp, sizeof(float), l.ttq_nscales, fp);
    record_write(l.wn, sizeof(float), l.ttq_nscales, fp);
}

/* Wp and Wn of a TTQ record (k of each; k = 1 sets every scale group), checked: the number of
 * scales this layer can take, a complete read, finite values >= the floor. `what` names the
 * record in messages. */
static void read_record_scales(layer l, FILE *fp, const char *filename, int index, int k,
                               const char *what)
{
    if(k != 1 && k != l.ttq_nscales){
        check_load_error(filename, index, "ternary", "%s has a number of Wp/Wn scales this layer cannot take", what);
    }
    float *buf = check_malloc(2*(size_t)k, sizeof(float), "a [ternary] layer's Wp and Wn");
    if(fread(buf, sizeof(float), 2*(size_t)k, fp) != 2*(size_t)k){
        check_load_error(filename, index, "ternary", "file is truncated inside the %s (Wp/Wn)", what);
    }
    int i;
    for(i = 0; i < 2*k; ++i){
        if(!check_finite(buf[i]) || buf[i] < TTQ_SCALE_FLOOR){
            check_load_error(filename, index, "ternary", "corrupt %s: Wp/Wn must be finite and > 0", what);
        }
    }
    for(i = 0; i < l.ttq_nscales; ++i){
        l.wp[i] = buf[k == 1 ? 0 : i];
        l.wn[i] = buf[k == 1 ? 1 : k + i];
    }
    free(buf);
}

/* A packed record (check_weights.h): Wp, Wn, biases, batch norm, and the codes, which become the
 * latent weights +1, 0, -1; the forward ternarises those to the saved {+Wp, 0, -Wn} in either
 * threshold mode (delta < 1 in threshold mode; in sparsity mode the zeros are the smallest). */
/* The packed record does not say whether it holds batch norm (it holds it when the cfg it was
 * packed from has batch_normalize=1): a cfg that differs there reads the codes at the wrong offset,
 * which shows as a cut or corrupt record. The message names that cause too. */
static const char *bn_hint(layer l)
{
    return l.batch_normalize ? " (or the file was packed from a cfg without batch_normalize=1 in this layer)"
                             : " (or the file was packed from a cfg with batch_normalize=1 in this layer, "
                               "this cfg has none)";
}

/* The activation scale of a version 2 packed record (check_weights.h), checked. */
static void read_activation_scale(layer l, FILE *fp, const char *filename, int index)
{
    ttq_packed_act act;
    if(fread(&act, sizeof act, 1, fp) != 1){
        check_load_error(filename, index, "ternary", "file is truncated inside the packed record's activation scale");
    }
    if(act.nact != TERNARY_INT_NSCALES){
        check_load_error(filename, index, "ternary", "the packed record holds %d activation scales; a layer takes %d "
                         "(the scales do not match the cfg)", act.nact, TERNARY_INT_NSCALES);
    }
    if(act.zero != 0 && act.zero != 128){
        check_load_error(filename, index, "ternary", "corrupt activation scale: the code of 0 is %d, not 0 or 128", act.zero);
    }
    if(!check_finite(act.scale) || !(act.scale > 0) || !check_finite(1.0f/act.scale)){
        check_load_error(filename, index, "ternary", "corrupt activation scale %g: it must be finite and > 0 "
                         "(and its inverse finite)", act.scale);
    }
    /* an 8-bit code times the scale is the layer's input: a scale far outside any input's range (the
       calibration writes max|x|/255 or so) gives every image the same codes, so the same answer */
    if(act.scale < TERNARY_INT_SCALE_MIN || act.scale > TERNARY_INT_SCALE_MAX){
        check_load_error(filename, index, "ternary", "implausible activation scale %g: outside %g to %g, the codes would "
                         "not represent the layer's input (write the scales again with `ternary pack -calib`)",
                         act.scale, TERNARY_INT_SCALE_MIN, TERNARY_INT_SCALE_MAX);
    }
    ternary_int_set_scale(l, act.scale, act.zero);
}


/* After a packed record's codes became the latent weights +1, 0, -1: the index of the first weight
 * that this layer's own ternarisation (its threshold= or sparsity=, per layer or per filter) does
 * not turn back into the record's {+Wp, 0, -Wn}, or -1 when all are. In threshold mode every
 * delta < 1 gives them back; in sparsity mode only a fraction at most that of the record's zeros
 * does (a larger one zeroes saved weights): a cfg whose options differ from the packing cfg's
 * would run another network. */
static long packed_weights_differ(layer l)
{
    int gs = scale_group_size(l);
    size_t i;
    ternarize_ternary_layer(l);
    for(i = 0; i < (size_t)l.nweights; ++i){
        int g = i/gs;
        float want = l.weights[i] > 0 ? l.wp[g] : l.weights[i] < 0 ? -l.wn[g] : 0;
        if(l.ternary_weights[i] != want) return (long)i;
    }
    return -1;
}

static void load_ternary_weights_packed(layer l, FILE *fp, const char *filename, int index)
{
    ttq_packed_head head;
    if(fread(&head, sizeof head, 1, fp) != 1){
        check_load_error(filename, index, "ternary", "file is truncated inside the packed TTQ record header");
    }
    if(head.version != TTQ_PACKED_VERSION && head.version != TTQ_PACKED_VERSION_SCALES){
        check_load_error(filename, index, "ternary", "packed TTQ record of an unknown version (newer software?)");
    }
    if(head.nweights != l.nweights){
        check_load_error(filename, index, "ternary", "the packed record holds %d weights, the cfg's layer has "
                         "%d: this file was not saved from this cfg", head.nweights, l.nweights);
    }
    read_record_scales(l, fp, filename, index, head.nscales, "packed TTQ record");
    size_t nb = l.batch_normalize ? 3*(size_t)l.n : 0;
    float *bn = check_calloc(nb + 1, sizeof(float), "a [ternary] layer's batch norm");
    size_t np = ttq_packed_size(l.nweights);
    unsigned char *codes = check_calloc(np, 1, "a [ternary] layer's packed codes");
    if(fread(l.biases, sizeof(float), l.n, fp) != (size_t)l.n || fread(bn, sizeof(float), nb, fp) != nb ||
       fread(codes, 1, np, fp) != np){
        check_load_error(filename, index, "ternary", "file is truncated inside the packed TTQ record%s",
                         bn_hint(l));
    }
    if(nb && !l.dontloadscales){
        memcpy(l.scales, bn, l.n*sizeof(float));
        memcpy(l.rolling_mean, bn + l.n, l.n*sizeof(float));
        memcpy(l.rolling_variance, bn + 2*l.n, l.n*sizeof(float));
    }
    long bad = ttq_unpack_ref(l.weights, codes, l.nweights);
    free(bn);
    free(codes);
    if(bad >= 0){
        check_load_error(filename, index, "ternary", "corrupt packed TTQ record: byte %ld of the weight codes is "
                         "not a valid code%s", bad, bn_hint(l));
    }
    if(l.flipped) transpose_matrix(l.weights, l.nweights/l.n, l.n);
    long differ = packed_weights_differ(l);
    if(differ >= 0){
        char opt[64];
        if(l.ttq_sparsity >= 0) snprintf(opt, sizeof opt, "sparsity=%g", l.ttq_sparsity);
        else snprintf(opt, sizeof opt, "threshold=%g", l.ttq_threshold);
        check_load_error(filename, index, "ternary", "the cfg's [ternary] options (%s%s) do not give the packed "
                         "record's ternary weights back (weight %ld): the file was packed from a cfg with other "
                         "options; load it with that cfg, or pack this cfg's own weights", opt,
                         l.ttq_nscales > 1 ? ", per_filter=1" : "", differ);
    }
    ternary_int_clear_scale(l);
    if(head.version == TTQ_PACKED_VERSION_SCALES) read_activation_scale(l, fp, filename, index);
#ifdef GPU
    if(gpu_index >= 0) push_ternary_layer(l);
#endif
}

/* The convolutional part is read by Darknet's own loader (so numload, flipped, dontloadscales keep
 * their meaning); the trailer, when present, carries Wp and Wn. A record without a trailer is a
 * full-precision [convolutional] record: Wp and Wn keep the cfg's initial values (TTQ's
 * fine-tuning from a full-precision model). A record that starts with the packed tag is a packed
 * record. */
void load_ternary_weights(layer l, FILE *fp, const char *filename, int index)
{
    if(check_weights_record_is_packed(fp, ftell(fp))){
        load_ternary_weights_packed(l, fp, filename, index);
        ternary_int_note_file(l, filename);
        return;
    }
    ternary_int_clear_scale(l);
    ternary_int_note_file(l, filename);
    load_convolutional_weights(l, fp);
    if(feof(fp) || ferror(fp)) return;
    if(!check_weights_next_is_ternary(fp)) return;
    ttq_record_head head;
    if(fread(&head, sizeof head, 1, fp) != 1){
        check_load_error(filename, index, "ternary", "file is truncated inside the TTQ record header");
    }
    if(head.version != TTQ_RECORD_VERSION){
        check_load_error(filename, index, "ternary", "TTQ record of an unknown version (newer software?)");
    }
    read_record_scales(l, fp, filename, index, head.nscales, "TTQ record");
#ifdef GPU
    if(gpu_index >= 0) push_ternary_layer(l);
#endif
}
