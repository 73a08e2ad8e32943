/* The .weights file with [ternary] layers: bit-exact save/load round trip, loading a
 * full-precision [convolutional] file into a [ternary] cfg (TTQ's fine-tuning flow), exact resume
 * of training from a backup, and clear errors (non-zero exit) for truncated, corrupt, mismatched
 * and unwritable files; weights holding NaN or Inf are not saved, the previous file stays. */
#include "testutil.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "darknet.h"
#include "ternary_layer.h"

static char dir[] = "/tmp/ttq-weights-XXXXXX";
static char path_t[256], path_c[256], path_m[256], path_f[256];

static void write_cfgs(void)
{
    const char *fmt =
        "[net]\nbatch=4\nheight=10\nwidth=10\nchannels=3\nlearning_rate=0.05\nmomentum=%s\n"
        "decay=0.001\nmax_batches=100\npolicy=steps\nsteps=3\nscales=0.5\n\n"
        "[convolutional]\nfilters=6\nsize=3\nstride=1\npad=1\nbatch_normalize=1\nactivation=leaky\n\n"
        "[%s]\nfilters=6\nsize=3\nstride=1\npad=1\nbatch_normalize=1\nactivation=leaky\n%s\n"
        "[%s]\nfilters=4\nsize=3\nstride=2\npad=1\nactivation=leaky\n\n"
        "[avgpool]\n\n[softmax]\n";
    char buf[2048];
    snprintf(path_t, sizeof path_t, "%s/t.cfg", dir);
    snprintf(buf, sizeof buf, fmt, "0.9", "ternary", "wp=0.5\nwn=2\n", "ternary");
    t_write_file(path_t, buf);
    snprintf(path_c, sizeof path_c, "%s/c.cfg", dir);
    snprintf(buf, sizeof buf, fmt, "0.9", "convolutional", "", "convolutional");
    t_write_file(path_c, buf);
    snprintf(path_m, sizeof path_m, "%s/m0.cfg", dir);
    snprintf(buf, sizeof buf, fmt, "0", "ternary", "", "ternary");
    t_write_file(path_m, buf);
    snprintf(path_f, sizeof path_f, "%s/f0.cfg", dir);
    snprintf(buf, sizeof buf, fmt, "0", "ternary", "per_filter=1\nsparsity=0.3\n", "ternary");
    t_write_file(path_f, buf);
}

static data random_data(network *net, unsigned seed)
{
    data d = {0};
    d.X = make_matrix(net->batch, net->inputs);
    d.y = make_matrix(net->batch, net->outputs);
    srand(seed);
    int i, j;
    for(i = 0; i < net->batch; ++i){
        for(j = 0; j < net->inputs; ++j) d.X.vals[i][j] = (float)rand()/RAND_MAX;
        d.y.vals[i][i % net->outputs] = 1;
    }
    return d;
}

static int same(const float *a, const float *b, int n)
{
    return n == 0 || memcmp(a, b, n*sizeof(float)) == 0;
}

/* Compares everything a weights file carries, bit for bit. */
static void check_same_params(const char *what, network *a, network *b)
{
    int i;
    CHECK(*a->seen == *b->seen, "%s: seen %zu vs %zu", what, *a->seen, *b->seen);
    for(i = 0; i < a->n; ++i){
        layer *x = &a->layers[i], *y = &b->layers[i];
        if(x->type != CONVOLUTIONAL && x->type != TERNARY) continue;
        CHECK(same(x->weights, y->weights, x->nweights), "%s: layer %d weights", what, i);
        CHECK(same(x->biases, y->biases, x->n), "%s: layer %d biases", what, i);
        if(x->batch_normalize){
            CHECK(same(x->scales, y->scales, x->n) && same(x->rolling_mean, y->rolling_mean, x->n)
                  && same(x->rolling_variance, y->rolling_variance, x->n), "%s: layer %d BN", what, i);
        }
        if(x->type == TERNARY){
            CHECK(x->ttq_nscales == y->ttq_nscales, "%s: layer %d: %d vs %d scale groups", what, i,
                  x->ttq_nscales, y->ttq_nscales);
            int k;
            for(k = 0; k < x->ttq_nscales; ++k){
                CHECK(x->wp[k] == y->wp[k] && x->wn[k] == y->wn[k], "%s: layer %d Wp/Wn %d: %g/%g vs %g/%g",
                      what, i, k, x->wp[k], x->wn[k], y->wp[k], y->wn[k]);
            }
        }
    }
}

static void test_round_trip_and_resume(void)
{
    char w1[300], w2[300];
    snprintf(w1, sizeof w1, "%s/a.weights", dir);
    snprintf(w2, sizeof w2, "%s/b.weights", dir);

    /* train a few steps so Wp/Wn, BN statistics and seen are all non-trivial */
    srand(3);
    network *a = parse_network_cfg(path_m);
    int s;
    for(s = 0; s < 4; ++s){
        data d = random_data(a, 10 + s);
        train_network(a, d);
        free_data(d);
    }
    CHECK(a->layers[1].wp[0] != 1 && a->layers[1].wn[0] != 1, "Wp/Wn did not move: %g %g",
          a->layers[1].wp[0], a->layers[1].wn[0]);
    save_weights(a, w1);
    struct stat st;
    char tmpname[310];
    snprintf(tmpname, sizeof tmpname, "%s.tmp", w1);
    CHECK(stat(tmpname, &st) != 0, "temporary file left behind after save");

    srand(99);
    network *b = parse_network_cfg(path_m);
    load_weights(b, w1);
    check_same_params("round trip", a, b);
    save_weights(b, w2);
    FILE *f1 = fopen(w1, "rb"), *f2 = fopen(w2, "rb");
    int c1, c2, differ = 0;
    long n = 0;
    do { c1 = fgetc(f1); c2 = fgetc(f2); differ |= (c1 != c2); ++n; } while(c1 != EOF && c2 != EOF);
    CHECK(!differ, "re-saved file differs from the original");
    fclose(f1); fclose(f2);

    /* resume (momentum 0, so nothing outside the file carries state): same as never stopping */
    for(s = 0; s < 3; ++s){
        data d = random_data(a, 20 + s);
        float la = train_network(a, d);
        float lb = train_network(b, d);
        CHECK(la == lb, "resume step %d: loss %g vs %g", s, la, lb);
        free_data(d);
    }
    check_same_params("resumed training", a, b);
    free_network(a);
    free_network(b);
}

static int same_file(const char *p1, const char *p2)
{
    FILE *f1 = fopen(p1, "rb"), *f2 = fopen(p2, "rb");
    int c1, c2, differ = !f1 || !f2;
    if(!differ) do { c1 = fgetc(f1); c2 = fgetc(f2); differ |= (c1 != c2); } while(c1 != EOF && c2 != EOF);
    if(f1) fclose(f1);
    if(f2) fclose(f2);
    return !differ;
}

static void child_load(void *p);
static void expect_error(const char *name, const char *cfg, const char *weights, const char *needle,
                         void (*fn)(void *));

/* per_filter=1: the record carries a Wp and Wn per filter; they round-trip and resume exactly, a
 * packed file gives the same outputs, a per-layer file loads into a per-filter layer (each filter
 * starts from the layer's pair), and a per-filter file into a per-layer cfg is an error. */
static void test_per_filter(void)
{
    char w1[300], w2[300], wp[300], wl[300];
    snprintf(w1, sizeof w1, "%s/pf.weights", dir);
    snprintf(w2, sizeof w2, "%s/pf2.weights", dir);
    snprintf(wp, sizeof wp, "%s/pf-packed.weights", dir);
    snprintf(wl, sizeof wl, "%s/layer.weights", dir);
    srand(5);
    network *a = parse_network_cfg(path_f);
    layer *la = &a->layers[1];
    CHECK(la->ttq_nscales == 6 && a->layers[2].ttq_nscales == 1, "scale groups %d and %d, expected 6 and 1",
          la->ttq_nscales, a->layers[2].ttq_nscales);
    int s, k, distinct = 0;
    for(s = 0; s < 4; ++s){
        data d = random_data(a, 40 + s);
        train_network(a, d);
        free_data(d);
    }
    for(k = 1; k < la->ttq_nscales; ++k) distinct += la->wp[k] != la->wp[0];
    CHECK(distinct > 0, "per-filter Wp all equal after training: %g", la->wp[0]);
    save_weights(a, w1);

    srand(6);
    network *b = parse_network_cfg(path_f);
    load_weights(b, w1);
    check_same_params("per-filter round trip", a, b);
    save_weights(b, w2);
    CHECK(same_file(w1, w2), "per-filter: re-saved file differs from the original");
    for(s = 0; s < 3; ++s){
        data d = random_data(a, 50 + s);
        float l1 = train_network(a, d), l2 = train_network(b, d);
        CHECK(l1 == l2, "per-filter resume step %d: loss %g vs %g", s, l1, l2);
        free_data(d);
    }
    check_same_params("per-filter resumed training", a, b);

    /* packed: the same outputs as the network it was packed from */
    ttq_save_packed = 1;
    save_weights(a, wp);
    ttq_save_packed = 0;
    network *c = parse_network_cfg(path_f);
    load_weights(c, wp);
    set_batch_network(a, 1);
    set_batch_network(c, 1);
    float *x = calloc(a->inputs, sizeof(float));
    for(k = 0; k < a->inputs; ++k) x[k] = (k % 7)/7.f;
    float *oa = network_predict(a, x);
    float ya[4];
    memcpy(ya, oa, sizeof ya);
    float *oc = network_predict(c, x);
    CHECK(!memcmp(ya, oc, sizeof ya), "per-filter packed: outputs %g %g vs %g %g", ya[0], ya[1], oc[0], oc[1]);
    for(k = 0; k < la->ttq_nscales; ++k){
        CHECK(c->layers[1].wp[k] == la->wp[k] && c->layers[1].wn[k] == la->wn[k], "per-filter packed: Wp/Wn %d", k);
    }

    /* a per-layer file into the per-filter cfg: every filter takes the layer's pair */
    network *m = parse_network_cfg(path_m);
    m->layers[1].wp[0] = 0.625f;
    m->layers[1].wn[0] = 1.5f;
    save_weights(m, wl);
    network *f = parse_network_cfg(path_f);
    load_weights(f, wl);
    for(k = 0; k < f->layers[1].ttq_nscales; ++k){
        CHECK(f->layers[1].wp[k] == 0.625f && f->layers[1].wn[k] == 1.5f, "per-layer file into per-filter: Wp/Wn %d = %g/%g",
              k, f->layers[1].wp[k], f->layers[1].wn[k]);
    }
    /* and the other way round: the file has more scales than the layer takes */
    expect_error("per-filter file into a per-layer cfg", path_m, w1, "number of Wp/Wn scales", child_load);
    free(x);
    free_network(a); free_network(b); free_network(c); free_network(m); free_network(f);
}

/* flipped=1: the file holds each filter transposed; a save and a load give back the same weights
 * (upstream transposed on load only), and with groups the load transposes nweights, not
 * c*size*size*n (upstream overflowed the buffer). */
static void test_flipped(void)
{
    char cfg[300], w[300];
    snprintf(cfg, sizeof cfg, "%s/flipped.cfg", dir);
    snprintf(w, sizeof w, "%s/flipped.weights", dir);
    t_write_file(cfg,
        "[net]\nbatch=2\nheight=8\nwidth=8\nchannels=4\n\n"
        "[convolutional]\nfilters=6\nsize=3\nstride=1\npad=1\ngroups=2\nflipped=1\nactivation=leaky\n\n"
        "[ternary]\nfilters=4\nsize=3\nstride=1\npad=1\ngroups=2\nflipped=1\nbatch_normalize=1\nactivation=leaky\n\n"
        "[convolutional]\nfilters=5\nsize=1\nstride=1\nflipped=1\nactivation=linear\n\n"
        "[avgpool]\n\n[softmax]\n");
    network *a = parse_network_cfg(cfg);
    int i, j;
    srand(5);
    for(i = 0; i < a->n; ++i){
        layer l = a->layers[i];
        for(j = 0; j < l.nweights; ++j) l.weights[j] = (float)rand()/RAND_MAX - 0.5f;
    }
    save_weights(a, w);
    network *b = parse_network_cfg(cfg);
    load_weights(b, w);
    check_same_params("flipped round trip", a, b);
    /* the file order: filter k's weight j is at j*n + k (the loader's transpose) */
    FILE *f = fopen(w, "rb");
    layer l = a->layers[0];
    float x[6*2*9];
    CHECK(f && fseek(f, 20 + 6*4, SEEK_SET) == 0 && fread(x, sizeof(float), 6*2*9, f) == 6*2*9,
          "cannot read the flipped layer's record");
    for(i = 0; i < l.n; ++i){
        for(j = 0; j < 2*9; ++j){
            CHECK(x[j*l.n + i] == l.weights[i*18 + j], "flipped file order: filter %d weight %d", i, j);
        }
    }
    if(f) fclose(f);
    free_network(a);
    free_network(b);
}

static void test_fp_to_ttq(void)
{
    char w[300];
    snprintf(w, sizeof w, "%s/fp.weights", dir);
    srand(4);
    network *c = parse_network_cfg(path_c);
    int i, j;
    for(i = 0; i < c->n; ++i){
        layer *l = &c->layers[i];
        if(l->type != CONVOLUTIONAL) continue;
        for(j = 0; j < l->nweights; ++j) l->weights[j] = (float)rand()/RAND_MAX - 0.5f;
        for(j = 0; j < l->n; ++j) l->biases[j] = 0.01f*j;
    }
    save_weights(c, w);
    srand(5);
    network *t = parse_network_cfg(path_t);
    load_weights(t, w);
    for(i = 0; i < c->n; ++i){
        layer *x = &c->layers[i], *y = &t->layers[i];
        if(x->type != CONVOLUTIONAL) continue;
        CHECK(same(x->weights, y->weights, x->nweights) && same(x->biases, y->biases, x->n),
              "FP->TTQ: layer %d latent weights/biases are not the FP ones", i);
    }
    CHECK(t->layers[1].type == TERNARY && t->layers[1].wp[0] == 0.5f && t->layers[1].wn[0] == 2.f,
          "FP->TTQ: cfg wp=0.5 wn=2 not kept: %g %g", t->layers[1].wp[0], t->layers[1].wn[0]);
    CHECK(t->layers[2].wp[0] == 1.f && t->layers[2].wn[0] == 1.f,
          "FP->TTQ: default Wp = Wn = 1 expected, got %g %g", t->layers[2].wp[0], t->layers[2].wn[0]);
    /* and the fine-tuned net trains from there */
    data d = random_data(t, 6);
    float loss = train_network(t, d);
    CHECK(loss == loss && loss > 0, "FP->TTQ training step loss %g", loss);
    free_data(d);
    free_network(c);
    free_network(t);
}

/* ---- error cases, each in a child process ---- */
typedef struct { const char *cfg; const char *weights; } child_args;

static void child_load(void *p)
{
    child_args *a = p;
    network *n = parse_network_cfg((char *)a->cfg);
    load_weights(n, (char *)a->weights);
    exit(0);
}

static void child_save(void *p)
{
    child_args *a = p;
    network *n = parse_network_cfg((char *)a->cfg);
    save_weights(n, (char *)a->weights);
    exit(0);
}

/* the same on a "full disk": no file may grow past 300 bytes (write fails with EFBIG) */
static void child_save_full(void *p)
{
    struct rlimit r = {300, 300};
    signal(SIGXFSZ, SIG_IGN);
    if(setrlimit(RLIMIT_FSIZE, &r) != 0) exit(3);
    child_save(p);
}

/* 1 when dir holds a name starting "keep.weights." (a temporary left behind) */
static int temporaries_left(const char *d)
{
    DIR *dp = opendir(d);
    struct dirent *e;
    int found = 0;
    while(dp && (e = readdir(dp))) found |= !strncmp(e->d_name, "keep.weights.", 13);
    if(dp) closedir(dp);
    return found;
}

/* saves a network whose layer `poison_layer` holds a NaN (latent weight) or, for layer 0, an
   infinite rolling variance */
static int poison_layer;
static void child_save_poisoned(void *p)
{
    child_args *a = p;
    network *n = parse_network_cfg((char *)a->cfg);
    layer l = n->layers[poison_layer];
    if(poison_layer == 0) l.rolling_variance[2] = INFINITY;
    else l.weights[5] = NAN;
    save_weights(n, (char *)a->weights);
    exit(0);
}

static long fsize(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void copy_prefix(const char *src, const char *dst, long n, const void *extra, size_t extra_n, long patch_at, const void *patch, size_t patch_n)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    long i;
    int ch;
    for(i = 0; i < n && (ch = fgetc(in)) != EOF; ++i){
        if(patch && i >= patch_at && i < patch_at + (long)patch_n) ch = ((const unsigned char *)patch)[i - patch_at];
        fputc(ch, out);
    }
    if(extra) fwrite(extra, 1, extra_n, out);
    fclose(in);
    fclose(out);
}

static void expect_error(const char *name, const char *cfg, const char *weights, const char *needle,
                         void (*fn)(void *))
{
    char buf[8192];
    child_args a = {cfg, weights};
    int rc = t_run_child(fn, &a, buf, sizeof buf);
    CHECK(rc != 0, "%s: exit status 0, expected an error", name);
    CHECK(strstr(buf, needle) != 0, "%s: message lacks '%s':\n%s", name, needle, buf);
    CHECK(strstr(buf, weights) != 0 || strstr(buf, "tmp") != 0, "%s: message does not name the file:\n%s", name, buf);
    t_log("%s -> rc %d: %s", name, rc, strrchr(buf, '\n') ? buf : buf);
}

static void test_errors(void)
{
    char good[300], bad[300];
    snprintf(good, sizeof good, "%s/good.weights", dir);
    snprintf(bad, sizeof bad, "%s/bad.weights", dir);
    srand(7);
    network *n = parse_network_cfg(path_t);
    save_weights(n, good);
    long size = fsize(good);
    /* layer 0 record: biases, scales, mean, variance (6 each) + 162 weights */
    long layer0_end = 20 + (4*6 + 162)*4;

    copy_prefix(good, bad, size - 10, 0, 0, -1, 0, 0);
    expect_error("truncated", path_t, bad, "truncated", child_load);
    copy_prefix(good, bad, layer0_end + 7, 0, 0, -1, 0, 0);
    expect_error("truncated in layer 1", path_t, bad, "layer 1", child_load);
    copy_prefix(good, bad, 6, 0, 0, -1, 0, 0);
    expect_error("short header", path_t, bad, "too short", child_load);
    copy_prefix(good, bad, size, "12345678", 8, -1, 0, 0);
    expect_error("trailing data", path_t, bad, "left over", child_load);
    unsigned nan_bits = 0x7FC00000u;
    copy_prefix(good, bad, size, 0, 0, 20 + 4*30, &nan_bits, 4);
    expect_error("NaN in a record", path_t, bad, "corrupt", child_load);
    float neg = -1;
    copy_prefix(good, bad, size, 0, 0, size - 8, &neg, 4);
    expect_error("negative Wp", path_t, bad, "Wp/Wn", child_load);
    expect_error("TTQ file into a [convolutional] cfg", path_c, good, "make that section [ternary]", child_load);
    expect_error("missing file", path_t, "/nonexistent/ttq.weights", "Couldn't open", child_load);
    /* a version field near INT_MIN: major*10 overflowed (patch 0427) */
    int version[3] = {-1560281088, 2, 0};
    copy_prefix(good, bad, size, 0, 0, 0, version, sizeof version);
    expect_error("negative header version", path_t, bad, "is not a Darknet weights version", child_load);

    /* a partial file that ends between records (like darknet53.conv.74) still loads */
    save_weights_upto(n, bad, 1);
    char buf[4096];
    child_args la = {path_t, bad};
    int rc = t_run_child(child_load, &la, buf, sizeof buf);
    CHECK(rc == 0, "partial file (layer 0 only) should load; rc %d:\n%s", rc, buf);

    /* a save that cannot complete leaves the old file untouched and no temporary; a folder or a
       link at the old temporary name NAME.tmp is not written through (patch 0529) */
    char target[300], tmpdir[310], victim[310];
    snprintf(target, sizeof target, "%s/keep.weights", dir);
    t_write_file(target, "previous backup");
    expect_error("save on a full disk", path_t, target, "keep.weights: error writing weights: File too large",
                 child_save_full);
    CHECK(fsize(target) == (long)strlen("previous backup"), "failed save damaged the previous file");
    CHECK(!temporaries_left(dir), "a failed save left a temporary beside %s", target);
    snprintf(tmpdir, sizeof tmpdir, "%s.tmp", target);
    snprintf(victim, sizeof victim, "%s/victim", dir);
    t_write_file(victim, "not yours");
    CHECK(symlink(victim, tmpdir) == 0, "symlink %s", tmpdir);
    child_args sa = {path_t, target};
    char sbuf[4096];
    CHECK(t_run_child(child_save, &sa, sbuf, sizeof sbuf) == 0, "save beside a link named NAME.tmp failed:\n%s", sbuf);
    CHECK(fsize(victim) == (long)strlen("not yours"), "the save wrote through the link %s", tmpdir);
    CHECK(fsize(target) > 1000, "the save beside a link did not replace %s", target);
    unlink(tmpdir);
    t_write_file(target, "previous backup");

    /* weights holding NaN or Inf are not saved, and the previous file stays (patch 0510) */
    int k;
    for(k = 0; k < 2; ++k){
        poison_layer = k;
        expect_error(k ? "NaN latent weight saved" : "infinite variance saved", path_t, target,
                     k ? "not saved: layer 1 (ternary) holds NaN or Inf" : "not saved: layer 0 (convolutional) holds NaN or Inf",
                     child_save_poisoned);
        CHECK(fsize(target) == (long)strlen("previous backup"), "refused save damaged the previous file");
        CHECK(!temporaries_left(dir), "a refused save left a temporary beside %s", target);
    }
    free_network(n);
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    if(!mkdtemp(dir)){ perror("mkdtemp"); return 2; }
    write_cfgs();
    test_round_trip_and_resume();
    test_fp_to_ttq();
    test_flipped();
    test_errors();
    test_per_filter();
    t_done_with_dir(dir);
    return t_finish();
}
