/* libFuzzer harness: the weights loader. The input is a .weights file; load_weights reads it into
 * a fixed small network (CFG below: a [convolutional] layer, per-layer, per-filter and flipped,
 * grouped [ternary] layers, a [connected] layer), rebuilt for each input so that every input meets
 * the same network. All record kinds are reachable: plain [convolutional] records (also as FP
 * records into the [ternary] layers), TTQ trailers, packed records (src/ternary_layer.c,
 * src/check_weights.c, docs/formats.md).
 *
 * TTQ_FUZZ_MAKE_SEEDS=DIR ./fuzz_weights writes the seeds into DIR and exits: the network's own
 * weights (ttq.weights), the same packed (packed.weights, `ternary pack`), FP weights from its
 * twin with [convolutional] for [ternary] (fp.weights), and a partial file. */
#include "fuzz.h"
#include "darknet.h"
#include "ternary_tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char CFG[] =
    "[net]\nbatch=1\nsubdivisions=1\nwidth=6\nheight=6\nchannels=3\n\n"
    "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=1\npad=1\nactivation=leaky\n\n"
    "[ternary]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=1\npad=1\nactivation=leaky\n\n"
    "[ternary]\nfilters=4\nsize=3\nstride=2\npad=1\ngroups=2\nflipped=1\nbatch_normalize=1\nactivation=leaky\n\n"
    "[ternary]\nfilters=3\nsize=1\nstride=1\nper_filter=1\nsparsity=0.3\nactivation=linear\n\n"
    "[connected]\noutput=2\nactivation=linear\n\n"
    "[softmax]\n";

static void load(void *path)
{
    network *net = parse_network_cfg((char *)fuzz_path("net.cfg"));
    load_weights(net, (char *)path);
    free_network(net);
}

/* The cfg with every [ternary] made [convolutional] and the TTQ-only keys dropped. */
static void write_fp_twin(const char *path)
{
    char buf[sizeof CFG + 64], *p;
    const char *s = CFG;
    p = buf;
    while(*s){
        const char *e = strchr(s, '\n');
        size_t n = (size_t)(e - s) + 1;
        if(!strncmp(s, "[ternary]", 9)){
            p += sprintf(p, "[convolutional]\n");
        }else if(strncmp(s, "per_filter=", 11) && strncmp(s, "sparsity=", 9)){
            memcpy(p, s, n);
            p += n;
        }
        s += n;
    }
    *p = 0;
    FILE *f = fopen(path, "w");
    if(!f || fputs(buf, f) < 0 || fclose(f)){
        perror(path);
        exit(1);
    }
}

static void make_seeds(const char *dir)
{
    char cfg[4096], fpcfg[4096], out[4096];
    snprintf(cfg, sizeof cfg, "%s", fuzz_path("net.cfg"));
    snprintf(fpcfg, sizeof fpcfg, "%s", fuzz_path("fp.cfg"));
    write_fp_twin(fpcfg);

    network *net = parse_network_cfg(cfg);
    snprintf(out, sizeof out, "%s/ttq.weights", dir);
    save_weights(net, out);
    save_weights_upto(net, (char *)fuzz_path("partial.weights"), 2);
    free_network(net);
    snprintf(out, sizeof out, "%s/partial.weights", dir);
    rename(fuzz_path("partial.weights"), out);

    char ttq[4096];
    snprintf(ttq, sizeof ttq, "%s/ttq.weights", dir);
    snprintf(out, sizeof out, "%s/packed.weights", dir);
    ternary_pack(cfg, ttq, out);

    net = parse_network_cfg(fpcfg);
    snprintf(out, sizeof out, "%s/fp.weights", dir);
    save_weights(net, out);
    free_network(net);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_write("net.cfg", (const uint8_t *)CFG, sizeof CFG - 1);
    const char *seeds = getenv("TTQ_FUZZ_MAKE_SEEDS");
    if(seeds){
        make_seeds(seeds);
        exit(0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write("in.weights", data, size);
    fuzz_guard(load, (void *)fuzz_path("in.weights"));
    return 0;
}
