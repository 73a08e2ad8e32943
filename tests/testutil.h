/* Minimal test helpers: silent on success, print on failure, exit status = number of failures.
 * Run a test with -v for detail. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int t_failures = 0;
static int t_verbose = 0;

static void t_init(int argc, char **argv)
{
    int i;
    for(i = 1; i < argc; ++i) if(strcmp(argv[i], "-v") == 0) t_verbose = 1;
    if(!t_verbose){
        /* Darknet narrates on stderr; keep a passing test silent */
        if(!freopen("/dev/null", "w", stderr)) perror("freopen");
    }
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
