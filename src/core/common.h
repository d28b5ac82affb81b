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

/* FNV-1a, 64 bits (offset basis 0xcbf29ce484222325, prime 0x100000001b3),
 * of p[0..n) continuing from h (FNV1A64_INIT for an empty prefix):
 * fnv1a64(fnv1a64(FNV1A64_INIT, a), b) is the hash of a ++ b. The data
 * fingerprints of a training run (docs/FORMAT.md, "data." keys). */
#define FNV1A64_INIT 0xcbf29ce484222325ULL
uint64_t fnv1a64(uint64_t h, const void *p, size_t n);
/* The same of x as 8 bytes, little-endian. */
uint64_t fnv1a64_u64(uint64_t h, uint64_t x);

#endif
