/* Exact resume (ttq_state.h): the optimiser state beside each weights file training saves, and
 * the seeded data order of -seed. Darknet's weights files hold the parameters and the images seen;
 * the momentum SGD keeps in *_updates (after an update they hold momentum times the step), Adam's
 * moments m and v and its step count t were lost at each save, so a resumed run restarted them at
 * zero. This file saves them and reads them back. */
#include "ttq_state.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "check_cfg.h"
#include "check_error.h"
#include "cuda.h"
#include "data.h"
#include "network.h"
#include "output_file.h"

#define STATE_TAG "TTQS"
#define STATE_VERSION 3         /* 3: + -seed and threads; 2: + the weights file's digest; 1: neither */
#define STATE_HEAD_BYTES 40     /* tag, version, layers, t, seen, weights digest, seed, threads */
#define STATE_HEAD_BYTES_V2 32
#define STATE_HEAD_BYTES_V1 24

static int run_seed = -1;

void ttq_state_set_seed(int seed)
{
    run_seed = seed < 0 ? -1 : seed;
}

/* The threads the CPU kernels use (OpenMP's count; 1 in a build without OpenMP). */
static int run_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static const char *kind_names[TTQ_STATE_KINDS] = {
    "?", "weight updates (momentum)", "bias updates (momentum)", "scale updates (momentum)",
    "Adam m", "Adam v", "bias Adam m", "bias Adam v", "scale Adam m", "scale Adam v",
    "Wp updates (momentum)", "Wn updates (momentum)", "Wp Adam m", "Wp Adam v", "Wn Adam m", "Wn Adam v"
};

/* One array of optimiser state: its kind, host copy, device copy (GPU builds), and length. */
typedef struct {
    int kind;
    float *cpu;
    float *gpu;
    int n;
} state_array;

static int add(state_array *a, int k, int kind, float *cpu, float *gpu, int n)
{
    if(!cpu && !gpu) return k;
    a[k].kind = kind;
    a[k].cpu = cpu;
    a[k].gpu = gpu;
    a[k].n = n;
    return k + 1;
}

#ifdef GPU
#define DEV(l, f) ((l)->f##_gpu)
#else
#define DEV(l, f) ((float *)0)
#endif

/* The optimiser state layer l keeps, in kind order; the number of arrays. Layers whose update
 * keeps no state (or none of those listed) have none; *covered is 0 for a layer that updates
 * parameters this file does not know ([local], the recurrent layers). */
static int layer_arrays(layer *l, state_array *a, int *covered)
{
    int nw, nb, k = 0;
    *covered = 1;
    switch(l->type){
        case CONVOLUTIONAL: case TERNARY: case DECONVOLUTIONAL:
            nw = l->nweights; nb = l->n; break;
        case CONNECTED:
            nw = l->inputs*l->outputs; nb = l->outputs; break;
        case BATCHNORM:
            nw = 0; nb = l->c; break;
        default:
            *covered = !l->update;
            return 0;
    }
    if(nw) k = add(a, k, TTQ_STATE_WEIGHT_UPDATES, l->weight_updates, DEV(l, weight_updates), nw);
    k = add(a, k, TTQ_STATE_BIAS_UPDATES, l->bias_updates, DEV(l, bias_updates), nb);
    k = add(a, k, TTQ_STATE_SCALE_UPDATES, l->scale_updates, DEV(l, scale_updates), nb);
    if(nw){
        k = add(a, k, TTQ_STATE_M, l->m, DEV(l, m), nw);
        k = add(a, k, TTQ_STATE_V, l->v, DEV(l, v), nw);
    }
    k = add(a, k, TTQ_STATE_BIAS_M, l->bias_m, DEV(l, bias_m), nb);
    k = add(a, k, TTQ_STATE_BIAS_V, l->bias_v, DEV(l, bias_v), nb);
    k = add(a, k, TTQ_STATE_SCALE_M, l->scale_m, DEV(l, scale_m), nb);
    k = add(a, k, TTQ_STATE_SCALE_V, l->scale_v, DEV(l, scale_v), nb);
    if(l->type == TERNARY){
        int s = l->ttq_nscales;
        k = add(a, k, TTQ_STATE_WP_UPDATES, l->wp_updates, DEV(l, wp_updates), s);
        k = add(a, k, TTQ_STATE_WN_UPDATES, l->wn_updates, DEV(l, wn_updates), s);
        k = add(a, k, TTQ_STATE_WP_M, l->wp_m, DEV(l, wp_m), s);
        k = add(a, k, TTQ_STATE_WP_V, l->wp_v, DEV(l, wp_v), s);
        k = add(a, k, TTQ_STATE_WN_M, l->wn_m, DEV(l, wn_m), s);
        k = add(a, k, TTQ_STATE_WN_V, l->wn_v, DEV(l, wn_v), s);
    }
    return k;
}

/* FNV-1a, 64 bits */
static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i;
    for(i = 0; i < n; ++i){
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* FNV-1a of the whole file at path, which is read in pieces; 0 (and errno set) when it cannot be
 * read. The state records the digest of the weights file it was saved beside. */
static int file_digest(const char *path, uint64_t *digest)
{
    FILE *f = fopen(path, "rb");
    if(!f) return 0;
    unsigned char chunk[65536];
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t got, i;
    while((got = fread(chunk, 1, sizeof chunk, f)) > 0){
        for(i = 0; i < got; ++i){
            h ^= chunk[i];
            h *= 0x100000001b3ULL;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if(bad) return 0;
    *digest = h;
    return 1;
}

/* A growing byte buffer: the file is built in memory, hashed, and written in one go. */
typedef struct {
    unsigned char *p;
    size_t n, cap;
} buf;

/* n more bytes at the end of b, to fill */
static void *reserve(buf *b, size_t n)
{
    if(b->n + n > b->cap){
        while(b->n + n > b->cap) b->cap = b->cap ? 2*b->cap : 4096;
        b->p = check_realloc(b->p, b->cap, 1, "the optimiser state");
    }
    b->n += n;
    return b->p + b->n - n;
}

static void put(buf *b, const void *p, size_t n)
{
    memcpy(reserve(b, n), p, n);
}

static void put_i32(buf *b, int32_t v) { put(b, &v, sizeof v); }

char *ttq_state_path(const char *weightfile)
{
    return check_cfg_path("%s.state", weightfile);
}

void ttq_state_save(network *net, const char *weightfile)
{
    static int warned = 0;
    state_array a[TTQ_STATE_KINDS];
    buf b = {0};
    int i, j;
#ifdef GPU
    if(net->gpu_index >= 0) cuda_set_device(net->gpu_index);
#endif
    put(&b, STATE_TAG, 4);
    put_i32(&b, STATE_VERSION);
    put_i32(&b, net->n);
    put_i32(&b, *net->t);
    uint64_t seen = *net->seen, wd = 0;
    put(&b, &seen, sizeof seen);
    if(!file_digest(weightfile, &wd)){
        check_file_error(weightfile, -1, 0, "cannot read the weights back for the optimiser state: %s", strerror(errno));
    }
    put(&b, &wd, sizeof wd);
    put_i32(&b, run_seed);
    put_i32(&b, run_threads());
    for(i = 0; i < net->n; ++i){
        layer *l = net->layers + i;
        int covered, k = layer_arrays(l, a, &covered);
        if(!covered && !warned){
            fprintf(stderr, "%s: layer %d (%s) keeps optimiser state that the state file does not hold: "
                    "a resume from it is not exact\n", weightfile, i, get_layer_string(l->type));
            warned = 1;
        }
        put_i32(&b, l->type);
        put_i32(&b, k);
        for(j = 0; j < k; ++j){
            put_i32(&b, a[j].kind);
            put_i32(&b, a[j].n);
            float *dst = reserve(&b, a[j].n*sizeof(float));
#ifdef GPU
            if(a[j].gpu && net->gpu_index >= 0) cuda_pull_array(a[j].gpu, dst, a[j].n);
            else
#endif
            memcpy(dst, a[j].cpu, a[j].n*sizeof(float));
        }
    }
    uint64_t h = fnv1a(b.p, b.n);
    put(&b, &h, sizeof h);

    char *path = ttq_state_path(weightfile);
    FILE *fp = output_open(path);
    fwrite(b.p, 1, b.n, fp);
    output_close(fp);
    fprintf(stderr, "Saving optimiser state to %s\n", path);
    free(path);
    free(b.p);
}

void ttq_state_check_names(const char *datacfg, const char *backup, const char *base)
{
    check_cfg_backup_file_names(datacfg, backup, base, ".weights.state.tmp.XXXXXX", "optimiser state file name");
}

/* A reader over the file's bytes; `end` excludes the hash. */
typedef struct {
    const unsigned char *p;
    size_t at, end;
} rd;

static int get(rd *r, void *dst, size_t n)
{
    if(r->end - r->at < n) return 0;
    memcpy(dst, r->p + r->at, n);
    r->at += n;
    return 1;
}

/* One pass over the layers' records: checks them against the network (apply = 0), or copies them
 * into it (apply = 1, after a checking pass found nothing wrong). */
static void read_layers(network *net, rd r, const char *path, int apply)
{
    state_array a[TTQ_STATE_KINDS];
    int i, j;
    for(i = 0; i < net->n; ++i){
        layer *l = net->layers + i;
        const char *type = get_layer_string(l->type);
        int covered, k = layer_arrays(l, a, &covered);
        int32_t ftype, fk;
        if(!get(&r, &ftype, 4) || !get(&r, &fk, 4)){
            check_file_error(path, i, type, "file is truncated at this layer's record");
        }
        if(ftype != (int32_t)l->type){
            check_file_error(path, i, type, "the state file has a layer of another type here (type %d): "
                             "it was saved for another cfg (delete it, or train with -clear)", (int)ftype);
        }
        if(fk != k){
            check_file_error(path, i, type, "the state file holds %d optimiser arrays for this layer, the cfg's "
                             "layer keeps %d (momentum and adam= of the cfg and of the saved run differ?)", (int)fk, k);
        }
        for(j = 0; j < k; ++j){
            int32_t kind, n;
            if(!get(&r, &kind, 4) || !get(&r, &n, 4)){
                check_file_error(path, i, type, "file is truncated inside this layer's record");
            }
            if(kind != a[j].kind || n != a[j].n){
                const char *fname = (kind > 0 && kind < TTQ_STATE_KINDS) ? kind_names[kind] : "an unknown array";
                check_file_error(path, i, type, "the state file holds %s (%d values) where the cfg's layer keeps %s "
                                 "(%d values): it was saved for another cfg (delete it, or train with -clear)",
                                 fname, (int)n, kind_names[a[j].kind], a[j].n);
            }
            size_t bytes = (size_t)n*sizeof(float);
            if(r.end - r.at < bytes) check_file_error(path, i, type, "file is truncated inside the %s", kind_names[kind]);
            const float *v = (const float *)(r.p + r.at);
            if(!apply){
                float x;
                int q;
                for(q = 0; q < n; ++q){
                    memcpy(&x, v + q, sizeof x);
                    if(!check_finite(x)) check_file_error(path, i, type, "corrupt %s: value %d is not finite", kind_names[kind], q);
                }
            } else {
                if(a[j].cpu) memcpy(a[j].cpu, v, bytes);
#ifdef GPU
                if(a[j].gpu && net->gpu_index >= 0) cuda_push_array(a[j].gpu, (float *)v, n);
#endif
            }
            r.at += bytes;
        }
    }
    if(r.at != r.end) check_file_error(path, -1, 0, "%zu bytes after the last layer's record: not a state file of this cfg", r.end - r.at);
}

/* What a version-3 state says of the run that saved it (-seed, threads), against this run: a
 * difference is said, not refused (the user may mean it); the resume is then not bit for bit the
 * uninterrupted run. */
static void say_run_differences(const unsigned char *p, const char *path)
{
    int32_t seed, threads;
    memcpy(&seed, p, 4);
    memcpy(&threads, p + 4, 4);
    if(seed != run_seed){
        char saved[32], now[32];
        if(seed < 0) snprintf(saved, sizeof saved, "without -seed");
        else snprintf(saved, sizeof saved, "with -seed %d", (int)seed);
        if(run_seed < 0) snprintf(now, sizeof now, "this one without");
        else snprintf(now, sizeof now, "this one with -seed %d", run_seed);
        fprintf(stderr, "%s: saved by a run %s, %s: the data order from here on is not the uninterrupted run's%s\n",
                path, saved, now, seed >= 0 ? " (resume with the same -seed for an exact resume)" : "");
    }
    if(threads != run_threads()){
        fprintf(stderr, "%s: saved by a run with %d CPU threads, this one has %d: the resumed run follows the "
                "uninterrupted one to rounding, not bit for bit (exact at the same count: OMP_NUM_THREADS=%d)\n",
                path, (int)threads, run_threads(), (int)threads);
    }
}

/* The most bytes a state file of net's layers can hold: every kind of array (momentum and Adam,
 * per layer or per filter) at its largest size. A larger file is refused before it is read; one
 * within the bound and of another shape gets read_layers' message naming the layer. */
static size_t state_bytes_most(network *net)
{
    size_t n = STATE_HEAD_BYTES + sizeof(uint64_t);
    int i;
    for(i = 0; i < net->n; ++i){
        layer *l = &net->layers[i];
        size_t most = 0;
        switch(l->type){
            case CONVOLUTIONAL: case TERNARY: case DECONVOLUTIONAL: most = l->nweights; break;
            case CONNECTED: most = (size_t)l->inputs*l->outputs; break;
            case BATCHNORM: most = l->c; break;
            default: break;
        }
        if((size_t)l->n > most) most = l->n;
        if((size_t)l->outputs > most && l->type == CONNECTED) most = l->outputs;
        n += 8;
        if(most) n += (TTQ_STATE_KINDS - 1)*(8 + 4*most);
    }
    return n;
}

int ttq_state_load(network *net, const char *weightfile)
{
    char *path = ttq_state_path(weightfile);
    /* opened without blocking (a FIFO would wait for a writer) and read only when it is a regular
       file no larger than this network's state: a link to /dev/zero or a huge sparse file is
       refused before anything is allocated */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    FILE *fp = 0;
    if(fd >= 0){
        struct stat st;
        size_t most = state_bytes_most(net);
        if(fstat(fd, &st) != 0) check_file_error(path, -1, 0, "cannot read the optimiser state: %s", strerror(errno));
        if(!S_ISREG(st.st_mode)) check_file_error(path, -1, 0, "not a regular file (a device, a FIFO or a folder): not an optimiser state");
        if((unsigned long long)st.st_size > most){
            check_file_error(path, -1, 0, "%lld bytes, more than an optimiser state of this cfg can hold (%zu): not the "
                             "state of these weights (delete it, or train with -clear)", (long long)st.st_size, most);
        }
        if(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 || !(fp = fdopen(fd, "rb"))){
            check_file_error(path, -1, 0, "cannot read the optimiser state: %s", strerror(errno));
        }
    }
    if(!fp){
        if(errno != ENOENT) check_file_error(path, -1, 0, "cannot read the optimiser state: %s", strerror(errno));
        fprintf(stderr, "%s: no optimiser state beside the weights: momentum and Adam moments start at zero "
                "(the resume is not exact)\n", path);
        free(path);
        return 0;
    }
    buf b = {0};
    unsigned char chunk[65536];
    size_t got;
    while((got = fread(chunk, 1, sizeof chunk, fp)) > 0) put(&b, chunk, got);
    if(ferror(fp)) check_file_error(path, -1, 0, "error reading the optimiser state: %s", strerror(errno));
    fclose(fp);

    if(b.n < 4 || memcmp(b.p, STATE_TAG, 4) != 0){
        check_file_error(path, -1, 0, "not an optimiser state file (no %s tag)", STATE_TAG);
    }
    int32_t version, nlayers, t;
    uint64_t seen, h;
    if(b.n < 8) check_file_error(path, -1, 0, "file is truncated inside the header");
    memcpy(&version, b.p + 4, 4);
    if(version < 1 || version > STATE_VERSION){
        check_file_error(path, -1, 0, "optimiser state of an unknown version %d (newer software?)", (int)version);
    }
    size_t head = version == 1 ? STATE_HEAD_BYTES_V1 : version == 2 ? STATE_HEAD_BYTES_V2 : STATE_HEAD_BYTES;
    if(b.n < head + sizeof(uint64_t)) check_file_error(path, -1, 0, "file is truncated inside the header");
    memcpy(&h, b.p + b.n - sizeof h, sizeof h);
    if(fnv1a(b.p, b.n - sizeof h) != h){
        check_file_error(path, -1, 0, "corrupt or truncated: its checksum does not match its contents");
    }
    memcpy(&nlayers, b.p + 8, 4);
    memcpy(&t, b.p + 12, 4);
    memcpy(&seen, b.p + 16, 8);
    if(nlayers != net->n){
        check_file_error(path, -1, 0, "holds %d layers, the cfg's network has %d: it was saved for another cfg "
                         "(delete it, or train with -clear)", (int)nlayers, net->n);
    }
    if(t < 0) check_file_error(path, -1, 0, "corrupt: Adam's step count is %d", (int)t);
    if(seen != (uint64_t)*net->seen){
        check_file_error(path, -1, 0, "saved at %llu images seen, %s at %llu: not the state of these weights "
                         "(delete it, or train with -clear)", (unsigned long long)seen, weightfile,
                         (unsigned long long)*net->seen);
    }
    if(version >= 2){
        /* bound to the weights file it was saved beside: a state of another run at the same
           iteration (two runs of one schedule, or a kill between the two renames) is refused */
        uint64_t want, have;
        memcpy(&want, b.p + 24, 8);
        if(!file_digest(weightfile, &have)) check_file_error(weightfile, -1, 0, "cannot read the weights: %s", strerror(errno));
        if(want != have){
            check_file_error(path, -1, 0, "was saved beside other weights than %s (their digests differ): not the state of "
                             "these weights (delete it, or train with -clear, or -resume without it)", weightfile);
        }
    } else {
        fprintf(stderr, "%s: an optimiser state of version 1, not bound to its weights file: it is taken as the state "
                "of %s\n", path, weightfile);
    }
    if(version >= 3) say_run_differences(b.p + 32, path);
    rd r = {b.p, head, b.n - sizeof h};
#ifdef GPU
    if(net->gpu_index >= 0) cuda_set_device(net->gpu_index);
#endif
    read_layers(net, r, path, 0);
    read_layers(net, r, path, 1);
    *net->t = t;
    fprintf(stderr, "Loaded optimiser state from %s (%d updates)\n", path, (int)t);
    free(b.p);
    free(path);
    return 1;
}

void ttq_train_start(network *net, const char *cfgfile, const char *weightfile, int clear, int resume)
{
    int given = weightfile && weightfile[0];
    if(clear && resume){
        fprintf(stderr, "%s: -clear and -resume: choose one (-clear trains the cfg's schedule from iteration 0, "
                "-resume continues the weights' own)\n", cfgfile);
        exit(EXIT_FAILURE);
    }
    if(resume && !given){
        fprintf(stderr, "%s: -resume needs a weights file to resume from\n", cfgfile);
        exit(EXIT_FAILURE);
    }
    if(!given || clear) return;
    size_t iter = get_current_batch(net);
    char *path = ttq_state_path(weightfile);
    struct stat st;
    int has_state = stat(path, &st) == 0 || errno != ENOENT;   /* stat: a FIFO is not opened here */
    free(path);
    if(*net->seen == 0 && !has_state) return;
    if(!has_state && !resume){
        check_file_error(weightfile, -1, 0, "saved at iteration %zu (%zu images seen) with no optimiser state "
                         "beside it: add -clear to train %s's schedule from iteration 0 starting from these weights "
                         "(fine-tuning), or -resume to continue at iteration %zu with the optimiser state at zero",
                         iter, *net->seen, cfgfile, iter);
    }
    ttq_state_load(net, weightfile);
    if(net->max_batches > 0 && iter >= (size_t)net->max_batches){
        check_file_error(weightfile, -1, 0, "saved at iteration %zu, at or past %s's max_batches = %d: nothing "
                         "is left to train (add -clear to train its schedule from iteration 0 starting from these "
                         "weights, or raise max_batches)", iter, cfgfile, net->max_batches);
    }
    fprintf(stderr, "%s: resuming at iteration %zu of %d (%s)\n", weightfile, iter, net->max_batches,
            has_state ? "with its optimiser state" : "-resume: the optimiser state starts at zero");
}

void ttq_train_lock(const char *datacfg, const char *backup, const char *base)
{
    char *path = check_cfg_path("%s/%s.lock", backup, base);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if(fd < 0) check_file_error(path, -1, 0, "cannot create the training lock (key 'backup' of %s): %s", datacfg, strerror(errno));
    if(flock(fd, LOCK_EX | LOCK_NB) != 0){
        int e = errno;
        if(e != EWOULDBLOCK) check_file_error(path, -1, 0, "cannot lock it: %s", strerror(e));
        char who[32];
        ssize_t got = pread(fd, who, sizeof who - 1, 0);
        who[got > 0 ? got : 0] = 0;
        who[strcspn(who, "\n")] = 0;
        check_file_error(path, -1, 0, "another training of %s is writing into %s (pid %s): wait for it, or give this "
                         "one another backup folder", base, backup, who[0] ? who : "unknown");
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if(ftruncate(fd, 0) != 0 || pwrite(fd, pid, n, 0) != n){
        check_file_error(path, -1, 0, "cannot write the training lock: %s", strerror(errno));
    }
    free(path);    /* fd stays open, and the lock held, until the process ends */
}

unsigned ttq_seed_mix(int seed, size_t batch)
{
    uint64_t z = ((uint64_t)(unsigned)seed << 32) ^ (uint64_t)batch;
    z += 0x9e3779b97f4a7c15ULL;                    /* splitmix64's finaliser */
    z = (z ^ (z >> 30))*0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27))*0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (unsigned)(z >> 32);
}

static void *nothing_left(void *arg)
{
    return arg;
}

pthread_t ttq_load_data_seeded(load_args args, int seed, size_t batch)
{
    if(seed < 0) return load_data(args);
    args.threads = 1;
    srand(ttq_seed_mix(seed, batch));
    pthread_t t = load_data(args);
    pthread_join(t, 0);
    if(pthread_create(&t, 0, nothing_left, 0)) check_file_error("-seed", -1, 0, "cannot start a thread: %s", strerror(errno));
    return t;
}
