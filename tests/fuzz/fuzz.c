/* The exit catcher and the allocation and FILE tracking of fuzz.h: __wrap_exit longjmps back to
 * fuzz_guard while a target runs; __wrap_malloc & co. record every live block the target
 * allocated in a pointer set (open addressing, linear probing) and fuzz_guard frees what is left;
 * __wrap_fopen/__wrap_fclose do the same for FILEs. Outside fuzz_guard (libFuzzer's own calls go
 * through the wrappers too) everything passes straight through. */
#include "fuzz.h"
#include "check_error.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void __real_exit(int status) __attribute__((noreturn));
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
char *__real_strdup(const char *s);
FILE *__real_fopen(const char *path, const char *mode);
int __real_fclose(FILE *f);

static jmp_buf guard_jmp;
static volatile int guarding;

/* ---- the set of live blocks ------------------------------------------------------------------ */
static void **tab;
static size_t cap, used;

static size_t home(const void *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)h & (cap - 1);
}

static void put(void *p);

static void grow(void)
{
    size_t i, old_cap = cap;
    void **old = tab;
    cap = cap ? 2*cap : 4096;
    tab = __real_calloc(cap, sizeof *tab);
    if(!tab){
        fprintf(stderr, "fuzz.c: no memory for the allocation table\n");
        abort();
    }
    used = 0;
    for(i = 0; i < old_cap; ++i) if(old[i]) put(old[i]);
    __real_free(old);
}

static void put(void *p)
{
    if((used + 1)*2 > cap) grow();
    size_t i = home(p);
    while(tab[i]){
        if(tab[i] == p) return;
        i = (i + 1) & (cap - 1);
    }
    tab[i] = p;
    ++used;
}

/* Removes p (when present) and closes the gap by shifting later entries of its run back. */
static void drop(void *p)
{
    if(!cap || !p) return;
    size_t i = home(p), j, k;
    while(tab[i] != p){
        if(!tab[i]) return;
        i = (i + 1) & (cap - 1);
    }
    tab[i] = 0;
    --used;
    for(j = (i + 1) & (cap - 1); tab[j]; j = (j + 1) & (cap - 1)){
        k = home(tab[j]);
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if(!stays){
            tab[i] = tab[j];
            tab[j] = 0;
            i = j;
        }
    }
}

static void free_all(void)
{
    size_t i;
    for(i = 0; i < cap; ++i) if(tab[i]) __real_free(tab[i]);
    __real_free(tab);
    tab = 0;
    cap = used = 0;
}

/* ---- open FILEs ------------------------------------------------------------------------------ */
#define MAX_FILES 256
static FILE *files[MAX_FILES];

static void close_all(void)
{
    int i;
    for(i = 0; i < MAX_FILES; ++i) if(files[i]){
        __real_fclose(files[i]);
        files[i] = 0;
    }
}

/* ---- the wrappers ---------------------------------------------------------------------------- */
void __wrap_exit(int status)
{
    if(guarding){
        guarding = 0;
        longjmp(guard_jmp, 1);
    }
    __real_exit(status);
}

void *__wrap_malloc(size_t n)
{
    void *p = __real_malloc(n);
    if(guarding && p) put(p);
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    void *p = __real_calloc(n, size);
    if(guarding && p) put(p);
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    void *q = __real_realloc(p, n);
    if(q || n == 0) drop(p);       /* p is gone when realloc moved it or freed it (n == 0) */
    if(guarding && q) put(q);
    return q;
}

void __wrap_free(void *p)
{
    drop(p);
    __real_free(p);
}

char *__wrap_strdup(const char *s)
{
    char *p = __real_strdup(s);
    if(guarding && p) put(p);
    return p;
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
    FILE *f = __real_fopen(path, mode);
    int i;
    if(guarding && f){
        for(i = 0; i < MAX_FILES && files[i]; ++i) {}
        if(i == MAX_FILES){
            fprintf(stderr, "fuzz.c: more than %d files open at once\n", MAX_FILES);
            abort();
        }
        files[i] = f;
    }
    return f;
}

int __wrap_fclose(FILE *f)
{
    int i;
    for(i = 0; i < MAX_FILES; ++i) if(files[i] == f) files[i] = 0;
    return __real_fclose(f);
}

/* Darknet draws every initial weight with rand_normal (Box-Muller: a log, a sqrt, a sin and a cos
 * per value), 85 % of fuzz_cfg's time on a large cfg (perf, 2026-12-05). No harness depends on the
 * values: a uniform draw of unit variance instead. */
float __wrap_rand_normal(void)
{
    return (float)rand()*(3.4641016f/(float)RAND_MAX) - 1.7320508f;
}

int fuzz_guard(void (*fn)(void *), void *arg)
{
    int exited;
    guarding = 1;
    if(setjmp(guard_jmp) == 0){
        fn(arg);
        exited = 0;
    }else{
        exited = 1;
    }
    guarding = 0;
    free_all();
    close_all();
    check_alloc_context(NULL, NULL, 0);   /* an exit out of parse_network_cfg left it set */
    return exited;
}

int fuzz_guard_in_dir(void (*fn)(void *), void *arg)
{
    static char cwd[4096];
    if(!cwd[0] && !getcwd(cwd, sizeof cwd)){
        perror("fuzz.c: getcwd");
        abort();
    }
    if(chdir(fuzz_dir())){
        perror("fuzz.c: chdir");
        abort();
    }
    int exited = fuzz_guard(fn, arg);
    if(chdir(cwd)){
        perror("fuzz.c: chdir");
        abort();
    }
    return exited;
}

/* ---- scratch files --------------------------------------------------------------------------- */
static char dir[4096];

static void remove_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[8192];
    if(!d) return;
    while((e = readdir(d))){
        if(!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if(unlink(path)) rmdir(path);
    }
    closedir(d);
    rmdir(dir);
}

const char *fuzz_dir(void)
{
    if(!dir[0]){
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/ttq-fuzz-XXXXXX", t && *t ? t : "/tmp");
        if(!mkdtemp(dir)){
            perror("fuzz.c: mkdtemp");
            abort();
        }
        atexit(remove_dir);
    }
    return dir;
}

const char *fuzz_path(const char *name)
{
    static char buf[8][8192];
    static int next;
    char *p = buf[next];
    next = (next + 1) % 8;
    snprintf(p, sizeof buf[0], "%s/%s", fuzz_dir(), name);
    return p;
}

void fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    const char *path = fuzz_path(name);
    FILE *f = __real_fopen(path, "wb");
    if(!f || (size && fwrite(data, 1, size, f) != size) || __real_fclose(f)){
        perror(path);
        abort();
    }
}

void fuzz_split(const uint8_t *data, size_t size, int n, const uint8_t **part, size_t *len)
{
    static const char sep[] = "----\n";
    const size_t sl = sizeof sep - 1;
    size_t at = 0, i;
    int k = 0;
    part[0] = data;
    for(i = 0; k < n - 1 && i + sl <= size; ++i){
        if((i == 0 || data[i - 1] == '\n') && !memcmp(data + i, sep, sl)){
            len[k] = i - at;
            at = i + sl;
            part[++k] = data + at;
            i = at - 1;
        }
    }
    len[k] = size - at;
    for(++k; k < n; ++k){
        part[k] = data + size;
        len[k] = 0;
    }
}
