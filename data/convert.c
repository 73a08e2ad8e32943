/* Converts image-classification sets into Darknet's classifier layout: one PNG per image, a
 * train list, a test list, a labels file and a .data file.
 *
 *   convert fashion-mnist <idx dir> <out dir>   the four idx files (.gz or plain) of Fashion-MNIST;
 *                                               28x28 grey images, padded to 32x32
 *   convert cifar10 <cifar-10-batches-bin dir> <out dir>
 *                                               data_batch_1..5.bin, test_batch.bin; 32x32 RGB
 *
 * The output appears atomically: everything is written under <out>.tmp and renamed to <out> at
 * the end; an <out> that already holds a complete set (its .data file) is left as it is. Image
 * names carry the class name; the class names are chosen so that none is a substring of another
 * (Darknet finds an image's label by searching its path for the label strings). Relative output
 * paths stay relative in the lists. Any missing, short or malformed input stops with a message
 * naming the file and a non-zero exit. Needs zlib and stb_image_write (Debian: zlib1g-dev,
 * libstb-dev). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Debian's zlib and stb_image_write normally; on a machine without them (a bare GPU box) build
 * with -DTTQ_NO_ZLIB (plain idx files only) and -DTTQ_DARKNET_STB (Darknet's bundled copy, linked
 * from libdarknet.a). */
#ifdef TTQ_NO_ZLIB
typedef FILE *gzFile;
#define gzopen fopen
#define gzread(f, buf, n) ((int)fread(buf, 1, n, f))
#define gzclose fclose
#define gzerror(f, e) (*(e) = 0, "read error")
#else
#include <zlib.h>
#endif
#ifdef TTQ_DARKNET_STB
#include "stb_image_write.h"
#else
#include <stb/stb_image_write.h>
#endif

static const char *FMNIST_LABELS[10] = {"top", "trouser", "pullover", "dress", "coat",
                                        "sandal", "shirt", "sneaker", "bag", "boot"};
static const char *CIFAR_LABELS[10] = {"airplane", "automobile", "bird", "cat", "deer",
                                       "dog", "frog", "horse", "ship", "truck"};

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "convert: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

static void mkdir_or_die(const char *path)
{
    if(mkdir(path, 0755) && errno != EEXIST) die("cannot create %s: %s", path, strerror(errno));
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Reads the whole of a file, gzip-compressed or plain. */
static unsigned char *read_all(const char *path, size_t *size)
{
    gzFile f = gzopen(path, "rb");
    if(!f) die("cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap);
    for(;;){
        if(n == cap){
            cap *= 2;
            buf = realloc(buf, cap);
            if(!buf) die("out of memory reading %s", path);
        }
        int r = gzread(f, buf + n, (unsigned)(cap - n));
        if(r < 0){
            int e;
            die("%s: read error (%s)", path, gzerror(f, &e));
        }
#ifdef TTQ_NO_ZLIB
        if(r == 0 && ferror(f)) die("%s: read error", path);
#endif
        if(r == 0) break;
        n += (size_t)r;
    }
    gzclose(f);
    *size = n;
    return buf;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Finds name or name.gz in dir. */
static void find_input(char *out, size_t n, const char *dir, const char *name)
{
    snprintf(out, n, "%s/%s.gz", dir, name);
    if(exists(out)) return;
    snprintf(out, n, "%s/%s", dir, name);
    if(exists(out)) return;
    die("missing input: %s/%s(.gz)", dir, name);
}

typedef struct {
    const char *out;       /* final folder */
    char tmp[4096];        /* folder being written */
    const char **labels;
    FILE *list;
    const char *split;
    long count;
} writer;

static void begin_split(writer *w, const char *split)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", w->tmp, split);
    mkdir_or_die(path);
    snprintf(path, sizeof path, "%s/%s.list", w->tmp, split);
    w->list = fopen(path, "w");
    if(!w->list) die("cannot write %s: %s", path, strerror(errno));
    w->split = split;
    w->count = 0;
}

static void end_split(writer *w)
{
    if(fclose(w->list)) die("error writing %s/%s.list", w->tmp, w->split);
}

static void put_image(writer *w, const unsigned char *pix, int size, int channels, int label)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s/%05ld_%s.png", w->tmp, w->split, w->count, w->labels[label]);
    if(!stbi_write_png(path, size, size, channels, pix, size*channels)) die("cannot write %s", path);
    fprintf(w->list, "%s/%s/%05ld_%s.png\n", w->out, w->split, w->count, w->labels[label]);
    ++w->count;
}

static void finish(writer *w, const char *name)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/labels.txt", w->tmp);
    FILE *f = fopen(path, "w");
    if(!f) die("cannot write %s", path);
    int i;
    for(i = 0; i < 10; ++i) fprintf(f, "%s\n", w->labels[i]);
    if(fclose(f)) die("error writing %s", path);
    snprintf(path, sizeof path, "%s/%s.data", w->tmp, name);
    f = fopen(path, "w");
    if(!f) die("cannot write %s", path);
    fprintf(f, "classes=10\ntrain=%s/train.list\nvalid=%s/test.list\nlabels=%s/labels.txt\n"
               "backup=%s/backup\ntop=2\n", w->out, w->out, w->out, w->out);
    if(fclose(f)) die("error writing %s", path);
    snprintf(path, sizeof path, "%s/backup", w->tmp);
    mkdir_or_die(path);
    if(rename(w->tmp, w->out)) die("cannot rename %s to %s: %s", w->tmp, w->out, strerror(errno));
}

/* Returns 1 when <out> already holds a complete set. */
static int start(writer *w, const char *out, const char *name, const char **labels)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s.data", out, name);
    if(exists(path)){
        printf("%s: already converted (delete the folder to convert again)\n", out);
        return 1;
    }
    if(exists(out)) die("%s exists but holds no complete set (%s missing): remove it first", out, path);
    int i;
    for(i = 0; i < 10; ++i){
        if(strstr(out, labels[i])){
            die("output path %s contains the class name '%s': Darknet finds labels by searching "
                "image paths, so choose another folder", out, labels[i]);
        }
    }
    w->out = out;
    w->labels = labels;
    snprintf(w->tmp, sizeof w->tmp, "%s.tmp", out);
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", w->tmp);
    if(exists(w->tmp) && system(cmd)) die("cannot remove stale %s", w->tmp);
    mkdir_or_die(w->tmp);
    return 0;
}

static void fmnist_split(writer *w, const char *dir, const char *img_name, const char *lab_name,
                         const char *split)
{
    char ipath[4200], lpath[4200];
    find_input(ipath, sizeof ipath, dir, img_name);
    find_input(lpath, sizeof lpath, dir, lab_name);
    size_t isz, lsz;
    unsigned char *im = read_all(ipath, &isz), *lb = read_all(lpath, &lsz);
    if(isz < 16 || be32(im) != 0x00000803) die("%s: not an idx3 image file (bad magic)", ipath);
    if(lsz < 8 || be32(lb) != 0x00000801) die("%s: not an idx1 label file (bad magic)", lpath);
    uint32_t n = be32(im + 4), rows = be32(im + 8), cols = be32(im + 12);
    if(rows != 28 || cols != 28) die("%s: images are %ux%u, expected 28x28", ipath, rows, cols);
    if(n == 0) die("%s: holds no images", ipath);
    if(be32(lb + 4) != n) die("%s: holds %u labels for %u images", lpath, be32(lb + 4), n);
    if(isz != 16 + (size_t)n*784) die("%s: %zu bytes, expected %zu (truncated?)", ipath, isz, 16 + (size_t)n*784);
    if(lsz != 8 + (size_t)n) die("%s: %zu bytes, expected %zu (truncated?)", lpath, lsz, 8 + (size_t)n);
    begin_split(w, split);
    unsigned char pix[32*32];
    uint32_t i;
    for(i = 0; i < n; ++i){
        int label = lb[8 + i], y;
        if(label > 9) die("%s: label %d of image %u is not in 0..9", lpath, label, i);
        memset(pix, 0, sizeof pix);
        for(y = 0; y < 28; ++y) memcpy(pix + (y + 2)*32 + 2, im + 16 + (size_t)i*784 + y*28, 28);
        put_image(w, pix, 32, 1, label);
    }
    end_split(w);
    free(im);
    free(lb);
}

static void cifar_split(writer *w, const char *dir, const char **files, int nfiles, const char *split)
{
    begin_split(w, split);
    int k;
    unsigned char pix[32*32*3];
    for(k = 0; k < nfiles; ++k){
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        if(!exists(path)) die("missing input: %s", path);
        size_t sz;
        unsigned char *b = read_all(path, &sz);
        if(sz == 0 || sz % 3073) die("%s: %zu bytes is not a whole number of 3073-byte CIFAR-10 records", path, sz);
        size_t i, n = sz/3073;
        for(i = 0; i < n; ++i){
            const unsigned char *r = b + i*3073;
            if(r[0] > 9) die("%s: record %zu has label %d, not in 0..9", path, i, r[0]);
            int p;
            for(p = 0; p < 1024; ++p){
                pix[3*p] = r[1 + p];
                pix[3*p + 1] = r[1 + 1024 + p];
                pix[3*p + 2] = r[1 + 2048 + p];
            }
            put_image(w, pix, 32, 3, r[0]);
        }
        free(b);
    }
    end_split(w);
}

int main(int argc, char **argv)
{
    if(argc != 4 || (strcmp(argv[1], "fashion-mnist") && strcmp(argv[1], "cifar10"))){
        fprintf(stderr, "usage: convert fashion-mnist <idx dir> <out dir>\n"
                        "       convert cifar10 <cifar-10-batches-bin dir> <out dir>\n");
        return 2;
    }
    const char *in = argv[2], *out = argv[3];
    size_t len = strlen(out);
    char *o = strdup(out);
    while(len > 1 && o[len - 1] == '/') o[--len] = 0;
    writer w;
    if(!strcmp(argv[1], "fashion-mnist")){
        if(start(&w, o, "fashion-mnist", FMNIST_LABELS)) return 0;
        fmnist_split(&w, in, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "train");
        fmnist_split(&w, in, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "test");
        finish(&w, "fashion-mnist");
    } else {
        static const char *train[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                      "data_batch_4.bin", "data_batch_5.bin"};
        static const char *test[] = {"test_batch.bin"};
        if(start(&w, o, "cifar10", CIFAR_LABELS)) return 0;
        cifar_split(&w, in, train, 5, "train");
        cifar_split(&w, in, test, 1, "test");
        finish(&w, "cifar10");
    }
    printf("%s: converted\n", o);
    free(o);
    return 0;
}
