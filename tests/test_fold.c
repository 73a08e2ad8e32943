/* `darknet ternary fold` (src/ternary_tool.c): the folded cfg/weights pair is a network without
 * [ternary] whose outputs equal the [ternary] network's bit for bit; each folded layer holds only
 * {+Wp, 0, -Wn}, the ternary weights the layer's forward uses (threshold and sparsity modes,
 * groups, stride, 1x1, flipped, without batch norm); a strided [shortcut] is spelt out and the
 * [route]/[shortcut] references after it are renumbered; bad arguments are errors that write
 * nothing and leave the inputs alone. */
#include "testutil.h"

#include <sys/stat.h>

#include "darknet.h"
#include "ternary_layer.h"
#include "ternary_tool.h"
#include "netrand.h"

static char dir[] = "/tmp/ttq-fold-XXXXXX";
static char cfg[300], wts[300], ocfg[300], owts[300];

static const char *mix_cfg =
    "[net]\nbatch=2\nheight=12\nwidth=12\nchannels=3\n\n"
    "[convolutional]\nfilters=8\nsize=3\nstride=1\npad=1\nbatch_normalize=1\nactivation=leaky\n\n"
    "[ternary]\nfilters=8\nsize=3\nstride=1\npad=1\nbatch_normalize=1\nactivation=relu\n"
    "threshold = 0.1\n\n"
    "[ternary]\nfilters=16\nsize=3\nstride=2\npad=1\ngroups=2\nbatch_normalize=1\nactivation=leaky\n"
    "sparsity=0.4\nper_filter=1\n\n"
    "[ternary]\nfilters=16\nsize=1\nstride=1\nflipped=1\nactivation=linear\nwpwn_decay=0\n\n"
    "# 12x12x8 (layer 1) into 6x6x16: strided\n"
    "[shortcut]\nfrom=-3\nactivation=relu\n\n"
    "[route]\nlayers=-1, 2\n\n"
    "[ternary]\nfilters=10\nsize=3\nstride=1\npad=1\nbatch_normalize=1\nactivation=leaky\nwp=0.7\nwn=1.3\n\n"
    "[shortcut]\nfrom=-3\nactivation=linear\n\n"
    "[avgpool]\n\n[softmax]\n";

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if(!f) return 0;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    while(s && (s = strstr(s, needle))){ ++n; s += strlen(needle); }
    return n;
}

static void test_fold_mix(void)
{
    t_write_file(cfg, mix_cfg);
    network *net = parse_network_cfg(cfg);
    netrand_seed(1);
    netrand_weights(net);
    save_weights(net, wts);
    free_network(net);

    int nt = ternary_fold(cfg, wts, ocfg, owts);
    CHECK(nt == 4, "folded %d layers, expected 4", nt);

    char *text = slurp(ocfg);
    CHECK(text && count(text, "[ternary]\n") == 0, "folded cfg still has a [ternary] section");
    CHECK(count(text, "[convolutional]\n") == 5, "folded cfg: %d [convolutional], expected 5",
          count(text, "[convolutional]\n"));
    CHECK(count(text, "# [ternary] only: threshold = 0.1\n") == 1 &&
          count(text, "# [ternary] only: sparsity=0.4\n") == 1 &&
          count(text, "# [ternary] only: per_filter=1\n") == 1 &&
          count(text, "# [ternary] only: wpwn_decay=0\n") == 1 &&
          count(text, "# [ternary] only: wp=0.7\n") == 1 && count(text, "# [ternary] only: wn=1.3\n") == 1,
          "folded cfg: the TTQ keys are not commented out:\n%s", text);
    /* layer 4, the strided shortcut, becomes route(1) + maxpool + route(3) + shortcut(-2): the
     * later layers move by 3, their references follow */
    CHECK(strstr(text, "[route]\nlayers=1\n\n[maxpool]\nsize=1\nstride=2\n\n[route]\nlayers=3\n\n"
                       "[shortcut]\nfrom=-2\nactivation=relu\n") != 0, "strided shortcut not spelt out:\n%s", text);
    CHECK(strstr(text, "[route]\nlayers=-1,2\n") != 0, "route not renumbered (-1, 2 stay):\n%s", text);
    CHECK(strstr(text, "[shortcut]\nfrom=-3\nactivation=linear\n") != 0, "second shortcut:\n%s", text);

    network *a = load_network(cfg, wts, 0);
    network *b = load_network(ocfg, owts, 0);
    CHECK(b->n == a->n + 3, "folded network has %d layers, expected %d", b->n, a->n + 3);
    int i, j, na, nb;
    for(i = 0; i < a->n && b->n == a->n + 3; ++i){
        layer la = a->layers[i], lb = b->layers[i < 4 ? i : i + 3];
        CHECK(lb.type != TERNARY, "layer %d still [ternary]", i);
        if(la.type != TERNARY) continue;
        CHECK(lb.type == CONVOLUTIONAL && lb.nweights == la.nweights, "layer %d: not a like convolution", i);
        if(lb.type != CONVOLUTIONAL) continue;
        ternarize_ternary_layer(la);
        int npos = 0, nneg = 0, nzero = 0, bad = 0, gs = la.nweights/la.ttq_nscales;
        for(j = 0; j < la.nweights; ++j){   /* per_filter=1: filter j/gs's own Wp, Wn */
            float q = lb.weights[j];
            if(q == la.wp[j/gs]) ++npos; else if(q == -la.wn[j/gs]) ++nneg; else if(q == 0) ++nzero; else ++bad;
        }
        CHECK(bad == 0 && npos > 0 && nneg > 0 && nzero > 0,
              "layer %d: %d weights not in {+Wp, 0, -Wn} (%d/%d/%d)", i, bad, npos, nzero, nneg);
        CHECK(!memcmp(lb.weights, la.ternary_weights, la.nweights*sizeof(float)),
              "layer %d: folded weights differ from the layer's ternary weights", i);
        CHECK(!memcmp(lb.biases, la.biases, la.n*sizeof(float)), "layer %d: biases", i);
        if(la.type == TERNARY && la.ttq_sparsity >= 0){
            /* per filter, each group rounds its share of zeros: within one weight a group */
            CHECK(fabs(nzero/(double)la.nweights - 0.4) < 0.01 + 1.0/gs, "layer %d: sparsity %g, expected 0.4",
                  i, nzero/(double)la.nweights);
        }
    }
    int k;
    for(k = 0; k < 2; ++k){
        float *ya = netrand_output(a, 77, k, &na), *yb = netrand_output(b, 77, k, &nb);
        CHECK(na == nb && !memcmp(ya, yb, na*sizeof(float)), "outputs %s differ",
              k ? "before the softmax" : "of the softmax");
        free(ya);
        free(yb);
    }
    free_network(a);
    free_network(b);
}

typedef struct { const char *c, *w, *oc, *ow; } fold_args;
static void child_fold(void *p)
{
    fold_args *f = p;
    ternary_fold(f->c, f->w, f->oc, f->ow);
    exit(0);
}

static long fsize(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void expect_error(const char *what, fold_args f, const char *needle)
{
    char buf[8192];
    long sc = fsize(f.c), sw = fsize(f.w);
    int rc = t_run_child(child_fold, &f, buf, sizeof buf);
    CHECK(rc == 1, "%s: exit %d, expected 1 (%s)", what, rc, buf);
    CHECK(strstr(buf, needle) != 0, "%s: message lacks '%s': %s", what, needle, buf);
    CHECK(fsize(f.c) == sc && fsize(f.w) == sw, "%s: an input changed", what);
}

static void test_errors(void)
{
    char plain[300], fresh_c[300], fresh_w[300], nodir_c[300], nodir_w[300], tmp[310];
    snprintf(plain, sizeof plain, "%s/plain.cfg", dir);
    snprintf(fresh_c, sizeof fresh_c, "%s/fresh.cfg", dir);
    snprintf(fresh_w, sizeof fresh_w, "%s/fresh.weights", dir);
    snprintf(nodir_c, sizeof nodir_c, "%s/missing/f.cfg", dir);
    snprintf(nodir_w, sizeof nodir_w, "%s/missing/f.weights", dir);
    t_write_file(plain, "[net]\nbatch=1\nheight=8\nwidth=8\nchannels=3\n\n"
                        "[convolutional]\nfilters=4\nsize=3\nstride=1\npad=1\nactivation=leaky\n\n[avgpool]\n");

    expect_error("output cfg = input cfg", (fold_args){cfg, wts, cfg, fresh_w}, "must be new files");
    expect_error("output weights = input weights", (fold_args){cfg, wts, fresh_c, wts}, "must be new files");
    expect_error("output cfg = input weights", (fold_args){cfg, wts, wts, fresh_w}, "must be new files");
    expect_error("same output twice", (fold_args){cfg, wts, fresh_c, fresh_c}, "must be new files");
    expect_error("no [ternary]", (fold_args){plain, wts, fresh_c, fresh_w}, "no [ternary] layer");
    expect_error("missing weights", (fold_args){cfg, "/nonexistent/x.weights", fresh_c, fresh_w}, "x.weights");
    expect_error("missing output folder", (fold_args){cfg, wts, nodir_c, nodir_w}, "missing/f.cfg");
    CHECK(fsize(fresh_c) < 0 && fsize(fresh_w) < 0, "a failed fold wrote an output");
    snprintf(tmp, sizeof tmp, "%s.tmp", fresh_c);
    CHECK(fsize(tmp) < 0, "a failed fold left %s", tmp);
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    if(!mkdtemp(dir)){ perror("mkdtemp"); return 2; }
    snprintf(cfg, sizeof cfg, "%s/t.cfg", dir);
    snprintf(wts, sizeof wts, "%s/t.weights", dir);
    snprintf(ocfg, sizeof ocfg, "%s/folded.cfg", dir);
    snprintf(owts, sizeof owts, "%s/folded.weights", dir);
    test_fold_mix();
    test_errors();
    t_done_with_dir(dir);
    return t_finish();
}
