/* The error module (src/check_error.c), as linked from libdarknet.a, i.e. compiled with the shipped
 * build's flags (-Ofast in build/cpu): check_finite must still see NaN and Inf there; the cfg and
 * file errors print their one line and exit 1; the checked allocator names what it could not
 * allocate, also when the size product overflows. Each exiting call runs in a child process. */
#include "testutil.h"
#include "check_error.h"

#include <float.h>
#include <stdint.h>
#include <sys/wait.h>

static float from_bits(uint32_t b)
{
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

static void test_finite(void)
{
    /* volatile: the values reach the library at run time, not as constants folded here */
    volatile float zero = 0.f;
    float nan = zero/zero, inf = 1.f/zero;
    CHECK(!check_finite(nan), "NaN (0/0) taken as finite");
    CHECK(!check_finite(from_bits(0x7FC00001u)), "quiet NaN with payload taken as finite");
    CHECK(!check_finite(from_bits(0xFF800001u)), "negative signalling NaN taken as finite");
    CHECK(!check_finite(inf) && !check_finite(-inf), "+-Inf taken as finite");
    CHECK(check_finite(0.f) && check_finite(-0.f), "zero taken as not finite");
    CHECK(check_finite(FLT_MAX) && check_finite(-FLT_MAX), "FLT_MAX taken as not finite");
    CHECK(check_finite(from_bits(1u)), "the smallest denormal taken as not finite");
    float a[6] = {1, 2, 3, 4, 5, 6};
    CHECK(check_finite_array(a, 6) == 6, "all-finite array: %zu", check_finite_array(a, 6));
    a[4] = nan;
    CHECK(check_finite_array(a, 6) == 4, "NaN at 4 found at %zu", check_finite_array(a, 6));
    a[1] = -inf;
    CHECK(check_finite_array(a, 6) == 1, "-Inf at 1 found at %zu", check_finite_array(a, 6));
    CHECK(check_finite_array(a, 0) == 0, "empty array");
}

/* runs f in a child with stderr to a file; returns the exit status (or 128 + signal) and the text */
static int run_child(void (*f)(void), char *text, size_t size)
{
    FILE *tmp = tmpfile();
    if(!tmp){ perror("tmpfile"); exit(2); }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if(pid < 0){ perror("fork"); exit(2); }
    if(pid == 0){
        dup2(fileno(tmp), 2);
        f();
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    rewind(tmp);
    size_t n = fread(text, 1, size - 1, tmp);
    text[n] = 0;
    fclose(tmp);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void cfg_key(void) { check_cfg_error("x.cfg", "[ternary]", 3, "threshold", "1.5", "0 < t < 1"); }
static void cfg_data(void) { check_cfg_error("x.data", NULL, 0, "classes", "abc", "a whole number"); }
static void cfg_section(void) { check_cfg_error("x.cfg", "[net]", 0, NULL, NULL, "a cfg without layers"); }
static void file_layer(void) { check_file_error("w.weights", 7, "ternary", "truncated after %d of %d floats", 5, 9); }
static void file_plain(void) { check_file_error("w.weights", -1, NULL, "not a weights file"); }
static void alloc_overflow(void) { check_calloc(SIZE_MAX/2, 4, "the test's buffer"); }
static void alloc_ok(void)
{
    float *p = check_calloc(0, sizeof(float), "an empty buffer");
    float *q = check_malloc(16, sizeof(float), "16 floats");
    q = check_realloc(q, 32, sizeof(float), "32 floats");
    q[31] = 1;
    free(p);
    free(q);
}

static void expect(const char *what, void (*f)(void), int status, const char *want)
{
    char text[1024];
    int got = run_child(f, text, sizeof text);
    CHECK(got == status, "%s: exit status %d, want %d (stderr: %s)", what, got, status, text);
    CHECK(strcmp(text, want) == 0, "%s: printed\n  %s want\n  %s", what, text, want);
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    test_finite();
    expect("cfg key", cfg_key, 1, "x.cfg: section [ternary] #3: key 'threshold' = 1.5, expected 0 < t < 1\n");
    expect("data key", cfg_data, 1, "x.data: key 'classes' = abc, expected a whole number\n");
    expect("section", cfg_section, 1, "x.cfg: section [net] #0: a cfg without layers\n");
    expect("file, layer", file_layer, 1, "w.weights: layer 7 (ternary): truncated after 5 of 9 floats\n");
    expect("file", file_plain, 1, "w.weights: not a weights file\n");
    char text[1024];
    int st = run_child(alloc_overflow, text, sizeof text);
    CHECK(st == 1 && strstr(text, "out of memory") && strstr(text, "the test's buffer"),
          "an overflowing calloc: status %d, printed %s", st, text);
    expect("allocations that fit", alloc_ok, 0, "");
    return t_finish();
}
