/* Writes a small, learnable image-classification set in Darknet's classifier layout, for the
 * end-to-end tests: PPM images (stb_image reads them) of three classes, vertical bars, horizontal
 * bars and a checkerboard, with random colours, phase and noise.
 *
 *   genimages <dir> <train_per_class> <test_per_class> <size> <seed>
 *
 * Creates <dir>/imgs/NAME.ppm, <dir>/train.list, <dir>/test.list, <dir>/labels.txt, <dir>/set.data
 * (backup = <dir>/backup). Label names are not substrings of one another or of the folders. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *LABELS[] = {"vbars", "hbars", "checker"};
enum { NCLASS = 3 };

static unsigned rng;
static int rnd(int n)
{
    rng = rng*1103515245u + 12345u;
    return (int)((rng >> 8) % (unsigned)n);
}

static void die(const char *what, const char *path)
{
    fprintf(stderr, "genimages: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void write_image(const char *path, int cls, int size)
{
    FILE *f = fopen(path, "wb");
    if(!f) die("cannot write", path);
    int period = 2 + rnd(3), phase = rnd(period), y, x, k;
    unsigned char fg[3], bg[3];
    for(k = 0; k < 3; ++k){
        fg[k] = (unsigned char)(150 + rnd(106));
        bg[k] = (unsigned char)rnd(100);
    }
    fprintf(f, "P6\n%d %d\n255\n", size, size);
    for(y = 0; y < size; ++y){
        for(x = 0; x < size; ++x){
            int on;
            if(cls == 0) on = ((x + phase)/period) % 2;
            else if(cls == 1) on = ((y + phase)/period) % 2;
            else on = (((x + phase)/period) + ((y + phase)/period)) % 2;
            for(k = 0; k < 3; ++k){
                int v = (on ? fg[k] : bg[k]) + rnd(41) - 20;
                fputc(v < 0 ? 0 : v > 255 ? 255 : v, f);
            }
        }
    }
    if(fclose(f)) die("cannot write", path);
}

static void make_list(const char *dir, const char *name, int per_class, int size)
{
    char path[4096], img[4096];
    snprintf(path, sizeof path, "%s/%s.list", dir, name);
    FILE *list = fopen(path, "w");
    if(!list) die("cannot write", path);
    int c, i;
    for(i = 0; i < per_class; ++i){
        for(c = 0; c < NCLASS; ++c){
            snprintf(img, sizeof img, "%s/imgs/%s_%s_%04d.ppm", dir, name, LABELS[c], i);
            write_image(img, c, size);
            fprintf(list, "%s\n", img);
        }
    }
    if(fclose(list)) die("cannot write", path);
}

int main(int argc, char **argv)
{
    if(argc != 6){
        fprintf(stderr, "usage: genimages <dir> <train_per_class> <test_per_class> <size> <seed>\n");
        return 2;
    }
    const char *dir = argv[1];
    int ntrain = atoi(argv[2]), ntest = atoi(argv[3]), size = atoi(argv[4]);
    rng = (unsigned)atoi(argv[5]);
    char path[4096];
    snprintf(path, sizeof path, "%s/imgs", dir);
    if(mkdir(dir, 0755) && errno != EEXIST) die("cannot create", dir);
    if(mkdir(path, 0755) && errno != EEXIST) die("cannot create", path);
    snprintf(path, sizeof path, "%s/backup", dir);
    if(mkdir(path, 0755) && errno != EEXIST) die("cannot create", path);
    make_list(dir, "train", ntrain, size);
    make_list(dir, "test", ntest, size);

    snprintf(path, sizeof path, "%s/labels.txt", dir);
    FILE *f = fopen(path, "w");
    if(!f) die("cannot write", path);
    int c;
    for(c = 0; c < NCLASS; ++c) fprintf(f, "%s\n", LABELS[c]);
    if(fclose(f)) die("cannot write", path);

    snprintf(path, sizeof path, "%s/set.data", dir);
    f = fopen(path, "w");
    if(!f) die("cannot write", path);
    fprintf(f, "classes=%d\ntrain=%s/train.list\nvalid=%s/test.list\nlabels=%s/labels.txt\n"
               "backup=%s/backup\ntop=2\n", NCLASS, dir, dir, dir, dir);
    if(fclose(f)) die("cannot write", path);
    return 0;
}
