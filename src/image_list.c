/* One image, a folder of images or a list file, for the prediction commands (patch 0703):
 * `classifier predict` and `detector test` name each image in their output when given many. */
#include "image_list.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_cfg.h"
#include "check_error.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix), i;
    if(n < m) return 0;
    for(i = 0; i < m; ++i) if(tolower((unsigned char)s[n - m + i]) != suffix[i]) return 0;
    return 1;
}

static int is_image_name(const char *name)
{
    static const char *ext[] = {".png", ".jpg", ".jpeg", ".bmp", ".tga", ".gif", ".ppm", ".pgm", ".pnm"};
    size_t i;
    if(name[0] == '.') return 0;
    for(i = 0; i < sizeof ext/sizeof *ext; ++i) if(ends_with(name, ext[i])) return 1;
    return 0;
}

static void push(char ***v, int *n, int *cap, char *s)
{
    if(*n + 1 >= *cap){
        *cap = *cap ? 2 * *cap : 64;
        *v = check_realloc(*v, (size_t)*cap, sizeof **v, "the list of images");
    }
    (*v)[(*n)++] = s;
    (*v)[*n] = 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **ttq_image_list(const char *arg, int *n, int *is_many)
{
    char **v = 0;
    int cap = 0;
    struct stat st;
    *n = 0;
    *is_many = 0;
    if(stat(arg, &st) == 0 && S_ISDIR(st.st_mode)){
        DIR *d = opendir(arg);
        if(!d) check_file_error(arg, -1, 0, "cannot read the folder: %s", strerror(errno));
        struct dirent *e;
        size_t len = strlen(arg);
        const char *sep = len && arg[len - 1] == '/' ? "" : "/";
        while((e = readdir(d))){
            if(is_image_name(e->d_name)) push(&v, n, &cap, check_cfg_path("%s%s%s", arg, sep, e->d_name));
        }
        closedir(d);
        if(*n == 0) check_file_error(arg, -1, 0, "the folder holds no image (.png, .jpg, .jpeg, .bmp, .tga, .gif, .ppm, .pgm, .pnm)");
        qsort(v, *n, sizeof *v, by_name);
        *is_many = 1;
        return v;
    }
    if(ends_with(arg, ".list") || ends_with(arg, ".txt")){
        FILE *fp = fopen(arg, "rb");
        if(!fp) check_file_error(arg, -1, 0, "cannot read the list of images: %s", strerror(errno));
        char *line = 0;
        size_t lcap = 0;
        ssize_t got;
        while((got = getline(&line, &lcap, fp)) >= 0){
            while(got > 0 && strchr("\n\r \t", line[got - 1])) line[--got] = 0;
            if(memchr(line, 0, (size_t)got)) check_file_error(arg, -1, 0, "a NUL byte in line %d: not a list of paths", *n + 1);
            char *s = line;
            while(*s == ' ' || *s == '\t') ++s;
            if(!*s) continue;
            push(&v, n, &cap, check_cfg_path("%s", line));
        }
        int err = ferror(fp);
        free(line);
        fclose(fp);
        if(err) check_file_error(arg, -1, 0, "error reading the list of images");
        if(*n == 0) check_file_error(arg, -1, 0, "the list names no image");
        *is_many = 1;
        return v;
    }
    push(&v, n, &cap, check_cfg_path("%s", arg));
    return v;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ttq_median(double *t, int n)
{
    if(n <= 0) return 0;
    qsort(t, n, sizeof *t, by_value);
    return n % 2 ? t[n/2] : (t[n/2 - 1] + t[n/2])/2;
}
