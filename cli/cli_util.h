/* cli_util.h: the command line's own small helpers: error records, checked
 * allocation and atomic file replacement (the library keeps its own, which
 * are not part of its public interface). */
#ifndef RNNLM_CLI_CLI_UTIL_H
#define RNNLM_CLI_CLI_UTIL_H

#include <stdio.h>
#include "rnnlm.h"

/* Sets err (may be NULL) and returns status. */
rnnlm_status cli_fail(rnnlm_err *err, rnnlm_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Zeroed n * size bytes, the product checked; NULL with err set on failure. */
void *cli_calloc(size_t n, size_t size, const char *what, rnnlm_err *err);
/* Grows *p to hold at least need elements of size bytes (capacity doubling). */
rnnlm_status cli_grow(void **p, size_t *cap, size_t need, size_t size, const char *what, rnnlm_err *err);

/* A file written under a temporary name in its directory and renamed over
 * path on commit (readers see the old file or the whole new one). */
typedef struct {
    FILE *f;
    char *path, *tmp;
} cli_atomic;

rnnlm_status cli_atomic_open(cli_atomic *a, const char *path, rnnlm_err *err);
/* Flushes, syncs and renames; frees. */
rnnlm_status cli_atomic_commit(cli_atomic *a, rnnlm_err *err);
/* Removes the temporary; frees. */
void cli_atomic_abort(cli_atomic *a);

#endif
