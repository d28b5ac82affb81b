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

typedef struct { uint32_t mt[624]; int mti; } mt19937;

void mt19937_seed(mt19937 *g, uint32_t seed);          /* init_genrand */
uint32_t mt19937_next(mt19937 *g);                      /* genrand_int32 */
uint32_t mt19937_bounded(mt19937 *g, uint32_t max);     /* uniform in [0, max], masked rejection */
/* NumPy RandomState.shuffle of n items of size bytes each, in place. */
void mt19937_shuffle(mt19937 *g, void *items, size_t n, size_t size);

typedef struct { uint64_t s[4]; } rnnlm_rng;

void rnnlm_rng_seed(rnnlm_rng *r, uint64_t seed);
uint64_t rnnlm_rng_next(rnnlm_rng *r);
/* uniform float in [0, 1) with 24 random bits; double with 53 */
static inline float rnnlm_rng_float(rnnlm_rng *r) { return (float)(rnnlm_rng_next(r) >> 40) * 0x1.0p-24f; }
static inline double rnnlm_rng_double(rnnlm_rng *r) { return (double)(rnnlm_rng_next(r) >> 11) * 0x1.0p-53; }
/* uniform integer in [0, n), n > 0, without modulo bias (Lemire) */
uint64_t rnnlm_rng_below(rnnlm_rng *r, uint64_t n);

#endif
