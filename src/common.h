/* common.h: what every library file shares: the error record, overflow-checked
 * size arithmetic, and allocation that reports instead of aborting.
 * The library never prints and never exits; a failing function fills an
 * rnnlm_err and returns its status. */
#ifndef RNNLM_COMMON_H
#define RNNLM_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "rnnlm.h"

/* Sets err (which may be NULL) and returns status, so callers write
 * `return rnnlm_fail(err, RNNLM_E_IO, "%s: %s", path, strerror(errno));`. */
rnnlm_status rnnlm_fail(rnnlm_err *err, rnnlm_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Overflow-checked size arithmetic: return false on overflow. */
static inline bool size_mul(size_t a, size_t b, size_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool size_add(size_t a, size_t b, size_t *out) {
    return !__builtin_add_overflow(a, b, out);
}

/* Allocation of n * size bytes with overflow check; NULL with err set on failure.
 * what names the thing for the message ("token array"). Zeroed. */
void *rnnlm_calloc(size_t n, size_t size, const char *what, rnnlm_err *err);
/* Grows *p to hold at least need elements of size bytes (capacity doubling). */
rnnlm_status rnnlm_grow(void **p, size_t *cap, size_t need, size_t size, const char *what,
                        rnnlm_err *err);

#endif
