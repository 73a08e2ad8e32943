/* Numerical gradient check of the [ternary] layer.
 *
 * An independent double-precision reference (direct convolution with groups/stride/padding, batch
 * normalisation with batch statistics, activation) computes L = sum(r * output). Central
 * differences of L give dL/dx, dL/dWp, dL/dWn, dL/dq (the ternary weights), dL/dbias and
 * dL/dscale. The layer's float forward/backward (Darknet convention: updates are -gradients) must
 * match them, and its latent-weight update must equal the closed form s_i * (-dL/dq_i) with
 * s = Wp, 1, Wn by region. Latent weights are kept away from the threshold so the ternary pattern
 * is fixed under the perturbations. */
#include "testutil.h"

#include "darknet.h"
#include "ternary_layer.h"
#include "ttq.h"

typedef struct {
    int batch, c, h, w, n, groups, size, stride, pad, bn;
    ACTIVATION act;
    float threshold, sparsity;
    int per_filter;
} shape;

typedef struct {
    shape s;
    int oh, ow, cg, ng, k;   /* out size, channels and filters per group, weights per filter */
    double *x, *q, *bias, *gamma, *r;
} ref;

static double act_f(ACTIVATION a, double z)
{
    if(a == LEAKY) return z > 0 ? z : 0.1*z;
    return z;
}

/* Reference forward: returns L = sum r*act(bn_or_bias(conv(x, q))). */
static double ref_loss(const ref *R, double *out)
{
    const shape *s = &R->s;
    int b, f, oy, ox, ci, ky, kx;
    int hw = R->oh*R->ow;
    double *y = calloc((size_t)s->batch*s->n*hw, sizeof(double));
    for(b = 0; b < s->batch; ++b) for(f = 0; f < s->n; ++f){
        int g = f/R->ng;
        for(oy = 0; oy < R->oh; ++oy) for(ox = 0; ox < R->ow; ++ox){
            double acc = 0;
            for(ci = 0; ci < R->cg; ++ci) for(ky = 0; ky < s->size; ++ky) for(kx = 0; kx < s->size; ++kx){
                int iy = oy*s->stride - s->pad + ky, ix = ox*s->stride - s->pad + kx;
                if(iy < 0 || ix < 0 || iy >= s->h || ix >= s->w) continue;
                double xv = R->x[((b*s->c + g*R->cg + ci)*s->h + iy)*s->w + ix];
                acc += R->q[f*R->k + (ci*s->size + ky)*s->size + kx]*xv;
            }
            y[(b*s->n + f)*hw + oy*R->ow + ox] = acc;
        }
    }
    double L = 0;
    for(f = 0; f < s->n; ++f){
        double mean = 0, var = 0, N = (double)s->batch*hw;
        int i;
        if(s->bn){
            for(b = 0; b < s->batch; ++b) for(i = 0; i < hw; ++i) mean += y[(b*s->n + f)*hw + i];
            mean /= N;
            for(b = 0; b < s->batch; ++b) for(i = 0; i < hw; ++i){
                double d = y[(b*s->n + f)*hw + i] - mean;
                var += d*d;
            }
            var /= N;
        }
        for(b = 0; b < s->batch; ++b) for(i = 0; i < hw; ++i){
            int idx = (b*s->n + f)*hw + i;
            double z = s->bn ? R->gamma[f]*(y[idx] - mean)/sqrt(var + 1e-5) + R->bias[f]
                             : y[idx] + R->bias[f];
            double a = act_f(s->act, z);
            if(out) out[idx] = a;
            L += R->r[idx]*a;
        }
    }
    free(y);
    return L;
}

static double num_grad(const ref *R, double *p, double h)
{
    double keep = *p;
    *p = keep + h;
    double lp = ref_loss(R, 0);
    *p = keep - h;
    double lm = ref_loss(R, 0);
    *p = keep;
    return (lp - lm)/(2*h);
}

static float frand(unsigned *s)
{
    *s = *s*1103515245u + 12345u;
    return ((*s >> 8) & 0xFFFF)/65536.f*2 - 1;
}

static void check_shape(const char *name, shape s, unsigned seed)
{
    t_log("%s\n", name);
    int pad = s.pad;
    layer l = make_ternary_layer(s.batch, s.h, s.w, s.c, s.n, s.groups, s.size, s.stride, pad,
                                 s.act, s.bn, 0, s.threshold, s.sparsity, 1.3f, 0.7f, -1, s.per_filter);
    int i, nw = l.nweights, k = l.ttq_nscales, gs = nw/k, gi;
    CHECK(k == (s.per_filter ? s.n : 1), "%d scale groups, expected %d", k, s.per_filter ? s.n : 1);
    /* per filter: every group its own scales, so that a mixed-up group shows */
    for(gi = 0; gi < k; ++gi){ l.wp[gi] = 1.3f + 0.1f*gi; l.wn[gi] = 0.7f - 0.05f*gi; }
    const float *wp = l.wp, *wn = l.wn;
    for(i = 0; i < nw; ++i) l.weights[i] = frand(&seed);
    /* keep every latent weight at least 10% of its group's delta away from +-delta */
    for(int pass = 0; pass < 3; ++pass){
        ternarize_ternary_layer(l);
        for(i = 0; i < nw; ++i){
            float a = fabsf(l.weights[i]), d = l.ttq_delta[i/gs];
            if(fabsf(a - d) < 0.1f*d && a < 0.999f) l.weights[i] *= (a < d) ? 0.8f : 1.2f;
        }
    }
    for(i = 0; i < l.n; ++i){
        l.biases[i] = 0.1f*frand(&seed);
        if(s.bn) l.scales[i] = 1 + 0.2f*frand(&seed);
    }
    int inputs = l.inputs*s.batch, outputs = l.outputs*s.batch;
    float *x = calloc(inputs, sizeof(float)), *dx = calloc(inputs, sizeof(float));
    for(i = 0; i < inputs; ++i) x[i] = frand(&seed);
    network net = {0};
    net.input = x;
    net.delta = dx;
    net.train = 1;
    net.workspace = calloc(l.workspace_size/sizeof(float) + 1, sizeof(float));

    forward_ternary_layer(l, net);

    ref R;
    R.s = s;
    R.oh = l.out_h; R.ow = l.out_w; R.cg = s.c/s.groups; R.ng = s.n/s.groups;
    R.k = R.cg*s.size*s.size;
    R.x = malloc(inputs*sizeof(double));
    R.q = malloc(nw*sizeof(double));
    R.bias = malloc(s.n*sizeof(double));
    R.gamma = malloc(s.n*sizeof(double));
    R.r = malloc(outputs*sizeof(double));
    for(i = 0; i < inputs; ++i) R.x[i] = x[i];
    int *region = malloc(nw*sizeof(int));
    for(i = 0; i < nw; ++i){
        region[i] = ttq_region(l.weights[i], l.ttq_delta[i/gs]);
        R.q[i] = region[i] == TTQ_POS ? wp[i/gs] : region[i] == TTQ_NEG ? -wn[i/gs] : 0;
    }
    for(i = 0; i < s.n; ++i){ R.bias[i] = l.biases[i]; R.gamma[i] = s.bn ? l.scales[i] : 1; }
    for(i = 0; i < outputs; ++i) R.r[i] = frand(&seed);

    /* forward */
    double *out = malloc(outputs*sizeof(double));
    ref_loss(&R, out);
    float *outf = malloc(outputs*sizeof(float));
    for(i = 0; i < outputs; ++i) outf[i] = (float)out[i];
    CHECK_CLOSE("forward output", l.output, outf, outputs, 1e-4, 1e-4);

    /* backward with delta = -dL/doutput = -r */
    for(i = 0; i < outputs; ++i) l.delta[i] = -(float)R.r[i];
    backward_ternary_layer(l, net);

    const double h = 1e-6;
    float *g = malloc((inputs > nw ? inputs : nw)*sizeof(float));
    double gmax = 0;
    for(i = 0; i < inputs; ++i){ g[i] = (float)-num_grad(&R, &R.x[i], h); if(fabs(g[i]) > gmax) gmax = fabs(g[i]); }
    CHECK_CLOSE("input delta (-dL/dx)", dx, g, inputs, 2e-4*gmax + 1e-5, 2e-3);

    /* -dL/dq by central differences of the reference; then the rules built on it */
    gmax = 0;
    for(i = 0; i < nw; ++i){ g[i] = (float)-num_grad(&R, &R.q[i], h); if(fabs(g[i]) > gmax) gmax = fabs(g[i]); }
    CHECK_CLOSE("conv update for q (-dL/dq)", l.ternary_updates, g, nw, 2e-4*gmax + 1e-5, 2e-3);
    float *lat = malloc(nw*sizeof(float));
    double *sp = calloc(k, sizeof(double)), *sn = calloc(k, sizeof(double));
    for(i = 0; i < nw; ++i){
        float sc = region[i] == TTQ_POS ? wp[i/gs] : region[i] == TTQ_NEG ? wn[i/gs] : 1;
        lat[i] = sc*g[i];
        if(region[i] == TTQ_POS) sp[i/gs] += g[i];
        if(region[i] == TTQ_NEG) sn[i/gs] += g[i];
    }
    CHECK_CLOSE("latent updates (s_i * -dL/dq_i)", l.weight_updates, lat, nw, 2e-4*gmax*2 + 1e-5, 2e-3);

    /* dL/dWp, dL/dWn of each scale group: perturb the scale in every ternary weight of its
       region in that group */
    for(int gr = 0; gr < k; ++gr){
        double dwp, dwn, L0p, L0m;
        int lo = gr*gs, hi = lo + gs;
        for(i = lo; i < hi; ++i) if(region[i] == TTQ_POS) R.q[i] = wp[gr] + h;
        L0p = ref_loss(&R, 0);
        for(i = lo; i < hi; ++i) if(region[i] == TTQ_POS) R.q[i] = wp[gr] - h;
        L0m = ref_loss(&R, 0);
        for(i = lo; i < hi; ++i) if(region[i] == TTQ_POS) R.q[i] = wp[gr];
        dwp = (L0p - L0m)/(2*h);
        for(i = lo; i < hi; ++i) if(region[i] == TTQ_NEG) R.q[i] = -(wn[gr] + h);
        L0p = ref_loss(&R, 0);
        for(i = lo; i < hi; ++i) if(region[i] == TTQ_NEG) R.q[i] = -(wn[gr] - h);
        L0m = ref_loss(&R, 0);
        for(i = lo; i < hi; ++i) if(region[i] == TTQ_NEG) R.q[i] = -wn[gr];
        dwn = (L0p - L0m)/(2*h);
        double scale = fabs(dwp) + fabs(dwn) + 1e-3;
        CHECK(fabs(l.wp_updates[gr] - (-dwp)) < 2e-3*scale, "group %d: wp update %.7g, want -dL/dWp = %.7g",
              gr, l.wp_updates[gr], -dwp);
        CHECK(fabs(l.wn_updates[gr] - (-dwn)) < 2e-3*scale, "group %d: wn update %.7g, want -dL/dWn = %.7g",
              gr, l.wn_updates[gr], -dwn);
        /* and the paper's sums, from the numerical dL/dq: dWp = sum_pos, dWn = -sum_neg */
        CHECK(fabs(-dwp - sp[gr]) < 2e-3*scale && fabs(-dwn + sn[gr]) < 2e-3*scale,
              "group %d: -dL/dWp %.7g vs sum_pos %.7g; -dL/dWn %.7g vs -sum_neg %.7g", gr, -dwp, sp[gr], -dwn, -sn[gr]);
        t_log("  group %d: wp update %.6g (numerical %.6g), wn update %.6g (numerical %.6g)\n",
              gr, l.wp_updates[gr], -dwp, l.wn_updates[gr], -dwn);
    }
    free(sp); free(sn);

    /* biases (beta) and BN scales */
    float *gb = malloc(s.n*sizeof(float));
    for(i = 0; i < s.n; ++i) gb[i] = (float)-num_grad(&R, &R.bias[i], h);
    CHECK_CLOSE("bias updates", l.bias_updates, gb, s.n, 1e-3, 2e-3);
    if(s.bn){
        for(i = 0; i < s.n; ++i) gb[i] = (float)-num_grad(&R, &R.gamma[i], h);
        CHECK_CLOSE("bn scale updates", l.scale_updates, gb, s.n, 1e-3, 2e-3);
    }

    free(gb); free(lat); free(g); free(outf); free(out); free(region);
    free(R.x); free(R.q); free(R.bias); free(R.gamma); free(R.r);
    free(net.workspace); free(x); free(dx);
    free_layer(l);
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    /*               batch c  h  w  n grp sz st pad bn  act     threshold sparsity */
    check_shape("3x3 s1 pad1",          (shape){2, 3, 6, 6, 4, 1, 3, 1, 1, 0, LINEAR, 0.05f, -1, 0}, 1);
    check_shape("3x3 s2 bn",            (shape){2, 4, 7, 7, 4, 1, 3, 2, 1, 1, LINEAR, 0.05f, -1, 0}, 2);
    check_shape("3x3 groups=2 bn leaky",(shape){3, 4, 5, 5, 6, 2, 3, 1, 1, 1, LEAKY, 0.05f, -1, 0}, 3);
    check_shape("1x1 leaky",            (shape){2, 2, 6, 6, 3, 1, 1, 1, 0, 0, LEAKY, 0.05f, -1, 0}, 4);
    check_shape("depthwise s2",         (shape){2, 4, 6, 6, 4, 4, 3, 2, 1, 0, LINEAR, 0.05f, -1, 0}, 5);
    check_shape("sparsity 0.4 bn",      (shape){2, 3, 5, 5, 5, 1, 3, 1, 1, 1, LINEAR, -1, 0.4f, 0}, 6);
    check_shape("threshold 0.3 bn s2 nopad", (shape){2, 3, 8, 8, 4, 1, 3, 2, 0, 1, LINEAR, 0.3f, -1, 0}, 7);
    /* per_filter=1: a Wp, Wn and threshold per filter */
    check_shape("per-filter 3x3 bn leaky",   (shape){2, 3, 6, 6, 4, 1, 3, 1, 1, 1, LEAKY, 0.05f, -1, 1}, 8);
    check_shape("per-filter groups=2 s2",    (shape){2, 4, 7, 7, 6, 2, 3, 2, 1, 0, LINEAR, 0.2f, -1, 1}, 9);
    check_shape("per-filter sparsity 0.4",   (shape){2, 3, 5, 5, 5, 1, 3, 1, 1, 1, LINEAR, -1, 0.4f, 1}, 10);
    return t_finish();
}
