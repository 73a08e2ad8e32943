/* A network with [ternary] layers computes exactly what Darknet's own [convolutional] network
 * computes when its convolutions are loaded with the ternarised weights: same outputs (inference
 * and training mode), same deltas at every layer after backward, and the [ternary] layers'
 * convolution update U equals the [convolutional] layers' weight update. */
#include "testutil.h"

#include "darknet.h"
#include "ternary_layer.h"

static const char *CFG_HEAD =
    "[net]\nbatch=4\nheight=12\nwidth=12\nchannels=3\n\n"
    "[convolutional]\nfilters=8\nsize=3\nstride=1\npad=1\nbatch_normalize=1\nactivation=leaky\n\n";
static const char *CFG_BODY =
    "[%s]\nfilters=8\nsize=3\nstride=1\npad=1\nbatch_normalize=1\nactivation=leaky\n\n"
    "[%s]\nfilters=8\nsize=3\nstride=2\npad=1\ngroups=2\nbatch_normalize=1\nactivation=relu\n%s\n"
    "[%s]\nfilters=6\nsize=1\nstride=1\npad=0\nactivation=linear\n%s\n";
static const char *CFG_TAIL =
    "[avgpool]\n\n[connected]\noutput=5\nactivation=linear\n\n[softmax]\n";

static void write_cfg(const char *path, const char *type, int sparsity)
{
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "%s", CFG_HEAD);
    n += snprintf(buf + n, sizeof buf - n, CFG_BODY, type, type,
                  (sparsity && type[0] == 't') ? "sparsity=0.4\n" : "",
                  type, (type[0] == 't') ? "threshold=0.2\nwp=0.8\nwn=1.4\n" : "");
    snprintf(buf + n, sizeof buf - n, "%s", CFG_TAIL);
    t_write_file(path, buf);
}

static void copy_layer(layer *d, const layer *s)
{
    if(s->biases && d->biases) memcpy(d->biases, s->biases, (s->type == CONNECTED ? s->outputs : s->n)*sizeof(float));
    if(s->type == CONNECTED) memcpy(d->weights, s->weights, s->inputs*s->outputs*sizeof(float));
    else if(s->weights) memcpy(d->weights, s->type == TERNARY ? s->ternary_weights : s->weights, s->nweights*sizeof(float));
    if(s->batch_normalize){
        memcpy(d->scales, s->scales, s->n*sizeof(float));
        memcpy(d->rolling_mean, s->rolling_mean, s->n*sizeof(float));
        memcpy(d->rolling_variance, s->rolling_variance, s->n*sizeof(float));
    }
}

static void run(int sparsity)
{
    char ta[] = "/tmp/ttq-eq-t-XXXXXX", tc[] = "/tmp/ttq-eq-c-XXXXXX";
    int fa = mkstemp(ta), fc = mkstemp(tc);
    close(fa); close(fc);
    write_cfg(ta, "ternary", sparsity);
    write_cfg(tc, "convolutional", sparsity);
    srand(1);
    network *a = parse_network_cfg(ta);
    srand(2);
    network *b = parse_network_cfg(tc);
    unlink(ta); unlink(tc);
    CHECK(a->n == b->n, "layer counts differ");
    int i, j, nt = 0;
    for(i = 0; i < a->n; ++i){
        layer *la = &a->layers[i];
        if(la->type == TERNARY){
            ++nt;
            for(j = 0; j < la->nweights; ++j) la->weights[j] = (float)rand()/RAND_MAX - 0.5f;
            for(j = 0; j < la->n && la->batch_normalize; ++j){
                la->rolling_mean[j] = 0.01f*j;
                la->rolling_variance[j] = 1 + 0.1f*j;
            }
            ternarize_ternary_layer(*la);
        }
        copy_layer(&b->layers[i], la);
    }
    CHECK(nt == 3, "expected 3 [ternary] layers, parsed %d", nt);
    CHECK(sparsity ? a->layers[2].ttq_sparsity == 0.4f : a->layers[2].ttq_sparsity < 0,
          "sparsity option: %g", a->layers[2].ttq_sparsity);
    CHECK(a->layers[3].wp[0] == 0.8f && a->layers[3].wn[0] == 1.4f, "wp=/wn= options");

    int inputs = a->inputs*a->batch;
    float *x = malloc(inputs*sizeof(float));
    for(j = 0; j < inputs; ++j) x[j] = (float)rand()/RAND_MAX;

    /* inference */
    float *pa = network_predict(a, x);
    float out_a[64];
    memcpy(out_a, pa, a->outputs*a->batch*sizeof(float));
    float *pb = network_predict(b, x);
    CHECK_CLOSE("inference output", out_a, pb, a->outputs*a->batch, 0, 0);

    /* training mode: forward + backward with a truth */
    network *nets[2] = {a, b};
    int k;
    for(k = 0; k < 2; ++k){
        network *n = nets[k];
        memcpy(n->input, x, inputs*sizeof(float));
        memset(n->truth, 0, n->truths*n->batch*sizeof(float));
        for(j = 0; j < n->batch; ++j) n->truth[j*n->truths + j % 5] = 1;
        n->train = 1;
        n->delta = 0;
        for(i = 0; i < n->n; ++i){
            layer *l = &n->layers[i];
            if(l->weight_updates) memset(l->weight_updates, 0, (l->type == CONNECTED ? l->inputs*l->outputs : l->nweights)*sizeof(float));
        }
        forward_network(n);
        backward_network(n);
    }
    CHECK(*a->cost == *b->cost, "training cost: ternary %g, convolutional %g", *a->cost, *b->cost);
    for(i = 0; i < a->n; ++i){
        layer *la = &a->layers[i], *lb = &b->layers[i];
        char what[64];
        snprintf(what, sizeof what, "layer %d output", i);
        CHECK_CLOSE(what, la->output, lb->output, la->outputs*la->batch, 0, 0);
        snprintf(what, sizeof what, "layer %d delta", i);
        CHECK_CLOSE(what, la->delta, lb->delta, la->outputs*la->batch, 0, 0);
        if(la->type == TERNARY){
            snprintf(what, sizeof what, "layer %d U vs conv weight_updates", i);
            CHECK_CLOSE(what, la->ternary_updates, lb->weight_updates, la->nweights, 0, 0);
        }
    }
    free(x);
    free_network(a);
    free_network(b);
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    run(0);
    run(1);
    return t_finish();
}
