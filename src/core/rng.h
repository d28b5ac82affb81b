/* rng.h: the two random generators of rnnlm.
 *  - mt19937: Matsumoto-Nishimura MT19937 with init_genrand, and NumPy's legacy
 *    bounded draw (RandomState.shuffle), so the seeded split is the recipe's.
 *  - rnnlm_rng: xoshiro256** seeded by splitmix64, for everything else
 *    (initialisation, dropout masks, window shuffling, sampling). Its whole
 *    state is four words so a checkpoint can store it. */
#ifndef RNNLM_RNG_H
#define RNNLM_RNG_H

#include <stdint.h>
#include <stddef.h>
#include "rnnlm.h"

typedef struct { uint32_t mt[624]; int mti; } mt19937;

void mt19937_seed(mt19937 *g, uint32_t seed);          /* init_genrand */
uint32_t mt19937_next(mt19937 *g);                      /* genrand_int32 */
uint32_t mt19937_bounded(mt19937 *g, uint32_t max);     /* uniform in [0, max], masked rejection */
/* NumPy RandomState.shuffle of n items of size bytes each, in place. */
void mt19937_shuffle(mt19937 *g, void *items, size_t n, size_t size);

/* rnnlm_rng, rnnlm_rng_seed, rnnlm_rng_next, rnnlm_rng_float and
 * rnnlm_rng_double are public (rnnlm.h). */
/* uniform integer in [0, n), n > 0, without modulo bias (Lemire) */
uint64_t rnnlm_rng_below(rnnlm_rng *r, uint64_t n);

#endif
