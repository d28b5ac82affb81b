/* common.c: error records and checked allocation (see common.h). */
#include "core/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rnnlm_status_string(rnnlm_status s) {
    switch (s) {
    case RNNLM_OK: return "ok";
    case RNNLM_E_IO: return "input/output error";
    case RNNLM_E_FORMAT: return "malformed input";
    case RNNLM_E_ARG: return "invalid argument";
    case RNNLM_E_NOMEM: return "out of memory";
    case RNNLM_E_NUMERIC: return "numerical failure";
    case RNNLM_E_STATE: return "invalid state";
    }
    return "unknown status";
}

rnnlm_status rnnlm_fail(rnnlm_err *err, rnnlm_status status, const char *fmt, ...) {
    if (err) {
        err->status = status;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

void *rnnlm_calloc(size_t n, size_t size, const char *what, rnnlm_err *err) {
    size_t bytes;
    if (!size_mul(n, size, &bytes)) {
        rnnlm_fail(err, RNNLM_E_NOMEM, "%s: size %zu x %zu overflows", what, n, size);
        return NULL;
    }
    void *p = calloc(bytes ? bytes : 1, 1);
    if (!p) rnnlm_fail(err, RNNLM_E_NOMEM, "%s: cannot allocate %zu bytes", what, bytes);
    return p;
}

rnnlm_status rnnlm_grow(void **p, size_t *cap, size_t need, size_t size, const char *what,
                        rnnlm_err *err) {
    if (need <= *cap) return RNNLM_OK;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (!size_mul(ncap, 2, &ncap))
            return rnnlm_fail(err, RNNLM_E_NOMEM, "%s: capacity overflows", what);
    }
    size_t bytes;
    if (!size_mul(ncap, size, &bytes))
        return rnnlm_fail(err, RNNLM_E_NOMEM, "%s: size overflows", what);
    void *np = realloc(*p, bytes);
    if (!np) return rnnlm_fail(err, RNNLM_E_NOMEM, "%s: cannot allocate %zu bytes", what, bytes);
    *p = np;
    *cap = ncap;
    return RNNLM_OK;
}

uint64_t fnv1a64(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

uint64_t fnv1a64_u64(uint64_t h, uint64_t x) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(x >> (8 * i));
    return fnv1a64(h, b, sizeof b);
}
