/* Minimal test helpers: silent on success, print on failure, exit status = number of failures.
 * Run a test with -v for detail (t_log's lines and everything Darknet prints on stderr). */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int t_failures = 0;
static int t_verbose = 0;
static int t_done_fd = -1;  /* without -v: the supervising parent learns here that t_finish ran */

/* Defined by the AddressSanitizer / UBSan runtime in a SANITIZE=1 build, absent otherwise */
void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

#define T_TAIL_LINES 25

/* Prints the last T_TAIL_LINES lines of f to stderr. */
__attribute__((unused)) static void t_print_tail(FILE *f)
{
    long size, start, i;
    int lines = 0;
    char *buf;
    if(fseek(f, 0, SEEK_END) || (size = ftell(f)) <= 0) return;
    if(!(buf = malloc(size)) || fseek(f, 0, SEEK_SET) || fread(buf, 1, size, f) != (size_t)size){
        free(buf);
        return;
    }
    for(start = 0, i = size - 2; i >= 0; --i){
        if(buf[i] == '\n' && ++lines == T_TAIL_LINES){ start = i + 1; break; }
    }
    fwrite(buf + start, 1, size - start, stderr);
    if(buf[size - 1] != '\n') fputc('\n', stderr);
    free(buf);
}

/* The parent's side of t_init: waits for the test, passes its exit status on, and when the test
 * died before t_finish (a signal, or exit() inside Darknet) shows the end of its stderr. */
__attribute__((unused)) static void t_supervise(const char *name, pid_t pid, FILE *err, int done_rd)
{
    int st, sig;
    char c;
    while(waitpid(pid, &st, 0) < 0){
        if(errno != EINTR){ perror("waitpid"); _exit(2); }
    }
    int done = read(done_rd, &c, 1) == 1;
    /* 77: a test that skips itself (run.sh's convention) returns it without t_finish */
    if(WIFEXITED(st) && (done || WEXITSTATUS(st) == 77)) _exit(WEXITSTATUS(st));
    if(WIFSIGNALED(st)){
        sig = WTERMSIG(st);
        fprintf(stderr, "FAIL %s: killed by signal %d; the end of its stderr (all of it: -v):\n",
                name, sig);
    } else {
        sig = 0;
        fprintf(stderr, "FAIL %s: exited with status %d before t_finish (inside Darknet?); the end of "
                "its stderr (all of it: -v):\n", name, WEXITSTATUS(st));
    }
    t_print_tail(err);
    fflush(stderr);
    if(sig){
        signal(sig, SIG_DFL);
        raise(sig);
        _exit(128 + sig);
    }
    _exit(WEXITSTATUS(st) ? WEXITSTATUS(st) : 1);
}

/* Without -v the test runs in a child process whose stderr (where Darknet narrates) goes to a
 * temporary file, so that a passing test is silent and one that dies inside Darknet shows why.
 * Sanitizer reports still go to the real stderr. A GPU build does not fork (CUDA may already be
 * initialised, and a child cannot use it then): there Darknet's stderr is left as it is. */
static void t_init(int argc, char **argv)
{
    int i;
    for(i = 1; i < argc; ++i) if(strcmp(argv[i], "-v") == 0) t_verbose = 1;
#ifndef GPU
    int pfd[2], real_err;
    FILE *err;
    pid_t pid;
    if(t_verbose) return;
    if(!(err = tmpfile()) || pipe(pfd)){ perror("t_init"); exit(2); }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if(pid < 0){ perror("fork"); exit(2); }
    if(pid > 0){
        close(pfd[1]);
        fcntl(pfd[0], F_SETFL, O_NONBLOCK);
        t_supervise(argv[0], pid, err, pfd[0]);
    }
    close(pfd[0]);
    fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
    t_done_fd = pfd[1];
    if((real_err = dup(2)) >= 0) fcntl(real_err, F_SETFD, FD_CLOEXEC);
    if(dup2(fileno(err), 2) < 0){ perror("dup2"); exit(2); }
    if(__sanitizer_set_report_fd && real_err >= 0) __sanitizer_set_report_fd((void *)(long)real_err);
#endif
}

static void t_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fprintf(stdout, "\n");
    fflush(stdout);
    ++t_failures;
}

#define CHECK(cond, ...) do { if(!(cond)) t_fail(__FILE__, __LINE__, __VA_ARGS__); } while(0)

__attribute__((unused)) static void t_log(const char *fmt, ...)
{
    va_list ap;
    if(!t_verbose) return;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
}

/* Compares two float arrays; prints the first few differing pairs and the max difference. */
__attribute__((unused)) static int t_close_arrays(const char *what, const float *got, const float *want, size_t n,
                          double atol, double rtol, const char *file, int line)
{
    size_t i, bad = 0;
    double maxd = 0;
    for(i = 0; i < n; ++i){
        double d = fabs((double)got[i] - (double)want[i]);
        if(d > maxd) maxd = d;
        if(!(d <= atol + rtol*fabs((double)want[i]))){
            if(bad < 5) printf("  %s[%zu]: got %.9g want %.9g\n", what, i, got[i], want[i]);
            ++bad;
        }
    }
    if(bad) t_fail(file, line, "%s: %zu of %zu differ (max |diff| %.3g, atol %.1g, rtol %.1g)",
                   what, bad, n, maxd, atol, rtol);
    else t_log("  %s: %zu values, max |diff| %.3g\n", what, n, maxd);
    return bad == 0;
}
#define CHECK_CLOSE(what, got, want, n, atol, rtol) \
    t_close_arrays(what, got, want, n, atol, rtol, __FILE__, __LINE__)

/* Runs fn(arg) in a child process (for code that exits on error). Returns the exit status
 * (or 128+signal) and the child's stderr in buf. */
__attribute__((unused)) static int t_run_child(void (*fn)(void *), void *arg, char *buf, size_t bufsize)
{
    int pfd[2];
    if(pipe(pfd)) { perror("pipe"); exit(2); }
    fflush(stdout);
    pid_t pid = fork();
    if(pid == 0){
        close(pfd[0]);
        dup2(pfd[1], 2);
        if(!freopen("/dev/null", "w", stdout)) _exit(99);
        fn(arg);
        _exit(0);
    }
    close(pfd[1]);
    size_t got = 0;
    ssize_t r;
    while((r = read(pfd[0], buf + got, bufsize - 1 - got)) > 0){
        got += r;
        if(got >= bufsize - 1) { char sink[256]; while(read(pfd[0], sink, sizeof sink) > 0); break; }
    }
    buf[got] = 0;
    close(pfd[0]);
    int st;
    waitpid(pid, &st, 0);
    if(WIFEXITED(st)) return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}

/* A test's scratch folder: removed when every check passed, kept (and named) otherwise. */
__attribute__((unused)) static void t_done_with_dir(const char *dir)
{
    if(t_failures == 0){
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if(system(cmd)) perror("rm");
    } else {
        printf("files kept in %s\n", dir);
    }
}

static int t_finish(void)
{
    if(t_done_fd >= 0){
        char c = 1;
        if(write(t_done_fd, &c, 1) != 1) perror("t_finish");
    }
    return t_failures > 255 ? 255 : t_failures;
}

__attribute__((unused)) static void t_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if(!f){ perror(path); exit(2); }
    fputs(text, f);
    fclose(f);
}

#endif
