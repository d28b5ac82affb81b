/* cli_util.c: error records, checked allocation, atomic replacement (cli_util.h). */
#include "cli_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

rnnlm_status cli_fail(rnnlm_err *err, rnnlm_status status, const char *fmt, ...) {
    if (err) {
        err->status = status;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

void *cli_calloc(size_t n, size_t size, const char *what, rnnlm_err *err) {
    if (size && n > SIZE_MAX / size) {
        cli_fail(err, RNNLM_E_NOMEM, "%s: size %zu x %zu overflows", what, n, size);
        return NULL;
    }
    size_t bytes = n * size;
    void *p = calloc(bytes ? bytes : 1, 1);
    if (!p) cli_fail(err, RNNLM_E_NOMEM, "%s: cannot allocate %zu bytes", what, bytes);
    return p;
}

rnnlm_status cli_grow(void **p, size_t *cap, size_t need, size_t size, const char *what, rnnlm_err *err) {
    if (need <= *cap) return RNNLM_OK;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) return cli_fail(err, RNNLM_E_NOMEM, "%s: capacity overflows", what);
        ncap *= 2;
    }
    if (size && ncap > SIZE_MAX / size) return cli_fail(err, RNNLM_E_NOMEM, "%s: size overflows", what);
    void *np = realloc(*p, ncap * size);
    if (!np) return cli_fail(err, RNNLM_E_NOMEM, "%s: cannot allocate %zu bytes", what, ncap * size);
    *p = np;
    *cap = ncap;
    return RNNLM_OK;
}

static void atomic_free(cli_atomic *a) {
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    a->f = NULL;
}

rnnlm_status cli_atomic_open(cli_atomic *a, const char *path, rnnlm_err *err) {
    memset(a, 0, sizeof *a);
    size_t n = strlen(path) + 16;
    a->path = strdup(path);
    a->tmp = malloc(n);
    if (!a->path || !a->tmp) { atomic_free(a); return cli_fail(err, RNNLM_E_NOMEM, "out of memory"); }
    snprintf(a->tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(a->tmp);
    if (fd < 0 || !(a->f = fdopen(fd, "w"))) {
        rnnlm_status st = cli_fail(err, RNNLM_E_IO, "%s: cannot create: %s", path, strerror(errno));
        if (fd >= 0) { close(fd); unlink(a->tmp); }
        atomic_free(a);
        return st;
    }
    return RNNLM_OK;
}

rnnlm_status cli_atomic_commit(cli_atomic *a, rnnlm_err *err) {
    rnnlm_status st = RNNLM_OK;
    int bad = fflush(a->f) || ferror(a->f) || fsync(fileno(a->f));
    if (fclose(a->f) || bad) st = cli_fail(err, RNNLM_E_IO, "%s: write failed: %s", a->path, strerror(errno));
    if (!st && rename(a->tmp, a->path))
        st = cli_fail(err, RNNLM_E_IO, "%s: cannot replace: %s", a->path, strerror(errno));
    if (st) unlink(a->tmp);
    atomic_free(a);
    return st;
}

void cli_atomic_abort(cli_atomic *a) {
    if (a->f) fclose(a->f);
    if (a->tmp) unlink(a->tmp);
    atomic_free(a);
}
