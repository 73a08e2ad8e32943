/* `darknet ternary pack` and the packed [ternary] record (src/ternary_layer.c, ttq_pack_ref): the
 * packed file has the size the format gives (five weights to a byte), loads to latent codes
 * +1/0/-1 whose ternarisation is bit for bit the saved ternary weights (threshold and sparsity
 * modes, groups, stride 2, 1x1, flipped, without batch norm), with the same Wp/Wn, biases, batch
 * norm and full-precision layers, so the same outputs; it folds, and re-saves as an ordinary file;
 * corrupt, truncated or mismatched packed files are errors naming the file and layer. */
#include "testutil.h"

#include <stdint.h>
#include <sys/stat.h>

#include "darknet.h"
#include "check_weights.h"
#include "ternary_layer.h"
#include "ternary_tool.h"
#include "netrand.h"
#include "ttq.h"

static char dir[] = "/tmp/ttq-pack-XXXXXX";
static char cfg[300], wts[300], packed[300];

static const char *mix_cfg =
    "[net]\nbatch=2\nheight=12\nwidth=12\nchannels=3\n\n"
    "[convolutional]\nfilters=8\nsize=3\nstride=1\npad=1\nbatch_normalize=1\nactivation=leaky\n\n"
    "[ternary]\nfilters=8\nsize=3\nstride=1\npad=1\nbatch_normalize=1\nactivation=relu\nthreshold=0.1\n\n"
    "[ternary]\nfilters=16\nsize=3\nstride=2\npad=1\ngroups=2\nbatch_normalize=1\nactivation=leaky\nsparsity=0.4\n\n"
    "[ternary]\nfilters=16\nsize=1\nstride=1\nflipped=1\nactivation=linear\n\n"
    "[shortcut]\nfrom=-3\nactivation=relu\n\n"
    "[ternary]\nfilters=10\nsize=3\nstride=1\npad=1\nbatch_normalize=1\nactivation=leaky\n\n"
    "[avgpool]\n\n[connected]\noutput=5\nactivation=linear\n\n[softmax]\n";

static long fsize(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void same_outputs(const char *what, network *a, network *b)
{
    int na, nb, k;
    for(k = 0; k < 2; ++k){
        float *ya = netrand_output(a, 77, k, &na), *yb = netrand_output(b, 77, k, &nb);
        CHECK(na == nb && !memcmp(ya, yb, na*sizeof(float)), "%s: outputs %s differ", what,
              k ? "before the softmax" : "of the softmax");
        free(ya);
        free(yb);
    }
}

/* byte offset of the first packed record in the file (its tag's bytes) */
static long first_packed(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint32_t t;
    long pos;
    for(pos = 20; f && fseek(f, pos, SEEK_SET) == 0 && fread(&t, 4, 1, f) == 1; pos += 4){
        if(t == TTQ_PACKED_TAG){ fclose(f); return pos; }
    }
    if(f) fclose(f);
    return -1;
}

static void test_pack_mix(void)
{
    t_write_file(cfg, mix_cfg);
    network *net = parse_network_cfg(cfg);
    netrand_seed(3);
    netrand_weights(net);
    save_weights(net, wts);
    free_network(net);

    int nt = ternary_pack(cfg, wts, packed);
    CHECK(nt == 4, "packed %d layers, expected 4", nt);

    network *a = load_network(cfg, wts, 0);
    network *b = load_network(cfg, packed, 0);
    long want = 20;
    int i, j;
    for(i = 0; i < a->n; ++i){
        layer la = a->layers[i], lb = b->layers[i];
        if(la.type == CONVOLUTIONAL){
            want += 4L*(la.n*(la.batch_normalize ? 4 : 1) + la.nweights);
            CHECK(!memcmp(la.weights, lb.weights, la.nweights*4), "layer %d: FP weights", i);
        }
        if(la.type == CONNECTED){
            want += 4L*(la.outputs + la.inputs*la.outputs);
            CHECK(!memcmp(la.weights, lb.weights, la.inputs*la.outputs*4) &&
                  !memcmp(la.biases, lb.biases, la.outputs*4), "layer %d: connected weights", i);
        }
        if(la.type != TERNARY) continue;
        want += 16 + 8*la.ttq_nscales + 4L*la.n*(la.batch_normalize ? 4 : 1) + (long)ttq_packed_size(la.nweights);
        int bad = 0;
        for(j = 0; j < lb.nweights; ++j) bad += !(lb.weights[j] == 1 || lb.weights[j] == 0 || lb.weights[j] == -1);
        CHECK(bad == 0, "layer %d: %d latent weights not +1/0/-1 after loading the packed file", i, bad);
        ternarize_ternary_layer(la);
        ternarize_ternary_layer(lb);
        CHECK(!memcmp(la.ternary_weights, lb.ternary_weights, la.nweights*4),
              "layer %d: ternary weights differ after packing", i);
        CHECK(la.wp[0] == lb.wp[0] && la.wn[0] == lb.wn[0], "layer %d: Wp/Wn", i);
        CHECK(!memcmp(la.biases, lb.biases, la.n*4), "layer %d: biases", i);
        if(la.batch_normalize){
            CHECK(!memcmp(la.scales, lb.scales, la.n*4) && !memcmp(la.rolling_mean, lb.rolling_mean, la.n*4) &&
                  !memcmp(la.rolling_variance, lb.rolling_variance, la.n*4), "layer %d: batch norm", i);
        }
    }
    CHECK(fsize(packed) == want, "packed file: %ld bytes, the format gives %ld", fsize(packed), want);
    same_outputs("packed", a, b);

    /* a packed file folds, and a network loaded from it saves as an ordinary file */
    char fc[300], fw[300], resaved[300];
    snprintf(fc, sizeof fc, "%s/f.cfg", dir);
    snprintf(fw, sizeof fw, "%s/f.weights", dir);
    snprintf(resaved, sizeof resaved, "%s/resaved.weights", dir);
    CHECK(ternary_fold(cfg, packed, fc, fw) == 4, "fold of the packed file");
    network *f = load_network(fc, fw, 0);
    same_outputs("folded from packed", a, f);
    free_network(f);
    save_weights(b, resaved);
    network *c = load_network(cfg, resaved, 0);
    same_outputs("packed, re-saved", a, c);
    CHECK(first_packed(resaved) < 0, "a network loaded from a packed file saved packed records");
    free_network(a);
    free_network(b);
    free_network(c);
}

typedef struct { const char *c, *w; } pload_args;
static void child_load(void *p)
{
    pload_args *a = p;
    network *n = load_network((char *)a->c, (char *)a->w, 0);
    free_network(n);
    exit(0);
}
typedef struct { const char *c, *w, *o; } pack_args;
static void child_pack(void *p)
{
    pack_args *a = p;
    ternary_pack(a->c, a->w, a->o);
    exit(0);
}

static void expect(const char *what, int rc, const char *buf, const char *needle)
{
    CHECK(rc == 1, "%s: exit %d, expected 1 (%s)", what, rc, buf);
    CHECK(strstr(buf, needle) != 0, "%s: message lacks '%s': %s", what, needle, buf);
}

/* a copy of the packed file with `n` bytes at `at` replaced (or cut there when bytes == 0) */
static void variant(const char *dst, long at, const void *bytes, size_t n)
{
    FILE *in = fopen(packed, "rb"), *out = fopen(dst, "wb");
    int ch;
    long pos = 0;
    while((ch = fgetc(in)) != EOF){
        if(!bytes && pos == at) break;
        if(bytes && pos >= at && pos < at + (long)n) ch = ((const unsigned char *)bytes)[pos - at];
        fputc(ch, out);
        ++pos;
    }
    fclose(in);
    fclose(out);
}

static void test_errors(void)
{
    char buf[8192], v[300], asconv[300], out[300];
    snprintf(v, sizeof v, "%s/v.weights", dir);
    snprintf(asconv, sizeof asconv, "%s/asconv.cfg", dir);
    snprintf(out, sizeof out, "%s/never.weights", dir);
    long p = first_packed(packed);  /* layer 1: 8 filters, batch norm, k = 1 */
    CHECK(p > 20, "no packed record found");
    long codes = p + 16 + 8 + 4*8*4;
    int rc;

    unsigned char bad = 250;
    variant(v, codes + 3, &bad, 1);
    rc = t_run_child(child_load, &(pload_args){cfg, v}, buf, sizeof buf);
    expect("invalid code byte", rc, buf, "layer 1 (ternary): corrupt packed TTQ record: byte 3 of the weight codes");
    variant(v, codes + 10, 0, 0);
    rc = t_run_child(child_load, &(pload_args){cfg, v}, buf, sizeof buf);
    expect("cut inside the codes", rc, buf, "truncated inside the packed TTQ record");
    int32_t version = 9;
    variant(v, p + 4, &version, 4);
    rc = t_run_child(child_load, &(pload_args){cfg, v}, buf, sizeof buf);
    expect("unknown version", rc, buf, "unknown version");
    int32_t count = 575;
    variant(v, p + 12, &count, 4);
    rc = t_run_child(child_load, &(pload_args){cfg, v}, buf, sizeof buf);
    expect("weight count", rc, buf, "holds 575 weights, the cfg's layer has 576");
    float wp = -1;
    variant(v, p + 16, &wp, 4);
    rc = t_run_child(child_load, &(pload_args){cfg, v}, buf, sizeof buf);
    expect("negative Wp", rc, buf, "Wp/Wn must be finite and > 0");

    /* the cfg with the packed layer as [convolutional] */
    const char *second = strstr(mix_cfg, "[ternary]");
    char text[4096];
    snprintf(text, sizeof text, "%.*s[convolutional]%s", (int)(second - mix_cfg), mix_cfg, second + 9);
    t_write_file(asconv, text);
    rc = t_run_child(child_load, &(pload_args){asconv, packed}, buf, sizeof buf);
    expect("packed record, [convolutional] section", rc, buf, "layer 1 (convolutional): the file holds a packed [ternary] record");

    /* the cfg with layer 1 without batch norm: the packed record does not say whether it holds batch
       norm, so the codes are read at the wrong offset; the message names that cause, not only a cut */
    const char *bn = strstr(second, "batch_normalize=1\n");
    snprintf(text, sizeof text, "%.*s%s", (int)(bn - mix_cfg), mix_cfg, bn + strlen("batch_normalize=1\n"));
    t_write_file(asconv, text);
    rc = t_run_child(child_load, &(pload_args){asconv, packed}, buf, sizeof buf);
    expect("packed with batch norm, cfg without", rc, buf,
           "layer 1 (ternary): corrupt packed TTQ record: byte");
    CHECK(strstr(buf, "or the file was packed from a cfg with batch_normalize=1 in this layer") != 0,
          "packed with batch norm, cfg without: the message does not name batch_normalize: %s", buf);

    /* the cfg with other [ternary] options than the packing cfg's (issue 27): layer 2 was packed with
       sparsity=0.4; sparsity=0.7 would zero saved weights (refused, naming the option), sparsity=0.2
       and threshold mode give the same ternary weights (accepted, the same outputs) */
    const char *sp = strstr(mix_cfg, "sparsity=0.4\n");
    const char *alts[] = {"sparsity=0.7\n", "sparsity=0.2\n", "threshold=0.3\n"};
    int a;
    for(a = 0; a < 3; ++a){
        snprintf(text, sizeof text, "%.*s%s%s", (int)(sp - mix_cfg), mix_cfg, alts[a], sp + strlen("sparsity=0.4\n"));
        t_write_file(asconv, text);
        rc = t_run_child(child_load, &(pload_args){asconv, packed}, buf, sizeof buf);
        if(a == 0){
            expect("packed with sparsity=0.4, cfg sparsity=0.7", rc, buf,
                   "layer 2 (ternary): the cfg's [ternary] options (sparsity=0.7) do not give the packed record's "
                   "ternary weights back");
        }else{
            CHECK(rc == 0, "packed with sparsity=0.4, cfg %.*s: an equivalent cfg was refused: %s",
                  (int)strlen(alts[a]) - 1, alts[a], buf);
            network *pa = load_network(cfg, packed, 0), *pb = load_network(asconv, packed, 0);
            set_batch_network(pa, 1);
            set_batch_network(pb, 1);
            float *x = netrand_input(pa, 11);
            float ya[5], yb[5];
            memcpy(ya, network_predict(pa, x), sizeof ya);
            memcpy(yb, network_predict(pb, x), sizeof yb);
            CHECK(!memcmp(ya, yb, sizeof ya), "packed with sparsity=0.4, cfg %.*s: other outputs",
                  (int)strlen(alts[a]) - 1, alts[a]);
            free(x);
            free_network(pa);
            free_network(pb);
        }
    }

    /* a weights file that is a header only: a note that no layer was loaded (not "layers 0..-1") */
    FILE *h = fopen(v, "wb");
    int32_t head[3] = {0, 2, 0};
    uint64_t seen = 0;
    fwrite(head, 4, 3, h);
    fwrite(&seen, 8, 1, h);
    fclose(h);
    rc = t_run_child(child_load, &(pload_args){cfg, v}, buf, sizeof buf);
    CHECK(rc == 0 && strstr(buf, "holds no layer's weights") && !strstr(buf, "0..-1"),
          "a header-only weights file: exit %d, %s", rc, buf);

    rc = t_run_child(child_pack, &(pack_args){cfg, wts, wts}, buf, sizeof buf);
    expect("pack onto its input", rc, buf, "must be a new file");
    rc = t_run_child(child_pack, &(pack_args){cfg, wts, cfg}, buf, sizeof buf);
    expect("pack onto its cfg", rc, buf, "must be a new file");
    CHECK(fsize(out) < 0, "a failed pack wrote a file");
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    if(!mkdtemp(dir)){ perror("mkdtemp"); return 2; }
    snprintf(cfg, sizeof cfg, "%s/t.cfg", dir);
    snprintf(wts, sizeof wts, "%s/t.weights", dir);
    snprintf(packed, sizeof packed, "%s/t.packed.weights", dir);
    test_pack_mix();
    test_errors();
    t_done_with_dir(dir);
    return t_finish();
}
