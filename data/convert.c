/* Converts image sets into Darknet's layouts: for classification one PNG per image, a
 * train list, a test list, a labels file and a .data file.
 *
 *   convert fashion-mnist <idx dir> <out dir>   the four idx files (.gz or plain) of Fashion-MNIST;
 *                                               28x28 grey images, padded to 32x32
 *   convert cifar10 <cifar-10-batches-bin dir> <out dir>
 *                                               data_batch_1..5.bin, test_batch.bin; 32x32 RGB
 *   convert fashion-mnist-det <idx dir> <out dir> [train scenes [test scenes]]
 *                                               detection scenes made of Fashion-MNIST items
 *                                               (96x96 grey, 1-3 items each, Darknet's detection
 *                                               layout: images/, labels/, names, .data with
 *                                               results=); default 12000 and 2000 scenes
 *
 * The output appears atomically: everything is written under a fresh <out>.tmp.XXXXXX (mkdtemp)
 * and renamed to <out> at the end; an <out> that already holds a complete set (its .data file) is
 * left as it is, and so is anything else this run did not create (an <out>.tmp of a killed run
 * included). Image names carry the class name; the class names are chosen so that none is a
 * substring of another (Darknet finds an image's label by searching its path for the label
 * strings). The .data file holds absolute paths (a relative <out> joined to the working folder),
 * and so do the lists, so that the commands work from any folder; where a folder above <out> would
 * trip Darknet's path rules (a class name, 'images', 'raw' in its name), the lists keep <out> as
 * given and say so. Any missing, short or malformed input stops with a message naming the file and
 * a non-zero exit, and removes the temporary folder it made (with nftw: symbolic links in it are
 * removed, not followed): a failed conversion leaves nothing. No path is ever handed to a shell; an
 * output path with white space or a control character is refused (Darknet's .data reader strips
 * white space, and the lists are lines). Needs zlib and stb_image_write (Debian: zlib1g-dev,
 * libstb-dev). */
#define _XOPEN_SOURCE 700      /* nftw */
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
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

/* the <out>.tmp.XXXXXX folder this run created: removed when it stops with an error */
static const char *created_tmp;

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st; (void)type; (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

/* Removes path and, if it is a folder, everything under it; symbolic links are removed, never
 * followed (FTW_PHYS). 0 on success (also when path does not exist). */
static int remove_tree(const char *path)
{
    struct stat st;
    if(lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "convert: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    if(created_tmp && remove_tree(created_tmp) != 0){
        fprintf(stderr, "convert: cannot remove %s: %s\n", created_tmp, strerror(errno));
    }
    exit(1);
}

/* snprintf for a path: one that does not fit is an error, never a shortened name */
static void pathf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void pathf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    if(r < 0 || (size_t)r >= n) die("path too long (%d bytes, at most %zu): %s...", r, n - 1, buf);
}

/* fclose that also reports an earlier write error (a full disk) */
static void close_or_die(FILE *f, const char *path)
{
    int bad = ferror(f);
    if(fclose(f) != 0 || bad) die("error writing %s: %s", path, strerror(errno ? errno : EIO));
}

static void png_to_file(void *context, void *data, int size)
{
    fwrite(data, 1, (size_t)size, (FILE *)context);
}

/* stbi_write_png ignores write errors (it neither checks fwrite nor fclose); this writes the PNG
 * through stbi_write_png_to_func into a file of ours, every error checked. */
static void write_png(const char *path, int w, int h, int channels, const unsigned char *pix)
{
    FILE *f = fopen(path, "wb");
    if(!f) die("cannot write %s: %s", path, strerror(errno));
    if(!stbi_write_png_to_func(png_to_file, f, w, h, channels, pix, w*channels)) die("cannot encode %s", path);
    close_or_die(f, path);
}

/* Creates the temporary folder the set is written in: tmp is "<out>.tmp.XXXXXX", a fresh name beside
 * <out> (mkdtemp), so that nothing this run did not create is ever removed (an <out>.tmp left by a
 * killed run, or a user's folder of that name, stays as it is); permissions as mkdir(0755) gives. */
static void make_tmp(char *tmp, const char *in)
{
    (void)in;
    if(!mkdtemp(tmp)) die("cannot create a temporary folder %s: %s", tmp, strerror(errno));
    mode_t um = umask(0);
    umask(um);
    if(chmod(tmp, 0755 & ~um) != 0) die("cannot set the permissions of %s: %s", tmp, strerror(errno));
    created_tmp = tmp;
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

static uint32_t be32(const unsigned char *p);

/* What a format can need: from the first `got` bytes of a file (its header, at most the `head`
 * that read_all was given), the largest size the whole file can have once decompressed; a header
 * that is not the format's ends the program. */
typedef size_t (*size_rule)(const unsigned char *head, size_t got, const char *path);

/* Reads the whole of a file, gzip-compressed or plain, bounded by its format: the first `head`
 * bytes are read, `rule` gives the most bytes the file can hold, and no more than one byte past
 * that is ever inflated or allocated (the buffer grows as the data comes), so a small file that
 * inflates to gigabytes, or a header that claims them, costs no more than the format allows. */
static unsigned char *read_all(const char *path, size_t head, size_rule rule, size_t *size)
{
    gzFile f = gzopen(path, "rb");
    if(!f) die("cannot open %s: %s", path, strerror(errno));
    size_t cap = head > 0 ? head : 1, n = 0, most = (size_t)-1;
    unsigned char *buf = malloc(cap);
    if(!buf) die("out of memory reading %s", path);
    for(;;){
        if(n == head && most == (size_t)-1){
            most = rule(buf, n, path);
            if(n > most) die("%s: longer than its format allows (%zu bytes)", path, most);
        }
        if(n == cap){
            if(n > most) die("%s: longer than its format allows (%zu bytes once decompressed)", path, most);
            cap = cap > most/2 ? most + 1 : 2*cap;
            if(cap < 1 << 16 && most >= 1 << 16) cap = 1 << 16;
            buf = realloc(buf, cap);
            if(!buf) die("out of memory reading %s", path);
        }
        size_t want = (n < head ? head : cap) - n;
        int r = gzread(f, buf + n, (unsigned)(want > (1u << 30) ? 1u << 30 : want));
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
    if(most == (size_t)-1) most = rule(buf, n, path);   /* shorter than the header */
    if(n > most) die("%s: longer than its format allows (%zu bytes once decompressed)", path, most);
    *size = n;
    return buf;
}

/* Fashion-MNIST: at most this many images or labels in one idx file (the data set has 60 000) */
#define IDX_MOST 1000000u
/* CIFAR-10: a batch file holds 10 000 records of 3 073 bytes */
#define CIFAR_BATCH_MOST ((size_t)10000*3073)

static size_t idx3_rule(const unsigned char *h, size_t got, const char *path)
{
    if(got < 16 || be32(h) != 0x00000803) die("%s: not an idx3 image file (bad magic)", path);
    uint32_t n = be32(h + 4), rows = be32(h + 8), cols = be32(h + 12);
    if(rows != 28 || cols != 28) die("%s: images are %ux%u, expected 28x28", path, rows, cols);
    if(n == 0) die("%s: holds no images", path);
    if(n > IDX_MOST) die("%s: claims %u images, more than %u", path, n, IDX_MOST);
    return 16 + (size_t)n*784;
}

static size_t idx1_rule(const unsigned char *h, size_t got, const char *path)
{
    if(got < 8 || be32(h) != 0x00000801) die("%s: not an idx1 label file (bad magic)", path);
    uint32_t n = be32(h + 4);
    if(n > IDX_MOST) die("%s: claims %u labels, more than %u", path, n, IDX_MOST);
    return 8 + (size_t)n;
}

static size_t cifar_rule(const unsigned char *h, size_t got, const char *path)
{
    (void)h; (void)got; (void)path;
    return CIFAR_BATCH_MOST;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Finds name or name.gz in dir. */
static void find_input(char *out, size_t n, const char *dir, const char *name)
{
    pathf(out, n, "%s/%s.gz", dir, name);
    if(exists(out)) return;
    pathf(out, n, "%s/%s", dir, name);
    if(exists(out)) return;
    die("missing input: %s/%s(.gz)", dir, name);
}

/* the output folder as an absolute path, for the .data file and, where Darknet's path rules allow,
 * the lists */
static char *abs_out;

typedef struct {
    const char *out;       /* final folder */
    const char *list_prefix; /* the folder as the lists name it: abs_out, or out (relative_lists) */
    char tmp[4096];        /* folder being written */
    const char **labels;
    FILE *list;
    const char *split;
    long count;
} writer;

static void begin_split(writer *w, const char *split)
{
    char path[4200];
    pathf(path, sizeof path, "%s/%s", w->tmp, split);
    mkdir_or_die(path);
    pathf(path, sizeof path, "%s/%s.list", w->tmp, split);
    w->list = fopen(path, "w");
    if(!w->list) die("cannot write %s: %s", path, strerror(errno));
    w->split = split;
    w->count = 0;
}

static void end_split(writer *w)
{
    char path[4200];
    pathf(path, sizeof path, "%s/%s.list", w->tmp, w->split);
    close_or_die(w->list, path);
}

static void put_image(writer *w, const unsigned char *pix, int size, int channels, int label)
{
    char path[4300];
    pathf(path, sizeof path, "%s/%s/%05ld_%s.png", w->tmp, w->split, w->count, w->labels[label]);
    write_png(path, size, size, channels, pix);
    fprintf(w->list, "%s/%s/%05ld_%s.png\n", w->list_prefix, w->split, w->count, w->labels[label]);
    ++w->count;
}

static void finish(writer *w, const char *name)
{
    char path[4300];
    pathf(path, sizeof path, "%s/labels.txt", w->tmp);
    FILE *f = fopen(path, "w");
    if(!f) die("cannot write %s: %s", path, strerror(errno));
    int i;
    for(i = 0; i < 10; ++i) fprintf(f, "%s\n", w->labels[i]);
    close_or_die(f, path);
    pathf(path, sizeof path, "%s/%s.data", w->tmp, name);
    f = fopen(path, "w");
    if(!f) die("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "classes=10\ntrain=%s/train.list\nvalid=%s/test.list\nlabels=%s/labels.txt\n"
               "backup=%s/backup\ntop=2\n", abs_out, abs_out, abs_out, abs_out);
    close_or_die(f, path);
    pathf(path, sizeof path, "%s/backup", w->tmp);
    mkdir_or_die(path);
    if(rename(w->tmp, w->out)) die("cannot rename %s to %s: %s", w->tmp, w->out, strerror(errno));
    created_tmp = 0;
}

/* The lists hold the absolute path of each image, unless a folder above the output folder would
 * trip one of Darknet's path rules (its name holds a class name, or 'images' or 'raw'): they then
 * hold the path as given, relative to the working folder, and this says so. */
static void relative_lists(const char *abs, const char *why)
{
    printf("note: %s holds '%s', which Darknet would read in an image's path (it finds classes and label "
           "files by searching paths): the lists hold paths relative to this folder instead, so run Darknet "
           "from here\n", abs, why);
}

/* The note for a complete set left as it is; a set written before the lists held absolute paths
 * (its .data file's train= is relative) works from its own working folder only, and is named so. */
static void already_converted(const char *out, const char *data)
{
    printf("%s: already converted (delete the folder to convert again)\n", out);
    FILE *f = fopen(data, "r");
    char line[4400];
    while(f && fgets(line, sizeof line, f)){
        if(!strncmp(line, "train=", 6) && line[6] != '/'){
            printf("%s: its lists hold relative paths (an older converter): Darknet finds the images from "
                   "the folder it was converted from only; delete %s to convert it again with absolute paths\n",
                   data, out);
            break;
        }
    }
    if(f) fclose(f);
}

/* Returns 1 when <out> already holds a complete set. */
static int start(writer *w, const char *in, const char *out, const char *name, const char **labels)
{
    char path[4300];
    pathf(path, sizeof path, "%s/%s.data", out, name);
    if(exists(path)){
        already_converted(out, path);
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
    w->list_prefix = abs_out;
    for(i = 0; i < 10; ++i){
        if(strstr(abs_out, labels[i])){
            relative_lists(abs_out, labels[i]);
            w->list_prefix = out;
            break;
        }
    }
    w->labels = labels;
    pathf(w->tmp, sizeof w->tmp, "%s.tmp.XXXXXX", out);
    make_tmp(w->tmp, in);
    return 0;
}

/* Reads one Fashion-MNIST split (idx3 images, idx1 labels), checked; *n images of 784 bytes. */
static void fmnist_load(const char *dir, const char *img_name, const char *lab_name,
                        unsigned char **images, unsigned char **labels, uint32_t *count)
{
    char ipath[4200], lpath[4200];
    find_input(ipath, sizeof ipath, dir, img_name);
    find_input(lpath, sizeof lpath, dir, lab_name);
    size_t isz, lsz;
    unsigned char *im = read_all(ipath, 16, idx3_rule, &isz), *lb = read_all(lpath, 8, idx1_rule, &lsz);
    uint32_t n = be32(im + 4);
    if(be32(lb + 4) != n) die("%s: holds %u labels for %u images", lpath, be32(lb + 4), n);
    if(isz != 16 + (size_t)n*784) die("%s: %zu bytes, expected %zu (truncated?)", ipath, isz, 16 + (size_t)n*784);
    if(lsz != 8 + (size_t)n) die("%s: %zu bytes, expected %zu (truncated?)", lpath, lsz, 8 + (size_t)n);
    uint32_t i;
    for(i = 0; i < n; ++i){
        if(lb[8 + i] > 9) die("%s: label %d of image %u is not in 0..9", lpath, lb[8 + i], i);
    }
    memmove(im, im + 16, (size_t)n*784);
    memmove(lb, lb + 8, n);
    *images = im;
    *labels = lb;
    *count = n;
}

static void fmnist_split(writer *w, const char *dir, const char *img_name, const char *lab_name,
                         const char *split)
{
    unsigned char *im, *lb;
    uint32_t n, i;
    fmnist_load(dir, img_name, lab_name, &im, &lb, &n);
    begin_split(w, split);
    unsigned char pix[32*32];
    for(i = 0; i < n; ++i){
        int y;
        memset(pix, 0, sizeof pix);
        for(y = 0; y < 28; ++y) memcpy(pix + (y + 2)*32 + 2, im + (size_t)i*784 + y*28, 28);
        put_image(w, pix, 32, 1, lb[i]);
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
        pathf(path, sizeof path, "%s/%s", dir, files[k]);
        if(!exists(path)) die("missing input: %s", path);
        size_t sz;
        unsigned char *b = read_all(path, 0, cifar_rule, &sz);
        if(sz == 0 || sz % 3073) die("%s: %zu bytes is not a whole number of 3073-byte CIFAR-10 records (at most 10 000)", path, sz);
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

/* ---- fashion-mnist-det: synthetic detection scenes -------------------------------------------
 * Each scene is a SCENE x SCENE grey image, black like Fashion-MNIST's background, holding 1 to 3
 * Fashion-MNIST items of one split. Each item is scaled by 0.75..1.5 (bilinear) and placed where
 * its box keeps a gap of GAP pixels to every other box (tries that fail drop the item; the first
 * always fits). An item's box is the tightest rectangle around its pixels >= BOX_LEVEL. Labels are
 * Darknet's detection labels: one line "class cx cy w h" per item, relative to the image size.
 * The generator has a fixed seed per split, so every machine makes the same set. */
#define SCENE 96
#define GAP 2
#define BOX_LEVEL 24

typedef struct { int x0, y0, x1, y1; } pixbox;   /* pixels x0..x1-1, y0..y1-1 */

static uint64_t rng_state;

static uint32_t rng_next(void)      /* xorshift64* */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static double rng_unit(void) { return (rng_next() >> 8) / 16777216.0; }

static int rng_below(int n) { return (int)(rng_unit() * n); }

/* Bilinear resize of a 28x28 item to d x d (pixel centres aligned). */
static void scale_item(const unsigned char *src, unsigned char *dst, int d)
{
    int x, y;
    for(y = 0; y < d; ++y){
        double sy = (y + 0.5)*28.0/d - 0.5;
        if(sy < 0) sy = 0;
        if(sy > 27) sy = 27;
        int y0 = (int)sy, y1 = y0 < 27 ? y0 + 1 : 27;
        double fy = sy - y0;
        for(x = 0; x < d; ++x){
            double sx = (x + 0.5)*28.0/d - 0.5;
            if(sx < 0) sx = 0;
            if(sx > 27) sx = 27;
            int x0 = (int)sx, x1 = x0 < 27 ? x0 + 1 : 27;
            double fx = sx - x0;
            double v = (1 - fy)*((1 - fx)*src[y0*28 + x0] + fx*src[y0*28 + x1])
                     + fy*((1 - fx)*src[y1*28 + x0] + fx*src[y1*28 + x1]);
            dst[y*d + x] = (unsigned char)(v + 0.5);
        }
    }
}

/* The tightest box around the pixels >= BOX_LEVEL; 0 when there are none. */
static int item_box(const unsigned char *pix, int d, pixbox *b)
{
    int x, y, found = 0;
    b->x0 = b->y0 = d;
    b->x1 = b->y1 = 0;
    for(y = 0; y < d; ++y) for(x = 0; x < d; ++x){
        if(pix[y*d + x] < BOX_LEVEL) continue;
        found = 1;
        if(x < b->x0) b->x0 = x;
        if(y < b->y0) b->y0 = y;
        if(x + 1 > b->x1) b->x1 = x + 1;
        if(y + 1 > b->y1) b->y1 = y + 1;
    }
    return found;
}

static int boxes_near(pixbox a, pixbox b)
{
    return a.x0 < b.x1 + GAP && b.x0 < a.x1 + GAP && a.y0 < b.y1 + GAP && b.y0 < a.y1 + GAP;
}

static void replace_first(char *s, size_t n, const char *find, const char *rep)
{
    char *p = strstr(s, find);
    if(!p) return;
    char tail[4400];
    snprintf(tail, sizeof tail, "%s", p + strlen(find));
    *p = 0;
    size_t len = strlen(s);
    snprintf(s + len, n - len, "%s%s", rep, tail);
}

/* The label file Darknet's detector reads for an image: the first "images", "JPEGImages", "raw",
 * ".jpg", ".png", ".JPG", ".JPEG" of its path replaced, in that order (detection_label_path in
 * src/data.c, patch 0602; this tool does not link Darknet, so it keeps its own copy). */
static void darknet_label_path(const char *image, char *out, size_t n)
{
    static const char *find[] = {"images", "JPEGImages", "raw", ".jpg", ".png", ".JPG", ".JPEG"};
    static const char *rep[] = {"labels", "labels", "labels", ".txt", ".txt", ".txt", ".txt"};
    int i;
    snprintf(out, n, "%s", image);
    for(i = 0; i < 7; ++i) replace_first(out, n, find[i], rep[i]);
}

static void label_path_error(const char *out, const char *image, const char *label)
{
    die("output path %s: Darknet would look for the labels of %s in %s (it replaces the first "
        "'images', 'JPEGImages', 'raw' and image extension of a path): choose another folder",
        out, image, label);
}

static void det_split(const char *out, const char *lp, const char *tmp, const char *split, const unsigned char *items,
                      const unsigned char *classes, uint32_t nitems, long nscenes, uint64_t seed)
{
    char path[4400], want[4400], got[4400];
    pathf(path, sizeof path, "%s/images/%s", tmp, split);
    mkdir_or_die(path);
    pathf(path, sizeof path, "%s/labels/%s", tmp, split);
    mkdir_or_die(path);
    pathf(path, sizeof path, "%s/%s.list", tmp, split);
    FILE *list = fopen(path, "w");
    if(!list) die("cannot write %s: %s", path, strerror(errno));
    rng_state = seed;
    static unsigned char canvas[SCENE*SCENE], scaled[42*42];
    long s;
    for(s = 0; s < nscenes; ++s){
        pixbox boxes[3];
        int cls[3], nb = 0, want_n = 1 + rng_below(3), k, tries;
        memset(canvas, 0, sizeof canvas);
        for(k = 0; k < want_n; ++k){
            int d = 21 + rng_below(22);                 /* 28 x 0.75 .. 28 x 1.5 */
            uint32_t j = (uint32_t)rng_below((int)nitems);
            pixbox b;
            scale_item(items + (size_t)j*784, scaled, d);
            if(!item_box(scaled, d, &b)) continue;      /* an all-dark item has no box */
            for(tries = 0; tries < 50; ++tries){
                int ox = rng_below(SCENE - d + 1), oy = rng_below(SCENE - d + 1), i, x, y;
                pixbox p = {ox + b.x0, oy + b.y0, ox + b.x1, oy + b.y1};
                for(i = 0; i < nb && !boxes_near(p, boxes[i]); ++i) {}
                if(i < nb) continue;
                for(y = 0; y < d; ++y) for(x = 0; x < d; ++x){
                    unsigned char v = scaled[y*d + x], *c = canvas + (oy + y)*SCENE + ox + x;
                    if(v > *c) *c = v;
                }
                boxes[nb] = p;
                cls[nb++] = classes[j];
                break;
            }
        }
        pathf(path, sizeof path, "%s/images/%s/%06ld.png", tmp, split, s);
        write_png(path, SCENE, SCENE, 1, canvas);
        pathf(path, sizeof path, "%s/labels/%s/%06ld.txt", tmp, split, s);
        FILE *f = fopen(path, "w");
        if(!f) die("cannot write %s: %s", path, strerror(errno));
        for(k = 0; k < nb; ++k){
            fprintf(f, "%d %.6f %.6f %.6f %.6f\n", cls[k], (boxes[k].x0 + boxes[k].x1)/(2.0*SCENE),
                    (boxes[k].y0 + boxes[k].y1)/(2.0*SCENE), (double)(boxes[k].x1 - boxes[k].x0)/SCENE,
                    (double)(boxes[k].y1 - boxes[k].y0)/SCENE);
        }
        close_or_die(f, path);
        pathf(path, sizeof path, "%s/images/%s/%06ld.png", lp, split, s);
        pathf(want, sizeof want, "%s/labels/%s/%06ld.txt", lp, split, s);
        darknet_label_path(path, got, sizeof got);
        if(strcmp(want, got)) label_path_error(out, path, got);
        fprintf(list, "%s\n", path);
    }
    pathf(path, sizeof path, "%s/%s.list", tmp, split);
    close_or_die(list, path);
}

static void fmnist_det(const char *in, const char *out, long ntrain, long ntest)
{
    char data[4300], tmp[4200], path[4400];
    pathf(data, sizeof data, "%s/fashion-mnist-det.data", out);
    if(exists(data)){
        already_converted(out, data);
        return;
    }
    if(exists(out)) die("%s exists but holds no complete set (%s missing): remove it first", out, data);
    const char *splits[] = {"train", "test"};
    int i;
    for(i = 0; i < 2; ++i){        /* before anything is written; det_split checks every path */
        char img[4400], want[4400], got[4400];
        pathf(img, sizeof img, "%s/images/%s/000000.png", out, splits[i]);
        pathf(want, sizeof want, "%s/labels/%s/000000.txt", out, splits[i]);
        darknet_label_path(img, got, sizeof got);
        if(strcmp(want, got)) label_path_error(out, img, got);
    }
    const char *lp = abs_out;            /* the lists' prefix: absolute where Darknet reads it right */
    for(i = 0; i < 2 && lp == abs_out; ++i){
        char img[4400], want[4400], got[4400];
        pathf(img, sizeof img, "%s/images/%s/000000.png", abs_out, splits[i]);
        pathf(want, sizeof want, "%s/labels/%s/000000.txt", abs_out, splits[i]);
        darknet_label_path(img, got, sizeof got);
        if(strcmp(want, got)){
            relative_lists(abs_out, "images', 'JPEGImages' or 'raw");
            lp = out;
        }
    }
    unsigned char *tr_im, *tr_lb, *te_im, *te_lb;
    uint32_t ntr, nte;
    fmnist_load(in, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", &tr_im, &tr_lb, &ntr);
    fmnist_load(in, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", &te_im, &te_lb, &nte);
    pathf(tmp, sizeof tmp, "%s.tmp.XXXXXX", out);
    make_tmp(tmp, in);
    const char *dirs[] = {"images", "labels", "backup", "results"};
    for(i = 0; i < 4; ++i){
        pathf(path, sizeof path, "%s/%s", tmp, dirs[i]);
        mkdir_or_die(path);
    }
    det_split(out, lp, tmp, "train", tr_im, tr_lb, ntr, ntrain, 0x9E3779B97F4A7C15ULL);
    det_split(out, lp, tmp, "test", te_im, te_lb, nte, ntest, 0xD1B54A32D192ED03ULL);
    pathf(path, sizeof path, "%s/names.txt", tmp);
    FILE *f = fopen(path, "w");
    if(!f) die("cannot write %s: %s", path, strerror(errno));
    for(i = 0; i < 10; ++i) fprintf(f, "%s\n", FMNIST_LABELS[i]);
    close_or_die(f, path);
    pathf(path, sizeof path, "%s/fashion-mnist-det.data", tmp);
    f = fopen(path, "w");
    if(!f) die("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "classes=10\ntrain=%s/train.list\nvalid=%s/test.list\nnames=%s/names.txt\n"
               "backup=%s/backup\nresults=%s/results\neval=voc\n", abs_out, abs_out, abs_out, abs_out, abs_out);
    close_or_die(f, path);
    if(rename(tmp, out)) die("cannot rename %s to %s: %s", tmp, out, strerror(errno));
    created_tmp = 0;
    printf("%s: converted (%ld training and %ld test scenes)\n", out, ntrain, ntest);
    free(tr_im); free(tr_lb); free(te_im); free(te_lb);
}

/* An output folder Darknet can use and this tool can write: no white space or control character
 * (read_data_cfg strips white space from each line, the lists are lines), short enough for every
 * path under it, not the input folder. */
static void check_output_name(const char *out, const char *in)
{
    const unsigned char *p;
    char shown[4096];
    size_t k = 0;
    int bad = 0;
    for(p = (const unsigned char *)out; *p && k + 1 < sizeof shown; ++p){
        bad |= isspace(*p) || iscntrl(*p);
        shown[k++] = iscntrl(*p) ? '?' : (char)*p;
    }
    shown[k] = 0;
    if(bad){
        die("output path '%s' holds white space or a control character: Darknet's .data reader strips "
            "white space and its lists are lines, so choose another folder", shown);
    }
    if(!*out) die("the output path is empty");
    if(strlen(out) > 3900) die("output path %.40s... is too long (at most 3900 bytes)", out);
    struct stat so, si;
    if(stat(out, &so) == 0 && stat(in, &si) == 0 && so.st_dev == si.st_dev && so.st_ino == si.st_ino){
        die("the output %s is the input folder %s: choose a new folder", out, in);
    }
}

/* `out` as an absolute path (the working folder joined in front of a relative one, its "./"
 * parts and trailing slashes dropped), so that the lists and the .data file written with it work
 * from any folder (free it). */
static char *absolute_path(const char *out)
{
    char cwd[4096];
    const char *p = out;
    if(*out != '/'){
        if(!getcwd(cwd, sizeof cwd)) die("cannot find the working folder: %s", strerror(errno));
        while(p[0] == '.' && p[1] == '/'){ p += 2; while(*p == '/') ++p; }
    }
    size_t n = (*out == '/' ? 0 : strlen(cwd) + 1) + strlen(p) + 1;
    char *o = malloc(n);
    if(!o) die("out of memory");
    if(*out == '/') snprintf(o, n, "%s", p);
    else if(!strcmp(p, ".") || !*p) snprintf(o, n, "%s", cwd);
    else snprintf(o, n, "%s/%s", strcmp(cwd, "/") ? cwd : "", p);
    size_t len = strlen(o);
    while(len > 1 && o[len - 1] == '/') o[--len] = 0;
    return o;
}

static long count_arg(const char *s, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if(*s == 0 || *end || v < 1 || v > 1000000) die("%s scenes: '%s' is not a whole number in 1..1000000", what, s);
    return v;
}

int main(int argc, char **argv)
{
    int det = argc >= 2 && !strcmp(argv[1], "fashion-mnist-det");
    if(det ? (argc < 4 || argc > 6)
           : (argc != 4 || (strcmp(argv[1], "fashion-mnist") && strcmp(argv[1], "cifar10")))){
        fprintf(stderr, "usage: convert fashion-mnist <idx dir> <out dir>\n"
                        "       convert cifar10 <cifar-10-batches-bin dir> <out dir>\n"
                        "       convert fashion-mnist-det <idx dir> <out dir> [train scenes [test scenes]]\n"
                        "               (detection scenes, %dx%d; default 12000 and 2000)\n", SCENE, SCENE);
        return 2;
    }
    const char *in = argv[2], *out = argv[3];
    size_t len = strlen(out);
    char *o = strdup(out);
    while(len > 1 && o[len - 1] == '/') o[--len] = 0;
    check_output_name(o, in);
    abs_out = absolute_path(o);
    writer w;
    if(det){
        long ntrain = argc > 4 ? count_arg(argv[4], "train") : 12000;
        long ntest = argc > 5 ? count_arg(argv[5], "test") : 2000;
        fmnist_det(in, o, ntrain, ntest);
        free(o);
        return 0;
    } else if(!strcmp(argv[1], "fashion-mnist")){
        if(start(&w, in, o, "fashion-mnist", FMNIST_LABELS)) return 0;
        fmnist_split(&w, in, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "train");
        fmnist_split(&w, in, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "test");
        finish(&w, "fashion-mnist");
    } else {
        static const char *train[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                      "data_batch_4.bin", "data_batch_5.bin"};
        static const char *test[] = {"test_batch.bin"};
        if(start(&w, in, o, "cifar10", CIFAR_LABELS)) return 0;
        cifar_split(&w, in, train, 5, "train");
        cifar_split(&w, in, test, 1, "test");
        finish(&w, "cifar10");
    }
    printf("%s: converted\n", o);
    free(o);
    return 0;
}
