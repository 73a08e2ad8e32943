/* Files that commands write (output_file.h): a fresh temporary beside the final name, renamed over
 * it when complete; pending temporaries are removed when the program ends first. Used by every
 * writer of Darknet's commands (weights, optimiser state, telemetry, detection results, images,
 * ternary fold/pack/plot). */
#define _GNU_SOURCE
#include "output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_error.h"

#define OUTPUT_PATH_MAX 4096
#define OUTPUT_SUFFIX ".tmp.XXXXXX"

/* One pending temporary: its stream (NULL for an output_temp name), its name, the name it is
 * renamed to, and the name messages give (the user's, where the target is itself a temporary). */
typedef struct pending {
    FILE *fp;
    char *tmp;
    char *target;
    char *path;
    struct pending *next;
} pending;

static pending *volatile pending_list;
/* SIGXFSZ: a write past the file-size limit (ulimit -f) kills by default */
static const int cleanup_signals[5] = {SIGINT, SIGTERM, SIGHUP, SIGABRT, SIGXFSZ};

static void remove_all_pending(void)
{
    pending *p;
    for(p = pending_list; p; p = p->next) unlink(p->tmp);
}

static void remove_pending_on_signal(int sig)
{
    remove_all_pending();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* At the first output: removal at exit, and on the signals that still have their default action
 * (a program with handlers of its own, an interpreter, keeps them). */
static void install_cleanup(void)
{
    static int installed;
    int i;
    if(installed) return;
    installed = 1;
    atexit(remove_all_pending);
    for(i = 0; i < 5; ++i){
        struct sigaction old, sa;
        if(sigaction(cleanup_signals[i], 0, &old) != 0 || old.sa_handler != SIG_DFL) continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = remove_pending_on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(cleanup_signals[i], &sa, 0);
    }
}

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(check_malloc(n, 1, "a file name"), s, n);
}

static pending *find_fp(FILE *fp)
{
    pending *p;
    for(p = pending_list; p; p = p->next) if(p->fp == fp) return p;
    return 0;
}

static pending *find_tmp(const char *tmp)
{
    pending *p;
    for(p = pending_list; p; p = p->next) if(!strcmp(p->tmp, tmp)) return p;
    return 0;
}

/* The list is changed under this lock; the exit and signal handlers walk it without one, so a node
 * taken off the list is never freed (a handler may be on it: a data-loading thread's exit, a
 * signal on another thread) and its `next` stays valid. A few hundred bytes per output. */
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;

static void push(pending *p)
{
    pthread_mutex_lock(&list_lock);
    p->next = pending_list;
    pending_list = p;
    pthread_mutex_unlock(&list_lock);
}

/* Takes p off the list; its temporary is no longer removed at exit. */
static void forget(pending *p)
{
    pthread_mutex_lock(&list_lock);
    pending *volatile *at = &pending_list;
    while(*at && *at != p) at = &(*at)->next;
    if(*at) *at = p->next;
    pthread_mutex_unlock(&list_lock);
    p->fp = 0;
}

static mode_t file_mode(void)
{
    static int known;
    static mode_t mode;
    if(!known){
        mode_t mask = umask(022);
        umask(mask);
        mode = 0666 & ~mask;
        known = 1;
    }
    return mode;
}

/* Removes p's temporary and ends the program: "<path>: <what>: <reason>". */
static void fail(pending *p, const char *what, int err)
{
    char path[OUTPUT_PATH_MAX];
    snprintf(path, sizeof path, "%s", p->path);
    unlink(p->tmp);
    forget(p);
    check_file_error(path, -1, 0, "%s: %s", what, strerror(err));
}

/* A new temporary for path: its descriptor, listed as pending. fatal 0: a failure prints the
 * message and returns -1 instead of ending the program. */
static int create_temp(const char *path, pending **out, int fatal)
{
    struct stat st;
    size_t n = strlen(path);
    const char *why = 0;
    if(!n) why = "an output file name is empty";
    else if(n + sizeof OUTPUT_SUFFIX > OUTPUT_PATH_MAX) why = "the path is too long for an output file";
    else if(path[n-1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode))) why = "is a folder: the output needs a file name";
    if(why){
        if(fatal) check_file_error(n ? path : "(output)", -1, 0, "%s", why);
        fprintf(stderr, "%s: %s\n", n ? path : "(output)", why);
        return -1;
    }
    install_cleanup();
    pending *p = check_calloc(1, sizeof *p, "an output file");
    p->path = copy_string(output_user_name(path));
    p->target = copy_string(path);
    p->tmp = check_malloc(n + sizeof OUTPUT_SUFFIX, 1, "a file name");
    memcpy(p->tmp, path, n);
    memcpy(p->tmp + n, OUTPUT_SUFFIX, sizeof OUTPUT_SUFFIX);
    int fd = mkostemp(p->tmp, O_CLOEXEC);
    if(fd < 0){
        int err = errno;
        char user[OUTPUT_PATH_MAX];
        snprintf(user, sizeof user, "%s", p->path);
        free(p->tmp);
        free(p->target);
        free(p->path);
        free(p);
        if(fatal) check_file_error(user, -1, 0, "cannot create it (a temporary file beside it): %s", strerror(err));
        fprintf(stderr, "%s: cannot create it (a temporary file beside it): %s\n", user, strerror(err));
        return -1;
    }
    push(p);
    /* mkstemp's 0600 to what a plain fopen would give */
    if(fchmod(fd, file_mode()) != 0){
        int err = errno;
        close(fd);
        fail(p, "cannot set the new file's permissions", err);
    }
    *out = p;
    return fd;
}

FILE *output_open(const char *path)
{
    pending *p;
    int fd = create_temp(path, &p, 1);
    p->fp = fdopen(fd, "wb");
    if(!p->fp){
        int err = errno;
        close(fd);
        fail(p, "cannot write it", err);
    }
    return p->fp;
}

/* Renames a complete temporary over its target and forgets it. */
static void finish(pending *p)
{
    if(rename(p->tmp, p->target) != 0) fail(p, "cannot rename the complete file into place", errno);
    forget(p);
}

FILE *output_try_open(const char *path)
{
    pending *p;
    int fd = create_temp(path, &p, 0);
    if(fd < 0) return 0;
    p->fp = fdopen(fd, "wb");
    if(!p->fp){
        fprintf(stderr, "%s: cannot write it: %s\n", p->path, strerror(errno));
        close(fd);
        unlink(p->tmp);
        forget(p);
    }
    return p->fp;
}

void output_close(FILE *fp)
{
    pending *p = find_fp(fp);
    if(!p) check_file_error("(output)", -1, 0, "output_close: not a file of output_open");
    errno = 0;
    int bad = fflush(fp) != 0 || ferror(fp);
    int err = errno ? errno : EIO;
    if(!bad && fsync(fileno(fp)) != 0){
        bad = 1;
        err = errno;
    }
    if(fclose(fp) != 0 && !bad){
        bad = 1;
        err = errno;
    }
    p->fp = 0;
    if(bad) fail(p, "error writing it", err);
    finish(p);
}

void output_discard(FILE *fp)
{
    pending *p = find_fp(fp);
    if(!p) return;
    fclose(fp);
    unlink(p->tmp);
    forget(p);
}

char *output_temp(const char *path)
{
    pending *p;
    int fd = create_temp(path, &p, 1);
    close(fd);
    return copy_string(p->tmp);
}

void output_commit(const char *tmp)
{
    pending *p = find_tmp(tmp);
    if(!p) check_file_error(tmp, -1, 0, "output_commit: not a file of output_temp");
    int fd = open(p->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if(fd < 0 || fsync(fd) != 0){
        int err = errno;
        if(fd >= 0) close(fd);
        fail(p, "cannot sync the written file", err);
    }
    close(fd);
    finish(p);
}

void output_hold(const char *path)
{
    install_cleanup();
    pending *p = check_calloc(1, sizeof *p, "an output file");
    p->tmp = copy_string(path);
    p->target = copy_string(path);
    p->path = copy_string(path);
    push(p);
}

void output_release(const char *path)
{
    pending *p = find_tmp(path);
    if(p) forget(p);
}

const char *output_user_name(const char *name)
{
    pending *p = find_tmp(name);
    return p ? p->path : name;
}

void output_check_append(const char *path)
{
    struct stat st;
    if(lstat(path, &st) != 0) return;
    if(S_ISLNK(st.st_mode)) check_file_error(path, -1, 0, "is a symbolic link: it is appended to only as a file of its own");
    if(!S_ISREG(st.st_mode)){
        check_file_error(path, -1, 0, "is not a regular file (a FIFO, a device or a folder): it is appended to "
                         "only as a file of its own");
    }
}

FILE *output_open_append(const char *path, int fresh)
{
    struct stat st;
    int fd = -1;
    if(!fresh){
        if(lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)){
            check_file_error(path, -1, 0, "is not a regular file (a FIFO, a device or a folder): it is appended to "
                             "only as a file of its own");
        }
        fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if(fd < 0 && errno != ENOENT){
            if(errno == ELOOP){
                check_file_error(path, -1, 0, "is a symbolic link: it is appended to only as a file of its own");
            }
            check_file_error(path, -1, 0, "cannot append to it: %s", strerror(errno));
        }
        if(fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))){
            close(fd);
            check_file_error(path, -1, 0, "is not a regular file (a FIFO, a device or a folder): it is appended to "
                             "only as a file of its own");
        }
        if(fd >= 0 && fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) != 0){
            close(fd);
            check_file_error(path, -1, 0, "cannot append to it: %s", strerror(errno));
        }
    }
    if(fd < 0){
        pending *p;
        fd = create_temp(path, &p, 1);
        if(rename(p->tmp, p->target) != 0){
            int err = errno;
            close(fd);
            fail(p, "cannot create it", err);
        }
        forget(p);
        if(fcntl(fd, F_SETFL, O_APPEND) != 0) check_file_error(path, -1, 0, "cannot append to it: %s", strerror(errno));
    }
    FILE *fp = fdopen(fd, "a");
    if(!fp) check_file_error(path, -1, 0, "cannot append to it: %s", strerror(errno));
    return fp;
}
