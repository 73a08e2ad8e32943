/* libFuzzer harness: the readers of the converter, data/convert.c, compiled into this file (its
 * main renamed; its PNG writer replaced by a stub, so that no image is written). The first byte of
 * the input chooses the reader, the rest is split at lines "----" into files:
 *   even: Fashion-MNIST, fmnist_load on an idx3 image file and an idx1 label file (parts 1, 2),
 *         each written plain, or gzip-compressed when the second byte is odd (zlib's reader);
 *   odd:  CIFAR-10, cifar_split on one batch file (the rest of the input, plain), its records
 *         checked and turned into images (written nowhere).
 * The idx seeds (corpus/convert/) come from tests/idx.sh's layouts: small, whole files. */
#define _XOPEN_SOURCE 700      /* convert.c's nftw: before the first system header */
#include "fuzz.h"

#ifndef TTQ_NO_ZLIB
/* zlib is not instrumented and not wrapped: the gzFile a rejected input leaves open (a corrupt
 * gzip stream ends read_all inside its loop) is closed here after each input. */
#include <zlib.h>
#define MAX_GZ 8
static gzFile open_gz[MAX_GZ];

static gzFile fuzz_gzopen(const char *path, const char *mode)
{
    gzFile f = gzopen(path, mode);
    int i;
    for(i = 0; f && i < MAX_GZ; ++i) if(!open_gz[i]){
        open_gz[i] = f;
        break;
    }
    return f;
}

static int fuzz_gzclose(gzFile f)
{
    int i;
    for(i = 0; i < MAX_GZ; ++i) if(open_gz[i] == f) open_gz[i] = 0;
    return gzclose(f);
}

static void close_gz(void)
{
    int i;
    for(i = 0; i < MAX_GZ; ++i) if(open_gz[i]) fuzz_gzclose(open_gz[i]);
}
#define gzopen fuzz_gzopen
#define gzclose fuzz_gzclose
#else
static void close_gz(void) {}
#endif

#define main convert_main
#define stbi_write_png fuzz_stbi_write_png
#include "../../data/convert.c"
#undef main
#undef stbi_write_png

int fuzz_stbi_write_png(char const *filename, int w, int h, int comp, const void *data, int stride)
{
    (void)filename; (void)w; (void)h; (void)comp; (void)data; (void)stride;
    return 1;
}

static int compressed;

static void put_file(const char *name, const uint8_t *data, size_t size)
{
#ifndef TTQ_NO_ZLIB
    if(compressed){
        char gzname[256];
        snprintf(gzname, sizeof gzname, "%s.gz", name);
        gzFile f = gzopen(fuzz_path(gzname), "wb");
        if(!f || (size && gzwrite(f, data, (unsigned)size) != (int)size) || fuzz_gzclose(f) != Z_OK) abort();
        unlink(fuzz_path(name));
        return;
    }
    char gzname[256];
    snprintf(gzname, sizeof gzname, "%s.gz", name);
    unlink(fuzz_path(gzname));
#endif
    fuzz_write(name, data, size);
}

static void read_fmnist(void *arg)
{
    unsigned char *im, *lb;
    uint32_t n;
    (void)arg;
    fmnist_load(fuzz_dir(), "train-images-idx3-ubyte", "train-labels-idx1-ubyte", &im, &lb, &n);
    free(im);
    free(lb);
}

static void read_cifar(void *arg)
{
    static const char *files[] = {"data_batch_1.bin"};
    writer w;
    (void)arg;
    memset(&w, 0, sizeof w);
    w.out = "out";
    w.list_prefix = "out";
    w.labels = CIFAR_LABELS;
    snprintf(w.tmp, sizeof w.tmp, "%s", fuzz_path("out.tmp"));
    cifar_split(&w, fuzz_dir(), files, 1, "train");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if(!init){
        mkdir(fuzz_path("out.tmp"), 0755);
        init = 1;
    }
    if(size < 2) return 0;
    if(data[0] & 1){
        fuzz_write("data_batch_1.bin", data + 1, size - 1);
        fuzz_guard(read_cifar, 0);
    }else{
        const uint8_t *part[2];
        size_t len[2];
        compressed = data[1] & 1;
        fuzz_split(data + 2, size - 2, 2, part, len);
        put_file("train-images-idx3-ubyte", part[0], len[0]);
        put_file("train-labels-idx1-ubyte", part[1], len[1]);
        fuzz_guard(read_fmnist, 0);
        close_gz();
    }
    return 0;
}
