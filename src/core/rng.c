/* rng.c: MT19937 (reference init_genrand / genrand_int32, written from the
 * published algorithm), NumPy's legacy masked bounded draw, and xoshiro256**. */
#include "core/rng.h"

#include <string.h>

void mt19937_seed(mt19937 *g, uint32_t seed) {
    g->mt[0] = seed;
    for (int i = 1; i < 624; i++)
        g->mt[i] = 1812433253u * (g->mt[i - 1] ^ (g->mt[i - 1] >> 30)) + (uint32_t)i;
    g->mti = 624;
}

static void mt19937_twist(mt19937 *g) {
    static const uint32_t mag01[2] = {0u, 0x9908b0dfu};
    uint32_t *mt = g->mt;
    int k;
    for (k = 0; k < 624 - 397; k++) {
        uint32_t y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
        mt[k] = mt[k + 397] ^ (y >> 1) ^ mag01[y & 1u];
    }
    for (; k < 623; k++) {
        uint32_t y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
        mt[k] = mt[k + (397 - 624)] ^ (y >> 1) ^ mag01[y & 1u];
    }
    uint32_t y = (mt[623] & 0x80000000u) | (mt[0] & 0x7fffffffu);
    mt[623] = mt[396] ^ (y >> 1) ^ mag01[y & 1u];
    g->mti = 0;
}

uint32_t mt19937_next(mt19937 *g) {
    if (g->mti >= 624) mt19937_twist(g);
    uint32_t y = g->mt[g->mti++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint32_t mt19937_bounded(mt19937 *g, uint32_t max) {
    if (max == 0) return 0;
    uint32_t mask = max;
    mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16;
    uint32_t v;
    while ((v = mt19937_next(g) & mask) > max) {}
    return v;
}

void mt19937_shuffle(mt19937 *g, void *items, size_t n, size_t size) {
    unsigned char *b = items, tmp[64];
    if (n < 2 || size > sizeof tmp) return;
    for (size_t i = n - 1; i >= 1; i--) {
        size_t j = mt19937_bounded(g, (uint32_t)i);
        memcpy(tmp, b + i * size, size);
        memcpy(b + i * size, b + j * size, size);
        memcpy(b + j * size, tmp, size);
    }
}

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void rnnlm_rng_seed(rnnlm_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rnnlm_rng_next(rnnlm_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return result;
}

uint64_t rnnlm_rng_below(rnnlm_rng *r, uint64_t n) {
    unsigned __int128 m = (unsigned __int128)rnnlm_rng_next(r) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t thresh = -n % n;
        while (lo < thresh) { m = (unsigned __int128)rnnlm_rng_next(r) * n; lo = (uint64_t)m; }
    }
    return (uint64_t)(m >> 64);
}
