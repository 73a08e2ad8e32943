/* libFuzzer harness: the optimiser state reader. The input is a `.state` file (src/ttq_state.c,
 * docs/formats.md): written as "<scratch>/w.weights.state" beside the fixed weights file
 * "<scratch>/w.weights", which the harness saves once at start-up for its fixed network (CFG below:
 * momentum and adam=1, so that every array kind exists: [convolutional] with batch norm, [ternary]
 * per-layer and per_filter=1, [batchnorm], [connected], and layers without state), after two
 * training steps from srand(1), so the same bytes in every process; ttq_state_load then reads it
 * into the network parsed and loaded from that pair (as `classifier train` does on a resume).
 *
 * An input whose last 8 bytes are not the FNV-1a hash of the bytes before them (nearly every
 * mutation) is read with the hash made right, so that the fuzzer's mutations reach the header,
 * layer and array checks behind it rather than only the hash; one in 16 of them (by the hash's
 * value) is also read as it is, which the reader refuses at the hash.
 *
 * ttq_state_load refuses a file larger than the network's state can be after open() and before
 * fdopen(): an exit there leaves a descriptor that fuzz.c does not track (it tracks FILEs); the
 * harness closes it (the lowest free descriptor before the call is the one open() returned).
 *
 * TTQ_FUZZ_MAKE_SEEDS=DIR ./fuzz_state writes the seeds into DIR and exits: the state that
 * ttq_state_save writes for those weights (real.state), the same cut in the middle with the
 * stale hash (truncated.state) and cut inside a layer's record with the hash made right
 * (truncated-rehashed.state), and the same state as version 1 (version1.state: no weights digest,
 * rehashed), derived from the real one so that every seed follows the format as it changes. */
#include "fuzz.h"
#include "darknet.h"
#include "ttq_state.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char CFG[] =
    "[net]\nbatch=2\nsubdivisions=1\nwidth=6\nheight=6\nchannels=3\nlearning_rate=0.01\nmomentum=0.9\n"
    "decay=0.0005\nadam=1\n\n"
    "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=1\npad=1\nactivation=leaky\n\n"
    "[ternary]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=2\npad=1\nactivation=leaky\n\n"
    "[batchnorm]\n\n"
    "[ternary]\nfilters=3\nsize=1\nstride=1\nper_filter=1\nactivation=linear\n\n"
    "[maxpool]\nsize=3\nstride=3\n\n"
    "[connected]\noutput=2\nactivation=linear\n\n"
    "[softmax]\n";

static char cfg[4096], weights[4096], state[4096];

static void load(void *unused)
{
    network *net = parse_network_cfg(cfg);
    load_weights(net, weights);
    ttq_state_load(net, weights);
    free_network(net);
}

/* FNV-1a, 64 bits, as src/ttq_state.c */
static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i;
    for(i = 0; i < n; ++i){
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void run(const uint8_t *data, size_t size)
{
    int fd = dup(0);           /* the lowest free descriptor: the one ttq_state_load's open() gets */
    if(fd >= 0) close(fd);
    fuzz_write("w.weights.state", data, size);
    fuzz_guard(load, 0);
    if(fd >= 0 && fcntl(fd, F_GETFD) != -1) close(fd);
}

/* The fixed network after two training steps (from srand(1): the same values in every process),
 * its weights saved to `weights`; returned for make_seeds. */
static network *trained(void)
{
    int k, i;
    srand(1);
    network *net = parse_network_cfg(cfg);
    for(k = 0; k < 2; ++k){
        for(i = 0; i < net->inputs*net->batch; ++i) net->input[i] = (float)((i*37 + k*11) % 256)/255.0f;
        for(i = 0; i < net->truths*net->batch; ++i) net->truth[i] = i % net->truths == (i/net->truths + k) % net->truths;
        train_network_datum(net);
    }
    save_weights(net, weights);
    return net;
}

/* ---- seeds ----------------------------------------------------------------------------------- */
static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if(!f || fseek(f, 0, SEEK_END)) goto fail;
    long m = ftell(f);
    if(m < 0 || fseek(f, 0, SEEK_SET)) goto fail;
    uint8_t *p = malloc(m + 1);
    if(!p || fread(p, 1, m, f) != (size_t)m) goto fail;
    fclose(f);
    *n = (size_t)m;
    return p;
fail:
    perror(path);
    abort();
}

static void put_seed(const char *dir, const char *name, const uint8_t *p, size_t n, int rehash)
{
    char path[4096];
    uint8_t *q = malloc(n + 8);
    memcpy(q, p, n);
    if(rehash){
        uint64_t h = fnv1a(q, n);
        memcpy(q + n, &h, 8);
        n += 8;
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if(!f || fwrite(q, 1, n, f) != n || fclose(f)){
        perror(path);
        abort();
    }
    free(q);
}

/* The header's length for the file's version (docs/formats.md): tag, version, layers, t, seen
 * (24 bytes), the weights digest (version 2: 32), the seed and thread count (version 3: 40). */
static size_t head_bytes(int32_t version)
{
    return version == 1 ? 24 : version == 2 ? 32 : version == 3 ? 40 : 0;
}

static void make_seeds(const char *dir)
{
    network *net = trained();
    ttq_state_save(net, weights);
    free_network(net);
    size_t n;
    uint8_t *s = read_all(state, &n);
    int32_t version;
    memcpy(&version, s + 4, 4);
    size_t head = head_bytes(version);
    if(n < head + 8 || !head){
        fprintf(stderr, "fuzz_state: the state file has a version (%d) this harness does not know\n", (int)version);
        abort();
    }
    put_seed(dir, "real.state", s, n, 0);
    put_seed(dir, "truncated.state", s, n/2, 0);
    /* a third of the way through the layers' records, the hash made right */
    put_seed(dir, "truncated-rehashed.state", s, head + (n - 8 - head)/3, 1);
    if(version > 1){
        uint8_t *v1 = malloc(n);
        int32_t one = 1;
        memcpy(v1, s, 24);
        memcpy(v1 + 4, &one, 4);
        memcpy(v1 + 24, s + head, n - 8 - head);
        put_seed(dir, "version1.state", v1, 24 + (n - 8 - head), 1);
        free(v1);
    }
    free(s);

    /* the real seed loads */
    char path[4096];
    snprintf(path, sizeof path, "%s/real.state", dir);
    s = read_all(path, &n);
    net = parse_network_cfg(cfg);
    load_weights(net, weights);
    fuzz_write("w.weights.state", s, n);
    if(ttq_state_load(net, weights) != 1) abort();
    free_network(net);
    free(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_write("net.cfg", (const uint8_t *)CFG, sizeof CFG - 1);
    snprintf(cfg, sizeof cfg, "%s", fuzz_path("net.cfg"));
    snprintf(weights, sizeof weights, "%s", fuzz_path("w.weights"));
    snprintf(state, sizeof state, "%s", fuzz_path("w.weights.state"));
    const char *seeds = getenv("TTQ_FUZZ_MAKE_SEEDS");
    if(seeds){
        make_seeds(seeds);
        exit(0);
    }
    free_network(trained());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t h = 0, had = 0;
    if(size >= 8){
        h = fnv1a(data, size - 8);
        memcpy(&had, data + size - 8, 8);
    }
    if(size < 8 || h == had || h % 16 == 0) run(data, size);
    if(size >= 8 && h != had){
        uint8_t *fixed = malloc(size);
        memcpy(fixed, data, size - 8);
        memcpy(fixed + size - 8, &h, 8);
        run(fixed, size);
        free(fixed);
    }
    return 0;
}
