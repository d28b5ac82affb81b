/* common.h: what every library file shares: overflow-checked size arithmetic
 * (the error record and checked allocation are public: rnnlm.h).
 * The library never prints and never exits; a failing function fills an
 * rnnlm_err and returns its status. */
#ifndef RNNLM_COMMON_H
#define RNNLM_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "rnnlm.h"

/* Overflow-checked size arithmetic: return false on overflow. */
static inline bool size_mul(size_t a, size_t b, size_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool size_add(size_t a, size_t b, size_t *out) {
    return !__builtin_add_overflow(a, b, out);
}

/* rnnlm_fail, rnnlm_calloc and rnnlm_grow are declared in rnnlm.h. */

#endif
