/* Files that commands write (output_file.c). Each output is created under a fresh temporary name
 * beside its final name ("NAME.tmp.XXXXXX", mkstemp: O_CREAT|O_EXCL, so never the target of a
 * planted link), written, checked, synced and renamed over NAME only when complete. Until then the
 * temporary is pending: removed if the program ends first (an exit on an error, SIGINT, SIGTERM,
 * SIGHUP, SIGABRT or SIGXFSZ where those have their default action). A failure leaves NAME as it was and
 * no temporary behind. Messages name NAME and the system's reason, never the temporary. */
#ifndef OUTPUT_FILE_H
#define OUTPUT_FILE_H

#include <stdio.h>

/* A new temporary for `path`, open for writing ("wb"); ends the program naming `path` when it
 * cannot be created (the folder is missing or not writable, the name too long). */
FILE *output_open(const char *path);
/* The same, but a failure to create the temporary prints its message and returns NULL (save_image:
 * a picture that cannot be written does not end a command whose results are already printed). */
FILE *output_try_open(const char *path);
/* Completes an output_open file: flushes, checks for write errors, syncs, closes and renames it
 * over its path. A failure removes the temporary and ends the program naming the path. */
void output_close(FILE *fp);
/* Closes and removes an output_open file without touching its path. */
void output_discard(FILE *fp);

/* A new empty temporary for `path`, by name, for a writer that takes a file name (a staged
 * weights file that is checked before it replaces `path`); its name in a new string. */
char *output_temp(const char *path);
/* Renames an output_temp file (synced first) over its path; errors as output_close. */
void output_commit(const char *tmp);
/* A complete output of a command that may still fail: removed if the program ends before
 * output_release (fold writes two files; a failure to write the second removes the first). */
void output_hold(const char *path);
void output_release(const char *path);
/* The name a pending temporary stands for (through a temporary of a temporary), else `name`. */
const char *output_user_name(const char *name);

/* For a file appended to as it grows (the training telemetry): opened for appending, or created
 * empty when it does not exist (created as above and renamed into place), never through a symbolic
 * link and only when it is a regular file (a FIFO, a device or a folder is refused); `fresh`
 * replaces an existing file with an empty one. Ends the program naming `path` on failure. */
FILE *output_open_append(const char *path, int fresh);
/* The checks of output_open_append for an existing file, before anything is written (a command
 * that will append to path later refuses a link or a FIFO there at its start). */
void output_check_append(const char *path);

#endif
