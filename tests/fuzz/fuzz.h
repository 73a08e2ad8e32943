/* Support for the libFuzzer harnesses of tests/fuzz/ (README.md there).
 *
 * Darknet ends the program on bad input: exit(1) from our error module (src/check_error.c) and
 * from Darknet's file_error/error. For a fuzzer such an exit is an orderly rejection, a pass; only
 * signals, sanitizer reports and hangs are failures. The harnesses are linked with
 *   -Wl,--wrap=exit,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=strdup,
 *   --wrap=fopen,--wrap=fclose,--wrap=rand_normal
 * so that, while fuzz_guard runs a target, exit() jumps back to fuzz_guard instead of ending the
 * process, and every block allocated and every FILE opened by the target is released afterwards
 * (a rejected input leaves the partial network, option lists and open files behind it; in a
 * process that runs millions of inputs those would end it for lack of memory or descriptors).
 * rand_normal, which draws every initial weight, is replaced by a cheaper draw (fuzz.c). */
#ifndef TTQ_FUZZ_H
#define TTQ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Runs fn(arg) with exit() caught; then frees what it allocated and closes what it opened.
 * Returns 0 when fn returned, 1 when it called exit(). The target's allocations must not outlive
 * the call (the harnesses build everything they use inside fn). */
int fuzz_guard(void (*fn)(void *), void *arg);

/* The process's own scratch folder (created on first use under $TMPDIR or /tmp, removed at
 * exit); the harnesses write their input files there. fuzz_path gives dir/name in a static
 * buffer (one of 8 in rotation). */
const char *fuzz_dir(void);
const char *fuzz_path(const char *name);

/* fuzz_guard run in fuzz_dir() as the current folder (for relative paths inside the input), the
 * folder restored afterwards: libFuzzer opens the corpus by the paths it was given. */
int fuzz_guard_in_dir(void (*fn)(void *), void *arg);

/* Writes size bytes to fuzz_path(name); aborts (a harness fault, not Darknet's) when it cannot. */
void fuzz_write(const char *name, const uint8_t *data, size_t size);

/* Splits data at the first n-1 occurrences of the line "----\n" into n parts (missing parts are
 * empty). part[i], len[i] point into data. */
void fuzz_split(const uint8_t *data, size_t size, int n, const uint8_t **part, size_t *len);

#endif
